/*
 * Typed sends: one per payload, so a caller hands over a struct and the
 * message type, encoding and size check come with it.  Every payload is
 * encoded into one buffer of the largest size a message takes, so what
 * fits in the protocol fits here; the buffer is wiped after each use,
 * since leaves and the elector's configuration carry secrets.  Each
 * process sends from its one event loop thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"

static uint8_t	sendbuf[IMSG_MAX_PAYLOAD];

/*
 * Queue what an encoder wrote into sendbuf: len bytes, or -1 when it did
 * not fit.  The fd is closed on every failure, as ichan_compose() does,
 * so callers hand it over unconditionally.
 */
static int
proto_send(struct ichan *c, uint32_t type, uint32_t peerid, int fd, int len)
{
	int	rv;

	if (len == -1) {
		log_warnx("%s message does not fit in %d bytes: not sent",
		    msg_name(type), IMSG_MAX_PAYLOAD);
		explicit_bzero(sendbuf, sizeof(sendbuf));
		if (fd != -1)
			close(fd);
		errno = EMSGSIZE;
		return -1;
	}
	if (c == NULL) {
		/* A child that is exiting may have closed its channel. */
		explicit_bzero(sendbuf, (size_t)len);
		if (fd != -1)
			close(fd);
		errno = EPIPE;
		return -1;
	}
	rv = ichan_compose(c, type, peerid, fd, sendbuf, (size_t)len);
	explicit_bzero(sendbuf, (size_t)len);
	return rv;
}

int
proto_send_empty(struct ichan *c, uint32_t type)
{
	return proto_send(c, type, 0, -1, 0);
}

int
proto_send_hello(struct ichan *c, int kind)
{
	struct msg_hello	m = { PROTO_VERSION, (uint32_t)kind };

	return proto_send(c, MSG_HELLO, 0, -1,
	    msg_hello_encode(&m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_config(struct ichan *c, uint32_t generation, const char *text)
{
	/* The encoder only reads it; the struct is shared with decode. */
	struct msg_config	m = { generation, (char *)text };

	return proto_send(c, MSG_CONFIG, 0, -1,
	    msg_config_encode(&m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_config_ack(struct ichan *c, uint32_t generation, int ok,
    const char *error)
{
	struct msg_config_ack	m = { generation, ok ? 1 : 0,
	    (char *)(error != NULL ? error : "") };

	return proto_send(c, MSG_CONFIG_ACK, 0, -1,
	    msg_config_ack_encode(&m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_listener(struct ichan *c, int kind, int fd, const char *addr,
    uint32_t port)
{
	struct msg_listener	m = { (char *)addr, port };

	return proto_send(c, MSG_LISTENER, (uint32_t)kind, fd,
	    msg_listener_encode(&m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_consul_file(struct ichan *c, int which, int fd,
    const struct msg_consul_file *m)
{
	return proto_send(c, MSG_CONSUL_FILE, (uint32_t)which, fd,
	    msg_consul_file_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_log_level(struct ichan *c, const struct msg_log_level *m)
{
	return proto_send(c, MSG_LOG_LEVEL, 0, -1,
	    msg_log_level_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_ping(struct ichan *c, const struct msg_ping *m)
{
	return proto_send(c, MSG_PING, 0, -1,
	    msg_ping_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_session(struct ichan *c, const struct msg_session *m)
{
	return proto_send(c, MSG_SESSION, 0, -1,
	    msg_session_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_role(struct ichan *c, const struct msg_role *m)
{
	return proto_send(c, MSG_ROLE, 0, -1,
	    msg_role_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_peers(struct ichan *c, uint32_t kind, const struct msg_peers *m)
{
	return proto_send(c, MSG_PEERS, kind, -1,
	    msg_peers_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_tls_leaf(struct ichan *c, uint32_t kind,
    const struct msg_tls_leaf *m)
{
	return proto_send(c, MSG_TLS_LEAF, kind, -1,
	    msg_tls_leaf_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_tls_roots(struct ichan *c, const struct msg_tls_roots *m)
{
	return proto_send(c, MSG_TLS_ROOTS, 0, -1,
	    msg_tls_roots_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_server_state(struct ichan *c, const struct msg_server_state *m)
{
	return proto_send(c, MSG_SERVER_STATE, 0, -1,
	    msg_server_state_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_lease(struct ichan *c, const struct msg_lease *m)
{
	return proto_send(c, MSG_LEASE, 0, -1,
	    msg_lease_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_authz_req(struct ichan *c, uint32_t route,
    const struct msg_authz_req *m)
{
	return proto_send(c, MSG_AUTHZ_REQ, route, -1,
	    msg_authz_req_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_authz_resp(struct ichan *c, uint32_t route,
    const struct msg_authz_resp *m)
{
	return proto_send(c, MSG_AUTHZ_RESP, route, -1,
	    msg_authz_resp_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_stats(struct ichan *c, uint32_t whose, const struct metric_set *m)
{
	return proto_send(c, MSG_STATS, whose, -1,
	    msg_stats_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_ctl_req(struct ichan *c, uint32_t req, const struct msg_ctl_req *m)
{
	return proto_send(c, MSG_CTL_REQ, req, -1,
	    msg_ctl_req_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_ctl_resp(struct ichan *c, uint32_t req,
    const struct msg_ctl_resp *m)
{
	return proto_send(c, MSG_CTL_RESP, req, -1,
	    msg_ctl_resp_encode(m, sendbuf, sizeof(sendbuf)));
}

int
proto_send_ctl_progress(struct ichan *c, uint32_t req,
    const struct msg_ctl_progress *m)
{
	return proto_send(c, MSG_CTL_PROGRESS, req, -1,
	    msg_ctl_progress_encode(m, sendbuf, sizeof(sendbuf)));
}
