#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's consumer example, built against an installed hdevent the ways the README says,
# from the README's own text:
#
#   app.c            the ```c block of "## A taste" in a main() that checks its result (the
#                    custom code turns r8 'HDBG' into 'HDB2')
#   hv.c             tests/consumer/core/consumer_core.c: the core alone, with a backend of its
#                    own, a native hook and one exit
#   CMakeLists.txt   the ```cmake block of "## Using the installed package", as written, after
#                    add_executable(app app.c) and add_library(hv STATIC hv.c) (hv links the
#                    ring-0 core, which no user-space program can: a library gets its flags)
#   pkg-config       the `cc ...` lines of that section's ```sh block, as written (plus -o and,
#                    for hv.c, the version it expects)
#
# Both programs run. A README whose blocks no longer fit this (no such block, not two `cc`
# lines) fails the test, so the README and the test change together.
#
#   readme-consumer.sh <README.md> <source root> <work dir> [PREFIX]
#
# Without PREFIX the installed hdevent is the system's (/usr: the Debian packages); with it,
# CMAKE_PREFIX_PATH and PKG_CONFIG_PATH point into PREFIX. CMAKE names the cmake to use.
set -euo pipefail
[ $# -ge 3 ] && [ $# -le 4 ] || { echo "usage: $0 <README.md> <srcroot> <workdir> [PREFIX]" >&2; exit 2; }
readme=$1 src=$2 work=$3 prefix=${4:-}
cmake=${CMAKE:-cmake}
fail() { echo "FAIL: $*" >&2; exit 1; }

# block <heading> <language>: the first ```<language> block under "<heading>", up to the next
# "## " heading.
block() {
    awk -v h="$1" -v fence="\`\`\`$2" '
        $0 == h { in_section = 1; next }
        in_section && /^## / { exit }
        in_section && !inblock && $0 == fence { inblock = 1; next }
        inblock && /^```[[:space:]]*$/ { exit }
        inblock { print }' "$readme"
}

rm -rf "$work"
mkdir -p "$work"
taste=$(block "## A taste" c)
cmake_block=$(block "## Using the installed package" cmake)
sh_block=$(block "## Using the installed package" sh)
[ -n "$taste" ] || fail "$readme: no \`\`\`c block under '## A taste'"
[ -n "$cmake_block" ] || fail "$readme: no \`\`\`cmake block under '## Using the installed package'"
mapfile -t cc_lines < <(grep -E '^cc ' <<<"$sh_block" | sed 's/[[:space:]]*#.*$//')
[ ${#cc_lines[@]} -eq 2 ] && [[ ${cc_lines[0]} == *" app.c "* ]] && [[ ${cc_lines[1]} == *" hv.c "* ]] ||
    fail "$readme: expected two 'cc' lines (app.c, then hv.c) under '## Using the installed package', found: ${cc_lines[*]:-none}"

{
    echo '#include <stdio.h>'
    echo '#include <hdevent/host.h>'
    echo 'int main(void)'
    echo '{'
    printf '%s\n' "$taste"
    echo '    printf("r8 = 0x%llx\n", (unsigned long long)regs.r8);'
    echo '    return regs.r8 == 0x32424448 ? 0 : 1;'
    echo '}'
} >"$work/app.c"
cp "$src/tests/consumer/core/consumer_core.c" "$work/hv.c"
{
    echo 'cmake_minimum_required(VERSION 3.20)'
    echo 'project(readme_consumer LANGUAGES C)'
    echo 'add_executable(app app.c)'
    echo 'add_library(hv STATIC hv.c)'
    printf '%s\n' "$cmake_block"
    echo 'target_compile_definitions(hv PRIVATE EXPECT_VERSION="${hdevent_VERSION}")'
} >"$work/CMakeLists.txt"

if [ -n "$prefix" ]; then
    export CMAKE_PREFIX_PATH=$prefix
    PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name hdevent.pc -print -quit)")
    export PKG_CONFIG_PATH
    where=$prefix
else
    where="the system (/usr)"
fi

echo "== the README's CMake lines, hdevent from $where"
"$cmake" -S "$work" -B "$work/build" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log"; fail "configure"; }
grep -E '^hdevent_DIR:' "$work/build/CMakeCache.txt"
"$cmake" --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
"$work/build/app" || fail "app (A taste, find_package) did not turn r8 into 'HDB2'"

echo "== the README's pkg-config lines"
version=$(pkg-config --modversion hdevent)
(cd "$work" && bash -c "${cc_lines[0]} -o app-pc") || fail "${cc_lines[0]}"
"$work/app-pc" || fail "app-pc (A taste, pkg-config hdevent) did not turn r8 into 'HDB2'"
(cd "$work" && bash -c "${cc_lines[1]} -DEXPECT_VERSION='\"$version\"' -o hv-pc") || fail "${cc_lines[1]}"
"$work/hv-pc" || fail "hv-pc (the core alone, pkg-config hdevent_core)"
echo "OK: the README's example built with its CMake and pkg-config lines and ran (hdevent $version)"
