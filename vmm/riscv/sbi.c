// SPDX-License-Identifier: GPL-2.0
/*
 * The SBI calls KVM forwards to the VMM (KVM_EXIT_RISCV_SBI).
 *
 * Both modes: the console (legacy console_putchar/getchar, DBCN).
 * "vmm" mode: the SBI filter (KVM_CAP_RISCV_SBI_FILTER) forwards HSM, SRST
 * and SUSP, implemented here as the SBI specification (v2.0, chapters 9, 10
 * and 15) describes them.  KVM's mp_state follows the VMM's view of each
 * hart: STOPPED for a stopped hart, SUSPENDED for a suspended one.
 * "kvm" mode: KVM implements them; SUSP still reaches the VMM, after KVM's
 * checks, to carry out the suspend.
 *
 * ret[0] is the SBI error, ret[1] the value; the next KVM_RUN writes them to
 * a0 and a1 and steps over the ecall.
 */
#include <stdio.h>
#include <time.h>

#include "riscv.h"

#define SBI_SUCCESS			0
#define SBI_ERR_FAILED			-1
#define SBI_ERR_NOT_SUPPORTED		-2
#define SBI_ERR_INVALID_PARAM		-3
#define SBI_ERR_DENIED			-4
#define SBI_ERR_INVALID_ADDRESS		-5
#define SBI_ERR_ALREADY_AVAILABLE	-6

#define SBI_EXT_0_1_CONSOLE_PUTCHAR	0x01
#define SBI_EXT_0_1_CONSOLE_GETCHAR	0x02
#define SBI_EXT_DBCN			0x4442434EUL
#define SBI_EXT_HSM			0x48534DUL
#define SBI_EXT_SRST			0x53525354UL
#define SBI_EXT_SUSP			0x53555350UL

/* DBCN functions */
#define SBI_DBCN_WRITE			0
#define SBI_DBCN_READ			1
#define SBI_DBCN_WRITE_BYTE		2

/* HSM functions and hart states */
#define SBI_HSM_HART_START		0
#define SBI_HSM_HART_STOP		1
#define SBI_HSM_HART_GET_STATUS		2
#define SBI_HSM_HART_SUSPEND		3
#define SBI_HSM_STATE_STARTED		0
#define SBI_HSM_STATE_STOPPED		1
#define SBI_HSM_STATE_START_PENDING	2
#define SBI_HSM_STATE_SUSPENDED		4

/* SRST */
#define SBI_SRST_SYSTEM_RESET		0
#define SBI_SRST_TYPE_SHUTDOWN		0
#define SBI_SRST_TYPE_COLD_REBOOT	1
#define SBI_SRST_TYPE_WARM_REBOOT	2
#define SBI_SRST_REASON_SYSTEM_FAILURE	1

/* SUSP */
#define SBI_SUSP_SYSTEM_SUSPEND		0
#define SBI_SUSP_SLEEP_TYPE_SUSPEND_TO_RAM 0

static void ret(struct kvm_run *run, long err, unsigned long value)
{
	run->riscv_sbi.ret[0] = err;
	run->riscv_sbi.ret[1] = value;
}

static void sbi_console(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned long *a = run->riscv_sbi.args;
	const char *buf;

	switch (run->riscv_sbi.extension_id) {
	case SBI_EXT_0_1_CONSOLE_PUTCHAR:
		console_putc(v->id, a[0]);
		ret(run, 0, 0);
		return;
	case SBI_EXT_0_1_CONSOLE_GETCHAR:
		ret(run, -1, 0);		/* no input */
		return;
	}
	switch (run->riscv_sbi.function_id) {
	case SBI_DBCN_WRITE:
		/* a[1] and a[2] are the low and high halves of the address. */
		buf = gpa_to_hva(v->vm, a[1], a[0]);
		if (!buf || a[2]) {
			ret(run, SBI_ERR_INVALID_PARAM, 0);
			return;
		}
		for (unsigned long i = 0; i < a[0]; i++)
			console_putc(v->id, buf[i]);
		ret(run, SBI_SUCCESS, a[0]);
		return;
	case SBI_DBCN_READ:
		ret(run, SBI_SUCCESS, 0);	/* no input */
		return;
	case SBI_DBCN_WRITE_BYTE:
		console_putc(v->id, a[0]);
		ret(run, SBI_SUCCESS, 0);
		return;
	}
	ret(run, SBI_ERR_NOT_SUPPORTED, 0);
}

static struct vcpu *hart(struct vm *vm, unsigned long hartid)
{
	return hartid < (unsigned long)vm->nr_vcpus ? &vm->vcpus[hartid] : NULL;
}

/*
 * HART_START(hartid, start_addr, opaque): the target's thread applies the
 * start state (arch_cpu_start()) before it next enters KVM_RUN.
 */
static void hsm_hart_start(struct vcpu *v, unsigned long *a)
{
	struct vcpu *target = hart(v->vm, a[0]);

	if (!target) {
		ret(v->run, SBI_ERR_INVALID_PARAM, 0);
	} else if (!gpa_in_ram(v->vm, a[1])) {
		ret(v->run, SBI_ERR_INVALID_ADDRESS, 0);
	} else if (!cpu_on(target, a[1], a[2])) {
		ret(v->run, SBI_ERR_ALREADY_AVAILABLE, 0);
	} else {
		ret(v->run, SBI_SUCCESS, 0);
		v->points |= SNAP_BIT(SNAP_CPU_ON);
	}
}

static void hsm_hart_get_status(struct vcpu *v, unsigned long *a)
{
	struct vcpu *target = hart(v->vm, a[0]);

	if (!target) {
		ret(v->run, SBI_ERR_INVALID_PARAM, 0);
		return;
	}
	switch (cpu_power(target)) {
	case CPU_OFF:
		ret(v->run, SBI_SUCCESS, SBI_HSM_STATE_STOPPED);
		break;
	case CPU_START_PENDING:
		ret(v->run, SBI_SUCCESS, SBI_HSM_STATE_START_PENDING);
		break;
	case CPU_ON:
		/* Only the hart itself changes its own suspended flag. */
		ret(v->run, SBI_SUCCESS, target->suspended ? SBI_HSM_STATE_SUSPENDED :
							     SBI_HSM_STATE_STARTED);
		break;
	}
}

/*
 * HART_SUSPEND(suspend_type, resume_addr, opaque): the default retentive
 * and non-retentive types.  The hart waits in KVM_MP_STATE_SUSPENDED for
 * an interrupt it enabled in sie; a retentive suspend then returns
 * SBI_SUCCESS from the call, a non-retentive one resumes at resume_addr.
 */
static void hsm_hart_suspend(struct vcpu *v, unsigned long *a)
{
	bool non_retentive = a[0] == SBI_SUSPEND_NON_RETENTIVE;

	if (!non_retentive && a[0] != SBI_SUSPEND_RETENTIVE) {
		ret(v->run, SBI_ERR_INVALID_PARAM, 0);
		return;
	}
	if (non_retentive && !gpa_in_ram(v->vm, a[1])) {
		ret(v->run, SBI_ERR_INVALID_ADDRESS, 0);
		return;
	}
	ret(v->run, SBI_SUCCESS, 0);
	cpu_suspend(v, non_retentive ? a[1] : 0, a[2]);
}

static void sbi_hsm(struct vcpu *v)
{
	unsigned long *a = v->run->riscv_sbi.args;

	switch (v->run->riscv_sbi.function_id) {
	case SBI_HSM_HART_START:
		hsm_hart_start(v, a);
		return;
	case SBI_HSM_HART_STOP:
		/* Complete the call, then stop: cpu_off() does it in that order. */
		ret(v->run, SBI_SUCCESS, 0);
		cpu_off(v);
		return;
	case SBI_HSM_HART_GET_STATUS:
		hsm_hart_get_status(v, a);
		return;
	case SBI_HSM_HART_SUSPEND:
		hsm_hart_suspend(v, a);
		return;
	}
	ret(v->run, SBI_ERR_NOT_SUPPORTED, 0);
}

/* SYSTEM_RESET(reset_type, reset_reason): does not return on success. */
static void sbi_srst(struct vcpu *v)
{
	unsigned long *a = v->run->riscv_sbi.args;

	if (v->run->riscv_sbi.function_id != SBI_SRST_SYSTEM_RESET) {
		ret(v->run, SBI_ERR_NOT_SUPPORTED, 0);
		return;
	}
	if (a[1] > SBI_SRST_REASON_SYSTEM_FAILURE && a[1] < 0xE0000000UL) {
		ret(v->run, SBI_ERR_INVALID_PARAM, 0);
		return;
	}
	switch (a[0]) {
	case SBI_SRST_TYPE_SHUTDOWN:
		vm_event(v->vm, VM_OFF);
		return;
	case SBI_SRST_TYPE_COLD_REBOOT:
	case SBI_SRST_TYPE_WARM_REBOOT:
		vm_event(v->vm, VM_RESET);
		return;
	}
	ret(v->run, SBI_ERR_INVALID_PARAM, 0);
}

/*
 * SYSTEM_SUSPEND(sleep_type, resume_addr, opaque), suspend to RAM: every
 * other hart must be stopped.  The VMM ends the suspend after
 * vm->suspend_wake_ms, as a power button would; the hart then resumes at
 * resume_addr with the start state.
 */
static void sbi_susp(struct vcpu *v)
{
	unsigned long *a = v->run->riscv_sbi.args;
	struct timespec ts;

	if (v->run->riscv_sbi.function_id != SBI_SUSP_SYSTEM_SUSPEND) {
		ret(v->run, SBI_ERR_NOT_SUPPORTED, 0);
		return;
	}
	if (a[0] != SBI_SUSP_SLEEP_TYPE_SUSPEND_TO_RAM) {
		ret(v->run, SBI_ERR_INVALID_PARAM, 0);
		return;
	}
	if (!gpa_in_ram(v->vm, a[1])) {
		ret(v->run, SBI_ERR_INVALID_ADDRESS, 0);
		return;
	}
	/* In "kvm" mode KVM has made this check, on its own view of harts. */
	if (v->vm->mode == FW_VMM && !cpus_others_off(v)) {
		ret(v->run, SBI_ERR_DENIED, 0);
		return;
	}
	ret(v->run, SBI_SUCCESS, 0);
	if (v->vm->mode == FW_KVM) {
		/*
		 * KVM has checked the call and queued the resume state for
		 * the next KVM_RUN: the suspend is the time until then.
		 */
		ts.tv_sec = v->vm->suspend_wake_ms / 1000;
		ts.tv_nsec = (v->vm->suspend_wake_ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		note("system suspend ends (vCPU %d)", v->id);
		return;
	}
	system_suspend(v, a[1], a[2]);
}

void sbi_call(struct vcpu *v)
{
	v->points |= SNAP_BIT(SNAP_SBI);
	switch (v->run->riscv_sbi.extension_id) {
	case SBI_EXT_0_1_CONSOLE_PUTCHAR:
	case SBI_EXT_0_1_CONSOLE_GETCHAR:
	case SBI_EXT_DBCN:
		sbi_console(v);
		return;
	case SBI_EXT_HSM:
		sbi_hsm(v);
		return;
	case SBI_EXT_SRST:
		sbi_srst(v);
		return;
	case SBI_EXT_SUSP:
		sbi_susp(v);
		return;
	}
	ret(v->run, SBI_ERR_NOT_SUPPORTED, 0);
}

/*
 * "vmm" mode: forward HSM, SRST and SUSP, and let the VMM reset harts
 * (KVM_SET_MP_STATE(INIT_RECEIVED)).  Ranges are set before any KVM_RUN.
 */
void sbi_vm_init(struct vm *vm)
{
	static const unsigned long fwd[] = { SBI_EXT_HSM, SBI_EXT_SRST, SBI_EXT_SUSP };
	int actions;

	if (vm->mode != FW_VMM)
		return;
	actions = check_extension(vm, KVM_CAP_RISCV_SBI_FILTER);
	if (!(actions & (1 << KVM_RISCV_SBI_FILTER_FWD_TO_USER)))
		die("KVM_CAP_RISCV_SBI_FILTER with FWD_TO_USER is missing: vmm mode needs it");
	if (!check_extension(vm, KVM_CAP_RISCV_MP_STATE_RESET))
		die("KVM_CAP_RISCV_MP_STATE_RESET is missing: vmm mode needs it");
	vm_enable_cap(vm, KVM_CAP_RISCV_MP_STATE_RESET, 0, 0, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(fwd); i++)
		vm_enable_cap(vm, KVM_CAP_RISCV_SBI_FILTER, fwd[i], 1,
			      KVM_RISCV_SBI_FILTER_FWD_TO_USER);
}
