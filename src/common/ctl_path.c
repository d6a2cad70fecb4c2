/*
 * The candidate places of an instance's control socket (ctl_path.h).
 */
#include <stdio.h>
#include <string.h>

#include "ctl_path.h"

#define TMP_PREFIX	"/tmp/tile38-cluster-manager-"

/* snprintf's result: 0 when it fit a socket path, else -1. */
static int
fits(int len)
{
	return len > 0 && len < CTL_PATH_MAX ? 0 : -1;
}

size_t
ctl_path_dirs(uid_t uid, const char *xdg, char dirs[CTL_PATH_DIRS][CTL_PATH_MAX])
{
	size_t	n = 0;

	strlcpy(dirs[n++], CTL_PATH_RUN_DIR, CTL_PATH_MAX);
	if (uid == 0)
		return n;
	/* A relative XDG_RUNTIME_DIR is invalid (XDG base directory spec). */
	if (xdg != NULL && xdg[0] == '/' && fits(snprintf(dirs[n],
	    CTL_PATH_MAX, "%s/tile38-cluster-manager", xdg)) == 0)
		n++;
	if (fits(snprintf(dirs[n], CTL_PATH_MAX, TMP_PREFIX "%lu",
	    (unsigned long)uid)) == 0)
		n++;
	return n;
}

int
ctl_path_socket(const char *dir, const char *id, char *out, size_t len)
{
	size_t	i, at;
	int	n;

	n = snprintf(out, len, "%s/%s.sock", dir, id);
	if (n < 0 || (size_t)n >= len || n >= CTL_PATH_MAX)
		return -1;
	/* The id names a file in dir, never another directory. */
	at = strlen(dir) + 1;
	for (i = at; i < at + strlen(id); i++)
		if (out[i] == '/')
			out[i] = '_';
	return 0;
}
