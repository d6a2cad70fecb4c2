/*
 * The admin HTTP listener's request parsing and response heads: a
 * minimal, strict HTTP/1.x parser for GET and HEAD, nothing else.
 */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <stddef.h>

#define HTTP_REQ_MAX	4096	/* the longest request head accepted */
#define HTTP_HEAD_MAX	256	/* enough for any http_head() */

struct http_req {
	char	method[8];	/* "GET" or "HEAD" */
	char	path[128];	/* from '/' up to '?', not decoded */
	char	query[256];	/* after '?', "" when none */
	int	version_minor;	/* HTTP/1.<version_minor> */
};

/*
 * Parses the request head at the start of buf.  Returns its length
 * (through the empty line ending it, CRLF or LF) when it is complete and
 * valid, 0 when more bytes are needed, or -1 with *status set to the
 * response: 400 malformed, 405 not GET or HEAD, 414 target too long for
 * struct http_req, 431 head longer than HTTP_REQ_MAX.
 */
int	http_req_parse(const char *buf, size_t len, struct http_req *,
	    int *status);

/*
 * The value of key in an '&'-separated query ("a=1&b" gives b the empty
 * value) copied into out, not decoded: 1 found, 0 absent, -1 too long
 * for out.
 */
int	http_query_get(const char *query, const char *key, char *out,
	    size_t outlen);

/*
 * A whole response head in buf, "Connection: close" and not cached;
 * without Content-Type when content_type is NULL.  Returns its length,
 * or -1 when status is unknown or it does not fit in cap.
 */
int	http_head(char *buf, size_t cap, int status,
	    const char *content_type, size_t content_length);

#endif
