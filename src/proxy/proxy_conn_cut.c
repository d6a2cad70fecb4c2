/*
 * What a change of the cluster view, or a stop, does to the connections
 * already open (proxy_conn.c tells a connection's whole way).
 *
 * A role or leader change cuts the connections that now point to the
 * wrong place, so that their clients reconnect to the new topology at
 * once; a writer's connection that has sent its upstream nothing yet is
 * routed again instead, and one whose request is at the server as the
 * lease goes keeps the lease's time for its answer (draining).  Any
 * change of the view routes the held connections again.  A stop closes
 * what is idle and lets a request under way finish.
 *
 * These decide over the whole list of connections, and only from a
 * connection's state: they are kept apart from the steps that set it.
 */
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proxy_filter.h"
#include "proxy_int.h"
#include "proxy_relay.h"
#include "proxy_tls.h"

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
