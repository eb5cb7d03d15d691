#!/bin/bash
# tests/flight/repro.sh [SERIES:MODE]...   (default 7.1:vhe)
#
# Issue 7: reproduce an intermittent KVM warning under kvmsr's flight
# recorder, with a bounded loop, and measure how often it appears per
# attempt with and without kvmsr.  Boots the kernel (SERIES as in
# tests/bed/kernel.sh, or "patched" for tests/kernel/build.sh) as often as
# needed; each boot runs tests/flight/payload.sh, which repeats the selftests
# alternating kvmsr and plain attempts.  A guest that hangs after a hit
# (seen: hard LOCKUP after the KVM_BUG_ON) is stopped by a stall watchdog
# and the next boot goes on.  Every hit keeps its evidence: the kernel log,
# and under kvmsr the recording and its report with the vCPU's last events.
#
# Environment (bounds first):
#   FR_ATTEMPTS=20      rounds per boot (each round: every arm, every test)
#   FR_BOOTS=3          boots at most per kernel
#   FR_CAP=1500         seconds of attempts at most per kernel (all boots)
#   FR_TESTS="arm64/debug-exceptions"   selftests (7.3's, tests/selftests/build.sh)
#   FR_ARMS="kvmsr plain"  (and "hold": plain while kvm_hold holds one more VM)
#   FR_BATCH=1          selftest runs per attempt (one kvmsr attach per batch)
#   FR_STRESS=0         busy loops in the guest (preemption pressure)
#   FR_HOLD=0           1: hold one VM for the whole boot (tests/flight/kvm_hold.c),
#                       so KVM's preempt_notifier_key never flips
#   FR_CONTEXT=64       kvmsr --context
#   FR_SMP=2 FR_ACCEL=tcg (e.g. tcg,thread=single)
#   FR_OUT=results/flight
#   FR_PRE='shell line'  run in the guest before the attempts (a pilot can
#                        set one of the patched kernel's fault knobs)
# Writes $FR_OUT/<series>-<mode>-<time>/{console-N.log,hit-*/,summary.txt}
# and prints the per-arm counts.  Exit 0 when every boot ran (hits or not).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
matrix=("$@")
((${#matrix[@]})) || matrix=(7.1:vhe)
ATTEMPTS=${FR_ATTEMPTS:-20} BOOTS=${FR_BOOTS:-3} CAP=${FR_CAP:-1500}
TESTS=${FR_TESTS:-arm64/debug-exceptions} ARMS=${FR_ARMS:-kvmsr plain}
STRESS=${FR_STRESS:-0} CONTEXT=${FR_CONTEXT:-64} HOLD=${FR_HOLD:-0} BATCH=${FR_BATCH:-1} SMP=${FR_SMP:-2} ACCEL=${FR_ACCEL:-tcg}
OUT=${FR_OUT:-results/flight}

log() { echo "# $*" >&2; }
die() { echo "repro: error: $*" >&2; exit 1; }

make -s ARCH=arm64 all build/arm64/kvm_hold || die "make ARCH=arm64"
stdir=$(bash tests/selftests/build.sh) || die "selftests build"
tmpd=$(mktemp -d)
trap 'rm -rf "$tmpd"' EXIT
files=() maxto=0
for t in $TESTS; do
	[[ -x $stdir/bin/$t ]] || die "no selftest $t in $stdir/bin"
	# 8x the longest plain run seen under TCG (debug-exceptions, 25 s
	# under kvmsr): a hang, not a slow run, hits this.
	to=${FR_TIMEOUT:-120}
	echo "$t $to" >>"$tmpd/list"
	files+=(-f "$stdir/bin/$t:/fr/st/$t")
	((to > maxto)) && maxto=$to
done

status=0
for entry in "${matrix[@]}"; do
	series=${entry%%:*} mode=${entry#*:}
	if [[ $series == patched ]]; then
		kdir=$(bash tests/kernel/build.sh) || die "patched kernel build"
	else
		kdir=$(bash tests/bed/kernel.sh "$series") || die "kernel $series"
	fi
	dir=$OUT/$series-$mode-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$dir"
	left=$CAP boot=0
	log "$entry ($(cat "$kdir/release")): up to $BOOTS boots, $ATTEMPTS rounds of [$ARMS] x [$TESTS]," \
		"cap ${CAP}s, batch $BATCH, stress $STRESS, hold $HOLD, smp $SMP, accel $ACCEL; evidence in $dir"
	while ((boot < BOOTS && left > 60)); do
		boot=$((boot + 1))
		printf 'ATTEMPTS=%s\nARMS="%s"\nCAP=%s\nSTRESS=%s\nCONTEXT=%s\nHOLD=%s\nBATCH=%s\nPRE=%q\n' \
			"$ATTEMPTS" "$ARMS" "$left" "$STRESS" "$CONTEXT" "$HOLD" "$BATCH" "${FR_PRE:-}" \
			>"$tmpd/conf"
		initrd=$tmpd/initrd.cpio.gz
		bash tests/bed/mkinitramfs.sh -o "$initrd" -i tests/flight/payload.sh \
			-f build/arm64/kvmsr:/bin/kvmsr -f build/arm64/kvm_hold:/fr/kvm_hold \
			-f "$tmpd/conf:/fr/conf" -f "$tmpd/list:/fr/list" \
			"${files[@]}" 2>/dev/null || die "initramfs"
		con=$dir/console-$boot.log tarf=$dir/out-$boot.tar
		: >"$tarf"
		t0=$SECONDS
		bash tests/bed/boot.sh --kernel "$kdir" --initrd "$initrd" --log "$con" --mode "$mode" \
			--mem 3G --smp "$SMP" --accel "$ACCEL" --out "$tarf" --timeout $((left + 600)) \
			>/dev/null 2>"$con.boot" &
		bpid=$!
		# A batch prints one line; a hung guest prints nothing, or only
		# the kernel's lockup and RCU stall reports.
		stall=$((maxto * BATCH < 900 ? maxto * BATCH + 120 : 1020))
		while kill -0 $bpid 2>/dev/null; do
			sleep 5
			why=""
			if [[ -e $con ]] && (($(date +%s) - $(stat -c %Y "$con") > stall)); then
				why="no console output for ${stall}s"
			elif (($(grep -c 'Watchdog detected hard LOCKUP' "$con" 2>/dev/null) >= 3)); then
				why="the guest reports a hard LOCKUP"
			elif (($(grep -c 'rcu_sched detected stalls' "$con" 2>/dev/null) >= 2)); then
				why="the guest reports RCU stalls"
			fi
			if [[ -n $why ]]; then
				qpid=$(pgrep -P $bpid -x timeout | head -n 1)
				log "boot $boot: $why: stopping QEMU"
				echo "repro: $why: QEMU stopped" >>"$con.boot"
				[[ -n $qpid ]] && kill "$qpid"
				break
			fi
		done
		wait $bpid
		used=$((SECONDS - t0))
		left=$((left - used))
		# Concatenated tar streams, one per hit (virtio port), or base64
		# blocks on the console (no virtio console in the guest kernel).
		[[ -s $tarf ]] && (cd "$dir" && tar xif "out-$boot.tar")
		rm -f "$tarf"
		for n in $(sed -n 's/^FR-B64-BEGIN n=\([0-9]*\)$/\1/p' "$con"); do
			awk -v n="$n" '$0 == "FR-B64-BEGIN n=" n { on = 1; next }
				$0 == "FR-B64-END n=" n { on = 0 } on' "$con" |
				base64 -d | gzip -dc | (cd "$dir" && tar xf -) ||
				log "boot $boot: hit $n: the evidence on the console is damaged"
		done
		for h in "$dir"/hit-*; do
			[[ -d $h && ! -e $h/boot ]] || continue
			echo "$boot" >"$h/boot"
			[[ -e $h/rec.kvmsr ]] || continue
			# The host's kvmsr reads the recording too: the evidence does not
			# depend on the guest's copy of the report.
			build/x86/kvmsr report --context "$CONTEXT" "$h/rec.kvmsr" >"$h/report-host.txt" 2>&1
		done
		log "boot $boot: ${used}s, $(grep -c '^FR-ATTEMPT' "$con") attempts," \
			"$(grep '^FR-ATTEMPT' "$con" | grep -cv 'warn=0 bug=0') with a WARNING/BUG," \
			"$(grep '^FR-ATTEMPT' "$con" | grep -c 'segv=[1-9]') with a SIGSEGV;" \
			"$(grep -m1 -oE 'hard LOCKUP.*|rcu_sched detected stalls|FR-DONE.*|FR-CAP.*' "$con" || echo 'no end marker')"
		log "boot $boot: $(awk '/^FR-BEGIN/ { o = $0 } /^FR-ATTEMPT/ { o = "" } END { if (o != "") print "died in " o }' "$con")"
		grep -q '^FR-DONE' "$con" || continue
		grep -q '^FR-CAP' "$con" && break
		# All rounds ran without the guest dying: no reason to boot again.
		break
	done
	{
		echo "kernel $(cat "$kdir/release") mode $mode smp $SMP accel $ACCEL stress $STRESS hold $HOLD batch $BATCH"
		echo "tests: $TESTS; boots: $boot"
		for arm in $ARMS; do
			# An attempt that began and never ended: the guest died in it.
			for c in "$dir"/console-*.log; do
				awk '/^FR-BEGIN/ { open = $0 } /^FR-ATTEMPT/ { open = "" }
					END { if (open != "") print "DIED " open }' "$c"
				grep '^FR-ATTEMPT' "$c"
			done | awk -v arm="$arm" '
				function val(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1)
					return substr($i, length(k) + 2); return "" }
				index($0, " arm=" arm " ") && /^FR-ATTEMPT/ {
					n++; runs += val("batch") ? val("batch") : 1
					if ($0 !~ / warn=0 bug=0 /) h++
					if (val("segv") ~ /^[0-9]+$/) { sv += val("segv"); known += val("batch") } }
				index($0, " arm=" arm " ") && /^DIED/ { n++; d++ }
				END { printf "arm %s: %d attempts (%d selftest runs), %d with a WARNING/BUG, %d " \
					"the guest died in; SIGSEGV in %d of %d runs counted\n", arm, n, runs, h, d,
					sv, known }'
		done
		grep -h 'WARNING:\|hard LOCKUP' "$dir"/console-*.log | grep -v '^FR-DMESG' |
			sed 's/^\[ *[0-9.]*\] //; s/, CPU#.*//' | sort | uniq -c
	} >"$dir/summary.txt"
	cat "$dir/summary.txt"
done
exit $status
