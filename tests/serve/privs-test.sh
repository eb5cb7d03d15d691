#!/bin/bash
# privs-test.sh [SERIES]: least privilege (issue 17).  In the test bed, whose
# kernel enforces capabilities, `kvmsr serve` runs as uid 999 with only
# CAP_BPF, CAP_PERFMON and CAP_SYSLOG (ambient, as docs/kvmsr.service gives
# them), attaches, drops what it will not use again (the fentry backend
# everything, the kprobe backend all but CAP_PERFMON, with no_new_privs),
# keeps counting through a sampling window opened after the drop, and
# detaches cleanly on SIGINT; without the capabilities it is refused.
# Part of `make test` (one boot of the newest kernel).  Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
series=${1:-newest}
out=${PV_OUT:-results/serve-privs}
mkdir -p "$out"
source tests/lib/tally.sh
ok() { tally_ok "privs: $*"; }
nok() { tally_fail "privs: $*"; }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
finish() { tally_end privs; exit; }

kdir=$(bash tests/bed/kernel.sh "$series") || { nok "kernel $series"; finish; }
make -s ARCH=arm64 all build/arm64/vmm build/arm64/runas || { nok "build"; finish; }
bash tests/bed/mkinitramfs.sh -o "$out/initrd.cpio.gz" -i tests/serve/privs-payload.sh \
	-f build/arm64/kvmsr:/bin/kvmsr -f build/arm64/vmm:/bin/vmm \
	-f build/arm64/runas:/bin/runas >/dev/null ||
	{ nok "initramfs"; finish; }
log=$out/$series.log
bash tests/bed/boot.sh --kernel "$kdir" --initrd "$out/initrd.cpio.gz" --log "$log" \
	--timeout 600 >/dev/null 2>"$log.boot" || nok "boot ($(tail -1 "$log.boot"))"
tagged() { tr -d '\r' < "$log" | sed -n "s/^$1 //p"; }
# CAP_PERFMON is 38.
declare -A left=([fentry]=0000000000000000 [kprobe]=0000004000000000)
for b in fentry kprobe; do
	expect "$b: serve runs as uid 999 ($(tagged PV-$b-UID))" [ "$(tagged PV-$b-UID)" = 999 ]
	expect "$b: CapEff after attaching is ${left[$b]} ($(tagged PV-$b-CAPEFF))" \
		[ "$(tagged PV-$b-CAPEFF)" = "${left[$b]}" ]
	expect "$b: CapPrm too: nothing to raise again ($(tagged PV-$b-CAPPRM))" \
		[ "$(tagged PV-$b-CAPPRM)" = "${left[$b]}" ]
	expect "$b: no_new_privs is set" [ "$(tagged PV-$b-NONEWPRIVS)" = 1 ]
	read -r la ca < <(tagged PV-$b-A)
	read -r lb cb < <(tagged PV-$b-B)
	expect "$b: loads keep being counted (${la:-none} then ${lb:-none})" \
		[ "${la:-0}" -gt 0 -a "${lb:-0}" -gt "${la:-0}" ]
	expect "$b: the window opened after the drop counted accessor calls (${ca:-none} then ${cb:-none})" \
		[ "${cb:-0}" -gt "${ca:-0}" ]
	expect "$b: serve exits 0 on SIGINT" [ "$(tagged PV-$b-RC)" = 0 ]
	expect "$b: nothing failed ($(tagged PV-$b-ERR | grep -i 'cannot\|fail\|error' | head -1))" \
		[ -z "$(tagged PV-$b-ERR | grep -i 'cannot\|fail\|error')" ]
done
expect "without capabilities serve is refused, exit 1, saying what it needs ($(tagged PV-NOCAP-ERR | head -1))" \
	[ "$(tagged PV-NOCAP-RC)" = 1 -a -n "$(tagged PV-NOCAP-ERR | grep 'needs CAP_BPF and CAP_PERFMON')" ]
finish
