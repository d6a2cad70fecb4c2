/*
 * The trust domain of a client's SPIFFE id against the roots', row by
 * row.  A certificate with no URI SAN or with several reaches the check
 * as NULL (tls_peer_uri(), check_tls.c's test_uri_two and
 * test_uri_nosan).
 */
#include <stddef.h>

#include "proxy/spiffe.h"
#include "suites.h"

#define TD	"7a3e1b2c-0d4f-4e5a-9b6c-1d2e3f4a5b6c.consul"
#define SVC	"/ns/default/dc/dc1/svc/web"

START_TEST(test_table)
{
	static const struct {
		const char	*uri;
		const char	*td;
		int		 ok;
	} rows[] = {
		/* ours, as Consul issues it */
		{ "spiffe://" TD SVC, TD, 1 },
		/* host names ignore case, and so does a scheme */
		{ "spiffe://7A3E1B2C-0D4F-4E5A-9B6C-1D2E3F4A5B6C.CONSUL" SVC,
		  TD, 1 },
		{ "SPIFFE://" TD SVC, TD, 1 },
		{ "spiffe://" TD SVC, "7A3E1B2C-0D4F-4E5A-9B6C-1D2E3F4A5B6C.Consul",
		  1 },
		/* any path: namespaces, partitions of later versions */
		{ "spiffe://" TD "/ap/p1/ns/ns1/dc/dc2/svc/web", TD, 1 },
		/* another trust domain */
		{ "spiffe://bogus.consul" SVC, TD, 0 },
		{ "spiffe://other" SVC, TD, 0 },
		/* trailing dots are another name to the CA */
		{ "spiffe://" TD "." SVC, TD, 0 },
		{ "spiffe://" TD SVC, TD ".", 0 },
		{ "spiffe://" TD ".." SVC, TD, 0 },
		/* ".consul" suffix forms: ExternalTrustDomain is not it */
		{ "spiffe://7a3e1b2c-0d4f-4e5a-9b6c-1d2e3f4a5b6c" SVC, TD, 0 },
		{ "spiffe://" TD ".consul" SVC, TD, 0 },
		{ "spiffe://evil." TD SVC, TD, 0 },
		{ "spiffe://" TD ".evil" SVC, TD, 0 },
		{ "spiffe://x" TD SVC, TD, 0 },
		/* a prefix or a suffix of ours */
		{ "spiffe://7a3e1b2c" SVC, TD, 0 },
		{ "spiffe://consul" SVC, TD, 0 },
		/* more than a host in the authority */
		{ "spiffe://" TD ":8443" SVC, TD, 0 },
		{ "spiffe://web@" TD SVC, TD, 0 },
		{ "spiffe://" TD "?x=" SVC, TD, 0 },
		/* no trust domain, no path */
		{ "spiffe:///ns/default/dc/dc1/svc/web", TD, 0 },
		{ "spiffe://" TD, TD, 0 },
		{ "spiffe://" TD "/", TD, 0 },
		{ "spiffe://", TD, 0 },
		/* not spiffe */
		{ "https://" TD SVC, TD, 0 },
		{ "spiffe:" TD SVC, TD, 0 },
		{ "spiffe:/" TD SVC, TD, 0 },
		{ "urn:" TD SVC, TD, 0 },
		{ "", TD, 0 },
		/* no URI SAN, or several */
		{ NULL, TD, 0 },
		/* no roots yet */
		{ "spiffe://" TD SVC, NULL, 0 },
		{ "spiffe://" TD SVC, "", 0 },
		{ "spiffe:///ns/default/dc/dc1/svc/web", "", 0 },
	};
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why = spiffe_refusal(rows[i].uri, rows[i].td);
		ck_assert_msg((why == NULL) == rows[i].ok, "row %zu (%s): %s",
		    i, rows[i].uri != NULL ? rows[i].uri : "NULL",
		    why != NULL ? why : "accepted");
	}
}
END_TEST

Suite *
spiffe_suite(void)
{
	Suite	*s = suite_create("spiffe");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	return s;
}
