#!/bin/sh
# Runs inside the test bed guest booted on the patched kernel
# (tests/kernel/lkdtm-test.sh). kvmsr traces system-wide while LKDTM provokes
# a WARNING and a BUG (an oops that kills the writing process; the kernel
# goes on because panic_on_oops is 0), then a small VM runs so that kvmsr
# shows it still works after the BUG. Prints tagged lines the host asserts on;
# the kernel log (dmesg) is printed too, as the oracle.
D=/sys/kernel/debug/provoke-crash/DIRECT
tag() { sed "s/^/$1 /"; }
mark() { echo "lkdtm-payload: $*" > /dev/kmsg; }
dmesg -n 1	# keep kernel messages from interleaving with our lines

echo "LK-UNAME $(uname -r)"
if [ ! -e $D ]; then
	echo "LK-MISSING $D"
	exit 1
fi
# An oops kills the task and goes on only with panic_on_oops=0 (the default
# without CONFIG_PANIC_ON_OOPS and without oops=panic on the command line);
# a WARN must not panic either. Set both explicitly and show them.
echo 0 > /proc/sys/kernel/panic_on_oops
echo 0 > /proc/sys/kernel/panic_on_warn
echo "LK-SYSCTL panic_on_oops=$(cat /proc/sys/kernel/panic_on_oops)" \
	"panic_on_warn=$(cat /proc/sys/kernel/panic_on_warn)" \
	"tainted=$(cat /proc/sys/kernel/tainted)"
echo "LK-CMDLINE $(cat /proc/cmdline)"
echo "LK-SHELL-PID $$"

# System-wide trace, load/put events and every finding, as NDJSON;
# --fail-on warn,bug: the documented "findings" exit status (3) at the end.
kvmsr trace --json --events load,put --fail-on warn,bug > /tmp/kvmsr.json 2> /tmp/kvmsr.err &
k=$!
echo "LK-KVMSR-PID $k"
i=0
while ! grep -q 'kvmsr: attached' /tmp/kvmsr.err && [ $i -lt 300 ] && kill -0 $k 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if grep -q 'kvmsr: attached' /tmp/kvmsr.err; then
	echo "LK-ATTACHED after ${i}00 ms"
else
	echo "LK-NOT-ATTACHED"
	tag LK-KVMSR-ERR < /tmp/kvmsr.err
	kill -INT $k 2>/dev/null
	exit 1
fi

# WARNING: WARN_ON() in lkdtm; the writing process (this shell) goes on.
mark "WARNING from pid $$"
echo WARNING > $D
# shellcheck disable=SC2320 # the status of the write to $D
echo "LK-WARNING-RC $?"

# BUG: BUG() in lkdtm -> die(); the writing process is killed (SIGSEGV).
mark "BUG next"
sh -c 'echo "LK-BUG-PID $$"; echo BUG > '$D'; echo "LK-BUG-SURVIVED"'
echo "LK-BUG-RC $?"
dmesg -n 1	# die() made the console verbose (console_verbose())
mark "after BUG"
sleep 0.5	# kvmsr drains its ring buffer every 50 ms
if kill -0 $k 2>/dev/null; then echo "LK-ALIVE-AFTER-BUG yes"; else echo "LK-ALIVE-AFTER-BUG no"; fi

# kvmsr keeps working: the loads and puts of a VM started after the BUG.
vmm --iters 5 --vcpus 1 > /tmp/vmm.out 2>&1 &
v=$!
echo "LK-VMM-PID $v"
wait $v
echo "LK-VMM-RC $?"
sleep 0.5
if kill -0 $k 2>/dev/null; then echo "LK-ALIVE-AFTER-VMM yes"; else echo "LK-ALIVE-AFTER-VMM no"; fi

kill -INT $k 2>/dev/null
wait $k
echo "LK-KVMSR-RC $?"
tag LK-KVMSR < /tmp/kvmsr.json
tag LK-KVMSR-ERR < /tmp/kvmsr.err
tag LK-VMM < /tmp/vmm.out

# The oracle: the kernel's own log, and the addresses of the functions it
# names at the WARNING and at the oops's pc (to check kvmsr's raw addresses).
dmesg | tag LK-DMESG
# Every text symbol at the same address is printed too (aliases, in
# /proc/kallsyms order), to explain a name that differs from the kernel's.
for fn in $(dmesg | sed -n -e 's/.*WARNING: .* at \([^+ ]*\)+0x.*/\1/p' \
	-e 's/.*pc : \([^+ ]*\)+0x.*/\1/p' | sort -u); do
	grep -E " [tTwW] $fn\$" /proc/kallsyms | tag LK-KSYM
	for a in $(grep -E " [tTwW] $fn\$" /proc/kallsyms | cut -d' ' -f1); do
		grep "^$a [tTwW] " /proc/kallsyms | tr '\n' ' ' | sed "s/^/LK-KSYM-AT $fn: /"
		echo
	done
done
echo "LK-TAINTED $(cat /proc/sys/kernel/tainted)"
exit 0
