/*
 * The elector's state, shared by its modules:
 *
 *	elector.c	process frame, what the elector tells the supervisor
 *	consul_watch.c	request slots: calls, blocking queries, their index
 *	session.c	the manager's own check and the Consul session
 *	election*.c	lock, leadership, fencing, freshness, handover
 *	catalog.c	service registration and health-filtered discovery
 *	connect_ca.c	leaf certificates, CA roots, authorization
 *	history.c	the leadership history in KV
 *	cluster_view.c	tile38-clusterctl list (pure)
 */
#ifndef ELECTION_H
#define ELECTION_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "consul_api.h"
#include "consul_http.h"
#include "consul_watch.h"
#include "event.h"
#include "leadership.h"
#include "proto.h"
#include "srvctl.h"
#include "svc.h"

struct child;
struct authz;


/* The elector's Consul client's certificates and key, as PEM text. */
struct consul_tls {
	char	*cacert, *cert, *key;
};

/* A file the supervisor opened for the next configuration (MSG_CONSUL_FILE). */
struct consul_fd {
	int	 fd;		/* -1 when none */
	char	*path;
	char	*error;		/* why the supervisor could not open it */
};
void	consul_fd_clear(struct consul_fd *);

struct elector {
	struct child		*child;
	struct ev_loop		*loop;
	const struct config	*cfg;		/* the child's running config */
	struct consul		*consul;
	struct srvctl		*ctl;
	struct srv_state	 srv;		/* last observed */
	uint64_t		 srv_down_since; /* ev_now(); 0 while up */
	uint64_t		 srv_reported_at; /* ev_now() of the last report */
	uint64_t		 srv_reported_offset; /* and what it said */
	uint64_t		 srv_reported_keys;
	int			 started;

	char			 bridge_addr[64];
	uint32_t		 bridge_port;
	char			*datacenter;
	struct watch		 self;		/* GET /v1/agent/self */

	/* session.c */
	char			*session;	/* NULL: none yet */
	char			*replayed;	/* session handed back after a crash */
	struct consul_tls	 tls;
	struct consul_fd	 consul_fds[CONSUL_FILE_MAX];
	int			 session_resumed; /* ours from before a crash */
	char			 check_id[256];
	int			 check_ok;	/* registered and passing */
	struct watch		 check;		/* register / pass */
	struct watch		 sess;		/* create / info / renew */
	struct ev_timer		 renew_timer;
	void			(*closed)(struct elector *);

	/* election.c */
	struct watch		 lock;		/* blocking watch of the key */
	struct watch		 acquire;	/* acquire, release */
	struct watch		 confirm;	/* consistent read as leader */
	struct watch		 nodes;		/* peers' freshness records */
	struct watch		 publish;	/* our freshness record */
	char			*holder;	/* session holding the lock */
	char			*leader_id;	/* its value: the leader's id */
	uint64_t		 epoch;		/* ModifyIndex of the lock when taken */
	struct lead		 lead;		/* leadership (leadership.h) */
	uint64_t		 confirmed_at;	/* ev_now() when last confirmed */
	uint64_t		 confirm_sent;	/* ev_now() of the read in flight */
	uint64_t		 confirm_gen;	/* and lead.gen when it was sent */
	uint64_t		 lease_sent;	/* the writer's lease; 0: none */
	int			 min_held_logged; /* min_followers not met */
	uint64_t		 acquire_sent;
	int			 want;		/* enum srv_want last asked */
	uint64_t		 want_epoch;	/* epoch it was asked for */
	int			 empty_logged;
	int			 handover_logged;
	uint64_t		 free_since;	/* lock seen free since; 0 held */
	uint64_t		 free_flags;	/* flags of the free lock */
	uint64_t		 led_epoch;	/* last epoch this node led; 0: none */
	uint64_t		 followed_epoch;
	struct freshness	*peers;		/* other nodes' records */
	size_t			 npeers;
	struct {
		char		 id[128];	/* "": none seen */
		char		 lineage[64];
		uint64_t	 offset;
	}			 last_leader;	/* its last record */
	int			 behind_logged;
	struct ev_timer		 tick;		/* fencing, retries, publish */
	struct ev_timer		 quiet;		/* a handover awaits the writer */
	uint64_t		 quiet_since;
	uint64_t		 published_at;
	uint64_t		 stop_deadline;
	uint64_t		 stop_offset;	/* ours once writes stopped */
	uint64_t		 released_at;	/* ev_now() of our last release */
	uint64_t		 leader_changes; /* leaders seen come and go */
	/* switchover and pause (tile38-clusterctl) */
	int			 paused;	/* neither contend nor fail over */
	uint32_t		 switch_req;	/* control request to answer */
	char			*switch_to;	/* chosen node; NULL: any */
	uint64_t		 switch_deadline;
	uint64_t		 switch_started; /* ev_now(): writes held since */
	uint64_t		 switch_noted;	/* ev_now() of the last progress */
	char			 switch_note[160]; /* the last progress text */
	uint64_t		 hold_until;	/* ev_now(): do not contend */
	struct msg_role		 role_sent;
	int			 role_sent_set;

	/* history.c */
	struct history		*history;	/* leadership history */

	/* catalog.c */
	struct watch		 reg[SVC_MAX];	/* register, pass */
	struct watch		 health[SVC_MAX];	/* discovery */
	int			 registered[SVC_MAX];
	int			 deregistering;
	void			(*deregistered)(struct elector *);
	struct consul_instances	 found[SVC_MAX];	/* passing peers */
	int			 found_set[SVC_MAX];
	struct ev_timer		 catalog_tick;

	/* connect_ca.c */
	struct watch		 roots;
	struct watch		 leaf[SVC_MAX];
	struct watch		 intentions;	/* only its index */
	int			 intentions_denied;
	unsigned		 tls_sent;	/* TLS_SENT_*: handed to the proxies */
#define TLS_SENT_ROOTS		0x01
#define TLS_SENT_WRITER		0x02	/* the writer's leaf, the bridge's too */
	char			*trust_domain;
	struct authz		*authz;		/* questions asked and queued */
};

/* elector.c */
void	elector_publish_role(struct elector *);
/* Answer control request req (MSG_CTL_RESP). */
void	elector_ctl_answer(struct elector *, uint32_t req, int ok,
	    const char *text);
/* Every stop step finished: leave. */
void	elector_stopped(struct elector *);

/* Log a failed call once, with what Consul said. */
void	elector_call_failed(const char *what, const struct consul_resp *);

/* election.c: "/v1/kv/<prefix>/<suffix>[?query]", malloc'd */
char	*election_kv_path(const struct elector *, const char *suffix,
	    const char *query);
/* election.c: milliseconds since the epoch, as records carry time */
int64_t	election_wall_ms(void);
/* election.c: this node's freshness record as it would publish it now */
void	election_self_record(const struct elector *, struct freshness *);
/* election.c: control commands; 0, or -1 with why in err */
int	election_switchover(struct elector *, uint32_t req, const char *to,
	    char *err, size_t errlen);
void	election_pause(struct elector *, int on);

/* session.c */
void	session_start(struct elector *);
void	session_stop(struct elector *);
/* The session is gone (404 from Consul): start over with a new one. */
void	session_lost(struct elector *);
/* Graceful stop: destroy the session, deregister the check, then done(). */
void	session_close(struct elector *, void (*done)(struct elector *));

/* election.c */
void	election_start(struct elector *);
void	election_session_ready(struct elector *);
void	election_session_lost(struct elector *);
void	election_server_changed(struct elector *);
/* The writer says it sends the local server nothing more. */
void	election_writer_quiet(struct elector *);
void	election_shutdown(struct elector *);
void	election_stop(struct elector *);

/* catalog.c */
void	catalog_start(struct elector *);
void	catalog_health_changed(struct elector *);
void	catalog_deregister(struct elector *, void (*done)(struct elector *));
void	catalog_stop(struct elector *);
void	catalog_publish(struct elector *);

/* history.c */
void	history_start(struct elector *);
void	history_stop(struct elector *);
/* Every observation of the lock, before the election sees it. */
void	history_lock_observed(struct elector *, const struct consul_kv *);
/* This node took the lock: record why, once the epoch is known. */
void	history_leader_taken(struct elector *);
/* Answer control request req with the stored history. */
void	history_ctl(struct elector *, uint32_t req);

/* connect_ca.c */
void	connect_ca_start(struct elector *);
void	connect_ca_stop(struct elector *);
void	connect_ca_authorize(struct elector *, uint32_t route,
	    const struct msg_authz_req *);

#endif
