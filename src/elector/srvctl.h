/*
 * Control of the local server (Tile38, or Redis/Valkey with server.kind
 * redis): one persistent connection driven by the event loop, a probe
 * every interval, and a desired replication state that is applied and
 * re-applied with capped backoff until the server reports it.
 */
#ifndef SRVCTL_H
#define SRVCTL_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct srvctl;

enum srv_want {
	SRV_WANT_NONE = 0,	/* observe only */
	SRV_WANT_LEAD,		/* FOLLOW no one / REPLICAOF NO ONE, writable */
	SRV_WANT_FOLLOW,	/* FOLLOW / REPLICAOF the given address */
	SRV_WANT_FENCE,		/* refuse writes, leadership over: Tile38
				   READONLY yes; Redis REPLICAOF the given
				   address (a replica is read-only) */
	SRV_WANT_HOLD,		/* take no writes while handing over, the
				   followers still served: Tile38 READONLY
				   yes; Redis CLIENT PAUSE WRITE */
};

/* A figure of the server's own, for metrics (tile38.cluster.<name>). */
#define SRV_GAUGES	16
struct srv_gauge {
	const char	*name;		/* static */
	double		 value;
};

struct srv_state {
	int		up;		/* the last probe was answered */
	int		loading;	/* -LOADING */
	int		leader;		/* not following anybody */
	int		writable;	/* leader and not read-only/fenced */
	char		following[128];	/* "host:port", "" when leading */
	int		link_up;	/* follower: stream established
					   (Tile38: same as caught_up) */
	int		caught_up;	/* follower: caught up (Tile38 flag;
					   Redis: link up and not syncing) */
	uint64_t	offset;		/* Redis master_repl_offset of this
					   node; Tile38 aof_size */
	uint64_t	keys;		/* Redis keys in every db; Tile38
					   num_objects (strings included) */
	char		server_id[64];	/* Tile38 id; Redis run_id */
	char		lineage[64];	/* Redis master_replid; Tile38: ""
					   (the elector tracks it) */
	char		lineage2[64];	/* Redis master_replid2: the history
					   before this node was promoted */
	uint64_t	lineage2_end;	/* second_repl_offset: where it ends
					   (0: none) */
	char		version[32];
	int		applied;	/* the desired state is in effect */
	uint64_t	last_ok;	/* ev_now() of the last good probe */
	char		error[128];	/* last error from the server, "" */
	struct srv_gauge gauges[SRV_GAUGES];
	int		ngauges;
};

/* Called after every probe and every change of applied state. */
typedef void	(*srvctl_cb)(struct srvctl *, const struct srv_state *,
		    void *arg);

struct srvctl_opts {
	int		 kind;		/* enum server_kind (config.h) */
	const char	*host;
	uint16_t	 port;
	const char	*socket;	/* a UNIX socket instead, or NULL */
	const char	*password;	/* AUTH, and leaderauth/masterauth */
	uint64_t	 probe_ms;	/* probe interval */
	uint64_t	 timeout_ms;	/* connect and reply timeout */
};

struct srvctl	*srvctl_new(struct ev_loop *, const struct srvctl_opts *,
		    srvctl_cb, void *arg);
void		 srvctl_free(struct srvctl *);
/* Reconnects when host, port or password changed. */
void		 srvctl_set_opts(struct srvctl *, const struct srvctl_opts *);

/*
 * Desired replication.  fresh (with FOLLOW) discards the local dataset
 * before following: the leader is of another lineage and must not be
 * merged with what this server holds.
 */
void		 srvctl_want(struct srvctl *, enum srv_want, const char *host,
		    uint16_t port, int fresh);
const struct srv_state *srvctl_state(const struct srvctl *);

#endif
