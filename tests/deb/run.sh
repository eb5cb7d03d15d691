#!/bin/bash
# run.sh: make deb, then the packages at work (issue 17).  The host's is
# installed with dpkg on this machine: kvmsr --help and --version, man kvmsr,
# bash completion and systemd-analyze verify on the installed unit; then
# purged.  The arm64 one is unpacked (dpkg-deb -x) into the test bed's
# initramfs with the shared libraries it depends on, and the e2e checks run
# on the newest kernel with its /usr/sbin/kvmsr instead of the tree's build.
# Part of `make test`.  Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
export KVMSR_CACHE=${KVMSR_CACHE:-$PWD/.cache}
source tests/lib/tally.sh
ok() { tally_ok "deb: $*"; }
nok() { tally_fail "deb: $*"; }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

out=$(bash tests/deb/build.sh 2>&1); echo "$out"
tally_add_output "$out" "deb" || true
native=$(dpkg --print-architecture)
host=$(ls build/deb/kvmsr_*_"$native".deb 2>/dev/null | head -1)
arm=$(ls build/deb/kvmsr_*_arm64.deb 2>/dev/null | head -1)

# ---- the host's package, installed ----
if [ -n "$host" ] && dpkg -i "$host" >/dev/null 2>&1; then
	ok "dpkg -i $(basename "$host")"
	expect "/usr/sbin/kvmsr --help names its commands" \
		bash -c '/usr/sbin/kvmsr --help | grep -q "^  serve "'
	expect "/usr/sbin/kvmsr --version is the package's ($(/usr/sbin/kvmsr --version | head -1))" \
		[ "$(/usr/sbin/kvmsr --version | head -1)" = "kvmsr $(dpkg-query -W -f='${Version}' kvmsr | sed 's/-[^-]*$//')" ]
	# Minimal images exclude /usr/share/man from dpkg (path-exclude): read it
	# from the package then, as man -l does.
	if [ -f /usr/share/man/man8/kvmsr.8.gz ]; then
		expect "man kvmsr renders" bash -c 'MANWIDTH=80 man kvmsr 2>/dev/null | grep -q "^METRICS"'
	else
		expect "man -l of the package's page renders (dpkg excludes /usr/share/man here)" bash -c \
			"dpkg-deb --fsys-tarfile '$host' | tar -xOf - ./usr/share/man/man8/kvmsr.8.gz |
			 gunzip | MANWIDTH=80 man -l - 2>/dev/null | grep -q '^METRICS'"
	fi
	expect "bash completion is installed and completes" bash -c \
		'source /usr/share/bash-completion/completions/kvmsr; COMP_WORDS=(kvmsr ser); COMP_CWORD=1
		 _kvmsr; [ "${COMPREPLY[*]}" = serve ]'
	u=/lib/systemd/system/kvmsr.service
	expect "the unit starts /usr/sbin/kvmsr" grep -qx "ExecStart=/usr/sbin/kvmsr serve --listen 127.0.0.1:9464" "$u"
	v=$(systemd-analyze verify "$u" 2>&1 | grep -v "Documentation\|man:kvmsr")
	expect "systemd-analyze verify $u${v:+: $v}" [ -z "$v" ]
	expect "dpkg -P kvmsr leaves nothing behind" bash -c \
		'dpkg -P kvmsr >/dev/null 2>&1 && [ ! -e /usr/sbin/kvmsr ] && [ ! -e /lib/systemd/system/kvmsr.service ]'
else
	nok "dpkg -i ${host:-(no host package)}"
fi

# ---- the arm64 package, unpacked in the test bed ----
if [ -n "$arm" ]; then
	x=$(mktemp -d) files=$(mktemp)
	trap 'rm -rf "$x" "$files"' EXIT
	dpkg-deb -x "$arm" "$x"
	(cd "$x" && find . -type f | sed 's|^\.||') | while read -r f; do echo "$x$f:$f"; done >"$files"
	# Its shared libraries and theirs, from this machine's arm64 multiarch packages.
	need=("$x/usr/sbin/kvmsr") seen=" "
	while ((${#need[@]})); do
		f=${need[0]} need=("${need[@]:1}")
		for l in $(aarch64-linux-gnu-readelf -d "$f" 2>/dev/null |
			   sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u); do
			[[ $seen == *" $l "* ]] && continue
			seen+="$l "
			p=$(readlink -f "/usr/lib/aarch64-linux-gnu/$l" 2>/dev/null || readlink -f "/lib/aarch64-linux-gnu/$l")
			[ -f "$p" ] || { nok "arm64 library $l not found"; continue; }
			echo "$p:/lib/aarch64-linux-gnu/$l" >>"$files"
			need+=("$p")
		done
	done
	echo "$(readlink -f /lib/ld-linux-aarch64.so.1):/lib/ld-linux-aarch64.so.1" >>"$files"
	ok "the arm64 package unpacked, with $(($(wc -l <"$files") - $(cd "$x" && find . -type f | wc -l))) shared libraries"
	res=$(E2E_KVMSR_FILES=$files E2E_OUT=results/deb-e2e bash tests/e2e/run.sh newest:vhe 2>&1)
	echo "$res" | sed 's/^/  /'
	tally_add_output "$(tail -n 1 <<<"$res")" || true
else
	nok "no arm64 package to unpack"
fi
tally_end deb-install
