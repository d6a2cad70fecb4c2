/*
 * A client connection's first steps, from accept to a known client
 * (proxy_conn.c tells the whole way):
 *
 *	accept -> TLS handshake (a client certificate from the Connect
 *	CA is required; its SPIFFE id must be of the roots' trust domain)
 *	-> authorization of that id by the elector, through the
 *	supervisor -> route (proxy_conn_dial.c)
 *
 * A bridge's connection comes from loopback and goes to its route at
 * once.  Another node's proxy presents our own service's identity: it
 * is marked internal here, with the hop or replication stream its
 * handshake declared, since everything after (route, filter, cut)
 * depends on it.
 *
 * The elector's decisions are kept for a while (PROXY_AUTHZ_TTL_MS) per
 * identity, so that a client that connects often is not one question
 * each time; a change of the intentions forgets them all.  A question
 * has the handshake's deadline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proxy_int.h"
#include "proxy_tls.h"
#include "spiffe.h"

static void
conn_timeout(void *arg)
{
	struct conn	*c = arg;

	conn_close(c, c->state == CONN_AUTHZ ? "authorization timeout" :
	    "dial timeout");
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

void
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
void
conn_authz_ask(struct conn *c)
{
	struct proxy		*px = c->px;
	struct authz_entry	*hit;
	struct msg_authz_req	 q;

	if ((hit = conn_cache_find(px, c->uri)) != NULL) {
		conn_authorized(c, hit->allowed, "cached decision");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.target = (char *)svc_name(px->cfg, svc_of_proc(px->kind));
	q.uri = c->uri;
	q.serial = c->serial;
	c->state = CONN_AUTHZ;
	c->authz_id = ++px->next_authz & 0xffffff;
	c->authz_gen = px->authz_gen;
	if (proto_send_authz_req(px->child->chan, c->authz_id, &q) == -1) {
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
	int			 svc = svc_of_proc(px->kind);

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
