/*
 * The latest cluster state and the messages the supervisor passes on.
 * The elector publishes the state; the supervisor keeps the newest of
 * each kind, forwards it to the children that use it, and replays it to a
 * child that restarts, so a crashed proxy is back in the current topology
 * at once and a crashed elector resumes its Consul session.  Which kinds
 * those are is trust.c's relay table; sv_dispatch() has checked every
 * payload before it gets here.
 *
 * Authorization requests travel proxy -> supervisor -> elector and back;
 * when no elector is there to answer, the supervisor denies (fail closed).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "supervisor.h"
#include "svc.h"

/* Whether a child of that kind gets a message of that rule and peerid. */
static int
state_wants(const struct sv_msg_rule *r, int kind, uint32_t peerid)
{
	if (!(r->to & PROCS(kind)))
		return 0;
	return !r->own_service || svc_of_proc(kind) == svc_of_proc((int)peerid);
}

static struct sv_blob *
state_slot(struct supervisor *sv, const struct sv_msg_rule *r,
    uint32_t peerid)
{
	size_t	i = sv_msg_rule_index(r);

	switch (r->keep) {
	case KEEP_LATEST:
		return peerid == 0 ? &sv->state[i][0] : NULL;
	case KEEP_PER_SERVICE:
		if (peerid != PROC_WRITER && peerid != PROC_READER)
			return NULL;
		return &sv->state[i][peerid];
	default:
		return NULL;
	}
}

void
sv_relay(struct supervisor *sv, int from, const struct sv_msg_rule *r,
    uint32_t peerid, const void *data, size_t len)
{
	int	k;

	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		/* The sender already knows what it just told us. */
		/* Not before a child's configuration: it would not know it. */
		if (k != from && state_wants(r, k, peerid) &&
		    sv->children[k].configured)
			sv_child_send(&sv->children[k], r->type, peerid, -1,
			    data, len);
	}
}

int
sv_state_update(struct supervisor *sv, int from, const struct imsg *m)
{
	const struct sv_msg_rule	*r;
	struct sv_blob			*b;
	uint8_t				*copy = NULL;

	if ((r = sv_msg_rule(m->hdr.type)) == NULL ||
	    (b = state_slot(sv, r, m->hdr.peerid)) == NULL)
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
	sv_relay(sv, from, r, m->hdr.peerid, b->data, b->len);
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
	struct msg_lease		 l = { 0 };
	struct sv_blob			*b;
	struct imsg			 m;
	uint8_t				 buf[16];
	int				 n;

	/* Killed, then reaped: the writer hears it once. */
	b = state_slot(sv, sv_msg_rule(MSG_LEASE), 0);
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
	/* From the supervisor: every child it is for hears it. */
	if (sv_state_update(sv, PROC_SUPERVISOR, &m) == -1)
		fatalx("lease");
}

void
sv_state_replay(struct sv_child *ch)
{
	struct supervisor		*sv = ch->sv;
	const struct sv_msg_rule	*r;
	struct sv_blob			*b;
	size_t				 i;
	uint32_t			 p;

	for (i = 0; (r = sv_msg_rule_at(i)) != NULL; i++) {
		if (r->keep == KEEP_NONE)
			continue;
		for (p = 0; p < PROC_MAX; p++) {
			b = &sv->state[i][p];
			if (b->set && state_wants(r, ch->kind, p))
				sv_child_send(ch, r->type, p, -1, b->data,
				    b->len);
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

	for (i = 0; i < SV_MSG_RULES; i++)
		for (p = 0; p < PROC_MAX; p++)
			sv_blob_clear(&sv->state[i][p]);
}

static void
sv_authz_deny(struct supervisor *sv, int kind, uint32_t id, const char *why)
{
	struct msg_authz_resp	r = { 0, (char *)why };

	proto_send_authz_resp(sv->children[kind].chan, id, &r);
}

/* Well formed (sv_dispatch() checked): the elector's, with the route. */
void
sv_authz_request(struct sv_child *from, const struct imsg *m)
{
	struct supervisor	*sv = from->sv;
	struct sv_child		*el = &sv->children[PROC_ELECTOR];

	if (el->state != CHILD_READY) {
		sv_authz_deny(sv, from->kind, AUTHZ_ROUTE_ID(m->hdr.peerid),
		    "elector unavailable");
		return;
	}
	sv_child_send(el, MSG_AUTHZ_REQ, AUTHZ_ROUTE(from->kind,
	    m->hdr.peerid), -1, m->data, m->datalen);
}

int
sv_authz_response(struct supervisor *sv, const struct imsg *m)
{
	int	kind = AUTHZ_ROUTE_KIND(m->hdr.peerid);

	if (!PROC_IS_PROXY(kind))
		return -1;
	/* A proxy that restarted meanwhile lost the request with it. */
	if (sv->children[kind].configured)
		sv_child_send(&sv->children[kind], MSG_AUTHZ_RESP,
		    AUTHZ_ROUTE_ID(m->hdr.peerid), -1, m->data, m->datalen);
	return 0;
}
