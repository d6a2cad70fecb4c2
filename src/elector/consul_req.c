/*
 * One request to the Consul agent as curl's easy handle sees it: the
 * options set step by step (where the answer goes, limits, how to talk
 * to the agent, method and body, TLS), and the two callbacks that take
 * the answer in (the body, bounded, and X-Consul-Index).  Apart from
 * consul_http.c, which runs the transfers, so that each of the two
 * reads as one topic.
 */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consul_http_int.h"
#include "log.h"

/*
 * Consul's answers that the elector reads are kilobytes; an answer this
 * large means something other than the agent is talking, and buffering
 * it without bound would let it eat the elector's memory.
 */
#define CONSUL_MAX_BODY		(8 * 1024 * 1024)
/* The agent is local: a connection it has not accepted by now never will. */
#define CONSUL_CONNECT_MS	2000
/* First allocation of a response body; most answers fit. */
#define CONSUL_BODY_MIN		4096

static uint64_t	consul_parse_index(const char *, size_t);

static size_t
consul_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct consul_req	*r = arg;
	size_t			 n = size * nmemb, cap;
	char			*p;

	/* Returning less than n makes curl fail the transfer. */
	if (n > CONSUL_MAX_BODY - r->len) {
		r->why = "response too large";
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap == 0 ? CONSUL_BODY_MIN : r->cap;
		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > CONSUL_MAX_BODY + 1)
			cap = CONSUL_MAX_BODY + 1;
		if ((p = realloc(r->buf, cap)) == NULL) {
			r->why = "out of memory for the response";
			return 0;
		}
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

/* Header lines come one by one, not NUL-terminated, with their CRLF. */
static size_t
consul_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char	 name[] = "X-Consul-Index:";
	struct consul_req	*r = arg;
	size_t			 n = size * nmemb, nl = sizeof(name) - 1;

	/* A status line starts a new response (after 1xx): forget the old. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		r->index = 0;
	else if (n > nl && strncasecmp(data, name, nl) == 0)
		r->index = consul_parse_index(data + nl, n - nl);
	return n;
}

/* A decimal index between blanks; anything else counts as absent (0). */
static uint64_t
consul_parse_index(const char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i = 0;
	int		digits = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
		if (v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	return digits > 0 && i == n ? v : 0;
}

/*
 * The headers: the token, and for a body its type.  curl_slist_append()
 * copies; on failure the list is left as is.
 */
static int
consul_req_headers(const struct consul_conf *cf, struct consul_req *r,
    int hasbody, const char *body)
{
	struct curl_slist	*h;

	if (cf->tokhdr != NULL) {
		if ((h = curl_slist_append(r->headers, cf->tokhdr)) == NULL)
			return -1;
		r->headers = h;
	}
	if (hasbody) {
		/*
		 * Without a body, "Content-Type:" drops curl's form type;
		 * "Expect:" keeps curl from waiting for a 100 Continue.
		 */
		if ((h = curl_slist_append(r->headers, body != NULL ?
		    "Content-Type: application/json" : "Content-Type:")) ==
		    NULL)
			return -1;
		r->headers = h;
		if ((h = curl_slist_append(r->headers, "Expect:")) == NULL)
			return -1;
		r->headers = h;
	}
	return 0;
}

/* Where the answer goes: the request itself takes the body and headers. */
static CURLcode
consul_req_sinks(struct consul_req *r, const char *url)
{
	CURLcode	rc;

	if ((rc = curl_easy_setopt(r->easy, CURLOPT_URL, url)) != CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r)) != CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER,
	    r->errbuf)) != CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION,
	    consul_write_cb)) != CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION,
	    consul_header_cb)) != CURLE_OK)
		return rc;
	return curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
}

/* How long it may take, and no signals to bound it. */
static CURLcode
consul_req_limits(struct consul_req *r, uint64_t timeout_ms)
{
	long		tmo, ctmo;
	CURLcode	rc;

	/* 0 is curl's "no limit"; the connect phase is bounded anyway. */
	tmo = timeout_ms > LONG_MAX ? LONG_MAX : (long)timeout_ms;
	ctmo = tmo == 0 || tmo > CONSUL_CONNECT_MS ? CONSUL_CONNECT_MS : tmo;
	/* Resolver timeouts must not raise SIGALRM in the daemon. */
	if ((rc = curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, tmo)) !=
	    CURLE_OK)
		return rc;
	return curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, ctmo);
}

/* How every request talks to the agent. */
static CURLcode
consul_req_protocol(struct consul_req *r)
{
	CURLcode	rc;

	/* The agent is local: never go through http_proxy and friends. */
	if ((rc = curl_easy_setopt(r->easy, CURLOPT_PROXY, "")) != CURLE_OK ||
	    /* KV keys may hold "..": send them as escaped, not normalised. */
	    (rc = curl_easy_setopt(r->easy, CURLOPT_PATH_AS_IS, 1L)) !=
	    CURLE_OK ||
	    /*
	     * HTTP/1.1 also over TLS: a blocking query then holds a
	     * connection of its own instead of a stream that shares one
	     * TCP connection's fate with every short call.
	     */
	    (rc = curl_easy_setopt(r->easy, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1)) != CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_USERAGENT,
	    "tile38-cluster-manager")) != CURLE_OK)
		return rc;
	if (r->headers == NULL)
		return CURLE_OK;
	return curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
}

/* The method, and the body of a PUT or POST. */
static CURLcode
consul_req_method(struct consul_req *r, const char *method, int hasbody,
    const char *body)
{
	CURLcode	rc;

	if (strcmp(method, "GET") == 0)
		return curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
	if (strcmp(method, "HEAD") == 0)
		return curl_easy_setopt(r->easy, CURLOPT_NOBODY, 1L);
	if (!hasbody)
		return curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	/* Size first: COPYPOSTFIELDS copies that many bytes. */
	if ((rc = curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE,
	    (long)(body == NULL ? 0 : strlen(body)))) != CURLE_OK ||
	    (rc = curl_easy_setopt(r->easy, CURLOPT_COPYPOSTFIELDS,
	    body == NULL ? "" : body)) != CURLE_OK)
		return rc;
	if (strcmp(method, "PUT") == 0)
		return curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	return CURLE_OK;
}

/* No type option goes with a PEM (consul_req_pem()). */
#define CONSUL_NO_TYPE	((CURLoption)0)

/*
 * One PEM of the TLS options (none when pem is NULL), and its type
 * unless typeopt is CONSUL_NO_TYPE.  CURL_BLOB_COPY: set_opts may free
 * ours while this runs.
 */
static CURLcode
consul_req_pem(struct consul_req *r, CURLoption opt, CURLoption typeopt,
    char *pem)
{
	struct curl_blob	blob;
	CURLcode		rc;

	if (pem == NULL)
		return CURLE_OK;
	blob.data = pem;
	blob.len = strlen(pem);
	blob.flags = CURL_BLOB_COPY;
	if ((rc = curl_easy_setopt(r->easy, opt, &blob)) != CURLE_OK ||
	    typeopt == CONSUL_NO_TYPE)
		return rc;
	return curl_easy_setopt(r->easy, typeopt, "PEM");
}

/* https: the CA to trust and the client's certificate and key. */
static CURLcode
consul_req_tls(const struct consul_conf *cf, struct consul_req *r)
{
	CURLcode	rc;

	if (!cf->ssl)
		return CURLE_OK;
	if ((rc = consul_req_pem(r, CURLOPT_CAINFO_BLOB, CONSUL_NO_TYPE,
	    cf->cacert)) != CURLE_OK ||
	    (rc = consul_req_pem(r, CURLOPT_SSLCERT_BLOB, CURLOPT_SSLCERTTYPE,
	    cf->cert)) != CURLE_OK)
		return rc;
	return consul_req_pem(r, CURLOPT_SSLKEY_BLOB, CURLOPT_SSLKEYTYPE,
	    cf->key);
}

int
consul_req_setup(const struct consul_conf *cf, struct consul_req *r,
    const char *method, const char *path, const char *body,
    uint64_t timeout_ms)
{
	char				*url = NULL;
	int				 hasbody;
	CURLcode			 rc = CURLE_OUT_OF_MEMORY;

	/* Only PUT and POST carry a body; Consul reads none elsewhere. */
	hasbody = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
	if (!hasbody)
		body = NULL;
	if (consul_req_headers(cf, r, hasbody, body) == -1)
		goto fail;
	if (asprintf(&url, "%s%s", cf->base, path) == -1) {
		url = NULL;
		goto fail;
	}
	if ((r->easy = curl_easy_init()) == NULL)
		goto fail;
	if ((rc = consul_req_sinks(r, url)) != CURLE_OK ||
	    (rc = consul_req_limits(r, timeout_ms)) != CURLE_OK ||
	    (rc = consul_req_protocol(r)) != CURLE_OK ||
	    (rc = consul_req_method(r, method, hasbody, body)) != CURLE_OK ||
	    (rc = consul_req_tls(cf, r)) != CURLE_OK)
		goto fail;
	free(url);
	return 0;

 fail:
	log_warnx("consul: %s %s: %s", method, path, curl_easy_strerror(rc));
	free(url);
	return -1;
}

void
consul_req_free(struct consul_req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->buf);
	free(r);
}
