/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_ARM64_H
#define VMM_ARM64_H

#include "../vmm.h"

/* The guest's physical memory map (that of QEMU's virt machine). */
#define GIC_DIST_BASE		0x08000000ULL
#define GIC_DIST_SIZE		0x10000ULL
#define GIC_REDIST_BASE		0x080A0000ULL
#define GIC_REDIST_SIZE		0x20000ULL	/* per vCPU */
#define UART_BASE		0x09000000ULL
#define UART_SIZE		0x1000ULL
#define UART_SPI		1		/* INTID 33 */
#define TESTDEV_BASE		0x0a000000ULL

#define CORE_REG(name)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(name))
#define REG_X(n)	CORE_REG(regs.regs[n])
#define REG_PC		CORE_REG(regs.pc)
#define REG_PSTATE	CORE_REG(regs.pstate)
#define REG_MPIDR_EL1	ARM64_SYS_REG(3, 0, 0, 0, 5)
#define REG_SCTLR_EL1	ARM64_SYS_REG(3, 0, 1, 0, 0)

/* gic.c */
void gic_create(struct vm *vm);
void gic_init(struct vm *vm);
void gic_set_spi(struct vm *vm, int spi, int level);
void gic_save(struct vm *vm, struct sbuf *b);
const char *gic_restore(struct vm *vm, const u8 *p, size_t len);

/* uart.c: a PL011 */
bool uart_mmio(struct vcpu *v, u64 addr, u8 *data, u32 len, bool write);
u32 uart_save(void);
void uart_restore(struct vm *vm, u32 state);

/* psci.c */
void psci_vm_init(struct vm *vm);
void psci_call(struct vcpu *v);

/* cpu.c */
void arm64_vcpu_reset(struct vcpu *v, bool power_off);
void arm64_set_entry(struct vcpu *v, u64 pc, u64 x0);

#endif
