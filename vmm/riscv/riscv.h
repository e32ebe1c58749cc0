/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RISCV_H
#define VMM_RISCV_H

#include "../vmm.h"

#define RISCV_REG(type, idx) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (idx))
#define CORE_REG(name)	RISCV_REG(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(name))
#define CSR_REG(name)	RISCV_REG(KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL, \
				  KVM_REG_RISCV_CSR_REG(name))
#define CONFIG_REG(name) RISCV_REG(KVM_REG_RISCV_CONFIG, KVM_REG_RISCV_CONFIG_REG(name))
#define TIMER_REG(name)	RISCV_REG(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(name))
#define ISA_EXT_REG(id)	RISCV_REG(KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE, id)

#define SR_SIE		(1UL << 1)

/* SBI HSM HART_SUSPEND types: the default retentive and non-retentive ones */
#define SBI_SUSPEND_RETENTIVE		0x00000000UL
#define SBI_SUSPEND_NON_RETENTIVE	0x80000000UL

/* sbi.c: the SBI implementation of "vmm" mode (and the console of both) */
void sbi_vm_init(struct vm *vm);
void sbi_call(struct vcpu *v);

/* cpu.c */
void riscv_set_entry(struct vcpu *v, u64 pc, u64 a0, u64 a1);

#endif
