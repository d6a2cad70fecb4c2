/*
 * tile38-clusterctl list: one view of every member of the cluster, made
 * from what the elector already watches, the catalog (who is registered
 * and passing, where) and the freshness records (what each node says of
 * itself).  A pure function: no I/O, no clock; tested by
 * tests/unit/check_cluster_view.c.
 */
#ifndef CLUSTER_VIEW_H
#define CLUSTER_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "consul_api.h"

/* A record older than this says nothing about now (election.c's rule). */
#define CLUSTER_VIEW_STALE_MS	5000

struct cluster_view {
	const char			*self_id;
	const char			*leader_id;	/* NULL, "": none */
	uint64_t			 epoch;
	const struct consul_instances	*writers;	/* NULL: unknown */
	const struct consul_instances	*readers;
	const struct freshness		*records;	/* <prefix>/nodes/ */
	size_t				 nrecords;
	const struct freshness		*self;		/* this node, now */
	int64_t				 now_ms;	/* unix ms */
};

/*
 * The answer {"ok":true,"self":...,"leader":...,"epoch":...,
 * "members":[...]}, members sorted by id, as malloc'd JSON text (no
 * newline), or NULL when out of memory.
 */
char	*cluster_view_json(const struct cluster_view *);

#endif
