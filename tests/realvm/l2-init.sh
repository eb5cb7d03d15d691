#!/bin/busybox sh
# /init of the L2 guest (tests/realvm/): Debian's 6.1 arm64 kernel booted by
# Debian's QEMU inside the test bed's host.  A little real work after the
# kernel's own boot: processes, /proc, console output (PL011 MMIO exits),
# dd into tmpfs, for L2_SECS seconds (kernel command line, default 3), or
# L2_ITERS iterations of it (make bench: a fixed amount of work, timed); then
# power off.  Console lines go to QEMU's -serial file.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
secs=3 iters=0
for a in $(cat /proc/cmdline); do
	case $a in
	L2_SECS=*) secs=${a#L2_SECS=} ;;
	L2_ITERS=*) iters=${a#L2_ITERS=} ;;
	esac
done
up() { cut -d. -f1 /proc/uptime; }
more() { if [ "$iters" -gt 0 ]; then [ "$i" -lt "$iters" ]; else [ "$(up)" -lt "$end" ]; fi; }
echo "L2-UP $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) uptime=$(cut -d' ' -f1 /proc/uptime)"
end=$(($(up) + secs))
i=0
while more; do
	ls /proc > /tmp/ls.txt
	cat /proc/meminfo /proc/interrupts > /tmp/info.txt
	dd if=/dev/zero of=/tmp/blob bs=64k count=8 2> /dev/null
	echo "L2-ITER $i $(wc -l < /tmp/ls.txt) $(md5sum < /tmp/blob | cut -c1-8)"
	i=$((i + 1))
done
echo "L2-DONE iters=$i uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
