#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The library-only options (README, "Building only the library") really leave the rest out:
# configure this tree with HDEVENT_BUILD_TESTS, _EXAMPLES and _BENCH off, as `make install` and
# the Debian packages do, where neither cmocka nor a C++ compiler can be found, and check that
# no target of tests/, examples/ or bench/ exists; once more with the tool off too.
#
# Control: the same configure with the tests on must fail for cmocka, or hiding it proved
# nothing.
#
#   library-only.sh <cmake> <ctest> <source dir> <work dir>
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 <cmake> <ctest> <srcdir> <workdir>" >&2; exit 2; }
cmake=$1 ctest=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work/no-pkgconfig"
fail() { echo "FAIL: $*" >&2; exit 1; }

# configure <name> [cmake args...]: pkg-config finds nothing (no cmocka, no libseccomp) and the
# C++ compiler does not exist, so anything that needs them fails or is left out.
configure() {
    local name=$1
    shift
    PKG_CONFIG_LIBDIR=$work/no-pkgconfig "$cmake" -S "$src" -B "$work/$name" \
        -DCMAKE_CXX_COMPILER=/nonexistent/c++ -DHDEVENT_BUILD_TESTS=OFF \
        -DHDEVENT_BUILD_EXAMPLES=OFF -DHDEVENT_BUILD_BENCH=OFF "$@" >"$work/$name.log" 2>&1
}
targets() { "$cmake" --build "$work/$1" --target help | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p' | grep -v '\.[ois]$'; }

check() { # check <name> <tool expected: yes|no>
    local name=$1 tool=$2 t
    t=$(targets "$name")
    for want in hdevent_core hdevent_core_kernel hdevent; do
        grep -qx "$want" <<<"$t" || fail "$name: no target $want"
    done
    local extra
    extra=$(grep -E '^(test_|example-|hdevent-demo$|hdevent-bench$|hdevent_vmx_objects$|.*_conformance$)' <<<"$t" || true)
    [ -z "$extra" ] || fail "$name: targets of tests, examples or bench: $(echo $extra)"
    if [ "$tool" = yes ]; then
        grep -qx hdevent-cli <<<"$t" || fail "$name: no hdevent-cli"
    else
        ! grep -qx hdevent-cli <<<"$t" || fail "$name: hdevent-cli with HDEVENT_BUILD_TOOLS=OFF"
    fi
    "$ctest" --test-dir "$work/$name" -N | grep -q 'Total Tests: 0' || fail "$name: ctest lists tests"
    ! ls "$work/$name"/CMakeFiles/*/CMakeCXXCompiler.cmake >/dev/null 2>&1 ||
        fail "$name: C++ was enabled"
    echo "$name: $(wc -l <<<"$t") targets, none of tests/, examples/ or bench/; tool: $tool"
}

configure library -DHDEVENT_BUILD_TOOLS=OFF || { cat "$work/library.log"; fail "library alone: configure"; }
check library no
configure with-tool -DHDEVENT_BUILD_TOOLS=ON || { cat "$work/with-tool.log"; fail "library and tool: configure"; }
check with-tool yes

if configure control -DHDEVENT_BUILD_TESTS=ON; then
    fail "control: configured with the tests on and cmocka hidden: the check proves nothing"
fi
grep -q cmocka "$work/control.log" || { cat "$work/control.log"; fail "control: not refused for cmocka"; }
echo "control: the tests on, cmocka hidden: refused for cmocka as expected"
rm -rf "$work"
echo "OK: the libraries (and the tool) configure with no test, example or bench dependency"
