/*
 * Control of the local server over one RESP connection.
 *
 * Everything is driven by the event loop: a non-blocking connect bounded
 * by a timer, commands queued in a write buffer and flushed as the socket
 * allows, and replies parsed incrementally and matched in order against a
 * queue of what was sent.  A probe (Tile38 SERVER, Redis INFO) runs every
 * probe_ms; after each one the observed state is compared with the
 * desired one and, while they differ, the commands that make them agree
 * are sent again with capped backoff.  Those commands run one at a time,
 * each only after the previous one succeeded: discarding the dataset must
 * never be skipped on the way to FOLLOW, and nothing must be flushed
 * after a failed FOLLOW no one.
 *
 * Any trouble with the connection (refused, reset, a reply that is not
 * RESP, a reply that does not come within timeout_ms) closes it and
 * connects again with capped backoff; the server is reported down
 * meanwhile.  The owner's callback always runs from a timer of its own,
 * with nothing of this file on the stack, so that it may free this
 * object or change what it wants from inside the callback.
 *
 * What a probe's reply says is read in srv_info.c; which commands make
 * the server agree with what is wanted, in srvctl_apply.c.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "resp.h"
#include "srvctl_int.h"

#define SC_READ_CHUNK		16384
/* The largest reply the parser accepts, with room for its framing. */
#define SC_RBUF_MAX		(RESP_MAX_BULK + 65536)

/*
 * Redis waits repl-diskless-sync-delay (5 s by default) before a new
 * replica's first full sync, hoping more replicas come to share it:
 * meanwhile the leader acknowledges writes only it has.  A server left
 * at that default gets 0, so that a follower is caught up as soon as it
 * can be; any other value is the operator's and is left alone.
 */
#define REDIS_SYNC_DELAY_DEFAULT	"5"

static void	sc_connect(struct srvctl *);
static void	sc_fail(struct srvctl *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	sc_flush(struct srvctl *);
static int	sc_probe_send(struct srvctl *);

uint64_t
sc_backoff_next(uint64_t *b)
{
	uint64_t	cur = *b;

	*b = cur * 2 > SC_BACKOFF_MAX_MS ? SC_BACKOFF_MAX_MS : cur * 2;
	return cur;
}

/* The owner's callback, from a timer of its own (see the top). */
static void
sc_notify_cb(void *arg)
{
	struct srvctl	*s = arg;

	s->cb(s, &s->st, s->arg);
}

void
sc_notify(struct srvctl *s)
{
	if (!ev_timer_pending(&s->t_notify))
		ev_timer_start(s->loop, &s->t_notify, 0);
}

/* Forget the connection and everything tied to it. */
static void
sc_close(struct srvctl *s)
{
	ev_io_stop(s->loop, &s->io);
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	ev_timer_stop(s->loop, &s->t_deadline);
	ev_timer_stop(s->loop, &s->t_probe);
	s->conn = SC_DOWN;
	s->wlen = s->woff = 0;
	s->rlen = 0;
	s->phead = s->pcount = 0;
	s->probing = 0;
	s->applying = 0;
	s->auth_refused = 0;
	s->t38.following[0] = '\0';
	s->t38.read_only = 0;
	s->paused_until = 0;
}

/* Down: what is left of the last state is history, not fact. */
static void
sc_set_down(struct srvctl *s)
{
	int	was_up = s->st.up;

	s->st.up = 0;
	s->st.loading = 0;
	s->st.writable = 0;
	s->st.link_up = 0;
	s->st.caught_up = 0;
	sc_update_applied(s);
	if (was_up)
		sc_notify(s);
}

static void
sc_fail(struct srvctl *s, const char *fmt, ...)
{
	char		msg[sizeof(s->st.error)];
	va_list		ap;
	uint64_t	delay;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Once per kind of failure, not once per retry every 2 s. */
	if (strcmp(msg, s->last_fail) != 0) {
		log_warnx("server %s: %s", s->name, msg);
		strlcpy(s->last_fail, msg, sizeof(s->last_fail));
	} else
		log_debug("server %s: %s", s->name, msg);
	strlcpy(s->st.error, msg, sizeof(s->st.error));
	sc_close(s);
	sc_set_down(s);
	delay = sc_backoff_next(&s->backoff);
	ev_timer_start(s->loop, &s->t_retry, delay);
}

static void
sc_deadline_cb(void *arg)
{
	struct srvctl	*s = arg;

	if (s->conn == SC_CONNECTING)
		sc_fail(s, "connect timed out after %llu ms",
		    (unsigned long long)s->timeout_ms);
	else
		sc_fail(s, "no reply within %llu ms",
		    (unsigned long long)s->timeout_ms);
}

static uint64_t
sc_allowance(const struct srvctl *s, enum sc_op op)
{
	return op == OP_STEP ? s->timeout_ms + SC_STEP_GRACE_MS :
	    s->timeout_ms;
}

/*
 * Queue one command; sc_flush() sends it.  The reply is expected in turn.
 * Like every function here that returns -1 on trouble, it has closed the
 * connection by then.
 */
int
sc_send(struct srvctl *s, enum sc_op op, enum sc_step step, int argc,
    const char *const *argv)
{
	struct sc_pending	*p;

	if (s->pcount == SC_PENDING) {
		/* Cannot happen with one probe and one step in flight. */
		sc_fail(s, "too many commands in flight");
		return -1;
	}
	if (resp_encode(&s->wbuf, &s->wlen, &s->wcap, argc, argv) == -1) {
		sc_fail(s, "command: %s", strerror(errno));
		return -1;
	}
	p = &s->pend[(s->phead + s->pcount) % SC_PENDING];
	p->op = op;
	p->step = step;
	p->gen = s->gen;
	if (s->pcount++ == 0)
		ev_timer_start(s->loop, &s->t_deadline, sc_allowance(s, op));
	return 0;
}

static int
sc_flush(struct srvctl *s)
{
	ssize_t		n;
	uint32_t	ev;

	while (s->woff < s->wlen) {
		n = send(s->fd, s->wbuf + s->woff, s->wlen - s->woff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1) {
			sc_fail(s, "send: %s", strerror(errno));
			return -1;
		}
		s->woff += (size_t)n;
	}
	if (s->woff == s->wlen)
		s->woff = s->wlen = 0;
	/* Ask for EPOLLOUT only while something waits to be written. */
	ev = s->wlen > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN;
	if (ev != s->io.events && ev_io_set(s->loop, &s->io, ev) == -1) {
		sc_fail(s, "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A probe's answer into s->st.  A refused probe fails the connection;
 * after a refused AUTH, that is the reason to give.
 */
static int
sc_probe_reply(struct srvctl *s, const struct resp *r)
{
	const char	*cmd, *why = NULL;
	enum srv_info	 rc;

	if (s->kind == SERVER_TILE38) {
		cmd = "SERVER";
		rc = srv_info_tile38(r, &s->t38, &s->st, &why);
	} else {
		cmd = "INFO";
		rc = srv_info_redis(r, s->paused_until > ev_now(), &s->st,
		    &why);
	}
	switch (rc) {
	case SRV_INFO_OK:
		if (why != NULL)
			log_debug("server %s: %s", s->name, why);
		return 0;
	case SRV_INFO_REFUSED:
		if (s->auth_refused)
			sc_fail(s, "AUTH: %s", s->auth_err);
		else
			sc_fail(s, "%s: %s", cmd, r->str);
		return -1;
	case SRV_INFO_BAD:
		sc_fail(s, "%s: %s", cmd, why);
		return -1;
	}
	return -1;
}

/*
 * Probe now, after a command sequence ended.  A probe still in flight was
 * sent after the last step (replies come in order), so its answer already
 * shows the step's effect: waiting for it is as good as sending another.
 */
int
sc_probe_soon(struct srvctl *s)
{
	if (s->probing)
		return 0;
	ev_timer_stop(s->loop, &s->t_probe);
	return sc_probe_send(s);
}

/* A probe was answered: compare, act, report, and plan the next one. */
static int
sc_probe_done(struct srvctl *s)
{
	int	was_up = s->st.up;

	s->st.up = 1;
	s->st.last_ok = ev_now();
	s->backoff = SC_BACKOFF_MIN_MS;
	s->last_fail[0] = '\0';
	if (!was_up)
		log_debug("server %s: up (%s)", s->name,
		    s->st.version);
	sc_update_applied(s);
	if (s->st.applied) {
		s->apply_backoff = SC_BACKOFF_MIN_MS;
		s->apply_at = 0;
		s->st.error[0] = '\0';
	} else if (s->want != SRV_WANT_NONE && !s->st.loading &&
	    !s->applying && ev_now() >= s->apply_at) {
		if (sc_apply_start(s) == -1)
			return -1;
	}
	sc_notify(s);
	ev_timer_start(s->loop, &s->t_probe, s->probe_ms);
	return 0;
}

/*
 * The answer to CONFIG GET repl-diskless-sync-delay: ["name", "value"].
 * A refusal (CONFIG renamed away, an ACL) is said once and changes
 * nothing else.
 */
static int
sc_sync_delay(struct srvctl *s, const struct resp *r)
{
	const char	*set[] = { "CONFIG", "SET", "repl-diskless-sync-delay",
			    "0" };

	if (r->type == RESP_ERROR) {
		if (!s->sync_delay_logged)
			log_warnx("server %s: CONFIG GET "
			    "repl-diskless-sync-delay: %s", s->name,
			    r->str);
		s->sync_delay_logged = 1;
		return 0;
	}
	if (r->type != RESP_ARRAY || r->n != 2 ||
	    r->elems[1].type != RESP_BULK ||
	    strcmp(r->elems[1].str, REDIS_SYNC_DELAY_DEFAULT) != 0)
		return 0;
	return sc_send(s, OP_SYNC_DELAY_SET, 0, 4, set);
}

/* One reply, matched with the oldest command in flight. */
static int
sc_reply(struct srvctl *s, const struct resp *r)
{
	struct sc_pending	p;

	if (s->pcount == 0) {
		sc_fail(s, "reply to no command");
		return -1;
	}
	p = s->pend[s->phead];
	s->phead = (s->phead + 1) % SC_PENDING;
	if (--s->pcount > 0)
		ev_timer_start(s->loop, &s->t_deadline,
		    sc_allowance(s, s->pend[s->phead].op));
	else
		ev_timer_stop(s->loop, &s->t_deadline);

	switch (p.op) {
	case OP_OUTPUT:
		if (r->type == RESP_ERROR) {
			sc_fail(s, "OUTPUT resp: %s (not a Tile38 server?)",
			    r->str);
			return -1;
		}
		return 0;
	case OP_AUTH:
		/*
		 * Not fatal: a server without a password refuses AUTH, and
		 * one that needs it refuses the probe, which then says why.
		 */
		if (r->type != RESP_ERROR) {
			s->auth_err[0] = '\0';
			return 0;
		}
		/* Once, not on every reconnection. */
		if (strcmp(s->auth_err, r->str) != 0)
			log_warnx("server %s: AUTH: %s", s->name,
			    r->str);
		strlcpy(s->auth_err, r->str, sizeof(s->auth_err));
		s->auth_refused = 1;
		snprintf(s->st.error, sizeof(s->st.error), "AUTH: %s", r->str);
		return 0;
	case OP_SYNC_DELAY:
		return sc_sync_delay(s, r);
	case OP_SYNC_DELAY_SET:
		if (r->type == RESP_ERROR)
			log_warnx("server %s: CONFIG SET "
			    "repl-diskless-sync-delay 0: %s", s->name,
			    r->str);
		else
			log_info("server %s: repl-diskless-sync-delay was "
			    "Redis' default, %s s; now 0: a new follower's "
			    "first sync starts at once", s->name,
			    REDIS_SYNC_DELAY_DEFAULT);
		return 0;
	case OP_PROBE:
		s->probing = 0;
		if (sc_probe_reply(s, r) == -1)
			return -1;
		return sc_probe_done(s);
	case OP_STEP:
		return sc_step_reply(s, &p, r);
	}
	return 0;
}

static int
sc_probe_send(struct srvctl *s)
{
	const char	*tile38[] = { "SERVER" };
	const char	*redis[] = { "INFO" };

	if (sc_send(s, OP_PROBE, 0, 1,
	    s->kind == SERVER_TILE38 ? tile38 : redis) == -1)
		return -1;
	s->probing = 1;
	return 0;
}

static void
sc_probe_cb(void *arg)
{
	struct srvctl	*s = arg;

	if (s->conn != SC_UP || s->probing)
		return;
	if (sc_probe_send(s) == -1)
		return;
	sc_flush(s);
}

/* Parse and handle every whole reply in the read buffer. */
static int
sc_replies(struct srvctl *s)
{
	struct resp	r;
	char		err[128];
	size_t		off = 0;
	ssize_t		n;
	int		rv;

	while (off < s->rlen) {
		n = resp_parse(s->rbuf + off, s->rlen - off, &r, err,
		    sizeof(err));
		if (n == 0)
			break;
		if (n == -1) {
			sc_fail(s, "bad reply: %s", err);
			return -1;
		}
		off += (size_t)n;
		rv = sc_reply(s, &r);
		resp_clear(&r);
		/* The connection is gone, and its buffer with it. */
		if (rv == -1)
			return -1;
	}
	if (off > 0) {
		memmove(s->rbuf, s->rbuf + off, s->rlen - off);
		s->rlen -= off;
	}
	return 0;
}

static int
sc_read(struct srvctl *s)
{
	size_t	 ncap;
	char	*nb;
	ssize_t	 n;

	if (s->rcap - s->rlen < SC_READ_CHUNK) {
		if (s->rcap >= SC_RBUF_MAX) {
			sc_fail(s, "reply larger than %d bytes", SC_RBUF_MAX);
			return -1;
		}
		ncap = s->rcap == 0 ? 2 * SC_READ_CHUNK : s->rcap * 2;
		if (ncap > SC_RBUF_MAX)
			ncap = SC_RBUF_MAX;
		if ((nb = realloc(s->rbuf, ncap)) == NULL) {
			sc_fail(s, "out of memory for a reply");
			return -1;
		}
		s->rbuf = nb;
		s->rcap = ncap;
	}
	do {
		n = recv(s->fd, s->rbuf + s->rlen, s->rcap - s->rlen, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == -1) {
		sc_fail(s, "recv: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		sc_fail(s, "connection closed by the server");
		return -1;
	}
	s->rlen += (size_t)n;
	return sc_replies(s);
}

static int
sc_connected(struct srvctl *s)
{
	const char	*output[] = { "OUTPUT", "resp" };
	const char	*auth[] = { "AUTH", s->password };
	const char	*sync_delay[] = { "CONFIG", "GET",
			    "repl-diskless-sync-delay" };
	int		 one = 1;

	ev_timer_stop(s->loop, &s->t_deadline);
	s->conn = SC_UP;
	/* Small commands and replies: no Nagle delay on the probe. */
	if (s->port != 0 && setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1)
		log_debug("server %s: TCP_NODELAY: %s", s->name,
		    strerror(errno));
	log_debug("server %s: connected", s->name);
	/*
	 * OUTPUT first: Tile38 accepts it without AUTH, and a server
	 * started with JSON output would answer even AUTH in JSON.
	 */
	if (s->kind == SERVER_TILE38 && sc_send(s, OP_OUTPUT, 0, 2,
	    output) == -1)
		return -1;
	if (s->password != NULL && sc_send(s, OP_AUTH, 0, 2, auth) == -1)
		return -1;
	if (s->kind == SERVER_REDIS && sc_send(s, OP_SYNC_DELAY, 0, 3,
	    sync_delay) == -1)
		return -1;
	return sc_probe_send(s);
}

static void
sc_io_cb(int fd, uint32_t events, void *arg)
{
	struct srvctl	*s = arg;
	int		 err = 0;
	socklen_t	 len = sizeof(err);

	if (s->conn == SC_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			sc_fail(s, "connect: %s", strerror(err));
			return;
		}
		if (sc_connected(s) == -1)
			return;
		sc_flush(s);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (sc_read(s) == -1)
			return;
	}
	/* Replies may have queued commands; write what the socket takes. */
	sc_flush(s);
}

/* Only numeric addresses: a DNS lookup would block the loop. */
static int
sc_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (port == 0) {
		if (strlcpy(sun->sun_path, host, sizeof(sun->sun_path)) >=
		    sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		*len = sizeof(*sun);
		return 0;
	}
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static void
sc_connect(struct srvctl *s)
{
	struct sockaddr_storage	ss;
	socklen_t		len;

	sc_close(s);
	if (sc_sockaddr(s->host, s->port, &ss, &len) == -1) {
		sc_fail(s, "not a numeric address or a UNIX socket: %s",
		    s->host);
		return;
	}
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s->fd == -1) {
		sc_fail(s, "socket: %s", strerror(errno));
		return;
	}
	if (connect(s->fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		sc_fail(s, "connect: %s", strerror(errno));
		return;
	}
	/* Connected or not, EPOLLOUT says when the outcome is known. */
	if (ev_io_start(s->loop, &s->io, s->fd, EPOLLOUT, sc_io_cb, s) == -1) {
		sc_fail(s, "epoll: %s", strerror(errno));
		return;
	}
	s->conn = SC_CONNECTING;
	ev_timer_start(s->loop, &s->t_deadline, s->timeout_ms);
}

static void
sc_retry_cb(void *arg)
{
	sc_connect(arg);
}

static int
sc_opts_valid(const struct srvctl_opts *o)
{
	if (o == NULL || o->probe_ms == 0 || o->timeout_ms == 0 ||
	    (o->kind != SERVER_TILE38 && o->kind != SERVER_REDIS))
		return 0;
	if (o->socket != NULL && o->socket[0] != '\0')
		return o->socket[0] == '/';
	return o->host != NULL && o->host[0] != '\0' && o->port != 0;
}

/* Where o says the server is: host and port, or a socket and port 0. */
static const char *
sc_opts_where(const struct srvctl_opts *o, uint16_t *port)
{
	if (o->socket != NULL && o->socket[0] != '\0') {
		*port = 0;
		return o->socket;
	}
	*port = o->port;
	return o->host;
}

static void
sc_set_name(struct srvctl *s)
{
	if (s->port == 0)
		snprintf(s->name, sizeof(s->name), "%s", s->host);
	else
		snprintf(s->name, sizeof(s->name), "%s:%u", s->host, s->port);
}

/* An empty password is no password. */
static char *
sc_password(const char *pw)
{
	return pw != NULL && pw[0] != '\0' ? strdup(pw) : NULL;
}

struct srvctl *
srvctl_new(struct ev_loop *loop, const struct srvctl_opts *o, srvctl_cb cb,
    void *arg)
{
	struct srvctl	*s;
	const char	*where;

	if (!sc_opts_valid(o) || cb == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->cb = cb;
	s->arg = arg;
	s->kind = o->kind;
	where = sc_opts_where(o, &s->port);
	s->probe_ms = o->probe_ms;
	s->timeout_ms = o->timeout_ms;
	s->fd = -1;
	s->io.fd = -1;
	s->backoff = SC_BACKOFF_MIN_MS;
	s->apply_backoff = SC_BACKOFF_MIN_MS;
	ev_timer_init(&s->t_retry, sc_retry_cb, s);
	ev_timer_init(&s->t_deadline, sc_deadline_cb, s);
	ev_timer_init(&s->t_probe, sc_probe_cb, s);
	ev_timer_init(&s->t_notify, sc_notify_cb, s);
	if ((s->host = strdup(where)) == NULL)
		goto fail;
	sc_set_name(s);
	s->password = sc_password(o->password);
	if (s->password == NULL && o->password != NULL &&
	    o->password[0] != '\0')
		goto fail;
	sc_connect(s);
	return s;

 fail:
	free(s->host);
	free(s);
	return NULL;
}

void
srvctl_free(struct srvctl *s)
{
	if (s == NULL)
		return;
	sc_close(s);
	ev_timer_stop(s->loop, &s->t_retry);
	ev_timer_stop(s->loop, &s->t_notify);
	free(s->wbuf);
	free(s->rbuf);
	free(s->host);
	if (s->password != NULL)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s);
}

void
srvctl_set_opts(struct srvctl *s, const struct srvctl_opts *o)
{
	const char	*where;
	char		*host, *pw, was[sizeof(s->name)];
	uint16_t	 port;

	if (!sc_opts_valid(o)) {
		log_warnx("server control: invalid options ignored");
		return;
	}
	s->probe_ms = o->probe_ms;
	s->timeout_ms = o->timeout_ms;
	pw = sc_password(o->password);
	if (pw == NULL && o->password != NULL && o->password[0] != '\0') {
		log_warn("server control: options");
		return;
	}
	where = sc_opts_where(o, &port);
	if (o->kind == s->kind && port == s->port &&
	    strcmp(where, s->host) == 0 && (pw == NULL ?
	    s->password == NULL : s->password != NULL &&
	    strcmp(pw, s->password) == 0)) {
		free(pw);
		return;
	}
	if ((host = strdup(where)) == NULL) {
		log_warn("server control: options");
		free(pw);
		return;
	}
	strlcpy(was, s->name, sizeof(was));
	free(s->host);
	s->host = host;
	s->port = port;
	sc_set_name(s);
	log_info("server %s: now %s, reconnecting", was, s->name);
	if (s->password != NULL)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	s->password = pw;
	s->kind = o->kind;
	sc_close(s);
	sc_set_down(s);
	s->backoff = SC_BACKOFF_MIN_MS;
	s->last_fail[0] = '\0';
	/* From a timer, so that the caller's own state settles first. */
	ev_timer_start(s->loop, &s->t_retry, 0);
}

void
srvctl_want(struct srvctl *s, enum srv_want want, const char *host,
    uint16_t port, int fresh)
{
	s->want = want;
	s->want_addr[0] = '\0';
	s->want_host[0] = '\0';
	s->want_port = 0;
	if (host != NULL && host[0] != '\0' && port != 0) {
		/* "host:port" must fit where the probe reports it. */
		if ((size_t)snprintf(s->want_addr, sizeof(s->want_addr),
		    "%s:%u", host, port) < sizeof(s->want_addr)) {
			strlcpy(s->want_host, host, sizeof(s->want_host));
			s->want_port = port;
		} else {
			log_warnx("server %s: target address too long",
			    s->name);
			s->want_addr[0] = '\0';
		}
	}
	/*
	 * Every call asks again: a leader of another lineage may sit behind
	 * the same address (the bridge).
	 */
	s->fresh = want == SRV_WANT_FOLLOW && fresh;
	s->gen++;
	s->apply_backoff = SC_BACKOFF_MIN_MS;
	s->apply_at = 0;
	log_debug("server %s: want %s %s%s", s->name,
	    sc_want_name(want), s->want_addr, s->fresh ? " fresh" : "");
	sc_update_applied(s);
	/* The probe's answer is compared with the new wish and acted on. */
	if (s->conn == SC_UP && !s->probing)
		ev_timer_start(s->loop, &s->t_probe, 0);
}

const struct srv_state *
srvctl_state(const struct srvctl *s)
{
	return &s->st;
}
