/*
 * The members of the cluster as tile38-clusterctl list shows them.  A
 * member is any id that the catalog, a freshness record or this node
 * names; each field says what is known of it and null what is not, so
 * that a node whose record has gone (a dead manager) or never came (one
 * starting) still appears, with what the catalog says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "cluster_view.h"

struct member {
	const char			*id;
	const struct consul_instance	*writer;
	const struct consul_instance	*reader;
	const struct freshness		*rec;	/* NULL: no record */
	int				 self;
	int				 live;	/* rec is recent */
};

struct members {
	struct member	*v;
	size_t		 n;
};

static struct member *
member_get(struct members *ms, const char *id)
{
	size_t	i;

	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].id, id) == 0)
			return &ms->v[i];
	/* The caller sized v for every id there is. */
	memset(&ms->v[ms->n], 0, sizeof(ms->v[ms->n]));
	ms->v[ms->n].id = id;
	return &ms->v[ms->n++];
}

static void
members_add_catalog(struct members *ms, const struct consul_instances *is,
    int writer)
{
	struct member	*m;
	size_t		 i;

	for (i = 0; is != NULL && i < is->n; i++) {
		if (is->v[i].id == NULL || is->v[i].id[0] == '\0')
			continue;
		m = member_get(ms, is->v[i].id);
		/* Two registrations of one id: a passing one wins. */
		if (writer && (m->writer == NULL || (!m->writer->passing &&
		    is->v[i].passing)))
			m->writer = &is->v[i];
		else if (!writer && (m->reader == NULL ||
		    (!m->reader->passing && is->v[i].passing)))
			m->reader = &is->v[i];
	}
}

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->id,
	    ((const struct member *)b)->id);
}

static int
members_collect(const struct cluster_view *in, struct members *ms)
{
	const struct freshness	*f;
	struct member		*m;
	size_t			 i, cap;

	cap = in->nrecords + 1 + (in->writers ? in->writers->n : 0) +
	    (in->readers ? in->readers->n : 0);
	if ((ms->v = calloc(cap, sizeof(*ms->v))) == NULL)
		return -1;
	ms->n = 0;
	m = member_get(ms, in->self_id);
	m->self = 1;
	m->rec = in->self;
	m->live = 1;
	for (i = 0; i < in->nrecords; i++) {
		f = &in->records[i];
		if (f->id == NULL || f->id[0] == '\0')
			continue;
		m = member_get(ms, f->id);
		/* Our own record lags behind what we know now. */
		if (m->self)
			continue;
		if (m->rec == NULL || f->time_ms > m->rec->time_ms)
			m->rec = f;
	}
	for (i = 0; i < ms->n; i++) {
		m = &ms->v[i];
		if (!m->self && m->rec != NULL)
			m->live = in->now_ms - m->rec->time_ms <
			    CLUSTER_VIEW_STALE_MS;
	}
	members_add_catalog(ms, in->writers, 1);
	members_add_catalog(ms, in->readers, 0);
	qsort(ms->v, ms->n, sizeof(*ms->v), member_cmp);
	return 0;
}

static struct json_object *
json_addr(const struct consul_instance *ci)
{
	char	buf[320];

	if (ci == NULL)
		return NULL;
	/* An IPv6 address goes in brackets, as in a URL. */
	snprintf(buf, sizeof(buf), strchr(ci->address, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", ci->address, (unsigned)ci->port);
	return json_object_new_string(buf);
}

static struct json_object *
json_u64(uint64_t v)
{
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static int
same_lineage(const struct freshness *a, const struct freshness *b)
{
	return a->lineage != NULL && b->lineage != NULL &&
	    a->lineage[0] != '\0' && strcmp(a->lineage, b->lineage) == 0;
}

static const char *
member_role(const struct member *m, const char *leader)
{
	if (leader != NULL && strcmp(m->id, leader) == 0)
		return "leader";
	/* A node that says nothing now follows nobody we know of. */
	if (leader != NULL && m->rec != NULL && m->live)
		return "follower";
	return "unknown";
}

static struct json_object *
member_json(const struct member *m, const struct member *lm,
    const char *leader, int64_t now_ms)
{
	struct json_object	*o = json_object_new_object();
	const struct freshness	*f = m->rec;
	const char		*role = member_role(m, leader);
	int			 is_leader = strcmp(role, "leader") == 0;

	json_object_object_add(o, "id", json_object_new_string(m->id));
	json_object_object_add(o, "self", json_object_new_boolean(m->self));
	json_object_object_add(o, "address", json_addr(m->writer));
	json_object_object_add(o, "reader", json_addr(m->reader));
	json_object_object_add(o, "in_catalog",
	    json_object_new_boolean(m->writer != NULL || m->reader != NULL));
	json_object_object_add(o, "passing", json_object_new_boolean(
	    (m->writer != NULL || m->reader != NULL) &&
	    (m->writer == NULL || m->writer->passing) &&
	    (m->reader == NULL || m->reader->passing)));
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "record", json_object_new_string(
	    f == NULL ? "none" : m->live ? "live" : "stale"));
	json_object_object_add(o, "age_ms", f == NULL ? NULL :
	    json_object_new_int64(m->self || now_ms < f->time_ms ? 0 :
	    now_ms - f->time_ms));
	/* What holds now only from a recent record. */
	json_object_object_add(o, "up", f != NULL && m->live ?
	    json_object_new_boolean(f->up) : NULL);
	json_object_object_add(o, "caught_up", f != NULL && m->live &&
	    !is_leader ? json_object_new_boolean(f->caught_up) : NULL);
	/* Behind the leader, when both say where they are in one history. */
	json_object_object_add(o, "lag", f != NULL && m->live && !is_leader &&
	    lm != NULL && lm->rec != NULL && lm->live &&
	    same_lineage(f, lm->rec) ? json_u64(lm->rec->offset > f->offset ?
	    lm->rec->offset - f->offset : 0) : NULL);
	/* The last known, from any record. */
	json_object_object_add(o, "offset", f != NULL ? json_u64(f->offset) :
	    NULL);
	json_object_object_add(o, "keys", f != NULL ? json_u64(f->keys) :
	    NULL);
	json_object_object_add(o, "lineage", f != NULL && f->lineage != NULL ?
	    json_object_new_string(f->lineage) : NULL);
	json_object_object_add(o, "epoch", f != NULL ? json_u64(f->epoch) :
	    NULL);
	json_object_object_add(o, "paused", f != NULL ?
	    json_object_new_boolean(f->paused) : NULL);
	return o;
}

char *
cluster_view_json(const struct cluster_view *in)
{
	struct members		 ms;
	struct json_object	*o, *a;
	const struct member	*lm = NULL;
	const char		*leader, *t;
	char			*out;
	size_t			 i;

	leader = in->leader_id != NULL && in->leader_id[0] != '\0' ?
	    in->leader_id : NULL;
	if (members_collect(in, &ms) == -1)
		return NULL;
	for (i = 0; leader != NULL && i < ms.n; i++)
		if (strcmp(ms.v[i].id, leader) == 0)
			lm = &ms.v[i];
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "self", json_object_new_string(in->self_id));
	json_object_object_add(o, "leader", json_object_new_string(
	    leader != NULL ? leader : ""));
	json_object_object_add(o, "epoch", json_u64(in->epoch));
	a = json_object_new_array();
	for (i = 0; i < ms.n; i++)
		json_object_array_add(a, member_json(&ms.v[i], lm, leader,
		    in->now_ms));
	json_object_object_add(o, "members", a);
	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	out = t != NULL ? strdup(t) : NULL;
	json_object_put(o);
	free(ms.v);
	return out;
}
