/*
 * This node's leadership as a state machine, without I/O: the rest of
 * the elector reports what it observed (lock answers, the server, the
 * clock, the operator) and carries out the actions that come back.
 *
 *	NONE		not leader: following, or a candidate
 *	CONFIRMING	the lock names our session (an elector restarted, or
 *			a watch answer from before our acquire): a
 *			consistent read decides
 *	STARTING	the lock is ours, the server does not take writes yet
 *	LEADING		the server takes writes; the lease is extended after
 *			each confirmation of the lock
 *	FENCED		the lock was not confirmed for election.lease: the
 *			lease is revoked until a confirmation comes
 *	QUIESCING	a switchover or graceful stop begins: the writer's
 *			lease is revoked, and the server takes writes until
 *			the writer says it sends it none any more (or a
 *			while passes), so that no write it passed on just
 *			before finds the server held and fails
 *	HANDOVER	writes are held at the server while a follower
 *			catches up
 *	RELEASING	the release is on its way to Consul
 *	RELEASED	this node let go of the lock of its session: only an
 *			acquire makes it leader again, as any answer saying
 *			the lock is ours may predate the release
 *
 * DESIGN.md §5.2: at most one node accepts client writes (the lease
 * runs only in STARTING and LEADING, and is revoked on leaving them); a
 * graceful stop or switchover releases only once a follower has
 * everything, unless election.handover.lagging says otherwise.
 */
#ifndef LEADERSHIP_H
#define LEADERSHIP_H

#include <stdint.h>

enum lead_state {
	LEAD_NONE = 0,
	LEAD_CONFIRMING,
	LEAD_STARTING,
	LEAD_LEADING,
	LEAD_FENCED,
	LEAD_QUIESCING,
	LEAD_HANDOVER,
	LEAD_RELEASING,
	LEAD_RELEASED,
	LEAD_NSTATES
};

/* Why the node hands over, or is about to stop. */
enum lead_mode {
	MODE_RUN = 0,
	MODE_SWITCH,	/* tile38-clusterctl switchover */
	MODE_STOP,	/* graceful stop */
	MODE_NMODES
};

enum lead_ev {
	LEV_ACQUIRED = 0,	/* our acquire succeeded (a Raft write) */
	LEV_LOCK_OURS,		/* a lock watch answer names our session */
	LEV_LOCK_LOST,		/* the lock is free, another's, or gone; or
				   our session is */
	LEV_CONFIRMED,		/* a consistent read: ours (gen: when sent) */
	LEV_CONFIRM_LOST,	/* a consistent read: not ours (gen) */
	LEV_SERVER_READY,	/* the server takes writes as leader */
	LEV_LEASE_EXPIRED,	/* not confirmed for election.lease */
	LEV_SERVER_DOWN,	/* down for server.down.timeout, not paused */
	LEV_SWITCHOVER,		/* the operator asks for one */
	LEV_STOP,		/* graceful stop */
	LEV_CAUGHT_UP,		/* a follower has every write */
	LEV_DEADLINE,		/* the handover's time is up */
	LEV_RELEASE_DONE,	/* Consul answered the release */
	LEV_SWITCH_END,		/* the switchover is answered, either way */
	LEV_WRITER_QUIET,	/* the writer sends the server nothing more,
				   or it did not say so in time */
	LEV_NEVENTS
};

/* Actions, carried out by election.c in this order. */
#define LACT_LOST		0x0001	/* log: leadership lost */
#define LACT_TAKEN		0x0002	/* log and history: we lead */
#define LACT_LEASE_REVOKE	0x0004
#define LACT_LEASE_GRANT	0x0008	/* from the confirmation's send time */
#define LACT_SERVER_LEAD	0x0010
#define LACT_SERVER_FENCE	0x0020
#define LACT_CONFIRM		0x0040	/* send a consistent read */
#define LACT_RELEASE		0x0080	/* release the lock (lead_reason) */
#define LACT_READY		0x0100	/* the epoch we led, for Tile38 */
#define LACT_FENCE_LOG		0x0200	/* log: fencing */
#define LACT_UNFENCE_LOG	0x0400	/* log: confirmed again */
#define LACT_SWITCH_FAIL	0x0800	/* answer the switchover: failed */
#define LACT_STOP_REFUSED	0x1000	/* the graceful stop did not happen */
#define LACT_LAGGING_LOG	0x2000	/* log: releasing to a lagging node */
#define LACT_CATALOG		0x4000	/* the writer service's health moved */
#define LACT_REFUSED		0x8000	/* the event is not allowed now */
#define LACT_SERVER_HOLD	0x10000	/* no writes, followers still served */
#define LACT_QUIET_WAIT		0x20000	/* wait for LEV_WRITER_QUIET */

struct lead {
	enum lead_state	 state;
	enum lead_mode	 mode;
	/*
	 * Moves on every entry to CONFIRMING or STARTING and every exit
	 * from leadership: a read sent under another gen says nothing.
	 */
	uint64_t	 gen;
	int		 reason;	/* enum lock_reason of LACT_RELEASE */
};

/* What an event needs besides the state. */
struct lead_obs {
	enum lead_ev	 ev;
	uint64_t	 gen;		/* LEV_CONFIRMED, LEV_CONFIRM_LOST */
	int		 anyone;	/* LEV_DEADLINE: a live follower exists */
	int		 release;	/* LEV_DEADLINE: handover.lagging release */
};

/* Apply one observation; returns the LACT_* to carry out. */
unsigned	 lead_step(struct lead *, const struct lead_obs *);

/* The lock is ours (whatever the server does). */
int		 lead_holds(const struct lead *);
/* The role the proxies are told (enum role); other: another node leads. */
int		 lead_role(const struct lead *, int other);
/* May this node take a free lock (the contending rules aside)? */
int		 lead_may_acquire(const struct lead *);

const char	*lead_state_name(enum lead_state);
const char	*lead_event_name(enum lead_ev);

#endif
