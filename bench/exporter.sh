#!/usr/bin/env bash
# portkit exporter against node_exporter's sockstat collector, in one run: scrape latency
# (median of curl fetching /metrics) with ~20,000 sockets on the host (10,000 established
# loopback pairs in two processes, plus 200 listeners and 100 UDP sockets), the exporter's
# own collection time, and resident memory after the scrapes. Prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
pairs=${PAIRS:-10000}
runs=${RUNS:-30}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
node_exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
for tool in curl hyperfine python3 ss; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done
[[ -n $node_exporter ]] || { echo "prometheus-node-exporter missing: scripts/install-deps" >&2; exit 2; }


source bench/lib.sh
holders=()
holder_dir=
cleanup() {
  for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n $holder_dir ]] && rm -rf "$holder_dir"
}
trap cleanup EXIT
hold_pairs "$pairs" 300

portkit_port=$(free_port); node_port=$(free_port)
"$portkit" exporter --listen "127.0.0.1:$portkit_port" --min-interval 0s >/dev/null &
holders+=($!)
exporter_pid=$!
"$node_exporter" --collector.disable-defaults --collector.sockstat \
  --web.listen-address="127.0.0.1:$node_port" >/dev/null 2>&1 &
holders+=($!)
node_pid=$!
for url in "http://127.0.0.1:$portkit_port/metrics" "http://127.0.0.1:$node_port/metrics"; do
  until curl -sf -o /dev/null "$url"; do sleep 0.1; done
done
sockets=$(ss -tanuH | wc -l)
echo "== $sockets sockets on this host; $runs scrapes each (curl, new connection per scrape)"

curl_floor=$(median_ms "curl -s -o /dev/null http://127.0.0.1:$node_port/")
portkit_ms=$(median_ms "curl -s -o /dev/null http://127.0.0.1:$portkit_port/metrics")
node_ms=$(median_ms "curl -s -o /dev/null http://127.0.0.1:$node_port/metrics")
collect=$(curl -s "http://127.0.0.1:$portkit_port/metrics" | awk '/^portkit_collect_duration_seconds/ {printf "%.2f", $2 * 1000}')
series=$(curl -s "http://127.0.0.1:$portkit_port/metrics" | grep -vc '^#')
node_series=$(curl -s "http://127.0.0.1:$node_port/metrics" | grep -c '^node_sockstat')
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

printf '  curl alone (404 page of node_exporter)  %7s ms\n' "$curl_floor"
printf '  portkit exporter /metrics               %7s ms   (collection %s ms, %s samples)\n' \
  "$portkit_ms" "$collect" "$series"
printf '  node_exporter sockstat /metrics         %7s ms   (%s sockstat samples)\n' "$node_ms" "$node_series"
printf '  ratio portkit / node_exporter: %s slower; above the curl floor: %s\n' \
  "$(ratio "$portkit_ms" "$node_ms")" \
  "$(python3 -c "a=$portkit_ms-$curl_floor; b=max($node_ms-$curl_floor, 0.01); print(f'{a/b:.1f}x')")"
printf '  RSS after scrapes: portkit exporter %s KiB, node_exporter %s KiB\n' \
  "$(rss "$exporter_pid")" "$(rss "$node_pid")"

# Slow clients: 1,000 connections that each send half a request and wait, held open while both
# exporters are scraped (anyone who reaches an exporter can do this).
slow_clients() {  # PORT: holds the connections until stdin closes; prints "ready"
  python3 -c '
import socket, sys
port = int(sys.argv[1])
held = []
for _ in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.send(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n")
    held.append(s)
print("ready", flush=True)
sys.stdin.read()' "$1"
}
echo "== the same scrapes with 1,000 clients holding half a request each"
for name in portkit node; do
  port_var=${name}_port
  exec {slow_in}> >(slow_clients "${!port_var}" >"$holder_dir/slow_$name")
  until grep -q ready "$holder_dir/slow_$name" 2>/dev/null; do sleep 0.1; done
  declare "${name}_slow_ms=$(median_ms "curl -s -m 10 -o /dev/null http://127.0.0.1:${!port_var}/metrics")"
  exec {slow_in}>&-
done
printf '  portkit exporter /metrics %7s ms   node_exporter %7s ms   ratio portkit / node_exporter %s\n' \
  "$portkit_slow_ms" "$node_slow_ms" "$(ratio "$portkit_slow_ms" "$node_slow_ms")"
printf '  RSS with them: portkit exporter %s KiB, node_exporter %s KiB\n' \
  "$(rss "$exporter_pid")" "$(rss "$node_pid")"
