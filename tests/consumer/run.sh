#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install an already-built hdevent into a temp prefix and use it as a downstream project would.
#
#   run.sh full <cmake> <hdevent-build-dir> <consumer-source-dir> <cc>
#       tests/consumer: find_package(hdevent) (every component) and pkg-config hdevent, built
#       and run; the installed version file accepts the same minor version only; the README's
#       example built with the README's own lines (readme-consumer.sh).
#   run.sh core <cmake> <hdevent-build-dir> <consumer-source-dir> <cc>
#       tests/consumer/core: find_package(hdevent COMPONENTS core) with Zydis made unfindable
#       (and, as a control, the same without COMPONENTS must then fail), pkg-config
#       hdevent_core; a backend of its own, a native hook, one exit.
#   run.sh cxx <cmake> <hdevent-build-dir> <consumer-source-dir> <cc> <c++>...
#       tests/consumer/cxx, C++17 with -Wall -Wextra -Werror -pedantic, once per C++ compiler
#       given (g++ and clang++ in ctest): every public header, the host backend, a native hook.
set -euo pipefail

[ $# -ge 5 ] || { echo "usage: $0 full|core|cxx <cmake> <builddir> <consumer-srcdir> <cc> [c++...]" >&2; exit 2; }
mode=$1 cmake=$2 builddir=$3 srcdir=$4 cc=$5
shift 5

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "== install $builddir -> $prefix"
"$cmake" --install "$builddir" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log" >&2; exit 1; }
pcdir() { dirname "$(find "$prefix" -name "$1.pc" -print -quit)"; }
configure() { # configure <source> <build> [cmake args...]
    local s=$1 b=$2; shift 2
    "$cmake" -S "$s" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON "$@"
}

case "$mode" in
full)
    echo "== find_package(hdevent) consumer"
    configure "$srcdir" "$tmp/build"
    "$cmake" --build "$tmp/build"
    "$tmp/build/consumer"

    echo "== pkg-config consumer"
    [ -n "$(find "$prefix" -name hdevent.pc)" ] || { echo "FAIL: hdevent.pc not installed" >&2; exit 1; }
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(pcdir hdevent)
    flags=$(pkg-config --cflags --libs hdevent)
    version=$(pkg-config --modversion hdevent)
    echo "pkg-config --cflags --libs hdevent: $flags (version $version)"
    # shellcheck disable=SC2086  # flags must split into words
    "$cc" -std=c11 -Wall -Wextra -Werror -DEXPECT_VERSION="\"$version\"" "$srcdir/consumer.c" \
        -o "$tmp/consumer-pc" $flags
    "$tmp/consumer-pc"

    echo "== version compatibility (0.x: same minor only)"
    vfile=$(find "$prefix" -name hdeventConfigVersion.cmake -print -quit)
    "$cmake" -DVERSION_FILE="$vfile" -P "$srcdir/version-compat.cmake"

    echo "== the README's example (A taste; its CMake and pkg-config lines)"
    CMAKE=$cmake bash "$srcdir/readme-consumer.sh" "$srcdir/../../README.md" "$srcdir/../.." "$tmp/readme" "$prefix"
    echo "OK: consumer built and ran via find_package and pkg-config"
    ;;
core)
    echo "== find_package(hdevent COMPONENTS core), Zydis unfindable"
    configure "$srcdir/core" "$tmp/build" -DCMAKE_DISABLE_FIND_PACKAGE_zydis=ON
    "$cmake" --build "$tmp/build"
    "$tmp/build/consumer_core"

    echo "== control: every component with Zydis unfindable must fail"
    mkdir -p "$tmp/all"
    printf 'cmake_minimum_required(VERSION 3.20)\nproject(all LANGUAGES C)\nfind_package(hdevent CONFIG REQUIRED)\n' \
        >"$tmp/all/CMakeLists.txt"
    if configure "$tmp/all" "$tmp/all/build" -DCMAKE_DISABLE_FIND_PACKAGE_zydis=ON \
            >"$tmp/all.log" 2>&1; then
        cat "$tmp/all.log"
        echo "FAIL: find_package(hdevent) without Zydis succeeded: the control proves nothing" >&2
        exit 1
    fi
    grep -q zydis "$tmp/all.log" || { cat "$tmp/all.log"; echo "FAIL: not refused for Zydis" >&2; exit 1; }
    echo "refused as expected (Zydis)"

    echo "== pkg-config hdevent_core"
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(pcdir hdevent_core)
    flags=$(pkg-config --cflags --libs hdevent_core)
    version=$(pkg-config --modversion hdevent_core)
    echo "pkg-config --cflags --libs hdevent_core: $flags (version $version)"
    case " $flags " in *Zydis*|*pthread*) echo "FAIL: hdevent_core.pc pulls in $flags" >&2; exit 1 ;; esac
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Wextra -Werror -DEXPECT_VERSION="\"$version\"" \
        "$srcdir/core/consumer_core.c" -o "$tmp/consumer-core-pc" $flags
    "$tmp/consumer-core-pc"
    echo "OK: the core alone, via find_package(COMPONENTS core) and pkg-config hdevent_core"
    ;;
cxx)
    [ $# -gt 0 ] || { echo "cxx: name at least one C++ compiler" >&2; exit 2; }
    for cxx in "$@"; do
        command -v "$cxx" >/dev/null || { echo "FAIL: C++ compiler $cxx not found" >&2; exit 1; }
        echo "== C++17 consumer with $cxx"
        configure "$srcdir/cxx" "$tmp/build-$(basename "$cxx")" -DCMAKE_CXX_COMPILER="$cxx"
        b=$tmp/build-$(basename "$cxx")
        "$cmake" --build "$b" -- VERBOSE=1 >"$b/build.log" || { cat "$b/build.log"; exit 1; }
        grep -E -- '-std=c\+\+17' "$b/build.log" | head -1
        if grep -E -- "-isystem [^ ]*$prefix" "$b/build.log"; then
            echo "FAIL: the installed headers came in as system headers: no warning would show" >&2
            exit 1
        fi
        # C linkage, seen from the object: every hd_ function it calls is unmangled.
        obj=$(find "$b" -name 'consumer.cpp.o' -print -quit)
        calls=$(nm -u "$obj" | awk '{print $2}' | grep -c '^hd_' || true)
        mangled=$(nm -u "$obj" | awk '{print $2}' | grep -E '^_Z.*hd_[a-z]' || true)
        [ -z "$mangled" ] || { echo "FAIL: C++-mangled hdevent calls: $mangled" >&2; exit 1; }
        [ "$calls" -ge 10 ] || { echo "FAIL: only $calls unmangled hd_ calls in $obj" >&2; exit 1; }
        echo "$calls hd_* functions called with C linkage"
        "$b/consumer_cxx"
    done
    echo "OK: C++17 consumer built with $* (-Wall -Wextra -Werror -pedantic) and ran"
    ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac
