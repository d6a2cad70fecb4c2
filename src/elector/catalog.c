/*
 * The catalog.  With service.manage both Connect-native services are
 * registered as the Go original does (IDs "<name>-<id>", Meta.id), each
 * with a TTL check that the elector keeps passing only while the node is
 * really fit for it: the writer while the local server answers, the
 * reader while it answers and is the leader or a caught-up follower.
 *
 * Peers are discovered with blocking queries on the health endpoint with
 * ?passing, so a dead node leaves the routing table as soon as its checks
 * fail instead of lingering in the catalog.  A node registered twice
 * under one Meta.id is known by its instance "<name>-<id>" alone
 * (catalog_pick()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pick.h"
#include "child.h"
#include "election.h"
#include "log.h"

#define CATALOG_MIN_MS	100

static void	catalog_register(struct elector *, int);
static void	catalog_discover(struct elector *, int);

/*
 * A stopping node leaves the catalog, except a leader's writer while it
 * hands over: the followers' bridges find it there to take the last
 * writes.
 */
static int
catalog_fit(const struct elector *e, int svc)
{
	if (!e->srv.up || e->srv.loading)
		return 0;
	if (e->lead.mode == MODE_STOP)
		return svc == SVC_WRITER && lead_holds(&e->lead);
	return svc == SVC_WRITER || lead_holds(&e->lead) ||
	    server_caught_up(e->srv.up, e->srv.leader, e->srv.caught_up);
}

static void
catalog_check_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);

	if (watch_check_passed(w, r, "service check refresh"))
		return;
	/* Forgotten by a restarted agent: register again. */
	w->e->registered[w->which] = 0;
	watch_retry(w, 250, 2000);
}

static void
catalog_check(struct elector *e, int svc)
{
	struct watch	*w = &e->reg[svc];
	char		 path[600], id[400], *eid;

	if (w->req != NULL)
		return;
	if (!e->registered[svc]) {
		catalog_register(e, svc);
		return;
	}
	snprintf(id, sizeof(id), "%s-%s-ttl", svc_name(e->cfg, svc),
	    e->cfg->id);
	if ((eid = consul_escape(id)) == NULL)
		fatal("escape");
	snprintf(path, sizeof(path), "/v1/agent/check/%s/%s",
	    catalog_fit(e, svc) ? "pass" : "fail", eid);
	free(eid);
	watch_call(w, "PUT", path, NULL, CALL_TIMEOUT_MS, catalog_check_cb);
}

static void
catalog_register_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	if (r->status != 200) {
		elector_call_failed("service registration", r);
		watch_retry(w, 250, 5000);
		return;
	}
	log_info("service %s-%s registered", svc_name(e->cfg, w->which),
	    e->cfg->id);
	e->registered[w->which] = 1;
	w->backoff = 0;
	catalog_check(e, w->which);
}

static void
catalog_register(struct elector *e, int svc)
{
	char	*body;

	body = consul_service_body(svc_name(e->cfg, svc), e->cfg->id,
	    e->cfg->advertise, svc == SVC_WRITER ? e->cfg->bind_port_leader :
	    e->cfg->bind_port_follower, e->cfg->election_check_ttl);
	if (body == NULL)
		fatal("service body");
	watch_call(&e->reg[svc], "PUT",
	    "/v1/agent/service/register?replace-existing-checks=true", body,
	    CALL_TIMEOUT_MS, catalog_register_cb);
	free(body);
}

static void
catalog_reg_retry(void *arg)
{
	struct watch	*w = arg;

	if (!w->e->deregistering)
		catalog_check(w->e, w->which);
}

void
catalog_health_changed(struct elector *e)
{
	int	svc;

	if (!e->cfg->service_manage || e->deregistering)
		return;
	/* Tell Consul now rather than at the next refresh. */
	for (svc = 0; svc < SVC_MAX; svc++)
		if (e->registered[svc] && e->reg[svc].req == NULL) {
			ev_timer_stop(e->loop, &e->reg[svc].retry);
			catalog_check(e, svc);
		}
}

void
catalog_publish(struct elector *e)
{
	struct msg_peers	 m;
	struct peer		*v;
	char			*uris[SVC_MAX] = { NULL, NULL };
	size_t			 i;
	int			 svc;

	for (svc = 0; svc < SVC_MAX; svc++) {
		if (!e->found_set[svc])
			continue;
		/* The identity a peer's certificate must carry. */
		if (e->trust_domain != NULL && e->datacenter != NULL &&
		    asprintf(&uris[svc], "spiffe://%s/ns/default/dc/%s/svc/%s",
		    e->trust_domain, e->datacenter, svc_name(e->cfg, svc)) == -1)
			fatal("uri");
		if ((v = calloc(e->found[svc].n + 1, sizeof(*v))) == NULL)
			fatal("peers");
		for (i = 0; i < e->found[svc].n; i++) {
			v[i].id = e->found[svc].v[i].id;
			v[i].addr = e->found[svc].v[i].address;
			v[i].port = e->found[svc].v[i].port;
			v[i].uri = uris[svc] != NULL ? uris[svc] : "";
			v[i].flags = e->found[svc].v[i].passing ? PEER_PASSING : 0;
		}
		m.v = v;
		m.n = e->found[svc].n;
		proto_send_peers(e->child->chan, (uint32_t)svc_proc(svc), &m);
		free(v);
		free(uris[svc]);
	}
}

static void
catalog_health_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_instances	 l;
	char			 err[256];
	int			 dropped;

	if (r->status != 200 || consul_parse_health(r->body, r->len, &l, err,
	    sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("discovery of %s: %s",
			    svc_name(e->cfg, w->which), err);
		else
			elector_call_failed("discovery", r);
		watch_restart(w, 250, 5000);
		return;
	}
	watch_advance(w, r);
	/* The peers' listeners, the bridge's check and the list alike. */
	if ((dropped = catalog_pick(&l, svc_name(e->cfg, w->which))) == -1)
		fatal("discovery");
	if (dropped > 0)
		log_debug("%s: %d more instances of a node left out",
		    svc_name(e->cfg, w->which), dropped);
	consul_instances_clear(&e->found[w->which]);
	e->found[w->which] = l;
	e->found_set[w->which] = 1;
	log_debug("%s: %zu passing instances", svc_name(e->cfg, w->which),
	    l.n);
	catalog_publish(e);
	/* Never spin on an agent that answers at once. */
	ev_timer_start(e->loop, &w->retry, CATALOG_MIN_MS);
}

static void
catalog_discover(struct elector *e, int svc)
{
	watch_get_service(&e->health[svc], "/v1/health/connect/", "?passing",
	    catalog_health_cb);
}

static void
catalog_health_retry(void *arg)
{
	struct watch	*w = arg;

	if (w->req == NULL)
		catalog_discover(w->e, w->which);
}

void
catalog_start(struct elector *e)
{
	int	svc;

	for (svc = 0; svc < SVC_MAX; svc++) {
		watch_init(&e->reg[svc], e, svc, catalog_reg_retry);
		watch_init(&e->health[svc], e, svc, catalog_health_retry);
		if (e->cfg->service_manage)
			catalog_register(e, svc);
		catalog_discover(e, svc);
	}
}

static void
catalog_deregister_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	int		 svc;

	if (r->status != 200)
		elector_call_failed("service deregistration", r);
	else
		log_info("service %s-%s deregistered",
		    svc_name(e->cfg, w->which), e->cfg->id);
	e->registered[w->which] = 0;
	for (svc = 0; svc < SVC_MAX; svc++)
		if (e->reg[svc].req != NULL)
			return;
	e->deregistered(e);
}

void
catalog_deregister(struct elector *e, void (*done)(struct elector *))
{
	char	path[600], id[400], *eid;
	int	svc, n = 0;

	e->deregistered = done;
	for (svc = 0; svc < SVC_MAX; svc++) {
		watch_cancel(&e->reg[svc]);
		watch_cancel(&e->health[svc]);
		if (!e->cfg->service_manage)
			continue;
		snprintf(id, sizeof(id), "%s-%s", svc_name(e->cfg, svc),
		    e->cfg->id);
		if ((eid = consul_escape(id)) == NULL)
			fatal("escape");
		snprintf(path, sizeof(path), "/v1/agent/service/deregister/%s",
		    eid);
		free(eid);
		watch_call(&e->reg[svc], "PUT", path, NULL, CALL_TIMEOUT_MS,
		    catalog_deregister_cb);
		n++;
	}
	if (n == 0)
		done(e);
}

void
catalog_stop(struct elector *e)
{
	int	svc;

	for (svc = 0; svc < SVC_MAX; svc++) {
		watch_cancel(&e->reg[svc]);
		watch_cancel(&e->health[svc]);
		consul_instances_clear(&e->found[svc]);
		e->found_set[svc] = 0;
	}
}
