/*
 * consul_http.c against a real Consul agent at $CONSUL_HTTP_ADDR, run by
 * consul_http.sh.  Each case asserts and prints "ok - ..."; the first
 * failure prints "FAIL: ..." and exits 1.  Built with AddressSanitizer the
 * run also shows that freeing a client with requests in flight leaks
 * nothing.
 *
 * A small server of our own on 127.0.0.1 covers what a real agent cannot
 * be made to do: answer with more than the body cap, or spell the index
 * header in lower case.
 *
 * "consul_http_probe tls" runs the TLS cases instead, against an agent
 * that serves only HTTPS at $PROBE_TLS_ADDR and demands a client
 * certificate; $PROBE_TLS_CA, _CERT, _KEY and _OTHER_CA name PEM files.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consul_http.h"
#include "event.h"
#include "log.h"

#define KEY_PREFIX	"probe/consul-http"
/* Upper bound for any request that is not a blocking query. */
#define SHORT_MS	5000
#define NCONCURRENT	50
#define NREENTRANT	10
/* The client's cap on a response body (consul_http.c). */
#define BODY_CAP	(8 * 1024 * 1024)
/* The client's cap on connections to the agent (consul_http.c). */
#define CONN_CAP	64
#define NOVERCAP	(CONN_CAP + 16)

/* A copy of one answer: the client's strings live only in the callback. */
struct result {
	int		 called;
	long		 status;
	uint64_t	 index;
	uint64_t	 elapsed;
	uint64_t	 at;		/* ev_now() in the callback */
	size_t		 len;
	char		*body;
	char		*error;
};

static struct ev_loop	*loop;
static struct ev_timer	 guard;
static const char	*agent;
static const char	*mode = "";	/* prefix of the "ok" lines */
static int		 in_call;
static int		 callbacks;	/* every callback of result_cb */

static void	fail(const char *, ...) __attribute__((format(printf, 1, 2),
		    noreturn));
static void	ok(const char *, ...) __attribute__((format(printf, 1, 2)));
static char	*xstrdup(const char *);
static void	result_cb(const struct consul_resp *, void *);
static void	result_clear(struct result *);
static void	guard_cb(void *);
static int	run_until(const int *, int, uint64_t);
static void	run_for(uint64_t);
static struct consul_req *start(struct consul *, const char *, const char *,
		    const char *, uint64_t, struct result *);
static void	fetch(struct consul *, const char *, const char *,
		    const char *, uint64_t, struct result *);
static struct consul *client(const char *);
static uint64_t	kv_put(struct consul *, const char *, const char *);
static int	closed_port(int *);
static void	json_string(const char *, const char *, char *, size_t);
static char	*read_pem(const char *);

static void
fail(const char *fmt, ...)
{
	va_list	ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void
ok(const char *fmt, ...)
{
	va_list	ap;

	printf("ok - %s", mode);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fail("out of memory");
	return p;
}

static void
result_cb(const struct consul_resp *r, void *arg)
{
	struct result	*res = arg;

	if (in_call)
		fail("callback from inside consul_call()");
	if (r->body == NULL || r->error == NULL)
		fail("callback with a NULL body or error");
	if (r->body[r->len] != '\0' || strlen(r->body) != r->len)
		fail("body of %zu bytes is not NUL-terminated there", r->len);
	if (r->status == 0 && r->error[0] == '\0')
		fail("status 0 without an error");
	result_clear(res);
	res->called++;
	callbacks++;
	res->status = r->status;
	res->index = r->index;
	res->elapsed = r->elapsed_ms;
	res->at = ev_now();
	res->len = r->len;
	res->body = xstrdup(r->body);
	res->error = xstrdup(r->error);
	ev_break(loop);
}

/* Keeps the count of calls, to tell a second call from the first. */
static void
result_clear(struct result *res)
{
	free(res->body);
	free(res->error);
	res->body = NULL;
	res->error = NULL;
}

static void
guard_cb(void *arg)
{
	ev_break(loop);
}

/* Run the loop until *count reaches want: 0, or -1 after limit_ms. */
static int
run_until(const int *count, int want, uint64_t limit_ms)
{
	uint64_t	deadline = ev_now() + limit_ms, now;

	while (*count < want) {
		if ((now = ev_now()) >= deadline)
			return -1;
		ev_timer_start(loop, &guard, deadline - now);
		if (ev_run(loop) == -1)
			fail("ev_run: %s", strerror(errno));
	}
	ev_timer_stop(loop, &guard);
	return 0;
}

/* Run the loop for ms, whatever completes meanwhile. */
static void
run_for(uint64_t ms)
{
	static const int	never = 0;

	run_until(&never, 1, ms);
	ev_timer_stop(loop, &guard);
}

static struct consul_req *
start(struct consul *c, const char *method, const char *path,
    const char *body, uint64_t timeout_ms, struct result *res)
{
	struct consul_req	*r;
	int			 before = res->called;

	in_call = 1;
	r = consul_call(c, method, path, body, timeout_ms, result_cb, res);
	in_call = 0;
	if (r == NULL)
		fail("consul_call %s %s: %s", method, path, strerror(errno));
	if (res->called != before)
		fail("%s %s called back before the loop ran", method, path);
	return r;
}

static void
fetch(struct consul *c, const char *method, const char *path,
    const char *body, uint64_t timeout_ms, struct result *res)
{
	int	want = res->called + 1;

	start(c, method, path, body, timeout_ms, res);
	if (run_until(&res->called, want, timeout_ms + SHORT_MS) == -1)
		fail("%s %s: no answer within %llu ms", method, path,
		    (unsigned long long)(timeout_ms + SHORT_MS));
}

static struct consul *
client(const char *addr)
{
	struct consul_opts	 o;
	struct consul		*c;

	memset(&o, 0, sizeof(o));
	o.addr = addr;
	if ((c = consul_new(loop, &o)) == NULL)
		fail("consul_new(%s)", addr);
	return c;
}

/* PUT a key; its X-Consul-Index after a GET. */
static uint64_t
kv_put(struct consul *c, const char *key, const char *value)
{
	struct result	 res = { 0 };
	char		*esc, path[512];
	uint64_t	 index;

	if ((esc = consul_escape(key)) == NULL)
		fail("consul_escape");
	snprintf(path, sizeof(path), "/v1/kv/%s", esc);
	free(esc);
	fetch(c, "PUT", path, value, SHORT_MS, &res);
	if (res.status != 200 || strncmp(res.body, "true", 4) != 0)
		fail("PUT %s: %ld %s%s", path, res.status, res.body, res.error);
	fetch(c, "GET", path, NULL, SHORT_MS, &res);
	if (res.status != 200 || res.index == 0)
		fail("GET %s: %ld, index %llu", path, res.status,
		    (unsigned long long)res.index);
	index = res.index;
	result_clear(&res);
	return index;
}

/*
 * A port on 127.0.0.1 that refuses connections: bound, so nobody else
 * gets it while the test runs, but not listening.
 */
static int
closed_port(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fail("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		fail("bind: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return fd;
}

/* The string value of "name" in a flat JSON object; enough for an ID. */
static void
json_string(const char *json, const char *name, char *out, size_t outlen)
{
	char		 pat[64];
	const char	*p, *q;

	snprintf(pat, sizeof(pat), "\"%s\"", name);
	if ((p = strstr(json, pat)) == NULL ||
	    (p = strchr(p + strlen(pat), '"')) == NULL ||
	    (q = strchr(++p, '"')) == NULL || (size_t)(q - p) >= outlen)
		fail("no string \"%s\" in %s", name, json);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

static void
case_escape(void)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "", "" },
		{ "aZ09-._~/x", "aZ09-._~/x" },
		{ "a b?c&d=e#f%", "a%20b%3Fc%26d%3De%23f%25" },
		{ "\xc3\xbc+\n", "%C3%BC%2B%0A" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if ((s = consul_escape(v[i].in)) == NULL)
			fail("consul_escape: %s", strerror(errno));
		if (strcmp(s, v[i].out) != 0)
			fail("consul_escape gave \"%s\", want \"%s\"", s,
			    v[i].out);
		free(s);
	}
	if (consul_escape(NULL) != NULL)
		fail("consul_escape(NULL) returned a string");
	ok("consul_escape keeps unreserved characters and '/', "
	    "escapes the rest");
}

static void
case_leader(struct consul *c)
{
	struct result	res = { 0 };

	fetch(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &res);
	if (res.status != 200)
		fail("GET /v1/status/leader: %ld %s", res.status, res.error);
	if (res.len < 3 || res.body[0] != '"' ||
	    strchr(res.body + 1, '"') == NULL ||
	    strchr(res.body, ':') == NULL)
		fail("leader is not a quoted address: %s", res.body);
	if (consul_pending(c) != 0)
		fail("%zu requests pending after the answer",
		    consul_pending(c));
	ok("GET /v1/status/leader: 200 %.*s in %llu ms",
	    (int)strcspn(res.body, "\r\n"), res.body,
	    (unsigned long long)res.elapsed);
	result_clear(&res);
}

static void
case_session(struct consul *c)
{
	struct result	res = { 0 };
	char		id[64], path[128];

	fetch(c, "PUT", "/v1/session/create",
	    "{\"Name\":\"consul-http-probe\",\"TTL\":\"10s\","
	    "\"Behavior\":\"delete\"}", SHORT_MS, &res);
	if (res.status != 200)
		fail("session create: %ld %s%s", res.status, res.body,
		    res.error);
	json_string(res.body, "ID", id, sizeof(id));
	if (strlen(id) != 36)
		fail("session ID \"%s\" is not a UUID", id);

	snprintf(path, sizeof(path), "/v1/session/info/%s", id);
	fetch(c, "GET", path, NULL, SHORT_MS, &res);
	if (res.status != 200 || strstr(res.body, id) == NULL ||
	    strstr(res.body, "consul-http-probe") == NULL)
		fail("session info: %ld %s", res.status, res.body);

	snprintf(path, sizeof(path), "/v1/session/destroy/%s", id);
	fetch(c, "PUT", path, NULL, SHORT_MS, &res);
	if (res.status != 200 || strncmp(res.body, "true", 4) != 0)
		fail("session destroy: %ld %s%s", res.status, res.body,
		    res.error);

	snprintf(path, sizeof(path), "/v1/session/info/%s", id);
	fetch(c, "GET", path, NULL, SHORT_MS, &res);
	if (res.status != 200 || strstr(res.body, id) != NULL)
		fail("session still there after destroy: %s", res.body);
	ok("PUT /v1/session/create with a JSON body: 200, ID %s; "
	    "destroyed with an empty PUT", id);
	result_clear(&res);
}

static void
case_missing(struct consul *c)
{
	struct result	res = { 0 };
	char		path[128];

	kv_put(c, KEY_PREFIX "/gone", "1");
	snprintf(path, sizeof(path), "/v1/kv/%s/gone", KEY_PREFIX);
	fetch(c, "DELETE", path, NULL, SHORT_MS, &res);
	if (res.status != 200 || strncmp(res.body, "true", 4) != 0)
		fail("DELETE %s: %ld %s%s", path, res.status, res.body,
		    res.error);
	fetch(c, "GET", path, NULL, SHORT_MS, &res);
	if (res.status != 404)
		fail("GET of a missing key: %ld %s", res.status, res.error);
	if (res.len != 0 || res.body[0] != '\0')
		fail("404 with a body of %zu bytes", res.len);
	if (res.index == 0)
		fail("404 without X-Consul-Index");
	ok("DELETE of a key: 200; GET of the missing key: 404, empty body, "
	    "X-Consul-Index %llu", (unsigned long long)res.index);
	result_clear(&res);
}

/* The change a timer makes while a blocking query waits. */
struct change {
	struct consul	*c;
	const char	*path;
	const char	*value;
	struct result	*res;
	uint64_t	 at;
};

static void
change_cb(void *arg)
{
	struct change	*ch = arg;

	ch->at = ev_now();
	start(ch->c, "PUT", ch->path, ch->value, SHORT_MS, ch->res);
}

static void
case_blocking(struct consul *c)
{
	struct result	 blk = { 0 }, put = { 0 };
	struct change	 ch;
	struct ev_timer	 t;
	char		 kpath[256], path[320];
	uint64_t	 index;
	const uint64_t	 delay = 1000;

	index = kv_put(c, KEY_PREFIX "/blk", "1");
	snprintf(kpath, sizeof(kpath), "/v1/kv/%s/blk", KEY_PREFIX);
	snprintf(path, sizeof(path), "%s?index=%llu&wait=10s", kpath,
	    (unsigned long long)index);

	start(c, "GET", path, NULL, 15000, &blk);
	ch.c = c;
	ch.path = kpath;
	ch.value = "2";
	ch.res = &put;
	ch.at = 0;
	ev_timer_init(&t, change_cb, &ch);
	ev_timer_start(loop, &t, delay);
	if (consul_pending(c) != 1)
		fail("%zu pending, want 1", consul_pending(c));

	if (run_until(&blk.called, 1, 12000) == -1)
		fail("blocking query did not return after the change");
	if (run_until(&put.called, 1, SHORT_MS) == -1)
		fail("the change got no answer");
	if (ch.at == 0)
		fail("the blocking query returned before the change");
	if (put.status != 200)
		fail("PUT during the blocking query: %ld %s", put.status,
		    put.error);
	if (blk.status != 200 || blk.index <= index)
		fail("blocking query: %ld, index %llu (was %llu) %s",
		    blk.status, (unsigned long long)blk.index,
		    (unsigned long long)index, blk.error);
	if (strstr(blk.body, "\"Mg==\"") == NULL)
		fail("blocking query did not see the new value: %s", blk.body);
	if (blk.elapsed < delay)
		fail("blocking query returned after %llu ms, before the "
		    "change at %llu ms", (unsigned long long)blk.elapsed,
		    (unsigned long long)delay);
	if (blk.at < ch.at || blk.at - ch.at > 2000)
		fail("blocking query returned %lld ms after the change",
		    (long long)(blk.at - ch.at));
	ok("blocking GET ?index=%llu&wait=10s returned after %llu ms, "
	    "%llu ms after the change, index %llu",
	    (unsigned long long)index, (unsigned long long)blk.elapsed,
	    (unsigned long long)(blk.at - ch.at),
	    (unsigned long long)blk.index);
	result_clear(&blk);
	result_clear(&put);
}

struct cancel_later {
	struct consul		*c;
	struct consul_req	*req;
};

static void
cancel_later_cb(void *arg)
{
	struct cancel_later	*cl = arg;

	consul_cancel(cl->c, cl->req);
}

static void
case_cancel(struct consul *c)
{
	struct result		 early = { 0 }, late = { 0 }, kept = { 0 };
	struct cancel_later	 cl;
	struct ev_timer		 t;
	struct consul_req	*r;
	char			 path[320];
	uint64_t		 index;

	index = kv_put(c, KEY_PREFIX "/cancel", "1");
	/* wait=2s: uncancelled, these would return well within the run. */
	snprintf(path, sizeof(path), "/v1/kv/%s/cancel?index=%llu&wait=2s",
	    KEY_PREFIX, (unsigned long long)index);

	r = start(c, "GET", path, NULL, 10000, &early);
	consul_cancel(c, r);
	cl.c = c;
	cl.req = start(c, "GET", path, NULL, 10000, &late);
	start(c, "GET", path, NULL, 10000, &kept);
	ev_timer_init(&t, cancel_later_cb, &cl);
	ev_timer_start(loop, &t, 300);
	consul_cancel(c, NULL);

	run_for(3500);
	if (early.called || late.called)
		fail("a cancelled blocking query called back (%d, %d)",
		    early.called, late.called);
	if (kept.called != 1 || kept.status != 200 || kept.index != index)
		fail("the uncancelled twin: called %d, %ld, index %llu %s",
		    kept.called, kept.status, (unsigned long long)kept.index,
		    kept.error);
	if (consul_pending(c) != 0)
		fail("%zu pending after cancel", consul_pending(c));
	ok("blocking queries cancelled at once and after 300 ms never "
	    "called back; their twin returned after %llu ms",
	    (unsigned long long)kept.elapsed);
	result_clear(&kept);
}

static void
case_closed_port(void)
{
	struct result	 res = { 0 };
	struct consul	*c;
	char		 addr[64];
	int		 fd, port;

	fd = closed_port(&port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	c = client(addr);
	fetch(c, "GET", "/v1/status/leader", NULL, 10000, &res);
	if (res.status != 0 || res.error[0] == '\0')
		fail("closed port: status %ld, error \"%s\"", res.status,
		    res.error);
	if (res.elapsed > 1000)
		fail("closed port took %llu ms",
		    (unsigned long long)res.elapsed);
	ok("closed port: status 0 after %llu ms: %s",
	    (unsigned long long)res.elapsed, res.error);
	result_clear(&res);
	consul_free(c);
	close(fd);
}

static void
case_concurrent(struct consul *c)
{
	struct result	 res[NCONCURRENT], keys = { 0 };
	char		 path[256], value[16];
	const char	*p;
	int		 i, n, before = callbacks;

	memset(res, 0, sizeof(res));
	for (i = 0; i < NCONCURRENT; i++) {
		snprintf(path, sizeof(path), "/v1/kv/%s/many/%02d",
		    KEY_PREFIX, i);
		snprintf(value, sizeof(value), "%d", i);
		start(c, "PUT", path, value, SHORT_MS, &res[i]);
	}
	if (consul_pending(c) != NCONCURRENT)
		fail("%zu pending, want %d", consul_pending(c), NCONCURRENT);
	if (run_until(&callbacks, before + NCONCURRENT, 20000) == -1)
		fail("only %d of %d concurrent requests answered",
		    callbacks - before, NCONCURRENT);
	for (i = 0; i < NCONCURRENT; i++) {
		if (res[i].called != 1 || res[i].status != 200 ||
		    strncmp(res[i].body, "true", 4) != 0)
			fail("concurrent PUT %d: called %d, %ld %s%s", i,
			    res[i].called, res[i].status, res[i].body,
			    res[i].error);
		result_clear(&res[i]);
	}
	if (consul_pending(c) != 0)
		fail("%zu pending after all answered", consul_pending(c));

	snprintf(path, sizeof(path), "/v1/kv/%s/many/?keys", KEY_PREFIX);
	fetch(c, "GET", path, NULL, SHORT_MS, &keys);
	for (n = 0, p = keys.body; (p = strstr(p, "/many/")) != NULL; p++)
		n++;
	if (keys.status != 200 || n != NCONCURRENT)
		fail("%d keys written, want %d: %s", n, NCONCURRENT,
		    keys.body);
	ok("%d concurrent PUTs all answered once, and all %d keys exist",
	    NCONCURRENT, n);
	result_clear(&keys);
}

/*
 * More blocking queries than the client opens connections: CONN_CAP run
 * at once, the rest wait for a free connection and so return a whole
 * wait later.  The agent adds up to wait/16 to each wait.
 */
static void
case_connection_cap(struct consul *c)
{
	struct result	 res[NOVERCAP];
	char		 path[320];
	uint64_t	 index;
	int		 i, late = 0, before;

	memset(res, 0, sizeof(res));
	index = kv_put(c, KEY_PREFIX "/cap", "1");
	before = callbacks;
	snprintf(path, sizeof(path), "/v1/kv/%s/cap?index=%llu&wait=1s",
	    KEY_PREFIX, (unsigned long long)index);
	for (i = 0; i < NOVERCAP; i++)
		start(c, "GET", path, NULL, 10000, &res[i]);
	if (run_until(&callbacks, before + NOVERCAP, 15000) == -1)
		fail("only %d of %d blocking queries answered",
		    callbacks - before, NOVERCAP);
	for (i = 0; i < NOVERCAP; i++) {
		if (res[i].called != 1 || res[i].status != 200)
			fail("blocking query %d: called %d, %ld %s", i,
			    res[i].called, res[i].status, res[i].error);
		if (res[i].elapsed >= 1500)
			late++;
		else if (res[i].elapsed < 900)
			fail("blocking query %d returned after %llu ms", i,
			    (unsigned long long)res[i].elapsed);
		result_clear(&res[i]);
	}
	if (late != NOVERCAP - CONN_CAP)
		fail("%d of %d blocking queries waited for a connection, "
		    "want %d", late, NOVERCAP, NOVERCAP - CONN_CAP);
	ok("%d blocking queries at once: %d ran, %d waited for a connection",
	    NOVERCAP, NOVERCAP - late, late);
}

static void
case_timeout(struct consul *c)
{
	struct result	res = { 0 };
	char		path[320];
	uint64_t	index;

	index = kv_put(c, KEY_PREFIX "/timeout", "1");
	snprintf(path, sizeof(path), "/v1/kv/%s/timeout?index=%llu&wait=10s",
	    KEY_PREFIX, (unsigned long long)index);
	fetch(c, "GET", path, NULL, 500, &res);
	if (res.status != 0 || res.error[0] == '\0' || res.len != 0)
		fail("short timeout: %ld, %zu bytes, \"%s\"", res.status,
		    res.len, res.error);
	if (res.elapsed < 500 || res.elapsed > 3000)
		fail("a 500 ms timeout fired after %llu ms",
		    (unsigned long long)res.elapsed);
	ok("blocking query with a 500 ms timeout: status 0 after %llu ms: %s",
	    (unsigned long long)res.elapsed, res.error);
	result_clear(&res);
}

static void
case_set_opts(struct consul *c)
{
	struct consul_opts	 o;
	struct result		 blk = { 0 }, bad = { 0 }, res = { 0 };
	char			 addr[64], path[320];
	int			 fd, port;
	uint64_t		 index;

	index = kv_put(c, KEY_PREFIX "/opts", "1");
	snprintf(path, sizeof(path), "/v1/kv/%s/opts?index=%llu&wait=10s",
	    KEY_PREFIX, (unsigned long long)index);
	start(c, "GET", path, NULL, 15000, &blk);

	fd = closed_port(&port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	memset(&o, 0, sizeof(o));
	o.addr = addr;
	if (consul_set_opts(c, &o) == -1)
		fail("consul_set_opts(%s)", addr);
	fetch(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &bad);
	if (bad.status != 0)
		fail("request after set_opts to a closed port: %ld",
		    bad.status);
	if (blk.called)
		fail("set_opts disturbed a request in flight: %ld %s",
		    blk.status, blk.error);

	o.addr = "bad/address";
	if (consul_set_opts(c, &o) != -1)
		fail("consul_set_opts took a bad address");
	o.addr = agent;
	o.token = "line\r\nX-Evil: 1";
	if (consul_set_opts(c, &o) != -1)
		fail("consul_set_opts took a token with CR LF");
	/* With ACLs disabled the agent ignores the token's value. */
	o.token = "00000000-0000-0000-0000-000000000000";
	if (consul_set_opts(c, &o) == -1)
		fail("consul_set_opts(%s) with a token", agent);
	kv_put(c, KEY_PREFIX "/opts", "2");
	if (run_until(&blk.called, 1, 8000) == -1)
		fail("the blocking query started before set_opts never "
		    "returned");
	if (blk.status != 200 || blk.index <= index)
		fail("blocking query across set_opts: %ld %s", blk.status,
		    blk.error);
	o.token = NULL;
	if (consul_set_opts(c, &o) == -1)
		fail("consul_set_opts(%s)", agent);
	fetch(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &res);
	if (res.status != 200)
		fail("after set_opts back: %ld %s", res.status, res.error);
	ok("consul_set_opts changes new requests only; rejects bad "
	    "addresses and tokens");
	close(fd);
	result_clear(&blk);
	result_clear(&bad);
	result_clear(&res);
}

static void
case_free_in_flight(void)
{
	struct result	 res[8];
	struct consul	*c;
	char		 path[320];
	int		 i, n;

	memset(res, 0, sizeof(res));
	snprintf(path, sizeof(path), "/v1/kv/%s/blk?index=%d&wait=10s",
	    KEY_PREFIX, 1000000);
	c = client(agent);
	for (i = 0; i < 3; i++)
		start(c, "GET", path, NULL, 15000, &res[i]);
	for (; i < 8; i++)
		start(c, "PUT", "/v1/session/create", "{\"TTL\":\"10s\"}",
		    SHORT_MS, &res[i]);
	/* Connected, sent and maybe answered: now free it. */
	run_for(150);
	n = callbacks;
	consul_free(c);
	run_for(500);
	if (callbacks != n)
		fail("%d callbacks after consul_free", callbacks - n);
	for (i = 0; i < 8; i++)
		result_clear(&res[i]);

	/* Never even started by the loop. */
	c = client(agent);
	start(c, "GET", path, NULL, 15000, &res[0]);
	start(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &res[1]);
	n = callbacks;
	consul_free(c);
	run_for(300);
	if (callbacks != n)
		fail("%d callbacks after consul_free", callbacks - n);
	consul_free(NULL);
	ok("consul_free with requests in flight: no callback after it");
}

/* Callbacks that cancel, start and free, from inside a completion. */
struct reentrant {
	struct consul		*c;
	struct consul_req	*reqs[NREENTRANT];
	int			 calls;
	int			 free_client;
};

static void
reentrant_cb(const struct consul_resp *r, void *arg)
{
	struct reentrant	*re = arg;
	int			 i;

	re->calls++;
	callbacks++;
	if (re->free_client) {
		consul_free(re->c);
		if (consul_call(re->c, "GET", "/v1/status/leader", NULL,
		    SHORT_MS, reentrant_cb, re) != NULL)
			fail("consul_call on a freed client succeeded");
		return;
	}
	/* Its own request among them: that cancel must be ignored. */
	for (i = 0; i < NREENTRANT; i++)
		consul_cancel(re->c, re->reqs[i]);
	if (consul_pending(re->c) != 0)
		fail("%zu pending after cancelling all",
		    consul_pending(re->c));
}

struct chain {
	struct consul		*c;
	struct consul_req	*victim;
	struct result		 a, e;
};

static void
chain_e_cb(const struct consul_resp *r, void *arg)
{
	struct chain	*ch = arg;

	result_cb(r, &ch->e);
	consul_free(ch->c);
}

static void
chain_a_cb(const struct consul_resp *r, void *arg)
{
	struct chain	*ch = arg;

	result_cb(r, &ch->a);
	consul_cancel(ch->c, ch->victim);
	in_call = 1;
	if (consul_call(ch->c, "GET", "/v1/status/leader", NULL, SHORT_MS,
	    chain_e_cb, ch) == NULL)
		fail("consul_call from a callback: %s", strerror(errno));
	in_call = 0;
}

static void
case_reentrant(void)
{
	struct reentrant	re;
	struct chain		ch;
	struct result		victim = { 0 };
	char			path[320];
	int			i, pass;

	/*
	 * Passes 0 and 1 answer one by one.  In 2 and 3 the requests are
	 * sent, then the probe sleeps past their timeout: curl finds them
	 * all expired in one go and hands them over in one batch, so the
	 * first callback cancels (or frees) requests already waiting for
	 * theirs.
	 */
	snprintf(path, sizeof(path), "/v1/kv/%s/blk?index=%d&wait=10s",
	    KEY_PREFIX, 1000000);
	for (pass = 0; pass < 4; pass++) {
		memset(&re, 0, sizeof(re));
		re.c = client(agent);
		re.free_client = pass % 2;
		for (i = 0; i < NREENTRANT; i++)
			if ((re.reqs[i] = consul_call(re.c, "GET",
			    pass < 2 ? "/v1/status/leader" : path, NULL,
			    pass < 2 ? SHORT_MS : 300, reentrant_cb,
			    &re)) == NULL)
				fail("consul_call: %s", strerror(errno));
		if (pass >= 2) {
			run_for(100);
			if (re.calls != 0)
				fail("a blocking query returned early");
			usleep(400 * 1000);
		}
		run_for(1500);
		if (re.calls != 1)
			fail("%d callbacks, want 1 (pass %d)", re.calls, pass);
		if (!re.free_client)
			consul_free(re.c);
	}

	memset(&ch, 0, sizeof(ch));
	ch.c = client(agent);
	ch.victim = start(ch.c, "GET", path, NULL, 15000, &victim);
	in_call = 1;
	if (consul_call(ch.c, "GET", "/v1/status/leader", NULL, SHORT_MS,
	    chain_a_cb, &ch) == NULL)
		fail("consul_call: %s", strerror(errno));
	in_call = 0;
	if (run_until(&ch.e.called, 1, 2 * SHORT_MS) == -1)
		fail("the request started from a callback never answered");
	run_for(300);
	if (ch.a.called != 1 || ch.e.called != 1 || victim.called != 0)
		fail("chain: a %d, e %d, victim %d", ch.a.called, ch.e.called,
		    victim.called);
	if (ch.e.status != 200)
		fail("request started from a callback: %ld %s", ch.e.status,
		    ch.e.error);
	result_clear(&ch.a);
	result_clear(&ch.e);
	ok("callbacks may cancel every request, free the client, and "
	    "start requests");
}

/*
 * A fake agent: one connection at a time, one canned answer per
 * connection, sent once the request head is in, then "Connection: close".
 */
struct fake {
	int		 lfd;
	struct ev_io	 lio;
	int		 cfd;
	struct ev_io	 cio;
	int		 matched;	/* bytes of "\r\n\r\n" seen */
	char		 req[4096];	/* the start of what the client sent */
	size_t		 reqlen;
	int		 answering;
	char		 head[256];
	size_t		 headlen;
	size_t		 bodylen;
	size_t		 sent;
};

static void
fake_close(struct fake *f)
{
	if (f->cfd == -1)
		return;
	ev_io_stop(loop, &f->cio);
	close(f->cfd);
	f->cfd = -1;
}

/* Read what the client sent; 1 while the connection lives on. */
static int
fake_read(struct fake *f, int fd)
{
	static const char	 end[] = "\r\n\r\n";
	char			 buf[4096];
	ssize_t			 n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (f->reqlen < sizeof(f->req) - 1) {
				f->req[f->reqlen++] = buf[i];
				f->req[f->reqlen] = '\0';
			}
			if (buf[i] == end[f->matched])
				f->matched++;
			else
				f->matched = buf[i] == '\r' ? 1 : 0;
			if (f->matched == 4)
				f->answering = 1;
		}
	}
	if (n == 0 || errno != EAGAIN) {
		fake_close(f);
		return 0;
	}
	return 1;
}

static void
fake_conn_cb(int fd, uint32_t events, void *arg)
{
	struct fake	*f = arg;
	char		 buf[65536];
	const char	*p;
	size_t		 want, total = f->headlen + f->bodylen;
	ssize_t		 n;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !fake_read(f, fd))
		return;
	if (!f->answering || f->sent == total)
		return;
	memset(buf, 'x', sizeof(buf));
	while (f->sent < total) {
		if (f->sent < f->headlen) {
			p = f->head + f->sent;
			want = f->headlen - f->sent;
		} else {
			p = buf;
			want = total - f->sent;
			if (want > sizeof(buf))
				want = sizeof(buf);
		}
		if ((n = send(fd, p, want, MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN)
				ev_io_set(loop, &f->cio, EPOLLIN | EPOLLOUT);
			else
				fake_close(f);
			return;
		}
		f->sent += (size_t)n;
	}
	/* All sent: wait for the client to close. */
	shutdown(fd, SHUT_WR);
	ev_io_set(loop, &f->cio, EPOLLIN);
}

static void
fake_accept_cb(int fd, uint32_t events, void *arg)
{
	struct fake	*f = arg;
	int		 cfd;

	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) == -1)
		return;
	fake_close(f);
	f->cfd = cfd;
	f->sent = 0;
	f->matched = 0;
	f->reqlen = 0;
	f->req[0] = '\0';
	f->answering = 0;
	if (ev_io_start(loop, &f->cio, cfd, EPOLLIN, fake_conn_cb, f) == -1)
		fail("ev_io_start: %s", strerror(errno));
}

static void
fake_answer(struct fake *f, const char *index_header, size_t bodylen)
{
	snprintf(f->head, sizeof(f->head), "HTTP/1.1 200 OK\r\n%s\r\n"
	    "Connection: close\r\nContent-Length: %zu\r\n\r\n",
	    index_header, bodylen);
	f->headlen = strlen(f->head);
	f->bodylen = bodylen;
}

static void
case_fake(void)
{
	struct fake		 f;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct result		 res = { 0 };
	struct consul_opts	 o;
	struct consul		*c;
	const char		*line;
	char			 addr[64];
	size_t			 i;

	memset(&f, 0, sizeof(f));
	f.cfd = -1;
	if ((f.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		fail("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f.lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(f.lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(f.lfd, 8) == -1)
		fail("fake agent: %s", strerror(errno));
	if (ev_io_start(loop, &f.lio, f.lfd, EPOLLIN, fake_accept_cb, &f) ==
	    -1)
		fail("ev_io_start: %s", strerror(errno));
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sin.sin_port));
	memset(&o, 0, sizeof(o));
	o.addr = addr;
	o.token = "probe-token";
	if ((c = consul_new(loop, &o)) == NULL)
		fail("consul_new(%s)", addr);

	/* What goes on the wire: the token, and a JSON body sent at once. */
	fake_answer(&f, "X-Consul-Index: 76", 0);
	fetch(c, "PUT", "/v1/kv/a%20b/../c?acquire=x", "{\"a\":1}", SHORT_MS,
	    &res);
	if (res.status != 200 || res.index != 76 || res.len != 0)
		fail("PUT to the fake agent: %ld %s", res.status, res.error);
	line = "PUT /v1/kv/a%20b/../c?acquire=x HTTP/1.1\r\n";
	if (strncmp(f.req, line, strlen(line)) != 0 ||
	    strstr(f.req, "\r\nX-Consul-Token: probe-token\r\n") == NULL ||
	    strstr(f.req, "\r\nContent-Type: application/json\r\n") ==
	    NULL || strstr(f.req, "\r\nContent-Length: 7\r\n") == NULL ||
	    strcasestr(f.req, "\r\nExpect:") != NULL)
		fail("request head to the fake agent:\n%s", f.req);
	fake_answer(&f, "X-Consul-Index: 76", 0);
	fetch(c, "PUT", "/v1/session/renew/x", NULL, SHORT_MS, &res);
	line = "PUT /v1/session/renew/x HTTP/1.1\r\n";
	if (res.status != 200 || strncmp(f.req, line, strlen(line)) != 0 ||
	    strstr(f.req, "\r\nContent-Length: 0\r\n") == NULL ||
	    strcasestr(f.req, "\r\nContent-Type:") != NULL)
		fail("empty PUT to the fake agent:\n%s", f.req);
	ok("request heads: path as given, X-Consul-Token, JSON Content-Type "
	    "only with a body, no Expect");

	fake_answer(&f, "x-consul-index: 77", 2);
	fetch(c, "GET", "/v1/kv/x", NULL, SHORT_MS, &res);
	if (res.status != 200 || res.index != 77 || res.len != 2 ||
	    strcmp(res.body, "xx") != 0)
		fail("lower-case index header: %ld, index %llu, \"%s\"",
		    res.status, (unsigned long long)res.index, res.body);

	fake_answer(&f, "X-Consul-Index: 78", BODY_CAP);
	fetch(c, "GET", "/v1/kv/x", NULL, 10000, &res);
	if (res.status != 200 || res.index != 78 || res.len != BODY_CAP)
		fail("a body of exactly the cap: %ld, %zu bytes %s",
		    res.status, res.len, res.error);
	for (i = 0; i < res.len; i++)
		if (res.body[i] != 'x')
			fail("body byte %zu is wrong", i);

	fake_answer(&f, "X-Consul-Index: 79", BODY_CAP + 1);
	fetch(c, "GET", "/v1/kv/x", NULL, 10000, &res);
	if (res.status != 0 || strcmp(res.error, "response too large") != 0 ||
	    res.len != 0 || res.index != 0)
		fail("a body over the cap: %ld, %zu bytes, \"%s\"",
		    res.status, res.len, res.error);
	ok("fake agent: x-consul-index in lower case parsed; a body of "
	    "%d bytes taken, one byte more is \"response too large\"",
	    BODY_CAP);

	result_clear(&res);
	consul_free(c);
	fake_close(&f);
	ev_io_stop(loop, &f.lio);
	close(f.lfd);
}

/* The PEM text of the file named by environment variable env. */
static char *
read_pem(const char *env)
{
	const char	*path;
	char		*buf;
	FILE		*f;
	long		 n;

	if ((path = getenv(env)) == NULL || *path == '\0')
		fail("%s is not set", env);
	if ((f = fopen(path, "r")) == NULL)
		fail("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) == -1)
		fail("%s: cannot size it", path);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		fail("out of memory");
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail("%s: short read", path);
	buf[n] = '\0';
	fclose(f);
	if (strstr(buf, "-----BEGIN ") == NULL)
		fail("%s holds no PEM", path);
	return buf;
}

/*
 * An agent that serves only HTTPS and demands a client certificate
 * (verify_incoming_https): CA, certificate and key go in as PEM text.
 */
static void
tls_cases(void)
{
	struct consul_opts	 o;
	struct consul		*c;
	struct result		 res = { 0 };
	char			*ca, *other, *cert, *key;

	if ((agent = getenv("PROBE_TLS_ADDR")) == NULL || *agent == '\0')
		fail("PROBE_TLS_ADDR is not set");
	mode = "https: ";
	ca = read_pem("PROBE_TLS_CA");
	cert = read_pem("PROBE_TLS_CERT");
	key = read_pem("PROBE_TLS_KEY");
	memset(&o, 0, sizeof(o));
	o.addr = agent;
	o.ssl = 1;
	o.cacert = ca;
	o.client_cert = cert;
	o.client_key = key;
	if ((c = consul_new(loop, &o)) == NULL)
		fail("consul_new(https://%s)", agent);
	/* The client must have copied them. */
	memset(ca, 0, strlen(ca));
	memset(cert, 0, strlen(cert));
	memset(key, 0, strlen(key));
	free(ca);
	free(cert);
	free(key);

	case_leader(c);
	case_blocking(c);
	case_concurrent(c);

	/*
	 * Another CA: the connections kept alive were verified with the
	 * first one and must not be reused for the new requests.
	 */
	other = read_pem("PROBE_TLS_OTHER_CA");
	cert = read_pem("PROBE_TLS_CERT");
	key = read_pem("PROBE_TLS_KEY");
	o.cacert = other;
	o.client_cert = cert;
	o.client_key = key;
	if (consul_set_opts(c, &o) == -1)
		fail("consul_set_opts with another CA");
	fetch(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &res);
	if (res.status != 0 || res.error[0] == '\0')
		fail("a server of another CA was trusted: %ld", res.status);
	ok("a CA that did not sign the agent: status 0: %s", res.error);
	free(other);

	ca = read_pem("PROBE_TLS_CA");
	o.cacert = ca;
	o.client_cert = NULL;
	o.client_key = NULL;
	if (consul_set_opts(c, &o) == -1)
		fail("consul_set_opts without a client certificate");
	fetch(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &res);
	if (res.status != 0 || res.error[0] == '\0')
		fail("no client certificate, yet %ld", res.status);
	ok("no client certificate: status 0: %s", res.error);

	o.client_cert = cert;
	o.client_key = key;
	if (consul_set_opts(c, &o) == -1)
		fail("consul_set_opts back");
	fetch(c, "GET", "/v1/status/leader", NULL, SHORT_MS, &res);
	if (res.status != 200)
		fail("back to the right CA and certificate: %ld %s",
		    res.status, res.error);
	ok("the right CA and client certificate again: 200");
	result_clear(&res);
	free(ca);
	free(cert);
	free(key);
	consul_free(c);
}

int
main(int argc, char *argv[])
{
	struct consul	*c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_LEVEL_INFO);
	log_procname("consul_http_probe");
	if ((loop = ev_loop_new()) == NULL)
		fail("ev_loop_new: %s", strerror(errno));
	ev_timer_init(&guard, guard_cb, NULL);
	if (argc == 2 && strcmp(argv[1], "tls") == 0) {
		tls_cases();
		ev_loop_free(loop);
		return 0;
	}
	if (argc != 1)
		fail("usage: consul_http_probe [tls]");
	if ((agent = getenv("CONSUL_HTTP_ADDR")) == NULL || *agent == '\0')
		fail("CONSUL_HTTP_ADDR is not set");

	case_escape();
	c = client(agent);
	case_leader(c);
	case_session(c);
	case_missing(c);
	case_blocking(c);
	case_cancel(c);
	case_closed_port();
	case_concurrent(c);
	case_connection_cap(c);
	case_timeout(c);
	case_set_opts(c);
	case_free_in_flight();
	case_reentrant();
	case_fake();
	consul_free(c);

	ev_loop_free(loop);
	return 0;
}
