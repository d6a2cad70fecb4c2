/*
 * The listening sockets the supervisor binds and hands to the proxies:
 * writer W, reader R and bridge B.
 */
#ifndef LISTENERS_H
#define LISTENERS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct listener {
	int		fd;		/* -1 when not bound */
	char		addr[INET6_ADDRSTRLEN];
	uint16_t	port;		/* configured; 0 for an ephemeral one */
	uint16_t	bound_port;	/* what the kernel gave us */
};

/*
 * Bind a non-blocking, close-on-exec TCP listener on a numeric address.
 * Returns the fd, or -1 with "listener 127.0.0.1:9851: Address already
 * in use" style text in err.
 */
int	listener_open(const char *addr, uint16_t port, char *err,
	    size_t errlen);
/* The local port of a bound socket, or 0. */
uint16_t listener_local_port(int fd);

/* Configured address and port of a proxy kind's listener. */
void	listener_config(const struct config *, int kind, const char **addr,
	    uint16_t *port);
/*
 * 1 when the listener of kind must be bound anew to go from the running
 * listener l to cfg: its address or configured port changed.
 */
int	listener_changed(const struct listener *l, const struct config *cfg,
	    int kind);
/* Bind l for kind as cfg says; 0 or -1 with err. */
int	listener_bind(struct listener *l, const struct config *cfg, int kind,
	    char *err, size_t errlen);
void	listener_close(struct listener *l);

#endif
