// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel vGICv3 (Documentation/virt/kvm/devices/arm-vgic-v3.rst):
 * created with the VM, placed, and initialized once every vCPU exists.
 */
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
