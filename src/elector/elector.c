/*
 * The elector process.  It completes the supervisor handshake, learns
 * where the bridge listens, and once sandboxed runs the modules that talk
 * to Consul and to the local server.  What it learns goes to the
 * supervisor, which keeps it and hands it to the proxies.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cluster_view.h"
#include "ctl_cmd.h"
#include "election.h"
#include "elector.h"
#include "log.h"
#include "proto.h"

static void	elector_srv_cb(struct srvctl *, const struct srv_state *,
		    void *);

void
elector_call_failed(const char *what, const struct consul_resp *r)
{
	if (r->status == 0)
		log_warnx("%s: %s", what, r->error);
	else
		log_warnx("%s: HTTP %ld: %.200s", what, r->status, r->body);
}

void
elector_publish_role(struct elector *e)
{
	struct msg_role	r;

	memset(&r, 0, sizeof(r));
	r.epoch = e->epoch;
	r.role = lead_role(&e->lead, e->holder != NULL && e->leader_id != NULL &&
	    strcmp(e->leader_id, e->cfg->id) != 0);
	switch (r.role) {
	case ROLE_LEADER:
	case ROLE_HANDOVER:	/* followers may still take what we have */
		r.leader_id = e->cfg->id;
		break;
	case ROLE_FOLLOWER:
		r.leader_id = e->leader_id;
		break;
	default:
		r.leader_id = "";
		break;
	}
	if (e->role_sent_set && e->role_sent.role == r.role &&
	    e->role_sent.epoch == r.epoch &&
	    strcmp(e->role_sent.leader_id, r.leader_id) == 0)
		return;

	switch (r.role) {
	case ROLE_LEADER:
		log_info("role: leader (epoch %llu)",
		    (unsigned long long)r.epoch);
		break;
	case ROLE_FOLLOWER:
		log_info("role: follower of %s (epoch %llu)", r.leader_id,
		    (unsigned long long)r.epoch);
		break;
	case ROLE_HANDOVER:
		log_info("role: handing over (epoch %llu)",
		    (unsigned long long)r.epoch);
		break;
	default:
		log_info("role: no leader%s", e->lead.state == LEAD_FENCED ?
		    " (fenced)" : e->lead.mode == MODE_STOP ? " (stopping)" :
		    "");
		break;
	}
	if (r.leader_id[0] != '\0' && (!e->role_sent_set ||
	    strcmp(e->role_sent.leader_id, r.leader_id) != 0))
		e->leader_changes++;
	msg_role_clear(&e->role_sent);
	e->role_sent.role = r.role;
	e->role_sent.epoch = r.epoch;
	if ((e->role_sent.leader_id = strdup(r.leader_id)) == NULL)
		fatal("role");
	e->role_sent_set = 1;
	proto_send_role(e->child->chan, &r);
}

static void
elector_report_server(struct elector *e)
{
	struct msg_server_state	s;

	s.up = e->srv.up;
	s.leader = e->srv.leader;
	s.caught_up = e->srv.caught_up;
	s.offset = e->srv.offset;
	s.keys = e->srv.keys;
	s.following = e->srv.following;
	proto_send_server_state(e->child->chan, &s);
}

static void
elector_srv_cb(struct srvctl *s, const struct srv_state *st, void *arg)
{
	struct elector	*e = arg;
	int		 changed;

	changed = st->up != e->srv.up || st->leader != e->srv.leader ||
	    st->caught_up != e->srv.caught_up || st->loading != e->srv.loading ||
	    st->writable != e->srv.writable ||
	    strcmp(st->following, e->srv.following) != 0;
	if (st->up && !e->srv.up)
		log_info("local server up (%s)", st->version);
	else if (!st->up && e->srv.up)
		log_warnx("local server down%s%s", st->error[0] ? ": " : "",
		    st->error);
	if (st->up && !st->loading)
		e->srv_down_since = 0;
	else if (e->srv_down_since == 0)
		e->srv_down_since = ev_now();
	/*
	 * Offsets and sizes move with every write: they go out with the
	 * next change, or once a second, not at every probe.
	 */
	if (!changed && (st->offset != e->srv_reported_offset ||
	    st->keys != e->srv_reported_keys) &&
	    ev_now() - e->srv_reported_at >= 1000)
		changed = 1;
	e->srv = *st;
	if (changed) {
		e->srv_reported_at = ev_now();
		e->srv_reported_offset = st->offset;
		e->srv_reported_keys = st->keys;
		elector_report_server(e);
	}
	election_server_changed(e);
	catalog_health_changed(e);
}

static void
elector_srvctl_opts(const struct config *cfg, struct srvctl_opts *o)
{
	o->kind = cfg->server_kind;
	o->host = cfg->server_addr;
	o->port = cfg->server_port;
	o->socket = cfg->server_socket;
	o->password = cfg->server_password;
	o->probe_ms = cfg->server_probe_interval;
	o->timeout_ms = cfg->server_down_timeout;
}

/*
 * Consul's TLS material is read when the configuration arrives, before
 * the sandbox; paths that cannot be read make the configuration fail.
 */
/*
 * What the supervisor opened for a file the configuration names ("" for
 * none); the descriptor is read once, by the configuration after it.
 */
#define PEM_FILE_MAX	(1024 * 1024)

static char *
elector_read_pem(struct elector *e, int which, const char *path, char *err,
    size_t errlen)
{
	struct consul_fd	*f = &e->consul_fds[which];
	struct stat		 st;
	char			*buf = NULL;
	size_t			 len = 0, size;
	ssize_t			 n;

	if (path == NULL || *path == '\0')
		return strdup("");
	if (f->fd == -1 || f->path == NULL || strcmp(f->path, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, f->fd == -1 &&
		    f->error != NULL && f->error[0] != '\0' ? f->error :
		    "not opened by the supervisor");
		return NULL;
	}
	/* Sized once: a key is never left behind in a buffer outgrown. */
	if (fstat(f->fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PEM_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ?
		    "too large" : "not a regular file");
		goto fail;
	}
	size = (size_t)st.st_size;
	if ((buf = malloc(size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (len < size) {
		if ((n = read(f->fd, buf + len, size - len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	consul_fd_clear(f);
	return buf;
fail:
	consul_fd_clear(f);
	if (buf != NULL)
		explicit_bzero(buf, len);
	free(buf);
	return NULL;
}

void
consul_fd_clear(struct consul_fd *f)
{
	if (f->fd != -1)
		close(f->fd);
	free(f->path);
	free(f->error);
	f->fd = -1;
	f->path = f->error = NULL;
}

static void
consul_tls_clear(struct consul_tls *t)
{
	free(t->cacert);
	free(t->cert);
	if (t->key != NULL) {
		explicit_bzero(t->key, strlen(t->key));
		free(t->key);
	}
	memset(t, 0, sizeof(*t));
}

static int
consul_tls_load(struct elector *e, struct consul_tls *t,
    const struct config *cfg, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if ((t->cacert = elector_read_pem(e, CONSUL_FILE_CA,
	    cfg->consul_cacert, err, errlen)) == NULL ||
	    (t->cert = elector_read_pem(e, CONSUL_FILE_CERT,
	    cfg->consul_client_cert, err, errlen)) == NULL ||
	    (t->key = elector_read_pem(e, CONSUL_FILE_KEY,
	    cfg->consul_client_key, err, errlen)) == NULL) {
		consul_tls_clear(t);
		return -1;
	}
	return 0;
}

static struct elector	the_elector;

static void
elector_consul_opts(const struct config *cfg, const struct consul_tls *t,
    struct consul_opts *o)
{
	o->addr = cfg->consul_addr;
	o->ssl = cfg->consul_ssl;
	o->token = cfg->consul_token;
	o->cacert = t->cacert[0] ? t->cacert : NULL;
	o->client_cert = t->cert[0] ? t->cert : NULL;
	o->client_key = t->key[0] ? t->key : NULL;
}

static int
elector_configure(struct child *c, const struct config *cfg, char *err,
    size_t errlen)
{
	struct elector	*e = c->arg;

	e->child = c;
	e->loop = c->loop;
	e->cfg = &c->cfg;
	return consul_tls_load(e, &e->tls, cfg, err, errlen);
}

static void
elector_listener(struct child *c, int kind, int fd, const char *addr,
    uint32_t port)
{
	struct elector	*e = c->arg;

	/* The elector is told where listeners are; it never holds one. */
	if (fd != -1)
		fatalx("elector was handed a listening socket");
	if (kind != PROC_BRIDGE)
		return;
	snprintf(e->bridge_addr, sizeof(e->bridge_addr), "%s", addr);
	e->bridge_port = port;
	log_debug("replication bridge at %s:%u", e->bridge_addr,
	    e->bridge_port);
	if (e->started)
		election_server_changed(e);
}

static void
elector_self_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	char		 err[256], *node = NULL;

	if (r->status != 200 || consul_parse_self(r->body, r->len,
	    &e->datacenter, &node, err, sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("agent/self: %s", err);
		else
			elector_call_failed("agent/self", r);
		watch_retry(w, 250, 5000);
		return;
	}
	log_debug("Consul agent of node %s in datacenter %s", node,
	    e->datacenter);
	free(node);
	w->backoff = 0;
	catalog_publish(e);
}

static void
elector_self_retry(void *arg)
{
	watch_call(arg, "GET", "/v1/agent/self", NULL, CALL_TIMEOUT_MS,
	    elector_self_cb);
}

static void
elector_start(struct child *c)
{
	struct elector		*e = c->arg;
	struct consul_opts	 co;
	struct srvctl_opts	 so;

	elector_consul_opts(e->cfg, &e->tls, &co);
	if ((e->consul = consul_new(e->loop, &co)) == NULL)
		fatal("consul client");
	elector_srvctl_opts(e->cfg, &so);
	if ((e->ctl = srvctl_new(e->loop, &so, elector_srv_cb, e)) == NULL)
		fatal("server control");
	e->srv_down_since = ev_now();
	e->started = 1;

	watch_init(&e->self, e, 0, elector_self_retry);
	elector_self_retry(&e->self);
	history_start(e);
	session_start(e);
	election_start(e);
	catalog_start(e);
	connect_ca_start(e);
	elector_publish_role(e);
}

static int
elector_reconfigure(struct child *c, const struct config *next, char *err,
    size_t errlen)
{
	struct elector		*e = c->arg;
	struct consul_tls	 tls;
	struct consul_opts	 co;
	struct srvctl_opts	 so;

	if (consul_tls_load(e, &tls, next, err, errlen) == -1)
		return -1;
	consul_tls_clear(&e->tls);
	e->tls = tls;
	if (!e->started)
		return 0;
	elector_consul_opts(next, &e->tls, &co);
	if (consul_set_opts(e->consul, &co) == -1) {
		snprintf(err, errlen, "Consul client options refused");
		return -1;
	}
	elector_srvctl_opts(next, &so);
	srvctl_set_opts(e->ctl, &so);
	return 0;
}

static void
elector_shutdown(struct child *c)
{
	struct elector	*e = c->arg;

	if (!e->started) {
		child_exit(c, 0);
		return;
	}
	election_shutdown(e);
}

void
elector_stopped(struct elector *e)
{
	child_exit(e->child, 0);
}

/*
 * An answer may be a whole view of the cluster (list, history): it may
 * take a message of its own, but no more; a larger one is refused with
 * a reason rather than cut.
 */
void
elector_ctl_answer(struct elector *e, uint32_t req, int ok, const char *text)
{
	struct msg_ctl_resp	 r = { (uint32_t)ok, (char *)text };
	char			 why[128];

	if (proto_send_ctl_resp(e->child->chan, req, &r) == 0 ||
	    errno != EMSGSIZE)
		return;
	snprintf(why, sizeof(why), "the answer (%zu bytes) is larger than the"
	    " control channel takes (%d)", strlen(text), IMSG_MAX_PAYLOAD);
	r.ok = 0;
	r.text = why;
	proto_send_ctl_resp(e->child->chan, req, &r);
}

/* tile38-clusterctl list: this node's view of every member. */
static void
elector_ctl_list(struct elector *e, uint32_t req)
{
	struct cluster_view	 v;
	struct freshness	 self;
	struct timespec		 ts;
	char			*text;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* What this node would publish now. */
	election_self_record(e, &self);
	memset(&v, 0, sizeof(v));
	v.self_id = e->cfg->id;
	/* Ours before the lock watch has seen it so. */
	v.leader_id = lead_holds(&e->lead) ? e->cfg->id : e->holder != NULL ?
	    e->leader_id : NULL;
	v.epoch = e->epoch;
	v.writers = e->found_set[SVC_WRITER] ? &e->found[SVC_WRITER] : NULL;
	v.readers = e->found_set[SVC_READER] ? &e->found[SVC_READER] : NULL;
	v.records = e->peers;
	v.nrecords = e->npeers;
	v.self = &self;
	v.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	self.time_ms = v.now_ms;
	if ((text = cluster_view_json(&v)) == NULL)
		fatal("cluster view");
	elector_ctl_answer(e, req, 1, text);
	free(text);
}

/*
 * switchover, pause, resume; list and history, which only read.  A
 * switchover answers when it is over, history once Consul has.
 */
static void
elector_ctl(struct elector *e, struct imsg *m)
{
	const struct ctl_cmd	*c;
	struct msg_ctl_req	 q;
	char			 err[256];

	if (msg_ctl_req_decode(&q, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	c = ctl_cmd_lookup(q.cmd);
	if (!e->started || c == NULL || c->runner != CTL_BY_ELECTOR) {
		elector_ctl_answer(e, m->hdr.peerid, 0, !e->started ?
		    "not started yet" : "unknown command");
		msg_ctl_req_clear(&q);
		return;
	}
	switch (c->id) {
	case CTL_SWITCHOVER:
		if (election_switchover(e, m->hdr.peerid, q.arg[0] != '\0' ?
		    q.arg : NULL, err, sizeof(err)) == -1)
			elector_ctl_answer(e, m->hdr.peerid, 0, err);
		break;
	case CTL_PAUSE:
	case CTL_RESUME:
		election_pause(e, c->id == CTL_PAUSE);
		elector_ctl_answer(e, m->hdr.peerid, 1, e->paused ?
		    "paused: this node neither contends nor fails over" :
		    "resumed");
		break;
	case CTL_LIST:
		elector_ctl_list(e, m->hdr.peerid);
		break;
	case CTL_HISTORY:
		history_ctl(e, m->hdr.peerid);
		break;
	default:
		elector_ctl_answer(e, m->hdr.peerid, 0, "unknown command");
		break;
	}
	msg_ctl_req_clear(&q);
}

static void
elector_stats(struct child *c, struct metric_set *set)
{
	struct elector	*e = c->arg;
	const struct freshness *p;
	uint64_t	 lag = 0;
	size_t		 i;
	int		 k;

	metric_put(set, "role_leader", NULL, NULL, METRIC_GAUGE,
	    e->role_sent_set && e->role_sent.role == ROLE_LEADER);
	metric_put(set, "leader_changes", NULL, NULL, METRIC_COUNTER,
	    (double)e->leader_changes);
	metric_put(set, "paused", NULL, NULL, METRIC_GAUGE, e->paused);
	metric_put(set, "server_up", NULL, NULL, METRIC_GAUGE, e->srv.up);
	metric_put(set, "caught_up", NULL, NULL, METRIC_GAUGE,
	    server_caught_up(e->srv.up, e->srv.leader, e->srv.caught_up));
	/* Behind the leader's last published offset, on the same lineage. */
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		if (p->leader && !lead_holds(&e->lead) &&
		    p->offset > e->srv.offset &&
		    strcmp(p->lineage ? p->lineage : "", e->srv.lineage) == 0)
			lag = p->offset - e->srv.offset;
	}
	metric_put(set, "replication_lag_bytes", NULL, NULL, METRIC_GAUGE,
	    (double)lag);
	metric_put(set, "server_offset", NULL, NULL, METRIC_GAUGE,
	    (double)e->srv.offset);
	for (k = 0; k < e->srv.ngauges; k++)
		metric_put(set, e->srv.gauges[k].name, NULL, NULL,
		    METRIC_GAUGE, e->srv.gauges[k].value);
}

static void
elector_dispatch(struct child *c, struct imsg *m)
{
	struct elector		*e = c->arg;
	struct msg_session	 s;
	struct msg_authz_req	 q;
	struct msg_ping		 p;
	struct msg_consul_file	 f;
	struct consul_fd	*cf;

	switch (m->hdr.type) {
	case MSG_PING:
		/*
		 * The supervisor's heartbeat.  Answered from the loop that
		 * also refreshes the Consul check: if this stops turning,
		 * the supervisor kills us and starts a new elector.
		 */
		if (msg_ping_decode(&p, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		proto_send_ping(e->child->chan, &p);
		break;
	case MSG_CONSUL_FILE:
		if (m->hdr.peerid >= CONSUL_FILE_MAX ||
		    msg_consul_file_decode(&f, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		cf = &e->consul_fds[m->hdr.peerid];
		consul_fd_clear(cf);
		cf->fd = m->fd;
		m->fd = -1;
		cf->path = f.path;
		cf->error = f.error;
		break;
	case MSG_SESSION:
		if (msg_session_decode(&s, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		free(e->replayed);
		e->replayed = NULL;
		if (s.id[0] != '\0') {
			log_info("resuming Consul session %s", s.id);
			e->replayed = s.id;
			s.id = NULL;
		}
		msg_session_clear(&s);
		break;
	case MSG_AUTHZ_REQ:
		if (msg_authz_req_decode(&q, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		connect_ca_authorize(e, m->hdr.peerid, &q);
		msg_authz_req_clear(&q);
		break;
	case MSG_CTL_REQ:
		elector_ctl(e, m);
		break;
	case MSG_WRITER_QUIET:
		if (m->datalen != 0)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		election_writer_quiet(e);
		break;
	default:
		fatalx("unexpected %s message", msg_name(m->hdr.type));
	}
}

static void
elector_cleanup(struct child *c)
{
	struct elector	*e = c->arg;

	if (!e->started)
		return;
	connect_ca_stop(e);
	catalog_stop(e);
	election_stop(e);
	history_stop(e);
	session_stop(e);
	watch_cancel(&e->self);
	srvctl_free(e->ctl);
	consul_free(e->consul);
	e->started = 0;
}

static const struct child_ops elector_ops = {
	.configure = elector_configure,
	.listener = elector_listener,
	.start = elector_start,
	.reconfigure = elector_reconfigure,
	.shutdown = elector_shutdown,
	.dispatch = elector_dispatch,
	.cleanup = elector_cleanup,
	.stats = elector_stats,
};

int
elector_main(int foreground, int verbose)
{
	struct elector	*e = &the_elector;
	int		 rv, k;

	memset(e, 0, sizeof(*e));
	for (k = 0; k < CONSUL_FILE_MAX; k++)
		e->consul_fds[k].fd = -1;
	rv = child_run(PROC_ELECTOR, foreground, verbose, &elector_ops, e);
	free(e->datacenter);
	free(e->replayed);
	msg_role_clear(&e->role_sent);
	consul_tls_clear(&e->tls);
	for (k = 0; k < CONSUL_FILE_MAX; k++)
		consul_fd_clear(&e->consul_fds[k]);
	return rv;
}
