#!/bin/bash
# tests/realvm/l2-initramfs.sh: prints the path of the L2 guest's initramfs
# (busybox-static:arm64 and tests/realvm/l2-init.sh as /init), built once
# and cached in $KVMSR_CACHE/realvm/ keyed by the hash of both.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
die() { echo "realvm-l2: error: $*" >&2; exit 1; }
# shellcheck source=tests/bed/busybox.sh
source tests/bed/busybox.sh
bb=$(arm64_busybox) || true
[[ -n $bb ]] || die "no aarch64 busybox (run tests/bed/deps.sh)"
key=$(cat "$bb" tests/realvm/l2-init.sh | sha256sum | cut -c1-16)
out=$KVMSR_CACHE/realvm/l2-$key.cpio.gz
if [[ ! -s $out ]]; then
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp}
	cp "$bb" "$root/bin/busybox"
	install -m 755 tests/realvm/l2-init.sh "$root/init"
	mkdir -p "$(dirname "$out")"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
		gzip -9 >"$out.tmp"
	mv "$out.tmp" "$out"
fi
echo "$out"
