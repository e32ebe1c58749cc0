// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: boot Linux with the vCPU lifecycle in the hands of KVM ("kvm") or of
 * this VMM ("vmm").  A guest reboot resets every vCPU and reloads the
 * images; a guest power-off ends the VMM with status 0.  With -S it takes
 * snapshots (snapshot.c): each ends the VMM with status 3, and the same
 * command with -r FILE goes on from it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define FDT_MAX		(64ULL << 10)

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -k KERNEL [-i INITRD] [-c CMDLINE] [-n CPUS] [-m MIB]\n"
		"       [-f kvm|vmm] [-s SUSPEND_WAKE_MS] [-t]\n"
		"       [-S SEED [-N COUNT] [-K KIND,...] [-X]] [-o FILE] [-r FILE]\n"
		"  -f kvm   KVM implements the firmware (PSCI / SBI HSM, SRST)\n"
		"  -f vmm   the VMM does, through the series' UAPI (default)\n"
		"  -s MS    a system suspend lasts MS ms (default 1000)\n"
		"  -t       timestamps on console lines and notes\n"
		"  -S SEED  take snapshots at points drawn from SEED: each is written\n"
		"           to -o FILE (default /tmp/vmm.snap) and ends the VMM with\n"
		"           status 3\n"
		"  -N COUNT snapshots in the run (default 10)\n"
		"  -K KINDS the point kinds each taken once (default: all there are)\n"
		"  -X       debug: save without completing pending exits (a control)\n"
		"  -r FILE  go on from the snapshot FILE, with the options it was taken with\n",
		prog);
	exit(2);
}

static unsigned long number(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long n = strtoul(s, &end, 0);

	if (!*s || *end || n == 0 || n > max)
		die("%s: \"%s\" is not a number from 1 to %lu", what, s, max);
	return n;
}

/* A new VM with its vCPUs ("kvm" mode: at every boot). */
static void machine_create(struct vm *vm)
{
	vm_create(vm);
	arch_vm_init(vm);
	for (int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vcpu_create(vm, &vm->vcpus[i]);
		arch_vcpu_init(&vm->vcpus[i]);
	}
	arch_vm_ready(vm);
}

static void machine_boot_state(struct vm *vm)
{
	testdev_reset();
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		/* In "kvm" mode KVM keeps the power state: all run KVM_RUN. */
		v->power = (i == 0 || vm->mode == FW_KVM) ? CPU_ON : CPU_OFF;
		v->suspended = v->wake = false;
		v->resume_pc = 0;
		arch_boot_state(v, i == 0);
	}
}

int main(int argc, char **argv)
{
	struct vm vm = {
		.mode = FW_VMM,
		.nr_vcpus = 1,
		.ram_size = 256ULL << 20,
		.cmdline = "",
		.suspend_wake_ms = 1000,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	const char *snap_kinds = NULL, *snap_file = NULL, *restore = NULL;
	bool stamp = false, snap = false, snap_skip = false;
	unsigned long seed = 0, snap_count = 10;
	enum vm_event ev;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "k:i:c:n:m:f:s:tS:N:K:Xo:r:h")) != -1) {
		switch (c) {
		case 'S':
			seed = strtoul(optarg, &end, 0);
			if (!*optarg || *end)
				die("-S: \"%s\" is not a number", optarg);
			snap = true;
			break;
		case 'N':
			snap_count = number(optarg, "-N", 1000);
			break;
		case 'K':
			snap_kinds = optarg;
			break;
		case 'X':
			snap_skip = true;
			break;
		case 'o':
			snap_file = optarg;
			break;
		case 'r':
			restore = optarg;
			break;
		case 'k':
			vm.kernel = optarg;
			break;
		case 'i':
			vm.initrd = optarg;
			break;
		case 'c':
			vm.cmdline = optarg;
			break;
		case 'n':
			vm.nr_vcpus = number(optarg, "-n", 4096);
			break;
		case 'm':
			vm.ram_size = (u64)number(optarg, "-m", 1 << 20) << 20;
			break;
		case 's':
			vm.suspend_wake_ms = number(optarg, "-s", 3600000);
			break;
		case 't':
			stamp = true;
			break;
		case 'f':
			if (!strcmp(optarg, "kvm"))
				vm.mode = FW_KVM;
			else if (!strcmp(optarg, "vmm"))
				vm.mode = FW_VMM;
			else
				die("-f: \"%s\" is neither kvm nor vmm", optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!vm.kernel || optind != argc || (snap && restore))
		usage(argv[0]);
	setvbuf(stderr, NULL, _IOLBF, 0);
	console_init(stamp);
	if (restore) {
		snapshot_load(&vm, restore, snap_file ?: restore);
	} else if (snap) {
		snapshot_init(&vm, seed, snap_count, snap_kinds, snap_file ?: "/tmp/vmm.snap",
			      snap_skip);
	}

	vm.ram_base = arch_ram_base;
	vm.vcpus = calloc(vm.nr_vcpus, sizeof(*vm.vcpus));
	if (!vm.vcpus)
		die("out of memory");
	ram_alloc(&vm);
	machine_create(&vm);
	vm.bootargs = malloc(strlen(vm.cmdline) + 32);
	if (!vm.bootargs)
		die("out of memory");
	if (restore)
		snapshot_apply(&vm);
	else
		vm.boot = 1;
	for (;; vm.boot++) {
		if (restore) {
			restore = NULL;
		} else {
			/* The guest learns which boot this is: its RAM is new each time. */
			sprintf(vm.bootargs, "%s vmm.boot=%d", vm.cmdline, vm.boot);
			load_images(&vm, arch_kernel_offset, FDT_MAX);
			machine_boot_state(&vm);
			note("boot %d: %d vCPUs, %llu MiB, %s firmware", vm.boot,
			     vm.nr_vcpus, (unsigned long long)vm.ram_size >> 20,
			     vm.mode == FW_VMM ? "vmm" : "kvm");
		}
		vcpus_start(&vm);
		ev = vcpus_join(&vm);
		console_flush();
		if (ev == VM_OFF) {
			note("power off after %d boots", vm.boot);
			if (vm.snap)
				snapshot_end(&vm);
			return 0;
		}
		if (ev != VM_RESET)
			die("the guest failed in boot %d", vm.boot);
		note("reset");
		if (vm.mode == FW_KVM) {
			/* Without the series' resets, a new VM is the reset. */
			vm_destroy(&vm);
			machine_create(&vm);
		}
	}
}
