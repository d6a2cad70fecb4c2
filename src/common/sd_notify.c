/*
 * sd_notify(3) without libsystemd: the protocol is one datagram of
 * newline-separated "KEY=value" assignments sent to the AF_UNIX socket
 * named by $NOTIFY_SOCKET.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_notify.h"

int
sd_notify_send(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	size_t			 len;
	ssize_t			 n;
	int			 fd, saved;

	/* Left set: the children, exec'd from us, ignore it themselves. */
	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return 0;
	/* systemd 253's "vsock:" form is for virtual machines, not us. */
	if (*path != '/' && *path != '@') {
		errno = EAFNOSUPPORT;
		return -1;
	}
	/* A path needs its NUL inside sun_path, an abstract name does not. */
	len = strlen(path);
	if (len >= sizeof(sun.sun_path) + (*path == '@')) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (*path == '@')
		sun.sun_path[0] = '\0';
	else
		len++;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/*
	 * Callers sit in an event loop: a manager whose queue is full gets
	 * EAGAIN rather than a stalled daemon.
	 */
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path) +
	    len);
	saved = errno;
	close(fd);
	errno = saved;
	return n == -1 ? -1 : 1;
}

int
sd_notifyf(const char *fmt, ...)
{
	va_list	 ap;
	char	*state;
	int	 rv, saved;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	va_start(ap, fmt);
	rv = vasprintf(&state, fmt, ap);
	va_end(ap);
	if (rv == -1)
		return -1;
	rv = sd_notify_send(state);
	saved = errno;
	free(state);
	errno = saved;
	return rv;
}
