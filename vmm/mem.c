// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM and the boot images: the kernel at RAM + the arch's offset, the
 * device tree at the top of RAM, the initramfs right below it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define SZ_2M	(2ULL << 20)

void ram_alloc(struct vm *vm)
{
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		die("%llu MiB of guest RAM: %s", (unsigned long long)vm->ram_size >> 20,
		    strerror(errno));
}

void *gpa_to_hva(struct vm *vm, u64 gpa, u64 len)
{
	if (gpa < vm->ram_base || len > vm->ram_size ||
	    gpa - vm->ram_base > vm->ram_size - len)
		return NULL;
	return (char *)vm->ram + (gpa - vm->ram_base);
}

/* Whether @addr is in guest RAM: what the firmware accepts as an entry point. */
bool gpa_in_ram(struct vm *vm, u64 addr)
{
	return gpa_to_hva(vm, addr, 4) != NULL;
}

/* Reads the whole of @path into guest RAM at @gpa, at most @max bytes. */
static u64 load_file(struct vm *vm, const char *path, u64 gpa, u64 max, const char *what)
{
	struct stat st;
	u64 done = 0;
	void *dst;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		die("%s %s: not a non-empty regular file", what, path);
	if ((u64)st.st_size > max)
		die("%s %s: %llu bytes do not fit in the %llu bytes of RAM left for it",
		    what, path, (unsigned long long)st.st_size, (unsigned long long)max);
	dst = gpa_to_hva(vm, gpa, st.st_size);
	while (done < (u64)st.st_size) {
		ssize_t n = read(fd, (char *)dst + done, st.st_size - done);

		if (n <= 0)
			die("%s %s: read: %s", what, path, n ? strerror(errno) : "short file");
		done += n;
	}
	close(fd);
	return done;
}

/* Loads the kernel, the initramfs and the device tree. */
void load_images(struct vm *vm, u64 kernel_offset, u64 fdt_max)
{
	u64 ram_end = vm->ram_base + vm->ram_size;
	u64 kernel_end, size;
	const char *err;
	struct stat st;

	if (vm->ram_size <= kernel_offset + fdt_max)
		die("%llu MiB of RAM leave no room for a kernel",
		    (unsigned long long)vm->ram_size >> 20);
	/* Zero RAM: its pages are dropped, so only what the guest touches is resident. */
	if (madvise(vm->ram, vm->ram_size, MADV_DONTNEED))
		die("madvise of guest RAM: %s", strerror(errno));
	vm->entry = vm->ram_base + kernel_offset;
	size = load_file(vm, vm->kernel, vm->entry, vm->ram_size - kernel_offset - fdt_max,
			 "kernel");
	kernel_end = vm->entry + size;
	err = arch_kernel_check(gpa_to_hva(vm, vm->entry, size), size);
	if (err)
		die("kernel %s: %s", vm->kernel, err);
	vm->fdt_addr = ram_end - fdt_max;
	vm->initrd_start = vm->initrd_end = 0;
	if (vm->initrd) {
		if (stat(vm->initrd, &st) < 0)
			die("initramfs %s: %s", vm->initrd, strerror(errno));
		/* Below the device tree, 2 MiB aligned, above the kernel. */
		if (vm->fdt_addr < kernel_end + SZ_2M ||
		    (u64)st.st_size > vm->fdt_addr - kernel_end - SZ_2M)
			die("initramfs %s: %llu bytes do not fit in %llu MiB of RAM",
			    vm->initrd, (unsigned long long)st.st_size,
			    (unsigned long long)vm->ram_size >> 20);
		vm->initrd_start = (vm->fdt_addr - st.st_size) & ~(SZ_2M - 1);
		size = load_file(vm, vm->initrd, vm->initrd_start,
				 vm->fdt_addr - vm->initrd_start, "initramfs");
		vm->initrd_end = vm->initrd_start + size;
	}
	arch_fdt(vm, gpa_to_hva(vm, vm->fdt_addr, fdt_max), fdt_max);
}
