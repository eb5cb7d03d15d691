# Sourced by tests/bed/mkinitramfs.sh and tests/realvm/l2-initramfs.sh.
# arm64_busybox: print the static aarch64 busybox of busybox-static:arm64
# (/bin or /usr/bin depending on the release; ELF machine 0xb7 = aarch64);
# return 1 if there is none.
arm64_busybox() {
	local c
	for c in $(dpkg -L busybox-static:arm64 2>/dev/null | grep -E '/busybox$') /bin/busybox /usr/bin/busybox; do
		if [[ -f $c && $(od -A n -t x1 -j 18 -N 1 "$c" | tr -d ' ') == b7 ]]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}
