/*
 * The routing table (DESIGN.md §4):
 *
 *	role		W			R			B
 *	leader		local server		a caught-up follower's	refuse
 *						R, else local
 *	follower	the leader's W		local if caught up,	the leader's W
 *						else another node's R
 *
 * A connection that comes from another node's proxy (an internal hop)
 * goes to the local server, so routes never loop; to a leader that hands
 * over, only the followers' streams.  A client's write on its first hop
 * (it says so: tls_hop()) that reaches a node which no longer leads is
 * passed on once to the leader it knows, so a follower's stale view
 * costs no error; the second hop is never passed on, and waits at a
 * node that does not know yet that it leads.
 *
 * A writer with nowhere to send a connection only for now (no leader
 * yet, a handover, a lapsed lease, a leader not in the catalog, not
 * answering or not known by its identity yet) holds it, when
 * proxy.hold.timeout allows, until the next change of its view routes
 * it: an election costs its clients a wait, not an error; so does a
 * client's write that reached a leader handing over, which goes on to
 * the next one.  What waiting cannot change is refused at once: a hop
 * that may not go on to a node that follows another leader, a bridge
 * stream (its server retries on its own, and the elector points it
 * anew).
 *
 * A dial that failed routes the connection again, with what failed in
 * the view: a client's write waits, where it would otherwise be closed,
 * for a leader whose local server refuses it (its elector lets the lock
 * go after server.down.timeout, and the write goes on to the next
 * leader) or whose writer keeps failing.
 */
#include <string.h>

#include "proxy_route.h"

static const struct peer *
route_find(const struct msg_peers *l, const char *id)
{
	uint32_t	i;

	if (l == NULL || id == NULL || *id == '\0')
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

/* The least loaded eligible reader other than us and the skipped id. */
static const struct peer *
route_reader(const struct route_view *v, const char *skip)
{
	const struct peer	*best = NULL, *p;
	unsigned		 best_load = 0, load;
	uint32_t		 i;

	if (v->readers == NULL)
		return NULL;
	for (i = 0; i < v->readers->n; i++) {
		p = &v->readers->v[i];
		if (strcmp(p->id, v->self) == 0 ||
		    (skip != NULL && strcmp(p->id, skip) == 0) ||
		    !(p->flags & PEER_PASSING) ||
		    (v->ejected != NULL && v->ejected(p->id, v->load_arg)))
			continue;
		load = v->load != NULL ? v->load(p->id, v->load_arg) : 0;
		if (best == NULL || load < best_load) {
			best = p;
			best_load = load;
		}
	}
	return best;
}

/* Nowhere for now: hold when the client may wait, else refuse. */
static void
route_wait(const struct route_view *v, struct route *r, int wait,
    const char *why)
{
	r->kind = wait && v->hold ? ROUTE_HOLD : ROUTE_REFUSE;
	r->why = why;
}

/* The leader's W; wait: hold rather than refuse while there is none. */
static void
route_leader_w(const struct route_view *v, struct route *r, int wait)
{
	const struct peer	*p;

	if (v->role != ROLE_FOLLOWER ||
	    (p = route_find(v->writers, v->leader_id)) == NULL) {
		route_wait(v, r, wait, v->role == ROLE_FOLLOWER ?
		    "the leader's writer is not in the catalog" : "no leader");
		return;
	}
	if (v->ejected != NULL && v->ejected(p->id, v->load_arg)) {
		route_wait(v, r, wait, "the leader's writer does not answer");
		return;
	}
	/*
	 * No identity to check it by: a new elector lists the peers before
	 * it has learnt the trust domain, and again once it has.  Nor a
	 * certificate of ours yet: it comes through the supervisor, maybe
	 * after the server was told to follow.
	 */
	if (p->uri[0] == '\0' || v->no_peer_tls) {
		route_wait(v, r, wait, "no TLS material for peers yet");
		return;
	}
	r->kind = ROUTE_PEER;
	r->peer = p;
	r->svc = PROC_WRITER;
}

/* An internal hop to a writer that is not the leader. */
static void
route_hop_w(const struct route_view *v, struct route *r)
{
	switch (v->role) {
	case ROLE_HANDOVER:
		/* The followers' streams, to take the last writes. */
		if (v->hops == 0) {
			r->kind = ROUTE_LOCAL;
			return;
		}
		route_wait(v, r, 1, "handing over");
		return;
	case ROLE_FOLLOWER:
		if (v->hops == 1) {
			route_leader_w(v, r, 1);
			return;
		}
		/*
		 * The sender saw this node take the lock, and this writer
		 * may not have heard yet that it leads: the second hop
		 * waits, unread, for its own view to catch up.
		 */
		if (v->hops == 2) {
			route_wait(v, r, 1, "not the leader yet");
			return;
		}
		r->kind = ROUTE_REFUSE;
		r->why = "not the leader";
		return;
	}
	/* It may be about to lead: the sender saw it take the lock. */
	route_wait(v, r, 1, "not the leader");
}

int
route_role(int kind, int role, const char **leader_id, uint64_t lease_until,
    uint64_t now)
{
	if (kind != PROC_WRITER || role != ROLE_LEADER || now < lease_until)
		return role;
	return ROLE_HANDOVER;
}

/* The table, as if every dial succeeded. */
static void
route_table(const struct route_view *v, struct route *r)
{
	switch (v->kind) {
	case PROC_WRITER:
		if (v->role == ROLE_LEADER) {
			r->kind = ROUTE_LOCAL;
			return;
		}
		if (v->internal) {
			route_hop_w(v, r);
			return;
		}
		route_leader_w(v, r, 1);
		return;
	case PROC_READER:
		if (v->internal || (v->role != ROLE_LEADER &&
		    v->local_caught_up)) {
			r->kind = ROUTE_LOCAL;
			return;
		}
		/* Reads leave the leader when a follower can take them. */
		r->peer = route_reader(v, v->role == ROLE_LEADER ? NULL :
		    v->leader_id);
		if (r->peer == NULL && v->role != ROLE_LEADER &&
		    v->role != ROLE_HANDOVER)
			r->peer = route_find(v->readers, v->leader_id);
		if (r->peer != NULL) {
			r->kind = ROUTE_PEER;
			r->svc = PROC_READER;
		} else
			r->kind = ROUTE_LOCAL;
		return;
	case PROC_BRIDGE:
		if (v->role == ROLE_LEADER) {
			r->kind = ROUTE_REFUSE;
			r->why = "this node is the leader";
			return;
		}
		/*
		 * A stream waits for somewhere to go rather than be closed:
		 * Tile38 crashes when its leader authentication inside
		 * FOLLOW meets a closed connection.
		 */
		route_leader_w(v, r, 1);
		return;
	}
	r->kind = ROUTE_REFUSE;
	r->why = "unknown listener";
}

/*
 * The table's route may be the one whose dial just failed.  A local
 * server that refused does not come back within a retry: a client's
 * write waits for the next change of the view (a lease renewal dials it
 * again).  A peer's listener gets ROUTE_DIAL_TRIES dials, unless it is
 * ejected first and the table holds for itself; then a write waits too.
 * Nothing was read from the client, so nothing is lost by waiting.
 * Reads and streams are refused: their clients try again on their own.
 */
static void
route_failed(const struct route_view *v, struct route *r)
{
	int	write = v->kind == PROC_WRITER &&
		    !(v->internal && v->hops == 0);

	if (r->kind == ROUTE_LOCAL && v->local_failed && write) {
		memset(r, 0, sizeof(*r));
		route_wait(v, r, 1, "the local server does not answer");
	} else if ((r->kind == ROUTE_LOCAL || r->kind == ROUTE_PEER) &&
	    v->failed >= ROUTE_DIAL_TRIES) {
		memset(r, 0, sizeof(*r));
		route_wait(v, r, write, "no upstream answered");
	}
}

void
route_choose(const struct route_view *v, struct route *r)
{
	memset(r, 0, sizeof(*r));
	route_table(v, r);
	route_failed(v, r);
}

int
route_authz_hold(int kind, int allowed, const char *reason, int hold)
{
	return kind == PROC_WRITER && !allowed && hold && reason != NULL &&
	    strcmp(reason, ROUTE_NO_ELECTOR) == 0;
}

int
route_authz_final(int allowed, const char *reason)
{
	return !allowed && reason != NULL &&
	    strcmp(reason, ROUTE_NO_ELECTOR) != 0 &&
	    strcmp(reason, AUTHZ_UNAVAILABLE) != 0;
}
