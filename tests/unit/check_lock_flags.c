/*
 * The flags of a released lock: only values with our marker mean
 * anything, whatever another client of the key leaves there.
 */
#include <stdint.h>
#include <string.h>

#include "lock_flags.h"
#include "suites.h"

/* What the Go original's lock library leaves on the key (api.LockFlagValue). */
#define GO_LOCK_FLAG_VALUE	0x2ddccbc058a50c18ULL

static const struct {
	uint64_t		 flags;
	const char		*self;
	enum lock_target	 target;
	enum lock_reason	 reason;
} foreign[] = {
	{ 0, "n1", LOCK_TARGET_ANY, LOCK_REASON_NONE },
	{ GO_LOCK_FLAG_VALUE, "n1", LOCK_TARGET_ANY, LOCK_REASON_NONE },
	{ GO_LOCK_FLAG_VALUE, "n2", LOCK_TARGET_ANY, LOCK_REASON_NONE },
	{ 1, "n1", LOCK_TARGET_ANY, LOCK_REASON_NONE },
	{ UINT64_MAX, "n1", LOCK_TARGET_ANY, LOCK_REASON_NONE },
	/* our marker shifted by one bit is not ours */
	{ LOCK_FLAGS_MARKER << 47 | 1ULL << 40 | 5, "n1", LOCK_TARGET_ANY,
	    LOCK_REASON_NONE },
	/* our marker with a reason out of range */
	{ LOCK_FLAGS_MARKER << 48 | 0xffULL << 40 | 5, "n1", LOCK_TARGET_ANY,
	    LOCK_REASON_NONE },
};

START_TEST(test_foreign_values)
{
	size_t	i;

	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		ck_assert_msg(lock_flags_target(foreign[i].flags,
		    foreign[i].self) == foreign[i].target, "row %zu", i);
		ck_assert_msg(lock_flags_reason(foreign[i].flags) ==
		    foreign[i].reason, "row %zu", i);
	}
}
END_TEST

/* Every reason with and without a target, seen by the target and others. */
START_TEST(test_round_trip)
{
	static const char	*ids[] = { "n1", "n2", "node-3", "x" };
	enum lock_reason	 r;
	enum lock_target	 want;
	uint64_t		 f;
	size_t			 i, j;

	for (r = LOCK_REASON_NONE + 1; r < LOCK_REASON_MAX; r++) {
		f = lock_flags_encode(r, NULL);
		ck_assert_int_eq(lock_flags_reason(f), r);
		ck_assert_uint_eq(f >> 48, LOCK_FLAGS_MARKER);
		for (j = 0; j < 4; j++)
			ck_assert_int_eq(lock_flags_target(f, ids[j]),
			    LOCK_TARGET_ANY);
		for (i = 0; i < 4; i++) {
			f = lock_flags_encode(r, ids[i]);
			ck_assert_int_eq(lock_flags_reason(f), r);
			for (j = 0; j < 4; j++) {
				/* Only a switchover chooses a node. */
				want = r != LOCK_REASON_SWITCHOVER ?
				    LOCK_TARGET_ANY : i == j ?
				    LOCK_TARGET_SELF : LOCK_TARGET_OTHER;
				ck_assert_msg(lock_flags_target(f, ids[j]) ==
				    want, "reason %d to %s seen by %s", r,
				    ids[i], ids[j]);
			}
		}
	}
}
END_TEST

START_TEST(test_bad_reason_encodes_none)
{
	uint64_t	f = lock_flags_encode(LOCK_REASON_MAX, "n1");

	ck_assert_int_eq(lock_flags_reason(f), LOCK_REASON_NONE);
	ck_assert_int_eq(lock_flags_target(f, "n1"), LOCK_TARGET_ANY);
}
END_TEST

START_TEST(test_names)
{
	int	r;

	for (r = 0; r < LOCK_REASON_MAX; r++)
		ck_assert_int_eq(lock_reason_lookup(lock_reason_name(r)), r);
	ck_assert_str_eq(lock_reason_name(LOCK_REASON_MAX), "unknown");
	ck_assert_str_eq(lock_reason_name(LOCK_REASON_SERVER_DOWN),
	    "server down");
	ck_assert_int_eq(lock_reason_lookup("nonsense"), -1);
}
END_TEST

Suite *
lock_flags_suite(void)
{
	Suite	*s = suite_create("lock_flags");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_foreign_values);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_bad_reason_encodes_none);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
