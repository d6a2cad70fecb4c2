/*
 * The typed sends: every payload sent through its proto_send_*() over a
 * real socketpair arrives under its one message type and peerid, passes
 * proto_valid(), and decodes to bytes that encode again exactly as the
 * sample does.  Then proto_valid() against the types that have no
 * payload and the ones no payload belongs to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "chanpair.h"
#include "imsg.h"
#include "metrics.h"
#include "proto.h"
#include "suites.h"

enum sample {
	S_CONSUL_FILE, S_LOG_LEVEL, S_PING, S_SESSION, S_ROLE, S_PEERS, S_LEAF, S_ROOTS,
	S_SERVER, S_LEASE, S_AUTHZ_REQ, S_AUTHZ_RESP, S_STATS, S_CTL_REQ,
	S_CTL_RESP, S_PROGRESS, S_MAX
};

static struct peer	sample_peers[2] = {
	{ "a", "127.0.0.1", 9851, "spiffe://d/ns/default/dc/dc1/svc/w", 1 },
	{ "b", "::1", 9852, "spiffe://d/ns/default/dc/dc1/svc/w", 0 },
};

static const struct {
	uint32_t	type;
	uint32_t	peerid;
} want[S_MAX] = {
	[S_CONSUL_FILE] = { MSG_CONSUL_FILE, CONSUL_FILE_KEY },
	[S_LOG_LEVEL] = { MSG_LOG_LEVEL, 0 },
	[S_PING] = { MSG_PING, 0 },
	[S_SESSION] = { MSG_SESSION, 0 },
	[S_ROLE] = { MSG_ROLE, 0 },
	[S_PEERS] = { MSG_PEERS, PROC_READER },
	[S_LEAF] = { MSG_TLS_LEAF, PROC_WRITER },
	[S_ROOTS] = { MSG_TLS_ROOTS, 0 },
	[S_SERVER] = { MSG_SERVER_STATE, 0 },
	[S_LEASE] = { MSG_LEASE, 0 },
	[S_AUTHZ_REQ] = { MSG_AUTHZ_REQ, AUTHZ_ROUTE(PROC_READER, 77) },
	[S_AUTHZ_RESP] = { MSG_AUTHZ_RESP, 77 },
	[S_STATS] = { MSG_STATS, PROC_BRIDGE },
	[S_CTL_REQ] = { MSG_CTL_REQ, 5 },
	[S_CTL_RESP] = { MSG_CTL_RESP, 6 },
	[S_PROGRESS] = { MSG_CTL_PROGRESS, 7 },
};

static struct metric_set	stats;

/*
 * Send sample `which` with its typed send (c != NULL), or encode it
 * into b (c == NULL).  Returns what the call returned.
 */
static int
sample(int which, struct ichan *c, void *b, size_t cap)
{
	struct msg_consul_file	cf = { "/etc/consul/client.key",
	    "Permission denied" };
	struct msg_log_level	ll = { 1 };
	struct msg_ping		pi = { 0xfffffff0u };
	struct msg_session	se = { "0b5e2f6a-1111-2222-3333-444455556666" };
	struct msg_role		ro = { ROLE_FOLLOWER, 42, "n2" };
	struct msg_peers	pe = { sample_peers, 2 };
	struct msg_tls_leaf	le = { "-----CERT-----", "-----KEY-----",
	    "spiffe://d/ns/default/dc/dc1/svc/w", 1900000000 };
	struct msg_tls_roots	rt = { "d.consul", "-----ROOT-----" };
	struct msg_server_state	ss = { 1, 0, 1, 1234, 56, "127.0.0.1:9855" };
	struct msg_lease	ls = { 987654321 };
	struct msg_authz_req	aq = { "w", "spiffe://d/svc/web", "0a:0b" };
	struct msg_authz_resp	ar = { 1, "allowed by intention" };
	struct msg_ctl_req	cq = { "switchover", "n3" };
	struct msg_ctl_resp	cr = { 0, "no follower has caught up" };
	struct msg_ctl_progress	cp = { "waiting for n3 to catch up" };
	uint32_t		id = want[which].peerid;

	switch (which) {
	case S_CONSUL_FILE:
		return c ? proto_send_consul_file(c, (int)id, -1, &cf) :
		    msg_consul_file_encode(&cf, b, cap);
	case S_LOG_LEVEL:
		return c ? proto_send_log_level(c, &ll) :
		    msg_log_level_encode(&ll, b, cap);
	case S_PING:
		return c ? proto_send_ping(c, &pi) : msg_ping_encode(&pi, b, cap);
	case S_SESSION:
		return c ? proto_send_session(c, &se) :
		    msg_session_encode(&se, b, cap);
	case S_ROLE:
		return c ? proto_send_role(c, &ro) : msg_role_encode(&ro, b, cap);
	case S_PEERS:
		return c ? proto_send_peers(c, id, &pe) :
		    msg_peers_encode(&pe, b, cap);
	case S_LEAF:
		return c ? proto_send_tls_leaf(c, id, &le) :
		    msg_tls_leaf_encode(&le, b, cap);
	case S_ROOTS:
		return c ? proto_send_tls_roots(c, &rt) :
		    msg_tls_roots_encode(&rt, b, cap);
	case S_SERVER:
		return c ? proto_send_server_state(c, &ss) :
		    msg_server_state_encode(&ss, b, cap);
	case S_LEASE:
		return c ? proto_send_lease(c, &ls) :
		    msg_lease_encode(&ls, b, cap);
	case S_AUTHZ_REQ:
		return c ? proto_send_authz_req(c, id, &aq) :
		    msg_authz_req_encode(&aq, b, cap);
	case S_AUTHZ_RESP:
		return c ? proto_send_authz_resp(c, id, &ar) :
		    msg_authz_resp_encode(&ar, b, cap);
	case S_STATS:
		return c ? proto_send_stats(c, id, &stats) :
		    msg_stats_encode(&stats, b, cap);
	case S_CTL_REQ:
		return c ? proto_send_ctl_req(c, id, &cq) :
		    msg_ctl_req_encode(&cq, b, cap);
	case S_CTL_RESP:
		return c ? proto_send_ctl_resp(c, id, &cr) :
		    msg_ctl_resp_encode(&cr, b, cap);
	case S_PROGRESS:
		return c ? proto_send_ctl_progress(c, id, &cp) :
		    msg_ctl_progress_encode(&cp, b, cap);
	}
	ck_abort_msg("no sample %d", which);
	return -1;
}

/* Decode what arrived and encode it again, into b.  Returns the length. */
static int
reencode(uint32_t type, const struct imsg *m, void *b, size_t cap)
{
	union {
		struct msg_consul_file	cf;
		struct msg_log_level	ll;
		struct msg_ping		pi;
		struct msg_session	se;
		struct msg_role		ro;
		struct msg_peers	pe;
		struct msg_tls_leaf	le;
		struct msg_tls_roots	rt;
		struct msg_server_state	ss;
		struct msg_lease	ls;
		struct msg_authz_req	aq;
		struct msg_authz_resp	ar;
		struct msg_ctl_req	cq;
		struct msg_ctl_resp	cr;
		struct msg_ctl_progress	cp;
	} u;
	struct metric_set	*set;
	int			 n = -1;

#define REENCODE(name, field)						\
	ck_assert_int_eq(msg_##name##_decode(&u.field, m->data,		\
	    m->datalen), 0);						\
	n = msg_##name##_encode(&u.field, b, cap)
	switch (type) {
	case MSG_CONSUL_FILE:
		REENCODE(consul_file, cf);
		msg_consul_file_clear(&u.cf);
		break;
	case MSG_LOG_LEVEL:
		REENCODE(log_level, ll);
		break;
	case MSG_PING:
		REENCODE(ping, pi);
		break;
	case MSG_SESSION:
		REENCODE(session, se);
		msg_session_clear(&u.se);
		break;
	case MSG_ROLE:
		REENCODE(role, ro);
		msg_role_clear(&u.ro);
		break;
	case MSG_PEERS:
		REENCODE(peers, pe);
		msg_peers_clear(&u.pe);
		break;
	case MSG_TLS_LEAF:
		REENCODE(tls_leaf, le);
		msg_tls_leaf_clear(&u.le);
		break;
	case MSG_TLS_ROOTS:
		REENCODE(tls_roots, rt);
		msg_tls_roots_clear(&u.rt);
		break;
	case MSG_SERVER_STATE:
		REENCODE(server_state, ss);
		msg_server_state_clear(&u.ss);
		break;
	case MSG_LEASE:
		REENCODE(lease, ls);
		break;
	case MSG_AUTHZ_REQ:
		REENCODE(authz_req, aq);
		msg_authz_req_clear(&u.aq);
		break;
	case MSG_AUTHZ_RESP:
		REENCODE(authz_resp, ar);
		msg_authz_resp_clear(&u.ar);
		break;
	case MSG_STATS:
		ck_assert_ptr_nonnull(set = malloc(sizeof(*set)));
		ck_assert_int_eq(msg_stats_decode(set, m->data, m->datalen),
		    0);
		n = msg_stats_encode(set, b, cap);
		free(set);
		break;
	case MSG_CTL_REQ:
		REENCODE(ctl_req, cq);
		msg_ctl_req_clear(&u.cq);
		break;
	case MSG_CTL_RESP:
		REENCODE(ctl_resp, cr);
		msg_ctl_resp_clear(&u.cr);
		break;
	case MSG_CTL_PROGRESS:
		REENCODE(ctl_progress, cp);
		msg_ctl_progress_clear(&u.cp);
		break;
	}
#undef REENCODE
	return n;
}

static void
stats_fill(void)
{
	metric_set_init(&stats);
	ck_assert_int_eq(metric_put(&stats, "connections", "listener", "w",
	    METRIC_GAUGE, 3), 0);
	ck_assert_int_eq(metric_put(&stats, "bytes_in", NULL, NULL,
	    METRIC_COUNTER, 123456), 0);
}

START_TEST(test_send_roundtrip)
{
	static uint8_t	 sent[IMSG_MAX_PAYLOAD], again[IMSG_MAX_PAYLOAD];
	struct pair	 p;
	struct imsg	 m;
	int		 which = _i, n, len;

	stats_fill();
	pair_open(&p);
	ck_assert_int_eq(sample(which, p.a, NULL, 0), 0);
	pair_recv(&p, &m);
	ck_assert_str_eq(msg_name(m.hdr.type), msg_name(want[which].type));
	ck_assert_uint_eq(m.hdr.peerid, want[which].peerid);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_int_eq(proto_valid(m.hdr.type, m.data, m.datalen), 0);
	ck_assert_int_ge(len = sample(which, NULL, sent, sizeof(sent)), 0);
	ck_assert_uint_eq(m.datalen, (size_t)len);
	ck_assert_mem_eq(m.data, sent, (size_t)len);
	n = reencode(m.hdr.type, &m, again, sizeof(again));
	ck_assert_int_eq(n, len);
	ck_assert_mem_eq(again, sent, (size_t)len);
	/* A byte short or one too many: proto_valid() says so. */
	if (len > 0)
		ck_assert_int_eq(proto_valid(m.hdr.type, m.data, len - 1), -1);
	ck_assert_int_eq(proto_valid(m.hdr.type, sent, 0) == 0, len == 0);
	imsg_free(&m);
	pair_close(&p);
}
END_TEST

/* A payload larger than a message is not sent, and says why. */
START_TEST(test_send_too_big)
{
	struct pair		 p;
	struct msg_tls_roots	 rt = { "d", NULL };

	ck_assert_ptr_nonnull(rt.pem = malloc(IMSG_MAX_PAYLOAD + 1));
	memset(rt.pem, 'x', IMSG_MAX_PAYLOAD);
	rt.pem[IMSG_MAX_PAYLOAD] = '\0';
	pair_open(&p);
	errno = 0;
	ck_assert_int_eq(proto_send_tls_roots(p.a, &rt), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(ichan_queued(p.a), 0);
	/* No channel (the child is exiting): refused too. */
	ck_assert_int_eq(proto_send_empty(NULL, MSG_READY), -1);
	ck_assert_int_eq(errno, EPIPE);
	pair_close(&p);
	free(rt.pem);
}
END_TEST

START_TEST(test_valid_empty_and_unknown)
{
	static const uint32_t	empty[] = { MSG_READY, MSG_STOP_REFUSED,
	    MSG_START, MSG_SHUTDOWN, MSG_INTENTIONS, MSG_WRITER_QUIET };
	static const uint32_t	none[] = { 0, MSG_HELLO - 1,
	    MSG_STOP_REFUSED + 1, MSG_CONSUL_FILE + 1, MSG_WRITER_QUIET + 1,
	    UINT32_MAX };
	size_t			i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		ck_assert_int_eq(proto_valid(empty[i], NULL, 0), 0);
		ck_assert_int_eq(proto_valid(empty[i], "x", 1), -1);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		errno = 0;
		ck_assert_int_eq(proto_valid(none[i], NULL, 0), -1);
		ck_assert_int_eq(errno, ENOMSG);
	}
}
END_TEST

Suite *
proto_send_suite(void)
{
	Suite	*s = suite_create("proto_send");
	TCase	*tc = tcase_create("send");

	tcase_add_loop_test(tc, test_send_roundtrip, 0, S_MAX);
	tcase_add_test(tc, test_send_too_big);
	tcase_add_test(tc, test_valid_empty_and_unknown);
	suite_add_tcase(s, tc);
	return s;
}
