// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's console: bytes the guest writes (SBI console calls on riscv,
 * the UART on arm64) go to stdout a line at a time, so that lines of two
 * vCPUs do not interleave within a line.  With timestamps (-t), each line
 * and each note of the VMM starts with the seconds since the VMM started.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static char line[1024];
static size_t len;
static bool timestamps;
static struct timespec t0;
static void (*line_hook)(const char *line, size_t len);

void console_init(bool stamp)
{
	timestamps = stamp;
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

/* The line's prefix: "S.mmm " since console_init(), or nothing. */
static int prefix(char *buf, size_t size)
{
	struct timespec t;
	long ms;

	if (!timestamps)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
	return snprintf(buf, size, "%ld.%03ld ", ms / 1000, ms % 1000);
}

static void write_all(const char *buf, size_t n)
{
	while (n) {
		ssize_t done = write(STDOUT_FILENO, buf, n);

		if (done <= 0)
			return;
		buf += done;
		n -= done;
	}
}

static void flush_locked(void)
{
	char pre[32];

	if (!len)
		return;
	if (line_hook && line[len - 1] == '\n')
		line_hook(line, len);
	write_all(pre, prefix(pre, sizeof(pre)));
	write_all(line, len);
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

/* @fn sees each whole line the guest writes (with the console's lock held). */
void console_line_hook(void (*fn)(const char *line, size_t len))
{
	line_hook = fn;
}

/* A snapshot keeps the line the guest has not finished, for the next VMM. */
size_t console_save(char *buf, size_t size)
{
	size_t n;

	pthread_mutex_lock(&console_lock);
	n = len < size ? len : size;
	memcpy(buf, line, n);
	pthread_mutex_unlock(&console_lock);
	return n;
}

void console_restore(const char *buf, size_t n)
{
	pthread_mutex_lock(&console_lock);
	len = n < sizeof(line) ? n : sizeof(line);
	memcpy(line, buf, len);
	pthread_mutex_unlock(&console_lock);
}

void console_flush(void)
{
	pthread_mutex_lock(&console_lock);
	flush_locked();
	pthread_mutex_unlock(&console_lock);
}

/* A note of the VMM on stderr: "vmm: ...". */
void note(const char *fmt, ...)
{
	char pre[32];
	va_list ap;

	prefix(pre, sizeof(pre));
	fprintf(stderr, "%svmm: ", timestamps ? pre : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
