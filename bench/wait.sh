#!/usr/bin/env bash
# Reachability against its anchors, side by side in one run:
#  1. time from a listener opening to `portkit wait` exiting, against a wait-for-it style loop
#     (`nc -z` once a second);
#  2. `portkit check` of 100 endpoints against 100 sequential `nc -zv` runs;
#  3. one `portkit check` start to exit against `nc -zv` and `ncat -zv`, and its peak RSS.
# Everything stays on loopback. Prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
rounds=${ROUNDS:-5}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in nc ncat hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done

source bench/lib.sh
now_ns() { date +%s%N; }

# 1. Time from open to noticed. A small listener opens at a random moment 1.0-1.9 s after
#    the waiter starts (so a poller's phase favours neither side) and records the instant its
#    listen() returned; the waiter's exit is timed by this script.
measure_wait() {  # $1 = command template with PORT
  local port exited opened_file
  port=$(free_port)
  opened_file=$(mktemp)
  local cmd=${1//PORT/$port}
  bash -c "$cmd" &
  local waiter=$!
  python3 - "$port" "$opened_file" <<'PY' &
import random, socket, sys, time
time.sleep(1 + random.random() * 0.9)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
open(sys.argv[2], "w").write(str(time.time_ns()))
time.sleep(3)
PY
  local server=$!
  wait "$waiter"
  exited=$(now_ns)
  wait "$server" 2>/dev/null || true
  echo $(((exited - $(cat "$opened_file")) / 1000))  # microseconds
  rm -f "$opened_file"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours=$(for _ in $(seq "$rounds"); do measure_wait "$portkit wait --quiet --timeout 10s 127.0.0.1:PORT"; done | median)
theirs=$(for _ in $(seq "$rounds"); do measure_wait "until nc -z 127.0.0.1 PORT 2>/dev/null; do sleep 1; done"; done | median)
printf 'open -> noticed   portkit wait %8.1f ms   wait-for-it loop (nc -z, 1 s) %8.1f ms   %s faster\n' \
  "$(python3 -c "print($ours / 1000)")" "$(python3 -c "print($theirs / 1000)")" "$(ratio "$theirs" "$ours")"

# 2. 100 endpoints: half open (one listener per port), half closed.
servers=()
endpoints=()
for i in $(seq 50); do
  port=$(free_port)
  "$portkit" listen "$port" --quiet --duration 120s 2>/dev/null &
  servers+=($!)
  endpoints+=("127.0.0.1:$port")
  endpoints+=("127.0.0.1:$(free_port)")
done
trap 'kill "${servers[@]}" 2>/dev/null || true' EXIT
sleep 0.5
sequential=$(mktemp)
for endpoint in "${endpoints[@]}"; do echo "nc -zv ${endpoint%:*} ${endpoint##*:} 2>/dev/null;"; done >"$sequential"
report=$(mktemp)
hyperfine -N --warmup 2 --runs 10 --export-json "$report" -i \
  "$portkit check --timeout 1s ${endpoints[*]}" >/dev/null 2>&1
check100=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"]*1000)' "$report")
hyperfine --warmup 1 --runs 5 --export-json "$report" -i "bash $sequential" >/dev/null 2>&1
nc100=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"]*1000)' "$report")
printf '100 endpoints     portkit check %8.2f ms   100 sequential nc -zv %8.2f ms   %s faster\n' \
  "$check100" "$nc100" "$(ratio "$nc100" "$check100")"

# 3. One endpoint, start to exit, and memory.
one=${endpoints[0]}
hyperfine -N --warmup 10 --runs 100 --export-json "$report" -i \
  "$portkit check $one" "nc -zv ${one%:*} ${one##*:}" "ncat -zv ${one%:*} ${one##*:}" >/dev/null 2>&1
python3 - "$report" <<'PY'
import json, sys
r = {x["command"].split()[0].rsplit("/", 1)[-1]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f"one endpoint      portkit check {r['portkit']:8.2f} ms   nc -zv {r['nc']:8.2f} ms   ncat -zv {r['ncat']:8.2f} ms")
print(f"                  ratio to nc {r['portkit'] / r['nc']:.2f}   ratio to ncat {r['portkit'] / r['ncat']:.2f}  (goal: <= 1.00 against nc)")
PY
rss=$(/usr/bin/time -f %M "$portkit" check "$one" 2>&1 >/dev/null | tail -1)
printf 'peak RSS          portkit check %d KiB (goal: <= 4096)\n' "$rss"
rm -f "$sequential" "$report"
