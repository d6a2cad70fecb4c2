/*
 * What the owner wants from the local server, and the commands that
 * bring it about: whether the last probe shows it (sc_matches()), the
 * plan of steps from what the server is to what is wanted, each step's
 * words for Tile38 and for Redis, and what a step's reply changes.
 *
 * Apart from srvctl.c, which owns the connection and the probe, because
 * this is the policy (which commands, in which order, and what is
 * remembered once they succeed) and that is the connection's mechanism;
 * either can be read without the other.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "resp.h"
#include "srvctl_int.h"

static int	sc_step_send(struct srvctl *);

const char *
sc_want_name(enum srv_want w)
{
	switch (w) {
	case SRV_WANT_NONE:
		return "observe";
	case SRV_WANT_LEAD:
		return "lead";
	case SRV_WANT_FOLLOW:
		return "follow";
	case SRV_WANT_FENCE:
		return "fence";
	case SRV_WANT_HOLD:
		return "hold writes on";
	}
	return "?";
}

/* Does what the last probe saw match what is wanted? */
static int
sc_matches(const struct srvctl *s)
{
	const struct srv_state	*st = &s->st;

	switch (s->want) {
	case SRV_WANT_NONE:
		return 1;
	case SRV_WANT_LEAD:
		return st->leader && st->writable;
	case SRV_WANT_FOLLOW:
		return !st->leader && s->want_addr[0] != '\0' &&
		    strcasecmp(st->following, s->want_addr) == 0;
	case SRV_WANT_HOLD:
		if (s->kind == SERVER_TILE38)
			return s->t38.read_only;
		if (!s->pause_refused)
			return !st->leader ||
			    s->paused_until > ev_now() + SC_PAUSE_RENEW_MS;
		/* FALLTHROUGH */
	case SRV_WANT_FENCE:
		if (s->kind == SERVER_TILE38)
			return s->t38.read_only;
		return !st->leader && s->want_addr[0] != '\0' &&
		    strcasecmp(st->following, s->want_addr) == 0;
	}
	return 0;
}

void
sc_update_applied(struct srvctl *s)
{
	int	applied;

	if (!s->st.up || s->st.loading)
		applied = 0;
	else
		applied = sc_matches(s) && !s->fresh;
	if (applied != s->st.applied) {
		s->st.applied = applied;
		sc_notify(s);
	}
}

/* Build the commands that take the server from what it is to what is wanted. */
static int
sc_apply_plan(struct srvctl *s)
{
	int	t38 = s->kind == SERVER_TILE38;

	s->nsteps = 0;
	switch (s->want) {
	case SRV_WANT_NONE:
		break;
	case SRV_WANT_LEAD:
		s->steps[s->nsteps++] = STEP_UNFOLLOW;
		if (t38)
			s->steps[s->nsteps++] = STEP_WRITABLE;
		if (s->paused_until != 0)
			s->steps[s->nsteps++] = STEP_UNPAUSE;
		break;
	case SRV_WANT_FOLLOW:
		if (s->want_addr[0] == '\0')
			return -1;
		if (s->password != NULL)
			s->steps[s->nsteps++] = STEP_AUTHCFG;
		if (s->fresh) {
			s->steps[s->nsteps++] = STEP_UNFOLLOW;
			/* FLUSHDB is a write, refused while READONLY. */
			if (t38 && s->t38.read_only)
				s->steps[s->nsteps++] = STEP_WRITABLE;
			s->steps[s->nsteps++] = STEP_FLUSH;
		}
		s->steps[s->nsteps++] = STEP_FOLLOW;
		/* A replica now: what the pause held is refused, not lost. */
		if (s->paused_until != 0)
			s->steps[s->nsteps++] = STEP_UNPAUSE;
		break;
	case SRV_WANT_HOLD:
		if (!t38 && !s->pause_refused) {
			if (s->st.leader)
				s->steps[s->nsteps++] = STEP_PAUSE;
			break;
		}
		/* FALLTHROUGH */
	case SRV_WANT_FENCE:
		if (t38) {
			s->steps[s->nsteps++] = STEP_READONLY;
			break;
		}
		if (s->want_addr[0] == '\0')
			return -1;
		if (s->password != NULL)
			s->steps[s->nsteps++] = STEP_AUTHCFG;
		s->steps[s->nsteps++] = STEP_FOLLOW;
		if (s->paused_until != 0)
			s->steps[s->nsteps++] = STEP_UNPAUSE;
		break;
	}
	return 0;
}

int
sc_apply_start(struct srvctl *s)
{
	uint64_t	now = ev_now();

	s->apply_at = now + sc_backoff_next(&s->apply_backoff);
	if (sc_apply_plan(s) == -1) {
		snprintf(s->st.error, sizeof(s->st.error),
		    "%s needs a target address", sc_want_name(s->want));
		if (s->logged_gen != s->gen)
			log_warnx("server %s: %s", s->name,
			    s->st.error);
		s->logged_gen = s->gen;
		return 0;
	}
	if (s->nsteps == 0)
		return 0;
	/* Role changes at info level, their retries at debug. */
	if (s->logged_gen != s->gen)
		log_info("server %s: %s%s%s%s", s->name,
		    sc_want_name(s->want), s->want == SRV_WANT_LEAD ? "" : " ",
		    s->want == SRV_WANT_LEAD ? "" : s->want_addr,
		    s->fresh ? " (discarding the local dataset first)" : "");
	else
		log_debug("server %s: retrying %s", s->name,
		    sc_want_name(s->want));
	s->logged_gen = s->gen;
	s->applying = 1;
	s->curstep = 0;
	return sc_step_send(s);
}

/*
 * Each step's words, Tile38's then Redis's; the password or the target
 * host and port follow where a step takes them.  The words name the step
 * in messages, so no password is ever logged.
 */
static const char *const sc_step_words[][2][3] = {
	[STEP_AUTHCFG] = { { "CONFIG", "SET", "leaderauth" },
	    { "CONFIG", "SET", "masterauth" } },
	[STEP_UNFOLLOW] = { { "FOLLOW", "no", "one" },
	    { "REPLICAOF", "NO", "ONE" } },
	[STEP_WRITABLE] = { { "READONLY", "no" }, { "READONLY", "no" } },
	[STEP_READONLY] = { { "READONLY", "yes" }, { "READONLY", "yes" } },
	[STEP_FLUSH] = { { "FLUSHDB" }, { "FLUSHALL" } },
	[STEP_FOLLOW] = { { "FOLLOW" }, { "REPLICAOF" } },
	[STEP_PAUSE] = { { "CLIENT", "PAUSE" }, { "CLIENT", "PAUSE" } },
	[STEP_UNPAUSE] = { { "CLIENT", "UNPAUSE" }, { "CLIENT", "UNPAUSE" } },
};

static const char *const *
sc_step_argv(const struct srvctl *s, enum sc_step step, int *argc)
{
	const char *const	*w;

	w = sc_step_words[step][s->kind == SERVER_TILE38 ? 0 : 1];
	for (*argc = 0; *argc < 3 && w[*argc] != NULL; (*argc)++)
		;
	return w;
}

static void
sc_step_name(const struct srvctl *s, enum sc_step step, char *buf,
    size_t len)
{
	const char *const	*w;
	int			 i, n;

	w = sc_step_argv(s, step, &n);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(buf, " ", len);
		strlcat(buf, w[i], len);
	}
}

static int
sc_step_send(struct srvctl *s)
{
	const char		*argv[5];
	const char *const	*w;
	char			 port[24];
	enum sc_step		 step = s->steps[s->curstep];
	int			 argc, i;

	w = sc_step_argv(s, step, &argc);
	for (i = 0; i < argc; i++)
		argv[i] = w[i];
	if (step == STEP_AUTHCFG)
		argv[argc++] = s->password;
	if (step == STEP_FOLLOW) {
		snprintf(port, sizeof(port), "%u", s->want_port);
		argv[argc++] = s->want_host;
		argv[argc++] = port;
	}
	if (step == STEP_PAUSE) {
		snprintf(port, sizeof(port), "%u", SC_PAUSE_MS);
		argv[argc++] = port;
		argv[argc++] = "WRITE";
	}
	return sc_send(s, OP_STEP, step, argc, argv);
}

int
sc_step_reply(struct srvctl *s, const struct sc_pending *p,
    const struct resp *r)
{
	char	msg[sizeof(s->st.error)], name[64];

	if (p->gen != s->gen) {
		/* The wish changed meanwhile: start over from a probe. */
		s->applying = 0;
		return sc_probe_soon(s);
	}
	if (r->type == RESP_ERROR && p->step == STEP_PAUSE &&
	    !s->pause_refused) {
		log_warnx("server %s: CLIENT PAUSE WRITE: %s; fencing it as "
		    "a replica of the bridge instead", s->name, r->str);
		s->pause_refused = 1;
		s->applying = 0;
		return sc_probe_soon(s);
	}
	if (r->type == RESP_ERROR) {
		sc_step_name(s, p->step, name, sizeof(name));
		snprintf(msg, sizeof(msg), "%s: %s", name, r->str);
		/* Retried for long: say it again only when it changes. */
		if (strcmp(msg, s->st.error) != 0)
			log_warnx("server %s: %s", s->name, msg);
		else
			log_debug("server %s: %s", s->name, msg);
		strlcpy(s->st.error, msg, sizeof(s->st.error));
		s->applying = 0;
		return sc_probe_soon(s);
	}
	switch (p->step) {
	case STEP_UNFOLLOW:
		s->t38.following[0] = '\0';
		break;
	case STEP_WRITABLE:
		s->t38.read_only = 0;
		break;
	case STEP_READONLY:
		s->t38.read_only = 1;
		break;
	case STEP_FLUSH:
		/* Done for this srvctl_want(); retries only FOLLOW again. */
		s->fresh = 0;
		break;
	case STEP_FOLLOW:
		strlcpy(s->t38.following, s->want_addr,
		    sizeof(s->t38.following));
		break;
	case STEP_PAUSE:
		s->paused_until = ev_now() + SC_PAUSE_MS;
		break;
	case STEP_UNPAUSE:
		s->paused_until = 0;
		break;
	case STEP_AUTHCFG:
		break;
	}
	if (++s->curstep < s->nsteps)
		return sc_step_send(s);
	s->applying = 0;
	return sc_probe_soon(s);
}
