/* Admission of a new connection (proxy_admit.h), case by case. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy_admit.h"
#include "proto.h"
#include "suites.h"

/*
 * Every cap at its edge and one past it, for each listener kind.  The
 * figures are the defaults but for the first one: max_connections 10000,
 * max_handshakes 1000, max_handshakes_per_source 100.
 */
START_TEST(test_decide_table)
{
	static const struct {
		struct admit_view	v;
		enum admit		want;
	} rows[] = {
#define W	PROC_WRITER
#define R	PROC_READER
#define B	PROC_BRIDGE
		/* kind open max tls lo hs maxhs src maxsrc peer */
		{ { W, 0, 10000, 1, 0, 0, 1000, 0, 100, 0 }, ADMIT_OK },
		{ { R, 0, 10000, 1, 0, 0, 1000, 0, 100, 0 }, ADMIT_OK },
		{ { W, 9999, 10000, 1, 0, 0, 1000, 0, 100, 0 }, ADMIT_OK },
		{ { W, 10000, 10000, 1, 0, 0, 1000, 0, 100, 0 }, ADMIT_FULL },
		/* the listener full comes first, also from a flooding host */
		{ { W, 10000, 10000, 1, 0, 1000, 1000, 100, 100, 0 },
		    ADMIT_FULL },
		{ { W, 5, 10000, 0, 0, 0, 1000, 0, 100, 0 }, ADMIT_NO_TLS },
		{ { W, 5, 10000, 0, 1, 1000, 1000, 100, 100, 0 }, ADMIT_NO_TLS },
		/* served connections do not count as in handshake */
		{ { W, 9000, 10000, 1, 0, 999, 1000, 99, 100, 0 }, ADMIT_OK },
		{ { W, 1000, 10000, 1, 0, 1000, 1000, 0, 100, 0 },
		    ADMIT_HANDSHAKES },
		{ { R, 1000, 10000, 1, 0, 1001, 1000, 0, 100, 0 },
		    ADMIT_HANDSHAKES },
		{ { W, 100, 10000, 1, 0, 100, 1000, 100, 100, 0 }, ADMIT_SOURCE },
		{ { W, 100, 10000, 1, 0, 150, 1000, 101, 100, 0 }, ADMIT_SOURCE },
		/* both over: the address is named */
		{ { W, 1000, 10000, 1, 0, 1000, 1000, 100, 100, 0 },
		    ADMIT_SOURCE },
		/* 0: no cap per address, the listener's still holds */
		{ { W, 500, 10000, 1, 0, 500, 1000, 500, 0, 0 }, ADMIT_OK },
		{ { W, 1000, 10000, 1, 0, 1000, 1000, 1000, 0, 0 },
		    ADMIT_HANDSHAKES },
		/* a per-address cap above the listener's never binds first */
		{ { W, 1000, 10000, 1, 0, 1000, 1000, 1000, 5000, 0 },
		    ADMIT_HANDSHAKES },
		/* loopback is no exception on W and R */
		{ { W, 100, 10000, 1, 1, 100, 1000, 100, 100, 0 }, ADMIT_SOURCE },
		/* the bridge: loopback only, no handshake, no TLS needed */
		{ { B, 0, 10000, 0, 1, 0, 1000, 0, 100, 0 }, ADMIT_OK },
		{ { B, 0, 10000, 0, 0, 0, 1000, 0, 100, 0 }, ADMIT_NOT_LOOPBACK },
		{ { B, 10000, 10000, 0, 1, 0, 1000, 0, 100, 0 }, ADMIT_FULL },
		{ { B, 5, 10000, 0, 1, 1000, 1000, 100, 100, 0 }, ADMIT_OK },
		/* another node's address: its hops pass the address's cap */
		{ { W, 100, 10000, 1, 0, 100, 1000, 100, 100, 1 }, ADMIT_OK },
		{ { W, 500, 10000, 1, 0, 500, 1000, 400, 100, 1 }, ADMIT_OK },
		{ { W, 1000, 10000, 1, 0, 1000, 1000, 400, 100, 1 },
		    ADMIT_HANDSHAKES },
		/* a limit lowered below what is open already */
		{ { W, 50, 10, 1, 0, 0, 1000, 0, 100, 0 }, ADMIT_FULL },
		{ { W, 50, 10000, 1, 0, 50, 10, 0, 100, 0 }, ADMIT_HANDSHAKES },
#undef W
#undef R
#undef B
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(admit_decide(&rows[i].v) == rows[i].want,
		    "row %zu: %d, not %d", i, admit_decide(&rows[i].v),
		    rows[i].want);
	ck_assert_str_eq(admit_why(ADMIT_SOURCE),
	    "proxy.max_handshakes_per_source reached");
	ck_assert_str_eq(admit_why(ADMIT_HANDSHAKES),
	    "proxy.max_handshakes reached");
}
END_TEST

static struct admit_key
key4(const char *a)
{
	struct sockaddr_in	sin;
	struct admit_key	k;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1234);
	ck_assert_int_eq(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	ck_assert_int_eq(admit_key((struct sockaddr *)&sin, sizeof(sin), &k),
	    0);
	return k;
}

static struct admit_key
key6(const char *a)
{
	struct sockaddr_in6	sin6;
	struct admit_key	k;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(4321);
	ck_assert_int_eq(inet_pton(AF_INET6, a, &sin6.sin6_addr), 1);
	ck_assert_int_eq(admit_key((struct sockaddr *)&sin6, sizeof(sin6),
	    &k), 0);
	return k;
}

/* The address as the caps count it: whole, ports aside, v4 = mapped v4. */
START_TEST(test_key)
{
	static const struct {
		const char	*addr;
		int		 v6;
		const char	*text;
		int		 loopback;
	} rows[] = {
		{ "10.0.0.1", 0, "10.0.0.1", 0 },
		{ "127.0.0.1", 0, "127.0.0.1", 1 },
		{ "127.9.8.7", 0, "127.9.8.7", 1 },
		{ "128.0.0.1", 0, "128.0.0.1", 0 },
		{ "::ffff:10.0.0.1", 1, "10.0.0.1", 0 },
		{ "::ffff:127.0.0.1", 1, "127.0.0.1", 1 },
		{ "::1", 1, "::1", 1 },
		{ "::2", 1, "::2", 0 },
		{ "2001:db8::1", 1, "2001:db8::1", 0 },
		{ "::", 1, "::", 0 },
	};
	struct admit_key	k, a, b;
	char			text[64];
	size_t			i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		k = rows[i].v6 ? key6(rows[i].addr) : key4(rows[i].addr);
		admit_key_text(&k, text, sizeof(text));
		ck_assert_msg(strcmp(text, rows[i].text) == 0, "row %zu: %s",
		    i, text);
		ck_assert_msg(admit_key_loopback(&k) == rows[i].loopback,
		    "row %zu", i);
	}
	a = key4("192.0.2.7");
	b = key6("::ffff:192.0.2.7");
	ck_assert_mem_eq(&a, &b, sizeof(a));
	/* Two hosts of one /64 are two sources. */
	a = key6("2001:db8:1:2::10");
	b = key6("2001:db8:1:2::11");
	ck_assert(memcmp(&a, &b, sizeof(a)) != 0);
	/* Not IP: no key (a zeroed one, "::", not loopback). */
	ck_assert_int_eq(admit_key(NULL, 0, &k), -1);
	ck_assert_int_eq(admit_key_loopback(&k), 0);
	{
		struct sockaddr_in	short4;

		memset(&short4, 0, sizeof(short4));
		short4.sin_family = AF_INET;
		ck_assert_int_eq(admit_key((struct sockaddr *)&short4, 2, &k),
		    -1);
	}
}
END_TEST

/* Counts per address, and nothing kept for an address with none left. */
START_TEST(test_sources)
{
	static struct admit_sources	t;
	struct admit_key		a = key4("10.0.0.1");
	struct admit_key		b = key4("10.0.0.2");
	struct admit_key		many[3000];
	char				addr[32];
	size_t				i;

	memset(&t, 0, sizeof(t));
	ck_assert_uint_eq(admit_sources_count(&t, &a), 0);
	ck_assert_int_eq(admit_sources_add(&t, &a), 0);
	ck_assert_int_eq(admit_sources_add(&t, &a), 0);
	ck_assert_int_eq(admit_sources_add(&t, &b), 0);
	ck_assert_uint_eq(admit_sources_count(&t, &a), 2);
	ck_assert_uint_eq(admit_sources_count(&t, &b), 1);
	ck_assert_uint_eq(t.n, 2);
	admit_sources_del(&t, &a);
	ck_assert_uint_eq(admit_sources_count(&t, &a), 1);
	admit_sources_del(&t, &a);
	ck_assert_uint_eq(admit_sources_count(&t, &a), 0);
	ck_assert_uint_eq(t.n, 1);
	/* One not there: nothing happens. */
	admit_sources_del(&t, &a);
	ck_assert_uint_eq(admit_sources_count(&t, &b), 1);

	/* More addresses than buckets: chains. */
	for (i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
		snprintf(addr, sizeof(addr), "10.1.%zu.%zu", i / 250, i % 250);
		many[i] = key4(addr);
		ck_assert_int_eq(admit_sources_add(&t, &many[i]), 0);
		if (i % 3 == 0)
			ck_assert_int_eq(admit_sources_add(&t, &many[i]), 0);
	}
	ck_assert_uint_eq(t.n, 1 + 3000);
	for (i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		ck_assert_uint_eq(admit_sources_count(&t, &many[i]),
		    i % 3 == 0 ? 2 : 1);
	for (i = 0; i < sizeof(many) / sizeof(many[0]); i += 2)
		admit_sources_del(&t, &many[i]);
	for (i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		ck_assert_uint_eq(admit_sources_count(&t, &many[i]),
		    (i % 3 == 0 ? 2 : 1) - (i % 2 == 0));
	admit_sources_clear(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_uint_eq(admit_sources_count(&t, &b), 0);
}
END_TEST

/* Other nodes' addresses: the most recent ADMIT_PEERS, once each. */
START_TEST(test_peers)
{
	struct admit_peers	p;
	struct admit_key	k;
	char			a[32];
	int			i;

	memset(&p, 0, sizeof(p));
	k = key4("10.0.0.1");
	ck_assert(!admit_peers_has(&p, &k));
	admit_peers_add(&p, &k);
	admit_peers_add(&p, &k);
	ck_assert(admit_peers_has(&p, &k));
	ck_assert_uint_eq(p.n, 1);
	k = key6("2001:db8::1");
	ck_assert(!admit_peers_has(&p, &k));
	/* More than it keeps: the oldest goes. */
	for (i = 0; i < ADMIT_PEERS; i++) {
		snprintf(a, sizeof(a), "10.1.0.%d", i);
		k = key4(a);
		admit_peers_add(&p, &k);
	}
	ck_assert_uint_eq(p.n, ADMIT_PEERS);
	k = key4("10.0.0.1");
	ck_assert(!admit_peers_has(&p, &k));
	k = key4("10.1.0.0");
	ck_assert(admit_peers_has(&p, &k));
	k = key4("10.1.0.63");
	ck_assert(admit_peers_has(&p, &k));
}
END_TEST

Suite *
admit_suite(void)
{
	Suite	*s = suite_create("admit");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, test_decide_table);
	tcase_add_test(tc, test_key);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_peers);
	suite_add_tcase(s, tc);
	return s;
}
