#!/bin/sh
# Runs inside the test bed guest (busybox sh).  Exercises kvmsr against the
# tiny VMM and prints tagged lines that tests/e2e/check.sh asserts on from
# the host.  ITERS comes from /e2e.env.
. /e2e.env
T=/sys/kernel/tracing
dmesg -n 1	# keep kernel messages from interleaving with our lines

tag() { sed "s/^/$1 /"; }

kvmsr check > /tmp/check.txt 2>&1
echo "E2E-CHECK-RC $?"
tag E2E-CHECK < /tmp/check.txt

# Independent oracle: the ftrace function tracer counts every call of
# kvm_arch_vcpu_load/put while kvmsr runs.
. /lib/ftrace-oracle.sh
ftrace_oracle_on
kvmsr stat --json -- sh -c "vmm --iters $ITERS --vcpus 2 > /tmp/vmm1.out" \
	> /tmp/stat.json 2> /tmp/stat.err
echo "E2E-STAT-RC $?"
echo "E2E-ORACLE $(ftrace_oracle_counts)"
echo nop > $T/current_tracer
tag E2E-STAT < /tmp/stat.json
tag E2E-STAT-ERR < /tmp/stat.err
tag E2E-VMM1 < /tmp/vmm1.out

# The same through the analyzer: coverage and detection need every event.
kvmsr stat --json --exact -- sh -c "vmm --iters $ITERS --vcpus 2 > /dev/null" \
	> /tmp/statx.json 2> /tmp/statx.err
echo "E2E-STATX-RC $?"
tag E2E-STATX < /tmp/statx.json

# The register values the guest wrote, as the accessor saw them.
kvmsr trace --json --events write --reg TTBR0_EL1,MAIR_EL1,TCR_EL1 \
	-- sh -c "vmm --iters 5 --vcpus 2 > /tmp/vmm2.out" > /tmp/trace.json 2> /tmp/trace.err
echo "E2E-TRACE-RC $?"
tag E2E-TRACE < /tmp/trace.json
tag E2E-TRACE-ERR < /tmp/trace.err
tag E2E-VMM2 < /tmp/vmm2.out

# Trapped accesses, every one named: the guest reads ID_AA64MMFR0_EL1
# (HCR_EL2.TID3), a register without a sys_regs[] slot.
kvmsr trace --json --events trap -- sh -c "vmm --iters 5 --vcpus 1 > /dev/null" \
	> /tmp/traps.json 2> /tmp/traps.err
echo "E2E-TRAPS-RC $?"
kvmsr trace --events trap -- sh -c "vmm --iters 5 --vcpus 1 > /dev/null" \
	> /tmp/traps.txt 2> /tmp/traps-txt.err
echo "E2E-TRAPS-TXT-RC $?"
echo "E2E-TRAPS-COUNTS traps=$(grep -c '"event":"trap"' /tmp/traps.json)" \
	"unnamed=$(grep '"event":"trap"' /tmp/traps.json | grep -vc '"reg":')" \
	"read_values=$(grep '"event":"trap"' /tmp/traps.json | grep '"is_write":false' | grep -c '"value":')" \
	"id_mmfr0=$(grep '"event":"trap"' /tmp/traps.json | grep -c '"reg":"ID_AA64MMFR0_EL1","reg_enc":"S3_0_C0_C7_0"')" \
	"txt_traps=$(grep -c ' trap ' /tmp/traps.txt)" \
	"txt_no_slot=$(grep -c 'no slot' /tmp/traps.txt)" \
	"txt_id_mmfr0=$(grep -c ' trap  *ID_AA64MMFR0_EL1 ' /tmp/traps.txt)" \
	"vm_vmm=$(grep '"event":"trap"' /tmp/traps.json | grep -c '"vm":"vmm"')" \
	"txt_vm=$(grep -c '^vm [0-9]*: vmm (comm)$' /tmp/traps.txt)"
grep '"event":"summary"' /tmp/traps.json | tag E2E-TRAPS-SUM
grep ' trap ' /tmp/traps.txt | sort -k6,6 -u | head -20 | tag E2E-TRAPS-TXT
tag E2E-TRAPS-ERR < /tmp/traps-txt.err

# Default trace counts in BPF what no rule can use (bpf/tally.bpf.h) and
# shows the counts; --all streams each of those events.  The same VMM run
# twice: the counts by (event, register) of one against the other's.
kvmsr trace --json -- sh -c "vmm --iters 60 --vcpus 1 > /dev/null" > /tmp/tally.json 2> /tmp/tally.err
echo "E2E-TALLY-RC $?"
kvmsr trace --json --all -- sh -c "vmm --iters 60 --vcpus 1 > /dev/null" > /tmp/tally-all.json 2> /dev/null
grep '"event":"summary"' /tmp/tally.json | tag E2E-TALLY-SUM
grep -v '"event":"summary"' /tmp/tally-all.json | awk -F'"event":"' '{ split($2, a, "\""); r = ""
	if (match($0, /"reg":"[^"]*"/)) r = substr($0, RSTART + 7, RLENGTH - 8)
	n[a[1] " " r]++ } END { for (k in n) print k, n[k] }' | tag E2E-TALLY-ALL
tag E2E-TALLY-ERR < /tmp/tally.err

# Bad input gets a clear message and a usage exit code.
kvmsr trace --reg NOT_A_REGISTER --duration 1 > /dev/null 2> /tmp/bad.err
echo "E2E-BADREG-RC $?"
tag E2E-BADREG < /tmp/bad.err

# --pid/--vcpu: two VMs at once, only one vCPU of one of them is wanted.
# Both outlive the trace (their iteration counts are far beyond 2 s) and are
# stopped when it ends.
vmm --iters 1000000 --vcpus 2 --timeout 600 > /tmp/vmm3.out 2>&1 &
want=$!
vmm --iters 1000000 --vcpus 2 --timeout 600 > /tmp/vmm4.out 2>&1 &
other=$!
# Both VMs running (their two vCPU threads made) before the trace starts,
# at most 30 s: a busy host is slow to start a VM, not a reason to fail.
threads() { ls /proc/$1/task 2>/dev/null | wc -l; }
for i in $(seq 300); do
	[ "$(threads $want)" -ge 3 ] && [ "$(threads $other)" -ge 3 ] && break
	sleep 0.1
done
echo "E2E-FILTER-START threads: want=$(threads $want) other=$(threads $other) after ${i}00 ms"
kvmsr trace --json --pid $want --vcpu 1 --events load,put,read,write --duration 2 \
	> /tmp/filter.json 2> /tmp/filter.err
echo "E2E-FILTER-RC $?"
# Counting stat over several sampling periods, one VM of two.
kvmsr stat --json --pid $want --duration 5 > /tmp/window.json 2> /tmp/window.err
echo "E2E-WINDOW-RC $?"
tag E2E-WINDOW < /tmp/window.json
# Still running after both: if not, their output says why.
echo "E2E-FILTER-ALIVE want=$(threads $want) other=$(threads $other)"
kill $want $other
wait $want $other
tag E2E-FILTER-VMM < /tmp/vmm3.out
tag E2E-FILTER-VMM < /tmp/vmm4.out
tag E2E-FILTER-ERR < /tmp/filter.err
tag E2E-WINDOW-ERR < /tmp/window.err
echo "E2E-FILTER-PIDS want=$want other=$other"
grep -v '"summary"' /tmp/filter.json | sed 's/"ts_ns":[0-9]*,//' | sort | uniq -c |
	sort -rn | head -3 | tag E2E-FILTER-TOP
echo "E2E-FILTER-COUNT $(grep -c '"event"' /tmp/filter.json)"
echo "E2E-FILTER-UNLOADED $(grep '"event":"load"' /tmp/filter.json | grep -c '"sysregs_on_cpu":false')"
echo "E2E-FILTER-FOREIGN $(grep -v '"summary"' /tmp/filter.json | grep -v "\"pid\":$want,"'.*"vcpu":1' -c)"

# SIGINT ends a run cleanly and still prints the summary.
kvmsr stat --json > /tmp/sigint.json 2> /tmp/sigint.err &
k=$!
ready() { # ready FILE: wait up to 30 s for kvmsr's "attached" line
	i=0
	while ! grep -q 'kvmsr: attached' "$1" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
ready /tmp/sigint.err
vmm --iters 30 --vcpus 1 > /dev/null
kill -INT $k
wait $k
echo "E2E-SIGINT-RC $?"
tag E2E-SIGINT < /tmp/sigint.json
tag E2E-SIGINT-ERR < /tmp/sigint.err

# The other backend, forced: kprobes work on every kernel here.
kvmsr stat --json --sample 100 --backend kprobe -- sh -c 'vmm --iters 20 --vcpus 1 > /tmp/vmm5.out' \
	> /tmp/kprobe.json 2> /tmp/kprobe.err
echo "E2E-KPROBE-RC $?"
tag E2E-KPROBE < /tmp/kprobe.json
tag E2E-KPROBE-ERR < /tmp/kprobe.err
tag E2E-VMM5 < /tmp/vmm5.out
# Counting with fentry entry probes on the accessors: every call counted;
# with each program's run count (KVMSR_PROG_STATS), to see which ran.
KVMSR_PROG_STATS=1 kvmsr stat --json --sample 100 --backend fentry -- sh -c 'vmm --iters 20 --vcpus 1 > /dev/null' \
	> /tmp/fentry.json 2> /tmp/fentry.err
echo "E2E-FENTRY-RC $?"
tag E2E-FENTRY < /tmp/fentry.json
tag E2E-FENTRY-ERR < /tmp/fentry.err
kvmsr stat --backend tracepoint --duration 1 > /dev/null 2> /tmp/tpforce.err
echo "E2E-TPFORCE-RC $?"
tag E2E-TPFORCE-ERR < /tmp/tpforce.err

# Detection on a correct kernel: thousands of loaded accesses checked, no
# confirmed finding, no WARN/BUG; --fail-on any would exit 3 otherwise.
kvmsr trace --json --fail-on any --events load -- sh -c "vmm --iters $ITERS --vcpus 2 > /dev/null" \
	> /tmp/detect.json 2> /tmp/detect.err
echo "E2E-DETECT-RC $?"
grep '"event":"summary"' /tmp/detect.json | tag E2E-DETECT
grep '"event":"finding"' /tmp/detect.json | head -5 | tag E2E-DETECT-FINDING
tag E2E-DETECT-ERR < /tmp/detect.err

# The flight recorder's events on a real kernel: a CPU hog on every CPU
# makes the vCPU threads switch; every vCPU ioctl and guest exit is seen.
(while :; do :; done) & h1=$!
(while :; do :; done) & h2=$!
KVMSR_STREAM_STATS=1 kvmsr trace --json --events load,put,switch,ioctl,exit --context 8 \
	--ring-size 4 -- \
	sh -c "vmm --iters 200 --vcpus 2 > /tmp/ctx-vmm.out" > /tmp/ctx.json 2> /tmp/ctx.err
echo "E2E-CTX-RC $?"
kill $h1 $h2
tag E2E-CTX-VMM < /tmp/ctx-vmm.out
grep '"event":"summary"' /tmp/ctx.json | tag E2E-CTX-SUM
echo "E2E-CTX-COUNTS ioctl_run=$(grep -c '"name":"KVM_RUN"' /tmp/ctx.json)" \
	"exits=$(grep -c '"event":"exit"' /tmp/ctx.json)" \
	"switch_out_loaded=$(grep -c '"direction":"out".*"vcpu_loaded":true' /tmp/ctx.json)" \
	"switch_in=$(grep -c '"direction":"in"' /tmp/ctx.json)" \
	"switch_in_still_loaded=$(grep -c '"direction":"in".*"vcpu_loaded":true' /tmp/ctx.json)" \
	"owed=$(grep -c '"direction":"out".*"vcpu_loaded":true.*"notifier_registered":true' /tmp/ctx.json)"
# A switch-out with the vCPU loaded must be followed by that thread's put
# before its switch-in: count the ones that are not.
awk '/"event":"switch"/ && /"direction":"out"/ && /"vcpu_loaded":true/ {
		match($0, /"tid":[0-9]+/); t = substr($0, RSTART + 6, RLENGTH - 6); owe[t] = 1 }
	/"event":"put"/ { match($0, /"tid":[0-9]+/); t = substr($0, RSTART + 6, RLENGTH - 6); owe[t] = 0 }
	/"event":"switch"/ && /"direction":"in"/ {
		match($0, /"tid":[0-9]+/); t = substr($0, RSTART + 6, RLENGTH - 6); if (owe[t]) bad++; owe[t] = 0 }
	END { print "E2E-CTX-UNPAIRED " bad + 0 }' /tmp/ctx.json
# Loads and puts taken without a stack say who called them ("via"): check
# each against the events before it on its CPU and thread.  A put by
# kvm_sched_out after its thread's switch-out (vCPU loaded, notifier
# registered), a load by kvm_sched_in after its thread's switch-in, an
# ioctl's first load after an ioctl of its thread and no load since.  One
# sched_switch gives the out event, then the in event (vCPU thread to vCPU
# thread), then the notifiers' put and load.
awk 'function num(k) { if (!match($0, "\"" k "\":[0-9]+")) return -1
		return substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3) + 0 }
	{ c = num("cpu"); t = num("tid"); o = num("other_tid") }
	/"event":"switch"/ && /"direction":"out"/ { lastin[c] = ""
		out[c] = (/"vcpu_loaded":true/ && /"notifier_registered":true/ ? "owed " : "out ") t }
	/"event":"switch"/ && /"direction":"in"/ { lastin[c] = t; if (out[c] !~ " " o "$") out[c] = "" }
	/"event":"ioctl"/ { fresh[t] = 1 }
	/"event":"put"/ && /"via":"switch"/ { ps++; if (out[c] != "owed " t) bad++ }
	/"event":"load"/ && /"via":"switch"/ { ls++; if (lastin[c] != t) bad++ }
	/"event":"load"/ && /"via":"ioctl"/ { li++; if (!fresh[t]) bad++ }
	/"event":"load"/ { fresh[t] = 0; lastin[c] = "" }
	/"event":"put"/ { out[c] = "" }
	END { print "E2E-CTX-VIA put_switch=" ps + 0, "load_switch=" ls + 0, "load_ioctl=" li + 0,
		"bad=" bad + 0 }' /tmp/ctx.json
tag E2E-CTX-ERR < /tmp/ctx.err

# record/report: the report of a recording equals the live summary; a
# recording cut by SIGKILL still reads; the file goes to the host (base64)
# to be reported by the x86 build there.
KVMSR_STREAM_STATS=1 kvmsr record --json -o /tmp/rec.kvmsr -- \
	sh -c "vmm --iters 10 --vcpus 2 > /dev/null" \
	> /tmp/rec-live.json 2> /tmp/rec.err
echo "E2E-REC-RC $?"
tag E2E-REC-LIVE < /tmp/rec-live.json
tag E2E-REC-ERR < /tmp/rec.err
kvmsr report --json /tmp/rec.kvmsr > /tmp/rec-report.json 2> /tmp/rep.err
echo "E2E-REP-RC $?"
tag E2E-REP < /tmp/rec-report.json
tag E2E-REP-ERR < /tmp/rep.err
kvmsr report /tmp/rec.kvmsr > /tmp/rec-report.txt 2>&1
echo "E2E-REPTXT-RC $?"
tag E2E-REPTXT < /tmp/rec-report.txt
base64 /tmp/rec.kvmsr | tag E2E-RECB64
# Renamed into place at the end: private, no temporary file left.
echo "E2E-REC-MODE $(ls -l /tmp/rec.kvmsr | cut -c1-10)"
echo "E2E-REC-TMPS $(ls -a /tmp | grep -c '^\.rec\.kvmsr\.')"
vmm --iters 1000000 --vcpus 1 --timeout 600 > /dev/null 2>&1 &
v=$!
kvmsr record -o /tmp/cut.kvmsr --pid $v > /dev/null 2> /tmp/cut.err &
k=$!
ready /tmp/cut.err
# While record runs, the recording is its temporary file /tmp/.cut.kvmsr.XXXXXX
# (created before attaching), renamed to /tmp/cut.kvmsr only when the run ends.
part=$(ls -d /tmp/.cut.kvmsr.?????? 2> /dev/null | head -n 1)
echo "E2E-CUT-PART ${part:-none}"
# Killed once events are on disk (the guest needs a moment to start).
i=0
while [ "$(wc -c < "${part:-/dev/null}")" -lt 200000 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $k
wait $k 2> /dev/null
kill $v; wait $v 2> /dev/null
# Killed: no /tmp/cut.kvmsr; the temporary file is the (cut) recording.
[ -e /tmp/cut.kvmsr ] && echo "E2E-CUT-TARGET yes" || echo "E2E-CUT-TARGET no"
kvmsr report --json "${part:-/tmp/cut.kvmsr}" > /tmp/cut.json 2> /tmp/cut-rep.err
echo "E2E-CUT-RC $?"
tag E2E-CUT < /tmp/cut.json
tag E2E-CUT-ERR < /tmp/cut-rep.err
head -c 4000 /bin/busybox > /tmp/foreign
kvmsr report /tmp/foreign > /dev/null 2> /tmp/foreign.err
echo "E2E-FOREIGN-RC $?"
tag E2E-FOREIGN-ERR < /tmp/foreign.err

# serve: the Prometheus endpoint and the textfile while a VM runs, and after
# it is gone (its series must go too).
# Kernels without INET (the lean patched one) get the textfile only.
[ -e /proc/net/tcp ] && listen="--listen 127.0.0.1:9464" || listen=""
kvmsr serve $listen --textfile /tmp/kvmsr.prom --interval 1 --bpf-stats \
	> /tmp/serve.out 2> /tmp/serve.err &
s=$!
ready /tmp/serve.err
vmm --iters 1000000 --vcpus 2 --timeout 600 > /dev/null 2>&1 &
v=$!
echo "E2E-SERVE-VM $v"
sleep 3
wget -q -O /tmp/m1.prom http://127.0.0.1:9464/metrics
echo "E2E-SERVE-GET1-RC $?"
wget -q -O /dev/null http://127.0.0.1:9464/nothing-here 2> /tmp/404.err
echo "E2E-SERVE-404-RC $?"
tag E2E-SERVE-404 < /tmp/404.err
kill $v; wait $v 2> /dev/null
wget -q -O /tmp/m2.prom http://127.0.0.1:9464/metrics
echo "E2E-SERVE-GET2-RC $?"
sleep 2
kill -INT $s
wait $s
echo "E2E-SERVE-RC $?"
tag E2E-SERVE-ERR < /tmp/serve.err
tag E2E-SERVE-M1 < /tmp/m1.prom
tag E2E-SERVE-M2 < /tmp/m2.prom
tag E2E-SERVE-TEXTFILE < /tmp/kvmsr.prom
[ -e /proc/net/tcp ] && echo "E2E-SERVE-INET yes" || echo "E2E-SERVE-INET no"
