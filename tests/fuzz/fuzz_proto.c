/*
 * Every payload decoder of the supervisor's protocol (src/common/proto.c,
 * proto_state.c, metrics.c) on the same arbitrary payload.  A decoder
 * takes a payload only when it consumes it exactly, and every field is
 * fixed-width or length-prefixed, so the encoding is canonical: what one
 * accepts, its encoder writes back byte for byte, and that decodes again.
 * A refused payload leaves nothing allocated (LeakSanitizer).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "imsg.h"
#include "metrics.h"
#include "proto.h"

const char	fuzz_target[] = "proto";

static uint8_t	out[IMSG_MAX_PAYLOAD];

#define nothing_to_clear(m)	((void)(m))

/*
 * rt_NAME(): decode, encode, compare, decode again; TYPE is the
 * payload's struct, CLEAR what frees a decoded one.
 */
#define ROUND_TRIP(name, type, clear)					\
static void								\
rt_##name(const uint8_t *data, size_t size)				\
{									\
	static type	a, b;						\
	int		len;						\
									\
	if (msg_##name##_decode(&a, data, size) == -1)			\
		return;							\
	len = msg_##name##_encode(&a, out, sizeof(out));		\
	if (size > sizeof(out))						\
		FUZZ_CHECK(len == -1);					\
	else {								\
		FUZZ_CHECK(len == (int)size);				\
		FUZZ_CHECK(size == 0 || memcmp(out, data, size) == 0);	\
		FUZZ_CHECK(msg_##name##_decode(&b, out, (size_t)len) == 0); \
		clear(&b);						\
	}								\
	clear(&a);							\
}

ROUND_TRIP(hello, struct msg_hello, nothing_to_clear)
ROUND_TRIP(config, struct msg_config, msg_config_clear)
ROUND_TRIP(config_ack, struct msg_config_ack, msg_config_ack_clear)
ROUND_TRIP(listener, struct msg_listener, msg_listener_clear)
ROUND_TRIP(session, struct msg_session, msg_session_clear)
ROUND_TRIP(lease, struct msg_lease, nothing_to_clear)
ROUND_TRIP(ping, struct msg_ping, nothing_to_clear)
ROUND_TRIP(role, struct msg_role, msg_role_clear)
ROUND_TRIP(peers, struct msg_peers, msg_peers_clear)
ROUND_TRIP(tls_leaf, struct msg_tls_leaf, msg_tls_leaf_clear)
ROUND_TRIP(tls_roots, struct msg_tls_roots, msg_tls_roots_clear)
ROUND_TRIP(server_state, struct msg_server_state, msg_server_state_clear)
ROUND_TRIP(authz_req, struct msg_authz_req, msg_authz_req_clear)
ROUND_TRIP(authz_resp, struct msg_authz_resp, msg_authz_resp_clear)
ROUND_TRIP(ctl_req, struct msg_ctl_req, msg_ctl_req_clear)
ROUND_TRIP(ctl_resp, struct msg_ctl_resp, msg_ctl_resp_clear)
ROUND_TRIP(ctl_progress, struct msg_ctl_progress, msg_ctl_progress_clear)
ROUND_TRIP(consul_file, struct msg_consul_file, msg_consul_file_clear)
ROUND_TRIP(log_level, struct msg_log_level, nothing_to_clear)
ROUND_TRIP(stats, struct metric_set, nothing_to_clear)

/*
 * proto_valid(), which the supervisor runs on everything a child sends,
 * on every type: it agrees with the type's own decoder where it has one,
 * and leaves nothing behind either way.
 */
static void
valid_all(const uint8_t *data, size_t size)
{
	static const uint32_t	types[] = { MSG_HELLO, MSG_READY,
	    MSG_CONFIG_ACK, MSG_STOP_REFUSED, MSG_CONFIG, MSG_LISTENER,
	    MSG_START, MSG_SHUTDOWN, MSG_LOG_LEVEL, MSG_PING, MSG_CONSUL_FILE,
	    MSG_SESSION, MSG_ROLE, MSG_PEERS, MSG_TLS_LEAF, MSG_TLS_ROOTS,
	    MSG_SERVER_STATE, MSG_LEASE, MSG_AUTHZ_REQ, MSG_AUTHZ_RESP,
	    MSG_STATS, MSG_CTL_REQ, MSG_CTL_RESP, MSG_CTL_PROGRESS,
	    MSG_INTENTIONS, MSG_WRITER_QUIET, 0, UINT32_MAX };
	struct msg_role		r;
	size_t			i;
	int			rv;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		(void)proto_valid(types[i], data, size);
	rv = msg_role_decode(&r, data, size);
	msg_role_clear(&r);
	FUZZ_CHECK(proto_valid(MSG_ROLE, data, size) == rv);
	FUZZ_CHECK(proto_valid(MSG_READY, data, size) == (size == 0 ? 0 : -1));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rt_hello(data, size);
	rt_config(data, size);
	rt_config_ack(data, size);
	rt_listener(data, size);
	rt_session(data, size);
	rt_lease(data, size);
	rt_ping(data, size);
	rt_role(data, size);
	rt_peers(data, size);
	rt_tls_leaf(data, size);
	rt_tls_roots(data, size);
	rt_server_state(data, size);
	rt_authz_req(data, size);
	rt_authz_resp(data, size);
	rt_ctl_req(data, size);
	rt_ctl_resp(data, size);
	rt_ctl_progress(data, size);
	rt_consul_file(data, size);
	rt_log_level(data, size);
	rt_stats(data, size);
	valid_all(data, size);
	return 0;
}
