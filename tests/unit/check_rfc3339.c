/*
 * RFC 3339 timestamps into Unix seconds: dates across leap years,
 * centuries and the epoch, fractions and offsets, and what is refused.
 * The wanted values are GNU date's (date -u -d TEXT +%s).
 */
#include <stdint.h>

#include "rfc3339.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*text;
	int64_t		 want;
} good[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1970-01-01T00:00:01Z", 1 },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "2026-11-26T18:32:28Z", 1795717948 },
	{ "2026-01-01T00:00:00Z", 1767225600 },
	{ "2023-12-31T23:59:59Z", 1704067199 },
	/* leap years: every 4th, not every 100th, every 400th */
	{ "2024-02-29T23:59:59Z", 1709251199 },
	{ "2024-03-01T00:00:00Z", 1709251200 },
	{ "2000-02-29T00:00:00Z", 951782400 },
	{ "2100-02-28T23:59:59Z", 4107542399LL },
	{ "2100-03-01T00:00:00Z", 4107542400LL },
	{ "1900-03-01T00:00:00Z", -2203891200LL },
	{ "1600-02-29T12:00:00Z", -11670955200LL },
	/* past 32 bits, and the ends of four digits */
	{ "2038-01-19T03:14:08Z", 2147483648LL },
	{ "9999-12-31T23:59:59Z", 253402300799LL },
	{ "0000-01-01T00:00:00Z", -62167219200LL },
	/* fractions are dropped, offsets applied */
	{ "2026-11-26T18:32:28.999999999Z", 1795717948 },
	{ "2026-11-26T18:32:28.5+00:00", 1795717948 },
	{ "2026-11-26T20:02:28+01:30", 1795717948 },
	{ "2026-11-26T13:32:28-05:00", 1795717948 },
	{ "2026-11-27T18:31:28+23:59", 1795717948 },
	{ "1970-01-01T00:00:00-00:01", 60 },
};

static const char *const bad[] = {
	"",
	"2026-11-26",
	"2026-11-26T18:32:28",		/* no zone */
	"2026-11-26 18:32:28Z",		/* space for T */
	"2026-11-26t18:32:28Z",
	"2026-11-26T18:32:28z",
	"2026/11/26T18:32:28Z",
	"26-11-26T18:32:28Z",
	"2026-1-26T18:32:28Z",
	"2026-11-26T18:32:28ZZ",
	"2026-11-26T18:32:28Z ",
	"+026-11-26T18:32:28Z",
	"2026-00-26T18:32:28Z",
	"2026-13-01T00:00:00Z",
	"2026-11-00T18:32:28Z",
	"2026-11-31T18:32:28Z",
	"2026-02-29T00:00:00Z",		/* not a leap year */
	"1900-02-29T00:00:00Z",		/* a century */
	"2026-04-31T00:00:00Z",
	"2026-12-32T00:00:00Z",
	"2026-11-26T24:00:00Z",
	"2026-11-26T18:60:00Z",
	"2026-11-26T18:32:60Z",		/* no leap seconds */
	"2026-11-26T18:32:28.Z",
	"2026-11-26T18:32:28,5Z",
	"2026-11-26T18:32:28+24:00",
	"2026-11-26T18:32:28+01:60",
	"2026-11-26T18:32:28+0130",
	"2026-11-26T18:32:28+01:3",
	"2026-11-26T18:32:28+01:300",
	"2026-11-26T18:32:28+1:30",
};

START_TEST(test_good)
{
	int64_t	t = 12345;

	ck_assert_msg(rfc3339_parse(good[_i].text, &t) == 0, "%s refused",
	    good[_i].text);
	ck_assert_msg(t == good[_i].want, "%s: %lld, not %lld", good[_i].text,
	    (long long)t, (long long)good[_i].want);
}
END_TEST

START_TEST(test_bad)
{
	int64_t	t = 12345;

	ck_assert_msg(rfc3339_parse(bad[_i], &t) == -1, "\"%s\" accepted",
	    bad[_i]);
	ck_assert_msg(t == 12345, "\"%s\": output changed", bad[_i]);
}
END_TEST

Suite *
rfc3339_suite(void)
{
	Suite	*s = suite_create("rfc3339");
	TCase	*tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_good, 0, NELEM(good));
	tcase_add_loop_test(tc, test_bad, 0, NELEM(bad));
	suite_add_tcase(s, tc);
	return s;
}
