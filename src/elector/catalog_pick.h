/*
 * One catalog instance per node.  Peers are known by Meta.id, but
 * nothing stops two registrations from carrying the same one: a stale
 * instance left by an old address, an operator's own next to ours.
 * Routing to "the first entry whose Meta.id matches" then sends a
 * node's traffic wherever Consul happens to list first.  A pure
 * function, tested by tests/unit/check_catalog_pick.c.
 */
#ifndef CATALOG_PICK_H
#define CATALOG_PICK_H

#include "consul_api.h"

/*
 * Keep one instance of each Meta.id in l, in Consul's order: the one
 * whose Service.ID is exactly "<service>-<Meta.id>" (the layout of the
 * Go original, which service.manage registers), else, for an operator
 * who registers with IDs of his own (Nomad), the first listed, as
 * before.  Returns how many instances were dropped, or -1 when out of
 * memory (l unchanged).
 */
int	catalog_pick(struct consul_instances *l, const char *service);

#endif
