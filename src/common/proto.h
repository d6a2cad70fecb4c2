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
#define PROTO_VERSION	1

/* Every process of the daemon; a child's kind is also its -P argument. */
enum proc_kind {
	PROC_SUPERVISOR = 0,
	PROC_ELECTOR,
	PROC_WRITER,	/* proxy for the writer listener W */
	PROC_READER,	/* proxy for the reader listener R */
	PROC_BRIDGE,	/* proxy for the replication bridge B */
	PROC_MAX
};

#define PROC_IS_PROXY(k)	((k) == PROC_WRITER || (k) == PROC_READER || \
				    (k) == PROC_BRIDGE)

const char	*proc_name(int kind);		/* "elector", "writer", ... */
int		 proc_lookup(const char *name);	/* kind, or -1 */

enum msg_type {
	/* child -> supervisor */
	MSG_HELLO = 100,	/* hello: version, kind */
	MSG_READY,		/* empty: sandboxed and serving */
	MSG_CONFIG_ACK,		/* config_ack: generation, ok, error */
	MSG_SESSION,		/* session: elector's Consul session id */
	MSG_ROLE,		/* role: elector's view of the cluster */

	/* supervisor -> child */
	MSG_CONFIG = 200,	/* config: generation, canonical config text */
	MSG_LISTENER,		/* listener (+ fd): peerid = kind; a proxy gets
				   its socket, the elector every address */
	MSG_START,		/* empty: handshake done, sandbox and serve */
	MSG_SHUTDOWN,		/* empty: stop gracefully and exit */
	MSG_SESSION_REPLAY,	/* session: hand a restarted elector its session */
	MSG_ROLE_UPDATE,	/* role: forwarded to the proxies */
};

const char	*msg_name(uint32_t type);

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
};

struct msg_role {
	uint32_t	 role;		/* enum role */
	uint64_t	 epoch;		/* lock index of the current leadership */
	char		*leader_id;	/* "" when none */
};
int	msg_role_encode(const struct msg_role *, void *buf, size_t cap);
int	msg_role_decode(struct msg_role *, const void *buf, size_t len);
void	msg_role_clear(struct msg_role *);

/*
 * Send helpers: encode and queue in one call.  Return 0 or -1.
 */
int	proto_send_empty(struct ichan *, uint32_t type);
int	proto_send_hello(struct ichan *, int kind);
int	proto_send_config(struct ichan *, uint32_t generation, const char *text);
int	proto_send_config_ack(struct ichan *, uint32_t generation, int ok,
	    const char *error);
/* The listener's kind travels as the header's peerid; fd may be -1. */
int	proto_send_listener(struct ichan *, int kind, int fd, const char *addr,
	    uint32_t port);

#endif
