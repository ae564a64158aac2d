# Sourced by project scripts: pinned Deno on PATH and quiet, offline-friendly settings.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/tools/deno/node_modules/.bin:$PATH"
export DENO_TLS_CA_STORE=system RUST_BACKTRACE=0 NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
