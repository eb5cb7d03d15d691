#!/bin/sh
# Runs inside the test bed guest (busybox sh), see tests/selftests/run.sh.
# /st/list: one selftest a line, "PATH TIMEOUT [ARGS...]" (PATH under /st).
# Each selftest runs three times, each with its own timeout (busybox timeout,
# SIGKILL) and its own kernel log (dmesg -c before and after):
#   trace  kvmsr trace --json --events vm-exit --fail-on any -- SELFTEST
#          (first, so that a WARN_ON_ONCE that the selftest provokes fires
#          while kvmsr watches)
#   stat   kvmsr stat --json --exact -- SELFTEST
# (both with the ftrace function tracer counting kvm_arch_vcpu_load/put per
# task as an oracle for loads, puts and imbalances)
#   plain  the selftest alone
# The selftest's own result (exit status, KTAP ok/not ok/skip lines) is
# captured by a wrapper script, independently of kvmsr's exit status.  If
# the results differ, plain and trace run once more (plain2, trace2).
# Prints tagged lines (ST-*) that run.sh turns into tables and assertions.
T=/sys/kernel/tracing
dmesg -n 1	# kernel messages go to the ST-DMESG lines, not onto ours
up() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "ST-UNAME $(uname -r)"
echo "ST-CMDLINE $(cat /proc/cmdline)"
echo "ST-MEM $(grep -E '^(MemTotal|HugePages_Total|Hugepagesize)' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
echo "ST-KVMSR-VERSION $(kvmsr --version 2>&1 | head -n 1)"
kvmsr check --no-probe > /tmp/check.txt 2>&1
echo "ST-CHECK-RC $?"
sed 's/^/ST-CHECK /' /tmp/check.txt
dmesg | grep -E 'KVM|kvm' | head -n 20 | sed 's/^/ST-BOOTDMESG /'
dmesg -c > /dev/null

# Oracle for loads, puts and imbalances: the function tracer counts every
# kvm_arch_vcpu_load/put, per task, while kvmsr runs.
. /lib/ftrace-oracle.sh
ft_on() { ftrace_oracle_on; }
ft_off() { # ft_off NAME PHASE: ST-ORACLE line (counts, per-task imbalances, overflow)
	c=$(ftrace_oracle_counts)
	echo "ST-ORACLE $1 $2 ${c%% entries*}" \
		"$(awk '/: kvm_arch_vcpu_load </ { if (last[$1] == "L") d++; last[$1] = "L" }
			/: kvm_arch_vcpu_put </ { if (last[$1] == "P") o++; last[$1] = "P" }
			END { printf "double=%d orphan=%d", d, o }' $T/trace)" \
		"$(echo "entries${c#* entries}" | tr -s ' ')"
	# Kept for the evidence when the tracer saw an imbalance.
	awk '/: kvm_arch_vcpu_load </ { if (last[$1] == "L") bad = 1; last[$1] = "L" }
		/: kvm_arch_vcpu_put </ { if (last[$1] == "P") bad = 1; last[$1] = "P" }
		END { exit !bad }' $T/trace &&
		grep -E ': kvm_arch_vcpu_(load|put) <-' $T/trace | tail -n 60 | sed "s|^|ST-FTRACE $1 $2 |"
	echo nop > $T/current_tracer
	echo > $T/set_ftrace_filter
}

# The selftest under a wrapper: its exit status in /tmp/rc, its output in
# /tmp/out; the wrapper exits with the selftest's status, as kvmsr's child.
mkwrap() { # mkwrap TIMEOUT PATH ARGS...
	wt=$1
	wp=$2
	shift 2
	{
		echo '#!/bin/sh'
		echo 'cd /st'
		echo "timeout -s KILL $wt /st/$wp $* > /tmp/out 2>&1 < /dev/null"
		echo 'rc=$?'
		echo 'echo $rc > /tmp/rc'
		echo 'exit $rc'
	} > /tmp/wrap.sh
	chmod 755 /tmp/wrap.sh
}

# The selftest's own verdict: exit status plus KTAP line counts.
digest() {
	ok=$(grep -cE '^ok [0-9]+' /tmp/out)
	nok=$(grep -cE '^not ok [0-9]+' /tmp/out)
	skip=$(grep -cE '# SKIP' /tmp/out)
	echo "rc=$(cat /tmp/rc 2>/dev/null || echo none) ok=$ok notok=$nok skip=$skip"
}

# Selftest output worth keeping: KTAP plans and totals, failures, skips,
# assertion reports; the tail of the output when it did not pass.
show_out() { # show_out NAME PHASE
	grep -E '^(not ok |1\.\.0|# Totals|# SKIP|==== Test|  [a-zA-Z_/.-]+\.[ch]:[0-9]+:)|SKIP|Killed|Segmentation' /tmp/out |
		head -n 40 | sed "s|^|ST-OUT $1 $2 |"
	if [ "$(cat /tmp/rc 2>/dev/null)" != 0 ]; then
		tail -n 12 /tmp/out | sed "s|^|ST-TAIL $1 $2 |"
	fi
}

show_dmesg() { # show_dmesg NAME PHASE
	dmesg -c > /tmp/dmesg
	echo "ST-DMESG-COUNT $1 $2 lines=$(wc -l < /tmp/dmesg) warnings=$(grep -c 'WARNING:' /tmp/dmesg)" \
		"bugs=$(grep -cE 'kernel BUG at|Internal error:|Oops' /tmp/dmesg)"
	head -n 300 /tmp/dmesg | sed "s|^|ST-DMESG $1 $2 |"
}

run_plain() { # run_plain PHASE NAME TIMEOUT ARGS...
	ph=$1
	n=$2
	to=$3
	shift 3
	mkwrap "$to" "$n" "$@"
	dmesg -c > /dev/null
	rm -f /tmp/rc /tmp/out
	a=$(up)
	/tmp/wrap.sh
	b=$(up)
	echo "ST-RUN $n $ph $(digest) krc=- secs=$(secs "$a" "$b")"
	show_out "$n" "$ph"
	show_dmesg "$n" "$ph"
}

# under_kvmsr PHASE NAME TIMEOUT OUT ERR KVMSR-ARGS...: the wrapped selftest
# (mkwrap) under kvmsr, the function tracer as oracle; its ST-RUN line.
under_kvmsr() {
	ph=$1
	n=$2
	to=$3
	out=$4
	err=$5
	shift 5
	dmesg -c > /dev/null
	rm -f /tmp/rc /tmp/out
	ft_on
	a=$(up)
	# SIGINT makes kvmsr stop and still print its summary, should it hang.
	timeout -s INT $((to + 120)) kvmsr "$@" -- /tmp/wrap.sh > "$out" 2> "$err"
	krc=$?
	b=$(up)
	ft_off "$n" "$ph"
	echo "ST-RUN $n $ph $(digest) krc=$krc secs=$(secs "$a" "$b")"
	show_out "$n" "$ph"
}

run_trace() { # run_trace PHASE NAME TIMEOUT ARGS...
	ph=$1
	n=$2
	to=$3
	shift 3
	mkwrap "$to" "$n" "$@"
	under_kvmsr "$ph" "$n" "$to" /tmp/k.json /tmp/k.err trace --json --events vm-exit --fail-on any
	echo "ST-VMEXITS $n $ph $(grep -c '"event":"vm-exit"' /tmp/k.json)"
	grep '"event":"finding"' /tmp/k.json | head -n 100 | sed "s|^|ST-KFIND $n $ph |"
	grep '"event":"summary"' /tmp/k.json | sed "s|^|ST-KSUM $n $ph |"
	head -n 30 /tmp/k.err | sed "s|^|ST-KERR $n $ph |"
	show_dmesg "$n" "$ph"
}

sum() { # sum KEY < json: the sum of every "KEY":N
	grep -o "\"$1\":[0-9]*" | awk -F: '{ s += $2 } END { print s + 0 }'
}

run_stat() { # run_stat PHASE NAME TIMEOUT ARGS...
	ph=$1
	n=$2
	to=$3
	shift 3
	mkwrap "$to" "$n" "$@"
	under_kvmsr "$ph" "$n" "$to" /tmp/s.json /tmp/s.err stat --json --exact
	# Per-vCPU objects summed (the part before "sampling" holds only them).
	v=$(sed 's/"sampling".*//' /tmp/s.json)
	echo "ST-STAT $n $ph vcpus=$(echo "$v" | grep -o '"vcpu":' | wc -l)" \
		"loads=$(echo "$v" | sum loads) puts=$(echo "$v" | sum puts)" \
		"loaded_ns=$(echo "$v" | sum loaded_ns) double_loads=$(echo "$v" | sum double_loads)" \
		"orphan_puts=$(echo "$v" | sum orphan_puts) missed_puts=$(echo "$v" | sum missed_puts)" \
		"reads_loaded=$(echo "$v" | sum reads_loaded) writes_loaded=$(echo "$v" | sum writes_loaded)" \
		"lost=$(grep -o '"lost_records":[0-9]*' /tmp/s.json | cut -d: -f2)" \
		"backend=$(grep -o '"backend":"[^"]*"' /tmp/s.json | head -n 1 | cut -d'"' -f4)"
	grep -o '"findings":{[^}]*},"checked":[0-9]*,"unchecked":[0-9]*' /tmp/s.json |
		sed "s|^|ST-SFINDINGS $n $ph {|; s|\$|}|"
	# The kept findings (one JSON object each).
	grep -o '"finding_list":\[.*\],"notes"' /tmp/s.json | sed 's/^"finding_list":\[//; s/\],"notes"$//' |
		sed 's/},{"event"/}\n{"event"/g' | grep '"event"' | head -n 100 | sed "s|^|ST-SFIND $n $ph |"
	# Registers trapped but not seen at an accessor (coverage gaps), summed over vCPUs.
	echo "ST-GAPS $n $ph $(grep -o '"[A-Za-z0-9_]*":{"index":[^}]*}' /tmp/s.json |
		sed -n 's/^"\([^"]*\)".*"trapped":\([0-9]*\),"trapped_seen":\([0-9]*\).*/\1 \2 \3/p' |
		awk '{ t[$1] += $2; s[$1] += $3 } END { for (r in t) if (t[r] != s[r]) printf "%s:%d/%d ", r, t[r] - s[r], t[r] }')"
	head -n 30 /tmp/s.err | sed "s|^|ST-SERR $n $ph |"
	show_dmesg "$n" "$ph"
}

# The selftest's verdict of the last run (for the rerun decision).
verdict() { echo "$(digest)"; }

while read -r name to args; do
	case $name in '' | '#'*) continue ;; esac
	echo "ST-BEGIN $name timeout=$to args=[$args]"
	# shellcheck disable=SC2086 # ARGS are words
	run_trace trace "$name" "$to" $args
	vt=$(verdict)
	# shellcheck disable=SC2086
	run_stat stat "$name" "$to" $args
	vs=$(verdict)
	# shellcheck disable=SC2086
	run_plain plain "$name" "$to" $args
	vp=$(verdict)
	if [ "$vt" != "$vp" ] || [ "$vs" != "$vp" ]; then
		echo "ST-DIFFER $name trace=[$vt] stat=[$vs] plain=[$vp]: running plain and trace once more"
		# shellcheck disable=SC2086
		run_plain plain2 "$name" "$to" $args
		# shellcheck disable=SC2086
		run_trace trace2 "$name" "$to" $args
	fi
	echo "ST-END $name"
done < /st/list
echo "ST-ALL-DONE"
