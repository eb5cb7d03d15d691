#!/bin/bash
# build.sh [--force] [--refresh] [--series X.Y]
#
# Builds the kernel's own KVM selftests (tools/testing/selftests/kvm) as static
# aarch64 binaries from Debian's linux-source-X.Y (default 7.3, the source
# tests/kernel/build.sh builds kvmsr's patched kernel from), and prints the
# directory that holds them:
#   $KVMSR_CACHE/selftests/<source-version>/{bin/,key,tests,build-time,build.log}
# bin/ keeps the build's layout: arm64/<test> (aarch64/<test> before 6.x) and
# the generic tests at its top.
#
# The source: the pristine tree tests/kernel/build.sh unpacked under
# $KVMSR_CACHE/kernel-src/<version>/linux-source-X.Y, else fetched and unpacked
# the same way, into the same place (private apt configuration under
# $KVMSR_CACHE/apt, the machine's apt sources are never touched).  That tree is
# hard-linked into the kernel build trees: it is never written to.  The build
# runs in a scratch copy (real copies, not links; drivers/, Documentation/,
# sound/ left out: headers_install and the selftests need none of them) that
# is deleted afterwards, and the pristine tree is checked to be unchanged.
#
# Cache key: source package and version, cross compiler version and this
# script's recipe.  Same key: nothing is rebuilt.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
APTD=$CACHE/apt
SRCD=$CACHE/kernel-src
OUTROOT=$CACHE/selftests
JOBS=${KVMSR_JOBS:-2}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CROSS=aarch64-linux-gnu-
# Bump when the recipe below changes in a way that changes the result.
RECIPE=1

log() { echo "selftests-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

series=7.3 force=0 refresh=${KVMSR_REFRESH:-0}
while (($#)); do
	case $1 in
	--force) force=1 ;;
	--refresh) refresh=1 ;;
	--series) series=${2:?}; shift ;;
	*) die "usage: $0 [--force] [--refresh] [--series X.Y]" ;;
	esac
	shift
done
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "bad series '$series'"

# --- host tools (the machine's own apt; APT_CONFIG must not leak into it) ----
need=()
command -v ${CROSS}gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
for t in flex bison bc make rsync; do command -v $t >/dev/null || need+=("$t"); done
[[ -r $KEYRING ]] || need+=(debian-archive-keyring)
[[ -e /usr/aarch64-linux-gnu/lib/libc.a ]] || need+=(libc6-dev-arm64-cross)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	env -u APT_CONFIG apt-get -q update >&2
	env -u APT_CONFIG DEBIAN_FRONTEND=noninteractive apt-get -y -q install "${need[@]}" >&2
fi

# --- the pristine source ------------------------------------------------------
# Newest complete unpacked linux-source-$series, if any.
cached_src() {
	local d best="" bv="" v
	for d in "$SRCD"/*/linux-source-"$series"; do
		[[ -f $d/Makefile && -e $(dirname "$d")/.complete ]] || continue
		v=$(basename "$(dirname "$d")")
		if [[ -z $bv ]] || dpkg --compare-versions "$v" gt "$bv"; then best=$d bv=$v; fi
	done
	echo "$best"
}

fetch_src() {
	# Same private apt world and lock as tests/bed/kernel.sh and tests/kernel/build.sh.
	# shellcheck source=tests/bed/private-apt.sh
	. "$repo/tests/bed/private-apt.sh"
	mkdir -p "$CACHE" "$SRCD"
	exec 9>"$CACHE/kernel.lock"
	log "waiting for $CACHE/kernel.lock (a kernel build may hold it)"
	flock 9
	local ver deb
	papt() { APT_CONFIG=$APTD/apt.conf "$@"; }
	[[ -s $APTD/apt.conf ]] || debian_arm64_apt "$APTD" || die "no apt sources"
	newest() { papt apt-cache madison "linux-source-$series" 2>/dev/null |
		awk -F' *[|] *' '{print $2}' | sort -V | tail -n 1; }
	ver=""
	if [[ $refresh != 1 ]] && ls "$APTD"/lists/*_Packages* >/dev/null 2>&1; then ver=$(newest); fi
	if [[ -z $ver ]]; then
		log "apt-get update (private config, arm64)"
		papt apt-get -q update >"$APTD/update.log" 2>&1 || log "some suites failed (see $APTD/update.log)"
		ver=$(newest)
	fi
	[[ -n $ver ]] || die "linux-source-$series not found in the archive"
	deb=$APTD/archives/linux-source-${series}_${ver//:/%3a}_all.deb
	if [[ ! -s $deb ]]; then
		log "downloading linux-source-$series $ver"
		(cd "$APTD/archives" && papt apt-get -q download "linux-source-$series=$ver" >&2) ||
			die "cannot download linux-source-$series $ver"
	fi
	if [[ ! -e $SRCD/$ver/.complete ]]; then
		log "unpacking linux-source-$series $ver"
		rm -rf "${SRCD:?}/$ver"
		mkdir -p "$SRCD/$ver"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" |
			xz -dc -T2 | tar -x -C "$SRCD/$ver"
		[[ -f $SRCD/$ver/linux-source-$series/Makefile ]] || die "no Makefile in linux-source-$series"
		touch "$SRCD/$ver/.complete"
	fi
	exec 9>&-
}

src=""
[[ $refresh == 1 ]] || src=$(cached_src)
if [[ -z $src ]]; then
	fetch_src
	src=$(cached_src)
	[[ -n $src ]] || die "no linux-source-$series after fetching it"
fi
ver=$(basename "$(dirname "$src")")

# --- cache key ------------------------------------------------------------------
key=$({
	echo "recipe $RECIPE source linux-source-$series $ver"
	${CROSS}gcc --version | head -n 1
} | sha256sum | cut -c1-16)
out=$OUTROOT/$ver
if [[ $force != 1 && -e $out/.complete && $(cat "$out/key" 2>/dev/null) == "$key" ]]; then
	log "cache hit: $out (linux-source-$series $ver, $(wc -l <"$out/tests") tests)"
	echo "$out"
	exit 0
fi

# --- scratch copy and build -------------------------------------------------------
mkdir -p "$OUTROOT"
exec 8>"$OUTROOT/.lock"
flock 8
work=$(mktemp -d "$OUTROOT/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
stamp=$work/stamp
touch "$stamp"
sleep 1 # mtime granularity: anything written to the pristine tree from now on is newer
log "copying $src (without drivers/ Documentation/ sound/) to $work/src"
rsync -a --exclude=/drivers --exclude=/Documentation --exclude=/sound "$src/" "$work/src/"
MK=(make -C "$work/src" ARCH=arm64 "CROSS_COMPILE=$CROSS")
log "headers_install"
"${MK[@]}" -s headers_install INSTALL_HDR_PATH="$work/src/usr" >"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log" >&2; die "headers_install failed"; }
kdir=$work/src/tools/testing/selftests/kvm
log "make -j$JOBS KVM selftests (static aarch64; log $out/build.log)"
tb=$(date +%s)
# LDFLAGS on the command line replaces the Makefile's "-pthread -no-pie":
# static glibc has pthreads built in.
if ! make -C "$kdir" ARCH=arm64 CROSS_COMPILE=$CROSS LDFLAGS=-static -j"$JOBS" \
	OUTPUT="$work/out" >>"$work/build.log" 2>&1; then
	# Some selftests of a newer source may not build with this toolchain: keep what did.
	log "warning: make failed; keeping the tests that were built (see build.log)"
	grep -E 'error' "$work/build.log" | head -n 10 >&2 || true
fi
te=$(date +%s)

# The pristine tree must be untouched (it is hard-linked into kernel build trees).
changed=$(find "$src" -newer "$stamp" -print -quit 2>/dev/null || true)
[[ -z $changed ]] || die "the pristine tree changed during the build ($changed): investigate"

rm -rf "$work/result"
mkdir -p "$work/result/bin"
(cd "$work/out" && find . -type f -perm -u+x ! -name '*.o' ! -name '*.d' | LC_ALL=C sort) |
while read -r f; do
	f=${f#./}
	# Executables for aarch64 only (ELF machine 0xb7), static.
	[[ $(od -A n -t x1 -N 4 "$work/out/$f" | tr -d ' ') == 7f454c46 ]] || continue
	[[ $(od -A n -t x1 -j 18 -N 1 "$work/out/$f" | tr -d ' ') == b7 ]] || continue
	mkdir -p "$work/result/bin/$(dirname "$f")"
	${CROSS}strip -o "$work/result/bin/$f" "$work/out/$f"
	echo "$f"
done >"$work/result/tests"
n=$(wc -l <"$work/result/tests")
((n > 0)) || { tail -n 30 "$work/build.log" >&2; die "no selftest was built"; }
cp "$work/build.log" "$work/result/build.log"
echo "$key" >"$work/result/key"
echo "$ver" >"$work/result/version"
echo "linux-source-$series" >"$work/result/source"
echo "seconds=$((te - tb)) total=$(($(date +%s) - t0)) jobs=$JOBS" >"$work/result/build-time"
touch "$work/result/.complete"
rm -rf "$out"
mv "$work/result" "$out"
log "$out: $n selftests from linux-source-$series $ver ($(cat "$out/build-time"))"
echo "$out"
