/*
 * Where the control socket of an instance lives when control.socket is
 * "auto", shared by the daemon (which makes it) and tile38-clusterctl
 * (which looks for it): <dir>/<id>.sock, in the first usable of
 *
 *	/run/tile38-cluster-manager		root, or whoever may write it
 *	$XDG_RUNTIME_DIR/tile38-cluster-manager	other users
 *	/tmp/tile38-cluster-manager-<uid>	other users, mode 0700
 *
 * so several managers on one host never share a socket, as root or not.
 * Pure functions; the daemon's choice among them is in
 * src/supervisor/control.c, the tool's in src/ctl/ctl_socket.c.
 */
#ifndef CTL_PATH_H
#define CTL_PATH_H

#include <sys/types.h>

#include <stddef.h>

#define CTL_PATH_RUN_DIR	"/run/tile38-cluster-manager"
#define CTL_PATH_DIRS		3
/* sizeof(sun_path) */
#define CTL_PATH_MAX		108

/*
 * The directories for uid, best first, into dirs; xdg is
 * $XDG_RUNTIME_DIR or NULL (ignored unless an absolute path).  Returns
 * how many.
 */
size_t	ctl_path_dirs(uid_t uid, const char *xdg,
	    char dirs[CTL_PATH_DIRS][CTL_PATH_MAX]);
/*
 * <dir>/<id>.sock into out, with every '/' of id as '_'.  0, or -1 when
 * it would not fit a UNIX socket address.
 */
int	ctl_path_socket(const char *dir, const char *id, char *out,
	    size_t len);

#endif
