/*
 * What the supervisor forwards to the admin process, and the JSON views
 * of it (/status, tile38-clusterctl status and peers).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "admin_int.h"
#include "child.h"
#include "log.h"

const char *
admin_role_name(const struct admin *ad)
{
	if (!ad->role_set)
		return "unknown";
	switch (ad->role.role) {
	case ROLE_LEADER:
		return "leader";
	case ROLE_FOLLOWER:
		return "follower";
	case ROLE_HANDOVER:
		return "handing-over";
	}
	return "unknown";
}

size_t
admin_sets(const struct admin *ad, const struct metric_set **sets)
{
	size_t	n = 0;
	int	k;

	for (k = 0; k < PROC_MAX; k++)
		if (ad->sets[k] != NULL)
			sets[n++] = ad->sets[k];
	return n;
}

/* An unlabelled figure from whichever process reports it. */
double
admin_figure(const struct admin *ad, const char *name, double dflt)
{
	const struct metric	*m;
	int			 k;

	for (k = 0; k < PROC_MAX; k++)
		if (ad->sets[k] != NULL &&
		    (m = metric_get(ad->sets[k], name, NULL)) != NULL)
			return m->value;
	return dflt;
}

static void
admin_role(struct admin *ad, struct imsg *m)
{
	struct msg_role	r;
	char		text[256];
	const char	*before;

	if (msg_role_decode(&r, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	before = admin_role_name(ad);
	if (ad->role_set && (ad->role.role != r.role ||
	    strcmp(ad->role.leader_id, r.leader_id) != 0)) {
		msg_role_clear(&ad->role);
		ad->role = r;
		snprintf(text, sizeof(text), "%s: %s -> %s (leader %s, epoch "
		    "%llu)", ad->cfg->id, before, admin_role_name(ad),
		    r.leader_id[0] != '\0' ? r.leader_id : "none",
		    (unsigned long long)r.epoch);
		admin_dsd_event(ad, "tile38-cluster-manager role change",
		    text);
		return;
	}
	msg_role_clear(&ad->role);
	ad->role = r;
	ad->role_set = 1;
}

static void
admin_stats(struct admin *ad, struct imsg *m)
{
	struct metric_set	*set;

	if (m->hdr.peerid >= PROC_MAX)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	if ((set = malloc(sizeof(*set))) == NULL)
		fatal("stats");
	if (msg_stats_decode(set, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	free(ad->sets[m->hdr.peerid]);
	ad->sets[m->hdr.peerid] = set;
}

void
admin_dispatch(struct child *c, struct imsg *m)
{
	struct admin		*ad = c->arg;
	struct msg_peers	 p;
	struct msg_server_state	 s;
	int			 i;

	switch (m->hdr.type) {
	case MSG_ROLE:
		admin_role(ad, m);
		break;
	case MSG_PEERS:
		if ((m->hdr.peerid != PROC_WRITER &&
		    m->hdr.peerid != PROC_READER) ||
		    msg_peers_decode(&p, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		i = svc_of_proc((int)m->hdr.peerid);
		msg_peers_clear(&ad->peers[i]);
		ad->peers[i] = p;
		break;
	case MSG_SERVER_STATE:
		if (msg_server_state_decode(&s, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		msg_server_state_clear(&ad->srv);
		ad->srv = s;
		ad->srv_set = 1;
		break;
	case MSG_STATS:
		admin_stats(ad, m);
		break;
	case MSG_CTL_RESP:
		admin_ctl_result(ad, m->hdr.peerid, m->data, m->datalen);
		break;
	case MSG_CTL_PROGRESS:
		admin_ctl_note(ad, m->hdr.peerid, m->data, m->datalen);
		break;
	default:
		fatalx("unexpected %s message", msg_name(m->hdr.type));
	}
}

void
admin_state_free(struct admin *ad)
{
	int	k;

	msg_role_clear(&ad->role);
	msg_peers_clear(&ad->peers[0]);
	msg_peers_clear(&ad->peers[1]);
	msg_server_state_clear(&ad->srv);
	for (k = 0; k < PROC_MAX; k++) {
		free(ad->sets[k]);
		ad->sets[k] = NULL;
	}
}

char *
admin_json_text(struct json_object *o, size_t *lenp)
{
	const char	*t;
	char		*out;

	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	*lenp = strlen(t) + 1;
	if ((out = malloc(*lenp + 1)) != NULL) {
		memcpy(out, t, *lenp - 1);
		out[*lenp - 1] = '\n';
		out[*lenp] = '\0';
	}
	json_object_put(o);
	return out;
}

static struct json_object *
admin_json_peers(const struct msg_peers *p)
{
	struct json_object	*a, *o;
	uint32_t		 i;

	a = json_object_new_array();
	for (i = 0; i < p->n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "id",
		    json_object_new_string(p->v[i].id));
		json_object_object_add(o, "addr",
		    json_object_new_string(p->v[i].addr));
		json_object_object_add(o, "port",
		    json_object_new_int((int)p->v[i].port));
		json_object_object_add(o, "passing",
		    json_object_new_boolean(p->v[i].flags & PEER_PASSING));
		json_object_array_add(a, o);
	}
	return a;
}

char *
admin_peers_json(const struct admin *ad, size_t *lenp)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "writers", admin_json_peers(&ad->peers[0]));
	json_object_object_add(o, "readers", admin_json_peers(&ad->peers[1]));
	return admin_json_text(o, lenp);
}

static struct json_object *
admin_json_server(const struct admin *ad)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(
	    ad->cfg->server_kind == SERVER_REDIS ? "redis" : "tile38"));
	json_object_object_add(o, "up", json_object_new_boolean(
	    ad->srv_set && ad->srv.up));
	json_object_object_add(o, "leader", json_object_new_boolean(
	    ad->srv_set && ad->srv.leader));
	json_object_object_add(o, "caught_up", json_object_new_boolean(
	    ad->srv_set && ad->srv.caught_up));
	json_object_object_add(o, "following", json_object_new_string(
	    ad->srv_set && ad->srv.following != NULL ? ad->srv.following :
	    ""));
	json_object_object_add(o, "offset", json_object_new_int64(
	    ad->srv_set ? (int64_t)ad->srv.offset : 0));
	json_object_object_add(o, "keys", json_object_new_int64(
	    ad->srv_set ? (int64_t)ad->srv.keys : 0));
	json_object_object_add(o, "lag_bytes", json_object_new_int64(
	    (int64_t)admin_figure(ad, "replication_lag_bytes", 0)));
	return o;
}

char *
admin_status_json(const struct admin *ad, size_t *lenp)
{
	struct json_object	*o, *l, *ch, *c;
	const struct metric	*m;
	const struct metric_set	*sv = ad->sets[PROC_SUPERVISOR];
	char			 addr[96];
	int			 k;

	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "id", json_object_new_string(ad->cfg->id));
	json_object_object_add(o, "role",
	    json_object_new_string(admin_role_name(ad)));
	json_object_object_add(o, "leader", json_object_new_string(
	    ad->role_set ? ad->role.leader_id : ""));
	json_object_object_add(o, "epoch", json_object_new_int64(
	    ad->role_set ? (int64_t)ad->role.epoch : 0));
	json_object_object_add(o, "paused", json_object_new_boolean(
	    admin_figure(ad, "paused", 0) != 0));
	json_object_object_add(o, "server", admin_json_server(ad));
	l = json_object_new_object();
	for (k = PROC_WRITER; k < PROC_MAX; k++) {
		/* not the bridge: it is for the local server only */
		if (k == PROC_BRIDGE || ad->laddr[k][0] == '\0' ||
		    ad->lport[k] == 0)
			continue;
		snprintf(addr, sizeof(addr), "%s:%u", ad->laddr[k],
		    ad->lport[k]);
		json_object_object_add(l, proc_name(k),
		    json_object_new_string(addr));
	}
	json_object_object_add(o, "listeners", l);
	ch = json_object_new_object();
	for (k = PROC_ELECTOR; k < PROC_MAX && sv != NULL; k++) {
		c = json_object_new_object();
		m = metric_get(sv, "child_up", proc_name(k));
		json_object_object_add(c, "up",
		    json_object_new_boolean(m != NULL && m->value != 0));
		m = metric_get(sv, "child_restarts", proc_name(k));
		json_object_object_add(c, "restarts",
		    json_object_new_int64(m != NULL ? (int64_t)m->value : 0));
		json_object_object_add(ch, proc_name(k), c);
	}
	json_object_object_add(o, "children", ch);
	json_object_object_add(o, "peers", json_object_new_int(
	    (int)ad->peers[0].n));
	return admin_json_text(o, lenp);
}
