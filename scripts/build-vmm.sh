#!/bin/bash
# build-vmm.sh ARCH: the reference VMM (vmm/, static, against the patched
# tree's uapi headers and the base tree's libfdt) and what it boots: the
# production kernel of ARCH as the guest, and the guest's busybox
# initramfs with vmm/guest/init.  Into $CACHE/install/vmm-ARCH, which
# run-tests.sh puts in the host's initramfs as /vmm (files rewritten only
# when they change, so that the initramfs is reused).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1 kobj=$CACHE/obj/$1 out=$CACHE/install/vmm-$1 obj=$CACHE/obj/vmm-$1
case $arch in arm64) bbarch=arm64 ;; riscv) bbarch=riscv64 ;; *) die "unknown ARCH $arch" ;; esac
[ -d "$TOP/vmm/$arch" ] || die "the VMM has no $arch port yet"
mkdir -p "$out" "$obj"
make -C "$TOP/vmm" ARCH="$arch" CROSS_COMPILE="$(cross "$arch")" UAPI="$kobj/usr" \
	LIBFDT="$TREE/scripts/dtc/libfdt" O="$obj"
root=$(mktemp -d)
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp "$CACHE/busybox/$bbarch/busybox" "$root/bin/busybox"
for a in sh mount cat echo sed grep awk seq sleep usleep kill reboot poweroff head md5sum devmem; do ln -s busybox "$root/bin/$a"; done
install -m 755 "$TOP/vmm/guest/init" "$root/init"
# Fixed mtimes, so that the same files give the same archive.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1 -n) >"$obj/guest.cpio.gz"
rm -rf "$root"
update() { cmp -s "$1" "$out/$2" || install -m "$3" "$1" "$out/$2"; }
update "$obj/vmm" vmm 755
update "$obj/guest.cpio.gz" guest.cpio.gz 644
update "$kobj/arch/$arch/boot/Image" Image 644
update "$TOP/vmm/guest/steps" steps 644
update "$TOP/scripts/vmm-run" run 755
echo "built $out"
