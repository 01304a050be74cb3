#!/bin/sh
# tools/setup.sh - make this checkout ready to use on Debian 12:
#   1. install the Debian packages listed in tools/debian-packages.txt that are
#      missing (apt-get; as root, or through sudo),
#   2. generate the build system (./bootstrap) if needed,
#   3. configure (once; extra flags from $SEGREP_CONFIGURE_FLAGS),
#   4. build with all cores.
# It is idempotent: a second run only rebuilds what changed. It is the first
# half of both README commands.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

say() { printf 'setup: %s\n' "$*" >&2; }

# --- 1. packages
missing=
for pkg in $(sed -e 's/#.*//' tools/debian-packages.txt); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=
    elif command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        say "missing Debian packages:$missing (run as root, or install them)"
        exit 1
    fi
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# --- 2. build system
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    say "bootstrapping"
    ./bootstrap >/dev/null 2>&1 || { ./bootstrap; exit 1; }
fi

# --- 3. configure
if [ ! -f Makefile ] || [ ! -f config.status ]; then
    say "configuring ${SEGREP_CONFIGURE_FLAGS:-}"
    # shellcheck disable=SC2086
    ./configure -q ${SEGREP_CONFIGURE_FLAGS:-}
fi

# --- 4. build
jobs=$(nproc 2>/dev/null || echo 2)
say "building with $jobs jobs"
make -s -j"$jobs"
say "ready: ./segrep"
