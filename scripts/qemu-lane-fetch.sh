#!/bin/bash
# qemu-lane-fetch.sh ARCH: what the real-VMM lane (scripts/qemu-lane) needs in
# the test host, into $CACHE/install/qemu-ARCH, which run-tests.sh puts in the
# host's initramfs as /qemu:
#  - Debian's own QEMU for ARCH (qemu-system-arm, qemu-system-riscv) of
#    $QEMU_SUITE (trixie: one QEMU, 10.0, for both arches, with the guest
#    kernel's suite) as foreign .debs through a private apt dir
#    ($CACHE/apt-qemu/DEBARCH).  apt resolves the packages' dependency
#    closure (install -s on an empty status); all of it is downloaded and
#    unpacked ($CACHE/qemu-root/DEBARCH), and the binary goes into the host
#    with the shared objects it needs (DT_NEEDED, recursively), found in that
#    root, and its ELF interpreter.
#  - the L2 guest: Debian's own kernel, the package the linux-image-DEBARCH
#    metapackage of $L2_SUITE depends on (package, version and sha256
#    printed), and a busybox initramfs with scripts/qemu-lane-init.
# Lines starting with "qemu-lane" are the summary bench.sh shows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1
L2_SUITE=${L2_SUITE:-trixie} qsuite=${QEMU_SUITE:-trixie}
case $arch in
arm64) debarch=arm64 pkg=qemu-system-arm bin=qemu-system-aarch64 ;;
riscv) debarch=riscv64 pkg=qemu-system-riscv bin=qemu-system-riscv64 ;;
*) die "unknown ARCH $arch" ;;
esac
APTDIR=$CACHE/apt-qemu/$debarch
out=$CACHE/install/qemu-$arch root=$CACHE/qemu-root/$debarch
debs=$APTDIR/debs
l=()
for s in $(printf '%s\n' "$qsuite" "$L2_SUITE" | sort -u); do l+=("deb $s main"); done
papt_sources "${l[@]}"
stamp=$APTDIR/lists/.stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ] || [ "$APTDIR/sources.list" -nt "$stamp" ]; then
	log "private apt update ($debarch: ${l[*]})"
	papt "$debarch" apt-get update -qq || { sleep 20; papt "$debarch" apt-get update -qq; }
	touch "$stamp"
fi
mkdir -p "$debs" "$out"

# get NAME=VERSION...: the .debs into $debs (once each); prints their paths.
get() {
	local p f tmp
	for p in "$@"; do
		# apt names the file NAME_VERSION_ARCH.deb, an epoch's colon as %3a.
		f=$(ls "$debs/${p%%=*}_$(echo "${p#*=}" | sed 's/:/%3a/')_"*.deb 2>/dev/null | head -n 1 || true)
		if [ -z "$f" ]; then
			tmp=$(mktemp -d)
			(cd "$tmp" && papt "$debarch" apt-get download -qq "$p") >&2
			f=$debs/$(basename "$tmp"/*.deb)
			mv "$tmp"/*.deb "$f"; rmdir "$tmp"
		fi
		echo "$f"
	done
}

# QEMU: the closure apt resolves for the package of $qsuite, unpacked.
closure=$(papt "$debarch" apt-get install -s -qq --no-install-recommends "$pkg/$qsuite" |
	sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p' | LC_ALL=C sort)
[ -n "$closure" ] || die "apt resolved nothing for $pkg/$qsuite ($debarch)"
if [ "$(cat "$root.closure" 2>/dev/null)" != "$closure" ]; then
	log "unpacking $pkg/$qsuite and its $(echo "$closure" | wc -l) dependencies ($debarch)"
	rm -rf "$root"; mkdir -p "$root"
	# Data, firmware and docs (/usr/share) are not needed: the guest boots
	# with -kernel and no firmware.
	for f in $(get $closure); do
		dpkg-deb --fsys-tarfile "$f" | tar -x -C "$root" --exclude='./usr/share/*'
	done
	echo "$closure" >"$root.closure"
fi
qver=$(echo "$closure" | sed -n "s/^$pkg=//p")
[ -x "$root/usr/bin/$bin" ] || die "no /usr/bin/$bin in $pkg $qver"

# The binary's shared objects: DT_NEEDED, recursively, looked up in the
# library dirs of the unpacked root (bookworm's in /lib, trixie's in /usr/lib).
ma=$(dpkg-architecture -a"$debarch" -qDEB_HOST_MULTIARCH 2>/dev/null)
lookup() {
	local d
	for d in "$root/lib/$ma" "$root/usr/lib/$ma" "$root/lib" "$root/usr/lib"; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 0
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
stage=$(mktemp -d)
mkdir -p "$stage/lib"
cp "$root/usr/bin/$bin" "$stage/$bin"
todo=$(needed "$stage/$bin") seen=
while [ -n "$todo" ]; do
	next=
	for n in $todo; do
		case " $seen " in *" $n "*) continue ;; esac
		seen+=" $n"
		f=$(lookup "$n")
		[ -n "$f" ] || die "$bin needs $n, which no package of its closure has"
		cp -L "$f" "$stage/lib/$n"
		next+=" $(needed "$stage/lib/$n")"
	done
	todo=$next
done
interp=$(readelf -l "$stage/$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -e "$stage/lib/${interp##*/}" ] || die "the interpreter $interp is not in the closure"
find "$stage" -type f -exec "$(cross "$arch")strip" --strip-unneeded {} + 2>/dev/null || true
echo "${interp##*/}" >"$stage/interp"

# L2: Debian's kernel of $L2_SUITE, from its metapackage.
meta=linux-image-$debarch
mver=$(papt "$debarch" apt-cache madison "$meta" | awk -F'|' -v s="$L2_SUITE" '
	{ gsub(/ /, "", $2) } $3 ~ "[ /]" s "/" { print $2; exit }')
[ -n "$mver" ] || die "no $meta in $L2_SUITE for $debarch"
kpkg=$(papt "$debarch" apt-cache show "$meta=$mver" | sed -n 's/^Depends: //p' | head -n 1 |
	tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\) *(= *\([^)]*\)).*/\1=\2/p' | head -n 1)
[ -n "$kpkg" ] || kpkg=$(papt "$debarch" apt-cache show "$meta=$mver" | sed -n 's/^Depends: //p' | head -n 1 |
	tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ (]*\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "$meta $mver depends on no linux-image-*"
kdeb=$(get "$kpkg")
ksum=$(sha256sum "$kdeb" | cut -d' ' -f1)
dpkg-deb --fsys-tarfile "$kdeb" | tar -xO --wildcards './boot/vmlinu[xz]-*' >"$stage/kernel"
[ -s "$stage/kernel" ] || die "no /boot/vmlinu[xz]-* in $kdeb"

# L2's initramfs: busybox and scripts/qemu-lane-init.
bbarch=$debarch
l2=$(mktemp -d)
mkdir -p "$l2"/{bin,proc,sys,dev,tmp}
cp "$CACHE/busybox/$bbarch/busybox" "$l2/bin/busybox"
for a in sh mount cat echo sed grep seq sleep usleep kill reboot poweroff stty dmesg; do ln -s busybox "$l2/bin/$a"; done
install -m 755 "$TOP/scripts/qemu-lane-init" "$l2/init"
find "$l2" -exec touch -h -d @0 {} +
(cd "$l2" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1 -n) >"$stage/l2.cpio.gz"
rm -rf "$l2"
install -m 755 "$TOP/scripts/qemu-lane" "$stage/run"
echo "$REPORTS" >"$stage/reports"
{
	echo "qemu-lane $arch: QEMU $pkg $qver ($qsuite, $debarch), $(echo "$closure" | wc -l) packages in its closure," \
		"$(ls "$stage/lib" | wc -l) shared objects, $(du -sm "$stage" | cut -f1) MB in the host"
	echo "qemu-lane $arch: L2 kernel $kpkg ($meta $mver, $L2_SUITE) $(basename "$kdeb") sha256 $ksum"
	echo "qemu-lane $arch: L2 initramfs busybox $(cat "$CACHE/busybox/$bbarch/VERSION")"
} | tee "$stage/VERSION"
# Into $out, files rewritten only when they change (the host's initramfs,
# and so its saved results, stay as they were otherwise).
find "$stage" -exec touch -h -d @0 {} +
rsync -rlc --delete "$stage/" "$out/"
rm -rf "$stage"
