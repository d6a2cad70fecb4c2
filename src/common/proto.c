/*
 * Names, payload encoding and validation for the supervisor <-> child
 * protocol; the typed sends are in proto_send.c.  Payloads are a flat
 * sequence of u32, u64 and length-prefixed strings in host byte order
 * (both ends are the same binary); every decoder insists on consuming its
 * payload exactly, so a layout mismatch is caught instead of half-read.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"

static const char *const proc_names[PROC_MAX] = {
	[PROC_SUPERVISOR] = "supervisor",
	[PROC_ELECTOR] = "elector",
	[PROC_WRITER] = "writer",
	[PROC_READER] = "reader",
	[PROC_BRIDGE] = "bridge",
	[PROC_ADMIN] = "admin",
};

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

static const struct {
	uint32_t	 type;
	const char	*name;
} msg_names[] = {
	{ MSG_HELLO, "hello" },
	{ MSG_READY, "ready" },
	{ MSG_CONFIG_ACK, "config_ack" },
	{ MSG_STOP_REFUSED, "stop_refused" },
	{ MSG_CONFIG, "config" },
	{ MSG_LISTENER, "listener" },
	{ MSG_START, "start" },
	{ MSG_SHUTDOWN, "shutdown" },
	{ MSG_LOG_LEVEL, "log_level" },
	{ MSG_PING, "ping" },
	{ MSG_CONSUL_FILE, "consul_file" },
	{ MSG_SESSION, "session" },
	{ MSG_ROLE, "role" },
	{ MSG_PEERS, "peers" },
	{ MSG_TLS_LEAF, "tls_leaf" },
	{ MSG_TLS_ROOTS, "tls_roots" },
	{ MSG_SERVER_STATE, "server_state" },
	{ MSG_LEASE, "lease" },
	{ MSG_AUTHZ_REQ, "authz_req" },
	{ MSG_AUTHZ_RESP, "authz_resp" },
	{ MSG_STATS, "stats" },
	{ MSG_CTL_REQ, "ctl_req" },
	{ MSG_CTL_RESP, "ctl_resp" },
	{ MSG_CTL_PROGRESS, "ctl_progress" },
	{ MSG_INTENTIONS, "intentions" },
	{ MSG_WRITER_QUIET, "writer_quiet" },
};

const char *
msg_name(uint32_t type)
{
	size_t	i;

	for (i = 0; i < sizeof(msg_names) / sizeof(msg_names[0]); i++)
		if (msg_names[i].type == type)
			return msg_names[i].name;
	return "unknown";
}

/*
 * Every decoder clears what it half-read on failure, so clearing after
 * either outcome is safe.  An empty message's payload is valid empty.
 */
int
proto_valid(uint32_t type, const void *data, size_t len)
{
	union {
		struct msg_hello		hello;
		struct msg_config		config;
		struct msg_config_ack		ack;
		struct msg_listener		listener;
		struct msg_consul_file		file;
		struct msg_log_level		level;
		struct msg_ping			ping;
		struct msg_session		session;
		struct msg_role			role;
		struct msg_peers		peers;
		struct msg_tls_leaf		leaf;
		struct msg_tls_roots		roots;
		struct msg_server_state		server;
		struct msg_lease		lease;
		struct msg_authz_req		authz_req;
		struct msg_authz_resp		authz_resp;
		struct msg_ctl_req		ctl_req;
		struct msg_ctl_resp		ctl_resp;
		struct msg_ctl_progress		progress;
	} u;
	struct metric_set	*set;
	int			 rv;

	switch (type) {
	case MSG_READY:
	case MSG_STOP_REFUSED:
	case MSG_START:
	case MSG_SHUTDOWN:
	case MSG_INTENTIONS:
	case MSG_WRITER_QUIET:
		rv = len == 0 ? 0 : -1;
		break;
	case MSG_HELLO:
		rv = msg_hello_decode(&u.hello, data, len);
		break;
	case MSG_CONFIG:
		rv = msg_config_decode(&u.config, data, len);
		msg_config_clear(&u.config);
		break;
	case MSG_CONFIG_ACK:
		rv = msg_config_ack_decode(&u.ack, data, len);
		msg_config_ack_clear(&u.ack);
		break;
	case MSG_LISTENER:
		rv = msg_listener_decode(&u.listener, data, len);
		msg_listener_clear(&u.listener);
		break;
	case MSG_CONSUL_FILE:
		rv = msg_consul_file_decode(&u.file, data, len);
		msg_consul_file_clear(&u.file);
		break;
	case MSG_LOG_LEVEL:
		rv = msg_log_level_decode(&u.level, data, len);
		break;
	case MSG_PING:
		rv = msg_ping_decode(&u.ping, data, len);
		break;
	case MSG_SESSION:
		rv = msg_session_decode(&u.session, data, len);
		msg_session_clear(&u.session);
		break;
	case MSG_ROLE:
		rv = msg_role_decode(&u.role, data, len);
		msg_role_clear(&u.role);
		break;
	case MSG_PEERS:
		rv = msg_peers_decode(&u.peers, data, len);
		msg_peers_clear(&u.peers);
		break;
	case MSG_TLS_LEAF:
		rv = msg_tls_leaf_decode(&u.leaf, data, len);
		msg_tls_leaf_clear(&u.leaf);
		break;
	case MSG_TLS_ROOTS:
		rv = msg_tls_roots_decode(&u.roots, data, len);
		msg_tls_roots_clear(&u.roots);
		break;
	case MSG_SERVER_STATE:
		rv = msg_server_state_decode(&u.server, data, len);
		msg_server_state_clear(&u.server);
		break;
	case MSG_LEASE:
		rv = msg_lease_decode(&u.lease, data, len);
		break;
	case MSG_AUTHZ_REQ:
		rv = msg_authz_req_decode(&u.authz_req, data, len);
		msg_authz_req_clear(&u.authz_req);
		break;
	case MSG_AUTHZ_RESP:
		rv = msg_authz_resp_decode(&u.authz_resp, data, len);
		msg_authz_resp_clear(&u.authz_resp);
		break;
	case MSG_STATS:
		/* Too large for the stack. */
		if ((set = malloc(sizeof(*set))) == NULL)
			return -1;
		rv = msg_stats_decode(set, data, len);
		free(set);
		break;
	case MSG_CTL_REQ:
		rv = msg_ctl_req_decode(&u.ctl_req, data, len);
		msg_ctl_req_clear(&u.ctl_req);
		break;
	case MSG_CTL_RESP:
		rv = msg_ctl_resp_decode(&u.ctl_resp, data, len);
		msg_ctl_resp_clear(&u.ctl_resp);
		break;
	case MSG_CTL_PROGRESS:
		rv = msg_ctl_progress_decode(&u.progress, data, len);
		msg_ctl_progress_clear(&u.progress);
		break;
	default:
		errno = ENOMSG;
		return -1;
	}
	if (rv == -1)
		errno = EBADMSG;
	return rv;
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
msg_consul_file_encode(const struct msg_consul_file *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->path);
	pbuf_put_str(&w, m->error);
	return pbuf_w_result(&w);
}

int
msg_consul_file_decode(struct msg_consul_file *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->path = pbuf_get_str(&r);
	m->error = pbuf_get_str(&r);
	if (pbuf_r_done(&r) == -1) {
		msg_consul_file_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_consul_file_clear(struct msg_consul_file *m)
{
	free(m->path);
	free(m->error);
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
