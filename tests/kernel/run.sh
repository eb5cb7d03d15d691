#!/bin/bash
# run.sh -- `make test-kernel`: build (or take from the cache) kvmsr's patched
# kernel (the newest 7.x Debian ships; build.sh also checks the series with
# git am) and run every test that needs it, one boot each:
#   nodebug-test.sh  the series builds with its debug options off (no boot)
#   boot-test.sh   the bare tracepoints (BTF, no tracefs event; recorded by
#                  tpwatch, counted by the function tracer), the knob, LKDTM
#   tp-test.sh     kvmsr against each fault-injection knob (true positives)
#   lkdtm-test.sh  kvmsr reports LKDTM's WARNING and BUG and survives the BUG
#   e2e/run.sh     the whole end-to-end suite on it, VHE, nVHE and protected (tracepoint
#                  backend: counting stat, trace, check, forced backends)
# Prints each test's PASS/FAIL lines and closes with "N passed, N failed".
# A cold kernel build takes ~12 min on 2 cores (docs/kernel.md), a cached
# one nothing: the cache key is the patches, the fragment and the recipe.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/tally.sh
TALLY_FAIL_PREFIX="FAIL "

kdir=$(bash tests/kernel/build.sh) || {
	tally_fail "the patched kernel did not build (tests/kernel/build.sh)"
	tally_end
	exit 1
}
for t in nodebug-test boot-test tp-test lkdtm-test; do
	echo "# tests/kernel/$t.sh"
	res=$(bash "tests/kernel/$t.sh" "$kdir" 2>&1)
	echo "$res" | grep -E '^(PASS|FAIL|INFO)'
	# Its "N passed, N failed (log ...)" line; none counts as one failure.
	if ! tally_add_output "$res" ""; then
		echo "FAIL $t.sh ended without a result line:"
		tail -5 <<<"$res"
	fi
done
echo "# tests/e2e/run.sh patched:vhe patched:nvhe patched:protected"
res=$(E2E_OUT=${E2E_OUT:-results/e2e-patched} bash tests/e2e/run.sh patched:vhe patched:nvhe patched:protected 2>&1)
echo "$res" | grep -E '^(not ok|e2e)'
tally_add_output "$res" e2e || true
tally_end test-kernel
