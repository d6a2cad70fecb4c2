/* Cluster-state payloads: round trips, truncation, trailing bytes, bad counts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "suites.h"

static uint8_t	buf[IMSG_MAX_PAYLOAD];

/* Every strict prefix and one byte too many must be refused. */
#define CHECK_STRICT(decode, clear, type, n) do {			\
	type	 _m;							\
	int	 _i;							\
	for (_i = 0; _i < (n); _i++) {					\
		ck_assert_msg(decode(&_m, buf, _i) == -1,		\
		    "prefix of %d bytes accepted", _i);			\
		ck_assert_int_eq(errno, EBADMSG);			\
	}								\
	buf[(n)] = 0;							\
	ck_assert_int_eq(decode(&_m, buf, (n) + 1), -1);		\
	ck_assert_int_eq(decode(&_m, buf, (n)), 0);			\
	clear(&_m);							\
} while (0)

START_TEST(test_peers_roundtrip)
{
	struct peer		v[2] = {
		{ "n1", "10.0.0.1", 9852, "spiffe://td/ns/default/dc/dc1/svc/"
		    "tile38-writer", PEER_PASSING },
		{ "n2", "::1", 1, "", 0 },
	};
	struct msg_peers	in = { v, 2 }, out;
	int			n;

	n = msg_peers_encode(&in, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(msg_peers_decode(&out, buf, n), 0);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_str_eq(out.v[0].id, "n1");
	ck_assert_str_eq(out.v[0].addr, "10.0.0.1");
	ck_assert_uint_eq(out.v[0].port, 9852);
	ck_assert_str_eq(out.v[0].uri, v[0].uri);
	ck_assert_uint_eq(out.v[0].flags, PEER_PASSING);
	ck_assert_str_eq(out.v[1].addr, "::1");
	ck_assert_str_eq(out.v[1].uri, "");
	msg_peers_clear(&out);
	CHECK_STRICT(msg_peers_decode, msg_peers_clear, struct msg_peers, n);
}
END_TEST

START_TEST(test_peers_empty_and_bad)
{
	struct msg_peers	in = { NULL, 0 }, out;
	uint32_t		huge = 0xffffffff;
	int			n;

	n = msg_peers_encode(&in, buf, sizeof(buf));
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(msg_peers_decode(&out, buf, n), 0);
	ck_assert_uint_eq(out.n, 0);
	msg_peers_clear(&out);

	/* A count the payload cannot hold is refused before allocating. */
	memcpy(buf, &huge, sizeof(huge));
	ck_assert_int_eq(msg_peers_decode(&out, buf, 64), -1);
}
END_TEST

START_TEST(test_peers_bad_port)
{
	struct peer		v = { "n1", "a", 70000, "", 0 };
	struct msg_peers	in = { &v, 1 }, out;
	int			n;

	n = msg_peers_encode(&in, buf, sizeof(buf));
	ck_assert_int_eq(msg_peers_decode(&out, buf, n), -1);
}
END_TEST

START_TEST(test_tls_roundtrip)
{
	struct msg_tls_leaf	l = { "CERT", "KEY", "spiffe://x", 1790000000 };
	struct msg_tls_leaf	lo;
	struct msg_tls_roots	r = { "td.consul", "ROOTS" }, ro;
	int			n;

	n = msg_tls_leaf_encode(&l, buf, sizeof(buf));
	ck_assert_int_eq(msg_tls_leaf_decode(&lo, buf, n), 0);
	ck_assert_str_eq(lo.cert_pem, "CERT");
	ck_assert_str_eq(lo.key_pem, "KEY");
	ck_assert_str_eq(lo.uri, "spiffe://x");
	ck_assert_uint_eq(lo.valid_before, 1790000000);
	msg_tls_leaf_clear(&lo);
	ck_assert_ptr_null(lo.key_pem);
	CHECK_STRICT(msg_tls_leaf_decode, msg_tls_leaf_clear,
	    struct msg_tls_leaf, n);

	n = msg_tls_roots_encode(&r, buf, sizeof(buf));
	ck_assert_int_eq(msg_tls_roots_decode(&ro, buf, n), 0);
	ck_assert_str_eq(ro.trust_domain, "td.consul");
	ck_assert_str_eq(ro.pem, "ROOTS");
	msg_tls_roots_clear(&ro);
	CHECK_STRICT(msg_tls_roots_decode, msg_tls_roots_clear,
	    struct msg_tls_roots, n);
}
END_TEST

START_TEST(test_server_state_roundtrip)
{
	struct msg_server_state	in = { 1, 0, 1, 123456789012ULL, 42,
				    "127.0.0.1:4000" }, out;
	int			n;

	n = msg_server_state_encode(&in, buf, sizeof(buf));
	ck_assert_int_eq(msg_server_state_decode(&out, buf, n), 0);
	ck_assert_uint_eq(out.up, 1);
	ck_assert_uint_eq(out.leader, 0);
	ck_assert_uint_eq(out.caught_up, 1);
	ck_assert_uint_eq(out.offset, 123456789012ULL);
	ck_assert_uint_eq(out.keys, 42);
	ck_assert_str_eq(out.following, "127.0.0.1:4000");
	msg_server_state_clear(&out);
	CHECK_STRICT(msg_server_state_decode, msg_server_state_clear,
	    struct msg_server_state, n);
}
END_TEST

START_TEST(test_authz_roundtrip)
{
	struct msg_authz_req	q = { "tile38-writer", "spiffe://td/x", "0a" };
	struct msg_authz_req	qo;
	struct msg_authz_resp	a = { 1, "ok" }, ao;
	int			n;

	n = msg_authz_req_encode(&q, buf, sizeof(buf));
	ck_assert_int_eq(msg_authz_req_decode(&qo, buf, n), 0);
	ck_assert_str_eq(qo.target, "tile38-writer");
	ck_assert_str_eq(qo.uri, "spiffe://td/x");
	ck_assert_str_eq(qo.serial, "0a");
	msg_authz_req_clear(&qo);
	CHECK_STRICT(msg_authz_req_decode, msg_authz_req_clear,
	    struct msg_authz_req, n);

	n = msg_authz_resp_encode(&a, buf, sizeof(buf));
	ck_assert_int_eq(msg_authz_resp_decode(&ao, buf, n), 0);
	ck_assert_uint_eq(ao.allowed, 1);
	ck_assert_str_eq(ao.reason, "ok");
	msg_authz_resp_clear(&ao);
	CHECK_STRICT(msg_authz_resp_decode, msg_authz_resp_clear,
	    struct msg_authz_resp, n);

	/* allowed is a boolean; anything else is a corrupt message. */
	a.allowed = 2;
	n = msg_authz_resp_encode(&a, buf, sizeof(buf));
	ck_assert_int_eq(msg_authz_resp_decode(&ao, buf, n), -1);
}
END_TEST

START_TEST(test_authz_route)
{
	uint32_t	r = AUTHZ_ROUTE(PROC_READER, 0x12345678);

	ck_assert_int_eq(AUTHZ_ROUTE_KIND(r), PROC_READER);
	ck_assert_uint_eq(AUTHZ_ROUTE_ID(r), 0x345678);
	ck_assert_str_eq(msg_name(MSG_AUTHZ_REQ), "authz_req");
	ck_assert_str_eq(msg_name(MSG_PEERS), "peers");
}
END_TEST

Suite *
proto_state_suite(void)
{
	Suite	*s = suite_create("proto_state");
	TCase	*tc = tcase_create("payloads");

	tcase_add_test(tc, test_peers_roundtrip);
	tcase_add_test(tc, test_peers_empty_and_bad);
	tcase_add_test(tc, test_peers_bad_port);
	tcase_add_test(tc, test_tls_roundtrip);
	tcase_add_test(tc, test_server_state_roundtrip);
	tcase_add_test(tc, test_authz_roundtrip);
	tcase_add_test(tc, test_authz_route);
	suite_add_tcase(s, tc);
	return s;
}
