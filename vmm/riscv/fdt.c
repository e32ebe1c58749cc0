// SPDX-License-Identifier: GPL-2.0
/*
 * The riscv device tree: memory, the harts (ISA and MMU as KVM reports
 * them for vCPU 0, each with its riscv,cpu-intc), the idle states for
 * cpuidle-riscv-sbi (SBI HSM HART_SUSPEND) and /chosen.  No interrupt
 * controller or device: the console and the timer are SBI calls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../fdt.h"
#include "riscv.h"

#define PHANDLE_IDLE_RET	1
#define PHANDLE_IDLE_NONRET	2
#define PHANDLE_INTC(cpu)	(16 + (cpu))

/* The ISA extensions KVM offers the vCPU, as riscv,isa-extensions. */
static size_t isa_extensions(struct vcpu *v, char *buf, size_t size)
{
	static const struct { int id; const char *name; } ext[] = {
		{ KVM_RISCV_ISA_EXT_ZICNTR, "zicntr" },
		{ KVM_RISCV_ISA_EXT_ZICSR, "zicsr" },
		{ KVM_RISCV_ISA_EXT_ZIFENCEI, "zifencei" },
		{ KVM_RISCV_ISA_EXT_ZIHINTPAUSE, "zihintpause" },
		{ KVM_RISCV_ISA_EXT_ZIHPM, "zihpm" },
		{ KVM_RISCV_ISA_EXT_ZBA, "zba" },
		{ KVM_RISCV_ISA_EXT_ZBB, "zbb" },
		{ KVM_RISCV_ISA_EXT_ZBS, "zbs" },
		{ KVM_RISCV_ISA_EXT_SSTC, "sstc" },
		{ KVM_RISCV_ISA_EXT_SVPBMT, "svpbmt" },
	};
	u64 isa = get_one_reg(v, CONFIG_REG(isa));
	size_t len = 0;

	for (int c = 'a'; c <= 'z'; c++)
		if (isa & (1ULL << (c - 'a')))
			len += snprintf(buf + len, size - len, "%c", c) + 1;
	for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
		struct kvm_one_reg r = { .id = ISA_EXT_REG(ext[i].id) };
		u64 on = 0;

		r.addr = (unsigned long)&on;
		/* An extension this KVM does not know is not offered. */
		if (ioctl(v->fd, KVM_GET_ONE_REG, &r) == 0 && on)
			len += snprintf(buf + len, size - len, "%s", ext[i].name) + 1;
	}
	return len;
}

static void idle_state(const char *name, u32 phandle, u32 param, u32 exit_us)
{
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "compatible", "riscv,idle-state"));
	FDT(fdt_property_u32(fdt, "riscv,sbi-suspend-param", param));
	FDT(fdt_property_u32(fdt, "entry-latency-us", exit_us));
	FDT(fdt_property_u32(fdt, "exit-latency-us", exit_us));
	FDT(fdt_property_u32(fdt, "min-residency-us", 4 * exit_us));
	FDT(fdt_property_u32(fdt, "phandle", phandle));
	FDT(fdt_end_node(fdt));
}

static void cpus(struct vm *vm)
{
	static const char *const mmu[] = { [8] = "riscv,sv39", [9] = "riscv,sv48",
					   [10] = "riscv,sv57" };
	struct vcpu *v0 = &vm->vcpus[0];
	u64 satp_mode = get_one_reg(v0, CONFIG_REG(satp_mode));
	u32 idle[] = { cpu_to_fdt32(PHANDLE_IDLE_RET), cpu_to_fdt32(PHANDLE_IDLE_NONRET) };
	char exts[512], name[32];
	size_t exts_len = isa_extensions(v0, exts, sizeof(exts));

	if (satp_mode >= ARRAY_SIZE(mmu) || !mmu[satp_mode])
		die("KVM reports satp mode %llu, which has no mmu-type",
		    (unsigned long long)satp_mode);
	FDT(fdt_begin_node(fdt, "cpus"));
	FDT(fdt_property_u32(fdt, "#address-cells", 1));
	FDT(fdt_property_u32(fdt, "#size-cells", 0));
	FDT(fdt_property_u32(fdt, "timebase-frequency", get_one_reg(v0, TIMER_REG(frequency))));

	FDT(fdt_begin_node(fdt, "idle-states"));
	idle_state("cpu-retentive", PHANDLE_IDLE_RET, SBI_SUSPEND_RETENTIVE, 10);
	idle_state("cpu-nonretentive", PHANDLE_IDLE_NONRET, SBI_SUSPEND_NON_RETENTIVE, 100);
	FDT(fdt_end_node(fdt));

	for (int i = 0; i < vm->nr_vcpus; i++) {
		snprintf(name, sizeof(name), "cpu@%d", i);
		FDT(fdt_begin_node(fdt, name));
		FDT(fdt_property_string(fdt, "device_type", "cpu"));
		FDT(fdt_property_u32(fdt, "reg", i));
		FDT(fdt_property_string(fdt, "compatible", "riscv"));
		FDT(fdt_property_string(fdt, "status", "okay"));
		FDT(fdt_property_string(fdt, "riscv,isa-base", "rv64i"));
		FDT(fdt_property(fdt, "riscv,isa-extensions", exts, exts_len));
		FDT(fdt_property_string(fdt, "mmu-type", mmu[satp_mode]));
		FDT(fdt_property(fdt, "cpu-idle-states", idle, sizeof(idle)));
		FDT(fdt_begin_node(fdt, "interrupt-controller"));
		FDT(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
		FDT(fdt_property_u32(fdt, "#interrupt-cells", 1));
		FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
		FDT(fdt_property_u32(fdt, "phandle", PHANDLE_INTC(i)));
		FDT(fdt_end_node(fdt));
		FDT(fdt_end_node(fdt));
	}
	FDT(fdt_end_node(fdt));
}

void arch_fdt(struct vm *vm, void *buf, size_t size)
{
	fdt_begin(vm, buf, size, 0, NULL);
	cpus(vm);
	fdt_end();
}
