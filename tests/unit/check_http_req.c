/*
 * The admin listener's HTTP request parser, query lookup and response
 * heads: every status, partial input, both line endings.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "admin/http_req.h"
#include "suites.h"

/* Parses a NUL-terminated request. */
static int
parse(const char *s, struct http_req *req, int *status)
{
	*status = -1;
	return http_req_parse(s, strlen(s), req, status);
}

/* The status of a request that must be refused. */
static int
refused(const char *s, size_t len)
{
	struct http_req	req;
	int		status = 0;

	ck_assert_int_eq(http_req_parse(s, len, &req, &status), -1);
	return status;
}

#define REFUSED(s)	refused((s), sizeof(s) - 1)

START_TEST(test_http_get_crlf)
{
	const char	*s = "GET /metrics HTTP/1.1\r\n"
	    "Host: localhost:9000\r\n"
	    "User-Agent: Prometheus/2.45\r\n"
	    "Accept: */*\r\n\r\n";
	struct http_req	 req;
	int		 status;

	ck_assert_int_eq(parse(s, &req, &status), (int)strlen(s));
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.path, "/metrics");
	ck_assert_str_eq(req.query, "");
	ck_assert_int_eq(req.version_minor, 1);
}
END_TEST

START_TEST(test_http_head_lf)
{
	const char	*s = "HEAD /health?verbose=1&x HTTP/1.0\n"
	    "X-Empty:\nX-Tab:\tvalue\twith tabs\n\n";
	struct http_req	 req;
	int		 status;

	ck_assert_int_eq(parse(s, &req, &status), (int)strlen(s));
	ck_assert_str_eq(req.method, "HEAD");
	ck_assert_str_eq(req.path, "/health");
	ck_assert_str_eq(req.query, "verbose=1&x");
	ck_assert_int_eq(req.version_minor, 0);

	/* No header at all; and a mixture of line endings. */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\n\r\n", &req, &status), 18);
	ck_assert_str_eq(req.path, "/");
	ck_assert_int_eq(parse("GET /?a=1 HTTP/1.1\nA: b\r\n\n", &req,
	    &status), 26);
	ck_assert_str_eq(req.query, "a=1");
}
END_TEST

/* Bytes after the head (a pipelined request) are not part of it. */
START_TEST(test_http_trailing_bytes)
{
	const char	*s = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	struct http_req	 req;
	int		 status;

	ck_assert_int_eq(parse(s, &req, &status), 19);
	ck_assert_str_eq(req.path, "/a");
}
END_TEST

/* Every proper prefix of a valid request needs more; the whole is done. */
START_TEST(test_http_every_prefix)
{
	static const char *const reqs[] = {
		"GET /status?format=json HTTP/1.1\r\nHost: x\r\n"
		    "Accept: application/json\r\n\r\n",
		"HEAD /metrics HTTP/1.0\nHost: x\nA: \t b\n\n",
		"GET / HTTP/1.1\r\n\r\n",
	};
	struct http_req	 req;
	size_t		 i, len, n;
	int		 status;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		len = strlen(reqs[i]);
		for (n = 0; n < len; n++) {
			status = 0;
			ck_assert_msg(http_req_parse(reqs[i], n, &req,
			    &status) == 0, "request %zu prefix %zu", i, n);
			ck_assert_int_eq(status, 0);
		}
		ck_assert_int_eq(http_req_parse(reqs[i], len, &req, &status),
		    (int)len);
	}
}
END_TEST

START_TEST(test_http_400)
{
	static const char *const bad[] = {
		"GET  / HTTP/1.1\r\n\r\n",		/* two spaces */
		"GET / HTTP/1.1 \r\n\r\n",		/* trailing space */
		"GET /\r\n\r\n",			/* HTTP/0.9 */
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.10\r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		"GET / HTTP/1.x\r\n\r\n",
		"GET\t/ HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",	/* not from '/' */
		"GET * HTTP/1.1\r\n\r\n",
		"GET http://host/ HTTP/1.1\r\n\r\n",
		"GET /a#frag HTTP/1.1\r\n\r\n",
		"GET /\xc3\xa9 HTTP/1.1\r\n\r\n",	/* non-ASCII target */
		"GET /a\x7f HTTP/1.1\r\n\r\n",
		"GET /a\rb HTTP/1.1\r\n\r\n",		/* bare CR */
		"G(T / HTTP/1.1\r\n\r\n",		/* not a token */
		"\r\nGET / HTTP/1.1\r\n\r\n",	/* empty line first */
		"GET / HTTP/1.1\r\r\n\r\n",
		"GET / HTTP/1.1\r\nHost\r\n\r\n",	/* no colon */
		"GET / HTTP/1.1\r\nHost : x\r\n\r\n",	/* SP before : */
		"GET / HTTP/1.1\r\n: x\r\n\r\n",	/* empty name */
		"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",	/* obs-fold */
		"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nA\"b: c\r\n\r\n",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(refused(bad[i], strlen(bad[i])) == 400,
		    "case %zu", i);
}
END_TEST

/* NUL and control bytes are refused as soon as they arrive. */
START_TEST(test_http_400_early)
{
	ck_assert_int_eq(REFUSED("GET /a\0b HTTP/1.1\r\n\r\n"), 400);
	ck_assert_int_eq(REFUSED("GET /a\0"), 400);
	ck_assert_int_eq(REFUSED("\x16\x03\x01\x02\x00"), 400); /* TLS */
	ck_assert_int_eq(REFUSED("GET / HTTP/1.1\r\nA: \x1b"), 400);
	ck_assert_int_eq(REFUSED("GET / HTTP/1.1\r\nA: b\r\r"), 400);
	ck_assert_int_eq(REFUSED("\n"), 400);
	ck_assert_int_eq(REFUSED("GET / HTTP/1.1\r\nA: b\r\nC\r\n"), 400);
}
END_TEST

START_TEST(test_http_405)
{
	ck_assert_int_eq(REFUSED("POST /metrics HTTP/1.1\r\n\r\n"), 405);
	ck_assert_int_eq(REFUSED("PUT / HTTP/1.1\r\n"), 405);
	ck_assert_int_eq(REFUSED("OPTIONS / HTTP/1.1\r\n\r\n"), 405);
	ck_assert_int_eq(REFUSED("PROPFIND / HTTP/1.1\r\n\r\n"), 405);
	ck_assert_int_eq(REFUSED("get / HTTP/1.1\r\n\r\n"), 405);
	ck_assert_int_eq(REFUSED("GETS / HTTP/1.1\r\n\r\n"), 405);
}
END_TEST

START_TEST(test_http_414)
{
	char		 s[1024], *p;
	struct http_req	 req;
	int		 status;

	/* The longest path that fits, then one byte more. */
	p = s + strlcpy(s, "GET /", sizeof(s));
	memset(p, 'a', sizeof(req.path) - 2);
	strlcpy(p + sizeof(req.path) - 2, " HTTP/1.1\r\n\r\n", 32);
	ck_assert_int_eq(parse(s, &req, &status), (int)strlen(s));
	ck_assert_uint_eq(strlen(req.path), sizeof(req.path) - 1);
	memset(p, 'a', sizeof(req.path) - 1);
	strlcpy(p + sizeof(req.path) - 1, " HTTP/1.1\r\n\r\n", 32);
	ck_assert_int_eq(refused(s, strlen(s)), 414);

	/* The same for the query. */
	p = s + strlcpy(s, "GET /q?", sizeof(s));
	memset(p, 'b', sizeof(req.query) - 1);
	strlcpy(p + sizeof(req.query) - 1, " HTTP/1.1\r\n\r\n", 32);
	ck_assert_int_eq(parse(s, &req, &status), (int)strlen(s));
	ck_assert_uint_eq(strlen(req.query), sizeof(req.query) - 1);
	memset(p, 'b', sizeof(req.query));
	strlcpy(p + sizeof(req.query), " HTTP/1.1\r\n\r\n", 32);
	ck_assert_int_eq(refused(s, strlen(s)), 414);
}
END_TEST

/*
 * A complete head of exactly n bytes (n >= 23): the request line, "X: xx"
 * filler headers of 100 bytes and a last one of what remains, the empty
 * line.
 */
static char *
head_of(size_t n)
{
	char	*s;
	size_t	 off, rest, line;

	ck_assert_uint_ge(n, 23);
	ck_assert_ptr_nonnull(s = malloc(n + 1));
	off = strlcpy(s, "GET / HTTP/1.1\r\n", n + 1);
	for (rest = n - off - 2; rest > 0; rest -= line) {
		line = rest >= 200 ? 100 : rest;
		memcpy(s + off, "X: ", 3);
		memset(s + off + 3, 'x', line - 5);
		memcpy(s + off + line - 2, "\r\n", 2);
		off += line;
	}
	memcpy(s + off, "\r\n", 2);
	s[n] = '\0';
	return s;
}

START_TEST(test_http_431)
{
	struct http_req	 req;
	char		*s;
	int		 status;

	/* Exactly HTTP_REQ_MAX is fine, one more is not. */
	s = head_of(HTTP_REQ_MAX);
	ck_assert_uint_eq(strlen(s), HTTP_REQ_MAX);
	ck_assert_int_eq(parse(s, &req, &status), HTTP_REQ_MAX);
	free(s);
	s = head_of(HTTP_REQ_MAX + 1);
	ck_assert_uint_eq(strlen(s), HTTP_REQ_MAX + 1);
	ck_assert_int_eq(refused(s, HTTP_REQ_MAX + 1), 431);
	/* Not yet complete: waits below HTTP_REQ_MAX, refuses at it. */
	ck_assert_int_eq(http_req_parse(s, HTTP_REQ_MAX - 1, &req, &status),
	    0);
	ck_assert_int_eq(refused(s, HTTP_REQ_MAX), 431);
	free(s);

	/* One endless header line. */
	ck_assert_ptr_nonnull(s = malloc(2 * HTTP_REQ_MAX));
	memcpy(s, "GET / HTTP/1.1\r\nA: ", 19);
	memset(s + 19, 'a', 2 * HTTP_REQ_MAX - 19);
	ck_assert_int_eq(http_req_parse(s, HTTP_REQ_MAX - 1, &req, &status),
	    0);
	ck_assert_int_eq(refused(s, 2 * HTTP_REQ_MAX), 431);
	free(s);
}
END_TEST

START_TEST(test_http_query_get)
{
	char	out[8];

	ck_assert_int_eq(http_query_get("format=json&x=1", "format", out,
	    sizeof(out)), 1);
	ck_assert_str_eq(out, "json");
	ck_assert_int_eq(http_query_get("format=json&x=1", "x", out,
	    sizeof(out)), 1);
	ck_assert_str_eq(out, "1");
	ck_assert_int_eq(http_query_get("format=json&x=1", "y", out,
	    sizeof(out)), 0);
	/* Whole names only. */
	ck_assert_int_eq(http_query_get("formats=1&form=2", "format", out,
	    sizeof(out)), 0);
	ck_assert_int_eq(http_query_get("ab=1&a=2", "a", out, sizeof(out)),
	    1);
	ck_assert_str_eq(out, "2");
	/* Empty values, with or without '='; the first one wins. */
	ck_assert_int_eq(http_query_get("a=&b", "a", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(http_query_get("a=&b", "b", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(http_query_get("a=1&a=2", "a", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "1");
	ck_assert_int_eq(http_query_get("a=b=c", "a", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "b=c");
	/* Not decoded. */
	ck_assert_int_eq(http_query_get("a=%20", "a", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "%20");
	/* Too long: 8 bytes do not fit in 8 with the NUL, 7 do. */
	ck_assert_int_eq(http_query_get("v=12345678", "v", out, sizeof(out)),
	    -1);
	ck_assert_int_eq(http_query_get("v=1234567", "v", out, sizeof(out)),
	    1);
	ck_assert_str_eq(out, "1234567");
	ck_assert_int_eq(http_query_get("", "a", out, sizeof(out)), 0);
	ck_assert_int_eq(http_query_get("&&", "a", out, sizeof(out)), 0);
	ck_assert_int_eq(http_query_get("a=1", "", out, sizeof(out)), 0);
}
END_TEST

START_TEST(test_http_head_statuses)
{
	static const struct {
		int		 status;
		const char	*line;
	} st[] = {
		{ 200, "HTTP/1.1 200 OK\r\n" },
		{ 400, "HTTP/1.1 400 Bad Request\r\n" },
		{ 404, "HTTP/1.1 404 Not Found\r\n" },
		{ 405, "HTTP/1.1 405 Method Not Allowed\r\n" },
		{ 408, "HTTP/1.1 408 Request Timeout\r\n" },
		{ 414, "HTTP/1.1 414 URI Too Long\r\n" },
		{ 431, "HTTP/1.1 431 Request Header Fields Too Large\r\n" },
		{ 500, "HTTP/1.1 500 Internal Server Error\r\n" },
		{ 503, "HTTP/1.1 503 Service Unavailable\r\n" },
	};
	char	buf[HTTP_HEAD_MAX];
	size_t	i;
	int	n;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		n = http_head(buf, sizeof(buf), st[i].status, "text/plain", 5);
		ck_assert_int_eq(n, (int)strlen(buf));
		ck_assert_msg(strncmp(buf, st[i].line, strlen(st[i].line)) == 0,
		    "status %d: %s", st[i].status, buf);
		ck_assert_ptr_nonnull(strstr(buf, "\r\nContent-Length: 5\r\n"));
		ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n"));
		ck_assert_int_eq(strcmp(buf + n - 4, "\r\n\r\n"), 0);
		ck_assert_ptr_eq(strstr(buf, "\r\n\r\n"), buf + n - 4);
		ck_assert_int_eq(strstr(buf, "\r\nAllow: GET, HEAD\r\n") !=
		    NULL, st[i].status == 405);
	}
	ck_assert_int_eq(http_head(buf, sizeof(buf), 299, "text/plain", 0),
	    -1);
}
END_TEST

START_TEST(test_http_head_format)
{
	const char	*expect = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
	    "Content-Length: 12345\r\n"
	    "Connection: close\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n";
	char		 buf[HTTP_HEAD_MAX];
	int		 n;

	n = http_head(buf, sizeof(buf), 200,
	    "text/plain; version=0.0.4; charset=utf-8", 12345);
	ck_assert_str_eq(buf, expect);
	ck_assert_int_eq(n, (int)strlen(expect));
	/* Exactly big enough, and one byte short. */
	ck_assert_int_eq(http_head(buf, (size_t)n + 1, 200,
	    "text/plain; version=0.0.4; charset=utf-8", 12345), n);
	ck_assert_int_eq(http_head(buf, (size_t)n, 200,
	    "text/plain; version=0.0.4; charset=utf-8", 12345), -1);
	/* No Content-Type; no header smuggled through one. */
	n = http_head(buf, sizeof(buf), 404, NULL, 0);
	ck_assert_str_eq(buf, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n"
	    "Cache-Control: no-store\r\n\r\n");
	ck_assert_int_eq(http_head(buf, sizeof(buf), 200,
	    "text/plain\r\nSet-Cookie: a=b", 0), -1);
}
END_TEST

Suite *
http_req_suite(void)
{
	Suite	*s = suite_create("http_req");
	TCase	*tc = tcase_create("parse");
	TCase	*tc2 = tcase_create("reply");

	tcase_add_test(tc, test_http_get_crlf);
	tcase_add_test(tc, test_http_head_lf);
	tcase_add_test(tc, test_http_trailing_bytes);
	tcase_add_test(tc, test_http_every_prefix);
	tcase_add_test(tc, test_http_400);
	tcase_add_test(tc, test_http_400_early);
	tcase_add_test(tc, test_http_405);
	tcase_add_test(tc, test_http_414);
	tcase_add_test(tc, test_http_431);
	suite_add_tcase(s, tc);
	tcase_add_test(tc2, test_http_query_get);
	tcase_add_test(tc2, test_http_head_statuses);
	tcase_add_test(tc2, test_http_head_format);
	suite_add_tcase(s, tc2);
	return s;
}
