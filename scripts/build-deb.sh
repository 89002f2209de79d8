#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the Debian packages (debian/, docs/packaging.md) with dpkg-buildpackage, from a copy of
# this tree: dpkg-buildpackage works inside the source tree (debian/tmp, the CMake build
# directory, debian/<package>/) and writes its results into the parent directory, so it runs
# in OUT/src and the .deb files land in OUT.
#
#   scripts/build-deb.sh [--out DIR] [--jobs N]
#
#   --out   where the packages go (default build/deb); OUT/src is the copy, remade each time
#   --jobs  parallel jobs for the build (default: every CPU)
#
# The copy holds the files git knows of (tracked, and new ones not ignored), so build trees
# and other local debris never reach a package; without git, the tree less its build*/
# folders. Needs the build and deb parts of scripts/install-deps.sh (`make deb` installs
# them); dpkg-buildpackage itself refuses to start when a Build-Depends is missing.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build/deb
jobs=$(nproc)
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        *) echo "usage: $0 [--out DIR] [--jobs N]" >&2; exit 2 ;;
    esac
done
command -v dpkg-buildpackage >/dev/null ||
    { echo "build-deb.sh: dpkg-buildpackage missing (scripts/install-deps.sh build deb)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out/" in
    "$src/debian/"*) echo "build-deb.sh: --out $out is inside debian/" >&2; exit 2 ;;
esac
copy=$out/src
rm -rf "$copy"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$copy"

if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files that were deleted in the work tree are left out, like git status shows.
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
        tar -C "$src" --null --no-recursion -T - -cf - | tar -C "$copy" -xf -
else
    tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$copy" -xf -
fi
# Kept executable through either copy: dpkg-buildpackage runs debian/rules, debian/rules runs
# build.sh.
for f in debian/rules backends/linux-kmod/build.sh; do
    [ -x "$copy/$f" ] || { echo "build-deb.sh: $f is not executable in the copy" >&2; exit 1; }
done

echo "build-deb.sh: dpkg-buildpackage -b in $copy"
(cd "$copy" && dpkg-buildpackage -b -us -uc -j"$jobs")
echo "build-deb.sh: packages in $out:"
for deb in "$out"/*.deb; do
    printf '  %s\n' "$(basename "$deb")"
done
