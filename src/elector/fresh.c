/*
 * Freshness rules (fresh.h).
 */
#include <string.h>

#include "fresh.h"

static const char *
lineage_of(const struct freshness *p)
{
	return p->lineage != NULL ? p->lineage : "";
}

int
fresh_live(const struct freshness *p, int64_t now_ms)
{
	return p->up && now_ms - p->time_ms < FRESHNESS_STALE_MS;
}

int
fresh_eligible(const struct fresh_view *v, const struct freshness *p)
{
	return strcmp(p->id, v->self) != 0 && fresh_live(p, v->now_ms) &&
	    !p->leader && (v->target == NULL || strcmp(p->id, v->target) == 0);
}

/*
 * A Redis leader promoted a moment ago that took no write since has the
 * history it was promoted from (master_replid2, up to second_repl_offset)
 * and nothing more: a follower still on that history at our offset has
 * everything, even before it has re-attached to us.
 */
static int
same_before_promotion(const struct fresh_view *v, const struct freshness *p)
{
	return v->lineage2[0] != '\0' &&
	    strcmp(lineage_of(p), v->lineage2) == 0 &&
	    v->offset < v->lineage2_end;
}

/*
 * In our history, its server says it is caught up with its stream and
 * its offset has reached ours; and it is not empty when we are not.  The
 * offset and Tile38's own flag are not enough: a Tile38 follower
 * resyncing from an empty dataset keeps its AOF (FLUSHDB is appended to
 * it), so both say caught up long before it holds the data.  There, with
 * our writes held, it must also hold as many objects as we do.
 */
int
fresh_has_all(const struct fresh_view *v, const struct freshness *p)
{
	if ((p->keys == 0 && v->keys > 0) ||
	    (v->same_keys && p->keys != v->keys))
		return 0;
	return p->offset >= v->offset &&
	    ((strcmp(lineage_of(p), v->lineage) == 0 && p->caught_up) ||
	    same_before_promotion(v, p));
}

const struct freshness *
fresh_best(const struct fresh_view *v, const struct freshness *peers,
    size_t n)
{
	const struct freshness	*best = NULL;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (fresh_eligible(v, &peers[i]) &&
		    (best == NULL || peers[i].offset > best->offset))
			best = &peers[i];
	return best;
}

const struct freshness *
fresh_caught_up(const struct fresh_view *v, const struct freshness *peers,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (fresh_eligible(v, &peers[i]) && fresh_has_all(v, &peers[i]))
			return &peers[i];
	return NULL;
}

uint64_t
fresh_lacks(const struct fresh_view *v, const struct freshness *p)
{
	if (strcmp(lineage_of(p), v->lineage) != 0)
		return v->offset;
	return v->offset > p->offset ? v->offset - p->offset : 0;
}

int
fresh_followers(const struct fresh_view *v, const struct freshness *peers,
    size_t n)
{
	const struct freshness	*p;
	size_t			 i;
	int			 k = 0;

	for (i = 0; i < n; i++) {
		p = &peers[i];
		if (strcmp(p->id, v->self) != 0 && fresh_live(p, v->now_ms) &&
		    !p->leader && p->caught_up && p->epoch == v->epoch &&
		    strcmp(lineage_of(p), v->lineage) == 0)
			k++;
	}
	return k;
}

enum fresh_contend
fresh_contend(const struct fresh_view *v, uint64_t keys,
    const struct freshness *peers, size_t n, const struct freshness *last,
    const char **who)
{
	const struct freshness	*p, *fresher = NULL;
	size_t			 i;

	*who = NULL;
	for (i = 0; i < n; i++) {
		p = &peers[i];
		if (strcmp(p->id, v->self) == 0 || !fresh_live(p, v->now_ms))
			continue;
		if (keys == 0 && p->keys > 0) {
			*who = p->id;
			return FRESH_EMPTY;
		}
		if (fresher == NULL && strcmp(lineage_of(p), v->lineage) == 0 &&
		    p->offset > v->offset)
			fresher = p;
	}
	if (fresher != NULL) {
		*who = fresher->id;
		return FRESH_FRESHER;
	}
	if (last != NULL && strcmp(lineage_of(last), v->lineage) == 0 &&
	    last->offset > v->offset) {
		*who = last->id;
		return FRESH_BEHIND;
	}
	return FRESH_GO;
}
