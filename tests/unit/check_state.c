/*
 * The supervisor's latest-state store: validation, forwarding to the
 * children that use each kind, replay to a restarted child, routing
 * of authorization requests (fail closed without an elector), the
 * revocation of the writer's lease and the elector's heartbeat answers.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "chanpair.h"
#include "suites.h"
#include "supervisor/supervisor.h"

static struct supervisor	sv;
static struct ichan		*peer[PROC_MAX];	/* the children's ends */
static uint8_t			 buf[IMSG_MAX_PAYLOAD];

static void
noop_cb(int fd, uint32_t events, void *arg)
{
}

static void
setup(void)
{
	int	k, sp[2];

	memset(&sv, 0, sizeof(sv));
	ck_assert_ptr_nonnull(sv.loop = ev_loop_new());
	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		struct sv_child	*ch = &sv.children[k];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		ch->sv = &sv;
		ch->kind = k;
		ch->pid = getpid();
		ch->state = CHILD_READY;
		ch->configured = 1;
		ck_assert_ptr_nonnull(ch->chan = ichan_new(sp[0]));
		ck_assert_ptr_nonnull(peer[k] = ichan_new(sp[1]));
		ck_assert_int_eq(ev_io_start(sv.loop, &ch->io, sp[0], EPOLLIN,
		    noop_cb, NULL), 0);
	}
}

static void
teardown(void)
{
	int	k;

	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		ev_io_stop(sv.loop, &sv.children[k].io);
		ichan_free(sv.children[k].chan);
		ichan_free(peer[k]);
	}
	sv_state_free(&sv);
	ev_loop_free(sv.loop);
}

/* The next message child k received from the supervisor. */
static void
child_recv(int k, struct imsg *m)
{
	struct pair	p = { sv.children[k].chan, peer[k] };

	pair_recv(&p, m);
}

/* Nothing is waiting for child k. */
static void
child_nothing(int k)
{
	struct imsg	m;

	ck_assert_int_eq(ichan_flush(sv.children[k].chan), 0);
	if (ichan_read(peer[k]) == -1)
		ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(ichan_get(peer[k], &m), 0);
}

static struct imsg
from_elector(uint32_t type, uint32_t peerid, const void *data, int len)
{
	struct imsg	m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.peerid = peerid;
	m.fd = -1;
	m.data = (uint8_t *)data;
	m.datalen = len;
	return m;
}

START_TEST(test_role_forwarded_to_proxies_only)
{
	struct msg_role	r = { ROLE_LEADER, 7, "n1" }, out;
	struct imsg	m, got;
	int		n, k;

	n = msg_role_encode(&r, buf, sizeof(buf));
	m = from_elector(MSG_ROLE, 0, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	for (k = PROC_WRITER; k <= PROC_BRIDGE; k++) {
		child_recv(k, &got);
		ck_assert_uint_eq(got.hdr.type, MSG_ROLE);
		ck_assert_int_eq(msg_role_decode(&out, got.data, got.datalen),
		    0);
		ck_assert_uint_eq(out.epoch, 7);
		ck_assert_str_eq(out.leader_id, "n1");
		msg_role_clear(&out);
		imsg_free(&got);
	}
	child_nothing(PROC_ELECTOR);
}
END_TEST

START_TEST(test_exiting_child_skipped)
{
	struct msg_role	r = { ROLE_UNKNOWN, 9, "" };
	struct imsg	m, got;
	int		n;

	/* A proxy that already closed its channel but is not reaped yet. */
	ichan_free(sv.children[PROC_WRITER].chan);
	sv.children[PROC_WRITER].chan = NULL;
	ev_io_stop(sv.loop, &sv.children[PROC_WRITER].io);
	n = msg_role_encode(&r, buf, sizeof(buf));
	m = from_elector(MSG_ROLE, 0, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	child_recv(PROC_READER, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_ROLE);
	imsg_free(&got);
}
END_TEST

START_TEST(test_listeners_to_a_closed_channel)
{
	struct sv_child	*w = &sv.children[PROC_WRITER];

	/* Died after its hello: the configuration's flush closed it. */
	ev_io_stop(sv.loop, &w->io);
	ichan_free(w->chan);
	w->chan = NULL;
	sv_child_send_listeners(w, NULL);
	ck_assert_ptr_null(w->chan);
}
END_TEST

START_TEST(test_malformed_state_refused)
{
	struct imsg	m;

	/* sv_dispatch() refuses a malformed payload before it is kept. */
	buf[0] = 1;
	ck_assert_int_eq(proto_valid(MSG_ROLE, buf, 3), -1);
	/* Per-kind state needs the writer or reader kind as peerid. */
	m = from_elector(MSG_PEERS, 0, "\0\0\0\0", 4);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), -1);
	m = from_elector(MSG_PEERS, PROC_BRIDGE, "\0\0\0\0", 4);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), -1);
	m = from_elector(MSG_READY, 0, NULL, 0);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), -1);
	child_nothing(PROC_WRITER);
}
END_TEST

START_TEST(test_replay_after_restart)
{
	struct msg_session	s = { "sess-1" };
	struct msg_role		r = { ROLE_FOLLOWER, 3, "n2" };
	struct msg_peers	none = { NULL, 0 };
	struct imsg		m, got;
	int			n, k;
	uint32_t		seen[8], nseen = 0;

	n = msg_session_encode(&s, buf, sizeof(buf));
	m = from_elector(MSG_SESSION, 0, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	n = msg_role_encode(&r, buf, sizeof(buf));
	m = from_elector(MSG_ROLE, 0, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	n = msg_peers_encode(&none, buf, sizeof(buf));
	m = from_elector(MSG_PEERS, PROC_READER, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	/* Drain what was forwarded live. */
	for (k = PROC_WRITER; k <= PROC_BRIDGE; k++) {
		child_recv(k, &got);
		imsg_free(&got);
		child_recv(k, &got);
		imsg_free(&got);
	}

	/* A restarted reader gets the role and the peers, not the session. */
	sv_state_replay(&sv.children[PROC_READER]);
	for (k = 0; k < 2; k++) {
		child_recv(PROC_READER, &got);
		seen[nseen++] = got.hdr.type;
		if (got.hdr.type == MSG_PEERS)
			ck_assert_uint_eq(got.hdr.peerid, PROC_READER);
		imsg_free(&got);
	}
	ck_assert_uint_eq(seen[0], MSG_ROLE);
	ck_assert_uint_eq(seen[1], MSG_PEERS);
	child_nothing(PROC_READER);

	/* A restarted elector gets its session back and nothing else. */
	sv_state_replay(&sv.children[PROC_ELECTOR]);
	child_recv(PROC_ELECTOR, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_SESSION);
	ck_assert_int_eq(msg_session_decode(&s, got.data, got.datalen), 0);
	ck_assert_str_eq(s.id, "sess-1");
	msg_session_clear(&s);
	imsg_free(&got);
	child_nothing(PROC_ELECTOR);
}
END_TEST

/* The private key of a leaf goes only to the proxies that present it. */
START_TEST(test_leaf_only_where_presented)
{
	struct msg_tls_leaf	 l = { "CERT", "KEY", "spiffe://x/svc/w", 0 }, out;
	struct imsg		 m, got;
	int			 n, k;

	n = msg_tls_leaf_encode(&l, buf, sizeof(buf));
	m = from_elector(MSG_TLS_LEAF, PROC_WRITER, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	m = from_elector(MSG_TLS_LEAF, PROC_READER, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);

	/* The writer and the bridge the writer's, the reader its own. */
	child_recv(PROC_WRITER, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_TLS_LEAF);
	ck_assert_uint_eq(got.hdr.peerid, PROC_WRITER);
	ck_assert_int_eq(msg_tls_leaf_decode(&out, got.data, got.datalen), 0);
	ck_assert_str_eq(out.key_pem, "KEY");
	msg_tls_leaf_clear(&out);
	imsg_free(&got);
	child_recv(PROC_BRIDGE, &got);
	ck_assert_uint_eq(got.hdr.peerid, PROC_WRITER);
	imsg_free(&got);
	child_recv(PROC_READER, &got);
	ck_assert_uint_eq(got.hdr.peerid, PROC_READER);
	imsg_free(&got);
	for (k = PROC_ELECTOR; k < PROC_MAX; k++)
		child_nothing(k);

	/* The same after a restart. */
	for (k = PROC_WRITER; k <= PROC_BRIDGE; k++) {
		sv_state_replay(&sv.children[k]);
		child_recv(k, &got);
		ck_assert_uint_eq(got.hdr.peerid,
		    k == PROC_READER ? PROC_READER : PROC_WRITER);
		imsg_free(&got);
		child_nothing(k);
	}
	sv_state_replay(&sv.children[PROC_ADMIN]);
	child_nothing(PROC_ADMIN);
}
END_TEST

START_TEST(test_authz_fails_closed_without_elector)
{
	struct msg_authz_req	q = { "w", "spiffe://x", "01" };
	struct msg_authz_resp	a;
	struct imsg		m, got;
	int			n;

	sv.children[PROC_ELECTOR].state = CHILD_STARTING;
	n = msg_authz_req_encode(&q, buf, sizeof(buf));
	m = from_elector(MSG_AUTHZ_REQ, 42, buf, n);
	sv_authz_request(&sv.children[PROC_WRITER], &m);
	child_recv(PROC_WRITER, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_AUTHZ_RESP);
	ck_assert_uint_eq(got.hdr.peerid, 42);
	ck_assert_int_eq(msg_authz_resp_decode(&a, got.data, got.datalen), 0);
	ck_assert_uint_eq(a.allowed, 0);
	ck_assert_str_eq(a.reason, "elector unavailable");
	msg_authz_resp_clear(&a);
	imsg_free(&got);
	child_nothing(PROC_ELECTOR);
}
END_TEST

START_TEST(test_authz_round_trip_through_elector)
{
	struct msg_authz_req	q = { "w", "spiffe://x", "01" };
	struct msg_authz_resp	a = { 1, "allowed" };
	struct imsg		m, got;
	int			n;

	n = msg_authz_req_encode(&q, buf, sizeof(buf));
	m = from_elector(MSG_AUTHZ_REQ, 42, buf, n);
	sv_authz_request(&sv.children[PROC_READER], &m);
	child_recv(PROC_ELECTOR, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_AUTHZ_REQ);
	ck_assert_uint_eq(got.hdr.peerid, AUTHZ_ROUTE(PROC_READER, 42));
	imsg_free(&got);

	n = msg_authz_resp_encode(&a, buf, sizeof(buf));
	m = from_elector(MSG_AUTHZ_RESP, AUTHZ_ROUTE(PROC_READER, 42), buf, n);
	ck_assert_int_eq(sv_authz_response(&sv, &m), 0);
	child_recv(PROC_READER, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_AUTHZ_RESP);
	ck_assert_uint_eq(got.hdr.peerid, 42);
	imsg_free(&got);
	child_nothing(PROC_WRITER);

	/* A response routed to a non-proxy is refused. */
	m = from_elector(MSG_AUTHZ_RESP, AUTHZ_ROUTE(PROC_ELECTOR, 1), buf, n);
	ck_assert_int_eq(sv_authz_response(&sv, &m), -1);
}
END_TEST

START_TEST(test_lease_revoked_once)
{
	struct msg_lease	l = { 12345 }, out;
	struct imsg		m, got;
	int			n;

	n = msg_lease_encode(&l, buf, sizeof(buf));
	m = from_elector(MSG_LEASE, 0, buf, n);
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	child_recv(PROC_WRITER, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_LEASE);
	imsg_free(&got);
	child_nothing(PROC_READER);

	/* Killed (hung), then reaped: one revocation reaches the writer. */
	sv_lease_revoke(&sv);
	child_recv(PROC_WRITER, &got);
	ck_assert_uint_eq(got.hdr.type, MSG_LEASE);
	ck_assert_int_eq(msg_lease_decode(&out, got.data, got.datalen), 0);
	ck_assert(out.expires == 0);
	imsg_free(&got);
	sv_lease_revoke(&sv);
	child_nothing(PROC_WRITER);

	/* A new grant, then a new revocation, travel again. */
	ck_assert_int_eq(sv_state_update(&sv, PROC_ELECTOR, &m), 0);
	child_recv(PROC_WRITER, &got);
	imsg_free(&got);
	sv_lease_revoke(&sv);
	child_recv(PROC_WRITER, &got);
	ck_assert_int_eq(msg_lease_decode(&out, got.data, got.datalen), 0);
	ck_assert(out.expires == 0);
	imsg_free(&got);
}
END_TEST

static struct imsg
pong(uint32_t seq, uint8_t *b)
{
	struct msg_ping	p = { seq };

	return from_elector(MSG_PING, 0, b, msg_ping_encode(&p, b, 8));
}

START_TEST(test_heartbeat_answers)
{
	struct sv_child	*el = &sv.children[PROC_ELECTOR];
	struct imsg	 m;
	uint8_t		 b[8];

	sv_heartbeat_start(el);
	/* Nothing was asked yet. */
	m = pong(1, b);
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), -1);
	el->hb_sent = 3;
	el->hb_heard = 0;
	m = pong(2, b);
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), -1);
	m = pong(1, b);
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), 0);
	ck_assert(el->hb_heard != 0);
	/* Once each, in order, and none that was not sent. */
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), -1);
	m = pong(2, b);
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), 0);
	m = pong(3, b);
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), 0);
	m = pong(4, b);
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), -1);
	m = from_elector(MSG_PING, 0, b, 3);
	el->hb_sent = 4;
	ck_assert_int_eq(sv_heartbeat_pong(el, &m), -1);
	sv_heartbeat_stop(el);
}
END_TEST

Suite *
state_suite(void)
{
	Suite	*s = suite_create("state");
	TCase	*tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_role_forwarded_to_proxies_only);
	tcase_add_test(tc, test_exiting_child_skipped);
	tcase_add_test(tc, test_listeners_to_a_closed_channel);
	tcase_add_test(tc, test_malformed_state_refused);
	tcase_add_test(tc, test_replay_after_restart);
	tcase_add_test(tc, test_leaf_only_where_presented);
	tcase_add_test(tc, test_authz_fails_closed_without_elector);
	tcase_add_test(tc, test_authz_round_trip_through_elector);
	tcase_add_test(tc, test_lease_revoked_once);
	tcase_add_test(tc, test_heartbeat_answers);
	suite_add_tcase(s, tc);
	return s;
}
