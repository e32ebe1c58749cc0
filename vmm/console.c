// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's console: bytes the guest writes (SBI console calls on riscv,
 * the UART on arm64) go to stdout a line at a time, so that lines of two
 * vCPUs do not interleave within a line.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "vmm.h"

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static char line[1024];
static size_t len;

static void flush_locked(void)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, line + done, len - done);

		if (n <= 0)
			break;
		done += n;
	}
	len = 0;
}

void console_putc(int id, char c)
{
	(void)id;
	pthread_mutex_lock(&console_lock);
	if (c != '\r')
		line[len++] = c;
	if (c == '\n' || len == sizeof(line))
		flush_locked();
	pthread_mutex_unlock(&console_lock);
}

void console_flush(void)
{
	pthread_mutex_lock(&console_lock);
	flush_locked();
	pthread_mutex_unlock(&console_lock);
}
