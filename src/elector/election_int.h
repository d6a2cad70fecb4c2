/*
 * Inside the election: what its three files share.
 *
 *	election.c		the lock, leadership, fencing, contending
 *	election_nodes.c	freshness records: ours published, peers watched
 *	election_handover.c	graceful stop, switchover and pause
 */
#ifndef ELECTION_INT_H
#define ELECTION_INT_H

#include "election.h"
#include "fresh.h"
#include "leadership.h"

/* election.c */
/*
 * Report an observation to the state machine (leadership.h) and carry
 * out what it decides.  why: what the log says when leadership is lost.
 * Returns the actions, for the caller's own words.
 */
unsigned election_lead_apply(struct elector *, enum lead_ev, uint64_t gen,
	    const char *why);
/* Decide what to do now: contend, follow, hand over; tell the others. */
void	election_evaluate(struct elector *);
/* The peer's last freshness record, NULL: none. */
const struct freshness *election_peer(const struct elector *, const char *id);
/* The rules of fresh.h, from this node's point of view now. */
void	election_fresh_view(const struct elector *, struct fresh_view *);

/* election_nodes.c */
void	election_nodes_init(struct elector *);
/* Publish this node's freshness record (not while one is in flight). */
void	election_publish(struct elector *);
/* Watch the peers' records (unless the watch runs already). */
void	election_nodes_watch(struct elector *);

/* election_handover.c */
/* The stopping node's next step: hand over, deregister, close. */
void	election_stop_rest(struct elector *);
/* Is there a live follower to hand over to? */
int	election_handover_anyone(const struct elector *);
/* The switching leader's next step: release once a follower caught up. */
void	election_switchover_step(struct elector *);
/* The switchover ended: answer the control request with ok and why. */
void	election_switchover_done(struct elector *, int ok, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
