// SPDX-License-Identifier: GPL-2.0
/*
 * What every arch's device tree has: the root node, /chosen (bootargs,
 * the initramfs, the console) and the memory node.  The arch adds its CPUs
 * and devices between fdt_begin() and fdt_end().
 */
#include <stdio.h>

#include "fdt.h"

void *fdt;

void fdt_check(int err, const char *what)
{
	if (err)
		die("device tree: %s: %s", what, fdt_strerror(err));
}

void fdt_begin(struct vm *vm, void *buf, size_t size, u32 interrupt_parent,
	       const char *stdout_path)
{
	u64 reg[2] = { cpu_to_fdt64(vm->ram_base), cpu_to_fdt64(vm->ram_size) };
	char name[32];

	fdt = buf;
	FDT(fdt_create(fdt, size));
	FDT(fdt_finish_reservemap(fdt));
	FDT(fdt_begin_node(fdt, ""));
	FDT(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	FDT(fdt_property_string(fdt, "model", "kvm-lifecycle reference VMM"));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	if (interrupt_parent)
		FDT(fdt_property_u32(fdt, "interrupt-parent", interrupt_parent));

	FDT(fdt_begin_node(fdt, "chosen"));
	FDT(fdt_property_string(fdt, "bootargs", vm->bootargs));
	if (stdout_path)
		FDT(fdt_property_string(fdt, "stdout-path", stdout_path));
	if (vm->initrd_end) {
		FDT(fdt_property_u64(fdt, "linux,initrd-start", vm->initrd_start));
		FDT(fdt_property_u64(fdt, "linux,initrd-end", vm->initrd_end));
	}
	FDT(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)vm->ram_base);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "device_type", "memory"));
	FDT(fdt_property(fdt, "reg", reg, sizeof(reg)));
	FDT(fdt_end_node(fdt));
}

void fdt_end(void)
{
	FDT(fdt_end_node(fdt));
	FDT(fdt_finish(fdt));
}
