/*
 * The command scanner, case by case.  Every case is written as the trace
 * of events it gives (kind, absolute offset, what the event carries) and
 * must give the same trace fed whole, byte by byte, and cut in two at
 * every point: the scanner may not depend on how the stream is split.
 * Each piece is a heap copy of exactly its length, so a read past it is
 * an AddressSanitizer report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/cmd_scan.h"
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

static const char *
proto_name(enum cmd_proto p)
{
	switch (p) {
	case CMD_RESP:
		return "R";
	case CMD_INLINE:
		return "I";
	case CMD_NATIVE:
		return "N";
	case CMD_HTTP:
		return "T";
	}
	return "?";
}

static void
record(struct tr *t, const struct cmd_scan *s, enum cmd_ev ev, size_t off)
{
	if (t->len > 0)
		tr_add(t, " ");
	switch (ev) {
	case CMD_HEAD:
		tr_add(t, "H%zu:%s:%s%s", off, proto_name(s->proto), s->name,
		    s->name_long ? "*" : "");
		if (s->has_sub)
			tr_add(t, "/%s%s", s->sub, s->sub_long ? "*" : "");
		tr_add(t, ":%lld", s->nargs);
		break;
	case CMD_END:
		tr_add(t, "E%zu:%lld", off, s->nargs);
		break;
	case CMD_BAD:
		ck_assert_ptr_nonnull(s->why);
		tr_add(t, "B%zu:%s", off, s->why);
		break;
	case CMD_NEED:
		ck_abort_msg("NEED recorded");
	}
}

/*
 * Feed in[0 .. len) cut at the given offsets (increasing, inside the
 * input) and return the trace.  A final empty call collects an END
 * still owed.
 */
static char *
feed(const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
	struct cmd_scan	 s;
	struct tr	 t = { NULL, 0, 0 };
	size_t		 from = 0, to, used, c = 0;
	char		*piece;
	enum cmd_ev	 ev;

	tr_add(&t, "%s", "");
	cmd_scan_init(&s);
	for (;;) {
		to = c < ncuts ? cuts[c++] : len;
		piece = malloc(to - from > 0 ? to - from : 1);
		ck_assert_ptr_nonnull(piece);
		memcpy(piece, in + from, to - from);
		for (size_t at = 0;;) {
			ev = cmd_scan(&s, piece + at, to - from - at, &used);
			ck_assert_uint_le(used, to - from - at);
			if (ev == CMD_NEED) {
				ck_assert_uint_eq(used, to - from - at);
				break;
			}
			at += used;
			record(&t, &s, ev, from + at);
			if (ev == CMD_BAD)
				break;
		}
		free(piece);
		if (ev == CMD_BAD || to == len)
			break;
		from = to;
	}
	if (ev != CMD_BAD) {
		ev = cmd_scan(&s, "", 0, &used);
		ck_assert_uint_eq(used, 0);
		if (ev != CMD_NEED)
			record(&t, &s, ev, len);
	} else {
		/* BAD stays BAD and takes nothing. */
		ck_assert_int_eq(cmd_scan(&s, "x", 1, &used), CMD_BAD);
		ck_assert_uint_eq(used, 0);
	}
	return t.s;
}

static char *
feed_whole(const char *in, size_t len)
{
	return feed(in, len, NULL, 0);
}

/* Whole, byte by byte, and in two pieces at every cut: one trace. */
static char *
feed_all_ways(const char *in, size_t len)
{
	char	*whole, *other;
	size_t	*cuts, i;

	whole = feed_whole(in, len);
	if (len < 2)
		return whole;
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
	return whole;
}

static void
expect(const char *in, size_t len, const char *want)
{
	char	*got;

	got = feed_all_ways(in, len);
	ck_assert_msg(strcmp(got, want) == 0, "input \"%.*s\":\n  got  %s\n"
	    "  want %s", (int)(len > 200 ? 200 : len), in, got, want);
	free(got);
}

#define EXPECT(in, want)	expect((in), sizeof(in) - 1, (want))

START_TEST(test_resp)
{
	EXPECT("*1\r\n$4\r\nPING\r\n", "H12:R:PING:1 E14:1");
	EXPECT("*2\r\n$3\r\nget\r\n$3\r\nkey\r\n",
	    "H20:R:GET/KEY:2 E22:2");
	EXPECT("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nvalue\r\n",
	    "H18:R:SET/K:3 E31:3");
	/* A sub of no bytes is known at the end of its header. */
	EXPECT("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", "H17:R:GET/:2 E19:2");
	/* Pipelined, and with binary bytes in a value. */
	EXPECT("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\necho\r\n$4\r\n\r\n\1\n\r\n",
	    "H12:R:PING:1 E14:1 H36:R:ECHO/\r\n\1\n:2 E38:2");
	EXPECT("*1\r\n$9\r\nJSON.SET:\r\n", "H17:R:JSON.SET::1 E19:1");
	/* The sub is upper-cased ASCII, other bytes kept. */
	EXPECT("*2\r\n$6\r\nCONFIG\r\n$4\r\ng\xc3\xa9t\r\n",
	    "H24:R:CONFIG/G\xc3\xa9T:2 E26:2");
}
END_TEST

START_TEST(test_resp_bad)
{
	EXPECT("*0\r\n", "B3:bad RESP array length");
	EXPECT("*-1\r\n", "B2:bad RESP array length");
	EXPECT("*01\r\n", "B3:bad RESP array length");
	EXPECT("*\r\n", "B2:bad RESP array length");
	EXPECT("*1 \r\n", "B3:bad RESP array length");
	EXPECT("*1048577\r\n", "B9:bad RESP array length");
	EXPECT("*12345678\r\n", "B9:bad RESP array length");
	EXPECT("*1\n", "B3:bad RESP array length");
	EXPECT("*1\rX", "B4:CR without LF in RESP");
	EXPECT("*1\r\n+PING\r\n", "B5:RESP argument not a bulk string");
	EXPECT("*1\r\n$-1\r\n", "B6:bad RESP bulk length");
	EXPECT("*1\r\n$04\r\nPING\r\n", "B7:bad RESP bulk length");
	EXPECT("*1\r\n$536870913\r\n", "B15:bad RESP bulk length");
	EXPECT("*1\r\n$4\r\nPINGxx",
	    "H12:R:PING:1 B13:RESP argument not followed by CRLF");
	EXPECT("*1\r\n$4\r\nPING\rx",
	    "H12:R:PING:1 B14:RESP argument not followed by CRLF");
	EXPECT("*1\r\n$4\r\nPI G\r\n", "B11:command name not plain");
	EXPECT("*1\r\n$0\r\n\r\n", "B8:command name not plain");
	/* The Kelvin sign, which Go lower-cases to 'k'. */
	EXPECT("*1\r\n$6\r\n\xe2\x84\xaa" "EYS\r\n",
	    "B9:command name not plain");
	EXPECT("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*0\r\n",
	    "H18:R:GET/K:2 E20:2 B23:bad RESP array length");
}
END_TEST

START_TEST(test_resp_limits)
{
	char	*got;

	EXPECT("*1048576\r\n$4\r\nPING\r\n$1\r\nk",
	    "H25:R:PING/K:1048576");
	got = feed_whole("*1\r\n$536870912\r\n", 16);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(test_long_name_sub)
{
	/* A long name: HEAD after its first 32 bytes, no sub read. */
	EXPECT("*2\r\n$40\r\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn\r\n"
	    "$1\r\nk\r\n",
	    "H41:R:ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF*:2 E58:2");
	EXPECT("*2\r\n$3\r\nGET\r\n$33\r\n"
	    "abcdefghijklmnopqrstuvwxyz0123456\r\n",
	    "H50:R:GET/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345*:2 E53:2");
	EXPECT("*2\r\n$3\r\nGET\r\n$32\r\n"
	    "abcdefghijklmnopqrstuvwxyz012345\r\n",
	    "H50:R:GET/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345:2 E52:2");
	EXPECT("*1\r\n$32\r\nabcdefghijklmnopqrstuvwxyz012345\r\n",
	    "H41:R:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345:1 E43:1");
	EXPECT("abcdefghijklmnopqrstuvwxyz0123456 k\r\n",
	    "H37:I:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345*:2 E37:2");
	EXPECT("GET abcdefghijklmnopqrstuvwxyz0123456\r\n",
	    "H39:I:GET/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345*:2 E39:2");
	EXPECT("GET abcdefghijklmnopqrstuvwxyz012345\r\n",
	    "H38:I:GET/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345:2 E38:2");
	/* Past 32 bytes a name is not checked: it is nobody's command. */
	EXPECT("abcdefghijklmnopqrstuvwxyz012345\"\r\n",
	    "H35:I:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345*:1 E35:1");
}
END_TEST

START_TEST(test_inline)
{
	EXPECT("PING\r\n", "H6:I:PING:1 E6:1");
	EXPECT("PING\n", "H5:I:PING:1 E5:1");
	EXPECT("set k v\r\n", "H9:I:SET/K:3 E9:3");
	EXPECT("  set \t k\t v  \r\n", "H16:I:SET/K:3 E16:3");
	EXPECT("\tPING\t\r\n", "H8:I:PING:1 E8:1");
	/* Blank lines are no command: they go with the next one. */
	EXPECT("\r\n\n   \r\n \n", "");
	EXPECT("\r\n\n  \r\nPING\r\n\r\n", "H13:I:PING:1 E13:1");
	/* A CR inside a line is a byte of a word. */
	EXPECT("GET a\rb\r\n", "H9:I:GET/A\rB:2 E9:2");
	EXPECT("GET a\r\r\n", "H8:I:GET/A\r:2 E8:2");
	EXPECT("PING\r\r\n", "B6:command name not plain");
	/* Quotes: the name must be plain, the sub is kept as written. */
	EXPECT("config \"get\" x\r\n", "H16:I:CONFIG/\"GET\":3 E16:3");
	EXPECT("\"FLUSHALL\"\r\n", "B1:command name not plain");
	EXPECT("FLUSH\"ALL\"\r\n", "B6:command name not plain");
	EXPECT("flush\\x41ll\r\n", "B6:command name not plain");
	EXPECT("\vFLUSHALL\r\n", "B1:command name not plain");
	EXPECT("FLUSHALL\v\r\n", "B9:command name not plain");
	EXPECT("GET a\0b\r\n", "B6:NUL in an inline command");
	EXPECT("\t\r\n", "B3:blank inline line with a tab");
	EXPECT("PING\r\n \t \n", "H6:I:PING:1 E6:1 "
	    "B10:blank inline line with a tab");
	EXPECT("GET k\r\nSET k v\nDEL k\r\n",
	    "H7:I:GET/K:2 E7:2 H15:I:SET/K:3 E15:3 H22:I:DEL/K:2 E22:2");
}
END_TEST

START_TEST(test_inline_long)
{
	char	*buf, *got, want[128];
	size_t	 n;

	/* 64 KiB of line is taken, one byte more is not. */
	n = CMD_INLINE_MAX + 2;
	buf = malloc(n + 1);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'v', n);
	memcpy(buf, "SET k ", 6);
	memcpy(buf + n - 2, "\r\n", 2);
	got = feed_whole(buf, n);
	snprintf(want, sizeof(want), "H%d:I:SET/K:3 E%zu:3", CMD_HEAD_MAX, n);
	ck_assert_str_eq(got, want);
	free(got);

	buf[n - 2] = 'v';
	buf[n - 1] = '\r';
	buf[n] = '\n';
	got = feed_whole(buf, n + 1);
	snprintf(want, sizeof(want), "H%d:I:SET/K:3 B%d:inline command "
	    "longer than 64 KiB", CMD_HEAD_MAX, CMD_INLINE_MAX + 1);
	ck_assert_str_eq(got, want);
	free(got);
	free(buf);
}
END_TEST

START_TEST(test_head_bound)
{
	char	*buf, *got, want[160];
	size_t	 n, i;

	/* A held HEAD comes at the bound with the words seen so far. */
	n = 5000;
	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', n);
	memcpy(buf, "SET k v y ", 10);
	memcpy(buf + n - 4, " z\r\n", 4);
	got = feed_all_ways(buf, n);
	snprintf(want, sizeof(want), "H%d:I:SET/K:5 E%zu:6", CMD_HEAD_MAX, n);
	ck_assert_str_eq(got, want);
	free(got);

	/* Blank lines count against it. */
	for (i = 0; i + 1 < n; i += 2)
		memcpy(buf + i, "\r\n", 2);
	got = feed_whole(buf, n);
	snprintf(want, sizeof(want), "B%d:no command head within 4096 bytes",
	    CMD_HEAD_MAX);
	ck_assert_str_eq(got, want);
	free(got);

	/* So does a name or first argument that does not come. */
	memset(buf, ' ', n);
	memcpy(buf, "SET", 3);
	got = feed_whole(buf, n);
	ck_assert_str_eq(got, want);
	free(got);

	/* A native command is held the same way. */
	n = snprintf(buf, n, "$4090 SET k ");
	memset(buf + n, 'v', 4090 - 6);
	memcpy(buf + n + 4090 - 6, "\r\n", 2);
	got = feed_whole(buf, n + 4090 - 6 + 2);
	snprintf(want, sizeof(want), "H%d:N:SET/K:3 E%zu:3", CMD_HEAD_MAX,
	    n + 4090 - 6 + 2);
	ck_assert_str_eq(got, want);
	free(got);
	free(buf);
}
END_TEST

START_TEST(test_native)
{
	EXPECT("$9 GET fleet\r\n", "H14:N:GET/FLEET:2 E14:2");
	EXPECT("$4 PING\r\n", "H9:N:PING:1 E9:1");
	EXPECT("$11 GET  fleet \r\n", "H17:N:GET/FLEET:2 E17:2");
	/* Tile38 takes a word from '{' to the end as one JSON value. */
	EXPECT("$45 SET fleet t1 OBJECT {\"type\": \"Point\",  \"x\":1}\r\n",
	    "H51:N:SET/FLEET:5 E51:5");
	EXPECT("$12 SET {\"a\": 1}\r\n", "H18:N:SET/{\"A\": 1}:2 E18:2");
	/* Words are split at spaces only. */
	EXPECT("$9 GET\tfleet\r\n", "B7:command name not plain");
	EXPECT("$3 {a}\r\n", "B4:command name not plain");
	/* A LF would start a second command in Redis's eyes. */
	EXPECT("$13 GET a\nFLUSHDB\r\n", "B10:LF or NUL in a native command");
	EXPECT("$5 GET \0\r\n", "B8:LF or NUL in a native command");
	EXPECT("$0 \r\n", "B5:native command without words");
	EXPECT("$3    \r\n", "B8:native command without words");
	EXPECT("$ PING\r\n", "B2:bad native length");
	EXPECT("$05 PING\r\n", "B3:bad native length");
	EXPECT("$4\r\nPING\r\n", "B3:bad native length");
	EXPECT("$5 PING\r\n", "B8:command name not plain");
	EXPECT("$3 PING\r\n", "B7:native command not followed by CRLF");
	EXPECT("$4 PING\r\r", "B9:native command not followed by CRLF");
	EXPECT("$536870913 ", "B11:bad native length");
	EXPECT("$4 PING\r\n*1\r\n$4\r\nPING\r\nPING\r\n",
	    "H9:N:PING:1 E9:1 H21:R:PING:1 E23:1 H29:I:PING:1 E29:1");
}
END_TEST

START_TEST(test_http)
{
	EXPECT("GET / HTTP/1.1\r\n", "H16:T:GET//:3 E16:3");
	EXPECT("POST /set+fleet HTTP/1.0\r\n", "H26:T:POST//SET+FLEET:3 E26:3");
	EXPECT("OPTIONS * HTTP/1.1\r\n", "H20:T:OPTIONS/*:3 E20:3");
	/* Tile38's test only: " HTTP/" and three bytes before the CRLF. */
	EXPECT("G HTTP/1.1\r\n", "H12:T:G/HTTP/1.1:2 E12:2");
	EXPECT("GET x HTTP/2\r\n", "H14:I:GET/X:3 E14:3");
	EXPECT("get / HTTP/1.1\r\n", "H16:I:GET//:3 E16:3");
	EXPECT("SET / HTTP/1.1\r\n", "H16:I:SET//:3 E16:3");
	EXPECT(" GET / HTTP/1.1\r\n", "H17:I:GET//:3 E17:3");
	/* Only a CRLF ends the line Tile38 tests. */
	EXPECT("GET / HTTP/1.1\n", "H15:I:GET//:3 E15:3");
	/* After the request line, nothing more is scanned. */
	EXPECT("GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "H16:T:GET//:3 E16:3 B17:input after an HTTP request line");
	/* A request line across a bare LF, as Tile38 would read it. */
	EXPECT("GET /flushdb+\nx HTTP/1.1\r\n",
	    "H14:I:GET//FLUSHDB+:2 E14:2 "
	    "B26:HTTP request line across a bare LF");
	EXPECT("PING\nGET / HTTP/1.1\r\n",
	    "H5:I:PING:1 E5:1 B21:HTTP request line across a bare LF");
	EXPECT("P HTTP/1.\n\r\n",
	    "H10:I:P/HTTP/1.:2 E10:2 B12:HTTP request line across a bare LF");
	/* Tile38 wants more than 11 bytes of line with its CRLF. */
	EXPECT("Px HTTP/\n\r\n", "H9:I:PX/HTTP/:2 E9:2");
	/* Not HTTP: the open line ends without it. */
	EXPECT("PING\nPING\r\nGET k\r\n",
	    "H5:I:PING:1 E5:1 H11:I:PING:1 E11:1 H18:I:GET/K:2 E18:2");
	/* A line that does not start with G, P or O opens nothing. */
	EXPECT("x\nGET / HTTP/1.1\r\n", "H2:I:X:1 E2:1 H18:T:GET//:3 E18:3");
	/* Tile38 would read RESP after it as part of the line. */
	EXPECT("GET /flushdb HTTP/\n*1\r\n$0\r\n\r\n",
	    "H19:I:GET//FLUSHDB:3 E19:3 B20:RESP or native after a bare-LF "
	    "line starting with G, P or O");
}
END_TEST

START_TEST(test_http_long)
{
	char	*buf, *got, want[160];
	size_t	 n = 5000;

	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'a', n);
	memcpy(buf, "GET /", 5);
	memcpy(buf + n - 11, " HTTP/1.1\r\n", 11);
	got = feed_whole(buf, n);
	snprintf(want, sizeof(want), "H%d:I:GET//%.31s*:2 B%zu:HTTP request "
	    "line too long", CMD_HEAD_MAX, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    n);
	ck_assert_str_eq(got, want);
	free(got);
	free(buf);
}
END_TEST

/*
 * A pipeline of 1000 commands of all framings fed in pieces of several
 * sizes: 1000 HEADs and ENDs, in order, with the right names.
 */
START_TEST(test_pipeline)
{
	static const size_t	 sizes[] = { 1, 3, 7, 64, 1000, 16384, 0 };
	struct tr		 in = { NULL, 0, 0 };
	struct cmd_scan		 s;
	size_t			 i, k, at, n, used, heads, ends;
	enum cmd_ev		 ev;
	char			 name[16];

	tr_add(&in, "%s", "");
	for (i = 0; i < 1000; i++) {
		switch (i % 4) {
		case 0:
			tr_add(&in, "*3\r\n$3\r\nSET\r\n$%zu\r\nk%zu\r\n"
			    "$%zu\r\n", 1 + (size_t)snprintf(NULL, 0, "%zu", i),
			    i, i);
			for (k = 0; k < i; k++)
				tr_add(&in, "%c", (char)(k & 0xff));
			tr_add(&in, "\r\n");
			break;
		case 1:
			tr_add(&in, "get k%zu\r\n\r\n", i);
			break;
		case 2:
			snprintf(name, sizeof(name), "del k%zu", i);
			tr_add(&in, "$%zu %s\r\n", strlen(name), name);
			break;
		case 3:
			tr_add(&in, "  PING\n");
			break;
		}
	}
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		cmd_scan_init(&s);
		heads = ends = 0;
		for (at = 0; at < in.len || s.owed; at += n) {
			n = sizes[k] == 0 || sizes[k] > in.len - at ?
			    in.len - at : sizes[k];
			for (size_t off = 0;;) {
				ev = cmd_scan(&s, in.s + at + off, n - off,
				    &used);
				off += used;
				ck_assert_int_ne(ev, CMD_BAD);
				if (ev == CMD_NEED)
					break;
				if (ev == CMD_END) {
					ck_assert_uint_eq(ends, heads - 1);
					ends++;
					continue;
				}
				ck_assert_uint_eq(heads, ends);
				switch (heads % 4) {
				case 0:
					ck_assert_str_eq(s.name, "SET");
					ck_assert_int_eq(s.proto, CMD_RESP);
					break;
				case 1:
					ck_assert_str_eq(s.name, "GET");
					ck_assert_int_eq(s.proto, CMD_INLINE);
					break;
				case 2:
					ck_assert_str_eq(s.name, "DEL");
					ck_assert_int_eq(s.proto, CMD_NATIVE);
					break;
				case 3:
					ck_assert_str_eq(s.name, "PING");
					break;
				}
				if (heads % 4 != 3) {
					snprintf(name, sizeof(name), "K%zu",
					    heads);
					ck_assert_str_eq(s.sub, name);
				}
				heads++;
			}
		}
		ck_assert_uint_eq(heads, 1000);
		ck_assert_uint_eq(ends, 1000);
	}
	free(in.s);
}
END_TEST

/*
 * A SET of 10 MB: HEAD as soon as the key is read, long before the value
 * is there; END after its last byte.
 */
START_TEST(test_large_bulk)
{
	static const char	 hdr[] =
	    "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$10485760\r\n";
	struct cmd_scan		 s;
	size_t			 total, at, n, used, head_at = 0, end_at = 0;
	char			*piece;
	enum cmd_ev		 ev;

	total = sizeof(hdr) - 1 + 10485760 + 2;
	piece = malloc(65536);
	ck_assert_ptr_nonnull(piece);
	cmd_scan_init(&s);
	for (at = 0; at < total; at += n) {
		n = total - at < 65536 ? total - at : 65536;
		for (size_t i = 0; i < n; i++) {
			size_t	pos = at + i;

			piece[i] = pos < sizeof(hdr) - 1 ? hdr[pos] :
			    pos >= total - 2 ? "\r\n"[pos - (total - 2)] : 'x';
		}
		for (size_t off = 0; off < n;) {
			ev = cmd_scan(&s, piece + off, n - off, &used);
			off += used;
			ck_assert_int_ne(ev, CMD_BAD);
			if (ev == CMD_HEAD)
				head_at = at + off;
			if (ev == CMD_END)
				end_at = at + off;
		}
	}
	ck_assert_uint_eq(head_at, 20);
	ck_assert_str_eq(s.name, "SET");
	ck_assert_str_eq(s.sub, "BIG");
	ck_assert_int_eq(s.nargs, 3);
	ck_assert_uint_eq(end_at, total);
	free(piece);
}
END_TEST

Suite *
cmd_scan_suite(void)
{
	Suite	*s = suite_create("cmd_scan");
	TCase	*tc = tcase_create("scan");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_resp);
	tcase_add_test(tc, test_resp_bad);
	tcase_add_test(tc, test_resp_limits);
	tcase_add_test(tc, test_long_name_sub);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_inline_long);
	tcase_add_test(tc, test_head_bound);
	tcase_add_test(tc, test_native);
	tcase_add_test(tc, test_http);
	tcase_add_test(tc, test_http_long);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_large_bulk);
	suite_add_tcase(s, tc);
	return s;
}
