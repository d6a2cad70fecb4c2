/*
 * The table of control commands.  A command is added here once; the
 * tool's usage and argument checks, the admin's permission check and the
 * routing to the supervisor or the elector follow from its row.
 */
#include <string.h>

#include "ctl_cmd.h"

static const struct ctl_cmd ctl_cmds[CTL_CMD_MAX] = {
	{ CTL_STATUS, "status", CTL_ARG_NONE, NULL, 0, 0, CTL_BY_ADMIN },
	{ CTL_PEERS, "peers", CTL_ARG_NONE, NULL, 0, 0, CTL_BY_ADMIN },
	{ CTL_LIST, "list", CTL_ARG_NONE, NULL, 0, 1, CTL_BY_ELECTOR },
	{ CTL_HISTORY, "history", CTL_ARG_NONE, NULL, 0, 1, CTL_BY_ELECTOR },
	{ CTL_SWITCHOVER, "switchover", CTL_ARG_TO, NULL, 1, 0,
	    CTL_BY_ELECTOR },
	{ CTL_PAUSE, "pause", CTL_ARG_NONE, NULL, 1, 0, CTL_BY_ELECTOR },
	{ CTL_RESUME, "resume", CTL_ARG_NONE, NULL, 1, 0, CTL_BY_ELECTOR },
	{ CTL_RELOAD, "reload", CTL_ARG_NONE, NULL, 1, 0, CTL_BY_SUPERVISOR },
	{ CTL_LOG, "log", CTL_ARG_WORD, "verbose|brief", 1, 0,
	    CTL_BY_SUPERVISOR },
};

const struct ctl_cmd *
ctl_cmd_lookup(const char *name)
{
	size_t	i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < CTL_CMD_MAX; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

const struct ctl_cmd *
ctl_cmd_at(size_t i)
{
	return i < CTL_CMD_MAX ? &ctl_cmds[i] : NULL;
}

int
ctl_cmd_word_ok(const struct ctl_cmd *c, const char *arg)
{
	const char	*w = c->words;
	size_t		 n = strlen(arg);

	if (c->arg != CTL_ARG_WORD || n == 0 || strchr(arg, '|') != NULL)
		return 0;
	while (w != NULL) {
		if (strncmp(w, arg, n) == 0 && (w[n] == '|' || w[n] == '\0'))
			return 1;
		if ((w = strchr(w, '|')) != NULL)
			w++;
	}
	return 0;
}
