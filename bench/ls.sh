#!/usr/bin/env bash
# portkit ls / who against ss, netstat, lsof and fuser on hosts holding 1,000, 5,000 and
# 20,000 established loopback pairs (2k, 10k, 40k sockets, spread over processes of at most
# 5,000 pairs) plus 200 listeners and 100 UDP sockets, all in one run. Prints medians, ratios,
# peak RSS and the cost per socket: time per socket at each size, and memory per socket as
# the growth of peak RSS over the smallest size (what a socket costs, without the fixed base),
# for the sorted table (ls -a) and the streaming mode (ls -a --stream), which should stay flat.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
sizes=${SIZES:-"1000 5000 20000"}
runs=${RUNS:-10}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in ss hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done
source bench/lib.sh
WARMUP=2
optional() { command -v "$1" >/dev/null && echo "$2"; }


for pairs in $sizes; do
  hold_pairs "$pairs" 600
  port=$held_port
  sockets=$(ss -tanuH | wc -l)
  echo "== $pairs pairs: $sockets sockets on this host"
  declare -A t=()
  t[ls_a]=$(median_ms -i "$portkit ls -a -t")  # the same TCP sockets as ss -tanp
  t[ss_tanp]=$(median_ms -i "ss -tanp")
  t[ls]=$(median_ms -i "$portkit ls")
  t[ss_tulpn]=$(median_ms -i "ss -tulpn")
  t[ls_an]=$(median_ms -i "$portkit ls -a -n --json")
  t[ls_an_noowners]=$(median_ms -i "$portkit ls -a -t -n")
  t[ss_tan]=$(median_ms -i "ss -tan")
  t[who]=$(median_ms -i "$portkit who $port")
  # A filter the kernel applies (inet_diag bytecode): only the held port's sockets come back.
  t[ls_filter]=$(median_ms -i "$portkit ls -t -n 'sport = :$port or dport = :$port'")
  t[ss_filter]=$(median_ms -i "ss -tanp 'sport = :$port or dport = :$port'")
  if command -v netstat >/dev/null; then t[netstat]=$(median_ms -i "netstat -tanp"); fi
  if command -v lsof >/dev/null; then
    t[lsof]=$(median_ms -i "lsof -nP -iTCP")
    t[lsof_port]=$(median_ms -i "lsof -nP -iTCP:$port")
  fi
  if command -v fuser >/dev/null; then t[fuser]=$(median_ms -i "fuser $port/tcp"); fi
  printf '  ls -a -t          %8s ms   ss -tanp %8s ms   ratio %s faster\n' "${t[ls_a]}" "${t[ss_tanp]}" "$(ratio "${t[ss_tanp]}" "${t[ls_a]}")"
  [[ -n ${t[netstat]:-} ]] && printf '                                  netstat -tanp %8s ms   ratio %s\n' "${t[netstat]}" "$(ratio "${t[netstat]}" "${t[ls_a]}")"
  [[ -n ${t[lsof]:-} ]] && printf '                                  lsof -nP -iTCP %7s ms   ratio %s\n' "${t[lsof]}" "$(ratio "${t[lsof]}" "${t[ls_a]}")"
  printf '  ls (listening)   %8s ms   ss -tulpn %7s ms   ratio %s faster\n' "${t[ls]}" "${t[ss_tulpn]}" "$(ratio "${t[ss_tulpn]}" "${t[ls]}")"
  printf '  ls -a -t -n      %8s ms   ss -tan %9s ms   ratio %s (portkit/ss %.2f)\n' "${t[ls_an_noowners]}" "${t[ss_tan]}" "$(ratio "${t[ss_tan]}" "${t[ls_an_noowners]}")" "$(python3 -c "print(${t[ls_an_noowners]}/${t[ss_tan]})")"
  printf '  ls -t FILTER     %8s ms   ss -tanp FILTER %s ms   ratio %s faster\n' "${t[ls_filter]}" "${t[ss_filter]}" "$(ratio "${t[ss_filter]}" "${t[ls_filter]}")"
  printf '  who PORT         %8s ms' "${t[who]}"
  [[ -n ${t[lsof_port]:-} ]] && printf '   lsof -iTCP:PORT %s ms (%s)' "${t[lsof_port]}" "$(ratio "${t[lsof_port]}" "${t[who]}")"
  [[ -n ${t[fuser]:-} ]] && printf '   fuser %s ms (%s)' "${t[fuser]}" "$(ratio "${t[fuser]}" "${t[who]}")"
  echo
  rss=$(/usr/bin/time -f %M "$portkit" ls -a 2>&1 >/dev/null | tail -1)
  rss_stream=$(/usr/bin/time -f %M "$portkit" ls -a -n --stream 2>&1 >/dev/null | tail -1)
  rss_stream_owners=$(/usr/bin/time -f %M "$portkit" ls -a --stream 2>&1 >/dev/null | tail -1)
  if [[ -z ${base_sockets:-} ]]; then
    base_sockets=$sockets base_rss=$rss base_stream=$rss_stream base_stream_owners=$rss_stream_owners
  fi
  per_socket() {  # growth of peak RSS over the smallest size, in bytes per added socket
    python3 -c "d=$sockets-$base_sockets; print('%.0f' % (($1-$2)*1024/d) if d > 0 else '-')"
  }
  printf '  ls -a: %.2f us per socket; peak RSS %s KiB (%s bytes per socket beyond the smallest size)\n' \
    "$(python3 -c "print(${t[ls_a]}*1000/$sockets)")" "$rss" "$(per_socket "$rss" "$base_rss")"
  printf '  ls -a -n --stream: peak RSS %s KiB (%s bytes per socket); with owners %s KiB (%s bytes per socket)\n' \
    "$rss_stream" "$(per_socket "$rss_stream" "$base_stream")" \
    "$rss_stream_owners" "$(per_socket "$rss_stream_owners" "$base_stream_owners")"
  for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${holders[@]}" 2>/dev/null || true
  rm -rf "$holder_dir"
  unset t
done
