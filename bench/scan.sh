#!/usr/bin/env bash
# `portkit scan` against its anchors, side by side in one run:
#  1. -p- on loopback: nmap -sT -T4, and a bare C loop of blocking connects (the one-core floor);
#  2. -p- on a namespace host 20 ms away with ~1,000 dropped ports: nmap -sT -T4;
#  3. --top 1000 on a firewalled namespace host 20 ms away (all but two ports dropped);
#  4. --top 1000 on loopback.
# Prints wall time, CPU time (portkit runs several threads, nmap one), peak RSS, ratios of both,
# and whether every port's state agrees with nmap's, for every case.
# Traffic stays on loopback and on namespace hosts made here (tests/tools/netns-host).
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
rounds=${ROUNDS:-3}
netns_host=$(realpath tests/tools/netns-host)
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in nmap cc python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "needs root for the namespace hosts" >&2; exit 2; }

work=$(mktemp -d)
hosts=()
cleanup() {
  for name in "${hosts[@]}"; do "$netns_host" down "$name" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/connect_loop.c" <<'C'
/* The floor: one blocking connect per port, one after another, on one core. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int open_ports = 0;
  for (int port = 1; port <= 65535; ++port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons((unsigned short)port);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) == 0) ++open_ports;
    close(fd);
  }
  return open_ports > 0 ? 0 : 1;
}
C
cc -O2 -o "$work/connect_loop" "$work/connect_loop.c"

source bench/lib.sh

# best_of COMMAND...: the fastest of $rounds runs, as "wall_s cpu_s peak_kb".
best_of() {
  local best="" line
  for _ in $(seq "$rounds"); do
    line=$(measure "$@")
    if [[ -z $best ]] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$line; fi
  done
  echo "$best"
}

# agreement TARGET PORTKIT_PORTS NMAP_PORTS: compares every port's state, portkit (--json) vs
# nmap -sT (-d3 lists every port in its XML instead of folding the common state).
agreement() {
  local target=$1 ports=$2 nmap_ports=$3
  "$portkit" scan "$target" $ports --json >"$work/ours.json" || true
  nmap -n -Pn -sT -T4 -d3 $nmap_ports -oX "$work/theirs.xml" "$target" >/dev/null 2>&1
  python3 - "$work/ours.json" "$work/theirs.xml" <<'PY'
import json, re, sys
ours = {}
for line in open(sys.argv[1]):
    item = json.loads(line)
    if item.get("event") == "port":
        ours[(item["port"], item["proto"])] = item["state"]
theirs = {(int(p), proto): state for proto, p, state in re.findall(
    r'protocol="(\w+)" portid="(\d+)"><state state="([a-z|]+)"', open(sys.argv[2]).read())}
# --top N picks differently: nmap's N by frequency alone, portkit's with the DevOps ports of
# its knowledge base (2375, 2379, 5672, ...). States are compared on the ports both scanned.
both = [k for k in theirs if k in ours]
differ = [k for k in both if ours[k] != theirs[k]]
only = len(set(ours) ^ set(theirs))
chosen = f" ({only // 2} of the {len(theirs)} chosen differently by --top)" if only else ""
if not differ and both:
    print(f"agree on all {len(both)} ports both scanned{chosen}")
else:
    print(f"DISAGREE on {len(differ)} of {len(both)} ports, e.g. " +
          ", ".join(f"{p}/{q}: portkit {ours.get((p, q))} nmap {theirs.get((p, q))}" for p, q in differ[:5]))
PY
}

row() {  # label ours theirs anchor: times as "wall cpu peak_kb"
  local label=$1 anchor=$4
  local -a ours theirs
  read -r -a ours <<<"$2"
  read -r -a theirs <<<"$3"
  printf '%-31s portkit %7.3f s wall %7.3f s cpu %6.1f MB | %-18s %7.3f s wall %7.3f s cpu | faster: wall %s, cpu %s\n' \
    "$label" "${ours[0]}" "${ours[1]}" "$(python3 -c "print(${ours[2]} / 1024)")" "$anchor" \
    "${theirs[0]}" "${theirs[1]}" "$(ratio "${theirs[0]}" "${ours[0]}")" "$(ratio "${theirs[1]}" "${ours[1]}")"
}

echo "== 1. loopback, all 65535 ports"
ours=$(best_of "$portkit" scan 127.0.0.1 -p-)
nmap_t4=$(best_of nmap -n -Pn -sT -T4 -p- 127.0.0.1)
floor=$(best_of "$work/connect_loop")
row "loopback -p-" "$ours" "$nmap_t4" "nmap -sT -T4"
row "loopback -p-" "$ours" "$floor" "bare connect loop"
agreement 127.0.0.1 -p- -p-

echo "== 2. namespace host 20 ms away, -p-, 1000 ports dropped"
# host_up ARGS...: brings a namespace host up, remembers it for cleanup, prints its IPv4 address.
host_up() {
  local info
  info=$("$netns_host" up "$@")
  hosts+=("$(sed -n 's/^NAME=//p' <<<"$info")")
  sed -n 's/^ADDR4=//p' <<<"$info"
}
host_up --delay 20ms --tcp-open 22,80,443 --tcp-drop 20000-20999 >"$work/host"
delayed=$(<"$work/host")
ours=$(best_of "$portkit" scan "$delayed" -p-)
nmap_t4=$(best_of nmap -n -Pn -sT -T4 -p- "$delayed")
row "20 ms host -p-" "$ours" "$nmap_t4" "nmap -sT -T4"
agreement "$delayed" -p- -p-

echo "== 3. firewalled namespace host 20 ms away, top 1000 (all but 22 and 443 dropped)"
host_up --delay 20ms --tcp-open 22,443 --tcp-drop 1-21,23-442,444-65535 >"$work/host"
firewalled=$(<"$work/host")
ours=$(best_of "$portkit" scan "$firewalled" --top 1000)
nmap_t4=$(best_of nmap -n -Pn -sT -T4 --top-ports 1000 "$firewalled")
row "firewalled 20 ms host top-1000" "$ours" "$nmap_t4" "nmap -sT -T4"
agreement "$firewalled" "--top 1000" "--top-ports 1000"

echo "== 4. loopback, top 1000"
ours=$(best_of "$portkit" scan 127.0.0.1 --top 1000)
nmap_t4=$(best_of nmap -n -Pn -sT -T4 --top-ports 1000 127.0.0.1)
row "loopback top-1000" "$ours" "$nmap_t4" "nmap -sT -T4"
agreement 127.0.0.1 "--top 1000" "--top-ports 1000"
