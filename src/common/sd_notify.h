/*
 * The service manager's readiness protocol (sd_notify(3)), spoken by hand
 * so that the daemon needs no libsystemd.
 */
#ifndef SD_NOTIFY_H
#define SD_NOTIFY_H

/*
 * Send state ("READY=1", "STATUS=...", several as "A=1\nB=2") as one
 * datagram to the socket in $NOTIFY_SOCKET: a path, or an abstract name
 * when it starts with '@'.  Never blocks and leaves the variable set.
 * Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset or empty (not run
 * by a service manager that listens), -1 with errno set on failure.
 */
int	sd_notify_send(const char *state);

/* The same, with the state formatted as by printf(3). */
int	sd_notifyf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
