/*
 * Logging for every process.  Foreground lines go to stderr with a
 * timestamp (left out under systemd's journal, which adds its own);
 * background lines go to syslog.  Each line names its process.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_foreground = 1;
static int		 log_level = LOG_LEVEL_INFO;
static int		 log_stamp = 1;
static const char	*log_proc = "supervisor";

static void	log_vwrite(int, const char *, va_list) LOG_FMT(2, 0);

void
log_init(int foreground, int level)
{
	log_foreground = foreground;
	log_level = level;
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
	if (!foreground)
		openlog("tile38-cluster-manager", LOG_PID | LOG_NDELAY,
		    LOG_DAEMON);
	tzset();
}

void
log_procname(const char *name)
{
	log_proc = name;
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

static void
log_vwrite(int pri, const char *fmt, va_list ap)
{
	char		 msg[2048], stamp[64];
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!log_foreground) {
		syslog(pri, "%s: %s", log_proc, msg);
	} else if (log_stamp) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_proc, msg);
	} else
		fprintf(stderr, "%s: %s\n", log_proc, msg);
	errno = saved;
}

static void
log_write(int pri, const char *fmt, ...) LOG_FMT(2, 3);

static void
log_write(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(pri, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_write(LOG_ERR, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_write(LOG_CRIT, "fatal in %s: %s: %s", log_proc, buf,
	    strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_write(LOG_CRIT, "fatal in %s: %s", log_proc, buf);
	exit(1);
}
