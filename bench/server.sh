#!/usr/bin/env bash
# Side-by-side benchmark of notary-server: ours vs Go's reference (Debian notary 0.7), with nginx
# serving the same bytes as static files as the anchor. One run, implementations alternating,
# medians; ratios are taken pair by pair (shared/perf/README.md).
#
#   read path:  wrk on timestamp.json, root.json, targets.json of collections with 10, 1,000 and
#               100,000 targets (published with the real Go CLI to each server)
#   publish:    `notary publish` (Go CLI) of 1 / 100 / 10,000 staged targets, wall time and
#               server CPU per operation
#
# Implementations: go (memory store, local signing), rust (our server, in-memory SQLite, the
# same setting as Go's memory store), rust-sqlite (our default: a SQLite file, WAL,
# synchronous=FULL, so every publish is fsynced).
#
# usage: bench/server.sh [OUT_DIR]
#   env: SIZES ("10 1000 100000"), WRITE_SIZES ("1 100 10000"), ROUNDS (3), DURATION (5s),
#        RUNS (5), STEPS ("read write"); see shared/perf/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${NOTARY_SHARED_DIR:-$repo/../shared}
out=${1:-$(mktemp -d -t notary-rs-bench.XXXXXX)}
mkdir -p "$out"; out=$(cd "$out" && pwd)

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || {
    echo "installing $tool" >&2; apt-get install -y -q wrk nginx-light >/dev/null; }
done
export PATH=$PATH:/usr/sbin
bash "$shared/interop/install-peers.sh" --no-registry >/dev/null
cargo build --release --locked -p notary-server

# Our server on its default storage (a SQLite file); the perf harness only knows memory/postgres,
# so the backend is switched with Go-style environment overrides in a wrapper.
wrapper=$out/notary-server-sqlite
cat >"$wrapper" <<WRAP
#!/usr/bin/env bash
db=\$(mktemp -d -t notary-rs-bench-db.XXXXXX)/notary-server.db
NOTARY_SERVER_STORAGE_BACKEND=sqlite NOTARY_SERVER_STORAGE_DB_URL=\$db exec "$repo/target/release/notary-server" "\$@"
WRAP
chmod +x "$wrapper"

BACKENDS=memory STEPS=${STEPS:-read write} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5s} \
  nice -n -10 bash "$shared/perf/run-all.sh" "$out" \
  go=notary-server,notary \
  rust="$repo/target/release/notary-server",notary \
  rust-sqlite="$wrapper",notary
python3 "$shared/perf/report.py" "$out" | tee "$out/report.md"
echo "results: $out"
