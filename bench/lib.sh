# Shared by the bench scripts (sourced, not run).

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ratio NUMERATOR DENOMINATOR: NUMERATOR/DENOMINATOR as "12.34x". A denominator below the
# measurement's resolution (a run under 5 ms timed to 10 ms) says so instead of dividing by 0.
ratio() {
  python3 -c '
import sys
n, d = float(sys.argv[1]), float(sys.argv[2])
print(f"{n / d:.2f}x" if d > 0 else "n/a (too fast to time)")' "$1" "$2"
}

# measure COMMAND...: one run, as "wall_s cpu_s peak_kb" (cpu = user + system of the command
# and its children, so a multi-threaded tool and a single-threaded one compare fairly).
measure() {
  python3 -c '
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.4f} {usage.ru_utime + usage.ru_stime:.4f} {usage.ru_maxrss}")' "$@"
}

# median_ms [HYPERFINE OPTIONS...] COMMAND: hyperfine's median of one command, in ms.
median_ms() {
  local report
  report=$(mktemp)
  hyperfine -N --warmup "${WARMUP:-3}" --runs "$runs" --export-json "$report" "$@" >/dev/null 2>&1
  python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.2f" % (r["median"] * 1000))' "$report"
  rm -f "$report"
}

# hold_pairs PAIRS SECONDS: established loopback pairs in processes of at most 5,000 pairs
# (one process may hold 20,000 fds here), the first also with 200 listeners and 100 UDP
# sockets. Sets holders (pids), holder_dir (remove it when done) and held_port (the first
# process's listening port, which has PAIRS/processes connections).
hold_pairs() {
  local remaining=$1 seconds=$2 index=0 chunk extra_listeners extra_udp keep
  holders=()
  holder_dir=$(mktemp -d)
  while ((remaining > 0)); do
    chunk=$((remaining > 5000 ? 5000 : remaining))
    extra_listeners=0; extra_udp=0
    ((index == 0)) && extra_listeners=200 && extra_udp=100
    mkfifo "$holder_dir/in$index"
    python3 bench/hold_sockets.py "$chunk" "$extra_listeners" "$extra_udp" "$seconds" \
      <"$holder_dir/in$index" >"$holder_dir/out$index" &
    holders+=($!)
    exec {keep}>"$holder_dir/in$index"
    remaining=$((remaining - chunk)); index=$((index + 1))
  done
  for i in $(seq 0 $((index - 1))); do
    until grep -q ready "$holder_dir/out$i" 2>/dev/null; do sleep 0.1; done
  done
  held_port=$(awk '{print $2}' "$holder_dir/out0")
}
