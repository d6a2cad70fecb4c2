/*
 * The leadership history kept at <prefix>/history: a JSON array of the
 * last HISTORY_MAX leadership changes, newest first, each
 *
 *	{"epoch":45,"time":"2026-11-23T10:00:05Z","leader":"n2",
 *	 "previous":"n1","reason":"switchover"}
 *
 * written by the node that took the lock.  Pure functions: no I/O, no
 * clock; tested by tests/unit/check_leader_history.c.
 */
#ifndef LEADER_HISTORY_H
#define LEADER_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "lock_flags.h"

#define HISTORY_MAX	100

/* What the lock looked like when this node last saw it free. */
enum lock_free {
	LOCK_FREE_NONE = 0,	/* not seen free since another node took it */
	LOCK_FREE_ABSENT,	/* no key: its holder's session was
				   invalidated, or there never was one */
	LOCK_FREE_PRESENT,	/* the key without a session: released */
};

struct history_entry {
	uint64_t		 epoch;		/* the lock's ModifyIndex */
	int64_t			 time_ms;	/* unix ms of the take */
	const char		*leader;
	const char		*previous;	/* NULL or "": none known */
	enum lock_reason	 reason;
};

/*
 * Why the lock changed hands, from the free lock this node took:
 * the reason in our flags; flags of another client, "released"; a
 * deleted key, "expired" when there was a leader before, else "first".
 * LOCK_REASON_NONE when the lock was not seen free (nothing changed
 * hands: a session resumed after an elector restart).
 */
enum lock_reason history_reason(enum lock_free, uint64_t flags,
		    int had_leader);

/* "2026-11-23T10:00:05Z" (UTC) into buf; -1 when it does not fit. */
int	history_time(int64_t ms, char *buf, size_t len);

/*
 * The leader of the newest entry of the stored array old (NULL when
 * there is none or old is not a history), malloc'd.
 */
char	*history_newest_leader(const char *old, size_t len);

/*
 * The stored array old (NULL or len 0: none yet) with e in its place by
 * epoch, newest first, at most max entries, as malloc'd JSON text.
 * *added is 0 when an entry of that epoch is there already (a write
 * that was acknowledged after all): the text is then old's.  A value
 * that is not a history (written by something else) starts over, and
 * *reset says so.  NULL when out of memory.
 */
char	*history_add(const char *old, size_t len,
	    const struct history_entry *e, size_t max, int *added,
	    int *reset);

/*
 * The answer to tile38-clusterctl history: {"ok":true,"history":[...]}
 * from the stored array (NULL: none yet), entries that are not objects
 * left out, malloc'd; NULL with why in err when value is not an array.
 */
char	*history_answer(const char *value, size_t len, char *err,
	    size_t errlen);

#endif
