# Shared by the bench scripts (sourced, not run).

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
