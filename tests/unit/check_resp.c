/*
 * RESP parser and encoder: every reply type, incremental input, the
 * limits, malformed input, and the SERVER/INFO lookups.  Every parse runs
 * on a heap copy of exactly the given length, so a read past len is an
 * AddressSanitizer report rather than a silent pass.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "elector/resp.h"

/* Until suites.h lists it. */

static char	errbuf[256];

static ssize_t
parse(const char *s, size_t len, struct resp *r)
{
	char	*copy;
	ssize_t	 n;

	/* malloc(0) may return NULL; one byte past len would still be caught */
	copy = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, s, len);
	n = resp_parse(copy, len, r, errbuf, sizeof(errbuf));
	free(copy);
	return n;
}

static ssize_t
parse_str(const char *s, struct resp *r)
{
	return parse(s, strlen(s), r);
}

/* Malformed: -1, an explanation, and nothing left to free. */
static void
assert_bad(const char *s, size_t len, const char *why)
{
	struct resp	r;
	ssize_t		n;

	errbuf[0] = '\0';
	n = parse(s, len, &r);
	ck_assert_msg(n == -1, "%s: parse returned %zd", why, n);
	ck_assert_msg(errbuf[0] != '\0', "%s: no error text", why);
	ck_assert_int_eq(r.n, 0);
	ck_assert_ptr_null(r.str);
	ck_assert_ptr_null(r.elems);
}

START_TEST(test_simple_error_integer)
{
	struct resp	r;

	ck_assert_int_eq(parse_str("+OK\r\n", &r), 5);
	ck_assert_int_eq(r.type, RESP_SIMPLE);
	ck_assert_str_eq(r.str, "OK");
	ck_assert_uint_eq(r.len, 2);
	resp_clear(&r);

	ck_assert_int_eq(parse_str("+\r\n", &r), 3);
	ck_assert_int_eq(r.type, RESP_SIMPLE);
	ck_assert_str_eq(r.str, "");
	resp_clear(&r);

	ck_assert_int_eq(parse_str("-ERR catching up to leader\r\n", &r), 28);
	ck_assert_int_eq(r.type, RESP_ERROR);
	ck_assert_str_eq(r.str, "ERR catching up to leader");
	resp_clear(&r);

	ck_assert_int_eq(parse_str(":0\r\n", &r), 4);
	ck_assert_int_eq(r.type, RESP_INTEGER);
	ck_assert(r.integer == 0);
	resp_clear(&r);

	ck_assert_int_eq(parse_str(":-42\r\n", &r), 6);
	ck_assert(r.integer == -42);
	resp_clear(&r);

	ck_assert_int_eq(parse_str(":9223372036854775807\r\n", &r), 22);
	ck_assert(r.integer == LLONG_MAX);
	resp_clear(&r);

	ck_assert_int_eq(parse_str(":-9223372036854775808\r\n", &r), 23);
	ck_assert(r.integer == LLONG_MIN);
	resp_clear(&r);
}
END_TEST

START_TEST(test_bulk_and_nil)
{
	struct resp	r;
	static const char	binary[] = "$6\r\na\r\nb\0c\r\n";

	ck_assert_int_eq(parse_str("$3\r\nfoo\r\n", &r), 9);
	ck_assert_int_eq(r.type, RESP_BULK);
	ck_assert_str_eq(r.str, "foo");
	ck_assert_uint_eq(r.len, 3);
	resp_clear(&r);

	ck_assert_int_eq(parse_str("$0\r\n\r\n", &r), 6);
	ck_assert_int_eq(r.type, RESP_BULK);
	ck_assert_str_eq(r.str, "");
	ck_assert_uint_eq(r.len, 0);
	resp_clear(&r);

	/* A bulk holds any bytes, CRLF and NUL included. */
	ck_assert_int_eq(parse(binary, sizeof(binary) - 1, &r), 12);
	ck_assert_int_eq(r.type, RESP_BULK);
	ck_assert_uint_eq(r.len, 6);
	ck_assert_mem_eq(r.str, "a\r\nb\0c", 6);
	ck_assert_int_eq(r.str[6], '\0');
	resp_clear(&r);

	ck_assert_int_eq(parse_str("$-1\r\n", &r), 5);
	ck_assert_int_eq(r.type, RESP_NIL);
	ck_assert_ptr_null(r.str);
	resp_clear(&r);

	ck_assert_int_eq(parse_str("*-1\r\n", &r), 5);
	ck_assert_int_eq(r.type, RESP_NIL);
	ck_assert_ptr_null(r.elems);
	resp_clear(&r);
}
END_TEST

START_TEST(test_arrays)
{
	struct resp	r;
	const char	*s;

	ck_assert_int_eq(parse_str("*0\r\n", &r), 4);
	ck_assert_int_eq(r.type, RESP_ARRAY);
	ck_assert_uint_eq(r.n, 0);
	resp_clear(&r);

	s = "*5\r\n+a\r\n:1\r\n$-1\r\n*2\r\n$1\r\nx\r\n*1\r\n-E\r\n*-1\r\n";
	ck_assert_int_eq(parse_str(s, &r), (ssize_t)strlen(s));
	ck_assert_int_eq(r.type, RESP_ARRAY);
	ck_assert_uint_eq(r.n, 5);
	ck_assert_int_eq(r.elems[0].type, RESP_SIMPLE);
	ck_assert_str_eq(r.elems[0].str, "a");
	ck_assert_int_eq(r.elems[1].type, RESP_INTEGER);
	ck_assert(r.elems[1].integer == 1);
	ck_assert_int_eq(r.elems[2].type, RESP_NIL);
	ck_assert_int_eq(r.elems[3].type, RESP_ARRAY);
	ck_assert_uint_eq(r.elems[3].n, 2);
	ck_assert_str_eq(r.elems[3].elems[0].str, "x");
	ck_assert_int_eq(r.elems[3].elems[1].type, RESP_ARRAY);
	ck_assert_int_eq(r.elems[3].elems[1].elems[0].type, RESP_ERROR);
	ck_assert_str_eq(r.elems[3].elems[1].elems[0].str, "E");
	ck_assert_int_eq(r.elems[4].type, RESP_NIL);
	resp_clear(&r);
	ck_assert_ptr_null(r.elems);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

/* Pipelined replies: each parse takes exactly one. */
START_TEST(test_pipelined)
{
	struct resp	r;
	const char	*s = "+OK\r\n:5\r\n$2\r\nhi\r\n";
	size_t		 off = 0, len = strlen(s);
	ssize_t		 n;

	n = parse(s + off, len - off, &r);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(r.type, RESP_SIMPLE);
	resp_clear(&r);
	off += (size_t)n;
	n = parse(s + off, len - off, &r);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(r.type, RESP_INTEGER);
	resp_clear(&r);
	off += (size_t)n;
	n = parse(s + off, len - off, &r);
	ck_assert_int_eq(n, 8);
	ck_assert_str_eq(r.str, "hi");
	resp_clear(&r);
	off += (size_t)n;
	ck_assert_int_eq(parse(s + off, len - off, &r), 0);
}
END_TEST

/* Every proper prefix is "not yet", the whole is the reply. */
START_TEST(test_byte_by_byte)
{
	static const char	*replies[] = {
		"+OK\r\n",
		"-LOADING Tile38 is loading the dataset in memory\r\n",
		":-12345\r\n",
		"$5\r\nhello\r\n",
		"$-1\r\n",
		"*-1\r\n",
		("*4\r\n$2\r\nid\r\n$8\r\nabcdefgh\r\n*2\r\n:1\r\n*0\r\n"
		    "$9\r\nread_only\r\n"),
	};
	struct resp	r;
	size_t		i, len, k;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		len = strlen(replies[i]);
		for (k = 0; k < len; k++) {
			ck_assert_msg(parse(replies[i], k, &r) == 0,
			    "reply %zu prefix %zu not incomplete", i, k);
			ck_assert_ptr_null(r.str);
			ck_assert_ptr_null(r.elems);
		}
		ck_assert_int_eq(parse(replies[i], len, &r), (ssize_t)len);
		resp_clear(&r);
	}
}
END_TEST

START_TEST(test_malformed)
{
	char	 big[64];
	char	*deep;
	size_t	 i;

	assert_bad("!3\r\nabc\r\n", 9, "bad prefix");
	assert_bad("_\r\n", 3, "RESP3 null");
	assert_bad("+OK\n", 4, "LF without CR");
	assert_bad("+OK\rX\r\n", 7, "CR without LF");
	assert_bad(":12a\r\n", 6, "bad digit");
	assert_bad(":\r\n", 3, "empty integer");
	assert_bad(":+1\r\n", 5, "plus sign");
	assert_bad(":9223372036854775808\r\n", 22, "integer overflow");
	assert_bad(":-9223372036854775809\r\n", 23, "integer underflow");
	assert_bad("$-2\r\n", 5, "negative bulk length");
	assert_bad("*-2\r\n", 5, "negative array length");
	assert_bad("$3\r\nfooX\r\n", 10, "bulk without CRLF");
	assert_bad("$3\r\nfoo\rX", 9, "bulk with CR only");
	assert_bad("$3\n", 3, "length line with bare LF");
	assert_bad("*2\r\n+a\r\n!\r\n", 11, "bad element");

	snprintf(big, sizeof(big), "$%d\r\n", RESP_MAX_BULK + 1);
	assert_bad(big, strlen(big), "bulk over the limit");
	snprintf(big, sizeof(big), "*%d\r\n", RESP_MAX_ELEMS + 1);
	assert_bad(big, strlen(big), "array over the limit");
	/* A length line that never ends is garbage, not slow input. */
	memset(big, '1', sizeof(big));
	big[0] = '$';
	assert_bad(big, sizeof(big), "endless length line");

	/* RESP_MAX_DEPTH nested arrays pass, one more does not. */
	deep = malloc(4 * (RESP_MAX_DEPTH + 1) + 1);
	ck_assert_ptr_nonnull(deep);
	for (i = 0; i < RESP_MAX_DEPTH; i++)
		memcpy(deep + 4 * i, "*1\r\n", 4);
	memcpy(deep + 4 * RESP_MAX_DEPTH, "*0\r\n", 5);
	assert_bad(deep, strlen(deep), "too deep");
	memcpy(deep + 4 * (RESP_MAX_DEPTH - 1), "*0\r\n", 5);
	{
		struct resp	r;

		ck_assert_int_eq(parse_str(deep, &r), 4 * RESP_MAX_DEPTH);
		resp_clear(&r);
	}
	free(deep);
}
END_TEST

/* Limits are exact: the largest allowed bulk parses. */
START_TEST(test_max_bulk)
{
	struct resp	 r;
	char		*s;
	size_t		 hdr, len;

	s = malloc(RESP_MAX_BULK + 32);
	ck_assert_ptr_nonnull(s);
	hdr = (size_t)snprintf(s, 32, "$%d\r\n", RESP_MAX_BULK);
	memset(s + hdr, 'x', RESP_MAX_BULK);
	memcpy(s + hdr + RESP_MAX_BULK, "\r\n", 2);
	len = hdr + RESP_MAX_BULK + 2;
	ck_assert_int_eq(parse(s, len - 1, &r), 0);
	ck_assert_int_eq(parse(s, len, &r), (ssize_t)len);
	ck_assert_uint_eq(r.len, RESP_MAX_BULK);
	resp_clear(&r);
	free(s);
}
END_TEST

START_TEST(test_encode)
{
	const char	*a1[] = { "FOLLOW", "no", "one" };
	const char	*a2[] = { "SET", "", "k" };
	char		*buf = NULL;
	size_t		 len = 0, cap = 0;
	const char	*want;
	struct resp	 r;

	ck_assert_int_eq(resp_encode(&buf, &len, &cap, 3, a1), 0);
	want = "*3\r\n$6\r\nFOLLOW\r\n$2\r\nno\r\n$3\r\none\r\n";
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(buf, want, len);
	ck_assert_uint_ge(cap, len);

	/* Appends, and the result parses back as an array of bulks. */
	ck_assert_int_eq(resp_encode(&buf, &len, &cap, 3, a2), 0);
	ck_assert_int_eq(parse(buf + strlen(want), len - strlen(want), &r),
	    (ssize_t)(len - strlen(want)));
	ck_assert_int_eq(r.type, RESP_ARRAY);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.elems[0].str, "SET");
	ck_assert_int_eq(r.elems[1].type, RESP_BULK);
	ck_assert_uint_eq(r.elems[1].len, 0);
	resp_clear(&r);

	ck_assert_int_eq(resp_encode(&buf, &len, &cap, 0, NULL), 0);
	ck_assert_mem_eq(buf + len - 4, "*0\r\n", 4);
	ck_assert_int_eq(resp_encode(&buf, &len, &cap, -1, a1), -1);
	free(buf);
}
END_TEST

/* Growth across many appends keeps every byte. */
START_TEST(test_encode_grows)
{
	const char	*a[] = { "PING" };
	char		*buf = NULL;
	size_t		 len = 0, cap = 0, off = 0;
	int		 i;
	struct resp	 r;
	ssize_t		 n;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(resp_encode(&buf, &len, &cap, 1, a), 0);
	ck_assert_uint_eq(len, 1000 * strlen("*1\r\n$4\r\nPING\r\n"));
	for (i = 0; i < 1000; i++) {
		n = parse(buf + off, len - off, &r);
		ck_assert_int_eq(n, 14);
		ck_assert_str_eq(r.elems[0].str, "PING");
		resp_clear(&r);
		off += (size_t)n;
	}
	free(buf);
}
END_TEST

START_TEST(test_map_get)
{
	struct resp		 r, one;
	const struct resp	*v;
	const char		*s;

	s = "*8\r\n$8\r\naof_size\r\n$3\r\n123\r\n$2\r\nid\r\n$4\r\nabcd\r\n"
	    "$3\r\nidx\r\n:7\r\n$9\r\nread_only\r\n$5\r\nfalse\r\n";
	ck_assert_int_gt(parse_str(s, &r), 0);
	v = resp_map_get(&r, "id");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->str, "abcd");
	v = resp_map_get(&r, "idx");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->type, RESP_INTEGER);
	ck_assert(v->integer == 7);
	ck_assert_str_eq(resp_map_get(&r, "read_only")->str, "false");
	ck_assert_str_eq(resp_map_get(&r, "aof_size")->str, "123");
	/* Exact keys only, and values are never taken for keys. */
	ck_assert_ptr_null(resp_map_get(&r, "i"));
	ck_assert_ptr_null(resp_map_get(&r, "abcd"));
	ck_assert_ptr_null(resp_map_get(&r, "following"));
	resp_clear(&r);

	/* An odd trailing key has no value. */
	ck_assert_int_gt(parse_str("*3\r\n+a\r\n+1\r\n+b\r\n", &r), 0);
	ck_assert_str_eq(resp_map_get(&r, "a")->str, "1");
	ck_assert_ptr_null(resp_map_get(&r, "b"));
	resp_clear(&r);

	ck_assert_int_gt(parse_str("+id\r\n", &one), 0);
	ck_assert_ptr_null(resp_map_get(&one, "id"));
	resp_clear(&one);
	ck_assert_ptr_null(resp_map_get(NULL, "id"));
}
END_TEST

START_TEST(test_info_get)
{
	const char	*info =
	    "# Server\r\n"
	    "redis_version:7.0.15\r\n"
	    "run_id:0123456789abcdef\r\n"
	    "executable:/usr/bin/redis-server\r\n"
	    "\r\n"
	    "# Replication\r\n"
	    "role:slave\r\n"
	    "master_host:127.0.0.1\r\n"
	    "master_host_extra:nope\r\n"
	    "master_port:6380\r\n"
	    "slave0:ip=127.0.0.1,port=6381,state=online\r\n"
	    "#role:master\r\n"
	    "empty:\r\n"
	    "master_repl_offset:42";
	char	out[64], small[4];

	ck_assert_int_eq(resp_info_get(info, "role", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "slave");
	ck_assert_int_eq(resp_info_get(info, "master_host", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "127.0.0.1");
	ck_assert_int_eq(resp_info_get(info, "master_port", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "6380");
	ck_assert_int_eq(resp_info_get(info, "slave0", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ip=127.0.0.1,port=6381,state=online");
	ck_assert_int_eq(resp_info_get(info, "empty", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	/* The last line may lack its CRLF. */
	ck_assert_int_eq(resp_info_get(info, "master_repl_offset", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "42");

	ck_assert_int_eq(resp_info_get(info, "master", out, sizeof(out)), -1);
	ck_assert_int_eq(resp_info_get(info, "Server", out, sizeof(out)), -1);
	ck_assert_int_eq(resp_info_get(info, "# Server", out, sizeof(out)),
	    -1);
	ck_assert_int_eq(resp_info_get(info, "ole", out, sizeof(out)), -1);
	ck_assert_int_eq(resp_info_get(info, "master_link_status", out,
	    sizeof(out)), -1);
	ck_assert_int_eq(resp_info_get("", "role", out, sizeof(out)), -1);

	/* Values are cut to the buffer, always terminated. */
	ck_assert_int_eq(resp_info_get(info, "redis_version", small,
	    sizeof(small)), 0);
	ck_assert_str_eq(small, "7.0");
	ck_assert_int_eq(resp_info_get(info, "role", small, 0), -1);

	/* Bare LF line ends are read as well. */
	ck_assert_int_eq(resp_info_get("a:1\nb:2\n", "b", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2");
}
END_TEST

START_TEST(test_clear_idempotent)
{
	struct resp	r;

	memset(&r, 0, sizeof(r));
	resp_clear(&r);
	resp_clear(NULL);
	ck_assert_int_gt(parse_str("*1\r\n$1\r\nx\r\n", &r), 0);
	resp_clear(&r);
	resp_clear(&r);
}
END_TEST

Suite *
resp_suite(void)
{
	Suite	*s = suite_create("resp");
	TCase	*tc = tcase_create("parse");
	TCase	*te = tcase_create("encode");
	TCase	*tl = tcase_create("lookup");

	tcase_add_test(tc, test_simple_error_integer);
	tcase_add_test(tc, test_bulk_and_nil);
	tcase_add_test(tc, test_arrays);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_max_bulk);
	tcase_add_test(tc, test_clear_idempotent);
	suite_add_tcase(s, tc);
	tcase_add_test(te, test_encode);
	tcase_add_test(te, test_encode_grows);
	suite_add_tcase(s, te);
	tcase_add_test(tl, test_map_get);
	tcase_add_test(tl, test_info_get);
	suite_add_tcase(s, tl);
	return s;
}
