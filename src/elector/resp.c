/*
 * RESP replies and commands.
 *
 * resp_parse() works in two passes over the same bytes: the first only
 * checks that a whole, well-formed reply within the limits is present
 * and how long it is; the second builds the tree.  Incomplete input thus
 * costs no allocation, and the building pass cannot meet bad input, so
 * its only failure is memory.  Nothing reads past len: every byte is
 * looked at only after a bounds check.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/*
 * A length or integer line ("$123\r\n") is short; one longer than this
 * without its CRLF is garbage, not a line still arriving.  20 digits and
 * a sign fit a long long.
 */
#define RESP_MAX_NUMLINE	24

struct resp_ctx {
	const char	*buf;
	size_t		 len;
	char		*err;
	size_t		 errlen;
};

static ssize_t	resp_one(struct resp_ctx *, size_t, int, struct resp *);

static void
resp_err(struct resp_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
resp_err(struct resp_ctx *c, const char *fmt, ...)
{
	va_list	ap;

	if (c->err == NULL || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/*
 * Find the CRLF ending the line that starts at pos.  Returns 1 with *end
 * at the CR, 0 when the line is not complete yet, -1 on a CR not followed
 * by LF, a bare LF, or a line longer than max.
 */
static int
resp_line(struct resp_ctx *c, size_t pos, size_t max, size_t *end)
{
	size_t	i;

	for (i = pos; i < c->len; i++) {
		if (i - pos > max) {
			resp_err(c, "line too long");
			return -1;
		}
		if (c->buf[i] == '\n') {
			resp_err(c, "LF without CR");
			return -1;
		}
		if (c->buf[i] != '\r')
			continue;
		if (i + 1 >= c->len)
			return 0;
		if (c->buf[i + 1] != '\n') {
			resp_err(c, "CR without LF");
			return -1;
		}
		*end = i;
		return 1;
	}
	if (c->len - pos > max) {
		resp_err(c, "line too long");
		return -1;
	}
	return 0;
}

/* A decimal long long: optional '-', at least one digit, nothing else. */
static int
resp_number(struct resp_ctx *c, size_t pos, size_t end, long long *out)
{
	unsigned long long	v = 0, lim;
	int			neg = 0, d;
	size_t			i = pos;

	if (i < end && c->buf[i] == '-') {
		neg = 1;
		i++;
	}
	if (i == end) {
		resp_err(c, "empty number");
		return -1;
	}
	/* The magnitude of LLONG_MIN is one more than LLONG_MAX. */
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; i < end; i++) {
		if (c->buf[i] < '0' || c->buf[i] > '9') {
			resp_err(c, "bad digit in number");
			return -1;
		}
		d = c->buf[i] - '0';
		if (v > (lim - (unsigned long long)d) / 10) {
			resp_err(c, "number out of range");
			return -1;
		}
		v = v * 10 + (unsigned long long)d;
	}
	if (neg)
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN :
		    -(long long)v;
	else
		*out = (long long)v;
	return 0;
}

static char *
resp_strdup(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * One reply at pos, depth arrays deep.  With r NULL only checks; with r
 * fills it (the input was checked before).  Returns the bytes taken, 0
 * when incomplete, -1 on bad input or no memory.
 */
static ssize_t
resp_one(struct resp_ctx *c, size_t pos, int depth, struct resp *r)
{
	long long	 n;
	size_t		 end, at, i;
	ssize_t		 k;
	char		 type;
	int		 rv;

	if (pos >= c->len)
		return 0;
	type = c->buf[pos];
	switch (type) {
	case '+':
	case '-':
		rv = resp_line(c, pos + 1, RESP_MAX_BULK, &end);
		if (rv <= 0)
			return rv;
		if (r != NULL) {
			r->type = type == '+' ? RESP_SIMPLE : RESP_ERROR;
			r->len = end - pos - 1;
			if ((r->str = resp_strdup(c->buf + pos + 1, r->len)) ==
			    NULL)
				goto nomem;
		}
		return (ssize_t)(end + 2 - pos);
	case ':':
		rv = resp_line(c, pos + 1, RESP_MAX_NUMLINE, &end);
		if (rv <= 0)
			return rv;
		if (resp_number(c, pos + 1, end, &n) == -1)
			return -1;
		if (r != NULL) {
			r->type = RESP_INTEGER;
			r->integer = n;
		}
		return (ssize_t)(end + 2 - pos);
	case '$':
		rv = resp_line(c, pos + 1, RESP_MAX_NUMLINE, &end);
		if (rv <= 0)
			return rv;
		if (resp_number(c, pos + 1, end, &n) == -1)
			return -1;
		if (n == -1) {
			if (r != NULL)
				r->type = RESP_NIL;
			return (ssize_t)(end + 2 - pos);
		}
		if (n < 0) {
			resp_err(c, "negative bulk length %lld", n);
			return -1;
		}
		if (n > RESP_MAX_BULK) {
			resp_err(c, "bulk of %lld bytes exceeds the limit", n);
			return -1;
		}
		at = end + 2;
		/* The data and its CRLF must be here before we look at it. */
		if (c->len - at < (size_t)n + 2)
			return 0;
		if (c->buf[at + n] != '\r' || c->buf[at + n + 1] != '\n') {
			resp_err(c, "bulk not followed by CRLF");
			return -1;
		}
		if (r != NULL) {
			r->type = RESP_BULK;
			r->len = (size_t)n;
			if ((r->str = resp_strdup(c->buf + at, r->len)) == NULL)
				goto nomem;
		}
		return (ssize_t)(at + (size_t)n + 2 - pos);
	case '*':
		rv = resp_line(c, pos + 1, RESP_MAX_NUMLINE, &end);
		if (rv <= 0)
			return rv;
		if (resp_number(c, pos + 1, end, &n) == -1)
			return -1;
		if (n == -1) {
			if (r != NULL)
				r->type = RESP_NIL;
			return (ssize_t)(end + 2 - pos);
		}
		if (n < 0) {
			resp_err(c, "negative array length %lld", n);
			return -1;
		}
		if (n > RESP_MAX_ELEMS) {
			resp_err(c, "array of %lld elements exceeds the limit",
			    n);
			return -1;
		}
		if (depth >= RESP_MAX_DEPTH) {
			resp_err(c, "arrays nested deeper than %d",
			    RESP_MAX_DEPTH);
			return -1;
		}
		if (r != NULL) {
			r->type = RESP_ARRAY;
			if (n > 0 && (r->elems = calloc((size_t)n,
			    sizeof(*r->elems))) == NULL)
				goto nomem;
			/*
			 * All counted at once: resp_clear() then frees what a
			 * failure half-way leaves, and the rest is zeroed.
			 */
			r->n = (size_t)n;
		}
		at = end + 2;
		for (i = 0; i < (size_t)n; i++) {
			k = resp_one(c, at, depth + 1,
			    r != NULL ? &r->elems[i] : NULL);
			if (k <= 0)
				return k;
			at += (size_t)k;
		}
		return (ssize_t)(at - pos);
	default:
		resp_err(c, "unexpected type byte 0x%02x",
		    (unsigned char)type);
		return -1;
	}

 nomem:
	resp_err(c, "out of memory");
	return -1;
}

ssize_t
resp_parse(const char *buf, size_t len, struct resp *r, char *err,
    size_t errlen)
{
	struct resp_ctx	c;
	ssize_t		n;

	memset(r, 0, sizeof(*r));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	c.buf = buf;
	c.len = len;
	c.err = err;
	c.errlen = errlen;
	if ((n = resp_one(&c, 0, 0, NULL)) <= 0)
		return n;
	if (resp_one(&c, 0, 0, r) != n) {
		resp_clear(r);
		return -1;
	}
	return n;
}

void
resp_clear(struct resp *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		resp_clear(&r->elems[i]);
	free(r->elems);
	free(r->str);
	memset(r, 0, sizeof(*r));
}

/* Decimal digits of v. */
static size_t
resp_digits(size_t v)
{
	size_t	d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

int
resp_encode(char **buf, size_t *len, size_t *cap, int argc,
    const char *const *argv)
{
	size_t	 need, alen, ncap;
	char	*nb, *p;
	int	 i, w;

	if (argc < 0 || (argc > 0 && argv == NULL)) {
		errno = EINVAL;
		return -1;
	}
	/* "*N\r\n", then "$L\r\n" arg "\r\n" per argument. */
	need = 1 + resp_digits((size_t)argc) + 2;
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			errno = EINVAL;
			return -1;
		}
		alen = strlen(argv[i]);
		if (alen > SIZE_MAX / 2 - need - 32) {
			errno = EOVERFLOW;
			return -1;
		}
		need += 1 + resp_digits(alen) + 2 + alen + 2;
	}
	/* One more byte for the NUL that snprintf writes. */
	if (*len > SIZE_MAX / 2 - need - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	if (*len + need + 1 > *cap) {
		ncap = *cap > 0 ? *cap : 64;
		while (ncap < *len + need + 1)
			ncap *= 2;
		if ((nb = realloc(*buf, ncap)) == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	p = *buf + *len;
	w = snprintf(p, (size_t)(*buf + *cap - p), "*%d\r\n", argc);
	p += w;
	for (i = 0; i < argc; i++) {
		alen = strlen(argv[i]);
		w = snprintf(p, (size_t)(*buf + *cap - p), "$%zu\r\n", alen);
		p += w;
		memcpy(p, argv[i], alen);
		p += alen;
		*p++ = '\r';
		*p++ = '\n';
	}
	*len = (size_t)(p - *buf);
	return 0;
}

const struct resp *
resp_map_get(const struct resp *r, const char *key)
{
	const struct resp	*k;
	size_t			 i, klen;

	if (r == NULL || key == NULL || r->type != RESP_ARRAY)
		return NULL;
	klen = strlen(key);
	for (i = 0; i + 1 < r->n; i += 2) {
		k = &r->elems[i];
		if (k->type != RESP_BULK && k->type != RESP_SIMPLE)
			continue;
		if (k->len == klen && memcmp(k->str, key, klen) == 0)
			return &r->elems[i + 1];
	}
	return NULL;
}

int
resp_info_get(const char *info, const char *key, char *out, size_t outlen)
{
	const char	*line, *nl, *end;
	size_t		 klen, vlen;

	if (info == NULL || key == NULL || out == NULL || outlen == 0)
		return -1;
	klen = strlen(key);
	for (line = info; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		end = nl != NULL ? nl : line + strlen(line);
		/* Redis ends lines with CRLF; a bare LF is tolerated. */
		if (end > line && end[-1] == '\r')
			end--;
		if (line[0] != '#' && (size_t)(end - line) > klen &&
		    line[klen] == ':' && memcmp(line, key, klen) == 0) {
			vlen = (size_t)(end - line) - klen - 1;
			/* Cut like strlcpy: the caller sizes out. */
			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, line + klen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		if (nl == NULL)
			break;
	}
	return -1;
}
