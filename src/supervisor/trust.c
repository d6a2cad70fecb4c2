/*
 * What the supervisor takes from a child, and where it goes.  Children parse what the
 * network sends them and the supervisor does not: it assumes any child
 * may be compromised, so a message outside this table restarts that
 * child and never reaches the rest of the daemon, and how a child exits
 * decides no more than whether it is restarted.  The decisions here need
 * no I/O, so they are tested as tables.
 */
#include <sys/wait.h>

#include "child.h"
#include "supervisor.h"

#define EL		PROCS(PROC_ELECTOR)
#define WRITER		PROCS(PROC_WRITER)
#define WR		(PROCS(PROC_WRITER) | PROCS(PROC_READER))
#define ADMIN		PROCS(PROC_ADMIN)
#define ANY		(EL | PROCS_PROXIES | ADMIN)

/*
 * The relay table: who may send each message to the supervisor, who it
 * passes it on to, and what it keeps of it to replay to a child that
 * restarts.  A leaf carries its private key, so a proxy gets only the
 * leaf of the service it serves or dials (the bridge the writer's).  None carries a descriptor: the supervisor hands descriptors
 * out and takes none back, so one from a child could only pile up here.
 * A message of the supervisor's own (MSG_CONFIG, MSG_START, ...) is no
 * child's to send, so it is not here.
 */
static const struct sv_msg_rule sv_msg_rules[SV_MSG_RULES] = {
	/* consumed by the supervisor */
	{ MSG_HELLO, ANY, 0, KEEP_NONE, 0 },
	{ MSG_READY, ANY, 0, KEEP_NONE, 0 },
	{ MSG_CONFIG_ACK, ANY, 0, KEEP_NONE, 0 },
	{ MSG_STOP_REFUSED, EL, 0, KEEP_NONE, 0 },
	{ MSG_PING, EL, 0, KEEP_NONE, 0 },
	/* the cluster state: the newest of each is kept and replayed */
	{ MSG_SESSION, EL, EL, KEEP_LATEST, 0 },
	{ MSG_ROLE, EL, PROCS_PROXIES | ADMIN, KEEP_LATEST, 0 },
	{ MSG_PEERS, EL, PROCS_PROXIES | ADMIN, KEEP_PER_SERVICE, 0 },
	{ MSG_TLS_LEAF, EL, PROCS_PROXIES, KEEP_PER_SERVICE, 1 },
	{ MSG_TLS_ROOTS, EL, PROCS_PROXIES, KEEP_LATEST, 0 },
	{ MSG_SERVER_STATE, EL, PROCS_PROXIES | ADMIN, KEEP_LATEST, 0 },
	{ MSG_LEASE, EL, WRITER, KEEP_LATEST, 0 },
	/* passed on as they come */
	{ MSG_AUTHZ_REQ, PROCS_PROXIES, EL, KEEP_NONE, 0 },
	{ MSG_AUTHZ_RESP, EL, PROCS_PROXIES, KEEP_NONE, 0 },
	{ MSG_STATS, ANY, ADMIN, KEEP_NONE, 0 },
	{ MSG_CTL_REQ, ADMIN, EL, KEEP_NONE, 0 },
	{ MSG_CTL_RESP, EL, ADMIN, KEEP_NONE, 0 },
	{ MSG_CTL_PROGRESS, EL, ADMIN, KEEP_NONE, 0 },
	{ MSG_INTENTIONS, EL, WR, KEEP_NONE, 0 },
	{ MSG_WRITER_QUIET, WRITER, EL, KEEP_NONE, 0 },
};

const struct sv_msg_rule *
sv_msg_rule(uint32_t type)
{
	size_t	i;

	for (i = 0; i < SV_MSG_RULES; i++)
		if (sv_msg_rules[i].type == type)
			return &sv_msg_rules[i];
	return NULL;
}

const struct sv_msg_rule *
sv_msg_rule_at(size_t i)
{
	return i < SV_MSG_RULES ? &sv_msg_rules[i] : NULL;
}

size_t
sv_msg_rule_index(const struct sv_msg_rule *r)
{
	return (size_t)(r - sv_msg_rules);
}

enum sv_msg_verdict
sv_msg_check(int kind, uint32_t type, int has_fd)
{
	const struct sv_msg_rule	*r;

	if ((r = sv_msg_rule(type)) == NULL)
		return SV_MSG_UNKNOWN;
	if (kind <= PROC_SUPERVISOR || kind >= PROC_MAX ||
	    !(r->from & PROCS(kind)))
		return SV_MSG_WRONG_SENDER;
	return has_fd ? SV_MSG_UNEXPECTED_FD : SV_MSG_OK;
}

/*
 * Exit status 78 stops the whole daemon, as a child's way to say that it
 * cannot run with this configuration, which it finds out while it starts
 * (configuration, sandbox) and before it reports ready.  After that, 78
 * is only a number a misbehaving child could choose to take the daemon
 * down with: it is a crash like any other.
 */
enum sv_exit_action
sv_exit_action(int was_ready, int status)
{
	if (!was_ready && WIFEXITED(status) &&
	    WEXITSTATUS(status) == CHILD_EXIT_CONFIG)
		return SV_EXIT_STOP;
	return SV_EXIT_RESTART;
}
