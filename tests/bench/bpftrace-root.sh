#!/bin/bash
# bpftrace-root.sh [--refresh]
#
# Prints the path of an uncompressed newc cpio holding Debian trixie's arm64
# bpftrace and its whole dependency closure (libc6 and the dynamic loader
# included), unpacked as a root file system, ready to be concatenated in front
# of the test bed's initramfs. Cached under $KVMSR_CACHE/bench/; a warm run
# touches neither apt nor the network. --refresh (or KVMSR_REFRESH=1) re-reads
# the archive and picks up newer package versions.
#
# Like tests/bed/kernel.sh this uses a PRIVATE apt configuration (own sources,
# lists, archives and an empty dpkg status, arm64 only): the machine's apt
# sources and dpkg database are never touched. apt itself resolves the
# closure: `apt-get install --download-only bpftrace` against the empty
# status means "everything bpftrace needs on a bare system".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
BDIR=$CACHE/bench
APTD=$BDIR/apt
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# trixie carries bpftrace 0.23 (the version TESTBED.md's baselines used).
# trixie-backports is listed too, at apt's default priority for it (100): it
# only fills in what trixie lacks and never replaces trixie's versions.
SUITES=(trixie trixie-backports)
# Bump when the way the root is assembled changes: invalidates cached cpios.
LAYOUT=1
refresh=${KVMSR_REFRESH:-0}

log() { echo "bpftrace-root: $*" >&2; }
die() { log "error: $*"; exit 1; }

for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	*) die "usage: $0 [--refresh]" ;;
	esac
done

# Same mirror discovery as tests/bed/kernel.sh: the Debian archive the host's
# apt already uses (read, never changed).
# shellcheck source=tests/bed/private-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bed/private-apt.sh"
MIRROR=${KVMSR_DEBIAN_MIRROR:-$(host_uri debian)}
[[ -n $MIRROR ]] || die "no Debian archive in this machine's apt sources: set KVMSR_DEBIAN_MIRROR"

# The cache key is the exact set of .deb files the closure resolved to, so a
# new point release (after --refresh) yields a new cpio, and a warm run can
# find its cpio from the manifest without asking apt anything.
manifest=$BDIR/bpftrace-debs.txt
cpio_for() { # cpio_for MANIFEST: the cpio path for that package set
	echo "$BDIR/bpftrace-root-$( (echo "layout $LAYOUT"; cat "$1") | sha256sum | cut -c1-16).cpio"
}

# Fast path: nothing to resolve, nothing to download.
if [[ $refresh != 1 && -s $manifest ]]; then
	c=$(cpio_for "$manifest")
	if [[ -s $c ]]; then
		echo "$c"
		exit 0
	fi
fi

for c in apt-get dpkg-deb cpio sha256sum flock; do
	command -v $c >/dev/null || die "$c missing (run tests/bed/deps.sh)"
done
[[ -r $KEYRING ]] || die "$KEYRING missing (run tests/bed/deps.sh)"

mkdir -p "$APTD"
# Concurrent benches share the cache: one writer at a time.
exec 9>"$BDIR/lock"
flock 9
tmp=""
trap '[[ -z $tmp ]] || rm -rf "$tmp"' EXIT

# Install-Recommends off: the closure is Depends/Pre-Depends only (TESTBED.md's
# 22 packages). Dir::Bin::dpkg is never run: --download-only stops before it.
for s in "${SUITES[@]}"; do
	echo "deb [arch=arm64 signed-by=$KEYRING] $MIRROR $s main"
done | private_apt "$APTD" 'APT::Install-Recommends "false";
APT::Install-Suggests "false";'
export APT_CONFIG=$APTD/apt.conf

if [[ $refresh == 1 ]] || ! ls "$APTD"/lists/*_Packages* >/dev/null 2>&1; then
	log "apt-get update (private config, arm64, ${SUITES[*]})"
	apt-get -q update >"$APTD/update.log" 2>&1 ||
		{ grep -E '^(E|W):' "$APTD/update.log" >&2 || true; die "apt-get update failed"; }
fi

# Resolve and download the closure. --print-uris would give names without
# downloading; we want the files, and apt verifies their hashes on the way.
log "resolving bpftrace's dependency closure (arm64)"
if ! apt-get -q -y install --download-only bpftrace >"$APTD/install.log" 2>&1; then
	tail -n 20 "$APTD/install.log" >&2
	die "apt-get install --download-only bpftrace failed"
fi
# The exact files of this closure: apt's own list of what it would install
# (the archives dir may also hold older versions from earlier refreshes).
# Lines look like: Inst libc6 (2.41-12+deb13u5 Debian:13.2/stable [arm64])
debs=()
while read -r p v; do
	f=$APTD/archives/${p}_${v//:/%3a}_arm64.deb
	[[ -s $f ]] || f=$APTD/archives/${p}_${v//:/%3a}_all.deb
	[[ -s $f ]] || die "apt resolved $p $v but $f is missing"
	debs+=("$f")
done < <(apt-get -s -q install bpftrace 2>/dev/null | awk '$1 == "Inst" { print $2, substr($3, 2) }')
((${#debs[@]})) || die "apt resolved no packages for bpftrace"
printf '%s\n' "${debs[@]##*/}" | LC_ALL=C sort >"$manifest.new"
mv "$manifest.new" "$manifest"
out=$(cpio_for "$manifest")
if [[ -s $out ]]; then
	echo "$out"
	exit 0
fi

log "unpacking ${#debs[@]} packages"
tmp=$(mktemp -d "$BDIR/.tmp.XXXXXX")
for d in "${debs[@]}"; do
	dpkg-deb -x "$d" "$tmp/root"
done
[[ -x $tmp/root/usr/bin/bpftrace ]] || die "no usr/bin/bpftrace in the closure"
# Documentation and bpftrace's bundled tools are never used in the guest:
# every MB here is copied by the guest kernel at boot under TCG.
rm -rf "$tmp/root/usr/share/doc" "$tmp/root/usr/share/man" "$tmp/root/usr/share/locale" \
	"$tmp/root/usr/share/lintian" "$tmp/root/usr/share/bpftrace"
find "$tmp/root/usr/sbin" -name '*.bt' -delete 2>/dev/null || true
# Merged /usr: binaries ask for /lib/ld-linux-aarch64.so.1, which trixie ships
# only as usr/lib/...; base-files (not in the closure) makes /lib -> usr/lib.
# Only /lib: /bin and /sbin are real directories in the test bed initramfs
# (busybox lives there), and a symlink over them would break it.
if [[ ! -e $tmp/root/lib ]]; then
	ln -s usr/lib "$tmp/root/lib"
fi
[[ -e $tmp/root/lib/ld-linux-aarch64.so.1 ]] || die "no arm64 dynamic loader in the closure"
# The guest's glibc finds the multiarch directories without an ld.so.cache.
# Uncompressed on purpose: the guest kernel unpacks it at TCG speed, where
# inflating ~300 MB would cost far more than reading it.
(cd "$tmp/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
	>"$tmp/root.cpio"
# The kernel parses an uncompressed cpio segment only at a 4-byte aligned
# offset of the initrd; GNU cpio pads to 512-byte blocks, so check it.
(($(stat -c %s "$tmp/root.cpio") % 4 == 0)) || die "cpio size not a multiple of 4"
mv "$tmp/root.cpio" "$out"
# Older cpios (other package sets) are dead weight.
find "$BDIR" -maxdepth 1 -name 'bpftrace-root-*.cpio' ! -path "$out" -delete
log "$out ($(($(stat -c %s "$out") / 1048576)) MB, ${#debs[@]} packages)"
echo "$out"
