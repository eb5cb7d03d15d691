#!/bin/bash
# Sourced by tests/bed/kernel.sh, tests/bench/bpftrace-root.sh,
# tests/kernel/build.sh and tests/selftests/build.sh: one private apt world for arm64 packages, with its
# own lists, cache and dpkg status.  The machine's apt sources are only read,
# for the archive address; they are never changed.

# host_uri NAME: the URI of the host's apt source ending in /NAME (read only).
host_uri() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^[[:space:]]*#' |
		grep -oE "[a-z+]+://[^ ]*/$1/?( |\$)" | head -1 | tr -d ' ' | sed 's:/$::' || true
}

# private_apt DIR [EXTRA_CONF_LINES]: write DIR/apt.conf; sources.list comes
# from stdin.  The world's architecture is $PRIVATE_APT_ARCH (default arm64;
# tests/bed/qemu.sh makes an amd64 one for the host's own emulator).  Dir::Etc::Parts points at an empty dir so the host's
# apt.conf.d hooks (appstream refresh, packagekit, "no pkgcache") neither run
# nor slow us down; the host's network policy (proxies, Valid-Until checks,
# off on hosts behind snapshot mirrors) is kept.  Callers decide where
# APT_CONFIG applies: it must never reach the host's own apt-get install.
private_apt() {
	local d=$1 extra=${2:-} arch=${PRIVATE_APT_ARCH:-arm64}

	mkdir -p "$d"/{lists/partial,archives/partial,cache,etc/parts,etc/prefs}
	touch "$d/status"
	cat >"$d/apt.conf" <<EOF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "root";
Dir::Etc::SourceList "$d/etc/sources.list";
Dir::Etc::SourceParts "$d/etc/parts";
Dir::Etc::Parts "$d/etc/parts";
Dir::Etc::Preferences "$d/etc/preferences";
Dir::Etc::PreferencesParts "$d/etc/prefs";
Dir::State "$d";
Dir::State::Lists "$d/lists";
Dir::State::status "$d/status";
Dir::Cache "$d/cache";
Dir::Cache::Archives "$d/archives";
Acquire::Languages "none";
EOF
	[[ -z $extra ]] || printf '%s\n' "$extra" >>"$d/apt.conf"
	env -u APT_CONFIG apt-config dump |
		grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy|Retries) ' \
		>>"$d/apt.conf" || true
	cat >"$d/etc/sources.list"
}

# debian_arm64_apt DIR: the test bed's private apt world in DIR: Debian
# bookworm to forky and their security updates, arm64, from the archive
# this machine uses (or KVMSR_DEBIAN_MIRROR, KVMSR_DEBIAN_SECURITY_MIRROR).
# The kernel, kernel-source and selftest scripts share it (and its lock).
# Returns 1, with the reason on stderr, when no archive is known.
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
debian_arm64_apt() {
	local d=$1 mirror secmirror s
	mirror=${KVMSR_DEBIAN_MIRROR:-$(host_uri debian)}
	secmirror=${KVMSR_DEBIAN_SECURITY_MIRROR:-$(host_uri debian-security)}
	if [[ -z $mirror ]]; then
		echo "no Debian archive in this machine's apt sources: set KVMSR_DEBIAN_MIRROR" >&2
		return 1
	fi
	secmirror=${secmirror:-$mirror-security}
	{
		for s in bookworm bookworm-backports trixie trixie-backports forky; do
			echo "deb [arch=arm64 signed-by=$DEBIAN_KEYRING] $mirror $s main"
		done
		for s in bookworm trixie forky; do
			echo "deb [arch=arm64 signed-by=$DEBIAN_KEYRING] $secmirror $s-security main"
		done
	} | private_apt "$d"
}
