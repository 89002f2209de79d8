#!/usr/bin/env bash
# Install an already-built hdevent into a temp prefix, then build and run
# tests/consumer against it twice: via find_package and via pkg-config.
#
#   run.sh <cmake> <hdevent-build-dir> <consumer-source-dir> <cc>
set -euo pipefail

[ $# -eq 4 ] || { echo "usage: $0 <cmake> <builddir> <consumer-srcdir> <cc>" >&2; exit 2; }
cmake=$1 builddir=$2 srcdir=$3 cc=$4

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "== install $builddir -> $prefix"
"$cmake" --install "$builddir" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log" >&2; exit 1; }

echo "== find_package(hdevent) consumer"
"$cmake" -S "$srcdir" -B "$tmp/build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
"$cmake" --build "$tmp/build"
"$tmp/build/consumer"

echo "== pkg-config consumer"
pcfile=$(find "$prefix" -name hdevent.pc -print -quit)
[ -n "$pcfile" ] || { echo "FAIL: hdevent.pc not installed" >&2; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pcfile")
flags=$(pkg-config --cflags --libs hdevent)
echo "pkg-config --cflags --libs hdevent: $flags"
# shellcheck disable=SC2086  # flags must split into words
"$cc" -std=c11 -Wall -Wextra -Werror "$srcdir/consumer.c" -o "$tmp/consumer-pc" $flags
"$tmp/consumer-pc"

echo "OK: consumer built and ran via find_package and pkg-config"
