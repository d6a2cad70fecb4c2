/*
 * The control command table: every name finds its row, the rows say
 * what the tool, the admin, the supervisor and the elector each do with
 * it, and log's words are matched whole.
 */
#include <check.h>

#include "ctl_cmd.h"
#include "suites.h"

/* The commands, written out again independently of ctl_cmd.c. */
static const struct {
	const char	*name;
	enum ctl_arg	 arg;
	int		 changes;
	int		 data;
	enum ctl_runner	 runner;
} rows[] = {
	{ "status", CTL_ARG_NONE, 0, 0, CTL_BY_ADMIN },
	{ "peers", CTL_ARG_NONE, 0, 0, CTL_BY_ADMIN },
	{ "list", CTL_ARG_NONE, 0, 1, CTL_BY_ELECTOR },
	{ "history", CTL_ARG_NONE, 0, 1, CTL_BY_ELECTOR },
	{ "switchover", CTL_ARG_TO, 1, 0, CTL_BY_ELECTOR },
	{ "pause", CTL_ARG_NONE, 1, 0, CTL_BY_ELECTOR },
	{ "resume", CTL_ARG_NONE, 1, 0, CTL_BY_ELECTOR },
	{ "reload", CTL_ARG_NONE, 1, 0, CTL_BY_SUPERVISOR },
	{ "log", CTL_ARG_WORD, 1, 0, CTL_BY_SUPERVISOR },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

START_TEST(test_table)
{
	const struct ctl_cmd	*c;
	size_t			 i;

	for (i = 0; i < NROWS; i++) {
		ck_assert_ptr_nonnull(c = ctl_cmd_lookup(rows[i].name));
		ck_assert_str_eq(c->name, rows[i].name);
		ck_assert_int_eq(c->arg, rows[i].arg);
		ck_assert_int_eq(c->changes, rows[i].changes);
		ck_assert_int_eq(c->data, rows[i].data);
		ck_assert_int_eq(c->runner, rows[i].runner);
		ck_assert_ptr_eq(ctl_cmd_at((size_t)c->id), c);
	}
	for (i = 0; ctl_cmd_at(i) != NULL; i++)
		;
	ck_assert_uint_eq(i, NROWS);
	ck_assert_uint_eq(CTL_CMD_MAX, NROWS);
}
END_TEST

START_TEST(test_unknown)
{
	static const char *const bad[] = { "", "bogus", "Status", "log ",
	    "switchover --to", "reloads", "stat" };
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_ptr_null(ctl_cmd_lookup(bad[i]));
	ck_assert_ptr_null(ctl_cmd_lookup(NULL));
}
END_TEST

START_TEST(test_words)
{
	const struct ctl_cmd	*log = ctl_cmd_lookup("log");

	ck_assert(ctl_cmd_word_ok(log, "verbose"));
	ck_assert(ctl_cmd_word_ok(log, "brief"));
	ck_assert(!ctl_cmd_word_ok(log, "verb"));
	ck_assert(!ctl_cmd_word_ok(log, "verbose|brief"));
	ck_assert(!ctl_cmd_word_ok(log, "brie"));
	ck_assert(!ctl_cmd_word_ok(log, "loud"));
	ck_assert(!ctl_cmd_word_ok(log, ""));
	ck_assert(!ctl_cmd_word_ok(ctl_cmd_lookup("pause"), "verbose"));
}
END_TEST

Suite *
ctl_cmd_suite(void)
{
	Suite	*s = suite_create("ctl_cmd");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_words);
	suite_add_tcase(s, tc);
	return s;
}
