#!/bin/bash
# check-distro.sh fetch | build NAME base|series | compare NAME   (make check-distro)
# The series in Debian's own kernel configurations (issue 9): every option of a
# real config, KVM as a module on riscv64, W=1.
#   fetch:   Debian's configs, from foreign .debs through a private apt dir
#            ($CACHE/apt-distro): arm64 and cloud-arm64 from linux-config-7.3
#            (trixie-backports); riscv64 from the newest riscv64 linux-config-*
#            Debian has (no 7.3 for riscv64 today: sid's 7.2, which olddefconfig
#            brings to 7.3).
#   build:   olddefconfig (its diff to Debian's config is kept), prepare, then
#            make W=1 of the compared directories, on the base or the series,
#            in $CACHE/obj/distro-NAME[-base] (incremental).
#   compare: the warnings of the two builds as multisets; fails on a new one.
# Lines starting with "distro" are the summary bench.sh shows.
set -euo pipefail
export LC_ALL=C   # sort and comm order
. "$(dirname "$0")/lib.sh"
APTD=$CACHE/apt-distro
CFG=$APTD/configs   # NAME.config as Debian ships it, NAME.from its origin
NAMES="arm64 cloud-arm64 riscv64"
karch() { case $1 in arm64 | cloud-arm64) echo arm64 ;; riscv64) echo riscv ;; *) die "unknown config $1" ;; esac; }

# fetch_deb DEBARCH PKG VERSION: the .deb into $APTD/debs (once); prints its path.
fetch_deb() {
	local deb=$APTD/debs/${2}_${3}_$1.deb tmp
	if [ ! -f "$deb" ]; then
		tmp=$(mktemp -d)
		(cd "$tmp" && papt "$1" apt-get download -qq "$2=$3") >&2
		mv "$tmp"/*.deb "$deb"   # apt may escape the version in the name
		rmdir "$tmp"
	fi
	echo "$deb"
}
# extract NAME DEB PKG FILE SUITE: Debian's config FILE out of DEB as $CFG/NAME.config.
extract() {
	local sum; sum=$(sha256sum "$2" | cut -d' ' -f1)
	dpkg-deb --fsys-tarfile "$2" | tar -xO "./usr/src/$3/$4" | xz -dc >"$CFG/$1.config.tmp"
	grep -qE '^CONFIG_KVM=[ym]$' "$CFG/$1.config.tmp" || die "$4 in $2 has no CONFIG_KVM"
	mv "$CFG/$1.config.tmp" "$CFG/$1.config"
	echo "$(basename "$2") ($5) sha256 $sum: $4, $(grep '^CONFIG_KVM=' "$CFG/$1.config")" >"$CFG/$1.from"
	echo "distro $1: $(cat "$CFG/$1.from")"
}
# update DEBARCH "SUITE...": the private apt dir of DEBARCH, refreshed once a day.
update() {
	local s l=()
	APTDIR=$APTD/$1
	for s in $2; do l+=("deb $s main"); done
	papt_sources "${l[@]}"
	local stamp=$APTDIR/lists/.stamp
	[ -e "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ] && return 0
	log "private apt update ($1: $2)"
	# A suite's index caught mid-sync fails alone: the others are still read,
	# and what is needed is checked below.
	if papt "$1" apt-get update -qq; then touch "$stamp"; else log "apt-get update ($1) reported failed indexes (ignored)"; fi
}
candidate() { papt "$1" apt-cache policy "$2" | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true; }

fetch() {
	mkdir -p "$APTD/debs" "$CFG"
	local pkg ver deb suite
	# arm64: the configs of the base's own package.
	update arm64 trixie-backports
	pkg=linux-config-7.3 ver=$(candidate arm64 linux-config-7.3)
	[ -n "$ver" ] || die "no linux-config-7.3 for arm64 in trixie-backports"
	[ "$ver" = "$BASE_VERSION" ] || echo "distro note: linux-config-7.3 for arm64 is $ver, the base is $BASE_VERSION"
	deb=$(fetch_deb arm64 "$pkg" "$ver")
	extract arm64 "$deb" "$pkg" config.arm64_none_arm64.xz "trixie-backports"
	extract cloud-arm64 "$deb" "$pkg" config.arm64_none_cloud-arm64.xz "trixie-backports"
	# riscv64: the newest linux-config-X.Y of any suite.
	update riscv64 "trixie-backports sid"
	pkg=$(papt riscv64 apt-cache pkgnames linux-config- | grep -E '^linux-config-[0-9]+\.[0-9]+$' | sort -V | tail -n1)
	[ -n "$pkg" ] || die "no linux-config-* for riscv64 in trixie-backports or sid"
	ver=$(candidate riscv64 "$pkg")
	suite=$(papt riscv64 apt-cache madison "$pkg" | awk -F'|' -v v="$ver" '
		{ gsub(/ /, "", $2) } $2 == v { split($3, a, " "); split(a[2], b, "/"); print b[1]; exit }')
	deb=$(fetch_deb riscv64 "$pkg" "$ver")
	extract riscv64 "$deb" "$pkg" config.riscv64_none_riscv64.xz "$suite"
	[ "$pkg" = linux-config-7.3 ] ||
		echo "distro note: Debian has no linux-config-7.3 for riscv64; $pkg $ver ($suite) is used, brought to 7.3 by olddefconfig"
}

# The directories compared on ARCH, from the series' diff: arch/ARCH/kvm,
# virt/kvm, those holding a touched .c file, and those holding a .c file that
# includes a touched header, directly or through other headers.  Nested ones
# fold into their parent (kbuild recurses).
compared_dirs() {
	local arch=$1 f n names=() seen re users
	local touched; touched=$(git -C "$TREE" diff --name-only base..HEAD)
	for f in $touched; do
		case $f in
		include/*.h) n=${f#include/} ;;
		arch/$arch/include/*.h) n=${f#arch/"$arch"/include/} ;;
		*) continue ;;
		esac
		names+=("${n#uapi/}")
	done
	# The headers of include/ and arch/ARCH/include that include those, to a fixed point.
	while :; do
		re=$(printf '%s\n' "${names[@]}" | sort -u | sed 's/[.]/\\./g' | paste -sd'|')
		seen=$(printf '%s\n' "${names[@]}" | sort -u)
		mapfile -t names < <({ echo "$seen"; cd "$TREE" &&
			grep -rlE "^#[[:space:]]*include[[:space:]]*<(uapi/)?($re)>" --include='*.h' include "arch/$arch/include" |
			sed -E "s#^(arch/$arch/)?include/(uapi/)?##"; } | sort -u)
		[ "$(printf '%s\n' "${names[@]}")" = "$seen" ] && break
	done
	echo "headers the series touches and those including them: ${names[*]}" >&2
	users=$(cd "$TREE" && grep -rlE "^#[[:space:]]*include[[:space:]]*<(uapi/)?($re)>" --include='*.c' "arch/$arch" \
		$(find . -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name arch ! -name tools ! -name Documentation \
			! -name scripts ! -name samples ! -name usr ! -name include ! -name LICENSES -printf '%f\n'))
	{
		echo "arch/$arch/kvm"; echo virt/kvm
		for f in $touched $users; do
			case $f in
			arch/"$arch"/*.c) dirname "$f" ;;
			arch/* | tools/* | Documentation/* | samples/* | scripts/*) ;;
			*.c) dirname "$f" ;;
			esac
		done
	} | sort -u | awk '{ for (i = 1; i <= n; i++) if (index($0, d[i] "/") == 1) next; d[++n] = $0; print }'
}

build() {
	local name=$1 side=$2 arch src obj d o rc=0
	arch=$(karch "$name")
	if [ "$side" = base ]; then src=$BASE_SRC obj=$CACHE/obj/distro-$name-base
	else src=$TREE obj=$CACHE/obj/distro-$name; fi
	[ -f "$CFG/$name.config" ] || die "no $CFG/$name.config: run '$0 fetch' first"
	local mk=(make -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$(cross "$arch")"
		CC="$TOP/scripts/distro-cc $(cross "$arch")gcc" W=1 -j"$JOBS")
	mapfile -t dirs < <(compared_dirs "$arch")
	mkdir -p "$obj"
	rm -f "$obj/distro-warnings.txt"   # only a build that completes leaves one
	# Debian's config -> olddefconfig, once per Debian config.  A new one (or
	# a new distro-cc) drops the compared objects: every .warn kept is of this.
	local stamp; stamp=$(cat "$CFG/$name.config" "$TOP/scripts/distro-cc" | sha256sum | cut -d' ' -f1)
	if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/distro.stamp" 2>/dev/null)" != "$stamp" ]; then
		for d in "${dirs[@]}"; do [ -d "$obj/$d" ] && find "$obj/$d" \( -name '*.o' -o -name '*.o.warn' \) -delete; done
		cp "$CFG/$name.config" "$obj/.config"
		"${mk[@]}" olddefconfig
		certs "$src" "$obj"
		"${mk[@]}" olddefconfig
		cp "$CFG/$name.config" "$obj/debian.config"
		echo "$stamp" >"$obj/distro.stamp"
	fi
	# What olddefconfig (and certs) made of Debian's config: "-" options gone
	# (compiler-gated, or not in this source), "+" new ones, "->" changed.
	local df=$obj/olddefconfig.diff kv
	"$src/scripts/diffconfig" "$obj/debian.config" "$obj/.config" >"$df"
	cat "$df"
	kv=$(grep -E '(KVM|VIRTUALIZATION)' "$df" | tr '\n' ';' || true)
	echo "distro $name $side: olddefconfig moved $(wc -l <"$df") options ($(grep -c '^-' "$df" || true) gone, $(grep -c '^+' "$df" || true) new, $(grep -c -- ' -> ' "$df" || true) changed; $df); KVM options: ${kv:-none moved}"
	grep -E '^ (CC_VERSION_TEXT|GCC_VERSION) ' "$df" | sed "s/^/distro $name $side:  /" || true
	"${mk[@]}" prepare
	# virt/kvm is built from arch/ARCH/kvm/Makefile (Makefile.kvm), not on its own.
	grep -q 'include .*virt/kvm/Makefile.kvm' "$src/arch/$arch/kvm/Makefile" ||
		die "arch/$arch/kvm/Makefile does not include virt/kvm/Makefile.kvm: virt/kvm/ would not be built"
	local targets=()
	for d in "${dirs[@]}"; do [ "$d" != virt/kvm ] && [ -d "$src/$d" ] && targets+=("$d/"); done
	echo "make W=1 ${targets[*]} (virt/kvm through arch/$arch/kvm)"
	"${mk[@]}" "${targets[@]}"
	[ -f "$obj/virt/kvm/kvm_main.o" ] || die "virt/kvm/kvm_main.o was not built from arch/$arch/kvm"
	# The objects compiled from the compared directories and the warnings of
	# their last compile; an object whose source is gone is stale, not counted.
	: >"$obj/distro-objects.txt"; : >"$obj/distro-warnings.raw"
	for d in "${dirs[@]}"; do
		[ -d "$obj/$d" ] || continue
		find "$obj/$d" -name '.*.o.cmd' | sort | while IFS= read -r f; do
			o=$(basename "$f" .cmd); o=$(dirname "$f")/${o#.}
			s=$(sed -n 's/^source_[^ ]* := //p' "$f")
			[ -n "$s" ] && [ -f "$s" ] && [ -f "$o" ] || continue
			echo "${o#"$obj"/}" >>"$obj/distro-objects.txt"
			if [ -f "$o.warn" ]; then cat "$o.warn" >>"$obj/distro-warnings.raw"; fi
		done
	done
	grep -E ': (warning|(fatal )?error): ' "$obj/distro-warnings.raw" | norm "$src" "$obj" >"$obj/distro-warnings.txt" || true
	local per=
	for d in "${dirs[@]}"; do per+=" $d($(grep -c "^$d/" "$obj/distro-objects.txt" || true))"; done
	echo "distro $name ${side}: $(wc -l <"$obj/distro-objects.txt") objects compiled:$per"
	echo "distro $name ${side}: $(wc -l <"$obj/distro-warnings.txt") W=1 warnings, $(grep -cE ': (fatal )?error: ' "$obj/distro-warnings.txt" || true) errors"
	# KVM=m: the KVM objects are module code.
	if grep -qx 'CONFIG_KVM=m' "$obj/.config"; then
		local n=0 m=0
		for f in $(grep -E "^(arch/$arch/kvm|virt/kvm)/" "$obj/distro-objects.txt"); do
			n=$((n + 1))
			if grep -q -- '-DMODULE\b' "$obj/$(dirname "$f")/.$(basename "$f").cmd"; then m=$((m + 1)); fi
		done
		echo "distro $name ${side}: CONFIG_KVM=m, $m of $n KVM objects compiled as module code (-DMODULE)"
		[ "$m" -eq "$n" ] && [ "$n" -gt 0 ] || rc=1
	fi
	return $rc
}

# Signing material Debian's config may name (debian/certs/...) is not in the
# source: such options are reset, and the reset shows in the recorded diff.
certs() { # src obj
	local o v n=0
	for o in SYSTEM_TRUSTED_KEYS MODULE_SIG_KEY SYSTEM_REVOCATION_KEYS SYSTEM_BLACKLIST_HASH_LIST; do
		v=$(sed -n "s/^CONFIG_$o=\"\(.*\)\"$/\1/p" "$2/.config")
		[ -z "$v" ] || [ "$v" = certs/signing_key.pem ] || [ -e "$1/$v" ] && continue
		echo "CONFIG_$o=\"$v\" is not in the source: reset"
		if [ $o = MODULE_SIG_KEY ]; then "$1/scripts/config" --file "$2/.config" --set-str $o certs/signing_key.pem
		else "$1/scripts/config" --file "$2/.config" --set-str $o ""; fi
		n=$((n + 1))
	done
	[ $n -gt 0 ] || echo "no signing material to reset"
}

# "file:line:col: msg" -> "file: msg" relative to the source, sorted: warnings
# compare as multisets across the two trees and line shifts.
norm() { sed -E "s#^($1|$2)/##; s#^(\./)+##; s#^([^: ]+):[0-9]+(:[0-9]+)?:#\1:#" | sort; }

compare() {
	local name=$1 b t new gone
	b=$CACHE/obj/distro-$name-base/distro-warnings.txt t=$CACHE/obj/distro-$name/distro-warnings.txt
	[ -f "$b" ] && [ -f "$t" ] || die "no warnings of both builds of $name: build them first"
	mkdir -p "$RESULTS"
	cp "$b" "$RESULTS/distro-$name-base.txt"; cp "$t" "$RESULTS/distro-$name.txt"
	cp "$CACHE/obj/distro-$name/distro-objects.txt" "$RESULTS/distro-$name-objects.txt"
	new=$(comm -13 "$b" "$t") gone=$(comm -23 "$b" "$t" | grep -c . || true)
	if [ -n "$new" ] || grep -qE ': (fatal )?error: ' "$t"; then
		echo "distro $name: FAILED: $(wc -l <"$b") warnings on the base, $(wc -l <"$t") with the series, $(echo "$new" | grep -c .) new:"
		echo "$new" | sed 's/^/distro   /'
		return 1
	fi
	echo "distro $name: ok ($(wc -l <"$b") W=1 warnings on the base, $(wc -l <"$t") with the series, 0 new, $gone gone)"
	cmp -s "$CACHE/obj/distro-$name-base/.config" "$CACHE/obj/distro-$name/.config" ||
		echo "distro $name: note: olddefconfig gave the base and the series different .configs"
}

case ${1:-} in
fetch) fetch ;;
build) build "$2" "$3" ;;
compare) compare "$2" ;;
names) shift; for n in $NAMES; do if [[ " ${*:-arm64 riscv} " == *" $(karch "$n") "* ]]; then echo "$n"; fi; done ;;
*) die "usage: $0 fetch | build NAME base|series | compare NAME | names [ARCH...]" ;;
esac
