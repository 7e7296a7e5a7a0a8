#!/bin/sh
# Installs the Debian packages sirt needs, and only those that are missing.
# Idempotent; run as root (or with sudo available) on Debian 12.
#   sh scripts/install-deps.sh          build and run
#   sh scripts/install-deps.sh --test   also everything `make check` uses
set -eu

BUILD_PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
libpq-dev libsodium-dev libcurl4-openssl-dev libcmark-dev libcairo2-dev libpango1.0-dev
libzip-dev fonts-dejavu-core fonts-wqy-microhei"
TEST_PKGS="libcmocka-dev postgresql sqlite3 python3 python3-pytest python3-jsonschema tidy
poppler-utils chromium wrk curl unzip opensmtpd prometheus-alertmanager"

want="$BUILD_PKGS"
if [ "${1:-}" = "--test" ]; then
	want="$want $TEST_PKGS"
	command -v node >/dev/null 2>&1 || want="$want nodejs npm"
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Test servers (PostgreSQL, SMTP, Alertmanager) are started by the tests on
# loopback, never as system services: forbid service starts while installing.
added_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	added_policy=1
fi
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
[ -n "$added_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
[ "${rc:-0}" = 0 ] || { echo "install-deps: apt-get install failed" >&2; exit 1; }
echo "install-deps: done"
