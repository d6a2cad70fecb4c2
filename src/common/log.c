/*
 * Logging for every process.  Foreground lines go to stderr with a
 * timestamp (left out under systemd's journal, which adds its own);
 * background lines go to syslog.  Each line names its process.
 *
 * Repeats are limited here, for every line of every process, because a
 * flood (an accept() failing in a loop, a peer refusing every try) would
 * otherwise cost more than the work it reports and push everything else
 * out of the journal.  A repeat is the same priority and the same text,
 * not the same format: "client A denied" and "client B denied" are two
 * messages and both are written; only a copy of one already written
 * within its while is left out, and counted.
 *
 * The table is small and fixed, set-associative on a hash of the text: a
 * line may take one of LOG_RL_WAYS slots.  When they are all busy the
 * oldest gives way, its count written first, so a full table writes more
 * lines, never fewer.  Nothing is allocated per line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

#define LOG_RL_SLOTS	64
#define LOG_RL_WAYS	4
#define LOG_RL_TEXT	192		/* kept for a count written alone */
#define LOG_RL_MIN_MS	1000
#define LOG_RL_MAX_MS	60000

struct log_slot {
	uint64_t	 hash;		/* of priority and text; 0: free */
	uint64_t	 since;		/* when a copy was last written */
	uint64_t	 window;	/* until since + window, left out */
	uint64_t	 left;		/* copies left out since then */
	int		 pri;
	int		 cut;		/* text is only the start of it */
	char		 text[LOG_RL_TEXT];
};

static int		 log_foreground = 1;
static int		 log_level = LOG_LEVEL_INFO;
static int		 log_stamp = 1;
static const char	*log_proc = "supervisor";

static struct log_slot	 log_slots[LOG_RL_SLOTS];
static size_t		 log_pending;	/* slots with left > 0 */
static uint64_t		(*log_clock_fn)(void);

static void	log_vwrite(int, const char *, va_list) LOG_FMT(2, 0);

static void
log_atexit(void)
{
	log_flush();
}

void
log_init(int foreground, int level)
{
	static int	registered;

	log_foreground = foreground;
	log_level = level;
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
	/* Counts still held when the process ends are written, not lost. */
	if (!registered && atexit(log_atexit) == 0)
		registered = 1;
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

void
log_clock(uint64_t (*fn)(void))
{
	log_clock_fn = fn;
}

static uint64_t
log_now(void)
{
	struct timespec	ts;

	if (log_clock_fn != NULL)
		return log_clock_fn();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One finished line to stderr or syslog. */
static void
log_out(int pri, const char *msg)
{
	char		 stamp[64];
	struct timespec	 ts;
	struct tm	 tm;

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
}

/*
 * How many like msg were left out over the last ms: after a copy of it
 * written now, or, alone, when no copy came since.
 */
static void
log_out_count(int pri, const char *msg, int cut, uint64_t left, uint64_t ms,
    int alone)
{
	char	line[2200];

	snprintf(line, sizeof(line), "%s%s (%llu more like this in the last "
	    "%llu.%llus%s)", msg, cut ? "..." : "", (unsigned long long)left,
	    (unsigned long long)(ms / 1000),
	    (unsigned long long)(ms % 1000 / 100), alone ? ", none since" : "");
	log_out(pri, line);
}

/* FNV-1a: cheap, and spreads short lines that differ in one digit. */
static uint64_t
log_hash(int pri, const char *msg)
{
	uint64_t	h = 14695981039346656037ULL;

	h = (h ^ (uint8_t)pri) * 1099511628211ULL;
	for (; *msg != '\0'; msg++)
		h = (h ^ (uint8_t)*msg) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

static int
log_slot_is(const struct log_slot *s, uint64_t h, int pri, const char *msg)
{
	return s->hash == h && s->pri == pri &&
	    strncmp(s->text, msg, sizeof(s->text) - 1) == 0;
}

/* Write the count a slot holds; the line counts as written again. */
static void
log_slot_count(struct log_slot *s, uint64_t now)
{
	log_out_count(s->pri, s->text, s->cut, s->left, now - s->since, 1);
	s->left = 0;
	log_pending--;
	s->since = now;
	/* It went quiet before its while was over: start small again. */
	s->window = LOG_RL_MIN_MS;
}

/* The counts of lines whose while is over (all of them if force). */
static void
log_sweep(uint64_t now, int force, const struct log_slot *except)
{
	struct log_slot	*s;

	for (s = log_slots; s < log_slots + LOG_RL_SLOTS &&
	    log_pending > 0; s++)
		if (s->left > 0 && s != except &&
		    (force || now - s->since >= s->window))
			log_slot_count(s, now);
}

/* A slot of the set at base for a new line: free, or the oldest. */
static struct log_slot *
log_slot_take(size_t base, uint64_t now)
{
	struct log_slot	*s, *best = NULL;
	size_t		 i;

	for (i = 0; i < LOG_RL_WAYS; i++) {
		s = &log_slots[base + i];
		if (s->hash == 0)
			return s;
		/* One without a count to write first, then the oldest. */
		if (best == NULL || (s->left == 0 && best->left > 0) ||
		    ((s->left == 0) == (best->left == 0) &&
		    s->since < best->since))
			best = s;
	}
	if (best->left > 0)
		log_slot_count(best, now);
	return best;
}

void
log_flush(void)
{
	if (log_pending > 0)
		log_sweep(log_now(), 1, NULL);
}

/* One line, unless it is a repeat within its while. */
static void
log_emit(int pri, const char *msg)
{
	struct log_slot	*s = NULL;
	uint64_t	 now = log_now(), h = log_hash(pri, msg);
	size_t		 base, i;

	base = (size_t)(h % (LOG_RL_SLOTS / LOG_RL_WAYS)) * LOG_RL_WAYS;
	for (i = 0; i < LOG_RL_WAYS && s == NULL; i++)
		if (log_slot_is(&log_slots[base + i], h, pri, msg))
			s = &log_slots[base + i];
	if (s != NULL && now - s->since < s->window) {
		if (s->left++ == 0)
			log_pending++;
		return;
	}
	/* Older counts before this line, in the order they happened. */
	if (log_pending > 0)
		log_sweep(now, 0, s);
	if (s != NULL) {
		if (s->left > 0) {
			log_out_count(pri, msg, 0, s->left, now - s->since, 0);
			s->left = 0;
			log_pending--;
			/* Still coming as its while ended: a longer one. */
			if (now - s->since < 2 * s->window)
				s->window = s->window * 2 < LOG_RL_MAX_MS ?
				    s->window * 2 : LOG_RL_MAX_MS;
			else
				s->window = LOG_RL_MIN_MS;
		} else {
			log_out(pri, msg);
			s->window = LOG_RL_MIN_MS;
		}
		s->since = now;
		return;
	}
	s = log_slot_take(base, now);
	s->hash = h;
	s->pri = pri;
	s->since = now;
	s->window = LOG_RL_MIN_MS;
	s->left = 0;
	s->cut = strlcpy(s->text, msg, sizeof(s->text)) >= sizeof(s->text);
	log_out(pri, msg);
}

static void
log_vwrite(int pri, const char *fmt, va_list ap)
{
	char	msg[2048];
	int	saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(pri, msg);
	errno = saved;
}

/* fatal(): every count still held, then the line itself, never left out. */
static void
log_final(const char *msg)
{
	int	saved = errno;

	log_flush();
	log_out(LOG_CRIT, msg);
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

/*
 * log_out() puts the process's name before every line, "fatal" lines
 * too, in syslog and on stderr alike: "elector: fatal: ...".  Naming it
 * here again would say it twice.
 */
void
fatal(const char *fmt, ...)
{
	char	buf[1024], msg[1200];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "fatal: %s: %s", buf, strerror(saved));
	log_final(msg);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	buf[1024], msg[1200];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "fatal: %s", buf);
	log_final(msg);
	exit(1);
}
