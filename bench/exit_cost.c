// SPDX-License-Identifier: GPL-2.0-only
/*
 * exit_cost - what a firmware call costs when KVM handles it, when the VMM
 * handles it, and what the cheapest exit to userspace costs, measured in one
 * run (issue 8 of the bench).  Built on the KVM selftest library.
 *
 * Figures are calls (or operations) per second, the median of REPS runs with
 * the min and max; the four call figures are taken interleaved (one run of
 * each per round) so that drift of the emulated host hits them alike.
 * Under emulation only the ratios mean something:
 *   forwarded / floor            the price of a VMM-handled call over an exit
 *   filtered-handled / handled   the price of the filter lookup
 *   SUSPENDED / WFI wakeup       a VMM-suspended vCPU against a guest WFI,
 *                                woken by the same interrupt line
 *
 * Output: a table on stdout, and "csv," lines the bench turns into
 * build/results/bench-ARCH.csv.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "lifecycle_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#ifdef __aarch64__
#include <linux/arm-smccc.h>
#include <linux/psci.h>
#define CALL_NAME	"PSCI_VERSION"
#define CALL_ID		PSCI_0_2_FN_PSCI_VERSION
#else
#include "sbi.h"
#define CALL_NAME	"SBI get_spec_version"
#define CALL_ID		SBI_EXT_BASE
#endif

#define MMIO_ADDR	0x8000000ULL
#define REPS		7
#define NR_CALLS	20000
#define NR_WAKEUPS	50

static u64 nr_calls = NR_CALLS;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void guest_call(void)
{
	u64 i;

	for (i = 0; i < READ_ONCE(nr_calls); i++) {
#ifdef __aarch64__
		struct arm_smccc_res res;

		smccc_hvc(CALL_ID, 0, 0, 0, 0, 0, 0, 0, &res);
#else
		sbi_ecall(CALL_ID, SBI_EXT_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);
#endif
	}
	GUEST_DONE();
}

static void guest_mmio(void)
{
	u64 i;

	for (i = 0; i < READ_ONCE(nr_calls); i++)
		WRITE_ONCE(*(volatile u64 *)MMIO_ADDR, i);
	GUEST_DONE();
}

enum mode { HANDLED, FILTERED_HANDLED, FILTERED_WALK, FORWARDED, FLOOR, NR_MODES };

static const char * const mode_names[] = {
	[HANDLED]		= "KVM-handled " CALL_NAME,
	[FILTERED_HANDLED]	= "same, HANDLE range on it",
	[FILTERED_WALK]		= "same, DENY/FWD ranges around it",
	[FORWARDED]		= "same, forwarded to the VMM",
	[FLOOR]			= "floor: MMIO write exit",
};

/*
 * FILTERED_WALK: ranges that do not cover the call but span it, so that
 * the filter has to look it up (riscv skips the lookup outside the span of
 * its DENY and FWD_TO_USER ranges; arm64 always looks up).
 */
#ifdef __aarch64__
#define WALK_LOW	(CALL_ID - 1)
#define WALK_HIGH	(CALL_ID + 1)
#else
#define WALK_LOW	0x0a		/* an unused legacy ID */
#define WALK_HIGH	0x48534d	/* HSM */
#endif

static void set_filter(struct kvm_vm *vm, u32 base, u32 nr, int action)
{
#ifdef __aarch64__
	struct kvm_smccc_filter filter = {
		.base = base, .nr_functions = nr, .action = action,
	};

	kvm_device_attr_set(vm->fd, KVM_ARM_VM_SMCCC_CTRL,
			    KVM_ARM_VM_SMCCC_FILTER, &filter);
#else
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_RISCV_SBI_FILTER, .args = { base, nr, action },
	};

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
#endif
}

#ifdef __aarch64__
#define ACTION_HANDLE	KVM_SMCCC_FILTER_HANDLE
#define ACTION_DENY	KVM_SMCCC_FILTER_DENY
#define ACTION_FWD	KVM_SMCCC_FILTER_FWD_TO_USER
#else
#define ACTION_HANDLE	KVM_RISCV_SBI_FILTER_HANDLE
#define ACTION_DENY	KVM_RISCV_SBI_FILTER_DENY
#define ACTION_FWD	KVM_RISCV_SBI_FILTER_FWD_TO_USER
#endif

/* Answer a forwarded call at once. */
static void answer(struct kvm_vcpu *vcpu)
{
#ifdef __aarch64__
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HYPERCALL);
	vcpu_set_reg(vcpu, ARM64_CORE_REG(regs.regs[0]), 0x10001);
#else
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_RISCV_SBI);
	vcpu->run->riscv_sbi.ret[0] = 0;
	vcpu->run->riscv_sbi.ret[1] = 0x2000000;
#endif
}

/* One repetition: NR_CALLS calls or exits; returns per second. */
static double run_once(int mode)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	double t0, t;
	u64 exits = 0;

	vm = vm_create_with_one_vcpu(&vcpu, mode == FLOOR ? guest_mmio : guest_call);
	if (mode == FLOOR)
		virt_map(vm, MMIO_ADDR, MMIO_ADDR, 1);
	if (mode == FILTERED_HANDLED)
		set_filter(vm, CALL_ID, 1, ACTION_HANDLE);
	if (mode == FORWARDED)
		set_filter(vm, CALL_ID, 1, ACTION_FWD);
	if (mode == FILTERED_WALK) {
		set_filter(vm, WALK_LOW, 1, ACTION_DENY);
		set_filter(vm, WALK_HIGH, 1, ACTION_FWD);
	}
	sync_global_to_guest(vm, nr_calls);

	t0 = now();
	for (;;) {
		if (vcpu_run_ucall(vcpu, &uc, BIT(UCALL_DONE)) == UCALL_DONE)
			goto done;
		if (mode == FLOOR)
			TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
		else
			answer(vcpu);
		exits++;
	}
done:
	t = now() - t0;
	TEST_ASSERT_EQ(exits, (mode == FORWARDED || mode == FLOOR) ? nr_calls : 0);
	kvm_vm_free(vm);
	return nr_calls / t;
}

struct figure {
	const char *name;
	double med, min, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of REPS values (sorted in place). */
static struct figure figure_of(const char *name, double v[REPS])
{
	qsort(v, REPS, sizeof(v[0]), cmp_double);
	return (struct figure){ name, v[REPS / 2], v[0], v[REPS - 1] };
}

static struct figure measure(const char *name, double (*fn)(int), int arg)
{
	double v[REPS];
	int i;

	for (i = 0; i < REPS; i++)
		v[i] = fn(arg);
	return figure_of(name, v);
}

#ifdef __riscv
/* KVM_SET_MP_STATE(INIT_RECEIVED) resets per second. */
static double run_resets(int unused)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double t0, t;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_call);
	vm_enable_cap(vm, KVM_CAP_RISCV_MP_STATE_RESET, 0);
	t0 = now();
	for (i = 0; i < NR_CALLS; i++)
		vcpu_mp_state_set(vcpu, KVM_MP_STATE_INIT_RECEIVED);
	t = now() - t0;
	kvm_vm_free(vm);
	return NR_CALLS / t;
}
#endif

/* SUSPENDED -> WAKEUP: from the interrupt being made pending to KVM_RUN's return. */
struct waker {
	struct kvm_vcpu *vcpu;
	double t_raised;
	volatile bool go;
};

static void *waker_fn(void *arg)
{
	struct waker *w = arg;

	while (!w->go)
		;
	/* Raise the line once the vCPU sleeps in KVM_RUN, as a wakeup does. */
	TEST_ASSERT(vcpu_wait_blocking(w->vcpu), "the vCPU never blocked");
	w->t_raised = now();
	vcpu_set_irq_line(w->vcpu, 1);
	return NULL;
}

static void guest_idle(void)
{
	GUEST_DONE();
}

/* WFI until the interrupt is pending (masked, so not taken), then exit. */
static void guest_wfi(void)
{
	for (;;) {
		asm volatile("wfi" ::: "memory");
		GUEST_SYNC(0);
	}
}

/*
 * Median wakeup latency over NR_WAKEUPS, in microseconds (not per second):
 * a vCPU the VMM made KVM_MP_STATE_SUSPENDED (KVM_RUN returns
 * KVM_SYSTEM_EVENT_WAKEUP), or a guest WFI (KVM_RUN returns at the guest's
 * next exit), woken by the same interrupt line.
 */
static double run_wakeups(int wfi)
{
	double lat[NR_WAKEUPS];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, wfi ? guest_wfi : guest_idle);
	vcpu_enable_irq_line_wakeup(vcpu);
	for (i = 0; i < NR_WAKEUPS; i++) {
		struct waker w = { .vcpu = vcpu };
		pthread_t t;

		if (!wfi)
			vcpu_mp_state_set(vcpu, KVM_MP_STATE_SUSPENDED);
		pthread_create(&t, NULL, waker_fn, &w);
		w.go = true;
		do {	/* a WFI may end early: only an exit after the raise counts */
			vcpu_run(vcpu);
		} while (wfi && !READ_ONCE(w.t_raised));
		lat[i] = (now() - READ_ONCE(w.t_raised)) * 1e6;
		pthread_join(t, NULL);
		if (wfi)
			TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		else
			TEST_ASSERT_EQ(vcpu->run->system_event.type, KVM_SYSTEM_EVENT_WAKEUP);
		vcpu_set_irq_line(vcpu, 0);
	}
	kvm_vm_free(vm);
	qsort(lat, NR_WAKEUPS, sizeof(lat[0]), cmp_double);
	return lat[NR_WAKEUPS / 2];
}

static void print_figure(const struct figure *f, const char *unit)
{
	printf("%-40s %12.0f %12.0f %12.0f  %s\n", f->name, f->med, f->min, f->max, unit);
	printf("csv,%s,%s,%.1f,%.1f,%.1f\n", f->name, unit, f->med, f->min, f->max);
}

/*
 * --floor: only the MMIO floor, which runs on kernels without the series
 * too; the bench compares it between the base and the series (the cost of
 * the completion flag's bookkeeping).
 */
static int floor_only(void)
{
	struct figure f = measure(mode_names[FLOOR], run_once, FLOOR);

	print_figure(&f, "per s");
	return 0;
}

int main(int argc, char *argv[])
{
	struct figure f[NR_MODES], reset, wake, wake_wfi;
	double v[NR_MODES][REPS];
	int i, r;

	/* The IRQ line belongs to a userspace irqchip. */
	lifecycle_use_userspace_irqchip();
	if (argc > 1 && !strcmp(argv[1], "--floor"))
		return floor_only();
#ifdef __riscv
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_RISCV_SBI_FILTER));
#endif

	printf("%-40s %12s %12s %12s\n", "figure (median of 7)", "median", "min", "max");
	printf("csv,figure,unit,median,min,max\n");
	for (r = 0; r < REPS; r++)
		for (i = HANDLED; i <= FLOOR; i++)
			v[i][r] = run_once(i);
	for (i = HANDLED; i <= FLOOR; i++) {
		f[i] = figure_of(mode_names[i], v[i]);
		print_figure(&f[i], "per s");
	}
#ifdef __riscv
	reset = measure("KVM_SET_MP_STATE(INIT_RECEIVED) reset", run_resets, 0);
	print_figure(&reset, "per s");
#else
	(void)reset;
#endif
	wake = measure("SUSPENDED -> WAKEUP latency", run_wakeups, 0);
	print_figure(&wake, "us");
	wake_wfi = measure("WFI -> wakeup latency", run_wakeups, 1);
	print_figure(&wake_wfi, "us");

	/* Ratios of costs (time per call), from the medians of this run. */
	printf("ratio forwarded / floor (cost): %.3f\n", f[FLOOR].med / f[FORWARDED].med);
	printf("ratio filtered-handled / handled (cost): %.3f\n",
	       f[HANDLED].med / f[FILTERED_HANDLED].med);
	printf("ratio filter lookup / handled (cost): %.3f\n",
	       f[HANDLED].med / f[FILTERED_WALK].med);
	printf("ratio SUSPENDED / WFI wakeup latency: %.3f\n", wake.med / wake_wfi.med);
	printf("csv,ratio forwarded/floor,cost,%.3f,,\n", f[FLOOR].med / f[FORWARDED].med);
	printf("csv,ratio filtered-handled/handled,cost,%.3f,,\n",
	       f[HANDLED].med / f[FILTERED_HANDLED].med);
	printf("csv,ratio filter lookup/handled,cost,%.3f,,\n",
	       f[HANDLED].med / f[FILTERED_WALK].med);
	printf("csv,ratio SUSPENDED/WFI wakeup,latency,%.3f,,\n", wake.med / wake_wfi.med);
	return 0;
}
