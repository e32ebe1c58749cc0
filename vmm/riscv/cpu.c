// SPDX-License-Identifier: GPL-2.0
/*
 * riscv vCPUs: boot and start states through ONE_REG, and the exits.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "riscv.h"

const char arch_name[] = "riscv";
const u64 arch_ram_base = 0x80000000ULL;
/* Where QEMU's virt machine has its UART: no device of ours is there. */
const u64 arch_testdev_base = 0x10000000ULL;
/* The riscv Image header's text_offset for a 64-bit kernel. */
const u64 arch_kernel_offset = 0x200000ULL;

/* Documentation/arch/riscv/boot-image-header.rst */
const char *arch_kernel_check(const void *img, u64 size)
{
	const unsigned char *h = img;

	if (size < 64 || memcmp(h + 56, "RSC\x05", 4))
		return "not a riscv Image (no \"RSC\\x05\" magic at offset 56)";
	return NULL;
}

void arch_vm_init(struct vm *vm)
{
	sbi_vm_init(vm);
}

/*
 * KVM offers SUSP only where userspace carries out the suspend: "kvm" mode
 * enables it (in "vmm" mode the filter forwards it before KVM looks).
 */
void arch_vcpu_init(struct vcpu *v)
{
	set_one_reg(v, RISCV_REG(KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE,
				 KVM_RISCV_SBI_EXT_SUSP), 1);
}

void arch_vm_ready(struct vm *vm)
{
}

/*
 * The SBI start state (SBI HSM HART_START, and boot): pc, a0 = hartid,
 * a1 = opaque (the device tree at boot), satp = 0, sstatus.SIE = 0, S-mode.
 */
void riscv_set_entry(struct vcpu *v, u64 pc, u64 a0, u64 a1)
{
	set_one_reg(v, CORE_REG(regs.pc), pc);
	set_one_reg(v, CORE_REG(regs.a0), a0);
	set_one_reg(v, CORE_REG(regs.a1), a1);
	set_one_reg(v, CSR_REG(satp), 0);
	set_one_reg(v, CSR_REG(sstatus), get_one_reg(v, CSR_REG(sstatus)) & ~SR_SIE);
	set_one_reg(v, CORE_REG(mode), KVM_RISCV_MODE_S);
}

/*
 * Boot (and reboot) state.  In "vmm" mode every vCPU is first reset by
 * KVM_SET_MP_STATE(INIT_RECEIVED), which keeps its mp_state: the boot hart
 * then runs, the others are stopped until HART_START.  In "kvm" mode the VM
 * is new at each boot and KVM's own HSM starts the others.
 */
void arch_boot_state(struct vcpu *v, bool boot_cpu)
{
	if (v->vm->mode == FW_VMM)
		set_mp_state(v, KVM_MP_STATE_INIT_RECEIVED);
	if (boot_cpu) {
		riscv_set_entry(v, v->vm->entry, v->id, v->vm->fdt_addr);
		set_mp_state(v, KVM_MP_STATE_RUNNABLE);
	} else {
		set_mp_state(v, KVM_MP_STATE_STOPPED);
	}
}

/* HART_START, run by the target's own thread (api.rst's recipe). */
void arch_cpu_start(struct vcpu *v, u64 pc, u64 arg)
{
	set_mp_state(v, KVM_MP_STATE_INIT_RECEIVED);
	riscv_set_entry(v, pc, v->id, arg);
	set_mp_state(v, KVM_MP_STATE_RUNNABLE);
}

/*
 * Resume from a non-retentive suspend: the start state, without the reset
 * of a start, so that the timer and the interrupt that woke the hart stay.
 */
void arch_resume(struct vcpu *v, u64 pc, u64 arg)
{
	riscv_set_entry(v, pc, v->id, arg);
}

bool arch_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_RISCV_SBI:
		sbi_call(v);
		return true;
	}
	fprintf(stderr, "vmm: vCPU %d: unhandled exit reason %u (pc 0x%llx)\n", v->id,
		run->exit_reason, (unsigned long long)get_one_reg(v, CORE_REG(regs.pc)));
	return false;
}

bool arch_mmio(struct vcpu *v, u64 addr, u8 *data, u32 len, bool write)
{
	return false;
}

/* Snapshots: no device but the test device; the timer is in ONE_REG. */
void arch_snapshot_save(struct vm *vm, struct sbuf *b)
{
}

const char *arch_snapshot_restore(struct vm *vm, const u8 *p, size_t len)
{
	return len ? "device state where a riscv VM has none" : NULL;
}

/* The time register sets the one time offset of the whole VM. */
bool arch_reg_is_counter(u64 id)
{
	return id == TIMER_REG(time);
}

/* A HART_START's start state, not yet run: satp is 0 (riscv_set_entry()). */
bool arch_at_entry(const struct vcpu *v)
{
	u64 satp;

	return snapshot_reg(v, CSR_REG(satp), &satp) && !satp;
}
