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
 *
 * This file holds what every step shares: a connection's end
 * (conn_close()), its holds, and the relay it ends in, with the command
 * filter and the writer's lease gate.  The steps before the relay live
 * in files of their own: proxy_conn_accept.c (accept, the client's TLS
 * handshake and its authorization), proxy_conn_dial.c (route, dial, the
 * peer's mTLS) and proxy_conn_cut.c (what a change of the cluster view or
 * a stop does to the open connections).  Their shared functions are in
 * proxy_int.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proxy_filter.h"
#include "proxy_int.h"
#include "proxy_relay.h"
#include "proxy_tls.h"

/*
 * Requests and replies are small and come in turns: Nagle's algorithm
 * would hold each one back waiting for the previous one's ACK.
 */
void
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
void
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
void
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
void
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

void
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
