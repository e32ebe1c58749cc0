// SPDX-License-Identifier: GPL-2.0
/*
 * A test device whose loads and stores have effects, so that an access the
 * guest made once but the VMM saw twice, or never, shows: what a snapshot
 * taken before an MMIO exit is completed (api.rst, KVM_CAP_NEEDS_COMPLETION)
 * would do.  The guest reaches it through /dev/mem (busybox devmem); it is
 * not in the device tree.  32-bit registers:
 *
 *   0x0  SEQ     read: the next number of the device's sequence, 0, 1, ...
 *   0x4  NEXT    write: the next number of the guest's sequence, 1, 2, ...;
 *                a value other than the last one + 1 counts as an error.
 *                read: the last value written
 *   0x8  ERRORS  read: how many writes to NEXT were out of sequence
 */
#include <pthread.h>

#include "vmm.h"

#define TESTDEV_SEQ	0x0
#define TESTDEV_NEXT	0x4
#define TESTDEV_ERRORS	0x8

static pthread_mutex_t testdev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct testdev_state state;

void testdev_reset(void)
{
	state = (struct testdev_state){ 0 };
}

struct testdev_state testdev_save(void)
{
	return state;
}

void testdev_restore(const struct testdev_state *s)
{
	state = *s;
}

bool testdev_mmio(u64 addr, u8 *data, u32 len, bool write)
{
	u64 off = addr - arch_testdev_base;
	u32 val = 0;

	if (addr < arch_testdev_base || off >= TESTDEV_SIZE || len != 4)
		return false;
	pthread_mutex_lock(&testdev_lock);
	if (write) {
		for (u32 i = 0; i < len; i++)
			val |= (u32)data[i] << (8 * i);
		if (off == TESTDEV_NEXT) {
			if (val != state.next + 1)
				state.errors++;
			state.next = val;
		}
	} else {
		if (off == TESTDEV_SEQ)
			val = state.seq++;
		else if (off == TESTDEV_NEXT)
			val = state.next;
		else if (off == TESTDEV_ERRORS)
			val = state.errors;
		for (u32 i = 0; i < len; i++)
			data[i] = val >> (8 * i);
	}
	pthread_mutex_unlock(&testdev_lock);
	return true;
}
