/*
 * The RESP reply parser (src/elector/resp.c) on arbitrary input, taken
 * as a stream of replies as the elector reads them from its server.
 * For each reply parsed: its length is within the input, every shorter
 * prefix of it is incomplete (0), never an error, the same bytes alone
 * parse to the same tree, and the tree written back as RESP parses to
 * the same tree again, exactly as long as written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "resp.h"

const char	fuzz_target[] = "resp";

struct out {
	char	*buf;
	size_t	 len, cap;
};

static void
out_add(struct out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = realloc(o->buf, o->cap);
		FUZZ_CHECK(o->buf != NULL);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
out_fmt(struct out *o, char type, long long n)
{
	char	line[32];
	int	k;

	k = snprintf(line, sizeof(line), "%c%lld\r\n", type, n);
	out_add(o, line, (size_t)k);
}

/* The tree as RESP2: what a server would have sent for it. */
static void
encode(struct out *o, const struct resp *r)
{
	size_t	i;

	switch (r->type) {
	case RESP_SIMPLE:
	case RESP_ERROR:
		out_add(o, r->type == RESP_SIMPLE ? "+" : "-", 1);
		out_add(o, r->str, r->len);
		out_add(o, "\r\n", 2);
		break;
	case RESP_INTEGER:
		out_fmt(o, ':', r->integer);
		break;
	case RESP_BULK:
		out_fmt(o, '$', (long long)r->len);
		out_add(o, r->str, r->len);
		out_add(o, "\r\n", 2);
		break;
	case RESP_NIL:
		out_add(o, "$-1\r\n", 5);
		break;
	case RESP_ARRAY:
		out_fmt(o, '*', (long long)r->n);
		for (i = 0; i < r->n; i++)
			encode(o, &r->elems[i]);
		break;
	}
}

static int
same(const struct resp *a, const struct resp *b)
{
	size_t	i;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case RESP_SIMPLE:
	case RESP_ERROR:
	case RESP_BULK:
		FUZZ_CHECK(a->str != NULL && b->str != NULL);
		FUZZ_CHECK(a->str[a->len] == '\0' && b->str[b->len] == '\0');
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	case RESP_INTEGER:
		return a->integer == b->integer;
	case RESP_NIL:
		return 1;
	case RESP_ARRAY:
		if (a->n != b->n)
			return 0;
		FUZZ_CHECK(a->n == 0 || (a->elems != NULL && b->elems != NULL));
		for (i = 0; i < a->n; i++)
			if (!same(&a->elems[i], &b->elems[i]))
				return 0;
		return 1;
	}
	return 0;
}

/* A heap copy of exactly len bytes, so that a read past it is caught. */
static ssize_t
parse_copy(const char *p, size_t len, struct resp *r, char *err,
    size_t errlen)
{
	char	*copy;
	ssize_t	 n;

	copy = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, p, len);
	n = resp_parse(copy, len, r, err, errlen);
	free(copy);
	return n;
}

static void
one_reply(const char *p, size_t n, const struct resp *r, uint64_t *rng)
{
	struct resp	 again;
	struct out	 o = { NULL, 0, 0 };
	const struct resp *v;
	char		 err[128], info[64];
	size_t		 k;
	int		 i;

	/* Shorter prefixes: the last byte short, and a few others. */
	FUZZ_CHECK(parse_copy(p, n - 1, &again, err, sizeof(err)) == 0);
	for (i = 0; i < 3; i++) {
		k = fuzz_rng(rng) % n;
		FUZZ_CHECK(parse_copy(p, k, &again, err, sizeof(err)) == 0);
	}
	FUZZ_CHECK(parse_copy(p, n, &again, err, sizeof(err)) == (ssize_t)n);
	FUZZ_CHECK(same(r, &again));
	resp_clear(&again);

	encode(&o, r);
	FUZZ_CHECK(parse_copy(o.buf, o.len, &again, err, sizeof(err)) ==
	    (ssize_t)o.len);
	FUZZ_CHECK(same(r, &again));
	resp_clear(&again);
	free(o.buf);

	/* The lookups the elector makes on what it parsed. */
	v = resp_map_get(r, "role");
	FUZZ_CHECK(v == NULL || (r->type == RESP_ARRAY && v > r->elems &&
	    v < r->elems + r->n));
	if (r->type == RESP_BULK && resp_info_get(r->str, "role", info,
	    sizeof(info)) == 0)
		FUZZ_CHECK(strlen(info) < sizeof(info));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	struct resp	 r;
	char		 err[128];
	size_t		 at = 0;
	ssize_t		 n;
	uint64_t	 rng = fuzz_seed(data, size);

	while (at < size) {
		err[0] = 'x';
		n = resp_parse(p + at, size - at, &r, err, sizeof(err));
		FUZZ_CHECK(n >= -1 && n <= (ssize_t)(size - at));
		if (n == -1) {
			FUZZ_CHECK(err[0] != '\0' && err[0] != 'x');
			FUZZ_CHECK(strlen(err) < sizeof(err));
			break;
		}
		if (n == 0)
			break;
		one_reply(p + at, (size_t)n, &r, &rng);
		resp_clear(&r);
		at += (size_t)n;
	}
	return 0;
}
