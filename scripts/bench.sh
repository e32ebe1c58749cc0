#!/bin/bash
# bench.sh STAGE: what the Makefile targets run (see README).
#   run | check | lint | build | test | test-all | tree | export | deps
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
		step "build $a kernel" "$LOGS/kernel-$a.log" "$S/build-kernel.sh" "$a"
		step "build $a selftests" "$LOGS/selftests-$a.log" "$S/build-selftests.sh" "$a"
	done
}
default_tests() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/tests/default-$1" | tr '\n' ','; }
run_tests() { # all|default
	local a specs=() list rc=0
	for a in $ARCHES; do
		if [ "$1" = all ]; then list=all
		elif [ -n "$SEL_TESTS" ]; then list=$(echo "$SEL_TESTS" | tr ' ' ',')
		else list=$(default_tests "$a"); fi
		step "test $a in QEMU ($([ "$list" = all ] && echo all || echo "$list" | tr ',' '\n' | grep -c .) tests)" \
			"$LOGS/run-$a.log" "$S/run-tests.sh" "$a" "$list" || rc=1
		specs+=("$a:$list")
	done
	python3 "$S/summarize.py" "$TOP/tests/expectations" "$RESULTS" "${specs[@]}" || rc=1
	return $rc
}
lint() {
	local c rc=0
	for c in ${1:-checkpatch sparse cocci docs}; do
		step "lint: $c" "$LOGS/lint-$c.log" "$S/lint.sh" "$c" || rc=1
		grep -E '^(checkpatch|sparse|coccicheck|htmldocs)' "$LOGS/lint-$c.log" | sed 's/^/  /' >&2 || true
	done
	return $rc
}
finish() { log "$1: $2 after $((SECONDS - T0))s"; }

case ${1:-} in
deps) "$S/deps.sh" ;;
tree) prepare ;;
export) "$S/tree.sh" export ;;
build) prepare; build ;;
test) prepare; build; run_tests default ;;
test-all) prepare; build; run_tests all ;;
lint) prepare; ARCHES="arm64 riscv" build; lint ;;
run) prepare; build; run_tests default && finish run ok || { finish run FAILED; exit 1; } ;;
check)
	ARCHES="arm64 riscv"
	rc=0
	prepare
	lint checkpatch || rc=1
	build
	run_tests default || rc=1
	lint "sparse cocci docs" || rc=1
	[ $rc -eq 0 ] && finish check ok || { finish check FAILED; exit 1; } ;;
*) die "usage: $0 run|check|lint|build|test|test-all|tree|export|deps" ;;
esac
