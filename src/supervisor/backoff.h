/*
 * Restart policy for crashed children: capped exponential backoff that
 * starts over once a child has stayed ready for a stable period.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		10000
#define BACKOFF_STABLE_MS	30000

struct backoff {
	uint64_t	min;		/* first delay, ms */
	uint64_t	max;		/* cap, ms */
	uint64_t	stable;		/* ready this long: forget failures */
	unsigned	failures;	/* consecutive short runs */
};

void		backoff_init(struct backoff *, uint64_t min, uint64_t max,
		    uint64_t stable);
/*
 * A child died after being ready for ready_ms (0 when it never became
 * ready).  Returns how long to wait before starting it again.
 */
uint64_t	backoff_next(struct backoff *, uint64_t ready_ms);

#endif
