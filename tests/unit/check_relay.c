/*
 * Relay tests.  The relay and the test's own ends of the sockets share
 * one event loop: the test side is driven by a 1 ms tick, so it can be
 * made slow on purpose, and a guard timer turns a stall into a failure.
 * Streams are pseudo-random bytes that the reader regenerates, so every
 * byte is checked in place, and a checksum is compared at the end.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "event.h"
#include "proxy_relay.h"
#include "proxy_tls.h"
#include "suites.h"


#define GUARD_MS	20000
#define BULK		(10 * 1024 * 1024)
#define BUFSZ		(16 * 1024)
#define SLOW_READ	(32 * 1024)	/* per 1 ms tick: ~32 MB/s */
#define TLS_BULK	(1024 * 1024)
#define CHUNK_MAX	(64 * 1024)
#define URI		"spiffe://test.consul/ns/default/dc/dc1/svc/relay"

/* A reproducible byte stream: an LCG's top byte. */
struct gen {
	uint64_t	s;
};

static uint8_t
gen_byte(struct gen *g)
{
	g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint8_t)(g->s >> 56);
}

static uint64_t
fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT	0xcbf29ce484222325ULL

/*
 * The test's end of one socket, plain or TLS: sends total bytes of its
 * stream in writes of chunk bytes, reads and checks the peer's stream.
 */
struct flow {
	const char	*name;
	int		 fd;
	SSL		*ssl;
	uint64_t	 total;
	size_t		 chunk;
	int		 no_shut;	/* keep writing side open */
	struct gen	 wgen;
	struct gen	 rgen;
	uint8_t		 wbuf[CHUNK_MAX];
	size_t		 wlen;
	size_t		 woff;
	uint64_t	 sent;
	uint64_t	 rcvd;
	uint64_t	 fnv_out;
	uint64_t	 fnv_in;
	int		 writes;
	int		 blocked;	/* writes that found no room */
	int		 shut;
	int		 eof;
};

static void
flow_init(struct flow *f, const char *name, int fd, SSL *ssl,
    uint64_t total, size_t chunk, uint64_t wseed, uint64_t rseed)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->fd = fd;
	f->ssl = ssl;
	f->total = total;
	f->chunk = chunk;
	f->wgen.s = wseed;
	f->rgen.s = rseed;
	f->fnv_out = f->fnv_in = FNV_INIT;
}

/* Write until the socket is full or the stream is out; then shut. */
static void
flow_write(struct flow *f)
{
	size_t	i;
	int	n, e;

	while (f->sent < f->total) {
		if (f->woff == f->wlen) {
			f->wlen = f->chunk;
			if (f->wlen > f->total - f->sent)
				f->wlen = (size_t)(f->total - f->sent);
			for (i = 0; i < f->wlen; i++)
				f->wbuf[i] = gen_byte(&f->wgen);
			f->fnv_out = fnv1a(f->fnv_out, f->wbuf, f->wlen);
			f->woff = 0;
		}
		if (f->ssl == NULL) {
			n = (int)write(f->fd, f->wbuf + f->woff,
			    f->wlen - f->woff);
			if (n == -1 && errno == EAGAIN) {
				f->blocked++;
				return;
			}
			ck_assert_msg(n > 0, "%s write: %s", f->name,
			    strerror(errno));
		} else {
			/* a retry passes the same bytes, as OpenSSL wants */
			ERR_clear_error();
			n = SSL_write(f->ssl, f->wbuf + f->woff,
			    (int)(f->wlen - f->woff));
			if (n <= 0) {
				e = SSL_get_error(f->ssl, n);
				ck_assert_msg(e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ, "%s SSL_write: "
				    "%d", f->name, e);
				f->blocked++;
				return;
			}
		}
		f->writes++;
		f->woff += (size_t)n;
		f->sent += (uint64_t)n;
	}
	if (f->shut || f->no_shut)
		return;
	if (f->ssl != NULL) {
		ERR_clear_error();
		if (SSL_shutdown(f->ssl) < 0) {
			e = SSL_get_error(f->ssl, -1);
			ck_assert_int_eq(e, SSL_ERROR_WANT_WRITE);
			return;
		}
	}
	ck_assert_int_eq(shutdown(f->fd, SHUT_WR), 0);
	f->shut = 1;
}

/* Read up to max bytes, checking each against the peer's stream. */
static void
flow_read(struct flow *f, size_t max)
{
	uint8_t	buf[CHUNK_MAX];
	size_t	want, i;
	int	n, e;

	while (max > 0 && !f->eof) {
		want = max < sizeof(buf) ? max : sizeof(buf);
		if (f->ssl == NULL) {
			n = (int)read(f->fd, buf, want);
			if (n == -1 && errno == EAGAIN)
				return;
			ck_assert_msg(n >= 0, "%s read: %s", f->name,
			    strerror(errno));
		} else {
			ERR_clear_error();
			n = SSL_read(f->ssl, buf, (int)want);
			if (n <= 0) {
				e = SSL_get_error(f->ssl, n);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return;
				ck_assert_msg(e == SSL_ERROR_ZERO_RETURN,
				    "%s SSL_read: %d", f->name, e);
				n = 0;
			}
		}
		if (n == 0) {
			f->eof = 1;
			return;
		}
		/* one assertion per read: Check records each that passes */
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != gen_byte(&f->rgen))
				break;
		ck_assert_msg(i == (size_t)n, "%s: byte %llu differs",
		    f->name, (unsigned long long)(f->rcvd + i));
		f->fnv_in = fnv1a(f->fnv_in, buf, (size_t)n);
		f->rcvd += (uint64_t)n;
		max -= (size_t)n;
	}
}

/* The relay's done callback, and what it saw. */
struct done {
	struct ev_loop	*loop;
	struct relay	*r;
	struct relay	*also;		/* also freed by callback */
	int		 calls;
	char		 why[128];
	uint64_t	 a_to_b;
	uint64_t	 b_to_a;
};

static void
done_cb(struct relay *r, const char *why, void *arg)
{
	struct done	*d = arg;

	ck_assert_ptr_eq(r, d->r);
	d->calls++;
	strlcpy(d->why, why, sizeof(d->why));
	relay_bytes(r, &d->a_to_b, &d->b_to_a);
	/* freeing from inside is the common case and must be safe */
	relay_free(d->loop, r);
	d->r = NULL;
	if (d->also != NULL) {
		relay_free(d->loop, d->also);
		d->also = NULL;
	}
}

/* The test side's clock: fn runs every ms until it says it is done. */
struct tick {
	struct ev_loop	*loop;
	struct ev_timer	 t;
	int		(*fn)(void *);
	void		*arg;
	int		 guard;
};

static void
tick_cb(void *arg)
{
	struct tick	*tk = arg;

	if (tk->fn(tk->arg))
		ev_break(tk->loop);
	else
		ev_timer_start(tk->loop, &tk->t, 1);
}

static void
guard_cb(void *arg)
{
	struct tick	*tk = arg;

	tk->guard = 1;
	ev_break(tk->loop);
}

static void
run_until(struct ev_loop *loop, int (*fn)(void *), void *arg)
{
	struct tick	tk;
	struct ev_timer	guard;

	memset(&tk, 0, sizeof(tk));
	tk.loop = loop;
	tk.fn = fn;
	tk.arg = arg;
	ev_timer_init(&tk.t, tick_cb, &tk);
	ev_timer_init(&guard, guard_cb, &tk);
	ev_timer_start(loop, &tk.t, 0);
	ev_timer_start(loop, &guard, GUARD_MS);
	ck_assert_int_eq(ev_run(loop), 0);
	ck_assert_msg(!tk.guard, "stalled for %d ms", GUARD_MS);
	ev_timer_stop(loop, &tk.t);
	ev_timer_stop(loop, &guard);
}

static void
nb_socketpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
}

static int
inq(int fd)
{
	int	n;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void
setup(void)
{
	/* TLS writes to a vanished peer go through write(2) */
	signal(SIGPIPE, SIG_IGN);
}

/* plain <-> plain, 10 MiB each way, read slowly */

struct bulk {
	struct flow	 f[2];		/* a's peer, b's peer */
	int		 rfd[2];	/* the relay's fds */
	struct done	 done;
	uint64_t	 max_held;
};

/*
 * What the relay holds for a -> b is what the test wrote into a, less
 * what still waits in a's socket, less what the relay passed on.
 */
static void
bulk_check(struct bulk *b)
{
	uint64_t	moved[2], held[2];
	int		i;

	if (b->done.r == NULL)
		return;
	relay_bytes(b->done.r, &moved[0], &moved[1]);
	for (i = 0; i < 2; i++) {
		held[i] = b->f[i].sent - (uint64_t)inq(b->rfd[i]) - moved[i];
		ck_assert_msg(held[i] <= BUFSZ, "relay holds %llu",
		    (unsigned long long)held[i]);
		/* and relay_bytes agrees with what reached the far end */
		ck_assert_uint_eq(moved[i], b->f[1 - i].rcvd +
		    (uint64_t)inq(b->f[1 - i].fd));
	}
	ck_assert_uint_le(held[0] + held[1], 2 * BUFSZ);
	if (held[0] + held[1] > b->max_held)
		b->max_held = held[0] + held[1];
}

static int
bulk_step(void *arg)
{
	struct bulk	*b = arg;
	int		 i;

	for (i = 0; i < 2; i++) {
		flow_write(&b->f[i]);
		bulk_check(b);
	}
	for (i = 0; i < 2; i++) {
		flow_read(&b->f[i], SLOW_READ);
		bulk_check(b);
	}
	return b->f[0].eof && b->f[1].eof && b->done.calls == 1;
}

START_TEST(test_bulk_backpressure)
{
	struct ev_loop	*loop;
	struct bulk	*b;
	int		 av[2], bv[2], i;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	ck_assert_ptr_nonnull(b = calloc(1, sizeof(*b)));
	nb_socketpair(av);
	nb_socketpair(bv);
	flow_init(&b->f[0], "a", av[0], NULL, BULK, CHUNK_MAX, 1, 2);
	flow_init(&b->f[1], "b", bv[0], NULL, BULK, CHUNK_MAX, 2, 1);
	b->rfd[0] = av[1];
	b->rfd[1] = bv[1];
	b->done.loop = loop;
	ck_assert_ptr_nonnull(b->done.r = relay_new(loop, av[1], NULL, bv[1],
	    NULL, BUFSZ, done_cb, &b->done));

	run_until(loop, bulk_step, b);

	ck_assert_str_eq(b->done.why, "closed");
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(b->f[i].rcvd, BULK);
		ck_assert_uint_eq(b->f[i].fnv_in, b->f[1 - i].fnv_out);
		/* the slow reader held the writer back */
		ck_assert_int_gt(b->f[i].blocked, 0);
	}
	ck_assert_uint_eq(b->done.a_to_b, BULK);
	ck_assert_uint_eq(b->done.b_to_a, BULK);
	ck_assert_uint_gt(b->max_held, 0);
	close(av[0]);
	close(bv[0]);
	free(b);
	ev_loop_free(loop);
}
END_TEST

/* half-close */

struct half {
	int		 ta, tb;
	struct done	 done;
	char		 got[64];
	size_t		 ngot;
	int		 eof;
	int		 fd;		/* whose turn to read */
	int		 ticks;
};

static int
half_read(void *arg)
{
	struct half	*h = arg;
	ssize_t		 n;

	for (;;) {
		n = read(h->fd, h->got + h->ngot, sizeof(h->got) - h->ngot);
		if (n == -1 && errno == EAGAIN)
			return 0;
		ck_assert_int_ge(n, 0);
		if (n == 0) {
			h->eof = 1;
			return 1;
		}
		h->ngot += (size_t)n;
		if (h->ngot == 5)
			return 1;
	}
}

static int
half_done(void *arg)
{
	struct half	*h = arg;

	return h->done.calls > 0;
}

START_TEST(test_half_close)
{
	struct ev_loop	*loop;
	struct half	 h;
	int		 av[2], bv[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	nb_socketpair(av);
	nb_socketpair(bv);
	h.ta = av[0];
	h.tb = bv[0];
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, av[1], NULL, bv[1],
	    NULL, BUFSZ, done_cb, &h.done));

	/* a says its piece and stops writing */
	ck_assert_int_eq(write(h.ta, "hello", 5), 5);
	ck_assert_int_eq(shutdown(h.ta, SHUT_WR), 0);
	h.fd = h.tb;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	ck_assert_int_eq(memcmp(h.got, "hello", 5), 0);
	ck_assert(!h.eof);
	run_until(loop, half_read, &h);
	ck_assert(h.eof);
	ck_assert_int_eq(h.done.calls, 0);

	/* b still talks, and a still hears it */
	ck_assert_int_eq(write(h.tb, "world", 5), 5);
	h.fd = h.ta;
	h.ngot = 0;
	h.eof = 0;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	ck_assert_int_eq(memcmp(h.got, "world", 5), 0);
	ck_assert_int_eq(h.done.calls, 0);

	/* b goes away: a sees the end, and the relay is over */
	close(h.tb);
	run_until(loop, half_done, &h);
	ck_assert_str_eq(h.done.why, "closed");
	ck_assert_uint_eq(h.done.a_to_b, 5);
	ck_assert_uint_eq(h.done.b_to_a, 5);
	h.ngot = 0;
	run_until(loop, half_read, &h);
	ck_assert(h.eof);
	ck_assert_int_eq(h.done.calls, 1);
	close(h.ta);
	ev_loop_free(loop);
}
END_TEST

/* reset */

static void
tcp_pair(int *relay_side, int *test_side)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			l, c, s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_ne(c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_ne(s = accept4(l, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC), -1);
	ck_assert_int_eq(fcntl(c, F_SETFL, O_NONBLOCK), 0);
	close(l);
	*relay_side = s;
	*test_side = c;
}

START_TEST(test_reset)
{
	struct ev_loop	*loop;
	struct half	 h;
	struct linger	 lg = { 1, 0 };
	int		 av[2], rb;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	nb_socketpair(av);
	tcp_pair(&rb, &h.tb);
	h.ta = av[0];
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, av[1], NULL, rb,
	    NULL, BUFSZ, done_cb, &h.done));
	ck_assert_int_eq(write(h.ta, "hello", 5), 5);
	h.fd = h.tb;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);

	/* linger 0: close sends a RST instead of a FIN */
	ck_assert_int_eq(setsockopt(h.tb, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	close(h.tb);
	run_until(loop, half_done, &h);
	ck_assert_int_eq(h.done.calls, 1);
	ck_assert_msg(strcmp(h.done.why, "closed") != 0 &&
	    strstr(h.done.why, "reset") != NULL, "why: %s", h.done.why);

	/* the relay closed a too, so its peer sees the end */
	h.fd = h.ta;
	h.ngot = 0;
	run_until(loop, half_read, &h);
	ck_assert(h.eof);
	close(h.ta);
	ev_loop_free(loop);
}
END_TEST

static const char *
gate_shut(void *arg, int to_b)
{
	int	*open = arg;

	(void)to_b;
	return *open ? NULL : "gate closed";
}

/* *mode 0: open; 1: a's bytes held, b's pass (a writer draining). */
static const char *
gate_drain(void *arg, int to_b)
{
	int	*mode = arg;

	return *mode == 1 && to_b ? relay_gate_hold : NULL;
}

static int
half_quiet_ms(void *arg)
{
	struct half	*h = arg;

	/* 50 ticks of 1 ms with nothing arriving. */
	return ++h->ticks >= 50;
}

/*
 * A writer drains a connection: the answer to a request already at the
 * server passes, a request sent after stays where it is (not written,
 * the relay goes on), and relay_in_flight() says when the answer is out.
 */
START_TEST(test_gate_hold)
{
	struct ev_loop	*loop;
	struct half	 h;
	int		 av[2], bv[2], mode = 0;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	nb_socketpair(av);
	nb_socketpair(bv);
	h.ta = av[0];
	h.tb = bv[0];
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, av[1], NULL, bv[1],
	    NULL, BUFSZ, done_cb, &h.done));
	relay_gate(h.done.r, gate_drain, &mode);
	ck_assert(!relay_in_flight(h.done.r));
	/* half_read() takes 5 bytes. */
	ck_assert_int_eq(write(h.ta, "SETKV", 5), 5);
	h.fd = h.tb;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	ck_assert(relay_in_flight(h.done.r));

	mode = 1;
	ck_assert_int_eq(write(h.tb, "+OK\r\n", 5), 5);
	h.fd = h.ta;
	h.ngot = 0;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	ck_assert(!relay_in_flight(h.done.r));

	ck_assert_int_eq(write(h.ta, "SETKW", 5), 5);
	h.ticks = 0;
	run_until(loop, half_quiet_ms, &h);
	ck_assert_int_eq(inq(h.tb), 0);
	ck_assert_int_eq(h.done.calls, 0);
	ck_assert(!relay_in_flight(h.done.r));
	relay_free(loop, h.done.r);
	close(h.ta);
	close(h.tb);
	ev_loop_free(loop);
}
END_TEST

/*
 * A gate: bytes pass both ways while it is open; once it closes, the
 * next bytes never reach the other end and the relay ends with its
 * reason.  On the way, relay_awaits() follows who spoke last.
 */
START_TEST(test_gate)
{
	struct ev_loop	*loop;
	struct half	 h;
	int		 av[2], bv[2], open = 1;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	nb_socketpair(av);
	nb_socketpair(bv);
	h.ta = av[0];
	h.tb = bv[0];
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, av[1], NULL, bv[1],
	    NULL, BUFSZ, done_cb, &h.done));
	relay_gate(h.done.r, gate_shut, &open);
	ck_assert(!relay_awaits(h.done.r));
	ck_assert_int_eq(write(h.ta, "hello", 5), 5);
	h.fd = h.tb;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	/* a's request is out, its answer not back: a stop waits for it */
	ck_assert(relay_awaits(h.done.r));
	ck_assert_int_eq(write(h.tb, "back!", 5), 5);
	h.fd = h.ta;
	h.ngot = 0;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	ck_assert(!relay_awaits(h.done.r));

	open = 0;
	ck_assert_int_eq(write(h.tb, "late", 4), 4);
	run_until(loop, half_done, &h);
	ck_assert_str_eq(h.done.why, "gate closed");
	ck_assert_uint_eq(h.done.b_to_a, 5);
	/* nothing of b's "late" answer reached a: it sees only the end */
	h.fd = h.ta;
	h.ngot = 0;
	run_until(loop, half_read, &h);
	ck_assert(h.eof);
	ck_assert_int_eq(h.ngot, 0);
	close(h.ta);
	close(h.tb);
	ev_loop_free(loop);
}
END_TEST

/*
 * A filter of lines: one line, one command and one reply; a command
 * whose line starts with 'x' is refused, and "ERR" answers it in its
 * place among the replies; one starting with '?' is decided (passed)
 * only at its end.
 */
struct toy {
	int		 cur;		/* 0 between lines, 1 pass, 2 refuse,
					   3 undecided until its end */
	int		 pending;
	int		 bol;		/* replies: at a line's start */
	uint64_t	 passed, replies, turn;
	int		 injected;
};

static int
toy_request(void *arg, const char *p, size_t len, size_t *used)
{
	struct toy	*t = arg;
	const char	*nl;

	if (len == 0) {
		*used = 0;
		return RF_MORE;
	}
	if (t->cur == 0)
		t->cur = p[0] == 'x' ? 2 : p[0] == '?' ? 3 : 1;
	if ((nl = memchr(p, '\n', len)) == NULL) {
		*used = len;
		return t->cur == 1 ? RF_PASS : t->cur == 2 ? RF_DROP :
		    RF_MORE;
	}
	*used = (size_t)(nl - p) + 1;
	if (t->cur == 2) {
		t->cur = 0;
		t->pending = 1;
		t->turn = t->passed;
		return RF_DROP_PAUSE;
	}
	t->cur = 0;
	t->passed++;
	return RF_PASS;
}

static int
toy_reply(void *arg, const char *p, size_t len, size_t *used)
{
	struct toy	*t = arg;
	const char	*nl;
	size_t		 i = 0;

	for (;;) {
		if (t->pending && t->bol && t->replies >= t->turn) {
			*used = i;
			return RF_HOLD;
		}
		if (i == len) {
			*used = i;
			return RF_PASS;
		}
		if ((nl = memchr(p + i, '\n', len - i)) == NULL) {
			t->bol = 0;
			*used = len;
			return RF_PASS;
		}
		i = (size_t)(nl - p) + 1;
		t->replies++;
		t->bol = 1;
	}
}

static const char *
toy_inject(void *arg, size_t *len)
{
	struct toy	*t = arg;

	*len = 4;
	return t->pending ? "ERR\n" : NULL;
}

static void
toy_injected(void *arg)
{
	struct toy	*t = arg;

	t->pending = 0;
	t->injected++;
}

static const char *
toy_why(void *arg)
{
	(void)arg;
	return "toy";
}

static void
toy_attach(struct relay *r, struct toy *t)
{
	struct relay_filter	f = {
		toy_request, toy_reply, toy_inject, toy_injected, toy_why, t
	};

	memset(t, 0, sizeof(*t));
	t->bol = 1;
	relay_filter(r, &f);
}

/* The bytes fd holds now, without blocking. */
static size_t
drain_fd(int fd, char *buf, size_t size)
{
	ssize_t	n;
	size_t	got = 0;

	while (got < size && (n = read(fd, buf + got, size - got)) > 0)
		got += (size_t)n;
	buf[got < size ? got : size - 1] = '\0';
	return got;
}

struct toy_wait {
	int		 fd;
	size_t		 want;
};

static int
toy_arrived(void *arg)
{
	struct toy_wait	*w = arg;

	return inq(w->fd) >= (int)w->want;
}

/*
 * A refused command never reaches b, its error reaches a after the
 * replies to what went before it and before the replies to what comes
 * after, and the rest of the pipeline goes on.
 */
START_TEST(test_filter_order)
{
	struct ev_loop	*loop;
	struct done	 d;
	struct toy	 t;
	struct toy_wait	 w;
	int		 av[2], bv[2];
	char		 buf[64];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&d, 0, sizeof(d));
	nb_socketpair(av);
	nb_socketpair(bv);
	d.loop = loop;
	ck_assert_ptr_nonnull(d.r = relay_new(loop, av[1], NULL, bv[1], NULL,
	    BUFSZ, done_cb, &d));
	toy_attach(d.r, &t);

	/* the refused line waits for the reply to the first */
	ck_assert_int_eq(write(av[0], "a\nxbad\nc\n", 9), 9);
	w.fd = bv[0];
	w.want = 2;
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(bv[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "a\n");
	ck_assert_int_eq(inq(av[0]), 0);

	/* a reply in two pieces: the error goes after all of it */
	ck_assert_int_eq(write(bv[0], "A", 1), 1);
	w.fd = av[0];
	w.want = 1;
	run_until(loop, toy_arrived, &w);
	ck_assert_int_eq(write(bv[0], "\n", 1), 1);
	w.want = 6;
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(av[0], buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "A\nERR\n");
	ck_assert_int_eq(t.injected, 1);

	/* then the rest of the pipeline */
	w.fd = bv[0];
	w.want = 2;
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(bv[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "c\n");
	ck_assert_int_eq(write(bv[0], "C\n", 2), 2);
	w.fd = av[0];
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(av[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "C\n");
	ck_assert_int_eq(d.calls, 0);
	relay_free(loop, d.r);
	close(av[0]);
	close(bv[0]);
	ev_loop_free(loop);
}
END_TEST

/*
 * A refused first command is answered at once, though the server never
 * speaks; a refused command larger than the buffer is dropped as it
 * comes; a command cut short by the client's end never reaches b.
 */
START_TEST(test_filter_first_and_large)
{
	struct ev_loop	*loop;
	struct done	 d;
	struct toy	 t;
	struct toy_wait	 w;
	int		 av[2], bv[2];
	char		 buf[64], *big;
	size_t		 i, n, off;
	ssize_t		 k;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&d, 0, sizeof(d));
	nb_socketpair(av);
	nb_socketpair(bv);
	d.loop = loop;
	ck_assert_ptr_nonnull(d.r = relay_new(loop, av[1], NULL, bv[1], NULL,
	    BUFSZ, done_cb, &d));
	toy_attach(d.r, &t);

	ck_assert_int_eq(write(av[0], "xno\n", 4), 4);
	w.fd = av[0];
	w.want = 4;
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(av[0], buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "ERR\n");

	/* four buffers of a refused line, then one that passes */
	n = 4 * BUFSZ + 2;
	ck_assert_ptr_nonnull(big = malloc(n + 3));
	big[0] = 'x';
	for (i = 1; i < n - 1; i++)
		big[i] = 'y';
	big[n - 1] = '\n';
	memcpy(big + n, "ok\n", 3);
	for (off = 0; off < n + 3; ) {
		k = write(av[0], big + off, n + 3 - off);
		if (k > 0)
			off += (size_t)k;
		w.fd = av[0];
		w.want = 0;
		run_until(loop, toy_arrived, &w);
	}
	w.fd = av[0];
	w.want = 4;
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(av[0], buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "ERR\n");
	w.fd = bv[0];
	w.want = 3;
	run_until(loop, toy_arrived, &w);
	ck_assert_uint_eq(drain_fd(bv[0], buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "ok\n");
	free(big);

	/* half a command, then the end: b sees the end, not the half */
	ck_assert_int_eq(write(av[0], "?half", 5), 5);
	ck_assert_int_eq(shutdown(av[0], SHUT_WR), 0);
	w.fd = bv[0];
	w.want = 0;
	for (i = 0; i < 20; i++)
		run_until(loop, toy_arrived, &w);
	ck_assert_int_eq(read(bv[0], buf, sizeof(buf)), 0);
	ck_assert_int_eq(d.calls, 0);
	relay_free(loop, d.r);
	close(av[0]);
	close(bv[0]);
	ev_loop_free(loop);
}
END_TEST

static int
both_arrived(void *arg)
{
	int	(*av)[2] = arg;

	return inq(av[0][0]) > 0 && inq(av[1][0]) > 0;
}

static int
either_done(void *arg)
{
	struct done	*d = arg;

	return d[0].calls + d[1].calls > 0;
}

static int
ten_ticks(void *arg)
{
	int	*n = arg;

	return ++*n >= 10;
}

/*
 * One relay's done callback frees another whose sockets broke in the
 * same epoll batch: the second must never report nor be touched again.
 */
START_TEST(test_free_other_in_done)
{
	struct ev_loop	*loop;
	struct done	 d[2];
	int		 av[2][2], bv[2][2], i, n = 0;
	char		 c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(d, 0, sizeof(d));
	for (i = 0; i < 2; i++) {
		nb_socketpair(av[i]);
		nb_socketpair(bv[i]);
		d[i].loop = loop;
		ck_assert_ptr_nonnull(d[i].r = relay_new(loop, av[i][1], NULL,
		    bv[i][1], NULL, BUFSZ, done_cb, &d[i]));
	}
	d[0].also = d[1].r;
	d[1].also = d[0].r;
	/* data towards a that a never reads: closing a then resets */
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(write(bv[i][0], "x", 1), 1);
	run_until(loop, both_arrived, av);
	close(av[0][0]);
	close(av[1][0]);
	run_until(loop, either_done, d);
	/* and the other one stays silent */
	run_until(loop, ten_ticks, &n);
	ck_assert_int_eq(d[0].calls + d[1].calls, 1);
	ck_assert_msg(strcmp(d[0].calls ? d[0].why : d[1].why, "closed") != 0,
	    "why: %s", d[0].calls ? d[0].why : d[1].why);
	for (i = 0; i < 2; i++) {
		/* b's peer sees the end of both */
		ck_assert_int_eq(read(bv[i][0], &c, 1), 0);
		close(bv[i][0]);
	}
	ev_loop_free(loop);
}
END_TEST

/* TLS <-> plain */

static char	*id_cert, *id_key;

/* One self-signed identity serves as leaf and root for both ends. */
static void
tls_setup(void)
{
	EVP_PKEY_CTX	*pc;
	EVP_PKEY	*k = NULL;
	X509		*x;
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;
	BIO		*b;
	char		*p;
	long		 n;

	setup();
	ck_assert_ptr_nonnull(pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL));
	ck_assert_int_eq(EVP_PKEY_keygen_init(pc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc,
	    NID_X9_62_prime256v1), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(pc, &k), 1);
	EVP_PKEY_CTX_free(pc);

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	ck_assert_int_eq(X509_set_pubkey(x, k), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_ASC, (const unsigned char *)"relay", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)),
	    1);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &v3,
	    NID_subject_alt_name, "URI:" URI));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);

	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &p);
	ck_assert_ptr_nonnull(id_cert = strndup(p, (size_t)n));
	BIO_free(b);
	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	n = BIO_get_mem_data(b, &p);
	ck_assert_ptr_nonnull(id_key = strndup(p, (size_t)n));
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
tls_teardown(void)
{
	free(id_cert);
	free(id_key);
	id_cert = id_key = NULL;
}

struct hs_side {
	int		 calls;
	int		 ok;
	int		 fd;
	SSL		*ssl;
	char		 err[128];
};

static void
hs_cb(struct tls_hs *hs, int ok, int fd, SSL *ssl, const char *err,
    void *arg)
{
	struct hs_side	*s = arg;

	s->calls++;
	s->ok = ok;
	s->fd = fd;
	s->ssl = ssl;
	if (err != NULL)
		strlcpy(s->err, err, sizeof(s->err));
}

static int
hs_both(void *arg)
{
	struct hs_side	*side = arg;

	return side[0].calls == 1 && side[1].calls == 1;
}

/*
 * A TLS connection over a socketpair: the relay's end is the server, the
 * test's the client.  The contexts go at once: connections keep theirs.
 */
static void
tls_connect(struct ev_loop *loop, int *rfd, SSL **rssl, int *tfd,
    SSL **tssl)
{
	struct hs_side	 side[2];
	SSL_CTX		*sctx, *cctx;
	char		 err[256] = "", *uri;
	int		 sv[2];

	ck_assert_msg((sctx = tls_server_ctx(id_cert, id_key, id_cert, "test",
	    0, err, sizeof(err))) != NULL, "%s", err);
	ck_assert_msg((cctx = tls_client_ctx(id_cert, id_key, id_cert, 0, err,
	    sizeof(err))) != NULL, "%s", err);
	memset(side, 0, sizeof(side));
	nb_socketpair(sv);
	ck_assert_ptr_nonnull(tls_hs_start(loop, sctx, sv[0], 1, 2000, hs_cb,
	    &side[0]));
	ck_assert_ptr_nonnull(tls_hs_start(loop, cctx, sv[1], 0, 2000, hs_cb,
	    &side[1]));
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	run_until(loop, hs_both, side);
	ck_assert_msg(side[0].ok, "server: %s", side[0].err);
	ck_assert_msg(side[1].ok, "client: %s", side[1].err);
	ck_assert_ptr_nonnull(uri = tls_peer_uri(side[0].ssl));
	ck_assert_str_eq(uri, URI);
	free(uri);
	*rfd = side[0].fd;
	*rssl = side[0].ssl;
	*tfd = side[1].fd;
	*tssl = side[1].ssl;
}

struct tbulk {
	struct flow	 f[2];		/* TLS client, plain b */
	struct done	 done;
	int		 until_eof;
};

static int
tbulk_step(void *arg)
{
	struct tbulk	*t = arg;
	int		 i;

	for (i = 0; i < 2; i++)
		flow_write(&t->f[i]);
	for (i = 0; i < 2; i++)
		flow_read(&t->f[i], SIZE_MAX);
	if (t->until_eof)
		return t->f[0].eof && t->f[1].eof && t->done.calls == 1;
	return t->f[0].rcvd == t->f[1].total && t->f[1].rcvd == t->f[0].total;
}

/*
 * 1 MiB each way at once between a TLS client and a plain socket, then
 * a half-close each way: a close notify from the client reaches b as an
 * end of stream, b's end reaches the client as a close notify.
 */
START_TEST(test_tls_plain)
{
	struct ev_loop	*loop;
	struct tbulk	*t;
	SSL		*rssl, *tssl;
	int		 rfd, tfd, bv[2], i;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	ck_assert_ptr_nonnull(t = calloc(1, sizeof(*t)));
	tls_connect(loop, &rfd, &rssl, &tfd, &tssl);
	nb_socketpair(bv);
	flow_init(&t->f[0], "client", tfd, tssl, TLS_BULK, 16384, 3, 4);
	flow_init(&t->f[1], "b", bv[0], NULL, TLS_BULK, CHUNK_MAX, 4, 3);
	t->until_eof = 1;
	t->done.loop = loop;
	ck_assert_ptr_nonnull(t->done.r = relay_new(loop, rfd, rssl, bv[1],
	    NULL, BUFSZ, done_cb, &t->done));

	run_until(loop, tbulk_step, t);

	ck_assert_str_eq(t->done.why, "closed");
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(t->f[i].rcvd, TLS_BULK);
		ck_assert_uint_eq(t->f[i].fnv_in, t->f[1 - i].fnv_out);
	}
	ck_assert_uint_eq(t->done.a_to_b, TLS_BULK);
	ck_assert_uint_eq(t->done.b_to_a, TLS_BULK);
	SSL_free(tssl);
	close(tfd);
	close(bv[0]);
	free(t);
	ev_loop_free(loop);
}
END_TEST

/*
 * A relay buffer smaller than a TLS record, and one large write each
 * way with nothing after it.  The relay reads part of a record; the rest
 * waits inside the SSL, and once the socket is drained no event will
 * ever say so.  Then the relay is freed while still running.
 */
START_TEST(test_tls_pending)
{
	struct ev_loop	*loop;
	struct tbulk	*t;
	SSL		*rssl, *tssl;
	int		 rfd, tfd, bv[2];
	char		 c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	ck_assert_ptr_nonnull(t = calloc(1, sizeof(*t)));
	tls_connect(loop, &rfd, &rssl, &tfd, &tssl);
	nb_socketpair(bv);
	/* a whole write per call, not a record per call */
	SSL_clear_mode(tssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
	flow_init(&t->f[0], "client", tfd, tssl, CHUNK_MAX, CHUNK_MAX, 5, 6);
	flow_init(&t->f[1], "b", bv[0], NULL, CHUNK_MAX, CHUNK_MAX, 6, 5);
	t->f[0].no_shut = t->f[1].no_shut = 1;
	t->done.loop = loop;
	ck_assert_ptr_nonnull(t->done.r = relay_new(loop, rfd, rssl, bv[1],
	    NULL, 1000, done_cb, &t->done));

	run_until(loop, tbulk_step, t);

	/* one write each: 64 KiB in four records, 64 KiB in one send */
	ck_assert_int_eq(t->f[0].writes, 1);
	ck_assert_int_eq(t->f[1].writes, 1);
	ck_assert_uint_eq(t->f[0].rcvd, CHUNK_MAX);
	ck_assert_uint_eq(t->f[1].rcvd, CHUNK_MAX);
	ck_assert_int_eq(t->done.calls, 0);

	/* freed from outside, mid-stream: both peers see the end */
	relay_free(loop, t->done.r);
	ck_assert_int_eq(fcntl(rfd, F_GETFD), -1);
	ck_assert_int_eq(fcntl(bv[1], F_GETFD), -1);
	ck_assert_int_eq(read(bv[0], &c, 1), 0);
	ck_assert_int_eq(read(tfd, &c, 1), 0);
	ck_assert_int_eq(t->done.calls, 0);
	SSL_free(tssl);
	close(tfd);
	close(bv[0]);
	free(t);
	ev_loop_free(loop);
}
END_TEST

/*
 * A relay that has passed nothing yet gives its client end back with
 * what the client sent (b's end closed), and a new relay passes those
 * bytes on first: a connection taken back from a server that is about to
 * stop taking writes, and sent to another.  Once bytes went, it refuses.
 */
START_TEST(test_detach_preload)
{
	struct ev_loop	*loop;
	struct half	 h;
	int		 av[2], bv[2], cv[2], mode = 1, fd;
	SSL		*ssl;
	char		*pend, c;
	size_t		 n;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	nb_socketpair(av);
	nb_socketpair(bv);
	nb_socketpair(cv);
	h.ta = av[0];
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, av[1], NULL, bv[1],
	    NULL, BUFSZ, done_cb, &h.done));
	/* Held, so that the bytes stay in the relay. */
	relay_gate(h.done.r, gate_drain, &mode);
	ck_assert_int_eq(write(h.ta, "HELLO", 5), 5);
	h.ticks = 0;
	run_until(loop, half_quiet_ms, &h);
	ck_assert_int_eq(inq(bv[0]), 0);

	ck_assert_int_eq(relay_detach_a(loop, h.done.r, &fd, &ssl, &pend,
	    &n), 0);
	ck_assert_int_eq(fd, av[1]);
	ck_assert_ptr_null(ssl);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(pend, "HELLO", 5), 0);
	ck_assert_int_eq(read(bv[0], &c, 1), 0);	/* b's end is closed */

	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, fd, NULL, cv[1],
	    NULL, BUFSZ, done_cb, &h.done));
	ck_assert_int_eq(relay_preload(h.done.r, pend, n), 0);
	free(pend);
	h.tb = cv[0];
	h.fd = h.tb;
	h.ngot = 0;
	run_until(loop, half_read, &h);
	ck_assert_int_eq(memcmp(h.got, "HELLO", 5), 0);
	/* Bytes went: it stays. */
	ck_assert_int_eq(relay_detach_a(loop, h.done.r, &fd, &ssl, &pend,
	    &n), -1);
	relay_free(loop, h.done.r);
	close(h.ta);
	close(bv[0]);
	close(cv[0]);
	ev_loop_free(loop);
}
END_TEST

/* One request and its reply across a TLS client and a plain server. */
struct exchange {
	int	 fd;		/* the server's end */
	SSL	*ssl;		/* the client */
	char	 got[64];
	int	 len;
	int	 records;	/* SSL_read()s that returned bytes */
	int	 stage;
};

static int
exchange_step(void *arg)
{
	struct exchange	*x = arg;
	char		 req[16];
	ssize_t		 n;
	int		 rv;

	if (x->stage == 0) {
		n = read(x->fd, req, sizeof(req));
		if (n == -1 && errno == EAGAIN)
			return 0;
		ck_assert_int_eq(n, 6);
		ck_assert_int_eq(memcmp(req, "PING\r\n", 6), 0);
		/* The reply, in one write: it must leave in one record. */
		ck_assert_int_eq(write(x->fd, "+PONG\r\n", 7), 7);
		x->stage = 1;
		return 0;
	}
	ERR_clear_error();
	rv = SSL_read(x->ssl, x->got + x->len, (int)sizeof(x->got) - x->len);
	if (rv <= 0) {
		ck_assert_int_eq(SSL_get_error(x->ssl, rv), SSL_ERROR_WANT_READ);
		return 0;
	}
	x->len += rv;
	x->records++;
	return x->len >= 7;
}

static int
pool_filled(void *arg)
{
	return relay_pool_count() == *(size_t *)arg;
}

/*
 * A reply read in one piece leaves in one TLS record (a client that reads
 * a record per reply sees "+PONG", not "+" then "PONG"), and once both
 * ways are empty the connection holds no buffer: both went back to the
 * pool.
 */
START_TEST(test_tls_one_record)
{
	struct ev_loop	*loop;
	struct exchange	 x;
	struct done	 d;
	SSL		*rssl, *tssl;
	int		 rfd, tfd, bv[2];
	size_t		 two = 2;

	relay_pool_clear();
	ck_assert_ptr_nonnull(loop = ev_loop_new());
	tls_connect(loop, &rfd, &rssl, &tfd, &tssl);
	nb_socketpair(bv);
	memset(&d, 0, sizeof(d));
	d.loop = loop;
	ck_assert_ptr_nonnull(d.r = relay_new(loop, rfd, rssl, bv[1], NULL,
	    BUFSZ, done_cb, &d));
	ck_assert_uint_eq(relay_pool_count(), 0);

	memset(&x, 0, sizeof(x));
	x.fd = bv[0];
	x.ssl = tssl;
	ck_assert_int_eq(SSL_write(tssl, "PING\r\n", 6), 6);
	run_until(loop, exchange_step, &x);
	ck_assert_int_eq(x.records, 1);
	ck_assert_int_eq(x.len, 7);
	ck_assert_int_eq(memcmp(x.got, "+PONG\r\n", 7), 0);

	run_until(loop, pool_filled, &two);
	ck_assert_int_eq(d.calls, 0);
	relay_free(loop, d.r);
	/* Kept for the next connection, up to the pool's size. */
	ck_assert_uint_eq(relay_pool_count(), 2);
	relay_pool_clear();
	ck_assert_uint_eq(relay_pool_count(), 0);
	SSL_free(tssl);
	close(tfd);
	close(bv[0]);
	ev_loop_free(loop);
}
END_TEST

/* Bytes that are not TLS from the client: an error, not an end. */
START_TEST(test_tls_error)
{
	struct ev_loop	*loop;
	struct half	 h;
	SSL		*rssl, *tssl;
	int		 rfd, tfd, bv[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	tls_connect(loop, &rfd, &rssl, &tfd, &tssl);
	nb_socketpair(bv);
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, rfd, rssl, bv[1],
	    NULL, BUFSZ, done_cb, &h.done));
	ck_assert_int_eq(write(tfd, "this is not a TLS record", 24), 24);
	run_until(loop, half_done, &h);
	ck_assert_int_eq(h.done.calls, 1);
	ck_assert_msg(strncmp(h.done.why, "read a: ", 8) == 0, "why: %s",
	    h.done.why);
	h.fd = bv[0];
	run_until(loop, half_read, &h);
	ck_assert(h.eof);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	SSL_free(tssl);
	close(tfd);
	close(bv[0]);
	ev_loop_free(loop);
}
END_TEST

/*
 * A TLS peer that closes its socket without a close notify: what it
 * sent still arrives, followed by an end of stream.
 */
START_TEST(test_tls_truncated)
{
	struct ev_loop	*loop;
	struct half	 h;
	SSL		*rssl, *tssl;
	int		 rfd, tfd, bv[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&h, 0, sizeof(h));
	tls_connect(loop, &rfd, &rssl, &tfd, &tssl);
	nb_socketpair(bv);
	h.done.loop = loop;
	ck_assert_ptr_nonnull(h.done.r = relay_new(loop, rfd, rssl, bv[1],
	    NULL, BUFSZ, done_cb, &h.done));
	ck_assert_int_eq(SSL_write(tssl, "hello", 5), 5);
	SSL_free(tssl);
	close(tfd);
	h.fd = bv[0];
	run_until(loop, half_read, &h);
	ck_assert_int_eq(h.ngot, 5);
	ck_assert_int_eq(memcmp(h.got, "hello", 5), 0);
	run_until(loop, half_read, &h);
	ck_assert(h.eof);
	/* b leaves too: the relay ends, however it words it */
	close(bv[0]);
	run_until(loop, half_done, &h);
	ck_assert_int_eq(h.done.calls, 1);
	ev_loop_free(loop);
}
END_TEST

Suite *
relay_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("relay");
	tc = tcase_create("plain");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bulk_backpressure);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_gate_hold);
	tcase_add_test(tc, test_detach_preload);
	tcase_add_test(tc, test_free_other_in_done);
	tcase_add_test(tc, test_filter_order);
	tcase_add_test(tc, test_filter_first_and_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, tls_setup, tls_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tls_plain);
	tcase_add_test(tc, test_tls_pending);
	tcase_add_test(tc, test_tls_one_record);
	tcase_add_test(tc, test_tls_error);
	tcase_add_test(tc, test_tls_truncated);
	suite_add_tcase(s, tc);
	return s;
}
