#!/bin/bash
# build-kernel.sh ARCH [SRC [OBJ]]: allnoconfig + configs/{common,ARCH}.config
# (merge_config.sh), then Image and uapi headers, in an object dir in the cache;
# for x86 (native, never booted) only the KVM objects, to prove they compile.
# Fails if an option of the fragments did not survive (a typo or a missing
# dependency would otherwise silently give another kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1 src=${2:-$TREE} obj=${3:-$CACHE/obj/$1$VARIANT}
[ -n "${KVMLC_BASE:-}" ] && src=${2:-$BASE_SRC}
mk=(make -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$(cross "$arch")" -j"$JOBS")
frags=("$TOP/configs/common.config" "$TOP/configs/$arch.config")
[ "$VARIANT" = -debug ] && frags+=("$TOP/configs/debug.config")
mkdir -p "$obj"
cfgid=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments" 2>/dev/null)" != "$cfgid" ]; then
	"$src/scripts/kconfig/merge_config.sh" -m -n -O "$obj" /dev/null "${frags[@]}" >/dev/null
	# merge_config -n wrote an allnoconfig seed; let Kconfig resolve it.
	"${mk[@]}" KCONFIG_ALLCONFIG="$obj/.config" allnoconfig >/dev/null
	bad=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		grep -qx -- "$line" "$obj/.config" || { echo "config: $line did not survive (${line%%=*}: $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo unset))"; bad=1; }
	done < <(cat "${frags[@]}")
	[ $bad -eq 0 ] || exit 1
	echo "$cfgid" >"$obj/.fragments"
fi
if [ "$arch" = x86 ]; then
	"${mk[@]}" W=1 arch/x86/kvm/
	exit 0
fi
"${mk[@]}" Image
"${mk[@]}" headers_install INSTALL_HDR_PATH="$obj/usr" >/dev/null
