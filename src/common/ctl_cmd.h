/*
 * The control commands (tile38-clusterctl), in one table that the tool,
 * the admin, the supervisor and the elector all read: each command's
 * name, what argument it takes, whether it changes anything (and so is
 * only for root and the daemon's user), and which process carries it
 * out.  Each process dispatches on the command's id.
 */
#ifndef CTL_CMD_H
#define CTL_CMD_H

#include <stddef.h>

enum ctl_cmd_id {
	CTL_STATUS,
	CTL_PEERS,
	CTL_LIST,
	CTL_HISTORY,
	CTL_SWITCHOVER,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_RELOAD,
	CTL_LOG,
	CTL_CMD_MAX
};

enum ctl_runner {
	CTL_BY_ADMIN,		/* answered from what the admin knows */
	CTL_BY_SUPERVISOR,
	CTL_BY_ELECTOR,
};

enum ctl_arg {
	CTL_ARG_NONE,		/* nothing */
	CTL_ARG_TO,		/* an optional --to ID */
	CTL_ARG_WORD,		/* one word of words */
};

struct ctl_cmd {
	enum ctl_cmd_id	 id;
	const char	*name;
	enum ctl_arg	 arg;
	const char	*words;		/* CTL_ARG_WORD: "a|b" */
	int		 changes;	/* root and the daemon's user only */
	int		 data;		/* answers with a JSON object of its own */
	enum ctl_runner	 runner;
};

/* The command of that name, or NULL. */
const struct ctl_cmd	*ctl_cmd_lookup(const char *name);
/* The i-th command, NULL past the end. */
const struct ctl_cmd	*ctl_cmd_at(size_t i);
/* Whether arg is one of cmd's words (CTL_ARG_WORD). */
int			 ctl_cmd_word_ok(const struct ctl_cmd *, const char *arg);

#endif
