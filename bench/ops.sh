#!/usr/bin/env bash
# portkit free and audit against what people run today, in one run (medians, hyperfine):
#   free            vs the shell idiom (ss | comm | shuf) and python's bind-to-port-0
#   free --near P   vs a loop of `nc -z` upward from P (P and the next 20 ports held)
#   audit (host)    vs `ss -tulpn`, the listing an admin audits by eye
#   audit --compose vs parsing the same file with python3's yaml (PyYAML), when present
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
runs=${RUNS:-30}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in hyperfine python3 ss nc; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done

source bench/lib.sh

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# 21 consecutive ports held, so --near has to search.
base=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=$(( base > 60000 ? 20000 : base ))
python3 - "$base" <<'PY' &
import socket, sys, time
held = []
for port in range(int(sys.argv[1]), int(sys.argv[1]) + 21):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(); held.append(s)
time.sleep(120)
PY
sleep 0.5

cat >"$work/idiom.sh" <<'SH'
comm -23 <(seq 1024 65535 | sort) <(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u) | shuf -n 1
SH
cat >"$work/near.sh" <<SH
for p in \$(seq $base $((base + 100))); do nc -z 127.0.0.1 \$p 2>/dev/null || { echo \$p; break; }; done
SH
free_ms=$(median_ms "$portkit free")
idiom_ms=$(median_ms "bash $work/idiom.sh")
python_ms=$(median_ms "python3 -c 'import socket; s=socket.socket(); s.bind((\"\",0)); print(s.getsockname()[1])'")
near_ms=$(median_ms "$portkit free --near $base")
nc_ms=$(median_ms "bash $work/near.sh")
echo "== free (one port)"
printf '  portkit free          %7s ms   ss|comm|shuf idiom %7s ms (%s)   python bind(0) %7s ms (%s)\n' \
  "$free_ms" "$idiom_ms" "$(ratio "$idiom_ms" "$free_ms")" "$python_ms" "$(ratio "$python_ms" "$free_ms")"
printf '  portkit free --near  %7s ms   nc -z loop %7s ms (%s)   nearest either side %s, nc (upward) %s\n' \
  "$near_ms" "$nc_ms" "$(ratio "$nc_ms" "$near_ms")" "$("$portkit" free --near "$base")" "$(bash "$work/near.sh")"

cat >"$work/compose.yml" <<'YML'
services:
YML
for i in $(seq 1 200); do
  printf '  svc%d:\n    image: example/app\n    ports:\n      - "%d:80"\n      - "127.0.0.1:%d:5432"\n' \
    "$i" $((20000 + i)) $((25000 + i)) >>"$work/compose.yml"
done
audit_ms=$(median_ms -i "$portkit audit")
ss_ms=$(median_ms "ss -tulpn")
compose_ms=$(median_ms -i "$portkit audit --compose $work/compose.yml")
echo "== audit"
printf '  portkit audit (host)     %7s ms   ss -tulpn %7s ms (%s)\n' "$audit_ms" "$ss_ms" "$(ratio "$ss_ms" "$audit_ms")"
if python3 -c 'import yaml' 2>/dev/null; then
  yaml_ms=$(median_ms "python3 -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))' $work/compose.yml")
  printf '  portkit audit --compose  %7s ms   python3 yaml.safe_load alone %7s ms (%s)   (400 ports)\n' \
    "$compose_ms" "$yaml_ms" "$(ratio "$yaml_ms" "$compose_ms")"
else
  printf '  portkit audit --compose  %7s ms   (python3-yaml absent: no anchor)\n' "$compose_ms"
fi
