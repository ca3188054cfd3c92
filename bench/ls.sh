#!/usr/bin/env bash
# portkit ls / who against ss, netstat, lsof and fuser on hosts holding 1,000, 5,000 and
# 20,000 established loopback pairs (2k, 10k, 40k sockets, spread over processes of at most
# 5,000 pairs) plus 200 listeners and 100 UDP sockets, all in one run. Prints medians, ratios,
# peak RSS and the cost per socket.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
sizes=${SIZES:-"1000 5000 20000"}
runs=${RUNS:-10}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in ss hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done
optional() { command -v "$1" >/dev/null && echo "$2"; }

median_ms() {  # hyperfine's median of one command, in ms
  local report
  report=$(mktemp)
  hyperfine -N --warmup 2 --runs "$runs" -i --export-json "$report" "$1" >/dev/null 2>&1
  python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % (r["median"] * 1000))' "$report"
  rm -f "$report"
}

for pairs in $sizes; do
  holders=()
  fifo_dir=$(mktemp -d)
  remaining=$pairs
  index=0
  port=
  while ((remaining > 0)); do
    chunk=$((remaining > 5000 ? 5000 : remaining))
    extra_listeners=0; extra_udp=0
    ((index == 0)) && extra_listeners=200 && extra_udp=100
    mkfifo "$fifo_dir/in$index"
    python3 bench/hold_sockets.py "$chunk" "$extra_listeners" "$extra_udp" 600 <"$fifo_dir/in$index" >"$fifo_dir/out$index" &
    holders+=($!)
    exec {keep}>"$fifo_dir/in$index"
    remaining=$((remaining - chunk)); index=$((index + 1))
  done
  for i in $(seq 0 $((index - 1))); do
    until grep -q ready "$fifo_dir/out$i" 2>/dev/null; do sleep 0.1; done
  done
  port=$(awk '{print $2}' "$fifo_dir/out0")
  sockets=$(ss -tanuH | wc -l)
  echo "== $pairs pairs: $sockets sockets on this host"
  declare -A t=()
  t[ls_a]=$(median_ms "$portkit ls -a")
  t[ss_tanp]=$(median_ms "ss -tanp")
  t[ls]=$(median_ms "$portkit ls")
  t[ss_tulpn]=$(median_ms "ss -tulpn")
  t[ls_an]=$(median_ms "$portkit ls -a -n --json")
  t[ls_an_noowners]=$(median_ms "$portkit ls -a -t -n")
  t[ss_tan]=$(median_ms "ss -tan")
  t[who]=$(median_ms "$portkit who $port")
  if command -v netstat >/dev/null; then t[netstat]=$(median_ms "netstat -tanp"); fi
  if command -v lsof >/dev/null; then
    t[lsof]=$(median_ms "lsof -nP -iTCP")
    t[lsof_port]=$(median_ms "lsof -nP -iTCP:$port")
  fi
  if command -v fuser >/dev/null; then t[fuser]=$(median_ms "fuser $port/tcp"); fi
  ratio() { python3 -c "print(f'{float(\"$2\")/float(\"$1\"):.1f}x')"; }
  printf '  ls -a            %8s ms   ss -tanp %8s ms   ratio %s faster\n' "${t[ls_a]}" "${t[ss_tanp]}" "$(ratio "${t[ls_a]}" "${t[ss_tanp]}")"
  [[ -n ${t[netstat]:-} ]] && printf '                                  netstat -tanp %8s ms   ratio %s\n' "${t[netstat]}" "$(ratio "${t[ls_a]}" "${t[netstat]}")"
  [[ -n ${t[lsof]:-} ]] && printf '                                  lsof -nP -iTCP %7s ms   ratio %s\n' "${t[lsof]}" "$(ratio "${t[ls_a]}" "${t[lsof]}")"
  printf '  ls (listening)   %8s ms   ss -tulpn %7s ms   ratio %s faster\n' "${t[ls]}" "${t[ss_tulpn]}" "$(ratio "${t[ls]}" "${t[ss_tulpn]}")"
  printf '  ls -a -t -n      %8s ms   ss -tan %9s ms   ratio %s (portkit/ss %.2f)\n' "${t[ls_an_noowners]}" "${t[ss_tan]}" "$(ratio "${t[ls_an_noowners]}" "${t[ss_tan]}")" "$(python3 -c "print(${t[ls_an_noowners]}/${t[ss_tan]})")"
  printf '  who PORT         %8s ms' "${t[who]}"
  [[ -n ${t[lsof_port]:-} ]] && printf '   lsof -iTCP:PORT %s ms (%s)' "${t[lsof_port]}" "$(ratio "${t[who]}" "${t[lsof_port]}")"
  [[ -n ${t[fuser]:-} ]] && printf '   fuser %s ms (%s)' "${t[fuser]}" "$(ratio "${t[who]}" "${t[fuser]}")"
  echo
  rss=$(/usr/bin/time -f %M "$portkit" ls -a 2>&1 >/dev/null | tail -1)
  printf '  peak RSS of ls -a %s KiB; %.2f us and %.0f bytes per socket\n' "$rss" \
    "$(python3 -c "print(${t[ls_a]}*1000/$sockets)")" "$(python3 -c "print($rss*1024/$sockets)")"
  for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${holders[@]}" 2>/dev/null || true
  rm -rf "$fifo_dir"
  unset t
done
