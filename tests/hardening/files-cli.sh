#!/bin/bash
# tests/hardening/files-cli.sh: output files are written safely and the
# command line refuses what it cannot mean (issue 14).  Host-side, no QEMU:
# `report` on tests/fixtures, and live commands up to where they would
# attach (on a host that is not an arm64 KVM host they fail there, after
# parsing and after checking their outputs).
#
#   KVMSR=path/to/kvmsr bash tests/hardening/files-cli.sh   (default: this build)
#
# Prints "hardening-files: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/tally.sh

arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
KVMSR=${KVMSR:-build/$arch/kvmsr}
[[ $KVMSR == /* ]] || KVMSR=$PWD/$KVMSR
fixture=$PWD/tests/fixtures/warn-double-load-7.3-tracepoint.kvmsr
# Live commands must not attach here: on an arm64 KVM host they would run.
can_attach=false
[[ $arch == arm64 && -e /dev/kvm ]] && can_attach=true

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
umask 022

# run CMD...: its exit code in $rc, its stderr in $err; stdout to out.
run() {
	timeout 20 "$KVMSR" "$@" > out 2> err
	rc=$?
	err=$(cat err)
}
same() { cmp -s "$1" "$2"; }
json() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"; }
# Nothing but the named files in the directory (no temporary file left).
only() { [ "$(ls -A | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]; }

# ---- output files ----

cp "$fixture" in.kvmsr
cp "$fixture" orig.kvmsr
run report --perfetto in.kvmsr in.kvmsr
tally_expect "report --perfetto X X: refused, exit 1 (got $rc)" [ "$rc" = 1 ]
tally_expect "report --perfetto X X: the recording is untouched" same in.kvmsr orig.kvmsr
tally_expect "report --perfetto X X: says why" grep -q 'being read' err

ln -s in.kvmsr link.kvmsr
run report --perfetto link.kvmsr in.kvmsr
tally_expect "report --perfetto LINK-TO-X X: refused, the recording untouched" \
	eval '[ "$rc" = 1 -a -L link.kvmsr ] && same in.kvmsr orig.kvmsr'
rm -f link.kvmsr
cp orig.kvmsr in.kvmsr		# whatever happened to it, the next tests read it

run report --perfetto new.json in.kvmsr
tally_expect "report --perfetto NEW: exit 0 (got $rc)" [ "$rc" = 0 ]
tally_expect "report --perfetto NEW: a whole JSON document" json new.json
tally_expect "report --perfetto NEW: private, mode 600 (got $(stat -c %a new.json 2>/dev/null))" \
	[ "$(stat -c %a new.json 2>/dev/null)" = 600 ]
tally_expect "report --perfetto: no temporary file left" only in.kvmsr orig.kvmsr new.json out err

echo "kept" > kept.json
chmod 644 kept.json
run report --perfetto kept.json in.kvmsr
tally_expect "report --perfetto EXISTING: replaced whole, keeps its mode 644" \
	eval '[ "$rc" = 0 -a "$(stat -c %a kept.json)" = 644 ] && json kept.json'
rm -f kept.json new.json

run report --perfetto nodir/x.json in.kvmsr
tally_expect "report --perfetto in a missing directory: exit 1, named" \
	eval '[ "$rc" = 1 ] && grep -q "cannot write nodir/x.json" err'

run report --perfetto /dev/null in.kvmsr
tally_expect "report --perfetto /dev/null: written in place, exit 0 (got $rc)" [ "$rc" = 0 -a -c /dev/null ]

for fmt in --json ""; do
	timeout 20 "$KVMSR" report $fmt in.kvmsr > /dev/full 2> err
	rc=$?
	tally_expect "report ${fmt:-(text)} > /dev/full: exit 1 (got $rc)" [ "$rc" = 1 ]
	tally_expect "report ${fmt:-(text)} > /dev/full: says so" grep -q 'standard output' err
done

if ! $can_attach; then
	echo "the old recording" > old.kvmsr
	cp old.kvmsr old.orig
	run record -o old.kvmsr
	tally_expect "record -o EXISTING, attaching fails (exit $rc): the old file is untouched" \
		eval '[ "$rc" = 1 ] && same old.kvmsr old.orig'
	tally_expect "record -o EXISTING, attaching fails: no temporary file left" \
		only in.kvmsr orig.kvmsr old.kvmsr old.orig out err
	rm -f old.kvmsr old.orig

	run record -o nodir/r.kvmsr
	tally_expect "record -o in a missing directory: said first, exit 1" \
		eval '[ "$rc" = 1 ] && grep -q "cannot write nodir/r.kvmsr" err'
	run serve --textfile nodir/k.prom
	tally_expect "serve --textfile in a missing directory: said before attaching, exit 1" \
		eval '[ "$rc" = 1 ] && grep -q "cannot write nodir/k.prom" err'
	run serve --textfile k.prom
	tally_expect "serve --textfile, attaching fails: no file, no temporary file left" \
		only in.kvmsr orig.kvmsr out err
	# A well-formed address that cannot be bound: a set-up error, not usage.
	run serve --listen 192.0.2.1:9464
	tally_expect "serve --listen 192.0.2.1:9464 (not ours): exit 1, the bind error (got $rc)" \
		eval '[ "$rc" = 1 ] && grep -q -- "--listen 192.0.2.1:9464: " err'
else
	echo "# hardening-files: an arm64 KVM host: the attach-failure cases are skipped"
fi

# ---- the command line: exit 2 for what cannot be meant ----

long=$(printf 'a%.0s' {1..130}):9464
usage=(
	"stat --vcpu ''" "trace --vcpu ''" "stat --sample ''" "trace --context ''"
	"trace --pid ''" "trace --vcpu -1" "trace --vcpu +1" "trace --vcpu ' 1'"
	"trace --duration nan" "trace --duration inf" "trace --duration -inf"
	"trace --duration 1e300" "trace --duration 315576001" "stat --interval nan"
	"stat --interval inf" "stat --interval 1e300" "trace --duration ''"
	"trace --reg ''" "trace --reg ," "trace --reg TTBR0_EL1," "trace --reg ,TTBR0_EL1"
	"trace --reg TTBR0_EL1,,MAIR_EL1"
	"serve --listen bogus" "serve --listen 127.0.0.1" "serve --listen 127.0.0.1:"
	"serve --listen 127.0.0.1:0" "serve --listen 127.0.0.1:65536"
	"serve --listen 127.0.0.1:x" "serve --listen 300.0.0.1:9464" "serve --listen [::1:9464"
	"serve --listen $long"
	"trace --vm ''" "stat --vm web01 --pid 4242"
	"trace --ring-size 0" "trace --ring-size 3" "trace --ring-size 2048" "stat --ring-size 16"
	"serve --ring-size 16" "report --ring-size 16 x.kvmsr" "check --ring-size 16"
)
for a in "${usage[@]}"; do
	eval "run $a"
	tally_expect "kvmsr ${a:0:60}: a usage error, exit 2 (got $rc)" [ "$rc" = 2 ]
done
# ... and what it means is still taken (it fails later here, never with 2).
if ! $can_attach; then
	ok=(
		"trace --vcpu 0 --duration 1.5" "stat --sample 0 --interval 0.5"
		"trace --context 0" "trace --duration 315576000" "trace --reg TTBR0_EL1,MAIR_EL1"
		"serve --listen 127.0.0.1:9464" "serve --listen [::1]:9464" "serve --listen :9464"
		"stat --vm web01" "trace --ring-size 1" "stat --exact --ring-size 1024"
	)
	for a in "${ok[@]}"; do
		eval "run $a"
		tally_expect "kvmsr $a: parsed (exit $rc, not 2)" [ "$rc" != 2 ]
	done
fi

tally_end hardening-files
