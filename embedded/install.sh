#!/bin/sh
# re6st installer, served by a re6st registry:
#
#   curl -fsSL https://REGISTRY/install.sh | sh                     # anonymous registration
#   curl -fsSL https://REGISTRY/install.sh | sh -s -- --token TOKEN
#   curl -fsSL https://REGISTRY/install.sh | sh -s -- --email you@example.org
#
# Checks the system (Linux, x86_64 or aarch64, glibc), installs the re6st binary and the
# openvpn and babeld packages, registers the node (`re6st conf` in /etc/re6stnet) and installs
# and enables the service (systemd or procd). Running it again changes nothing.
#
# Environment (all optional):
#   RE6ST_REGISTRY   registry URL (default: the registry that served this script)
#   RE6ST_ARTIFACTS  where to download re6st-<arch> and the service files (default: registry)
#   RE6ST_TOKEN, RE6ST_EMAIL   same as --token / --email
#   RE6ST_FINGERPRINT  expected CA fingerprint ALG:HEX (default: the serving registry's CA)
#   RE6ST_PREFIX     install under this root directory instead of / (for tests and images);
#                    the service is then enabled (links) but not started
#   RE6ST_INIT       systemd | procd | none: skip init system detection
set -eu

REGISTRY=${RE6ST_REGISTRY:-'@RE6ST_REGISTRY@'}
FINGERPRINT=${RE6ST_FINGERPRINT-'@RE6ST_FINGERPRINT@'}
ROOT=${RE6ST_PREFIX:-}
TOKEN=${RE6ST_TOKEN:-}
EMAIL=${RE6ST_EMAIL:-}
ANONYMOUS=

say() { printf 're6st-install: %s\n' "$*"; }
die() {
	printf 're6st-install: error: %s\n' "$*" >&2
	exit 1
}

usage() {
	cat <<'USAGE'
usage: install.sh [--registry URL] [--anonymous | --token TOKEN | --email ADDR]
USAGE
}

while [ $# -gt 0 ]; do
	case $1 in
	--registry) [ $# -ge 2 ] || die "--registry needs a URL"; REGISTRY=$2; shift 2 ;;
	--token) [ $# -ge 2 ] || die "--token needs a value"; TOKEN=$2; shift 2 ;;
	--email) [ $# -ge 2 ] || die "--email needs an address"; EMAIL=$2; shift 2 ;;
	--anonymous) ANONYMOUS=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done

case $REGISTRY in
http://* | https://*) ;;
*) die "no registry URL: pass --registry URL or set RE6ST_REGISTRY" ;;
esac
REGISTRY=${REGISTRY%/}
case $FINGERPRINT in
@*) FINGERPRINT= ;; # served without one
esac
ARTIFACTS=${RE6ST_ARTIFACTS:-$REGISTRY}
ARTIFACTS=${ARTIFACTS%/}
if [ -n "$ANONYMOUS" ] && { [ -n "$TOKEN" ] || [ -n "$EMAIL" ]; }; then
	die "--anonymous excludes --token and --email"
fi

# --- system checks -------------------------------------------------------------------------

detect_arch() {
	os=$(uname -s)
	[ "$os" = Linux ] || die "unsupported system '$os': re6st runs on Linux only"
	machine=$(uname -m)
	case $machine in
	x86_64 | amd64) ARCH=x86_64 ;;
	aarch64 | arm64) ARCH=aarch64 ;;
	mips*) die "unsupported architecture '$machine': there is no Deno runtime for MIPS (re6st needs x86_64 or aarch64)" ;;
	arm*) die "unsupported architecture '$machine': 32-bit ARM has no Deno runtime (re6st needs x86_64 or aarch64)" ;;
	i?86) die "unsupported architecture '$machine': 32-bit x86 has no Deno runtime (re6st needs x86_64 or aarch64)" ;;
	*) die "unsupported architecture '$machine' (re6st needs x86_64 or aarch64)" ;;
	esac
}

detect_libc() {
	for f in "$ROOT"/lib/ld-musl-*.so.1; do
		[ -e "$f" ] && die "musl libc (Alpine, OpenWrt…) is not supported: the Deno runtime re6st is built on needs glibc"
	done
	if ldd --version 2>&1 | grep -qi musl; then
		die "musl libc (Alpine, OpenWrt…) is not supported: the Deno runtime re6st is built on needs glibc"
	fi
	if getconf GNU_LIBC_VERSION >/dev/null 2>&1 || ldd --version 2>&1 | grep -Eqi 'glibc|gnu libc'; then
		return 0
	fi
	die "could not find glibc on this system (re6st needs glibc)"
}

detect_init() {
	INIT=${RE6ST_INIT:-}
	if [ -z "$INIT" ]; then
		if [ -d /run/systemd/system ] || command -v systemctl >/dev/null 2>&1; then
			INIT=systemd
		elif [ -x /sbin/procd ] || [ -f /etc/rc.common ]; then
			INIT=procd
		else
			INIT=none
		fi
	fi
	case $INIT in
	systemd | procd | none) ;;
	*) die "RE6ST_INIT must be systemd, procd or none (got '$INIT')" ;;
	esac
}

# --- helpers -------------------------------------------------------------------------------

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

fetch() { # URL FILE
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL -o "$2" "$1" || die "download failed: $1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1" || die "download failed: $1"
	else
		die "neither curl nor wget is available"
	fi
}

# put NAME DEST MODE: download NAME from the artifacts URL and install it at DEST unless an
# identical file is already there (CHANGED=1 when something was replaced).
CHANGED=
put() {
	fetch "$ARTIFACTS/$1" "$TMP/$1"
	if [ -f "$2" ] && cmp -s "$TMP/$1" "$2"; then
		say "$2: unchanged"
		return 0
	fi
	mkdir -p "$(dirname "$2")"
	chmod "$3" "$TMP/$1"
	mv -f "$TMP/$1" "$2.new"
	mv -f "$2.new" "$2"
	CHANGED=1
	say "$2: installed"
}

# link TARGET LINK: create a symbolic link unless it already points there.
link() {
	if [ "$(readlink "$2" 2>/dev/null || true)" = "$1" ]; then
		say "$2: unchanged"
		return 0
	fi
	mkdir -p "$(dirname "$2")"
	ln -sfn "$1" "$2"
	say "$2: linked"
}

have() { command -v "$1" >/dev/null 2>&1; }

install_packages() {
	if have openvpn && have babeld; then
		say "openvpn and babeld: already installed"
		return 0
	fi
	if have apt-get; then
		say "installing openvpn and babeld with apt-get"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=120 \
			openvpn babeld iproute2 openssl >/dev/null || die "apt-get install failed"
		# Debian starts a system-wide babeld; re6st runs its own, which needs UDP 6696.
		if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
			systemctl disable --now babeld.service >/dev/null 2>&1 || true
		fi
	elif have apk; then
		say "installing openvpn and babeld with apk"
		apk add --no-cache openvpn babeld iproute2 openssl >/dev/null || die "apk add failed"
	elif have opkg; then
		say "installing openvpn and babeld with opkg"
		{ opkg update >/dev/null && opkg install openvpn-openssl babeld ip-full openssl-util >/dev/null; } ||
			die "opkg install failed"
	else
		die "openvpn and babeld are missing and no known package manager (apt-get, apk, opkg) was found"
	fi
}

register() {
	dir=$ROOT/etc/re6stnet
	mkdir -p "$dir"
	if [ -f "$dir/re6stnet.conf" ] && [ -f "$dir/cert.crt" ]; then
		say "$dir: node already registered"
		return 0
	fi
	say "registering with $REGISTRY"
	# The CA fingerprint pins the registry's CA (re6st conf aborts on a mismatch).
	set -- conf --registry "$REGISTRY"
	[ -z "$FINGERPRINT" ] || set -- "$@" --fingerprint "$FINGERPRINT"
	if [ -n "$TOKEN" ]; then
		(cd "$dir" && "$BIN" "$@" --token "$TOKEN")
	elif [ -n "$EMAIL" ]; then
		# The token arrives by mail and is typed in: read it from the terminal, not the pipe.
		[ -r /dev/tty ] || die "--email needs a terminal to type the token in; use --token"
		(cd "$dir" && "$BIN" "$@" --email "$EMAIL" </dev/tty)
	else
		(cd "$dir" && "$BIN" "$@" --anonymous)
	fi || die "registration failed (re6st conf)"
}

install_service() {
	case $INIT in
	systemd)
		put re6st-node.service "$ROOT/etc/systemd/system/re6st-node.service" 644
		link /etc/systemd/system/re6st-node.service \
			"$ROOT/etc/systemd/system/multi-user.target.wants/re6st-node.service"
		put re6st.logrotate "$ROOT/etc/logrotate.d/re6st" 644
		if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
			# restart only when a file changed (e.g. a new binary); start is a no-op if running
			systemctl daemon-reload
			systemctl "${CHANGED:+re}start" re6st-node.service
			say "re6st-node.service ${CHANGED:+re}started"
		fi
		;;
	procd)
		put re6st.init "$ROOT/etc/init.d/re6st" 755
		if [ ! -f "$ROOT/etc/config/re6st" ]; then
			put re6st.config "$ROOT/etc/config/re6st" 644
		else
			say "$ROOT/etc/config/re6st: kept"
		fi
		put re6st.keep "$ROOT/lib/upgrade/keep.d/re6st" 644
		link ../init.d/re6st "$ROOT/etc/rc.d/S99re6st"
		link ../init.d/re6st "$ROOT/etc/rc.d/K10re6st"
		if [ -z "$ROOT" ]; then
			/etc/init.d/re6st "${CHANGED:+re}start"
			say "re6st ${CHANGED:+re}started"
		fi
		;;
	none)
		say "no supported init system found: start the node with 're6st node @re6stnet.conf' in /etc/re6stnet"
		;;
	esac
}

# --- main ----------------------------------------------------------------------------------

detect_arch
detect_libc
detect_init
say "system: Linux $ARCH glibc, init: $INIT${ROOT:+, root: $ROOT}"
BIN=$ROOT/usr/local/bin/re6st
put "re6st-$ARCH" "$BIN" 755
install_packages
register
install_service
say "done"
