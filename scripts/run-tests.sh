#!/bin/bash
# run-tests.sh ARCH TESTS: boot the KVM host kernel of ARCH under QEMU (TCG,
# KVM nested in the emulated host) with an initramfs holding busybox and the
# installed selftests (and the bench, /bench; the reference VMM and its
# guest, /vmm; the kernel's modules);
# run TESTS (kselftest names, "all", or "bench" for bench/exit_cost) with
# kselftest's runner; write build/results/ARCH.{log,tap,dmesg} (ARCH-debug.* with
# KVMLC_DEBUG=1: the debug kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=$1 tests=$2
kobj=$CACHE/obj/$arch$VARIANT inst=$CACHE/install/$arch
timeout=${TEST_TIMEOUT:-}             # per test, s; default: kvm/settings (120)
limit=${QEMU_TIMEOUT:-1800}          # whole boot, seconds
case $arch in
arm64) bbarch=arm64 cpio_img=$CACHE/initramfs-arm64.cpio.gz
	qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on)
	console=ttyAMA0 ;;
riscv) bbarch=riscv64 cpio_img=$CACHE/initramfs-riscv.cpio.gz
	# AIA (APLIC+IMSIC, Ssaia): KVM offers Sscofpmf to guests only on an
	# Ssaia host, and riscv's in-kernel irqchip needs it.  Zkr gives the
	# guest the seed CSR (the KVM_EXIT_RISCV_CSR path).
	qemu=(qemu-system-riscv64 -M virt,aia=aplic-imsic
	      -cpu rv64,h=true,sscofpmf=true,ssaia=true,smaia=true,zkr=true
	      -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin)
	console="ttyS0 earlycon=sbi" ;;
*) die "unknown ARCH $arch" ;;
esac

# Initramfs: rebuilt only when the tests, busybox or guest-init are newer.
# The bench is in a bench run's own image only: a change to it leaves the
# tests' image, and so their saved results (below), as they were.
bench=$CACHE/install/bench-$arch   # scripts/build-bench.sh, if built
vmm=$CACHE/install/vmm-$arch       # scripts/build-vmm.sh, if built
mkdir -p "$bench" "$vmm"
with_bench=
case $tests in bench*) with_bench=$bench cpio_img=${cpio_img%.cpio.gz}-bench.cpio.gz ;; esac
if [ ! -f "$cpio_img" ] || [ -n "$(find "$inst" $with_bench "$vmm" "$CACHE/busybox/$bbarch/busybox" "$TOP/scripts/guest-init" "$TOP/tests/args" -newer "$cpio_img" -print -quit)" ] || [ "$0" -nt "$cpio_img" ]; then
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc}
	cp "$CACHE/busybox/$bbarch/busybox" "$root/bin/busybox"
	for a in sh mount umount cat echo sed tee dmesg poweroff mkdir ls sleep grep \
		 awk cut tr wc date head tail basename dirname env timeout mktemp rm id \
		 uname seq sort printf kill xargs find test expr true false stat dd; do
		ln -s busybox "$root/bin/$a"
	done
	# The runner applies its per-test timeout only if /usr/bin/timeout
	# exists, calls it with GNU's --foreground (busybox lacks it) and
	# expects GNU's status 124 on expiry (busybox gives 128+SIGTERM).
	mkdir -p "$root/usr/bin"
	printf '%s\n' '#!/bin/sh' '[ "$1" = --foreground ] && shift' '/bin/busybox timeout "$@"' \
		'rc=$?; [ $rc -eq 143 ] && exit 124; exit $rc' >"$root/usr/bin/timeout"
	chmod 755 "$root/usr/bin/timeout"
	cp -a "$inst" "$root/kselftest"
	if [ -n "$with_bench" ]; then cp -a "$bench" "$root/bench"; else mkdir "$root/bench"; fi
	cp -a "$vmm" "$root/vmm"
	# Static test binaries carry debug info; stripped, the image is far smaller.
	find "$root/kselftest" -type f -perm -u+x -print0 |
		xargs -0 "$(cross "$arch")strip" 2>/dev/null || true
	install -m 755 "$TOP/scripts/guest-init" "$root/init"
	# Per-test arguments (tests/args) as kselftest's KSELFTEST_<TEST>_ARGS:
	# the ARCH lines, and for the debug kernels the ARCH-debug lines after
	# them (the later export wins).
	args() { entries "$TOP/tests/args" | awk -v a="$1" '$1 == a && NF > 2 {
		v = toupper($2); gsub(/[^A-Z0-9]/, "_", v)
		$1 = ""; $2 = ""; sub(/^ +/, "")
		printf "export KSELFTEST_%s_ARGS=\"%s\"\n", v, $0 }'; }
	args "$arch" >"$root/etc/kselftest-args"
	{ args "$arch"; args "$arch-debug"; } >"$root/etc/kselftest-args-debug"
	# Fixed mtimes and order: the same files give the same archive, so
	# that a boot can be recognised as one that ran before (below).
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1 -n) >"$cpio_img.tmp"
	mv "$cpio_img.tmp" "$cpio_img"
	rm -rf "$root"
fi

# A kernel with modules (riscv's kvm.ko) gets them as a second cpio archive
# after the first (the kernel unpacks both): one initramfs serves the
# production and the debug kernel.
initrd=$cpio_img
if [ -d "$kobj/modinst/lib" ]; then
	initrd=$kobj/initramfs.cpio.gz
	find "$kobj/modinst" -exec touch -h -d @0 {} +
	{ cat "$cpio_img"; (cd "$kobj/modinst" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1 -n); } >"$initrd"
fi

# QEMU_LANE=1 (or the irqchip modes to run, "plic aia"): the real-VMM lane
# (scripts/qemu-lane-fetch.sh) as /qemu, a further cpio archive, in this
# boot only.
if [ -n "${QEMU_LANE:-}" ]; then
	qdir=$CACHE/install/qemu-$arch qimg=$CACHE/initramfs-qemu-$arch.cpio.gz
	[ -x "$qdir/run" ] || die "no $qdir/run: scripts/qemu-lane-fetch.sh $arch first"
	if [ ! -f "$qimg" ] || [ -n "$(find "$qdir" -newer "$qimg" -print -quit)" ]; then
		root=$(mktemp -d)
		cp -a "$qdir" "$root/qemu"
		find "$root" -exec touch -h -d @0 {} +
		(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1 -n) >"$qimg.tmp"
		mv "$qimg.tmp" "$qimg"
		rm -rf "$root"
	fi
	cat "$initrd" "$qimg" >"$CACHE/initramfs-$arch$VARIANT-qemu.cpio.gz"
	initrd=$CACHE/initramfs-$arch$VARIANT-qemu.cpio.gz
fi

mkdir -p "$RESULTS"
logf=$RESULTS/$arch$VARIANT.log tapf=$RESULTS/$arch$VARIANT.tap dmesgf=$RESULTS/$arch$VARIANT.dmesg
# The test list goes on the command line, so one initramfs serves every subset.
list=$(echo "$tests" | tr ' ' ',' | sed 's/^,*//; s/,*$//')
# VMM_MODES: the firmware modes in which guest-init boots the reference
# VMM's guest after the tests (scripts/vmm-run), VMM_CYCLES its hotplug
# cycles.
append="console=$console panic=-1 rdinit=/init kvmlc.tests=$list kvmlc.timeout=$timeout kvmlc.variant=$VARIANT"
append+=" kvmlc.vmm=$(echo ${VMM_MODES:-} | tr ' ' ,) kvmlc.vmmcycles=${VMM_CYCLES:-}"
append+=" kvmlc.qemu=$(echo ${QEMU_LANE:-} | tr ' ' ,)"
# A boot whose inputs (kernel, initramfs, command line, QEMU) are those of
# an earlier boot that passed, with no "not ok" and no kernel report, gives
# that boot's results again rather than running the guest: a make check
# with no change since the last one.  Not for the bench's runs, which
# measure; KVMLC_RERUN=1 runs the guest anyway.
out=("$logf" "$tapf" "$dmesgf" "${logf%.log}.times")
key=$({ sha256sum <"$kobj/arch/$arch/boot/Image"; sha256sum <"$initrd"
	printf '%s\n' "${qemu[@]}" "$append" "$limit"; "${qemu[0]}" --version; } | sha256sum | cut -c1-16)
store=$CACHE/results/$arch$VARIANT-$key
case $list in bench*|vmm) store= ;; esac
if [ -n "$store" ] && [ -z "${KVMLC_RERUN:-}" ] && [ -f "$store/passed" ]; then
	for f in "${out[@]}"; do cp "$store/${f##*/}" "$f"; done
	echo "reused: the results of the boot of $(cat "$store/passed") (same kernel, initramfs and command line; KVMLC_RERUN=1 boots again)"
	exit 0
fi

# Beside the log, ARCH.times: when each result line came, in seconds since
# the boot began (where a lane's time goes).
rc=0
{ timeout --foreground -k 10 "$limit" "${qemu[@]}" -smp 2 -m 2048 -nographic -no-reboot -nic none \
	-kernel "$kobj/arch/$arch/boot/Image" -initrd "$initrd" -append "$append" \
	</dev/null 2>&1 || echo $? >"$logf.rc"; } | tee "$logf" |
	perl -ne 'BEGIN { $| = 1; $t0 = time } s/\r//; print time - $t0, " $_" if /^(not )?ok \d+ selftests: /' \
	>"${logf%.log}.times"
[ -f "$logf.rc" ] && rc=$(cat "$logf.rc") && rm -f "$logf.rc"
tr -d '\r' <"$logf" >"$logf.tmp" && mv "$logf.tmp" "$logf"
sed -n '/^=== KVMLC DMESG BEGIN/,/^=== KVMLC DMESG END/p' "$logf" >"$dmesgf"
if grep -q '^=== KVMLC TAP BEGIN' "$logf"; then
	sed -n '/^=== KVMLC TAP BEGIN/,/^=== KVMLC TAP END/p' "$logf" | sed '1d;$d' >"$tapf"
else
	# No clean block: the guest did not finish (timeout, panic).  Keep what
	# the live stream has, so the summary can name what ran.
	grep -E '^(TAP version|1\.\.|ok |not ok |# )' "$logf" >"$tapf" || true
fi
# The slowest results: the time since the line before.
awk '{ d = $1 - t; t = $1; n = $0; sub(/.* selftests: [^ ]*: /, "", n); sub(/ .*/, "", n)
	print d, n }' "${logf%.log}.times" | sort -rn | sed -n 1,5p | awk '{ printf "slow: %ds %s\n", $1, $2 }'
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "# QEMU killed after ${limit}s (QEMU_TIMEOUT)" >>"$tapf"
fi
grep -q '^=== KVMLC DONE' "$logf" || { echo "$arch: the guest did not finish its run (qemu exit $rc); see $logf" >&2; exit 1; }
# A failure that tests/expectations lists for this kernel (the real-VMM
# lane's riscv migration) does not keep the boot from being reused.
unexpected() {
	local t
	for t in $(sed -n 's/^not ok [0-9]* selftests: [^ ]*: \([^ ]*\).*/\1/p' "$tapf"); do
		entries "$TOP/tests/expectations" | awk -v k="$arch$VARIANT $t fail" \
			'$1 " " $2 " " $3 == k { found = 1 } END { exit !found }' || return 0
	done
	return 1
}
if [ -n "$store" ] && ! unexpected && ! grep -Eq "$REPORTS" "$dmesgf"; then
	rm -rf "$CACHE/results/$arch$VARIANT-"* && mkdir -p "$store"
	cp "${out[@]}" "$store/" && date '+%F %H:%M' >"$store/passed"
fi
