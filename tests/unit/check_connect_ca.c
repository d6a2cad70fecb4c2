/*
 * Authorization of the proxies' clients (connect_ca.c): every request is
 * answered exactly once, and nothing is left behind, also when the call
 * to the agent cannot be made.  The answers are read from the other end
 * of the channel the elector writes to the supervisor.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "chanpair.h"
#include "child.h"
#include "election.h"
#include "suites.h"

static struct ev_loop	*loop;
static struct pair	 pair;
static struct child	 child;
static struct elector	 el;

static void
setup(void)
{
	ck_assert_ptr_nonnull(loop = ev_loop_new());
	pair_open(&pair);
	memset(&child, 0, sizeof(child));
	child.kind = PROC_ELECTOR;
	child.loop = loop;
	child.chan = pair.a;
	child.io.fd = -1;
	memset(&el, 0, sizeof(el));
	el.child = &child;
	el.loop = loop;
	el.started = 1;
}

static void
teardown(void)
{
	pair_close(&pair);
	ev_loop_free(loop);
}

static void
ask(uint32_t route, const char *uri)
{
	struct msg_authz_req	q;

	q.target = "tile38-writer";
	q.uri = (char *)uri;
	q.serial = "0a:0b";
	connect_ca_authorize(&el, route, &q);
}

/* The next answer on the channel is for route, with allowed and reason. */
static void
expect_answer(uint32_t route, int allowed, const char *reason)
{
	struct imsg		m;
	struct msg_authz_resp	a;

	pair_recv(&pair, &m);
	ck_assert_uint_eq(m.hdr.type, MSG_AUTHZ_RESP);
	ck_assert_uint_eq(m.hdr.peerid, route);
	ck_assert_int_eq(msg_authz_resp_decode(&a, m.data, m.datalen), 0);
	ck_assert_int_eq(a.allowed, allowed);
	ck_assert_str_eq(a.reason, reason);
	msg_authz_resp_clear(&a);
	imsg_free(&m);
}

static void
expect_no_answer(void)
{
	struct imsg	m;

	ck_assert_int_ne(ichan_read(pair.b), 0);
	ck_assert_int_eq(ichan_get(pair.b, &m), 0);
}

/*
 * A call the client refuses to make (here: no client at all) is never
 * called back: the request is answered at once and not kept.
 */
START_TEST(test_authz_call_not_made)
{
	ask(7, "spiffe://d.consul/ns/default/dc/dc1/svc/app");
	ask(8, "spiffe://d.consul/ns/default/dc/dc1/svc/app");
	expect_answer(7, 0, "authorization unavailable");
	expect_answer(8, 0, "authorization unavailable");
	expect_no_answer();
	ck_assert_ptr_null(el.authz);
	connect_ca_stop(&el);
}
END_TEST

/* Before the elector has started, nothing is asked of anyone. */
START_TEST(test_authz_not_started)
{
	el.started = 0;
	ask(3, "spiffe://d.consul/ns/default/dc/dc1/svc/app");
	expect_answer(3, 0, "authorization unavailable");
	ck_assert_ptr_null(el.authz);
}
END_TEST

Suite *
connect_ca_suite(void)
{
	Suite	*s = suite_create("connect_ca");
	TCase	*tc;

	tc = tcase_create("authorize");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_authz_call_not_made);
	tcase_add_test(tc, test_authz_not_started);
	suite_add_tcase(s, tc);
	return s;
}
