/*
 * Freshness rules: which follower a handover waits for, whether it has
 * everything, what it lacks, and how many followers are caught up.
 */
#include <stdint.h>
#include <string.h>

#include "fresh.h"
#include "suites.h"

#define NOW	1000000

/* The leader n1 stopped at offset 500 of history "A", promoted from "P"
 * (valid up to 400). */
static struct fresh_view
view(const char *target)
{
	struct fresh_view	v;

	memset(&v, 0, sizeof(v));
	v.self = "n1";
	v.target = target;
	v.offset = 500;
	v.lineage = "A";
	v.lineage2 = "P";
	v.lineage2_end = 400;
	v.epoch = 7;
	v.now_ms = NOW;
	return v;
}

static struct freshness
rec(const char *id, int up, int leader, int caught_up, uint64_t offset,
    const char *lineage, uint64_t epoch, int64_t age_ms)
{
	struct freshness	f;

	memset(&f, 0, sizeof(f));
	f.id = (char *)id;
	f.up = up;
	f.leader = leader;
	f.caught_up = caught_up;
	f.offset = offset;
	f.lineage = (char *)lineage;
	f.epoch = epoch;
	f.time_ms = NOW - age_ms;
	return f;
}

START_TEST(test_one_record)
{
	static const struct {
		const char	*id;
		int		 up, leader;
		uint64_t	 offset;
		const char	*lineage;
		int64_t		 age;
		const char	*target;
		int		 eligible, has_all;
		uint64_t	 lacks;
	} t[] = {
		{ "n2", 1, 0, 500, "A", 0, NULL, 1, 1, 0 },
		{ "n2", 1, 0, 600, "A", 0, NULL, 1, 1, 0 },
		{ "n2", 1, 0, 499, "A", 0, NULL, 1, 0, 1 },
		/* another history: all of it is missing */
		{ "n2", 1, 0, 900, "B", 0, NULL, 1, 0, 500 },
		{ "n2", 1, 0, 900, NULL, 0, NULL, 1, 0, 500 },
		/* stale, down, ourselves, a leader: not waited for */
		{ "n2", 1, 0, 500, "A", FRESHNESS_STALE_MS, NULL, 0, 1, 0 },
		{ "n2", 1, 0, 500, "A", FRESHNESS_STALE_MS - 1, NULL, 1, 1, 0 },
		{ "n2", 0, 0, 500, "A", 0, NULL, 0, 1, 0 },
		{ "n1", 1, 0, 500, "A", 0, NULL, 0, 1, 0 },
		{ "n2", 1, 1, 500, "A", 0, NULL, 0, 1, 0 },
		/* a switchover waits for the chosen node only */
		{ "n2", 1, 0, 500, "A", 0, "n3", 0, 1, 0 },
		{ "n3", 1, 0, 500, "A", 0, "n3", 1, 1, 0 },
	};
	struct fresh_view	v;
	struct freshness	f;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = view(t[i].target);
		f = rec(t[i].id, t[i].up, t[i].leader, 1, t[i].offset,
		    t[i].lineage, 7, t[i].age);
		ck_assert_msg(fresh_eligible(&v, &f) == t[i].eligible,
		    "row %zu: eligible", i);
		ck_assert_msg(fresh_has_all(&v, &f) == t[i].has_all,
		    "row %zu: has all", i);
		ck_assert_msg(fresh_lacks(&v, &f) == t[i].lacks,
		    "row %zu: lacks %llu", i,
		    (unsigned long long)fresh_lacks(&v, &f));
		/* Not caught up by its server's account: never has all. */
		f.caught_up = 0;
		ck_assert_msg(!fresh_has_all(&v, &f), "row %zu: resyncing", i);
		/* Empty while we have data: neither (Tile38 resyncing). */
		f.caught_up = 1;
		f.keys = 0;
		v.keys = 10;
		ck_assert_msg(!fresh_has_all(&v, &f), "row %zu: empty", i);
		/* Tile38: as many objects as we hold, or not all. */
		f.keys = 9;
		ck_assert_msg(fresh_has_all(&v, &f) == t[i].has_all,
		    "row %zu: fewer, offsets only", i);
		v.same_keys = 1;
		ck_assert_msg(!fresh_has_all(&v, &f), "row %zu: fewer", i);
		f.keys = 10;
		ck_assert_msg(fresh_has_all(&v, &f) == t[i].has_all,
		    "row %zu: as many", i);
	}
}
END_TEST

/*
 * Promoted a moment ago: a follower still on the history we came from
 * has everything if we took no write since; once we did, it does not.
 */
START_TEST(test_promotion)
{
	struct fresh_view	v = view(NULL);
	struct freshness	f = rec("n2", 1, 0, 1, 399, "P", 7, 0);

	v.offset = 399;
	ck_assert(fresh_has_all(&v, &f));
	v.offset = 400;
	f.offset = 400;
	ck_assert(!fresh_has_all(&v, &f));
	v.lineage2 = "";
	v.offset = 399;
	f.offset = 399;
	ck_assert(!fresh_has_all(&v, &f));
}
END_TEST

START_TEST(test_lists)
{
	struct fresh_view	v = view(NULL);
	struct freshness	p[5];

	p[0] = rec("n1", 1, 1, 0, 500, "A", 7, 0);	/* ourselves */
	p[1] = rec("n2", 1, 0, 1, 450, "A", 7, 0);
	p[2] = rec("n3", 1, 0, 1, 480, "A", 7, 0);
	p[3] = rec("n4", 1, 0, 0, 900, "B", 6, 0);	/* other history */
	p[4] = rec("n5", 0, 0, 1, 990, "A", 7, 0);	/* down */

	/* the furthest along, whatever its history */
	ck_assert_str_eq(fresh_best(&v, p, 5)->id, "n4");
	ck_assert_ptr_null(fresh_caught_up(&v, p, 5));
	p[2].offset = 500;
	ck_assert_str_eq(fresh_caught_up(&v, p, 5)->id, "n3");
	v.target = "n2";
	ck_assert_ptr_null(fresh_caught_up(&v, p, 5));
	ck_assert_str_eq(fresh_best(&v, p, 5)->id, "n2");
	ck_assert_ptr_null(fresh_best(&v, p, 1));

	/* min_followers: caught up by their own account, this leadership */
	v.target = NULL;
	ck_assert_int_eq(fresh_followers(&v, p, 5), 2);
	p[1].epoch = 6;
	ck_assert_int_eq(fresh_followers(&v, p, 5), 1);
	p[2].caught_up = 0;
	ck_assert_int_eq(fresh_followers(&v, p, 5), 0);
	ck_assert_int_eq(fresh_followers(&v, p, 0), 0);
}
END_TEST

/* A candidate n1 at offset 500 of "A", with keys or empty. */
START_TEST(test_contend)
{
	static const struct {
		uint64_t	 keys;		/* ours */
		uint64_t	 p_keys, p_offset;
		const char	*p_lineage;
		int		 p_up;
		int64_t		 p_age;
		uint64_t	 last_offset;	/* 0: no last leader */
		const char	*last_lineage;
		enum fresh_contend want;
		const char	*who;
	} t[] = {
		{ 10, 10, 400, "A", 1, 0, 0, NULL, FRESH_GO, NULL },
		{ 10, 10, 500, "A", 1, 0, 0, NULL, FRESH_GO, NULL },
		{ 10, 10, 501, "A", 1, 0, 0, NULL, FRESH_FRESHER, "n2" },
		/* another history is no measure */
		{ 10, 10, 900, "B", 1, 0, 0, NULL, FRESH_GO, NULL },
		/* a dead or stale peer is no measure either */
		{ 10, 10, 900, "A", 0, 0, 0, NULL, FRESH_GO, NULL },
		{ 10, 10, 900, "A", 1, FRESHNESS_STALE_MS, 0, NULL, FRESH_GO,
		    NULL },
		/* empty, and a live node has data: never */
		{ 0, 10, 100, "B", 1, 0, 0, NULL, FRESH_EMPTY, "n2" },
		{ 0, 0, 100, "B", 1, 0, 0, NULL, FRESH_GO, NULL },
		{ 0, 10, 100, "B", 0, 0, 0, NULL, FRESH_GO, NULL },
		/* behind what the last leader published, on our history */
		{ 10, 10, 400, "A", 1, 0, 600, "A", FRESH_BEHIND, "n9" },
		{ 10, 10, 400, "A", 1, 0, 500, "A", FRESH_GO, NULL },
		{ 10, 10, 400, "A", 1, 0, 600, "B", FRESH_GO, NULL },
		/* a fresher live peer first */
		{ 10, 10, 550, "A", 1, 0, 600, "A", FRESH_FRESHER, "n2" },
	};
	struct fresh_view	 v;
	struct freshness	 p, last;
	const char		*who;
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = view(NULL);
		p = rec("n2", t[i].p_up, 0, 1, t[i].p_offset, t[i].p_lineage,
		    7, t[i].p_age);
		p.keys = t[i].p_keys;
		last = rec("n9", 1, 1, 0, t[i].last_offset, t[i].last_lineage,
		    6, 0);
		ck_assert_msg(fresh_contend(&v, t[i].keys, &p, 1,
		    t[i].last_offset != 0 ? &last : NULL, &who) == t[i].want,
		    "row %zu", i);
		if (t[i].who == NULL)
			ck_assert_msg(who == NULL, "row %zu: %s", i, who);
		else
			ck_assert_msg(who != NULL && strcmp(who, t[i].who) == 0,
			    "row %zu", i);
	}
}
END_TEST

Suite *
fresh_suite(void)
{
	Suite	*s = suite_create("fresh");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_one_record);
	tcase_add_test(tc, test_promotion);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_contend);
	suite_add_tcase(s, tc);
	return s;
}
