/*
 * Leadership.  The lock <prefix>/leader is watched with blocking queries;
 * a fit node takes it when it is free; the leader confirms it holds the
 * lock with consistent reads and fences itself (stops routing writes)
 * when it has not managed to for election.lease, which is shorter than
 * the lock-delay: nobody else can take an invalidated lock before a
 * leader that lost it has stopped.  A leader whose server stops answering
 * releases the lock (no lock-delay applies to a release).
 *
 * Every node publishes its freshness (election_nodes.c).  A candidate
 * lets a fresher live peer go first for election.fresher.wait, and a
 * node with no data never takes the lock while a live peer has data.
 *
 * The graceful stop, switchover and pause are in election_handover.c.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "child.h"
#include "election_int.h"
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

static void	lock_watch(struct elector *);
static void	confirm(struct elector *);

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

const struct freshness *
election_peer(const struct elector *e, const char *id)
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
void
election_fresh_view(const struct elector *e, struct fresh_view *v)
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
	l = election_peer(e, e->leader_id);
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

	e->lease_sent = expires;
	proto_send_lease(e->child->chan, &l);
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

	election_fresh_view(e, &v);
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
unsigned
election_lead_apply(struct elector *e, enum lead_ev ev, uint64_t gen,
    const char *why)
{
	struct lead_obs	o;
	enum lead_state	from = e->lead.state;
	unsigned	act;

	memset(&o, 0, sizeof(o));
	o.ev = ev;
	o.gen = gen;
	o.anyone = ev == LEV_DEADLINE && election_handover_anyone(e);
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
		election_lead_apply(e, LEV_LOCK_OURS, 0, NULL);
	else
		election_lead_apply(e, LEV_LOCK_LOST, 0, e->holder != NULL ?
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
		election_lead_apply(e, LEV_ACQUIRED, 0, NULL);
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
	election_lead_apply(e, LEV_RELEASE_DONE, 0, NULL);
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
		election_lead_apply(e, LEV_RELEASE_DONE, 0, NULL);
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
		election_lead_apply(e, LEV_CONFIRM_LOST, e->confirm_gen,
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
		election_lead_apply(e, LEV_CONFIRMED, e->confirm_gen, NULL);
	} else
		election_lead_apply(e, LEV_CONFIRM_LOST, e->confirm_gen,
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
	election_fresh_view(e, &v);
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

void
election_evaluate(struct elector *e)
{
	uint64_t	now = ev_now();

	if (e->lead.mode == MODE_STOP) {
		elector_publish_role(e);
		return;
	}
	/* The holder may have become ours since: a session resumed late. */
	if (holder_is_us(e))
		election_lead_apply(e, LEV_LOCK_OURS, 0, NULL);
	if (lead_holds(&e->lead)) {
		if (e->lead.state == LEAD_STARTING && holder_is_us(e) &&
		    e->srv.up && e->srv.writable && e->want == SRV_WANT_LEAD)
			election_lead_apply(e, LEV_SERVER_READY, 0, NULL);
		if (now - e->confirmed_at > e->cfg->election_lease)
			election_lead_apply(e, LEV_LEASE_EXPIRED, 0, NULL);
		if (e->srv_down_since != 0 && !e->paused &&
		    now - e->srv_down_since >= e->cfg->server_down_timeout)
			election_lead_apply(e, LEV_SERVER_DOWN, 0, NULL);
		else if (e->lead.state == LEAD_HANDOVER)
			election_switchover_step(e);
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
			election_switchover_done(e, 0, "leadership moved to "
			    "%s, not to %s", e->leader_id, e->switch_to);
		else if (e->lead.mode == MODE_SWITCH)
			election_switchover_done(e, 1, "leadership moved to "
			    "%s; writes held for %llu ms", e->leader_id,
			    (unsigned long long)(ev_now() - e->switch_started));
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
				election_publish(e);
			}
			e->followed_epoch = e->epoch;
		}
	}
	elector_publish_role(e);
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
		election_switchover_done(e, 1, "the lock is released; no new "
		    "leader yet");
	if ((lead_holds(&e->lead) || e->lead.state == LEAD_CONFIRMING) &&
	    now - e->confirm_sent >= e->cfg->election_lease / 4)
		confirm(e);
	if (now - e->published_at >= PUBLISH_EVERY_MS)
		election_publish(e);
	election_evaluate(e);
	election_stop_rest(e);
}

void
election_server_changed(struct elector *e)
{
	/* Offsets travel at once (rate limited): handovers wait on them. */
	if (ev_now() - e->published_at >= PUBLISH_MIN_MS)
		election_publish(e);
	election_evaluate(e);
	election_stop_rest(e);
}

void
election_session_ready(struct elector *e)
{
	election_publish(e);
	election_evaluate(e);
}

void
election_session_lost(struct elector *e)
{
	election_lead_apply(e, LEV_LOCK_LOST, 0, "the Consul session is gone");
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
	election_lead_apply(e, LEV_WRITER_QUIET, 0, NULL);
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
	election_lead_apply(e, LEV_WRITER_QUIET, 0, NULL);
}

void
election_start(struct elector *e)
{
	watch_init(&e->lock, e, 0, lock_watch_retry);
	watch_init(&e->acquire, e, 0, NULL);
	watch_init(&e->confirm, e, 0, NULL);
	election_nodes_init(e);
	ev_timer_init(&e->tick, election_tick, e);
	ev_timer_init(&e->quiet, election_quiet_late, e);
	ev_timer_start(e->loop, &e->tick, TICK_MS);
	lock_watch(e);
	election_nodes_watch(e);
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
