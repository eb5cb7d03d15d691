#!/bin/bash
# kernel-tp-nodebug.sh -- the patched lean kernel with its two debug options
# (CONFIG_KVM_ARM_SYSREG_FAULT_INJECT, CONFIG_KVM_ARM_SYSREG_DEBUG) turned off:
# configuration (b0) of tests/bench/kernel-tp.sh. The series' tracepoints are
# meant to ship with both options off (both default n), but kernel/lean-arm64.config
# turns them on for the test bed, so the patched kernel of tests/kernel/build.sh
# also carries their idle hooks; this one tells the two costs apart.
#
# Built from tests/kernel/build.sh's cached patched tree (run that first): a
# new tree of hard links to its sources (never written: kbuild writes only
# under O=), a real copy of its object dir, the two options disabled, then
# make Image: incremental, ~2 min on 2 cores. Cached under
# $KVMSR_CACHE/kernel-tp-nodebug/, keyed by the patched build's key; leaves
#   $KVMSR_CACHE/kernel-tp-nodebug/kernel/{Image,config,release,version,key,patches}
# and prints that directory on stdout (log on stderr), like build.sh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
PATCHED=$CACHE/kernels/patched
D=$CACHE/kernel-tp-nodebug
OPTS=(KVM_ARM_SYSREG_FAULT_INJECT KVM_ARM_SYSREG_DEBUG)
MAKEK=(make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -s)
JOBS=${KVMSR_JOBS:-3}

log() { echo "kernel-tp-nodebug: $*" >&2; }
die() { log "error: $*"; exit 1; }

pkey=$(cat "$PATCHED/key" 2>/dev/null) || die "no $PATCHED/key: run tests/kernel/build.sh first"
bsrc=$CACHE/kernel-build/$pkey/src
[[ -e $CACHE/kernel-build/$pkey/.complete && -s $bsrc/out/.config ]] ||
	die "the patched build $pkey is not in $CACHE/kernel-build: run tests/kernel/build.sh"
key="$pkey-nodebug"
out=$D/kernel
if [[ $(cat "$out/key" 2>/dev/null) == "$key" ]]; then
	log "cache hit: $key"
	(cd "$out" && pwd -P)
	exit 0
fi

mkdir -p "$D"
# The same lock as tests/kernel/build.sh: one kernel build at a time (2
# cores), and the patched tree cannot be replaced while it is being copied.
exec 9>"$CACHE/kernel.lock"
flock 9

t0=$(date +%s)
tree=$D/tree
rm -rf "$tree" "$out"
mkdir -p "$tree"
log "tree $tree: hard links to $bsrc's sources, a copy of its objects"
for e in "$bsrc"/* "$bsrc"/.[!.]*; do
	[[ -e $e && ${e##*/} != out ]] || continue
	cp -al "$e" "$tree/"
done
# A real copy: make rewrites objects in place, which would write through
# hard links into build.sh's cache.
cp -a "$bsrc/out" "$tree/out"
rm -f "$tree/out/.config.old"

args=()
for o in "${OPTS[@]}"; do args+=(--disable "$o"); done
"$tree/scripts/config" --file "$tree/out/.config" "${args[@]}"
"${MAKEK[@]}" -C "$tree" O=out olddefconfig >&2
# Exactly those two options may differ from the patched kernel.
# Sorted: the options' order in the config follows the Kconfig file, which
# the series may change.
d=$(diff <(grep '^CONFIG_' "$PATCHED/config") <(grep '^CONFIG_' "$tree/out/.config") | grep '^[<>]' | sort || true)
want=$(for o in "${OPTS[@]}"; do echo "< CONFIG_$o=y"; done | sort)
[[ $d == "$want" ]] || die "config differs from the patched one by more than the two options: $d"

log "make -j$JOBS Image (log: $D/build.log)"
tb=$(date +%s)
if ! "${MAKEK[@]}" -C "$tree" O=out -j"$JOBS" Image >"$D/build.log" 2>&1; then
	tail -n 40 "$D/build.log" >&2
	die "build failed (log: $D/build.log)"
fi
te=$(date +%s)
echo "incremental from=$pkey seconds=$((te - tb))" >"$D/build-time"

tmp=$(mktemp -d "$D/.kernel.XXXXXX")
cp "$tree/out/arch/arm64/boot/Image" "$tmp/Image"
cp "$tree/out/.config" "$tmp/config"
"${MAKEK[@]}" -C "$tree" O=out kernelrelease >"$tmp/release"
cp "$PATCHED/version" "$PATCHED/patches" "$tmp/"
echo "$key" >"$tmp/key"
chmod 755 "$tmp"
mv "$tmp" "$out"
# The tree is of no further use (a new patched key means a new tree): 1.2 GB.
rm -rf "$tree"
log "build: $((te - tb)) s (make only; total $((te - t0)) s); $(cat "$out/release"), Image $(stat -c %s "$out/Image") bytes"
(cd "$out" && pwd -P)
