#!/usr/bin/env bash
# PromQL source cost per backfilled hour: queries, bytes, series and points fetched, and wall
# time, for the demo cluster loaded into the real Prometheus with promtool. Prints a table.
# One more instant query per backfill detects the scrape interval when --step is not given.
#
#   bench/prom/backfill_bench.sh [BUILD_DIR] [NODES] [DAYS]
#
# Needs prometheus and promtool (Debian package prometheus) and a built trimtab.
set -euo pipefail
build=${1:-build/release}
nodes=${2:-10}
days=${3:-1}
trimtab=$(realpath "$build/trimtab")
work=$(mktemp -d /tmp/trimtab-backfill-bench-XXXXXX)
trap 'kill $prom_pid 2>/dev/null || true; rm -rf "$work"' EXIT
now=$(date +%s)
end=$(( now - now % 3600 ))
start=$(( end - days * 86400 ))
"$trimtab" demo --nodes "$nodes" --days "$days" --seed 7 --end "$end" --out "$work/demo" >/dev/null 2>&1
for f in "$work"/demo/snapshot/*.om; do
  promtool tsdb create-blocks-from openmetrics "$f" "$work/tsdb" >/dev/null
done
port=$(( 20000 + RANDOM % 20000 ))
printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --storage.tsdb.retention.time=3650d --web.listen-address="127.0.0.1:$port" --log.level=warn \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 120); do curl -sf "127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.5; done
hours=$(( days * 24 ))
echo "demo: $nodes nodes, $days day(s), $hours hours, Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}')"
printf '%-6s %-5s %9s %10s %11s %11s %10s %10s %9s\n' chunk step queries "queries/h" "KiB/h" "series" "points" "wall s" "hours/s"
for chunk in 1h 6h 24h; do
  for step in "" 60s; do
    rm -f "$work/bench.db"
    t0=$(date +%s.%N)
    json=$("$trimtab" backfill --prometheus "http://127.0.0.1:$port" --from "$start" --to "$end" \
      --store "$work/bench.db" --cluster demo --chunk "$chunk" ${step:+--step $step} --quiet --format json)
    t1=$(date +%s.%N)
    get() { echo "$json" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
    q=$(get queries); b=$(get bytes); s=$(get series); p=$(get points); st=$(get step_ms)
    awk -v c="$chunk" -v st="$st" -v q="$q" -v b="$b" -v s="$s" -v p="$p" -v h="$hours" -v t0="$t0" -v t1="$t1" \
      'BEGIN { w = t1 - t0; printf "%-6s %-5s %9d %10.1f %11.1f %11d %10d %10.2f %9.1f\n", c, st/1000 "s", q, q/h, b/1024/h, s, p, w, h/w }'
  done
done
