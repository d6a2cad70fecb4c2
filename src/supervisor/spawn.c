/*
 * Starting children, the supervisor's side of their handshake, and what
 * happens when one dies.  What it does with their messages is
 * dispatch.c.  A child is re-executed from our own binary with
 * -P <kind>, so it starts with a clean address space and shares nothing
 * with the supervisor but its channel on descriptor 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "sd_notify.h"
#include "supervisor.h"


int
sv_child_running(const struct sv_child *ch)
{
	return ch->pid > 0;
}

void
sv_child_flush(struct sv_child *ch)
{
	char	why[80];
	int	rv;

	if (ch->chan == NULL)
		return;
	if ((rv = ichan_flush(ch->chan)) == -1) {
		/* It died; SIGCHLD tells the rest. */
		log_debug("%s: channel write: %s", proc_name(ch->kind),
		    strerror(errno));
		sv_child_close(ch);
		return;
	}
	/*
	 * Whatever queues for a child is flushed here, so its queue never
	 * grows far past the cap.  A restarted child is handed the latest
	 * state, so dropping what was queued loses nothing.
	 */
	if (rv == 1 && ichan_queued(ch->chan) > SV_CHILD_QUEUE_MAX) {
		snprintf(why, sizeof(why), "not reading its channel (%zu bytes"
		    " queued)", ichan_queued(ch->chan));
		sv_child_kill(ch, why);
		return;
	}
	ev_io_set(ch->sv->loop, &ch->io, rv == 1 ? EPOLLIN | EPOLLOUT :
	    EPOLLIN);
}

/* The channel's wake (ichan_set_wake()): whatever is queued goes now. */
static void
sv_child_wake(void *arg)
{
	sv_child_flush(arg);
}

int
sv_child_send(struct sv_child *ch, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	/* A child that is exiting may have closed its channel already. */
	if (ch->chan == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (ichan_compose(ch->chan, type, peerid, fd, data, len) == -1) {
		log_warn("%s: %s message", proc_name(ch->kind),
		    msg_name(type));
		return -1;
	}
	return 0;
}

/*
 * The elector's Consul client reads certificates and a key that may be
 * readable by root alone, while the elector runs as the daemon's user:
 * the supervisor opens them and hands over the descriptors, before each
 * configuration, which reads them.
 */
static void
sv_send_consul_files(struct sv_child *ch)
{
	const struct config	*cfg = &ch->sv->cfg;
	const char		*path[CONSUL_FILE_MAX] = { cfg->consul_cacert,
	    cfg->consul_client_cert, cfg->consul_client_key };
	struct msg_consul_file	 m;
	int			 k, fd;

	for (k = 0; k < CONSUL_FILE_MAX; k++) {
		if (path[k] == NULL || path[k][0] == '\0')
			continue;
		m.path = (char *)path[k];
		m.error = "";
		if ((fd = open(path[k], O_RDONLY | O_CLOEXEC)) == -1)
			m.error = strerror(errno);
		proto_send_consul_file(ch->chan, k, fd, &m);
	}
}

void
sv_child_send_config(struct sv_child *ch)
{
	struct supervisor	*sv = ch->sv;
	char			*text;
	int			 rv;

	if (ch->chan == NULL)
		return;
	if (ch->kind == PROC_ELECTOR)
		sv_send_consul_files(ch);
	if (ch->chan == NULL)
		return;
	/* Only what it uses: the elector alone gets the Consul token. */
	if ((text = config_serialize_for(&sv->cfg, ch->kind)) == NULL)
		fatal("configuration");
	ch->configured = 1;
	rv = proto_send_config(ch->chan, sv->generation, text);
	config_text_free(text);
	/* config_validate() holds every configuration to one message. */
	if (rv == -1 && errno == EMSGSIZE)
		fatalx("configuration does not fit in one message");
}

/*
 * A proxy gets its own listening socket; the elector gets every
 * listener's address (it registers them and points FOLLOW at the bridge).
 * which[kind] selects the listeners to send; NULL means all.
 */
void
sv_child_send_listeners(struct sv_child *ch, const int *which)
{
	struct supervisor	*sv = ch->sv;
	struct listener		*l;
	int			 k, fd;

	/*
	 * A child that died right after its hello: sending it the
	 * configuration found its channel broken and closed it.
	 */
	if (ch->chan == NULL)
		return;
	for (k = PROC_WRITER; k < PROC_MAX && ch->chan != NULL; k++) {
		if (which != NULL && !which[k])
			continue;
		/* a proxy its own; the elector the proxies'; the admin all */
		if ((PROC_IS_PROXY(ch->kind) && k != ch->kind) ||
		    (ch->kind == PROC_ELECTOR && k == PROC_ADMIN))
			continue;
		l = &sv->listeners[k];
		fd = -1;
		if (ch->kind == k && l->fd != -1 && (fd = dup(l->fd)) == -1) {
			log_warn("%s: dup listener", proc_name(ch->kind));
			sv_child_kill(ch, "cannot hand over its listener");
			return;
		}
		if (proto_send_listener(ch->chan, k, fd, l->addr,
		    l->bound_port) == -1) {
			sv_child_kill(ch, "listener message failed");
			return;
		}
	}
	/* The control socket never moves: it goes with the first hand-over. */
	if (ch->kind == PROC_ADMIN && which == NULL && sv->ctl_fd != -1 &&
	    ch->chan != NULL) {
		if ((fd = dup(sv->ctl_fd)) == -1 || proto_send_listener(
		    ch->chan, LISTENER_CONTROL, fd, sv->ctl_path,
		    0) == -1) {
			sv_child_kill(ch, "cannot hand over the control socket");
			return;
		}
	}
}

static void
sv_child_ready_timeout(void *arg)
{
	struct sv_child	*ch = arg;

	sv_child_kill(ch, "not ready in time");
}

static void
sv_child_restart_cb(void *arg)
{
	struct sv_child	*ch = arg;

	if (ch->sv->stopping || sv_child_running(ch))
		return;
	if (sv_child_spawn(ch) == -1) {
		log_warnx("%s: restart failed; trying again",
		    proc_name(ch->kind));
		ev_timer_init(&ch->timer, sv_child_restart_cb, ch);
		ev_timer_start(ch->sv->loop, &ch->timer,
		    backoff_next(&ch->backoff, 0));
	}
}

int
sv_child_spawn(struct sv_child *ch)
{
	struct supervisor	*sv = ch->sv;
	char			*argv[8];
	int			 sp[2], argc = 0;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", proc_name(ch->kind));
		return -1;
	}
	argv[argc++] = "tile38-cluster-manager";
	argv[argc++] = "-P";
	argv[argc++] = (char *)proc_name(ch->kind);
	if (sv->cli->foreground)
		argv[argc++] = "-d";
	if (sv->cli->verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;

	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", proc_name(ch->kind));
		close(sp[0]);
		close(sp[1]);
		return -1;
	case 0:
		/* The child inherits our blocked signals across exec. */
		ev_signal_unblock_all();
		if (sp[1] == CHILD_CHAN_FD) {
			if (fcntl(sp[1], F_SETFD, 0) == -1)
				_exit(127);
		} else if (dup2(sp[1], CHILD_CHAN_FD) == -1)
			_exit(127);
		execve(sv->self, argv, sv->child_env);
		dprintf(STDERR_FILENO, "%s: exec %s: %s\n",
		    proc_name(ch->kind), sv->self, strerror(errno));
		_exit(CHILD_EXIT_CONFIG);
	}

	close(sp[1]);
	return sv_child_attach(ch, sp[0], pid);
}

int
sv_child_attach(struct sv_child *ch, int fd, pid_t pid)
{
	struct supervisor	*sv = ch->sv;

	if ((ch->chan = ichan_new(fd)) == NULL) {
		/* ichan_new() closed fd; the child sees EOF and exits. */
		log_warn("%s: channel", proc_name(ch->kind));
		kill(pid, SIGKILL);
		ch->pid = pid;	/* reaped by SIGCHLD as usual */
		return 0;
	}
	ichan_set_wake(ch->chan, sv_child_wake, ch);
	ch->pid = pid;
	ch->state = CHILD_STARTING;
	ch->configured = 0;
	if (ev_io_start(sv->loop, &ch->io, fd, EPOLLIN, sv_child_chan_cb,
	    ch) == -1)
		fatal("channel watch");
	ev_timer_init(&ch->timer, sv_child_ready_timeout, ch);
	ev_timer_start(sv->loop, &ch->timer, CHILD_READY_TIMEOUT_MS);
	log_debug("%s started (pid %d)", proc_name(ch->kind), (int)pid);
	return 0;
}

void
sv_child_kill(struct sv_child *ch, const char *why)
{
	if (!sv_child_running(ch))
		return;
	log_warnx("%s (pid %d): %s; killing it", proc_name(ch->kind),
	    (int)ch->pid, why);
	/* Whatever it granted ends now, not when SIGCHLD comes round. */
	if (ch->kind == PROC_ELECTOR)
		sv_lease_revoke(ch->sv);
	kill(ch->pid, SIGKILL);
	sv_child_close(ch);
}

void
sv_child_close(struct sv_child *ch)
{
	sv_heartbeat_stop(ch);
	if (ch->chan == NULL)
		return;
	ev_io_stop(ch->sv->loop, &ch->io);
	ichan_free(ch->chan);
	ch->chan = NULL;
}

void
sv_child_hello(struct sv_child *ch, struct imsg *m)
{
	struct msg_hello	h;

	if (msg_hello_decode(&h, m->data, m->datalen) == -1) {
		sv_child_kill(ch, "malformed hello");
		return;
	}
	if (h.version != PROTO_VERSION || h.kind != (uint32_t)ch->kind) {
		/* Most likely the binary on disk was replaced by another version. */
		log_warnx("%s speaks protocol %u as kind %u, we speak %u as %d;"
		    " restart the daemon", proc_name(ch->kind), h.version,
		    h.kind, PROTO_VERSION, ch->kind);
		sv_child_kill(ch, "protocol mismatch");
		sv_stop(ch->sv, 1);
		return;
	}
	sv_child_send_config(ch);
	sv_child_send_listeners(ch, NULL);
	sv_state_replay(ch);
	proto_send_empty(ch->chan, MSG_START);
}

void
sv_child_all_ready(struct supervisor *sv)
{
	int	k;

	if (sv->all_ready_once)
		return;
	for (k = PROC_ELECTOR; k < PROC_MAX; k++)
		if (sv->children[k].state != CHILD_READY)
			return;
	sv->all_ready_once = 1;
	log_info("running: elector, writer, reader, bridge and admin ready");
	if (sd_notify_send("READY=1") == -1)
		log_warn("sd_notify");
}

void
sv_child_reaped(struct sv_child *ch, int status)
{
	struct supervisor	*sv = ch->sv;
	uint64_t		 ready_for, delay;
	char			 how[192];
	int			 was_ready = ch->state == CHILD_READY;

	ready_for = was_ready ? ev_now() - ch->ready_at : 0;
	sv_child_close(ch);
	ev_timer_stop(sv->loop, &ch->timer);
	ch->pid = 0;
	ch->state = CHILD_DOWN;
	ch->configured = 0;
	if (ch->kind == PROC_ELECTOR)
		sv_lease_revoke(sv);

	/* SIGSYS is how the seccomp filter kills (sandbox.c). */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(how, sizeof(how), "killed by signal %d (SIGSYS): it "
		    "made a system call outside its sandbox (the kernel's "
		    "audit log names it: type=1326, syscall=)", SIGSYS);
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));

	if (sv->stopping) {
		log_debug("%s %s", proc_name(ch->kind), how);
		return;
	}
	ch->restarts++;
	if (sv_exit_action(was_ready, status) == SV_EXIT_STOP) {
		/*
		 * Starting it again would fail the same way: no respawn loop
		 * here, and none by an init system that is told by our exit
		 * status (the unit's RestartPreventExitStatus).
		 */
		log_warnx("%s %s: it cannot run with this configuration;"
		    " stopping", proc_name(ch->kind), how);
		sv_stop(sv, CHILD_EXIT_CONFIG);
		return;
	}
	delay = backoff_next(&ch->backoff, ready_for);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_CONFIG)
		log_warnx("%s %s after it was ready: a crash, not a refused"
		    " configuration; restarting it in %llu ms",
		    proc_name(ch->kind), how, (unsigned long long)delay);
	else
		log_warnx("%s %s; restarting it in %llu ms",
		    proc_name(ch->kind), how, (unsigned long long)delay);
	ev_timer_init(&ch->timer, sv_child_restart_cb, ch);
	ev_timer_start(sv->loop, &ch->timer, delay);
}
