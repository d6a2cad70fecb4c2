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

	/*
	 * A leader handing over: clients get no server, the followers'
	 * streams still reach the local one.
	 */
	v = view(PROC_WRITER, "n1", ROLE_HANDOVER, "n1");
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
	v.internal = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_LOCAL);
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

/* A writer's leadership counts only while its lease runs. */
START_TEST(test_role_lease)
{
	static const struct {
		int		 kind, role;
		uint64_t	 lease_until, now;
		int		 want;
		const char	*leader;
	} rows[] = {
		{ PROC_WRITER, ROLE_LEADER, 1000, 999, ROLE_LEADER, "n1" },
		{ PROC_WRITER, ROLE_LEADER, 1000, 1000, ROLE_HANDOVER, "n1" },
		{ PROC_WRITER, ROLE_LEADER, 1000, 5000, ROLE_HANDOVER, "n1" },
		{ PROC_WRITER, ROLE_LEADER, 0, 1, ROLE_HANDOVER, "n1" },
		/* Revoked (0) and never granted look the same. */
		{ PROC_WRITER, ROLE_LEADER, 0, 0, ROLE_HANDOVER, "n1" },
		/* No lease needed to follow, or to hand over. */
		{ PROC_WRITER, ROLE_FOLLOWER, 0, 5000, ROLE_FOLLOWER, "n1" },
		{ PROC_WRITER, ROLE_UNKNOWN, 0, 5000, ROLE_UNKNOWN, "n1" },
		/* The reader and the bridge take no writes. */
		{ PROC_READER, ROLE_LEADER, 0, 5000, ROLE_LEADER, "n1" },
		{ PROC_BRIDGE, ROLE_LEADER, 0, 5000, ROLE_LEADER, "n1" },
	};
	const char	*leader;
	size_t		 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		leader = "n1";
		ck_assert_msg(route_role(rows[i].kind, rows[i].role, &leader,
		    rows[i].lease_until, rows[i].now) == rows[i].want,
		    "row %zu", i);
		ck_assert_str_eq(leader, rows[i].leader);
	}
}
END_TEST

/*
 * A lapsed lease sends no client write local, not even one passed on by
 * another node; the followers' streams still go there.
 */
START_TEST(test_writer_lapsed)
{
	struct route_view	v;
	struct route		r;
	const char		*leader = "n1";

	memset(&v, 0, sizeof(v));
	v.kind = PROC_WRITER;
	v.self = "n1";
	v.role = route_role(PROC_WRITER, ROLE_LEADER, &leader, 10, 20);
	v.leader_id = leader;
	v.internal = 1;
	v.hops = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
	v.hops = 0;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_LOCAL);
	v.internal = 0;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
}
END_TEST

/* In the table: a leader whose writer's lease lapsed (route_role()). */
#define LAPSED	(-1)
/* ... a client's connection, not an internal hop (tls_hop(): 0-2). */
#define CLIENT	(-1)

/*
 * Every listener and role, from a client and from another node's proxy
 * (an internal hop: a stream that says nothing, a client's write on its
 * first or its second hop; a bridge has none), with proxy.hold.timeout
 * set: a connection with nowhere to go only for now is held.  Without
 * it the same row is a refusal for the same reason, every other row
 * unchanged.
 */
START_TEST(test_hold_table)
{
	static const struct {
		int		 kind, role;
		const char	*self, *leader;
		int		 hop, eject_n2;
		enum route_kind	 want;	/* with the hold on */
		const char	*what;	/* the peer, or why refused or held */
	} rows[] = {
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", CLIENT, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 1, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 2, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", CLIENT, 0,
		    ROUTE_PEER, "n1" },
		/* It follows another leader: waiting changes nothing. */
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", 0, 0,
		    ROUTE_REFUSE, "not the leader" },
		/* A client's write goes on once, never twice. */
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", 1, 0,
		    ROUTE_PEER, "n1" },
		/* The sender saw n2 take the lock before n2 heard of it. */
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", 2, 0,
		    ROUTE_HOLD, "not the leader yet" },
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n9", CLIENT, 0,
		    ROUTE_HOLD, "the leader's writer is not in the catalog" },
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n9", 1, 0,
		    ROUTE_HOLD, "the leader's writer is not in the catalog" },
		{ PROC_WRITER, ROLE_FOLLOWER, "n3", "n2", CLIENT, 1,
		    ROUTE_HOLD, "the leader's writer does not answer" },
		{ PROC_WRITER, ROLE_UNKNOWN, "n2", "", CLIENT, 0,
		    ROUTE_HOLD, "no leader" },
		/* It may be about to lead: the sender saw it take the lock. */
		{ PROC_WRITER, ROLE_UNKNOWN, "n2", "", 0, 0,
		    ROUTE_HOLD, "not the leader" },
		{ PROC_WRITER, ROLE_UNKNOWN, "n2", "", 1, 0,
		    ROUTE_HOLD, "not the leader" },
		{ PROC_WRITER, ROLE_UNKNOWN, "n2", "", 2, 0,
		    ROUTE_HOLD, "not the leader" },
		/* Handing over: the streams catch up, writes wait. */
		{ PROC_WRITER, ROLE_HANDOVER, "n1", "n1", CLIENT, 0,
		    ROUTE_HOLD, "no leader" },
		{ PROC_WRITER, ROLE_HANDOVER, "n1", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, ROLE_HANDOVER, "n1", "n1", 1, 0,
		    ROUTE_HOLD, "handing over" },
		{ PROC_WRITER, ROLE_HANDOVER, "n1", "n1", 2, 0,
		    ROUTE_HOLD, "handing over" },
		{ PROC_WRITER, LAPSED, "n1", "n1", CLIENT, 0,
		    ROUTE_HOLD, "no leader" },
		{ PROC_WRITER, LAPSED, "n1", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, LAPSED, "n1", "n1", 1, 0,
		    ROUTE_HOLD, "handing over" },

		/* A reader always has a server: a peer's or its own. */
		{ PROC_READER, ROLE_LEADER, "n1", "n1", CLIENT, 0,
		    ROUTE_PEER, "n2" },
		{ PROC_READER, ROLE_LEADER, "n1", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_READER, ROLE_FOLLOWER, "n2", "n1", CLIENT, 0,
		    ROUTE_PEER, "n3" },
		{ PROC_READER, ROLE_FOLLOWER, "n2", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_READER, ROLE_UNKNOWN, "n2", "", CLIENT, 0,
		    ROUTE_PEER, "n1" },
		{ PROC_READER, ROLE_UNKNOWN, "n2", "", 0, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_READER, ROLE_HANDOVER, "n1", "n1", CLIENT, 0,
		    ROUTE_PEER, "n2" },
		{ PROC_READER, ROLE_HANDOVER, "n1", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },
		/* The lease is the writer's: a reader reads on. */
		{ PROC_READER, LAPSED, "n1", "n1", CLIENT, 0,
		    ROUTE_PEER, "n2" },
		{ PROC_READER, LAPSED, "n1", "n1", 0, 0,
		    ROUTE_LOCAL, NULL },

		/*
		 * A bridge stream waits for a leader's writer to go to
		 * (Tile38 crashes on a connection closed inside FOLLOW).
		 */
		{ PROC_BRIDGE, ROLE_LEADER, "n1", "n1", CLIENT, 0,
		    ROUTE_REFUSE, "this node is the leader" },
		{ PROC_BRIDGE, ROLE_FOLLOWER, "n2", "n1", CLIENT, 0,
		    ROUTE_PEER, "n1" },
		{ PROC_BRIDGE, ROLE_FOLLOWER, "n2", "n9", CLIENT, 0,
		    ROUTE_HOLD, "the leader's writer is not in the catalog" },
		{ PROC_BRIDGE, ROLE_FOLLOWER, "n3", "n2", CLIENT, 1,
		    ROUTE_HOLD, "the leader's writer does not answer" },
		{ PROC_BRIDGE, ROLE_UNKNOWN, "n2", "", CLIENT, 0,
		    ROUTE_HOLD, "no leader" },
		{ PROC_BRIDGE, ROLE_HANDOVER, "n1", "n1", CLIENT, 0,
		    ROUTE_HOLD, "no leader" },
		{ PROC_BRIDGE, LAPSED, "n1", "n1", CLIENT, 0,
		    ROUTE_REFUSE, "this node is the leader" },
	};
	struct route_view	 v;
	struct route		 r;
	enum route_kind		 want;
	const char		*leader, *got;
	size_t			 i;
	int			 hold, role;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (hold = 0; hold <= 1; hold++) {
			leader = rows[i].leader;
			role = rows[i].role;
			if (role == LAPSED)
				role = route_role(rows[i].kind, ROLE_LEADER,
				    &leader, 10, 20);
			v = view(rows[i].kind, rows[i].self, role, leader);
			v.internal = rows[i].hop != CLIENT;
			v.hops = v.internal ? rows[i].hop : 0;
			v.hold = hold;
			eject_n2 = rows[i].eject_n2;
			route_choose(&v, &r);
			want = rows[i].want;
			if (want == ROUTE_HOLD && !hold)
				want = ROUTE_REFUSE;
			ck_assert_msg(r.kind == want,
			    "row %zu, hold %d: route %d, not %d", i, hold,
			    r.kind, want);
			if (want == ROUTE_LOCAL)
				continue;
			got = want == ROUTE_PEER ? r.peer->id : r.why;
			ck_assert_msg(strcmp(got, rows[i].what) == 0,
			    "row %zu, hold %d: %s, not %s", i, hold, got,
			    rows[i].what);
		}
}
END_TEST

/* In the table: the last failed dial was the local server's. */
#define LOCAL_FAILED	1

/*
 * A connection routed again after FAILED dials, the last one the local
 * server's or a peer's, with proxy.hold.timeout set: a writer's client
 * (or a write on its way from another node) waits for the next change
 * rather than be closed, at once when the local server refused it,
 * after ROUTE_DIAL_TRIES dials of a peer; streams and reads are retried,
 * then refused.  Without the hold, the rows held are refused for the same
 * reason, every other row unchanged.
 */
START_TEST(test_failed_table)
{
	static const struct {
		int		 kind, role;
		const char	*self, *leader;
		int		 hop, failed, local, eject_n2;
		enum route_kind	 want;	/* with the hold on */
		const char	*what;	/* the peer, or why refused or held */
	} rows[] = {
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", CLIENT, 0, 0, 0,
		    ROUTE_LOCAL, NULL },
		/* The local server refused: the lock will move, then it. */
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", CLIENT, 1,
		    LOCAL_FAILED, 0,
		    ROUTE_HOLD, "the local server does not answer" },
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 1, 1, LOCAL_FAILED, 0,
		    ROUTE_HOLD, "the local server does not answer" },
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 2, 1, LOCAL_FAILED, 0,
		    ROUTE_HOLD, "the local server does not answer" },
		/* A peer failed it before this node led. */
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", CLIENT, 2, 0, 0,
		    ROUTE_LOCAL, NULL },
		/* A follower's stream: tried again, then refused. */
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 0, 1, LOCAL_FAILED, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_WRITER, ROLE_LEADER, "n1", "n1", 0, 3, LOCAL_FAILED, 0,
		    ROUTE_REFUSE, "no upstream answered" },
		{ PROC_WRITER, ROLE_HANDOVER, "n1", "n1", 0, 3, LOCAL_FAILED, 0,
		    ROUTE_REFUSE, "no upstream answered" },
		/* The leader's writer: dialled again, then waited for. */
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", CLIENT, 1, 0, 0,
		    ROUTE_PEER, "n1" },
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", CLIENT, 2, 0, 0,
		    ROUTE_PEER, "n1" },
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", CLIENT, 3, 0, 0,
		    ROUTE_HOLD, "no upstream answered" },
		{ PROC_WRITER, ROLE_FOLLOWER, "n2", "n1", 1, 3, 0, 0,
		    ROUTE_HOLD, "no upstream answered" },
		/* ... unless it is ejected, or there is no leader at all. */
		{ PROC_WRITER, ROLE_FOLLOWER, "n3", "n2", CLIENT, 2, 0, 1,
		    ROUTE_HOLD, "the leader's writer does not answer" },
		{ PROC_WRITER, ROLE_UNKNOWN, "n2", "", CLIENT, 3, 0, 0,
		    ROUTE_HOLD, "no leader" },
		/* Another leader now: the failure was someone else's. */
		{ PROC_WRITER, ROLE_FOLLOWER, "n1", "n3", CLIENT, 1,
		    LOCAL_FAILED, 0,
		    ROUTE_PEER, "n3" },

		/* A reader is never held. */
		{ PROC_READER, ROLE_FOLLOWER, "n2", "n1", CLIENT, 1,
		    LOCAL_FAILED, 0,
		    ROUTE_PEER, "n3" },
		{ PROC_READER, ROLE_LEADER, "n1", "n1", CLIENT, 3, 0, 0,
		    ROUTE_REFUSE, "no upstream answered" },
		{ PROC_READER, ROLE_LEADER, "n1", "n1", 0, 1, LOCAL_FAILED, 0,
		    ROUTE_LOCAL, NULL },
		{ PROC_READER, ROLE_LEADER, "n1", "n1", 0, 3, LOCAL_FAILED, 0,
		    ROUTE_REFUSE, "no upstream answered" },

		/* Nor is a bridge stream. */
		{ PROC_BRIDGE, ROLE_FOLLOWER, "n2", "n1", CLIENT, 2, 0, 0,
		    ROUTE_PEER, "n1" },
		{ PROC_BRIDGE, ROLE_FOLLOWER, "n2", "n1", CLIENT, 3, 0, 0,
		    ROUTE_REFUSE, "no upstream answered" },
	};
	struct route_view	 v;
	struct route		 r;
	enum route_kind		 want;
	const char		*got;
	size_t			 i;
	int			 hold;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (hold = 0; hold <= 1; hold++) {
			v = view(rows[i].kind, rows[i].self, rows[i].role,
			    rows[i].leader);
			v.internal = rows[i].hop != CLIENT;
			v.hops = v.internal ? rows[i].hop : 0;
			v.hold = hold;
			v.failed = rows[i].failed;
			v.local_failed = rows[i].local;
			eject_n2 = rows[i].eject_n2;
			route_choose(&v, &r);
			want = rows[i].want;
			if (want == ROUTE_HOLD && !hold)
				want = ROUTE_REFUSE;
			ck_assert_msg(r.kind == want,
			    "row %zu, hold %d: route %d, not %d", i, hold,
			    r.kind, want);
			if (want == ROUTE_LOCAL)
				continue;
			got = want == ROUTE_PEER ? r.peer->id : r.why;
			ck_assert_msg(strcmp(got, rows[i].what) == 0,
			    "row %zu, hold %d: %s, not %s", i, hold, got,
			    rows[i].what);
			if (want != ROUTE_PEER)
				ck_assert_ptr_null(r.peer);
		}
}
END_TEST

/*
 * A leader's writer listed without its identity (a new elector's first
 * catalog), or no certificate of ours yet: a write and a bridge stream
 * wait for them.
 */
START_TEST(test_leader_no_uri)
{
	struct route_view	v;
	struct route		r;
	char			*uri = wv[0].uri;

	wv[0].uri = "";
	v = view(PROC_WRITER, "n2", ROLE_FOLLOWER, "n1");
	v.hold = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_HOLD);
	ck_assert_str_eq(r.why, "no TLS material for peers yet");
	v.internal = 1;
	v.hops = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_HOLD);
	v.hold = 0;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_REFUSE);
	ck_assert_str_eq(r.why, "no TLS material for peers yet");
	v = view(PROC_BRIDGE, "n2", ROLE_FOLLOWER, "n1");
	v.hold = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_HOLD);
	wv[0].uri = uri;
	v = view(PROC_WRITER, "n2", ROLE_FOLLOWER, "n1");
	v.hold = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);

	/* Listed with its identity, but no certificate of ours yet. */
	v.no_peer_tls = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_HOLD);
	ck_assert_str_eq(r.why, "no TLS material for peers yet");
	v = view(PROC_BRIDGE, "n2", ROLE_FOLLOWER, "n1");
	v.hold = 1;
	v.no_peer_tls = 1;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_HOLD);
	v.no_peer_tls = 0;
	route_choose(&v, &r);
	ck_assert_int_eq(r.kind, ROUTE_PEER);
}
END_TEST

/*
 * A refused authorization: only the supervisor's "no elector" makes a
 * writer's client wait, and only with proxy.hold.timeout set.
 */
START_TEST(test_authz_hold)
{
	static const struct {
		int		 kind, allowed;
		const char	*reason;
		int		 hold, want;
	} rows[] = {
		{ PROC_WRITER, 0, ROUTE_NO_ELECTOR, 1, 1 },
		{ PROC_WRITER, 0, ROUTE_NO_ELECTOR, 0, 0 },
		/* The elector's own answers are final. */
		{ PROC_WRITER, 0, "Matched L4 intention: web => w (deny)", 1,
		    0 },
		{ PROC_WRITER, 0, "authorization unavailable", 1, 0 },
		{ PROC_WRITER, 1, "Matched L4 intention: web => w (allow)", 1,
		    0 },
		{ PROC_WRITER, 0, NULL, 1, 0 },
		/* A reader is never held. */
		{ PROC_READER, 0, ROUTE_NO_ELECTOR, 1, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(route_authz_hold(rows[i].kind, rows[i].allowed,
		    rows[i].reason, rows[i].hold) == rows[i].want, "row %zu",
		    i);
}
END_TEST

/* Only the agent's own refusal closes an open connection. */
START_TEST(test_authz_final)
{
	static const struct {
		int		 allowed;
		const char	*reason;
		int		 want;
	} rows[] = {
		{ 0, "Matched intention: DENY default/web => default/w", 1 },
		{ 0, "Default behavior configured by ACLs", 1 },
		{ 0, "", 1 },
		{ 0, AUTHZ_UNAVAILABLE, 0 },
		{ 0, ROUTE_NO_ELECTOR, 0 },
		{ 0, NULL, 0 },
		{ 1, "ACLs disabled, access is allowed by default", 0 },
		{ 1, AUTHZ_UNAVAILABLE, 0 },
		{ 1, NULL, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(route_authz_final(rows[i].allowed,
		    rows[i].reason) == rows[i].want, "row %zu", i);
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
	tcase_add_test(tc, test_role_lease);
	tcase_add_test(tc, test_writer_lapsed);
	tcase_add_test(tc, test_hold_table);
	tcase_add_test(tc, test_failed_table);
	tcase_add_test(tc, test_leader_no_uri);
	tcase_add_test(tc, test_authz_hold);
	tcase_add_test(tc, test_authz_final);
	suite_add_tcase(s, tc);
	return s;
}
