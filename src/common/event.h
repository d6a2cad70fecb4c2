/*
 * One event loop per process: epoll for file descriptors, a binary heap of
 * timers on CLOCK_MONOTONIC, and signals delivered through a signalfd so
 * that nothing runs in signal context.  Watchers are embedded in the
 * caller's structures; the loop allocates nothing per watcher.
 */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;

typedef void	(*ev_io_cb)(int fd, uint32_t events, void *arg);
typedef void	(*ev_timer_cb)(void *arg);
typedef void	(*ev_signal_cb)(int signo, void *arg);

struct ev_io {
	int		 fd;		/* -1 while stopped */
	uint32_t	 events;	/* EPOLLIN, EPOLLOUT, ... */
	ev_io_cb	 cb;
	void		*arg;
};

struct ev_timer {
	uint64_t	 when;		/* ev_now() deadline, ms */
	size_t		 slot;		/* heap index + 1; 0 while stopped */
	ev_timer_cb	 cb;
	void		*arg;
};

struct ev_loop	*ev_loop_new(void);
void		 ev_loop_free(struct ev_loop *);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t	 ev_now(void);

/*
 * Watch fd for events (EPOLLIN/EPOLLOUT; EPOLLERR and EPOLLHUP are always
 * reported).  An io may be stopped, or its memory freed after stopping it,
 * from inside any callback: events already collected for it are dropped.
 */
int		 ev_io_start(struct ev_loop *, struct ev_io *, int fd,
		    uint32_t events, ev_io_cb, void *arg);
int		 ev_io_set(struct ev_loop *, struct ev_io *, uint32_t events);
void		 ev_io_stop(struct ev_loop *, struct ev_io *);

void		 ev_timer_init(struct ev_timer *, ev_timer_cb, void *arg);
/* (Re)arm to fire once, after_ms from now. */
void		 ev_timer_start(struct ev_loop *, struct ev_timer *,
		    uint64_t after_ms);
void		 ev_timer_stop(struct ev_loop *, struct ev_timer *);
int		 ev_timer_pending(const struct ev_timer *);

/*
 * Deliver signo through the loop.  Blocks the signal in the process mask;
 * ev_signal_unblock_all() undoes that in a freshly forked child before exec.
 */
int		 ev_signal(struct ev_loop *, int signo, ev_signal_cb, void *arg);
void		 ev_signal_unblock_all(void);

/* Run until ev_break(); 0, or -1 on an epoll failure. */
/*
 * 1 when accept() failed for the connection it took, not for the
 * listener (accept(2): pending network errors come back as its own), so
 * the next may do; 0 when the listener itself is short (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM, ...) and must be let be for a while.
 */
int		 ev_accept_lost(int error);
int		 ev_run(struct ev_loop *);
void		 ev_break(struct ev_loop *);

#endif
