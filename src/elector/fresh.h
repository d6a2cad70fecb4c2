/*
 * What the nodes' freshness records say about who has what, without I/O:
 * which follower a handover waits for, whether it has every write the
 * leader acknowledged, what it lacks, and how many followers are caught
 * up (election.min_followers).  Times are wall-clock ms, as the records
 * carry them.
 */
#ifndef FRESH_H
#define FRESH_H

#include <stddef.h>
#include <stdint.h>

#include "consul_api.h"

/* A record older than this is not a live node. */
#define FRESHNESS_STALE_MS	5000

struct fresh_view {
	const char	*self;		/* our id */
	const char	*target;	/* a switchover's chosen node; NULL */
	uint64_t	 offset;	/* ours: writes stopped there */
	uint64_t	 keys;		/* our dataset's size */
	int		 same_keys;	/* a follower with all has as many
					   (Tile38: its offsets and flag are
					   not to be trusted alone) */
	const char	*lineage;	/* our history (Redis master_replid) */
	const char	*lineage2;	/* the one we were promoted from; "" */
	uint64_t	 lineage2_end;	/* where it ends (second_repl_offset) */
	uint64_t	 epoch;		/* the leadership followers follow */
	int64_t		 now_ms;
};

int		 fresh_live(const struct freshness *, int64_t now_ms);
/* A live follower, and the one a switchover chose if it chose one. */
int		 fresh_eligible(const struct fresh_view *,
		    const struct freshness *);
/* It has every write up to our offset, in our history, caught up. */
int		 fresh_has_all(const struct fresh_view *,
		    const struct freshness *);
/* The eligible follower furthest along; NULL: none. */
const struct freshness *fresh_best(const struct fresh_view *,
		    const struct freshness *, size_t);
/* The first eligible follower that has everything; NULL: none. */
const struct freshness *fresh_caught_up(const struct fresh_view *,
		    const struct freshness *, size_t);
/* What it lacks of our offset, in bytes (all of it on another history). */
uint64_t	 fresh_lacks(const struct fresh_view *,
		    const struct freshness *);
/*
 * Followers caught up with this leadership by their server's own
 * account, live and in our history.
 */
int		 fresh_followers(const struct fresh_view *,
		    const struct freshness *, size_t);

/*
 * May this node, with keys and the view's offset and lineage, take a
 * free lock now?  FRESH_EMPTY: it is empty and a live node has data
 * (never); FRESH_FRESHER: a live node of its history is further along;
 * FRESH_BEHIND: behind what the last leader published (last, its
 * record when it led; NULL none).  The last two hold a candidate back
 * only for election.fresher.wait.  *who names the node.
 */
enum fresh_contend {
	FRESH_GO = 0,
	FRESH_EMPTY,
	FRESH_FRESHER,
	FRESH_BEHIND,
};
enum fresh_contend fresh_contend(const struct fresh_view *, uint64_t keys,
		    const struct freshness *peers, size_t n,
		    const struct freshness *last, const char **who);

#endif
