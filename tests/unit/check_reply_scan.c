/*
 * The reply counter, case by case.  A case is the trace of its events
 * (kind and absolute offset) followed by the counts and whether the
 * scanner ended between replies; it must be the same fed whole, byte by
 * byte, and cut in two at every point.  Pieces are heap copies of
 * exactly their length, so a read past one is an AddressSanitizer report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/reply_scan.h"
#include "suites.h"

struct tr {
	char	*s;
	size_t	 len, cap;
};

static void
tr_add(struct tr *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tr_add(struct tr *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		ck_assert_int_ge(n, 0);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->s = realloc(t->s, t->cap);
		ck_assert_ptr_nonnull(t->s);
	}
	t->len += (size_t)n;
}

static char *
feed(const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
	struct reply_scan	 s;
	struct tr		 t = { NULL, 0, 0 };
	size_t			 from = 0, to, used, c = 0, at;
	char			*piece;
	enum reply_ev		 ev = REPLY_NEED;

	tr_add(&t, "%s", "");
	reply_scan_init(&s);
	ck_assert(reply_scan_at_boundary(&s));
	for (;;) {
		to = c < ncuts ? cuts[c++] : len;
		piece = malloc(to - from > 0 ? to - from : 1);
		ck_assert_ptr_nonnull(piece);
		memcpy(piece, in + from, to - from);
		for (at = 0; at < to - from;) {
			ev = reply_scan(&s, piece + at, to - from - at, &used);
			ck_assert_uint_le(used, to - from - at);
			at += used;
			if (ev == REPLY_NEED) {
				ck_assert_uint_eq(at, to - from);
				break;
			}
			if (ev == REPLY_BAD) {
				ck_assert_ptr_nonnull(s.why);
				tr_add(&t, "B%zu:%s ", from + at, s.why);
				break;
			}
			ck_assert_uint_gt(used, 0);
			ck_assert(reply_scan_at_boundary(&s));
			tr_add(&t, "%c%zu ", ev == REPLY_DONE ? 'D' : 'P',
			    from + at);
		}
		free(piece);
		if (ev == REPLY_BAD || to == len)
			break;
		from = to;
	}
	if (ev == REPLY_BAD) {
		ck_assert_int_eq(reply_scan(&s, "+", 1, &used), REPLY_BAD);
		ck_assert_uint_eq(used, 0);
	}
	tr_add(&t, "=%llu/%llu%s", (unsigned long long)s.replies,
	    (unsigned long long)s.pushes,
	    reply_scan_at_boundary(&s) ? "" : "+");
	return t.s;
}

static void
expect(const char *in, size_t len, const char *want)
{
	char	*whole, *other;
	size_t	*cuts, i;

	whole = feed(in, len, NULL, 0);
	ck_assert_msg(strcmp(whole, want) == 0, "input \"%.*s\":\n  got  %s\n"
	    "  want %s", (int)len, in, whole, want);
	if (len >= 2) {
		cuts = calloc(len, sizeof(*cuts));
		ck_assert_ptr_nonnull(cuts);
		for (i = 1; i < len; i++)
			cuts[i - 1] = i;
		other = feed(in, len, cuts, len - 1);
		ck_assert_msg(strcmp(whole, other) == 0,
		    "byte by byte:\n  %s\nwhole:\n  %s", other, whole);
		free(other);
		for (i = 1; i < len; i++) {
			other = feed(in, len, &i, 1);
			ck_assert_msg(strcmp(whole, other) == 0,
			    "cut at %zu:\n  %s\nwhole:\n  %s", i, other, whole);
			free(other);
		}
		free(cuts);
	}
	free(whole);
}

#define EXPECT(in, want)	expect((in), sizeof(in) - 1, (want))

START_TEST(test_resp2)
{
	EXPECT("+OK\r\n", "D5 =1/0");
	EXPECT("-ERR no such key\r\n", "D18 =1/0");
	EXPECT(":-42\r\n", "D6 =1/0");
	EXPECT("+\r\n", "D3 =1/0");
	EXPECT("$3\r\nfoo\r\n", "D9 =1/0");
	EXPECT("$0\r\n\r\n", "D6 =1/0");
	EXPECT("$-1\r\n", "D5 =1/0");
	EXPECT("*-1\r\n", "D5 =1/0");
	EXPECT("*0\r\n", "D4 =1/0");
	/* A bulk's bytes are counted, not read. */
	EXPECT("$6\r\n\r\n+\r\n*\r\n", "D12 =1/0");
	EXPECT("*2\r\n$1\r\na\r\n:2\r\n", "D15 =1/0");
	EXPECT("*3\r\n*1\r\n+a\r\n*0\r\n*-1\r\n", "D21 =1/0");
	EXPECT("+OK\r\n$1\r\nx\r\n*1\r\n:1\r\n-E\r\n",
	    "D5 D12 D20 D24 =4/0");
	/* A line ends at its first CRLF only, as clients read it. */
	EXPECT("-ERR a\rb\nc\r\n", "D12 =1/0");
	EXPECT("+a\r\r\n", "D5 =1/0");
}
END_TEST

START_TEST(test_resp3)
{
	EXPECT("_\r\n", "D3 =1/0");
	EXPECT(",1.5\r\n", "D6 =1/0");
	EXPECT("#t\r\n", "D4 =1/0");
	EXPECT("(3492890328409238509324850943850943825024385\r\n", "D46 =1/0");
	EXPECT("!21\r\nSYNTAX invalid syntax\r\n", "D28 =1/0");
	EXPECT("=15\r\ntxt:Some string\r\n", "D22 =1/0");
	EXPECT("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "D20 =1/0");
	EXPECT("~2\r\n+a\r\n_\r\n", "D11 =1/0");
	EXPECT("%0\r\n~0\r\n", "D4 D8 =2/0");
	/* An attribute goes with the value after it. */
	EXPECT("|1\r\n+ttl\r\n:3\r\n+OK\r\n", "D19 =1/0");
	EXPECT("|0\r\n+OK\r\n", "D9 =1/0");
	EXPECT("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", "D24 =1/0");
	EXPECT("|1\r\n+a\r\n+b\r\n", "=0/0+");
	/* A push is no reply, wherever it comes. */
	EXPECT(">2\r\n+message\r\n+x\r\n", "P18 =0/1");
	EXPECT("+OK\r\n>1\r\n+inv\r\n:1\r\n", "D5 P15 D19 =2/1");
	EXPECT("|1\r\n+a\r\n+b\r\n>1\r\n+m\r\n", "P20 =0/1");
	EXPECT("*1\r\n>1\r\n+m\r\n", "D12 =1/0");
}
END_TEST

START_TEST(test_native)
{
	EXPECT("$11 {\"ok\":true}\r\n", "D17 =1/0");
	EXPECT("$0 \r\n", "D5 =1/0");
	EXPECT("$4 \r\n\r\n\r\n$2 {}\r\n", "D9 D16 =2/0");
}
END_TEST

START_TEST(test_bad)
{
	EXPECT("?", "B1:not a RESP type byte =0/0+");
	EXPECT("HTTP/1.1 200 OK\r\n", "B1:not a RESP type byte =0/0+");
	EXPECT("+OK\r\nx", "D5 B6:not a RESP type byte =1/0+");
	EXPECT("$-2\r\n", "B5:negative length =0/0+");
	EXPECT("%-1\r\n", "B5:negative length =0/0+");
	EXPECT("$-1 ", "B4:bad length in reply =0/0+");
	EXPECT("$\r\n", "B2:bad length in reply =0/0+");
	EXPECT("*1x", "B3:bad length in reply =0/0+");
	EXPECT("$1\rx", "B4:CR without LF in reply =0/0+");
	EXPECT("$3\r\nfooX", "B8:blob not followed by CRLF =0/0+");
	EXPECT("$3\r\nfoo\rX", "B9:blob not followed by CRLF =0/0+");
	EXPECT("$?\r\n", "B2:streamed RESP3 length =0/0+");
	EXPECT("*1234567890123456789\r\n", "B20:length too long =0/0+");
}
END_TEST

START_TEST(test_depth)
{
	char	buf[4 * (REPLY_DEPTH_MAX + 1) + 8], want[64];
	size_t	n = 0, i;

	for (i = 0; i < REPLY_DEPTH_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "*1\r\n");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ":1\r\n");
	snprintf(want, sizeof(want), "D%zu =1/0", n);
	expect(buf, n, want);

	n = 0;
	for (i = 0; i <= REPLY_DEPTH_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "*1\r\n");
	snprintf(want, sizeof(want), "B%zu:aggregates nested too deep =0/0+",
	    n);
	expect(buf, n, want);
}
END_TEST

START_TEST(test_boundary)
{
	struct reply_scan	s;
	size_t			used;

	reply_scan_init(&s);
	ck_assert(reply_scan_at_boundary(&s));
	ck_assert_int_eq(reply_scan(&s, "*2\r\n", 4, &used), REPLY_NEED);
	ck_assert(!reply_scan_at_boundary(&s));
	ck_assert_int_eq(reply_scan(&s, "+a\r\n+b", 6, &used), REPLY_NEED);
	ck_assert(!reply_scan_at_boundary(&s));
	ck_assert_int_eq(reply_scan(&s, "\r\n+c\r\n", 6, &used), REPLY_DONE);
	ck_assert_uint_eq(used, 2);
	ck_assert(reply_scan_at_boundary(&s));
	ck_assert_int_eq(reply_scan(&s, "+c", 2, &used), REPLY_NEED);
	ck_assert(!reply_scan_at_boundary(&s));
	ck_assert_int_eq(reply_scan(&s, "\r", 1, &used), REPLY_NEED);
	ck_assert_int_eq(reply_scan(&s, "\n", 1, &used), REPLY_DONE);
	ck_assert_uint_eq(s.replies, 2);
}
END_TEST

/* 1000 replies of every kind, fed in pieces of several sizes. */
START_TEST(test_pipeline)
{
	static const size_t	 sizes[] = { 1, 2, 5, 100, 4096, 0 };
	struct tr		 in = { NULL, 0, 0 };
	struct reply_scan	 s;
	size_t			 i, k, at, n, used, done, push;
	enum reply_ev		 ev;

	tr_add(&in, "%s", "");
	for (i = 0; i < 1000; i++) {
		switch (i % 5) {
		case 0:
			tr_add(&in, "$%zu\r\n", i);
			for (k = 0; k < i; k++)
				tr_add(&in, "%c", "\r\n*$"[k % 4]);
			tr_add(&in, "\r\n");
			break;
		case 1:
			tr_add(&in, "*3\r\n:%zu\r\n*1\r\n+x\r\n$-1\r\n", i);
			break;
		case 2:
			tr_add(&in, ">2\r\n+invalidate\r\n*0\r\n"
			    "-ERR %zu\r\n", i);
			break;
		case 3:
			tr_add(&in, "$7 {\"k\":1}\r\n");
			break;
		case 4:
			tr_add(&in, "|1\r\n+a\r\n+b\r\n%%1\r\n+k\r\n_\r\n");
			break;
		}
	}
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		reply_scan_init(&s);
		done = push = 0;
		for (at = 0; at < in.len; at += n) {
			n = sizes[k] == 0 || sizes[k] > in.len - at ?
			    in.len - at : sizes[k];
			for (size_t off = 0; off < n;) {
				ev = reply_scan(&s, in.s + at + off, n - off,
				    &used);
				off += used;
				ck_assert_int_ne(ev, REPLY_BAD);
				if (ev == REPLY_DONE)
					done++;
				if (ev == REPLY_PUSH)
					push++;
			}
		}
		ck_assert(reply_scan_at_boundary(&s));
		ck_assert_uint_eq(done, 1000);
		ck_assert_uint_eq(push, 200);
		ck_assert_uint_eq(s.replies, 1000);
		ck_assert_uint_eq(s.pushes, 200);
	}
	free(in.s);
}
END_TEST

/* A 10 MB bulk in pieces: one reply at its very end. */
START_TEST(test_large_bulk)
{
	static const char	 hdr[] = "$10485760\r\n";
	struct reply_scan	 s;
	size_t			 total, at, n, used;
	char			*piece;
	enum reply_ev		 ev;

	total = sizeof(hdr) - 1 + 10485760 + 2;
	piece = malloc(65536);
	ck_assert_ptr_nonnull(piece);
	reply_scan_init(&s);
	for (at = 0; at < total; at += n) {
		n = total - at < 65536 ? total - at : 65536;
		memset(piece, '\n', n);
		if (at == 0)
			memcpy(piece, hdr, sizeof(hdr) - 1);
		if (at + n == total)
			memcpy(piece + n - 2, "\r\n", 2);
		ev = reply_scan(&s, piece, n, &used);
		ck_assert_uint_eq(used, n);
		ck_assert_int_eq(ev, at + n == total ? REPLY_DONE : REPLY_NEED);
	}
	ck_assert_uint_eq(s.replies, 1);
	free(piece);
}
END_TEST

Suite *
reply_scan_suite(void)
{
	Suite	*s = suite_create("reply_scan");
	TCase	*tc = tcase_create("scan");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_resp2);
	tcase_add_test(tc, test_resp3);
	tcase_add_test(tc, test_native);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_boundary);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_large_bulk);
	suite_add_tcase(s, tc);
	return s;
}
