/*
 * Names, payload encoding and send helpers for the supervisor <-> child
 * protocol.  Payloads are a flat sequence of u32, u64 and length-prefixed
 * strings in host byte order (both ends are the same binary); every
 * decoder insists on consuming its payload exactly, so a layout mismatch
 * is caught instead of half-read.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "proto.h"

static const char *const proc_names[PROC_MAX] = {
	[PROC_SUPERVISOR] = "supervisor",
	[PROC_ELECTOR] = "elector",
	[PROC_WRITER] = "writer",
	[PROC_READER] = "reader",
	[PROC_BRIDGE] = "bridge",
	[PROC_ADMIN] = "admin",
};

static int	proto_send(struct ichan *, uint32_t, uint32_t, int, const void *,
		    int);

const char *
proc_name(int kind)
{
	if (kind < 0 || kind >= PROC_MAX)
		return "unknown";
	return proc_names[kind];
}

int
proc_lookup(const char *name)
{
	int	kind;

	if (name == NULL)
		return -1;
	for (kind = 0; kind < PROC_MAX; kind++)
		if (strcmp(proc_names[kind], name) == 0)
			return kind;
	return -1;
}

const char *
msg_name(uint32_t type)
{
	switch (type) {
	case MSG_HELLO:
		return "hello";
	case MSG_READY:
		return "ready";
	case MSG_CONFIG_ACK:
		return "config_ack";
	case MSG_SESSION:
		return "session";
	case MSG_ROLE:
		return "role";
	case MSG_PEERS:
		return "peers";
	case MSG_TLS_LEAF:
		return "tls_leaf";
	case MSG_TLS_ROOTS:
		return "tls_roots";
	case MSG_SERVER_STATE:
		return "server_state";
	case MSG_AUTHZ_REQ:
		return "authz_req";
	case MSG_AUTHZ_RESP:
		return "authz_resp";
	case MSG_STATS:
		return "stats";
	case MSG_CTL_REQ:
		return "ctl_req";
	case MSG_CTL_RESP:
		return "ctl_resp";
	case MSG_INTENTIONS:
		return "intentions";
	case MSG_CTL_PROGRESS:
		return "ctl_progress";
	case MSG_LEASE:
		return "lease";
	case MSG_PONG:
		return "pong";
	case MSG_STOP_REFUSED:
		return "stop_refused";
	case MSG_WRITER_QUIET:
		return "writer_quiet";
	case MSG_CONFIG:
		return "config";
	case MSG_LISTENER:
		return "listener";
	case MSG_START:
		return "start";
	case MSG_SHUTDOWN:
		return "shutdown";
	case MSG_SESSION_REPLAY:
		return "session_replay";
	case MSG_ROLE_UPDATE:
		return "role_update";
	case MSG_PEERS_UPDATE:
		return "peers_update";
	case MSG_TLS_LEAF_UPDATE:
		return "tls_leaf_update";
	case MSG_TLS_ROOTS_UPDATE:
		return "tls_roots_update";
	case MSG_AUTHZ_CHECK:
		return "authz_check";
	case MSG_AUTHZ_RESULT:
		return "authz_result";
	case MSG_SERVER_STATE_UPDATE:
		return "server_state_update";
	case MSG_STATS_UPDATE:
		return "stats_update";
	case MSG_CTL:
		return "ctl";
	case MSG_CTL_RESULT:
		return "ctl_result";
	case MSG_LOG_LEVEL:
		return "log_level";
	case MSG_INTENTIONS_UPDATE:
		return "intentions_update";
	case MSG_CTL_NOTE:
		return "ctl_note";
	case MSG_LEASE_UPDATE:
		return "lease_update";
	case MSG_PING:
		return "ping";
	case MSG_WRITER_QUIET_UPDATE:
		return "writer_quiet_update";
	}
	return "unknown";
}

void
pbuf_w_init(struct pbuf_w *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->err = 0;
}

/* Append n bytes, or mark the writer failed; a failed writer stays so. */
static void
pbuf_put(struct pbuf_w *w, const void *p, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
pbuf_put_u32(struct pbuf_w *w, uint32_t v)
{
	pbuf_put(w, &v, sizeof(v));
}

void
pbuf_put_u64(struct pbuf_w *w, uint64_t v)
{
	pbuf_put(w, &v, sizeof(v));
}

void
pbuf_put_str(struct pbuf_w *w, const char *s)
{
	size_t	n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	if (n > UINT32_MAX) {
		w->err = 1;
		return;
	}
	pbuf_put_u32(w, (uint32_t)n);
	pbuf_put(w, s, n);
}

void
pbuf_r_init(struct pbuf_r *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

/* Copy out n bytes, or mark the reader failed; a failed reader stays so. */
static int
pbuf_get(struct pbuf_r *r, void *p, size_t n)
{
	if (r->err || r->len - r->off < n) {
		r->err = 1;
		return -1;
	}
	memcpy(p, r->buf + r->off, n);
	r->off += n;
	return 0;
}

uint32_t
pbuf_get_u32(struct pbuf_r *r)
{
	uint32_t	v;

	if (pbuf_get(r, &v, sizeof(v)) == -1)
		return 0;
	return v;
}

uint64_t
pbuf_get_u64(struct pbuf_r *r)
{
	uint64_t	v;

	if (pbuf_get(r, &v, sizeof(v)) == -1)
		return 0;
	return v;
}

char *
pbuf_get_str(struct pbuf_r *r)
{
	uint32_t	 n;
	char		*s;

	n = pbuf_get_u32(r);
	if (r->err)
		return NULL;
	/* Compare against what is left, never add to the declared length. */
	if (n > r->len - r->off ||
	    memchr(r->buf + r->off, '\0', n) != NULL ||
	    (s = malloc((size_t)n + 1)) == NULL) {
		r->err = 1;
		return NULL;
	}
	memcpy(s, r->buf + r->off, n);
	s[n] = '\0';
	r->off += n;
	return s;
}

int
pbuf_r_done(const struct pbuf_r *r)
{
	if (r->err || r->off != r->len)
		return -1;
	return 0;
}

int
pbuf_w_result(const struct pbuf_w *w)
{
	if (w->err || w->len > INT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	return (int)w->len;
}

int
msg_hello_encode(const struct msg_hello *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->version);
	pbuf_put_u32(&w, m->kind);
	return pbuf_w_result(&w);
}

int
msg_hello_decode(struct msg_hello *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->version = pbuf_get_u32(&r);
	m->kind = pbuf_get_u32(&r);
	if (pbuf_r_done(&r) == -1) {
		memset(m, 0, sizeof(*m));
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
msg_config_encode(const struct msg_config *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->generation);
	pbuf_put_str(&w, m->text);
	return pbuf_w_result(&w);
}

int
msg_config_decode(struct msg_config *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->generation = pbuf_get_u32(&r);
	m->text = pbuf_get_str(&r);
	if (pbuf_r_done(&r) == -1) {
		msg_config_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_config_clear(struct msg_config *m)
{
	/* The elector's holds the Consul token and the server's password. */
	if (m->text != NULL)
		explicit_bzero(m->text, strlen(m->text));
	free(m->text);
	memset(m, 0, sizeof(*m));
}

int
msg_config_ack_encode(const struct msg_config_ack *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->generation);
	pbuf_put_u32(&w, m->ok);
	pbuf_put_str(&w, m->error);
	return pbuf_w_result(&w);
}

int
msg_config_ack_decode(struct msg_config_ack *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->generation = pbuf_get_u32(&r);
	m->ok = pbuf_get_u32(&r);
	m->error = pbuf_get_str(&r);
	if (pbuf_r_done(&r) == -1) {
		msg_config_ack_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_config_ack_clear(struct msg_config_ack *m)
{
	free(m->error);
	memset(m, 0, sizeof(*m));
}

int
msg_listener_encode(const struct msg_listener *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->addr);
	pbuf_put_u32(&w, m->port);
	return pbuf_w_result(&w);
}

int
msg_listener_decode(struct msg_listener *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->addr = pbuf_get_str(&r);
	m->port = pbuf_get_u32(&r);
	if (pbuf_r_done(&r) == -1) {
		msg_listener_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_listener_clear(struct msg_listener *m)
{
	free(m->addr);
	memset(m, 0, sizeof(*m));
}

int
msg_session_encode(const struct msg_session *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->id);
	return pbuf_w_result(&w);
}

int
msg_session_decode(struct msg_session *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->id = pbuf_get_str(&r);
	if (pbuf_r_done(&r) == -1) {
		msg_session_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_session_clear(struct msg_session *m)
{
	free(m->id);
	memset(m, 0, sizeof(*m));
}

int
msg_lease_encode(const struct msg_lease *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u64(&w, m->expires);
	return pbuf_w_result(&w);
}

int
msg_lease_decode(struct msg_lease *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->expires = pbuf_get_u64(&r);
	if (pbuf_r_done(&r) == -1) {
		memset(m, 0, sizeof(*m));
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
msg_ping_encode(const struct msg_ping *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->seq);
	return pbuf_w_result(&w);
}

int
msg_ping_decode(struct msg_ping *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->seq = pbuf_get_u32(&r);
	if (pbuf_r_done(&r) == -1) {
		memset(m, 0, sizeof(*m));
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
msg_role_encode(const struct msg_role *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->role);
	pbuf_put_u64(&w, m->epoch);
	pbuf_put_str(&w, m->leader_id);
	return pbuf_w_result(&w);
}

int
msg_role_decode(struct msg_role *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->role = pbuf_get_u32(&r);
	m->epoch = pbuf_get_u64(&r);
	m->leader_id = pbuf_get_str(&r);
	if (pbuf_r_done(&r) == -1) {
		msg_role_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_role_clear(struct msg_role *m)
{
	free(m->leader_id);
	memset(m, 0, sizeof(*m));
}

/*
 * Queue an encoded payload, or report one that did not fit.  The fd is
 * closed on every failure, as ichan_compose() does, so callers hand it
 * over unconditionally.
 */
static int
proto_send(struct ichan *c, uint32_t type, uint32_t peerid, int fd,
    const void *buf, int len)
{
	if (len == -1) {
		log_warnx("%s message does not fit in %d bytes",
		    msg_name(type), IMSG_MAX_PAYLOAD);
		if (fd != -1)
			close(fd);
		errno = EMSGSIZE;
		return -1;
	}
	return ichan_compose(c, type, peerid, fd, buf, (size_t)len);
}

int
proto_send_empty(struct ichan *c, uint32_t type)
{
	return ichan_compose(c, type, 0, -1, NULL, 0);
}

int
proto_send_hello(struct ichan *c, int kind)
{
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	struct msg_hello	m;

	m.version = PROTO_VERSION;
	m.kind = (uint32_t)kind;
	return proto_send(c, MSG_HELLO, 0, -1, buf,
	    msg_hello_encode(&m, buf, sizeof(buf)));
}

int
proto_send_config(struct ichan *c, uint32_t generation, const char *text)
{
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	struct msg_config	m;

	m.generation = generation;
	/* The encoder only reads it; the struct is shared with decode. */
	m.text = (char *)text;
	return proto_send(c, MSG_CONFIG, 0, -1, buf,
	    msg_config_encode(&m, buf, sizeof(buf)));
}

int
proto_send_config_ack(struct ichan *c, uint32_t generation, int ok,
    const char *error)
{
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	struct msg_config_ack	m;

	m.generation = generation;
	m.ok = ok ? 1 : 0;
	m.error = (char *)(error != NULL ? error : "");
	return proto_send(c, MSG_CONFIG_ACK, 0, -1, buf,
	    msg_config_ack_encode(&m, buf, sizeof(buf)));
}

int
proto_send_listener(struct ichan *c, int kind, int fd, const char *addr,
    uint32_t port)
{
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	struct msg_listener	m;

	m.addr = (char *)addr;
	m.port = port;
	return proto_send(c, MSG_LISTENER, (uint32_t)kind, fd, buf,
	    msg_listener_encode(&m, buf, sizeof(buf)));
}
