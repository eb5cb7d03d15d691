#!/bin/bash
# prometheus-test.sh [SERIES]: a real Prometheus server (Debian's arm64
# package, 2.42 from bookworm) scrapes `kvmsr serve` inside the test bed
# while a VM runs, and its query API must return the VM's series: loads of
# both vCPUs, up == 1, kvmsr_info, a positive rate, a histogram quantile;
# and none of the VM's series once it has exited.  Part of `make test`
# (one boot of the newest kernel).  Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
series=${1:-newest}
out=${PT_OUT:-results/serve}
mkdir -p "$out"
source tests/lib/tally.sh
ok() { tally_ok "prometheus: $*"; }
nok() { tally_fail "prometheus: $*"; }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
finish() { tally_end prometheus; exit; }

kdir=$(bash tests/bed/kernel.sh "$series") || { nok "kernel $series"; finish; }
# The arm64 prometheus binary, through the test bed's private apt (cached).
pdir=$KVMSR_CACHE/prometheus
if [[ ! -x $pdir/usr/bin/prometheus ]]; then
	rm -rf "$pdir.tmp" && mkdir -p "$pdir.tmp"
	(cd "$pdir.tmp" && APT_CONFIG=$KVMSR_CACHE/apt/apt.conf \
		apt-get -q download "prometheus=$(APT_CONFIG=$KVMSR_CACHE/apt/apt.conf \
		apt-cache madison prometheus | awk -F' [|] ' '/bookworm/ { print $2; exit }')" \
		>/dev/null && dpkg-deb -x prometheus_*.deb .) || { nok "fetching prometheus:arm64"; finish; }
	rm -rf "$pdir" && mv "$pdir.tmp" "$pdir"
fi
# It links libc dynamically: the loader and libc of the host's libc6:arm64.
ld=$(readlink -f /lib/ld-linux-aarch64.so.1) libc=/usr/lib/aarch64-linux-gnu/libc.so.6
[[ -r $ld && -r $libc ]] || { nok "libc6:arm64 missing (make deps)"; finish; }
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
cat > "$cfg" <<'YML'
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: ['/kvmsr.rules.yml']
scrape_configs:
  - job_name: kvmsr
    static_configs:
      - targets: ['127.0.0.1:9464']
YML
bash tests/bed/mkinitramfs.sh -o "$out/initrd.cpio.gz" -i tests/serve/prometheus-payload.sh \
	-f build/arm64/kvmsr:/bin/kvmsr -f build/arm64/vmm:/bin/vmm \
	-f "$pdir/usr/bin/prometheus:/bin/prometheus" -f "$cfg:/prometheus.yml" \
	-f docs/prometheus/kvmsr.rules.yml:/kvmsr.rules.yml \
	-f "$ld:/lib/ld-linux-aarch64.so.1" -f "$libc:/lib/aarch64-linux-gnu/libc.so.6" \
	>/dev/null || { nok "initramfs"; finish; }
log=$out/$series.log
bash tests/bed/boot.sh --kernel "$kdir" --initrd "$out/initrd.cpio.gz" --log "$log" \
	--timeout 600 >/dev/null 2>"$log.boot" || nok "boot ($(tail -1 "$log.boot"))"
tagged() { tr -d '\r' < "$log" | sed -n "s/^$1 //p"; }
vm=$(tagged PT-VM | head -1)
loads=$(tagged PT-LOADS)
expect "Prometheus scraped the VM within 180 s (waited $(tagged PT-WAITED)s)" \
	[ "$(tagged PT-WAITED)" -lt 180 ]
expect "query API: success" [ "$(jq -r .status <<<"$loads")" = success ]
for c in 0 1; do
	n=$(jq -r ".data.result[] | select(.metric.vcpu == \"$c\") | .value[1]" <<<"$loads")
	expect "kvmsr_vcpu_loads_total{vm_pid=\"$vm\",vcpu=\"$c\"} = ${n:-none} > 0" [ "${n:-0}" -gt 0 ]
done
expect "the vCPUs are labelled vm=\"vmm\", and found by it ($(tagged PT-BYNAME | jq -c '[.data.result[].metric | .vm_pid + "/" + .vcpu]'))" \
	[ "$(jq -c '[.data.result[].metric.vm] | unique' <<<"$loads")" = '["vmm"]' -a \
	  "$(tagged PT-BYNAME | jq "[.data.result[] | select(.metric.vm_pid == \"$vm\")] | length")" = 2 ]
expect "up{job=\"kvmsr\"} == 1" [ "$(tagged PT-UP | jq -r '.data.result[0].value[1]')" = 1 ]
expect "kvmsr_info has the backend" \
	[ -n "$(tagged PT-INFO | jq -r '.data.result[0].metric.backend // empty')" ]
expect "rate(loads) > 0 while the VM runs" \
	[ "$(tagged PT-RATE | jq '[.data.result[].value[1] | tonumber | select(. > 0)] | length')" = 2 ]
expect "histogram_quantile(0.5, loaded intervals) is a duration" \
	[ "$(tagged PT-P50 | jq '[.data.result[].value[1] | tonumber | select(. > 0 and . < 100)] | length')" = 2 ]
expect "the VM's series are gone from Prometheus after it exited" \
	[ "$(tagged PT-AFTER | jq '.data.result | length')" = 0 ]
# kvmsr's own cost (serve --bpf-stats) and the rules of docs/prometheus.
expect "rate of kvmsr's BPF run time > 0 ($(tagged PT-BPFCOST | jq -r '.data.result[0].value[1]') s/s)" \
	[ "$(tagged PT-BPFCOST | jq '[.data.result[].value[1] | tonumber | select(. > 0)] | length')" = 1 ]
expect "kvmsr_process_cpu_seconds_total > 0" \
	[ "$(tagged PT-CPU | jq '[.data.result[].value[1] | tonumber | select(. > 0)] | length')" = 1 ]
expect "Prometheus loaded both rule groups of docs/prometheus/kvmsr.rules.yml" \
	[ "$(tagged PT-RULES | jq '[.data.groups[].name] | sort == ["kvmsr.alerts","kvmsr.recording"]')" = true ]
expect "the recording rule kvmsr:vcpu_loads:rate5m has both vCPUs, > 0" \
	[ "$(tagged PT-RULE | jq '[.data.result[].value[1] | tonumber | select(. > 0)] | length')" = 2 ]
expect "no alert fires for a healthy VM and a live exporter ($(tagged PT-ALERTS | jq -c '[.data.alerts[].labels.alertname]'))" \
	[ "$(tagged PT-ALERTS | jq '.data.alerts | length')" = 0 ]
expect "serve exits 0" [ "$(tagged PT-SERVE-RC)" = 0 ]
finish
