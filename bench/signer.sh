#!/usr/bin/env bash
# Sign operations per second through gRPC (mutual TLS, one HTTP/2 connection, 32 calls in
# flight), ours vs Go's notary-signer, side by side: each round runs go, ours-memory and
# ours-sqlite in turn for ecdsa and ed25519; prints every figure and the medians.
# Both signers and the load generator share the machine's cores.
#
# usage: bench/signer.sh [ROUNDS (5)] [SECONDS (5)]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${NOTARY_SHARED_DIR:-$repo/../shared}
rounds=${1:-5} seconds=${2:-5}
command -v notary-signer >/dev/null || bash "$shared/interop/install-peers.sh" --no-registry >/dev/null
cargo build --release --locked -p notary-signer --bin notary-signer --example sign_load 2>&1 | tail -1
work=$(mktemp -d -t notary-rs-signer-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Go's signer (memory store) and its throw-away PKI, from the interop harness.
go_port=$(free_port)
NOTARY_SIGNER_PORT=$go_port bash "$shared/interop/start-reference-server.sh" "$work/ref" "$(free_port)" >/dev/null
tls=$work/ref/tls
# Our signers write their PIDs here (they are started from command substitutions, i.e. subshells).
trap 'bash "$shared/interop/stop-reference-server.sh" "$work/ref" >/dev/null 2>&1; xargs -r kill <"$work/our-pids" 2>/dev/null; rm -rf "$work"' EXIT
: >"$work/our-pids"

start_ours() { # name backend-json -> prints the address
  local cfg=$work/$1.json
  cat >"$cfg" <<JSON
{"server":{"grpc_addr":"127.0.0.1:0","tls_cert_file":"$tls/signer.crt","tls_key_file":"$tls/signer.key","client_ca_file":"$tls/ca.crt"},
 "logging":{"level":"error"},"storage":$2}
JSON
  NOTARY_SIGNER_BENCH=benchpassphrase target/release/notary-signer -config "$cfg" >"$work/$1.out" 2>"$work/$1.err" &
  echo $! >>"$work/our-pids"
  for _ in $(seq 100); do [[ -s $work/$1.out ]] && break; sleep 0.1; done
  head -1 "$work/$1.out"
}
ours_mem=$(start_ours mem '{"backend":"memory"}')
ours_sql=$(start_ours sql "{\"backend\":\"sqlite\",\"db_url\":\"$work/signer.db\",\"default_alias\":\"bench\"}")

declare -A results
for ((r = 1; r <= rounds; r++)); do
  for alg in ecdsa ed25519; do
    for impl in go ours-memory ours-sqlite; do
      case $impl in go) addr=127.0.0.1:$go_port ;; ours-memory) addr=$ours_mem ;; ours-sqlite) addr=$ours_sql ;; esac
      rate=$(target/release/examples/sign_load "$addr" "$tls/ca.crt" "$tls/client.crt" "$tls/client.key" "$alg" "$seconds" | awk '{print $2}')
      echo "round $r $alg $impl: $rate signs/s"
      results[$alg-$impl]+="$rate "
    done
  done
done
echo
echo "| algorithm | go | ours (memory) | ours (sqlite) | ours/go |"
echo "|---|---|---|---|---|"
for alg in ecdsa ed25519; do
  med() { tr ' ' '\n' <<<"${results[$alg-$1]}" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
  g=$(med go) m=$(med ours-memory) s=$(med ours-sqlite)
  echo "| $alg | $g | $m | $s | $(awk -v a="$m" -v b="$g" 'BEGIN {printf "%.2f", a/b}') |"
done
