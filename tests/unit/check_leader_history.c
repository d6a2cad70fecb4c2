/*
 * The leadership history: the reason a lock changed hands, from the free
 * lock the new leader took, and the bounded array in KV.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json.h>

#include "leader_history.h"
#include "suites.h"

/* What the Go original's lock library leaves on the key (api.LockFlagValue). */
#define GO_LOCK_FLAG_VALUE	0x2ddccbc058a50c18ULL

START_TEST(test_reason)
{
	static const struct {
		enum lock_free		 kind;
		uint64_t		 flags;
		int			 had_leader;
		enum lock_reason	 want;
	} rows[] = {
		/* Never seen free: a resumed session, no change. */
		{ LOCK_FREE_NONE, 0, 0, LOCK_REASON_NONE },
		{ LOCK_FREE_NONE, 0, 1, LOCK_REASON_NONE },
		/* The key was deleted with its holder's session. */
		{ LOCK_FREE_ABSENT, 0, 1, LOCK_REASON_EXPIRED },
		{ LOCK_FREE_ABSENT, 0, 0, LOCK_REASON_FIRST },
		/* Released by one of us: the flags say why. */
		{ LOCK_FREE_PRESENT, 0x7463ULL << 48 | 1ULL << 40 | 77, 1,
		    LOCK_REASON_SWITCHOVER },
		{ LOCK_FREE_PRESENT, 0x7463ULL << 48 | 1ULL << 40, 0,
		    LOCK_REASON_SWITCHOVER },
		{ LOCK_FREE_PRESENT, 0x7463ULL << 48 | 2ULL << 40, 1,
		    LOCK_REASON_SERVER_DOWN },
		{ LOCK_FREE_PRESENT, 0x7463ULL << 48 | 3ULL << 40, 1,
		    LOCK_REASON_STOP },
		/* Released by another client of the key. */
		{ LOCK_FREE_PRESENT, GO_LOCK_FLAG_VALUE, 1,
		    LOCK_REASON_RELEASED },
		{ LOCK_FREE_PRESENT, GO_LOCK_FLAG_VALUE, 0,
		    LOCK_REASON_RELEASED },
		{ LOCK_FREE_PRESENT, 0, 1, LOCK_REASON_RELEASED },
		/* our marker with a reason out of range: not ours */
		{ LOCK_FREE_PRESENT, 0x7463ULL << 48 | 0xffULL << 40, 0,
		    LOCK_REASON_RELEASED },
		/* an empty key written by hand before anybody led */
		{ LOCK_FREE_PRESENT, 0, 0, LOCK_REASON_FIRST },
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(history_reason(rows[i].kind, rows[i].flags,
		    rows[i].had_leader) == rows[i].want, "row %zu: %s, not %s",
		    i, lock_reason_name(history_reason(rows[i].kind,
		    rows[i].flags, rows[i].had_leader)),
		    lock_reason_name(rows[i].want));
	/* The same from the encoder's side. */
	ck_assert_int_eq(history_reason(LOCK_FREE_PRESENT,
	    lock_flags_encode(LOCK_REASON_SWITCHOVER, "n3"), 1),
	    LOCK_REASON_SWITCHOVER);
	ck_assert_int_eq(history_reason(LOCK_FREE_PRESENT,
	    lock_flags_encode(LOCK_REASON_STOP, NULL), 1), LOCK_REASON_STOP);
}
END_TEST

START_TEST(test_time)
{
	static const struct {
		int64_t		 ms;
		const char	*want;
	} rows[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1700000000123LL, "2023-11-14T22:13:20Z" },
		{ 951782400999LL, "2000-02-29T00:00:00Z" },
	};
	char	buf[32];
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(history_time(rows[i].ms, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, rows[i].want);
	}
	ck_assert_int_eq(history_time(0, buf, 10), -1);
}
END_TEST

static struct json_object *
parse(const char *text)
{
	struct json_object	*o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "not JSON: %s", text);
	return o;
}

/* The epochs of a stored array, "45,42,40". */
static void
epochs(const char *text, char *buf, size_t len)
{
	struct json_object	*a = parse(text), *v;
	size_t			 i;

	buf[0] = '\0';
	ck_assert(json_object_is_type(a, json_type_array));
	for (i = 0; i < json_object_array_length(a); i++) {
		ck_assert(json_object_object_get_ex(
		    json_object_array_get_idx(a, i), "epoch", &v));
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%lld",
		    i > 0 ? "," : "", (long long)json_object_get_int64(v));
	}
	json_object_put(a);
}

static char *
add(const char *old, uint64_t epoch, size_t max, int *added, int *reset)
{
	struct history_entry	e = { epoch, 1700000000000LL, "n2", "n1",
				    LOCK_REASON_SWITCHOVER };
	char			*out;

	out = history_add(old, old != NULL ? strlen(old) : 0, &e, max, added,
	    reset);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(test_add)
{
	static const struct {
		const char	*old;
		uint64_t	 epoch;
		size_t		 max;
		const char	*want;		/* epochs after */
		int		 added, reset;
	} rows[] = {
		{ NULL, 42, 100, "42", 1, 0 },
		{ "", 42, 100, "42", 1, 0 },
		{ "[]", 42, 100, "42", 1, 0 },
		{ "[{\"epoch\":40}]", 42, 100, "42,40", 1, 0 },
		/* written already (an answer lost): nothing to do */
		{ "[{\"epoch\":42},{\"epoch\":40}]", 42, 100, "42,40", 0, 0 },
		{ "[{\"epoch\":45},{\"epoch\":40}]", 40, 100, "45,40", 0, 0 },
		/* a late write of an older epoch goes in its place */
		{ "[{\"epoch\":45},{\"epoch\":40}]", 42, 100, "45,42,40",
		    1, 0 },
		/* bounded: the oldest go */
		{ "[{\"epoch\":45},{\"epoch\":40},{\"epoch\":30}]", 50, 3,
		    "50,45,40", 1, 0 },
		{ "[{\"epoch\":45},{\"epoch\":40},{\"epoch\":30}]", 42, 3,
		    "45,42,40", 1, 0 },
		/* older than everything kept, and no room */
		{ "[{\"epoch\":45},{\"epoch\":40}]", 30, 2, "45,40", 0, 0 },
		{ "[{\"epoch\":45},{\"epoch\":40}]", 30, 3, "45,40,30", 1, 0 },
		/* what is not an entry goes */
		{ "[1,{\"epoch\":40},\"x\",null]", 42, 100, "42,40", 1, 0 },
		/* not a history at all: started over */
		{ "{\"epoch\":40}", 42, 100, "42", 1, 1 },
		{ "garbage", 42, 100, "42", 1, 1 },
		{ "[{\"epoch\":40}", 42, 100, "42", 1, 1 },
	};
	char	*out, got[128];
	int	 added, reset;
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = add(rows[i].old, rows[i].epoch, rows[i].max, &added,
		    &reset);
		epochs(out, got, sizeof(got));
		ck_assert_msg(strcmp(got, rows[i].want) == 0,
		    "row %zu: %s, not %s", i, got, rows[i].want);
		ck_assert_msg(added == rows[i].added, "row %zu: added %d", i,
		    added);
		ck_assert_msg(reset == rows[i].reset, "row %zu: reset %d", i,
		    reset);
		free(out);
	}
}
END_TEST

/* An entry as stored: every field, by name. */
START_TEST(test_entry_fields)
{
	struct history_entry	 e = { 7, 1700000000123LL, "n3", NULL,
				    LOCK_REASON_SERVER_DOWN };
	struct json_object	*a, *o, *v;
	char			*out;
	int			 added, reset;

	out = history_add(NULL, 0, &e, HISTORY_MAX, &added, &reset);
	a = parse(out);
	o = json_object_array_get_idx(a, 0);
	ck_assert(json_object_object_get_ex(o, "epoch", &v));
	ck_assert_int_eq(json_object_get_int64(v), 7);
	ck_assert(json_object_object_get_ex(o, "time", &v));
	ck_assert_str_eq(json_object_get_string(v), "2023-11-14T22:13:20Z");
	ck_assert(json_object_object_get_ex(o, "leader", &v));
	ck_assert_str_eq(json_object_get_string(v), "n3");
	ck_assert(json_object_object_get_ex(o, "previous", &v));
	ck_assert_str_eq(json_object_get_string(v), "");
	ck_assert(json_object_object_get_ex(o, "reason", &v));
	ck_assert_str_eq(json_object_get_string(v), "server down");
	json_object_put(a);
	free(out);
}
END_TEST

/* A full history stays full: HISTORY_MAX entries, the newest kept. */
START_TEST(test_bounded)
{
	struct json_object	*a;
	char			*text = NULL, *next, got[1024];
	int			 added, reset;
	int			 i;

	for (i = 1; i <= HISTORY_MAX + 20; i++) {
		next = add(text, (uint64_t)i, HISTORY_MAX, &added, &reset);
		ck_assert(added);
		free(text);
		text = next;
	}
	epochs(text, got, sizeof(got));
	ck_assert_msg(strncmp(got, "120,119,118,", 12) == 0, "%s", got);
	ck_assert_msg(strcmp(got + strlen(got) - 6, ",22,21") == 0, "%s", got);
	a = parse(text);
	ck_assert_uint_eq(json_object_array_length(a), HISTORY_MAX);
	json_object_put(a);
	free(text);
}
END_TEST

START_TEST(test_newest_leader)
{
	static const struct {
		const char	*old;
		const char	*want;
	} rows[] = {
		{ "[{\"epoch\":45,\"leader\":\"n2\"},"
		    "{\"epoch\":40,\"leader\":\"n1\"}]", "n2" },
		/* by epoch, not by place */
		{ "[{\"epoch\":40,\"leader\":\"n1\"},"
		    "{\"epoch\":45,\"leader\":\"n3\"}]", "n3" },
		{ "[{\"epoch\":45,\"leader\":\"\"}]", NULL },
		{ "[{\"epoch\":45,\"leader\":7}]", NULL },
		{ "[]", NULL },
		{ "garbage", NULL },
		{ NULL, NULL },
	};
	char	*got;
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = history_newest_leader(rows[i].old, rows[i].old != NULL ?
		    strlen(rows[i].old) : 0);
		if (rows[i].want == NULL)
			ck_assert_msg(got == NULL, "row %zu: %s", i, got);
		else
			ck_assert_msg(got != NULL && strcmp(got,
			    rows[i].want) == 0, "row %zu: %s", i,
			    got ? got : "NULL");
		free(got);
	}
}
END_TEST

START_TEST(test_answer)
{
	static const struct {
		const char	*value;
		size_t		 n;	/* entries; -1: refused */
	} rows[] = {
		{ NULL, 0 },
		{ "[]", 0 },
		{ "[{\"epoch\":45},{\"epoch\":40}]", 2 },
		{ "[{\"epoch\":45},7,\"x\"]", 1 },
		{ "{\"epoch\":45}", (size_t)-1 },
		{ "[{\"epoch\":45}", (size_t)-1 },
	};
	struct json_object	*o, *v;
	char			*text, err[128];
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		err[0] = '\0';
		text = history_answer(rows[i].value, rows[i].value != NULL ?
		    strlen(rows[i].value) : 0, err, sizeof(err));
		if (rows[i].n == (size_t)-1) {
			ck_assert_msg(text == NULL, "row %zu", i);
			ck_assert_msg(err[0] != '\0', "row %zu: no reason", i);
			continue;
		}
		ck_assert_msg(text != NULL, "row %zu: %s", i, err);
		o = parse(text);
		ck_assert(json_object_object_get_ex(o, "ok", &v) &&
		    json_object_get_boolean(v));
		ck_assert(json_object_object_get_ex(o, "history", &v));
		ck_assert_uint_eq(json_object_array_length(v), rows[i].n);
		json_object_put(o);
		free(text);
	}
}
END_TEST

Suite *
leader_history_suite(void)
{
	Suite	*s = suite_create("leader_history");
	TCase	*tc = tcase_create("history");

	tcase_add_test(tc, test_reason);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_add);
	tcase_add_test(tc, test_entry_fields);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_newest_leader);
	tcase_add_test(tc, test_answer);
	suite_add_tcase(s, tc);
	return s;
}
