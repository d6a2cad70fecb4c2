/*
 * Where a new connection goes: the routing table of DESIGN.md §4 as a
 * pure function of the proxy's view of the cluster.
 */
#ifndef PROXY_ROUTE_H
#define PROXY_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define ROUTE_DIAL_TRIES	3	/* a connection's dials between holds */
#define ROUTE_NO_ELECTOR	"elector unavailable"	/* the supervisor's */

enum route_kind {
	ROUTE_REFUSE = 0,	/* close the client */
	ROUTE_LOCAL,		/* the local server, plain TCP */
	ROUTE_PEER,		/* a peer's listener, mTLS */
	ROUTE_HOLD,		/* nowhere yet: wait for the cluster to
				   change (proxy.hold.timeout), then refuse */
};

struct route_view {
	int			 kind;		/* PROC_WRITER/READER/BRIDGE */
	const char		*self;		/* our id */
	int			 role;		/* enum role */
	const char		*leader_id;
	const struct msg_peers	*writers;	/* peers' W */
	const struct msg_peers	*readers;	/* peers' R */
	int			 local_caught_up; /* follower with all data */
	int			 internal;	/* the client is another node's
						   proxy: never hop again */
	int			 hops;		/* internal: tls_hop(), 0-2 */
	int			 hold;		/* proxy.hold.timeout is set */
	int			 no_peer_tls;	/* no certificate yet to dial
						   the leader's W with */
	/*
	 * This connection's dials that failed since it came or was last
	 * held, and whether the last one was the local server's.  Nothing
	 * has been read from its client yet.
	 */
	int			 failed;
	int			 local_failed;
	/* Open connections per peer id, for least-connections choice. */
	unsigned		(*load)(const char *peer_id, void *arg);
	void			*load_arg;
	/* A peer temporarily ejected after failed dials. */
	int			(*ejected)(const char *peer_id, void *arg);
};

struct route {
	enum route_kind		 kind;
	const struct peer	*peer;		/* ROUTE_PEER */
	int			 svc;		/* PROC_WRITER or PROC_READER:
						   which leaf to present */
	const char		*why;		/* ROUTE_REFUSE, ROUTE_HOLD */
};

/*
 * The role a proxy routes by.  A writer's leadership counts only while
 * its lease runs (msg_lease: lease_until on the host's monotonic clock,
 * now on the same): once it lapses the writer acts as a leader handing
 * over.  No client write reaches the local server; the followers'
 * streams still do, so that what it acknowledged reaches them until
 * another node leads.  The other proxies take no writes and route by the
 * role as told.
 */
int	route_role(int kind, int role, const char **leader_id,
	    uint64_t lease_until, uint64_t now);
void	route_choose(const struct route_view *, struct route *);
/*
 * A writer's client whose authorization was refused only because the
 * elector could not be asked (it is down, or restarting: the supervisor
 * answers ROUTE_NO_ELECTOR) waits for it when hold is set, as one with
 * nowhere to go does.  The elector's own refusal is final.
 */
int	route_authz_hold(int kind, int allowed, const char *reason, int hold);
/*
 * A refusal that decides about the client: the agent's own "no", not an
 * answer that it could not be asked (ROUTE_NO_ELECTOR, AUTHZ_UNAVAILABLE).
 * Only such a refusal closes a connection already open
 * (proxy.intentions.recheck).
 */
int	route_authz_final(int allowed, const char *reason);

#endif
