#!/usr/bin/env bash
# The main job, end to end on the embedded default: build and start our notary-server (SQLite in a
# scratch data dir, plain HTTP on 127.0.0.1), publish a trusted collection to it with a notary
# client, then verify what a client downloaded with our verifier. Until our own `notary` CLI lands
# (issue 4) the client is Go's `notary` 0.7 (Debian package, installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${NOTARY_SHARED_DIR:-$(pwd)/../shared}
command -v notary >/dev/null || bash "$shared/interop/install-peers.sh" --no-registry >/dev/null
cargo build --release --locked -p notary-server -p notary-tuf --example verify 2>&1 | tail -1

work=$(mktemp -d -t notary-rs-demo.XXXXXX)
export NOTARY_SERVER_DATA_DIR=$work/server-data
target/release/notary-server --listen 127.0.0.1:0 >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $work/server.out ]] && break; sleep 0.1; done
url=$(head -1 "$work/server.out")
echo "notary-server: $url (SQLite in $NOTARY_SERVER_DATA_DIR)"

export NOTARY_ROOT_PASSPHRASE=demo-root-pass NOTARY_TARGETS_PASSPHRASE=demo-targets-pass
export NOTARY_SNAPSHOT_PASSPHRASE=demo-snapshot-pass
gun=example.com/demo/app
echo "hello, trusted world" >"$work/hello.txt"
notary -s "$url" -d "$work/trust" init "$gun"
notary -s "$url" -d "$work/trust" key rotate "$gun" snapshot -r   # let the server manage the snapshot
notary -s "$url" -d "$work/trust" add "$gun" hello "$work/hello.txt"
notary -s "$url" -d "$work/trust" publish "$gun"
echo "--- a fresh client lists it:"
notary -s "$url" -d "$work/fresh" list "$gun"
echo "--- our verifier checks the downloaded metadata (root, timestamp, snapshot, targets):"
target/release/examples/verify "$work/fresh/tuf/$gun/metadata" "$gun"
