#!/bin/bash
# `make demo`: boot Debian's newest arm64 kernel in the test bed (KVM in VHE
# mode inside QEMU), run a nested guest and show kvmsr check, trace and stat
# on it.  Everything it needs is set up by `make deps` and fetched here.
set -euo pipefail
cd "$(dirname "$0")/.."
series=${DEMO_KERNEL:-newest}

make -s ARCH=arm64 all build/arm64/vmm
kdir=$(bash tests/bed/kernel.sh "$series")
out=results/demo
mkdir -p "$out"

payload=$(mktemp)
trap 'rm -f "$payload"' EXIT
cat > "$payload" <<'PAYLOAD'
#!/bin/sh
dmesg -n 1
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step kvmsr check
kvmsr check
step "kvmsr trace -- vmm --iters 3 --vcpus 1   (first 40 lines)"
kvmsr trace -- sh -c 'vmm --iters 3 --vcpus 1 > /dev/null' 2>&1 | head -40
step "kvmsr trace --reg TTBR0_EL1,MAIR_EL1 --events write -- vmm --iters 4 --vcpus 2"
kvmsr trace --reg TTBR0_EL1,MAIR_EL1 --events write -- sh -c 'vmm --iters 4 --vcpus 2 > /dev/null'
step "kvmsr stat --interval 1 -- vmm --iters 3000 --vcpus 2"
kvmsr stat --interval 1 -- vmm --iters 3000 --vcpus 2
PAYLOAD
initrd=$out/initrd.cpio.gz
bash tests/bed/mkinitramfs.sh -o "$initrd" -i "$payload" \
	-f build/arm64/kvmsr:/bin/kvmsr -f build/arm64/vmm:/bin/vmm >/dev/null
echo "Booting $(cat "$kdir/release") under qemu-system-aarch64 (KVM in VHE mode, nested guest)..."
rc=0
bash tests/bed/boot.sh --kernel "$kdir" --initrd "$initrd" --log "$out/console.log" \
	--timeout 300 >/dev/null 2>&1 || rc=$?
# Show what the payload printed, without the kernel's boot messages.
sed -n '/KVMSR-BED: BEGIN/,/KVMSR-BED: END/p' "$out/console.log" | sed '1d;$d'
echo
echo "(full console log: $out/console.log)"
exit "$rc"
