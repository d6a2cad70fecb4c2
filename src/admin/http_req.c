/*
 * A strict HTTP/1.x request head parser for the admin listener, which
 * serves a few read-only pages: GET and HEAD, an origin-form target,
 * headers checked for syntax and otherwise ignored (there is no body to
 * frame).  Anything unusual is refused rather than interpreted.  The
 * parser keeps no state: the caller hands it everything read so far.
 */
#include <stdio.h>
#include <string.h>

#include "http_req.h"

/* RFC 9110 tchar: the characters of a method or a header name. */
static int
http_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
http_token(const char *s, size_t n)
{
	size_t	i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!http_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A target byte: printable ASCII without space, and no fragment. */
static int
http_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

/*
 * "<method> <target> HTTP/1.<digit>" with single spaces.  Syntax comes
 * first (400), then the method (405), then the lengths (414).
 */
static int
http_req_line(const char *line, size_t n, struct http_req *req, int *status)
{
	const char	*sp, *target, *version, *q;
	size_t		 mlen, tlen, plen, qlen, i;

	*status = 400;
	if ((sp = memchr(line, ' ', n)) == NULL)
		return -1;
	mlen = sp - line;
	target = sp + 1;
	if ((sp = memchr(target, ' ', n - (target - line))) == NULL)
		return -1;
	tlen = sp - target;
	version = sp + 1;
	if (!http_token(line, mlen) || n - (version - line) != 8 ||
	    memcmp(version, "HTTP/1.", 7) != 0 ||
	    version[7] < '0' || version[7] > '9')
		return -1;
	if (tlen == 0 || target[0] != '/')
		return -1;
	for (i = 0; i < tlen; i++)
		if (!http_target_char((unsigned char)target[i]))
			return -1;
	*status = 0;

	if (!(mlen == 3 && memcmp(line, "GET", 3) == 0) &&
	    !(mlen == 4 && memcmp(line, "HEAD", 4) == 0)) {
		*status = 405;
		return -1;
	}
	if ((q = memchr(target, '?', tlen)) != NULL) {
		plen = q - target;
		qlen = tlen - plen - 1;
	} else {
		plen = tlen;
		qlen = 0;
	}
	if (plen >= sizeof(req->path) || qlen >= sizeof(req->query)) {
		*status = 414;
		return -1;
	}
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';
	memcpy(req->path, target, plen);
	req->path[plen] = '\0';
	if (q != NULL)
		memcpy(req->query, q + 1, qlen);
	req->query[qlen] = '\0';
	req->version_minor = version[7] - '0';
	return 0;
}

/*
 * "<name>:<value>": a token right before the colon (no space, no line
 * folding), then visible characters, spaces, tabs and obs-text.
 */
static int
http_header_line(const char *line, size_t n)
{
	const char	*colon;
	size_t		 i;
	unsigned char	 c;

	if ((colon = memchr(line, ':', n)) == NULL ||
	    !http_token(line, colon - line))
		return -1;
	for (i = colon - line + 1; i < n; i++) {
		c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	return 0;
}

/*
 * The incomplete last line: refuse at once what no complete line could
 * hold, so that garbage does not wait for HTTP_REQ_MAX bytes.  A CR is
 * fine only as the last byte read (its LF is still on the way).
 */
static int
http_tail_ok(const char *s, size_t n)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\r' && i == n - 1)
			continue;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

int
http_req_parse(const char *buf, size_t len, struct http_req *req,
    int *status)
{
	const char	*eol;
	size_t		 off = 0, end, n;
	int		 first = 1;

	memset(req, 0, sizeof(*req));
	*status = 0;
	while (off < len &&
	    (eol = memchr(buf + off, '\n', len - off)) != NULL) {
		end = eol - buf + 1;
		if (end > HTTP_REQ_MAX) {
			*status = 431;
			return -1;
		}
		n = eol - (buf + off);
		if (n > 0 && buf[off + n - 1] == '\r')
			n--;
		if (first) {
			/* No empty lines before the request line either. */
			if (n == 0) {
				*status = 400;
				return -1;
			}
			if (http_req_line(buf + off, n, req, status) == -1)
				return -1;
			first = 0;
		} else if (n == 0)
			return (int)end;
		else if (http_header_line(buf + off, n) == -1) {
			*status = 400;
			return -1;
		}
		off = end;
	}
	if (!http_tail_ok(buf + off, len - off)) {
		*status = 400;
		return -1;
	}
	/* However it ends, the head would be longer than HTTP_REQ_MAX. */
	if (len >= HTTP_REQ_MAX) {
		*status = 431;
		return -1;
	}
	return 0;
}

int
http_query_get(const char *query, const char *key, char *out, size_t outlen)
{
	const char	*p, *amp, *eq;
	size_t		 klen, seglen, nlen, vlen;

	if (query == NULL || key == NULL || (klen = strlen(key)) == 0)
		return 0;
	for (p = query; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 :
	    NULL) {
		amp = strchr(p, '&');
		seglen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', seglen);
		nlen = eq != NULL ? (size_t)(eq - p) : seglen;
		if (nlen != klen || memcmp(p, key, klen) != 0)
			continue;
		vlen = eq != NULL ? seglen - nlen - 1 : 0;
		if (vlen >= outlen)
			return -1;
		if (vlen > 0)
			memcpy(out, eq + 1, vlen);
		out[vlen] = '\0';
		return 1;
	}
	return 0;
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	}
	return NULL;
}

int
http_head(char *buf, size_t cap, int status, const char *content_type,
    size_t content_length)
{
	const char	*reason;
	int		 n;

	if ((reason = http_reason(status)) == NULL)
		return -1;
	/* A caller's string must not add lines to the head. */
	if (content_type != NULL && strpbrk(content_type, "\r\n") != NULL)
		return -1;
	n = snprintf(buf, cap, "HTTP/1.1 %d %s\r\n"
	    "%s%s%s"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n",
	    status, reason,
	    content_type != NULL ? "Content-Type: " : "",
	    content_type != NULL ? content_type : "",
	    content_type != NULL ? "\r\n" : "",
	    content_length,
	    /* RFC 9110 15.5.6: a 405 lists the methods allowed. */
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}
