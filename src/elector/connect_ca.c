/*
 * The Connect CA: this node's leaf certificates for both services and the
 * CA roots, watched with blocking queries and pushed to the supervisor on
 * every rotation; and authorization of the proxies' clients by the agent
 * (Consul intentions).  An authorization that cannot be asked is denied.
 * The proxies reuse a decision for a few seconds; the intentions are
 * watched so that a change makes them forget every decision at once.
 *
 * A burst of new clients must not crowd out the elector's own calls (a
 * session renewal queued behind them can cost the lock), so identical
 * questions share one call and only AUTHZ_MAX_CALLS run at once; the
 * rest wait their turn in order.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "election.h"
#include "log.h"

/*
 * The agent answers from its local cache in about a millisecond, so a
 * few calls at once drain a burst quickly; 16 stays far below the
 * client's connection cap (consul_http.c) beside the elector's own ~20.
 */
#define AUTHZ_MAX_CALLS		16

/* One question to the agent and every proxy request waiting for it. */
struct authz_ask {
	TAILQ_ENTRY(authz_ask)	 entry;
	struct elector		*e;
	struct consul_req	*req;		/* NULL while queued */
	char			*target;
	char			*uri;
	char			*serial;
	unsigned		 gen;		/* authz->gen when asked */
	uint32_t		*routes;
	size_t			 nroutes;
	size_t			 cap;
};

TAILQ_HEAD(authz_asks, authz_ask);

/* The elector's authorizations: e->authz, made on first use. */
struct authz {
	struct authz_asks	 calls;		/* in flight, at most the max */
	struct authz_asks	 queue;		/* waiting for a call */
	size_t			 ncalls;
	/*
	 * Bumped when the intentions change: a question asked before
	 * then is not shared with one asked after.
	 */
	unsigned		 gen;
};

static void	connect_ca_authz_next(struct elector *);

static void	connect_ca_roots(struct elector *);
static void	connect_ca_leaf(struct elector *, int);
static void	connect_ca_intentions(struct elector *);

static void
connect_ca_roots_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_roots	 roots;
	struct msg_tls_roots	 m;
	char			 err[256];
	int			 changed;

	if (r->status != 200 || consul_parse_roots(r->body, r->len, &roots,
	    err, sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("CA roots: %s", err);
		else
			elector_call_failed("CA roots", r);
		watch_restart(w, 250, 5000);
		return;
	}
	if (r->index != w->index)
		log_info("CA roots received (active root %s)",
		    roots.active_id);
	watch_advance(w, r);
	changed = e->trust_domain == NULL ||
	    strcmp(e->trust_domain, roots.trust_domain) != 0;
	free(e->trust_domain);
	if ((e->trust_domain = strdup(roots.trust_domain)) == NULL)
		fatal("trust domain");
	m.trust_domain = roots.trust_domain;
	m.pem = roots.pem;
	proto_send_tls_roots(e->child->chan, &m);
	e->tls_sent |= TLS_SENT_ROOTS;
	consul_roots_clear(&roots);
	if (changed)
		catalog_publish(e);
	ev_timer_start(e->loop, &w->retry, 100);
}

static void
connect_ca_roots(struct elector *e)
{
	watch_get(&e->roots, "/v1/agent/connect/ca/roots",
	    connect_ca_roots_cb);
}

static void
connect_ca_roots_retry(void *arg)
{
	struct watch	*w = arg;

	if (w->req == NULL)
		connect_ca_roots(w->e);
}

/*
 * Only the index of the intentions matters.  Without intentions:read
 * (ACLs), decisions simply live out their few seconds.
 */
static void
connect_ca_intentions_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	if (r->status == 403) {
		if (!e->intentions_denied)
			log_warnx("intentions watch: HTTP 403 (the token lacks"
			    " intentions:read): authorization decisions are"
			    " reused until they expire");
		e->intentions_denied = 1;
		watch_retry(w, 60000, 600000);
		return;
	}
	if (r->status != 200) {
		elector_call_failed("intentions watch", r);
		watch_restart(w, 250, 5000);
		return;
	}
	e->intentions_denied = 0;
	/* The first answer too: they may have changed while we were down. */
	if (r->index != w->index) {
		log_debug("intentions at index %llu",
		    (unsigned long long)r->index);
		proto_send_empty(e->child->chan, MSG_INTENTIONS);
		if (e->authz != NULL)
			e->authz->gen++;
	}
	watch_advance(w, r);
	ev_timer_start(e->loop, &w->retry, 100);
}

static void
connect_ca_intentions(struct elector *e)
{
	watch_get(&e->intentions, "/v1/connect/intentions",
	    connect_ca_intentions_cb);
}

static void
connect_ca_intentions_retry(void *arg)
{
	struct watch	*w = arg;

	if (w->req == NULL)
		connect_ca_intentions(w->e);
}

static void
connect_ca_leaf_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_leaf	 leaf;
	struct msg_tls_leaf	 m;
	char			 err[256];

	if (r->status != 200 || consul_parse_leaf(r->body, r->len, &leaf, err,
	    sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("leaf certificate of %s: %s",
			    svc_name(e->cfg, w->which), err);
		else
			elector_call_failed("leaf certificate", r);
		watch_restart(w, 250, 5000);
		return;
	}
	if (r->index != w->index)
		log_info("leaf certificate for %s received (serial %s)",
		    svc_name(e->cfg, w->which), leaf.serial);
	watch_advance(w, r);
	m.cert_pem = leaf.cert_pem;
	m.key_pem = leaf.key_pem;
	m.uri = leaf.service_uri;
	m.valid_before = leaf.valid_before > 0 ? (uint64_t)leaf.valid_before :
	    0;
	/* The private key leaves this process only over the channel. */
	proto_send_tls_leaf(e->child->chan, (uint32_t)svc_proc(w->which), &m);
	if (w->which == SVC_WRITER)
		e->tls_sent |= TLS_SENT_WRITER;
	consul_leaf_clear(&leaf);
	ev_timer_start(e->loop, &w->retry, 100);
}

static void
connect_ca_leaf(struct elector *e, int svc)
{
	watch_get_service(&e->leaf[svc], "/v1/agent/connect/ca/leaf/", "",
	    connect_ca_leaf_cb);
}

static void
connect_ca_leaf_retry(void *arg)
{
	struct watch	*w = arg;

	if (w->req == NULL)
		connect_ca_leaf(w->e, w->which);
}

void
connect_ca_start(struct elector *e)
{
	int	svc;

	watch_init(&e->roots, e, 0, connect_ca_roots_retry);
	connect_ca_roots(e);
	watch_init(&e->intentions, e, 0, connect_ca_intentions_retry);
	connect_ca_intentions(e);
	for (svc = 0; svc < SVC_MAX; svc++) {
		watch_init(&e->leaf[svc], e, svc, connect_ca_leaf_retry);
		connect_ca_leaf(e, svc);
	}
}

static void
connect_ca_answer(struct elector *e, uint32_t route, int allowed,
    const char *reason)
{
	struct msg_authz_resp	m;

	m.allowed = allowed;
	m.reason = (char *)reason;
	proto_send_authz_resp(e->child->chan, route, &m);
}

static void
connect_ca_ask_free(struct authz_ask *a)
{
	free(a->target);
	free(a->uri);
	free(a->serial);
	free(a->routes);
	free(a);
}

/* Answer every request waiting on a finished call, and forget it. */
static void
connect_ca_ask_done(struct authz_ask *a, int allowed, const char *reason)
{
	struct elector	*e = a->e;
	size_t		 i;

	TAILQ_REMOVE(&e->authz->calls, a, entry);
	e->authz->ncalls--;
	for (i = 0; i < a->nroutes; i++)
		connect_ca_answer(e, a->routes[i], allowed, reason);
	connect_ca_ask_free(a);
}

static void
connect_ca_authz_cb(const struct consul_resp *r, void *arg)
{
	struct authz_ask	*a = arg;
	struct elector		*e = a->e;
	char			 err[256], *reason = NULL;
	int			 allowed = 0;

	a->req = NULL;
	if (r->status != 200 || consul_parse_authorize(r->body, r->len,
	    &allowed, &reason, err, sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("authorization: %s", err);
		else
			elector_call_failed("authorization", r);
		connect_ca_ask_done(a, 0, AUTHZ_UNAVAILABLE);
	} else
		connect_ca_ask_done(a, allowed, reason);
	free(reason);
	connect_ca_authz_next(e);
}

/* Start queued questions while there is room for their calls. */
static void
connect_ca_authz_next(struct elector *e)
{
	struct authz		*az = e->authz;
	struct authz_ask	*a;
	char			*body;

	while (az->ncalls < AUTHZ_MAX_CALLS &&
	    (a = TAILQ_FIRST(&az->queue)) != NULL) {
		TAILQ_REMOVE(&az->queue, a, entry);
		TAILQ_INSERT_TAIL(&az->calls, a, entry);
		az->ncalls++;
		if ((body = consul_authorize_body(a->target, a->uri,
		    a->serial)) == NULL)
			fatal("authorization");
		a->req = consul_call(e->consul, "POST",
		    "/v1/agent/connect/authorize", body, CALL_TIMEOUT_MS,
		    connect_ca_authz_cb, a);
		free(body);
		/* Not made, so never called back: answered here. */
		if (a->req == NULL)
			connect_ca_ask_done(a, 0, AUTHZ_UNAVAILABLE);
	}
}

/* A question of the current generation for target and uri, or NULL. */
static struct authz_ask *
connect_ca_ask_find(struct authz *az, struct authz_asks *list,
    const struct msg_authz_req *q)
{
	struct authz_ask	*a;

	TAILQ_FOREACH(a, list, entry)
		if (a->gen == az->gen && strcmp(a->uri, q->uri) == 0 &&
		    strcmp(a->target, q->target) == 0)
			return a;
	return NULL;
}

static void
connect_ca_ask_wait(struct authz_ask *a, uint32_t route)
{
	uint32_t	*routes;
	size_t		 cap;

	if (a->nroutes == a->cap) {
		cap = a->cap == 0 ? 4 : a->cap * 2;
		if ((routes = reallocarray(a->routes, cap,
		    sizeof(*routes))) == NULL)
			fatal("authorization");
		a->routes = routes;
		a->cap = cap;
	}
	a->routes[a->nroutes++] = route;
}

/*
 * The agent's answer depends on the target and the client's URI alone
 * (the proxies key their own reuse of it on the URI), so a question
 * already asked or queued answers this request too.
 */
void
connect_ca_authorize(struct elector *e, uint32_t route,
    const struct msg_authz_req *q)
{
	struct authz		*az;
	struct authz_ask	*a;

	if (!e->started) {
		connect_ca_answer(e, route, 0, AUTHZ_UNAVAILABLE);
		return;
	}
	if ((az = e->authz) == NULL) {
		if ((az = calloc(1, sizeof(*az))) == NULL)
			fatal("authorization");
		TAILQ_INIT(&az->calls);
		TAILQ_INIT(&az->queue);
		e->authz = az;
	}
	if ((a = connect_ca_ask_find(az, &az->calls, q)) != NULL ||
	    (a = connect_ca_ask_find(az, &az->queue, q)) != NULL) {
		connect_ca_ask_wait(a, route);
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->target = strdup(q->target)) == NULL ||
	    (a->uri = strdup(q->uri)) == NULL ||
	    (a->serial = strdup(q->serial)) == NULL)
		fatal("authorization");
	a->e = e;
	a->gen = az->gen;
	connect_ca_ask_wait(a, route);
	TAILQ_INSERT_TAIL(&az->queue, a, entry);
	if (az->ncalls == AUTHZ_MAX_CALLS)
		log_debug("authorization of %s waits for one of %d calls",
		    a->uri, AUTHZ_MAX_CALLS);
	connect_ca_authz_next(e);
}

void
connect_ca_stop(struct elector *e)
{
	struct authz		*az;
	struct authz_ask	*a;
	int			 svc;

	watch_cancel(&e->roots);
	watch_cancel(&e->intentions);
	for (svc = 0; svc < SVC_MAX; svc++)
		watch_cancel(&e->leaf[svc]);
	/* The elector is going: nobody waits for these answers. */
	if ((az = e->authz) != NULL) {
		while ((a = TAILQ_FIRST(&az->calls)) != NULL) {
			TAILQ_REMOVE(&az->calls, a, entry);
			consul_cancel(e->consul, a->req);
			connect_ca_ask_free(a);
		}
		while ((a = TAILQ_FIRST(&az->queue)) != NULL) {
			TAILQ_REMOVE(&az->queue, a, entry);
			connect_ca_ask_free(a);
		}
		free(az);
		e->authz = NULL;
	}
	free(e->trust_domain);
	e->trust_domain = NULL;
}
