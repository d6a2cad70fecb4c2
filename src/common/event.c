/*
 * The event loop: one epoll instance, a binary min-heap of timers and one
 * signalfd for every signal the process asked for.
 *
 * Watchers live in the callers' structures.  epoll hands back the struct
 * ev_io itself (data.ptr), so a callback that stops and frees another io
 * would leave a dangling pointer in the batch being dispatched; ev_io_stop()
 * therefore clears the batch entries that still point to it.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

/* Events taken from the kernel per epoll_wait(). */
#define EV_BATCH	64
/* signalfd records read per read(). */
#define EV_SIGBATCH	16

struct ev_sighandler {
	ev_signal_cb	 cb;
	void		*arg;
};

struct ev_loop {
	int			 epfd;
	int			 brk;

	/* the batch being dispatched; entries after cur may be cleared */
	struct epoll_event	 events[EV_BATCH];
	int			 nevents;
	int			 cur;

	/* min-heap on when; heap[i]->slot == i + 1 */
	struct ev_timer		**heap;
	size_t			 nheap;
	size_t			 heapcap;
	/* set while expired timers run: ev_now() of that pass */
	int			 in_timers;
	uint64_t		 timers_now;

	int			 sigfd;
	sigset_t		 sigmask;
	struct ev_io		 sigio;
	struct ev_sighandler	 sighandlers[_NSIG];
};

static void	heap_swap(struct ev_loop *, size_t, size_t);
static void	heap_up(struct ev_loop *, size_t);
static void	heap_down(struct ev_loop *, size_t);
static int	heap_timeout(struct ev_loop *);
static void	ev_io_dispatch(struct ev_loop *);
static void	ev_timer_dispatch(struct ev_loop *);
static void	ev_signal_read(int, uint32_t, void *);

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop	*loop;

	if ((loop = calloc(1, sizeof(*loop))) == NULL)
		return NULL;
	loop->sigfd = -1;
	loop->sigio.fd = -1;
	sigemptyset(&loop->sigmask);
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(loop);
		return NULL;
	}
	return loop;
}

void
ev_loop_free(struct ev_loop *loop)
{
	int	saved = errno;

	if (loop == NULL)
		return;
	close(loop->epfd);
	if (loop->sigfd != -1)
		close(loop->sigfd);
	free(loop->heap);
	free(loop);
	errno = saved;
}

uint64_t
ev_now(void)
{
	struct timespec	ts;

	/* Cannot fail for CLOCK_MONOTONIC with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ev_io_start(struct ev_loop *loop, struct ev_io *io, int fd, uint32_t events,
    ev_io_cb cb, void *arg)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		io->fd = -1;
		return -1;
	}
	io->fd = fd;
	return 0;
}

int
ev_io_set(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event	ev;

	if (io->fd == -1) {
		errno = EBADF;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1)
		return -1;
	io->events = events;
	return 0;
}

void
ev_io_stop(struct ev_loop *loop, struct ev_io *io)
{
	int	i, saved = errno;

	if (io->fd == -1)
		return;
	/*
	 * Failure means the fd was already closed (and so left the epoll
	 * set) or never added; either way nothing is watched any more.
	 */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
	for (i = loop->cur + 1; i < loop->nevents; i++)
		if (loop->events[i].data.ptr == io)
			loop->events[i].data.ptr = NULL;
	errno = saved;
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg)
{
	t->when = 0;
	t->slot = 0;
	t->cb = cb;
	t->arg = arg;
}

static void
heap_swap(struct ev_loop *loop, size_t a, size_t b)
{
	struct ev_timer	*t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->slot = a + 1;
	loop->heap[b]->slot = b + 1;
}

static void
heap_up(struct ev_loop *loop, size_t i)
{
	size_t	parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (loop->heap[parent]->when <= loop->heap[i]->when)
			break;
		heap_swap(loop, parent, i);
		i = parent;
	}
}

static void
heap_down(struct ev_loop *loop, size_t i)
{
	size_t	l, r, min;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		min = i;
		if (l < loop->nheap &&
		    loop->heap[l]->when < loop->heap[min]->when)
			min = l;
		if (r < loop->nheap &&
		    loop->heap[r]->when < loop->heap[min]->when)
			min = r;
		if (min == i)
			break;
		heap_swap(loop, i, min);
		i = min;
	}
}

void
ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ms)
{
	struct ev_timer	**h;
	size_t		  cap, i;
	uint64_t	  old;

	old = t->when;
	t->when = ev_now() + after_ms;
	/*
	 * A timer armed by a timer callback waits for the next iteration:
	 * otherwise one that re-arms itself with 0 ms would run again in the
	 * same pass, for as long as the millisecond lasts, and starve io.
	 */
	if (loop->in_timers && t->when <= loop->timers_now)
		t->when = loop->timers_now + 1;

	if (t->slot != 0) {
		i = t->slot - 1;
		if (t->when < old)
			heap_up(loop, i);
		else
			heap_down(loop, i);
		return;
	}

	if (loop->nheap == loop->heapcap) {
		cap = loop->heapcap == 0 ? 16 : loop->heapcap * 2;
		/*
		 * No way to report this to the caller, and a timer that never
		 * fires would hang whatever waits on it.
		 */
		if ((h = reallocarray(loop->heap, cap, sizeof(*h))) == NULL)
			fatal("timer heap");
		loop->heap = h;
		loop->heapcap = cap;
	}
	i = loop->nheap++;
	loop->heap[i] = t;
	t->slot = i + 1;
	heap_up(loop, i);
}

void
ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
{
	size_t	i, last;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	last = --loop->nheap;
	t->slot = 0;
	if (i == last)
		return;
	/* The last timer fills the hole and moves whichever way it must. */
	loop->heap[i] = loop->heap[last];
	loop->heap[i]->slot = i + 1;
	if (i > 0 && loop->heap[i]->when < loop->heap[(i - 1) / 2]->when)
		heap_up(loop, i);
	else
		heap_down(loop, i);
}

int
ev_timer_pending(const struct ev_timer *t)
{
	return t->slot != 0;
}

int
ev_signal(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg)
{
	sigset_t	one, old, mask;
	int		fd, saved;

	if (signo <= 0 || signo >= _NSIG || signo == SIGKILL ||
	    signo == SIGSTOP) {
		errno = EINVAL;
		return -1;
	}
	mask = loop->sigmask;
	sigemptyset(&one);
	if (sigaddset(&one, signo) == -1 || sigaddset(&mask, signo) == -1)
		return -1;
	/*
	 * Block before the signalfd learns about the signal, so that one
	 * arriving in between is queued rather than acted on by default.
	 */
	if (sigprocmask(SIG_BLOCK, &one, &old) == -1)
		return -1;
	if ((fd = signalfd(loop->sigfd, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1)
		goto fail;
	if (loop->sigfd == -1) {
		loop->sigfd = fd;
		if (ev_io_start(loop, &loop->sigio, fd, EPOLLIN,
		    ev_signal_read, loop) == -1) {
			close(fd);
			loop->sigfd = -1;
			goto fail;
		}
	}
	loop->sigmask = mask;
	loop->sighandlers[signo].cb = cb;
	loop->sighandlers[signo].arg = arg;
	return 0;

 fail:
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return -1;
}

void
ev_signal_unblock_all(void)
{
	sigset_t	none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Drain the signalfd: several signals may be queued behind one wake-up. */
static void
ev_signal_read(int fd, uint32_t events, void *arg)
{
	struct ev_loop		*loop = arg;
	struct signalfd_siginfo	 si[EV_SIGBATCH];
	struct ev_sighandler	*h;
	ssize_t			 n;
	size_t			 i;

	for (;;) {
		n = read(fd, si, sizeof(si));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno != EAGAIN)
				log_warn("signalfd read");
			return;
		}
		if (n == 0 || (size_t)n % sizeof(si[0]) != 0) {
			log_warnx("signalfd: short read of %zd bytes", n);
			return;
		}
		for (i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			if (si[i].ssi_signo >= _NSIG)
				continue;
			h = &loop->sighandlers[si[i].ssi_signo];
			if (h->cb != NULL)
				h->cb((int)si[i].ssi_signo, h->arg);
		}
	}
}

/* epoll_wait() timeout: until the earliest timer, or forever. */
static int
heap_timeout(struct ev_loop *loop)
{
	uint64_t	now, when;

	if (loop->nheap == 0)
		return -1;
	when = loop->heap[0]->when;
	now = ev_now();
	if (when <= now)
		return 0;
	if (when - now > INT_MAX)
		return INT_MAX;
	return (int)(when - now);
}

static void
ev_io_dispatch(struct ev_loop *loop)
{
	struct ev_io	*io;

	for (loop->cur = 0; loop->cur < loop->nevents; loop->cur++) {
		io = loop->events[loop->cur].data.ptr;
		/* NULL: stopped by an earlier callback of this batch */
		if (io == NULL)
			continue;
		io->cb(io->fd, loop->events[loop->cur].events, io->arg);
	}
	loop->nevents = 0;
	loop->cur = 0;
}

static void
ev_timer_dispatch(struct ev_loop *loop)
{
	struct ev_timer	*t;

	loop->in_timers = 1;
	loop->timers_now = ev_now();
	/*
	 * Take the earliest timer afresh each time: a callback may have
	 * stopped, re-armed or freed any other timer.
	 */
	while (loop->nheap > 0 && loop->heap[0]->when <= loop->timers_now) {
		t = loop->heap[0];
		ev_timer_stop(loop, t);
		if (t->cb != NULL)
			t->cb(t->arg);
	}
	loop->in_timers = 0;
}

int
ev_run(struct ev_loop *loop)
{
	int	n;

	while (!loop->brk) {
		n = epoll_wait(loop->epfd, loop->events, EV_BATCH,
		    heap_timeout(loop));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		loop->nevents = n;
		ev_io_dispatch(loop);
		ev_timer_dispatch(loop);
	}
	/* A later ev_run() starts afresh. */
	loop->brk = 0;
	return 0;
}

void
ev_break(struct ev_loop *loop)
{
	loop->brk = 1;
}

int
ev_accept_lost(int error)
{
	switch (error) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENOPROTOOPT:
	case ENETDOWN:
	case ENETUNREACH:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENONET:
	case EOPNOTSUPP:
		return 1;
	}
	return 0;
}
