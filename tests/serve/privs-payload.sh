#!/bin/sh
# In the guest (tests/serve/privs-test.sh): `kvmsr serve` as an unprivileged
# user (uid 999) with CAP_BPF, CAP_PERFMON and CAP_SYSLOG, as the systemd
# unit runs it, for the fentry and the kprobe backend; then the same user
# with no capability at all.
dmesg -n 1
# The initramfs root is a mktemp -d directory (0700): let uid 999 in.
chmod 755 / /bin
caps=39,38,34	# CAP_BPF, CAP_PERFMON, CAP_SYSLOG
scrape() { wget -q -O - http://127.0.0.1:9464/metrics; }
# calls: the sum of the accessor calls counted so far
calls() { scrape | awk '/^kvmsr_vcpu_accessor_calls_total/ { s += $2 } END { print s + 0 }'; }
loads() { scrape | awk '/^kvmsr_vcpu_loads_total/ { s += $2 } END { print s + 0 }'; }
vmm --iters 1000000 --vcpus 2 --timeout 900 > /dev/null 2>&1 &
v=$!
for b in fentry kprobe; do
	# Debian's kernels refuse perf events, kprobes included, to all but
	# CAP_SYS_ADMIN at perf_event_paranoid 3, their default; at 2 CAP_PERFMON
	# is enough (man kvmsr, SECURITY).
	[ $b = kprobe ] && echo 2 > /proc/sys/kernel/perf_event_paranoid
	runas 999 $caps kvmsr serve --backend $b --listen 127.0.0.1:9464 --verbose > /tmp/serve.out 2> /tmp/serve.err &
	k=$!
	i=0
	while ! grep -q 'kvmsr: attached' /tmp/serve.err && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	t0=$(cut -d. -f1 /proc/uptime)
	echo "PV-$b-UID $(awk '/^Uid:/ { print $2 }' /proc/$k/status)"
	echo "PV-$b-CAPEFF $(awk '/^CapEff:/ { print $2 }' /proc/$k/status)"
	echo "PV-$b-CAPPRM $(awk '/^CapPrm:/ { print $2 }' /proc/$k/status)"
	echo "PV-$b-NONEWPRIVS $(awk '/^NoNewPrivs:/ { print $2 }' /proc/$k/status)"
	sleep 4
	echo "PV-$b-A $(loads) $(calls)"
	# The sampling window opens again 10 s after the start: its probes are
	# attached with the capabilities already gone.
	while [ $(( $(cut -d. -f1 /proc/uptime) - t0 )) -lt 14 ]; do sleep 1; done
	echo "PV-$b-B $(loads) $(calls)"
	kill -INT $k
	wait $k
	echo "PV-$b-RC $?"
	sed "s/^/PV-$b-ERR /" /tmp/serve.err
done
kill $v; wait $v 2> /dev/null
# No capability: refused, with the reason.
runas 999 none kvmsr serve --listen 127.0.0.1:9464 > /tmp/serve.out 2> /tmp/serve.err
echo "PV-NOCAP-RC $?"
sed 's/^/PV-NOCAP-ERR /' /tmp/serve.err | head -5
