/*
 * Freshness records.  Every node publishes its own at
 * <prefix>/nodes/<id>, held by its session so that it disappears with
 * it, and watches everyone's with a blocking query: the candidates'
 * rules (fresh.h) and a handover's wait for a caught-up follower read
 * them.  Apart from election.c, which decides with them.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "election_int.h"
#include "log.h"

static void
publish_cb(const struct consul_resp *r, void *arg)
{
	watch_done(arg);
	if (r->status != 200)
		elector_call_failed("freshness record", r);
}

void
election_self_record(const struct elector *e, struct freshness *f)
{
	memset(f, 0, sizeof(*f));
	f->id = (char *)e->cfg->id;
	f->up = e->srv.up && !e->srv.loading;
	f->leader = lead_holds(&e->lead);
	f->caught_up = e->srv.caught_up;
	f->offset = e->srv.offset;
	f->keys = e->srv.keys;
	f->lineage = (char *)e->srv.lineage;
	f->epoch = e->epoch;
	f->time_ms = election_wall_ms();
	f->paused = e->paused;
}

void
election_publish(struct elector *e)
{
	struct freshness	 f;
	char			 query[128], key[512], *path, *body;

	if (e->session == NULL || e->publish.req != NULL)
		return;
	election_self_record(e, &f);
	if ((body = freshness_encode(&f)) == NULL)
		fatal("freshness");
	/* Held by our session: the record disappears with it. */
	snprintf(query, sizeof(query), "acquire=%s", e->session);
	snprintf(key, sizeof(key), "nodes/%s", e->cfg->id);
	path = election_kv_path(e, key, query);
	e->published_at = ev_now();
	watch_call(&e->publish, "PUT", path, body, CALL_TIMEOUT_MS,
	    publish_cb);
	free(path);
	free(body);
}

static void
peers_replace(struct elector *e, const struct consul_kv_list *l)
{
	struct freshness	*v;
	size_t			 i, n = 0;
	char			 err[256];

	if ((v = calloc(l->n + 1, sizeof(*v))) == NULL)
		fatal("peers");
	for (i = 0; i < l->n; i++) {
		if (l->v[i].value == NULL)
			continue;
		if (freshness_decode((const char *)l->v[i].value,
		    l->v[i].value_len, &v[n], err, sizeof(err)) == -1) {
			log_debug("freshness record %s: %s", l->v[i].key, err);
			continue;
		}
		n++;
	}
	for (i = 0; i < e->npeers; i++)
		freshness_clear(&e->peers[i]);
	free(e->peers);
	e->peers = v;
	e->npeers = n;
	/*
	 * A leader's record goes with its session: what it last said it
	 * had outlives it here, for the candidates (can_contend()).
	 */
	for (i = 0; i < n; i++) {
		if (!v[i].leader || strcmp(v[i].id, e->cfg->id) == 0)
			continue;
		strlcpy(e->last_leader.id, v[i].id, sizeof(e->last_leader.id));
		strlcpy(e->last_leader.lineage, v[i].lineage ? v[i].lineage :
		    "", sizeof(e->last_leader.lineage));
		e->last_leader.offset = v[i].offset;
	}
}

static void
nodes_watch_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_kv_list	 l;
	char			 err[256];

	if (r->status == 404) {
		memset(&l, 0, sizeof(l));
		peers_replace(e, &l);
	} else if (r->status != 200) {
		elector_call_failed("freshness watch", r);
		watch_restart(w, 250, 2000);
		return;
	} else if (consul_parse_kv_list(r->body, r->len, &l, err,
	    sizeof(err)) == -1) {
		log_warnx("freshness watch: %s", err);
		watch_restart(w, 250, 2000);
		return;
	} else {
		peers_replace(e, &l);
		consul_kv_list_clear(&l);
	}
	watch_advance(w, r);
	election_evaluate(e);
	election_stop_rest(e);
	election_nodes_watch(e);
}

void
election_nodes_watch(struct elector *e)
{
	char	*path;

	if (e->nodes.req != NULL)
		return;
	path = election_kv_path(e, "nodes/", "recurse");
	watch_get(&e->nodes, path, nodes_watch_cb);
	free(path);
}

static void
nodes_watch_retry(void *arg)
{
	struct watch	*w = arg;

	election_nodes_watch(w->e);
}

void
election_nodes_init(struct elector *e)
{
	watch_init(&e->nodes, e, 0, nodes_watch_retry);
	watch_init(&e->publish, e, 0, NULL);
}
