/*
 * The Connect CA: this node's leaf certificates for both services and the
 * CA roots, watched with blocking queries and pushed to the supervisor on
 * every rotation; and authorization of the proxies' clients by the agent
 * (Consul intentions).  An authorization that cannot be asked is denied.
 * The proxies reuse a decision for a few seconds; the intentions are
 * watched so that a change makes them forget every decision at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "election.h"
#include "log.h"

struct authz {
	struct authz		*next;
	struct elector		*e;
	struct consul_req	*req;
	uint32_t		 route;
};

static void	connect_ca_roots(struct elector *);
static void	connect_ca_leaf(struct elector *, int);
static void	connect_ca_intentions(struct elector *);

static void
connect_ca_roots_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = arg;
	struct elector		*e = w->e;
	struct consul_roots	 roots;
	struct msg_tls_roots	 m;
	uint8_t			 buf[IMSG_MAX_PAYLOAD];
	char			 err[256];
	int			 changed;

	w->req = NULL;
	if (r->status != 200 || consul_parse_roots(r->body, r->len, &roots,
	    err, sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("CA roots: %s", err);
		else
			elector_call_failed("CA roots", r);
		w->index = 0;
		watch_retry(w, 250, 5000);
		return;
	}
	if (r->index != w->index)
		log_info("CA roots received (active root %s)",
		    roots.active_id);
	w->index = r->index < w->index ? 0 : r->index;
	w->backoff = 0;
	changed = e->trust_domain == NULL ||
	    strcmp(e->trust_domain, roots.trust_domain) != 0;
	free(e->trust_domain);
	if ((e->trust_domain = strdup(roots.trust_domain)) == NULL)
		fatal("trust domain");
	m.trust_domain = roots.trust_domain;
	m.pem = roots.pem;
	elector_send(e, MSG_TLS_ROOTS, 0, buf, msg_tls_roots_encode(&m, buf,
	    sizeof(buf)));
	e->tls_sent |= TLS_SENT_ROOTS;
	consul_roots_clear(&roots);
	if (changed)
		catalog_publish(e);
	ev_timer_start(e->loop, &w->retry, 100);
}

static void
connect_ca_roots(struct elector *e)
{
	char	path[128];

	snprintf(path, sizeof(path),
	    "/v1/agent/connect/ca/roots?index=%llu&wait=%ds",
	    (unsigned long long)e->roots.index, WATCH_WAIT_S);
	e->roots.req = consul_call(e->consul, "GET", path, NULL,
	    WATCH_TIMEOUT_MS, connect_ca_roots_cb, &e->roots);
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
	struct watch	*w = arg;
	struct elector	*e = w->e;

	w->req = NULL;
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
		w->index = 0;
		watch_retry(w, 250, 5000);
		return;
	}
	e->intentions_denied = 0;
	/* The first answer too: they may have changed while we were down. */
	if (r->index != w->index) {
		log_debug("intentions at index %llu",
		    (unsigned long long)r->index);
		elector_send(e, MSG_INTENTIONS, 0, NULL, 0);
	}
	w->index = r->index < w->index ? 0 : r->index;
	w->backoff = 0;
	ev_timer_start(e->loop, &w->retry, 100);
}

static void
connect_ca_intentions(struct elector *e)
{
	char	path[128];

	snprintf(path, sizeof(path),
	    "/v1/connect/intentions?index=%llu&wait=%ds",
	    (unsigned long long)e->intentions.index, WATCH_WAIT_S);
	e->intentions.req = consul_call(e->consul, "GET", path, NULL,
	    WATCH_TIMEOUT_MS, connect_ca_intentions_cb, &e->intentions);
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
	struct watch		*w = arg;
	struct elector		*e = w->e;
	struct consul_leaf	 leaf;
	struct msg_tls_leaf	 m;
	uint8_t			 buf[IMSG_MAX_PAYLOAD];
	char			 err[256];

	w->req = NULL;
	if (r->status != 200 || consul_parse_leaf(r->body, r->len, &leaf, err,
	    sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("leaf certificate of %s: %s",
			    elector_service(e, w->which), err);
		else
			elector_call_failed("leaf certificate", r);
		w->index = 0;
		watch_retry(w, 250, 5000);
		return;
	}
	if (r->index != w->index)
		log_info("leaf certificate for %s received (serial %s)",
		    elector_service(e, w->which), leaf.serial);
	w->index = r->index < w->index ? 0 : r->index;
	w->backoff = 0;
	m.cert_pem = leaf.cert_pem;
	m.key_pem = leaf.key_pem;
	m.uri = leaf.service_uri;
	m.valid_before = leaf.valid_before > 0 ? (uint64_t)leaf.valid_before :
	    0;
	elector_send(e, MSG_TLS_LEAF, w->which == SVC_WRITER ? PROC_WRITER :
	    PROC_READER, buf, msg_tls_leaf_encode(&m, buf, sizeof(buf)));
	if (w->which == SVC_WRITER)
		e->tls_sent |= TLS_SENT_WRITER;
	/* The private key leaves this process only over the channel. */
	explicit_bzero(buf, sizeof(buf));
	consul_leaf_clear(&leaf);
	ev_timer_start(e->loop, &w->retry, 100);
}

static void
connect_ca_leaf(struct elector *e, int svc)
{
	char	path[512], *name;

	if ((name = consul_escape(elector_service(e, svc))) == NULL)
		fatal("escape");
	snprintf(path, sizeof(path),
	    "/v1/agent/connect/ca/leaf/%s?index=%llu&wait=%ds", name,
	    (unsigned long long)e->leaf[svc].index, WATCH_WAIT_S);
	free(name);
	e->leaf[svc].req = consul_call(e->consul, "GET", path, NULL,
	    WATCH_TIMEOUT_MS, connect_ca_leaf_cb, &e->leaf[svc]);
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
	for (svc = 0; svc < SVC_COUNT; svc++) {
		watch_init(&e->leaf[svc], e, svc, connect_ca_leaf_retry);
		connect_ca_leaf(e, svc);
	}
}

static void
connect_ca_answer(struct elector *e, uint32_t route, int allowed,
    const char *reason)
{
	struct msg_authz_resp	m;
	uint8_t			buf[1024];

	m.allowed = allowed;
	m.reason = (char *)reason;
	elector_send(e, MSG_AUTHZ_RESP, route, buf, msg_authz_resp_encode(&m,
	    buf, sizeof(buf)));
}

static void
connect_ca_authz_cb(const struct consul_resp *r, void *arg)
{
	struct authz	*a = arg, **pp;
	struct elector	*e = a->e;
	char		 err[256], *reason = NULL;
	int		 allowed = 0;

	for (pp = &e->authz; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (r->status != 200 || consul_parse_authorize(r->body, r->len,
	    &allowed, &reason, err, sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("authorization: %s", err);
		else
			elector_call_failed("authorization", r);
		connect_ca_answer(e, a->route, 0, "authorization unavailable");
	} else
		connect_ca_answer(e, a->route, allowed, reason);
	free(reason);
	free(a);
}

void
connect_ca_authorize(struct elector *e, uint32_t route,
    const struct msg_authz_req *q)
{
	struct authz	*a;
	char		*body;

	if (!e->started) {
		connect_ca_answer(e, route, 0, "authorization unavailable");
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (body = consul_authorize_body(q->target, q->uri, q->serial)) ==
	    NULL)
		fatal("authorization");
	a->e = e;
	a->route = route;
	a->next = e->authz;
	e->authz = a;
	a->req = consul_call(e->consul, "POST", "/v1/agent/connect/authorize",
	    body, CALL_TIMEOUT_MS, connect_ca_authz_cb, a);
	free(body);
	if (a->req == NULL) {
		/*
		 * Not made, so never called back: without this the entry
		 * stayed on the list and the client waited for its timeout.
		 */
		e->authz = a->next;
		free(a);
		connect_ca_answer(e, route, 0, "authorization unavailable");
	}
}

void
connect_ca_stop(struct elector *e)
{
	struct authz	*a;
	int		 svc;

	watch_cancel(&e->roots);
	watch_cancel(&e->intentions);
	for (svc = 0; svc < SVC_COUNT; svc++)
		watch_cancel(&e->leaf[svc]);
	while ((a = e->authz) != NULL) {
		e->authz = a->next;
		consul_cancel(e->consul, a->req);
		free(a);
	}
	free(e->trust_domain);
	e->trust_domain = NULL;
}
