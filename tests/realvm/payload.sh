#!/bin/sh
# Runs inside the test bed's host (busybox sh), see tests/realvm/run.sh.
# Debian's QEMU boots a real Linux guest (the L2: Debian's 6.1 Image and a
# busybox initramfs that does a few seconds of work, then powers off) under
# one kvmsr mode per run, with the kernel's function tracer on
# kvm_arch_vcpu_load/put as the oracle of the same run.  Prints tagged lines
# (RV-*) that tests/realvm/check.sh asserts on from the x86 side.
# /realvm.env: RUNS (rounds of MODES), MODES ("stat trace:busy ..."; :busy =
# two busy loops in this host during the run), KEEP (recordings with a
# confirmed finding to send to the host, at most), KEEP_BUSY (recordings of
# busy runs to send whatever they hold, at most: evidence for another
# analyzer, e.g. an older one, to replay on the host).
. /realvm.env
T=/sys/kernel/tracing
. /lib/ftrace-oracle.sh
dmesg -n 1
port=$(ls /dev/vport*p1 2>/dev/null | head -n 1)
up() { cut -d' ' -f1 /proc/uptime; }
tag() { sed "s/^/$1 /"; }
echo "RV-UNAME $(uname -r)"
echo "RV-CONF runs=$RUNS modes=$MODES keep=$KEEP port=${port:-none} cpus=$(grep -c ^processor /proc/cpuinfo)"
# The tracer's clock = bpf_ktime_get_ns()'s (CLOCK_MONOTONIC): kvmsr's event
# times and the tracer's can be compared one by one.
echo mono > $T/trace_clock
echo "RV-CLOCK $(cat $T/trace_clock)"

# -name and -uuid: kvmsr names the VM by them (check.sh asserts it).
# shellcheck disable=SC2089,SC2090
QEMU="qemu-system-aarch64 -name realvm-l2,debug-threads=on -uuid 6b1d6f2e-3c4a-4e5f-9a7b-8c9d0e1f2a3b
 -M virt,gic-version=3 -accel kvm
 -cpu host -smp 2 -m 256M -display none -nodefaults -serial file:/tmp/l2.log -no-reboot
 -kernel /realvm/Image -initrd /realvm/l2.cpio.gz"
APPEND="console=ttyAMA0 panic=-1 rdinit=/init quiet L2_SECS=${L2_SECS:-3}"

ready() { # ready FILE: wait up to 60 s for kvmsr's "attached" line
	i=0
	while ! grep -q 'kvmsr: attached' "$1" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
}
# qemu_pid: the QEMU started by kvmsr (or by us), within 120 s.
qemu_pid() {
	i=0
	while [ $i -lt 1200 ]; do
		p=$(pidof qemu-system-aarch64 | cut -d' ' -f1)
		[ -n "$p" ] && { echo "$p"; return; }
		sleep 0.1
		i=$((i + 1))
	done
}
# vcpu_threads PID: " 0=TID 1=TID" from QEMU's "CPU n/KVM" threads, once
# both are there (or QEMU is gone).
vcpu_threads() {
	i=0
	while [ $i -lt 600 ] && [ -d /proc/$1 ]; do
		m=""
		for t in /proc/$1/task/*; do
			c=$(cat $t/comm 2>/dev/null)
			case $c in
			"CPU "*/KVM) v=${c#CPU }; m="$m ${v%%/*}=${t##*/}" ;;
			esac
		done
		case $m in *1=*) echo "$m"; return ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	echo "$m"
}

# Per thread from the tracer's buffer: loads, puts, the sum of the load->put
# intervals (entry to entry), double loads and puts without a load.
ft_intervals() {
	awk -v n="$1" '/: kvm_arch_vcpu_(load|put) <-/ {
		s = $0; sub(/ +\[[0-9]+\].*/, "", s); sub(/^ +/, "", s)
		tid = s; sub(/.*-/, "", tid)
		for (i = 1; i <= NF; i++) if ($i ~ /^kvm_arch_vcpu_(load|put)$/) { f = $i; ts = $(i - 1); break }
		sub(/:$/, "", ts); t = ts * 1e9; seen[tid] = 1
		if (f == "kvm_arch_vcpu_load") { ld[tid]++; if (open[tid]) dbl[tid]++; open[tid] = 1; st[tid] = t }
		else { pt[tid]++; if (open[tid]) { sum[tid] += t - st[tid]; open[tid] = 0 } else orph[tid]++ }
	}
	END { for (t in seen) printf "RV-FT n=%s tid=%s load=%d put=%d loaded_ns=%.0f double=%d orphan=%d\n",
		n, t, ld[t], pt[t], sum[t], dbl[t], orph[t] }' $T/trace
}

# trace mode: per (pid, tid, vcpu) from kvmsr's own events: loads, puts, the
# load->put time; and, paired one by one with the tracer's entries of the
# same thread, how much later kvmsr timestamps a load (fexit) and a put
# (fentry) than the tracer (function entry).
trace_events() {
	awk -v n="$1" '
	function num(k,   r) { if (!match($0, "\"" k "\":[0-9-]+")) return ""; r = substr($0, RSTART, RLENGTH); sub(/.*:/, "", r); return r }
	FNR == NR { if ($0 !~ /: kvm_arch_vcpu_(load|put) <-/) next
		s = $0; sub(/ +\[[0-9]+\].*/, "", s); sub(/^ +/, "", s); tid = s; sub(/.*-/, "", tid)
		for (i = 1; i <= NF; i++) if ($i ~ /^kvm_arch_vcpu_(load|put)$/) { f = $i; ts = $(i - 1); break }
		sub(/:$/, "", ts)
		if (f == "kvm_arch_vcpu_load") fl[tid, ++nfl[tid]] = ts * 1e9; else fp[tid, ++nfp[tid]] = ts * 1e9
		next }
	# Events only: a finding line holds the last events of its vCPU (--context).
	/^\{"ts_ns":[0-9]+,"event":"(load|put)"/ { tid = num("tid"); key = num("pid") " " tid " " num("vcpu"); keys[key] = 1; t = num("ts_ns")
		if ($0 ~ /^\{"ts_ns":[0-9]+,"event":"load"/) { ld[key]++; st[key] = t; k = ++nkl[tid]
			if (k <= nfl[tid]) { d = t - fl[tid, k]; lsum += d; ln++; if (ln == 1 || d > lmax) lmax = d; if (ln == 1 || d < lmin) lmin = d } }
		else { pt[key]++; if (st[key]) sum[key] += t - st[key]; st[key] = 0; k = ++nkp[tid]
			if (k <= nfp[tid]) { d = t - fp[tid, k]; psum += d; pn++; if (pn == 1 || d > pmax) pmax = d; if (pn == 1 || d < pmin) pmin = d } } }
	END { for (k in keys) { split(k, a, " ")
			printf "RV-TK n=%s pid=%s tid=%s vcpu=%s loads=%d puts=%d loaded_ns=%.0f\n", n, a[1], a[2], a[3], ld[k], pt[k], sum[k] }
		printf "RV-OFFSET n=%s loads=%d load_mean_ns=%.0f load_min_ns=%.0f load_max_ns=%.0f puts=%d put_mean_ns=%.0f put_min_ns=%.0f put_max_ns=%.0f\n",
			n, ln, ln ? lsum / ln : 0, lmin, lmax, pn, pn ? psum / pn : 0, pmin, pmax }' $T/trace /tmp/k.json
}

# trace_order N: the stream's time order (steps back, the largest) and what
# it showed: events per type, register events per register (top 6).
trace_order() {
	awk -v n="$1" '
	function str(k,  s) { s = $0; if (!sub(".*\"" k "\":\"", "", s)) return ""; sub("\".*", "", s); return s }
	/^\{"ts_ns":/ { t = $0; sub("^\\{\"ts_ns\":", "", t); sub(",.*", "", t); t += 0; lines++
		if (lines > 1 && t < last) { back++; if (last - t > maxb) maxb = last - t }
		last = t; ev = str("event"); evs[ev]++; v = str("vm"); if (v == "") novm++; else vms[v]++
		if (ev == "read" || ev == "write" || ev == "trap") { r = str("reg"); regs[ev " " (r == "" ? "(none)" : r)]++ } }
	END { printf "RV-ORDER n=%s lines=%d backward=%d max_back_ns=%d novm=%d vms=", n, lines, back, maxb, novm
		sep = ""; for (v in vms) { printf "%s%s", sep, v; sep = "," }
		for (e in evs) printf " %s=%d", e, evs[e]; printf "\n"
		for (k in regs) printf "RV-SHOWN n=%s %d %s\n", n, regs[k], k > "/tmp/shown" }' /tmp/k.json
	sort -k3,3nr /tmp/shown 2>/dev/null | head -n 6
	rm -f /tmp/shown
}

kept=0 kept_busy=0
run_one() { # run_one N MODE BUSY
	n=$1 mode=$2 busy=$3
	rm -f /tmp/l2.log /tmp/k.json /tmp/k.err /tmp/x.kvmsr /tmp/r.json /tmp/m.prom
	hogs=""
	if [ "$busy" = 1 ]; then
		(while :; do :; done) &
		hogs="$!"
		(while :; do :; done) &
		hogs="$hogs $!"
	fi
	ftrace_oracle_on
	s=$(up)
	# shellcheck disable=SC2086
	case $mode in
	stat) kvmsr stat --json -- $QEMU -append "$APPEND" > /tmp/k.json 2> /tmp/k.err & k=$! ;;
	# trace's default: loads, puts and the registers the put saves.
	trace) kvmsr trace --json --fail-on confirmed -- $QEMU -append "$APPEND" \
		> /tmp/k.json 2> /tmp/k.err & k=$! ;;
	record) kvmsr record --json -o /tmp/x.kvmsr -- $QEMU -append "$APPEND" \
		> /tmp/k.json 2> /tmp/k.err & k=$! ;;
	serve) kvmsr serve --listen 127.0.0.1:9464 > /tmp/k.json 2> /tmp/k.err & k=$!
		ready /tmp/k.err
		$QEMU -append "$APPEND" > /tmp/q.out 2>&1 & ;;
	esac
	qp=$(qemu_pid)
	th=$(vcpu_threads "$qp")
	echo "RV-THREADS n=$n qemu=$qp$th"
	if [ "$mode" = serve ]; then
		# Once the L2 is doing its work: one scrape while QEMU runs.
		i=0
		while ! grep -q L2-UP /tmp/l2.log 2>/dev/null && [ -d /proc/$qp ] && [ $i -lt 600 ]; do
			sleep 0.1; i=$((i + 1))
		done
		wget -q -O /tmp/m.prom http://127.0.0.1:9464/metrics
		echo "RV-SCRAPE n=$n rc=$? qemu_alive=$([ -d /proc/$qp ] && echo 1 || echo 0)"
		grep -E '^kvmsr_(vcpu_loads_total|vcpu_puts_total|findings_total|lost_records_total)' /tmp/m.prom |
			tag "RV-PROM n=$n"
		while [ -d /proc/$qp ]; do sleep 0.1; done
		kill -INT $k
	fi
	wait $k
	rc=$?
	e=$(up)
	for h in $hogs; do kill $h; done
	wait 2>/dev/null
	echo "RV-RUN n=$n mode=$mode busy=$busy rc=$rc qemu=$qp secs=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }')"
	echo "RV-ORACLE n=$n $(ftrace_oracle_counts)"
	ft_intervals "$n"
	case $mode in
	stat | record) grep -m1 '^{' /tmp/k.json | tag "RV-JSON n=$n" ;;
	trace) grep '"event":"summary"' /tmp/k.json | tag "RV-JSON n=$n"
		grep '"event":"finding"' /tmp/k.json | head -n 10 | cut -c1-600 | tag "RV-FINDING n=$n"
		trace_events "$n"
		trace_order "$n" ;;
	esac
	echo nop > $T/current_tracer
	if [ "$mode" = record ]; then
		kvmsr report --json /tmp/x.kvmsr > /tmp/r.json 2> /tmp/r.err
		echo "RV-REPORT-RC n=$n $? size=$(wc -c < /tmp/x.kvmsr)"
		tag "RV-REPORT n=$n" < /tmp/r.json
		# A recording with a confirmed finding goes to the host.
		c=$(sed -n 's/.*"findings":{[^}]*"stale-read":\([0-9]*\),"lost-write":\([0-9]*\).*/\1 \2/p' /tmp/r.json)
		send=0
		if [ -n "$c" ] && [ "$c" != "0 0" ] && [ "$kept" -lt "$KEEP" ]; then
			kept=$((kept + 1)) send=1
		elif [ "$busy" = 1 ] && [ "$kept_busy" -lt "${KEEP_BUSY:-0}" ]; then
			kept_busy=$((kept_busy + 1)) send=1
		fi
		if [ "$send" = 1 ]; then
			d=/tmp/rec-$n
			mkdir -p $d
			mv /tmp/x.kvmsr $d/rec.kvmsr
			cp /tmp/r.json $d/report.json
			echo "n=$n mode=$mode busy=$busy kernel=$(uname -r) stale,lost=$c" > $d/run.txt
			if [ -n "$port" ]; then
				(cd /tmp && tar cf - "rec-$n") > "$port"
				echo "RV-SENT n=$n $(du -k $d | tail -n 1 | cut -f1) KiB"
			else
				echo "RV-B64-BEGIN n=$n"
				(cd /tmp && tar cf - "rec-$n" | gzip -1 | base64)
				echo "RV-B64-END n=$n"
			fi
			rm -rf $d
		fi
	fi
	grep -E 'L2-(UP|DONE)' /tmp/l2.log | tag "RV-L2 n=$n"
	grep -q L2-DONE /tmp/l2.log || tail -n 5 /tmp/l2.log | tag "RV-L2-TAIL n=$n"
	grep -vE '^kvmsr: (attached|serving)' /tmp/k.err | head -n 10 | tag "RV-KERR n=$n"
}

t0=$(up)
n=0
r=1
while [ "$r" -le "$RUNS" ]; do
	for m in $MODES; do
		n=$((n + 1))
		case $m in *:busy) run_one $n ${m%:busy} 1 ;; *) run_one $n $m 0 ;; esac
	done
	r=$((r + 1))
done
echo "RV-DONE runs=$n secs=$(awk -v t0="$t0" -v now="$(up)" 'BEGIN { printf "%.0f", now - t0 }')"
