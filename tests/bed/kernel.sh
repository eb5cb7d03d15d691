#!/bin/bash
# kernel.sh [--refresh] SERIES...   (SERIES: 6.1, 6.12, 7.1, ..., or "newest" = newest 7.x)
#
# Fetches the newest Debian arm64 kernel of each series through a private apt
# configuration (the machine's own apt sources are never touched) and leaves
#   $KVMSR_CACHE/kernels/<SERIES>/{Image,config,release,btf,version,packages}
# printing each directory on stdout. Once a series is cached, nothing touches
# the network; --refresh (or KVMSR_REFRESH=1) re-reads the archive and picks up
# newer point releases.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
APTD=$CACHE/apt
KDIR=$CACHE/kernels
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# shellcheck source=tests/bed/private-apt.sh
. "$repo/tests/bed/private-apt.sh"
MIRROR=${KVMSR_DEBIAN_MIRROR:-$(host_uri debian)}
refresh=${KVMSR_REFRESH:-0}

log() { echo "kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n $MIRROR ]] || die "no Debian archive in this machine's apt sources: set KVMSR_DEBIAN_MIRROR"

complete() { [[ -s $1/Image && -s $1/config && -s $1/release && -s $1/btf ]]; }

series=()
for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	newest | [0-9]*.[0-9]*) series+=("$a") ;;
	*) die "usage: $0 [--refresh] SERIES... (e.g. 6.1 6.12 7.3 newest)" ;;
	esac
done
((${#series[@]})) || die "usage: $0 [--refresh] SERIES... (e.g. 6.1 6.12 7.3 newest)"

# Fast path: everything cached -> no apt, no lock, no network.
if [[ $refresh != 1 ]]; then
	out=()
	for s in "${series[@]}"; do
		complete "$KDIR/$s" || { out=(); break; }
		out+=("$(cd "$KDIR/$s" && pwd -P)")
	done
	if ((${#out[@]})); then
		printf '%s\n' "${out[@]}"
		exit 0
	fi
fi

for c in apt-get apt-cache dpkg-deb bpftool od dd; do
	command -v $c >/dev/null || die "$c missing (run tests/bed/deps.sh)"
done
[[ -r $KEYRING ]] || die "$KEYRING missing (run tests/bed/deps.sh)"

mkdir -p "$KDIR"
# Other users of the same cache may run concurrently: one writer at a time.
exec 9>"$CACHE/kernel.lock"
flock 9
tmp=""
trap '[[ -z $tmp ]] || rm -rf "$tmp"' EXIT

debian_arm64_apt "$APTD" || die "no apt sources"
export APT_CONFIG=$APTD/apt.conf

updated=0
# apt-get update at most once per run. A suite that does not resolve (not
# released yet, archived, mirror hiccup) is reported and skipped.
apt_update() {
	((updated)) && return 1
	updated=1
	log "apt-get update (private config, arm64)"
	if ! apt-get -q update >"$APTD/update.log" 2>&1; then
		grep -E '^(E|W):' "$APTD/update.log" | sed 's/^/kernel:   /' >&2 || true
		log "some suites failed; continuing with the rest"
	fi
	ls "$APTD"/lists/*_Packages* >/dev/null 2>&1 || die "no package lists at all (network?)"
}
[[ $refresh == 1 ]] && apt_update
ls "$APTD"/lists/*_Packages* >/dev/null 2>&1 || apt_update

# "pkg|version" lines of the real (not merely referenced) packages named in $@.
madison() {
	(($#)) || return 0
	apt-cache madison "$@" 2>/dev/null | awk -F' *[|] *' '{ gsub(/ /, "", $1); print $1 "|" $2 }' | sort -u
}

# Plain arm64 flavour only: no -rt, -16k, -cloud, -dbg.
flavour_re='(-[0-9]+)?(\+[a-z0-9.]+)?-arm64(-unsigned)?$'

# newest -> highest X.Y among real linux-image-7.* arm64 packages.
newest_series() {
	local names
	names=$(apt-cache pkgnames linux-image-7. | grep -E "^linux-image-7\.[0-9]+\.[0-9]+$flavour_re" || true)
	# shellcheck disable=SC2086
	madison $names | sed -E 's/^linux-image-([0-9]+\.[0-9]+)\..*/\1/' | sort -V | tail -n 1
}

# Echo "pkg|version" of the newest plain arm64 image of series $1 (prefers the
# -unsigned twin on a tie: same Image without the appended signature).
resolve() {
	local s=$1 re names best="" bv="" p v
	re="^linux-image-${s//./\\.}\.[0-9]+$flavour_re"
	names=$(apt-cache pkgnames "linux-image-$s." | grep -E "$re" || true)
	# shellcheck disable=SC2086
	while IFS='|' read -r p v; do
		[[ -n $p ]] || continue
		if [[ -z $bv ]] || dpkg --compare-versions "$v" gt "$bv" ||
			{ [[ $v == "$bv" && $p == *-unsigned ]]; }; then
			best=$p bv=$v
		fi
	done < <(madison $names)
	[[ -n $best ]] && echo "$best|$bv"
}

# Download (or reuse) one .deb into the archive cache; echo its path.
fetch() {
	local p=$1 v=$2 f
	f=$APTD/archives/${p}_${v//:/%3a}_arm64.deb
	if [[ ! -s $f ]]; then
		log "downloading $p $v"
		(cd "$APTD/archives" && apt-get -q download "$p=$v" >&2) || return 1
	fi
	echo "$f"
}

# Carve the raw .BTF section out of an arm64 Image: find the header
# (magic 0xeb9f LE, version 1, flags 0, hdr_len 24), size it from
# hdr_len + max(type_off+type_len, str_off+str_len), validate with bpftool.
carve_btf() {
	local img=$1 dst=$2 off h total
	while read -r off; do
		read -r -a h < <(od -A n -t u4 -w20 -j $((off + 4)) -N 20 "$img")
		total=$((h[0] + (h[1] + h[2] > h[3] + h[4] ? h[1] + h[2] : h[3] + h[4])))
		dd if="$img" of="$dst" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$total" status=none
		if [[ $(bpftool btf dump file "$dst" format raw 2>/dev/null | head -n 1 || true) == "[1] "* ]]; then
			return 0
		fi
	done < <(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$img" | cut -d: -f1)
	return 1
}

# Echo the .deb paths that carry Image and config for image package $1 at $2.
# From 7.x on linux-image-* is a metapackage: the Image is in linux-binary-*,
# the config in linux-base-*.
fetch_all() {
	local pkg=$1 ver=$2 abi
	abi=${pkg#linux-image-}
	abi=${abi%-unsigned}
	if ! madison "linux-binary-$abi" | grep -qF "|$ver"; then
		fetch "$pkg" "$ver"
		return
	fi
	fetch "linux-binary-$abi" "$ver" || return 1
	if madison "linux-base-$abi" | grep -qF "|$ver"; then
		fetch "linux-base-$abi" "$ver"
	else
		fetch_pool "linux-base-$abi" "$ver"
	fi
}

# Seen on trixie-backports 7.1.x: the index lists linux-binary-* (built by
# linux-signed-arm64) but not linux-base-* (built by linux), which is in the
# pool all the same. Fetch it from there; nothing signed vouches for it.
fetch_pool() {
	local p=$1 v=$2 f
	f=$APTD/archives/${p}_${v//:/%3a}_arm64.deb
	if [[ ! -s $f ]]; then
		log "warning: $p $v not in the index; fetching it from the pool UNVERIFIED"
		/usr/lib/apt/apt-helper -q download-file \
			"$MIRROR/pool/main/l/linux/${p}_${v#*:}_arm64.deb" "$f.part" >&2 || return 1
		mv "$f.part" "$f"
	fi
	echo "$f"
}

# Echo the first of its arguments that exists.
first() {
	local f
	for f; do
		[[ -e $f ]] && { echo "$f"; return; }
	done
	true
}

# Build $KDIR/$1 (version $2) from the .debs $3...
build() {
	local s=$1 ver=$2 img cfg rel d
	shift 2
	tmp=$(mktemp -d "$KDIR/.tmp.XXXXXX")
	log "extracting ${*##*/}"
	for d in "$@"; do
		# Like dpkg -x, minus modules and dtbs we never use (saves ~1 GB of writes).
		dpkg-deb --fsys-tarfile "$d" | tar -x -C "$tmp" \
			--exclude='*.ko' --exclude='*.ko.*' --exclude='*.dtb' --exclude='*.dtbo'
	done
	img=$(first "$tmp"/boot/vmlinuz-* "$tmp"/usr/lib/modules/*/vmlinuz)
	[[ -n $img ]] || die "no vmlinuz in ${*##*/}"
	# <7: /boot/vmlinuz-<rel>; 7.3: /usr/lib/modules/<rel>/vmlinuz; 7.1: mixed.
	if [[ $img == */boot/vmlinuz-* ]]; then
		rel=${img##*/vmlinuz-}
	else
		rel=$(basename "$(dirname "$img")")
	fi
	cfg=$(first "$tmp/boot/config-$rel" "$tmp"/{usr/,}lib/modules/"$rel"/config)
	[[ -n $cfg ]] || die "no config for $rel in ${*##*/}"
	mkdir "$tmp/out"
	# Debian ships an uncompressed Image ("ARMd" at 0x38); accept gzip too.
	if [[ $(od -A n -t x1 -N 2 "$img" | tr -d ' ') == 1f8b ]]; then
		gzip -dc "$img" >"$tmp/out/Image"
	else
		cp "$img" "$tmp/out/Image"
	fi
	[[ $(dd if="$tmp/out/Image" bs=1 skip=56 count=4 status=none) == ARM$'\x64' ]] ||
		die "$img is not an arm64 Image"
	cp "$cfg" "$tmp/out/config"
	echo "$rel" >"$tmp/out/release"
	echo "$ver" >"$tmp/out/version"
	printf '%s\n' "${@##*/}" >"$tmp/out/packages"
	carve_btf "$tmp/out/Image" "$tmp/out/btf" || die "no valid .BTF found in $rel Image"
	rm -rf "${KDIR:?}/${s:?}"
	mv "$tmp/out" "$KDIR/$s"
	rm -rf "$tmp"
	log "$s -> $rel ($ver, btf $(stat -c %s "$KDIR/$s/btf") bytes)"
}

for s in "${series[@]}"; do
	alias=""
	if [[ $s == newest ]]; then
		alias=newest
		s=$(newest_series)
		if [[ -z $s ]] && apt_update; then s=$(newest_series); fi
		[[ -n $s ]] || die "no 7.x arm64 kernel found"
		log "newest = $s"
	fi
	for attempt in 1 2; do
		complete "$KDIR/$s" && [[ $refresh != 1 ]] && break
		r=$(resolve "$s") || r=""
		if [[ -n $r ]]; then
			pkg=${r%%|*} ver=${r#*|}
			# Cached and still the newest the lists know of.
			complete "$KDIR/$s" && [[ $(cat "$KDIR/$s/version") == "$ver" ]] && break
			if debs=$(fetch_all "$pkg" "$ver"); then
				mapfile -t debs <<<"$debs"
				build "$s" "$ver" "${debs[@]}"
				break
			fi
		fi
		# Unknown series or a failed download (stale lists): refresh once, retry.
		((attempt == 1)) && apt_update && continue
		die "cannot get a $s arm64 kernel${r:+ ($r)}"
	done
	[[ -n $alias ]] && ln -sfn "$s" "$KDIR/$alias"
	(cd "$KDIR/$s" && pwd -P)
done
