#!/bin/bash
# tests/fuzz/run.sh: the libFuzzer targets and the sanitizer runs, ending
# with "fuzz: N passed, N failed" (`make fuzz`: 600 s per target; `make test`
# runs it with the default 60 s).
#
#   1. every saved crash input (tests/fuzz/crashes/TARGET/) is replayed: each
#      is a regression test, failing until its bug is fixed;
#   2. each target fuzzes for FUZZ_SECONDS (clang, -fsanitize=fuzzer,address,
#      undefined), from its corpus (FUZZ_DIR/corpus/TARGET, kept between
#      runs, git-ignored), its seeds (fuzz_report: tests/fixtures,
#      fuzz_http: tests/fuzz/seeds/http), its dictionary (tests/fuzz/
#      report.dict, http.dict) and the saved crashes.  One job
#      that goes on after a crash (-fork=1 -ignore_crashes=1), so a known
#      bug does not hide the others; each new crash, one input per distinct
#      sanitizer report, is copied into tests/fuzz/crashes/TARGET/ (commit
#      it with its fix) and fails the run;
#   3. build/asan/unit-tests and `build/asan/kvmsr report` (text, --json,
#      --perfetto) on every fixture, built by `make SANITIZE=1` with gcc's
#      ASan+UBSan, any report fatal.
#
# Knobs: FUZZ_SECONDS (60; 0 fuzzes nothing, steps 1 and 3 still run),
# FUZZ_TARGETS ("fuzz_report fuzz_http"), FUZZ_DIR (results/fuzz: corpus,
# artifacts, logs), FUZZ_TIMEOUT (25: seconds one input may take; a slower
# one is a finding), FUZZ_RSS_MB (2048: memory one input may take).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tally.sh

secs=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-fuzz_report fuzz_http}
dir=${FUZZ_DIR:-results/fuzz}
timeout=${FUZZ_TIMEOUT:-25}
rss=${FUZZ_RSS_MB:-2048}
# A sanitizer report ends the process with 86, so it cannot pass for one
# of kvmsr's own exit codes.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=86:halt_on_error=1:print_stacktrace=1}
# fuzz_report's timeline files: a crashed job leaves its own behind.
TMPDIR=$(realpath -m "$dir/tmp")
export TMPDIR
mkdir -p "$TMPDIR"
san_re='ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: (Address|Leak|Undefined)Sanitizer'

if ! make -s fuzz-build asan-build >/dev/null; then
	tally_fail "fuzz: build (make fuzz-build asan-build)"
	rm -rf "$TMPDIR"
tally_end fuzz
	exit 1
fi

seeds_of() {
	case $1 in
	fuzz_report) echo tests/fixtures ;;
	fuzz_http) echo tests/fuzz/seeds/http ;;
	esac
}

# The sanitizer's or libFuzzer's one-line verdict on a crash log.
verdict() {
	grep -m1 -E '^SUMMARY: |ERROR: libFuzzer: ' "$1" | sed 's/^SUMMARY: //' || echo "no report"
}

# 1. Saved crashes replay clean.
for t in $targets; do
	bin=build/fuzz/$t
	saved=(tests/fuzz/crashes/"$t"/*)
	[[ -e ${saved[0]} ]] || { tally_ok "$t: no saved crash inputs"; continue; }
	for f in "${saved[@]}"; do
		log=$(mktemp)
		if "$bin" -timeout="$timeout" -rss_limit_mb="$rss" "$f" >"$log" 2>&1; then
			tally_ok "$t: saved input $f replays clean"
		else
			tally_fail "$t: saved input $f: $(verdict "$log")"
		fi
		rm -f "$log"
	done
done

# 2. Fuzz.
if ((secs > 0)); then
	for t in $targets; do
		bin=build/fuzz/$t
		corpus=$dir/corpus/$t art=$dir/artifacts/$t/ log=$dir/$t.log
		mkdir -p "$corpus" "$art" "tests/fuzz/crashes/$t"
		rm -f "$art"*
		"$bin" -dict="tests/fuzz/${t#fuzz_}.dict" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
			-max_total_time="$secs" -timeout="$timeout" -rss_limit_mb="$rss" \
			-close_fd_mask=2 -artifact_prefix="$art" \
			"$corpus" "$(seeds_of "$t")" "tests/fuzz/crashes/$t" >"$log" 2>&1
		rc=$?
		execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
		cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
		summary="${execs:-?} execs in ${secs} s, ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) inputs"
		# One input per distinct report, replayed for its verdict.
		declare -A seen=()
		new=0
		for a in "$art"*; do
			[[ -f $a ]] || continue
			alog=$(mktemp)
			"$bin" -timeout="$timeout" -rss_limit_mb="$rss" "$a" >"$alog" 2>&1
			v=$(verdict "$alog")
			rm -f "$alog"
			[[ -v seen[$v] ]] && continue
			seen[$v]=1
			new=$((new + 1))
			cp "$a" "tests/fuzz/crashes/$t/"
			tally_fail "$t: tests/fuzz/crashes/$t/$(basename "$a"): $v"
		done
		unset seen
		if ((new == 0 && rc == 0)); then
			tally_ok "$t: $summary, no crash"
		elif ((new == 0)); then
			tally_fail "$t: libFuzzer exited $rc ($summary; see $log)"
		else
			echo "# $t: $summary, $new distinct crash(es); log $log"
		fi
	done
fi

# 3. The unit tests and every fixture's report under ASan+UBSan.
log=$(mktemp)
if build/asan/unit-tests >"$log" 2>&1 && ! grep -qE "$san_re" "$log"; then
	tally_ok "asan: unit tests ($(grep -E '^unit: [0-9]+ passed' "$log"))"
else
	tally_fail "asan: unit tests: $(grep -m1 -E "$san_re|^unit: [0-9]+ passed" "$log")"
	grep -E "$san_re|FAIL" "$log" | head -n 20 | sed 's/^/# /'
fi
out=$(mktemp -d)
for f in tests/fixtures/*.kvmsr; do
	for mode in text --json --perfetto; do
		args=("$f")
		[[ $mode == --json ]] && args=(--json "$f")
		[[ $mode == --perfetto ]] && args=(--perfetto "$out/timeline.json" "$f")
		build/asan/kvmsr report "${args[@]}" >/dev/null 2>"$log"
		rc=$?
		# 0, 3 (findings) and 1 (a damaged file, said clearly) are answers.
		if [[ $rc =~ ^[013]$ ]] && ! grep -qE "$san_re" "$log"; then
			tally_ok "asan: report $mode $f (exit $rc)"
		else
			tally_fail "asan: report $mode $f: exit $rc, $(grep -m1 -E "$san_re" "$log")"
			grep -E "$san_re" "$log" | head -n 5 | sed 's/^/# /'
		fi
	done
done
rm -rf "$out" "$log"

rm -rf "$TMPDIR"
tally_end fuzz
