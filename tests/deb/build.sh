#!/bin/bash
# build.sh (make deb): the Debian packages of this tree, built by
# dpkg-buildpackage with debian/ (debhelper), for the build machine's
# architecture and cross-built for arm64, then checked by lintian (no error,
# no warning).  The tree is copied to build/deb/src first (what git tracks
# and what it would, not ignored files): dpkg-buildpackage writes beside its
# tree and cleans it.  Packages go to build/deb/.  Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/tally.sh
ok() { tally_ok "deb: $*"; }
nok() { tally_fail "deb: $*"; }
finish() { tally_end deb; exit; }

bash tests/bed/deps.sh >/dev/null || { nok "host packages (tests/bed/deps.sh)"; finish; }
out=$PWD/build/deb
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
# The package's version is kvmsr's: debian/changelog and cli.h agree.
upstream=$(sed -n 's/^#define KVMSR_VERSION "\(.*\)"/\1/p' src/cli/cli.h)
[ "${version%-*}" = "$upstream" ] && ok "debian/changelog $version is kvmsr $upstream" ||
	nok "debian/changelog $version, but KVMSR_VERSION is $upstream"
rm -rf "$out" && mkdir -p "$out/src/kvmsr"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$out/src/kvmsr" ||
	{ nok "copying the tree"; finish; }
native=$(dpkg --print-architecture)
for arch in "$native" arm64; do
	[ "$arch" = arm64 ] && [ "$native" = arm64 ] && continue
	# Cross: the arm64 libraries are multiarch packages (deps.sh), the
	# tools native, which dpkg-checkbuilddeps cannot tell apart: -d.
	opts=(-b -us -uc) && [ "$arch" != "$native" ] && opts+=(-a"$arch" -d)
	log=$out/build-$arch.log
	if (cd "$out/src/kvmsr" && dpkg-buildpackage "${opts[@]}") >"$log" 2>&1; then
		deb=$out/src/kvmsr_${version}_$arch.deb
		[ -f "$deb" ] && mv "$deb" "$out/" && ok "built kvmsr_${version}_$arch.deb" ||
			nok "no $deb after dpkg-buildpackage (log $log)"
	else
		nok "dpkg-buildpackage ${opts[*]}: $(tail -3 "$log" | tr '\n' ' ') (log $log)"
	fi
done
for deb in "$out"/*.deb; do
	[ -f "$deb" ] || continue
	# (lintian says it runs as root, on stderr: not about the package.)
	if l=$(lintian --fail-on error,warning "$deb" 2>&1); then
		ok "lintian $(basename "$deb"): no error or warning"
	else
		nok "lintian $(basename "$deb"): $(grep -v 'root privileges' <<<"$l")"
	fi
done
finish
