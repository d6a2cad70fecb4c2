/*
 * src/common/log.c's interface for the fuzz harnesses, writing nothing:
 * a decoder refusing garbage logs a warning, and millions of them would
 * only slow the run down.  fatal() and fatalx() still abort, loudly.
 * Linked ahead of libcommon.a, so that log.o is not taken from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int	level;

void
log_init(int foreground, int lvl)
{
	level = lvl;
}

void
log_procname(const char *name)
{
}

void
log_setlevel(int lvl)
{
	level = lvl;
}

int
log_getlevel(void)
{
	return level;
}

void
log_warn(const char *fmt, ...)
{
}

void
log_warnx(const char *fmt, ...)
{
}

void
log_info(const char *fmt, ...)
{
}

void
log_debug(const char *fmt, ...)
{
}

static void	die(const char *, va_list)
		    __attribute__((noreturn)) LOG_FMT(1, 0);

static void
die(const char *fmt, va_list ap)
{
	fputs("fatal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	abort();
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	die(fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	die(fmt, ap);
}

void
log_flush(void)
{
}

void
log_clock(uint64_t (*fn)(void))
{
}
