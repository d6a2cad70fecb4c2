/*
 * One client connection, from accept to relay:
 *
 *	W, R:	TLS handshake (a client certificate from the Connect CA is
 *		required) -> authorization of its SPIFFE id by the elector
 *		-> route -> dial -> (mTLS to a peer, whose SPIFFE id must be
 *		the dialled service's) -> relay
 *	B:	loopback only -> route (the leader's W) -> dial -> mTLS ->
 *		relay
 *
 * A connection with nowhere to go yet (route_choose(): ROUTE_HOLD) waits
 * between authorization and dial, its bytes unread in the socket and the
 * SSL, until a change of the cluster view routes it or proxy.hold.timeout
 * refuses it.  The relay's first pump reads the SSL before the socket, so
 * nothing the client sent meanwhile is lost.  So does a writer's client
 * whose dial failed (a leader's server that refuses, a leader's writer
 * that does not answer), and one the supervisor could not have
 * authorized because no elector was there (route_authz_hold()): that one
 * is asked for again once the elector publishes anything, as a new one
 * does first thing.
 *
 * Every step has a deadline; a failing step closes this connection only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proxy_filter.h"
#include "proxy_int.h"
#include "proxy_relay.h"
#include "proxy_tls.h"
#include "spiffe.h"

static void	conn_route(struct conn *);
static void	conn_authorized(struct conn *, int allowed, const char *reason);

/*
 * Requests and replies are small and come in turns: Nagle's algorithm
 * would hold each one back waiting for the previous one's ACK.
 */
static void
conn_nodelay(int fd)
{
	int	one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
}

/* Count a relay's bytes (client on its "a" end) into the proxy's. */
static void
proxy_relay_bytes(struct proxy *px, const struct relay *r)
{
	uint64_t	in, out;

	relay_bytes(r, &in, &out);
	px->bytes_in += in;
	px->bytes_out += out;
}

void
conn_stats(struct proxy *px, struct metric_set *set)
{
	const char	*l = proc_name(px->kind);
	struct conn	*c;
	uint64_t	 in = px->bytes_in, out = px->bytes_out, a, b;
	uint64_t	 refused = px->cmd_refused;

	TAILQ_FOREACH(c, &px->conns, entry) {
		if (c->filter != NULL)
			refused += filter_refused(c->filter);
		if (c->relay == NULL)
			continue;
		relay_bytes(c->relay, &a, &b);
		in += a;
		out += b;
	}
	metric_put(set, "connections_open", "listener", l, METRIC_GAUGE,
	    (double)px->nconns);
	metric_put(set, "connections_accepted", "listener", l,
	    METRIC_COUNTER, (double)px->accepted);
	metric_put(set, "connections_refused", "listener", l,
	    METRIC_COUNTER, (double)px->refused);
	metric_put(set, "connections_in_handshake", "listener", l,
	    METRIC_GAUGE, (double)px->nhandshakes);
	metric_put(set, "handshake_limit_closed", "listener", l,
	    METRIC_COUNTER, (double)px->hs_cap_closed);
	metric_put(set, "source_limit_closed", "listener", l,
	    METRIC_COUNTER, (double)px->src_cap_closed);
	metric_put(set, "tls_handshake_failures", "listener", l,
	    METRIC_COUNTER, (double)px->hs_failed);
	metric_put(set, "authz_denied", "listener", l, METRIC_COUNTER,
	    (double)px->denied);
	metric_put(set, "connections_held", "listener", l, METRIC_GAUGE,
	    (double)px->nheld);
	metric_put(set, "hold_timeouts", "listener", l, METRIC_COUNTER,
	    (double)px->hold_timeouts);
	metric_put(set, "hold_longest_seconds", "listener", l, METRIC_GAUGE,
	    (double)px->hold_max / 1000.0);
	metric_put(set, "commands_refused", "listener", l, METRIC_COUNTER,
	    (double)refused);
	metric_put(set, "filter_closed", "listener", l, METRIC_COUNTER,
	    (double)px->filter_closed);
	metric_put(set, "bytes_received", "listener", l, METRIC_COUNTER,
	    (double)in);
	metric_put(set, "bytes_sent", "listener", l, METRIC_COUNTER,
	    (double)out);
}

/*
 * A held connection leaves the hold: routed next, or closed.  How long it
 * waited counts from its first hold.
 */
static void
conn_hold_end(struct conn *c)
{
	struct proxy	*px = c->px;
	uint64_t	 ms = ev_now() - c->held_at;

	ev_timer_stop(px->child->loop, &c->timer);
	px->nheld--;
	if (ms > px->hold_max)
		px->hold_max = ms;
	log_debug("connection held %llu ms (%s)", (unsigned long long)ms,
	    c->held_why);
	c->state = CONN_DIAL;
}

/*
 * The client is known (authorized, or held for want of an elector to
 * ask), or its connection ends: it no longer counts against the caps of
 * connections in handshake.
 */
static void
conn_hs_leave(struct conn *c)
{
	if (!c->in_hs)
		return;
	c->in_hs = 0;
	c->px->nhandshakes--;
	admit_sources_del(&c->px->sources, &c->src);
}

void
conn_close(struct conn *c, const char *why)
{
	struct proxy	*px = c->px;
	struct ev_loop	*loop = px->child->loop;

	conn_hs_leave(c);
	if (c->state == CONN_HOLD || c->state == CONN_AUTHZ_HOLD)
		conn_hold_end(c);
	if (c->draining) {
		c->draining = 0;
		px->ndraining--;
	}
	log_debug("connection closed: %s", why);
	ev_timer_stop(loop, &c->timer);
	if (c->hs != NULL)
		tls_hs_cancel(loop, c->hs);
	if (c->filter != NULL)
		px->cmd_refused += filter_refused(c->filter);
	filter_free(c->filter);
	free(c->pending);
	if (c->relay != NULL) {
		proxy_relay_bytes(px, c->relay);
		relay_free(loop, c->relay);
	} else {
		if (c->dial_io.fd != -1)
			ev_io_stop(loop, &c->dial_io);
		if (c->ussl != NULL)
			SSL_free(c->ussl);
		if (c->ufd != -1)
			close(c->ufd);
		if (c->cssl != NULL)
			SSL_free(c->cssl);
		if (c->cfd != -1)
			close(c->cfd);
	}
	free(c->uri);
	free(c->serial);
	TAILQ_REMOVE(&px->conns, c, entry);
	px->nconns--;
	free(c);
}

static void
conn_timeout(void *arg)
{
	struct conn	*c = arg;

	conn_close(c, c->state == CONN_AUTHZ ? "authorization timeout" :
	    "dial timeout");
}

/*
 * Held for proxy.hold.timeout: refused for the reason it was held, as it
 * would have been at once.
 */
static void
conn_hold_timeout(void *arg)
{
	struct conn	*c = arg;

	c->px->hold_timeouts++;
	if (c->state == CONN_AUTHZ_HOLD)
		conn_authorized(c, 0, c->held_why);
	else
		conn_close(c, c->held_why);
}

/*
 * Nowhere to route for now (CONN_HOLD), or no elector to authorize the
 * client (CONN_AUTHZ_HOLD).  The client's bytes stay unread; the tries
 * start afresh, since the next route comes from a new view.  Holds add
 * up to proxy.hold.timeout: a connection held again (its dial failed, the
 * elector went again) waits what is left of it, or a view that changes
 * every second (a lease renewal) would hold it for ever.
 */
static void
conn_hold(struct conn *c, enum conn_state state, const char *why)
{
	struct proxy	*px = c->px;
	uint64_t	 now = ev_now();

	conn_hs_leave(c);
	c->tries = 0;
	c->held_why = why;
	if (c->state == state)
		return;
	if (c->hold_until == 0) {
		c->held_at = now;
		c->hold_until = now + px->cfg->proxy_hold_timeout;
	}
	c->state = state;
	px->nheld++;
	ev_timer_stop(px->child->loop, &c->timer);
	ev_timer_init(&c->timer, conn_hold_timeout, c);
	ev_timer_start(px->child->loop, &c->timer,
	    c->hold_until > now ? c->hold_until - now : 0);
}

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

/*
 * The filter ended a connection (a malformed request, HTTP, a stream
 * that is no replication handshake): said at once, then at most once a
 * second with how many more there were.
 */
static void
conn_filter_closed(struct conn *c, const char *why)
{
	struct proxy	*px = c->px;
	uint64_t	 now = ev_now();

	px->filter_closed++;
	if (px->filter_log_at != 0 && now - px->filter_log_at < 1000) {
		px->filter_log_quiet++;
		return;
	}
	if (px->filter_log_quiet > 0)
		log_warnx("connection closed: %s (and %llu more since the "
		    "last such line)", why,
		    (unsigned long long)px->filter_log_quiet);
	else
		log_warnx("connection closed: %s", why);
	px->filter_log_at = now;
	px->filter_log_quiet = 0;
}

static void
conn_relay_done(struct relay *r, const char *why, void *arg)
{
	struct conn	*c = arg;

	if (c->filter != NULL && filter_ended(c->filter))
		conn_filter_closed(c, why);
	conn_close(c, why);
}

/* The service of a Connect identity: what follows "/svc/". */
static const char *
conn_service(const char *uri)
{
	const char	*p;

	if (uri == NULL || (p = strstr(uri, "/svc/")) == NULL)
		return NULL;
	return p + 5;
}

/*
 * Clients get the listener's rules; a bridge, and a bridge's stream on
 * the leader's writer, the replication handshake only.  What another
 * node's proxy passes on was checked where its client came in.  0, or
 * -1 when there is no memory for it.
 */
static int
conn_filter(struct conn *c)
{
	struct proxy		*px = c->px;
	struct filter_conf	 fc;
	struct relay_filter	 h;

	if (!px->cfg->proxy_command_filter)
		return 0;
	memset(&fc, 0, sizeof(fc));
	fc.kind = px->cfg->server_kind;
	fc.listener = proc_name(px->kind);
	if (px->kind == PROC_BRIDGE || c->repl)
		fc.mode = FILTER_STREAM;
	else if (!c->internal && px->rules != NULL) {
		fc.mode = FILTER_CLIENT;
		fc.rules = px->rules;
		fc.service = conn_service(c->uri);
		fc.http_opaque = px->cfg->proxy_http == PROXY_HTTP_OPAQUE;
	} else
		return 0;
	if ((c->filter = filter_new(&fc)) == NULL)
		return -1;
	filter_hooks(c->filter, &h);
	relay_filter(c->relay, &h);
	return 0;
}

/*
 * A client's bytes reach the local server, and its answers the client,
 * only while the writer's lease runs, checked as they go: a process
 * resumed after a stop (SIGSTOP, a stalled host) may move bytes it read
 * before its lapse timer has run.  An answer held that long may be to a
 * write the followers never got: the client must not take it for an
 * acknowledgement.
 */
static const char *
conn_lease_gate(void *arg, int to_server)
{
	struct conn	*c = arg;
	const char	*leader;

	if (proxy_route_role(c->px, &leader) == ROLE_LEADER)
		return NULL;
	/*
	 * Revoked for a handover while this request was at the server: its
	 * answer still goes out within the lease we had, the next request
	 * waits for the cut.
	 */
	if (c->draining) {
		if (to_server)
			return relay_gate_hold;
		if (ev_now() < c->px->lease_was)
			return NULL;
	}
	return "write lease lapsed";
}

static void
conn_start_relay(struct conn *c)
{
	struct proxy	*px = c->px;

	ev_timer_stop(px->child->loop, &c->timer);
	c->relay = relay_new(px->child->loop, c->cfd, c->cssl, c->ufd,
	    c->ussl, PROXY_BUFSIZE, conn_relay_done, c);
	/* The relay owns the sockets now, even when it failed. */
	c->cfd = c->ufd = -1;
	c->cssl = c->ussl = NULL;
	if (c->relay == NULL || conn_filter(c) == -1 ||
	    relay_preload(c->relay, c->pending, c->npending) == -1) {
		conn_close(c, "relay");
		return;
	}
	free(c->pending);
	c->pending = NULL;
	c->npending = 0;
	/* Not the followers' streams: they only take from the server. */
	if (px->kind == PROC_WRITER && c->route == ROUTE_LOCAL &&
	    !(c->internal && c->hops == 0))
		relay_gate(c->relay, conn_lease_gate, c);
	c->state = CONN_RELAY;
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
	ctx = px->client_ctx[proxy_svc_index(c->svc)];
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

static void
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
	v.no_peer_tls = px->client_ctx[proxy_svc_index(PROC_WRITER)] == NULL;
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
		if (px->client_ctx[proxy_svc_index(r.svc)] == NULL ||
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

static struct authz_entry *
conn_cache_find(struct proxy *px, const char *uri)
{
	size_t	i;

	for (i = 0; i < PROXY_AUTHZ_CACHE; i++)
		if (px->cache[i].uri != NULL &&
		    strcmp(px->cache[i].uri, uri) == 0 &&
		    px->cache[i].expires > ev_now())
			return &px->cache[i];
	return NULL;
}

static void
conn_cache_put(struct proxy *px, const char *uri, int allowed)
{
	struct authz_entry	*e = &px->cache[0];
	size_t			 i;

	for (i = 0; i < PROXY_AUTHZ_CACHE; i++) {
		if (px->cache[i].uri == NULL ||
		    strcmp(px->cache[i].uri, uri) == 0) {
			e = &px->cache[i];
			break;
		}
		if (px->cache[i].expires < e->expires)
			e = &px->cache[i];
	}
	free(e->uri);
	if ((e->uri = strdup(uri)) == NULL)
		fatal("authorization cache");
	e->allowed = allowed;
	e->expires = ev_now() + (px->authz_gen != 0 &&
	    ev_now() - px->flushed_at < PROXY_AUTHZ_SETTLE_MS ?
	    PROXY_AUTHZ_SETTLE_MS : PROXY_AUTHZ_TTL_MS);
}

void
conn_cache_flush(struct proxy *px)
{
	size_t	i;

	for (i = 0; i < PROXY_AUTHZ_CACHE; i++) {
		free(px->cache[i].uri);
		px->cache[i].uri = NULL;
	}
	px->authz_gen++;
	px->flushed_at = ev_now();
}

static void
conn_authorized(struct conn *c, int allowed, const char *reason)
{
	conn_hs_leave(c);
	if (!allowed) {
		c->px->denied++;
		log_info("client %s denied: %s", c->uri, reason);
		conn_close(c, "denied");
		return;
	}
	ev_timer_stop(c->px->child->loop, &c->timer);
	conn_route(c);
}

void
conn_authz_result(struct proxy *px, uint32_t id, int allowed,
    const char *reason)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &px->conns, entry) {
		if (c->state != CONN_AUTHZ || c->authz_id != id)
			continue;
		/*
		 * "elector unavailable" is not an answer worth keeping, nor
		 * one asked before the intentions changed.
		 */
		if ((allowed || strcmp(reason, ROUTE_NO_ELECTOR) != 0) &&
		    c->authz_gen == px->authz_gen)
			conn_cache_put(px, c->uri, allowed);
		if (route_authz_hold(px->kind, allowed, reason,
		    px->cfg->proxy_hold_timeout > 0))
			conn_hold(c, CONN_AUTHZ_HOLD, ROUTE_NO_ELECTOR);
		else
			conn_authorized(c, allowed, reason);
		return;
	}
	conn_recheck_result(px, id, allowed, reason);
}

/*
 * May the client connect?  A recent decision says at once; otherwise the
 * elector is asked, through the supervisor.
 */
static void
conn_authz_ask(struct conn *c)
{
	struct proxy		*px = c->px;
	struct authz_entry	*hit;
	struct msg_authz_req	 q;
	uint8_t			 buf[2048];
	int			 n, svc = proxy_svc_index(px->kind);

	if ((hit = conn_cache_find(px, c->uri)) != NULL) {
		conn_authorized(c, hit->allowed, "cached decision");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.target = svc == 0 ? (char *)px->cfg->service_name_leader :
	    (char *)px->cfg->service_name_follower;
	q.uri = c->uri;
	q.serial = c->serial;
	c->state = CONN_AUTHZ;
	c->authz_id = ++px->next_authz & 0xffffff;
	c->authz_gen = px->authz_gen;
	n = msg_authz_req_encode(&q, buf, sizeof(buf));
	if (n == -1 || child_send(px->child, MSG_AUTHZ_REQ, c->authz_id, -1,
	    buf, n) == -1) {
		conn_close(c, "authorization request");
		return;
	}
	ev_timer_stop(px->child->loop, &c->timer);
	ev_timer_init(&c->timer, conn_timeout, c);
	ev_timer_start(px->child->loop, &c->timer,
	    px->cfg->proxy_handshake_timeout);
}

static void
conn_inbound_hs(struct tls_hs *hs, int ok, int fd, SSL *ssl,
    const char *err, void *arg)
{
	struct conn		*c = arg;
	struct proxy		*px = c->px;
	const char		*why;
	int			 svc = proxy_svc_index(px->kind);

	c->hs = NULL;
	if (!ok) {
		c->cfd = -1;
		px->refused++;
		px->hs_failed++;
		log_debug("client handshake: %s", err);
		conn_close(c, "handshake");
		return;
	}
	c->cfd = fd;
	c->cssl = ssl;
	c->serial = tls_peer_serial(ssl);
	if ((c->uri = tls_peer_uri(ssl)) == NULL) {
		px->refused++;
		log_info("client certificate without a SPIFFE id refused");
		conn_close(c, "no SPIFFE id");
		return;
	}
	/*
	 * The agent would authorize another trust domain's identity: it
	 * is refused here, as a denial (a line repeated word for word is
	 * left out by log.c for a while and counted).
	 */
	if ((why = spiffe_refusal(c->uri, px->roots.trust_domain)) != NULL) {
		px->denied++;
		log_info("client %s denied: %s (the roots' is %s)", c->uri,
		    why, px->roots.trust_domain != NULL ?
		    px->roots.trust_domain : "unknown");
		conn_close(c, "trust domain");
		return;
	}
	/* Our own service's identity: another node's proxy on its hop. */
	c->internal = px->leaf[svc].uri != NULL &&
	    strcmp(c->uri, px->leaf[svc].uri) == 0;
	c->hops = c->internal ? tls_hop(ssl) : 0;
	/* Its address may bring many at once: see admit_decide(). */
	if (c->internal)
		admit_peers_add(&px->peer_srcs, &c->src);
	/*
	 * Another node's writer says what it brings: a client's write on
	 * its way (a hop) or a bridge's replication stream.  A node of an
	 * earlier version says nothing of its streams: they are held to
	 * the replication handshake all the same (conn_filter()).
	 */
	c->repl = px->kind == PROC_WRITER && c->internal && c->hops == 0;
	if (c->repl && !tls_repl(ssl))
		log_debug("replication stream without its ALPN mark (a node "
		    "of an earlier version)");
	conn_authz_ask(c);
}

void
conn_accept(struct proxy *px, int fd, const struct admit_key *src)
{
	struct conn	*c;

	conn_nodelay(fd);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("connection");
		close(fd);
		return;
	}
	c->px = px;
	c->cfd = c->ufd = -1;
	c->dial_io.fd = -1;
	c->src = *src;
	ev_timer_init(&c->timer, conn_timeout, c);
	TAILQ_INSERT_TAIL(&px->conns, c, entry);
	px->nconns++;
	px->accepted++;

	if (px->kind == PROC_BRIDGE) {
		c->cfd = fd;
		conn_route(c);
		return;
	}
	if (admit_sources_add(&px->sources, src) == -1) {
		log_warn("connection");
		close(fd);
		conn_close(c, "memory");
		return;
	}
	c->in_hs = 1;
	px->nhandshakes++;
	c->state = CONN_HANDSHAKE;
	c->hs = tls_hs_start(px->child->loop, px->server_ctx, fd, 1,
	    px->cfg->proxy_handshake_timeout, conn_inbound_hs, c);
	if (c->hs == NULL)
		conn_close(c, "TLS");
}

/*
 * A writer's connection still on its way to the wrong place has sent
 * its upstream nothing: it is routed again, as if it had just come.
 */
/*
 * A relay to the server that has passed nothing either way yet, as a
 * handover revokes the lease: its client gets its connection back, with
 * what it sent, to be routed again (to the next leader) instead of cut.
 */
static int
conn_unrelay(struct conn *c)
{
	struct proxy	*px = c->px;

	if (c->relay == NULL || c->pending != NULL ||
	    relay_detach_a(px->child->loop, c->relay, &c->cfd, &c->cssl,
	    &c->pending, &c->npending) == -1)
		return -1;
	c->relay = NULL;
	filter_free(c->filter);
	c->filter = NULL;
	c->state = CONN_DIAL;
	log_debug("connection to the local server taken back: routed again");
	return 0;
}

static void
conn_reroute(struct conn *c)
{
	struct ev_loop	*loop = c->px->child->loop;

	if (c->hs != NULL)
		tls_hs_cancel(loop, c->hs);
	c->hs = NULL;
	ev_io_stop(loop, &c->dial_io);
	if (c->ufd != -1)
		close(c->ufd);
	c->ufd = -1;
	ev_timer_stop(loop, &c->timer);
	c->tries = 0;
	conn_route(c);
}

/*
 * A client's write relayed to a peer that took it as a hop and has not
 * answered yet: that peer holds it, passes it on to the leader it knows
 * or refuses it, and cuts it itself once it no longer leads.  Cutting it
 * here would fail a write that is about to succeed.
 */
static int
conn_hop_pending(const struct conn *c)
{
	uint64_t	replied;

	if (c->state != CONN_RELAY || !c->hop_taken)
		return 0;
	relay_bytes(c->relay, NULL, &replied);
	return replied == 0;
}

/*
 * After a role or leader change: a connection that now points to the
 * wrong place is cut, so its client reconnects to the new topology at
 * once (writes to a demoted server, bridge streams to an old leader).
 * A writer's connection that has not reached its upstream yet is routed
 * again instead.
 */
void
conn_cut(struct proxy *px)
{
	struct conn	*c, *next;
	const char	*leader;
	int		 cut, role;

	if (px->kind == PROC_READER)
		return;
	role = proxy_route_role(px, &leader);
	for (c = TAILQ_FIRST(&px->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state != CONN_DIAL && c->state != CONN_UPSTREAM_TLS &&
		    c->state != CONN_RELAY)
			continue;
		/*
		 * Not leading: only the followers' streams stay, also when
		 * the role is unknown (an elector that restarts says "no
		 * leader" until it knows): they take from the server, never
		 * give.  They go once this node follows another: its server
		 * is about to follow, maybe from an empty dataset, and a
		 * FLUSHDB must not reach them.  A follower's own stream
		 * stays until another node leads (DESIGN 5.2): everything
		 * the old leader acknowledged reaches it.
		 */
		if (c->draining)
			continue;	/* conn_drain_done() ends it */
		if (c->route == ROUTE_LOCAL)
			cut = role != ROLE_LEADER &&
			    !(c->internal && c->hops == 0 &&
			    role != ROLE_FOLLOWER);
		else if (px->kind == PROC_BRIDGE && role == ROLE_UNKNOWN)
			cut = 0;
		else
			cut = (role != ROLE_FOLLOWER ||
			    strcmp(c->peer_id, leader) != 0) &&
			    !conn_hop_pending(c);
		if (cut && px->kind == PROC_WRITER && c->state != CONN_RELAY)
			conn_reroute(c);
		else if (cut && px->kind == PROC_WRITER &&
		    c->route == ROUTE_LOCAL && ev_now() < px->lease_was &&
		    conn_unrelay(c) == 0)
			conn_reroute(c);
		else if (cut && px->kind == PROC_WRITER &&
		    c->route == ROUTE_LOCAL && ev_now() < px->lease_was &&
		    relay_in_flight(c->relay)) {
			/* Its answer first: see conn_lease_gate(). */
			c->draining = 1;
			px->ndraining++;
		} else if (cut)
			conn_close(c, "the leader changed");
	}
}

size_t
conn_drain_done(struct proxy *px)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&px->conns); c != NULL && px->ndraining > 0;
	    c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->draining && (!relay_in_flight(c->relay) ||
		    ev_now() >= px->lease_was))
			conn_close(c, "the leader changed");
	}
	return px->ndraining;
}

/*
 * Oldest first, so held clients go in the order they came.  Routing one,
 * or asking for it again, closes at most that one.  An elector still away
 * answers through the supervisor at once, and the client waits on.
 */
void
conn_retry_held(struct proxy *px)
{
	struct conn	*c, *next;

	if (px->nheld == 0)
		return;
	for (c = TAILQ_FIRST(&px->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_HOLD)
			conn_route(c);
		else if (c->state == CONN_AUTHZ_HOLD) {
			conn_hold_end(c);
			conn_authz_ask(c);
		}
	}
}

void
conn_close_all(struct proxy *px)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&px->conns)) != NULL)
		conn_close(c, "shutdown");
}

/*
 * A stop: close every connection but those on their way to a server
 * (dialling it) or relaying a request still unanswered, which get to
 * finish; returns how many are left.
 */
size_t
conn_drain(struct proxy *px)
{
	struct conn	*c, *next;
	int		 busy;

	for (c = TAILQ_FIRST(&px->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		busy = c->state == CONN_DIAL || c->state == CONN_UPSTREAM_TLS ||
		    (c->state == CONN_RELAY && relay_awaits(c->relay));
		if (!busy)
			conn_close(c, "shutdown");
	}
	return px->nconns;
}
