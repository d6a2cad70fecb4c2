/*
 * tile38-clusterctl list: every member that the catalog, a freshness
 * record or this node names, with what is known of it, checked field by
 * field against tables.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json.h>

#include "cluster_view.h"
#include "suites.h"

#define NOW	1700000000000LL
#define NUL	-1		/* the field is null */

static struct consul_instance writers_v[] = {
	{ "n1", "tile38-writer-n1", "tile38-writer", "127.0.0.1", 7101, 1 },
	{ "n2", "tile38-writer-n2", "tile38-writer", "127.0.0.1", 7201, 1 },
	{ "n3", "tile38-writer-n3", "tile38-writer", "10.0.0.3", 7301, 1 },
	{ "n5", "tile38-writer-n5", "tile38-writer", "::1", 7501, 1 },
	{ "n6", "tile38-writer-n6", "tile38-writer", "127.0.0.1", 7601, 0 },
};
static struct consul_instance readers_v[] = {
	{ "n1", "tile38-reader-n1", "tile38-reader", "127.0.0.1", 7102, 1 },
	{ "n2", "tile38-reader-n2", "tile38-reader", "127.0.0.1", 7202, 1 },
	{ "n7", "tile38-reader-n7", "tile38-reader", "127.0.0.1", 7702, 1 },
};
static const struct consul_instances writers = { writers_v, 5 };
static const struct consul_instances readers = { readers_v, 3 };

/* id up leader caught_up offset keys lineage epoch time paused */
static struct freshness records[] = {
	/* our own, older than what we know now: ignored */
	{ "n1", 0, 0, 0, 1, 1, "L", 3, NOW - 900, 1 },
	{ "n2", 1, 0, 1, 900, 10, "L", 42, NOW - 300, 0 },
	/* stale: the last known, but nothing of now */
	{ "n3", 1, 0, 1, 800, 10, "L", 40, NOW - 12000, 0 },
	/* a record only: not in the catalog */
	{ "n4", 0, 0, 0, 0, 0, "", 42, NOW - 100, 1 },
	/* another lineage: no lag */
	{ "n7", 1, 0, 0, 5000, 10, "M", 41, NOW - 100, 0 },
	/* ahead of what the leader said: no negative lag */
	{ "n6", 1, 0, 1, 1100, 10, "L", 42, NOW - 100, 0 },
};

static struct freshness self_leader = {
	"n1", 1, 1, 0, 1000, 10, "L", 42, NOW, 0
};

static const struct {
	const char	*id;
	const char	*role;
	const char	*record;
	const char	*address;	/* NULL: null */
	int		 in_catalog;
	int		 passing;
	int		 self;
	int		 up;		/* NUL, 0, 1 */
	int		 caught_up;
	long long	 lag;
	long long	 epoch;
	int		 paused;
} leader_rows[] = {
	{ "n1", "leader", "live", "127.0.0.1:7101", 1, 1, 1,
	    1, NUL, NUL, 42, 0 },
	{ "n2", "follower", "live", "127.0.0.1:7201", 1, 1, 0,
	    1, 1, 100, 42, 0 },
	{ "n3", "unknown", "stale", "10.0.0.3:7301", 1, 1, 0,
	    NUL, NUL, NUL, 40, 0 },
	{ "n4", "follower", "live", NULL, 0, 0, 0,
	    0, 0, NUL, 42, 1 },
	{ "n5", "unknown", "none", "[::1]:7501", 1, 1, 0,
	    NUL, NUL, NUL, NUL, NUL },
	{ "n6", "follower", "live", "127.0.0.1:7601", 1, 0, 0,
	    1, 1, 0, 42, 0 },
	{ "n7", "follower", "live", NULL, 1, 1, 0,
	    1, 0, NUL, 41, 0 },
};

static struct json_object *
view(const struct cluster_view *v)
{
	struct json_object	*o;
	char			*text;

	text = cluster_view_json(v);
	ck_assert_ptr_nonnull(text);
	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "not JSON: %s", text);
	free(text);
	return o;
}

static struct json_object *
field(struct json_object *o, const char *k)
{
	struct json_object	*v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return v;
}

static void
check_tri(struct json_object *m, const char *k, long long want, size_t row)
{
	struct json_object	*v = field(m, k);

	if (want == NUL)
		ck_assert_msg(v == NULL, "row %zu: %s is not null", row, k);
	else {
		ck_assert_msg(v != NULL, "row %zu: %s is null", row, k);
		ck_assert_msg(json_object_get_int64(v) == want,
		    "row %zu: %s is %lld, not %lld", row, k,
		    (long long)json_object_get_int64(v), want);
	}
}

static void
check_str(struct json_object *m, const char *k, const char *want, size_t row)
{
	struct json_object	*v = field(m, k);

	if (want == NULL)
		ck_assert_msg(v == NULL, "row %zu: %s is not null", row, k);
	else
		ck_assert_msg(v != NULL && strcmp(json_object_get_string(v),
		    want) == 0, "row %zu: %s is %s, not %s", row, k,
		    v != NULL ? json_object_get_string(v) : "null", want);
}

static struct cluster_view
base_view(void)
{
	struct cluster_view	v;

	memset(&v, 0, sizeof(v));
	v.self_id = "n1";
	v.leader_id = "n1";
	v.epoch = 42;
	v.writers = &writers;
	v.readers = &readers;
	v.records = records;
	v.nrecords = sizeof(records) / sizeof(records[0]);
	v.self = &self_leader;
	v.now_ms = NOW;
	return v;
}

START_TEST(test_members_of_a_leader)
{
	struct cluster_view	 v = base_view();
	struct json_object	*o, *a, *m;
	size_t			 i;

	o = view(&v);
	check_str(o, "self", "n1", 0);
	check_str(o, "leader", "n1", 0);
	check_tri(o, "epoch", 42, 0);
	ck_assert(json_object_get_boolean(field(o, "ok")));
	a = field(o, "members");
	/* Every id once, sorted. */
	ck_assert_uint_eq(json_object_array_length(a),
	    sizeof(leader_rows) / sizeof(leader_rows[0]));
	for (i = 0; i < json_object_array_length(a); i++) {
		m = json_object_array_get_idx(a, i);
		check_str(m, "id", leader_rows[i].id, i);
		check_str(m, "role", leader_rows[i].role, i);
		check_str(m, "record", leader_rows[i].record, i);
		check_str(m, "address", leader_rows[i].address, i);
		check_tri(m, "in_catalog", leader_rows[i].in_catalog, i);
		check_tri(m, "passing", leader_rows[i].passing, i);
		check_tri(m, "self", leader_rows[i].self, i);
		check_tri(m, "up", leader_rows[i].up, i);
		check_tri(m, "caught_up", leader_rows[i].caught_up, i);
		check_tri(m, "lag", leader_rows[i].lag, i);
		check_tri(m, "epoch", leader_rows[i].epoch, i);
		check_tri(m, "paused", leader_rows[i].paused, i);
	}
	/* n1's own stale record did not replace what it knows now. */
	m = json_object_array_get_idx(a, 0);
	check_tri(m, "offset", 1000, 0);
	check_tri(m, "age_ms", 0, 0);
	check_str(m, "reader", "127.0.0.1:7102", 0);
	/* n3's age says how stale. */
	check_tri(json_object_array_get_idx(a, 2), "age_ms", 12000, 2);
	check_tri(json_object_array_get_idx(a, 4), "age_ms", NUL, 4);
	json_object_put(o);
}
END_TEST

/* Seen from a follower: the leader's offset comes from its record. */
START_TEST(test_seen_from_a_follower)
{
	static struct freshness	recs[] = {
		{ "n1", 1, 1, 0, 1000, 10, "L", 42, NOW - 200, 0 },
		{ "n3", 1, 0, 1, 1000, 10, "L", 42, NOW - 200, 0 },
	};
	static struct freshness	self = {
		"n2", 1, 0, 0, 700, 10, "L", 42, NOW, 0
	};
	struct cluster_view	 v = base_view();
	struct json_object	*o, *a, *m;

	v.self_id = "n2";
	v.self = &self;
	v.records = recs;
	v.nrecords = 2;
	v.readers = NULL;
	o = view(&v);
	a = field(o, "members");
	/* n1, n2, n3 and the catalog's n5 and n6 */
	ck_assert_uint_eq(json_object_array_length(a), 5);
	m = json_object_array_get_idx(a, 0);
	check_str(m, "role", "leader", 0);
	check_tri(m, "self", 0, 0);
	check_tri(m, "lag", NUL, 0);
	m = json_object_array_get_idx(a, 1);
	check_str(m, "id", "n2", 1);
	check_tri(m, "self", 1, 1);
	check_str(m, "role", "follower", 1);
	check_tri(m, "caught_up", 0, 1);
	check_tri(m, "lag", 300, 1);
	check_str(m, "reader", NULL, 1);
	m = json_object_array_get_idx(a, 2);
	check_tri(m, "lag", 0, 2);
	check_tri(m, "caught_up", 1, 2);
	json_object_put(o);
}
END_TEST

/* The leader's record is stale: nobody's lag is known. */
START_TEST(test_stale_leader_no_lag)
{
	static struct freshness	recs[] = {
		{ "n1", 1, 1, 0, 1000, 10, "L", 42, NOW - 6000, 0 },
	};
	static struct freshness	self = {
		"n2", 1, 0, 1, 700, 10, "L", 42, NOW, 0
	};
	struct cluster_view	 v = base_view();
	struct json_object	*o, *m;

	v.self_id = "n2";
	v.self = &self;
	v.records = recs;
	v.nrecords = 1;
	v.writers = v.readers = NULL;
	o = view(&v);
	ck_assert_uint_eq(json_object_array_length(field(o, "members")), 2);
	m = json_object_array_get_idx(field(o, "members"), 0);
	/* The lock says who leads, whatever its record's age. */
	check_str(m, "role", "leader", 0);
	check_str(m, "record", "stale", 0);
	check_tri(m, "up", NUL, 0);
	check_tri(m, "in_catalog", 0, 0);
	check_tri(m, "passing", 0, 0);
	m = json_object_array_get_idx(field(o, "members"), 1);
	check_tri(m, "lag", NUL, 1);
	check_tri(m, "caught_up", 1, 1);
	json_object_put(o);
}
END_TEST

/* No leader: nobody follows, and the answer says "". */
START_TEST(test_no_leader)
{
	struct cluster_view	 v = base_view();
	struct json_object	*o, *a, *m;
	const char		*leaders[] = { NULL, "" };
	size_t			 i, k;

	for (k = 0; k < 2; k++) {
		v.leader_id = leaders[k];
		o = view(&v);
		check_str(o, "leader", "", k);
		a = field(o, "members");
		for (i = 0; i < json_object_array_length(a); i++) {
			m = json_object_array_get_idx(a, i);
			check_str(m, "role", "unknown", i);
			check_tri(m, "lag", NUL, i);
		}
		json_object_put(o);
	}
}
END_TEST

/* Of two records naming one id, the newer counts. */
START_TEST(test_newest_record_wins)
{
	static struct freshness	recs[] = {
		{ "n2", 1, 0, 1, 100, 10, "L", 40, NOW - 400, 0 },
		{ "n2", 1, 0, 1, 990, 10, "L", 42, NOW - 100, 1 },
		{ "n2", 1, 0, 1, 500, 10, "L", 41, NOW - 300, 0 },
		{ "", 1, 0, 1, 500, 10, "L", 41, NOW - 300, 0 },
	};
	struct cluster_view	 v = base_view();
	struct json_object	*o, *m;

	v.records = recs;
	v.nrecords = 4;
	v.writers = v.readers = NULL;
	o = view(&v);
	ck_assert_uint_eq(json_object_array_length(field(o, "members")), 2);
	m = json_object_array_get_idx(field(o, "members"), 1);
	check_tri(m, "epoch", 42, 1);
	check_tri(m, "lag", 10, 1);
	check_tri(m, "paused", 1, 1);
	json_object_put(o);
}
END_TEST

/* A node alone, before the catalog or any record has come. */
START_TEST(test_alone)
{
	static struct freshness	self = {
		"solo", 0, 0, 0, 0, 0, NULL, 0, NOW, 0
	};
	struct cluster_view	 v;
	struct json_object	*o, *m;

	memset(&v, 0, sizeof(v));
	v.self_id = "solo";
	v.self = &self;
	v.now_ms = NOW;
	o = view(&v);
	ck_assert_uint_eq(json_object_array_length(field(o, "members")), 1);
	m = json_object_array_get_idx(field(o, "members"), 0);
	check_str(m, "role", "unknown", 0);
	check_tri(m, "up", 0, 0);
	check_str(m, "lineage", NULL, 0);
	check_str(m, "address", NULL, 0);
	json_object_put(o);
}
END_TEST

Suite *
cluster_view_suite(void)
{
	Suite	*s = suite_create("cluster_view");
	TCase	*tc = tcase_create("members");

	tcase_add_test(tc, test_members_of_a_leader);
	tcase_add_test(tc, test_seen_from_a_follower);
	tcase_add_test(tc, test_stale_leader_no_lag);
	tcase_add_test(tc, test_no_leader);
	tcase_add_test(tc, test_newest_record_wins);
	tcase_add_test(tc, test_alone);
	suite_add_tcase(s, tc);
	return s;
}
