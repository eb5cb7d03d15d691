#!/bin/bash
# mkinitramfs.sh -o OUT.cpio.gz [-f SRC:DEST]... -i PAYLOAD
#
# Builds the test bed's initramfs: static aarch64 busybox, an /init that mounts
# the pseudo file systems kvmsr needs, runs PAYLOAD as /payload.sh between
# "KVMSR-BED: BEGIN" / "KVMSR-BED: END rc=N" console markers, then powers off.
# -f copies extra files/dirs in (DEST ending in / keeps SRC's name).
set -euo pipefail

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
usage() { die "usage: $0 -o OUT.cpio.gz [-f SRC:DEST]... -i PAYLOAD"; }

out="" payload="" extra=()
while getopts "o:f:i:h" opt; do
	case $opt in
	o) out=$OPTARG ;;
	f) extra+=("$OPTARG") ;;
	i) payload=$OPTARG ;;
	*) usage ;;
	esac
done
((OPTIND > $#)) || usage
[[ -n $out && -n $payload ]] || usage
[[ -r $payload ]] || die "payload $payload not readable"

# The arm64 busybox from busybox-static:arm64 (/bin or /usr/bin depending on
# the release); check the ELF machine (0xb7 = aarch64) and that it is static.
# shellcheck source=tests/bed/busybox.sh
source "$(dirname "$0")/busybox.sh"
bb=$(arm64_busybox) || true
[[ -n $bb ]] || die "no aarch64 busybox (run tests/bed/deps.sh)"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,root}
cp "$bb" "$root/bin/busybox"
install -m 755 "$payload" "$root/payload.sh"

for f in "${extra[@]}"; do
	src=${f%%:*} dest=${f#*:}
	[[ $f == *:* && $dest == /* ]] || die "-f wants SRC:/ABS/DEST, got $f"
	[[ -e $src ]] || die "$src does not exist"
	[[ $dest == */ ]] && dest=$dest$(basename "$src")
	mkdir -p "$root$(dirname "$dest")"
	cp -rL "$src" "$root$dest"
done

# Applet symlinks are made at boot (--install needs to run the arm64 binary).
# The kernel may find no /dev/console in the cpio, so re-open it once
# devtmpfs is up: everything the payload prints goes to the serial console.
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmpfs /tmp
ulimit -l unlimited # BPF maps on kernels that still charge RLIMIT_MEMLOCK
ifconfig lo 127.0.0.1 up 2>/dev/null # kvmsr serve's endpoint (kernels with INET)
cd /
echo "KVMSR-BED: BEGIN"
/bin/sh /payload.sh
echo "KVMSR-BED: END rc=$?"
sync
poweroff -f
EOF
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
	gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(stat -c %s "$out") bytes)" >&2
