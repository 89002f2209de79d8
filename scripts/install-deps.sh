#!/usr/bin/env bash
# Install the Debian packages the build needs, and only those that are missing.
# Idempotent and fast when everything is present (one dpkg-query per package,
# no apt-get at all). Parts beyond the core list their packages in scripts/deps.d/.
#
# Usage: scripts/install-deps.sh [--check]
#   --check   only report missing packages; exit 1 if any are missing.
# Extra packages can be requested with HDEVENT_DEPS_EXTRA="pkg1 pkg2".
#
# Sanitizer runtimes (libasan8, libubsan1, liblsan0, libtsan2) need no entry:
# gcc -> gcc-12 -> libgcc-12-dev depends on all of them.
set -euo pipefail

HDEVENT_DEPS="cmake gcc make libc6-dev binutils libcmocka-dev pkg-config"
# clang + its runtime (libFuzzer, ASan/UBSan for clang): tests/fuzz/run.sh.
HDEVENT_DEPS="$HDEVENT_DEPS clang libclang-rt-14-dev"
# Each part that needs more brings a list: scripts/deps.d/<part>.list, package names
# separated by blanks or newlines, '#' starts a comment.
for list in "$(dirname "$0")"/deps.d/*.list; do
    [ -e "$list" ] || continue
    HDEVENT_DEPS="$HDEVENT_DEPS $(sed 's/#.*//' "$list" | tr '\n' ' ')"
done

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

missing=()
for pkg in $HDEVENT_DEPS ${HDEVENT_DEPS_EXTRA:-}; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [ "$check_only" -eq 1 ]; then
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps: not root and sudo is not available; install as root:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: installed: ${missing[*]}"
