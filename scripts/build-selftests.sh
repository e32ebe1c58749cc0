#!/bin/bash
# build-selftests.sh ARCH [SRC [KOBJ]]: cross-build the KVM selftests (static)
# and install them with kselftest's own installer (run_kselftest.sh,
# kselftest-list.txt, per-test settings) into $CACHE/install/ARCH.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1 src=${2:-$TREE} kobj=${3:-$CACHE/obj/$1}
out=$CACHE/obj/selftests-$arch inst=$CACHE/install/$arch
args=(-C "$src/tools/testing/selftests" TARGETS=kvm ARCH="$arch" CROSS_COMPILE="$(cross "$arch")"
      O="$out" KHDR_INCLUDES="-isystem $kobj/usr/include" EXTRA_CFLAGS=-static LDFLAGS=-static
      -j"$JOBS")
if [ "$arch" = riscv ]; then
	# memslot_perf_test asserts ATOMIC_BOOL_LOCK_FREE == 2, which gcc 12 for
	# riscv64 does not give (sub-word atomics go through libatomic): build
	# the common list without it.  Listed in tests/expectations.
	common=$(sed -n 's/^TEST_GEN_PROGS_COMMON +\?= *//p' "$src/tools/testing/selftests/kvm/Makefile.kvm" |
		grep -vx memslot_perf_test | tr '\n' ' ')
	args+=(TEST_GEN_PROGS_COMMON="$common")
fi
# Install beside the old tree and keep the old one when nothing changed, so
# that the initramfs built from it is reused.
rm -rf "$inst.new"
make "${args[@]}" INSTALL_PATH="$inst.new" install
[ -x "$inst.new/run_kselftest.sh" ] && [ -s "$inst.new/kselftest-list.txt" ] || die "kselftest install produced no runner"
if [ -d "$inst" ] && diff -rq "$inst" "$inst.new" >/dev/null; then
	rm -rf "$inst.new"; echo "installed tests unchanged"
else
	rm -rf "$inst"; mv "$inst.new" "$inst"
fi
