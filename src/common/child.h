/*
 * The child side of the supervisor channel, shared by the elector and the
 * proxies: hello, configuration, listeners, sandbox, ready, live
 * reconfiguration, graceful stop, and exit when the supervisor goes away.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "imsg.h"
#include "metrics.h"

/* The channel to the supervisor is always this descriptor after exec. */
#define CHILD_CHAN_FD		3
/* Exit status of a child that cannot run with its configuration. */
#define CHILD_EXIT_CONFIG	78

struct child;

/*
 * Callbacks of one kind of child.  Each may be NULL.  configure and
 * reconfigure return 0 or -1 with a reason in err.
 */
struct child_ops {
	int	(*configure)(struct child *, const struct config *, char *err,
		    size_t errlen);
	/* A listener: fd is -1 when only its address is announced. */
	void	(*listener)(struct child *, int kind, int fd, const char *addr,
		    uint32_t port);
	void	(*start)(struct child *);
	int	(*reconfigure)(struct child *, const struct config *newcfg,
		    char *err, size_t errlen);
	/* Graceful stop requested; call child_exit() when done. */
	void	(*shutdown)(struct child *);
	/* Every other message from the supervisor. */
	void	(*dispatch)(struct child *, struct imsg *);
	/* The loop has stopped: release what uses it, before it is freed. */
	void	(*cleanup)(struct child *);
	/* Fill in the figures sent every CHILD_STATS_MS once started. */
	void	(*stats)(struct child *, struct metric_set *);
};

#define CHILD_STATS_MS	1000

struct child {
	int			 kind;
	struct ev_loop		*loop;
	struct ichan		*chan;
	struct ev_io		 io;
	struct ev_timer		 stats_timer;
	struct config		 cfg;		/* running configuration */
	uint32_t		 generation;
	int			 configured;
	int			 started;
	int			 verbose;	/* -v: debug whatever the file says */
	int			 exit_code;
	const struct child_ops	*ops;
	void			*arg;		/* the kind's own state */
};

/*
 * Run a child of the given kind until the supervisor tells it to stop or
 * goes away.  Returns the process exit status.
 */
int	child_run(int kind, int foreground, int verbose,
	    const struct child_ops *, void *arg);
/*
 * Write what is queued on c->chan.  The proto_send_*() calls on c->chan
 * do it themselves (the channel's wake).
 */
void	child_flush(struct child *);
/* Leave the event loop; child_run() then returns code. */
void	child_exit(struct child *, int code);

#endif
