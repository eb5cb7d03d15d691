# shellcheck shell=bash
# tests/lib/tally.sh: the one place that counts a suite's results and prints
# its closing "N passed, N failed" line (the line tests/run.sh, .ci/run and
# tests/kernel/run.sh add up).  Source it, then:
#
#   tally_ok MSG            print "${TALLY_OK_PREFIX}MSG", count a pass
#   tally_fail MSG          print "${TALLY_FAIL_PREFIX}MSG", count a failure
#   tally_expect MSG CMD... run CMD: tally_ok MSG if it succeeds, else tally_fail MSG
#   tally_add P F           add P passes and F failures (counted elsewhere)
#   tally_add_output OUT [LABEL]
#                           add the last "P passed, F failed" line of a
#                           sub-suite's output OUT.  With LABEL, only lines
#                           that start with "LABEL: P passed, F failed"
#                           count (LABEL is an extended regex); with LABEL
#                           "" only lines that start with the number.  No such line: one failure, and
#                           return 1 (the caller may say why).
#   tally_end [NAME [TAIL]] print "NAME: P passed, F failed TAIL" (no "NAME: "
#                           when NAME is empty, no " TAIL" when TAIL is
#                           empty); return 0 iff F is 0
#
# TALLY_PASS and TALLY_FAIL hold the counts; TALLY_OK_PREFIX ("ok - ") and
# TALLY_FAIL_PREFIX ("not ok - ") may be set by the suite.  Safe under
# `set -euo pipefail`: nothing here returns non-zero except tally_end on
# failures and tally_add_output on a missing line.

TALLY_PASS=0
TALLY_FAIL=0
TALLY_OK_PREFIX=${TALLY_OK_PREFIX-ok - }
TALLY_FAIL_PREFIX=${TALLY_FAIL_PREFIX-not ok - }

tally_ok() {
	printf '%s%s\n' "$TALLY_OK_PREFIX" "$*"
	TALLY_PASS=$((TALLY_PASS + 1))
}

tally_fail() {
	printf '%s%s\n' "$TALLY_FAIL_PREFIX" "$*"
	TALLY_FAIL=$((TALLY_FAIL + 1))
}

tally_expect() {
	local msg=$1
	shift
	if "$@"; then tally_ok "$msg"; else tally_fail "$msg"; fi
}

tally_add() {
	TALLY_PASS=$((TALLY_PASS + ${1:-0}))
	TALLY_FAIL=$((TALLY_FAIL + ${2:-0}))
}

tally_add_output() {
	local re line
	if (($# < 2)); then
		re='(^|[^0-9])([0-9]+) passed, ([0-9]+) failed'
	elif [[ -z $2 ]]; then
		re='^()([0-9]+) passed, ([0-9]+) failed'
	else
		re="^($2: )([0-9]+) passed, ([0-9]+) failed"
	fi
	line=$({ grep -E -- "$re" <<<"$1" || true; } | tail -n 1)
	if ! [[ $line =~ $re ]]; then
		TALLY_FAIL=$((TALLY_FAIL + 1))
		return 1
	fi
	tally_add "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
}

tally_end() {
	local name=${1:-} tail=${2:-}
	printf '%s%s passed, %s failed%s\n' "${name:+$name: }" "$TALLY_PASS" "$TALLY_FAIL" "${tail:+ $tail}"
	[ "$TALLY_FAIL" = 0 ]
}
