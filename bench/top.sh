#!/usr/bin/env bash
# portkit top against ss -tanpi, on hosts holding 1,000, 5,000 and 20,000 established loopback
# pairs (2k, 10k, 40k sockets; bench/lib.sh's hold_pairs), all in one run.
#
# One refresh of top reads what ss -tanpi prints once (every TCP socket with its tcp_info, and
# the owners) and folds it into per-port rates. Its CPU per refresh is measured as the
# difference of two runs of `top --json` that differ only in their number of refreshes, so
# start-up and the first /proc walk are not in it; ss's CPU is one whole run (median of 15).
# Goal: a refresh at 40k sockets costs <= 50 ms of CPU.
#
# Then memory over time: `portkit top` on its real screen (in tmux) at 40k sockets for
# DURATION seconds (default 600: ten minutes of refreshes at the default 1 s), its resident
# memory read every 30 s. Goal: flat.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=$(realpath "${PORTKIT:-build/dev/portkit}")
sizes=${SIZES:-"1000 5000 20000"}
duration=${DURATION:-600}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
for tool in ss python3 tmux; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done
source bench/lib.sh

# cpu_of COMMAND...: "user system" seconds of one run.
cpu_of() {
  python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{usage.ru_utime:.4f} {usage.ru_stime:.4f}")' "$@"
}

# The CPU per refresh, "total user system" in ms: (41 refreshes - 1) / 40, the median total of
# 3 such pairs. The system part is the kernel answering the dump: a floor no reader avoids.
top_refresh_ms() {
  local samples=()
  for _ in 1 2 3; do
    local few many
    few=$(cpu_of "$portkit" top --json -n 1 --interval 50ms)
    many=$(cpu_of "$portkit" top --json -n 41 --interval 50ms)
    samples+=("$(python3 -c "
fu, fs = $(echo "$few" | tr ' ' ,); mu, ms = $(echo "$many" | tr ' ' ,)
u, s = (mu - fu) / 40 * 1000, (ms - fs) / 40 * 1000
print(f'{u + s:.1f} {u:.1f} {s:.1f}')")")
  done
  printf '%s\n' "${samples[@]}" | sort -g | sed -n 2p
}

# One run of a command, "total user system" in ms, the median total of 15.
run_ms() {
  local samples=()
  for _ in $(seq 15); do
    samples+=("$(cpu_of "$@" | awk '{printf "%.1f %.1f %.1f\n", ($1 + $2) * 1000, $1 * 1000, $2 * 1000}')")
  done
  printf '%s\n' "${samples[@]}" | sort -g | sed -n 8p
}

echo "portkit top: CPU per refresh against ss -tanpi (one run), same sockets"
for pairs in $sizes; do
  hold_pairs "$pairs" 3600
  sleep 3  # let the set-up settle (its TIME_WAIT, the holders' last allocations)
  sockets=$(ss -tanH | wc -l)
  read -r top_ms top_user top_sys < <(top_refresh_ms)
  read -r ss_ms ss_user ss_sys < <(run_ms ss -tanpi)
  read -r ssi_ms ssi_user ssi_sys < <(run_ms ss -tani)
  top_wall=$(measure "$portkit" top --once --json --interval 50ms | awk '{print $1 * 1000 - 50}')
  ss_wall=$(measure ss -tanpi | awk '{print $1 * 1000}')
  printf '  %6s TCP sockets: top %6.1f ms CPU per refresh (user %s, kernel %s), ss -tanpi %6.1f ms (user %s, kernel %s): ratio %s\n' \
    "$sockets" "$top_ms" "$top_user" "$top_sys" "$ss_ms" "$ss_user" "$ss_sys" "$(ratio "$ss_ms" "$top_ms")"
  printf '                      without owners: ss -tani %.1f ms (user %s, kernel %s); wall: top --once %.1f ms beyond its interval, ss -tanpi %.1f ms\n' \
    "$ssi_ms" "$ssi_user" "$ssi_sys" "$top_wall" "$ss_wall"
  last_size=$sockets
  if [[ $pairs != "${sizes##* }" ]]; then
    kill "${holders[@]}" 2>/dev/null || true
    wait "${holders[@]}" 2>/dev/null || true
    rm -rf "$holder_dir"
    # Their connections linger in TIME_WAIT for 60 s; the next size is measured without them.
    sleep 65
  fi
done
goal=$(python3 -c "print('met' if $top_ms <= 50 else 'NOT met')")
echo "  goal (<= 50 ms per refresh at the largest size, $last_size sockets): $goal;" \
  "the kernel's part alone is $top_sys ms (ss -tani's: $ssi_sys ms)"

if ((duration == 0)); then
  kill "${holders[@]}" 2>/dev/null || true
  rm -rf "$holder_dir"
  exit 0
fi
echo "portkit top on its screen for ${duration}s at $last_size sockets: resident memory (KiB)"
session=pktopbench$$
tmux new-session -d -s "$session" -x 160 -y 50 "TERM=xterm $portkit top"
sleep 2
pid=$(pgrep -f -n "$portkit top" || true)
[[ -n $pid ]] || { echo "top did not start" >&2; tmux kill-session -t "$session"; exit 1; }
readings=()
for ((elapsed = 0; elapsed <= duration; elapsed += 30)); do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  readings+=("$rss")
  printf '  %4ss %8s KiB\n' "$elapsed" "$rss"
  ((elapsed + 30 <= duration)) && sleep 30
done
cpu_ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
tmux kill-session -t "$session"
python3 - "$duration" "$cpu_ticks" "$(getconf CLK_TCK)" "${readings[@]}" <<'PY'
import sys
duration, ticks, hz = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
readings = [int(x) for x in sys.argv[4:]]
after_first_minute = readings[2:] if len(readings) > 3 else readings
growth = max(after_first_minute) - after_first_minute[0]
print(f"  first {readings[0]} KiB, after a minute {after_first_minute[0]} KiB, "
      f"largest {max(readings)} KiB, last {readings[-1]} KiB: "
      f"{growth} KiB growth after the first minute ({'flat' if growth <= 512 else 'GROWING'})")
print(f"  CPU over the run: {ticks / hz:.1f} s in {duration:.0f} s "
      f"({ticks / hz / duration * 100:.1f} % of one core)")
PY
kill "${holders[@]}" 2>/dev/null || true
rm -rf "$holder_dir"
