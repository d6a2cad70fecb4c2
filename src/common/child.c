/*
 * Child side of the supervisor channel.  The supervisor is trusted: a
 * malformed message from it means the channel is corrupt, which is fatal.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proto.h"
#include "sandbox.h"

void
child_flush(struct child *c)
{
	int	rv;

	rv = ichan_flush(c->chan);
	if (rv == -1) {
		if (errno == EPIPE || errno == ECONNRESET) {
			log_debug("supervisor went away");
			child_exit(c, 0);
			return;
		}
		fatal("channel write");
	}
	ev_io_set(c->loop, &c->io, rv == 1 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* The channel's wake (ichan_set_wake()): whatever is queued goes now. */
static void
child_wake(void *arg)
{
	child_flush(arg);
}

void
child_exit(struct child *c, int code)
{
	c->exit_code = code;
	ev_break(c->loop);
}

static void
child_config(struct child *c, struct imsg *m)
{
	struct msg_config	mc;
	struct config		newcfg;
	char			err[512] = "";
	int			ok;

	if (msg_config_decode(&mc, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	config_init(&newcfg);
	/* The supervisor validated this text; failing here is corruption. */
	if (config_parse_text(&newcfg, mc.text, "supervisor", err,
	    sizeof(err)) == -1 || config_validate(&newcfg, err,
	    sizeof(err)) == -1)
		fatalx("configuration from supervisor: %s", err);

	if (!c->configured) {
		if (c->ops->configure != NULL &&
		    c->ops->configure(c, &newcfg, err, sizeof(err)) == -1) {
			log_warnx("configuration refused: %s", err);
			config_clear(&newcfg);
			msg_config_clear(&mc);
			child_exit(c, CHILD_EXIT_CONFIG);
			return;
		}
		ok = 1;
	} else
		ok = c->ops->reconfigure == NULL ||
		    c->ops->reconfigure(c, &newcfg, err, sizeof(err)) == 0;

	if (ok) {
		config_clear(&c->cfg);
		c->cfg = newcfg;
		c->generation = mc.generation;
		log_setlevel(c->verbose ? LOG_LEVEL_DEBUG : c->cfg.log_level);
		if (c->configured)
			log_debug("configuration generation %u applied",
			    c->generation);
	} else {
		log_warnx("configuration generation %u refused: %s",
		    mc.generation, err);
		config_clear(&newcfg);
	}
	if (c->configured)
		proto_send_config_ack(c->chan, mc.generation, ok, ok ? "" : err);
	c->configured = 1;
	msg_config_clear(&mc);
}

static void
child_listener(struct child *c, struct imsg *m)
{
	struct msg_listener	ml;

	if (msg_listener_decode(&ml, m->data, m->datalen) == -1 ||
	    m->hdr.peerid >= PROC_MAX)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	if (c->ops->listener != NULL) {
		c->ops->listener(c, (int)m->hdr.peerid, m->fd, ml.addr,
		    ml.port);
		m->fd = -1;	/* the callback owns it now */
	}
	msg_listener_clear(&ml);
}

static void
child_stats(void *arg)
{
	struct child		*c = arg;
	struct metric_set	*set;

	if ((set = malloc(sizeof(*set))) == NULL)
		fatal("stats");
	metric_set_init(set);
	c->ops->stats(c, set);
	proto_send_stats(c->chan, 0, set);
	free(set);
	ev_timer_start(c->loop, &c->stats_timer, CHILD_STATS_MS);
}

/* Until the next configuration: tile38-clusterctl log verbose|brief. */
static void
child_log_level(struct child *c, struct imsg *m)
{
	struct msg_log_level	ml;

	if (msg_log_level_decode(&ml, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	log_setlevel((int)ml.level);
	(void)c;
}

static void
child_start(struct child *c)
{
	const char	*root;
	char		 dir[PATH_MAX];

	if (!c->configured)
		fatalx("start before configuration");
	/*
	 * Proxies and the admin need no files once they hold their sockets
	 * and TLS material, so they are chrooted; the elector keeps the file
	 * system because libcurl needs the resolver's files and a reload
	 * reads Consul's certificates again.  What each kind may still call
	 * is in its allowlist in sandbox.c.
	 */
	root = sandbox_root(&c->cfg, c->kind, dir, sizeof(dir));
	if (sandbox_enter(c->kind, c->cfg.user, root, c->cfg.seccomp) == -1) {
		child_exit(c, CHILD_EXIT_CONFIG);
		return;
	}
	c->started = 1;
	if (c->ops->start != NULL)
		c->ops->start(c);
	proto_send_empty(c->chan, MSG_READY);
	if (c->ops->stats != NULL)
		ev_timer_start(c->loop, &c->stats_timer, 0);
}

static int
child_dispatch(struct imsg *m, void *arg)
{
	struct child	*c = arg;

	if (m->datalen > 0 && (m->hdr.type == MSG_START ||
	    m->hdr.type == MSG_SHUTDOWN))
		fatalx("malformed %s message", msg_name(m->hdr.type));

	switch (m->hdr.type) {
	case MSG_CONFIG:
		child_config(c, m);
		break;
	case MSG_LISTENER:
		child_listener(c, m);
		break;
	case MSG_START:
		child_start(c);
		break;
	case MSG_LOG_LEVEL:
		child_log_level(c, m);
		break;
	case MSG_SHUTDOWN:
		log_debug("shutdown requested");
		if (c->ops->shutdown != NULL)
			c->ops->shutdown(c);
		else
			child_exit(c, 0);
		break;
	default:
		if (c->ops->dispatch == NULL)
			fatalx("unexpected %s message", msg_name(m->hdr.type));
		c->ops->dispatch(c, m);
		break;
	}
	return 0;
}

static void
child_chan_cb(int fd, uint32_t events, void *arg)
{
	struct child	*c = arg;

	if (events & EPOLLOUT)
		child_flush(c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	switch (ichan_dispatch(c->chan, child_dispatch, c)) {
	case 0:
		/* The supervisor is gone: nobody would restart or use us. */
		log_debug("supervisor went away");
		child_exit(c, 0);
		break;
	case -1:
		if (errno == EBADMSG)
			fatalx("corrupt channel from supervisor");
		fatal("channel read");
	}
}

int
child_run(int kind, int foreground, int verbose, const struct child_ops *ops,
    void *arg)
{
	struct child	c;
	char		comm[16];

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.ops = ops;
	c.arg = arg;
	c.verbose = verbose;
	config_init(&c.cfg);
	ev_timer_init(&c.stats_timer, child_stats, &c);

	log_init(foreground, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	log_procname(proc_name(kind));
	setproctitle("%s", proc_name(kind));
	snprintf(comm, sizeof(comm), "t38cm-%s", proc_name(kind));
	prctl(PR_SET_NAME, comm, 0, 0, 0);

	/*
	 * Ctrl-C and SIGHUP reach the whole process group; the supervisor
	 * alone decides what they mean.  A SIGTERM sent to a child stops it
	 * like a crash would.  Writes to a dead peer must not kill us.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	if ((c.loop = ev_loop_new()) == NULL)
		fatal("event loop");
	if ((c.chan = ichan_new(CHILD_CHAN_FD)) == NULL)
		fatal("channel");
	ichan_set_wake(c.chan, child_wake, &c);
	if (ev_io_start(c.loop, &c.io, CHILD_CHAN_FD, EPOLLIN, child_chan_cb,
	    &c) == -1)
		fatal("channel watch");
	if (proto_send_hello(c.chan, kind) == -1)
		fatal("hello");

	if (ev_run(c.loop) == -1)
		fatal("event loop");
	ev_timer_stop(c.loop, &c.stats_timer);
	if (ops->cleanup != NULL)
		ops->cleanup(&c);

	ev_io_stop(c.loop, &c.io);
	ichan_free(c.chan);
	ev_loop_free(c.loop);
	config_clear(&c.cfg);
	return c.exit_code;
}
