/*
 * Where a connection goes, and getting there (proxy_conn.c tells the
 * whole way):
 *
 *	route (route_choose(): refuse, hold, the local server or a peer)
 *	-> non-blocking connect with proxy.dial_timeout -> for a peer,
 *	mTLS, whose SPIFFE id must be the dialled service's -> relay
 *
 * A failed dial or peer handshake routes the connection again: nothing
 * was read from the client yet, so it may still go elsewhere or wait.
 * route_choose() is pure; what it needs to know of this process (each
 * peer's connections, which peers failed) comes from here.  A peer that
 * fails PROXY_EJECT_AFTER dials in a row is left out of the routes for
 * PROXY_EJECT_MS.  The proxies resolve no names: they may be chrooted,
 * so a peer's address must be numeric.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proxy_int.h"
#include "proxy_tls.h"

static struct eject *
conn_eject_slot(struct proxy *px, const char *id, int create)
{
	struct eject	*e, *oldest = &px->ejects[0];
	size_t		 i;

	for (i = 0; i < PROXY_EJECTS; i++) {
		e = &px->ejects[i];
		if (strcmp(e->id, id) == 0)
			return e;
		if (e->until < oldest->until)
			oldest = e;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->id, sizeof(oldest->id), "%s", id);
	return oldest;
}

static int
conn_ejected(const char *id, void *arg)
{
	struct eject	*e = conn_eject_slot(arg, id, 0);

	return e != NULL && e->until > ev_now();
}

static unsigned
conn_load(const char *id, void *arg)
{
	struct proxy	*px = arg;
	struct conn	*c;
	unsigned	 n = 0;

	TAILQ_FOREACH(c, &px->conns, entry)
		if (c->route == ROUTE_PEER && strcmp(c->peer_id, id) == 0)
			n++;
	return n;
}

/*
 * A dial's outcome, before the connection is routed again: the next route
 * knows whether the local server failed it (route_choose()).
 */
static void
conn_dial_result(struct conn *c, int ok)
{
	struct eject	*e;

	c->local_failed = !ok && c->route == ROUTE_LOCAL;
	if (c->route != ROUTE_PEER)
		return;
	e = conn_eject_slot(c->px, c->peer_id, !ok);
	if (ok) {
		if (e != NULL)
			e->fails = 0;
		return;
	}
	/* A peer that keeps failing is left alone for a while. */
	if (++e->fails >= PROXY_EJECT_AFTER) {
		e->until = ev_now() + PROXY_EJECT_MS;
		log_warnx("peer %s ejected for %d s after %u failed dials",
		    c->peer_id, PROXY_EJECT_MS / 1000, e->fails);
	}
}

static void
conn_upstream_hs(struct tls_hs *hs, int ok, int fd, SSL *ssl,
    const char *err, void *arg)
{
	struct conn	*c = arg;
	char		*uri;

	c->hs = NULL;
	if (!ok) {
		c->ufd = -1;
		conn_dial_result(c, 0);
		log_warnx("peer %s: %s", c->peer_id, err);
		conn_route(c);
		return;
	}
	c->ufd = fd;
	c->ussl = ssl;
	uri = tls_peer_uri(ssl);
	/* The peer must be the service we dialled, not just any Connect leaf. */
	if (uri == NULL || strcmp(uri, c->peer_uri) != 0) {
		log_warnx("peer %s presented %s, expected %s", c->peer_id,
		    uri != NULL ? uri : "no SPIFFE id", c->peer_uri);
		free(uri);
		conn_close(c, "peer identity");
		return;
	}
	free(uri);
	c->hop_taken = tls_hop(ssl) != 0;
	conn_dial_result(c, 1);
	conn_start_relay(c);
}

static void
conn_connected(struct conn *c)
{
	struct proxy	*px = c->px;
	SSL_CTX		*ctx;

	ev_io_stop(px->child->loop, &c->dial_io);
	ev_timer_stop(px->child->loop, &c->timer);
	if (c->route == ROUTE_LOCAL) {
		conn_start_relay(c);
		return;
	}
	ctx = px->client_ctx[svc_of_proc(c->svc)];
	c->state = CONN_UPSTREAM_TLS;
	c->hs = tls_hs_start(px->child->loop, ctx, c->ufd, 0,
	    px->cfg->proxy_handshake_timeout, conn_upstream_hs, c);
	c->ufd = -1;	/* the handshake owns it */
	if (c->hs == NULL) {
		conn_close(c, "upstream TLS");
		return;
	}
	/*
	 * A client's write says which hop this is (a client: hops 0), a
	 * bridge that it carries a replication stream.
	 */
	if (px->kind == PROC_WRITER && tls_hs_hop(c->hs, c->hops + 1) == -1)
		conn_close(c, "upstream TLS");
	else if (px->kind == PROC_BRIDGE && tls_hs_hop(c->hs, TLS_REPL) == -1)
		conn_close(c, "upstream TLS");
}

static void
conn_dial_cb(int fd, uint32_t events, void *arg)
{
	struct conn	*c = arg;
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0) {
		conn_connected(c);
		return;
	}
	log_debug("dial %s: %s", c->route == ROUTE_LOCAL ? "local server" :
	    c->peer_id, strerror(err));
	ev_io_stop(c->px->child->loop, &c->dial_io);
	close(c->ufd);
	c->ufd = -1;
	conn_dial_result(c, 0);
	conn_route(c);
}

static void
conn_dial_timeout(void *arg)
{
	struct conn	*c = arg;

	log_debug("dial %s: timeout", c->route == ROUTE_LOCAL ?
	    "local server" : c->peer_id);
	if (c->dial_io.fd != -1)
		ev_io_stop(c->px->child->loop, &c->dial_io);
	if (c->ufd != -1)
		close(c->ufd);
	c->ufd = -1;
	conn_dial_result(c, 0);
	conn_route(c);
}

static int
conn_peer_addr(const struct peer *p, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, p->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, p->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->port);
		*len = sizeof(*sin6);
		return 0;
	}
	/* The proxies resolve nothing: they may be chrooted. */
	return -1;
}

static void
conn_dial(struct conn *c, const struct sockaddr_storage *ss, socklen_t len)
{
	struct proxy	*px = c->px;

	c->state = CONN_DIAL;
	c->ufd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->ufd == -1) {
		log_warn("socket");
		conn_close(c, "socket");
		return;
	}
	if (ss->ss_family != AF_UNIX)
		conn_nodelay(c->ufd);
	if (connect(c->ufd, (const struct sockaddr *)ss, len) == 0) {
		conn_connected(c);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_dial_timeout(c);
		return;
	}
	if (ev_io_start(px->child->loop, &c->dial_io, c->ufd, EPOLLOUT,
	    conn_dial_cb, c) == -1) {
		conn_close(c, "dial watch");
		return;
	}
	/* A retry reuses the timer: it must leave the heap before re-init. */
	ev_timer_stop(px->child->loop, &c->timer);
	ev_timer_init(&c->timer, conn_dial_timeout, c);
	ev_timer_start(px->child->loop, &c->timer, px->cfg->proxy_dial_timeout);
}

void
conn_route(struct conn *c)
{
	struct proxy		*px = c->px;
	struct route_view	 v;
	struct route		 r;
	struct sockaddr_storage	 ss;
	socklen_t		 len;

	memset(&v, 0, sizeof(v));
	v.kind = px->kind;
	v.self = px->cfg->id;
	v.role = proxy_route_role(px, &v.leader_id);
	v.writers = &px->peers[0];
	v.readers = &px->peers[1];
	v.local_caught_up = px->caught_up;
	v.internal = c->internal;
	v.hops = c->hops;
	v.hold = px->cfg->proxy_hold_timeout > 0;
	v.no_peer_tls = px->client_ctx[SVC_WRITER] == NULL;
	/*
	 * Every route since the last hold but the first follows a failed
	 * dial.  The relay has not started (it does once the upstream is
	 * there), so nothing was read from the client: it may still wait.
	 */
	v.failed = c->tries++;
	v.local_failed = c->local_failed;
	c->local_failed = 0;
	v.load = conn_load;
	v.ejected = conn_ejected;
	v.load_arg = px;
	route_choose(&v, &r);

	c->route = r.kind;
	if (c->state == CONN_HOLD && r.kind != ROUTE_HOLD)
		conn_hold_end(c);
	switch (r.kind) {
	case ROUTE_REFUSE:
		conn_close(c, r.why);
		return;
	case ROUTE_HOLD:
		conn_hold(c, CONN_HOLD, r.why);
		return;
	case ROUTE_LOCAL:
		if (px->local_len == 0) {
			conn_close(c, "local server address unknown");
			return;
		}
		conn_dial(c, &px->local, px->local_len);
		return;
	case ROUTE_PEER:
		snprintf(c->peer_id, sizeof(c->peer_id), "%s", r.peer->id);
		snprintf(c->peer_uri, sizeof(c->peer_uri), "%s", r.peer->uri);
		c->svc = r.svc;
		if (px->client_ctx[svc_of_proc(r.svc)] == NULL ||
		    r.peer->uri[0] == '\0') {
			conn_close(c, "no TLS material for peers yet");
			return;
		}
		if (conn_peer_addr(r.peer, &ss, &len) == -1) {
			log_warnx("peer %s: address %s is not numeric", r.peer->id,
			    r.peer->addr);
			conn_close(c, "peer address");
			return;
		}
		conn_dial(c, &ss, len);
		return;
	}
}
