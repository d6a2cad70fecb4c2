/*
 * Binding the listeners of the proxies and of the admin process.  Only the supervisor binds, so that a
 * privileged port needs no privilege in the proxies and a restarted proxy
 * gets the very same socket back with its pending connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listeners.h"
#include "proto.h"

#define LISTEN_BACKLOG	511

int
listener_open(const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "listener %s:%u: not a numeric address",
		    addr, port);
		return -1;
	}

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "::" means IPv6 only; 0.0.0.0 is configured for IPv4. */
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;

fail:
	snprintf(err, errlen, "listener %s%s%s:%u: %s",
	    ss.ss_family == AF_INET6 ? "[" : "", addr,
	    ss.ss_family == AF_INET6 ? "]" : "", port, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

uint16_t
listener_local_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void
listener_config(const struct config *cfg, int kind, const char **addr,
    uint16_t *port)
{
	switch (kind) {
	case PROC_WRITER:
		*addr = cfg->bind_addr_leader;
		*port = cfg->bind_port_leader;
		break;
	case PROC_READER:
		*addr = cfg->bind_addr_follower;
		*port = cfg->bind_port_follower;
		break;
	case PROC_ADMIN:
		*addr = cfg->http_addr;
		*port = cfg->http_port;
		break;
	default:
		*addr = cfg->bind_addr_bridge;
		*port = cfg->bind_port_bridge;
		break;
	}
}

/* The admin HTTP listener is off while its port is 0. */
static int
listener_off(int kind, uint16_t port)
{
	return kind == PROC_ADMIN && port == 0;
}

int
listener_changed(const struct listener *l, const struct config *cfg,
    int kind)
{
	const char	*addr;
	uint16_t	 port;

	listener_config(cfg, kind, &addr, &port);
	if (listener_off(kind, port))
		return l->fd != -1;
	/* An ephemeral bridge port stays what it is until the address moves. */
	return l->fd == -1 || strcmp(l->addr, addr) != 0 || l->port != port;
}

int
listener_bind(struct listener *l, const struct config *cfg, int kind,
    char *err, size_t errlen)
{
	const char	*addr;
	uint16_t	 port;
	int		 fd;

	listener_config(cfg, kind, &addr, &port);
	if (listener_off(kind, port)) {
		listener_close(l);
		return 0;
	}
	if ((fd = listener_open(addr, port, err, errlen)) == -1)
		return -1;
	l->fd = fd;
	strlcpy(l->addr, addr, sizeof(l->addr));
	l->port = port;
	l->bound_port = listener_local_port(fd);
	return 0;
}

void
listener_close(struct listener *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	l->addr[0] = '\0';
	l->port = l->bound_port = 0;
}
