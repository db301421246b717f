#!/usr/bin/env bash
# The main job, end to end on the embedded default, with our own programs only: build and start
# our notary-server (SQLite in a scratch data dir, plain HTTP on 127.0.0.1), create and publish a
# trusted collection with our `notary` CLI, list, look up and verify it from a fresh client, then
# show that the client keeps working from its cache when the server is gone.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p notary-server -p notary-cli 2>&1 | tail -1
notary=$(pwd)/target/release/notary

work=$(mktemp -d -t notary-rs-demo.XXXXXX)
export NOTARY_SERVER_DATA_DIR=$work/server-data
target/release/notary-server --listen 127.0.0.1:0 >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $work/server.out ]] && break; sleep 0.1; done
url=$(head -1 "$work/server.out")
echo "notary-server: $url (SQLite in $NOTARY_SERVER_DATA_DIR)"

# Passphrases for the keys the CLI creates (a terminal would be prompted instead).
export NOTARY_ROOT_PASSPHRASE=demo-root-pass NOTARY_TARGETS_PASSPHRASE=demo-targets-pass
export NOTARY_SNAPSHOT_PASSPHRASE=demo-snapshot-pass
echo '{}' >"$work/config.json"   # keep a ~/.notary/config.json out of the demo
nt() { echo "\$ notary $*" | sed "s|$work/||g"; "$notary" -c "$work/config.json" -s "$url" "$@"; }
gun=example.com/demo/app
echo "hello, trusted world" >"$work/hello.txt"
nt -d "$work/trust" init -p "$gun"
nt -d "$work/trust" add -p "$gun" hello "$work/hello.txt"
nt -d "$work/trust" key list
nt -d "$work/fresh" list "$gun"
nt -d "$work/fresh" lookup "$gun" hello
nt -d "$work/fresh" verify -q -i "$work/hello.txt" "$gun" hello
echo "verify: the file matches the signed target"
kill $server_pid; wait $server_pid 2>/dev/null || true
echo "--- server stopped; the client lists from its verified cache (with a warning):"
nt -d "$work/fresh" list "$gun"
