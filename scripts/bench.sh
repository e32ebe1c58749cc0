#!/bin/bash
# bench.sh STAGE: what the Makefile targets run (see README).
#   run | check | lint | build | test | test-all | check-debug | check-distro | bench | posting | tree | export | deps
# ARCH (default "arm64 riscv") and TESTS (default: tests/default-ARCH) select.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts LOGS=$BUILD/logs
ARCHES=${ARCH:-arm64 riscv} SEL_TESTS=${TESTS:-}
unset ARCH TESTS   # the kernel's make would take an empty ARCH from the environment
T0=$SECONDS
mkdir -p "$LOGS" "$RESULTS"

prepare() {
	step "deps: Debian packages, busybox, sparse" "$LOGS/deps.log" "$S/deps.sh"
	step "base: verify and unpack $BASE_DEB" "$LOGS/base.log" "$S/base.sh"
	step "tree: base + series (git am)" "$LOGS/tree.log" "$S/tree.sh" apply
}
build() {
	local a
	for a in $ARCHES; do
		step "build $a kernel" "$LOGS/kernel-$a.log" "$S/build-kernel.sh" "$a" || return 1
		step "build $a selftests" "$LOGS/selftests-$a.log" "$S/build-selftests.sh" "$a" || return 1
		if [ -d "$TOP/vmm/$a" ]; then
			step "build $a reference VMM and its guest" "$LOGS/vmm-$a.log" "$S/build-vmm.sh" "$a" || return 1
		fi
		# The real-VMM lane's QEMU, L2 kernel and L2 initramfs (scripts/qemu-lane).
		step "fetch $a real-VMM lane: Debian's QEMU and L2 kernel" "$LOGS/qemu-lane-$a.log" \
			"$S/qemu-lane-fetch.sh" "$a" || return 1
		grep '^qemu-lane' "$LOGS/qemu-lane-$a.log" | sed 's/^/  /' >&2 || true
	done
}
# The series touches x86 KVM too: its objects must compile (never booted);
# so must riscv's without the vector extension (a base bug the series fixes).
build_x86() {
	step "build x86 KVM objects" "$LOGS/kernel-x86.log" "$S/build-kernel.sh" x86 &&
	step "build riscv KVM objects without CONFIG_RISCV_ISA_V" "$LOGS/kernel-riscv-novector.log" \
		"$S/build-kernel.sh" riscv-novector
}
# ,vmm_bad_input and ,vmm_MODE_STEP for each mode and step of vmm/guest/steps
# (scripts/vmm-run), with the snapshot modes' results.
vmm_steps() {
	local m st
	printf ',vmm_bad_input'
	for m in "$@"; do
		if [ "$m" = control ]; then printf ',vmm_control_damage'; continue; fi
		for st in $(entries "$TOP/vmm/guest/steps") exit; do printf ',vmm_%s_%s' "$m" "$st"; done
		case $m in snap*) printf ',vmm_%s_snapshots,vmm_%s_streams' "$m" "$m" ;; esac
		[ "$m" = snapvmm ] && printf ',vmm_snapshot_bad_input'
	done
}
# The default set of ARCH; on the debug kernels tests/debug-ARCH.
default_tests() {
	local f=$TOP/tests/default-$1
	[ "$VARIANT" = -debug ] && [ -f "$TOP/tests/debug-$1" ] && f=$TOP/tests/debug-$1
	entries "$f" | tr '\n' ','
}
SPECS=()
run_tests() { # all|default: run on the kernels of $VARIANT, add to SPECS
	local a list want rc=0
	for a in $ARCHES; do
		if [ "$1" = all ]; then
			list=all   # the guest runs the whole collection; every installed test is expected
			want=$(sed 's/^kvm://' "$CACHE/install/$a/kselftest-list.txt" | tr '\n' ',')
			export QEMU_TIMEOUT=${QEMU_TIMEOUT:-7200}
		elif [ -n "$SEL_TESTS" ]; then list=$(echo "$SEL_TESTS" | tr ' ' ','); want=$list
		else list=$(default_tests "$a"); want=$list; fi
		# KVM as a module (riscv): guest-init's module steps, by its names.
		grep -qs '^CONFIG_KVM=m' "$CACHE/obj/$a$VARIANT/.config" && [ "$list" != all ] &&
			want+=,kvm_module_load,kvm_module_unload,kvm_module_reload,kvm_module_retest_kvm_create_max_vcpus,kvm_module_retest_sbi_filter,kvm_module_final_unload
		# The reference VMM's scenario after a default run: both firmware
		# modes, the debug lane "vmm" mode only; each step a result.
		local modes=
		if [ "$1" = default ] && [ -z "$SEL_TESTS" ] && [ -d "$TOP/vmm/$a" ]; then
			# The debug lane: vmm firmware with snapshots, the
			# scenario of the vmm run and the snapshot path.
			modes="kvm vmm snapvmm snapkvm control"; [ "$VARIANT" = -debug ] && modes=snapvmm
			want+=$(vmm_steps $modes)
		fi
		# The real-VMM lane (scripts/qemu-lane) after the production
		# kernels' default run and in test-all, each step a result.
		local lane=${QEMU_LANE:-}
		{ [ "$1" = all ] || { [ "$1" = default ] && [ -z "$SEL_TESTS" ] && [ -z "$VARIANT" ]; }; } && lane=1
		[ -z "$lane" ] || want+=$(sh "$S/qemu-lane" --steps "$a" | sed 's/^/,/' | tr -d '\n')
		# Per test: 300 s on the production kernels, whose two lanes share
		# the two cores (a hostile-guest test took 106 s there, against
		# kselftest's 120); the debug lane sets its own.
		local tmo=${TEST_TIMEOUT:-}
		[ -n "$tmo" ] || [ -n "$VARIANT" ] || tmo=300
		TEST_TIMEOUT=$tmo VMM_MODES=$modes QEMU_LANE=$lane step "test $a$VARIANT in QEMU ($(echo "$want" | tr ',' '\n' | grep -c .) tests)" \
			"$LOGS/run-$a$VARIANT.log" "$S/run-tests.sh" "$a" "$list" || rc=1
		grep -E '^(slow|reused):' "$LOGS/run-$a$VARIANT.log" | sed "s/^/  $a$VARIANT /" >&2 || true
		[ -z "$lane" ] || grep -h '^# qemu-lane [a-z]*: [0-9]* s' "$RESULTS/$a$VARIANT.log" | sed "s/^# /  $a$VARIANT /" >&2 || true
		SPECS+=("$a$VARIANT:$want")
	done
	return $rc
}
# each_arch CMD...: CMD once per arch of $ARCHES, the arches side by side
# (an emulated production host keeps about one of the two cores busy); the
# SPECS they add are kept, in $ARCHES order.
each_arch() {
	local a p rc=0 pids=()
	for a in $ARCHES; do
		(ARCHES=$a SPECS=(); r=0; "$@" || r=1
		 : >"$BUILD/specs-$a"
		 [ ${#SPECS[@]} -eq 0 ] || printf '%s\n' "${SPECS[@]}" >"$BUILD/specs-$a"
		 exit $r) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	for a in $ARCHES; do mapfile -t -O "${#SPECS[@]}" SPECS <"$BUILD/specs-$a"; done
	return $rc
}
# The debug lane: the same tests on kernels built with configs/debug.config.
debug_lane() {
	local a rc=0
	export KVMLC_DEBUG=1 VARIANT=-debug
	for a in $ARCHES; do
		step "build $a debug kernel" "$LOGS/kernel-$a-debug.log" "$S/build-kernel.sh" "$a" || rc=1
	done
	# KASAN, lockdep and kmemleak make a test several times slower: the
	# hostile-guest tests need more than kselftest's 120 s there.
	# So does the VMM's guest: fewer hotplug cycles there.
	# A whole debug boot took 1300 s and more under emulation here.
	[ $rc -eq 0 ] && { VMM_CYCLES=3 TEST_TIMEOUT=${TEST_TIMEOUT:-400} QEMU_TIMEOUT=${QEMU_TIMEOUT:-3600} \
		run_tests "$1" || rc=1; }
	unset KVMLC_DEBUG; VARIANT=
	return $rc
}
# The base kernel (KVMLC_BASE: from the pristine base), obj/ARCH-base.
build_base() { KVMLC_BASE=1 step "build $1 base kernel" "$LOGS/kernel-$1-base.log" "$S/build-kernel.sh" "$1"; }
# make test-all: the whole suite on the series and on the base kernel (built
# from the pristine base, same selftest binaries), then the comparison.
test_all() {
	local a
	# A guest that did not finish leaves its tests absent: the comparison counts them.
	run_tests all || true
	for a in $ARCHES; do build_base "$a" || return 1; done
	export KVMLC_BASE=1 VARIANT=-base
	run_tests all || true
	unset KVMLC_BASE; VARIANT=
	REPORTS=$REPORTS python3 "$S/summarize.py" --compare "$RESULTS" $ARCHES | tee "$RESULTS/test-all.txt"
}
# What the guest kernels reported (REPORTS, lib.sh) fails the run,
# whatever the tests said.
kernel_reports() {
	local spec f rc=0
	for spec in "${SPECS[@]}"; do
		f=$RESULTS/${spec%%:*}.dmesg
		if grep -E "$REPORTS" "$f" >"${f%.dmesg}.reports" 2>/dev/null; then
			printf '\n%s: the guest kernel reported (%s):\n' "${spec%%:*}" "$f"
			head -n 20 "${f%.dmesg}.reports" | sed 's/^/  /'
			rc=1
		fi
	done
	return $rc
}
summarize() {
	local rc=0
	python3 "$S/summarize.py" "$TOP/tests/expectations" "$RESULTS" "${SPECS[@]}" >"$RESULTS/summary.txt" || rc=1
	kernel_reports >>"$RESULTS/summary.txt" || rc=1
	cat "$RESULTS/summary.txt"
	return $rc
}
# The summary lines again, last, so that they close the output.
closing() { grep -E '^((arm64|riscv)(-debug)?|total): [0-9]+ passed' "$RESULTS/summary.txt" 2>/dev/null || true; }
lint() {
	local c rc=0
	for c in ${1:-checkpatch sparse cocci docs}; do
		step "lint: $c" "$LOGS/lint-$c.log" "$S/lint.sh" "$c" || rc=1
		grep -E '^(checkpatch|sparse|coccicheck|htmldocs)' "$LOGS/lint-$c.log" | sed 's/^/  /' >&2 || true
	done
	return $rc
}
# make posting: the series as mail, per maintainer tree (scripts/posting.sh).
posting() {
	local rc=0
	step "posting: the series as mail, per maintainer tree (b4)" "$LOGS/posting.log" "$S/posting.sh" || rc=1
	grep '^posting' "$LOGS/posting.log" | sed 's/^/  /' >&2 || true
	return $rc
}
# make check-distro: the series in Debian's own configs, W=1 compiles of the
# KVM dirs and the users of the touched headers, warnings compared with the
# base (scripts/check-distro.sh).  Not part of check: see README.
distro_lane() {
	local n rc=0
	step "distro: Debian's configs" "$LOGS/distro-fetch.log" "$S/check-distro.sh" fetch || return 1
	grep '^distro' "$LOGS/distro-fetch.log" | sed 's/^/  /' >&2
	for n in $("$S/check-distro.sh" names $ARCHES); do
		if step "distro $n: base, W=1" "$LOGS/distro-$n-base.log" "$S/check-distro.sh" build "$n" base &&
			step "distro $n: series, W=1" "$LOGS/distro-$n.log" "$S/check-distro.sh" build "$n" series; then
			grep -h '^distro' "$LOGS/distro-$n-base.log" "$LOGS/distro-$n.log" | sed 's/^/  /' >&2
			"$S/check-distro.sh" compare "$n" || rc=1
		else
			echo "distro $n: FAILED (build error, see above)"; rc=1
		fi
	done
	return $rc
}
finish() { log "$1: $2 after $((SECONDS - T0))s"; closing; }
# make bench: bench/exit_cost in each arch's guest, the table and its CSV
# ("exit"); the MMIO floor on the base and the series ("floor"); the
# reference VMM's figures ("vmm").  BENCH="exit vmm" picks parts.
run_bench() {
	local a rc=0 out parts=" ${BENCH:-exit floor vmm} "
	for a in $ARCHES; do
		if [[ $parts == *" exit "* ]]; then
			step "build $a bench" "$LOGS/bench-build-$a.log" "$S/build-bench.sh" "$a" || { rc=1; continue; }
			step "bench $a in QEMU" "$LOGS/bench-$a.log" "$S/run-tests.sh" "$a" bench || rc=1
			out=$(sed -n '/^=== KVMLC BENCH BEGIN/,/^=== KVMLC BENCH END/p' "$RESULTS/$a.log" | sed '1d;$d')
			[ -n "$out" ] || { echo "$a: the bench printed nothing, see $RESULTS/$a.log"; rc=1; continue; }
			printf '\n%s (%s)\n' "$a" "$RESULTS/bench-$a.csv"
			grep -v -e '^csv,' -e '^Random seed' <<<"$out" | sed 's/^/  /'
			sed -n 's/^csv,//p' <<<"$out" >"$RESULTS/bench-$a.csv"
		fi
		[[ $parts != *" floor "* ]] || bench_floor "$a" || rc=1
		[[ $parts != *" vmm "* ]] || bench_vmm "$a" || rc=1
	done
	return $rc
}
# The reference VMM's scenario (scripts/vmm-run), "kvm" and "vmm" firmware
# alternating, five runs each in one boot: the median of each figure, the
# ratio vmm/kvm of the medians, and the VMM's exit counts of a last run;
# then a snapshot run of each firmware and its figures.
bench_vmm() {
	local a=$1
	[ -d "$TOP/vmm/$a" ] || return 0
	VMM_MODES="kvm vmm kvm vmm kvm vmm kvm vmm kvm vmm snapvmm snapkvm" \
		step "bench $a reference VMM in QEMU (5 runs per firmware mode, a snapshot run of each)" \
		"$LOGS/bench-vmm-$a.log" "$S/run-tests.sh" "$a" vmm || return 1
	grep -o '# vmm timing [a-z]* (ms): .*' "$RESULTS/$a.log" | awk -v a="$a" -v csv="$RESULTS/bench-$a-vmm.csv" '
		BEGIN { print "mode,run,figure,ms" >csv }
		{ m = $4; runs[m]++
		  for (i = 6; i <= NF; i++) {
			split($i, kv, "="); k = kv[1]
			if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
			v[m, k, runs[m]] = kv[2]; print m "," runs[m] "," k "," kv[2] >csv } }
		function median(m, k,   n, i, j, x, t) {
			n = runs[m]; for (i = 1; i <= n; i++) x[i] = v[m, k, i]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
			return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }
		END {
			printf "  %s reference VMM, %d+%d alternating runs, medians (ms):\n", a, runs["kvm"], runs["vmm"]
			printf "    %-16s %9s %9s %8s\n", "figure", "kvm", "vmm", "vmm/kvm"
			for (i = 1; i <= nk; i++) {
				k = keys[i]; kv_ = median("kvm", k); vv = median("vmm", k)
				printf "    %-16s %9.1f %9.1f %8s\n", k, kv_, vv, (kv_ > 0 ? sprintf("%.2f", vv / kv_) : "-") } }'
	grep -o 'vmm-[a-z]*| [0-9.]* vmm: exits .*' "$RESULTS/$a.log" | grep -v '^vmm-snap' | tail -n 4 | sed 's/^/    /'
	grep -o '# vmm snapshot .*' "$RESULTS/$a.log" | sed 's/^# /  /'
}
# The completion flag's bookkeeping, where it would show: the MMIO floor on
# the base kernel and on the series, three boots each, alternating.
bench_floor() {
	local a=$1 i k f
	build_base "$a" || return 1
	for i in 1 2 3; do
		for k in base series; do
			if [ $k = base ]; then KVMLC_BASE=1 "$S/run-tests.sh" "$a" bench-floor >/dev/null 2>&1; f=$RESULTS/$a-base.log
			else "$S/run-tests.sh" "$a" bench-floor >/dev/null 2>&1; f=$RESULTS/$a.log; fi
			sed -n "s/^csv,floor[^,]*,per s,\([^,]*\),.*/$k,$i,\1/p" "$f"
		done
	done | tee "$RESULTS/bench-$a-floor.csv" | awk -F, -v a="$a" '
		{ v[$1] = v[$1] " " $3 }
		END { printf "  %s MMIO floor, 3 alternating boots each (exits/s):\n", a
		      printf "    base:  %s\n    series:%s\n", v["base"], v["series"] }'
}

case ${1:-} in
deps) "$S/deps.sh" ;;
tree) prepare ;;
export) "$S/tree.sh" export ;;
posting) prepare; posting ;;
build) prepare; build ;;
bench)
	rm -f "$RESULTS/summary.txt"
	prepare
	build || { finish bench FAILED; exit 1; }
	run_bench && finish bench ok || { finish bench FAILED; exit 1; } ;;
test-all)
	prepare
	build || { finish "$1" FAILED; exit 1; }
	test_all && finish "$1" ok || { finish "$1" FAILED; exit 1; } ;;
test | run | check-debug)
	rm -f "$RESULTS/summary.txt"
	prepare
	build || { finish "$1" FAILED; exit 1; }
	rc=0
	if [ "$1" = check-debug ]; then debug_lane default || rc=1
	else each_arch run_tests default || rc=1; fi
	summarize || rc=1
	[ $rc -eq 0 ] && finish "$1" ok || { finish "$1" FAILED; exit 1; } ;;
lint) prepare; ARCHES="arm64 riscv" build; build_x86; lint ;;
check-distro)
	rm -f "$RESULTS/summary.txt"
	prepare
	distro_lane && finish check-distro ok || { finish check-distro FAILED; exit 1; } ;;
check)
	ARCHES="arm64 riscv"
	rc=0
	rm -f "$RESULTS/summary.txt"
	prepare
	lint checkpatch || rc=1
	posting || rc=1
	build && build_x86 || { finish check FAILED; exit 1; }
	# The production kernels' guests side by side; the debug kernels' one
	# after the other: two debug hosts each booting the VMM's 4-vCPU guest
	# on the two cores ran past the VMM's 900 s.
	each_arch run_tests default || rc=1
	debug_lane default || rc=1
	summarize || rc=1
	lint "sparse cocci docs" || rc=1
	[ $rc -eq 0 ] && finish check ok || { finish check FAILED; exit 1; } ;;
*) die "usage: $0 run|check|lint|build|test|test-all|check-debug|check-distro|bench|posting|tree|export|deps" ;;
esac
