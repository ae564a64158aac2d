#!/usr/bin/env bash
# The whole test suite: installs what it needs, then fmt/lint/type checks and every test
# (unit, end-to-end, and — as root — namespaced network tests). Last line: "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh || { echo "setup failed"; echo "re6st: 0 passed, 1 failed"; exit 1; }
. scripts/env.sh

passed=0 failed=0
step() { # name, command...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "== $name: ok"
  else failed=$((failed + 1)); echo "== $name: FAILED"; fi
}
step "deno fmt --check" deno fmt --check
step "deno lint" deno lint
step "deno check" deno check

out=$(mktemp)
deno test -A --no-check "$@" tests/ 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$out" | tail -n 1)
rm -f "$out"
if [ -n "$summary" ]; then
  p=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
  f=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
  passed=$((passed + p)); failed=$((failed + f))
fi
if [ "$rc" -ne 0 ] && { [ -z "$summary" ] || [ "${f:-0}" -eq 0 ]; }; then
  failed=$((failed + 1)); echo "== deno test exited with status $rc"
fi
echo "re6st: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
