/*
 * The relay: two ends, each a socket with or without TLS, and one ring
 * buffer per direction.
 *
 * A direction holds its buffer only while bytes are in it: taken from a
 * pool when its source is readable, given back once it is empty again.
 * An idle connection, one that has carried requests included, then holds
 * no buffer at all, and what a read brings in one piece (a whole reply)
 * leaves in one piece.
 *
 * Every end has a "may read" and a "may write" flag, set by epoll and
 * cleared only when an operation would block.  Waiting on epoll alone is
 * not enough for TLS: SSL_read() decrypts a whole record and hands out
 * as much as fits, and the rest sits in the SSL where epoll cannot see
 * it.  With the flags, an end stays readable until SSL_read() itself says
 * WANT_READ, so a record left half read is finished as soon as there is
 * room, without waiting for a socket event that may never come.
 *
 * TLS also lets either operation need the other direction of the socket
 * (a read that must send, a write that must receive), so each end
 * remembers which event its blocked read and its blocked write are
 * waiting for, and asks epoll for exactly those.
 *
 * A filter (relay_filter()) sees each direction's bytes as they arrive
 * and decides, for each run, whether it may be written, waits for a
 * decision or is dropped; of the bytes after head, fwd may be written
 * and scanned have been seen.  Dropped bytes leave from head, once what
 * passed before them is out.  Its own replies (a refused command's
 * error) go to a between two of the server's, where the filter stops
 * the server's bytes; both ways wait until they are out.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "event.h"
#include "proxy_relay.h"

/*
 * Rounds of reading and writing per wake-up: enough to move a few
 * buffers, few enough that one busy connection cannot hold up the rest
 * of the loop.
 */
#define RELAY_ROUNDS	8
/*
 * Empty buffers kept for the next reads, all of one size (the first one
 * given back; a buffer of another size is freed).  Enough for the
 * connections that move bytes in one turn of the loop.
 */
#define RELAY_POOL_MAX	64

struct relay;

struct relay_end {
	struct relay	*r;
	const char	*name;		/* "a" or "b", for messages */
	int		 fd;
	SSL		*ssl;
	struct ev_io	 io;
	uint32_t	 rd_ev;		/* what a blocked read awaits */
	uint32_t	 wr_ev;		/* and a blocked write */
	int		 rd_ready;
	int		 wr_ready;
};

/* Bytes from src to dst, kept in buf[head .. head + len) modulo size. */
struct relay_dir {
	struct relay_end *src;
	struct relay_end *dst;
	char		*buf;
	size_t		 head;
	size_t		 len;
	uint64_t	 bytes;		/* written to dst */
	int		 eof;		/* src has ended */
	int		 shut;		/* and dst was told so */
	/* with a filter, counted from head: */
	size_t		 fwd;		/* may be written */
	size_t		 scanned;	/* seen by the filter */
	int		 drop;		/* scanned after fwd goes */
	int		 paused;	/* until the filter's reply is out */
	int		 gated;		/* the gate holds it */
	int		 poke;		/* ask reply() though nothing is new */
};

struct relay {
	struct ev_loop	*loop;
	struct relay_end end[2];
	struct relay_dir dir[2];	/* [0] a -> b, [1] b -> a */
	size_t		 size;
	struct ev_timer	 kick;
	relay_done_cb	 cb;
	void		*arg;
	relay_gate_cb	 gate;		/* both ways */
	void		*gate_arg;
	int		 last;		/* direction written last; -1 none */
	struct relay_filter filt;
	int		 filtered;
	size_t		 injoff;	/* of the filter's reply, written */
	char		 why[128];
};

/* The process's pool: a proxy runs one loop, in one thread. */
static struct {
	char	*free[RELAY_POOL_MAX];
	size_t	 count;
	size_t	 size;
} pool;

static char *
pool_get(size_t size)
{
	if (pool.count > 0 && pool.size == size)
		return pool.free[--pool.count];
	return malloc(size);
}

static void
pool_put(char *buf, size_t size)
{
	if (pool.count == 0)
		pool.size = size;
	if (pool.size == size && pool.count < RELAY_POOL_MAX)
		pool.free[pool.count++] = buf;
	else
		free(buf);
}

void
relay_pool_clear(void)
{
	while (pool.count > 0)
		free(pool.free[--pool.count]);
}

size_t
relay_pool_count(void)
{
	return pool.count;
}

static int	relay_fail(struct relay *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	relay_ssl_fail(struct relay *, const char *,
		    struct relay_end *, int, int);
static int	relay_ssl_eof(int, int);
static int	relay_read(struct relay *, struct relay_dir *);
static int	relay_write(struct relay *, struct relay_dir *);
static int	relay_shut(struct relay *, struct relay_dir *);
static int	relay_watch(struct relay *, struct relay_end *,
		    struct relay_dir *, struct relay_dir *);
static int	relay_pump(struct relay *);
static void	relay_run(struct relay *);
static void	relay_io(int, uint32_t, void *);
static void	relay_kick(void *);

/* Note why the relay ends; the caller unwinds and reports it. */
static int
relay_fail(struct relay *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A peer that closes its socket without a close notify truncates the
 * stream, but a plain client closing its socket looks no different to
 * the other end, and whatever was received before is intact: pass the
 * end on as an end, after the buffered data.
 */
static int
relay_ssl_eof(int e, int saved_errno)
{
	unsigned long	err;

	if (e == SSL_ERROR_ZERO_RETURN)
		return 1;
	/* OpenSSL 1.1: a bare EOF shows as a syscall error without errno */
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
	    saved_errno == 0)
		return 1;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	err = ERR_peek_error();
	if (e == SSL_ERROR_SSL && ERR_GET_LIB(err) == ERR_LIB_SSL &&
	    ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return 1;
#else
	(void)err;
#endif
	return 0;
}

static int
relay_ssl_fail(struct relay *r, const char *op, struct relay_end *e,
    int sslerr, int saved_errno)
{
	unsigned long	 err;
	const char	*reason;

	err = ERR_peek_error();
	if (err != 0) {
		reason = ERR_reason_error_string(err);
		relay_fail(r, "%s %s: %s", op, e->name,
		    reason != NULL ? reason : "TLS error");
	} else if (sslerr == SSL_ERROR_SYSCALL && saved_errno != 0)
		relay_fail(r, "%s %s: %s", op, e->name, strerror(saved_errno));
	else
		relay_fail(r, "%s %s: TLS error %d", op, e->name, sslerr);
	ERR_clear_error();
	return -1;
}

/*
 * A TLS operation that has to wait for the socket: note which readiness
 * (ev, ready: the end's read or write pair) it waits for.  1 if so.
 */
static int
relay_ssl_wait(int sslerr, uint32_t *ev, int *ready)
{
	if (sslerr == SSL_ERROR_WANT_READ)
		*ev = EPOLLIN;
	else if (sslerr == SSL_ERROR_WANT_WRITE)
		*ev = EPOLLOUT;
	else
		return 0;
	*ready = 0;
	return 1;
}

/*
 * A read that came back short has emptied what the kernel (and, for
 * TLS, the SSL) held: wait for epoll rather than spend a read(2) on
 * EAGAIN.  epoll is level-triggered, so nothing that arrives meanwhile
 * is missed.
 */
static void
relay_drained(struct relay_end *e, int drained)
{
	if (drained) {
		e->rd_ev = EPOLLIN;
		e->rd_ready = 0;
	}
}

/* An empty direction gives its buffer back. */
static void
relay_release(struct relay *r, struct relay_dir *d)
{
	if (d->buf == NULL || d->len != 0)
		return;
	pool_put(d->buf, r->size);
	d->buf = NULL;
	d->head = 0;
}

/* Read from d's source into d's free space: 1 progress, 0 blocked. */
static int
relay_read(struct relay *r, struct relay_dir *d)
{
	struct relay_end	*e = d->src;
	size_t			 tail, room;
	ssize_t			 n;
	char			*dst;
	int			 ret, sslerr, saved;

	if (d->buf == NULL && (d->buf = pool_get(r->size)) == NULL)
		return relay_fail(r, "buffer: %s", strerror(errno));
	if (d->len == 0)
		d->head = 0;
	tail = (d->head + d->len) % r->size;
	room = tail >= d->head ? r->size - tail : d->head - tail;
	dst = d->buf + tail;

	if (e->ssl == NULL) {
		n = read(e->fd, dst, room);
		if (n > 0) {
			d->len += (size_t)n;
			relay_drained(e, (size_t)n < room);
			return 1;
		}
		if (n == 0) {
			d->eof = 1;
			return 1;
		}
		if (errno == EINTR)
			return 1;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			e->rd_ready = 0;
			return 0;
		}
		return relay_fail(r, "read %s: %s", e->name, strerror(errno));
	}

	ERR_clear_error();
	errno = 0;
	ret = SSL_read(e->ssl, dst, room > INT_MAX ? INT_MAX : (int)room);
	saved = errno;
	if (ret > 0) {
		d->len += (size_t)ret;
		relay_drained(e, (size_t)ret < room && !SSL_has_pending(e->ssl));
		return 1;
	}
	sslerr = SSL_get_error(e->ssl, ret);
	if (relay_ssl_wait(sslerr, &e->rd_ev, &e->rd_ready))
		return 0;
	if (relay_ssl_eof(sslerr, saved)) {
		ERR_clear_error();
		d->eof = 1;
		return 1;
	}
	return relay_ssl_fail(r, "read", e, sslerr, saved);
}

/*
 * Send p[0 .. len) to e: bytes sent, 0 blocked (or EINTR), -1 failed.
 * A blocked TLS write must be retried with the same bytes; callers do,
 * because what they send from only grows until it succeeds.
 */
static ssize_t
relay_send(struct relay *r, struct relay_end *e, const char *p, size_t len)
{
	ssize_t	n;
	int	ret, sslerr, saved;

	if (e->ssl == NULL) {
		/* MSG_NOSIGNAL: a vanished peer is an error, not a SIGPIPE */
		n = send(e->fd, p, len, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			e->wr_ready = 0;
			return 0;
		}
		return relay_fail(r, "write %s: %s", e->name, strerror(errno));
	}
	ERR_clear_error();
	errno = 0;
	ret = SSL_write(e->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
	saved = errno;
	if (ret > 0)
		return ret;
	sslerr = SSL_get_error(e->ssl, ret);
	if (relay_ssl_wait(sslerr, &e->wr_ev, &e->wr_ready))
		return 0;
	return relay_ssl_fail(r, "write", e, sslerr, saved);
}

/* What of d may be written now. */
static size_t
relay_ready(const struct relay *r, const struct relay_dir *d)
{
	return r->filtered ? d->fwd : d->len;
}

/* The oldest contiguous bytes of d that may go, to its sink. */
static int
relay_write(struct relay *r, struct relay_dir *d)
{
	const char	*why;
	size_t		 chunk;
	ssize_t		 n;

	if (r->gate != NULL && (why = r->gate(r->gate_arg,
	    d == &r->dir[0])) != NULL) {
		if (why != relay_gate_hold)
			return relay_fail(r, "%s", why);
		d->gated = 1;
		return 0;
	}
	d->gated = 0;
	chunk = r->size - d->head;
	if (chunk > relay_ready(r, d))
		chunk = relay_ready(r, d);
	if ((n = relay_send(r, d->dst, d->buf + d->head, chunk)) <= 0)
		return (int)n;
	d->head = (d->head + (size_t)n) % r->size;
	d->len -= (size_t)n;
	d->bytes += (uint64_t)n;
	if (r->filtered) {
		d->fwd -= (size_t)n;
		d->scanned -= (size_t)n;
	}
	r->last = (int)(d - r->dir);
	return 1;
}

/* Dropped bytes leave once everything before them is out. */
static void
relay_drop(struct relay *r, struct relay_dir *d)
{
	if (!d->drop || d->fwd != 0)
		return;
	d->head = (d->head + d->scanned) % r->size;
	d->len -= d->scanned;
	d->scanned = 0;
	d->drop = 0;
}

/* A filter's RF_CLOSE: one try at its last words, then the end. */
static int
relay_close(struct relay *r)
{
	const char	*p, *why;
	size_t		 n;

	if ((p = r->filt.inject(r->filt.arg, &n)) != NULL && n > 0 &&
	    r->end[0].wr_ready)
		(void)relay_send(r, &r->end[0], p, n);
	why = r->filt.why(r->filt.arg);
	return relay_fail(r, "%s", why != NULL ? why : "refused");
}

/*
 * Let the filter see d's new bytes, from where it stopped.  1 if
 * anything changed, -1 when the relay ends.
 */
static int
relay_scan(struct relay *r, struct relay_dir *d)
{
	const struct relay_filter	*f = &r->filt;
	const char			*p;
	size_t				 pos, seg, used;
	int				 v, moved = 0, reply;

	reply = d == &r->dir[1];
	relay_drop(r, d);
	while (!d->paused && !d->drop && (d->scanned < d->len || d->poke)) {
		pos = (d->head + d->scanned) % r->size;
		seg = d->len - d->scanned;
		if (seg > r->size - pos)
			seg = r->size - pos;
		used = 0;
		/* A poke may come to a direction with no buffer. */
		p = d->buf != NULL ? d->buf + pos : "";
		v = reply ? f->reply(f->arg, p, seg, &used) :
		    f->request(f->arg, p, seg, &used);
		d->poke = 0;
		d->scanned += used;
		moved = 1;
		switch (v) {
		case RF_PASS:
			d->fwd = d->scanned;
			break;
		case RF_MORE:
			break;
		case RF_DROP_PAUSE:
			d->paused = 1;
			r->dir[1].poke = 1;
			/* FALLTHROUGH */
		case RF_DROP:
			d->drop = 1;
			relay_drop(r, d);
			break;
		case RF_HOLD:
			d->fwd = d->scanned;
			d->paused = 1;
			break;
		default:
			return relay_close(r);
		}
		if (used == 0 && v != RF_HOLD && v != RF_DROP_PAUSE)
			break;
	}
	/* A command cut short by the end of its stream never runs. */
	if (d->eof && !d->paused && !d->drop && d->scanned == d->len &&
	    d->fwd < d->len) {
		d->len = d->scanned = d->fwd;
		moved = 1;
	}
	/* Nothing may go and nothing more fits: it cannot be decided. */
	if (d->len == r->size && d->fwd == 0 && !d->drop && !d->paused)
		return relay_fail(r, "%s: too long to classify",
		    reply ? "reply" : "request");
	return moved;
}

/*
 * The filter's reply, once the server's bytes before it are out; then
 * both ways go on.  1 progress, 0 blocked, -1 failed.
 */
static int
relay_inject(struct relay *r)
{
	const struct relay_filter	*f = &r->filt;
	const char			*p;
	size_t				 n;
	ssize_t				 w;

	if (!r->dir[1].paused || r->dir[1].fwd != 0)
		return 0;
	if ((p = f->inject(f->arg, &n)) != NULL && r->injoff < n) {
		if (!r->end[0].wr_ready)
			return 0;
		if ((w = relay_send(r, &r->end[0], p + r->injoff,
		    n - r->injoff)) <= 0)
			return (int)w;
		r->injoff += (size_t)w;
		if (r->injoff < n)
			return 1;
		r->last = 1;
	}
	r->injoff = 0;
	f->injected(f->arg);
	r->dir[0].paused = r->dir[1].paused = 0;
	return 1;
}

/*
 * d's source has ended and everything it sent is out: end d's sink for
 * writing, so that its peer sees the end while it may still talk back.
 */
static int
relay_shut(struct relay *r, struct relay_dir *d)
{
	struct relay_end	*e = d->dst;
	int			 ret, sslerr, saved;

	if (e->ssl != NULL) {
		/* once: a close notify, not the wait for the peer's one */
		ERR_clear_error();
		errno = 0;
		ret = SSL_shutdown(e->ssl);
		saved = errno;
		if (ret < 0) {
			sslerr = SSL_get_error(e->ssl, ret);
			if (relay_ssl_wait(sslerr, &e->wr_ev, &e->wr_ready))
				return 0;
			return relay_ssl_fail(r, "shutdown", e, sslerr, saved);
		}
	}
	/* ENOTCONN: the peer is gone already, which ends it just as well */
	if (shutdown(e->fd, SHUT_WR) == -1 && errno != ENOTCONN)
		return relay_fail(r, "shutdown %s: %s", e->name,
		    strerror(errno));
	d->shut = 1;
	return 1;
}

/*
 * Ask epoll for what end e waits on: reading while out has room, writing
 * while in has bytes or an end to pass on.  An end with nothing to wait
 * for leaves epoll, which would otherwise keep reporting its hang-up.
 */
static int
relay_watch(struct relay *r, struct relay_end *e, struct relay_dir *out,
    struct relay_dir *in)
{
	uint32_t	want = 0;

	if (!out->eof && out->len < r->size)
		want |= e->rd_ev;
	/* Held by the gate: nothing to write, whatever the socket says. */
	if ((relay_ready(r, in) > 0 && !in->gated) ||
	    (in->eof && !in->shut && in->len == 0))
		want |= e->wr_ev;
	/* the filter's reply waits for a to take it */
	if (r->filtered && e == &r->end[0] && r->dir[1].paused &&
	    r->dir[1].fwd == 0)
		want |= e->wr_ev;

	if (want == 0) {
		ev_io_stop(r->loop, &e->io);
		return 0;
	}
	if (e->io.fd == -1) {
		if (ev_io_start(r->loop, &e->io, e->fd, want, relay_io, e) ==
		    -1)
			return relay_fail(r, "epoll %s: %s", e->name,
			    strerror(errno));
		return 0;
	}
	if (e->io.events != want && ev_io_set(r->loop, &e->io, want) == -1)
		return relay_fail(r, "epoll %s: %s", e->name, strerror(errno));
	return 0;
}

/*
 * Move bytes until nothing moves or the rounds run out.  -1: the relay is
 * over, why says whether it closed or failed.
 */
static int
relay_pump(struct relay *r)
{
	struct relay_dir	*d;
	int			 i, rv, progress = 1, round;

	for (round = 0; progress && round < RELAY_ROUNDS; round++) {
		progress = 0;
		for (i = 0; i < 2; i++) {
			d = &r->dir[i];
			if (!d->eof && d->len < r->size && d->src->rd_ready) {
				if ((rv = relay_read(r, d)) == -1)
					return -1;
				progress |= rv;
			}
			if (r->filtered) {
				if ((rv = relay_scan(r, d)) == -1 ||
				    (i == 1 && (rv |= relay_inject(r)) < 0))
					return -1;
				progress |= rv;
			}
			if (relay_ready(r, d) > 0 && d->dst->wr_ready) {
				if ((rv = relay_write(r, d)) == -1)
					return -1;
				progress |= rv;
			}
			if (d->eof && d->len == 0 && !d->shut &&
			    d->dst->wr_ready) {
				if ((rv = relay_shut(r, d)) == -1)
					return -1;
				progress |= rv;
			}
		}
		if (r->dir[0].shut && r->dir[1].shut)
			return relay_fail(r, "closed");
	}
	/*
	 * Out of rounds with work left: epoll would report the sockets
	 * again, but not bytes already inside an SSL, so come back soon.
	 */
	if (progress)
		ev_timer_start(r->loop, &r->kick, 0);
	relay_release(r, &r->dir[0]);
	relay_release(r, &r->dir[1]);

	if (relay_watch(r, &r->end[0], &r->dir[0], &r->dir[1]) == -1 ||
	    relay_watch(r, &r->end[1], &r->dir[1], &r->dir[0]) == -1)
		return -1;
	return 0;
}

/*
 * Pump, and on the end take the relay off the loop and report.  The
 * callback may free the relay, so it is the last thing that touches it.
 */
static void
relay_run(struct relay *r)
{
	if (relay_pump(r) == 0)
		return;
	ev_io_stop(r->loop, &r->end[0].io);
	ev_io_stop(r->loop, &r->end[1].io);
	ev_timer_stop(r->loop, &r->kick);
	ERR_clear_error();
	r->cb(r, r->why, r->arg);
}

static void
relay_io(int fd, uint32_t events, void *arg)
{
	struct relay_end	*e = arg;

	/* An error or hang-up is news to both operations: let them see it. */
	if (events & (EPOLLERR | EPOLLHUP))
		e->rd_ready = e->wr_ready = 1;
	if (events & e->rd_ev)
		e->rd_ready = 1;
	if (events & e->wr_ev)
		e->wr_ready = 1;
	relay_run(e->r);
}

static void
relay_kick(void *arg)
{
	relay_run(arg);
}

/*
 * Takes the fds and SSLs also when it fails: either way the caller has
 * nothing left to close.
 */
struct relay *
relay_new(struct ev_loop *loop, int a_fd, SSL *a_ssl, int b_fd, SSL *b_ssl,
    size_t bufsize, relay_done_cb cb, void *arg)
{
	struct relay	*r;
	int		 i, saved;

	if (bufsize == 0 || bufsize > (SIZE_MAX - sizeof(*r)) / 2) {
		errno = EINVAL;
		goto fail;
	}
	if ((r = malloc(sizeof(*r))) == NULL)
		goto fail;
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->size = bufsize;
	r->cb = cb;
	r->arg = arg;
	r->last = -1;
	ev_timer_init(&r->kick, relay_kick, r);
	r->end[0].fd = a_fd;
	r->end[0].ssl = a_ssl;
	r->end[0].name = "a";
	r->end[1].fd = b_fd;
	r->end[1].ssl = b_ssl;
	r->end[1].name = "b";
	for (i = 0; i < 2; i++) {
		r->end[i].r = r;
		r->end[i].io.fd = -1;
		r->end[i].rd_ev = EPOLLIN;
		r->end[i].wr_ev = EPOLLOUT;
		/* unknown until tried: the first pump finds out */
		r->end[i].rd_ready = 1;
		r->end[i].wr_ready = 1;
		r->dir[i].src = &r->end[i];
		r->dir[i].dst = &r->end[1 - i];
	}
	/*
	 * Register now so a bad fd fails here, but pump from the loop: the
	 * done callback must not run before the caller has the relay.
	 */
	for (i = 0; i < 2; i++)
		if (ev_io_start(loop, &r->end[i].io, r->end[i].fd, EPOLLIN,
		    relay_io, &r->end[i]) == -1) {
			saved = errno;
			ev_io_stop(loop, &r->end[0].io);
			free(r);
			errno = saved;
			goto fail;
		}
	ev_timer_start(loop, &r->kick, 0);
	return r;

 fail:
	saved = errno;
	SSL_free(a_ssl);
	SSL_free(b_ssl);
	close(a_fd);
	close(b_fd);
	ERR_clear_error();
	errno = saved;
	return NULL;
}

void
relay_free(struct ev_loop *loop, struct relay *r)
{
	int	i, saved = errno;

	if (r == NULL)
		return;
	ev_timer_stop(loop, &r->kick);
	for (i = 0; i < 2; i++) {
		ev_io_stop(loop, &r->end[i].io);
		/* no SSL_shutdown(): an abrupt end, not a close notify */
		SSL_free(r->end[i].ssl);
		close(r->end[i].fd);
	}
	ERR_clear_error();
	for (i = 0; i < 2; i++)
		if (r->dir[i].buf != NULL)
			pool_put(r->dir[i].buf, r->size);
	free(r);
	errno = saved;
}

const char	relay_gate_hold[] = "held";

int
relay_detach_a(struct ev_loop *loop, struct relay *r, int *fd, SSL **ssl,
    char **pending, size_t *len)
{
	struct relay_dir	*d = &r->dir[0];
	char			*buf = NULL;
	size_t			 first;

	if (r->last != -1 || d->eof || r->dir[1].len > 0)
		return -1;
	if (d->len > 0) {
		if ((buf = malloc(d->len)) == NULL)
			return -1;
		first = r->size - d->head < d->len ? r->size - d->head :
		    d->len;
		memcpy(buf, d->buf + d->head, first);
		memcpy(buf + first, d->buf, d->len - first);
	}
	*pending = buf;
	*len = d->len;
	*fd = r->end[0].fd;
	*ssl = r->end[0].ssl;
	ev_io_stop(loop, &r->end[0].io);
	r->end[0].fd = -1;
	r->end[0].ssl = NULL;
	relay_free(loop, r);
	return 0;
}

int
relay_preload(struct relay *r, const char *p, size_t len)
{
	struct relay_dir	*d = &r->dir[0];

	if (len == 0)
		return 0;
	if (len > r->size || d->len > 0) {
		errno = EINVAL;
		return -1;
	}
	if (d->buf == NULL && (d->buf = pool_get(r->size)) == NULL)
		return -1;
	memcpy(d->buf, p, len);
	d->head = 0;
	d->len = len;
	return 0;
}

int
relay_in_flight(const struct relay *r)
{
	return r->last == 0 || r->dir[1].len > 0;
}

int
relay_awaits(const struct relay *r)
{
	return r->dir[0].len > 0 || r->last == 0;
}

void
relay_filter(struct relay *r, const struct relay_filter *f)
{
	r->filt = *f;
	r->filtered = 1;
}

void
relay_gate(struct relay *r, relay_gate_cb gate, void *arg)
{
	r->gate = gate;
	r->gate_arg = arg;
}

void
relay_bytes(const struct relay *r, uint64_t *a_to_b, uint64_t *b_to_a)
{
	if (a_to_b != NULL)
		*a_to_b = r->dir[0].bytes;
	if (b_to_a != NULL)
		*b_to_a = r->dir[1].bytes;
}
