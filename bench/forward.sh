#!/usr/bin/env bash
# `portkit forward` against socat and haproxy (splice), side by side in one run on loopback:
#  1. iperf3 throughput, one stream and -P 8: direct, and through each forwarder;
#  2. wrk against nginx, keep-alive and with "Connection: close" (the connection rate);
#  3. memory of each forwarder holding 5,000 idle connections, and the time to open them;
#  4. behaviour: does a server's reset reach the client, does half-close carry the reply;
#  5. UDP: iperf3 -u at a fixed offered rate, delivered rate and loss, direct and through each.
# "bare" is bench/bare_relay.c: a relay that does nothing but relay, in as few system calls as
# portkit, with as many worker processes. What it loses against direct is the cost of the second
# TCP connection on this machine, which every forwarder pays.
# Prints best-of-ROUNDS numbers and ratios to direct. All traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_RUN:-3}
peer=$(realpath tests/integration/forward_peer.py)
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in iperf3 socat haproxy wrk nginx python3 cc; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  # socat's forked children first: they hold this script's output open.
  for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.3
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

source bench/lib.sh
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# ---- servers
iperf_port=$(free_port)
iperf3 -s -p "$iperf_port" >/dev/null 2>&1 &
pids+=($!)
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  keepalive_requests 1000000; keepalive_timeout 300s; client_header_timeout 300s;
  server { listen 127.0.0.1:$nginx_port; location / { return 200 "portkit bench\n"; } }
}
EOF
nginx -c "$work/nginx.conf"
wait_port "$iperf_port"
wait_port "$nginx_port"

# ---- forwarders: one for iperf3 and one for nginx each
declare -A iperf_via nginx_via fwd_pid
start_portkit() {
  local a b
  a=$(free_port) b=$(free_port)
  "$portkit" forward "$a" "127.0.0.1:$iperf_port" "$b" "127.0.0.1:$nginx_port" 2>"$work/portkit.log" &
  fwd_pid[portkit]=$!
  pids+=($!)
  iperf_via[portkit]=$a nginx_via[portkit]=$b
}
start_socat() {
  local a b
  a=$(free_port) b=$(free_port)
  socat "TCP-LISTEN:$a,fork,reuseaddr,bind=127.0.0.1" "TCP:127.0.0.1:$iperf_port" 2>/dev/null &
  pids+=($!)
  socat "TCP-LISTEN:$b,fork,reuseaddr,bind=127.0.0.1,backlog=4096" "TCP:127.0.0.1:$nginx_port" 2>/dev/null &
  fwd_pid[socat]=$!
  pids+=($!)
  iperf_via[socat]=$a nginx_via[socat]=$b
}
start_haproxy() {
  local a b
  a=$(free_port) b=$(free_port)
  cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 6000
defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  option splice-auto
frontend iperf
  bind 127.0.0.1:$a
  default_backend iperf
backend iperf
  server s 127.0.0.1:$iperf_port
frontend web
  bind 127.0.0.1:$b
  default_backend web
backend web
  server s 127.0.0.1:$nginx_port
EOF
  haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
  fwd_pid[haproxy]=$!
  pids+=($!)
  iperf_via[haproxy]=$a nginx_via[haproxy]=$b
}
start_bare() {
  local a b
  cc -O2 -o "$work/bare_relay" bench/bare_relay.c
  a=$(free_port) b=$(free_port)
  "$work/bare_relay" "$a" "$iperf_port" "$workers" splice &
  pids+=($!)
  "$work/bare_relay" "$b" "$nginx_port" "$workers" copy &
  pids+=($!)
  iperf_via[bare]=$a nginx_via[bare]=$b
}
workers=$(( $(nproc) < 4 ? $(nproc) : 4 ))  # portkit's default
start_portkit
start_socat
start_haproxy
start_bare
iperf_via[direct]=$iperf_port
nginx_via[direct]=$nginx_port
for name in portkit socat haproxy bare; do wait_port "${iperf_via[$name]}" && wait_port "${nginx_via[$name]}"; done
# Memory of a process and its children: RSS (shared pages counted in each) and PSS (shared
# pages divided among the sharers), in KiB.
tree_memory() {
  python3 - "$1" <<'PY'
import os, sys
def tree(pid):
    out = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            out += [c for p in open(f"/proc/{pid}/task/{task}/children").read().split() for c in tree(int(p))]
        except OSError:
            pass
    return out
rss = pss = 0
for pid in tree(int(sys.argv[1])):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Rss:"): rss += int(line.split()[1])
            if line.startswith("Pss:"): pss += int(line.split()[1])
    except OSError:
        pass
print(rss, pss)
PY
}

declare -A start_rss
for name in portkit socat haproxy; do read -r start_rss[$name] _ < <(tree_memory "${fwd_pid[$name]}"); done

best() { sort -g | tail -1; }
iperf_gbps() { # port streams; the iperf3 server takes one test at a time: retry when busy
  local attempt json
  for attempt in 1 2 3 4 5; do
    json=$(iperf3 -c 127.0.0.1 -p "$1" -t "$seconds" -P "$2" -J 2>/dev/null || true)
    if python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["end"]["sum_received"]["bits_per_second"]/1e9,2))' \
      "$json" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "iperf3 through port $1 failed: ${json:0:300}" >&2
  echo 0
}
wrk_rps() { # port [header]
  local args=(-t2 -c50 -d"${seconds}s")
  [[ $# -gt 1 ]] && args+=(-H "$2")
  wrk "${args[@]}" "http://127.0.0.1:$1/" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'
}

names=(direct bare portkit socat haproxy)
declare -A result
echo "== throughput and request rate (best of $rounds, ${seconds}s each)"
for name in "${names[@]}"; do
  for streams in 1 8; do
    result[$name,P$streams]=$(for _ in $(seq "$rounds"); do iperf_gbps "${iperf_via[$name]}" "$streams"; done | best)
  done
  result[$name,keepalive]=$(for _ in $(seq "$rounds"); do wrk_rps "${nginx_via[$name]}"; done | best)
  result[$name,close]=$(for _ in $(seq "$rounds"); do wrk_rps "${nginx_via[$name]}" "Connection: close"; done | best)
done
printf '%-8s %14s %14s %16s %16s\n' "" "1 stream Gb/s" "8 streams Gb/s" "keep-alive req/s" "conn-close req/s"
for name in "${names[@]}"; do
  printf '%-8s %8s %5s %8s %5s %10s %5s %10s %5s\n' "$name" \
    "${result[$name,P1]}" "$(ratio "${result[$name,P1]}" "${result[direct,P1]}")" \
    "${result[$name,P8]}" "$(ratio "${result[$name,P8]}" "${result[direct,P8]}")" \
    "${result[$name,keepalive]}" "$(ratio "${result[$name,keepalive]}" "${result[direct,keepalive]}")" \
    "${result[$name,close]}" "$(ratio "${result[$name,close]}" "${result[direct,close]}")"
done
printf '%-8s %14s %14s %16s %16s\n' "portkit/bare" \
  "$(ratio "${result[portkit,P1]}" "${result[bare,P1]}")" "$(ratio "${result[portkit,P8]}" "${result[bare,P8]}")" \
  "$(ratio "${result[portkit,keepalive]}" "${result[bare,keepalive]}")" \
  "$(ratio "${result[portkit,close]}" "${result[bare,close]}")"

echo
echo "== 5,000 idle connections held (through to nginx)"
cat >"$work/hold.py" <<'PY'
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
start = time.monotonic()
held = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    held.append(s)
s = socket.create_connection(("127.0.0.1", port))  # one request proves the path is live
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(100)
print(f"{time.monotonic() - start:.2f}", flush=True)
sys.stdin.read()
PY
# start RSS: just started (one connection each); base: after the runs above, before holding.
printf '%-8s %10s %12s %12s %12s %14s %14s\n' "" "open (s)" "start RSS" "base RSS" "base PSS" "RSS per conn" "PSS per conn"
for name in portkit socat haproxy; do
  read -r rss0 pss0 < <(tree_memory "${fwd_pid[$name]}")
  coproc HOLD { python3 "$work/hold.py" "${nginx_via[$name]}" 5000; }
  read -r opened <&"${HOLD[0]}"
  sleep 1
  read -r rss1 pss1 < <(tree_memory "${fwd_pid[$name]}")
  exec {HOLD[1]}>&-
  wait "$HOLD_PID" 2>/dev/null || true
  printf '%-8s %10s %8s KiB %8s KiB %8s KiB %10s KiB %10s KiB\n' "$name" "$opened" "${start_rss[$name]}" "$rss0" "$pss0" \
    "$(python3 -c "print(round(($rss1-$rss0)/5000,2))")" "$(python3 -c "print(round(($pss1-$pss0)/5000,2))")"
  sleep 1
done

echo
echo "== behaviour (a reset from the server; the reply after a client's half-close)"
reset_peer_port=$( (python3 "$peer" reset & echo $! >"$work/reset.pid") | head -1)
pids+=("$(cat "$work/reset.pid")")
reverse_peer_port=$( (python3 "$peer" late-reverse & echo $! >"$work/reverse.pid") | head -1)
pids+=("$(cat "$work/reverse.pid")")
check_behaviour() { # name via-reset via-reverse
  python3 - "$@" <<'PY'
import socket, struct, sys
name, reset_port, reverse_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", reset_port)); s.settimeout(3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.sendall(b"x")
try:
    reset = "orderly close" if s.recv(10) == b"" else "data"
except ConnectionResetError:
    reset = "ECONNRESET"
except socket.timeout:
    reset = "nothing (timeout)"
payload = bytes(range(256)) * 4096
s = socket.create_connection(("127.0.0.1", reverse_port)); s.settimeout(8)
s.sendall(payload); s.shutdown(socket.SHUT_WR)
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        got += b
except OSError:
    pass
half = "reply intact" if got == payload[::-1] else f"reply lost ({len(got)} of {len(payload)} bytes)"
print(f"{name:8} server reset -> client sees {reset:18} half-close -> {half}")
PY
}
a=$(free_port) b=$(free_port)
"$portkit" forward "$a" "127.0.0.1:$reset_peer_port" "$b" "127.0.0.1:$reverse_peer_port" 2>/dev/null &
pids+=($!)
c=$(free_port) d=$(free_port)
socat "TCP-LISTEN:$c,fork,reuseaddr,bind=127.0.0.1" "TCP:127.0.0.1:$reset_peer_port" 2>/dev/null &
pids+=($!)
socat "TCP-LISTEN:$d,fork,reuseaddr,bind=127.0.0.1" "TCP:127.0.0.1:$reverse_peer_port" 2>/dev/null &
pids+=($!)
e=$(free_port) f=$(free_port)
sed -e "s/127.0.0.1:${iperf_via[haproxy]}/127.0.0.1:$e/; s/127.0.0.1:${nginx_via[haproxy]}/127.0.0.1:$f/" \
  -e "s/127.0.0.1:$iperf_port/127.0.0.1:$reset_peer_port/; s/127.0.0.1:$nginx_port/127.0.0.1:$reverse_peer_port/" \
  "$work/haproxy.cfg" >"$work/haproxy2.cfg"
haproxy -f "$work/haproxy2.cfg" -db >/dev/null 2>&1 &
pids+=($!)
for port in $a $b $c $d $e $f; do wait_port "$port"; done
check_behaviour portkit "$a" "$b"
check_behaviour socat "$c" "$d"
check_behaviour haproxy "$e" "$f"

echo
echo "== UDP: iperf3 -u, ${udp_rate:=1G}b/s offered (delivered Gb/s, loss; best of $rounds)"
# iperf3 keeps its control connection on TCP and sends the datagrams to the same port number:
# each forwarder gets a TCP and a UDP rule on one port.
u=$(free_port)
"$portkit" forward "$u" "127.0.0.1:$iperf_port" "$u/udp" "127.0.0.1:$iperf_port" 2>/dev/null &
pids+=($!)
v=$(free_port)
socat "TCP-LISTEN:$v,fork,reuseaddr,bind=127.0.0.1" "TCP:127.0.0.1:$iperf_port" 2>/dev/null &
pids+=($!)
socat "UDP-LISTEN:$v,fork,reuseaddr,bind=127.0.0.1" "UDP:127.0.0.1:$iperf_port" 2>/dev/null &
pids+=($!)
wait_port "$u"
wait_port "$v"
iperf_udp() { # port datagram-bytes: "delivered-Gb/s loss-%", the most delivered of $rounds runs
  for _ in $(seq "$rounds"); do
    iperf3 -c 127.0.0.1 -p "$1" -u -b "$udp_rate" -l "$2" -t "$seconds" -J 2>/dev/null |
      python3 -c 'import json,sys
try:
    e = json.load(sys.stdin)["end"]["sum"]
    print(round(e["bits_per_second"] * (100 - e["lost_percent"]) / 100 / 1e9, 2), round(e["lost_percent"], 1))
except Exception:
    print(0, 100)'
    sleep 0.3
  done | sort -g | tail -1
}
printf '%-8s %24s %24s\n' "" "1400 B datagrams" "8972 B datagrams"
for name in direct portkit socat; do
  case $name in direct) port=$iperf_port ;; portkit) port=$u ;; socat) port=$v ;; esac
  read -r small_rate small_loss < <(iperf_udp "$port" 1400)
  read -r large_rate large_loss < <(iperf_udp "$port" 8972)
  printf '%-8s %10s Gb/s %5s%% lost %10s Gb/s %5s%% lost\n' "$name" "$small_rate" "$small_loss" \
    "$large_rate" "$large_loss"
done
