#!/bin/bash
# qemu.sh [--refresh] [--version]
#
# The test bed's alternative emulator: the newest qemu-system-arm (amd64) of
# bookworm-backports (QEMU 10.0.x in 2026-12), fetched and unpacked the way
# tests/bed/kernel.sh fetches the arm64 kernels, and never installed.  Prints
# the path of a wrapper that runs its qemu-system-aarch64:
#   $KVMSR_CACHE/qemu/<version without epoch>/qemu-system-aarch64
# (--version: print the package version instead).  Once cached, nothing
# touches the network; --refresh (or KVMSR_REFRESH=1) re-reads the archive and
# picks up a newer backport.  tests/bed/boot.sh uses it with
#   KVMSR_QEMU=backports bash tests/e2e/run.sh newest:vhe
#   KVMSR_QEMU=backports FR_ARMS=plain FR_STRESS=2 bash tests/flight/repro.sh 7.1:vhe
# (KVMSR_QEMU unset or "bookworm": the host's qemu-system-aarch64, 7.2, from
# tests/bed/deps.sh; KVMSR_QEMU=/path/to/qemu-system-aarch64: that binary).
#
# How: a private apt configuration for amd64 (tests/bed/private-apt.sh with
# PRIVATE_APT_ARCH=amd64; its own sources list with bookworm and
# bookworm-backports, lists, cache and status under $KVMSR_CACHE/qemu/apt).
# The machine's apt sources are only read, for the archive address, and the
# host's own apt-get never sees this APT_CONFIG.  apt-get -s -t
# bookworm-backports against a copy of the host's dpkg status says which
# packages QEMU needs beyond what the host has (on a host where deps.sh
# installed bookworm's QEMU 7.2: only qemu-system-arm, -common and -data; the
# libraries are bookworm's); each is fetched with apt-get download and
# unpacked with dpkg -x into <version>/root.  Any library unpacked that way
# goes on the wrapper's LD_LIBRARY_PATH; ldd must then find everything.
# QEMU 10's data dir (-L) and module dir (QEMU_MODULE_DIR) point into the
# unpacked tree: Debian's build is not relocatable, and would otherwise read
# 7.2's /usr/share/qemu and load 7.2's modules.  No firmware is used:
# the test bed boots with -kernel and -nic none.
#
# Why not apt-get install -t bookworm-backports: that needs a backports line in
# the machine's apt sources, and the test bed never changes them (and it
# would replace the 7.2 that every other run uses).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${KVMSR_CACHE:-$repo/.cache}
QD=$CACHE/qemu
APTD=$QD/apt
SUITE=${KVMSR_QEMU_SUITE:-bookworm-backports}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# shellcheck source=tests/bed/private-apt.sh
. "$repo/tests/bed/private-apt.sh"
refresh=${KVMSR_REFRESH:-0} want=path

log() { echo "qemu: $*" >&2; }
die() { log "error: $*"; exit 1; }

for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	--version) want=version ;;
	*) die "usage: $0 [--refresh] [--version]" ;;
	esac
done

answer() {
	if [[ $want == version ]]; then cat "$1/version"; else echo "$1/qemu-system-aarch64"; fi
}

# Fast path: cached -> no apt, no lock, no network.
if [[ $refresh != 1 && -e $QD/current/ok ]]; then
	answer "$(cd "$QD/current" && pwd -P)"
	exit 0
fi

for c in apt-get apt-cache dpkg-deb ldd flock; do
	command -v $c >/dev/null || die "$c missing (run tests/bed/deps.sh)"
done
[[ -r $KEYRING ]] || die "$KEYRING missing (run tests/bed/deps.sh)"
MIRROR=${KVMSR_DEBIAN_MIRROR:-$(host_uri debian)}
[[ -n $MIRROR ]] || die "no Debian archive in this machine's apt sources: set KVMSR_DEBIAN_MIRROR"

mkdir -p "$QD"
exec 9>"$QD/lock"
flock 9
# Another run may have finished while this one waited.
if [[ $refresh != 1 && -e $QD/current/ok ]]; then
	answer "$(cd "$QD/current" && pwd -P)"
	exit 0
fi
tmp=""
trap '[[ -z $tmp ]] || rm -rf "$tmp"' EXIT

for s in bookworm "$SUITE"; do
	echo "deb [arch=amd64 signed-by=$KEYRING] $MIRROR $s main"
done | PRIVATE_APT_ARCH=amd64 private_apt "$APTD"
# Only this script's apt commands see the private configuration.
papt() { APT_CONFIG=$APTD/apt.conf "$@"; }

if [[ $refresh == 1 ]] || ! ls "$APTD"/lists/*"${SUITE}"_main_binary-amd64_Packages* >/dev/null 2>&1; then
	log "apt-get update (private config, amd64: bookworm, $SUITE)"
	papt apt-get -q update >"$APTD/update.log" 2>&1 ||
		{ grep -E '^(E|W):' "$APTD/update.log" >&2 || true; die "apt-get update failed"; }
fi

# The newest version in the suite, resolved now (never pinned).
ver=$(papt apt-cache show "qemu-system-arm/$SUITE" 2>/dev/null | sed -n 's/^Version: //p' |
	sort -V | tail -n 1)
[[ -n $ver ]] || die "no qemu-system-arm in $SUITE"
dir=$QD/${ver#*:}
if [[ -e $dir/ok ]]; then
	ln -sfn "$(basename "$dir")" "$QD/current"
	answer "$dir"
	exit 0
fi
log "qemu-system-arm $ver from $SUITE"

# What QEMU needs beyond this host's packages: the solver's answer against a
# copy of the host's dpkg status (read only; the copy lives in the private
# world and is replaced on every run).
cp /var/lib/dpkg/status "$APTD/status"
plan=$(papt apt-get -s -q -t "$SUITE" --no-install-recommends install "qemu-system-arm=$ver" 2>&1) ||
	{ echo "$plan" >&2; die "apt cannot resolve qemu-system-arm $ver on this host"; }
: >"$APTD/status"
mapfile -t pkgs < <(sed -nE 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p' <<<"$plan")
((${#pkgs[@]})) || die "apt planned nothing for qemu-system-arm $ver"

tmp=$(mktemp -d "$QD/.new.XXXXXX")
chmod 755 "$tmp"
mkdir -p "$tmp/root" "$APTD/archives"
for pv in "${pkgs[@]}"; do
	p=${pv%%=*} v=${pv#*=}
	debs=("$APTD/archives/${p}_${v//:/%3a}_"*.deb)
	if [[ ! -s ${debs[0]} ]]; then
		log "downloading $p $v"
		(cd "$APTD/archives" && papt apt-get -q download "$p=$v" >/dev/null) || die "download $p $v"
		debs=("$APTD/archives/${p}_${v//:/%3a}_"*.deb)
	fi
	dpkg-deb -x "${debs[0]}" "$tmp/root"
	echo "$p $v" >>"$tmp/packages"
done

root=$dir/root
bin=$tmp/root/usr/bin/qemu-system-aarch64
[[ -x $bin ]] || die "no qemu-system-aarch64 in the unpacked packages"
# Libraries that came with the packages (none when deps.sh's 7.2 is installed).
libdirs=""
for d in "$tmp"/root/lib/x86_64-linux-gnu "$tmp"/root/usr/lib/x86_64-linux-gnu; do
	compgen -G "$d/*.so*" >/dev/null && libdirs+=${libdirs:+:}${root}${d#"$tmp"/root}
done
missing=$(LD_LIBRARY_PATH=${libdirs//$root/$tmp/root} ldd "$bin" | grep 'not found' || true)
[[ -z $missing ]] || { echo "$missing" >&2; die "qemu-system-aarch64 lacks libraries"; }

# shellcheck disable=SC2016 # the wrapper expands $LD_LIBRARY_PATH when it runs
cat >"$tmp/qemu-system-aarch64" <<EOF
#!/bin/sh
# QEMU $ver ($SUITE), unpacked by tests/bed/qemu.sh; not installed.
$([[ -z $libdirs ]] || printf 'LD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\nexport LD_LIBRARY_PATH' "$libdirs")
QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
exec $root/usr/bin/qemu-system-aarch64 -L $root/usr/share/qemu "\$@"
EOF
chmod +x "$tmp/qemu-system-aarch64"
echo "$ver" >"$tmp/version"
rm -rf "$dir"
mv "$tmp" "$dir"
tmp=""
"$dir/qemu-system-aarch64" --version | head -n 1 >&2 || die "the unpacked QEMU does not run"
touch "$dir/ok"
ln -sfn "$(basename "$dir")" "$QD/current"
answer "$dir"
