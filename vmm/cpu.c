// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU threads.  One thread per vCPU runs KVM_RUN and hands each exit to the
 * arch.  A vCPU that the firmware model turned off (CPU_OFF) keeps its thread
 * out of KVM_RUN, waiting on vm->cond: api.rst asks for this, since a STOPPED
 * vCPU in KVM_RUN sleeps holding vcpu->mutex and every ioctl on it would
 * wait.  Other threads act on a vCPU only through vm->lock and a kick: its
 * own thread does every ioctl on it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vmm.h"

/* The kick's signal only has to interrupt KVM_RUN. */
static void kick_handler(int sig)
{
	(void)sig;
}

/*
 * Makes @v's thread leave KVM_RUN, or not enter it: immediate_exit covers
 * the window before the ioctl, the signal a KVM_RUN already under way.
 */
void kick(struct vcpu *v)
{
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIGUSR1);
}

void vm_event(struct vm *vm, enum vm_event ev)
{
	int i;

	pthread_mutex_lock(&vm->lock);
	if (vm->event == VM_RUNNING)
		vm->event = ev;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		kick(&vm->vcpus[i]);
}

/*
 * Finishes what the last exit left pending (KVM_RUN_NEEDS_COMPLETION), with
 * no guest instruction run: the recipe of api.rst before the VMM changes a
 * vCPU's mp_state or registers behind the exit's back.
 */
void vcpu_complete(struct vcpu *v)
{
	if (!(v->run->flags & KVM_RUN_NEEDS_COMPLETION))
		return;
	v->run->immediate_exit = 1;
	if (ioctl(v->fd, KVM_RUN, 0) == 0 || errno != EINTR)
		die("KVM_RUN with immediate_exit on vCPU %d: %s", v->id,
		    errno == EINTR ? "ran the guest" : strerror(errno));
	v->run->immediate_exit = 0;
	if (v->run->flags & KVM_RUN_NEEDS_COMPLETION)
		die("vCPU %d: KVM_RUN_NEEDS_COMPLETION still set after completion", v->id);
}

/* Returns false, changing nothing, unless @target is off. */
bool cpu_on(struct vcpu *target, u64 pc, u64 arg)
{
	struct vm *vm = target->vm;
	bool ok;

	pthread_mutex_lock(&vm->lock);
	ok = target->power == CPU_OFF;
	if (ok) {
		target->power = CPU_START_PENDING;
		target->start_pc = pc;
		target->start_arg = arg;
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

enum cpu_power cpu_power(struct vcpu *v)
{
	enum cpu_power p;

	pthread_mutex_lock(&v->vm->lock);
	p = v->power;
	pthread_mutex_unlock(&v->vm->lock);
	return p;
}

/* The calling vCPU turns itself off: its thread waits until cpu_on(). */
void cpu_off(struct vcpu *v)
{
	vcpu_complete(v);
	set_mp_state(v, KVM_MP_STATE_STOPPED);
	pthread_mutex_lock(&v->vm->lock);
	v->power = CPU_OFF;
	pthread_mutex_unlock(&v->vm->lock);
	v->points |= SNAP_BIT(SNAP_STOPPED);
}

/*
 * The calling vCPU suspends in KVM (KVM_MP_STATE_SUSPENDED): KVM_RUN waits
 * for a wakeup event and exits with KVM_SYSTEM_EVENT_WAKEUP.  A non-zero
 * @resume_pc makes it non-retentive: it resumes there, with @resume_arg.
 */
void cpu_suspend(struct vcpu *v, u64 resume_pc, u64 resume_arg)
{
	v->resume_pc = resume_pc;
	v->resume_arg = resume_arg;
	vcpu_complete(v);
	set_mp_state(v, KVM_MP_STATE_SUSPENDED);
	v->suspended = true;
	v->points |= SNAP_BIT(SNAP_SUSPENDED);
}

/* Ends a suspend: the vCPU runs again, from @resume if it is non-retentive. */
void cpu_resume(struct vcpu *v)
{
	if (v->resume_pc)
		arch_resume(v, v->resume_pc, v->resume_arg);
	set_mp_state(v, KVM_MP_STATE_RUNNABLE);
	v->suspended = false;
	v->resume_pc = 0;
}

struct waker {
	struct vcpu *v;
	u64 ms;
};

static void *waker_thread(void *arg)
{
	struct waker *w = arg;
	struct timespec ts = { w->ms / 1000, (w->ms % 1000) * 1000000L };
	struct vcpu *v = w->v;

	nanosleep(&ts, NULL);
	note("system suspend ends (vCPU %d)", v->id);
	pthread_mutex_lock(&v->vm->lock);
	v->wake = true;
	v->vm->wake_at = 0;
	pthread_mutex_unlock(&v->vm->lock);
	kick(v);
	return NULL;
}

/* Ends @v's system suspend after @ms (vm->wake_at says when, for snapshots). */
void wake_after(struct vcpu *v, u64 ms)
{
	static struct waker w;
	pthread_t t;

	w.v = v;
	w.ms = ms;
	pthread_mutex_lock(&v->vm->lock);
	v->vm->wake_at = now_ns() + ms * 1000000;
	pthread_mutex_unlock(&v->vm->lock);
	if (pthread_create(&t, NULL, waker_thread, &w))
		die("pthread_create: waker");
	pthread_detach(t);
}

/*
 * The system events of every arch: the wakeup of a suspended vCPU, and the
 * in-kernel firmware's ("kvm" mode) power off and reset, raised once KVM
 * has stopped every vCPU.
 */
static bool system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_WAKEUP:
		if (!v->suspended)
			return false;
		cpu_resume(v);
		return true;
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_event(v->vm, VM_OFF);
		return true;
	case KVM_SYSTEM_EVENT_RESET:
		vm_event(v->vm, VM_RESET);
		return true;
	}
	return false;
}

/* Whether every vCPU but @v is off: what a system suspend requires. */
bool cpus_others_off(struct vcpu *v)
{
	for (int i = 0; i < v->vm->nr_vcpus; i++)
		if (i != v->id && cpu_power(&v->vm->vcpus[i]) != CPU_OFF)
			return false;
	return true;
}

/*
 * System suspend of the calling vCPU, the others being off: the VMM ends
 * it after vm->suspend_wake_ms, as a power button or an RTC alarm would,
 * whatever the guest left enabled, and the vCPU resumes at @resume_pc.
 */
void system_suspend(struct vcpu *v, u64 resume_pc, u64 resume_arg)
{
	cpu_suspend(v, resume_pc, resume_arg);
	wake_after(v, v->vm->suspend_wake_ms);
	v->points |= SNAP_BIT(SNAP_SYSTEM_SUSPEND);
}

/*
 * KVM_EXIT_MMIO: the test device of every arch, then the arch's devices.
 * The test device's accesses are the MMIO snapshot points: one done twice
 * or lost shows there (testdev.c).
 */
bool mmio_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	u64 addr = run->mmio.phys_addr;

	if (testdev_mmio(addr, run->mmio.data, run->mmio.len, run->mmio.is_write)) {
		v->points |= SNAP_BIT(run->mmio.is_write ? SNAP_MMIO_STORE : SNAP_MMIO_LOAD);
		return true;
	}
	if (arch_mmio(v, addr, run->mmio.data, run->mmio.len, run->mmio.is_write))
		return true;
	fprintf(stderr, "vmm: vCPU %d: %s of %u bytes at 0x%llx: no device\n", v->id,
		run->mmio.is_write ? "write" : "read", run->mmio.len, (unsigned long long)addr);
	return false;
}

u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/*
 * A snapshot stops every vCPU thread here, before its next KVM_RUN.  Only
 * once all have stopped does each complete its vCPU's last exit and save
 * its state (api.rst's recipe): a vCPU still running could change the
 * state of one that stopped (an IPI, a CPU_ON KVM carries out).  Then the
 * thread waits until the snapshot is written (the VMM exits) or called off.
 * Called with vm->lock held.
 */
static void vcpu_pause(struct vcpu *v)
{
	struct vm *vm = v->vm;

	vm->stopped++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->pause && !vm->save)
		pthread_cond_wait(&vm->cond, &vm->lock);
	if (vm->pause) {
		pthread_mutex_unlock(&vm->lock);
		snapshot_vcpu_save(v);
		pthread_mutex_lock(&vm->lock);
		vm->saved++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause)
			pthread_cond_wait(&vm->cond, &vm->lock);
	}
	vm->stopped--;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;

	for (;;) {
		unsigned int reason;
		bool start, wake, ok;
		u64 t;

		pthread_mutex_lock(&vm->lock);
		while (v->power == CPU_OFF && vm->event == VM_RUNNING && !v->stop)
			pthread_cond_wait(&vm->cond, &vm->lock);
		if (v->stop) {
			vcpu_pause(v);
			pthread_mutex_unlock(&vm->lock);
			continue;
		}
		if (vm->event != VM_RUNNING) {
			pthread_mutex_unlock(&vm->lock);
			break;
		}
		start = v->power == CPU_START_PENDING;
		wake = v->wake;
		v->wake = false;
		pthread_mutex_unlock(&vm->lock);

		if (start) {
			arch_cpu_start(v, v->start_pc, v->start_arg);
			pthread_mutex_lock(&vm->lock);
			v->power = CPU_ON;
			pthread_mutex_unlock(&vm->lock);
		}
		if (wake && v->suspended)
			cpu_resume(v);

		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR)
				die("KVM_RUN on vCPU %d: %s (errno %d)", v->id,
				    strerror(errno), errno);
			v->run->immediate_exit = 0;
			v->nr_kicks++;
			continue;
		}
		t = now_ns();
		reason = v->run->exit_reason;
		v->points = 0;
		if (reason == KVM_EXIT_MMIO)
			ok = mmio_exit(v);
		else
			ok = (reason == KVM_EXIT_SYSTEM_EVENT && system_event(v)) ||
			     arch_handle_exit(v);
		reason = reason < EXIT_REASONS ? reason : EXIT_REASONS - 1;
		v->nr_exits[reason]++;
		v->exit_ns[reason] += now_ns() - t;
		if (!ok) {
			vm_event(vm, VM_FAIL);
			break;
		}
		if (vm->snap && v->points)
			snapshot_point(v);
	}
	pthread_mutex_lock(&vm->lock);
	vm->threads--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/*
 * Where a boot's time went, as far as the VMM sees it: the exits of every
 * vCPU by reason, with the time the VMM took to handle them (from KVM_RUN's
 * return to the next KVM_RUN), and the kicks.
 */
static void exit_stats(struct vm *vm)
{
	static const char *const names[EXIT_REASONS] = {
		[KVM_EXIT_HYPERCALL] = "hypercall",
		[KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event",
		[KVM_EXIT_RISCV_SBI] = "riscv_sbi",
		[EXIT_REASONS - 1] = "other",
	};
	char buf[512] = "", name[16];
	size_t len = 0;
	u64 kicks = 0;
	int r, i;

	for (r = 0; r < EXIT_REASONS; r++) {
		u64 n = 0, ns = 0;

		for (i = 0; i < vm->nr_vcpus; i++) {
			n += vm->vcpus[i].nr_exits[r];
			ns += vm->vcpus[i].exit_ns[r];
		}
		if (!n)
			continue;
		if (names[r])
			snprintf(name, sizeof(name), "%s", names[r]);
		else
			snprintf(name, sizeof(name), "reason%d", r);
		len += snprintf(buf + len, sizeof(buf) - len, " %s=%llu/%lluus", name,
				(unsigned long long)n, (unsigned long long)ns / 1000);
		if (len >= sizeof(buf))
			break;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		kicks += vm->vcpus[i].nr_kicks;
		memset(vm->vcpus[i].nr_exits, 0, sizeof(vm->vcpus[i].nr_exits));
		memset(vm->vcpus[i].exit_ns, 0, sizeof(vm->vcpus[i].exit_ns));
		vm->vcpus[i].nr_kicks = 0;
	}
	note("exits (count/time in the VMM):%s kicks=%llu", buf,
	     (unsigned long long)kicks);
}

void vcpus_start(struct vm *vm)
{
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	vm->event = VM_RUNNING;
	vm->threads = vm->nr_vcpus;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]))
			die("pthread_create: vCPU %d", i);
}

/*
 * Waits until every vCPU thread has ended (a reset, a power off, a failure),
 * writing a snapshot (snapshot_take(), which exits) once every vCPU thread
 * has stopped for one.  A snapshot that met a reset or power off on its way
 * is called off: the threads go on to end.
 */
enum vm_event vcpus_join(struct vm *vm)
{
	int i;

	if (vm->snap)
		snapshot_started(vm);
	pthread_mutex_lock(&vm->lock);
	while (vm->threads) {
		if (vm->pause && !vm->save && vm->event != VM_RUNNING) {
			vm->pause = false;
			for (i = 0; i < vm->nr_vcpus; i++)
				vm->vcpus[i].stop = false;
			pthread_cond_broadcast(&vm->cond);
		} else if (vm->pause && !vm->save && vm->stopped == vm->nr_vcpus) {
			vm->save = true;
			pthread_cond_broadcast(&vm->cond);
		} else if (vm->save && vm->saved == vm->nr_vcpus) {
			pthread_mutex_unlock(&vm->lock);
			snapshot_take(vm);
		}
		pthread_cond_wait(&vm->cond, &vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
	exit_stats(vm);
	return vm->event;
}
