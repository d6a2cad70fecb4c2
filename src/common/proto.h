/*
 * The one protocol between the supervisor and its children: every message
 * type, the direction it travels, and a paired encode/decode for each
 * payload.  Children talk only to the supervisor (star topology).
 *
 * Payloads are built from u32, u64 and length-prefixed strings with the
 * pbuf helpers below; a decoder accepts a payload only when it consumes it
 * exactly.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

/* Bumped whenever a payload layout changes. */
#define PROTO_VERSION	6

/* Every process of the daemon; a child's kind is also its -P argument. */
enum proc_kind {
	PROC_SUPERVISOR = 0,
	PROC_ELECTOR,
	PROC_WRITER,	/* proxy for the writer listener W */
	PROC_READER,	/* proxy for the reader listener R */
	PROC_BRIDGE,	/* proxy for the replication bridge B */
	PROC_ADMIN,	/* control socket, admin HTTP listener, DogStatsD */
	PROC_MAX
};

#define PROC_IS_PROXY(k)	((k) == PROC_WRITER || (k) == PROC_READER || \
				    (k) == PROC_BRIDGE)

const char	*proc_name(int kind);		/* "elector", "writer", ... */
int		 proc_lookup(const char *name);	/* kind, or -1 */

/*
 * One type per payload, in blocks by direction.  A message that one child
 * sends to others keeps its type through the supervisor; the relay table
 * in supervisor/trust.c says who may send each one and who receives it.
 */
enum msg_type {
	/* child -> supervisor, which consumes them */
	MSG_HELLO = 100,	/* hello: version, kind */
	MSG_READY,		/* empty: sandboxed and serving */
	MSG_CONFIG_ACK,		/* config_ack: generation, ok, error */
	MSG_STOP_REFUSED,	/* empty: the elector did not hand over and
				   leads on (election.handover.lagging keep):
				   the graceful stop is called off */

	/* supervisor -> child */
	MSG_CONFIG = 200,	/* config: generation, canonical config text */
	MSG_LISTENER,		/* listener (+ fd): peerid = kind; a proxy gets
				   its socket, the elector every address */
	MSG_START,		/* empty: handshake done, sandbox and serve */
	MSG_SHUTDOWN,		/* empty: stop gracefully and exit */
	MSG_LOG_LEVEL,		/* log_level: every child, at once */
	MSG_PING,		/* ping: is the elector's event loop turning?
				   The elector sends it back, same seq. */
	MSG_CONSUL_FILE,	/* consul_file (+ fd): peerid = enum
				   consul_file; to the elector, before each
				   MSG_CONFIG that names the file */

	/* child -> supervisor -> children: relayed */
	MSG_SESSION = 300,	/* session: the elector's Consul session id,
				   replayed to a restarted elector */
	MSG_ROLE,		/* role: the elector's view of the cluster */
	MSG_PEERS,		/* peers: peerid = PROC_WRITER or PROC_READER */
	MSG_TLS_LEAF,		/* tls_leaf: peerid = PROC_WRITER or PROC_READER */
	MSG_TLS_ROOTS,		/* tls_roots: the Connect CA roots */
	MSG_SERVER_STATE,	/* server_state: the local server as observed */
	MSG_LEASE,		/* lease: the leader's write authority */
	MSG_AUTHZ_REQ,		/* authz_req: a proxy's request id, then the
				   AUTHZ_ROUTE() the elector answers to */
	MSG_AUTHZ_RESP,		/* authz_resp: AUTHZ_ROUTE(), then the proxy's
				   request id */
	MSG_STATS,		/* stats (metrics.h): a child's figures; to the
				   admin, peerid = whose */
	MSG_CTL_REQ,		/* ctl_req from the admin; peerid = request */
	MSG_CTL_RESP,		/* ctl_resp to the admin; peerid = request */
	MSG_CTL_PROGRESS,	/* ctl_progress: a step of a request still
				   under way; peerid = request */
	MSG_INTENTIONS,		/* empty: intentions changed; W and R forget
				   their decisions */
	MSG_WRITER_QUIET,	/* empty: the writer sends nothing more to the
				   local server (its lease was revoked) */
};

/* MSG_LISTENER's peerid for the control socket, which only the admin gets */
#define LISTENER_CONTROL	PROC_SUPERVISOR

/*
 * An authorization request crosses the supervisor twice: the proxy's
 * request id and kind are packed into the peerid seen by the elector.
 */
#define AUTHZ_ROUTE(kind, id)	(((uint32_t)(kind) << 24) | ((id) & 0xffffff))
#define AUTHZ_ROUTE_KIND(r)	((int)((r) >> 24))
#define AUTHZ_ROUTE_ID(r)	((r) & 0xffffff)

const char	*msg_name(uint32_t type);
/*
 * Whether a payload is well formed for its type: decoded and thrown
 * away, for those who only pass it on.  0 or -1 (EBADMSG; ENOMSG for a
 * type that has no payload decoder).
 */
int		 proto_valid(uint32_t type, const void *data, size_t len);

/* Bounded payload writer.  Overflow sets err; the caller checks once. */
struct pbuf_w {
	uint8_t	*buf;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

/* Bounded payload reader.  Underflow or bad data sets err. */
struct pbuf_r {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
	int		 err;
};

void	 pbuf_w_init(struct pbuf_w *, void *buf, size_t cap);
void	 pbuf_put_u32(struct pbuf_w *, uint32_t);
void	 pbuf_put_u64(struct pbuf_w *, uint64_t);
/* u32 length + bytes, no NUL; NULL is written as the empty string */
void	 pbuf_put_str(struct pbuf_w *, const char *);

void	 pbuf_r_init(struct pbuf_r *, const void *buf, size_t len);
uint32_t pbuf_get_u32(struct pbuf_r *);
uint64_t pbuf_get_u64(struct pbuf_r *);
/* Returns a malloc'd NUL-terminated copy; a string holding a NUL is an error. */
char	*pbuf_get_str(struct pbuf_r *);
/* 0 when everything was read without error and nothing is left over. */
int	 pbuf_r_done(const struct pbuf_r *);
/* The encoders' common ending: the length written, or -1 EMSGSIZE. */
int	 pbuf_w_result(const struct pbuf_w *);

/*
 * Payloads.  Each *_encode writes into buf (cap bytes) and returns the
 * length, or -1 when it does not fit; each *_decode returns 0 or -1 and
 * allocates strings that *_clear frees.
 */
struct msg_hello {
	uint32_t	version;
	uint32_t	kind;
};
int	msg_hello_encode(const struct msg_hello *, void *buf, size_t cap);
int	msg_hello_decode(struct msg_hello *, const void *buf, size_t len);

struct msg_config {
	uint32_t	 generation;
	char		*text;		/* config_serialize() output */
};
/*
 * The longest text a MSG_CONFIG carries: one payload less the generation
 * and the string's length.  config_validate() holds every configuration
 * to it, so one that loads is one the supervisor can hand over.
 */
#define MSG_CONFIG_TEXT_MAX	(IMSG_MAX_PAYLOAD - 2 * sizeof(uint32_t))
int	msg_config_encode(const struct msg_config *, void *buf, size_t cap);
int	msg_config_decode(struct msg_config *, const void *buf, size_t len);
void	msg_config_clear(struct msg_config *);

struct msg_config_ack {
	uint32_t	 generation;
	uint32_t	 ok;		/* 1 applied, 0 refused */
	char		*error;		/* why it was refused, "" when ok */
};
int	msg_config_ack_encode(const struct msg_config_ack *, void *buf,
	    size_t cap);
int	msg_config_ack_decode(struct msg_config_ack *, const void *buf,
	    size_t len);
void	msg_config_ack_clear(struct msg_config_ack *);

struct msg_listener {
	char		*addr;		/* bound address, numeric */
	uint32_t	 port;		/* bound port (resolves port 0) */
};
int	msg_listener_encode(const struct msg_listener *, void *buf, size_t cap);
int	msg_listener_decode(struct msg_listener *, const void *buf, size_t len);
void	msg_listener_clear(struct msg_listener *);

/*
 * The files a configuration names for the elector's Consul client.  The
 * supervisor opens them (it alone reads files) and hands the elector the
 * descriptor, or -1 and why not; the elector reads what it is given.
 */
enum consul_file {
	CONSUL_FILE_CA = 0,	/* consul.cacert */
	CONSUL_FILE_CERT,	/* consul.client.cert */
	CONSUL_FILE_KEY,	/* consul.client.key */
	CONSUL_FILE_MAX
};

struct msg_consul_file {
	char		*path;		/* as configured, for messages */
	char		*error;		/* why it is not open, "" when it is */
};
int	msg_consul_file_encode(const struct msg_consul_file *, void *buf,
	    size_t cap);
int	msg_consul_file_decode(struct msg_consul_file *, const void *buf,
	    size_t len);
void	msg_consul_file_clear(struct msg_consul_file *);

struct msg_session {
	char		*id;		/* Consul session id, "" for none */
};
int	msg_session_encode(const struct msg_session *, void *buf, size_t cap);
int	msg_session_decode(struct msg_session *, const void *buf, size_t len);
void	msg_session_clear(struct msg_session *);

enum role {
	ROLE_UNKNOWN = 0,	/* no leader known (start-up, Consul trouble) */
	ROLE_LEADER,
	ROLE_FOLLOWER,
	ROLE_HANDOVER,		/* the leader handing over (graceful stop,
				   switchover): its server takes no client
				   writes, but the followers' streams still
				   reach it to take the last ones;
				   leader_id is this node */
};

struct msg_role {
	uint32_t	 role;		/* enum role */
	uint64_t	 epoch;		/* Raft index at which the leadership began */
	char		*leader_id;	/* "" when none */
};
/*
 * The leader's write authority: the writer routes to the local server
 * only while its role is leader and CLOCK_MONOTONIC (one clock for every
 * process of the host) is before expires.  The elector extends it after
 * each confirmation of the lock, to the confirmation's send time plus
 * election.lease; 0 revokes it.  Nobody has to tell a writer to stop.
 */
struct msg_lease {
	uint64_t	 expires;	/* CLOCK_MONOTONIC ms; 0: none */
};
int	msg_lease_encode(const struct msg_lease *, void *buf, size_t cap);
int	msg_lease_decode(struct msg_lease *, const void *buf, size_t len);

/*
 * The supervisor's heartbeat (MSG_PING) and the elector's answer
 * (MSG_PONG, echoing seq): an elector whose event loop stops turning
 * cannot refresh its Consul check either, so it is killed and restarted.
 */
struct msg_ping {
	uint32_t	 seq;
};
int	msg_ping_encode(const struct msg_ping *, void *buf, size_t cap);
int	msg_ping_decode(struct msg_ping *, const void *buf, size_t len);

int	msg_role_encode(const struct msg_role *, void *buf, size_t cap);
int	msg_role_decode(struct msg_role *, const void *buf, size_t len);
void	msg_role_clear(struct msg_role *);

/* proto_state.c: the cluster state the elector publishes. */
#define PEER_PASSING	0x01	/* every health check passing */

struct peer {
	char		*id;		/* manager id (Meta.id) */
	char		*addr;
	uint32_t	 port;
	char		*uri;		/* SPIFFE id its certificate must carry */
	uint32_t	 flags;		/* PEER_* */
};

struct msg_peers {
	struct peer	*v;
	uint32_t	 n;
};
int	msg_peers_encode(const struct msg_peers *, void *buf, size_t cap);
int	msg_peers_decode(struct msg_peers *, const void *buf, size_t len);
void	msg_peers_clear(struct msg_peers *);

struct msg_tls_leaf {
	char		*cert_pem;
	char		*key_pem;	/* never written to disk */
	char		*uri;		/* our SPIFFE id for this service */
	uint64_t	 valid_before;	/* unix seconds */
};
int	msg_tls_leaf_encode(const struct msg_tls_leaf *, void *buf, size_t cap);
int	msg_tls_leaf_decode(struct msg_tls_leaf *, const void *buf,
	    size_t len);
void	msg_tls_leaf_clear(struct msg_tls_leaf *);

struct msg_tls_roots {
	char		*trust_domain;
	char		*pem;		/* every root, concatenated */
};
int	msg_tls_roots_encode(const struct msg_tls_roots *, void *buf,
	    size_t cap);
int	msg_tls_roots_decode(struct msg_tls_roots *, const void *buf,
	    size_t len);
void	msg_tls_roots_clear(struct msg_tls_roots *);

struct msg_server_state {
	uint32_t	 up;
	uint32_t	 leader;
	uint32_t	 caught_up;
	uint64_t	 offset;
	uint64_t	 keys;
	char		*following;	/* "" when leading */
};
int	msg_server_state_encode(const struct msg_server_state *, void *buf,
	    size_t cap);
int	msg_server_state_decode(struct msg_server_state *, const void *buf,
	    size_t len);
void	msg_server_state_clear(struct msg_server_state *);

struct msg_authz_req {
	char		*target;	/* service the client connects to */
	char		*uri;		/* client's SPIFFE id */
	char		*serial;	/* client certificate serial, hex */
};
int	msg_authz_req_encode(const struct msg_authz_req *, void *buf,
	    size_t cap);
int	msg_authz_req_decode(struct msg_authz_req *, const void *buf,
	    size_t len);
void	msg_authz_req_clear(struct msg_authz_req *);

/*
 * The elector's answer when it could not ask the agent: a refusal, but
 * no decision about the client (the supervisor's own, with no elector to
 * ask, is ROUTE_NO_ELECTOR).
 */
#define AUTHZ_UNAVAILABLE	"authorization unavailable"

struct msg_authz_resp {
	uint32_t	 allowed;
	char		*reason;
};
int	msg_authz_resp_encode(const struct msg_authz_resp *, void *buf,
	    size_t cap);
int	msg_authz_resp_decode(struct msg_authz_resp *, const void *buf,
	    size_t len);
void	msg_authz_resp_clear(struct msg_authz_resp *);

/*
 * A control command (tile38-clusterctl) the elector or the supervisor
 * carries out: "switchover", "pause", "resume", "reload", "log".
 */
struct msg_ctl_req {
	char		*cmd;
	char		*arg;		/* "" when none */
};
int	msg_ctl_req_encode(const struct msg_ctl_req *, void *buf, size_t cap);
int	msg_ctl_req_decode(struct msg_ctl_req *, const void *buf, size_t len);
void	msg_ctl_req_clear(struct msg_ctl_req *);

struct msg_ctl_resp {
	uint32_t	 ok;
	char		*text;		/* what happened, or why not */
};
int	msg_ctl_resp_encode(const struct msg_ctl_resp *, void *buf,
	    size_t cap);
int	msg_ctl_resp_decode(struct msg_ctl_resp *, const void *buf,
	    size_t len);
void	msg_ctl_resp_clear(struct msg_ctl_resp *);

struct msg_ctl_progress {
	char		*text;		/* the step taken */
};
int	msg_ctl_progress_encode(const struct msg_ctl_progress *, void *buf,
	    size_t cap);
int	msg_ctl_progress_decode(struct msg_ctl_progress *, const void *buf,
	    size_t len);
void	msg_ctl_progress_clear(struct msg_ctl_progress *);

struct msg_log_level {
	uint32_t	level;		/* enum log_level */
};
int	msg_log_level_encode(const struct msg_log_level *, void *buf,
	    size_t cap);
int	msg_log_level_decode(struct msg_log_level *, const void *buf,
	    size_t len);

/*
 * proto_send.c: a typed send for every payload, which encodes it and
 * queues it on the channel in one call.  The channel's owner flushes (see
 * ichan_set_wake()).  Each returns 0, or -1 when the channel is gone or
 * the payload does not fit in a message (logged; errno EMSGSIZE).  fd is
 * closed on failure.  peerid is as the message type says above.
 */
struct metric_set;

int	proto_send_empty(struct ichan *, uint32_t type);
int	proto_send_hello(struct ichan *, int kind);
int	proto_send_config(struct ichan *, uint32_t generation, const char *text);
int	proto_send_config_ack(struct ichan *, uint32_t generation, int ok,
	    const char *error);
/* The listener's kind travels as the header's peerid; fd may be -1. */
int	proto_send_listener(struct ichan *, int kind, int fd, const char *addr,
	    uint32_t port);
/* fd may be -1, with error saying why. */
int	proto_send_consul_file(struct ichan *, int which, int fd,
	    const struct msg_consul_file *);
int	proto_send_log_level(struct ichan *, const struct msg_log_level *);
int	proto_send_ping(struct ichan *, const struct msg_ping *);
int	proto_send_session(struct ichan *, const struct msg_session *);
int	proto_send_role(struct ichan *, const struct msg_role *);
int	proto_send_peers(struct ichan *, uint32_t kind,
	    const struct msg_peers *);
int	proto_send_tls_leaf(struct ichan *, uint32_t kind,
	    const struct msg_tls_leaf *);
int	proto_send_tls_roots(struct ichan *, const struct msg_tls_roots *);
int	proto_send_server_state(struct ichan *,
	    const struct msg_server_state *);
int	proto_send_lease(struct ichan *, const struct msg_lease *);
int	proto_send_authz_req(struct ichan *, uint32_t route,
	    const struct msg_authz_req *);
int	proto_send_authz_resp(struct ichan *, uint32_t route,
	    const struct msg_authz_resp *);
int	proto_send_stats(struct ichan *, uint32_t whose,
	    const struct metric_set *);
int	proto_send_ctl_req(struct ichan *, uint32_t req,
	    const struct msg_ctl_req *);
int	proto_send_ctl_resp(struct ichan *, uint32_t req,
	    const struct msg_ctl_resp *);
int	proto_send_ctl_progress(struct ichan *, uint32_t req,
	    const struct msg_ctl_progress *);

#endif
