/*
 * storm_client: many mutual-TLS clients in one process (epoll, OpenSSL in
 * non-blocking mode), for bench/storm.  Two modes:
 *
 * storm: COUNT clients each open a connection to HOST:PORT, finish the
 * handshake, send one write (SET storm:<i> <n>) and hold the connection
 * once it is acknowledged (+OK).  At most CONC attempts are in flight
 * while they first connect.  A connection that the server closes, or any
 * failed attempt, is tried again after a jittered 10-50 ms, as a client
 * library would.  Once every client has had its first write
 * acknowledged it prints "ready"; the first close after that starts the
 * storm, which ends when every client has reconnected and had a write
 * acknowledged on its new connection (a client whose connection was not
 * cut is sent one write on it once the others are through).  Then it
 * prints the figures and exits; 1, after a "timeout" line, when it was
 * not over SECONDS after its start.
 *
 * rate: CONC connections in flight for SECONDS: each opens, finishes
 * the handshake, sends PING, reads +PONG and closes; prints how many
 * completed per second.
 *
 * Every handshake is a full one, unless STORM_RESUME=1 is in the
 * environment: then each client (each slot in rate mode) keeps the TLS
 * session of its last connection, with the ticket the server sent, and
 * offers it when it connects again, as a client library with a session
 * cache does.  hs_resumed counts the handshakes the server resumed.
 *
 * Output, one line each, key=value fields:
 *   ready n= ms= <counts>		every client acknowledged once
 *   storm n= cut= uncut= recut= p50_ms= p90_ms= p99_ms= max_ms= <counts>
 *   rate n= seconds= per_s= cpu_s= <counts>
 * <counts>: attempts, connect_failed, hs_ok, hs_resumed, hs_failed,
 * hs_closed (the
 * server closed during the handshake, as a listener over its handshake
 * caps does), closed_before_ack, bad_reply, timeouts (no answer within
 * 15 s), since the start (ready, rate) or the storm's start (storm).
 *
 * Usage: storm_client storm|rate host port cert key ca count|conc
 *        seconds [conc]
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define BACKOFF_MIN_MS	10
#define BACKOFF_SPAN_MS	41
#define ATTEMPT_MS	15000
#define WHEEL		256	/* > BACKOFF_MIN_MS + BACKOFF_SPAN_MS */

enum state { S_WAIT, S_CONNECT, S_HANDSHAKE, S_SEND, S_RECV, S_IDLE };
enum phase { P_RAMP, P_HOLD, P_STORM };

struct conn {
	int		 idx;
	int		 fd;
	SSL		*ssl;
	SSL_SESSION	*sess;		/* to resume, STORM_RESUME=1 */
	enum state	 st;
	uint32_t	 events;	/* registered with epoll, 0: none */
	uint64_t	 deadline;
	int		 tnext;		/* next in its wheel slot, -1: last */
	char		 out[96];
	int		 outlen;
	char		 in[256];
	int		 inlen;
	unsigned	 writes;
	int		 acked;		/* first write acknowledged */
	int		 counted;	/* in inflight */
	int		 cut;		/* closed since the storm began */
	int		 done;
	uint64_t	 done_at;
};

struct counts {
	unsigned long	attempts, connect_failed, hs_ok, hs_resumed, hs_failed,
			hs_closed, closed_before_ack, bad_reply, timeouts;
};

static struct conn	*conns;
static int		 nconns, conc, epfd, rate_mode, resume;
static SSL_CTX		*ctx;
static struct addrinfo	*addr;
static struct counts	 cnt;
static enum phase	 phase = P_RAMP;
static int		 wheel[WHEEL];
static uint64_t		 wheel_ms, t_start, t_storm;
static int		 inflight, next_new, nacked, ndone, ncut, nrecut;
static int		 probing;
static unsigned long	 completed;

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
print_counts(void)
{
	printf(" attempts=%lu connect_failed=%lu hs_ok=%lu hs_resumed=%lu "
	    "hs_failed=%lu hs_closed=%lu closed_before_ack=%lu bad_reply=%lu "
	    "timeouts=%lu\n", cnt.attempts, cnt.connect_failed, cnt.hs_ok,
	    cnt.hs_resumed, cnt.hs_failed, cnt.hs_closed,
	    cnt.closed_before_ack, cnt.bad_reply, cnt.timeouts);
	fflush(stdout);
}

static void
watch(struct conn *c, uint32_t ev)
{
	struct epoll_event	e;

	if (ev == c->events)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u32 = (uint32_t)c->idx;
	if (epoll_ctl(epfd, c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    c->fd, &e) == -1) {
		perror("epoll_ctl");
		exit(2);
	}
	c->events = ev;
}

static void
timer_add(struct conn *c, uint64_t due)
{
	int	slot = (int)(due % WHEEL);

	c->st = S_WAIT;
	c->tnext = wheel[slot];
	wheel[slot] = c->idx;
}

static void	attempt(struct conn *);

/* The attempt is over: one fewer in flight. */
static void
settled(struct conn *c)
{
	if (c->counted) {
		c->counted = 0;
		inflight--;
	}
}

/* Drop the connection; a new attempt after a jittered pause. */
static void
drop(struct conn *c)
{
	settled(c);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd != -1)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->events = 0;
	if (phase == P_HOLD) {
		phase = P_STORM;
		t_storm = now_ms();
		memset(&cnt, 0, sizeof(cnt));
	}
	if (phase == P_STORM && !rate_mode) {
		if (!c->cut) {
			c->cut = 1;
			ncut++;
		}
		if (c->done) {
			c->done = 0;
			ndone--;
			nrecut++;
		}
	}
	timer_add(c, now_ms() + BACKOFF_MIN_MS +
	    (uint64_t)(random() % BACKOFF_SPAN_MS));
}

static void
request(struct conn *c)
{
	char	key[32], val[16];
	int	kl, vl;

	if (rate_mode)
		c->outlen = snprintf(c->out, sizeof(c->out),
		    "*1\r\n$4\r\nPING\r\n");
	else {
		c->writes++;
		kl = snprintf(key, sizeof(key), "storm:%d", c->idx);
		vl = snprintf(val, sizeof(val), "%u", c->writes);
		c->outlen = snprintf(c->out, sizeof(c->out),
		    "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", kl, key,
		    vl, val);
	}
	c->inlen = 0;
	c->st = S_SEND;
}

/* SSL_ERROR_* of a failed call as an epoll interest, 0: not a retry. */
static uint32_t
want(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return EPOLLIN;
	case SSL_ERROR_WANT_WRITE:
		return EPOLLOUT;
	default:
		return 0;
	}
}

static void
acked(struct conn *c)
{
	uint64_t	t = now_ms();

	settled(c);
	if (rate_mode) {
		completed++;
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
		close(c->fd);
		c->fd = -1;
		c->events = 0;
		attempt(c);
		return;
	}
	if (!c->acked) {
		c->acked = 1;
		nacked++;
	}
	c->st = S_IDLE;
	watch(c, EPOLLIN);
	if (phase == P_STORM && !c->done) {
		c->done = 1;
		c->done_at = t;
		ndone++;
	}
}

/*
 * A TLS 1.3 ticket arrived (with the first reply): the client keeps a
 * copy of the session to offer next time.  A copy, since OpenSSL marks
 * the connection's own unusable when it ends without a close_notify.
 */
static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn	*c = SSL_get_app_data(ssl);
	SSL_SESSION	*copy;

	if (c == NULL || (copy = SSL_SESSION_dup(sess)) == NULL)
		return 0;
	SSL_SESSION_free(c->sess);
	c->sess = copy;
	return 0;
}

/* Progress on C until it waits; on failure it is dropped. */
static void
step(struct conn *c)
{
	SSL_SESSION	*copy;
	socklen_t	 len;
	uint32_t	 w;
	unsigned long	 e;
	int		 r, err = 0;

	switch (c->st) {
	case S_CONNECT:
		len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			cnt.connect_failed++;
			drop(c);
			return;
		}
		if ((c->ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1) {
			ERR_print_errors_fp(stderr);
			exit(2);
		}
		SSL_set_connect_state(c->ssl);
		SSL_set_app_data(c->ssl, c);
		/*
		 * A copy again: OpenSSL marks the session an attempt used
		 * unusable when the attempt fails, as one a cap closes does.
		 */
		if (c->sess != NULL &&
		    (copy = SSL_SESSION_dup(c->sess)) != NULL) {
			SSL_set_session(c->ssl, copy);
			SSL_SESSION_free(copy);
		}
		c->st = S_HANDSHAKE;
		/* FALLTHROUGH */
	case S_HANDSHAKE:
		ERR_clear_error();
		if ((r = SSL_do_handshake(c->ssl)) != 1) {
			if ((w = want(c, r)) != 0) {
				watch(c, w);
				return;
			}
			/*
			 * Closed by the server (a cap closes before any
			 * TLS): an end of file or a reset, not a failure
			 * of the TLS exchange itself.
			 */
			e = ERR_peek_error();
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_SYSCALL ||
			    SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ||
			    ERR_GET_REASON(e) ==
			    SSL_R_UNEXPECTED_EOF_WHILE_READING)
				cnt.hs_closed++;
			else
				cnt.hs_failed++;
			ERR_clear_error();
			drop(c);
			return;
		}
		cnt.hs_ok++;
		if (SSL_session_reused(c->ssl))
			cnt.hs_resumed++;
		request(c);
		/* FALLTHROUGH */
	case S_SEND:
		ERR_clear_error();
		if ((r = SSL_write(c->ssl, c->out, c->outlen)) <= 0) {
			if ((w = want(c, r)) != 0) {
				watch(c, w);
				return;
			}
			cnt.closed_before_ack++;
			drop(c);
			return;
		}
		c->st = S_RECV;
		/* FALLTHROUGH */
	case S_RECV:
		for (;;) {
			ERR_clear_error();
			r = SSL_read(c->ssl, c->in + c->inlen,
			    (int)sizeof(c->in) - 1 - c->inlen);
			if (r <= 0) {
				if ((w = want(c, r)) != 0) {
					watch(c, w);
					return;
				}
				cnt.closed_before_ack++;
				drop(c);
				return;
			}
			c->inlen += r;
			c->in[c->inlen] = '\0';
			if (strchr(c->in, '\n') != NULL)
				break;
			if (c->inlen >= (int)sizeof(c->in) - 1) {
				cnt.bad_reply++;
				drop(c);
				return;
			}
		}
		if (strncmp(c->in, rate_mode ? "+PONG\r\n" : "+OK\r\n",
		    rate_mode ? 7 : 5) != 0) {
			cnt.bad_reply++;
			if (cnt.bad_reply <= 3)
				fprintf(stderr, "storm_client: reply %.60s\n",
				    c->in);
			drop(c);
			return;
		}
		acked(c);
		return;
	case S_IDLE:
		/* Nothing is expected: data is a session ticket, or the end. */
		for (;;) {
			ERR_clear_error();
			r = SSL_read(c->ssl, c->in, (int)sizeof(c->in));
			if (r > 0)
				continue;
			if (want(c, r) == EPOLLIN)
				return;
			drop(c);
			return;
		}
	case S_WAIT:
		return;
	}
}

static void
attempt(struct conn *c)
{
	const int	one = 1;

	cnt.attempts++;
	inflight++;
	c->counted = 1;
	c->deadline = now_ms() + ATTEMPT_MS;
	c->st = S_CONNECT;
	c->events = 0;
	if ((c->fd = socket(addr->ai_family, addr->ai_socktype |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, addr->ai_protocol)) == -1) {
		perror("socket");
		exit(2);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, addr->ai_addr, addr->ai_addrlen) == 0)
		step(c);
	else if (errno == EINPROGRESS)
		watch(c, EPOLLOUT);
	else {
		cnt.connect_failed++;
		drop(c);
	}
}

static void
timers_run(uint64_t now)
{
	uint64_t	t;
	int		i, slot, list;

	if (now - wheel_ms >= WHEEL)
		wheel_ms = now - WHEEL;
	for (t = wheel_ms + 1; t <= now; t++) {
		slot = (int)(t % WHEEL);
		list = wheel[slot];
		wheel[slot] = -1;
		while ((i = list) != -1) {
			list = conns[i].tnext;
			attempt(&conns[i]);
		}
	}
	wheel_ms = now;
}

static int
wheel_empty(void)
{
	int	i;

	for (i = 0; i < WHEEL; i++)
		if (wheel[i] != -1)
			return 0;
	return 1;
}

static void
deadlines(uint64_t now)
{
	int	i;

	for (i = 0; i < nconns; i++) {
		if (conns[i].st == S_WAIT || conns[i].st == S_IDLE ||
		    conns[i].deadline > now)
			continue;
		cnt.timeouts++;
		drop(&conns[i]);
	}
}

/* Where the clients are, on standard error, once a second of a storm. */
static void
progress(uint64_t now)
{
	int	st[S_IDLE + 1] = { 0 }, i;

	for (i = 0; i < nconns; i++)
		st[conns[i].st]++;
	fprintf(stderr, "progress ms=%llu cut=%d done=%d wait=%d connect=%d "
	    "handshake=%d send=%d recv=%d idle=%d attempts=%lu hs_closed=%lu "
	    "closed_before_ack=%lu\n", (unsigned long long)(now - t_storm),
	    ncut, ndone, st[S_WAIT], st[S_CONNECT], st[S_HANDSHAKE],
	    st[S_SEND], st[S_RECV], st[S_IDLE], cnt.attempts, cnt.hs_closed,
	    cnt.closed_before_ack);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
storm_report(void)
{
	uint64_t	*d;
	int		 i;

	if ((d = calloc((size_t)nconns, sizeof(*d))) == NULL) {
		perror("calloc");
		exit(2);
	}
	for (i = 0; i < nconns; i++)
		d[i] = conns[i].done_at - t_storm;
	qsort(d, (size_t)nconns, sizeof(*d), cmp_u64);
	printf("storm n=%d cut=%d uncut=%d recut=%d p50_ms=%llu p90_ms=%llu "
	    "p99_ms=%llu max_ms=%llu", nconns, ncut, nconns - ncut, nrecut,
	    (unsigned long long)d[(nconns - 1) / 2],
	    (unsigned long long)d[(nconns * 9 - 1) / 10],
	    (unsigned long long)d[(nconns * 99 - 1) / 100],
	    (unsigned long long)d[nconns - 1]);
	print_counts();
	free(d);
}

/*
 * The clients whose connection the storm left alone send one write on
 * it, once every other one is through.
 */
static void
probe_uncut(void)
{
	int	i;

	if (probing || ndone + (nconns - ncut) != nconns)
		return;
	probing = 1;
	for (i = 0; i < nconns; i++)
		if (!conns[i].cut && conns[i].st == S_IDLE) {
			conns[i].deadline = now_ms() + ATTEMPT_MS;
			request(&conns[i]);
			step(&conns[i]);
		}
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 ev[256];
	struct addrinfo		 hints;
	struct rlimit		 rl;
	struct rusage		 ru;
	uint64_t		 now, end, last_scan = 0, last_progress = 0;
	int			 i, n, seconds, timeout;

	if (argc != 9 && argc != 10) {
		fprintf(stderr, "usage: storm_client storm|rate host port cert "
		    "key ca count|conc seconds [conc]\n");
		return 2;
	}
	rate_mode = strcmp(argv[1], "rate") == 0;
	nconns = atoi(argv[7]);
	seconds = atoi(argv[8]);
	conc = argc == 10 ? atoi(argv[9]) : 64;
	if (nconns <= 0 || seconds <= 0 || conc <= 0 ||
	    (!rate_mode && strcmp(argv[1], "storm") != 0)) {
		fprintf(stderr, "storm_client: bad arguments\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* A connection closed at once by a cap is written to: not a death. */
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[2], argv[3], &hints, &addr) != 0) {
		fprintf(stderr, "storm_client: %s:%s: no address\n", argv[2],
		    argv[3]);
		return 2;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, argv[4]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[5], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, argv[6], NULL) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	/* The chain against the CA: Connect names services, not hosts. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	resume = getenv("STORM_RESUME") != NULL &&
	    strcmp(getenv("STORM_RESUME"), "1") == 0;
	if (resume) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, new_session);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (conns = calloc((size_t)nconns, sizeof(*conns))) == NULL) {
		perror("storm_client");
		return 2;
	}
	for (i = 0; i < WHEEL; i++)
		wheel[i] = -1;
	for (i = 0; i < nconns; i++) {
		conns[i].idx = i;
		conns[i].fd = -1;
		conns[i].st = S_WAIT;
		conns[i].tnext = -1;
	}
	t_start = wheel_ms = now_ms();
	end = t_start + (uint64_t)seconds * 1000;
	if (rate_mode) {
		/* conns are the slots in flight. */
		for (i = 0; i < nconns; i++)
			attempt(&conns[i]);
	}
	for (;;) {
		now = now_ms();
		if (!rate_mode && phase == P_RAMP)
			while (next_new < nconns && inflight < conc)
				attempt(&conns[next_new++]);
		timeout = wheel_empty() ? 100 : 1;
		if ((n = epoll_wait(epfd, ev, 256, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 2;
		}
		for (i = 0; i < n; i++)
			step(&conns[ev[i].data.u32]);
		now = now_ms();
		timers_run(now);
		if (now - last_scan >= 100) {
			deadlines(now);
			last_scan = now;
		}
		if (rate_mode) {
			if (now < end)
				continue;
			getrusage(RUSAGE_SELF, &ru);
			printf("rate n=%lu seconds=%.2f per_s=%.0f cpu_s=%.2f",
			    completed, (double)(now - t_start) / 1000,
			    (double)completed * 1000 / (double)(now - t_start),
			    (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec
			    + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)
			    / 1e6);
			print_counts();
			return 0;
		}
		if (phase == P_RAMP && nacked == nconns) {
			phase = P_HOLD;
			printf("ready n=%d ms=%llu", nconns,
			    (unsigned long long)(now - t_start));
			print_counts();
		}
		if (phase == P_STORM) {
			if (now - last_progress >= 1000) {
				progress(now);
				last_progress = now;
			}
			probe_uncut();
			if (ndone == nconns) {
				storm_report();
				return 0;
			}
		}
		if (now >= end) {
			printf("timeout phase=%s n=%d acked=%d cut=%d done=%d",
			    phase == P_STORM ? "storm" : phase == P_HOLD ?
			    "hold" : "ramp", nconns, nacked, ncut, ndone);
			print_counts();
			return 1;
		}
	}
}
