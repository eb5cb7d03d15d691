#!/bin/bash
# tests/realvm/qemu.sh: prints the directory of Debian's arm64 QEMU, unpacked
# with the shared-library closure of qemu-system-aarch64, laid out as a root
# file system to copy into the test bed's initramfs:
#   usr/bin/qemu-system-aarch64, usr/lib/aarch64-linux-gnu/<soname>...,
#   lib/ld-linux-aarch64.so.1
# The newest qemu-system-arm:arm64 of forky or trixie-backports, through the
# test bed's private apt world ($KVMSR_CACHE/apt/apt.conf; the machine's apt
# sources are not touched).  Its libraries: the lib* packages of its Depends,
# followed recursively, downloaded the same way; then the NEEDED entries of
# the binary resolved recursively with readelf against them (libc6 too: the
# loader and libc come from the same world as QEMU, which wants glibc >= 2.38).
# Cached in $KVMSR_CACHE/realvm/qemu-<version>: a warm run reads the local
# package lists only (no network).
set -euo pipefail
cd "$(dirname "$0")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
export APT_CONFIG=$KVMSR_CACHE/apt/apt.conf
die() { echo "realvm-qemu: error: $*" >&2; exit 1; }
[[ -r $APT_CONFIG ]] || die "no private apt config (run tests/bed/kernel.sh first)"

ver=$(apt-cache madison qemu-system-arm 2>/dev/null |
	awk -F' [|] ' '$3 ~ /(forky|trixie-backports)\// { print $2; exit }')
[[ -n $ver ]] || die "qemu-system-arm:arm64 not in forky or trixie-backports"
tree=$KVMSR_CACHE/realvm/qemu-${ver//[:~+]/_}
if [[ -x $tree/usr/bin/qemu-system-aarch64 && -f $tree/.complete ]]; then
	echo "$tree"
	exit 0
fi

debs=$KVMSR_CACHE/realvm/debs
mkdir -p "$debs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# deb NAME[=VERSION]: download (unless cached) and unpack into $work/x.
deb() {
	local f
	f=$(cd "$debs" && ls "${1%%=*}"_*_arm64.deb "${1%%=*}"_*_all.deb 2>/dev/null | head -n 1 || true)
	if [[ -z $f ]]; then
		(cd "$debs" && apt-get -q download "$1" >/dev/null 2>&1) || return 1
		f=$(cd "$debs" && ls "${1%%=*}"_*_arm64.deb "${1%%=*}"_*_all.deb 2>/dev/null | head -n 1)
	fi
	dpkg-deb -x "$debs/$f" "$work/x"
	dpkg-deb -f "$debs/$f" Depends Pre-Depends | tr ',' '\n' |
		sed -E 's/^(Pre-)?Depends: //; s/\|.*//; s/\(.*\)//; s/:any//; s/^[[:space:]]+|[[:space:]]+$//g' |
		grep -E '^(lib|zlib)' || true
}
# A stale qemu .deb of another version must not be picked up.
rm -f "$debs"/qemu-system-arm_*.deb.partial
find "$debs" -name 'qemu-system-arm_*' ! -name "qemu-system-arm_${ver#*:}_arm64.deb" -delete
mkdir -p "$work/x"
declare -A seen=()
queue=$(deb "qemu-system-arm=$ver") || die "downloading qemu-system-arm=$ver"
queue+=$'\nlibc6'
while [[ -n ${queue//[$'\n ']/} ]]; do
	next=""
	for p in $queue; do
		[[ -n ${seen[$p]:-} ]] && continue
		seen[$p]=1
		next+=$'\n'$(deb "$p" || echo "realvm-qemu: note: no package $p (virtual?)" >&2)
	done
	queue=$next
done

# The NEEDED closure of the binary, against what was unpacked.
bin=$work/x/usr/bin/qemu-system-aarch64
[[ -x $bin ]] || die "no qemu-system-aarch64 in the package"
out=$work/tree
mkdir -p "$out/usr/bin" "$out/usr/lib/aarch64-linux-gnu" "$out/lib"
cp "$bin" "$out/usr/bin/"
ld=$(find "$work/x" -name ld-linux-aarch64.so.1 | head -n 1)
[[ -n $ld ]] || die "no ld-linux-aarch64.so.1 in libc6"
cp -L "$ld" "$out/lib/ld-linux-aarch64.so.1"
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
todo=$(needed "$bin") missing=""
declare -A have=()
while [[ -n ${todo//[$'\n ']/} ]]; do
	more=""
	for so in $todo; do
		[[ -n ${have[$so]:-} || $so == ld-linux-aarch64.so.1 ]] && continue
		have[$so]=1
		f=$(find "$work/x" -name "$so" \( -type f -o -type l \) | head -n 1)
		if [[ -z $f ]]; then
			missing+=" $so"
			continue
		fi
		cp -L "$f" "$out/usr/lib/aarch64-linux-gnu/$so"
		more+=$'\n'$(needed "$out/usr/lib/aarch64-linux-gnu/$so")
	done
	todo=$more
done
[[ -z $missing ]] || die "libraries not found in the fetched packages:$missing"
echo "$ver ${#have[@]} libraries from ${#seen[@]} packages" >"$out/.complete"
mkdir -p "$(dirname "$tree")"
rm -rf "$tree" && mv "$out" "$tree"
echo "realvm-qemu: qemu-system-arm $ver, ${#have[@]} libraries ($(du -sm "$tree" | cut -f1) MB)" >&2
echo "$tree"
