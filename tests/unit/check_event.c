/*
 * Event loop tests.  Every test runs the real loop and waits for the
 * condition it checks; a guard timer turns a hang into a failure long
 * before Check's own timeout would.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "suites.h"

/* Far longer than any test needs, well inside Check's 4 s default. */
#define GUARD_MS	2000
#define NTIMERS		1000

struct guard {
	struct ev_timer	 t;
	int		 fired;
	struct ev_loop	*loop;
};

static void
guard_cb(void *arg)
{
	struct guard	*g = arg;

	g->fired = 1;
	ev_break(g->loop);
}

static void
guard_start(struct guard *g, struct ev_loop *loop)
{
	memset(g, 0, sizeof(*g));
	g->loop = loop;
	ev_timer_init(&g->t, guard_cb, g);
	ev_timer_start(loop, &g->t, GUARD_MS);
}

/* Run until a callback breaks; fail if only the guard ever did. */
static void
run_guarded(struct ev_loop *loop)
{
	struct guard	g;

	guard_start(&g, loop);
	ck_assert_int_eq(ev_run(loop), 0);
	ck_assert_msg(!g.fired, "loop timed out after %d ms", GUARD_MS);
	ev_timer_stop(loop, &g.t);
}

static void
make_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

/* io */

struct io_seen {
	struct ev_loop	*loop;
	int		 calls;
	int		 fd;
	uint32_t	 events;
};

static void
io_seen_cb(int fd, uint32_t events, void *arg)
{
	struct io_seen	*s = arg;

	s->calls++;
	s->fd = fd;
	s->events = events;
	ev_break(s->loop);
}

START_TEST(test_io_read)
{
	struct ev_loop	*loop;
	struct ev_io	 io;
	struct io_seen	 s;
	int		 p[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	make_pipe(p);
	memset(&s, 0, sizeof(s));
	s.loop = loop;
	ck_assert_int_eq(ev_io_start(loop, &io, p[0], EPOLLIN, io_seen_cb,
	    &s), 0);
	ck_assert_int_eq(io.fd, p[0]);
	ck_assert_int_eq(write(p[1], "x", 1), 1);

	run_guarded(loop);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.fd, p[0]);
	ck_assert(s.events & EPOLLIN);

	ev_io_stop(loop, &io);
	ck_assert_int_eq(io.fd, -1);
	/* Stopping twice is harmless. */
	ev_io_stop(loop, &io);
	close(p[0]);
	close(p[1]);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_io_set_out)
{
	struct ev_loop	*loop;
	struct ev_io	 io;
	struct io_seen	 s;
	int		 p[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	make_pipe(p);
	memset(&s, 0, sizeof(s));
	s.loop = loop;
	/* The write end of a pipe never becomes readable... */
	ck_assert_int_eq(ev_io_start(loop, &io, p[1], EPOLLIN, io_seen_cb,
	    &s), 0);
	/* ...so only the switch to EPOLLOUT can wake the loop. */
	ck_assert_int_eq(ev_io_set(loop, &io, EPOLLOUT), 0);
	ck_assert_uint_eq(io.events, EPOLLOUT);

	run_guarded(loop);
	ck_assert_int_eq(s.calls, 1);
	ck_assert(s.events & EPOLLOUT);
	ck_assert(!(s.events & EPOLLIN));

	ev_io_stop(loop, &io);
	ck_assert_int_eq(ev_io_set(loop, &io, EPOLLIN), -1);
	close(p[0]);
	close(p[1]);
	ev_loop_free(loop);
}
END_TEST

struct peer {
	struct ev_io	 io;
	struct ev_loop	*loop;
	struct peer	**other;	/* where the other watcher is kept */
	int		*calls;
};

/* Whichever of the two runs first stops and frees the other. */
static void
peer_cb(int fd, uint32_t events, void *arg)
{
	struct peer	*me = arg;

	(*me->calls)++;
	if (*me->other != NULL) {
		ev_io_stop(me->loop, &(*me->other)->io);
		free(*me->other);
		*me->other = NULL;
	}
	ev_break(me->loop);
}

START_TEST(test_io_stop_other_in_batch)
{
	struct ev_loop	*loop;
	struct peer	*a, *b;
	int		 pa[2], pb[2], calls = 0;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	make_pipe(pa);
	make_pipe(pb);
	ck_assert_ptr_nonnull(a = calloc(1, sizeof(*a)));
	ck_assert_ptr_nonnull(b = calloc(1, sizeof(*b)));
	a->loop = b->loop = loop;
	a->other = &b;
	b->other = &a;
	a->calls = b->calls = &calls;
	ck_assert_int_eq(ev_io_start(loop, &a->io, pa[0], EPOLLIN, peer_cb,
	    a), 0);
	ck_assert_int_eq(ev_io_start(loop, &b->io, pb[0], EPOLLIN, peer_cb,
	    b), 0);
	/* Both ready before the loop runs: one epoll_wait() returns both. */
	ck_assert_int_eq(write(pa[1], "x", 1), 1);
	ck_assert_int_eq(write(pb[1], "x", 1), 1);

	run_guarded(loop);
	ck_assert_int_eq(calls, 1);
	/* Exactly one survived; the freed one never ran (ASan would say). */
	ck_assert((a == NULL) != (b == NULL));

	if (a != NULL) {
		ev_io_stop(loop, &a->io);
		free(a);
	}
	if (b != NULL) {
		ev_io_stop(loop, &b->io);
		free(b);
	}
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	ev_loop_free(loop);
}
END_TEST

/* timers */

struct order {
	struct ev_loop	*loop;
	int		 seen[8];
	int		 n;
	int		 want;	/* break after this many */
};

struct tagged {
	struct ev_timer	 t;
	int		 tag;
	struct order	*o;
};

static void
tagged_cb(void *arg)
{
	struct tagged	*tt = arg;
	struct order	*o = tt->o;

	ck_assert_int_lt(o->n, (int)(sizeof(o->seen) / sizeof(o->seen[0])));
	o->seen[o->n++] = tt->tag;
	if (o->n == o->want)
		ev_break(o->loop);
}

static void
tagged_init(struct tagged *tt, struct order *o, int tag)
{
	tt->tag = tag;
	tt->o = o;
	ev_timer_init(&tt->t, tagged_cb, tt);
}

START_TEST(test_timer_order)
{
	struct ev_loop	*loop;
	struct order	 o;
	struct tagged	 t[3];
	const int	 ms[3] = { 30, 10, 20 };
	uint64_t	 start;
	int		 i;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&o, 0, sizeof(o));
	o.loop = loop;
	o.want = 3;
	start = ev_now();
	for (i = 0; i < 3; i++) {
		tagged_init(&t[i], &o, ms[i]);
		ck_assert(!ev_timer_pending(&t[i].t));
		ev_timer_start(loop, &t[i].t, ms[i]);
		ck_assert(ev_timer_pending(&t[i].t));
	}

	run_guarded(loop);
	ck_assert_int_eq(o.n, 3);
	ck_assert_int_eq(o.seen[0], 10);
	ck_assert_int_eq(o.seen[1], 20);
	ck_assert_int_eq(o.seen[2], 30);
	ck_assert_uint_ge(ev_now() - start, 30);
	for (i = 0; i < 3; i++)
		ck_assert(!ev_timer_pending(&t[i].t));
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_timer_stop)
{
	struct ev_loop	*loop;
	struct order	 o;
	struct tagged	 early, late;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&o, 0, sizeof(o));
	o.loop = loop;
	o.want = 1;
	tagged_init(&early, &o, 1);
	tagged_init(&late, &o, 2);
	ev_timer_start(loop, &early.t, 5);
	ev_timer_start(loop, &late.t, 30);
	ev_timer_stop(loop, &early.t);
	ck_assert(!ev_timer_pending(&early.t));
	/* Stopping a stopped timer is harmless. */
	ev_timer_stop(loop, &early.t);

	/* Had the stopped one fired, it would have come first and broken. */
	run_guarded(loop);
	ck_assert_int_eq(o.n, 1);
	ck_assert_int_eq(o.seen[0], 2);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_timer_rearm_pending)
{
	struct ev_loop	*loop;
	struct order	 o;
	struct tagged	 a, b, c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&o, 0, sizeof(o));
	o.loop = loop;
	o.want = 3;
	tagged_init(&a, &o, 1);
	tagged_init(&b, &o, 2);
	tagged_init(&c, &o, 3);
	ev_timer_start(loop, &a.t, 10);
	ev_timer_start(loop, &b.t, 30);
	ev_timer_start(loop, &c.t, 1000);
	/* a moves behind b, c moves in front of both. */
	ev_timer_start(loop, &a.t, 50);
	ev_timer_start(loop, &c.t, 5);
	ck_assert(ev_timer_pending(&a.t));

	run_guarded(loop);
	ck_assert_int_eq(o.n, 3);
	ck_assert_int_eq(o.seen[0], 3);
	ck_assert_int_eq(o.seen[1], 2);
	ck_assert_int_eq(o.seen[2], 1);
	ev_loop_free(loop);
}
END_TEST

struct repeat {
	struct ev_timer	 t;
	struct ev_loop	*loop;
	int		 count;
};

static void
repeat_cb(void *arg)
{
	struct repeat	*r = arg;

	ck_assert(!ev_timer_pending(&r->t));
	if (++r->count == 5) {
		ev_break(r->loop);
		return;
	}
	ev_timer_start(r->loop, &r->t, 1);
}

START_TEST(test_timer_rearm_self)
{
	struct ev_loop	*loop;
	struct repeat	 r;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&r, 0, sizeof(r));
	r.loop = loop;
	ev_timer_init(&r.t, repeat_cb, &r);
	ev_timer_start(loop, &r.t, 1);

	run_guarded(loop);
	ck_assert_int_eq(r.count, 5);
	ck_assert(!ev_timer_pending(&r.t));

	ev_loop_free(loop);
}
END_TEST

struct spinner {
	struct ev_timer	 t;
	struct ev_io	 io;
	struct ev_loop	*loop;
	int		 ticks;
	int		 ios;
	int		 ahead;		/* most ticks between two io calls */
};

static void
spinner_tick(void *arg)
{
	struct spinner	*sp = arg;

	sp->ticks++;
	if (sp->ticks - sp->ios > sp->ahead)
		sp->ahead = sp->ticks - sp->ios;
	ev_timer_start(sp->loop, &sp->t, 0);
}

static void
spinner_io(int fd, uint32_t events, void *arg)
{
	struct spinner	*sp = arg;

	sp->ios = sp->ticks;
	if (sp->ticks >= 100)
		ev_break(sp->loop);
}

/* A timer re-armed with 0 ms from its callback waits one iteration. */
START_TEST(test_timer_rearm_zero)
{
	struct ev_loop	*loop;
	struct spinner	 sp;
	int		 p[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	make_pipe(p);
	memset(&sp, 0, sizeof(sp));
	sp.loop = loop;
	ev_timer_init(&sp.t, spinner_tick, &sp);
	ev_timer_start(loop, &sp.t, 0);
	/* Always writable: called once in every iteration. */
	ck_assert_int_eq(ev_io_start(loop, &sp.io, p[1], EPOLLOUT,
	    spinner_io, &sp), 0);

	run_guarded(loop);
	ck_assert_int_ge(sp.ticks, 100);
	ck_assert_int_eq(sp.ahead, 1);

	ev_timer_stop(loop, &sp.t);
	ev_io_stop(loop, &sp.io);
	close(p[0]);
	close(p[1]);
	ev_loop_free(loop);
}
END_TEST

struct many {
	struct ev_loop	*loop;
	struct ev_timer	 t[NTIMERS];
	uint64_t	 fired_when[NTIMERS];
	int		 fired[NTIMERS];
	int		 n;
	int		 want;
};

struct many_ref {
	struct many	*m;
	int		 i;
};

static void
many_cb(void *arg)
{
	struct many_ref	*ref = arg;
	struct many	*m = ref->m;

	ck_assert(!m->fired[ref->i]);
	m->fired[ref->i] = 1;
	/* when keeps the deadline the timer was armed with. */
	ck_assert_uint_ge(ev_now(), m->t[ref->i].when);
	m->fired_when[m->n++] = m->t[ref->i].when;
	if (m->n == m->want)
		ev_break(m->loop);
}

START_TEST(test_timer_many_random)
{
	struct many	*m;
	struct many_ref	*refs;
	int		 i;

	ck_assert_ptr_nonnull(m = calloc(1, sizeof(*m)));
	ck_assert_ptr_nonnull(refs = calloc(NTIMERS, sizeof(*refs)));
	ck_assert_ptr_nonnull(m->loop = ev_loop_new());
	srandom(38);
	for (i = 0; i < NTIMERS; i++) {
		refs[i].m = m;
		refs[i].i = i;
		ev_timer_init(&m->t[i], many_cb, &refs[i]);
		ev_timer_start(m->loop, &m->t[i], (uint64_t)(random() % 100));
	}
	/* Removing from the middle of the heap must keep it ordered. */
	for (i = 0; i < NTIMERS; i += 7)
		ev_timer_stop(m->loop, &m->t[i]);
	m->want = NTIMERS - (NTIMERS + 6) / 7;

	run_guarded(m->loop);
	ck_assert_int_eq(m->n, m->want);
	for (i = 1; i < m->n; i++)
		ck_assert_uint_le(m->fired_when[i - 1], m->fired_when[i]);
	for (i = 0; i < NTIMERS; i += 7)
		ck_assert(!m->fired[i]);
	ev_loop_free(m->loop);
	free(refs);
	free(m);
}
END_TEST

/* signals */

struct sigtest {
	struct ev_timer	 t;
	struct ev_loop	*loop;
	int		 raised;
	int		 early;		/* handler ran inside raise() */
	int		 usr1;
	int		 usr2;
};

static void
sig_raise_cb(void *arg)
{
	struct sigtest	*st = arg;

	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(raise(SIGUSR2), 0);
	st->raised = 1;
	/* Blocked: nothing may run in signal context. */
	st->early = st->usr1 || st->usr2;
}

static void
sig_cb(int signo, void *arg)
{
	struct sigtest	*st = arg;

	ck_assert(st->raised);
	if (signo == SIGUSR1)
		st->usr1++;
	else if (signo == SIGUSR2)
		st->usr2++;
	if (st->usr1 && st->usr2)
		ev_break(st->loop);
}

START_TEST(test_signal_from_timer)
{
	struct ev_loop	*loop;
	struct sigtest	 st;
	sigset_t	 cur;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&st, 0, sizeof(st));
	st.loop = loop;
	ck_assert_int_eq(ev_signal(loop, SIGUSR1, sig_cb, &st), 0);
	ck_assert_int_eq(ev_signal(loop, SIGUSR2, sig_cb, &st), 0);
	ck_assert_int_eq(ev_signal(loop, SIGKILL, sig_cb, &st), -1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	ck_assert(sigismember(&cur, SIGUSR1));
	ck_assert(sigismember(&cur, SIGUSR2));
	ev_timer_init(&st.t, sig_raise_cb, &st);
	ev_timer_start(loop, &st.t, 1);

	run_guarded(loop);
	ck_assert(st.raised);
	ck_assert(!st.early);
	ck_assert_int_eq(st.usr1, 1);
	ck_assert_int_eq(st.usr2, 1);
	ev_loop_free(loop);
}
END_TEST

static void
sig_ignore_cb(int signo, void *arg)
{
}

START_TEST(test_signal_unblock_all)
{
	struct ev_loop	*loop;
	sigset_t	 cur;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	ck_assert_int_eq(ev_signal(loop, SIGUSR1, sig_ignore_cb, NULL), 0);
	ck_assert_int_eq(ev_signal(loop, SIGHUP, sig_ignore_cb, NULL), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	ck_assert(!sigisemptyset(&cur));

	ev_signal_unblock_all();
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	ck_assert(sigisemptyset(&cur));
	ev_loop_free(loop);
}
END_TEST

/* ev_break */

struct breaker {
	struct ev_timer	 t;
	struct ev_loop	*loop;
	int		 count;
};

static void
breaker_cb(void *arg)
{
	struct breaker	*b = arg;

	b->count++;
	ev_timer_start(b->loop, &b->t, 1);
	ev_break(b->loop);
}

START_TEST(test_break)
{
	struct ev_loop	*loop;
	struct breaker	 b;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	memset(&b, 0, sizeof(b));
	b.loop = loop;
	ev_timer_init(&b.t, breaker_cb, &b);
	ev_timer_start(loop, &b.t, 1);

	/* The timer keeps re-arming: only ev_break() ends the run. */
	run_guarded(loop);
	ck_assert_int_eq(b.count, 1);
	ck_assert(ev_timer_pending(&b.t));

	/* The break was used up: a second run goes on until the next one. */
	run_guarded(loop);
	ck_assert_int_eq(b.count, 2);
	ev_timer_stop(loop, &b.t);
	ev_loop_free(loop);
}
END_TEST

Suite *
event_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("event");

	tc = tcase_create("io");
	tcase_add_test(tc, test_io_read);
	tcase_add_test(tc, test_io_set_out);
	tcase_add_test(tc, test_io_stop_other_in_batch);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer");
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_stop);
	tcase_add_test(tc, test_timer_rearm_pending);
	tcase_add_test(tc, test_timer_rearm_self);
	tcase_add_test(tc, test_timer_rearm_zero);
	tcase_add_test(tc, test_timer_many_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("signal");
	tcase_add_test(tc, test_signal_from_timer);
	tcase_add_test(tc, test_signal_unblock_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("break");
	tcase_add_test(tc, test_break);
	suite_add_tcase(s, tc);

	return s;
}
