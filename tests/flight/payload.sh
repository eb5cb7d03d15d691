#!/bin/sh
# Runs inside the test bed guest (busybox sh), see tests/flight/repro.sh.
# Repeats selftests, each attempt with its own timeout and kernel log,
# alternating "arms": kvmsr (the selftest under `kvmsr record --context`)
# and plain (the selftest alone), until the attempts or the time cap run
# out.  After every attempt one FR-ATTEMPT line; after one whose kernel log
# has a WARNING or BUG, the log (FR-DMESG), and under kvmsr the report of
# the recording (FR-REPORT) plus the recording itself, sent to the host on
# the virtio serial port as a tar stream.
# Arms: kvmsr, plain, hold (plain with one more VM held by kvm_hold meanwhile).
# /fr/conf: ATTEMPTS (per arm), ARMS, CAP (seconds), STRESS (busy loops),
# CONTEXT; /fr/list: "PATH TIMEOUT [ARGS...]" (PATH under /fr/st).
. /fr/conf
# Warnings and worse go to the console as they happen: a guest that locks
# up after a WARN still leaves it in the log.
dmesg -n 5
up() { cut -d' ' -f1 /proc/uptime; }
port=$(ls /dev/vport*p1 2>/dev/null | head -n 1)
echo "FR-UNAME $(uname -r)"
echo "FR-CONF attempts=$ATTEMPTS arms=$ARMS cap=$CAP stress=$STRESS context=$CONTEXT hold=${HOLD:-0} batch=${BATCH:-1} port=${port:-none}"
echo "FR-CPUS $(grep -c ^processor /proc/cpuinfo)"
kvmsr check --no-probe 2>&1 | sed 's/^/FR-CHECK /'
# PRE: a set-up line from the host (FR_PRE), e.g. a fault knob for a pilot.
if [ -n "$PRE" ]; then
	echo "FR-PRE $PRE"
	eval "$PRE"
fi
dmesg -c > /dev/null

# HOLD=1: one VM held for the whole boot (kvm_hold), so KVM's
# preempt_notifier_key never flips between the selftests' VMs.
if [ "${HOLD:-0}" = 1 ]; then
	/fr/kvm_hold > /tmp/hold.out 2>&1 &
	sleep 1
	echo "FR-HOLD $(cat /tmp/hold.out)"
fi

# Preemption pressure: a busy loop per CPU competes with the vCPU thread.
i=0
while [ "$i" -lt "$STRESS" ]; do
	(while :; do :; done) &
	i=$((i + 1))
done

t0=$(up)
n=0
hits=0
a=1
while [ "$a" -le "$ATTEMPTS" ]; do
	for arm in $ARMS; do
		while read -r p to args; do
			[ -n "$p" ] || continue
			if awk -v t0="$t0" -v now="$(up)" -v cap="$CAP" 'BEGIN { exit !(now - t0 > cap) }'; then
				echo "FR-CAP reached after $n attempts"
				a=$((ATTEMPTS + 1))
				break 2
			fi
			n=$((n + 1))
			dmesg -c > /dev/null
			# Which attempt was running, should the guest never come back.
			echo "FR-BEGIN n=$n round=$a arm=$arm test=$p"
			rm -f /tmp/rec.kvmsr /tmp/k.err /tmp/batch.res
			s=$(up)
			# One attempt = BATCH runs of the selftest in a row (each with
			# its own timeout): kvmsr's attach is paid once per batch.
			{
				echo '#!/bin/sh'
				echo 'i=0; worst=0; segv=0; failed=0'
				echo "while [ \$i -lt ${BATCH:-1} ]; do"
				echo "	timeout -s KILL $to /fr/st/$p $args < /dev/null; r=\$?"
				echo '	[ $r -ne 0 ] && worst=$r && failed=$((failed + 1))'
				echo '	[ $r -eq 139 ] && segv=$((segv + 1))'
				echo '	i=$((i + 1))'
				echo 'done'
				echo 'echo "segv=$segv failed=$failed" > /tmp/batch.res'
				echo 'exit $worst'
			} > /tmp/batch.sh
			chmod 755 /tmp/batch.sh
			if [ "$arm" = hold ]; then
				# The selftests alone, with one more VM held meanwhile:
				# KVM's preempt_notifier_key stays enabled throughout.
				/fr/kvm_hold > /tmp/hold.out 2>&1 &
				hp=$!
				sleep 1
				/tmp/batch.sh > /tmp/k.out 2>&1
				rc=$?
				kill $hp
				wait $hp 2>/dev/null
			elif [ "$arm" = kvmsr ]; then
				# SIGINT makes kvmsr stop and still close the recording.
				timeout -s INT $((to * ${BATCH:-1} + 60)) kvmsr record -o /tmp/rec.kvmsr \
					--context "$CONTEXT" -- /tmp/batch.sh > /tmp/k.out 2> /tmp/k.err
				rc=$?
			else
				/tmp/batch.sh > /tmp/k.out 2>&1
				rc=$?
			fi
			e=$(up)
			dmesg > /tmp/dmesg.txt
			w=$(grep -c 'WARNING:' /tmp/dmesg.txt)
			b=$(grep -cE 'kernel BUG at|Internal error:' /tmp/dmesg.txt)
			# KVM_BUG_ON warns once per boot: a missed put shows after that
			# only as the selftest's SIGSEGV (the guest's TLS left in TPIDR_EL0).
			echo "FR-ATTEMPT n=$n round=$a arm=$arm test=$p batch=${BATCH:-1} rc=$rc warn=$w bug=$b" \
				"$(cat /tmp/batch.res 2>/dev/null || echo segv=? failed=?)" \
				"secs=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }')"
			[ "$arm" = kvmsr ] && grep -E 'lost|error|WARNING' /tmp/k.err | head -n 5 | sed "s|^|FR-KERR n=$n |"
			sv=$(sed -n 's/^segv=\([0-9]*\).*/\1/p' /tmp/batch.res 2>/dev/null)
			if [ "$w" -gt 0 ] || [ "$b" -gt 0 ] || [ "${sv:-0}" -gt 0 ]; then
				hits=$((hits + 1))
				sed "s|^|FR-DMESG n=$n |" /tmp/dmesg.txt | head -n 80
				d=/tmp/hit-$n
				mkdir -p "$d"
				cp /tmp/dmesg.txt "$d/dmesg.txt"
				cp /tmp/k.out "$d/selftest.out" 2>/dev/null
				echo "n=$n arm=$arm test=$p rc=$rc kernel=$(uname -r)" > "$d/attempt.txt"
				if [ "$arm" = kvmsr ]; then
					cp /tmp/k.err "$d/kvmsr.err"
					kvmsr report --context "$CONTEXT" /tmp/rec.kvmsr > "$d/report.txt" 2>&1
					echo "report rc=$?" >> "$d/attempt.txt"
					sed "s|^|FR-REPORT n=$n |" "$d/report.txt" | head -n 400
					mv /tmp/rec.kvmsr "$d/rec.kvmsr"
				fi
				if [ -n "$port" ]; then
					(cd /tmp && tar cf - "hit-$n") > "$port"
					echo "FR-SENT n=$n $(du -k "$d" | tail -n 1 | cut -f1) KiB"
				else
					# No virtio console (the lean patched kernel): through
					# the serial console, compressed.
					echo "FR-B64-BEGIN n=$n"
					(cd /tmp && tar cf - "hit-$n" | gzip -1 | base64)
					echo "FR-B64-END n=$n"
				fi
				rm -rf "$d"
			fi
		done < /fr/list
	done
	a=$((a + 1))
done
echo "FR-DONE attempts=$n hits=$hits secs=$(awk -v t0="$t0" -v now="$(up)" 'BEGIN { printf "%.0f", now - t0 }')"
