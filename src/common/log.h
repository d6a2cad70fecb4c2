/*
 * Logging shared by every process.  In the foreground (-d) lines go to
 * stderr, otherwise to syslog.  Every line carries the name of the process
 * that wrote it, so the supervisor and its children can be told apart.
 *
 * A line repeated word for word is written once, then left out for a
 * while (1 s, doubling while it keeps coming, up to 60 s) and counted:
 * its next copy written says "MSG (N more like this in the last Xs)".
 * When no copy comes, the next line of any kind once the while is over
 * writes the count alone, "MSG (N more like this in the last Xs, none
 * since)": it tells of past lines, not of an event at its own time, and
 * says so, so that nothing takes it for one.  The counts still held at
 * exit are written then.  fatal() and fatalx() are never left out.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdint.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

enum log_level {
	LOG_LEVEL_INFO = 0,
	LOG_LEVEL_DEBUG = 1,
};

/* foreground: 1 for stderr, 0 for syslog (daemon facility). */
void	log_init(int foreground, int level);
/* Name shown in every line: "supervisor", "elector", "writer", ... */
void	log_procname(const char *name);
void	log_setlevel(int level);
int	log_getlevel(void);

void	log_warn(const char *, ...) LOG_FMT(1, 2);	/* appends strerror */
void	log_warnx(const char *, ...) LOG_FMT(1, 2);
void	log_info(const char *, ...) LOG_FMT(1, 2);
void	log_debug(const char *, ...) LOG_FMT(1, 2);
void	fatal(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));

/*
 * Write every count held now, whether or not its while is over: at the
 * end of an episode (a listener accepting again) or before exiting.
 */
void	log_flush(void);
/* Milliseconds that time repeats; NULL: CLOCK_MONOTONIC (tests). */
void	log_clock(uint64_t (*)(void));

#endif
