// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 device tree: memory, the CPUs (enable-method psci, an idle
 * state for cpuidle-psci), psci with method hvc, the vGICv3, the arch
 * timer, the PL011 and /chosen.
 */
#include <stdio.h>

#include "../fdt.h"
#include "arm64.h"

#define PHANDLE_GIC		1
#define PHANDLE_CLK		2
#define PHANDLE_IDLE		3

#define GIC_SPI			0
#define GIC_PPI			1
#define IRQ_LEVEL_HIGH		4

static void prop_cells(const char *name, const u32 *cells, int n)
{
	u32 be[12];

	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	FDT(fdt_property(fdt, name, be, n * sizeof(u32)));
}

static void reg(u64 base, u64 size)
{
	u64 r[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	FDT(fdt_property(fdt, "reg", r, sizeof(r)));
}

static void cpus(struct vm *vm)
{
	char name[32];

	FDT(fdt_begin_node(fdt, "cpus"));
	FDT(fdt_property_u32(fdt, "#address-cells", 1));
	FDT(fdt_property_u32(fdt, "#size-cells", 0));
	/* PSCI standby (power_state 1: StateType 0, StateID 1): retentive. */
	FDT(fdt_begin_node(fdt, "idle-states"));
	FDT(fdt_property_string(fdt, "entry-method", "psci"));
	FDT(fdt_begin_node(fdt, "cpu-standby"));
	FDT(fdt_property_string(fdt, "compatible", "arm,idle-state"));
	FDT(fdt_property_u32(fdt, "arm,psci-suspend-param", 1));
	FDT(fdt_property_u32(fdt, "entry-latency-us", 10));
	FDT(fdt_property_u32(fdt, "exit-latency-us", 10));
	FDT(fdt_property_u32(fdt, "min-residency-us", 40));
	FDT(fdt_property_u32(fdt, "phandle", PHANDLE_IDLE));
	FDT(fdt_end_node(fdt));
	FDT(fdt_end_node(fdt));
	for (int i = 0; i < vm->nr_vcpus; i++) {
		u32 mpidr = vm->vcpus[i].mpidr & 0xffffff;

		snprintf(name, sizeof(name), "cpu@%x", mpidr);
		FDT(fdt_begin_node(fdt, name));
		FDT(fdt_property_string(fdt, "device_type", "cpu"));
		FDT(fdt_property_string(fdt, "compatible", "arm,armv8"));
		FDT(fdt_property_u32(fdt, "reg", mpidr));
		FDT(fdt_property_string(fdt, "enable-method", "psci"));
		FDT(fdt_property_u32(fdt, "cpu-idle-states", PHANDLE_IDLE));
		FDT(fdt_end_node(fdt));
	}
	FDT(fdt_end_node(fdt));
}

static void devices(struct vm *vm)
{
	char name[48];

	FDT(fdt_begin_node(fdt, "psci"));
	FDT(fdt_property(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2", 26));
	FDT(fdt_property_string(fdt, "method", "hvc"));
	FDT(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "intc@%llx", GIC_DIST_BASE);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	FDT(fdt_property_u32(fdt, "#interrupt-cells", 3));
	FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
	{
		u64 r[4] = { cpu_to_fdt64(GIC_DIST_BASE), cpu_to_fdt64(GIC_DIST_SIZE),
			     cpu_to_fdt64(GIC_REDIST_BASE),
			     cpu_to_fdt64(GIC_REDIST_SIZE * vm->nr_vcpus) };

		FDT(fdt_property(fdt, "reg", r, sizeof(r)));
	}
	FDT(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	FDT(fdt_end_node(fdt));

	FDT(fdt_begin_node(fdt, "timer"));
	FDT(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	{
		/* secure, non-secure, virtual, hypervisor PPIs */
		u32 irqs[] = { GIC_PPI, 13, IRQ_LEVEL_HIGH, GIC_PPI, 14, IRQ_LEVEL_HIGH,
			       GIC_PPI, 11, IRQ_LEVEL_HIGH, GIC_PPI, 10, IRQ_LEVEL_HIGH };

		prop_cells("interrupts", irqs, 12);
	}
	FDT(fdt_property(fdt, "always-on", NULL, 0));
	FDT(fdt_end_node(fdt));

	FDT(fdt_begin_node(fdt, "apb-pclk"));
	FDT(fdt_property_string(fdt, "compatible", "fixed-clock"));
	FDT(fdt_property_u32(fdt, "#clock-cells", 0));
	FDT(fdt_property_u32(fdt, "clock-frequency", 24000000));
	FDT(fdt_property_u32(fdt, "phandle", PHANDLE_CLK));
	FDT(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "uart@%llx", UART_BASE);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property(fdt, "compatible", "arm,pl011\0arm,primecell", 24));
	reg(UART_BASE, UART_SIZE);
	{
		u32 irq[] = { GIC_SPI, UART_SPI, IRQ_LEVEL_HIGH };
		u32 clks[] = { PHANDLE_CLK, PHANDLE_CLK };

		prop_cells("interrupts", irq, 3);
		prop_cells("clocks", clks, 2);
	}
	FDT(fdt_property(fdt, "clock-names", "uartclk\0apb_pclk", 17));
	FDT(fdt_end_node(fdt));
}

void arch_fdt(struct vm *vm, void *buf, size_t size)
{
	char uart[32];

	snprintf(uart, sizeof(uart), "/uart@%llx", UART_BASE);
	fdt_begin(vm, buf, size, PHANDLE_GIC, uart);
	cpus(vm);
	devices(vm);
	fdt_end();
}
