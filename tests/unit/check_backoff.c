/* Restart backoff: doubling, cap, reset after a stable run. */
#include "suites.h"
#include "supervisor/backoff.h"

START_TEST(test_backoff_doubles_to_cap)
{
	struct backoff	b;

	backoff_init(&b, 100, 1000, 30000);
	ck_assert_uint_eq(backoff_next(&b, 0), 100);
	ck_assert_uint_eq(backoff_next(&b, 0), 200);
	ck_assert_uint_eq(backoff_next(&b, 50), 400);
	ck_assert_uint_eq(backoff_next(&b, 0), 800);
	ck_assert_uint_eq(backoff_next(&b, 0), 1000);
	ck_assert_uint_eq(backoff_next(&b, 0), 1000);
}
END_TEST

START_TEST(test_backoff_resets_after_stable_run)
{
	struct backoff	b;

	backoff_init(&b, 100, 10000, 30000);
	backoff_next(&b, 0);
	backoff_next(&b, 0);
	ck_assert_uint_eq(backoff_next(&b, 0), 400);
	/* Ready for less than the stable period: keeps growing. */
	ck_assert_uint_eq(backoff_next(&b, 29999), 800);
	/* Ready long enough: starts over. */
	ck_assert_uint_eq(backoff_next(&b, 30000), 100);
	ck_assert_uint_eq(backoff_next(&b, 0), 200);
}
END_TEST

START_TEST(test_backoff_many_failures_no_overflow)
{
	struct backoff	b;
	int		i;

	backoff_init(&b, BACKOFF_MIN_MS, BACKOFF_MAX_MS, BACKOFF_STABLE_MS);
	for (i = 0; i < 100000; i++)
		ck_assert_uint_le(backoff_next(&b, 0), BACKOFF_MAX_MS);
	ck_assert_uint_eq(backoff_next(&b, 0), BACKOFF_MAX_MS);
}
END_TEST

Suite *
backoff_suite(void)
{
	Suite	*s = suite_create("backoff");
	TCase	*tc = tcase_create("policy");

	tcase_add_test(tc, test_backoff_doubles_to_cap);
	tcase_add_test(tc, test_backoff_resets_after_stable_run);
	tcase_add_test(tc, test_backoff_many_failures_no_overflow);
	suite_add_tcase(s, tc);
	return s;
}
