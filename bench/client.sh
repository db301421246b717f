#!/usr/bin/env bash
# Side-by-side benchmark of the notary CLI: ours vs Go's (Debian notary 0.7), one run,
# implementations alternating, medians; ratios pair by pair (shared/perf/README.md).
#
#   client:   `notary list` of a 10 / 1,000 / 100,000-target collection from a fresh trust dir,
#             `notary lookup` (fresh), and `list` with a warm cache: wall time, CPU, peak RSS
#   publish:  `notary init -p`, `notary publish` of 1 / 100 / 10,000 staged targets, end to end
#
# Implementations (first = baseline of every ratio):
#   go       Go notary-server (memory store) + Go notary CLI
#   rust-cli Go notary-server + OUR CLI: the CLI alone against the same kind of server
#   rust     our notary-server (in-memory SQLite, like Go's memory store) + OUR CLI: end to end
#
# usage: bench/client.sh [OUT_DIR]
#   env: SIZES ("10 1000 100000"), WRITE_SIZES ("1 100 10000"), RUNS (5), STEPS ("client write")
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${NOTARY_SHARED_DIR:-$repo/../shared}
out=${1:-$(mktemp -d -t notary-rs-bench-client.XXXXXX)}
mkdir -p "$out"; out=$(cd "$out" && pwd)

bash "$shared/interop/install-peers.sh" --no-registry >/dev/null
cargo build --release --locked -p notary-server -p notary-cli

BACKENDS=memory NGINX='' STEPS=${STEPS:-client write} RUNS=${RUNS:-5} \
  nice -n -10 bash "$shared/perf/run-all.sh" "$out" \
  go=notary-server,notary \
  rust-cli=notary-server,"$repo/target/release/notary" \
  rust="$repo/target/release/notary-server","$repo/target/release/notary"
python3 "$shared/perf/report.py" "$out" | tee "$out/report.md"
echo "results: $out"
