/*
 * The command filter of a connection, driven as the relay drives it:
 * client bytes through request(), server bytes through reply(), and the
 * filter's own reply taken when reply() holds.  The relay's part (where
 * bytes go) is in check_relay.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_class.h"
#include "config.h"
#include "proxy_filter.h"
#include "suites.h"

struct fx {
	struct filter_rules	*rules;
	struct filter		*f;
	struct relay_filter	 h;
};

static void
fx_open(struct fx *x, enum filter_mode mode, int kind, const char *service,
    const char *grants, int http_opaque)
{
	struct filter_conf	fc;
	char			err[256];

	memset(x, 0, sizeof(*x));
	x->rules = filter_rules_new(kind, CMD_RULES_WRITER, grants, err,
	    sizeof(err));
	ck_assert_msg(x->rules != NULL, "%s", err);
	memset(&fc, 0, sizeof(fc));
	fc.mode = mode;
	fc.kind = kind;
	fc.listener = "writer";
	fc.rules = x->rules;
	fc.service = service;
	fc.http_opaque = http_opaque;
	ck_assert_ptr_nonnull(x->f = filter_new(&fc));
	/* the connection holds the rules: a reload may drop them */
	filter_rules_drop(x->rules);
	filter_hooks(x->f, &x->h);
}

static void
fx_close(struct fx *x)
{
	filter_free(x->f);
}

/* Feed all of s to request(): the verdicts in order, one letter each. */
static void
fx_req(struct fx *x, const char *s, const char *want)
{
	static const char	letters[] = "PMDZHC";
	char			got[64];
	size_t			len = strlen(s), off = 0, used, n = 0;
	int			v;

	while (off < len && n + 1 < sizeof(got)) {
		used = 0;
		v = x->h.request(x->h.arg, s + off, len - off, &used);
		got[n++] = letters[v];
		off += used;
		if (v == RF_CLOSE)
			break;
		ck_assert_uint_gt(used, 0);
	}
	got[n] = '\0';
	ck_assert_str_eq(got, want);
}

/* Feed s to reply(): how much passed before it held (or all of it). */
static size_t
fx_rep(struct fx *x, const char *s, int *held)
{
	size_t	len = strlen(s), off = 0, used;
	int	v;

	*held = 0;
	for (;;) {
		used = 0;
		v = x->h.reply(x->h.arg, s + off, len - off, &used);
		off += used;
		if (v == RF_HOLD) {
			*held = 1;
			return off;
		}
		ck_assert_int_eq(v, RF_PASS);
		if (off == len)
			return off;
	}
}

static void
fx_inject(struct fx *x, const char *want)
{
	const char	*p;
	size_t		 n;

	ck_assert_ptr_nonnull(p = x->h.inject(x->h.arg, &n));
	ck_assert_uint_eq(n, strlen(want));
	ck_assert(memcmp(p, want, n) == 0);
	x->h.injected(x->h.arg);
}

#define CONFIG_SET	"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n" \
			"$11\r\nrequirepass\r\n$7\r\nhunter2\r\n"
#define ERR_CONFIG	"-ERR command 'CONFIG' not allowed through the " \
			"writer listener\r\n"

/*
 * A pipeline: SET passes, CONFIG SET is dropped and waits until the
 * server answered the SET, GET passes after the error went out.
 */
START_TEST(test_pipeline_order)
{
	struct fx	x;
	int		held;

	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, NULL, NULL, 0);
	fx_req(&x, "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n" CONFIG_SET,
	    "PZ");
	/* nothing from the server yet: the error must wait */
	ck_assert_uint_eq(fx_rep(&x, "", &held), 0);
	ck_assert(!held);
	/* the SET's answer in two pieces; the error goes after all of it */
	ck_assert_uint_eq(fx_rep(&x, "+O", &held), 2);
	ck_assert(!held);
	ck_assert_uint_eq(fx_rep(&x, "K\r\n", &held), 3);
	ck_assert(held);
	fx_inject(&x, ERR_CONFIG);
	fx_req(&x, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n", "P");
	ck_assert_uint_eq(fx_rep(&x, "$1\r\n1\r\n", &held), 7);
	ck_assert(!held);
	ck_assert_uint_eq(filter_refused(x.f), 1);
	ck_assert(!filter_ended(x.f));
	fx_close(&x);
}
END_TEST

/* A refused first command is answered at once, in each protocol. */
START_TEST(test_refusal_forms)
{
	struct fx	x;
	int		held;

	fx_open(&x, FILTER_CLIENT, SERVER_TILE38, NULL, NULL, 0);
	fx_req(&x, "AOFSHRINK\r\n", "Z");
	ck_assert_uint_eq(fx_rep(&x, "", &held), 0);
	ck_assert(held);
	fx_inject(&x, "-ERR command 'AOFSHRINK' not allowed through the "
	    "writer listener\r\n");
	/* Tile38's native protocol gets its own form */
	fx_req(&x, "$14 FOLLOW host 99\r\n", "Z");
	(void)fx_rep(&x, "", &held);
	ck_assert(held);
	fx_inject(&x, "$77 {\"ok\":false,\"err\":\"command 'FOLLOW' not "
	    "allowed through the writer listener\"}\r\n");
	/* a long name is cut short, and says so */
	fx_req(&x, "*1\r\n$40\r\nABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ\r\n",
	    "Z");
	(void)fx_rep(&x, "", &held);
	fx_inject(&x, "-ERR command 'ABCDEFGHIJABCDEFGHIJABCDEFGHIJAB...' "
	    "not allowed through the writer listener\r\n");
	ck_assert_uint_eq(filter_refused(x.f), 3);
	fx_close(&x);
}
END_TEST

/* A grant widens the rules for its service only. */
START_TEST(test_grant)
{
	struct fx	x;
	int		held;

	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, "ops-admin",
	    "ops-admin: +FLUSHDB", 0);
	fx_req(&x, "*1\r\n$7\r\nflushdb\r\n", "P");
	fx_close(&x);
	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, "web",
	    "ops-admin: +FLUSHDB", 0);
	fx_req(&x, "*1\r\n$7\r\nflushdb\r\n", "Z");
	(void)fx_rep(&x, "", &held);
	ck_assert(held);
	fx_close(&x);
}
END_TEST

/* SUBSCRIBE is answered once per channel: the error goes after both. */
START_TEST(test_subscribe)
{
	struct fx	x;
	int		held;

	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, NULL, NULL, 0);
	fx_req(&x, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n", "P");
	fx_req(&x, "*1\r\n$7\r\nMONITOR\r\n", "Z");
	ck_assert_uint_eq(fx_rep(&x, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n"
	    ":1\r\n", &held), 30);
	ck_assert(!held);
	ck_assert_uint_eq(fx_rep(&x, "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n"
	    ":2\r\n*3\r\n", &held), 30);
	ck_assert(held);
	fx_close(&x);
}
END_TEST

/* What ends a connection: malformed input, HTTP, a stream's stray. */
START_TEST(test_close)
{
	struct fx	 x;
	const char	*p;
	size_t		 n;

	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, NULL, NULL, 0);
	fx_req(&x, "*1\r\n$x\r\n", "C");
	ck_assert(filter_ended(x.f));
	ck_assert_ptr_nonnull(p = x.h.inject(x.h.arg, &n));
	ck_assert(strncmp(p, "-ERR Protocol error", 19) == 0);
	ck_assert_ptr_nonnull(strstr(x.h.why(x.h.arg), "malformed request"));
	fx_close(&x);

	fx_open(&x, FILTER_CLIENT, SERVER_TILE38, NULL, NULL, 0);
	fx_req(&x, "GET /server HTTP/1.1\r\nHost: x\r\n\r\n", "C");
	ck_assert_ptr_nonnull(p = x.h.inject(x.h.arg, &n));
	ck_assert(strncmp(p, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	fx_close(&x);

	/* proxy.http opaque: the rest passes unread, both ways */
	fx_open(&x, FILTER_CLIENT, SERVER_TILE38, NULL, NULL, 1);
	fx_req(&x, "GET /server HTTP/1.1\r\nHost: x\r\n\r\nCONFIG SET x\r\n",
	    "P");
	ck_assert(!filter_ended(x.f));
	fx_close(&x);

	/* a stream: the handshake passes, anything else ends it silently */
	fx_open(&x, FILTER_STREAM, SERVER_TILE38, NULL, NULL, 0);
	fx_req(&x, "*2\r\n$4\r\nAUTH\r\n$1\r\np\r\n"
	    "*1\r\n$6\r\nSERVER\r\n*2\r\n$3\r\nAOF\r\n$1\r\n0\r\n", "PPP");
	fx_req(&x, "SET kv k STRING v\r\n", "C");
	ck_assert(filter_ended(x.f));
	ck_assert(x.h.inject(x.h.arg, &n) == NULL || n == 0);
	ck_assert_str_eq(x.h.why(x.h.arg),
	    "not a replication handshake: 'SET'");
	fx_close(&x);

	fx_open(&x, FILTER_STREAM, SERVER_REDIS, NULL, NULL, 0);
	fx_req(&x, "*1\r\n$4\r\nPING\r\n*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa"
	    "\r\n$3\r\neof\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n",
	    "PPP");
	fx_req(&x, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "C");
	fx_close(&x);
}
END_TEST

/*
 * A command refused inside MULTI discards the transaction: its EXEC
 * gets Redis' EXECABORT and the connection ends, so the server runs
 * none of it.
 */
START_TEST(test_multi)
{
	struct fx	 x;
	const char	*p;
	size_t		 n;
	int		 held;

	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, NULL, NULL, 0);
	fx_req(&x, "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n"
	    "$1\r\n1\r\n" CONFIG_SET, "PPZ");
	ck_assert_uint_eq(fx_rep(&x, "+OK\r\n+QUEUED\r\n", &held), 14);
	ck_assert(held);
	fx_inject(&x, ERR_CONFIG);
	fx_req(&x, "*1\r\n$4\r\nEXEC\r\n", "C");
	ck_assert(filter_ended(x.f));
	ck_assert_ptr_nonnull(p = x.h.inject(x.h.arg, &n));
	ck_assert(strncmp(p, "-EXECABORT ", 11) == 0);
	fx_close(&x);

	/* after EXEC, a refusal is just a refusal */
	fx_open(&x, FILTER_CLIENT, SERVER_REDIS, NULL, NULL, 0);
	fx_req(&x, "*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n" CONFIG_SET,
	    "PPZ");
	ck_assert_uint_eq(fx_rep(&x, "+OK\r\n*0\r\n", &held), 9);
	ck_assert(held);
	fx_inject(&x, ERR_CONFIG);
	fx_req(&x, "*1\r\n$4\r\nPING\r\n", "P");
	ck_assert(!filter_ended(x.f));
	fx_close(&x);
}
END_TEST

/* After Tile38's OUTPUT json, a refusal is JSON too. */
START_TEST(test_output_json)
{
	struct fx	x;
	int		held;

	fx_open(&x, FILTER_CLIENT, SERVER_TILE38, NULL, NULL, 0);
	fx_req(&x, "*2\r\n$6\r\nOUTPUT\r\n$4\r\njson\r\nREADONLY yes\r\n",
	    "PZ");
	(void)fx_rep(&x, "$11\r\n{\"ok\":true}\r\n", &held);
	ck_assert(held);
	fx_inject(&x, "$79\r\n{\"ok\":false,\"err\":\"command 'READONLY' not "
	    "allowed through the writer listener\"}\r\n");
	fx_req(&x, "OUTPUT resp\r\nREADONLY yes\r\n", "PZ");
	(void)fx_rep(&x, "+OK\r\n", &held);
	ck_assert(held);
	fx_inject(&x, "-ERR command 'READONLY' not allowed through the "
	    "writer listener\r\n");
	fx_close(&x);
}
END_TEST

Suite *
filter_suite(void)
{
	Suite	*s = suite_create("filter");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_pipeline_order);
	tcase_add_test(tc, test_refusal_forms);
	tcase_add_test(tc, test_grant);
	tcase_add_test(tc, test_subscribe);
	tcase_add_test(tc, test_close);
	tcase_add_test(tc, test_multi);
	tcase_add_test(tc, test_output_json);
	suite_add_tcase(s, tc);
	return s;
}
