/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small reference VMM for the KVM vCPU lifecycle series: it boots Linux
 * with the firmware (arm64 PSCI, riscv SBI HSM/SRST/SUSP) either left to
 * KVM ("kvm" mode) or implemented here ("vmm" mode).
 */
#ifndef VMM_H
#define VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint8_t u8;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum fw_mode { FW_KVM, FW_VMM };

/*
 * What the VMM believes of a vCPU.  In "vmm" mode this is the firmware's
 * view (PSCI affinity state, SBI HSM hart state) and KVM's mp_state follows
 * it; in "kvm" mode KVM keeps the state and every vCPU is CPU_ON here.
 */
enum cpu_power {
	CPU_OFF,		/* stopped; its thread waits outside KVM_RUN */
	CPU_START_PENDING,	/* started by another vCPU, not yet running */
	CPU_ON,			/* running (or in KVM_RUN, maybe suspended) */
};

/* What the whole machine does next (set once, by the first event). */
enum vm_event { VM_RUNNING, VM_RESET, VM_OFF, VM_FAIL };

struct vm;

/* The exit reasons counted one by one (cpu.c); the others share the last. */
#define EXIT_REASONS 40

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	enum cpu_power power;
	u64 start_pc, start_arg;	/* CPU_START_PENDING: where and with what */
	u64 mpidr;			/* arm64: the CPU's affinity (PSCI target) */
	bool suspended;			/* in KVM_MP_STATE_SUSPENDED, for us */
	bool wake;			/* the VMM ends its suspend (system suspend) */
	u64 resume_pc, resume_arg;	/* non-retentive/system suspend resume */
	/* Per exit reason: how many, and the time the VMM took on them. */
	u64 nr_exits[EXIT_REASONS], exit_ns[EXIT_REASONS];
	u64 nr_kicks;			/* KVM_RUN ended by a kick (EINTR) */
};

struct vm {
	int kvm_fd, fd;
	int gic_fd;			/* arm64: the vGIC device */
	enum fw_mode mode;
	int nr_vcpus;
	struct vcpu *vcpus;
	size_t run_size;

	void *ram;			/* host mapping of guest RAM */
	u64 ram_base, ram_size;
	const char *kernel, *initrd, *cmdline;
	char *bootargs;			/* cmdline and vmm.boot=N */
	u64 entry, fdt_addr, initrd_start, initrd_end;

	pthread_mutex_t lock;		/* power, start_*, wake, event */
	pthread_cond_t cond;
	enum vm_event event;
	unsigned int suspend_wake_ms;	/* system suspend: wake after this */
	bool trace;
};

/* kvm.c */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int vmm_ioctl(int fd, unsigned long req, unsigned long arg, const char *name);
#define xioctl(fd, req, arg) vmm_ioctl(fd, req, (unsigned long)(arg), #req)
void vm_create(struct vm *vm);
void vm_destroy(struct vm *vm);
void vcpu_create(struct vm *vm, struct vcpu *v);
void set_one_reg(struct vcpu *v, u64 id, u64 val);
u64 get_one_reg(struct vcpu *v, u64 id);
void set_mp_state(struct vcpu *v, u32 state);
void vm_enable_cap(struct vm *vm, u32 cap, u64 a0, u64 a1, u64 a2);
int check_extension(struct vm *vm, long cap);

/* mem.c */
void ram_alloc(struct vm *vm);
void *gpa_to_hva(struct vm *vm, u64 gpa, u64 len);
bool gpa_in_ram(struct vm *vm, u64 addr);
void load_images(struct vm *vm, u64 kernel_offset, u64 fdt_max);

/* cpu.c */
void vcpus_start(struct vm *vm);
enum vm_event vcpus_join(struct vm *vm);
void vm_event(struct vm *vm, enum vm_event ev);
void vcpu_complete(struct vcpu *v);
bool cpu_on(struct vcpu *target, u64 pc, u64 arg);
enum cpu_power cpu_power(struct vcpu *v);
void cpu_off(struct vcpu *v);
void cpu_suspend(struct vcpu *v, u64 resume_pc, u64 resume_arg);
void cpu_resume(struct vcpu *v);
bool cpus_others_off(struct vcpu *v);
void system_suspend(struct vcpu *v, u64 resume_pc, u64 resume_arg);

/* console.c */
void console_init(bool timestamps);
void console_putc(int id, char c);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_flush(void);

/* Per architecture (riscv/, arm64/) */
void arch_vm_init(struct vm *vm);
void arch_vcpu_init(struct vcpu *v);
void arch_vm_ready(struct vm *vm);	/* after every vCPU is created */
void arch_boot_state(struct vcpu *v, bool boot_cpu);
void arch_cpu_start(struct vcpu *v, u64 pc, u64 arg);
void arch_resume(struct vcpu *v, u64 pc, u64 arg);
void arch_fdt(struct vm *vm, void *buf, size_t size);
/* NULL if @img is a kernel Image of this arch, else what is wrong with it. */
const char *arch_kernel_check(const void *img, u64 size);
/* Handles an exit of KVM_RUN; false ends the vCPU's thread. */
bool arch_handle_exit(struct vcpu *v);
extern const u64 arch_ram_base, arch_kernel_offset;

#endif
