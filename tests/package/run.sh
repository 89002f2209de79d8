#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian packages as a user gets them (docs/packaging.md), on this machine (root):
#
#   1. build them from this tree with scripts/build-deb.sh (`make deb`: dpkg-buildpackage);
#      debian/changelog's version is CMake's project version; each package holds what it
#      should and nothing outside its places;
#   2. install all three with apt-get (which must need nothing else); hdevent-dkms's postinst
#      builds and installs hdevent.ko for the kernels that have headers;
#   3. `dkms build` the module again against Debian's kernel headers (linux-headers-amd64):
#      vermagic, licence, the core inside, no kbuild or modpost warning;
#   4. the installed libraries: the ring-0 core is kernel-ready with Debian's build flags, the
#      archives export exactly the API of /usr/include/hdevent; the README's example built
#      against /usr with the README's CMake and pkg-config lines (readme-consumer.sh);
#   5. the tool: it runs; `hdevent --version` names the version, `man -w hdevent` finds the
#      page, the bash completion registers itself;
#   6. purge all three: no package state left, no file of theirs, nothing in the DKMS tree or
#      under /lib/modules; what DKMS itself made on the way (depmod's index of a kernel that had
#      none, DKMS's module-signing key when there was none) is removed again, so the machine
#      is as it was.
#
#   run.sh <source root> <work dir>
# Exit 0 pass, 1 fail, 77 skipped (not root, no Debian tooling or headers; with
# HDEVENT_REQUIRE_E2E=1 a skip fails instead). The packages are purged on every exit.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <srcroot> <workdir>" >&2; exit 2; }
src=$(cd "$1" && pwd) work=$2
pkgs=(libhdevent-dev hdevent hdevent-dkms)
step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
skip() {
    echo "SKIP: $*"
    [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }
    exit 77
}

[ "$(id -u)" -eq 0 ] || skip "not root: the test installs and purges Debian packages"
for tool in dpkg-buildpackage dh dh_dkms dkms apt-get man; do
    command -v "$tool" >/dev/null || skip "$tool missing (scripts/install-deps.sh deb e2e)"
done
kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
       grep -o 'linux-headers-[^ ,]*-amd64' | head -1 | sed 's/^linux-headers-//') || true
[ -n "$kver" ] && [ -e "/lib/modules/$kver/build/Makefile" ] ||
    skip "linux-headers-amd64 is not installed (scripts/deps.d/e2e/package.list)"

# One package test at a time on this machine (two work trees' ctest runs would install and
# purge the same packages under each other).
mkdir -p /run/lock
exec 9>/run/lock/hdevent-package-test.lock
flock -w 900 9 || fail "another package test held /run/lock/hdevent-package-test.lock for 15 min"

for p in "${pkgs[@]}"; do
    state=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = "un " ] ||
        fail "$p is on this machine already ($state): this test purges what it installs, so it" \
             "leaves yours alone; purge it first (apt-get purge ${pkgs[*]})"
done
[ ! -e /var/lib/dkms/hdevent ] && ! compgen -G '/usr/src/hdevent-*' >/dev/null ||
    fail "a DKMS tree of hdevent is here already (/var/lib/dkms/hdevent, /usr/src/hdevent-*): remove it first"

version=$(sed -n 's/^project(hdevent VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -SVersion)
[ -n "$version" ] && [ "$deb_version" = "$version" ] ||
    fail "debian/changelog is at $deb_version, CMakeLists.txt at $version: add a changelog entry"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
rm -rf "$work"
mkdir -p "$work"

# --- 1. build -----------------------------------------------------------------------------
step "build: scripts/build-deb.sh (dpkg-buildpackage -b), log in $work/build-deb.log"
start=$(date +%s)
bash "$src/scripts/build-deb.sh" --out "$work/deb" --jobs "$(nproc)" >"$work/build-deb.log" 2>&1 ||
    { tail -40 "$work/build-deb.log"; fail "dpkg-buildpackage"; }
echo "built in $(($(date +%s) - start)) s"
declare -A deb=(
    [libhdevent-dev]=$work/deb/libhdevent-dev_${version}_amd64.deb
    [hdevent]=$work/deb/hdevent_${version}_amd64.deb
    [hdevent-dkms]=$work/deb/hdevent-dkms_${version}_all.deb
)
for p in "${pkgs[@]}"; do
    [ -s "${deb[$p]}" ] || fail "no ${deb[$p]}"
done

# contents <package> <allowed path regex> <required path>...: every file of the .deb is under
# the allowed places, and each required one is there.
contents() {
    local p=$1 allowed=$2 list
    shift 2
    list=$(dpkg-deb -c "${deb[$p]}" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$')
    local stray
    stray=$(grep -Ev "^($allowed|/usr/share/doc/$p/(copyright|changelog\.gz))$" <<<"$list" || true)
    [ -z "$stray" ] || fail "$p holds files outside its places: $(echo $stray)"
    for f in "$@"; do
        grep -qx "$f" <<<"$list" || fail "$p lacks $f"
    done
    echo "$p: $(wc -l <<<"$list") files"
}
lib=/usr/lib/$multiarch
contents libhdevent-dev "/usr/include/hdevent/[a-z_]+\.h|$lib/libhdevent(_core|_core_kernel)?\.a|$lib/cmake/hdevent/[A-Za-z-]+\.cmake|$lib/pkgconfig/hdevent(_core)?\.pc|/usr/share/hdevent/core/.*" \
    /usr/include/hdevent/hdevent.h /usr/include/hdevent/version.h "$lib/libhdevent.a" \
    "$lib/libhdevent_core.a" "$lib/libhdevent_core_kernel.a" "$lib/cmake/hdevent/hdeventConfig.cmake" \
    "$lib/pkgconfig/hdevent.pc" "$lib/pkgconfig/hdevent_core.pc" /usr/share/hdevent/core/hdevent-core.mk \
    /usr/share/hdevent/core/dispatch.c /usr/share/hdevent/core/arch/x86_64/call_raw.S
contents hdevent "/usr/bin/hdevent|/usr/share/man/man1/hdevent\.1\.gz|/usr/share/bash-completion/completions/hdevent" \
    /usr/bin/hdevent /usr/share/man/man1/hdevent.1.gz /usr/share/bash-completion/completions/hdevent
dkms_src=/usr/src/hdevent-$version
contents hdevent-dkms "$dkms_src/.*" "$dkms_src/dkms.conf" "$dkms_src/Kbuild" "$dkms_src/LICENSE" \
    "$dkms_src/kmod/kmod_main.c" "$dkms_src/vmx/vmx_setup.c" "$dkms_src/core/dispatch.c" \
    "$dkms_src/core/internal/engine.h" "$dkms_src/core/arch/x86_64/call_raw.S" \
    "$dkms_src/include/hdevent/hdevent.h"

# --- 2. install ---------------------------------------------------------------------------
# After the purge every path of the packages must be gone but those that were here before
# (shared directories); and DKMS or depmod may have made nothing but what check_purged knows.
for p in "${pkgs[@]}"; do
    dpkg-deb -c "${deb[$p]}" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^$'
done | sort -u | while IFS= read -r f; do if [ -e "$f" ]; then echo "$f"; fi; done >"$work/existed.list"
find /lib/modules /var/lib/dkms -mindepth 1 2>/dev/null | sort >"$work/before.list"
debs=("${deb[libhdevent-dev]}" "${deb[hdevent]}" "${deb[hdevent-dkms]}")
step "install: apt-get install ${debs[*]##*/}"
apt-get install -s "${debs[@]}" >"$work/install-sim.log" 2>&1 || { cat "$work/install-sim.log"; fail "apt-get install -s"; }
others=$(awk '$1 == "Inst" {print $2}' "$work/install-sim.log" | grep -vxE 'libhdevent-dev|hdevent|hdevent-dkms' || true)
[ -z "$others" ] || fail "installing the packages would also install: $(echo $others) (scripts/install-deps.sh deb e2e)"

# check_purged: nothing of the packages is left; DKMS's own leftovers are removed again.
check_purged() {
    local p state f bad=0
    for p in "${pkgs[@]}"; do
        state=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
        if [ -n "$state" ] && [ "$state" != "un " ]; then echo "FAIL: $p is still known to dpkg ($state)"; bad=1; fi
        # Every path of the package that was not there before the install must be gone again
        # (directories that were there, /usr/include and the like, stay).
        while IFS= read -r f; do
            [ "$f" != /. ] || continue
            if [ -e "$f" ] && ! grep -qxF "$f" "$work/existed.list"; then
                echo "FAIL: $p left $f"; bad=1
            fi
        done <"$work/$p.files"
    done
    [ ! -e /var/lib/dkms/hdevent ] || { echo "FAIL: /var/lib/dkms/hdevent is still there"; bad=1; }
    [ ! -e "$dkms_src" ] || { echo "FAIL: $dkms_src is still there"; bad=1; }
    local left
    left=$(find /lib/modules -name 'hdevent*.ko*' 2>/dev/null)
    [ -z "$left" ] || { echo "FAIL: modules left: $left"; bad=1; }
    grep -rls hdevent /lib/modules/*/modules.dep /lib/modules/*/modules.alias 2>/dev/null &&
        { echo "FAIL: depmod's index still names hdevent (above)"; bad=1; }
    # Made by DKMS or depmod on the way, not by the packages: removed when this run made them.
    local new made=() other=()
    new=$(comm -13 "$work/before.list" <(find /lib/modules /var/lib/dkms -mindepth 1 2>/dev/null | sort))
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        case "$f" in
            /lib/modules/*/modules.*|/var/lib/dkms/mok.key|/var/lib/dkms/mok.pub) made+=("$f") ;;
            /lib/modules/*/updates|/lib/modules/*/updates/dkms) made+=("$f") ;;
            *) other+=("$f") ;;
        esac
    done <<<"$new"
    if [ ${#other[@]} -gt 0 ]; then echo "FAIL: left under /lib/modules or /var/lib/dkms: ${other[*]}"; bad=1; fi
    if [ ${#made[@]} -gt 0 ]; then
        echo "removed what DKMS and depmod made here on the way: ${made[*]}"
        rm -rf "${made[@]}"
    fi
    [ "$bad" -eq 0 ] || return 1
    echo "purged: no package state, none of their $(cat "$work"/*.files | sort -u | wc -l) paths" \
         "left but the $(wc -l <"$work/existed.list") directories that were there before, no DKMS" \
         "tree, no module"
}

# On every exit from here: purge, then check (on success) or only tidy up (after a failure).
purge() {
    local code=$?
    trap - EXIT
    set +e
    step "purge: apt-get purge ${pkgs[*]}"
    env DEBIAN_FRONTEND=noninteractive apt-get purge -y -o DPkg::Lock::Timeout=300 "${pkgs[@]}" \
        >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; echo "FAIL: apt-get purge"; exit 1; }
    if [ "$code" -eq 0 ]; then
        check_purged || code=1
    else
        check_purged >/dev/null 2>&1
    fi
    [ "$code" -ne 0 ] || echo "OK: the Debian packages built, installed, worked and were purged"
    exit "$code"
}
trap purge EXIT
env DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 "${debs[@]}" \
    >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
awk '/^Setting up / { show = /hdevent-dkms/; next } show && NF' "$work/install.log" | sed 's/^/  postinst: /'
for p in "${pkgs[@]}"; do
    dpkg -L "$p" >"$work/$p.files"
done
status=$(dkms status -m hdevent -v "$version" -k "$kver")
grep -q ': installed' <<<"$status" ||
    fail "hdevent-dkms's postinst did not build and install hdevent.ko for $kver: $(dkms status)"

# --- 3. dkms build ------------------------------------------------------------------------
step "dkms build -m hdevent -v $version -k $kver --force"
start=$(date +%s)
dkms build -m hdevent -v "$version" -k "$kver" --force >"$work/dkms-build.log" 2>&1 ||
    { cat "$work/dkms-build.log"; cat "/var/lib/dkms/hdevent/$version/build/make.log" 2>/dev/null; fail "dkms build"; }
echo "built in $(($(date +%s) - start)) s"
built=/var/lib/dkms/hdevent/$version/$kver/$(uname -m)
ko=$built/module/hdevent.ko
[ -s "$ko" ] || fail "no $ko"
if grep -E 'warning|WARNING' "$built/log/make.log"; then fail "kbuild warned (above)"; fi
vermagic=$(modinfo -F vermagic "$ko")
[[ $vermagic == "$kver "* ]] || fail "$ko: vermagic '$vermagic', not for $kver"
[ "$(modinfo -F license "$ko")" = "Dual MIT/GPL" ] || fail "$ko: licence '$(modinfo -F license "$ko")'"
syms=$(nm "$ko")
grep -q ' T hd_dispatch_vmcall_exit$' <<<"$syms" || fail "$ko does not hold the core's hd_dispatch_vmcall_exit"
echo "hdevent.ko: vermagic $vermagic; $(modinfo -F license "$ko")"

# --- 4. the libraries ---------------------------------------------------------------------
step "libraries in $lib"
bash "$src/tests/kernel/check-kernel-object.sh" --flag -mno-red-zone --flag -mcmodel=kernel \
    "$lib/libhdevent_core_kernel.a"
bash "$src/tests/check-exports.sh" nm /usr/include "$lib/libhdevent_core.a" "$lib/libhdevent.a"
step "the README's example against /usr"
CMAKE=cmake bash "$src/tests/consumer/readme-consumer.sh" "$src/README.md" "$src" "$work/readme"
grep -qx "hdevent_DIR:PATH=$lib/cmake/hdevent" "$work/readme/build/CMakeCache.txt" ||
    fail "find_package(hdevent) did not find the package's $lib/cmake/hdevent"

# --- 5. the tool --------------------------------------------------------------------------
step "the tool"
[ "$(command -v hdevent)" = /usr/bin/hdevent ] || fail "hdevent on PATH is $(command -v hdevent), not /usr/bin/hdevent"
out=$(hdevent parse '!vmcall pid 490 code {90}') || fail "hdevent parse: $out"
grep -q '"pid"' <<<"$out" || fail "hdevent parse printed: $out"
echo "hdevent parse: ok"
out=$(hdevent --version) || fail "hdevent --version: exit $?: $out"
grep -q "$version" <<<"$out" || fail "hdevent --version does not say $version: $out"
echo "hdevent --version: $(head -1 <<<"$out")"
page=$(man -w hdevent) || fail "man -w hdevent found no page"
[ "$page" = /usr/share/man/man1/hdevent.1.gz ] || fail "man -w hdevent: $page"
echo "man -w hdevent: $page"
bash -c 'source /usr/share/bash-completion/completions/hdevent && complete -p hdevent' ||
    fail "the installed bash completion registers nothing for hdevent"
