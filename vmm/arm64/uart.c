// SPDX-License-Identifier: GPL-2.0
/*
 * A PL011 UART (ARM DDI 0183), as much of it as Linux's amba-pl011 driver
 * uses: transmit only, a transmit FIFO that is always empty, the interrupt
 * mask and its SPI, the identification registers the AMBA bus reads.
 * Registers not listed read as zero and ignore writes.
 */
#include <pthread.h>

#include "arm64.h"

#define UARTDR		0x000
#define UARTFR		0x018
#define UARTIMSC	0x038
#define UARTRIS		0x03c
#define UARTMIS		0x040
#define UARTICR		0x044
#define UARTPERIPHID0	0xfe0

#define FR_RXFE		(1 << 4)
#define FR_TXFE		(1 << 7)
#define INT_TX		(1 << 5)

/* PrimeCell peripheral ID 0x00041011, cell ID 0xb105f00d, a byte a word. */
static const u8 id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static pthread_mutex_t uart_lock = PTHREAD_MUTEX_INITIALIZER;
static u32 imsc;

/* The transmit interrupt is raised while the (always empty) FIFO is unmasked. */
static void update_irq(struct vm *vm)
{
	gic_set_spi(vm, UART_SPI, !!(imsc & INT_TX));
}

bool uart_mmio(struct vcpu *v, u64 addr, u8 *data, u32 len, bool write)
{
	u64 off = addr - UART_BASE;
	u32 val = 0;

	if (addr < UART_BASE || off >= UART_SIZE || len > 4)
		return false;
	for (u32 i = 0; write && i < len; i++)
		val |= (u32)data[i] << (8 * i);
	pthread_mutex_lock(&uart_lock);
	if (write) {
		switch (off) {
		case UARTDR:
			console_putc(v->id, val & 0xff);
			break;
		case UARTIMSC:
			imsc = val & 0x7ff;
			update_irq(v->vm);
			break;
		}
	} else {
		if (off == UARTFR)
			val = FR_TXFE | FR_RXFE;
		else if (off == UARTIMSC)
			val = imsc;
		else if (off == UARTRIS)
			val = INT_TX;
		else if (off == UARTMIS)
			val = INT_TX & imsc;
		else if (off >= UARTPERIPHID0 && (off - UARTPERIPHID0) / 4 < sizeof(id))
			val = id[(off - UARTPERIPHID0) / 4];
		for (u32 i = 0; i < len; i++)
			data[i] = val >> (8 * i);
	}
	pthread_mutex_unlock(&uart_lock);
	return true;
}

/* Snapshots: the interrupt mask is the UART's only state. */
u32 uart_save(void)
{
	return imsc;
}

void uart_restore(struct vm *vm, u32 state)
{
	pthread_mutex_lock(&uart_lock);
	imsc = state & 0x7ff;
	update_irq(vm);
	pthread_mutex_unlock(&uart_lock);
}
