#!/bin/bash
# build-bench.sh ARCH: build bench/exit_cost.c against the KVM selftest
# library objects of build-selftests.sh, with the flags kselftest uses, into
# $CACHE/install/bench-ARCH (run-tests.sh puts it in the initramfs as /bench).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1 kobj=$CACHE/obj/$1
kvm=$TREE/tools/testing/selftests/kvm lib=$CACHE/obj/selftests-$arch/kselftest/kvm/lib
out=$CACHE/install/bench-$arch
mkdir -p "$out"
objs=$(find "$lib" -name '*.o' | sort)
[ -n "$objs" ] || die "no selftest library objects in $lib: build the selftests first"
# shellcheck disable=SC2086
"$(cross "$arch")gcc" -D_GNU_SOURCE= -Wall -O2 -std=gnu99 -DCONFIG_64BIT -U_FORTIFY_SOURCE \
	-fno-builtin-memcmp -fno-builtin-memcpy -fno-builtin-memset -fno-builtin-strnlen \
	-fno-stack-protector -fno-PIE -fno-strict-aliasing -static \
	-I"$TREE/tools/testing/selftests" -I"$TREE/tools/include" -I"$TREE/tools/arch/$arch/include" \
	-I"$kvm/include" -I"$kvm/include/$arch" -I"$TREE/tools/arch/$arch/include/generated" \
	-isystem "$kobj/usr/include" \
	"$TOP/bench/exit_cost.c" $objs -ldl -lpthread -o "$out/exit_cost.new"
if cmp -s "$out/exit_cost.new" "$out/exit_cost"; then rm "$out/exit_cost.new"; else mv "$out/exit_cost.new" "$out/exit_cost"; fi
echo "built $out/exit_cost"
