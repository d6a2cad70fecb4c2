/*
 * A node's two Connect services, the writer's and the reader's: which
 * process serves or dials each, what it is called, and when the local
 * server may serve reads.  One place for what the elector, the proxies
 * and the admin all need to agree on.
 */
#ifndef SVC_H
#define SVC_H

struct config;

enum svc {
	SVC_WRITER = 0,		/* service.name.leader, listener W */
	SVC_READER,		/* service.name.follower, listener R */
	SVC_MAX
};

/*
 * The service a process kind serves (W, R) or dials with its leaf (the
 * bridge: the leader's writer), or -1.
 */
int		 svc_of_proc(int kind);
/* The kind whose listener serves it, as peerid of MSG_PEERS, MSG_TLS_LEAF. */
int		 svc_proc(int svc);
/* Its Consul service name. */
const char	*svc_name(const struct config *, int svc);
/*
 * Whether the local server, as observed, is a follower that has all its
 * leader has: the one definition of caught up.
 */
int		 server_caught_up(int up, int leader, int caught_up);

#endif
