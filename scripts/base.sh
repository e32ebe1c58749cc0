#!/bin/bash
# Fetch (or take from $LINUX_SOURCE_DEB), verify and unpack the base kernel
# source once into $BASE_SRC.  The unpacked tree is never edited.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -e "$CACHE/base/.unpacked" ] && grep -qx "$BASE_SHA256" "$CACHE/base/.unpacked" && [ -f "$BASE_SRC/Makefile" ] && exit 0

deb=$CACHE/downloads/$BASE_DEB
mkdir -p "$CACHE/downloads"
if [ -n "${LINUX_SOURCE_DEB:-}" ]; then
	src=$LINUX_SOURCE_DEB
	[ -d "$src" ] && src=$src/$BASE_DEB
	[ -f "$src" ] || die "LINUX_SOURCE_DEB=$LINUX_SOURCE_DEB: no $BASE_DEB there. Point it at the .deb (or its folder), or unset it to download from Debian."
	deb=$src
elif [ ! -f "$deb" ]; then
	log "downloading $BASE_DEB from Debian (trixie-backports)"
	tmp=$(mktemp -d)
	cat >"$tmp/sources.list" <<EOS
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
EOS
	mkdir -p "$tmp/lists/partial"
	o=(-o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
	   -o Dir::State::Lists="$tmp/lists" -o Dir::State::Status=/dev/null -o Debug::NoLocking=1
	   -o APT::Sandbox::User=root)
	apt-get "${o[@]}" update -qq
	(cd "$CACHE/downloads" && apt-get "${o[@]}" download -qq "linux-source-7.3=$BASE_VERSION") || {
		rm -rf "$tmp"
		die "could not download linux-source-7.3=$BASE_VERSION from Debian (the archive may have moved on).
Set LINUX_SOURCE_DEB to a copy of $BASE_DEB (e.g. ../shared/base/) and run again."
	}
	rm -rf "$tmp"
	# apt may escape characters of the version in the file name: take what it wrote.
	got=$(ls "$CACHE/downloads"/linux-source-7.3_*_all.deb | sed -n 1p)
	[ "$got" = "$deb" ] || mv "$got" "$deb"
fi

log "verifying $deb"
sum=$(sha256sum "$deb" | cut -d' ' -f1)
[ "$sum" = "$BASE_SHA256" ] || die "$deb has sha256 $sum, expected $BASE_SHA256 ($BASE_DEB).
Remove it (or fix LINUX_SOURCE_DEB) so that the right file is used, and run again."

log "unpacking the base into $BASE_SRC"
rm -rf "$BASE_SRC" "$CACHE/base/tmp" "$CACHE/base/.unpacked"
mkdir -p "$CACHE/base/tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$CACHE/base/tmp" ./usr/src/linux-source-7.3.tar.xz
tar -C "$CACHE/base" -xJf "$CACHE/base/tmp/usr/src/linux-source-7.3.tar.xz"
rm -rf "$CACHE/base/tmp"
[ -f "$BASE_SRC/Makefile" ] || die "unexpected tarball layout: no $BASE_SRC/Makefile"
echo "$BASE_SHA256" >"$CACHE/base/.unpacked"
log "base ready: $(make -s -C "$BASE_SRC" kernelversion)"
