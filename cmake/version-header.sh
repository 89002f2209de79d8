#!/bin/sh
# SPDX-License-Identifier: MIT
# <hdevent/version.h> for builds outside CMake (the static CLI of the Linux e2e tests,
# backends/windows-wdk/mingw.mk): the substitution configure_file() makes of
# cmake/version.h.in, from the version in CMakeLists.txt's project().
#
#   version-header.sh SRC OUT    (OUT: the header to write, e.g. DIR/hdevent/version.h)
set -eu
src=$1 out=$2
version=$(sed -n 's/^project(hdevent VERSION \([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || { echo "version-header.sh: no project(hdevent VERSION x.y.z) in $src/CMakeLists.txt" >&2; exit 1; }
major=${version%%.*} rest=${version#*.}
minor=${rest%%.*} patch=${rest#*.}
mkdir -p "$(dirname "$out")"
sed -e "s/@PROJECT_VERSION_MAJOR@/$major/" -e "s/@PROJECT_VERSION_MINOR@/$minor/" \
    -e "s/@PROJECT_VERSION_PATCH@/$patch/" -e "s/@PROJECT_VERSION@/$version/" \
    "$src/cmake/version.h.in" >"$out.tmp"
mv "$out.tmp" "$out"
