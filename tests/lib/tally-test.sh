#!/bin/bash
# tally-test.sh: checks tests/lib/tally.sh itself (bash tests/lib/tally-test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=0 bad=0
same() { # same DESCRIPTION GOT WANT
	n=$((n + 1))
	if [[ $2 == "$3" ]]; then echo "ok - $1"; else echo "not ok - $1: got [$2] want [$3]"; bad=$((bad + 1)); fi
}
# Each case in a fresh shell, as a suite would run it (set -euo pipefail too).
run() { bash -c "set -euo pipefail; source tests/lib/tally.sh; $1" 2>&1; }

same "ok/fail lines and the closing line" \
	"$(run 'tally_ok a; tally_fail b; tally_ok c; tally_end s || echo rc=$?')" \
	$'ok - a\nnot ok - b\nok - c\ns: 2 passed, 1 failed\nrc=1'
same "no name, a tail, rc 0" "$(run 'tally_ok a; tally_end "" "(log x)"; echo rc=$?')" \
	$'ok - a\n1 passed, 0 failed (log x)\nrc=0'
same "empty suite" "$(run 'tally_end; echo rc=$?')" $'0 passed, 0 failed\nrc=0'
same "prefixes" "$(run 'TALLY_OK_PREFIX="PASS " TALLY_FAIL_PREFIX="FAIL "; tally_ok x; tally_fail y; tally_end || true')" \
	$'PASS x\nFAIL y\n1 passed, 1 failed'
same "expect" "$(run 'tally_expect yes true; tally_expect no false; tally_end || true')" \
	$'ok - yes\nnot ok - no\n1 passed, 1 failed'
same "add_output: last line counts, any label" \
	"$(run 'tally_add_output "$(printf "x: 1 passed, 9 failed\nok - y\ne2e [6.1 vhe]: 12 passed, 3 failed\n")"; tally_end || true')" \
	"12 passed, 3 failed"
same "add_output: a missing line is one failure and rc 1" \
	"$(run 'tally_ok a; tally_add_output "crashed" || echo rc=$?; tally_end || true')" \
	$'ok - a\nrc=1\n1 passed, 1 failed'
same "add_output: empty output is one failure" "$(run 'tally_add_output "" || true; tally_end t || true')" \
	"t: 0 passed, 1 failed"
same "add_output: LABEL picks its own line" \
	"$(run 'tally_add_output "$(printf "realvm-check: 4 passed, 1 failed\nrealvm: 7 passed, 0 failed\n")" realvm-check; tally_end || true')" \
	"4 passed, 1 failed"
same "add_output: LABEL \"\" wants the number first" \
	"$(run 'tally_add_output "$(printf "5 passed, 0 failed (log l)\nfoo: 1 passed, 1 failed\n")" ""; tally_end || true')" \
	"5 passed, 0 failed"
same "add_output: LABEL with no match" "$(run 'tally_add_output "x: 5 passed, 0 failed" e2e || echo rc=$?; tally_end || true')" \
	$'rc=1\n0 passed, 1 failed'
same "add_output: sums sub-suites" \
	"$(run 'tally_add_output "a: 10 passed, 0 failed"; tally_add_output "b: 5 passed, 2 failed"; tally_add 1 1; tally_end || true')" \
	"16 passed, 3 failed"
same "set -e survives a failure count" "$(run 'tally_fail x; tally_fail y; echo alive')" \
	$'not ok - x\nnot ok - y\nalive'
echo "tally: $((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]
