/*
 * What the supervisor takes from a child.  Children parse what the
 * network sends them and the supervisor does not: it assumes any child
 * may be compromised, so a message outside this table restarts that
 * child and never reaches the rest of the daemon, and how a child exits
 * decides no more than whether it is restarted.  The decisions here need
 * no I/O, so they are tested as tables.
 */
#include <sys/wait.h>

#include "child.h"
#include "supervisor.h"

#define FROM(k)		(1u << (k))
#define FROM_PROXIES	(FROM(PROC_WRITER) | FROM(PROC_READER) | \
			    FROM(PROC_BRIDGE))
#define FROM_ANY	(FROM(PROC_ELECTOR) | FROM_PROXIES | FROM(PROC_ADMIN))

/*
 * Who may send each child -> supervisor message.  None carries a
 * descriptor: the supervisor hands descriptors out and takes none back,
 * so one from a child could only pile up here.
 */
static const struct sv_msg_rule {
	uint32_t	type;
	unsigned	from;		/* FROM() mask */
} sv_msg_rules[] = {
	{ MSG_HELLO, FROM_ANY },
	{ MSG_READY, FROM_ANY },
	{ MSG_CONFIG_ACK, FROM_ANY },
	{ MSG_SESSION, FROM(PROC_ELECTOR) },
	{ MSG_ROLE, FROM(PROC_ELECTOR) },
	{ MSG_PEERS, FROM(PROC_ELECTOR) },
	{ MSG_TLS_LEAF, FROM(PROC_ELECTOR) },
	{ MSG_TLS_ROOTS, FROM(PROC_ELECTOR) },
	{ MSG_SERVER_STATE, FROM(PROC_ELECTOR) },
	{ MSG_AUTHZ_REQ, FROM_PROXIES },
	{ MSG_AUTHZ_RESP, FROM(PROC_ELECTOR) },
	{ MSG_STATS, FROM_ANY },
	{ MSG_CTL_REQ, FROM(PROC_ADMIN) },
	{ MSG_CTL_RESP, FROM(PROC_ELECTOR) },
	{ MSG_INTENTIONS, FROM(PROC_ELECTOR) },
	{ MSG_CTL_PROGRESS, FROM(PROC_ELECTOR) },
	{ MSG_LEASE, FROM(PROC_ELECTOR) },
	{ MSG_PONG, FROM(PROC_ELECTOR) },
	{ MSG_STOP_REFUSED, FROM(PROC_ELECTOR) },
	{ MSG_WRITER_QUIET, FROM(PROC_WRITER) },
};

enum sv_msg_verdict
sv_msg_check(int kind, uint32_t type, int has_fd)
{
	size_t	i;

	for (i = 0; i < sizeof(sv_msg_rules) / sizeof(sv_msg_rules[0]); i++) {
		if (sv_msg_rules[i].type != type)
			continue;
		if (kind <= PROC_SUPERVISOR || kind >= PROC_MAX ||
		    !(sv_msg_rules[i].from & FROM(kind)))
			return SV_MSG_WRONG_SENDER;
		return has_fd ? SV_MSG_UNEXPECTED_FD : SV_MSG_OK;
	}
	return SV_MSG_UNKNOWN;
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
