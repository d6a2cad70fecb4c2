/*
 * Drives srvctl against real servers and checks what it reports and what
 * it makes the servers do.  srvctl.sh starts the servers and runs one
 * case per invocation:
 *
 *	srvctl_probe [-v] [-k redis|tile38] [-w password] [-t seconds]
 *	    case port...
 *
 *	basic A X	up, fields filled, set_opts to a dead port X and back,
 *			want and free from inside the callback
 *	lead A X	a replica (Redis) / read-only (Tile38) A becomes a
 *			writable leader
 *	follow A B	B follows A: following, link_up, caught_up, data
 *	fresh A B	a key only B had is gone after a fresh FOLLOW of A;
 *			Redis: FLUSHALL ran exactly once
 *	retry B X A	Tile38: fresh FOLLOW of a dead X fails and is retried
 *			without flushing again; then B follows A
 *	fence A X	a leader refuses writes when fenced, accepts them when
 *			it leads again, and kept its data
 *	down A		prints "ok - up", waits for the script to kill A, then
 *			"ok - down", then for A to be back
 *	authfail A	a wrong password: never up, the error says why
 *	bogus		own fake servers: silence, garbage and hang-ups close
 *			the connection and are retried with capped backoff
 *
 * Prints "ok - ..." per check; on failure "not ok - ..." and exits 1.
 * The checks of stored data use plain blocking sockets: this is a test
 * program, only srvctl has to stay non-blocking.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "resp.h"
#include "srvctl.h"

#define PROBE_MS	100
#define TIMEOUT_MS	1000

struct node {
	const char		*name;
	uint16_t		 port;
	struct srvctl		*sc;
	struct srv_state	 st;		/* as the callback saw it */
	unsigned		 ncb;
	unsigned		 ups, downs;	/* transitions seen */
	/* basic: act from inside the callback */
	int			 reenter;
	int			 freed;
	unsigned		 ncb_at_free;
	char			 expect[128];	/* "host:port" to follow */
};

static struct ev_loop	*loop;
static int		 kind = SERVER_REDIS;
static const char	*password;
static uint64_t		 deadline_ms = 20000;
static struct node	 nodes[2];
static char		 keyprefix[32];

static void	cleanup(void);
static void	ok(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
ok(const char *fmt, ...)
{
	va_list	ap;

	printf("ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
dump(const struct node *n)
{
	const struct srv_state	*st = &n->st;

	if (n->name == NULL)
		return;
	printf("# %s: up %d loading %d leader %d writable %d following '%s' "
	    "link_up %d caught_up %d offset %llu keys %llu id '%s' "
	    "lineage '%s' version '%s' applied %d error '%s' (%u callbacks)\n",
	    n->name, st->up, st->loading, st->leader, st->writable,
	    st->following, st->link_up, st->caught_up,
	    (unsigned long long)st->offset, (unsigned long long)st->keys,
	    st->server_id, st->lineage, st->version, st->applied, st->error,
	    n->ncb);
}

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
fail(const char *fmt, ...)
{
	va_list	ap;

	printf("not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	dump(&nodes[0]);
	dump(&nodes[1]);
	fflush(stdout);
	cleanup();
	exit(1);
}

static void
cleanup(void)
{
	size_t	i;

	for (i = 0; i < 2; i++) {
		if (nodes[i].sc != NULL && !nodes[i].freed)
			srvctl_free(nodes[i].sc);
		nodes[i].sc = NULL;
	}
	ev_loop_free(loop);
	loop = NULL;
}

static void
node_cb(struct srvctl *sc, const struct srv_state *st, void *arg)
{
	struct node	*n = arg;

	if (n->freed)
		fail("%s: callback after srvctl_free", n->name);
	if (sc != n->sc || st != srvctl_state(sc))
		fail("%s: callback with the wrong object or state", n->name);
	if (st->up && !n->st.up)
		n->ups++;
	if (!st->up && n->st.up)
		n->downs++;
	n->st = *st;
	n->ncb++;
	/* Both are allowed from here; the second must end the callbacks. */
	if (n->reenter == 1 && st->up) {
		n->reenter = 2;
		srvctl_want(sc, SRV_WANT_LEAD, NULL, 0, 0);
	} else if (n->reenter == 2 && st->applied && st->leader) {
		srvctl_free(sc);
		n->freed = 1;
		n->ncb_at_free = n->ncb;
	}
}

static void
node_start(struct node *n, const char *name, uint16_t port)
{
	struct srvctl_opts	o;

	memset(n, 0, sizeof(*n));
	n->name = name;
	n->port = port;
	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.host = "127.0.0.1";
	o.port = port;
	o.password = password;
	o.probe_ms = PROBE_MS;
	o.timeout_ms = TIMEOUT_MS;
	if ((n->sc = srvctl_new(loop, &o, node_cb, n)) == NULL)
		fail("srvctl_new: %s", strerror(errno));
}

/* Run the loop until pred holds or the deadline passes. */
struct waiter {
	int		(*pred)(void *);
	void		*arg;
	uint64_t	 until;
	int		 met;
	struct ev_timer	 t;
};

static void
wait_tick(void *arg)
{
	struct waiter	*w = arg;

	if (w->pred(w->arg)) {
		w->met = 1;
		ev_break(loop);
		return;
	}
	if (ev_now() >= w->until) {
		ev_break(loop);
		return;
	}
	ev_timer_start(loop, &w->t, 20);
}

static int
wait_ms(int (*pred)(void *), void *arg, uint64_t ms)
{
	struct waiter	w;

	memset(&w, 0, sizeof(w));
	w.pred = pred;
	w.arg = arg;
	w.until = ev_now() + ms;
	ev_timer_init(&w.t, wait_tick, &w);
	ev_timer_start(loop, &w.t, 0);
	if (ev_run(loop) == -1)
		fail("ev_run: %s", strerror(errno));
	ev_timer_stop(loop, &w.t);
	return w.met;
}

static void
wait_for(const char *desc, int (*pred)(void *), void *arg)
{
	if (!wait_ms(pred, arg, deadline_ms))
		fail("timed out after %llu ms waiting for %s",
		    (unsigned long long)deadline_ms, desc);
}

static int
never(void *arg)
{
	return 0;
}

/* Let the loop run for ms. */
static void
run_for(uint64_t ms)
{
	wait_ms(never, NULL, ms);
}

/* --- blocking client for the data checks ------------------------------ */

static int
raw_connect(uint16_t port)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { 3, 0 };
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read one reply from fd into out. */
static int
raw_reply(int fd, char **buf, size_t *len, size_t *cap, struct resp *out)
{
	char	 err[128], *nb;
	ssize_t	 n;

	for (;;) {
		n = resp_parse(*buf, *len, out, err, sizeof(err));
		if (n == -1)
			fail("bad reply from a server: %s", err);
		if (n > 0) {
			memmove(*buf, *buf + n, *len - (size_t)n);
			*len -= (size_t)n;
			return 0;
		}
		if (*cap - *len < 4096) {
			if ((nb = realloc(*buf, *cap + 65536)) == NULL)
				fail("out of memory");
			*buf = nb;
			*cap += 65536;
		}
		n = recv(fd, *buf + *len, *cap - *len, 0);
		if (n <= 0)
			return -1;
		*len += (size_t)n;
	}
}

/* One command on a fresh connection (after AUTH when set); 0 or -1. */
static int
raw_cmd(uint16_t port, struct resp *out, int argc, const char **argv)
{
	const char	*auth[] = { "AUTH", password };
	char		*wbuf = NULL, *rbuf = NULL;
	size_t		 wlen = 0, wcap = 0, rlen = 0, rcap = 0, off = 0;
	struct resp	 r;
	ssize_t		 n;
	int		 fd, rv = -1;

	memset(out, 0, sizeof(*out));
	if ((fd = raw_connect(port)) == -1)
		return -1;
	if (password != NULL && resp_encode(&wbuf, &wlen, &wcap, 2,
	    auth) == -1)
		goto done;
	if (resp_encode(&wbuf, &wlen, &wcap, argc, argv) == -1)
		goto done;
	while (off < wlen) {
		if ((n = send(fd, wbuf + off, wlen - off, MSG_NOSIGNAL)) <= 0)
			goto done;
		off += (size_t)n;
	}
	if (password != NULL) {
		if (raw_reply(fd, &rbuf, &rlen, &rcap, &r) == -1)
			goto done;
		resp_clear(&r);
	}
	if (raw_reply(fd, &rbuf, &rlen, &rcap, out) == -1)
		goto done;
	rv = 0;
 done:
	free(wbuf);
	free(rbuf);
	close(fd);
	return rv;
}

/* Write key=val on port; 0, or -1 with the refusal in err. */
static int
db_set(uint16_t port, const char *key, const char *val, char *err,
    size_t errlen)
{
	const char	*redis[] = { "SET", key, val };
	const char	*tile38[] = { "SET", "probe", key, "STRING", val };
	struct resp	 r;
	int		 rv;

	if (kind == SERVER_TILE38)
		rv = raw_cmd(port, &r, 5, tile38);
	else
		rv = raw_cmd(port, &r, 3, redis);
	if (rv == -1) {
		snprintf(err, errlen, "no reply");
		return -1;
	}
	if (r.type == RESP_ERROR) {
		snprintf(err, errlen, "%s", r.str);
		rv = -1;
	}
	resp_clear(&r);
	return rv;
}

/* 1 with the value in out, 0 when absent, -1 on trouble. */
static int
db_get(uint16_t port, const char *key, char *out, size_t outlen)
{
	const char	*redis[] = { "GET", key };
	const char	*tile38[] = { "GET", "probe", key };
	struct resp	 r;
	int		 rv;

	if (kind == SERVER_TILE38)
		rv = raw_cmd(port, &r, 3, tile38);
	else
		rv = raw_cmd(port, &r, 2, redis);
	if (rv == -1)
		return -1;
	if (r.type == RESP_BULK || r.type == RESP_SIMPLE) {
		snprintf(out, outlen, "%s", r.str);
		rv = 1;
	} else if (r.type == RESP_NIL)
		rv = 0;
	else
		rv = -1;
	resp_clear(&r);
	return rv;
}

static void
must_set(uint16_t port, const char *key, const char *val)
{
	char	err[256];

	if (db_set(port, key, val, err, sizeof(err)) == -1)
		fail("write %s on port %u refused: %s", key, port, err);
}

static void
must_refuse(uint16_t port, const char *key)
{
	char	err[256];

	if (db_set(port, key, "x", err, sizeof(err)) == 0)
		fail("write %s on port %u accepted", key, port);
	ok("port %u refuses writes (%s)", port, err);
}

/* Redis: how many times FLUSHALL ran on port. */
static long
redis_flushall_calls(uint16_t port)
{
	const char	*argv[] = { "INFO", "commandstats" };
	struct resp	 r;
	char		 v[256];
	long		 calls = 0;

	if (raw_cmd(port, &r, 2, argv) == -1 || r.type != RESP_BULK)
		fail("INFO commandstats on port %u", port);
	if (resp_info_get(r.str, "cmdstat_flushall", v, sizeof(v)) == 0 &&
	    sscanf(v, "calls=%ld", &calls) != 1)
		fail("cmdstat_flushall: %s", v);
	resp_clear(&r);
	return calls;
}

static void
key_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s-%s", keyprefix, what);
}

/* --- predicates --------------------------------------------------------- */

static int
p_up(void *arg)
{
	return ((struct node *)arg)->st.up;
}

static int
p_down(void *arg)
{
	struct node	*n = arg;

	return !n->st.up && n->downs > 0;
}

static int
p_leading(void *arg)
{
	const struct srv_state	*st = &((struct node *)arg)->st;

	return st->up && st->applied && st->leader && st->writable &&
	    st->following[0] == '\0';
}

static int
p_following(void *arg)
{
	struct node		*n = arg;
	const struct srv_state	*st = &n->st;

	return st->up && st->applied && !st->leader && !st->writable &&
	    strcmp(st->following, n->expect) == 0 && st->link_up &&
	    st->caught_up;
}

static int
p_fenced(void *arg)
{
	const struct srv_state	*st = &((struct node *)arg)->st;

	return st->up && st->applied && !st->writable;
}

static int
p_freed(void *arg)
{
	return ((struct node *)arg)->freed;
}

/*
 * The callback runs on transitions and probes, so while a server stays
 * down these read the current state rather than the callback's copy.
 */
static int
p_error(void *arg)
{
	const struct srv_state	*st = srvctl_state(((struct node *)arg)->sc);

	return !st->up && st->error[0] != '\0';
}

static int
p_cannot_follow(void *arg)
{
	const struct srv_state	*st = srvctl_state(((struct node *)arg)->sc);

	return strstr(st->error, "cannot follow") != NULL;
}

/* Redis: both report the replication stream that carried the writes. */
static int
p_offsets(void *arg)
{
	struct node	*n = arg;

	return n[0].st.offset > 0 && n[0].st.offset == n[1].st.offset;
}

struct value_check {
	uint16_t	 port;
	const char	*key;
	const char	*want;		/* NULL: absent */
};

static int
p_value(void *arg)
{
	struct value_check	*v = arg;
	char			 got[256];
	int			 rv;

	rv = db_get(v->port, v->key, got, sizeof(got));
	if (v->want == NULL)
		return rv == 0;
	return rv == 1 && strcmp(got, v->want) == 0;
}

/* --- cases ---------------------------------------------------------------- */

static void
case_basic(uint16_t pa, uint16_t px)
{
	struct node		*a = &nodes[0];
	struct srvctl_opts	 o;
	char			 k[64];
	unsigned		 downs, ncb;

	key_name(k, sizeof(k), "basic");
	must_set(pa, k, "1");
	node_start(a, "A", pa);
	wait_for("A up", p_up, a);
	if (a->st.version[0] == '\0' || a->st.server_id[0] == '\0')
		fail("version or server id missing");
	if (a->st.keys < 1)
		fail("keys not counted");
	if (kind == SERVER_TILE38 && a->st.offset == 0)
		fail("aof_size not read");
	if (kind == SERVER_REDIS && strlen(a->st.lineage) != 40)
		fail("master_replid not read");
	if (!a->st.leader || !a->st.writable || a->st.loading ||
	    a->st.following[0] != '\0')
		fail("a lone server should be a writable leader");
	if (!a->st.applied)
		fail("observing only: applied should be 1");
	if (a->st.last_ok == 0 || a->st.last_ok > ev_now())
		fail("last_ok not set");
	ok("up; version %s, id %s, keys %llu, offset %llu", a->st.version,
	    a->st.server_id, (unsigned long long)a->st.keys,
	    (unsigned long long)a->st.offset);

	/* Probes go on, and each one is reported. */
	ncb = a->ncb;
	run_for(5 * PROBE_MS);
	if (a->ncb < ncb + 3)
		fail("no callback after each probe (%u in %d ms)",
		    a->ncb - ncb, 5 * PROBE_MS);
	ok("a callback after every probe (%u in %d ms)", a->ncb - ncb,
	    5 * PROBE_MS);

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.host = "127.0.0.1";
	o.port = pa;
	o.password = password;
	o.probe_ms = PROBE_MS;
	o.timeout_ms = TIMEOUT_MS;
	downs = a->downs;
	srvctl_set_opts(a->sc, &o);
	run_for(3 * PROBE_MS);
	if (a->downs != downs || !a->st.up)
		fail("same options caused a reconnection");
	o.port = px;
	srvctl_set_opts(a->sc, &o);
	wait_for("down after moving to a dead port", p_error, a);
	ok("set_opts to a dead port: down (%s)", srvctl_state(a->sc)->error);
	o.port = pa;
	srvctl_set_opts(a->sc, &o);
	wait_for("up again after moving back", p_up, a);
	ok("set_opts back: up");

	a->reenter = 1;
	wait_for("want and free from inside the callback", p_freed, a);
	run_for(5 * PROBE_MS);
	if (a->ncb != a->ncb_at_free)
		fail("callbacks after srvctl_free");
	a->sc = NULL;
	ok("srvctl_want and srvctl_free from inside the callback");
}

static void
case_lead(uint16_t pa, uint16_t px)
{
	struct node	*a = &nodes[0];
	const char	*redis[] = { "REPLICAOF", "127.0.0.1", NULL };
	const char	*tile38[] = { "READONLY", "yes" };
	char		 port[8], k[64];
	struct resp	 r;
	int		 rv;

	/* Start from a state LEAD has to undo. */
	snprintf(port, sizeof(port), "%u", px);
	redis[2] = port;
	if (kind == SERVER_TILE38)
		rv = raw_cmd(pa, &r, 2, tile38);
	else
		rv = raw_cmd(pa, &r, 3, redis);
	if (rv == -1 || r.type == RESP_ERROR)
		fail("cannot make A a replica/read-only");
	resp_clear(&r);
	node_start(a, "A", pa);
	wait_for("A up", p_up, a);
	if (a->st.writable)
		fail("A should not be writable yet");
	srvctl_want(a->sc, SRV_WANT_LEAD, NULL, 0, 0);
	wait_for("A leading", p_leading, a);
	if (a->st.error[0] != '\0')
		fail("error left after success: %s", a->st.error);
	key_name(k, sizeof(k), "lead");
	must_set(pa, k, "1");
	ok("LEAD: A is a writable leader and accepts writes");
}

static void
case_follow(uint16_t pa, uint16_t pb)
{
	struct node		*a = &nodes[0], *b = &nodes[1];
	struct value_check	 v;
	char			 k[64], m[64];

	node_start(a, "A", pa);
	node_start(b, "B", pb);
	srvctl_want(a->sc, SRV_WANT_LEAD, NULL, 0, 0);
	wait_for("A leading", p_leading, a);
	snprintf(b->expect, sizeof(b->expect), "127.0.0.1:%u", pa);
	srvctl_want(b->sc, SRV_WANT_FOLLOW, "127.0.0.1", pa, 0);
	wait_for("B following A, link up, caught up", p_following, b);
	ok("FOLLOW: B following %s, link up, caught up", b->st.following);

	key_name(k, sizeof(k), "follow");
	key_name(m, sizeof(m), "follow-marker");
	must_set(pa, k, "from-a");
	/* Tile38 1.26 may hold back the last write until the next one. */
	must_set(pa, m, "1");
	v.port = pb;
	v.key = k;
	v.want = "from-a";
	wait_for("the key written on A to show on B", p_value, &v);
	ok("a key written on A is readable on B");
	must_refuse(pb, k);
	if (kind == SERVER_REDIS) {
		wait_for("replication offsets past the writes", p_offsets,
		    nodes);
		if (strcmp(a->st.lineage, b->st.lineage) != 0)
			fail("B's replid differs from A's");
		ok("offsets read (A %llu, B %llu), same replid",
		    (unsigned long long)a->st.offset,
		    (unsigned long long)b->st.offset);
	}
}

static void
case_fresh(uint16_t pa, uint16_t pb)
{
	struct node		*a = &nodes[0], *b = &nodes[1];
	struct value_check	 v;
	char			 konly[64], ka[64], m[64];
	long			 before = 0, after;

	node_start(a, "A", pa);
	node_start(b, "B", pb);
	srvctl_want(a->sc, SRV_WANT_LEAD, NULL, 0, 0);
	srvctl_want(b->sc, SRV_WANT_LEAD, NULL, 0, 0);
	wait_for("A leading", p_leading, a);
	wait_for("B leading", p_leading, b);
	key_name(konly, sizeof(konly), "only-on-b");
	key_name(ka, sizeof(ka), "fresh-a");
	key_name(m, sizeof(m), "fresh-marker");
	must_set(pb, konly, "stale");
	must_set(pa, ka, "new");
	ok("B leads on its own with a key A does not have");
	if (kind == SERVER_REDIS)
		before = redis_flushall_calls(pb);

	snprintf(b->expect, sizeof(b->expect), "127.0.0.1:%u", pa);
	srvctl_want(b->sc, SRV_WANT_FOLLOW, "127.0.0.1", pa, 1);
	wait_for("B following A afresh", p_following, b);
	must_set(pa, m, "1");
	v.port = pb;
	v.key = ka;
	v.want = "new";
	wait_for("A's key on B", p_value, &v);
	v.key = konly;
	v.want = NULL;
	if (!p_value(&v))
		fail("the key only B had survived a fresh FOLLOW");
	ok("fresh FOLLOW: B has A's data and lost its own key");

	if (kind == SERVER_REDIS) {
		run_for(10 * PROBE_MS);
		after = redis_flushall_calls(pb);
		if (after != before + 1)
			fail("FLUSHALL ran %ld times, not once",
			    after - before);
		ok("FLUSHALL ran once for one fresh FOLLOW");
	}
}

/* Tile38: FOLLOW fails synchronously while the target is unreachable. */
static void
case_retry(uint16_t pb, uint16_t px, uint16_t pa)
{
	struct node		*b = &nodes[0];
	struct value_check	 v;
	char			 k[64];

	node_start(b, "B", pb);
	wait_for("B up", p_up, b);
	srvctl_want(b->sc, SRV_WANT_FOLLOW, "127.0.0.1", px, 1);
	v.port = pb;
	key_name(k, sizeof(k), "after-flush");
	/* FOLLOW no one and FLUSHDB went through; FOLLOW fails. */
	wait_for("FOLLOW to fail", p_cannot_follow, b);
	if (b->st.applied)
		fail("applied while FOLLOW fails");
	ok("FOLLOW of a dead target fails: %s", srvctl_state(b->sc)->error);
	must_set(pb, k, "kept");
	/* Several retries later the key is still there: no second flush. */
	run_for(3000);
	v.key = k;
	v.want = "kept";
	if (!p_value(&v))
		fail("the dataset was flushed again on a retry of FOLLOW");
	ok("retries of FOLLOW do not flush again");
	snprintf(b->expect, sizeof(b->expect), "127.0.0.1:%u", pa);
	srvctl_want(b->sc, SRV_WANT_FOLLOW, "127.0.0.1", pa, 0);
	wait_for("B following A", p_following, b);
	ok("then FOLLOW of a live target succeeds");
}

static void
case_fence(uint16_t pa, uint16_t px)
{
	struct node		*a = &nodes[0];
	struct value_check	 v;
	char			 k[64];

	node_start(a, "A", pa);
	srvctl_want(a->sc, SRV_WANT_LEAD, NULL, 0, 0);
	wait_for("A leading", p_leading, a);
	key_name(k, sizeof(k), "fence");
	must_set(pa, k, "before");
	srvctl_want(a->sc, SRV_WANT_FENCE, "127.0.0.1", px, 0);
	wait_for("A fenced", p_fenced, a);
	if (kind == SERVER_REDIS && a->st.leader)
		fail("a fenced Redis should be a replica");
	ok("FENCE: A reports not writable");
	must_refuse(pa, k);
	srvctl_want(a->sc, SRV_WANT_LEAD, NULL, 0, 0);
	wait_for("A leading again", p_leading, a);
	v.port = pa;
	v.key = k;
	v.want = "before";
	if (!p_value(&v))
		fail("A lost its data across FENCE and LEAD");
	must_set(pa, k, "after");
	ok("LEAD again: A writable, data kept");
}

static void
case_down(uint16_t pa)
{
	struct node	*a = &nodes[0];

	/* The script kills and restarts A: allow it time. */
	deadline_ms *= 2;
	node_start(a, "A", pa);
	wait_for("A up", p_up, a);
	ok("up");
	wait_for("A down", p_down, a);
	if (a->st.applied || a->st.writable)
		fail("a down server is not applied or writable");
	ok("down, reported by the callback (%s)", a->st.error);
	wait_for("A up again", p_up, a);
	if (a->ups < 2)
		fail("the return was not reported");
	ok("up again after the restart");
}

static void
case_authfail(uint16_t pa)
{
	struct node	*a = &nodes[0];

	node_start(a, "A", pa);
	wait_for("an authentication error", p_error, a);
	run_for(5 * PROBE_MS);
	if (a->ups != 0)
		fail("up with a wrong password");
	ok("wrong password: down, error '%s'", srvctl_state(a->sc)->error);
}

/* --- fake servers ------------------------------------------------------- */

enum fake_mode {
	FAKE_SILENT,		/* accept, never answer */
	FAKE_GARBAGE,		/* answer with something that is not RESP */
	FAKE_HANGUP,		/* accept and close */
};

struct fake {
	int		 lfd;
	uint16_t	 port;
	struct ev_io	 io;
	enum fake_mode	 mode;
	int		 conns[64];
	size_t		 nconns;
	uint64_t	 accepted[64];
	size_t		 naccepted;
};

static void
fake_accept(int fd, uint32_t events, void *arg)
{
	struct fake	*f = arg;
	int		 c;

	if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	if (f->naccepted < 64)
		f->accepted[f->naccepted++] = ev_now();
	switch (f->mode) {
	case FAKE_SILENT:
		if (f->nconns < 64) {
			f->conns[f->nconns++] = c;
			return;
		}
		break;
	case FAKE_GARBAGE:
		if (write(c, "hello there\r\n", 13) == -1)
			break;
		/* Keep it open: srvctl must close on the bad reply itself. */
		if (f->nconns < 64) {
			f->conns[f->nconns++] = c;
			return;
		}
		break;
	case FAKE_HANGUP:
		break;
	}
	close(c);
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->io.fd = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(f->lfd, 16) == -1 ||
	    getsockname(f->lfd, (struct sockaddr *)&sin, &len) == -1)
		fail("fake server: %s", strerror(errno));
	f->port = ntohs(sin.sin_port);
	if (ev_io_start(loop, &f->io, f->lfd, EPOLLIN, fake_accept, f) == -1)
		fail("fake server: epoll: %s", strerror(errno));
}

static void
fake_stop(struct fake *f)
{
	size_t	i;

	ev_io_stop(loop, &f->io);
	close(f->lfd);
	for (i = 0; i < f->nconns; i++)
		close(f->conns[i]);
}

struct fake_wait {
	struct node	*n;
	struct fake	*f;
	size_t		 accepts;
	const char	*error;
};

static int
p_fake(void *arg)
{
	struct fake_wait	*w = arg;

	return w->f->naccepted >= w->accepts &&
	    strstr(srvctl_state(w->n->sc)->error, w->error) != NULL;
}

static void
case_bogus(void)
{
	struct node		*a = &nodes[0];
	struct fake		 f;
	struct fake_wait	 w;
	uint64_t		 gap, prev = 0;
	size_t			 i, first;

	fake_start(&f);
	node_start(a, "fake", f.port);
	w.n = a;
	w.f = &f;
	w.accepts = 2;
	w.error = "no reply within";
	wait_for("a reply timeout and a new connection", p_fake, &w);
	ok("a silent server: '%s', connection retried",
	    srvctl_state(a->sc)->error);

	f.mode = FAKE_GARBAGE;
	w.accepts = f.naccepted + 2;
	w.error = "bad reply";
	wait_for("a parse error and a new connection", p_fake, &w);
	ok("garbage: '%s', connection retried", srvctl_state(a->sc)->error);

	f.mode = FAKE_HANGUP;
	first = f.naccepted;
	w.accepts = first + 8;
	w.error = "closed by the server";
	wait_for("hang-ups retried", p_fake, &w);
	/* Delays double up to the cap of 2 s, counting from the first. */
	for (i = first + 1; i < f.naccepted; i++) {
		gap = f.accepted[i] - f.accepted[i - 1];
		if (gap + 20 < prev || gap > 2500)
			fail("retry %zu after %llu ms (previous %llu)", i,
			    (unsigned long long)gap, (unsigned long long)prev);
		prev = gap;
	}
	if (prev < 1500)
		fail("backoff never reached its cap (last %llu ms)",
		    (unsigned long long)prev);
	if (a->ups != 0)
		fail("a fake server was taken for up");
	ok("hang-ups: retried with backoff growing to %llu ms",
	    (unsigned long long)prev);
	srvctl_free(a->sc);
	a->sc = NULL;
	fake_stop(&f);
}

static uint16_t
port_arg(char **argv, int argc, int i)
{
	long	v;
	char	*end;

	if (i >= argc)
		fail("missing port argument");
	v = strtol(argv[i], &end, 10);
	if (*end != '\0' || v <= 0 || v > 65535)
		fail("bad port %s", argv[i]);
	return (uint16_t)v;
}

int
main(int argc, char *argv[])
{
	const char	*c;
	int		 ch, verbose = 0;

	while ((ch = getopt(argc, argv, "k:t:vw:")) != -1) {
		switch (ch) {
		case 'k':
			if (strcmp(optarg, "redis") == 0)
				kind = SERVER_REDIS;
			else if (strcmp(optarg, "tile38") == 0)
				kind = SERVER_TILE38;
			else
				fail("unknown kind %s", optarg);
			break;
		case 't':
			deadline_ms = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'w':
			password = optarg;
			break;
		default:
			fprintf(stderr, "usage: srvctl_probe [-v] [-k kind] "
			    "[-w password] [-t s] case port...\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		fail("no case given");
	log_init(1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	log_procname("srvctl_probe");
	snprintf(keyprefix, sizeof(keyprefix), "probe%ld", (long)getpid());
	if ((loop = ev_loop_new()) == NULL)
		fail("ev_loop_new: %s", strerror(errno));

	c = argv[0];
	if (strcmp(c, "basic") == 0)
		case_basic(port_arg(argv, argc, 1), port_arg(argv, argc, 2));
	else if (strcmp(c, "lead") == 0)
		case_lead(port_arg(argv, argc, 1), port_arg(argv, argc, 2));
	else if (strcmp(c, "follow") == 0)
		case_follow(port_arg(argv, argc, 1), port_arg(argv, argc, 2));
	else if (strcmp(c, "fresh") == 0)
		case_fresh(port_arg(argv, argc, 1), port_arg(argv, argc, 2));
	else if (strcmp(c, "retry") == 0)
		case_retry(port_arg(argv, argc, 1), port_arg(argv, argc, 2),
		    port_arg(argv, argc, 3));
	else if (strcmp(c, "fence") == 0)
		case_fence(port_arg(argv, argc, 1), port_arg(argv, argc, 2));
	else if (strcmp(c, "down") == 0)
		case_down(port_arg(argv, argc, 1));
	else if (strcmp(c, "authfail") == 0)
		case_authfail(port_arg(argv, argc, 1));
	else if (strcmp(c, "bogus") == 0)
		case_bogus();
	else
		fail("unknown case %s", c);
	cleanup();
	return 0;
}
