#!/bin/bash
# Install the host packages the whole project needs (build, cross build, test bed).
# Idempotent: a warm run only asks dpkg and never touches the network.
set -euo pipefail

HOST_PKGS=(clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config make gcc
	   qemu-system-arm gcc-aarch64-linux-gnu cpio debian-archive-keyring jq groff-base
	   chromium prometheus
	   debhelper dpkg-dev fakeroot lintian	# make deb
	   libclang-rt-dev)	# libFuzzer and the sanitizers' runtime (only a Recommends of clang)
# Static arm64 binaries for the guest link against these.
ARM64_PKGS=(libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libc6-dev:arm64
	    busybox-static:arm64)

native=$(dpkg --print-architecture)

# One dpkg-query for everything: "name:arch" for every fully installed package.
# Arch "all" packages are listed without qualifier, so add the native form too.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package} ${Architecture}\n' |
	    awk '$1 == "ii" { split($2, a, ":"); print a[1] ":" $3;
			      if ($3 == "all") print a[1] ":'"$native"'" }')

missing=()
for p in "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}"; do
	[[ $p == *:* ]] || p="$p:$native"
	grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "deps: all packages present" >&2
	exit 0
fi

echo "deps: installing ${missing[*]}" >&2
# Foreign-architecture packages need arm64 enabled in dpkg before apt-get update.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
