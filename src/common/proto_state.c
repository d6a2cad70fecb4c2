/*
 * Payloads of the cluster state that the elector publishes and the
 * supervisor keeps and forwards: peers, TLS material, the local server's
 * observed state, and authorization requests from the proxies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"

/* Decoders' common ending: exact consumption or EBADMSG. */
static int
proto_decoded(const struct pbuf_r *r)
{
	if (pbuf_r_done(r) == -1) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
msg_peers_encode(const struct msg_peers *m, void *buf, size_t cap)
{
	struct pbuf_w	w;
	uint32_t	i;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->n);
	for (i = 0; i < m->n; i++) {
		pbuf_put_str(&w, m->v[i].id);
		pbuf_put_str(&w, m->v[i].addr);
		pbuf_put_u32(&w, m->v[i].port);
		pbuf_put_str(&w, m->v[i].uri);
		pbuf_put_u32(&w, m->v[i].flags);
	}
	return pbuf_w_result(&w);
}

int
msg_peers_decode(struct msg_peers *m, const void *buf, size_t len)
{
	struct pbuf_r	r;
	uint32_t	i, n;

	memset(m, 0, sizeof(*m));
	pbuf_r_init(&r, buf, len);
	n = pbuf_get_u32(&r);
	/* Each peer takes at least 20 bytes: refuse counts the data can't hold. */
	if (r.err || n > len / 20)
		goto fail;
	if (n > 0 && (m->v = calloc(n, sizeof(*m->v))) == NULL)
		goto fail;
	for (i = 0; i < n && !r.err; i++, m->n++) {
		m->v[i].id = pbuf_get_str(&r);
		m->v[i].addr = pbuf_get_str(&r);
		m->v[i].port = pbuf_get_u32(&r);
		m->v[i].uri = pbuf_get_str(&r);
		m->v[i].flags = pbuf_get_u32(&r);
		if (m->v[i].port > 65535)
			r.err = 1;
	}
	if (proto_decoded(&r) == 0)
		return 0;
fail:
	msg_peers_clear(m);
	errno = EBADMSG;
	return -1;
}

void
msg_peers_clear(struct msg_peers *m)
{
	uint32_t	i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].id);
		free(m->v[i].addr);
		free(m->v[i].uri);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

int
msg_tls_leaf_encode(const struct msg_tls_leaf *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->cert_pem);
	pbuf_put_str(&w, m->key_pem);
	pbuf_put_str(&w, m->uri);
	pbuf_put_u64(&w, m->valid_before);
	return pbuf_w_result(&w);
}

int
msg_tls_leaf_decode(struct msg_tls_leaf *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->cert_pem = pbuf_get_str(&r);
	m->key_pem = pbuf_get_str(&r);
	m->uri = pbuf_get_str(&r);
	m->valid_before = pbuf_get_u64(&r);
	if (proto_decoded(&r) == -1) {
		msg_tls_leaf_clear(m);
		return -1;
	}
	return 0;
}

void
msg_tls_leaf_clear(struct msg_tls_leaf *m)
{
	free(m->cert_pem);
	if (m->key_pem != NULL) {
		/* Do not leave the private key behind in freed memory. */
		explicit_bzero(m->key_pem, strlen(m->key_pem));
		free(m->key_pem);
	}
	free(m->uri);
	memset(m, 0, sizeof(*m));
}

int
msg_tls_roots_encode(const struct msg_tls_roots *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->trust_domain);
	pbuf_put_str(&w, m->pem);
	return pbuf_w_result(&w);
}

int
msg_tls_roots_decode(struct msg_tls_roots *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->trust_domain = pbuf_get_str(&r);
	m->pem = pbuf_get_str(&r);
	if (proto_decoded(&r) == -1) {
		msg_tls_roots_clear(m);
		return -1;
	}
	return 0;
}

void
msg_tls_roots_clear(struct msg_tls_roots *m)
{
	free(m->trust_domain);
	free(m->pem);
	memset(m, 0, sizeof(*m));
}

int
msg_server_state_encode(const struct msg_server_state *m, void *buf,
    size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->up);
	pbuf_put_u32(&w, m->leader);
	pbuf_put_u32(&w, m->caught_up);
	pbuf_put_u64(&w, m->offset);
	pbuf_put_u64(&w, m->keys);
	pbuf_put_str(&w, m->following);
	return pbuf_w_result(&w);
}

int
msg_server_state_decode(struct msg_server_state *m, const void *buf,
    size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->up = pbuf_get_u32(&r);
	m->leader = pbuf_get_u32(&r);
	m->caught_up = pbuf_get_u32(&r);
	m->offset = pbuf_get_u64(&r);
	m->keys = pbuf_get_u64(&r);
	m->following = pbuf_get_str(&r);
	if (proto_decoded(&r) == -1) {
		msg_server_state_clear(m);
		return -1;
	}
	return 0;
}

void
msg_server_state_clear(struct msg_server_state *m)
{
	free(m->following);
	memset(m, 0, sizeof(*m));
}

int
msg_authz_req_encode(const struct msg_authz_req *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->target);
	pbuf_put_str(&w, m->uri);
	pbuf_put_str(&w, m->serial);
	return pbuf_w_result(&w);
}

int
msg_authz_req_decode(struct msg_authz_req *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->target = pbuf_get_str(&r);
	m->uri = pbuf_get_str(&r);
	m->serial = pbuf_get_str(&r);
	if (proto_decoded(&r) == -1) {
		msg_authz_req_clear(m);
		return -1;
	}
	return 0;
}

void
msg_authz_req_clear(struct msg_authz_req *m)
{
	free(m->target);
	free(m->uri);
	free(m->serial);
	memset(m, 0, sizeof(*m));
}

int
msg_authz_resp_encode(const struct msg_authz_resp *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->allowed);
	pbuf_put_str(&w, m->reason);
	return pbuf_w_result(&w);
}

int
msg_authz_resp_decode(struct msg_authz_resp *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->allowed = pbuf_get_u32(&r);
	m->reason = pbuf_get_str(&r);
	if (proto_decoded(&r) == -1 || m->allowed > 1) {
		msg_authz_resp_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_authz_resp_clear(struct msg_authz_resp *m)
{
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

/* A control command's answer has the layout of an authorization's. */
int
msg_ctl_resp_encode(const struct msg_ctl_resp *m, void *buf, size_t cap)
{
	struct msg_authz_resp	a = { m->ok, m->text };

	return msg_authz_resp_encode(&a, buf, cap);
}

int
msg_ctl_resp_decode(struct msg_ctl_resp *m, const void *buf, size_t len)
{
	struct msg_authz_resp	a;

	if (msg_authz_resp_decode(&a, buf, len) == -1) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	m->ok = a.allowed;
	m->text = a.reason;
	return 0;
}

void
msg_ctl_resp_clear(struct msg_ctl_resp *m)
{
	free(m->text);
	memset(m, 0, sizeof(*m));
}

int
msg_ctl_progress_encode(const struct msg_ctl_progress *m, void *buf,
    size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->text);
	return pbuf_w_result(&w);
}

int
msg_ctl_progress_decode(struct msg_ctl_progress *m, const void *buf,
    size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->text = pbuf_get_str(&r);
	if (proto_decoded(&r) == -1) {
		msg_ctl_progress_clear(m);
		return -1;
	}
	return 0;
}

void
msg_ctl_progress_clear(struct msg_ctl_progress *m)
{
	free(m->text);
	memset(m, 0, sizeof(*m));
}

int
msg_ctl_req_encode(const struct msg_ctl_req *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_str(&w, m->cmd);
	pbuf_put_str(&w, m->arg);
	return pbuf_w_result(&w);
}

int
msg_ctl_req_decode(struct msg_ctl_req *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->cmd = pbuf_get_str(&r);
	m->arg = pbuf_get_str(&r);
	if (proto_decoded(&r) == -1 || m->cmd == NULL || m->arg == NULL ||
	    m->cmd[0] == '\0') {
		msg_ctl_req_clear(m);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void
msg_ctl_req_clear(struct msg_ctl_req *m)
{
	free(m->cmd);
	free(m->arg);
	memset(m, 0, sizeof(*m));
}

int
msg_log_level_encode(const struct msg_log_level *m, void *buf, size_t cap)
{
	struct pbuf_w	w;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, m->level);
	return pbuf_w_result(&w);
}

int
msg_log_level_decode(struct msg_log_level *m, const void *buf, size_t len)
{
	struct pbuf_r	r;

	pbuf_r_init(&r, buf, len);
	m->level = pbuf_get_u32(&r);
	if (proto_decoded(&r) == -1 || m->level > LOG_LEVEL_DEBUG) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}
