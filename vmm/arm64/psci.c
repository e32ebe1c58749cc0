// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI 1.0 (ARM DEN 0022) in the VMM, "vmm" mode: the SMCCC filter forwards
 * the PSCI function ranges (KVM_EXIT_HYPERCALL, function ID in
 * hypercall.nr, arguments in x1-x3).  KVM has already stepped over the HVC;
 * the result goes to x0 with KVM_SET_ONE_REG.  KVM's mp_state follows the
 * VMM's view of each CPU: STOPPED for an OFF CPU (KVM_ARM_VCPU_INIT with
 * KVM_ARM_VCPU_POWER_OFF), SUSPENDED for a suspended one.
 * "kvm" mode: KVM implements PSCI; SYSTEM_SUSPEND reaches the VMM as
 * KVM_SYSTEM_EVENT_SUSPEND (KVM_CAP_ARM_SYSTEM_SUSPEND), the same
 * system_suspend() (cpu.c).
 */
#include <stdio.h>
#include <linux/psci.h>

#include "arm64.h"

/* Function IDs, return codes and states: <linux/psci.h> (uapi). */
#define SMCCC_VERSION		0x80000000U
#define ARM_SMCCC_SMC64		0x40000000U	/* the SMC64 bit of a function ID */
#define MPIDR_AFFINITY			0xff00ffffffULL

static struct vcpu *cpu_by_mpidr(struct vm *vm, u64 mpidr)
{
	for (int i = 0; i < vm->nr_vcpus; i++)
		if ((vm->vcpus[i].mpidr & MPIDR_AFFINITY) == (mpidr & MPIDR_AFFINITY))
			return &vm->vcpus[i];
	return NULL;
}

/*
 * Argument @n (x1-x3) of the call being handled, read when the function
 * needs it: 32-bit callers (SMC32/HVC32 function IDs) pass 32-bit values.
 */
static u64 arg(struct vcpu *v, int n)
{
	u64 x = get_one_reg(v, REG_X(n));

	return v->run->hypercall.nr & ARM_SMCCC_SMC64 ? x : (u32)x;
}

/* CPU_ON(target_cpu, entry_point_address, context_id) */
static long psci_cpu_on(struct vcpu *v, u64 target_cpu, u64 entry, u64 context_id)
{
	struct vcpu *t = cpu_by_mpidr(v->vm, target_cpu);

	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	if (!gpa_in_ram(v->vm, entry))
		return PSCI_RET_INVALID_ADDRESS;
	if (cpu_on(t, entry, context_id)) {
		v->points |= SNAP_BIT(SNAP_CPU_ON);
		return PSCI_RET_SUCCESS;
	}
	return cpu_power(t) == CPU_START_PENDING ? PSCI_RET_ON_PENDING : PSCI_RET_ALREADY_ON;
}

/* AFFINITY_INFO(target_affinity, lowest_affinity_level): level 0 only. */
static long psci_affinity_info(struct vcpu *v, u64 target, u64 level)
{
	struct vcpu *t = cpu_by_mpidr(v->vm, target);

	if (!t || level != 0)
		return PSCI_RET_INVALID_PARAMS;
	switch (cpu_power(t)) {
	case CPU_OFF:
		return PSCI_0_2_AFFINITY_LEVEL_OFF;
	case CPU_START_PENDING:
		return PSCI_0_2_AFFINITY_LEVEL_ON_PENDING;
	default:
		return PSCI_0_2_AFFINITY_LEVEL_ON;
	}
}

/*
 * CPU_SUSPEND(power_state, entry_point_address, context_id), original
 * power_state format: a standby state returns SUCCESS when woken, a
 * powerdown state resumes at entry_point_address.  Both wait in
 * KVM_MP_STATE_SUSPENDED for an interrupt (KVM_SYSTEM_EVENT_WAKEUP).
 */
static long psci_cpu_suspend(struct vcpu *v)
{
	bool powerdown = arg(v, 1) & PSCI_0_2_POWER_STATE_TYPE_MASK;
	u64 entry = 0, context_id = 0;

	/* A standby state has no entry point: its idle path reads one register. */
	if (powerdown) {
		entry = arg(v, 2);
		context_id = arg(v, 3);
		if (!gpa_in_ram(v->vm, entry))
			return PSCI_RET_INVALID_ADDRESS;
	}
	set_one_reg(v, REG_X(0), PSCI_RET_SUCCESS);
	cpu_suspend(v, entry, context_id);
	return 0;
}

static long psci_features(u64 fid)
{
	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_SUSPEND: case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON: case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO: case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case PSCI_1_0_FN_SYSTEM_SUSPEND: case PSCI_1_0_FN64_SYSTEM_SUSPEND:
	case SMCCC_VERSION:	/* KVM answers SMCCC_VERSION itself */
		return PSCI_RET_SUCCESS;
	}
	return PSCI_RET_NOT_SUPPORTED;
}

void psci_call(struct vcpu *v)
{
	u32 fid = v->run->hypercall.nr;
	long ret;

	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
		ret = PSCI_VERSION(1, 0);
		break;
	case PSCI_1_0_FN_PSCI_FEATURES:
		ret = psci_features(arg(v, 1));
		break;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		ret = PSCI_0_2_TOS_MP;
		break;
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_CPU_ON:
		ret = psci_cpu_on(v, arg(v, 1), arg(v, 2), arg(v, 3));
		break;
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_AFFINITY_INFO:
		ret = psci_affinity_info(v, arg(v, 1), arg(v, 2));
		break;
	case PSCI_0_2_FN_CPU_OFF:
		cpu_off(v);		/* does not return */
		return;
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_SUSPEND:
		ret = psci_cpu_suspend(v);
		if (!ret)
			return;
		break;
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
		if (!gpa_in_ram(v->vm, arg(v, 1))) {
			ret = PSCI_RET_INVALID_ADDRESS;
		} else if (!cpus_others_off(v)) {
			ret = PSCI_RET_DENIED;
		} else {
			system_suspend(v, arg(v, 1), arg(v, 2));
			return;
		}
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		vm_event(v->vm, VM_OFF);
		return;
	case PSCI_0_2_FN_SYSTEM_RESET:
		vm_event(v->vm, VM_RESET);
		return;
	default:
		ret = PSCI_RET_NOT_SUPPORTED;
	}
	set_one_reg(v, REG_X(0), ret);
}

/* "vmm" mode: the 32- and 64-bit PSCI ranges go to the VMM. */
void psci_vm_init(struct vm *vm)
{
	static const u32 base[] = { 0x84000000U, 0xc4000000U };
	struct kvm_smccc_filter f = { .nr_functions = 0x20,
				      .action = KVM_SMCCC_FILTER_FWD_TO_USER };
	struct kvm_device_attr a = {
		.group = KVM_ARM_VM_SMCCC_CTRL, .attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (unsigned long)&f,
	};

	if (vm->mode == FW_KVM) {
		vm_enable_cap(vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0, 0, 0);
		return;
	}
	for (unsigned int i = 0; i < 2; i++) {
		f.base = base[i];
		xioctl(vm->fd, KVM_SET_DEVICE_ATTR, &a);
	}
}
