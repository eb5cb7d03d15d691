#!/bin/bash
# `make test`: build everything, run the unit tests and the end-to-end matrix
# on real arm64 kernels, and close with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
pass=0 fail=0

# Add the counts of the last "N passed, N failed" line of a suite's output.
count() {
	local p f
	read -r p f < <(grep -E '[0-9]+ passed, [0-9]+ failed' <<<"$1" | tail -1 |
		sed -E 's/.*[^0-9]([0-9]+) passed, ([0-9]+) failed.*/\1 \2/; s/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
	pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))
}
abort() {
	echo "$1"
	echo "$pass passed, $((fail + 1)) failed"
	exit 1
}

make -s all && make -s ARCH=arm64 all build/arm64/vmm && make -s unit-build ||
	abort "build failed"
bash tests/bed/kernel.sh 6.1 6.12 7.3 newest >/dev/null || abort "kernel fetch failed"

out=$(make -s unit 2>&1); echo "$out"; count "$out"
out=$(bash tests/docs-check.sh 2>&1); echo "$out"; count "$out"
out=$(bash tests/e2e/run.sh 2>&1); echo "$out"; count "$out"
out=$(bash tests/serve/prometheus-test.sh 2>&1); echo "$out"; count "$out"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
