#!/bin/bash
# host-lib.sh -- what the two host-side benches share, tests/bench/run.sh
# (make bench) and tests/bench/kernel-tp.sh (make bench-kernel). Sourced
# (bash) from the repository's top after the caller has set BENCH_NAME (the
# prefix of its log lines: bench, bench-kernel). Defines functions only.

log() { echo "$BENCH_NAME: $*" >&2; }
die() { log "error: $*"; exit 1; }

check_positive() { # VAR...: each BENCH_VAR setting must be a positive integer
	local v
	for v in "$@"; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer, got '${!v}'"
	done
}

check_configs() { # KNOWN...: every element of CONFIGS must be one of these
	local c
	for c in "${CONFIGS[@]}"; do
		[[ " $* " == *" $c "* ]] || die "unknown configuration '$c' in BENCH_CONFIGS ($*)"
	done
}

# The sizes a boot ran with, from its payload's first BENCH-INFO line.
# shellcheck disable=SC2034 # the caller's settings
info_sizes() { # INFO-LINE: sets ITERS, VCPUS, ROUNDS
	ITERS=$(sed -n 's/.* iters=\([0-9]*\).*/\1/p' <<<"$1")
	VCPUS=$(sed -n 's/.* vcpus=\([0-9]*\).*/\1/p' <<<"$1")
	ROUNDS=$(sed -n 's/.* rounds=\([0-9]*\).*/\1/p' <<<"$1")
}

make_tmp() { # sets tmp: a private directory, removed on exit
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
}

is_aarch64() { # FILE: its ELF machine is 0xb7
	[[ $(od -A n -t x1 -j 18 -N 1 "$1" | tr -d ' ') == b7 ]]
}

# timeit, the benches' own clock, static for the guest. Built under a private
# name: the other bench may be doing the same at the same time.
build_timeit() { # BUILD-DIR: leaves BUILD-DIR/bench/timeit
	build_guest_tool "$1" timeit
}

# A static aarch64 helper from tests/bench/NAME.c, rebuilt when the source is newer.
build_guest_tool() { # BUILD-DIR NAME: leaves BUILD-DIR/bench/NAME
	mkdir -p "$1/bench"
	if [[ ! -x $1/bench/$2 || tests/bench/$2.c -nt $1/bench/$2 ]]; then
		aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror \
			-o "$1/bench/$2.$$" "tests/bench/$2.c"
		mv "$1/bench/$2.$$" "$1/bench/$2"
	fi
}

log_setup_time() { # since the caller's start_us
	# shellcheck disable=SC2154 # set by the caller
	local ms=$(((${EPOCHREALTIME/./} - start_us) / 1000))
	log "set-up done in $((ms / 1000)).$((ms % 1000 / 100))s"
}

fail_lines() { # LOG [PREFIX]: each BENCH-FAIL line of LOG, appended to errors
	local line
	while read -r line; do
		errors+=("${2:-}${line#BENCH-FAIL }")
	done < <(grep '^BENCH-FAIL ' "$1" || true)
}

verdict() { # verdict TEXT COND(awk): prints "target met/missed" under TEXT
	local v
	v=$(awk "BEGIN { print ($2) ? \"target met\" : \"target missed\" }")
	printf '  %-58s %s\n' "$1" "$v"
}

median() { # stdin: numbers, one a line -> their median (empty if none)
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# publish REPORT DEST LOGS-LINE OK-LOGS: REPORT into place as DEST and on
# stdout; then the errors (under the table, in DEST too, on stderr: exit 1)
# or the ok line. LOGS-LINE ends the error list, OK-LOGS the ok line.
publish() {
	cp "$1" "$2.$$"
	mv "$2.$$" "$2"
	echo
	cat "$1"
	if ((${#errors[@]})); then
		{
			echo
			echo "${BENCH_NAME^^} FAILED: a configuration did not run; the table above is incomplete:"
			printf '  - %s\n' "${errors[@]}"
			echo "$3"
		} | tee -a "$2" >&2
		exit 1
	fi
	echo "$BENCH_NAME: ok; table saved to $2 ($4)"
}
