#!/usr/bin/env bash
# trimtab serve through the real curl binary: start on port 0, query, check codes and bodies,
# stop with SIGTERM. Usage: curl_test.sh PATH/TO/trimtab
set -euo pipefail
trimtab=$1
command -v curl >/dev/null || { echo "SKIP: curl not installed (Debian package curl)"; exit 0; }
dir=$(mktemp -d)
pid=""
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

"$trimtab" demo --nodes 3 --days 1 --seed 3 --end 1767225600 --out "$dir" >/dev/null 2>&1
"$trimtab" serve --store "$dir/store.db" --listen 127.0.0.1:0 --quiet >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$dir/out")
base="http://127.0.0.1:$port"
window="2025-12-31T00:00:00Z,2026-01-01T00:00:00Z"

fail() { echo "FAIL: $*"; exit 1; }
code() { curl -s -o "$dir/body" -w '%{http_code}' "$@"; }

[[ $(code "$base/healthz") == 200 ]] || fail "healthz"
[[ $(code -G "$base/allocation" --data-urlencode "window=$window" --data-urlencode aggregate=namespace) == 200 ]] \
  || fail "allocation: $(cat "$dir/body")"
grep -q '"code":200' "$dir/body" || fail "allocation envelope"
grep -q '"kube-system":{' "$dir/body" || fail "kube-system missing"
# The filter's '+' sent unescaped (as OpenCost's docs show) is the AND operator.
[[ $(code "$base/allocation?window=$window&aggregate=namespace&filter=namespace:%22kube-system%22+cluster:%22demo%22") == 200 ]] \
  || fail "filter with +: $(cat "$dir/body")"
grep -q '"kube-system":{' "$dir/body" || fail "filtered allocation"
[[ $(grep -o '"name":' "$dir/body" | wc -l) == 1 ]] || fail "filter kept other namespaces"
[[ $(code "$base/allocation?window=bogus") == 400 ]] || fail "bad window not 400"
grep -q '"status":"error"' "$dir/body" || fail "error envelope"
[[ $(code -X DELETE "$base/allocation?window=1d") == 405 ]] || fail "DELETE not 405"
[[ $(code "$base/metrics") == 200 ]] || fail "metrics"
grep -q '^node_total_hourly_cost{' "$dir/body" || fail "node_total_hourly_cost missing"
# Keep-alive: two requests on one connection.
curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/healthz" "$base/readyz" > "$dir/connects"
[[ $(tr -d '\n' < "$dir/connects") == 10 ]] || fail "keep-alive: connects $(cat "$dir/connects")"

kill -TERM "$pid"
wait "$pid" || fail "serve exited non-zero after SIGTERM"
pid=""
echo "curl test passed"
