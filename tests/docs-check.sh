#!/bin/bash
# docs-check.sh: keep the man page and `make install` true to the binary.
# Every long option and command of `kvmsr --help` must be in docs/kvmsr.8,
# the page must render without groff warnings, and `make install` must put
# both where PREFIX/DESTDIR say. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib/tally.sh
ok() { tally_ok "docs: $*"; }
nok() { tally_fail "docs: $*"; }
bin=build/$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')/kvmsr
[ -x "$bin" ] || bin=build/x86/kvmsr
help=$("$bin" --help)
# Options from the OPTIONS section (the examples mention the vmm's own).
for opt in $(sed -n '/^OPTIONS/,$p' <<<"$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	[[ $opt == --help || $opt == --usage || $opt == --version ]] && continue
	if grep -qF -- "${opt//-/\\-}" docs/kvmsr.8; then
		ok "man page has $opt"
	else
		nok "man page lacks $opt (in kvmsr --help)"
	fi
done
# --version names what a recording or a bug report must agree on.
ver=$("$bin" --version)
for w in "kvmsr $(sed -n 's/^#define KVMSR_VERSION "\(.*\)"/\1/p' src/cli/cli.h)" \
	"event ABI $(sed -n 's/^#define KVMSR_ABI_VERSION \([0-9]*\).*/\1/p' include/kvmsr_event.h)" \
	"recording format $(sed -n 's/^#define REC_VERSION \([0-9]*\).*/\1/p' src/recording/file.h)" \
	"libbpf v"; do
	grep -qF -- "$w" <<<"$ver" && ok "--version says \"$w\"" || nok "--version lacks \"$w\": $ver"
done
# Bash completion (docs/completion/kvmsr): every option and command, and
# it completes what a user types.
comp=docs/completion/kvmsr
for opt in $(sed -n '/^OPTIONS/,$p' <<<"$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qE -- "(^|[[:space:]\"])$opt([[:space:]]|\"|$)" "$comp" && ok "completion has $opt" ||
		nok "completion lacks $opt (in kvmsr --help)"
done
complete_as() { # complete_as WORD...: what completing the last word offers
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kvmsr
		echo "${COMPREPLY[*]}"' _ "$comp" kvmsr "$@" 2>/dev/null
}
for t in "tr|trace" "serve --bpf|--bpf-stats" "trace --backend k|kprobe" \
	"trace --events load,p|load,put" "stat --fail-on confirmed,im|confirmed,imbalance"; do
	got=$(complete_as ${t%%|*})
	[ "$got" = "${t#*|}" ] && ok "completion: kvmsr ${t%%|*} -> $got" ||
		nok "completion: kvmsr ${t%%|*} -> '$got', wanted '${t#*|}'"
done
for cmd in check trace stat record report; do
	grep -q "^.B kvmsr $cmd" docs/kvmsr.8 && ok "man page synopsis has $cmd" ||
		nok "man page synopsis lacks $cmd"
done
warn=$(groff -man -Tutf8 -ww docs/kvmsr.8 2>&1 >/dev/null)
[ -z "$warn" ] && ok "groff renders it without warnings" || nok "groff: $warn"
d=$(mktemp -d)
if make -s install DESTDIR="$d" PREFIX=/opt/k >/dev/null 2>&1 &&
	[ -x "$d/opt/k/sbin/kvmsr" ] && [ -f "$d/opt/k/share/man/man8/kvmsr.8" ] &&
	[ -f "$d/opt/k/share/bash-completion/completions/kvmsr" ] &&
	[ -f "$d/opt/k/share/doc/kvmsr/prometheus/kvmsr.rules.yml" ] &&
	grep -qx "ExecStart=/opt/k/sbin/kvmsr serve --listen 127.0.0.1:9464" \
		"$d/opt/k/lib/systemd/system/kvmsr.service"; then
	ok "make install honours DESTDIR and PREFIX (binary, man page, completion, unit, rules)"
else
	nok "make install DESTDIR=$d PREFIX=/opt/k"
fi
rm -rf "$d"
# The systemd unit parses (systemd-analyze, where systemd is installed),
# pointed at this build instead of the installed binary.
if command -v systemd-analyze >/dev/null; then
	u=$(mktemp -d)
	sed -e "s|^ExecStart=/usr/local/sbin/kvmsr|ExecStart=$PWD/$bin|" -e '/^Documentation=/d' \
		docs/kvmsr.service > "$u/kvmsr.service"
	v=$(cd "$u" && systemd-analyze verify ./kvmsr.service 2>&1)
	[ -z "$v" ] && ok "systemd-analyze verify docs/kvmsr.service" || nok "kvmsr.service: $v"
	# Its sandboxing: systemd's exposure score, 0 (locked down) to 10 (root, open).
	x=$(cd "$u" && systemd-analyze security --offline=yes ./kvmsr.service 2>&1 |
		sed -n 's/.*Overall exposure level for kvmsr.service: \([0-9.]*\).*/\1/p')
	awk -v x="${x:-10}" 'BEGIN { exit !(x <= 4.0) }' &&
		ok "systemd-analyze security: exposure $x <= 4.0 (OK)" ||
		nok "systemd-analyze security: exposure ${x:-unknown} > 4.0"
	rm -rf "$u"
else
	echo "# docs: systemd-analyze not installed, docs/kvmsr.service not verified"
fi
tally_end docs
