/*
 * proxy.intentions.recheck: when Consul's intentions change, the
 * identities of the open connections are asked about again, and the
 * connections of those now denied are closed.  Off by default: an
 * intention has always applied to new connections only, as Consul's own
 * proxies apply it.
 *
 * One question per distinct identity, however many connections it has;
 * the elector shares identical questions and bounds its calls.  A pass
 * runs at the change and once more PROXY_AUTHZ_SETTLE_MS later, since
 * the agent may answer from a cache a little behind the intentions it
 * has just listed.  Only the agent's own "no" closes a connection: an
 * answer that says it could not be asked (no elector, no agent) leaves
 * it open.
 */
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "log.h"
#include "proxy_int.h"

/* The identities asked about in one pass, and their question's id. */
struct recheck_asked {
	const char	*uri;		/* a connection's, while the pass runs */
	uint32_t	 id;
};

/* Past its first authorization, with a client to ask about again. */
static int
recheck_eligible(const struct conn *c)
{
	return c->uri != NULL && c->state != CONN_HANDSHAKE &&
	    c->state != CONN_AUTHZ && c->state != CONN_AUTHZ_HOLD;
}

static int
recheck_ask(struct proxy *px, struct conn *c, uint32_t *id)
{
	struct msg_authz_req	q;

	memset(&q, 0, sizeof(q));
	q.target = (char *)svc_name(px->cfg, svc_of_proc(px->kind));
	q.uri = c->uri;
	q.serial = c->serial;
	/* 0 is no question: skipped when the ids wrap */
	if ((*id = ++px->next_authz & 0xffffff) == 0)
		*id = ++px->next_authz & 0xffffff;
	return proto_send_authz_req(px->child->chan, *id, &q);
}

static void
recheck_pass(struct proxy *px)
{
	struct recheck_asked	*asked = NULL, *a;
	struct conn		*c;
	size_t			 n = 0, cap = 0, i;

	TAILQ_FOREACH(c, &px->conns, entry) {
		c->recheck_id = 0;
		if (!recheck_eligible(c))
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(asked[i].uri, c->uri) == 0)
				break;
		if (i == n) {
			if (n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				if ((a = reallocarray(asked, cap,
				    sizeof(*a))) == NULL) {
					log_warn("intentions recheck");
					break;
				}
				asked = a;
			}
			asked[n].uri = c->uri;
			if (recheck_ask(px, c, &asked[n].id) == -1) {
				log_warnx("intentions recheck: request");
				break;
			}
			n++;
		}
		c->recheck_id = asked[i].id;
	}
	if (n > 0)
		log_debug("intentions changed: %zu identities asked again", n);
	free(asked);
}

void
conn_recheck_settled(void *arg)
{
	struct proxy	*px = arg;

	if (px->cfg->proxy_intentions_recheck)
		recheck_pass(px);
}

void
conn_recheck_start(struct proxy *px)
{
	if (px->kind == PROC_BRIDGE || !px->cfg->proxy_intentions_recheck)
		return;
	recheck_pass(px);
	ev_timer_start(px->child->loop, &px->recheck_timer,
	    PROXY_AUTHZ_SETTLE_MS);
}

int
conn_recheck_result(struct proxy *px, uint32_t id, int allowed,
    const char *reason)
{
	struct conn	*c, *next;
	int		 found = 0;

	if (id == 0)
		return 0;
	for (c = TAILQ_FIRST(&px->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->recheck_id != id)
			continue;
		found = 1;
		c->recheck_id = 0;
		if (!route_authz_final(allowed, reason))
			continue;
		px->denied++;
		log_info("client %s denied now: %s; its connection is closed",
		    c->uri, reason);
		conn_close(c, "denied by a change of intentions");
	}
	return found;
}
