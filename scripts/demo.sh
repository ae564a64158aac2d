#!/usr/bin/env bash
# Runs `re6st demo` (needs root: it builds namespaces), installing what it needs first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
. "$root/scripts/env.sh"
cd "$root"
exec deno run -A main.ts demo "$@"
