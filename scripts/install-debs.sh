#!/bin/sh
# Installs the Debian packages the tests and the demo need, once, without a terminal.
# Usage: scripts/install-debs.sh PKG...   (does nothing when all are present)
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-debs: not root, cannot install:$missing (tests that need them will skip)" >&2
    exit 0
fi
echo "install-debs: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
