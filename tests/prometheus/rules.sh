#!/bin/bash
# rules.sh: docs/prometheus/kvmsr.rules.yml is valid (promtool check rules),
# does what tests/prometheus/kvmsr.rules.test.yml says (promtool test
# rules), names only metrics and finding kinds kvmsr exports, and its tests
# can fail (a rule with one kind dropped must fail them).  Host-side, part
# of `make test`.  Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/tally.sh
ok() { tally_ok "rules: $*"; }
nok() { tally_fail "rules: $*"; }
rules=docs/prometheus/kvmsr.rules.yml
tests=tests/prometheus/kvmsr.rules.test.yml

command -v promtool >/dev/null || bash tests/bed/deps.sh >/dev/null 2>&1
command -v promtool >/dev/null || { nok "promtool missing (Debian's prometheus)"; tally_end rules; exit; }
out=$(promtool check rules "$rules" 2>&1) && ok "promtool check rules" ||
	nok "promtool check rules: $out"
out=$(promtool test rules "$tests" 2>&1) && ok "promtool test rules" ||
	nok "promtool test rules: $out"

# Every kvmsr_* metric the rules use is one kvmsr serves (metrics.c), and
# every finding kind they match is one the analyzer names.
for m in $(grep -oE 'kvmsr_[a-z_]+' "$rules" | sed 's/_bucket$//' | sort -u); do
	grep -qF "\"$m\"" src/output/metrics.c &&
		ok "kvmsr serves $m" || nok "the rules use $m, which kvmsr does not serve"
done
for k in $(grep -oE 'kind=~"[^"]+"' "$rules" | sed 's/kind=~"//; s/"$//' | tr '|' '\n' | sort -u); do
	grep -q "= \"$k\"," src/analysis/analyzer.c && ok "finding kind $k exists" ||
		nok "the rules match kind $k, which kvmsr never reports"
done

# The tests can fail: KvmsrConfirmedFinding without lost-write must fail them.
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/docs/prometheus" "$d/tests/prometheus"
sed 's/stale-read|lost-write|direct-access/stale-read|direct-access/' "$rules" \
	>"$d/docs/prometheus/kvmsr.rules.yml"
cp "$tests" "$d/tests/prometheus/"
if ! cmp -s "$rules" "$d/docs/prometheus/kvmsr.rules.yml" &&
	! promtool test rules "$d/tests/prometheus/kvmsr.rules.test.yml" >/dev/null 2>&1; then
	ok "a rule that misses lost-write fails the tests"
else
	nok "the tests pass a rule that misses lost-write"
fi
tally_end rules
