#!/usr/bin/env bash
# Service identification against its anchors, in one run, on real servers on loopback:
#   1. scan --service over redis, memcached, sshd, PostgreSQL, mosquitto, nginx (HTTP, TLS,
#      HTTP/2) and openssl s_server against nmap -sT -sV on the same ports: wall, CPU, and the
#      names each gives (they must agree; a written mapping where nmap has no name);
#   2. the TLS facts of 20 ports: one `portkit check --tls` against 20 `openssl s_client` runs;
#   3. blackbox_exporter's TLS probe of those 20 ports (20 /probe requests) against one scrape of
#      `portkit exporter --probe ... --probe-tls`, with the expiry each reports;
#   4. `portkit lookup` start-up against `getent services` (OpenSSL is loaded only for TLS).
# Needs root (sshd, PostgreSQL as its user) and scripts/install-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
portkit=${PORTKIT:-build/dev/portkit}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
work=$(mktemp -d)
chmod 777 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.05; done; echo "nothing on $1" >&2; exit 3; }

tests/tools/make-cert "$work" server 20250101000000Z 20351231000000Z
redis=$(free_port); redis-server --port "$redis" --bind 127.0.0.1 --save "" --daemonize no >/dev/null & pids+=($!)
memcached=$(free_port); memcached -u nobody -l 127.0.0.1 -p "$memcached" -U 0 & pids+=($!)
ssh=$(free_port); ssh-keygen -q -t ed25519 -N "" -f "$work/hostkey"; mkdir -p /run/sshd
/usr/sbin/sshd -D -f /dev/null -h "$work/hostkey" -p "$ssh" -o ListenAddress=127.0.0.1 -o PidFile=none & pids+=($!)
pg=$(free_port); pgbin=$(ls -d /usr/lib/postgresql/*/bin | head -1)
setpriv --reuid=postgres --regid=postgres --clear-groups -- "$pgbin/initdb" -D "$work/pg" -A trust -N >/dev/null
setpriv --reuid=postgres --regid=postgres --clear-groups -- "$pgbin/postgres" -D "$work/pg" -p "$pg" -k "$work" \
  -c listen_addresses=127.0.0.1 2>/dev/null & pids+=($!)
mqtt=$(free_port); printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mqtt" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" 2>/dev/null & pids+=($!)
s_server=$(free_port)
openssl s_server -accept "127.0.0.1:$s_server" -cert "$work/server.pem" -key "$work/server.key" -www -quiet & pids+=($!)
http=$(free_port); https=$(free_port); h2=$(free_port)
tls="ssl_certificate $work/server.pem; ssl_certificate_key $work/server.key; location / { return 200 tls; } }"
tls_ports=()
tls_servers=""
for _ in $(seq 20); do p=$(free_port); tls_ports+=("$p"); tls_servers+="server { listen 127.0.0.1:$p ssl; $tls
"; done
cat >"$work/nginx.conf" <<CONF
daemon off; master_process off; pid $work/nginx.pid; error_log $work/nginx.err;
events {}
http { access_log off;
server { listen 127.0.0.1:$http; location / { return 200 hello; } }
server { listen 127.0.0.1:$https ssl; $tls
server { listen 127.0.0.1:$h2 ssl http2; $tls
$tls_servers}
CONF
nginx -c "$work/nginx.conf" -e "$work/nginx.err" & pids+=($!)
ports=($redis $memcached $ssh $pg $mqtt $s_server $http $https $h2)
for p in "${ports[@]}" "${tls_ports[@]}"; do wait_port "$p"; done
list=$(IFS=,; echo "${ports[*]}")

echo "== scan --service against nmap -sV: ${#ports[@]} ports on 127.0.0.1"
read -r ours_wall ours_cpu _ < <(measure "$portkit" scan 127.0.0.1 -p "$list" -sV -oX "$work/ours.xml")
read -r nmap_wall nmap_cpu _ < <(measure nmap -sT -sV -Pn -n -p "$list" 127.0.0.1 -oX "$work/nmap.xml")
python3 - "$work/ours.xml" "$work/nmap.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
def services(path):
    out = {}
    for port in ET.parse(path).iter("port"):
        s = port.find("service")
        name = "" if s is None else s.get("name", "")
        if s is not None and s.get("tunnel") == "ssl": name = "ssl/" + name
        product = "" if s is None else s.get("product", "")
        out[int(port.get("portid"))] = (name, product)
    return out
ours, nmap = services(sys.argv[1]), services(sys.argv[2])
unnamed = {"": "mqtt", "unknown": "mqtt"}  # nmap 7.93 has no name for mosquitto off 1883
agree = 0
for port in sorted(ours):
    o, n = ours[port], nmap.get(port, ("", ""))
    same = o[0] == n[0] or unnamed.get(n[0]) == o[0]
    agree += same
    print(f"  {port:>5}  portkit {o[0]+' '+o[1]:<42} nmap {n[0]+' '+n[1]:<42} {'same' if same else 'DIFFERENT'}")
print(f"  names agree on {agree} of {len(ours)} ports")
PY
echo "  portkit: wall ${ours_wall} s, cpu ${ours_cpu} s"
echo "  nmap -sV: wall ${nmap_wall} s, cpu ${nmap_cpu} s"
echo "  speed: nmap/portkit wall $(ratio "$nmap_wall" "$ours_wall"), cpu $(ratio "$nmap_cpu" "$ours_cpu")  (goal: >= 20x)"

echo "== TLS facts of ${#tls_ports[@]} ports: one portkit check --tls against ${#tls_ports[@]} openssl s_client runs"
endpoints=(); for p in "${tls_ports[@]}"; do endpoints+=("127.0.0.1:$p"); done
read -r ours_wall ours_cpu _ < <(measure "$portkit" check --tls --json "${endpoints[@]}")
cat >"$work/s_client.sh" <<'SH'
for endpoint in "$@"; do openssl s_client -connect "$endpoint" </dev/null 2>/dev/null | openssl x509 -noout -subject -enddate >/dev/null; done
SH
read -r ssl_wall ssl_cpu _ < <(measure bash "$work/s_client.sh" "${endpoints[@]}")
echo "  portkit: wall ${ours_wall} s, cpu ${ours_cpu} s; openssl s_client + x509: wall ${ssl_wall} s, cpu ${ssl_cpu} s"
echo "  speed: openssl/portkit wall $(ratio "$ssl_wall" "$ours_wall"), cpu $(ratio "$ssl_cpu" "$ours_cpu")"

echo "== blackbox_exporter's tls_connect probe of ${#tls_ports[@]} ports against one portkit exporter scrape"
if command -v prometheus-blackbox-exporter >/dev/null; then
  cat >"$work/blackbox.yml" <<'YML'
modules:
  tls_connect:
    prober: tcp
    timeout: 5s
    tcp:
      tls: true
      tls_config:
        insecure_skip_verify: true
YML
  blackbox=$(free_port)
  prometheus-blackbox-exporter --config.file="$work/blackbox.yml" \
    --web.listen-address="127.0.0.1:$blackbox" >/dev/null 2>&1 & pids+=($!)
  exporter=$(free_port)
  probes=(); for p in "${tls_ports[@]}"; do probes+=(--probe "127.0.0.1:$p"); done
  "$portkit" exporter --listen "127.0.0.1:$exporter" --min-interval 0s --probe-tls "${probes[@]}" \
    >/dev/null 2>&1 & pids+=($!)
  wait_port "$blackbox"; wait_port "$exporter"
  curl -s "http://127.0.0.1:$blackbox/probe?target=127.0.0.1:${tls_ports[0]}&module=tls_connect" >/dev/null
  curl -s "http://127.0.0.1:$exporter/metrics" >/dev/null  # both warm
  cat >"$work/blackbox.sh" <<'SH'
port=$1; shift
for target in "$@"; do curl -s "http://127.0.0.1:$port/probe?target=127.0.0.1:$target&module=tls_connect" >/dev/null; done
SH
  start=$(date +%s.%N)
  bash "$work/blackbox.sh" "$blackbox" "${tls_ports[@]}"
  blackbox_wall=$(echo "$(date +%s.%N) - $start" | bc)
  start=$(date +%s.%N)
  curl -s "http://127.0.0.1:$exporter/metrics" >"$work/portkit.prom"
  portkit_wall=$(echo "$(date +%s.%N) - $start" | bc)
  theirs=$(curl -s "http://127.0.0.1:$blackbox/probe?target=127.0.0.1:${tls_ports[0]}&module=tls_connect" |
    awk '/^probe_ssl_earliest_cert_expiry/ {printf "%.0f", $2}')
  ours=$(awk -v e="127.0.0.1:${tls_ports[0]}" '$0 ~ "^portkit_probe_tls_cert_not_after_seconds\\{endpoint=\"" e "\"" {print $2}' "$work/portkit.prom")
  echo "  expiry of 127.0.0.1:${tls_ports[0]}: blackbox_exporter $theirs, portkit $ours $([[ $theirs == "$ours" ]] && echo same || echo DIFFERENT)"
  echo "  20 blackbox /probe requests: wall ${blackbox_wall} s; one portkit scrape of 20 probes: wall ${portkit_wall} s"
  echo "  speed: blackbox/portkit wall $(ratio "$blackbox_wall" "$portkit_wall")"
else
  echo "  prometheus-blackbox-exporter is not installed (scripts/install-deps)"
fi

echo "== lookup start-up (OpenSSL is not loaded unless a TLS handshake is made)"
runs=200
echo "  portkit lookup 5432 $(median_ms "$portkit lookup 5432") ms; getent services 5432 $(median_ms "getent services 5432") ms"
