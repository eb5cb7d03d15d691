#!/bin/sh
# In the guest (tests/serve/prometheus-test.sh): a real Prometheus server
# scrapes `kvmsr serve` every second while a VM runs; its query API answers.
dmesg -n 1
q() { # q PROMQL: an instant query through the HTTP API, JSON on stdout
	wget -q -O - "http://127.0.0.1:9090/api/v1/query?query=$1"
}
kvmsr serve --listen 127.0.0.1:9464 --bpf-stats > /tmp/serve.out 2> /tmp/serve.err &
k=$!
i=0
while ! grep -q 'kvmsr: attached' /tmp/serve.err && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
prometheus --config.file=/prometheus.yml --storage.tsdb.path=/tmp/prom \
	--web.listen-address=127.0.0.1:9090 > /tmp/prom.log 2>&1 &
p=$!
vmm --iters 1000000 --vcpus 2 --timeout 600 > /dev/null 2>&1 &
v=$!
echo "PT-VM $v"
# Until Prometheus has scraped the VM's vCPUs (startup under TCG is slow).
i=0
while [ $i -lt 180 ]; do
	q "kvmsr_vcpu_loads_total%7Bvm_pid%3D%22$v%22%7D" > /tmp/loads.json 2>/dev/null
	grep -q '"vcpu":"1"' /tmp/loads.json && break
	sleep 1; i=$((i + 1))
done
echo "PT-WAITED $i"
sleep 3
q "kvmsr_vcpu_loads_total%7Bvm_pid%3D%22$v%22%7D" | sed 's/^/PT-LOADS /'; echo
q 'up%7Bjob%3D%22kvmsr%22%7D' | sed 's/^/PT-UP /'; echo
# By name, not pid: the vm label (our vmm has no -name: its process name).
q 'kvmsr_vcpu_loads_total%7Bvm%3D%22vmm%22%7D' | sed 's/^/PT-BYNAME /'; echo
q 'kvmsr_info' | sed 's/^/PT-INFO /'; echo
q "rate(kvmsr_vcpu_loads_total%7Bvm_pid%3D%22$v%22%7D%5B5s%5D)" | sed 's/^/PT-RATE /'; echo
q "histogram_quantile(0.5,rate(kvmsr_vcpu_loaded_interval_seconds_bucket%7Bvm_pid%3D%22$v%22%7D%5B10s%5D))" | sed 's/^/PT-P50 /'; echo
q 'sum(rate(kvmsr_bpf_prog_run_seconds_total%5B5s%5D))' | sed 's/^/PT-BPFCOST /'; echo
q 'kvmsr_process_cpu_seconds_total' | sed 's/^/PT-CPU /'; echo
q "kvmsr:vcpu_loads:rate5m%7Bvm_pid%3D%22$v%22%7D" | sed 's/^/PT-RULE /'; echo
wget -q -O - "http://127.0.0.1:9090/api/v1/rules" | sed 's/^/PT-RULES /'; echo
wget -q -O - "http://127.0.0.1:9090/api/v1/alerts" | sed 's/^/PT-ALERTS /'; echo
kill $v; wait $v 2> /dev/null
sleep 4	# a few scrapes without the VM: Prometheus marks its series stale
q "kvmsr_vcpu_loads_total%7Bvm_pid%3D%22$v%22%7D" | sed 's/^/PT-AFTER /'; echo
kill $p; kill -INT $k; wait $k
echo "PT-SERVE-RC $?"
sed 's/^/PT-PROMLOG /' /tmp/prom.log | tail -5
