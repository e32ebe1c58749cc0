/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_FDT_H
#define VMM_FDT_H

#include <libfdt.h>

#include "vmm.h"

/* The device tree being written (libfdt's sequential-write mode). */
extern void *fdt;

void fdt_check(int err, const char *what);
#define FDT(call) fdt_check(call, #call)

void fdt_begin(struct vm *vm, void *buf, size_t size, u32 interrupt_parent,
	       const char *stdout_path);
void fdt_end(void);

#endif
