#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian 12 packages that the parts asked for need, and only those that are missing.
# Idempotent and fast when everything is present (one dpkg-query per package, no apt-get at all).
#
# Usage: scripts/install-deps.sh [--check] [PART...]
#   PART      build   building and installing the libraries and the tool (`make install`)
#             test    the unit, conformance, fuzz and consumer tests of the plain build
#             deb     building the Debian packages (`make deb`)
#             e2e     the end-to-end tests: the emulators (Bochs, QEMU, Wine), Debian's kernel
#                     headers, the MSVC toolchain check, the package test
#             or one list of a part, e.g. e2e/bochs. No PART: every part.
#   --check   only report missing packages; exit 1 if any are missing.
# Extra packages can be requested with HDEVENT_DEPS_EXTRA="pkg1 pkg2".
#
# A part is a folder scripts/deps.d/<part>/ of lists (<name>.list: package names separated by
# blanks or newlines, '#' starts a comment). The Makefile says which parts each target needs.
#
# Sanitizer runtimes (libasan8, libubsan1, liblsan0, libtsan2) need no entry:
# gcc -> gcc-12 -> libgcc-12-dev depends on all of them.
set -euo pipefail

deps_dir=$(cd "$(dirname "$0")/deps.d" && pwd)
all_parts="build test deb e2e"

check_only=0
parts=()
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        -*) echo "usage: $0 [--check] [PART...]   (parts: $all_parts, or PART/LIST)" >&2; exit 2 ;;
        *) parts+=("$arg") ;;
    esac
done
[ ${#parts[@]} -gt 0 ] || read -r -a parts <<<"$all_parts"

# A list outside every part would be silently skipped by every target: refuse it.
for list in "$deps_dir"/*.list; do
    [ -e "$list" ] || continue
    echo "install-deps: scripts/deps.d/$(basename "$list") belongs to no part:" \
         "move it into one of scripts/deps.d/{${all_parts// /,}}/" >&2
    exit 2
done

lists=()
for part in "${parts[@]}"; do
    if [ -d "$deps_dir/$part" ] && [[ $part != */* ]]; then
        for list in "$deps_dir/$part"/*.list; do
            [ -e "$list" ] && lists+=("$list")
        done
    elif [[ $part == */* ]] && [ -f "$deps_dir/$part.list" ]; then
        lists+=("$deps_dir/$part.list")
    else
        echo "install-deps: unknown part '$part' (parts: $all_parts, or PART/LIST such as" \
             "e2e/bochs: $(cd "$deps_dir" && echo */*.list | sed 's/\.list//g'))" >&2
        exit 2
    fi
done

wanted=()
for list in "${lists[@]}"; do
    read -r -a names <<<"$(sed 's/#.*//' "$list" | tr '\n' ' ')"
    wanted+=("${names[@]}")
done
read -r -a extra <<<"${HDEVENT_DEPS_EXTRA:-}"
wanted+=("${extra[@]}")

missing=()
for pkg in $(printf '%s\n' "${wanted[@]}" | sort -u); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present (${parts[*]})"
    exit 0
fi

echo "install-deps: missing (${parts[*]}): ${missing[*]}"
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
