/*
 * Logging shared by every process.  In the foreground (-d) lines go to
 * stderr, otherwise to syslog.  Every line carries the name of the process
 * that wrote it, so the supervisor and its children can be told apart.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

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

#endif
