// SPDX-License-Identifier: GPL-2.0
/*
 * KVM ioctls: every failure names the ioctl and the errno, and ends the VMM
 * with a non-zero status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

void die(const char *fmt, ...)
{
	va_list ap;

	console_flush();
	fputs("vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int vmm_ioctl(int fd, unsigned long req, unsigned long arg, const char *name)
{
	int ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR && req != KVM_RUN);
	if (ret < 0 && req != KVM_RUN)
		die("%s: %s (errno %d)", name, strerror(errno), errno);
	return ret;
}

int check_extension(struct vm *vm, long cap)
{
	return xioctl(vm->fd, KVM_CHECK_EXTENSION, cap);
}

void vm_enable_cap(struct vm *vm, u32 cap, u64 a0, u64 a1, u64 a2)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { a0, a1, a2 } };

	xioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

void vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region mr = {
		.slot = 0,
		.guest_phys_addr = vm->ram_base,
		.memory_size = vm->ram_size,
		.userspace_addr = (unsigned long)vm->ram,
	};
	int max;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("/dev/kvm: %s", strerror(errno));
	if (xioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("KVM_GET_API_VERSION: not %d", KVM_API_VERSION);
	vm->fd = xioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	vm->gic_fd = -1;
	max = check_extension(vm, KVM_CAP_MAX_VCPUS);
	if (vm->nr_vcpus > max)
		die("%d vCPUs asked, KVM allows %d (KVM_CAP_MAX_VCPUS)", vm->nr_vcpus, max);
	vm->run_size = xioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	xioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr);
}

void vm_destroy(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i].run, vm->run_size);
		close(vm->vcpus[i].fd);
	}
	if (vm->gic_fd >= 0)
		close(vm->gic_fd);
	close(vm->fd);
	close(vm->kvm_fd);
}

void vcpu_create(struct vm *vm, struct vcpu *v)
{
	v->fd = xioctl(vm->fd, KVM_CREATE_VCPU, v->id);
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap of vCPU %d's kvm_run: %s", v->id, strerror(errno));
}

void set_one_reg(struct vcpu *v, u64 id, u64 val)
{
	struct kvm_one_reg r = { .id = id, .addr = (unsigned long)&val };

	xioctl(v->fd, KVM_SET_ONE_REG, &r);
}

u64 get_one_reg(struct vcpu *v, u64 id)
{
	struct kvm_one_reg r;
	u64 val = 0;

	r.id = id;
	r.addr = (unsigned long)&val;
	xioctl(v->fd, KVM_GET_ONE_REG, &r);
	return val;
}

void set_mp_state(struct vcpu *v, u32 state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	xioctl(v->fd, KVM_SET_MP_STATE, &mp);
}
