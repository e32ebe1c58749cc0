#!/bin/bash
# build-kernel.sh ARCH [SRC [OBJ]]: allnoconfig + configs/{common,ARCH}.config
# (merge_config.sh), then Image and uapi headers, in an object dir in the cache;
# for x86 (native, never booted) only the KVM objects, to prove they compile;
# for riscv-novector the riscv KVM objects without CONFIG_RISCV_ISA_V (Debian's
# configs have it, so nothing else would notice when that build breaks).
# With CONFIG_MODULES (riscv: KVM is a module, as in Debian) also the
# modules, installed stripped into OBJ/modinst for the guest's initramfs;
# modpost fails the build on a symbol vmlinux does not export.
# Fails if an option of the fragments did not survive (a typo or a missing
# dependency would otherwise silently give another kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1 src=${2:-$TREE} obj=${3:-$CACHE/obj/$1$VARIANT}
[ -n "${KVMLC_BASE:-}" ] && src=${2:-$BASE_SRC}
frags=("$TOP/configs/common.config" "$TOP/configs/$arch.config")
kvm_only=
case $arch in
x86) kvm_only=arch/x86/kvm/ ;;
riscv-novector)
	arch=riscv kvm_only=arch/riscv/kvm/
	mkdir -p "$obj"
	sed 's/^CONFIG_RISCV_ISA_V=y$/# CONFIG_RISCV_ISA_V is not set/' "$TOP/configs/riscv.config" >"$obj/novector.config"
	frags=("$TOP/configs/common.config" "$obj/novector.config") ;;
esac
mk=(make -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$(cross "$arch")" -j"$JOBS")
[ "$VARIANT" = -debug ] && frags+=("$TOP/configs/debug.config")
mkdir -p "$obj"
cfgid=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments" 2>/dev/null)" != "$cfgid" ]; then
	"$src/scripts/kconfig/merge_config.sh" -m -n -O "$obj" /dev/null "${frags[@]}" >/dev/null
	# merge_config -n wrote an allnoconfig seed; let Kconfig resolve it.
	"${mk[@]}" KCONFIG_ALLCONFIG="$obj/.config" allnoconfig >/dev/null
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) ;;
		"# CONFIG_"*" is not set") # must stay unset
			line=${line#\# }; line=${line%% *}
			! grep -q "^$line=" "$obj/.config" || { echo "config: $line is set"; bad=1; }
			continue ;;
		*) continue ;;
		esac
		grep -qx -- "$line" "$obj/.config" || { echo "config: $line did not survive (${line%%=*}: $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo unset))"; bad=1; }
	done < <(cat "${frags[@]}")
	[ $bad -eq 0 ] || exit 1
	echo "$cfgid" >"$obj/.fragments"
fi
if [ -n "$kvm_only" ]; then
	"${mk[@]}" W=1 "$kvm_only"
	exit 0
fi
if grep -q '^CONFIG_MODULES=y' "$obj/.config"; then
	"${mk[@]}" Image modules
	rm -rf "$obj/modinst"
	"${mk[@]}" modules_install INSTALL_MOD_PATH="$obj/modinst" INSTALL_MOD_STRIP=1 >/dev/null
else
	"${mk[@]}" Image
fi
"${mk[@]}" headers_install INSTALL_HDR_PATH="$obj/usr" >/dev/null
