/*
 * Leadership.  The lock <prefix>/leader is watched with blocking queries;
 * a fit node takes it when it is free; the leader confirms it holds the
 * lock with consistent reads and fences itself (stops routing writes)
 * when it has not managed to for election.lease, which is shorter than
 * the lock-delay: nobody else can take an invalidated lock before a
 * leader that lost it has stopped.  A leader whose server stops answering
 * releases the lock (no lock-delay applies to a release).
 *
 * Every node publishes its freshness at <prefix>/nodes/<id>, held by its
 * session so that it disappears with it.  A candidate lets a fresher live
 * peer go first for election.fresher.wait, and a node with no data never
 * takes the lock while a live peer has data.
 *
 * A graceful stop of the leader stops writes, waits (bounded) until a
 * follower has everything, then releases, so nothing acknowledged is lost.
 * A switchover to a chosen node names it in the flags of the released
 * lock; the other nodes leave the free lock to it for
 * election.handover.timeout.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "child.h"
#include "election.h"
#include "fresh.h"
#include "leadership.h"
#include "lock_flags.h"
#include "log.h"

#define TICK_MS			100
/*
 * How long a handover waits for the writer to say it passes the server
 * nothing more before it holds the server's writes anyway.  The writer
 * answers within a turn of its loop; one that does not is gone or hung,
 * and its lease keeps it from acknowledging anything.
 */
#define QUIET_WAIT_MS		500
#define PUBLISH_EVERY_MS	1000
#define PUBLISH_MIN_MS		100
#define ACQUIRE_RETRY_MS	200

static void	election_evaluate(struct elector *);
static void	publish(struct elector *);
static void	lock_watch(struct elector *);
static void	confirm(struct elector *);
static void	nodes_watch(struct elector *);
static void	election_stop_rest(struct elector *);
static int	handover_ready(struct elector *);
static int	handover_anyone(const struct elector *);
static void	switchover_step(struct elector *);
static void	switchover_done(struct elector *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

int64_t
election_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
election_kv_path(const struct elector *e, const char *suffix,
    const char *query)
{
	char	*key, *prefix, *path;

	if (asprintf(&key, "%s/%s", e->cfg->consul_lock_prefix, suffix) == -1)
		fatal("path");
	if ((prefix = consul_escape(key)) == NULL)
		fatal("escape");
	if (asprintf(&path, "/v1/kv/%s%s%s", prefix, query ? "?" : "",
	    query ? query : "") == -1)
		fatal("path");
	free(key);
	free(prefix);
	return path;
}

static int
holder_is_us(const struct elector *e)
{
	return e->holder != NULL && e->session != NULL &&
	    strcmp(e->holder, e->session) == 0;
}

static void
server_want(struct elector *e, enum srv_want want, int fresh)
{
	if (e->want == (int)want && e->want_epoch == e->epoch && !fresh)
		return;
	if (want != SRV_WANT_LEAD && e->bridge_port == 0)
		return;		/* no bridge address yet */
	e->want = want;
	e->want_epoch = e->epoch;
	srvctl_want(e->ctl, want, e->bridge_addr, e->bridge_port, fresh);
}

static const struct freshness *
peer_record(const struct elector *e, const char *id)
{
	size_t	i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < e->npeers; i++)
		if (strcmp(e->peers[i].id, id) == 0)
			return &e->peers[i];
	return NULL;
}

/* The rules of fresh.h, from this node's point of view now. */
static void
fresh_view_of(const struct elector *e, struct fresh_view *v)
{
	memset(v, 0, sizeof(*v));
	v->self = e->cfg->id;
	v->target = e->lead.mode == MODE_SWITCH ? e->switch_to : NULL;
	v->offset = e->srv.offset;
	v->keys = e->srv.keys;
	v->same_keys = e->cfg->server_kind == SERVER_TILE38;
	v->lineage = e->srv.lineage;
	v->lineage2 = e->srv.lineage2;
	v->lineage2_end = e->srv.lineage2_end;
	v->epoch = e->epoch;
	v->now_ms = election_wall_ms();
}

/*
 * Tile38 does not detect a follower whose history differs from its
 * leader's (TILE38.md 4.6): drop the local data before following when
 * this node led another leadership since (it may hold writes nobody
 * else has) or when the new leader is empty and we are not.
 */
static int
follow_fresh(const struct elector *e)
{
	const struct freshness	*l;

	if (e->cfg->server_kind != SERVER_TILE38)
		return 0;
	if (e->led_epoch != 0 && e->led_epoch != e->epoch)
		return 1;
	l = peer_record(e, e->leader_id);
	return l != NULL && l->keys == 0 && e->srv.keys > 0;
}

/*
 * The writer's lease (msg_lease): write authority until the time the
 * lock was last confirmed plus election.lease, on the host's monotonic
 * clock.  The writer enforces it itself; a hung elector simply stops
 * extending it.  Sent only when it moves forward.
 */
static void
lease_send(struct elector *e, uint64_t expires)
{
	struct msg_lease	l = { expires };
	uint8_t			buf[16];

	e->lease_sent = expires;
	elector_send(e, MSG_LEASE, 0, buf, msg_lease_encode(&l, buf,
	    sizeof(buf)));
}

/* again: even when already revoked, so that the writer answers. */
static void
lease_revoke(struct elector *e, int again)
{
	if (e->lease_sent != 0 || again)
		lease_send(e, 0);
}

/*
 * election.min_followers: with fewer followers caught up the writer
 * gets no lease, so that nothing is acknowledged that only this node
 * has; its clients wait (proxy.hold.timeout) or are refused.
 */
static int
lease_allowed(struct elector *e)
{
	struct fresh_view	v;
	int			n, min = e->cfg->election_min_followers;

	fresh_view_of(e, &v);
	if (min == 0 || (n = fresh_followers(&v, e->peers, e->npeers)) >= min) {
		if (e->min_held_logged)
			log_info("writes resume: election.min_followers %d "
			    "caught up", min);
		e->min_held_logged = 0;
		return 1;
	}
	if (!e->min_held_logged)
		log_warnx("writes held: %d of election.min_followers %d "
		    "followers caught up", n, min);
	e->min_held_logged = 1;
	return 0;
}

static void
lease_confirmed(struct elector *e)
{
	uint64_t	expires = e->confirmed_at + e->cfg->election_lease;

	if (!lease_allowed(e))
		lease_revoke(e, 0);
	else if (expires > e->lease_sent)
		lease_send(e, expires);
}


static void	release(struct elector *);

/*
 * Report an observation to the state machine (leadership.h) and carry
 * out what it decides.  why: what the log says when leadership is lost.
 * Returns the actions, for the caller's own words.
 */
static unsigned
lead_apply(struct elector *e, enum lead_ev ev, uint64_t gen,
    const char *why)
{
	struct lead_obs	o;
	enum lead_state	from = e->lead.state;
	unsigned	act;

	memset(&o, 0, sizeof(o));
	o.ev = ev;
	o.gen = gen;
	o.anyone = ev == LEV_DEADLINE && handover_anyone(e);
	o.release = e->cfg->election_handover_lagging == LAGGING_RELEASE;
	act = lead_step(&e->lead, &o);
	if (e->lead.state != from)
		log_debug("leadership: %s --%s--> %s", lead_state_name(from),
		    lead_event_name(ev), lead_state_name(e->lead.state));
	if (act & LACT_LOST)
		log_warnx("leadership lost: %s", why);
	if (act & LACT_FENCE_LOG)
		log_warnx("leadership not confirmed for %llu ms: fencing",
		    (unsigned long long)(ev_now() - e->confirmed_at));
	if (act & LACT_UNFENCE_LOG)
		log_info("leadership confirmed again; unfenced");
	if (act & LACT_LEASE_REVOKE)
		lease_revoke(e, act & LACT_QUIET_WAIT);
	if (act & LACT_QUIET_WAIT) {
		e->quiet_since = ev_now();
		ev_timer_start(e->loop, &e->quiet, QUIET_WAIT_MS);
	}
	if (act & LACT_TAKEN) {
		log_info("lock %s/leader acquired",
		    e->cfg->consul_lock_prefix);
		e->free_since = 0;
	}
	if (act & LACT_LEASE_GRANT)
		lease_confirmed(e);
	if (act & (LACT_SERVER_FENCE | LACT_SERVER_LEAD | LACT_SERVER_HOLD)) {
		/* Asked anew, even if the same was asked before. */
		e->want = SRV_WANT_NONE;
		server_want(e, act & LACT_SERVER_LEAD ? SRV_WANT_LEAD :
		    act & LACT_SERVER_HOLD ? SRV_WANT_HOLD : SRV_WANT_FENCE, 0);
	}
	if (act & LACT_READY)
		e->led_epoch = e->epoch;
	if (act & LACT_CONFIRM)
		confirm(e);
	if (act & LACT_RELEASE)
		release(e);
	if (act & LACT_CATALOG)
		catalog_health_changed(e);
	if (act & LACT_TAKEN)
		history_leader_taken(e);
	return act;
}

static void
lock_observe(struct elector *e, const struct consul_kv *kv)
{
	/* Absent or released, and who led before: the history's reason. */
	history_lock_observed(e, kv);
	free(e->holder);
	free(e->leader_id);
	e->holder = e->leader_id = NULL;
	if (kv != NULL && kv->session != NULL) {
		if ((e->holder = strdup(kv->session)) == NULL ||
		    (e->leader_id = strdup(kv->value != NULL ?
		    (const char *)kv->value : "")) == NULL)
			fatal("lock");
		/*
		 * The key is deleted with its holder's session, which starts
		 * LockIndex over; ModifyIndex is a Raft index and only grows.
		 */
		e->epoch = kv->modify_index;
	}
	e->free_flags = e->holder == NULL && kv != NULL ? kv->flags : 0;
	if (e->holder == NULL) {
		if (e->free_since == 0)
			e->free_since = ev_now();
	} else
		e->free_since = 0;

	/*
	 * A watch answer may predate our own release, or a partition: that
	 * it names our session is a reason to ask, not a leadership.
	 */
	if (holder_is_us(e))
		lead_apply(e, LEV_LOCK_OURS, 0, NULL);
	else
		lead_apply(e, LEV_LOCK_LOST, 0, e->holder != NULL ?
		    "another node holds the lock" :
		    "the lock was released or its session invalidated");
	election_evaluate(e);
	election_stop_rest(e);
}

static void
lock_watch_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_kv	 kv;
	char			 err[256];

	if (r->status != 200 && r->status != 404) {
		elector_call_failed("lock watch", r);
		watch_restart(w, 250, 2000);
		return;
	}
	watch_advance(w, r);
	if (r->status == 404)
		lock_observe(e, NULL);
	else if (consul_parse_kv(r->body, r->len, &kv, err, sizeof(err)) == 0) {
		lock_observe(e, &kv);
		consul_kv_clear(&kv);
	} else {
		log_warnx("lock watch: %s", err);
		watch_restart(w, 250, 2000);
		return;
	}
	if (w->req == NULL && !ev_timer_pending(&w->retry))
		lock_watch(e);
}

static void
lock_watch(struct elector *e)
{
	char	*path;

	path = election_kv_path(e, "leader", NULL);
	watch_get(&e->lock, path, lock_watch_cb);
	free(path);
}

static void
lock_watch_retry(void *arg)
{
	struct watch	*w = arg;

	if (w->req == NULL)
		lock_watch(w->e);
}

static void
acquire_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	char		 err[256];
	int		 ok;

	if (r->status != 200 || consul_parse_bool(r->body, r->len, &ok, err,
	    sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("lock acquisition: %s", err);
		else
			elector_call_failed("lock acquisition", r);
		return;		/* the tick tries again */
	}
	if (ok) {
		/*
		 * The acquire is a Raft write: we held the lock when it was
		 * sent.  A lock merely seen ours (a resumed session) gets its
		 * lease from the first consistent confirmation instead.
		 */
		e->confirmed_at = e->acquire_sent;
		lead_apply(e, LEV_ACQUIRED, 0, NULL);
	} else
		log_debug("lock not acquired (held, or lock-delay)");
	election_evaluate(e);
}

static void
acquire(struct elector *e)
{
	char	query[128], *path;

	if (e->acquire.req != NULL ||
	    ev_now() - e->acquire_sent < ACQUIRE_RETRY_MS)
		return;
	snprintf(query, sizeof(query), "acquire=%s", e->session);
	path = election_kv_path(e, "leader", query);
	e->acquire_sent = ev_now();
	watch_call(&e->acquire, "PUT", path, e->cfg->id, CALL_TIMEOUT_MS,
	    acquire_cb);
	free(path);
}

static void
release_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	if (r->status != 200)
		elector_call_failed("lock release", r);
	else
		log_info("lock released");
	lead_apply(e, LEV_RELEASE_DONE, 0, NULL);
	e->released_at = ev_now();
	if (e->lead.mode == MODE_STOP)
		election_stop_rest(e);
	else
		election_evaluate(e);
}

static const char *
release_why(int reason)
{
	switch (reason) {
	case LOCK_REASON_SERVER_DOWN:
		return "the local server does not answer";
	case LOCK_REASON_SWITCHOVER:
		return "switchover";
	default:
		return "graceful stop";
	}
}

/* The state machine let go (LEAD_RELEASING): tell Consul. */
static void
release(struct elector *e)
{
	char	query[128], *path;

	if (e->session == NULL) {
		lead_apply(e, LEV_RELEASE_DONE, 0, NULL);
		return;
	}
	log_info("releasing the lock: %s", release_why(e->lead.reason));
	consul_cancel(e->consul, e->acquire.req);
	/* Why we let go, and the node a switchover chose (lock_flags.h). */
	snprintf(query, sizeof(query), "release=%s&flags=%llu", e->session,
	    (unsigned long long)lock_flags_encode(e->lead.reason,
	    e->lead.mode == MODE_SWITCH ? e->switch_to : NULL));
	path = election_kv_path(e, "leader", query);
	watch_call(&e->acquire, "PUT", path, e->cfg->id, CALL_TIMEOUT_MS,
	    release_cb);
	free(path);
	elector_publish_role(e);
}

/*
 * A consistent read of the lock.  Sent while the lock watch named our
 * session (CONFIRMING), it decides whether we lead, with a lease from
 * when it was sent; sent while leading, it extends the lease.  A read
 * sent under another leadership generation says nothing: it may predate
 * a release or a loss (leadership.h).
 */
static void
confirm_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_kv	 kv;
	char			 err[256];

	if (e->confirm_gen != e->lead.gen)
		return;
	if (r->status == 404) {
		lead_apply(e, LEV_CONFIRM_LOST, e->confirm_gen,
		    "the lock key is gone");
		election_evaluate(e);
		return;
	}
	if (r->status != 200 || consul_parse_kv(r->body, r->len, &kv, err,
	    sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("lock confirmation: %s", err);
		else if (lead_holds(&e->lead))
			elector_call_failed("lock confirmation", r);
		return;		/* the lease runs on; the tick fences */
	}
	if (kv.session != NULL && e->session != NULL &&
	    strcmp(kv.session, e->session) == 0) {
		e->confirmed_at = e->confirm_sent;
		if (lead_holds(&e->lead))
			e->epoch = kv.modify_index;
		lead_apply(e, LEV_CONFIRMED, e->confirm_gen, NULL);
	} else
		lead_apply(e, LEV_CONFIRM_LOST, e->confirm_gen,
		    "another node holds the lock");
	consul_kv_clear(&kv);
	election_evaluate(e);
}

static void
confirm(struct elector *e)
{
	char	*path;

	if (e->confirm.req != NULL)
		return;
	path = election_kv_path(e, "leader", "consistent");
	e->confirm_sent = ev_now();
	e->confirm_gen = e->lead.gen;
	watch_call(&e->confirm, "GET", path, NULL, e->cfg->election_lease,
	    confirm_cb);
	free(path);
}

/* The free lock is meant for another node; we hold back meanwhile. */
static int
handover_elsewhere(const struct elector *e)
{
	return e->holder == NULL &&
	    lock_flags_target(e->free_flags, e->cfg->id) == LOCK_TARGET_OTHER &&
	    ev_now() - e->free_since < e->cfg->election_handover_timeout;
}

/* The empty-node and fresher-peer rules.  1: go ahead and take the lock. */
static int
can_contend(struct elector *e)
{
	struct fresh_view	 v;
	struct freshness	 last;
	enum fresh_contend	 why;
	const char		*who;

	/* Named by a switchover: its own hold after leading ends. */
	if (e->paused || (ev_now() < e->hold_until &&
	    lock_flags_target(e->free_flags, e->cfg->id) != LOCK_TARGET_SELF))
		return 0;
	if (handover_elsewhere(e)) {
		if (!e->handover_logged)
			log_info("not contending: the lock was released for"
			    " another node");
		e->handover_logged = 1;
		return 0;
	}
	if (e->session == NULL || !e->check_ok ||
	    e->srv_down_since != 0 || !e->srv.up || e->srv.loading)
		return 0;
	fresh_view_of(e, &v);
	memset(&last, 0, sizeof(last));
	last.id = e->last_leader.id;
	last.lineage = e->last_leader.lineage;
	last.offset = e->last_leader.offset;
	why = fresh_contend(&v, e->srv.keys, e->peers, e->npeers,
	    last.id[0] != '\0' ? &last : NULL, &who);
	if (why == FRESH_EMPTY) {
		if (!e->empty_logged)
			log_info("not contending: this node is empty and %s has "
			    "data", who);
		e->empty_logged = 1;
		return 0;
	}
	e->empty_logged = e->handover_logged = 0;
	/*
	 * A fresher live peer goes first; behind what the last leader said
	 * it had (DESIGN 5.2 invariant 2), a candidate gives its stream,
	 * which goes on until a new leader exists, time to bring it.  Both
	 * for election.fresher.wait.
	 */
	if (why == FRESH_GO ||
	    ev_now() - e->free_since >= e->cfg->election_fresher_wait) {
		e->behind_logged = 0;
		return 1;
	}
	if (why == FRESH_BEHIND && !e->behind_logged)
		log_info("not contending yet: %llu bytes behind what %s last "
		    "published", (unsigned long long)(e->last_leader.offset -
		    e->srv.offset), who);
	e->behind_logged = why == FRESH_BEHIND;
	return 0;
}

/*
 * Can the bridge reach the leader now: does it have its certificates,
 * and is the leader's writer in the catalog?  A server is never pointed
 * at a bridge that would close its connection: Tile38 1.26 crashes when
 * its leader authentication fails that way inside FOLLOW.
 */
static int
bridge_ready(const struct elector *e)
{
	const struct consul_instances	*w = &e->found[SVC_WRITER];
	size_t				 i;

	if ((e->tls_sent & (TLS_SENT_ROOTS | TLS_SENT_WRITER)) !=
	    (TLS_SENT_ROOTS | TLS_SENT_WRITER) || !e->found_set[SVC_WRITER])
		return 0;
	for (i = 0; i < w->n; i++)
		if (w->v[i].passing && w->v[i].id != NULL &&
		    strcmp(w->v[i].id, e->leader_id) == 0)
			return 1;
	return 0;
}

static void
election_evaluate(struct elector *e)
{
	uint64_t	now = ev_now();

	if (e->lead.mode == MODE_STOP) {
		elector_publish_role(e);
		return;
	}
	/* The holder may have become ours since: a session resumed late. */
	if (holder_is_us(e))
		lead_apply(e, LEV_LOCK_OURS, 0, NULL);
	if (lead_holds(&e->lead)) {
		if (e->lead.state == LEAD_STARTING && holder_is_us(e) &&
		    e->srv.up && e->srv.writable && e->want == SRV_WANT_LEAD)
			lead_apply(e, LEV_SERVER_READY, 0, NULL);
		if (now - e->confirmed_at > e->cfg->election_lease)
			lead_apply(e, LEV_LEASE_EXPIRED, 0, NULL);
		if (e->srv_down_since != 0 && !e->paused &&
		    now - e->srv_down_since >= e->cfg->server_down_timeout)
			lead_apply(e, LEV_SERVER_DOWN, 0, NULL);
		else if (e->lead.state == LEAD_HANDOVER)
			switchover_step(e);
	} else if (e->holder == NULL) {
		if (lead_may_acquire(&e->lead) && can_contend(e))
			acquire(e);
	} else if (e->leader_id != NULL &&
	    strcmp(e->leader_id, e->cfg->id) == 0) {
		/*
		 * Our id under a session we have not confirmed: our own lock
		 * from before an elector crash.  Never follow ourselves; the
		 * session either resumes (we lead) or is gone (the lock goes).
		 */
	} else if (e->leader_id != NULL) {
		if (e->lead.mode == MODE_SWITCH && e->switch_to != NULL &&
		    strcmp(e->switch_to, e->leader_id) != 0)
			switchover_done(e, 0, "leadership moved to %s, not to"
			    " %s", e->leader_id, e->switch_to);
		else if (e->lead.mode == MODE_SWITCH)
			switchover_done(e, 1, "leadership moved to %s; writes "
			    "held for %llu ms", e->leader_id, (unsigned long long)
			    (ev_now() - e->switch_started));
		if ((e->want != SRV_WANT_FOLLOW || e->want_epoch != e->epoch) &&
		    bridge_ready(e)) {
			int	fresh = follow_fresh(e);

			if (fresh)
				log_info("following %s from an empty dataset:"
				    " the histories may differ", e->leader_id);
			server_want(e, SRV_WANT_FOLLOW, fresh);
			if (fresh) {
				e->led_epoch = 0;
				/*
				 * Said at once: a record from before the
				 * flush must not tell a leader handing over
				 * that this node has its data.
				 */
				e->srv.keys = 0;
				e->srv.caught_up = 0;
				e->published_at = 0;
				publish(e);
			}
			e->followed_epoch = e->epoch;
		}
	}
	elector_publish_role(e);
}

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

static void
publish(struct elector *e)
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
	nodes_watch(e);
}

static void
nodes_watch(struct elector *e)
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

	nodes_watch(w->e);
}

/* Fencing, confirmations, retries and publishing all run off one tick. */
static void
election_tick(void *arg)
{
	struct elector	*e = arg;
	uint64_t	 now = ev_now();

	ev_timer_start(e->loop, &e->tick, TICK_MS);
	/* Released (or not leading any more), and nobody took over. */
	if (e->lead.mode == MODE_SWITCH && e->lead.state != LEAD_QUIESCING &&
	    e->lead.state != LEAD_HANDOVER && now >= e->switch_deadline)
		switchover_done(e, 1, "the lock is released; no new leader"
		    " yet");
	if ((lead_holds(&e->lead) || e->lead.state == LEAD_CONFIRMING) &&
	    now - e->confirm_sent >= e->cfg->election_lease / 4)
		confirm(e);
	if (now - e->published_at >= PUBLISH_EVERY_MS)
		publish(e);
	election_evaluate(e);
	election_stop_rest(e);
}

void
election_server_changed(struct elector *e)
{
	/* Offsets travel at once (rate limited): handovers wait on them. */
	if (ev_now() - e->published_at >= PUBLISH_MIN_MS)
		publish(e);
	election_evaluate(e);
	election_stop_rest(e);
}

void
election_session_ready(struct elector *e)
{
	publish(e);
	election_evaluate(e);
}

void
election_session_lost(struct elector *e)
{
	lead_apply(e, LEV_LOCK_LOST, 0, "the Consul session is gone");
	election_evaluate(e);
}

/*
 * A handover holds the server's writes only once the writer passes it
 * none: a write the writer passed on as the server was held would fail
 * there, for a client that only had to wait.
 */
void
election_writer_quiet(struct elector *e)
{
	if (e->lead.state != LEAD_QUIESCING)
		return;
	ev_timer_stop(e->loop, &e->quiet);
	log_info("the writer passes the server no more writes (after %llu "
	    "ms); holding writes on the server",
	    (unsigned long long)(ev_now() - e->quiet_since));
	lead_apply(e, LEV_WRITER_QUIET, 0, NULL);
}

static void
election_quiet_late(void *arg)
{
	struct elector	*e = arg;

	if (e->lead.state != LEAD_QUIESCING)
		return;
	log_warnx("the writer did not say within %d ms that it passes the "
	    "server no more writes; holding writes on the server anyway",
	    QUIET_WAIT_MS);
	lead_apply(e, LEV_WRITER_QUIET, 0, NULL);
}

void
election_start(struct elector *e)
{
	watch_init(&e->lock, e, 0, lock_watch_retry);
	watch_init(&e->acquire, e, 0, NULL);
	watch_init(&e->confirm, e, 0, NULL);
	watch_init(&e->nodes, e, 0, nodes_watch_retry);
	watch_init(&e->publish, e, 0, NULL);
	ev_timer_init(&e->tick, election_tick, e);
	ev_timer_init(&e->quiet, election_quiet_late, e);
	ev_timer_start(e->loop, &e->tick, TICK_MS);
	lock_watch(e);
	nodes_watch(e);
}

/*
 * How long a graceful stop waits for a follower to catch up: what the
 * shutdown timeout leaves once the release, the deregistration and the
 * session's end are done, and never less than a switchover waits.
 */
#define STOP_MARGIN_MS	2000
/* After the release, how long a stop waits to see the new leader. */
#define STOP_NEW_LEADER_MS	2000

static int
new_leader_known(const struct elector *e)
{
	return e->holder != NULL && e->leader_id != NULL &&
	    strcmp(e->leader_id, e->cfg->id) != 0;
}

static uint64_t
stop_wait(const struct elector *e)
{
	uint64_t	t = e->cfg->shutdown_timeout;

	t = t > STOP_MARGIN_MS ? t - STOP_MARGIN_MS : 0;
	return t > e->cfg->election_handover_timeout ? t :
	    e->cfg->election_handover_timeout;
}

/*
 * Graceful stop.  A leader first stops taking writes (role and server),
 * then waits for a live follower to have everything it wrote, up to the
 * shutdown timeout, then releases the lock; every node then deregisters
 * its services and closes its session.  With no follower caught up by
 * then, election.handover.lagging decides (election_stop_rest()).
 */
void
election_shutdown(struct elector *e)
{
	int	switching = e->lead.mode == MODE_SWITCH;

	if (e->lead.mode == MODE_STOP)
		return;
	e->stop_offset = 0;
	e->stop_deadline = ev_now() + stop_wait(e);
	lead_apply(e, LEV_STOP, 0, NULL);
	if (switching)
		switchover_done(e, 0, "the manager is stopping");
	if (lead_holds(&e->lead))
		log_info("stopping: handing over leadership");
	elector_publish_role(e);
	election_stop_rest(e);
}

/*
 * Switchover: the graceful stop's handover without the stop.  Writes
 * stop, a follower catches up (at most election.handover.timeout), the
 * lock is released, and this node holds back from contending as long
 * again so that the follower takes it.  The control request is answered
 * once another node leads, or when it gives up.
 */
int
election_switchover(struct elector *e, uint32_t req, const char *to,
    char *err, size_t errlen)
{
	const struct freshness	*p = peer_record(e, to);

	if (e->lead.mode != MODE_RUN) {
		snprintf(err, errlen, "a %s is under way",
		    e->lead.mode == MODE_STOP ? "stop" : "switchover");
		return -1;
	}
	if (e->lead.state != LEAD_LEADING) {
		snprintf(err, errlen, "this node is not the leader%s%s",
		    e->leader_id != NULL ? "; the leader is " : "",
		    e->leader_id != NULL ? e->leader_id : "");
		return -1;
	}
	if (to != NULL && strcmp(to, e->cfg->id) == 0) {
		snprintf(err, errlen, "%s is this node, the leader", to);
		return -1;
	}
	if (to != NULL && (p == NULL || !fresh_live(p, election_wall_ms()))) {
		snprintf(err, errlen, "%s is not a live node of this cluster",
		    to);
		return -1;
	}
	if (p != NULL && p->paused) {
		snprintf(err, errlen, "%s is paused", to);
		return -1;
	}
	log_info("switchover: handing over leadership%s%s",
	    to != NULL ? " to " : "", to != NULL ? to : "");
	/* switch_to is NULL whenever no switchover is under way. */
	if (to != NULL && (e->switch_to = strdup(to)) == NULL)
		fatal("switchover");
	e->switch_req = req;
	e->stop_offset = 0;
	e->switch_started = ev_now();
	e->switch_noted = 0;
	e->switch_note[0] = '\0';
	e->switch_deadline = ev_now() + e->cfg->election_handover_timeout;
	lead_apply(e, LEV_SWITCHOVER, 0, NULL);
	elector_publish_role(e);
	return 0;
}

/* The follower a handover waits for; NULL: none. */
static const struct freshness *
handover_best(const struct elector *e)
{
	struct fresh_view	v;

	fresh_view_of(e, &v);
	return fresh_best(&v, e->peers, e->npeers);
}

static int
handover_anyone(const struct elector *e)
{
	return handover_best(e) != NULL;
}

static uint64_t
handover_lacks(const struct elector *e, const struct freshness *p)
{
	struct fresh_view	v;

	fresh_view_of(e, &v);
	return fresh_lacks(&v, p);
}

/* The release was decided with no follower caught up: say so. */
static void
handover_lagging(const struct elector *e, const char *what, uint64_t ms)
{
	const struct freshness	*p = handover_best(e);

	if (p == NULL)
		log_warnx("%s: no live follower within %llu ms; releasing "
		    "the lock", what, (unsigned long long)ms);
	else
		log_warnx("%s: no follower caught up within %llu ms; "
		    "releasing anyway (election.handover.lagging release): "
		    "%s lacks %llu bytes, which a failover to it loses", what,
		    (unsigned long long)ms, p->id,
		    (unsigned long long)handover_lacks(e, p));
}

/*
 * What the switchover waits for, as tile38-clusterctl shows it while it
 * waits: the chosen follower (or the one closest to us) and how far
 * behind our stopped offset it is.
 */
static void
switchover_progress(struct elector *e)
{
	const struct freshness	*p, *best;
	struct msg_ctl_resp	 r;
	char			 text[sizeof(e->switch_note)];
	uint8_t			 buf[sizeof(text) + 16];
	int			 n;

	best = handover_best(e);
	if (e->stop_offset == 0)
		snprintf(text, sizeof(text), "stopping writes on the local "
		    "server");
	else if (best == NULL && e->switch_to != NULL &&
	    (p = peer_record(e, e->switch_to)) != NULL)
		snprintf(text, sizeof(text), "waiting for %s: %s",
		    e->switch_to, !p->up ? "its server is down" :
		    "its record is stale");
	else if (best == NULL)
		snprintf(text, sizeof(text), "waiting for %s: no "
		    "record of it", e->switch_to != NULL ?
		    e->switch_to : "a live follower");
	else if (strcmp(best->lineage ? best->lineage : "",
	    e->srv.lineage) != 0)
		snprintf(text, sizeof(text), "waiting for %s: it "
		    "has not started replicating from us", best->id);
	else
		snprintf(text, sizeof(text), "waiting for %s to catch "
		    "up: %llu bytes behind", best->id,
		    (unsigned long long)handover_lacks(e, best));
	/* A change at once, the same words once a second. */
	if (strcmp(text, e->switch_note) == 0 &&
	    ev_now() - e->switch_noted < 1000)
		return;
	strlcpy(e->switch_note, text, sizeof(e->switch_note));
	e->switch_noted = ev_now();
	r.ok = 1;
	r.text = text;
	if ((n = msg_ctl_resp_encode(&r, buf, sizeof(buf))) != -1)
		elector_send(e, MSG_CTL_PROGRESS, e->switch_req, buf, n);
}

/* The leader's part: release once a follower has caught up. */
static void
switchover_step(struct elector *e)
{
	unsigned	act;

	if (e->lead.mode != MODE_SWITCH || e->acquire.req != NULL)
		return;
	if (handover_ready(e)) {
		e->hold_until = ev_now() + e->cfg->election_handover_timeout;
		e->switch_deadline = e->hold_until;
		lead_apply(e, LEV_CAUGHT_UP, 0, NULL);
	} else if (ev_now() >= e->switch_deadline) {
		act = lead_apply(e, LEV_DEADLINE, 0, NULL);
		if (act & LACT_SWITCH_FAIL) {
			/* Nobody could take over: writes go on here. */
			switchover_done(e, 0, "%s %s within %llu ms; this "
			    "node stays the leader", e->switch_to != NULL ?
			    e->switch_to : "no follower", e->switch_to != NULL ?
			    "did not catch up" : "caught up",
			    (unsigned long long)
			    e->cfg->election_handover_timeout);
		} else if (act & LACT_RELEASE) {
			handover_lagging(e, "switchover",
			    e->cfg->election_handover_timeout);
			e->hold_until = ev_now() +
			    e->cfg->election_handover_timeout;
			e->switch_deadline = e->hold_until;
		}
	} else
		switchover_progress(e);
}

static void
switchover_done(struct elector *e, int ok, const char *fmt, ...)
{
	char			text[256];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ok)
		log_info("switchover: %s", text);
	else
		log_warnx("switchover failed: %s", text);
	lead_apply(e, LEV_SWITCH_END, 0, NULL);
	free(e->switch_to);
	e->switch_to = NULL;
	elector_ctl_answer(e, e->switch_req, ok, text);
	elector_publish_role(e);
}

void
election_pause(struct elector *e, int on)
{
	if (e->paused == on)
		return;
	e->paused = on;
	e->published_at = 0;	/* a switchover to us is refused meanwhile */
	log_info("%s", on ? "paused: no contending, no failover" :
	    "resumed: contending and failing over again");
	election_evaluate(e);
}

static int
handover_ready(struct elector *e)
{
	const struct freshness	*p;
	struct fresh_view	 v;

	/* Our offset once writes have stopped at the server. */
	if (e->stop_offset == 0) {
		if (!e->srv.up || !e->srv.applied || e->srv.writable)
			return 0;
		e->stop_offset = e->srv.offset ? e->srv.offset : 1;
		log_info("writes stopped at offset %llu; waiting for a"
		    " follower", (unsigned long long)e->srv.offset);
	}
	fresh_view_of(e, &v);
	if ((p = fresh_caught_up(&v, e->peers, e->npeers)) == NULL)
		return 0;
	log_info("%s has caught up (offset %llu)", p->id,
	    (unsigned long long)p->offset);
	return 1;
}

static void
election_deregistered(struct elector *e)
{
	session_close(e, elector_stopped);
}

/*
 * A stopping leader hands over, then every stopping node deregisters.
 * With no follower caught up by the deadline the stop releases anyway
 * (election.handover.lagging release, or nobody live to hand over to),
 * or is refused: this node leads on and tells the supervisor.
 */
static void
election_stop_rest(struct elector *e)
{
	unsigned	act;
	int		anyone;

	if (e->lead.mode != MODE_STOP || e->deregistering)
		return;
	if (e->lead.state == LEAD_HANDOVER) {
		if (e->acquire.req != NULL)
			return;
		if (handover_ready(e)) {
			lead_apply(e, LEV_CAUGHT_UP, 0, NULL);
			return;
		}
		anyone = handover_anyone(e);
		if (anyone && ev_now() < e->stop_deadline)
			return;
		act = lead_apply(e, LEV_DEADLINE, 0, NULL);
		if (act & LACT_STOP_REFUSED) {
			log_warnx("graceful stop refused: no follower caught up "
			    "within %llu ms and election.handover.lagging is "
			    "keep; this node leads on", (unsigned long long)
			    stop_wait(e));
			elector_send(e, MSG_STOP_REFUSED, 0, NULL, 0);
			elector_publish_role(e);
		} else if (act & LACT_LAGGING_LOG)
			handover_lagging(e, "graceful stop", stop_wait(e));
		else if (!anyone)
			log_info("graceful stop: no live follower to hand "
			    "over to; releasing the lock");
		return;
	}
	if (lead_holds(&e->lead) || e->lead.state == LEAD_RELEASING ||
	    e->acquire.req != NULL)
		return;
	/*
	 * Released to a follower: stay until it leads (bounded), so that
	 * the proxies learn where to send what they hold before they stop.
	 */
	if (e->lead.state == LEAD_RELEASED && !new_leader_known(e) &&
	    handover_anyone(e) &&
	    ev_now() - e->released_at < STOP_NEW_LEADER_MS)
		return;
	e->deregistering = 1;
	ev_timer_stop(e->loop, &e->tick);
	catalog_deregister(e, election_deregistered);
}

void
election_stop(struct elector *e)
{
	size_t	i;

	watch_cancel(&e->lock);
	watch_cancel(&e->acquire);
	watch_cancel(&e->confirm);
	watch_cancel(&e->nodes);
	watch_cancel(&e->publish);
	ev_timer_stop(e->loop, &e->tick);
	ev_timer_stop(e->loop, &e->quiet);
	for (i = 0; i < e->npeers; i++)
		freshness_clear(&e->peers[i]);
	free(e->peers);
	e->peers = NULL;
	e->npeers = 0;
	free(e->holder);
	free(e->leader_id);
	e->holder = e->leader_id = NULL;
	free(e->switch_to);
	e->switch_to = NULL;
}
