#!/bin/bash
# run.sh [SERIES:MODE ...]   (default: 7.1:vhe newest:vhe patched:vhe 6.12:vhe)
#
# `make test-selftests`: the kernel's own arm64 KVM selftests (built by
# tests/selftests/build.sh from Debian's linux-source-7.3) as a workload for
# kvmsr.  For each SERIES:MODE, one boot of that kernel in the test bed
# (SERIES "patched" = kvmsr's patched 7.3, tests/kernel/build.sh; others via
# tests/bed/kernel.sh) runs every selftest of the list below three times
# (tests/selftests/payload.sh): under `kvmsr trace --json --events vm-exit
# --fail-on any`, under `kvmsr stat --json --exact` (both with the ftrace
# function tracer recording kvm_arch_vcpu_load/put), and alone.  A stall
# watchdog stops a guest that hangs.  Then, from the console
# log, one markdown table per kernel in $ST_OUT/<series>-<mode>.md and
# PASS/FAIL assertions:
#   (a) the selftest's own result (exit status, KTAP ok/not ok/skip counts)
#       is the same with and without kvmsr (a difference is re-run once and
#       both are reported);
#   (b) kvmsr exits with its documented status (3 findings, 4 the command
#       failed, 0) and lost no ring-buffer records;
#   (c) every dmesg WARNING (and BUG) during a kvmsr run is one of kvmsr's
#       WARN (BUG) hits with the same caller function, and no hit lacks one;
#   (d) no confirmed finding unless the kernel log corroborates it;
#   (e) stat's loads and puts, and the imbalances of every kvmsr run, equal
#       the function tracer's (kvm_arch_vcpu_load/put, per task).
# Evidence of every WARN/BUG/imbalance/confirmed finding and of a selftest
# that never finished (the test's part of the console log: its output,
# kvmsr's findings, dmesg, the tracer's record; and the whole console log)
# goes to $ST_OUT/evidence/<kernel>/, named by boot time, kept across runs.
# Closes with "N passed, N failed".
#
# Environment: SELFTESTS="name ..." runs only those (basename or path as in
# the list), ST_OUT (default results/selftests), KVMSR_JOBS for the build,
# ST_SOURCE=kernel: on a Debian X.Y kernel other than 7.3, the selftests of
# linux-source-X.Y (built the same way, ~1 min plus a 150 MB download)
# instead of 7.3's; ST_REPORT_ONLY=1: no boot, tables and assertions from
# the console logs an earlier run left in ST_OUT.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
matrix=("$@")
((${#matrix[@]})) || matrix=(7.1:vhe newest:vhe patched:vhe 6.12:vhe)
out=${ST_OUT:-results/selftests}
mkdir -p "$out/evidence"
TALLY_OK_PREFIX="PASS - " TALLY_FAIL_PREFIX="FAIL - "
source tests/lib/tally.sh

# The selftests: PATH TIMEOUT(s) [ARGS].  Every arm64 one, then the generic
# ones that apply; the two known to be fragile under TCG last (TESTBED.md).
# Left out: irqfd_test (no vCPU ever runs; 10000 irqfd assign/deassign
# rounds waiting for SRCU take > 60 s under TCG), the *_perf and stress
# tests (minutes each, no new sysreg paths), rseq_test, mmu_stress_test.
LIST="
arm64/aarch32_id_regs 60
arm64/at 60
arm64/external_aborts 60
arm64/hello_el2 60
arm64/hidden_features 60
arm64/host_sve 60
arm64/hypercalls 60
arm64/idreg-idst 60
arm64/kvm-uuid 60
arm64/mmio_sign_ext 60
arm64/no-vgic 60
arm64/psci_test 60
arm64/sea_to_user 60
arm64/set_id_regs 60
arm64/smccc_filter 60
arm64/stage2_block_transitions 120
arm64/vcpu_width_config 60
arm64/vgic_init 120
arm64/vgic_irq 60
arm64/vgic_its_save 120
arm64/vgic_lpi_stress 180
arm64/vgic_v5 60
arch_timer 120 -e 5000
get-reg-list 60
kvm_create_max_vcpus 120
kvm_binary_stats_test 60
guest_print_test 60
guest_memfd_test 60
set_memory_region_test 180
coalesced_io_test 60
steal_time 60
vm_types_test 60
demand_paging_test 120 -b 32M
dirty_log_test 300 -i 2 -m 6
arm64/page_fault_test 400
arm64/arch_timer_edge_cases 300
arm64/debug-exceptions 300
arm64/vpmu_counter_access 120
"

log() { echo "# $*"; }
ok() { tally_ok "$@"; }
nok() { tally_fail "$@"; }
expect() { # expect DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
finish() {
	tally_end selftests
	exit
}

# --- build: kvmsr, the 7.3 selftests -------------------------------------------------
make -s ARCH=arm64 || { nok "make ARCH=arm64 (kvmsr)"; finish; }
stdir73=$(bash tests/selftests/build.sh) || { nok "selftests build (tests/selftests/build.sh)"; finish; }

# --- prepare STDIR TAG: the list (filtered by SELFTESTS) and the initramfs -------------
# Sets stdir, list, initrd, ntests, max_to, sum_to.  Before 6.x's rename the
# arm64 selftests live in aarch64/: an arm64/X of the list runs as aarch64/X.
# A selftest the source does not have is left out (INFO) when the source is
# not 7.3 (ST_SOURCE=kernel), and is a failure for 7.3.
tmpd=$(mktemp -d)
trap 'rm -rf "$tmpd"' EXIT
prepare() {
	local p to args q
	stdir=$1
	list=$tmpd/list-$2
	initrd=$out/initrd-$2.cpio.gz
	while read -r p to args; do
		[[ -n $p ]] || continue
		if [[ -n ${SELFTESTS:-} ]]; then
			local want=0 w
			for w in $SELFTESTS; do [[ $w == "$p" || $w == "${p##*/}" ]] && want=1; done
			((want)) || continue
		fi
		q=$p
		[[ ! -x $stdir/bin/$q && $q == arm64/* && -x $stdir/bin/aarch64/${q#arm64/} ]] && q=aarch64/${q#arm64/}
		if [[ ! -x $stdir/bin/$q ]]; then
			if [[ $stdir == "$stdir73" ]]; then
				nok "selftest $p was not built (see $stdir/build.log)" >&2
			else
				echo "INFO - $p: not in $(cat "$stdir/source") $(cat "$stdir/version"), left out" >&2
			fi
			continue
		fi
		echo "$q $to $args"
	done <<<"$LIST" >"$list"
	[[ -s $list ]] || { nok "no selftest selected (SELFTESTS='${SELFTESTS:-}')"; return 1; }
	local files=()
	while read -r p _; do files+=(-f "$stdir/bin/$p:/st/$p"); done <"$list"
	bash tests/bed/mkinitramfs.sh -o "$initrd" -i tests/selftests/payload.sh \
		-f build/arm64/kvmsr:/bin/kvmsr -f "$list:/st/list" "${files[@]}" \
		-f tests/bed/ftrace-oracle.sh:/lib/ftrace-oracle.sh 2>/dev/null ||
		{ nok "initramfs"; return 1; }
	ntests=$(wc -l <"$list")
	max_to=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$list")
	sum_to=$(awk '{ s += $2 } END { print s + 0 }' "$list")
	log "$ntests selftests from $(cat "$stdir/source") $(cat "$stdir/version") ($stdir)"
}

# --- helpers over one console log ---------------------------------------------------
LOGF=""
tagged() { sed -n "s/^$1 //p" "$LOGF"; }
# Lines "TAG NAME PHASE rest" -> rest
tl() { awk -v t="$1" -v n="$2" -v p="$3" '$1 == t && $2 == n && $3 == p { sub("^[^ ]+ [^ ]+ [^ ]+ ?", ""); print }' "$LOGF"; }
# key=value out of a line
kv() { sed -n "s/.*\(^\| \)$1=\([^ ]*\).*/\2/p" <<<"$2" | head -n 1; }

# "rc=0 ok=104 notok=0 skip=3" -> a human verdict
verdict() {
	local rc ok nok skip
	rc=$(kv rc "$1") ok=$(kv ok "$1") nok=$(kv notok "$1") skip=$(kv skip "$1")
	[[ -n $rc ]] || { echo "not run"; return; }
	local ktap=""
	((ok + nok + skip > 0)) && ktap=" (ok $ok, not ok $nok, skip $skip)"
	local secs to
	secs=$(kv secs "$1") to=${2:-0}
	case $rc in
	0) echo "pass$ktap" ;;
	4) echo "skip$ktap" ;;
	none) echo "no result" ;;
	137) if awk -v s="$secs" -v t="$to" 'BEGIN { exit !(s + 0 >= t) }'; then
		echo "timeout (${to}s)$ktap"
	     else
		echo "killed (SIGKILL)$ktap"
	     fi ;;
	*) if ((rc > 128 && rc < 160)); then echo "crash (signal $((rc - 128)))$ktap"; else echo "fail (exit $rc)$ktap"; fi ;;
	esac
}
# The selftest's own result from an ST-RUN line: status and KTAP counts.
core() { echo "rc=$(kv rc "$1") ok=$(kv ok "$1") notok=$(kv notok "$1") skip=$(kv skip "$1")"; }

# WARNING lines of a dmesg -> "function+0xoff" per line (6.x and 7.x formats).
dmesg_warn_callers() {
	grep 'WARNING:' | grep -oE '[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+' | sed 's|/0x[0-9a-f]*$||'
}
# BUG/oops: the pc line ("pc : func+0x.../0x...").
# (a WARNING dumps "pc :" too: only the one after an oops header counts)
dmesg_bug_pcs() {
	awk '/Internal error:|kernel BUG at|Unable to handle kernel/ { oops = 1 }
		oops && / pc : / { print; oops = 0 }' |
		grep -oE '[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+' | sed 's|/0x[0-9a-f]*$||'
}
fn() { sed 's/+0x[0-9a-f]*$//'; }

# --- one kernel -------------------------------------------------------------------------
one_kernel() {
	local entry=$1 series=${1%%:*} mode=${1#*:} kdir name rel
	name=$series-$mode
	if [[ $series == patched ]]; then
		kdir=$(bash tests/kernel/build.sh) || { nok "[$entry] patched kernel build"; return; }
	else
		kdir=$(bash tests/bed/kernel.sh "$series") || { nok "[$entry] kernel fetch"; return; }
	fi
	rel=$(cat "$kdir/release")
	# The selftests: 7.3's everywhere, or (ST_SOURCE=kernel) the kernel's own series.
	local sd=$stdir73 tag=7.3
	if [[ ${ST_SOURCE:-7.3} == kernel && $series =~ ^[0-9]+\.[0-9]+$ && $series != 7.3 ]]; then
		sd=$(bash tests/selftests/build.sh --series "$series") ||
			{ nok "[$entry] selftests build from linux-source-$series"; return; }
		tag=$series
	fi
	prepare "$sd" "$tag" || return
	[[ $tag == 7.3 ]] || name=$name-st$tag
	LOGF=$out/$name.log
	# Evidence is kept across runs (an intermittent WARN may not come back):
	# one file per selftest and boot, named with the boot's time.
	local ev=$out/evidence/$name stamp
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	[[ ${ST_REPORT_ONLY:-0} == 1 ]] ||
		log "booting $series ($rel) in $mode mode: $ntests selftests x 3 runs, log $LOGF"
	# 3G: the selftests allocate guest memory; 16 x 2M hugepages for
	# stage2_block_transitions.  A stall watchdog ends a hung guest (the
	# longest silent stretch is one run: its timeout + kvmsr's 120 s slack).
	local t0=$SECONDS stall=$((max_to + 240)) bpid qpid rc secs stalled=0
	if [[ ${ST_REPORT_ONLY:-0} == 1 && -s $LOGF ]]; then
		# Only the host half: tables and assertions from the log of an earlier boot.
		secs=$(sed -n 's/.*QEMU exited rc=[0-9]* after \([0-9]*\).*/\1/p' "$LOGF.boot" 2>/dev/null | tail -n 1)
		secs=${secs:-?}
		grep -q 'no console output' "$LOGF.boot" 2>/dev/null && stalled=1
		log "report only, from $LOGF (boot took ${secs}s)"
	else
		bash tests/bed/boot.sh --kernel "$kdir" --initrd "$initrd" --log "$LOGF" --mode "$mode" \
			--mem 3G --append "hugepages=16" --timeout $((sum_to * 4 + 600)) \
			>/dev/null 2>"$LOGF.boot" &
		bpid=$!
		while kill -0 $bpid 2>/dev/null; do
			sleep 10
			if [[ -e $LOGF ]] && (($(date +%s) - $(stat -c %Y "$LOGF") > stall)); then
				# boot.sh runs QEMU under timeout(1): stop that one, by its pid.
				qpid=$(pgrep -P $bpid -x timeout | head -n 1)
				log "no console output for ${stall}s: stopping QEMU (timeout pid ${qpid:-?})"
				echo "run.sh: no console output for ${stall}s: QEMU stopped" >>"$LOGF.boot.watchdog"
				[[ -n $qpid ]] && kill "$qpid"
				stalled=1
				break
			fi
		done
		wait $bpid
		rc=$?
		secs=$((SECONDS - t0))
		((stalled == 0)) || cat "$LOGF.boot.watchdog" >>"$LOGF.boot"
		rm -f "$LOGF.boot.watchdog"
		log "boot ended rc=$rc after ${secs}s: $(tail -n 1 "$LOGF.boot")"
	fi
	expect "[$entry] the guest ran every selftest and powered off (${secs}s)" \
		grep -q '^ST-ALL-DONE' "$LOGF"
	((stalled == 0)) || nok "[$entry] the guest stalled (no output for ${stall}s): see $LOGF"

	local backend kver
	backend=$(tagged ST-CHECK | sed -n 's/^ *backend: *\([a-z/]*\).*/\1/p' | head -n 1)
	kver=$(tagged ST-KVMSR-VERSION | head -n 1)
	local md=$out/$name.md
	{
		echo "# KVM selftests under kvmsr: $series ($rel), $mode"
		echo
		echo "$(date -u '+%Y-%m-%d %H:%M UTC'); selftests from $(cat "$stdir/source") $(cat "$stdir/version");" \
			"kvmsr: ${kver:-?}; backend: ${backend:-?}; one boot, ${secs} s for $ntests selftests x 3 runs" \
			"(QEMU TCG, -cpu neoverse-n1 -smp 2 -m 3G); console log: [$name.log]($name.log)"
		echo
		echo "Runs: **plain** = the selftest alone; **trace** = under \`kvmsr trace --json --events vm-exit --fail-on any\`;" \
			"**stat** = under \`kvmsr stat --json --exact\` (loads/puts, time loaded; ftrace's count in brackets)." \
			"Events, coverage (seen/trapped), findings: from trace. Results are the selftest's own (exit status, KTAP counts)."
		echo
		echo "| selftest | plain | trace | stat | same? | s (plain/trace/stat) | events | coverage | loads/puts [ftrace] | loaded ms | confirmed | suspects | WARN/BUG (caller) | imbalances | lost | evidence |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	} >"$md"

	local p to args
	while read -r p to args; do
		local rt rs rp rt2 rp2 ksum sfind statl orac
		rt=$(tl ST-RUN "$p" trace) rs=$(tl ST-RUN "$p" stat) rp=$(tl ST-RUN "$p" plain)
		rt2=$(tl ST-RUN "$p" trace2) rp2=$(tl ST-RUN "$p" plain2)
		local incomplete=""
		if [[ -z $rt || -z $rp || -z $rs ]]; then
			local link=""
			if grep -q "^ST-BEGIN $p " "$LOGF"; then
				# Started and never finished: the guest hung or died here. Keep it.
				mkdir -p "$ev"
				local f=$ev/${p//\//_}-$stamp.txt
				awk -v n="$p" 'index($0, "ST-BEGIN " n " ") == 1 { on = 1 } on { print } $0 == "ST-END " n { on = 0 }' "$LOGF" >"$f"
				[[ -e $ev/console-$stamp.log ]] || cp "$LOGF" "$ev/console-$stamp.log"
				link="[${p##*/}](evidence/$name/${f##*/}), [console](evidence/$name/console-$stamp.log)"
				nok "[$entry] $p: started but did not complete (guest hung or crashed: $(grep -m1 -oE 'hard LOCKUP.*|rcu_.*stall.*|Kernel panic.*' "$f" || echo 'no output'); evidence $f)"
			else
				nok "[$entry] $p: never ran (the guest stopped earlier; see $LOGF)"
			fi
			if [[ -z $rt || -z $rs ]]; then
				echo "| $p | $(verdict "$rp" "$to") | $(verdict "$rt" "$to") | $(verdict "$rs" "$to") | - | | | | | | | | | | | not completed $link |" >>"$md"
				continue
			fi
			incomplete=$link
		fi
		# (a) same result with and without kvmsr.
		local same=yes note=""
		if [[ -n $incomplete ]]; then
			same="- (plain never finished)"
		elif [[ $(core "$rt") != "$(core "$rp")" || $(core "$rs") != "$(core "$rp")" ]]; then
			same=no
			if [[ -n $rt2 && -n $rp2 && $(core "$rt2") == "$(core "$rp2")" ]]; then
				same="flaky: rerun same"
				note="first: plain $(verdict "$rp" "$to"), trace $(verdict "$rt" "$to"), stat $(verdict "$rs" "$to"); rerun: plain $(verdict "$rp2" "$to"), trace $(verdict "$rt2" "$to")"
				ok "[$entry] $p: same result with and without kvmsr on the rerun ($note)"
			else
				note="plain $(verdict "$rp" "$to"), trace $(verdict "$rt" "$to"), stat $(verdict "$rs" "$to")${rp2:+; rerun: plain $(verdict "$rp2" "$to"), trace $(verdict "$rt2" "$to")}"
				nok "[$entry] $p: result differs with kvmsr ($note)"
			fi
		else
			ok "[$entry] $p: same result with and without kvmsr: $(verdict "$rp" "$to")"
		fi

		# (b) exit status and lost records, per kvmsr run.
		local ph
		for ph in trace stat trace2; do
			local r krc crc want nfind lost js
			r=$(tl ST-RUN "$p" $ph)
			[[ -n $r ]] || continue
			krc=$(kv krc "$r") crc=$(kv rc "$r")
			if [[ $ph == stat ]]; then
				nfind=0
				lost=$(kv lost "$(tl ST-STAT "$p" stat)")
			else
				js=$(tl ST-KSUM "$p" $ph)
				nfind=$(jq '.findings | to_entries | map(select(.key != "suspect") | .value) | add // 0' <<<"${js:-{\}}" 2>/dev/null)
				lost=$(jq '.lost_records' <<<"${js:-{\}}" 2>/dev/null)
			fi
			want=0
			[[ $crc != 0 ]] && want=4
			((${nfind:-0} > 0)) && want=3
			expect "[$entry] $p $ph: kvmsr exit $krc == documented $want (selftest exit $crc, $nfind findings)" \
				[ "$krc" = "$want" ]
			expect "[$entry] $p $ph: no ring-buffer records lost (${lost:-no summary})" [ "${lost:-x}" = 0 ]
		done

		# (c) dmesg WARNINGs and BUGs == kvmsr's hits, same callers, per kvmsr run.
		local hits="" dm_any=0 evid=0
		for ph in trace stat trace2; do
			[[ -n $(tl ST-RUN "$p" $ph) ]] || continue
			local dm dw kw db kb findings
			dm=$(tl ST-DMESG "$p" $ph)
			if [[ $ph == stat ]]; then findings=$(tl ST-SFIND "$p" $ph); else findings=$(tl ST-KFIND "$p" $ph); fi
			dw=$(dmesg_warn_callers <<<"$dm" | fn | sort | tr '\n' ' ')
			db=$(dmesg_bug_pcs <<<"$dm" | fn | sort | tr '\n' ' ')
			kw=$(jq -r 'select(.kind == "warn") | .stack[0] // "?"' <<<"$findings" 2>/dev/null | fn | sort | tr '\n' ' ')
			kb=$(jq -r 'select(.kind == "bug") | .stack[0] // "?"' <<<"$findings" 2>/dev/null | fn | sort | tr '\n' ' ')
			if [[ -n $dw$kw ]]; then
				expect "[$entry] $p $ph: every dmesg WARNING is a kvmsr WARN hit with the same caller (dmesg: ${dw:-none}; kvmsr: ${kw:-none})" \
					[ "$dw" = "$kw" ]
				evid=1
			fi
			if [[ -n $db$kb ]]; then
				expect "[$entry] $p $ph: every dmesg BUG/oops is a kvmsr BUG hit at the same pc function (dmesg: ${db:-none}; kvmsr: ${kb:-none})" \
					[ "$db" = "$kb" ]
				evid=1
			fi
			[[ -n $kw$kb ]] && hits+="$ph: $(jq -r 'select(.kind == "warn" or .kind == "bug") | "\(.kind) \(.stack[0] // "?") cpu \(.cpu) vcpu \(.vcpu)\(if .vcpu_loaded then " (loaded)" else "" end)"' <<<"$findings" | tr '\n' ';' | sed 's/;$//'); "
			[[ -n $dw$db ]] && dm_any=1
		done
		# WARNINGs in the plain run are not kvmsr's to see; they are kept all the same.
		local dwp
		dwp=$(tl ST-DMESG "$p" plain; tl ST-DMESG "$p" plain2)
		if grep -qE 'WARNING:|kernel BUG|Internal error' <<<"$dwp"; then
			echo "INFO - [$entry] $p plain run (no kvmsr): dmesg $(grep -E 'WARNING:|kernel BUG|Internal error' <<<"$dwp" | head -n 2 | tr '\n' ' ')"
			hits+="plain (no kvmsr): dmesg $(dmesg_warn_callers <<<"$dwp" | fn | tr '\n' ' ')"
			evid=1
		fi

		# (d) confirmed findings need the kernel log to back them.
		ksum=$(tl ST-KSUM "$p" trace)
		local conf susp imb sconf
		conf=$(jq '.findings | ."stale-read" + ."lost-write" + ."direct-access"' <<<"${ksum:-{\}}" 2>/dev/null)
		susp=$(jq '.findings.suspect' <<<"${ksum:-{\}}" 2>/dev/null)
		imb=$(jq '.findings | ."double-load" + ."put-without-load" + ."loaded-at-vm-exit"' <<<"${ksum:-{\}}" 2>/dev/null)
		sfind=$(tl ST-SFINDINGS "$p" stat)
		sconf=$(jq '.findings | ."stale-read" + ."lost-write" + ."direct-access"' <<<"${sfind:-{\}}" 2>/dev/null)
		local simb
		simb=$(jq '.findings | ."double-load" + ."put-without-load" + ."loaded-at-vm-exit"' <<<"${sfind:-{\}}" 2>/dev/null)
		if ((${conf:-0} + ${sconf:-0} > 0)); then
			evid=1
			if ((dm_any)); then
				echo "INFO - [$entry] $p: $conf (trace) / $sconf (stat) confirmed findings, with a kernel WARNING/BUG in the same run: review the evidence"
			else
				nok "[$entry] $p: $conf (trace) / $sconf (stat) confirmed findings and nothing in the kernel log corroborates them: a kvmsr false positive until shown otherwise (evidence: $ev/)"
			fi
		else
			ok "[$entry] $p: no confirmed finding (trace ${conf:-?}, stat ${sconf:-?})"
		fi
		((${imb:-0} + ${simb:-0} > 0)) && evid=1

		# (e) loads, puts and imbalances against the function tracer (per task:
		# a load after a load, a put after a put), in every kvmsr run.
		statl=$(tl ST-STAT "$p" stat)
		local sl sp
		sl=$(kv loads "$statl") sp=$(kv puts "$statl")
		for ph in trace stat trace2; do
			local orac ol op od oo ent e_in e_wr kd ko js2
			orac=$(tl ST-ORACLE "$p" $ph)
			[[ -n $orac ]] || continue
			ol=$(kv load "$orac") op=$(kv put "$orac") od=$(kv double "$orac") oo=$(kv orphan "$orac")
			ent=$(sed -n 's/.*entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' <<<"$orac")
			read -r e_in e_wr <<<"${ent:-0 1}"
			if [[ $e_in != "$e_wr" ]]; then
				echo "INFO - [$entry] $p $ph: the ftrace oracle overflowed ($e_in/$e_wr): not compared"
				continue
			fi
			if [[ $ph == stat ]]; then
				expect "[$entry] $p stat: loads/puts $sl/$sp == ftrace kvm_arch_vcpu_load/put $ol/$op" \
					[ "${sl:-x}" = "$ol" -a "${sp:-x}" = "$op" ]
				kd=$(kv double_loads "$statl") ko=$(kv orphan_puts "$statl")
			else
				js2=$(tl ST-KSUM "$p" $ph)
				kd=$(jq '.findings."double-load"' <<<"${js2:-{\}}" 2>/dev/null)
				ko=$(jq '.findings."put-without-load"' <<<"${js2:-{\}}" 2>/dev/null)
			fi
			expect "[$entry] $p $ph: imbalances: kvmsr double loads $kd, puts without load $ko == ftrace $od, $oo" \
				[ "${kd:-x}" = "$od" -a "${ko:-x}" = "$oo" ]
			((${od:-0} + ${oo:-0} > 0)) && evid=1
		done
		local ol op
		ol=$(kv load "$(tl ST-ORACLE "$p" stat)") op=$(kv put "$(tl ST-ORACLE "$p" stat)")

		# Evidence: this test's part of the console log, verbatim.
		local link=$incomplete
		if ((evid)) && [[ -z $incomplete ]]; then
			mkdir -p "$ev"
			local f=$ev/${p//\//_}-$stamp.txt
			awk -v n="$p" '$0 == "ST-BEGIN " n || index($0, "ST-BEGIN " n " ") == 1 { on = 1 } on { print } $0 == "ST-END " n { on = 0 }' "$LOGF" >"$f"
			[[ -e $ev/console-$stamp.log ]] || cp "$LOGF" "$ev/console-$stamp.log"
			link="[${p##*/}](evidence/$name/${f##*/}), [console](evidence/$name/console-$stamp.log)"
		fi

		local events cov lm
		events=$(jq '.events' <<<"${ksum:-{\}}" 2>/dev/null)
		cov="$(jq -r '"\(.coverage_seen)/\(.coverage_trapped)"' <<<"${ksum:-{\}}" 2>/dev/null)"
		lm=$(awk -v n="$(kv loaded_ns "$statl")" 'BEGIN { printf "%.1f", n / 1e6 }')
		local lost_t lost_s
		lost_t=$(jq '.lost_records' <<<"${ksum:-{\}}" 2>/dev/null)
		lost_s=$(kv lost "$statl")
		local times
		times="$(kv secs "$rp")/$(kv secs "$rt")/$(kv secs "$rs")"
		[[ -n $note ]] && same="$same ($note)"
		echo "| $p | $(verdict "$rp" "$to") | $(verdict "$rt" "$to") | $(verdict "$rs" "$to") | $same | $times | ${events:-?} | ${cov:-?} | $sl/$sp [$ol/$op] | $lm | ${conf:-?} (stat ${sconf:-?}) | ${susp:-?} | ${hits:-0} | ${imb:-?} (stat ${simb:-?}) | ${lost_t:-?}+${lost_s:-?} | $link |" >>"$md"
	done <"$list"
	{
		echo
		echo "Time: $secs s for the boot (3 runs of each selftest, plus reruns); per selftest in the 's' column."
		local nd
		nd=$(grep -c '^ST-DIFFER' "$LOGF")
		echo "Reruns because a result differed: $nd."
		echo
		echo "Trapped accesses never seen at an accessor (stat --exact, per register: unseen/trapped):"
		echo
		tagged ST-GAPS | awk 'NF > 2 { printf "- %s: ", $1; for (i = 3; i <= NF; i++) printf "%s ", $i; print "" }'
		grep -q '^ST-GAPS .* [A-Z]' "$LOGF" || echo "- none"
	} >>"$md"
	log "table: $md"
}

for entry in "${matrix[@]}"; do
	case $entry in
	*:vhe | *:nvhe | *:hvhe | *:protected) one_kernel "$entry" ;;
	*) nok "bad matrix entry '$entry' (SERIES:MODE)" ;;
	esac
done
finish
