/* The routing table of DESIGN.md §4, case by case. */
#include <string.h>

#include "proxy/proxy_route.h"
#include "suites.h"

static struct peer	wv[3] = {
	{ "n1", "10.0.0.1", 9851, "spiffe://td/ns/default/dc/dc1/svc/w", PEER_PASSING },
	{ "n2", "10.0.0.2", 9851, "spiffe://td/ns/default/dc/dc1/svc/w", PEER_PASSING },
	{ "n3", "10.0.0.3", 9851, "spiffe://td/ns/default/dc/dc1/svc/w", PEER_PASSING },
};
static struct peer	rv[3] = {
	{ "n1", "10.0.0.1", 9852, "spiffe://td/ns/default/dc/dc1/svc/r", PEER_PASSING },
	{ "n2", "10.0.0.2", 9852, "spiffe://td/ns/default/dc/dc1/svc/r", PEER_PASSING },
	{ "n3", "10.0.0.3", 9852, "spiffe://td/ns/default/dc/dc1/svc/r", PEER_PASSING },
};
static struct msg_peers	writers = { wv, 3 }, readers = { rv, 3 };
static unsigned		loads[3];
static int		eject_n2;

static unsigned
load(const char *id, void *arg)
{
	return loads[id[1] - '1'];
}

static int
ejected(const char *id, void *arg)
{
	return eject_n2 && strcmp(id, "n2") == 0;
}

static struct route_view
view(int kind, const char *self, int role, const char *leader)
{
	struct route_view	v;

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	v.self = self;
	v.role = role;
	v.leader_id = leader;
	v.writers = &writers;
	v.readers = &readers;
	v.load = load;
	v.ejected = ejected;
	memset(loads, 0, sizeof(loads));
	eject_n2 = 0;
	return v;
}

START_TEST(test_writer)
{
	struct route_view	v;
	struct route		r;

	v = view(PROC_WRITER, "n1", ROLE_LEADER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_LOCAL);

	v = view(PROC_WRITER, "n2", ROLE_FOLLOWER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);
	ck_assert_str_eq(r.peer->id, "n1");
	ck_assert_uint_eq(r.peer->port, 9851);
	ck_assert_int_eq(r.svc, PROC_WRITER);

	/* Another node's proxy reaching a non-leader: no second hop. */
	v.internal = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);

	v = view(PROC_WRITER, "n2", ROLE_UNKNOWN, "");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
	ck_assert_str_eq(r.why, "no leader");

	v = view(PROC_WRITER, "n2", ROLE_FOLLOWER, "n9");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
}
END_TEST

START_TEST(test_bridge)
{
	struct route_view	v;
	struct route		r;

	v = view(PROC_BRIDGE, "n1", ROLE_LEADER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
	ck_assert_str_eq(r.why, "this node is the leader");

	v = view(PROC_BRIDGE, "n3", ROLE_FOLLOWER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);
	ck_assert_str_eq(r.peer->id, "n1");
	ck_assert_int_eq(r.svc, PROC_WRITER);

	v = view(PROC_BRIDGE, "n3", ROLE_UNKNOWN, "");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
}
END_TEST

START_TEST(test_reader_on_leader)
{
	struct route_view	v;
	struct route		r;

	/* The least loaded follower takes reads off the leader. */
	v = view(PROC_READER, "n1", ROLE_LEADER, "n1");
	loads[1] = 5;
	loads[2] = 2;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);
	ck_assert_str_eq(r.peer->id, "n3");
	ck_assert_int_eq(r.svc, PROC_READER);

	/* A failing peer is skipped while ejected. */
	v = view(PROC_READER, "n1", ROLE_LEADER, "n1");
	loads[2] = 9;
	eject_n2 = 1;
	route_choose(&v, &r);
	ck_assert_str_eq(r.peer->id, "n3");

	/* No eligible follower: the leader serves reads itself. */
	rv[1].flags = rv[2].flags = 0;
	v = view(PROC_READER, "n1", ROLE_LEADER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_LOCAL);
	rv[1].flags = rv[2].flags = PEER_PASSING;

	/* An internal hop is served here, never passed on. */
	v = view(PROC_READER, "n1", ROLE_LEADER, "n1");
	v.internal = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_LOCAL);
}
END_TEST

START_TEST(test_reader_on_follower)
{
	struct route_view	v;
	struct route		r;

	v = view(PROC_READER, "n2", ROLE_FOLLOWER, "n1");
	v.local_caught_up = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_LOCAL);

	/* Not caught up: another follower first, then the leader. */
	v = view(PROC_READER, "n2", ROLE_FOLLOWER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);
	ck_assert_str_eq(r.peer->id, "n3");

	rv[2].flags = 0;
	v = view(PROC_READER, "n2", ROLE_FOLLOWER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);
	ck_assert_str_eq(r.peer->id, "n1");
	rv[2].flags = PEER_PASSING;
}
END_TEST

Suite *
route_suite(void)
{
	Suite	*s = suite_create("route");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, test_writer);
	tcase_add_test(tc, test_bridge);
	tcase_add_test(tc, test_reader_on_leader);
	tcase_add_test(tc, test_reader_on_follower);
	suite_add_tcase(s, tc);
	return s;
}
