// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots (-S SEED): at points drawn from the seed, the VMM stops every
 * vCPU thread, completes what each vCPU's last exit left pending
 * (KVM_RUN_NEEDS_COMPLETION: KVM_RUN with immediate_exit, api.rst 8.48),
 * saves the whole machine to a file and exits with status 3.  A new VMM
 * process, started with the same options and -r FILE, restores it in a new
 * VM and resumes; the guest must not notice.
 *
 * What is saved: every register of KVM_GET_REG_LIST (ONE_REG; the timers'
 * registers among them) and the mp_state of each vCPU, the arch's device
 * state (the vGICv3 and the PL011 on arm64), the test device, the guest
 * RAM the VMM's mapping has touched, and the VMM's own state: the firmware
 * model (power state, pending start, suspend), a pending system suspend
 * wakeup, the console's unfinished line, the boot number and the schedule.
 *
 * The schedule takes -N snapshots per run, at least one at each point kind
 * asked for (-K, default every kind the arch and firmware mode have), the
 * rest at random times; after each start or restore no point is taken
 * before a random hold-off.  -X (a debug option) skips the completion: the
 * control run that shows what the completion prevents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vmm.h"

#define SNAP_MAGIC		"VMMSNAP"
#define SNAP_VERSION		1
#define SNAP_EXIT		3	/* the VMM's status after a snapshot */
#define PAGE			4096
#define QUEUED_START_DELAY_MS	200

static const char *const kind_names[NR_SNAP_KINDS] = {
	[SNAP_MMIO_LOAD] = "mmio_load", [SNAP_MMIO_STORE] = "mmio_store",
	[SNAP_SBI] = "sbi", [SNAP_CPU_ON] = "cpu_on", [SNAP_STOPPED] = "stopped",
	[SNAP_SUSPENDED] = "suspended", [SNAP_SYSTEM_SUSPEND] = "system_suspend",
	[SNAP_QUEUED_START] = "queued_start", [SNAP_ANY] = "any",
};

/* When an exit is several points at once, the rarer kind is taken. */
static const enum snap_kind priority[] = {
	SNAP_SYSTEM_SUSPEND, SNAP_CPU_ON, SNAP_STOPPED, SNAP_SUSPENDED,
	SNAP_SBI, SNAP_MMIO_STORE, SNAP_MMIO_LOAD,
};

/* The schedule, carried from process to process in the file. */
struct snap_sched {
	u64 rng;
	u32 count, taken;	/* snapshots to take in the run, taken */
	u32 want, done;		/* kinds (SNAP_BIT) to take, taken */
	u32 skip_completion;	/* -X */
	u32 pad;
};

/* The file: the header, then the body it sums. */
struct snap_header {
	char magic[8];
	char arch[8];
	u32 version, mode;
	u32 nr_vcpus, pad;
	u64 ram_size;
	u64 size;		/* of the whole file */
	u64 sum;		/* of the body */
};

struct snap_state {
	struct snap_sched sched;
	u32 seq;		/* this snapshot's number in the run, from 1 */
	u32 kind;
	s32 vcpu, target;	/* whose point it is; the queued start's target */
	s32 wake_vcpu;		/* a pending system suspend wakeup: whose */
	u64 wake_in_ns;		/* and in how long */
	u64 t_request;		/* CLOCK_MONOTONIC: when the snapshot began */
	u32 boot;
	u32 console_len;
	char console[1024];
	struct testdev_state testdev;
	u32 pad;
};

struct snap_vcpu {
	u32 mp_state, power;
	u64 start_pc, start_arg, resume_pc, resume_arg;
	u8 suspended, wake, pending, pad[5];
	u32 nr_regs, regs_len;
};

struct snapshot {
	const char *file;
	struct snap_sched s;
	u64 not_before;		/* no point before this (CLOCK_MONOTONIC) */
	/* The snapshot under way */
	enum snap_kind kind;
	int vcpu, target;
	u64 t_request, t_stopped;
	pthread_mutex_t rng_lock;	/* the timer thread draws too */
	/* Restored from a file: what snapshot_apply() applies */
	const struct snap_state *st;
	const u8 **vcpu_state;
	const u8 *arch_state;
	u64 arch_len;
	const u8 *ram;
	u64 nr_pages;
	u64 t_restore;		/* when this process began */
	bool timer_started;
};

static struct vm *snap_vm;

void sbuf_put(struct sbuf *b, const void *p, size_t len)
{
	if (b->len + len > b->size) {
		b->size = (b->len + len) * 2 + 4096;
		b->p = realloc(b->p, b->size);
		if (!b->p)
			die("out of memory");
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void sbuf_align(struct sbuf *b)
{
	static const u8 zero[8];

	sbuf_put(b, zero, -b->len & 7);
}

/* A 64-bit sum of 8-byte words, enough to refuse a damaged file. */
static u64 sum_words(u64 h, const void *p, size_t len)
{
	const u8 *c = p;
	u64 w;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, c + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

static u64 rnd(struct snapshot *s)
{
	u64 x = s->s.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->s.rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static u64 rnd_ms(struct snapshot *s, u64 lo, u64 hi)
{
	u64 ms;

	pthread_mutex_lock(&s->rng_lock);
	ms = lo + rnd(s) % (hi - lo + 1);
	pthread_mutex_unlock(&s->rng_lock);
	return ms;
}

static void sleep_ms(u64 ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static u32 reg_size(u64 id)
{
	return 1U << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/* The kinds this arch and firmware mode can take. */
static u32 kinds_possible(struct vm *vm)
{
	u32 k = SNAP_BIT(SNAP_MMIO_LOAD) | SNAP_BIT(SNAP_MMIO_STORE) | SNAP_BIT(SNAP_ANY);
	bool riscv = !strcmp(arch_name, "riscv");

	if (riscv)
		k |= SNAP_BIT(SNAP_SBI);
	if (vm->mode == FW_VMM)
		k |= SNAP_BIT(SNAP_CPU_ON) | SNAP_BIT(SNAP_STOPPED) | SNAP_BIT(SNAP_SUSPENDED) |
		     SNAP_BIT(SNAP_SYSTEM_SUSPEND);
	else
		k |= SNAP_BIT(SNAP_QUEUED_START);
	/* riscv's SUSP in kvm mode is carried out in the vCPU's thread (sbi.c). */
	if (vm->mode == FW_KVM && !riscv)
		k |= SNAP_BIT(SNAP_SYSTEM_SUSPEND);
	return k;
}

static void kinds_string(u32 mask, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int k = 0; k < NR_SNAP_KINDS; k++)
		if (mask & SNAP_BIT(k))
			len += snprintf(buf + len, len < size ? size - len : 0, "%s%s",
					len ? "," : "", kind_names[k]);
}

void snapshot_init(struct vm *vm, u64 seed, int count, const char *kinds, const char *file,
		   bool skip_completion)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	u32 possible = kinds_possible(vm), want = possible & ~SNAP_BIT(SNAP_ANY);
	char buf[256];

	if (!s)
		die("out of memory");
	pthread_mutex_init(&s->rng_lock, NULL);
	if (kinds) {
		char *list = strdup(kinds), *save = NULL;

		want = 0;
		for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
			int i;

			for (i = 0; i < NR_SNAP_KINDS; i++)
				if (!strcmp(k, kind_names[i]))
					break;
			if (i == NR_SNAP_KINDS || !(possible & SNAP_BIT(i))) {
				kinds_string(possible, buf, sizeof(buf));
				die("-K: \"%s\" is not a snapshot point here (%s)", k, buf);
			}
			if (i != SNAP_ANY)
				want |= SNAP_BIT(i);
		}
		free(list);
	}
	if ((u32)count < (u32)__builtin_popcount(want))
		die("-N %d: fewer snapshots than the %d point kinds asked", count,
		    __builtin_popcount(want));
	s->file = file;
	s->s.rng = (seed ^ 0x9e3779b97f4a7c15ULL) | 1;
	s->s.count = count;
	s->s.want = want;
	s->s.skip_completion = skip_completion;
	vm->snap = s;
	snap_vm = vm;
	kinds_string(want, buf, sizeof(buf));
	note("snapshots: seed %llu, %d snapshots, kinds %s%s, file %s",
	     (unsigned long long)seed, count, buf,
	     skip_completion ? ", completion SKIPPED (-X)" : "", file);
}

/*
 * Asks every vCPU thread to stop before its next KVM_RUN (a queued start:
 * only @target now, the others after a delay in which a CPU_ON can reach
 * it); false if a snapshot or an event is already under way.
 */
static bool request(struct vm *vm, enum snap_kind kind, int vcpu, int target)
{
	struct snapshot *s = vm->snap;

	pthread_mutex_lock(&vm->lock);
	if (vm->event != VM_RUNNING || vm->pause || s->s.taken >= s->s.count) {
		pthread_mutex_unlock(&vm->lock);
		return false;
	}
	vm->pause = true;
	vm->save = false;
	vm->saved = 0;
	s->kind = kind;
	s->vcpu = vcpu;
	s->target = target;
	s->t_request = now_ns();
	for (int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].stop = kind != SNAP_QUEUED_START || i == target;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].stop)
			kick(&vm->vcpus[i]);
	return true;
}

static void *stop_others(void *arg)
{
	struct vm *vm = arg;

	sleep_ms(QUEUED_START_DELAY_MS);
	pthread_mutex_lock(&vm->lock);
	if (vm->pause)
		for (int i = 0; i < vm->nr_vcpus; i++)
			vm->vcpus[i].stop = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (int i = 0; i < vm->nr_vcpus; i++)
		kick(&vm->vcpus[i]);
	return NULL;
}

/* After an exit the vCPU @v handled: a point of a kind still to take? */
void snapshot_point(struct vcpu *v)
{
	struct snapshot *s = v->vm->snap;
	u32 mask = v->points & s->s.want & ~s->s.done;

	if (!mask || now_ns() < s->not_before)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(priority); i++)
		if (mask & SNAP_BIT(priority[i])) {
			request(v->vm, priority[i], v->id, -1);
			return;
		}
}

/*
 * kvm mode: the guest says "vmminfo: online cpuN" before it brings cpuN
 * online (snapshot runs of guest/init).  Stopping that vCPU first, the
 * others later, leaves the CPU_ON that KVM carries out queued on it.
 */
void snapshot_console_line(struct vm *vm, const char *line, size_t len)
{
	struct snapshot *s = vm->snap;
	pthread_t t;
	int cpu;

	if (!(s->s.want & ~s->s.done & SNAP_BIT(SNAP_QUEUED_START)) || now_ns() < s->not_before)
		return;
	if (len > 64 || sscanf(line, "vmminfo: online cpu%d", &cpu) != 1 ||
	    cpu <= 0 || cpu >= vm->nr_vcpus)
		return;
	if (!request(vm, SNAP_QUEUED_START, -1, cpu))
		return;
	if (pthread_create(&t, NULL, stop_others, vm))
		die("pthread_create: snapshot");
	pthread_detach(t);
}

static void console_hook(const char *line, size_t len)
{
	snapshot_console_line(snap_vm, line, len);
}

/* Snapshots at random times, once every point kind asked for is taken. */
static void *timer_thread(void *arg)
{
	struct vm *vm = arg;
	struct snapshot *s = vm->snap;

	for (;;) {
		u64 now = now_ns(), delay = rnd_ms(s, 100, 1500);

		if (now < s->not_before)
			delay += (s->not_before - now) / 1000000;
		sleep_ms(delay);
		if (!(s->s.want & ~s->s.done))
			request(vm, SNAP_ANY, -1, -1);
	}
	return NULL;
}

/* Every start of the vCPU threads: boot, reboot, restore. */
void snapshot_started(struct vm *vm)
{
	struct snapshot *s = vm->snap;
	pthread_t t;

	s->not_before = now_ns() + rnd_ms(s, 200, 1500) * 1000000;
	if (s->st) {
		u64 now = now_ns();

		note("snapshot %u restored: restore=%lluus pause=%lluus", s->st->seq,
		     (unsigned long long)(now - s->t_restore) / 1000,
		     (unsigned long long)(now - s->st->t_request) / 1000);
		s->st = NULL;
	}
	if (s->timer_started || s->s.taken >= s->s.count)
		return;
	s->timer_started = true;
	console_line_hook(console_hook);
	if (pthread_create(&t, NULL, timer_thread, vm))
		die("pthread_create: snapshot timer");
	pthread_detach(t);
}

/*
 * In the vCPU's own thread, every vCPU thread being stopped: complete the
 * last exit (unless -X), then save every register KVM lists and mp_state.
 */
void snapshot_vcpu_save(struct vcpu *v)
{
	struct snapshot *s = v->vm->snap;
	struct kvm_mp_state mp;
	u64 t = now_ns();
	u8 val[256];

	v->pending = v->run->flags & KVM_RUN_NEEDS_COMPLETION;
	if (!s->s.skip_completion)
		vcpu_complete(v);
	v->complete_ns = now_ns() - t;
	if (!v->reg_list) {
		struct kvm_reg_list probe = { .n = 0 };

		if (ioctl(v->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
			die("KVM_GET_REG_LIST on vCPU %d: %s", v->id, strerror(errno));
		v->reg_list = malloc(sizeof(*v->reg_list) + probe.n * sizeof(u64));
		if (!v->reg_list)
			die("out of memory");
		v->reg_list->n = probe.n;
		xioctl(v->fd, KVM_GET_REG_LIST, v->reg_list);
	}
	v->saved.len = 0;
	for (u64 i = 0; i < v->reg_list->n; i++) {
		u64 id = v->reg_list->reg[i];
		struct kvm_one_reg r = { .id = id, .addr = (unsigned long)val };

		if (reg_size(id) > sizeof(val))
			die("vCPU %d: register 0x%llx has %u bytes", v->id,
			    (unsigned long long)id, reg_size(id));
		if (ioctl(v->fd, KVM_GET_ONE_REG, &r))
			die("KVM_GET_ONE_REG 0x%llx on vCPU %d: %s", (unsigned long long)id,
			    v->id, strerror(errno));
		sbuf_put(&v->saved, &id, sizeof(id));
		sbuf_put(&v->saved, val, reg_size(id));
	}
	xioctl(v->fd, KVM_GET_MP_STATE, &mp);
	v->saved_mp_state = mp.mp_state;
}

/* The value of register @id in @v's saved state. */
bool snapshot_reg(const struct vcpu *v, u64 id, u64 *val)
{
	for (size_t off = 0; off + 8 <= v->saved.len;) {
		u64 rid;

		memcpy(&rid, v->saved.p + off, 8);
		if (rid == id && reg_size(id) == 8) {
			memcpy(val, v->saved.p + off + 8, 8);
			return true;
		}
		off += 8 + reg_size(rid);
	}
	return false;
}

static void write_all(int fd, const void *p, size_t len, u64 *sum, const char *file)
{
	const u8 *c = p;

	*sum = sum_words(*sum, p, len);
	while (len) {
		ssize_t n = write(fd, c, len);

		if (n <= 0)
			die("snapshot %s: write: %s", file, strerror(errno));
		c += n;
		len -= n;
	}
}

static bool page_is_zero(const u8 *p)
{
	const u64 *w = (const u64 *)p;

	for (size_t i = 0; i < PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * The guest RAM that is not zero, a page a record: the pages the VMM's
 * mapping has (mincore()) that are not all zero.  A new mapping is zero.
 */
static u64 write_ram(struct vm *vm, int fd, u64 *sum, const char *file)
{
	u64 pages = vm->ram_size / PAGE, n = 0;
	unsigned char *vec = malloc(pages);
	struct sbuf b = { 0 };

	if (!vec || mincore(vm->ram, vm->ram_size, vec))
		die("mincore of guest RAM: %s", strerror(errno));
	for (u64 i = 0; i < pages; i++) {
		if ((vec[i] & 1) && page_is_zero((u8 *)vm->ram + i * PAGE))
			vec[i] = 0;
		n += vec[i] & 1;
	}
	write_all(fd, &n, sizeof(n), sum, file);
	for (u64 i = 0; i < pages; i++) {
		u64 off = i * PAGE;

		if (!(vec[i] & 1))
			continue;
		sbuf_put(&b, &off, sizeof(off));
		sbuf_put(&b, (u8 *)vm->ram + off, PAGE);
		if (b.len >= (1 << 20)) {
			write_all(fd, b.p, b.len, sum, file);
			b.len = 0;
		}
	}
	write_all(fd, b.p, b.len, sum, file);
	free(b.p);
	free(vec);
	return n;
}

/*
 * Every vCPU saved: the rest of the machine, then the file, and exit.  The
 * vCPU that was to have a start queued (kvm mode) must show it: its
 * registers are a start state that has not run; else the snapshot counts
 * as one at a random time.
 */
void snapshot_take(struct vm *vm)
{
	struct snapshot *s = vm->snap;
	struct snap_header h = { .magic = SNAP_MAGIC, .version = SNAP_VERSION };
	struct snap_state st = { 0 };
	struct sbuf b = { 0 };
	u64 t_saved = now_ns(), complete = 0, sum = 0, pages;
	char tmp[4096], who[96] = "";
	int fd, pending = 0;

	if (s->kind == SNAP_QUEUED_START) {
		struct vcpu *t = &vm->vcpus[s->target];

		if (t->saved_mp_state == KVM_MP_STATE_RUNNABLE && arch_at_entry(t))
			snprintf(who, sizeof(who), " (vCPU %d at its entry point)", t->id);
		else
			s->kind = SNAP_ANY;
	} else if (s->vcpu >= 0) {
		snprintf(who, sizeof(who), " (vCPU %d)", s->vcpu);
	}
	s->s.taken++;
	s->s.done |= SNAP_BIT(s->kind);
	st.sched = s->s;
	st.seq = s->s.taken;
	st.kind = s->kind;
	st.vcpu = s->vcpu;
	st.target = s->target;
	st.t_request = s->t_request;
	st.boot = vm->boot;
	st.console_len = console_save(st.console, sizeof(st.console));
	st.testdev = testdev_save();
	st.wake_vcpu = -1;
	pthread_mutex_lock(&vm->lock);
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct snap_vcpu sv = {
			.mp_state = v->saved_mp_state, .power = v->power,
			.start_pc = v->start_pc, .start_arg = v->start_arg,
			.resume_pc = v->resume_pc, .resume_arg = v->resume_arg,
			.suspended = v->suspended, .wake = v->wake, .pending = v->pending,
			.regs_len = v->saved.len,
		};

		for (size_t off = 0; off < v->saved.len; sv.nr_regs++) {
			u64 id;

			memcpy(&id, v->saved.p + off, 8);
			off += 8 + reg_size(id);
		}
		sbuf_put(&b, &sv, sizeof(sv));
		sbuf_put(&b, v->saved.p, v->saved.len);
		sbuf_align(&b);
		pending += v->pending;
		if (v->complete_ns > complete)
			complete = v->complete_ns;
		if (vm->wake_at && v->suspended && st.wake_vcpu < 0) {
			u64 now = now_ns();

			st.wake_vcpu = i;
			st.wake_in_ns = vm->wake_at > now ? vm->wake_at - now : 0;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	{
		struct sbuf a = { 0 };
		u64 len;

		arch_snapshot_save(vm, &a);
		len = a.len;
		sbuf_put(&b, &len, sizeof(len));
		sbuf_put(&b, a.p, a.len);
		sbuf_align(&b);
		free(a.p);
	}

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("snapshot %s: %s", tmp, strerror(errno));
	write_all(fd, &h, sizeof(h), &sum, tmp);
	sum = 0;
	write_all(fd, &st, sizeof(st), &sum, tmp);
	write_all(fd, b.p, b.len, &sum, tmp);
	pages = write_ram(vm, fd, &sum, tmp);
	memcpy(h.arch, arch_name, strlen(arch_name));
	h.mode = vm->mode;
	h.nr_vcpus = vm->nr_vcpus;
	h.ram_size = vm->ram_size;
	h.size = lseek(fd, 0, SEEK_CUR);
	h.sum = sum;
	if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h) || close(fd) || rename(tmp, s->file))
		die("snapshot %s: %s", s->file, strerror(errno));
	note("snapshot %u/%u %s%s written to %s: size=%lluKiB pages=%llu stop=%lluus "
	     "complete=%lluus pending=%d%s save=%lluus",
	     st.seq, s->s.count, kind_names[s->kind], who, s->file,
	     (unsigned long long)h.size >> 10, (unsigned long long)pages,
	     (unsigned long long)(t_saved - s->t_request) / 1000,
	     (unsigned long long)complete / 1000, pending,
	     s->s.skip_completion ? " (not completed: -X)" : "",
	     (unsigned long long)(now_ns() - t_saved) / 1000);
	exit(SNAP_EXIT);
}

/* Reading a file: every read is bounded, a short one is a damaged file. */
struct reader {
	const u8 *p;
	u64 left;
	const char *file;
};

static const void *take(struct reader *r, u64 len, const char *what)
{
	const void *p = r->p;

	if (len > r->left)
		die("snapshot %s: damaged: %s runs past the end of the file", r->file, what);
	r->p += len;
	r->left -= len;
	return p;
}

static void take_align(struct reader *r, u64 len)
{
	take(r, -len & 7, "padding");
}

/*
 * Reads and checks the whole file before any VM exists: a file that is not
 * a snapshot, of another arch, vCPU count, RAM size or firmware mode,
 * truncated or damaged is refused, saying which.
 */
void snapshot_load(struct vm *vm, const char *file, const char *next)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	const struct snap_header *h;
	struct reader r = { .file = file };
	struct stat sb;
	char arch[9] = "";
	u8 *p;
	int fd;

	s->vcpu_state = calloc(vm->nr_vcpus, sizeof(*s->vcpu_state));
	if (!s || !s->vcpu_state)
		die("out of memory");
	pthread_mutex_init(&s->rng_lock, NULL);
	s->t_restore = now_ns();
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb))
		die("snapshot %s: %s", file, strerror(errno));
	if ((u64)sb.st_size < sizeof(*h))
		die("snapshot %s: truncated: %llu bytes, less than a header", file,
		    (unsigned long long)sb.st_size);
	p = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("snapshot %s: mmap: %s", file, strerror(errno));
	close(fd);
	h = (const void *)p;
	if (memcmp(h->magic, SNAP_MAGIC, sizeof(SNAP_MAGIC)) || h->version != SNAP_VERSION)
		die("snapshot %s: not a snapshot of this VMM (version %d)", file, SNAP_VERSION);
	memcpy(arch, h->arch, 8);
	if (strcmp(arch, arch_name))
		die("snapshot %s: its VM is %s, this VMM runs %s VMs", file, arch, arch_name);
	if ((int)h->nr_vcpus != vm->nr_vcpus)
		die("snapshot %s: %u vCPUs, -n asks for %d", file, h->nr_vcpus, vm->nr_vcpus);
	if (h->ram_size != vm->ram_size)
		die("snapshot %s: %llu MiB of RAM, -m asks for %llu", file,
		    (unsigned long long)h->ram_size >> 20, (unsigned long long)vm->ram_size >> 20);
	if (h->mode != vm->mode)
		die("snapshot %s: taken with -f %s", file, h->mode == FW_KVM ? "kvm" : "vmm");
	if (h->size != (u64)sb.st_size)
		die("snapshot %s: truncated or extended: %llu bytes, its header says %llu", file,
		    (unsigned long long)sb.st_size, (unsigned long long)h->size);
	if (sum_words(0, p + sizeof(*h), h->size - sizeof(*h)) != h->sum)
		die("snapshot %s: damaged: its checksum does not match", file);

	r.p = p + sizeof(*h);
	r.left = h->size - sizeof(*h);
	s->st = take(&r, sizeof(*s->st), "the VMM state");
	if (s->st->console_len > sizeof(s->st->console) || s->st->kind >= NR_SNAP_KINDS ||
	    s->st->wake_vcpu >= vm->nr_vcpus)
		die("snapshot %s: damaged: the VMM state is out of range", file);
	for (int i = 0; i < vm->nr_vcpus; i++) {
		const struct snap_vcpu *sv = take(&r, sizeof(*sv), "a vCPU's state");
		struct reader regs;

		s->vcpu_state[i] = (const u8 *)sv;
		regs.p = take(&r, sv->regs_len, "a vCPU's registers");
		regs.left = sv->regs_len;
		regs.file = file;
		take_align(&r, sv->regs_len);
		if (sv->power > CPU_ON)
			die("snapshot %s: damaged: vCPU %d's power state", file, i);
		for (u32 n = 0; n < sv->nr_regs; n++) {
			const u64 *id = take(&regs, 8, "a register id");

			take(&regs, reg_size(*id), "a register value");
		}
		if (regs.left)
			die("snapshot %s: damaged: vCPU %d has more registers than it says", file, i);
	}
	s->arch_len = *(const u64 *)take(&r, 8, "the device state's size");
	s->arch_state = take(&r, s->arch_len, "the device state");
	take_align(&r, s->arch_len);
	s->nr_pages = *(const u64 *)take(&r, 8, "the page count");
	if (s->nr_pages > vm->ram_size / PAGE)
		die("snapshot %s: damaged: more pages than RAM", file);
	s->ram = take(&r, s->nr_pages * (8 + PAGE), "the RAM");
	if (r.left)
		die("snapshot %s: damaged: %llu bytes after the RAM", file,
		    (unsigned long long)r.left);
	for (u64 i = 0; i < s->nr_pages; i++) {
		u64 off;

		memcpy(&off, s->ram + i * (8 + PAGE), 8);
		if (off % PAGE || off >= vm->ram_size)
			die("snapshot %s: damaged: a page outside RAM", file);
	}
	s->file = next;
	s->s = s->st->sched;
	vm->snap = s;
	snap_vm = vm;
}

/* The largest saved value of a counter register: the VM's one counter. */
static u64 counter_max(struct vm *vm, u64 id)
{
	struct snapshot *s = vm->snap;
	u64 max = 0;

	for (int i = 0; i < vm->nr_vcpus; i++) {
		const struct snap_vcpu *sv = (const void *)s->vcpu_state[i];
		const u8 *p = (const u8 *)(sv + 1), *end = p + sv->regs_len;

		while (p < end) {
			u64 rid, val;

			memcpy(&rid, p, 8);
			if (rid == id) {
				memcpy(&val, p + 8, 8);
				if (val > max)
					max = val;
			}
			p += 8 + reg_size(rid);
		}
	}
	return max;
}

/*
 * Into the new VM (its vCPUs created, not run): registers, mp_state, the
 * arch's devices, RAM and the VMM's state.  The counter registers of every
 * vCPU get the largest saved value: they set one offset for the whole VM,
 * and the guest's time must not go back.
 */
void snapshot_apply(struct vm *vm)
{
	struct snapshot *s = vm->snap;
	const struct snap_state *st = s->st;
	const char *err;

	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		const struct snap_vcpu *sv = (const void *)s->vcpu_state[i];
		const u8 *p = (const u8 *)(sv + 1), *end = p + sv->regs_len;

		while (p < end) {
			struct kvm_one_reg r;
			u64 id, val;

			memcpy(&id, p, 8);
			r.id = id;
			r.addr = (unsigned long)(p + 8);
			if (arch_reg_is_counter(id)) {
				val = counter_max(vm, id);
				r.addr = (unsigned long)&val;
			}
			if (ioctl(v->fd, KVM_SET_ONE_REG, &r))
				die("restoring vCPU %d: KVM_SET_ONE_REG 0x%llx: %s", i,
				    (unsigned long long)id, strerror(errno));
			p += 8 + reg_size(id);
		}
		set_mp_state(v, sv->mp_state);
		v->power = sv->power;
		v->start_pc = sv->start_pc;
		v->start_arg = sv->start_arg;
		v->resume_pc = sv->resume_pc;
		v->resume_arg = sv->resume_arg;
		v->suspended = sv->suspended;
		v->wake = sv->wake;
	}
	err = arch_snapshot_restore(vm, s->arch_state, s->arch_len);
	if (err)
		die("restoring the devices: %s", err);
	for (u64 i = 0; i < s->nr_pages; i++) {
		const u8 *rec = s->ram + i * (8 + PAGE);
		u64 off;

		memcpy(&off, rec, 8);
		memcpy((u8 *)vm->ram + off, rec + 8, PAGE);
	}
	testdev_restore(&st->testdev);
	console_restore(st->console, st->console_len);
	vm->boot = st->boot;
	if (st->wake_vcpu >= 0)
		wake_after(&vm->vcpus[st->wake_vcpu], st->wake_in_ns / 1000000);
}

/* At power off: what the run took. */
void snapshot_end(struct vm *vm)
{
	struct snapshot *s = vm->snap;
	char done[256], missed[256];

	kinds_string(s->s.done & ~SNAP_BIT(SNAP_ANY), done, sizeof(done));
	kinds_string(s->s.want & ~s->s.done, missed, sizeof(missed));
	note("snapshots: %u of %u taken; kinds taken: %s; not taken: %s", s->s.taken,
	     s->s.count, done[0] ? done : "none", missed[0] ? missed : "none");
}
