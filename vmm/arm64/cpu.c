// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 vCPUs: KVM_ARM_VCPU_INIT for boot, CPU_ON and reboot, ONE_REG for
 * entry states, and the exits.
 */
#include <stdio.h>
#include <string.h>

#include "arm64.h"

#define PSR_DAIF	(PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)
#define SCTLR_M		(1ULL << 0)
#define SCTLR_C		(1ULL << 2)
#define SCTLR_I		(1ULL << 12)

const char arch_name[] = "arm64";
const u64 arch_ram_base = 0x40000000ULL;
const u64 arch_testdev_base = TESTDEV_BASE;
/* 2 MiB aligned; the Image's text_offset is 0 (checked below). */
const u64 arch_kernel_offset = 0x200000ULL;

/* Documentation/arch/arm64/booting.rst */
const char *arch_kernel_check(const void *img, u64 size)
{
	const unsigned char *h = img;
	u64 text_offset;

	if (size < 64 || memcmp(h + 56, "ARM\x64", 4))
		return "not an arm64 Image (no \"ARM\\x64\" magic at offset 56)";
	memcpy(&text_offset, h + 8, sizeof(text_offset));
	if (text_offset)
		return "text_offset is not 0 (a kernel older than 3.17?)";
	return NULL;
}

void arch_vm_init(struct vm *vm)
{
	gic_create(vm);
	psci_vm_init(vm);
}

void arch_vm_ready(struct vm *vm)
{
	gic_init(vm);
}

/*
 * KVM_ARM_VCPU_INIT resets the vCPU (the first call initializes it); with
 * KVM_ARM_VCPU_POWER_OFF it is STOPPED.  It also drops a CPU_ON reset KVM
 * queued and has not applied yet.
 */
void arm64_vcpu_reset(struct vcpu *v, bool power_off)
{
	struct kvm_vcpu_init init;

	xioctl(v->vm->fd, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	if (power_off)
		init.features[0] |= 1 << KVM_ARM_VCPU_POWER_OFF;
	xioctl(v->fd, KVM_ARM_VCPU_INIT, &init);
}

void arch_vcpu_init(struct vcpu *v)
{
	arm64_vcpu_reset(v, v->id != 0);
	v->mpidr = get_one_reg(v, REG_MPIDR_EL1);
}

/*
 * The PSCI entry state (CPU_ON, and the resume of a powerdown suspend):
 * pc, x0 = context_id, EL1h with DAIF masked, MMU and caches off.
 */
void arm64_set_entry(struct vcpu *v, u64 pc, u64 x0)
{
	set_one_reg(v, REG_PC, pc);
	set_one_reg(v, REG_X(0), x0);
	set_one_reg(v, REG_PSTATE, PSR_MODE_EL1h | PSR_DAIF);
	set_one_reg(v, REG_SCTLR_EL1,
		    get_one_reg(v, REG_SCTLR_EL1) & ~(SCTLR_M | SCTLR_C | SCTLR_I));
}

/* Boot: the boot CPU at the kernel with x0 = the device tree, others off. */
void arch_boot_state(struct vcpu *v, bool boot_cpu)
{
	arm64_vcpu_reset(v, !boot_cpu);
	if (boot_cpu) {
		arm64_set_entry(v, v->vm->entry, v->vm->fdt_addr);
		for (int i = 1; i < 4; i++)
			set_one_reg(v, REG_X(i), 0);
	}
}

/* CPU_ON, run by the target's own thread: a reset, then the entry state. */
void arch_cpu_start(struct vcpu *v, u64 pc, u64 arg)
{
	arm64_vcpu_reset(v, false);
	arm64_set_entry(v, pc, arg);
}

/* Resume from a powerdown suspend: no reset, the timer and GIC state stay. */
void arch_resume(struct vcpu *v, u64 pc, u64 arg)
{
	arm64_set_entry(v, pc, arg);
}

bool arch_mmio(struct vcpu *v, u64 addr, u8 *data, u32 len, bool write)
{
	return uart_mmio(v, addr, data, len, write);
}

bool arch_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_HYPERCALL:
		psci_call(v);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type != KVM_SYSTEM_EVENT_SUSPEND)
			break;
		/* "kvm" mode: KVM's PSCI SYSTEM_SUSPEND, entry point in x1, context ID in x2. */
		system_suspend(v, get_one_reg(v, REG_X(1)), get_one_reg(v, REG_X(2)));
		return true;
	}
	fprintf(stderr, "vmm: vCPU %d: unhandled exit reason %u (pc 0x%llx)\n", v->id,
		run->exit_reason, (unsigned long long)get_one_reg(v, REG_PC));
	return false;
}

/* Snapshots: the vGIC, then the PL011. */
void arch_snapshot_save(struct vm *vm, struct sbuf *b)
{
	u32 uart = uart_save();

	sbuf_put(b, &uart, sizeof(uart));
	sbuf_put(b, &uart, sizeof(uart));	/* keeps the vGIC's records aligned */
	gic_save(vm, b);
}

const char *arch_snapshot_restore(struct vm *vm, const u8 *p, size_t len)
{
	const char *err;
	u32 uart;

	if (len < 8)
		return "no PL011 state";
	memcpy(&uart, p, sizeof(uart));
	err = gic_restore(vm, p + 8, len - 8);
	if (!err)
		uart_restore(vm, uart);
	return err;
}

/* The counters: each vCPU's write sets the one offset of the whole VM. */
bool arch_reg_is_counter(u64 id)
{
	return id == KVM_REG_ARM_TIMER_CNT || id == KVM_REG_ARM_PTIMER_CNT;
}

/* A CPU_ON's entry state, not yet run: the MMU is off (arm64_set_entry()). */
bool arch_at_entry(const struct vcpu *v)
{
	u64 sctlr;

	return snapshot_reg(v, REG_SCTLR_EL1, &sctlr) && !(sctlr & SCTLR_M);
}
