/*
 * The elector's HTTP client of the local Consul agent, on libcurl's
 * multi-socket interface: curl tells us which sockets to watch and when
 * to wake it (consul_sock_cb, consul_timer_cb), the event loop tells
 * curl what happened (curl_multi_socket_action), and nothing here ever
 * waits.  One CURLM per client holds the connection cache, so short calls
 * reuse kept-alive connections while blocking queries hold their own.
 *
 * Callbacks run only from the loop's io and timer callbacks, after curl
 * has returned: finished requests are first moved to a done list, then
 * called back one by one.  A callback may start requests, cancel any
 * request (also one on the done list), or free the client; the free is
 * then deferred until the done list is abandoned.
 *
 * The first consul_new() initialises libcurl for the process
 * (curl_global_init); call it before entering the sandbox, since the TLS
 * library may read its configuration then.  curl_global_cleanup() is never
 * called: the process exits instead.
 *
 * What one request's transfer is made of (its options, how its answer is
 * taken in) is in consul_req.c.
 */
#include <sys/epoll.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consul_http.h"
#include "consul_http_int.h"
#include "event.h"
#include "log.h"

/*
 * Connections to the agent at once; curl queues further transfers until
 * one is free, their timeouts running.  The elector's own calls are one
 * per watch, about 20 (8 of them blocking queries holding a connection
 * for up to WATCH_TIMEOUT_MS), and connect_ca.c runs at most 16
 * authorizations, so only a bug reaches this.  It keeps one elector well
 * inside the agent's limits.http_max_conns_per_client (200 by default),
 * which every client on the host shares, and inside RLIMIT_NOFILE.
 */
#define CONSUL_MAX_CONNECTIONS	64L

TAILQ_HEAD(consul_reqs, consul_req);

/* One per socket curl asked us to watch (curl_multi_assign). */
struct consul_sock {
	LIST_ENTRY(consul_sock)	 entry;
	struct consul		*c;
	struct ev_io		 io;
};

struct consul {
	struct ev_loop		*loop;
	CURLM			*multi;
	struct ev_timer		 timer;
	struct consul_conf	 conf;
	struct consul_reqs	 active;
	struct consul_reqs	 done;
	LIST_HEAD(, consul_sock) socks;
	size_t			 npending;
	struct consul_req	*current;	/* whose callback runs */
	int			 in_cb;		/* the done list is walked */
	int			 dying;		/* consul_free() was called */
	int			 closing;	/* curl_multi_cleanup() runs */
};

static int	consul_curl_ready;

static int	conf_text_ok(const char *, const char *);
static int	conf_dup_pem(char **, const char *);
static int	conf_load(struct consul_conf *, const struct consul_opts *);
static void	conf_clear(struct consul_conf *);
static int	consul_sock_cb(CURL *, curl_socket_t, int, void *, void *);
static void	consul_sock_free(struct consul *, struct consul_sock *);
static int	consul_timer_cb(CURLM *, long, void *);
static void	consul_io(int, uint32_t, void *);
static void	consul_timeout(void *);
static void	consul_complete(struct consul *);
static void	consul_respond(struct consul *, struct consul_req *);
static void	consul_destroy(struct consul *);
static void	consul_cancel_all(struct consul *);
static int	consul_path_ok(const char *);
static int	consul_method_ok(const char *);
static int	consul_escape_keep(unsigned char);

/*
 * Bytes that may go into a URL or a header line unchanged: printable
 * ASCII without space, and none of reject.  Anything else would let a
 * configuration value split a header or change the URL's host.
 */
static int
conf_text_ok(const char *s, const char *reject)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr(reject, *p) != NULL)
			return 0;
	return 1;
}

static int
conf_dup_pem(char **dst, const char *pem)
{
	*dst = NULL;
	if (pem == NULL || *pem == '\0')
		return 0;
	if ((*dst = strdup(pem)) == NULL)
		return -1;
	return 0;
}

static int
conf_load(struct consul_conf *cf, const struct consul_opts *o)
{
	memset(cf, 0, sizeof(*cf));
	if (o == NULL || o->addr == NULL || *o->addr == '\0' ||
	    !conf_text_ok(o->addr, "/?#@\\")) {
		log_warnx("consul: bad agent address \"%s\"",
		    o == NULL || o->addr == NULL ? "" : o->addr);
		errno = EINVAL;
		return -1;
	}
	/* A token is only ever printable: anything else is a config error. */
	if (o->token != NULL && !conf_text_ok(o->token, "")) {
		log_warnx("consul: the token holds characters a header cannot");
		errno = EINVAL;
		return -1;
	}
	cf->ssl = o->ssl != 0;
	if (asprintf(&cf->base, "%s://%s", cf->ssl ? "https" : "http",
	    o->addr) == -1) {
		cf->base = NULL;
		goto fail;
	}
	if (o->token != NULL && *o->token != '\0' &&
	    asprintf(&cf->tokhdr, "X-Consul-Token: %s", o->token) == -1) {
		cf->tokhdr = NULL;
		goto fail;
	}
	if (cf->ssl && (conf_dup_pem(&cf->cacert, o->cacert) == -1 ||
	    conf_dup_pem(&cf->cert, o->client_cert) == -1 ||
	    conf_dup_pem(&cf->key, o->client_key) == -1))
		goto fail;
	return 0;

 fail:
	log_warn("consul: options");
	conf_clear(cf);
	errno = ENOMEM;
	return -1;
}

static void
conf_clear(struct consul_conf *cf)
{
	free(cf->base);
	free(cf->tokhdr);
	/* Keys should not linger in freed heap memory. */
	if (cf->key != NULL)
		explicit_bzero(cf->key, strlen(cf->key));
	free(cf->cacert);
	free(cf->cert);
	free(cf->key);
	memset(cf, 0, sizeof(*cf));
}

struct consul *
consul_new(struct ev_loop *loop, const struct consul_opts *o)
{
	struct consul	*c;
	CURLcode	 rc;

	/* The elector is single-threaded, so a plain flag suffices. */
	if (!consul_curl_ready) {
		if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
			log_warnx("curl_global_init: %s",
			    curl_easy_strerror(rc));
			return NULL;
		}
		consul_curl_ready = 1;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("consul client");
		return NULL;
	}
	c->loop = loop;
	TAILQ_INIT(&c->active);
	TAILQ_INIT(&c->done);
	LIST_INIT(&c->socks);
	ev_timer_init(&c->timer, consul_timeout, c);
	if (conf_load(&c->conf, o) == -1)
		goto fail;
	if ((c->multi = curl_multi_init()) == NULL) {
		log_warnx("curl_multi_init failed");
		goto fail;
	}
	if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION,
	    consul_sock_cb) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION,
	    consul_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    CONSUL_MAX_CONNECTIONS) != CURLM_OK) {
		log_warnx("curl_multi_setopt failed");
		goto fail;
	}
	return c;

 fail:
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	conf_clear(&c->conf);
	free(c);
	return NULL;
}

void
consul_free(struct consul *c)
{
	if (c == NULL || c->dying)
		return;
	/*
	 * Inside a callback the done list is being walked: drop every
	 * request now so that nothing more is called back, and leave the
	 * rest to consul_complete() once the callback has returned.
	 */
	c->dying = 1;
	if (c->in_cb) {
		consul_cancel_all(c);
		return;
	}
	consul_destroy(c);
}

static void
consul_cancel_all(struct consul *c)
{
	struct consul_req	*r;

	while ((r = TAILQ_FIRST(&c->active)) != NULL)
		consul_cancel(c, r);
	while ((r = TAILQ_FIRST(&c->done)) != NULL)
		consul_cancel(c, r);
}

static void
consul_destroy(struct consul *c)
{
	struct consul_sock	*s;

	consul_cancel_all(c);
	ev_timer_stop(c->loop, &c->timer);
	/*
	 * Idle kept-alive connections are not watched, but stop any socket
	 * curl still has us watch while its descriptor is open: once curl
	 * has closed it, the number may belong to someone else's watcher.
	 * curl may still report sockets removed during the cleanup, so the
	 * structures are freed only after it.
	 */
	c->closing = 1;
	LIST_FOREACH(s, &c->socks, entry)
		ev_io_stop(c->loop, &s->io);
	curl_multi_cleanup(c->multi);
	while ((s = LIST_FIRST(&c->socks)) != NULL)
		consul_sock_free(c, s);
	conf_clear(&c->conf);
	free(c);
}

int
consul_set_opts(struct consul *c, const struct consul_opts *o)
{
	struct consul_conf	cf;

	/*
	 * Requests in flight keep what they were started with: curl holds
	 * copies of the URL and certificates, each request its own header
	 * list.  Cached connections are reused only by requests whose TLS
	 * settings match (curl compares them).
	 */
	if (conf_load(&cf, o) == -1)
		return -1;
	conf_clear(&c->conf);
	c->conf = cf;
	return 0;
}

size_t
consul_pending(const struct consul *c)
{
	return c == NULL ? 0 : c->npending;
}

/*
 * curl's socket callback: start, change or stop watching one socket.
 * Returning -1 would mark the whole multi handle dead in this libcurl, so
 * a failure to watch is logged and left to the request's timeout.
 */
static int
consul_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *sockp)
{
	struct consul		*c = userp;
	struct consul_sock	*s = sockp;
	uint32_t		 events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			consul_sock_free(c, s);
		return 0;
	}
	if (c->closing)
		return 0;
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;

	if (s != NULL) {
		if (ev_io_set(c->loop, &s->io, events) == -1)
			log_warn("consul: watch socket %d", fd);
		return 0;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("consul: socket watcher");
		return 0;
	}
	s->c = c;
	if (ev_io_start(c->loop, &s->io, fd, events, consul_io, s) == -1) {
		log_warn("consul: watch socket %d", fd);
		free(s);
		return 0;
	}
	LIST_INSERT_HEAD(&c->socks, s, entry);
	if (curl_multi_assign(c->multi, fd, s) != CURLM_OK) {
		/* Without it curl would never hand s back to be freed. */
		log_warnx("consul: curl_multi_assign failed");
		consul_sock_free(c, s);
	}
	return 0;
}

static void
consul_sock_free(struct consul *c, struct consul_sock *s)
{
	ev_io_stop(c->loop, &s->io);
	LIST_REMOVE(s, entry);
	free(s);
}

/* curl's timer callback: when to call it back with CURL_SOCKET_TIMEOUT. */
static int
consul_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct consul	*c = userp;

	if (c->closing)
		return 0;
	/*
	 * Never act on it right here: curl must not be re-entered from its
	 * own callback.  A 0 ms timer runs on the next loop iteration.
	 */
	if (timeout_ms < 0)
		ev_timer_stop(c->loop, &c->timer);
	else
		ev_timer_start(c->loop, &c->timer, (uint64_t)timeout_ms);
	return 0;
}

static void
consul_io(int fd, uint32_t events, void *arg)
{
	struct consul_sock	*s = arg;
	struct consul		*c = s->c;
	uint32_t		 watched = s->io.events;
	int			 mask = 0, running;
	CURLMcode		 rc;

	/*
	 * EPOLLHUP and EPOLLERR come whatever was asked: they make the
	 * watched direction ready, since reading or writing now returns at
	 * once with the error or end of file curl must see.
	 */
	if (events & (EPOLLERR | EPOLLHUP))
		events |= watched;
	if (events & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		mask |= CURL_CSELECT_ERR;
	/* From here on s may have been freed by consul_sock_cb(). */
	rc = curl_multi_socket_action(c->multi, fd, mask, &running);
	if (rc != CURLM_OK)
		log_warnx("consul: curl_multi_socket_action: %s",
		    curl_multi_strerror(rc));
	consul_complete(c);
}

static void
consul_timeout(void *arg)
{
	struct consul	*c = arg;
	int		 running;
	CURLMcode	 rc;

	rc = curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	if (rc != CURLM_OK)
		log_warnx("consul: curl_multi_socket_action: %s",
		    curl_multi_strerror(rc));
	consul_complete(c);
}

/*
 * Take every finished transfer out of curl first, then call back.  The
 * callbacks may change the lists under us (start, cancel, free), so the
 * done list is re-read after each one and nothing of curl's message queue
 * is held across a callback.
 */
static void
consul_complete(struct consul *c)
{
	struct consul_req	*r;
	CURLMsg			*msg;
	CURL			*easy;
	CURLcode		 result;
	char			*priv;
	int			 left;

	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg dies with curl_multi_remove_handle(): copy first. */
		easy = msg->easy_handle;
		result = msg->data.result;
		priv = NULL;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) !=
		    CURLE_OK || priv == NULL)
			fatalx("consul: finished transfer without a request");
		r = (struct consul_req *)(void *)priv;
		curl_multi_remove_handle(c->multi, easy);
		r->result = result;
		r->end = ev_now();
		TAILQ_REMOVE(&c->active, r, entry);
		r->state = REQ_DONE;
		TAILQ_INSERT_TAIL(&c->done, r, entry);
	}

	/* Only the outermost walk calls back, in order. */
	if (c->in_cb)
		return;
	c->in_cb = 1;
	while (!c->dying && (r = TAILQ_FIRST(&c->done)) != NULL) {
		TAILQ_REMOVE(&c->done, r, entry);
		c->npending--;
		consul_respond(c, r);
	}
	c->in_cb = 0;
	if (c->dying)
		consul_destroy(c);
}

static void
consul_respond(struct consul *c, struct consul_req *r)
{
	struct consul_resp	resp;
	long			status = 0;

	memset(&resp, 0, sizeof(resp));
	resp.body = "";
	resp.error = "";
	resp.elapsed_ms = r->end - r->start;
	if (r->why != NULL)
		resp.error = r->why;
	else if (r->result != CURLE_OK)
		resp.error = r->errbuf[0] != '\0' ? r->errbuf :
		    curl_easy_strerror(r->result);
	else if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
	    &status) != CURLE_OK || status == 0) {
		status = 0;
		resp.error = "no HTTP status";
	} else {
		resp.status = status;
		resp.index = r->index;
		if (r->buf != NULL) {
			resp.body = r->buf;
			resp.len = r->len;
		}
	}

	/* consul_cancel() of the request being answered is ignored. */
	c->current = r;
	r->cb(&resp, r->arg);
	c->current = NULL;
	consul_req_free(r);
}

/* Escaped already by the caller: printable ASCII only, no spaces. */
static int
consul_path_ok(const char *path)
{
	return path[0] == '/' && conf_text_ok(path, "#");
}

static int
consul_method_ok(const char *m)
{
	if (*m == '\0')
		return 0;
	for (; *m != '\0'; m++)
		if (*m < 'A' || *m > 'Z')
			return 0;
	return 1;
}

struct consul_req *
consul_call(struct consul *c, const char *method, const char *path,
    const char *body, uint64_t timeout_ms, consul_cb cb, void *arg)
{
	struct consul_req	*r;
	CURLMcode		 mrc;

	/* A callback that freed its client may still try: refuse quietly. */
	if (c != NULL && c->dying) {
		errno = ESHUTDOWN;
		return NULL;
	}
	if (c == NULL || method == NULL ||
	    !consul_method_ok(method) || path == NULL ||
	    !consul_path_ok(path) || cb == NULL) {
		log_warnx("consul: bad request %s %s",
		    method == NULL ? "-" : method, path == NULL ? "-" : path);
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("consul: request");
		return NULL;
	}
	r->c = c;
	r->cb = cb;
	r->arg = arg;
	if (consul_req_setup(&c->conf, r, method, path, body, timeout_ms) == -1)
		goto fail;
	r->start = ev_now();
	/*
	 * Adding only makes curl ask for a 0 ms timer: the transfer, and
	 * so its callback, starts from the loop, never from here.
	 */
	if ((mrc = curl_multi_add_handle(c->multi, r->easy)) != CURLM_OK) {
		log_warnx("consul: %s %s: %s", method, path,
		    curl_multi_strerror(mrc));
		goto fail;
	}
	r->state = REQ_ACTIVE;
	TAILQ_INSERT_TAIL(&c->active, r, entry);
	c->npending++;
	return r;

 fail:
	consul_req_free(r);
	errno = ENOMEM;
	return NULL;
}

void
consul_cancel(struct consul *c, struct consul_req *r)
{
	if (c == NULL || r == NULL)
		return;
	/* Its callback runs right now; consul_complete() frees it after. */
	if (r == c->current)
		return;
	if (r->c != c) {
		log_warnx("consul: cancel of another client's request");
		return;
	}
	if (r->state == REQ_ACTIVE) {
		curl_multi_remove_handle(c->multi, r->easy);
		TAILQ_REMOVE(&c->active, r, entry);
	} else
		TAILQ_REMOVE(&c->done, r, entry);
	c->npending--;
	consul_req_free(r);
}

static int
consul_escape_keep(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
	    ch == '_' || ch == '~' || ch == '/';
}

/*
 * RFC 3986 unreserved characters stay, and so does '/': Consul's KV keys
 * and service names use it as a separator that belongs in the path, and
 * a query value may hold it unescaped.  Everything else, including every
 * byte of a UTF-8 sequence, becomes %XX.
 */
char *
consul_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 n = 0;
	char			*out, *o;

	if (s == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(s) > (SIZE_MAX - 1) / 3) {
		errno = ENOMEM;
		return NULL;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += consul_escape_keep(*p) ? 1 : 3;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = (const unsigned char *)s, o = out; *p != '\0'; p++) {
		if (consul_escape_keep(*p))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0x0f];
		}
	}
	*o = '\0';
	return out;
}
