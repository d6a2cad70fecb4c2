/*
 * What a leader says in the flags of the lock it releases: why it let go
 * and, for a switchover to a chosen node, whom the free lock is meant for.
 *
 * Other clients of the same key leave their own values there (the Go
 * original's lock library leaves 0x2ddccbc058a50c18 after a graceful
 * release), so a value means something only when it carries our marker
 * in its top 16 bits:
 *
 *	63..48	LOCK_FLAGS_MARKER
 *	47..40	enum lock_reason
 *	39..0	target: 40 bits of FNV-1a of the chosen node's id, never 0;
 *		0 when any node may take the lock
 *
 * Pure functions: no I/O, tested by tests/unit/check_lock_flags.c.
 */
#ifndef LOCK_FLAGS_H
#define LOCK_FLAGS_H

#include <stdint.h>

#define LOCK_FLAGS_MARKER	0x7463ULL	/* "tc" */

/* Why the lock changed hands; also the reason of a history entry. */
enum lock_reason {
	LOCK_REASON_NONE = 0,	/* not our value, or no previous leader */
	LOCK_REASON_SWITCHOVER,	/* tile38-clusterctl switchover */
	LOCK_REASON_SERVER_DOWN, /* the leader's server stopped answering */
	LOCK_REASON_STOP,	/* graceful stop of the leader's manager */
	LOCK_REASON_RELEASED,	/* released by another client of the key */
	LOCK_REASON_EXPIRED,	/* session invalidated: crash or partition */
	LOCK_REASON_FIRST,	/* the key did not exist: a new cluster */
	LOCK_REASON_MAX
};

/* Whom a free lock is meant for, as seen by one node. */
enum lock_target {
	LOCK_TARGET_ANY = 0,	/* anybody: contend as usual */
	LOCK_TARGET_SELF,	/* this node: contend at once */
	LOCK_TARGET_OTHER,	/* another node: hold back for a while */
};

/* The flags to release with; to may be NULL (anybody). */
uint64_t	 lock_flags_encode(enum lock_reason, const char *to);
/* The reason in flags; LOCK_REASON_NONE without our marker. */
enum lock_reason lock_flags_reason(uint64_t flags);
/* Whom the free lock with these flags is meant for, seen by self_id. */
enum lock_target lock_flags_target(uint64_t flags, const char *self_id);
/* "switchover", "server down", ...; "unknown" out of range. */
const char	*lock_reason_name(enum lock_reason);
/* The reason for a name, or -1. */
int		 lock_reason_lookup(const char *);

#endif
