#!/usr/bin/env bash
# `portkit scan` over subnets against its anchors, side by side in one run, on AnyIP namespace
# hosts 20 ms away where only some addresses are hosts (the rest drop everything):
#  1. a sparse /22 (16 hosts of 1,024) x top 100: nmap -sT -T4 and nmap -sS -T4 (both with their
#     host discovery), and portkit -Pn (every address probed, as before discovery);
#  2. which hosts are up on a /20 (32 of 4,096): portkit -sn, nmap -sn, fping -g;
#  3. many hosts, few ports: a /18 where every address is a host (16,384) x top 10 and top 100,
#     connect and --syn, with the open ports each found (3 per host) and the probe rate;
#  4. a /16 (65,536 hosts) x top 100 with --syn, against the floor of this path (bench/bare_syn.c:
#     a sender that only sends and counts answers) and masscan at 200 k packets/s.
# Prints wall and CPU time, ratios, and the live sets / open ports each found.
# Traffic stays on namespace hosts made here (tests/tools/netns-host), in 198.19.0.0/16.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
netns_host=$(realpath tests/tools/netns-host)
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in nmap fping masscan cc python3; do
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
source bench/lib.sh

# live_addresses BLOCK_PREFIX COUNT SPAN: COUNT addresses spread over SPAN addresses of the block
# (the first, the middle and the last included), comma-separated.
live_addresses() {
  python3 -c '
import ipaddress, sys
base, count, span = ipaddress.ip_address(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
step = span // count
print(",".join(str(base + 5 + i * step) for i in range(count)))' "$@"
}

host_up() {
  local info
  info=$("$netns_host" up "$@")
  hosts+=("$(sed -n 's/^NAME=//p' <<<"$info")")
}

# timed OUTFILE COMMAND...: one run, output kept, "wall_s cpu_s" printed.
timed() {
  local out=$1
  shift
  python3 -c '
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {usage.ru_utime + usage.ru_stime:.3f}")' "$out" "$@"
}

row() {  # label "wall cpu" found
  local -a t
  read -r -a t <<<"$2"
  printf '  %-34s %8.3f s wall %7.3f s cpu   %s\n' "$1" "${t[0]}" "${t[1]}" "$3"
}

# Open ports and live hosts in one output file, whatever tool wrote it.
open_ports_json() { python3 -c '
import json, sys
n = sum(1 for l in open(sys.argv[1]) if l.startswith("{") and json.loads(l).get("event") == "port" and json.loads(l)["state"] == "open")
print(n)' "$1"; }
open_ports_xml() { grep -o '<state state="open"' "$1" | wc -l; }
up_json() { python3 -c '
import json, sys
print(" ".join(sorted(json.loads(l)["address"] for l in open(sys.argv[1]) if l.startswith("{") and json.loads(l).get("event") == "host")))' "$1"; }
up_xml() { python3 -c '
import re, sys
# nmap -oX repeats a host as a <hosthint> before its <host>: each address once.
print(" ".join(sorted(set(re.findall(r"<status state=\"up\"[^>]*/>\s*<address addr=\"([^\"]+)\"", open(sys.argv[1]).read())))))' "$1"; }
up_fping() { python3 -c 'import sys; print(" ".join(sorted(l.strip() for l in open(sys.argv[1]) if l.strip())))' "$1"; }

echo "== 1. sparse /22, 16 hosts of 1,024, 20 ms away, top 100 ports"
live=$(live_addresses 198.19.4.0 16 1024)
host_up --delay 20ms --anyip 198.19.4.0/22 --anyip-live "$live" --tcp-open 22,80,443,5432 --udp-open ""
ours=$(timed "$work/ours.json" "$portkit" scan 198.19.4.0/22 --top 100 --json)
syn=$(timed "$work/syn.json" "$portkit" scan 198.19.4.0/22 --top 100 --syn --json)
nmap_st=$(timed "$work/nmap_st.xml" nmap -n -sT -T4 --top-ports 100 -oX - 198.19.4.0/22)
nmap_ss=$(timed "$work/nmap_ss.xml" nmap -n -sS -T4 --top-ports 100 -oX - 198.19.4.0/22)
every=$(timed "$work/every.json" "$portkit" scan 198.19.4.0/22 --top 100 -Pn --json)
row "portkit (discovery)" "$ours" "$(open_ports_json "$work/ours.json") open ports"
row "portkit --syn (discovery)" "$syn" "$(open_ports_json "$work/syn.json") open ports"
row "nmap -sT -T4" "$nmap_st" "$(open_ports_xml "$work/nmap_st.xml") open ports"
row "nmap -sS -T4" "$nmap_ss" "$(open_ports_xml "$work/nmap_ss.xml") open ports"
row "portkit -Pn (no discovery)" "$every" "$(open_ports_json "$work/every.json") open ports"
read -r ow oc <<<"$ours"; read -r tw tc <<<"$nmap_st"; read -r sw sc <<<"$nmap_ss"; read -r pw pc <<<"$every"
echo "  portkit faster than nmap -sT: wall $(ratio "$tw" "$ow"), cpu $(ratio "$tc" "$oc");" \
  "than nmap -sS: wall $(ratio "$sw" "$ow"); than itself with -Pn: wall $(ratio "$pw" "$ow")"
read -r yw yc <<<"$syn"
echo "  portkit --syn faster than nmap -sS: wall $(ratio "$sw" "$yw"), cpu $(ratio "$sc" "$yc")"
[[ $(up_json "$work/ours.json") == $(up_xml "$work/nmap_st.xml") ]] &&
  echo "  hosts scanned: the same 16 as nmap's" || echo "  HOSTS DIFFER: portkit $(up_json "$work/ours.json") | nmap $(up_xml "$work/nmap_st.xml")"

echo "== 2. which hosts are up: /20, 32 hosts of 4,096, 20 ms away"
live=$(live_addresses 198.19.16.0 32 4096)
host_up --delay 20ms --anyip 198.19.16.0/20 --anyip-live "$live" --tcp-open 22 --udp-open ""
ours=$(timed "$work/sn.json" "$portkit" scan 198.19.16.0/20 -sn --json)
nmap_sn=$(timed "$work/nmap_sn.xml" nmap -n -sn -oX - 198.19.16.0/20)
fping_g=$(timed "$work/fping.txt" fping -a -q -g 198.19.16.0/20)
row "portkit -sn" "$ours" "$(up_json "$work/sn.json" | wc -w) up"
row "nmap -sn" "$nmap_sn" "$(up_xml "$work/nmap_sn.xml" | wc -w) up"
row "fping -g" "$fping_g" "$(wc -l <"$work/fping.txt") up"
read -r ow oc <<<"$ours"; read -r nw nc <<<"$nmap_sn"; read -r fw fc <<<"$fping_g"
echo "  portkit faster than nmap -sn: wall $(ratio "$nw" "$ow"), cpu $(ratio "$nc" "$oc");" \
  "than fping -g: wall $(ratio "$fw" "$ow"), cpu $(ratio "$fc" "$oc")"
same() { [[ $1 == "$2" ]] && echo same || echo DIFFERENT; }
echo "  live set: $(same "$(up_json "$work/sn.json")" "$(up_xml "$work/nmap_sn.xml")") as nmap -sn," \
  "$(same "$(up_json "$work/sn.json")" "$(up_fping "$work/fping.txt")") as fping"

echo "== 3. many hosts, few ports: /18, every address a host (16,384), 20 ms away"
host_up --delay 20ms --anyip 198.19.64.0/18 --tcp-open 22,80,443 --udp-open ""
for args in "--top 10" "--top 10 --syn" "--top 100" "--top 100 --syn"; do
  # shellcheck disable=SC2086
  t=$(timed "$work/many.json" "$portkit" scan 198.19.64.0/18 $args --json --yes)
  read -r w _ <<<"$t"
  found=$(python3 -c '
import json, sys
summary = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
found, probes = summary["open"], summary["probes"]
rate = probes / float(sys.argv[2]) / 1000
print(f"{found} of 49152 open ports, {probes} probes, {rate:.0f} k probes/s")' "$work/many.json" "$w")
  row "portkit $args" "$t" "$found"
done

echo "== 4. a /16, every address a host (65,536), 20 ms away, top 100 with --syn"
# The /16 holds the blocks above: their hosts go first.
for name in "${hosts[@]}"; do "$netns_host" down "$name" >/dev/null; done
hosts=()
host_up --delay 20ms --anyip 198.19.0.0/16 --tcp-open 22,80,443 --udp-open ""
slot=${hosts[0]}
source_address=$(ip route get 198.19.0.1 | sed -n 's/.* src \([0-9.]*\).*/\1/p')
cc -O2 -pthread -o "$work/bare_syn" bench/bare_syn.c
# The 100 ports portkit --top 100 probes, as one host's scan lists them.
top100=$("$portkit" scan 198.19.0.1 --top 100 --json | python3 -c '
import json, sys
print(",".join(str(e["port"]) for e in map(json.loads, sys.stdin) if e.get("event") == "port"))')
floor=$(timed "$work/floor.txt" "$work/bare_syn" "$source_address" 198.19.0.0 65536 "$top100")
ours=$(timed "$work/big.json" "$portkit" scan 198.19.0.0/16 --top 100 --syn --open --json --yes)
# masscan sends from its own packet layer on the veth, to the namespace's MAC. On this path it
# does not exit by itself after its --wait (its count of seconds left goes negative), so it is
# stopped when its rate's sending time and its wait have passed: its time is that bound.
outer_mac=$(cat "/sys/class/net/pkp$slot/address")
inner_mac=$(ip netns exec "pkh$slot" cat "/sys/class/net/pki$slot/address")
# (In the work directory: stopped, it leaves its paused.conf there.)
masscan_t=$(cd "$work" && timed /dev/null timeout -k 2 -s INT $((65536 * 100 / 200000 + 2 + 2)) \
  masscan 198.19.0.0/16 -p"$top100" --rate 200000 --wait 2 --adapter "pkp$slot" \
  --adapter-ip "$source_address" --adapter-mac "$outer_mac" --router-mac "$inner_mac" -oL "$work/masscan.txt")
row "floor (bench/bare_syn.c)" "$floor" "$(sed 's/.*answered/answered/' "$work/floor.txt")"
row "portkit --syn --open" "$ours" "$(open_ports_json "$work/big.json") of 196608 open ports"
row "masscan --rate 200000" "$masscan_t" "$(grep -c '^open' "$work/masscan.txt" || true) of 196608 open ports"
read -r fw _ <<<"$floor"; read -r ow _ <<<"$ours"
echo "  portkit takes $(ratio "$ow" "$fw") the floor's time (the floor includes no host discovery)"
