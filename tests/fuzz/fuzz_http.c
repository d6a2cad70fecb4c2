/*
 * The admin listener's HTTP request parser (src/admin/http_req.c) on
 * arbitrary input, as the bytes read so far from a client.  A complete
 * head is within the input, GET or HEAD with an origin-form target, and
 * its fields are NUL-terminated within their arrays; the parser keeps no
 * state, so any shorter prefix of a complete head is incomplete (0), a
 * longer one gives the same head, and a refusal stands whatever follows.
 * The query lookups the listener makes stay within their buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http_req.h"

const char	fuzz_target[] = "http";

static int
parse_copy(const uint8_t *data, size_t len, struct http_req *req,
    int *status)
{
	char	*copy;
	int	 n;

	copy = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, len);
	n = http_req_parse(copy, len, req, status);
	free(copy);
	return n;
}

static void
check_req(const struct http_req *req)
{
	FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) != NULL);
	FUZZ_CHECK(memchr(req->path, '\0', sizeof(req->path)) != NULL);
	FUZZ_CHECK(memchr(req->query, '\0', sizeof(req->query)) != NULL);
	FUZZ_CHECK(strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0);
	FUZZ_CHECK(req->path[0] == '/');
	FUZZ_CHECK(strpbrk(req->path, "? #\r\n") == NULL);
	FUZZ_CHECK(strpbrk(req->query, " #\r\n") == NULL);
	FUZZ_CHECK(req->version_minor >= 0 && req->version_minor <= 9);
}

static void
check_query(const char *query)
{
	static const char *const keys[] = { "lag", "a", "b", "", "x=y" };
	char	out[32];
	size_t	i;
	int	rv;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(out, 'z', sizeof(out));
		rv = http_query_get(query, keys[i], out, sizeof(out));
		FUZZ_CHECK(rv >= -1 && rv <= 1);
		if (rv == 1) {
			FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
			FUZZ_CHECK(strchr(out, '&') == NULL);
		}
		if (keys[i][0] == '\0')
			FUZZ_CHECK(rv == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req	 req, other;
	uint64_t	 rng = fuzz_seed(data, size);
	size_t		 k;
	int		 n, m, status, st, i;

	n = http_req_parse((const char *)data, size, &req, &status);
	FUZZ_CHECK(n >= -1 && (size_t)(n > 0 ? n : 0) <= size);
	FUZZ_CHECK(n <= HTTP_REQ_MAX);
	if (n == -1)
		FUZZ_CHECK(status == 400 || status == 405 || status == 414 ||
		    status == 431);
	else
		FUZZ_CHECK(status == 0);
	if (n > 0) {
		check_req(&req);
		check_query(req.query);
		FUZZ_CHECK(data[n - 1] == '\n');
		FUZZ_CHECK(parse_copy(data, (size_t)n - 1, &other, &st) == 0);
		FUZZ_CHECK(parse_copy(data, (size_t)n, &other, &st) == n);
		FUZZ_CHECK(memcmp(&req, &other, sizeof(req)) == 0);
	}
	/* Prefixes: the same verdict as a whole would give, or "more". */
	for (i = 0; i < 4 && size > 0; i++) {
		k = fuzz_rng(&rng) % size;
		m = parse_copy(data, k, &other, &st);
		if (n > 0 && k >= (size_t)n) {
			FUZZ_CHECK(m == n);
			FUZZ_CHECK(memcmp(&req, &other, sizeof(req)) == 0);
		} else if (n > 0)
			FUZZ_CHECK(m == 0);
		if (m == -1)
			FUZZ_CHECK(n == -1 && st == status);
	}
	return 0;
}
