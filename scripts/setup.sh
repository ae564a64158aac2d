#!/usr/bin/env bash
# Installs what re6st needs on a Debian machine: pinned Deno (npm), and, as root,
# the system programs (openvpn, babeld, iproute2, iptables, miniupnpd, openssl, aiosmtpd) and
# test tools (shellcheck, xmllint, logrotate, the Prometheus text parser, Chromium for the admin
# page test, driven by npm playwright-core which never downloads a browser).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/env.sh"
if [ ! -x "$root/tools/deno/node_modules/.bin/deno" ]; then
  echo "setup: installing Deno from npm (tools/deno)"
  npm ci --prefer-offline --no-audit --no-fund --prefix "$root/tools/deno" >/dev/null
fi
need=()
for pair in openvpn:openvpn babeld:babeld ip:iproute2 iptables:iptables miniupnpd:miniupnpd \
  openssl:openssl ping:iputils-ping shellcheck:shellcheck xmllint:libxml2-utils \
  logrotate:logrotate nft:nftables curl:curl systemd-analyze:systemd ss:iproute2 \
  chromium:chromium; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || need+=(python3-prometheus-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]} (run as root to install them)" >&2
  else
    echo "setup: apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
cd "$root" && deno install --frozen >/dev/null 2>&1 || (cd "$root" && deno install)
