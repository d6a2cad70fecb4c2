/*
 * The flags of a released lock: our marker, a reason and a target.
 * See lock_flags.h for the layout.
 */
#include <stddef.h>
#include <string.h>

#include "lock_flags.h"

#define MARKER_SHIFT	48
#define REASON_SHIFT	40
#define TARGET_MASK	((1ULL << REASON_SHIFT) - 1)

static const char *const reason_names[LOCK_REASON_MAX] = {
	[LOCK_REASON_NONE] = "unknown",
	[LOCK_REASON_SWITCHOVER] = "switchover",
	[LOCK_REASON_SERVER_DOWN] = "server down",
	[LOCK_REASON_STOP] = "stop",
	[LOCK_REASON_RELEASED] = "released",
	[LOCK_REASON_EXPIRED] = "expired",
	[LOCK_REASON_FIRST] = "first",
};

/* 40 bits of FNV-1a of id, never 0: 0 means "anybody". */
static uint64_t
target_tag(const char *id)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	h &= TARGET_MASK;
	return h != 0 ? h : 1;
}

static int
ours(uint64_t flags)
{
	return flags >> MARKER_SHIFT == LOCK_FLAGS_MARKER;
}

uint64_t
lock_flags_encode(enum lock_reason reason, const char *to)
{
	if (reason <= LOCK_REASON_NONE || reason >= LOCK_REASON_MAX)
		reason = LOCK_REASON_NONE;
	return LOCK_FLAGS_MARKER << MARKER_SHIFT |
	    (uint64_t)reason << REASON_SHIFT |
	    (to != NULL ? target_tag(to) : 0);
}

enum lock_reason
lock_flags_reason(uint64_t flags)
{
	uint64_t	r = flags >> REASON_SHIFT & 0xff;

	if (!ours(flags) || r >= LOCK_REASON_MAX)
		return LOCK_REASON_NONE;
	return (enum lock_reason)r;
}

enum lock_target
lock_flags_target(uint64_t flags, const char *self_id)
{
	uint64_t	t = flags & TARGET_MASK;

	/* Only a switchover names a node; anything else is for anybody. */
	if (!ours(flags) || t == 0 ||
	    lock_flags_reason(flags) != LOCK_REASON_SWITCHOVER)
		return LOCK_TARGET_ANY;
	return t == target_tag(self_id) ? LOCK_TARGET_SELF : LOCK_TARGET_OTHER;
}

const char *
lock_reason_name(enum lock_reason r)
{
	if (r < LOCK_REASON_NONE || r >= LOCK_REASON_MAX)
		return reason_names[LOCK_REASON_NONE];
	return reason_names[r];
}

int
lock_reason_lookup(const char *name)
{
	int	i;

	for (i = 0; i < LOCK_REASON_MAX; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return -1;
}
