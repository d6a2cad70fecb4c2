/*
 * The latest cluster state.  The elector publishes it; the supervisor
 * validates each message, keeps the newest of each kind, forwards it to
 * the children that use it, and replays it to a child that restarts, so a
 * crashed proxy is back in the current topology at once and a crashed
 * elector resumes its Consul session.
 *
 * Authorization requests travel proxy -> supervisor -> elector and back;
 * when no elector is there to answer, the supervisor denies (fail closed).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "supervisor.h"

#define TO_ELECTOR	(1 << PROC_ELECTOR)
#define TO_PROXIES	((1 << PROC_WRITER) | (1 << PROC_READER) | \
			    (1 << PROC_BRIDGE))
#define TO_ADMIN	(1 << PROC_ADMIN)
#define TO_WRITER	(1 << PROC_WRITER)

/* What the elector may publish, and where each kind goes. */
static const struct state_route {
	uint32_t	in;		/* from the elector */
	uint32_t	out;		/* to the children */
	int		to;		/* TO_* mask */
	int		per_kind;	/* one slot per listener kind (peerid) */
} state_routes[SV_STATE_SLOTS] = {
	{ MSG_SESSION, MSG_SESSION_REPLAY, TO_ELECTOR, 0 },
	{ MSG_ROLE, MSG_ROLE_UPDATE, TO_PROXIES | TO_ADMIN, 0 },
	{ MSG_PEERS, MSG_PEERS_UPDATE, TO_PROXIES | TO_ADMIN, 1 },
	{ MSG_TLS_LEAF, MSG_TLS_LEAF_UPDATE, TO_PROXIES, 1 },
	{ MSG_TLS_ROOTS, MSG_TLS_ROOTS_UPDATE, TO_PROXIES, 0 },
	{ MSG_SERVER_STATE, MSG_SERVER_STATE_UPDATE, TO_PROXIES | TO_ADMIN,
	    0 },
	{ MSG_LEASE, MSG_LEASE_UPDATE, TO_WRITER, 0 },
};

/*
 * Whether a child of that kind gets the state of that route and slot.  A
 * proxy gets only the leaf it presents, and with it the private key: the
 * writer and the reader their own service's, the bridge the writer's, with
 * which it dials the leader's writer.
 */
static int
state_wants(const struct state_route *route, int kind, uint32_t peerid)
{
	if (!(route->to & (1 << kind)))
		return 0;
	if (route->in != MSG_TLS_LEAF)
		return 1;
	return peerid == (kind == PROC_READER ? PROC_READER : PROC_WRITER);
}

/* Decode and throw away: a malformed payload must not be kept or passed on. */
static int
state_valid(uint32_t type, const void *data, size_t len)
{
	union {
		struct msg_session	session;
		struct msg_role		role;
		struct msg_peers	peers;
		struct msg_tls_leaf	leaf;
		struct msg_tls_roots	roots;
		struct msg_server_state	server;
		struct msg_lease	lease;
	} u;

	switch (type) {
	case MSG_SESSION:
		if (msg_session_decode(&u.session, data, len) == -1)
			return -1;
		msg_session_clear(&u.session);
		return 0;
	case MSG_ROLE:
		if (msg_role_decode(&u.role, data, len) == -1)
			return -1;
		msg_role_clear(&u.role);
		return 0;
	case MSG_PEERS:
		if (msg_peers_decode(&u.peers, data, len) == -1)
			return -1;
		msg_peers_clear(&u.peers);
		return 0;
	case MSG_TLS_LEAF:
		if (msg_tls_leaf_decode(&u.leaf, data, len) == -1)
			return -1;
		msg_tls_leaf_clear(&u.leaf);
		return 0;
	case MSG_TLS_ROOTS:
		if (msg_tls_roots_decode(&u.roots, data, len) == -1)
			return -1;
		msg_tls_roots_clear(&u.roots);
		return 0;
	case MSG_SERVER_STATE:
		if (msg_server_state_decode(&u.server, data, len) == -1)
			return -1;
		msg_server_state_clear(&u.server);
		return 0;
	case MSG_LEASE:
		return msg_lease_decode(&u.lease, data, len);
	}
	return -1;
}

static struct sv_blob *
state_slot(struct supervisor *sv, uint32_t type, uint32_t peerid,
    const struct state_route **route)
{
	size_t	i;

	for (i = 0; i < SV_STATE_SLOTS; i++) {
		if (state_routes[i].in != type)
			continue;
		if (state_routes[i].per_kind) {
			if (peerid != PROC_WRITER && peerid != PROC_READER)
				return NULL;
		} else if (peerid != 0)
			return NULL;
		*route = &state_routes[i];
		return &sv->state[i][state_routes[i].per_kind ? peerid : 0];
	}
	return NULL;
}

int
sv_state_update(struct supervisor *sv, const struct imsg *m)
{
	const struct state_route	*route;
	struct sv_blob			*b;
	uint8_t				*copy = NULL;
	int				 k;

	if ((b = state_slot(sv, m->hdr.type, m->hdr.peerid, &route)) == NULL ||
	    state_valid(m->hdr.type, m->data, m->datalen) == -1)
		return -1;
	if (m->datalen > 0) {
		if ((copy = malloc(m->datalen)) == NULL)
			fatal("state");
		memcpy(copy, m->data, m->datalen);
	}
	sv_blob_clear(b);
	b->data = copy;
	b->len = m->datalen;
	b->set = 1;
	if (m->hdr.type == MSG_TLS_LEAF)
		log_info("TLS material: leaf for %s", proc_name(m->hdr.peerid));
	else if (m->hdr.type == MSG_TLS_ROOTS)
		log_info("TLS material: roots");

	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		/* The elector already knows what it just told us. */
		/* Not before a child's configuration: it would not know it. */
		if (k != PROC_ELECTOR && state_wants(route, k, m->hdr.peerid) &&
		    sv->children[k].configured)
			sv_child_send(&sv->children[k], route->out,
			    m->hdr.peerid, -1, b->data, b->len);
	}
	return 0;
}

/*
 * The elector is gone: whatever write authority it gave ends now, not
 * when its lease runs out.  Its successor grants a new one once it has
 * confirmed the lock.
 */
void
sv_lease_revoke(struct supervisor *sv)
{
	const struct state_route	*route;
	struct msg_lease		 l = { 0 };
	struct sv_blob			*b;
	struct imsg			 m;
	uint8_t				 buf[16];
	int				 n;

	/* Killed, then reaped: the writer hears it once. */
	b = state_slot(sv, MSG_LEASE, 0, &route);
	if (b != NULL && b->set && msg_lease_decode(&l, b->data, b->len) == 0 &&
	    l.expires == 0)
		return;
	l.expires = 0;
	if ((n = msg_lease_encode(&l, buf, sizeof(buf))) == -1)
		fatalx("lease");
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_LEASE;
	m.fd = -1;
	m.data = buf;
	m.datalen = (size_t)n;
	if (sv_state_update(sv, &m) == -1)
		fatalx("lease");
}

void
sv_state_replay(struct sv_child *ch)
{
	struct supervisor	*sv = ch->sv;
	size_t			 i;
	uint32_t		 p;

	for (i = 0; i < SV_STATE_SLOTS; i++) {
		if (!(state_routes[i].to & (1 << ch->kind)))
			continue;
		for (p = 0; p < PROC_MAX; p++) {
			struct sv_blob	*b = &sv->state[i][p];

			if (b->set && state_wants(&state_routes[i], ch->kind,
			    p))
				sv_child_send(ch, state_routes[i].out, p, -1,
				    b->data, b->len);
		}
	}
}

void
sv_blob_clear(struct sv_blob *b)
{
	/* A leaf's blob holds its private key. */
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
sv_state_free(struct supervisor *sv)
{
	size_t	i, p;

	for (i = 0; i < SV_STATE_SLOTS; i++)
		for (p = 0; p < PROC_MAX; p++)
			sv_blob_clear(&sv->state[i][p]);
}

static void
sv_authz_deny(struct supervisor *sv, int kind, uint32_t id, const char *why)
{
	struct msg_authz_resp	r = { 0, (char *)why };
	uint8_t			buf[512];
	int			n;

	if ((n = msg_authz_resp_encode(&r, buf, sizeof(buf))) != -1)
		sv_child_send(&sv->children[kind], MSG_AUTHZ_RESULT, id, -1,
		    buf, n);
}

int
sv_authz_request(struct sv_child *from, const struct imsg *m)
{
	struct supervisor	*sv = from->sv;
	struct sv_child		*el = &sv->children[PROC_ELECTOR];
	struct msg_authz_req	 q;

	if (msg_authz_req_decode(&q, m->data, m->datalen) == -1)
		return -1;
	msg_authz_req_clear(&q);
	if (el->state != CHILD_READY) {
		sv_authz_deny(sv, from->kind, AUTHZ_ROUTE_ID(m->hdr.peerid),
		    "elector unavailable");
		return 0;
	}
	sv_child_send(el, MSG_AUTHZ_CHECK, AUTHZ_ROUTE(from->kind,
	    m->hdr.peerid), -1, m->data, m->datalen);
	return 0;
}

int
sv_authz_response(struct supervisor *sv, const struct imsg *m)
{
	struct msg_authz_resp	r;
	int			kind = AUTHZ_ROUTE_KIND(m->hdr.peerid);

	if (!PROC_IS_PROXY(kind) ||
	    msg_authz_resp_decode(&r, m->data, m->datalen) == -1)
		return -1;
	msg_authz_resp_clear(&r);
	/* A proxy that restarted meanwhile lost the request with it. */
	if (sv->children[kind].configured)
		sv_child_send(&sv->children[kind], MSG_AUTHZ_RESULT,
		    AUTHZ_ROUTE_ID(m->hdr.peerid), -1, m->data, m->datalen);
	return 0;
}

void
sv_intentions_changed(struct supervisor *sv)
{
	int	k;

	log_debug("intentions changed");
	for (k = PROC_WRITER; k <= PROC_READER; k++)
		if (sv->children[k].configured)
			sv_child_send(&sv->children[k], MSG_INTENTIONS_UPDATE,
			    0, -1, NULL, 0);
}
