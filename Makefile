# KVM vCPU lifecycle series: the bench.  See README.md.
# Heavy state (base source, git tree, object dirs, downloads) lives in
# $(KVMLC_CACHE), default ~/.cache/kvm-lifecycle; results in build/results/.
# ARCH=arm64|riscv (default both), TESTS="name ..." (default tests/default-ARCH),
# BENCH="exit floor vmm" (make bench: which parts, default all).
STAGE := ARCH="$(ARCH)" TESTS="$(TESTS)" BENCH="$(BENCH)" scripts/bench.sh

.PHONY: run check lint build test test-all check-debug check-distro bench posting tree export deps clean distclean
run check lint build test test-all check-debug check-distro bench posting tree export deps:
	@$(STAGE) $@

clean:
	rm -rf build
distclean: clean
	rm -rf "$${KVMLC_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kvm-lifecycle}"
