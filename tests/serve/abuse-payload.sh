#!/bin/sh
# In the guest (tests/serve/abuse-test.sh): `kvmsr serve` while a VM runs
# (the event loop busy) and, at the same time, slow, idle, many (more than
# the connection cap) and malformed clients; a well-behaved client scrapes
# every 0.5 s.  Then SIGTERM with the abusers still connected.
dmesg -n 1
P=9464
serve() { # start kvmsr serve, wait until it is attached
	rm -f /tmp/serve.err
	kvmsr serve --listen 127.0.0.1:$P > /tmp/serve.out 2> /tmp/serve.err &
	k=$!
	i=0
	while ! grep -q 'kvmsr: attached' /tmp/serve.err && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
term() { # term TAG: SIGTERM kvmsr; "TAG RC MS": its exit status and how long it took
	u0=$(cut -d' ' -f1 /proc/uptime)
	kill -TERM $k
	wait $k
	rc=$?
	u1=$(cut -d' ' -f1 /proc/uptime)
	echo "$1 $rc $(echo "$u0 $u1" | awk '{ printf "%d", ($2 - $1) * 1000 }')"
}
# The baseline: how long kvmsr takes to stop (detach, under TCG) with the VM
# running and no client at all.
vmm --iters 1000000 --vcpus 2 --timeout 600 > /dev/null 2>&1 &
v=$!
echo "AB-VM $v"
serve
sleep 3
term AB-BASE
serve
sleep 2
# Abusers for up to 60 s: 4 slow (a byte every 0.4 s, the head never ends), 20
# idle, a malformed request every 0.2 s; each reconnects a second after the
# server dropped it.  From 6 s to 10 s, 40 more idle ones: 64 on a cap of 32.
abuse slow $P 4 60 > /tmp/slow.out 2>&1 &
a1=$!
abuse idle $P 20 60 > /tmp/idle.out 2>&1 &
a2=$!
abuse malformed $P 60 > /tmp/malformed.out 2>&1 &
a3=$!
(sleep 6; abuse idle $P 40 4 > /tmp/many.out 2>&1) &
sleep 1
# 40 scrapes, one every 0.5 s: through every deadline (5 s) several times.
abuse scrape $P 40 500 /tmp/last.prom | sed 's/^/AB-/'
grep -E '^kvmsr_(http_clients_dropped_total|lost_records_total)' /tmp/last.prom | sed 's/^/AB-METRIC /'
grep -c "^kvmsr_vcpu_loads_total{vm_pid=\"$v\"" /tmp/last.prom | sed 's/^/AB-VCPUS /'
# SIGTERM while the abusers still hold their connections.
term AB-TERM
kill $v 2> /dev/null; wait $v 2> /dev/null
kill -INT $a1 $a2 $a3 2> /dev/null
wait
sed 's/^/AB-CLIENT /' /tmp/slow.out /tmp/idle.out /tmp/many.out /tmp/malformed.out
sed 's/^/AB-SERVE-ERR /' /tmp/serve.err | tail -5
