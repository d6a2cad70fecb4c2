/*
 * The election's ways of letting go on purpose, apart from election.c's
 * lock and leadership so that each reads as one topic.
 *
 * A graceful stop of the leader stops writes, waits (bounded) until a
 * follower has everything, then releases, so nothing acknowledged is
 * lost; every stopping node then deregisters and closes its session.  A
 * switchover (tile38-clusterctl) is the stop's handover without the
 * stop, and names the chosen node in the flags of the released lock;
 * the other nodes leave the free lock to it for
 * election.handover.timeout.  Pause keeps a node from contending.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "election_int.h"
#include "log.h"

static int	handover_ready(struct elector *);

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
	election_lead_apply(e, LEV_STOP, 0, NULL);
	if (switching)
		election_switchover_done(e, 0, "the manager is stopping");
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
	const struct freshness	*p = election_peer(e, to);

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
	election_lead_apply(e, LEV_SWITCHOVER, 0, NULL);
	elector_publish_role(e);
	return 0;
}

/* The follower a handover waits for; NULL: none. */
static const struct freshness *
handover_best(const struct elector *e)
{
	struct fresh_view	v;

	election_fresh_view(e, &v);
	return fresh_best(&v, e->peers, e->npeers);
}

int
election_handover_anyone(const struct elector *e)
{
	return handover_best(e) != NULL;
}

static uint64_t
handover_lacks(const struct elector *e, const struct freshness *p)
{
	struct fresh_view	v;

	election_fresh_view(e, &v);
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
	struct msg_ctl_progress	 r;
	char			 text[sizeof(e->switch_note)];

	best = handover_best(e);
	if (e->stop_offset == 0)
		snprintf(text, sizeof(text), "stopping writes on the local "
		    "server");
	else if (best == NULL && e->switch_to != NULL &&
	    (p = election_peer(e, e->switch_to)) != NULL)
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
	r.text = text;
	proto_send_ctl_progress(e->child->chan, e->switch_req, &r);
}

/* The leader's part: release once a follower has caught up. */
void
election_switchover_step(struct elector *e)
{
	unsigned	act;

	if (e->lead.mode != MODE_SWITCH || e->acquire.req != NULL)
		return;
	if (handover_ready(e)) {
		e->hold_until = ev_now() + e->cfg->election_handover_timeout;
		e->switch_deadline = e->hold_until;
		election_lead_apply(e, LEV_CAUGHT_UP, 0, NULL);
	} else if (ev_now() >= e->switch_deadline) {
		act = election_lead_apply(e, LEV_DEADLINE, 0, NULL);
		if (act & LACT_SWITCH_FAIL) {
			/* Nobody could take over: writes go on here. */
			election_switchover_done(e, 0, "%s %s within %llu ms; "
			    "this node stays the leader", e->switch_to != NULL ?
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

void
election_switchover_done(struct elector *e, int ok, const char *fmt, ...)
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
	election_lead_apply(e, LEV_SWITCH_END, 0, NULL);
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
	election_fresh_view(e, &v);
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
void
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
			election_lead_apply(e, LEV_CAUGHT_UP, 0, NULL);
			return;
		}
		anyone = election_handover_anyone(e);
		if (anyone && ev_now() < e->stop_deadline)
			return;
		act = election_lead_apply(e, LEV_DEADLINE, 0, NULL);
		if (act & LACT_STOP_REFUSED) {
			log_warnx("graceful stop refused: no follower caught up "
			    "within %llu ms and election.handover.lagging is "
			    "keep; this node leads on", (unsigned long long)
			    stop_wait(e));
			proto_send_empty(e->child->chan, MSG_STOP_REFUSED);
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
	    election_handover_anyone(e) &&
	    ev_now() - e->released_at < STOP_NEW_LEADER_MS)
		return;
	e->deregistering = 1;
	ev_timer_stop(e->loop, &e->tick);
	catalog_deregister(e, election_deregistered);
}
