/*
 * The supervisor process: listeners, children, signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "sandbox.h"
#include "sd_notify.h"
#include "supervisor.h"

static void
sv_stop_timeout(void *arg)
{
	struct supervisor	*sv = arg;
	int			 k;

	for (k = PROC_ELECTOR; k < PROC_MAX; k++)
		if (sv_child_running(&sv->children[k]))
			sv_child_kill(&sv->children[k],
			    "still running at the end of the shutdown timeout");
}

static int
sv_children_running(const struct supervisor *sv)
{
	int	k, n = 0;

	for (k = PROC_ELECTOR; k < PROC_MAX; k++)
		n += sv_child_running(&sv->children[k]);
	return n;
}

/* Every child but the elector: they serve on while it hands over. */
static void
sv_stop_rest(struct supervisor *sv)
{
	int	k;

	if (sv->rest_stopping)
		return;
	sv->rest_stopping = 1;
	for (k = PROC_ELECTOR + 1; k < PROC_MAX; k++)
		if (sv_child_running(&sv->children[k]))
			proto_send_empty(sv->children[k].chan, MSG_SHUTDOWN);
}

/*
 * A graceful stop begins with the elector alone: a leader hands over
 * while its writer still carries the followers' streams (and holds new
 * clients), and the others stop once the elector has exited.
 */
void
sv_stop(struct supervisor *sv, int code)
{
	struct sv_child	*el = &sv->children[PROC_ELECTOR];
	int		 k;

	if (sv->stopping)
		return;
	sv->stopping = 1;
	sv->rest_stopping = 0;
	sv->exit_code = code;
	sd_notify_send("STOPPING=1");
	for (k = PROC_ELECTOR; k < PROC_MAX; k++)
		ev_timer_stop(sv->loop, &sv->children[k].timer);
	if (sv_child_running(el))
		proto_send_empty(el->chan, MSG_SHUTDOWN);
	else
		sv_stop_rest(sv);
	if (sv_children_running(sv) == 0) {
		ev_break(sv->loop);
		return;
	}
	ev_timer_init(&sv->stop_timer, sv_stop_timeout, sv);
	ev_timer_start(sv->loop, &sv->stop_timer, sv->cfg.shutdown_timeout);
}

void
sv_stop_refused(struct supervisor *sv)
{
	if (!sv->stopping || sv->rest_stopping)
		return;
	log_warnx("graceful stop called off: no follower has every write "
	    "and election.handover.lagging is keep; this node leads on");
	sv->stopping = 0;
	sv->exit_code = 0;
	ev_timer_stop(sv->loop, &sv->stop_timer);
	sd_notify_send("READY=1\nSTATUS=graceful stop refused: no follower "
	    "caught up");
}

/* A second SIGTERM/SIGINT: kill everything, wait for it, leave. */
static void
sv_stop_now(struct supervisor *sv)
{
	int	k, status;

	log_warnx("second signal: exiting at once");
	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		struct sv_child	*ch = &sv->children[k];

		if (!sv_child_running(ch))
			continue;
		kill(ch->pid, SIGKILL);
		while (waitpid(ch->pid, &status, 0) == -1 && errno == EINTR)
			;
		sv_child_reaped(ch, status);
	}
	sv->exit_code = 1;
	ev_break(sv->loop);
}

static void
sv_signal(int signo, void *arg)
{
	struct supervisor	*sv = arg;
	struct sv_child		*ch;
	pid_t			 pid;
	int			 status, k;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		if (sv->stopping) {
			sv_stop_now(sv);
			break;
		}
		log_info("%s: stopping", strsignal(signo));
		sv_stop(sv, 0);
		break;
	case SIGHUP:
		if (!sv->stopping) {
			char	msg[1024];

			struct timespec	ts;

			log_info("SIGHUP");
			clock_gettime(CLOCK_MONOTONIC, &ts);
			sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
			    (unsigned long long)ts.tv_sec * 1000000ULL +
			    (unsigned long long)ts.tv_nsec / 1000);
			sv_reload(sv, msg, sizeof(msg));
			sd_notifyf("READY=1\nSTATUS=%s", msg);
		}
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
				ch = &sv->children[k];
				if (ch->pid == pid) {
					sv_child_reaped(ch, status);
					break;
				}
			}
		}
		if (sv->stopping &&
		    !sv_child_running(&sv->children[PROC_ELECTOR]))
			sv_stop_rest(sv);
		if (sv->stopping && sv_children_running(sv) == 0) {
			log_info("all children stopped");
			ev_break(sv->loop);
		}
		break;
	}
}

void
sv_apply_loglevel(struct supervisor *sv)
{
	log_setlevel(sv->cli->verbose ? LOG_LEVEL_DEBUG : sv->cfg.log_level);
}

static void
sv_free(struct supervisor *sv)
{
	int	k;

	for (k = PROC_WRITER; k < PROC_MAX; k++)
		listener_close(&sv->listeners[k]);
	control_close(sv);
	ev_timer_stop(sv->loop, &sv->stats_timer);
	ev_loop_free(sv->loop);
	sv_state_free(sv);
	free(sv->child_env);
	config_clear(&sv->cfg);
}

/*
 * Descriptors: the soft limit goes up to the hard one, as the children
 * inherit it.  A Debian login's soft limit of 1024 would hold some 500
 * relayed connections where proxy.max_connections says 10000; the hard
 * limit is what the operator (or LimitNOFILE) allows.
 */
static void
sv_raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		was;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE");
	else
		log_info("descriptor limit raised from %llu to the hard limit, "
		    "%llu", (unsigned long long)was,
		    (unsigned long long)rl.rlim_cur);
}


/*
 * The environment children are started with: only what changes how they
 * run, never the variables that set options (CONSUL_HTTP_TOKEN,
 * SERVER_PASSWORD, ...): each child gets the options it uses from us.
 */
static const char *const sv_env_keep[] = {
	"TZ",
	"JOURNAL_STREAM",	/* log.c: no time stamps under the journal */
	"SSL_CERT_FILE",	/* OpenSSL's default roots, for consul.ssl */
	"SSL_CERT_DIR",
	"ASAN_OPTIONS",		/* the sanitizer builds' settings */
	"UBSAN_OPTIONS",
	"LSAN_OPTIONS",
};
#define SV_ENV_KEEP	(sizeof(sv_env_keep) / sizeof(sv_env_keep[0]))

extern char	**environ;

static char **
sv_child_env(void)
{
	char	**env;
	size_t	  i, k, n = 0, len;

	if ((env = calloc(SV_ENV_KEEP + 1, sizeof(*env))) == NULL)
		fatal("environment");
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		for (k = 0; k < SV_ENV_KEEP; k++) {
			len = strlen(sv_env_keep[k]);
			if (strncmp(environ[i], sv_env_keep[k], len) == 0 &&
			    environ[i][len] == '=' && n < SV_ENV_KEEP) {
				env[n++] = environ[i];
				break;
			}
		}
	return env;
}

int
supervisor_main(const struct cli *cli, struct config *cfg, const char *self)
{
	struct supervisor	 sv;
	char			 err[512];
	const int		 signals[] = { SIGTERM, SIGINT, SIGHUP,
				    SIGCHLD };
	size_t			 i;
	int			 k;

	memset(&sv, 0, sizeof(sv));
	sv.cli = cli;
	sv.cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	strlcpy(sv.self, self, sizeof(sv.self));
	sv.generation = 1;
	/*
	 * We hold the Consul token, the server's password and both private
	 * keys: no core file may take them to disk, and no process of our
	 * user may read our memory or environment (/proc/PID/mem, environ).
	 */
	if (sandbox_nocore() == -1)
		fatalx("cannot keep our secrets out of core files and /proc");
	sv.child_env = sv_child_env();
	/* main() set our title; children name theirs. */
	log_procname("supervisor");
	sv_apply_loglevel(&sv);
	sv_raise_nofile();

	for (k = PROC_WRITER; k < PROC_MAX; k++) {
		sv.listeners[k].fd = -1;
		if (listener_bind(&sv.listeners[k], &sv.cfg, k, err,
		    sizeof(err)) == -1)
			fatalx("%s", err);
		if (sv.listeners[k].fd != -1)
			log_info("%s listening on %s:%u", proc_name(k),
			    sv.listeners[k].addr, sv.listeners[k].bound_port);
	}
	sv.ctl_fd = -1;
	if (control_open(&sv, err, sizeof(err)) == -1)
		fatalx("%s", err);

	if (!cli->foreground && daemon(0, 0) == -1)
		fatal("daemon");

	signal(SIGPIPE, SIG_IGN);
	if ((sv.loop = ev_loop_new()) == NULL)
		fatal("event loop");
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (ev_signal(sv.loop, signals[i], sv_signal, &sv) == -1)
			fatal("signal %d", signals[i]);

	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		sv.children[k].sv = &sv;
		sv.children[k].kind = k;
		backoff_init(&sv.children[k].backoff, BACKOFF_MIN_MS,
		    BACKOFF_MAX_MS, BACKOFF_STABLE_MS);
		ev_timer_init(&sv.children[k].timer, NULL, NULL);
		if (sv_child_spawn(&sv.children[k]) == -1)
			fatalx("cannot start %s", proc_name(k));
	}

	ev_timer_init(&sv.stats_timer, sv_stats_tick, &sv);
	ev_timer_start(sv.loop, &sv.stats_timer, CHILD_STATS_MS);

	if (ev_run(sv.loop) == -1)
		fatal("event loop");

	log_info("exiting");
	sv_free(&sv);
	return sv.exit_code;
}
