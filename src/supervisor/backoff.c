/*
 * Capped exponential restart backoff.  A child that crashes right away
 * again and again is restarted ever more slowly, so a persistent fault
 * does not turn into a fork loop; one that ran well for a while is
 * restarted at once.
 */
#include "backoff.h"

void
backoff_init(struct backoff *b, uint64_t min, uint64_t max, uint64_t stable)
{
	b->min = min;
	b->max = max;
	b->stable = stable;
	b->failures = 0;
}

uint64_t
backoff_next(struct backoff *b, uint64_t ready_ms)
{
	uint64_t	delay;
	unsigned	i;

	if (ready_ms >= b->stable)
		b->failures = 0;
	delay = b->min;
	for (i = 0; i < b->failures && delay < b->max; i++)
		delay *= 2;
	if (delay > b->max)
		delay = b->max;
	b->failures++;
	return delay;
}
