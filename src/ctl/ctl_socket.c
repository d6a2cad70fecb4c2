/*
 * Which daemon tile38-clusterctl talks to: -s PATH, else
 * TCM_CONTROL_SOCKET, else the socket of --id ID, else the only daemon
 * found in the directories of control.socket auto (ctl_path.h).  With
 * several and no choice it names them and lets the operator pick.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_path.h"

#define FOUND_MAX	64

int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket a daemon answers on: connected and closed again at once. */
static int
ctl_live(const char *path)
{
	int	fd;

	if ((fd = ctl_connect(path)) == -1)
		return 0;
	close(fd);
	return 1;
}

/* Every live *.sock of dir into found; returns the new count. */
static size_t
ctl_scan(const char *dir, char found[][CTL_PATH_MAX], size_t n)
{
	struct dirent	*d;
	DIR		*dp;
	size_t		 len;
	char		 path[CTL_PATH_MAX];

	if ((dp = opendir(dir)) == NULL)
		return n;
	while (n < FOUND_MAX && (d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		if (len <= 5 || strcmp(d->d_name + len - 5, ".sock") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    d->d_name) >= sizeof(path) || !ctl_live(path))
			continue;
		memcpy(found[n++], path, sizeof(path));
	}
	closedir(dp);
	return n;
}

static void
ctl_dirs_text(char dirs[CTL_PATH_DIRS][CTL_PATH_MAX], size_t ndirs)
{
	size_t	i;

	for (i = 0; i < ndirs; i++)
		fprintf(stderr, "%s%s", i > 0 ? ", " : "", dirs[i]);
}

const char *
ctl_socket_find(const char *path, const char *id, char *out, size_t len)
{
	char	dirs[CTL_PATH_DIRS][CTL_PATH_MAX];
	char	found[FOUND_MAX][CTL_PATH_MAX];
	size_t	i, ndirs, n = 0;

	if (path != NULL)
		return path;
	path = getenv("TCM_CONTROL_SOCKET");
	if (path != NULL && path[0] != '\0' && strcmp(path, "auto") != 0)
		return path;
	ndirs = ctl_path_dirs(getuid(), getenv("XDG_RUNTIME_DIR"), dirs);
	if (id != NULL) {
		for (i = 0; i < ndirs; i++)
			if (ctl_path_socket(dirs[i], id, out, len) == 0 &&
			    access(out, F_OK) == 0)
				return out;
		fprintf(stderr, "tile38-clusterctl: no control socket of "
		    "\"%s\" in ", id);
		ctl_dirs_text(dirs, ndirs);
		fprintf(stderr, "\n");
		exit(3);
	}
	for (i = 0; i < ndirs; i++)
		n = ctl_scan(dirs[i], found, n);
	if (n == 1) {
		strlcpy(out, found[0], len);
		return out;
	}
	if (n == 0) {
		fprintf(stderr, "tile38-clusterctl: no running daemon found in ");
		ctl_dirs_text(dirs, ndirs);
		fprintf(stderr, "; name its socket with -s\n");
		exit(3);
	}
	fprintf(stderr, "tile38-clusterctl: %zu daemons found; choose one "
	    "with --id ID or -s PATH:\n", n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  %s\n", found[i]);
	exit(2);
}
