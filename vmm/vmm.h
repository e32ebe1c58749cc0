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
typedef int32_t s32;
typedef uint32_t u32;
typedef uint16_t u16;
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

/*
 * Snapshot points (snapshot.c): what a vCPU has just done when a snapshot
 * of that kind is taken, the vCPU stopping before its next KVM_RUN.
 */
enum snap_kind {
	SNAP_MMIO_LOAD,		/* a test device load exit, not completed */
	SNAP_MMIO_STORE,	/* a test device store exit, not completed */
	SNAP_SBI,		/* riscv: a forwarded SBI call, not completed */
	SNAP_CPU_ON,		/* vmm mode: a CPU_ON / HART_START not yet applied */
	SNAP_STOPPED,		/* vmm mode: a vCPU that has just turned off */
	SNAP_SUSPENDED,		/* vmm mode: a vCPU suspended (CPU_SUSPEND, HART_SUSPEND) */
	SNAP_SYSTEM_SUSPEND,	/* the guest in system suspend */
	SNAP_QUEUED_START,	/* kvm mode: a start KVM queued and has not run */
	SNAP_ANY,		/* at a random time */
	NR_SNAP_KINDS
};
#define SNAP_BIT(kind)	(1U << (kind))

/* The state of the test device (testdev.c). */
struct testdev_state {
	u32 seq, next, errors;
};

/* A growing buffer: a vCPU's saved state, a snapshot being written. */
struct sbuf {
	u8 *p;
	size_t len, size;
};

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
	/* Snapshots (snapshot.c) */
	u32 points;			/* snapshot points of the exit just handled */
	bool stop;			/* stop before the next KVM_RUN, for a snapshot */
	struct kvm_reg_list *reg_list;	/* KVM_GET_REG_LIST, read once */
	struct sbuf saved;		/* its registers (id, value), at a snapshot */
	u32 saved_mp_state;
	bool pending;			/* KVM_RUN_NEEDS_COMPLETION was set */
	u64 complete_ns;		/* the time its completion took */
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

	pthread_mutex_t lock;		/* power, start_*, wake, event, pause */
	pthread_cond_t cond;
	enum vm_event event;
	unsigned int suspend_wake_ms;	/* system suspend: wake after this */
	u64 wake_at;			/* system suspend: when the waker ends it */
	int boot;			/* which boot this is, from 1 */
	int threads;			/* vCPU threads running */
	bool pause;			/* a snapshot is under way */
	bool save;			/* every vCPU thread stopped: save */
	int stopped, saved;		/* vCPU threads stopped, vCPUs saved */
	struct snapshot *snap;		/* snapshot mode (-S), else NULL */
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
void kick(struct vcpu *v);
void wake_after(struct vcpu *v, u64 ms);
bool mmio_exit(struct vcpu *v);
u64 now_ns(void);
bool cpu_on(struct vcpu *target, u64 pc, u64 arg);
enum cpu_power cpu_power(struct vcpu *v);
void cpu_off(struct vcpu *v);
void cpu_suspend(struct vcpu *v, u64 resume_pc, u64 resume_arg);
void cpu_resume(struct vcpu *v);
bool cpus_others_off(struct vcpu *v);
void system_suspend(struct vcpu *v, u64 resume_pc, u64 resume_arg);

/* snapshot.c */
void snapshot_init(struct vm *vm, u64 seed, int count, const char *kinds, const char *file,
		   bool skip_completion);
void snapshot_point(struct vcpu *v);
void snapshot_console_line(struct vm *vm, const char *line, size_t len);
void snapshot_vcpu_save(struct vcpu *v);
void snapshot_load(struct vm *vm, const char *file, const char *next);
void snapshot_apply(struct vm *vm);
void snapshot_take(struct vm *vm) __attribute__((noreturn));
void snapshot_started(struct vm *vm);
void snapshot_end(struct vm *vm);
void sbuf_put(struct sbuf *b, const void *p, size_t len);
bool snapshot_reg(const struct vcpu *v, u64 id, u64 *val);

/* testdev.c */
bool testdev_mmio(u64 addr, u8 *data, u32 len, bool write);
void testdev_reset(void);
struct testdev_state testdev_save(void);
void testdev_restore(const struct testdev_state *s);
#define TESTDEV_SIZE	0x1000

/* console.c */
void console_init(bool timestamps);
void console_putc(int id, char c);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_flush(void);
void console_line_hook(void (*fn)(const char *line, size_t len));
size_t console_save(char *buf, size_t size);
void console_restore(const char *buf, size_t len);

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
/* The arch's MMIO devices; false if none is at @addr. */
bool arch_mmio(struct vcpu *v, u64 addr, u8 *data, u32 len, bool write);
/* Snapshots: the VM's device state (the vGIC on arm64), its counter registers. */
void arch_snapshot_save(struct vm *vm, struct sbuf *b);
const char *arch_snapshot_restore(struct vm *vm, const u8 *p, size_t len);
bool arch_reg_is_counter(u64 id);
/* Whether @v's registers (just saved) are a start state that has not run. */
bool arch_at_entry(const struct vcpu *v);
extern const u64 arch_ram_base, arch_kernel_offset, arch_testdev_base;
extern const char arch_name[];

#endif
