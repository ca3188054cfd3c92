#!/usr/bin/env bash
# Start-to-exit time of `portkit lookup 5432` against its anchor `getent services 5432`
# (and `true`, the cost of exec itself on this machine),
# measured side by side in one hyperfine run; prints medians and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
portkit=${PORTKIT:-build/dev/portkit}
runs=${RUNS:-300}
[[ -x $portkit ]] || { echo "build first: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine missing: scripts/install-deps" >&2; exit 2; }

report=$(mktemp)
trap 'rm -f "$report"' EXIT
hyperfine -N --warmup 20 --runs "$runs" --export-json "$report" \
  "$portkit lookup 5432" "getent services 5432" "true" >/dev/null 2>&1
python3 - "$report" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
median = {r["command"].split()[0].rsplit("/", 1)[-1]: r["median"] * 1000 for r in results}
ours, anchor, floor = median["portkit"], median["getent"], median["true"]
print(f"portkit lookup 5432   median {ours:.3f} ms")
print(f"getent services 5432  median {anchor:.3f} ms")
print(f"true (exec floor)     median {floor:.3f} ms")
print(f"ratio portkit/getent  {ours / anchor:.2f}  (goal: <= 1.00)")
print(f"above the exec floor  portkit {ours - floor:.3f} ms, getent {anchor - floor:.3f} ms")
PY
