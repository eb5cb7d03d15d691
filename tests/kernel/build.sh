#!/bin/bash
# build.sh [--refresh] [--force] [--unpatched]
#
# Builds kvmsr's lean, patched arm64 KVM host kernel: Debian's newest 7.x
# linux-source (newest series, newest point release, resolved now through the
# same private apt configuration as tests/bed/kernel.sh's "newest": the
# machine's apt sources are never touched; KVMSR_KERNEL_SERIES=X.Y pins a
# series), with the series applied in order: kernel/NNNN-*.patch (the upstream
# part; 0000-cover-letter.patch is mail only), then kernel/test-only/*.patch
# (fault injection, not for merge), and allnoconfig + kernel/lean-arm64.config.
# Before building, the whole series must apply with `git am` to a git copy of
# the pristine files it touches, as a maintainer would apply it; if it does
# not (a new series Debian ships that the patches were not rebased onto), the
# build stops and says which patch failed where.
# Leaves, like tests/bed/kernel.sh does for Debian's kernels,
#   $KVMSR_CACHE/kernels/patched/{Image,config,release,btf,version,key}
# and prints that directory on stdout (log on stderr), so that
#   tests/bed/boot.sh --kernel "$(tests/kernel/build.sh)" ...
# boots it.
#
# Cache: $KVMSR_CACHE/kernel-build/<key>/{src,src/out}, key = hash of the
# source version, the patches' diffs (not their messages), the fragment and
# this script's build recipe.
# Same key: nothing is rebuilt. New key: a fresh patched tree; its object dir
# is seeded from the newest earlier build of the same source version (files
# the old or new patches touch are made newer than every object, so make
# rebuilds exactly what depends on them). --force: rebuild from scratch.
# --refresh (KVMSR_REFRESH=1): re-read the archive for a newer point release.
#
# --unpatched: the same lean kernel (same source, fragment and recipe) with
# NO patch applied, the baseline tests/bench/kernel-tp.sh measures the series
# against; output in $KVMSR_CACHE/kernels/lean-unpatched/, its own cache key
# (seeded from the patched tree like any other build, so it is incremental).
# The fragment's patch-only options (CONFIG_KVM_ARM_SYSREG_*) do not exist
# there: olddefconfig drops them, and instead of requiring them the check
# requires them to be absent (proof that the baseline really is unpatched).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
APTD=$CACHE/apt
SRCD=$CACHE/kernel-src
BLDD=$CACHE/kernel-build
OUTD=$CACHE/kernels/patched
# X.Y, or empty: the newest 7.x series the archive (or the cache) has.
SERIES=${KVMSR_KERNEL_SERIES:-}
FRAG=$repo/kernel/lean-arm64.config
JOBS=${KVMSR_JOBS:-3}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MAKEK=(make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -s)
# Bump when the recipe below changes in a way that changes the result.
RECIPE=1
# Options the result must have (checked after olddefconfig).
REQUIRED=(KVM DEBUG_INFO_BTF FUNCTION_TRACER DYNAMIC_FTRACE DYNAMIC_FTRACE_WITH_DIRECT_CALLS
	KPROBES BPF_SYSCALL BPF_EVENTS DEBUG_FS LKDTM)

log() { echo "kernel-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

refresh=${KVMSR_REFRESH:-0} force=0 unpatched=0
for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	--force) force=1 ;;
	--unpatched) unpatched=1 ;;
	*) die "usage: $0 [--refresh] [--force] [--unpatched]" ;;
	esac
done
[[ -r $FRAG ]] || die "$FRAG missing"
[[ -z $SERIES || $SERIES =~ ^[0-9]+\.[0-9]+$ ]] || die "KVMSR_KERNEL_SERIES must be X.Y, got '$SERIES'"
series_re=${SERIES//./\\.}
series_re=${series_re:-7\.[0-9]+}
# The upstream part in order, then the test-only part: the upstream part must
# not depend on the test-only one, so it always comes first.
mapfile -t patches < <(find "$repo/kernel" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-cover-letter.patch' | LC_ALL=C sort)
mapfile -t -O ${#patches[@]} patches < <(find "$repo/kernel/test-only" -maxdepth 1 -name '*.patch' \
	2>/dev/null | LC_ALL=C sort)
# A patch's name in the key, the build dir and the result: relative to kernel/.
relname() { echo "${1#"$repo/kernel/"}"; }
if ((unpatched)); then
	patches=()
	OUTD=$CACHE/kernels/lean-unpatched
fi

# --- host tools (the machine's own apt: APT_CONFIG must not leak into it) ---
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
for t in flex bison bc make xz; do command -v $t >/dev/null || need+=("$t"); done
[[ " ${need[*]} " == *" xz "* ]] && need=("${need[@]/xz/xz-utils}")
command -v pahole >/dev/null && pahole --version >/dev/null 2>&1 || need+=(dwarves)
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
command -v bpftool >/dev/null || need+=(bpftool)
[[ -r $KEYRING ]] || need+=(debian-archive-keyring)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	env -u APT_CONFIG apt-get -q update >&2
	env -u APT_CONFIG DEBIAN_FRONTEND=noninteractive apt-get -y -q install "${need[@]}" >&2
fi

mkdir -p "$CACHE" "$SRCD" "$BLDD"
# git apply must not find the repository the cache may live in (it would take
# the patch's paths relative to that repository's top and skip them).
export GIT_CEILING_DIRECTORIES=$BLDD
# One writer at a time per cache (same lock as tests/bed/kernel.sh: the apt dir is shared).
exec 9>"$CACHE/kernel.lock"
flock 9

# --- the newest linux-source-7.x through the private apt world -------------
# shellcheck source=tests/bed/private-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bed/private-apt.sh"
# Only "apt-get download" and "apt-cache" ever run with the private config.
papt() { APT_CONFIG=$APTD/apt.conf "$@"; }
updated=0
papt_update() {
	((updated)) && return 1
	updated=1
	log "apt-get update (private config, arm64)"
	papt apt-get -q update >"$APTD/update.log" 2>&1 || log "some suites failed (see $APTD/update.log)"
}
newest_cached_deb() { # newest wanted linux-source .deb already downloaded
	local f best="" bv="" v
	for f in "$APTD"/archives/linux-source-*_all.deb; do
		[[ -s $f && ${f##*/} =~ ^linux-source-($series_re)_ ]] || continue
		v=$(dpkg-deb -f "$f" Version)
		if [[ -z $bv ]] || dpkg --compare-versions "$v" gt "$bv"; then best=$f bv=$v; fi
	done
	echo "$best"
}

# "package version" of the newest wanted linux-source in the package lists:
# the highest version of any real linux-source-X.Y (X.Y = $SERIES, or 7.*).
newest_in_archive() {
	local names p v best="" bv=""
	names=$(papt apt-cache pkgnames linux-source- 2>/dev/null | grep -E "^linux-source-($series_re)\$" || true)
	[[ -n $names ]] || return 0
	# shellcheck disable=SC2086 # a word list on purpose
	while read -r p v; do
		[[ -n $v ]] || continue
		if [[ -z $bv ]] || dpkg --compare-versions "$v" gt "$bv"; then best=$p bv=$v; fi
	done < <(papt apt-cache madison $names 2>/dev/null | awk -F' *[|] *' '{ gsub(/ /, "", $1); print $1, $2 }')
	[[ -z $bv ]] || echo "$best $bv"
}

# The newest the package lists know (no network: they are refreshed only with
# --refresh, or when there are none), unless the cache already has it.
[[ -s $APTD/apt.conf ]] || debian_arm64_apt "$APTD" || die "no apt sources"
[[ $refresh == 1 ]] && papt_update
ls "$APTD"/lists/*_Packages* >/dev/null 2>&1 || papt_update || true
pkg="" ver=""
read -r pkg ver < <(newest_in_archive) || true
deb=$(newest_cached_deb)
if [[ -z $deb ]] || { [[ -n $ver ]] && dpkg --compare-versions "$(dpkg-deb -f "$deb" Version)" lt "$ver"; }; then
	if [[ -z $ver ]] && papt_update; then
		read -r pkg ver < <(newest_in_archive) || true
	fi
	[[ -n $ver ]] || die "no linux-source-${SERIES:-7.x} in the archive"
	deb=$APTD/archives/${pkg}_${ver//:/%3a}_all.deb
	if [[ ! -s $deb ]]; then
		log "downloading $pkg $ver"
		(cd "$APTD/archives" && papt apt-get -q download "$pkg=$ver" >&2) ||
			die "cannot download $pkg $ver"
	fi
fi
ver=$(dpkg-deb -f "$deb" Version)
pkg=$(dpkg-deb -f "$deb" Package)
SERIES=${pkg#linux-source-}
log "source: $pkg $ver${KVMSR_KERNEL_SERIES:+ (KVMSR_KERNEL_SERIES)}"

# --- pristine source, once per version -------------------------------------
pristine=$SRCD/$ver/linux-source-$SERIES
if [[ ! -e $SRCD/$ver/.complete ]]; then
	log "unpacking linux-source-$SERIES $ver"
	rm -rf "${SRCD:?}/$ver"
	mkdir -p "$SRCD/$ver"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
		xz -dc -T2 | tar -x -C "$SRCD/$ver"
	[[ -f $pristine/Makefile ]] || die "no $pristine/Makefile"
	touch "$SRCD/$ver/.complete"
fi

# A patch's code, not its mail: the hash of everything from its first
# "diff --git" on, so that rewording a commit message or the cover letter
# does not rebuild the kernel (index lines and the version trailer are part
# of it; format-patch writes them the same for the same code and git).
diff_sum() { sed -n '/^diff --git /,$p' "$1" | sha256sum | cut -d' ' -f1; }

# --- cache key ---------------------------------------------------------------
key=$({
	echo "recipe $RECIPE source linux-source-$SERIES $ver"
	sha256sum "$FRAG" | cut -d' ' -f1
	for p in "${patches[@]}"; do echo "$(relname "$p") $(diff_sum "$p")"; done
	# Only in that mode, so that the patched build's key stays what it was.
	((unpatched == 0)) || echo "variant unpatched"
} | sha256sum | cut -c1-16)
bdir=$BLDD/$key
src=$bdir/src
obj=$src/out # a direct child of the source tree: kbuild then uses relative paths

install_result() {
	local tmp
	mkdir -p "$(dirname "$OUTD")"
	tmp=$(mktemp -d "$(dirname "$OUTD")/.${OUTD##*/}.XXXXXX")
	cp "$obj/arch/arm64/boot/Image" "$tmp/Image"
	cp "$obj/.config" "$tmp/config"
	"${MAKEK[@]}" -C "$src" O=out kernelrelease >"$tmp/release"
	echo "$ver" >"$tmp/version"
	echo "$key" >"$tmp/key"
	if ((${#patches[@]})); then
		for p in "${patches[@]}"; do relname "$p"; done >"$tmp/patches"
	else
		: >"$tmp/patches" # --unpatched: none
	fi
	# The .BTF section of vmlinux is what the kernel exposes as /sys/kernel/btf/vmlinux.
	aarch64-linux-gnu-objcopy -O binary --only-section=.BTF "$obj/vmlinux" "$tmp/btf"
	[[ $(bpftool btf dump file "$tmp/btf" format raw 2>/dev/null | head -n 1) == "[1] "* ]] ||
		die "no valid .BTF in $obj/vmlinux"
	chmod 755 "$tmp"
	rm -rf "$OUTD"
	mv "$tmp" "$OUTD"
}

if [[ $force != 1 && -e $bdir/.complete ]]; then
	log "cache hit: $key (linux-source-$SERIES $ver, ${#patches[@]} patches)"
	[[ $(cat "$OUTD/key" 2>/dev/null) == "$key" ]] || install_result
	(cd "$OUTD" && pwd -P)
	exit 0
fi

# The series as a maintainer would apply it: `git am`, in order, on a git
# repository of the pristine version of every file it touches (git am reads
# nothing else). The tree itself is patched with git apply below, which
# leaves the hard-linked pristine files alone; this proves the mail applies.
verify_git_am() {
	local g=$bdir/git-am f p err
	((${#patches[@]})) || return 0
	rm -rf "$g"
	mkdir -p "$g"
	for p in "${patches[@]}"; do
		(cd "$g" && git apply --numstat -p1 "$p" | cut -f3)
	done | sort -u | while IFS= read -r f; do
		[[ -e $pristine/$f ]] || continue # created by the series
		mkdir -p "$g/$(dirname "$f")"
		cp "$pristine/$f" "$g/$f"
	done
	gitg() { git -C "$g" -c user.name=kvmsr -c user.email=kvmsr@kvmsr.invalid -c commit.gpgsign=false "$@"; }
	gitg init -q
	gitg add -f -A
	gitg commit -q -m "pristine $pkg $ver (the files the series touches)"
	for p in "${patches[@]}"; do
		if ! err=$(gitg am -q "$p" 2>&1); then
			gitg am --abort >/dev/null 2>&1 || true
			printf '%s\n' "$err" | head -n 12 | sed 's/^/kernel-build:   /' >&2
			die "$(relname "$p") does not apply with git am to $pkg $ver: rebase the series" \
				"onto it, or pin a series it applies to (KVMSR_KERNEL_SERIES=X.Y)"
		fi
	done
	log "git am: the ${#patches[@]} patches apply to $pkg $ver ($(gitg rev-list --count HEAD) commits)"
}

# --- patched tree --------------------------------------------------------------
t0=$(date +%s)
# Leftovers of earlier interrupted runs whose objects were handed on: drop.
for d in "$BLDD"/*/; do
	d=${d%/}
	[[ -e $d/.complete || -s $d/src/out/.config ]] || rm -rf "$d"
done
# The newest complete build of the same version seeds the object dir; else
# an interrupted one (make resumes where it stopped; the dir is used up).
seed="" seed_partial=0
if [[ $force != 1 ]]; then
	for d in $(ls -1td "$BLDD"/*/ 2>/dev/null); do
		d=${d%/}
		[[ $d != "$bdir" && -e $d/.complete && $(cat "$d/version" 2>/dev/null) == "$ver" ]] || continue
		seed=$d
		break
	done
	if [[ -z $seed ]]; then
		for d in $(ls -1td "$BLDD"/*/ 2>/dev/null); do
			d=${d%/}
			[[ $d != "$bdir" && -s $d/src/out/.config && $(cat "$d/version" 2>/dev/null) == "$ver" ]] || continue
			seed=$d seed_partial=1
			break
		done
	fi
fi
rm -rf "$bdir"
mkdir -p "$bdir"
echo "$ver" >"$bdir/version"
log "tree $bdir (hard links to the pristine source; patched files are new inodes)"
cp -al "$pristine" "$src"
verify_git_am
touched=()
for p in "${patches[@]}"; do
	log "applying ${p##*/}"
	# git apply replaces each file it changes (unlink + create): the pristine
	# tree behind the hard links is never written to.
	(cd "$src" && git apply --whitespace=nowarn -p1 "$p") || die "${p##*/} does not apply"
	mapfile -t -O ${#touched[@]} touched < <(cd "$src" && git apply --numstat -p1 "$p" 2>/dev/null | cut -f3 || true)
done
# Paranoia: every patched file must be its own inode now.
for f in "${touched[@]}"; do
	[[ ! -e $src/$f || $(stat -c %h "$src/$f") == 1 ]] || die "$f still shares its inode with the pristine tree"
done
((unpatched == 0)) || log "unpatched: no patch applied (the baseline tree)"
for p in "${patches[@]}"; do
	n=$(relname "$p")
	cp "$p" "$bdir/${n//\//-}"
done

if [[ -n $seed ]]; then
	if ((seed_partial)); then
		log "resuming the interrupted build ${seed##*/} (incremental)"
		mv "$seed/src/out" "$obj"
		[[ -e $seed/build-time ]] || echo "interrupted after $(($(date +%s) - $(stat -c %Y "$seed/build.log"))) s" >"$bdir/seed-note"
	else
		log "seeding objects from ${seed##*/} (incremental rebuild)"
		cp -a "$seed/src/out" "$obj"
	fi
	# Files the old or the new patches touch may differ from what the seeded
	# objects were built from: make them newer than every object.
	mapfile -t -O ${#touched[@]} touched < <(for p in "$seed"/*.patch; do
		[[ -e $p ]] && (cd "$src" && git apply --numstat -p1 "$p" 2>/dev/null | cut -f3) || true
	done)
	for f in "${touched[@]}"; do
		# --unpatched: these are still hard links to the pristine tree;
		# give them their own inode so that the touch leaves it alone.
		if ((unpatched)) && [[ -e $src/$f && $(stat -c %h "$src/$f") != 1 ]]; then
			cp --remove-destination "$src/$f" "$src/$f.tmp.$$"
			mv "$src/$f.tmp.$$" "$src/$f"
		fi
		[[ -e $src/$f ]] && touch "$src/$f"
	done
	rm -f "$obj/.config.old"
else
	mkdir -p "$obj"
fi

# --- config ----------------------------------------------------------------------
log "config: allnoconfig + ${FRAG#"$repo"/}"
"${MAKEK[@]}" -C "$src" O=out allnoconfig >&2
(cd "$src" && ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
	scripts/kconfig/merge_config.sh -m -O out out/.config "$FRAG" >"$bdir/merge_config.log" 2>&1) ||
	{ cat "$bdir/merge_config.log" >&2; die "merge_config.sh failed"; }
"${MAKEK[@]}" -C "$src" O=out olddefconfig >&2
# The fragment's own new options must exist once the patches are in.
missing=()
for o in "${REQUIRED[@]}"; do grep -q "^CONFIG_$o=y" "$obj/.config" || missing+=("$o"); done
while IFS= read -r o; do
	if ((unpatched)); then
		# Patch-only: must not exist in the baseline (else it is not one).
		! grep -q "^config ${o#CONFIG_}\$" -r "$src/arch/arm64/kvm/Kconfig" ||
			die "--unpatched, but the tree has $o: it is not the baseline"
		log "unpatched: $o is patch-only, not required"
		continue
	fi
	grep -q "^config ${o#CONFIG_}\$" -r "$src/arch/arm64/kvm/Kconfig" || continue
	grep -q "^$o=y" "$obj/.config" || missing+=("${o#CONFIG_}")
done < <(grep -oE '^CONFIG_KVM_ARM_SYSREG[A-Z_]*' "$FRAG")
((${#missing[@]} == 0)) || die "config lacks: ${missing[*]} (see $obj/.config)"

# --- build -----------------------------------------------------------------------
log "make -j$JOBS Image (log: $bdir/build.log)"
tb=$(date +%s)
if ! "${MAKEK[@]}" -C "$src" O=out -j"$JOBS" Image >"$bdir/build.log" 2>&1; then
	tail -n 40 "$bdir/build.log" >&2
	die "build failed (log: $bdir/build.log)"
fi
te=$(date +%s)
grep -E 'warning:' "$bdir/build.log" | grep -E 'arch/arm64/kvm|lkdtm' >&2 || true
printf '%s %s seconds=%d\n' "$(if ((seed_partial)); then echo resumed; elif [[ -n $seed ]]; then echo incremental; else echo cold; fi)" \
	"${seed:+from=${seed##*/}}" $((te - tb)) >"$bdir/build-time"
log "build: $(cat "$bdir/build-time") (make only; total with tree+config $((te - t0)) s)"
touch "$bdir/.complete"
if ((seed_partial)); then rm -rf "$seed"; fi
install_result
log "$OUTD: $(cat "$OUTD/release"), Image $(stat -c %s "$OUTD/Image") bytes, btf $(stat -c %s "$OUTD/btf") bytes"
(cd "$OUTD" && pwd -P)
