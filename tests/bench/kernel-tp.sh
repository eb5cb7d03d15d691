#!/bin/bash
# kernel-tp.sh -- `make bench-kernel`: what the kernel/ tracepoint series costs
# the worst-case workload, with its tracepoints disabled and enabled.
#
# Builds (or takes from the cache) the lean newest-7.x kernel with
# tests/kernel/build.sh, patched and --unpatched (the same kernel without the
# series), and the patched one with its debug options off ((b0) below), then
# boots each ONCE under QEMU -icount shift=0,sleep=off and runs
# `vmm --iters BENCH_ITERS --vcpus BENCH_VCPUS` (make bench's sizes) in
#   (a) the unpatched kernel                                  boot "unpatched"
#   (b) the patched kernel, tracepoints disabled              boot "patched"
#   (c) patched, kvm_vcpu_{load,put,read_sys_reg,write_sys_reg}_tp
#       enabled: a counting tp_btf program on each (tpwatch -c;
#       bare tracepoints have no tracefs event)               boot "patched"
#   (d) (c) + kvm_vcpu_sys_reg_direct_tp (CONFIG_KVM_ARM_SYSREG_DEBUG)
#   (e) kvmsr-tp: `kvmsr trace --backend tracepoint --json >/dev/null`, if
#       KVMSR_BIN or build/arm64/kvmsr exists and accepts that backend;
#       skipped with a message otherwise (not a failure)
#   (a') the unpatched kernel again, in a third boot (BENCH_REPEAT=0: not)
#   (b0) the patched kernel with CONFIG_KVM_ARM_SYSREG_FAULT_INJECT/_DEBUG
#       off (tests/bench/kernel-tp-nodebug.sh), untraced only, its own boot:
#       splits (b) - (a) into the tracepoints' own cost and the idle cost of
#       the two debug options the test bed's fragment turns on
#       (BENCH_NODEBUG=0: not)
# The patched boot alternates untraced (b) runs with (c), (d), (e) as
# tests/bench/payload.sh does, so (c)-(e) are compared with (b) inside one
# boot. (a) vs (b) crosses boots: under -icount the guest clock advances one
# ns per emulated instruction (shift=0), so guest time around the vmm is an
# instruction count, which does not depend on the host's load or on the boot;
# (a') vs (a) measures how far that holds, i.e. the noise floor of (b)/(a).
# Every boot gets rcupdate.rcu_expedited=1: the VM teardown at the end of each
# vmm waits for RCU grace periods, which on this 250 Hz periodic-tick kernel
# end on a tick; -icount,sleep=off turns the idle wait into a jump to that
# tick, so without it every time is rounded to 4 ms steps (0.5 % of a run at
# the default size, and (b) - (a) can only be a whole number of steps).
# Expedited grace periods end by IPI: repeated untraced runs then agree
# within ~0.05 %, across boots too. It changes no code path the tracepoints
# are on.
# The guest payload is tests/bench/kernel-tp-payload.sh (with make bench's
# tests/bench/guest-lib.sh; host-side helpers: tests/bench/host-lib.sh).
#
# Prints the table and saves it to results/bench/kernel-tp.txt (console logs
# in results/bench/kernel-tp/). Exit non-zero when a configuration that should
# have run did not (boot failure, vmm not ok, events not recorded, kvmsr
# failing with a backend it accepted), so a broken run never reads as "free".
#
# Environment: BENCH_ROUNDS (3), BENCH_ITERS (20000), BENCH_VCPUS (2),
# BENCH_CONFIGS ("tp tp-direct kvmsr-tp"), BENCH_REPEAT (1),
# BENCH_CENSUS_ITERS (200; 0: no per-event census run), BENCH_BUFFER_KB
# (unused since the tracepoints are bare), BENCH_TIMEOUT (host seconds
# per boot), BENCH_NODEBUG (1), BENCH_APPEND (extra kernel command line, default
# "rcupdate.rcu_expedited=1"), KVMSR_BIN (an arm64 kvmsr for (e)), KVMSR_CACHE (.cache),
# BENCH_REPORT_ONLY=1 (no build, no boot: re-render the last logs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
start_us=${EPOCHREALTIME/./}

ROUNDS=${BENCH_ROUNDS:-3}
ITERS=${BENCH_ITERS:-20000}
VCPUS=${BENCH_VCPUS:-2}
read -r -a CONFIGS <<<"${BENCH_CONFIGS:-tp tp-direct kvmsr-tp}"
REPEAT=${BENCH_REPEAT:-1}
CENSUS_ITERS=${BENCH_CENSUS_ITERS:-200}
BUFFER_KB=${BENCH_BUFFER_KB:-1408}
APPEND=${BENCH_APPEND-rcupdate.rcu_expedited=1}
# Host seconds per boot, as in run.sh: ~5 host s per busy guest s, wide margin.
TIMEOUT=${BENCH_TIMEOUT:-$((900 + ITERS * ROUNDS / 20))}
BUILD=build/arm64
OUT=results/bench
LOGD=$OUT/kernel-tp
REPORT=$OUT/kernel-tp.txt
BENCH_NAME=bench-kernel
# shellcheck source=tests/bench/host-lib.sh
. tests/bench/host-lib.sh

check_positive ROUNDS ITERS VCPUS TIMEOUT BUFFER_KB
[[ $CENSUS_ITERS =~ ^[0-9]+$ ]] || die "BENCH_CENSUS_ITERS must be a number, got '$CENSUS_ITERS'"
[[ $REPEAT == [01] ]] || die "BENCH_REPEAT must be 0 or 1, got '$REPEAT'"
check_configs tp tp-direct kvmsr-tp

NODEBUG=${BENCH_NODEBUG:-1}
[[ $NODEBUG == [01] ]] || die "BENCH_NODEBUG must be 0 or 1, got '$NODEBUG'"
report_only=${BENCH_REPORT_ONLY:-0}
boots=(unpatched patched)
if [[ $report_only == 1 ]]; then
	# The optional boots of the run being re-rendered: those with its run id.
	rid=$(sed -n 's/^run_id=//p' "$LOGD/patched.meta" 2>/dev/null || true)
	for b in patched-nodebug unpatched-repeat; do
		[[ -s $LOGD/$b.console.log ]] || continue
		[[ -n $rid && $(sed -n 's/^run_id=//p' "$LOGD/$b.meta" 2>/dev/null) != "$rid" ]] || boots+=("$b")
	done
else
	((NODEBUG == 0)) || boots+=(patched-nodebug)
	((REPEAT)) && boots+=(unpatched-repeat)
fi
skip_e="" # why (e) did not run, when it did not
declare -A kdir=() boot_rc=()

if [[ $report_only == 1 ]]; then
	for b in "${boots[@]}"; do
		[[ -s $LOGD/$b.console.log && -s $LOGD/$b.meta ]] ||
			die "BENCH_REPORT_ONLY=1 but there is no $LOGD/$b.console.log (or .meta)"
	done
	# Sizes and configurations as that run used them.
	info=$(grep -m1 '^BENCH-INFO boot=patched ' "$LOGD/patched.console.log" || true)
	[[ -n $info ]] || die "$LOGD/patched.console.log has no BENCH-INFO line"
	info_sizes "$info"
	read -r -a CONFIGS <<<"$(sed -n 's/.* configs=\([^ ]*\).*/\1/p' <<<"$info" | tr , ' ')"
	skip_e=$(sed -n 's/^skip_e=//p' "$LOGD/patched.meta")
	for b in "${boots[@]}"; do
		kdir[$b]=$(sed -n 's/^kernel_dir=//p' "$LOGD/$b.meta")
		boot_rc[$b]=$(sed -n 's/^boot_rc=//p' "$LOGD/$b.meta")
	done
	make_tmp
else
# --- set-up, each step idempotent and cached --------------------------------

bash tests/bed/deps.sh
# The two kernels: cache hits unless kernel/ changed (then ~1 min each,
# seeded from the previous tree; ~17 min cold).
kp=$(bash tests/kernel/build.sh)
ku=$(bash tests/kernel/build.sh --unpatched)
kn=""
((NODEBUG == 0)) || kn=$(bash tests/bench/kernel-tp-nodebug.sh)
for k in "$kp" "$ku" ${kn:+"$kn"}; do
	[[ -s $k/Image && -s $k/config ]] || die "no Image/config in $k"
done
kdir[unpatched]=$ku kdir[unpatched-repeat]=$ku kdir[patched]=$kp kdir[patched-nodebug]=$kn
# The tracepoint exists only with the option: say so before booting.
if [[ " ${CONFIGS[*]} " == *" tp-direct "* ]] && ! grep -q '^CONFIG_KVM_ARM_SYSREG_DEBUG=y' "$kp/config"; then
	die "tp-direct needs CONFIG_KVM_ARM_SYSREG_DEBUG=y in $kp/config (kernel/lean-arm64.config)"
fi

make -s "$BUILD/vmm" "$BUILD/tpwatch"
build_timeit "$BUILD"

# (e) is optional: kvmsr's tracepoint backend is being written separately,
# and this bench must not depend on it (nor build it).
kvmsr_bin=""
if [[ " ${CONFIGS[*]} " == *" kvmsr-tp "* ]]; then
	if [[ -n ${KVMSR_BIN:-} ]]; then
		[[ -f $KVMSR_BIN ]] || die "KVMSR_BIN=$KVMSR_BIN: no such file"
		kvmsr_bin=$KVMSR_BIN
	elif [[ -f $BUILD/kvmsr ]]; then
		kvmsr_bin=$BUILD/kvmsr
	fi
	if [[ -z $kvmsr_bin ]]; then
		skip_e="no arm64 kvmsr binary (KVMSR_BIN unset and no $BUILD/kvmsr: make ARCH=arm64)"
	elif ! is_aarch64 "$kvmsr_bin"; then
		die "$kvmsr_bin is not an aarch64 binary (KVMSR_BIN wants build/arm64/kvmsr or the like)"
	fi
	if [[ -n $skip_e ]]; then
		log "skipping kvmsr-tp: $skip_e"
		c=" ${CONFIGS[*]} "
		read -r -a CONFIGS <<<"${c/ kvmsr-tp / }"
	fi
fi

make_tmp
mkdir -p "$LOGD"
# Optional boots this run does not make must not be mistaken for its own.
for b in patched-nodebug unpatched-repeat; do
	[[ " ${boots[*]} " == *" $b "* ]] || rm -f "$LOGD/$b".*
done
run_id=$$.$start_us
# An untraced-only boot runs as many untraced runs as the patched boot does.
untraced_runs=$((ROUNDS * (${#CONFIGS[@]} > 0 ? ${#CONFIGS[@]} : 1)))
files=(-f tests/bench/guest-lib.sh:/bench/ -f "$BUILD/vmm:/bin/vmm" -f "$BUILD/bench/timeit:/bin/timeit"
	-f "$BUILD/tpwatch:/bin/tpwatch")
[[ -z $kvmsr_bin ]] || files+=(-f "$kvmsr_bin:/bin/kvmsr")
log_setup_time

# --- the boots, one at a time (2 cores: never two QEMUs) ---------------------

for b in "${boots[@]}"; do
	case $b in
	patched) expect=patched configs="${CONFIGS[*]}" ;;
	patched-nodebug) expect=patched configs="" ;;
	*) expect=unpatched configs="" ;;
	esac
	cat >"$tmp/env.$b" <<EOF
BOOT=$b
EXPECT=$expect
ROUNDS=$ROUNDS
ITERS=$ITERS
VCPUS=$VCPUS
CONFIGS="$configs"
UNTRACED_RUNS=$untraced_runs
BUFFER_KB=$BUFFER_KB
CENSUS_ITERS=$CENSUS_ITERS
EOF
	bash tests/bed/mkinitramfs.sh -o "$tmp/$b.cpio.gz" -i tests/bench/kernel-tp-payload.sh \
		"${files[@]}" -f "$tmp/env.$b:/bench/env" 2>/dev/null
	k=${kdir[$b]}
	# Private names, renamed into place once complete (as run.sh does).
	run_log=$LOGD/$b.console.$$.log
	: >"$run_log"
	: >"$run_log.boot"
	log "boot $b: $(cat "$k/release") ($k, key $(cat "$k/key")), -icount;" \
		"${configs:-$untraced_runs untraced runs}${configs:+: $ROUNDS rounds of $configs}; log $run_log"
	t0=${EPOCHREALTIME/./}
	rc=0
	bash tests/bed/boot.sh --kernel "$k" --initrd "$tmp/$b.cpio.gz" --log "$run_log" \
		--icount --mem 2G --smp 2 --cpu neoverse-n1 --timeout "$TIMEOUT" --append "$APPEND" \
		2>"$run_log.boot" || rc=$?
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	boot_rc[$b]=$rc
	{
		echo "run_id=$run_id"
		echo "kernel_dir=$k"
		echo "release=$(cat "$k/release")"
		echo "key=$(cat "$k/key")"
		echo "patches=$(paste -sd, "$k/patches")"
		echo "boot_rc=$rc"
		echo "append=$APPEND"
		echo "host_s=$((ms / 1000)).$((ms % 1000 / 100))"
		echo "tree=$(git describe --always --dirty 2>/dev/null || echo '?')"
		if [[ $b == patched ]]; then
			echo "skip_e=$skip_e"
			[[ -z $kvmsr_bin ]] || echo "kvmsr=$kvmsr_bin sha256 $(sha256sum "$kvmsr_bin" | cut -c1-12)," \
				"built $(date -u -r "$kvmsr_bin" '+%Y-%m-%d %H:%M UTC')"
		fi
	} >"$LOGD/$b.meta"
	mv "$run_log.boot" "$LOGD/$b.boot"
	mv "$run_log" "$LOGD/$b.console.log"
	log "boot $b: rc=$rc, $((ms / 1000)) s host time"
done
fi

# --- the report ---------------------------------------------------------------

errors=()
for b in "${boots[@]}"; do
	if [[ ${boot_rc[$b]} != 0 ]]; then
		errors+=("boot $b: the guest payload did not finish cleanly (boot.sh rc=${boot_rc[$b]}: $(tail -n 1 "$LOGD/$b.boot" 2>/dev/null))")
	fi
	fail_lines "$LOGD/$b.console.log" "boot $b: "
done
# The payload's own skip (the binary rejected the backend) overrides the host's.
s=$(sed -n 's/^BENCH-SKIP config=kvmsr-tp reason=//p' "$LOGD/patched.console.log" | head -n 1)
[[ -z $s ]] || skip_e=$s

field() { # BOOT CONFIG FIELD: that field of every successful run, one a line
	sed -n "s/^BENCH-RUN config=$2 round=[0-9]* .*status=0 .*/&/p" "$LOGD/$1.console.log" |
		sed -n "s/.* $3=\([0-9]*\)\( .*\)\{0,1\}\$/\1/p"
}
spread() { # stdin: numbers -> (max-min)/median in %
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) exit; m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
		printf "%.2f%%", 100 * (v[NR] - v[1]) / m }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# What each boot was to run: the patched boot one untraced run per round and
# configuration it ran (kvmsr-tp may have been skipped in the guest), the
# others as many as their payload was told.
n_run=0
for c in "${CONFIGS[@]}"; do
	[[ $c == kvmsr-tp && -n $skip_e ]] && continue
	# Failed before the rounds (preflight, missing event): never alternated.
	grep -q "^BENCH-FAIL config=$c round=0 " "$LOGD/patched.console.log" && continue
	n_run=$((n_run + 1))
done
uruns() { # BOOT: its untraced_runs, as its payload printed it
	local n
	n=$(sed -n 's/^BENCH-INFO boot=.* untraced_runs=\([0-9]*\).*/\1/p' "$LOGD/$1.console.log" | head -n 1)
	echo "${n:-1}"
}
# Rows: key, label, boot, config, expected runs.
rows=(a "(a) unpatched kernel" unpatched untraced "$(uruns unpatched)")
[[ " ${boots[*]} " != *" patched-nodebug "* ]] ||
	rows+=(b0 "(b0) patched, debug options off" patched-nodebug untraced "$(uruns patched-nodebug)")
rows+=(b "(b) patched, tracepoints disabled" patched untraced $((ROUNDS * n_run)))
[[ " ${CONFIGS[*]} " != *" tp "* ]] || rows+=(c "(c) patched, 4 kvm_vcpu_*_tp attached" patched tp "$ROUNDS")
[[ " ${CONFIGS[*]} " != *" tp-direct "* ]] || rows+=(d "(d) (c) + kvm_vcpu_sys_reg_direct_tp" patched tp-direct "$ROUNDS")
[[ " ${CONFIGS[*]} " != *" kvmsr-tp "* && -z $skip_e ]] || rows+=(e "(e) kvmsr trace --backend tracepoint" patched kvmsr-tp "$ROUNDS")
((REPEAT == 0)) || rows+=(a2 "(a') unpatched kernel, 2nd boot" unpatched-repeat untraced "$(uruns unpatched-repeat)")

declare -A med=() ev=() spr=()
for ((i = 0; i < ${#rows[@]}; i += 5)); do
	r=${rows[i]} bt=${rows[i + 2]} cf=${rows[i + 3]} want=${rows[i + 4]}
	[[ $r == e && -n $skip_e ]] && continue
	n=$(field "$bt" "$cf" elapsed_ns | grep -c . || true)
	((n >= want)) || errors+=("${rows[i + 1]}: $n of $want runs succeeded")
	((n > 0)) || continue
	med[$r]=$(field "$bt" "$cf" elapsed_ns | median)
	spr[$r]=$(field "$bt" "$cf" elapsed_ns | spread)
	ev[$r]=$(field "$bt" "$cf" events | median)
done
[[ -n ${med[a]:-} ]] || errors+=("no (a) runs: no cross-boot reference")
[[ -n ${med[b]:-} ]] || errors+=("no (b) runs: no same-boot reference")

# enum vcpu_sysreg from the patched kernel's BTF: names for the census.
declare -A regname=()
if [[ -s ${kdir[patched]:-}/btf ]]; then
	while read -r name num; do regname[$num]=$name; done < <(
		bpftool btf dump file "${kdir[patched]}/btf" format c 2>/dev/null |
			awk '/^enum vcpu_sysreg \{/ { on = 1; next } on && /^\};/ { exit }
				on { gsub(/[ \t,]/, ""); split($0, kv, "="); if (kv[2] != "" && kv[1] !~ /^__/) print kv[1], kv[2] }')
fi

report=$tmp/report.txt
{
	pl=$LOGD/patched.console.log
	meta() { sed -n "s/^$2=//p" "$LOGD/$1.meta"; }
	echo "kvmsr bench-kernel, $(date -u -r "$pl" '+%Y-%m-%d %H:%M UTC'), tree $(meta patched tree)"
	echo "kernels: lean linux-source $(cat "${kdir[patched]}/version" 2>/dev/null || echo '?')" \
		"($(meta patched release)); patched = kernel/ series ($(meta patched patches | tr , '\n' | grep -c . || true) patches, key $(meta patched key)),"
	echo "  unpatched = tests/kernel/build.sh --unpatched (key $(meta unpatched key))"
	[[ " ${boots[*]} " != *" patched-nodebug "* ]] ||
		echo "  patched-nodebug = patched, both debug options off (tests/bench/kernel-tp-nodebug.sh, key $(meta patched-nodebug key))"
	d=$(diff <(grep '^CONFIG' "${kdir[unpatched]}/config") <(grep '^CONFIG' "${kdir[patched]}/config") |
		sed -n 's/^> //p' | paste -sd' ' || true)
	echo "  configs differ only by what the patched one adds: ${d:-nothing}"
	echo "  (so (b) carries both debug options' hooks, idle: FAULT_INJECT's checks in the accessors,"
	echo "  SYSREG_DEBUG's static branch in every __vcpu_sys_reg()/__vcpu_assign_sys_reg()/__vcpu_rmw_sys_reg())"
	echo "QEMU -icount shift=0,sleep=off, -cpu neoverse-n1 -smp 2 -m 2G; $(sed -n 's/^BENCH-INFO mode .*: //p' "$pl" | head -n 1);" \
		"kernel command line + \"$(meta patched append)\""
	echo "workload: vmm --iters $ITERS --vcpus $VCPUS; patched boot: $ROUNDS rounds, each traced run right after an"
	echo "  untraced (b) run; other boots: untraced runs only. Times: guest time around the vmm only."
	sed -n 's/^BENCH-INFO \(tracefs events of the series: .*\)/\1 (bare tracepoints)/p' "$pl" | head -n 1
	[[ -z $(meta patched kvmsr) ]] || echo "kvmsr for (e): $(meta patched kvmsr)"
	echo
	printf '%-38s %-16s %4s %9s %7s %8s %9s %10s %8s\n' configuration boot runs median_s spread "vs (b)" "vs (a)" events/run ns/event
	for ((i = 0; i < ${#rows[@]}; i += 5)); do
		r=${rows[i]} label=${rows[i + 1]} bt=${rows[i + 2]} cf=${rows[i + 3]}
		if [[ $r == e && -n $skip_e ]]; then
			printf '%-38s %-16s %4s  skipped: %s\n' "$label" "$bt" 0 "$skip_e"
			continue
		fi
		n=$(field "$bt" "$cf" elapsed_ns | grep -c . || true)
		if [[ -z ${med[$r]:-} ]]; then
			printf '%-38s %-16s %4s %9s\n' "$label" "$bt" "$n" "-"
			continue
		fi
		vb=- va=- e=- per=-
		[[ -z ${med[b]:-} || $bt != patched ]] || vb=$(calc '%.3fx' "${med[$r]} / ${med[b]}")
		[[ -z ${med[a]:-} ]] || va=$(calc '%.3fx' "${med[$r]} / ${med[a]}")
		if [[ -n ${ev[$r]:-} && ${ev[$r]} != 0 ]]; then
			e=${ev[$r]%.*}
			# (d) adds a cost per __vcpu_sys_reg*() call, not per event: (c) only.
			[[ -z ${med[b]:-} || $r != c ]] || per=$(calc '%.0f' "(${med[$r]} - ${med[b]}) / ${ev[$r]}")
		fi
		printf '%-38s %-16s %4s %9.4f %7s %8s %9s %10s %8s\n' "$label" "$bt" "$n" \
			"$(calc '%.6f' "${med[$r]} / 1e9")" "${spr[$r]}" "$vb" "$va" "$e" "$per"
	done
	echo
	echo "median_s: guest seconds around the vmm (median); spread: (max-min)/median over the runs;"
	echo "vs (b): ratio to the untraced runs of the same boot; vs (a): ratio to the unpatched boot (cross-boot);"
	echo "events/run: tracepoint hits per run (tpwatch -c's per-CPU counters, all CPUs);"
	echo "ns/event: (median - (b) median) / events = guest ns, i.e. instructions (shift=0), per event."
	echo

	if [[ -n ${med[a]:-} && -n ${med[b]:-} ]]; then
		# The noise floor of a cross-boot comparison: what the same kernel did
		# in two boots, or half of a boot's own spread if that is larger.
		floor=$(awk -v a="${med[a]}" -v r="${med[a2]:-${med[a]}}" -v s1="${spr[a]%\%}" -v s2="${spr[b]%\%}" \
			'BEGIN { f = 100 * (r > a ? r - a : a - r) / a; if (s1 / 2 > f) f = s1 / 2; if (s2 / 2 > f) f = s2 / 2; printf "%.3f", f }')
		echo "Disabled cost, across boots (noise floor ${floor}%: the larger of (a') vs (a) and half a boot's spread):"
		[[ -z ${med[a2]:-} ]] || echo "  same unpatched kernel booted twice, (a') vs (a): $(calc '%+.3f' "100 * (${med[a2]} / ${med[a]} - 1)")%;" \
			"untraced spread within a boot: ${spr[a]} (a), ${spr[a2]} (a'), ${spr[b]} (b)"
		xboot() { # X Y TEXT: X vs Y across boots, per tracepoint hit, verdict
			local p v
			p=$(calc '%+.3f' "100 * (${med[$1]} / ${med[$2]} - 1)")
			v="within the noise floor: not measurable"
			awk -v p="$p" -v f="$floor" 'BEGIN { exit !((p < 0 ? -p : p) > f) }' && v="above the noise floor"
			printf '  %-9s %-46s %8s%%  (%+.1f M instructions/run' "($1)-($2)" "$3" "$p" "$(calc '%.4f' "(${med[$1]} - ${med[$2]}) / 1e6")"
			[[ -z ${ev[c]:-} || ${ev[c]} == 0 ]] ||
				printf ', %+.1f per tracepoint hit' "$(calc '%.3f' "(${med[$1]} - ${med[$2]}) / ${ev[c]}")"
			printf '): %s\n' "$v"
		}
		if [[ -n ${med[b0]:-} ]]; then
			xboot b0 a "the tracepoints alone (0001-0004, options off)"
			xboot b b0 "the two debug options on, idle"
		fi
		xboot b a "patched as built (debug options on)"
		[[ -z ${ev[c]:-} || ${ev[c]} == 0 ]] ||
			echo "  (tracepoint hits: (c)'s $(calc '%.0f' "${ev[c]}") events/run, $(calc '%.2f' "${ev[c]} / ($ITERS * $VCPUS)") per KVM_RUN iteration;" \
				"noise floor per hit +/-$(calc '%.2f' "$floor / 100 * ${med[a]} / ${ev[c]}"))"
		echo "  Cross-boot comparison is valid only because -icount makes guest time an instruction count:"
		echo "  both kernels are charged for the instructions they execute, not for host time; it says"
		echo "  nothing about cache or branch-predictor effects, which QEMU does not model."
	fi
	echo "Enabled, same boot as (b):"
	for r in c d e; do
		[[ -n ${med[$r]:-} && -n ${med[b]:-} ]] || continue
		echo "  ($r) vs (b): $(calc '%+.1f' "100 * (${med[$r]} / ${med[b]} - 1)")% ($(calc '%.3f' "${med[$r]} / ${med[b]}")x)"
	done
	if [[ -n ${med[c]:-} && -n ${med[d]:-} && -n ${ev[c]:-} && -n ${ev[d]:-} ]]; then
		nd=$(sed -n 's/^BENCH-CENSUS event=kvm_vcpu_sys_reg_direct_tp count=//p' "$pl")
		echo "  (d) - (c): $(calc '%+.1f' "100 * (${med[d]} - ${med[c]}) / ${med[b]}")% of (b), though the census saw ${nd:-?} kvm_vcpu_sys_reg_direct_tp"
		echo "  hits: while that tracepoint has a program attached, every __vcpu_sys_reg()/__vcpu_assign_sys_reg()/"
		echo "  __vcpu_rmw_sys_reg() call runs locate_register() to decide whether to emit it."
	fi
	if grep -q '^BENCH-CENSUS iters=' "$pl"; then
		echo
		cen=$(sed -n 's/^BENCH-CENSUS iters=\([0-9]*\) vcpus=\([0-9]*\) .*/\1 \2/p' "$pl" | head -n 1)
		read -r ci cv <<<"$cen"
		echo "Census (one untimed run, vmm --iters $ci --vcpus $cv, all 5 tracepoints recorded by tpwatch, $(sed -n 's/^BENCH-CENSUS iters=.* overrun=\([0-9]*\).*/dropped=\1/p' "$pl")):"
		sed -n 's/^BENCH-CENSUS event=\([^ ]*\) count=\([0-9]*\)/\1 \2/p' "$pl" | while read -r e n; do
			printf '  %-26s %7d  %6.2f per KVM_RUN iteration\n' "$e" "$n" "$(calc '%.4f' "$n / ($ci * $cv)")"
		done
		if grep -q '^BENCH-CENSUS direct ' "$pl"; then
			echo "  kvm_vcpu_sys_reg_direct_tp by caller (count, caller, access, register):"
			sed -n 's/^BENCH-CENSUS direct //p' "$pl" | while read -r n fn kind reg; do
				num=${reg#reg=}
				printf '    %6d  %-32s %-5s %s\n' "$n" "$fn" "$kind" "${regname[$num]:-reg $num}"
			done
		fi
	fi
	for b in "${boots[@]}"; do
		grep '^BENCH-DMESG ' "$LOGD/$b.console.log" | sed "s/^BENCH-DMESG /kernel log ($b): /" || true
	done
	host_ms=$(((${EPOCHREALTIME/./} - start_us) / 1000))
	up=""
	for b in "${boots[@]}"; do
		g=$(sed -n 's/^BENCH-UPTIME //p' "$LOGD/$b.console.log" | tail -n 1)
		up+="${up:+, }$b ${g%.*} s guest / $(meta "$b" host_s) s host"
	done
	echo "boots: $up"
	if [[ $report_only == 1 ]]; then
		echo "(re-rendered with BENCH_REPORT_ONLY=1)"
	else
		echo "bench wall time (set-up included): $((host_ms / 60000))m$((host_ms / 1000 % 60))s"
	fi
	echo "reproduce: make bench-kernel (tests/bench/kernel-tp.sh; logs in $LOGD/)"
} >"$report"
mkdir -p "$OUT"
publish "$report" "$REPORT" "console logs: $LOGD/" "console logs in $LOGD/"
