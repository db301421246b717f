#!/usr/bin/env bash
# Side-by-side benchmark of notary-server on PostgreSQL: ours vs Go's reference (Debian notary
# 0.7), each on a private PostgreSQL cluster of its own laid out by Go's schema, with nginx serving
# the same bytes as static files as the anchor. One run, implementations alternating, medians;
# ratios are taken pair by pair (shared/perf/README.md).
#
#   read path:  wrk on timestamp.json, root.json, targets.json of collections with 10, 1,000 and
#               100,000 targets (published with the real Go CLI to each server)
#   publish:    `notary publish` (Go CLI) of 1 / 100 / 10,000 staged targets, wall time and
#               server CPU per operation
#
# Goal (issue 6): ours ≥ 30× Go on the read path (Go does about 1,000 req/s on PostgreSQL here)
# and ≥ 0.8× nginx. The closing table prints both ratios per file; rerun as is after changes to
# the server (e.g. the PostgreSQL metadata cache).
#
# usage: bench/server-postgres.sh [OUT_DIR]
#   env: SIZES ("10 1000 100000"), WRITE_SIZES ("1 100 10000"), ROUNDS (3), DURATION (5s),
#        RUNS (5), STEPS ("read write"); see shared/perf/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${NOTARY_SHARED_DIR:-$repo/../shared}
out=${1:-$(mktemp -d -t notary-rs-bench-pg.XXXXXX)}
mkdir -p "$out"; out=$(cd "$out" && pwd)

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || {
    echo "installing $tool" >&2; apt-get install -y -q wrk nginx-light >/dev/null; }
done
export PATH=$PATH:/usr/sbin
bash "$shared/interop/install-peers.sh" --no-registry >/dev/null
cargo build --release --locked -p notary-server

# Our server on PostgreSQL seals its local signing keys with a passphrase every server on the
# database shares (Go's server ignores the variable).
export NOTARY_SERVER_LOCAL_TRUST_PASSPHRASE=bench-shared-secret

BACKENDS=postgres STEPS=${STEPS:-read write} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5s} \
  nice -n -10 bash "$shared/perf/run-all.sh" "$out" \
  go=notary-server,notary \
  rust="$repo/target/release/notary-server",notary
python3 "$shared/perf/report.py" "$out" | tee "$out/report.md"

# The issue's two read-path ratios, one line per file: ours/Go (goal ≥ 30) and ours/nginx
# (goal ≥ 0.8), medians of the per-round ratios.
summary=$out/read-summary.tsv
if [[ -s $summary ]]; then
  echo
  echo "read path, rust-postgres: ratio to go-postgres (goal >= 30) and to nginx (goal >= 0.8)"
  awk -F'\t' '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["server"] == "rust-postgres" {
      printf "  %-28s %s req/s   x%-7s vs Go   x%-6s vs nginx\n", $col["gun"] "/" $col["role"],
        $col["rps"], $col["rps_ratio_to_baseline"], $col["rps_ratio_to_nginx"]
    }' "$summary"
fi
echo "results: $out"
