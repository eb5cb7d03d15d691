#!/bin/bash
# tests/lint/layers.sh: src/ is in layers (docs/design.md), each file may
# include only its own layer and the layers below it:
#
#   cli -> probe, output -> analysis -> symbols;  recording -> symbols
#
# and the include graph between files has no cycle.  libbpf and the BPF
# skeleton belong to probe/ and cli/ only: the analysis, the outputs, the
# recording format and the symbols are plain C, fed live or from a file.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/tally.sh

declare -A allowed=(
	[symbols]=""
	[recording]="symbols"
	[analysis]="symbols"
	[output]="analysis symbols"
	[probe]="analysis symbols"
	[cli]="probe output analysis recording symbols"
)
libbpf_ok=" probe cli "

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
bad=0
for f in src/*/*.[ch]; do
	layer=${f#src/}; layer=${layer%%/*}
	[[ -v allowed[$layer] ]] || { tally_fail "$f: $layer/ is not a known layer"; bad=1; continue; }
	while read -r inc; do
		case $inc in
		*/*)
			to=${inc%%/*}
			# Modules, not files: x.c and x.h are one node.
			[[ ${f%.*} == "src/${inc%.h}" ]] || echo "${f%.*} src/${inc%.h}" >> "$edges"
			[[ $to == "$layer" || " ${allowed[$layer]} " == *" $to "* ]] ||
				{ tally_fail "$f includes $inc: $layer/ may not call up into $to/"; bad=1; }
			;;
		kvmsr.skel.h)
			[[ $libbpf_ok == *" $layer "* ]] ||
				{ tally_fail "$f includes the BPF skeleton outside probe/ and cli/"; bad=1; }
			;;
		esac
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	# libbpf's BTF parser reads register names (symbols/); its program and
	# map API is the probe's.
	if grep -Eq '^#include <bpf/(bpf|libbpf)\.h>' "$f" && [[ $libbpf_ok != *" $layer "* ]]; then
		tally_fail "$f uses libbpf's program or map API outside probe/ and cli/"
		bad=1
	fi
done
((bad)) || tally_ok "every include of src/ goes to its own layer or one below"

# No cycle between modules (a .c and its .h are one).
if cycle=$(tsort "$edges" 2>&1 >/dev/null) && [[ -z $cycle ]]; then
	tally_ok "the module graph of src/ has no cycle ($(sort -u "$edges" | wc -l) edges)"
else
	tally_fail "include cycle: $(tr '\n' ' ' <<<"$cycle")"
fi
tally_end layers
