/*
 * A proxy process's state, shared by proxy.c (process frame, cluster
 * state, TLS contexts) and proxy_conn*.c (one client connection from
 * accept to relay).
 */
#ifndef PROXY_INT_H
#define PROXY_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "config.h"
#include "event.h"
#include "metrics.h"
#include "proto.h"
#include "svc.h"
#include "proxy_admit.h"
#include "proxy_route.h"

struct child;
struct filter;
struct filter_rules;
struct relay;
struct tls_hs;

#define PROXY_BUFSIZE		16384	/* per direction per connection */
#define PROXY_AUTHZ_TTL_MS	5000	/* how long a decision is reused */
/* ... right after intentions changed: the agent may lag behind a little */
#define PROXY_AUTHZ_SETTLE_MS	1000
#define PROXY_AUTHZ_CACHE	64
#define PROXY_EJECT_AFTER	2	/* failed dials in a row */
#define PROXY_EJECT_MS		10000
#define PROXY_EJECTS		32

enum conn_state {
	CONN_HANDSHAKE,		/* inbound TLS */
	CONN_AUTHZ,		/* waiting for the elector */
	CONN_DIAL,		/* connecting upstream */
	CONN_UPSTREAM_TLS,	/* outbound TLS */
	CONN_RELAY,
	CONN_HOLD,		/* nowhere to go yet; its bytes wait unread */
	CONN_AUTHZ_HOLD,	/* no elector to ask yet; the same */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct proxy		*px;
	enum conn_state		 state;
	int			 cfd;		/* client */
	SSL			*cssl;
	int			 ufd;		/* upstream */
	SSL			*ussl;
	struct tls_hs		*hs;
	struct ev_io		 dial_io;
	struct ev_timer		 timer;		/* authz, dial, hold */
	uint32_t		 authz_id;
	uint32_t		 authz_gen;	/* px->authz_gen when asked */
	char			*uri;		/* client's SPIFFE id */
	char			*serial;	/* and its certificate's */
	uint32_t		 recheck_id;	/* its identity asked again
						   (proxy_recheck.c); 0: not */
	int			 internal;	/* another node's proxy */
	int			 hops;		/* internal: tls_hop() */
	int			 hop_taken;	/* the peer said it (tls_hop()) */
	int			 draining;	/* writer: lease revoked, the
						   server's answer still due */
	int			 repl;		/* a bridge's replication stream
						   (internal, no hop; marked
						   by tls_repl() from now) */
	struct filter		*filter;	/* the client's commands */
	enum route_kind		 route;
	char			 peer_id[128];	/* ROUTE_PEER */
	char			 peer_uri[512];
	int			 svc;
	int			 tries;		/* dials since the last hold */
	int			 local_failed;	/* and the last was local */
	uint64_t		 held_at;	/* ev_now() of the first hold */
	const char		*held_why;	/* and why: route.why */
	uint64_t		 hold_until;	/* ev_now() when the first hold
						   ends: holds add up */
	struct relay		*relay;
	char			*pending;	/* sent by the client, not yet */
	size_t			 npending;	/* passed on: a relay taken back */
	struct admit_key	 src;		/* the client's address */
	int			 in_hs;		/* counted in handshake
						   (proxy_admit.h) */
};

struct authz_entry {
	char		*uri;
	int		 allowed;
	uint64_t	 expires;
};

struct eject {
	char		id[128];
	unsigned	fails;
	uint64_t	until;
};

struct proxy {
	struct child		*child;
	int			 kind;		/* PROC_WRITER/READER/BRIDGE */
	const struct config	*cfg;
	int			 listen_fd;
	struct ev_io		 listen_io;
	int			 accepting;
	struct ev_timer		 accept_timer;	/* a pause in accepting */
	uint64_t		 accept_pause;	/* ms of the next, 0: least */
	uint64_t		 starved_at;	/* ev_now() of the first */
	int			 max_conns;	/* proxy.max_connections, or
						   what RLIMIT_NOFILE holds */
	int			 max_warned;	/* figures warned about */
	uint64_t		 nofile_warned;
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	size_t			 nhandshakes;	/* of them in handshake */
	struct admit_sources	 sources;	/* those per address */
	struct admit_peers	 peer_srcs;	/* other nodes' addresses */

	struct msg_role		 role;
	uint64_t		 lease_until;	/* writer: msg_lease, ev_now() */
	/*
	 * Writer: the lease it held when the elector revoked it.  Until
	 * then the server's answers to writes it already passed on may
	 * still reach their clients: the lease allowed as much.
	 */
	uint64_t		 lease_was;
	size_t			 ndraining;
	struct ev_timer		 drain_check;	/* until none is draining */
	int			 quiet_due;	/* MSG_WRITER_QUIET once none */
	struct ev_timer		 lease_timer;	/* fires when it lapses */
	struct ev_timer		 drain_timer;	/* a stop: answers to come */
	uint64_t		 drain_until;	/* ev_now(); 0: not stopping */
	struct msg_peers	 peers[SVC_MAX];	/* by enum svc */
	int			 caught_up;	/* local server, as observed */
	struct sockaddr_storage	 local;		/* the local server */
	socklen_t		 local_len;

	struct msg_tls_leaf	 leaf[SVC_MAX];	/* by enum svc */
	struct msg_tls_roots	 roots;
	SSL_CTX			*server_ctx;	/* W, R: our own service */
	SSL_CTX			*client_ctx[SVC_MAX];	/* dialling W, R */
	uint64_t		 resumption;	/* the contexts', ms */

	uint32_t		 next_authz;
	uint32_t		 authz_gen;	/* cache flushes so far */
	uint64_t		 flushed_at;	/* ev_now() of the last one */
	struct authz_entry	 cache[PROXY_AUTHZ_CACHE];
	struct ev_timer		 recheck_timer;	/* the settled pass */
	struct eject		 ejects[PROXY_EJECTS];

	uint64_t		 accepted;
	uint64_t		 refused;
	uint64_t		 denied;
	uint64_t		 hs_failed;	/* client TLS handshakes */
	size_t			 nheld;		/* in CONN_*HOLD now */
	uint64_t		 hold_timeouts;	/* held, then refused */
	uint64_t		 hold_max;	/* longest ended hold, ms */
	struct filter_rules	*rules;		/* W, R: what clients may ask */
	uint64_t		 cmd_refused;	/* closed relays' refusals */
	uint64_t		 filter_closed;	/* connections the filter ended */
	uint64_t		 filter_log_at;	/* ev_now() of the last line */
	uint64_t		 filter_log_quiet; /* lines left out since */
	uint64_t		 hs_cap_closed;	/* proxy.max_handshakes */
	uint64_t		 src_cap_closed; /* ..._per_source */
	uint64_t		 cap_log_at;	/* ev_now() of the last line */
	uint64_t		 cap_log_quiet;	/* lines left out since */
	uint64_t		 bytes_in;	/* from clients, closed relays */
	uint64_t		 bytes_out;	/* to clients, closed relays */
};

/* proxy_conn.c */
void	conn_stats(struct proxy *, struct metric_set *);
void	conn_close(struct conn *, const char *why);
/* Between proxy_conn*.c only. */
void	conn_nodelay(int fd);
void	conn_hs_leave(struct conn *);
void	conn_hold(struct conn *, enum conn_state, const char *why);
void	conn_hold_end(struct conn *);
void	conn_start_relay(struct conn *);

/* proxy_conn_accept.c */
/* A connection admitted (proxy_admit.h) from address src. */
void	conn_accept(struct proxy *, int fd, const struct admit_key *src);
void	conn_authz_result(struct proxy *, uint32_t id, int allowed,
	    const char *reason);
/* Intentions changed: forget every decision, even those asked before. */
void	conn_cache_flush(struct proxy *);
/* Between proxy_conn*.c only. */
void	conn_authz_ask(struct conn *);
void	conn_authorized(struct conn *, int allowed, const char *reason);

/* proxy_conn_dial.c: route, and dial what route_choose() says. */
void	conn_route(struct conn *);

/* proxy_conn_cut.c */
/* Close the connections that now point to the wrong place. */
void	conn_cut(struct proxy *);
/* Close the draining connections that are done; how many are left. */
size_t	conn_drain_done(struct proxy *);
/*
 * The view changed: route the held connections that can go now, and ask
 * the elector again for those it could not answer.
 */
void	conn_retry_held(struct proxy *);
void	conn_close_all(struct proxy *);
size_t	conn_drain(struct proxy *);

/*
 * proxy_recheck.c: the intentions changed; with proxy.intentions.recheck
 * the open connections' identities are asked about again.  A result is
 * offered to conn_recheck_result(): 1 when it was the answer to one.
 */
void	conn_recheck_start(struct proxy *);
void	conn_recheck_settled(void *proxy);
int	conn_recheck_result(struct proxy *, uint32_t id, int allowed,
	    const char *reason);

/* proxy.c */
/* The role and leader this proxy routes by now (route_role()). */
int	proxy_route_role(const struct proxy *, const char **leader_id);

#endif
