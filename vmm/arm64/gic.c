// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel vGICv3 (Documentation/virt/kvm/devices/arm-vgic-v3.rst):
 * created with the VM, placed, and initialized once every vCPU exists.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arm64.h"

static void gic_attr(struct vm *vm, u32 group, u64 attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (unsigned long)addr,
	};

	xioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &a);
}

void gic_create(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	u64 dist = GIC_DIST_BASE, redist = GIC_REDIST_BASE;

	xioctl(vm->fd, KVM_CREATE_DEVICE, &dev);
	vm->gic_fd = dev.fd;
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
}

void gic_init(struct vm *vm)
{
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

void gic_set_spi(struct vm *vm, int spi, int level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + spi),
		.level = level,
	};

	xioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

/*
 * Snapshots: the vGIC's state as Documentation/virt/kvm/devices/
 * arm-vgic-v3.rst exposes it, a record per register, saved in the order
 * they are restored: the distributor's control, each redistributor's SGI
 * and PPI registers, the SPIs' configuration, line levels before pending
 * state (which is the latch of a level interrupt), enables and active
 * state last; then each CPU interface's system registers.
 */
struct gic_reg {
	u32 group, size;
	u64 attr, val;
};

#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_IGROUPR		0x0080
#define GICD_ISENABLER		0x0100
#define GICD_ISPENDR		0x0200
#define GICD_ISACTIVER		0x0300
#define GICD_IPRIORITYR		0x0400
#define GICD_ICFGR		0x0c00
#define GICD_IROUTER		0x6000
#define GICR_SGI		0x10000	/* the SGI and PPI frame */

/* ICC_*_EL1 as KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS encodes them: op0 3, op1 0, CRn 12 */
#define ICC(crm, op2)		((3 << 14) | (12 << 7) | ((crm) << 3) | (op2))
#define ICC_PMR_EL1		((3 << 14) | (4 << 7) | (6 << 3) | 0)

static int gic_access(struct vm *vm, struct gic_reg *r, bool set)
{
	u32 v32 = r->val;
	struct kvm_device_attr a = {
		.group = r->group, .attr = r->attr,
		.addr = r->size == 4 ? (unsigned long)&v32 : (unsigned long)&r->val,
	};
	int ret = ioctl(vm->gic_fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);

	if (r->size == 4)
		r->val = v32;
	return ret;
}

/* Saves one register; @optional ones KVM does not have are left out. */
static void gic_save_reg(struct vm *vm, struct sbuf *b, u32 group, u64 attr, u32 size,
			 bool optional)
{
	struct gic_reg r = { .group = group, .size = size, .attr = attr };

	if (gic_access(vm, &r, false)) {
		if (optional)
			return;
		die("vGIC: KVM_GET_DEVICE_ATTR group %u attr 0x%llx: %s", group,
		    (unsigned long long)attr, strerror(errno));
	}
	sbuf_put(b, &r, sizeof(r));
}

/* The mpidr field of a redistributor or CPU interface attribute. */
static u64 gic_mpidr(struct vcpu *v)
{
	return (((v->mpidr >> 32) & 0xff) << 24 | (v->mpidr & 0xffffff)) << 32;
}

void gic_save(struct vm *vm, struct sbuf *b)
{
	const u32 dist = KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
	struct gic_reg typer = { .group = dist, .size = 4, .attr = GICD_TYPER };
	u32 nr_irqs, i;

	if (gic_access(vm, &typer, false))
		die("vGIC: GICD_TYPER: %s", strerror(errno));
	nr_irqs = 32 * ((typer.val & 0x1f) + 1);
	if (nr_irqs > 1020)
		nr_irqs = 1020;
	gic_save_reg(vm, b, dist, GICD_CTLR, 4, false);
	for (int c = 0; c < vm->nr_vcpus; c++) {
		const u32 redist = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
		u64 m = gic_mpidr(&vm->vcpus[c]);

		gic_save_reg(vm, b, redist, m | (GICR_SGI + GICD_IGROUPR), 4, false);
		gic_save_reg(vm, b, redist, m | (GICR_SGI + GICD_ICFGR + 4), 4, false);
		for (i = 0; i < 32; i += 4)
			gic_save_reg(vm, b, redist, m | (GICR_SGI + GICD_IPRIORITYR + i), 4, false);
		gic_save_reg(vm, b, redist, m | (GICR_SGI + GICD_ISPENDR), 4, false);
		gic_save_reg(vm, b, redist, m | (GICR_SGI + GICD_ISENABLER), 4, false);
		gic_save_reg(vm, b, redist, m | (GICR_SGI + GICD_ISACTIVER), 4, false);
	}
	for (i = 32; i < nr_irqs; i += 32) {
		for (u32 j = i; j < i + 32; j += 16)
			gic_save_reg(vm, b, dist, GICD_ICFGR + j / 4, 4, false);
		gic_save_reg(vm, b, dist, GICD_IGROUPR + i / 8, 4, false);
		for (u32 j = i; j < i + 32; j += 4)
			gic_save_reg(vm, b, dist, GICD_IPRIORITYR + j, 4, false);
		for (u32 j = i; j < i + 32 && j < nr_irqs; j++) {
			gic_save_reg(vm, b, dist, GICD_IROUTER + 8 * j, 4, false);
			gic_save_reg(vm, b, dist, GICD_IROUTER + 8 * j + 4, 4, false);
		}
		gic_save_reg(vm, b, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
			     (u64)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT | i,
			     4, false);
		gic_save_reg(vm, b, dist, GICD_ISPENDR + i / 8, 4, false);
		gic_save_reg(vm, b, dist, GICD_ISENABLER + i / 8, 4, false);
		gic_save_reg(vm, b, dist, GICD_ISACTIVER + i / 8, 4, false);
	}
	for (int c = 0; c < vm->nr_vcpus; c++) {
		static const u16 sysregs[] = {
			ICC(12, 5) /* SRE */, ICC(12, 4) /* CTLR */, ICC(12, 6) /* IGRPEN0 */,
			ICC(12, 7) /* IGRPEN1 */, ICC_PMR_EL1, ICC(8, 3) /* BPR0 */,
			ICC(12, 3) /* BPR1 */,
		};
		const u32 sys = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
		u64 m = gic_mpidr(&vm->vcpus[c]);

		for (i = 0; i < ARRAY_SIZE(sysregs); i++)
			gic_save_reg(vm, b, sys, m | sysregs[i], 8, false);
		/* AP0R1-3 and AP1R1-3 exist with 6 and 7 bits of priority only. */
		for (i = 0; i < 4; i++) {
			gic_save_reg(vm, b, sys, m | ICC(8, 4 + i), 8, i > 0);
			gic_save_reg(vm, b, sys, m | ICC(9, i), 8, i > 0);
		}
	}
}

const char *gic_restore(struct vm *vm, const u8 *p, size_t len)
{
	static char err[128];
	struct gic_reg r;

	if (len % sizeof(r))
		return "the vGIC state is not a whole number of registers";
	for (size_t off = 0; off < len; off += sizeof(r)) {
		memcpy(&r, p + off, sizeof(r));
		if (r.size != 4 && r.size != 8)
			return "a vGIC register of another size";
		if (gic_access(vm, &r, true)) {
			snprintf(err, sizeof(err), "vGIC: KVM_SET_DEVICE_ATTR group %u attr 0x%llx: %s",
				 r.group, (unsigned long long)r.attr, strerror(errno));
			return err;
		}
	}
	return NULL;
}
