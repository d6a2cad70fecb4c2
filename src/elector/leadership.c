/*
 * The leadership state machine (leadership.h).  No I/O, no clock: every
 * time and every answer arrives as an observation.
 */
#include <stddef.h>

#include "leadership.h"
#include "lock_flags.h"
#include "proto.h"

static const char *const state_names[LEAD_NSTATES] = {
	"none", "confirming", "starting", "leading", "fenced", "quiescing",
	"handover", "releasing", "released",
};

static const char *const event_names[LEV_NEVENTS] = {
	"acquired", "lock-ours", "lock-lost", "confirmed", "confirm-lost",
	"server-ready", "lease-expired", "server-down", "switchover", "stop",
	"caught-up", "deadline", "release-done", "switch-end", "writer-quiet",
};

const char *
lead_state_name(enum lead_state s)
{
	return (unsigned)s < LEAD_NSTATES ? state_names[s] : "?";
}

const char *
lead_event_name(enum lead_ev ev)
{
	return (unsigned)ev < LEV_NEVENTS ? event_names[ev] : "?";
}

int
lead_holds(const struct lead *l)
{
	switch (l->state) {
	case LEAD_STARTING:
	case LEAD_LEADING:
	case LEAD_FENCED:
	case LEAD_QUIESCING:
	case LEAD_HANDOVER:
		return 1;
	default:
		return 0;
	}
}

int
lead_role(const struct lead *l, int other)
{
	if (l->state == LEAD_LEADING)
		return ROLE_LEADER;
	if (l->state == LEAD_QUIESCING || l->state == LEAD_HANDOVER)
		return ROLE_HANDOVER;
	if (!lead_holds(l) && other)
		return ROLE_FOLLOWER;
	return ROLE_UNKNOWN;
}

int
lead_may_acquire(const struct lead *l)
{
	return (l->state == LEAD_NONE || l->state == LEAD_RELEASED) &&
	    l->mode != MODE_STOP;
}

static unsigned
take(struct lead *l)
{
	l->state = LEAD_STARTING;
	l->gen++;
	return LACT_TAKEN | LACT_SERVER_LEAD | LACT_LEASE_GRANT | LACT_CATALOG;
}

/* Leadership ends without a release: the server must take no writes. */
static unsigned
lost(struct lead *l)
{
	l->state = LEAD_NONE;
	l->gen++;
	return LACT_LOST | LACT_LEASE_REVOKE | LACT_SERVER_FENCE |
	    LACT_CATALOG;
}

static unsigned
release(struct lead *l, int reason)
{
	l->state = LEAD_RELEASING;
	l->gen++;
	l->reason = reason;
	return LACT_LEASE_REVOKE | LACT_SERVER_FENCE | LACT_RELEASE |
	    LACT_CATALOG;
}

/* The writer first, then the server. */
static unsigned
handover(struct lead *l, enum lead_mode mode)
{
	l->state = LEAD_QUIESCING;
	l->mode = mode;
	return LACT_LEASE_REVOKE | LACT_QUIET_WAIT;
}

/*
 * The handover's time is up with no follower caught up.  A stop with no
 * live follower at all hands nothing to anybody: it releases.  Otherwise
 * election.handover.lagging decides: release and say what is lost, or
 * take writes again and fail the switchover or refuse the stop.
 */
static unsigned
deadline(struct lead *l, const struct lead_obs *o)
{
	int		reason = l->mode == MODE_STOP ? LOCK_REASON_STOP :
			    LOCK_REASON_SWITCHOVER;
	unsigned	act;

	if (l->mode == MODE_STOP && !o->anyone)
		return release(l, reason);
	if (o->release)
		return release(l, reason) | LACT_LAGGING_LOG;
	act = l->mode == MODE_STOP ? LACT_STOP_REFUSED : LACT_SWITCH_FAIL;
	l->mode = MODE_RUN;
	l->state = LEAD_STARTING;
	return act | LACT_SERVER_LEAD;
}

unsigned
lead_step(struct lead *l, const struct lead_obs *o)
{
	int	holds = lead_holds(l);

	switch (o->ev) {
	case LEV_ACQUIRED:
		if (l->state != LEAD_NONE && l->state != LEAD_CONFIRMING &&
		    l->state != LEAD_RELEASED)
			return 0;
		/* A stopping node's session goes, and the lock with it. */
		if (l->mode == MODE_STOP)
			return LACT_REFUSED;
		return take(l);
	case LEV_LOCK_OURS:
		if (l->state == LEAD_NONE && l->mode != MODE_STOP) {
			l->state = LEAD_CONFIRMING;
			l->gen++;
			return LACT_CONFIRM;
		}
		return l->state == LEAD_CONFIRMING ? LACT_CONFIRM : 0;
	case LEV_LOCK_LOST:
		if (l->state == LEAD_CONFIRMING) {
			l->state = LEAD_NONE;
			return 0;
		}
		return holds ? lost(l) : 0;
	case LEV_CONFIRMED:
		if (o->gen != l->gen)
			return 0;
		switch (l->state) {
		case LEAD_CONFIRMING:
			if (l->mode == MODE_STOP) {
				l->state = LEAD_NONE;
				return 0;
			}
			return take(l);
		case LEAD_STARTING:
		case LEAD_LEADING:
			return LACT_LEASE_GRANT;
		case LEAD_FENCED:
			l->state = LEAD_STARTING;
			return LACT_LEASE_GRANT | LACT_UNFENCE_LOG;
		default:
			return 0;	/* no lease while handing over */
		}
	case LEV_CONFIRM_LOST:
		if (o->gen != l->gen)
			return 0;
		if (l->state == LEAD_CONFIRMING) {
			l->state = LEAD_NONE;
			return 0;
		}
		return holds ? lost(l) : 0;
	case LEV_SERVER_READY:
		if (l->state != LEAD_STARTING)
			return 0;
		l->state = LEAD_LEADING;
		return LACT_READY;
	case LEV_LEASE_EXPIRED:
		if (l->state != LEAD_STARTING && l->state != LEAD_LEADING)
			return 0;
		l->state = LEAD_FENCED;
		return LACT_LEASE_REVOKE | LACT_FENCE_LOG;
	case LEV_SERVER_DOWN:
		return holds ? release(l, LOCK_REASON_SERVER_DOWN) : 0;
	case LEV_SWITCHOVER:
		if (l->state != LEAD_LEADING || l->mode != MODE_RUN)
			return LACT_REFUSED;
		return handover(l, MODE_SWITCH);
	case LEV_STOP:
		switch (l->state) {
		case LEAD_STARTING:
		case LEAD_LEADING:
		case LEAD_FENCED:
			return handover(l, MODE_STOP);
		case LEAD_CONFIRMING:
			l->state = LEAD_NONE;
			break;
		default:
			break;
		}
		l->mode = MODE_STOP;
		return 0;
	case LEV_CAUGHT_UP:
		if (l->state != LEAD_HANDOVER)
			return 0;
		return release(l, l->mode == MODE_STOP ? LOCK_REASON_STOP :
		    LOCK_REASON_SWITCHOVER);
	case LEV_DEADLINE:
		return l->state == LEAD_QUIESCING ||
		    l->state == LEAD_HANDOVER ? deadline(l, o) : 0;
	case LEV_RELEASE_DONE:
		if (l->state == LEAD_RELEASING)
			l->state = LEAD_RELEASED;
		return 0;
	case LEV_SWITCH_END:
		if (l->mode == MODE_SWITCH && l->state != LEAD_QUIESCING &&
		    l->state != LEAD_HANDOVER)
			l->mode = MODE_RUN;
		return 0;
	case LEV_WRITER_QUIET:
		if (l->state != LEAD_QUIESCING)
			return 0;
		l->state = LEAD_HANDOVER;
		return LACT_SERVER_HOLD;
	default:
		return LACT_REFUSED;
	}
}
