/*
 * The supervisor's part in operations: it binds the control socket (the
 * admin process serves it), carries out or routes the commands the admin
 * passes on, and hands every child's figures, and its own, to the admin.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "ctl_cmd.h"
#include "ctl_path.h"
#include "log.h"
#include "metrics.h"
#include "supervisor.h"

#define CONTROL_BACKLOG	16

/* The directory of path, made if it is missing (its parent must exist). */
static int
control_dir(const char *path, char *err, size_t errlen)
{
	char	copy[CONTROL_SOCKET_MAX], *dir;

	strlcpy(copy, path, sizeof(copy));
	dir = dirname(copy);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "control.socket: mkdir %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A directory of ctl_path_dirs() we may put our socket in: root makes
 * /run/tile38-cluster-manager; anybody else uses it only where it may
 * already write, and otherwise makes a directory of its own, 0700, which
 * must then be its own and closed to others (it may sit in /tmp).
 */
static int
control_auto_dir(const char *dir)
{
	struct stat	st;
	uid_t		uid = geteuid();

	if (uid == 0 || strcmp(dir, CTL_PATH_RUN_DIR) == 0) {
		if (uid == 0 && mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -1;
		return access(dir, W_OK | X_OK);
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid ||
	    (st.st_mode & 077) != 0) {
		log_warnx("control.socket auto: %s is not a directory of uid "
		    "%u closed to others: not used", dir, (unsigned)uid);
		return -1;
	}
	return 0;
}

/* control.socket auto: <dir>/<id>.sock in the first usable directory. */
static int
control_auto_path(const struct config *cfg, char *path, size_t len,
    char *err, size_t errlen)
{
	char	dirs[CTL_PATH_DIRS][CTL_PATH_MAX];
	size_t	i, n;

	n = ctl_path_dirs(geteuid(), getenv("XDG_RUNTIME_DIR"), dirs);
	for (i = 0; i < n; i++) {
		if (control_auto_dir(dirs[i]) == -1)
			continue;
		if (ctl_path_socket(dirs[i], cfg->id, path, len) == 0)
			return 0;
	}
	snprintf(err, errlen, "control.socket auto: no usable directory for "
	    "%s.sock (tried %s", cfg->id, dirs[0]);
	for (i = 1; i < n; i++)
		snprintf(err + strlen(err), errlen - strlen(err), ", %s",
		    dirs[i]);
	snprintf(err + strlen(err), errlen - strlen(err), "): set "
	    "control.socket");
	return -1;
}

int
control_open(struct supervisor *sv, char *err, size_t errlen)
{
	const char		*path = sv->cfg.control_socket;
	char			 autopath[CTL_PATH_MAX];
	struct sockaddr_un	 sun;
	struct passwd		*pw;
	int			 fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	if (strcmp(path, CONTROL_SOCKET_AUTO) == 0) {
		if (control_auto_path(&sv->cfg, autopath, sizeof(autopath),
		    err, errlen) == -1)
			return -1;
		path = autopath;
	} else if (control_dir(path, err, errlen) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/* A socket somebody answers on belongs to a running daemon. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		snprintf(err, errlen, "control.socket %s: in use by a running"
		    " daemon", path);
		close(fd);
		return -1;
	}
	close(fd);
	fd = -1;
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	/* Read-only commands for the daemon's group: see the admin. */
	if (chmod(path, 0660) == -1)
		goto fail;
	if (geteuid() == 0 && (pw = getpwnam(sv->cfg.user)) != NULL &&
	    chown(path, 0, pw->pw_gid) == -1)
		goto fail;
	if (listen(fd, CONTROL_BACKLOG) == -1)
		goto fail;
	if ((sv->ctl_path = strdup(path)) == NULL)
		fatal("control socket");
	sv->ctl_fd = fd;
	log_info("control socket %s", path);
	return 0;

 fail:
	snprintf(err, errlen, "control.socket %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

void
control_close(struct supervisor *sv)
{
	if (sv->ctl_fd != -1)
		close(sv->ctl_fd);
	sv->ctl_fd = -1;
	if (sv->ctl_path != NULL)
		unlink(sv->ctl_path);
	free(sv->ctl_path);
	sv->ctl_path = NULL;
}

static struct sv_child *
sv_admin(struct supervisor *sv)
{
	struct sv_child	*ad = &sv->children[PROC_ADMIN];

	return ad->configured ? ad : NULL;
}

/* The supervisor's own figures, to the admin, every CHILD_STATS_MS. */
void
sv_stats_tick(void *arg)
{
	struct supervisor	*sv = arg;
	struct metric_set	*set;
	struct sv_child		*ad;
	int			 k;

	ev_timer_start(sv->loop, &sv->stats_timer, CHILD_STATS_MS);
	if ((ad = sv_admin(sv)) == NULL)
		return;
	if ((set = malloc(sizeof(*set))) == NULL)
		fatal("stats");
	metric_set_init(set);
	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		metric_put(set, "child_up", "child", proc_name(k),
		    METRIC_GAUGE, sv->children[k].state == CHILD_READY);
		metric_put(set, "child_restarts", "child", proc_name(k),
		    METRIC_COUNTER, (double)sv->children[k].restarts);
	}
	proto_send_stats(ad->chan, PROC_SUPERVISOR, set);
	free(set);
}

static void
sv_ctl_answer(struct supervisor *sv, uint32_t req, int ok, const char *text)
{
	struct msg_ctl_resp	 r = { (uint32_t)ok, (char *)text };
	struct sv_child		*ad;

	if ((ad = sv_admin(sv)) != NULL)
		proto_send_ctl_resp(ad->chan, req, &r);
}

/* tile38-clusterctl log verbose|brief: every process, until a reload. */
static int
sv_ctl_log(struct supervisor *sv, const struct ctl_cmd *c, const char *arg)
{
	struct msg_log_level	ml;
	int			k;

	if (!ctl_cmd_word_ok(c, arg))
		return -1;
	ml.level = strcmp(arg, "verbose") == 0 ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO;
	log_setlevel((int)ml.level);
	log_info("log level %s", arg);
	for (k = PROC_ELECTOR; k < PROC_MAX; k++)
		if (sv->children[k].configured)
			proto_send_log_level(sv->children[k].chan, &ml);
	return 0;
}

void
sv_ctl_request(struct sv_child *from, const struct imsg *m)
{
	struct supervisor	*sv = from->sv;
	struct sv_child		*el = &sv->children[PROC_ELECTOR];
	const struct ctl_cmd	*c;
	struct msg_ctl_req	 q;
	char			 msg[1024];
	int			 ok;

	/* Well formed: sv_dispatch() checked it. */
	if (msg_ctl_req_decode(&q, m->data, m->datalen) == -1)
		fatalx("control request");
	if ((c = ctl_cmd_lookup(q.cmd)) == NULL ||
	    c->runner == CTL_BY_ADMIN)
		sv_ctl_answer(sv, m->hdr.peerid, 0, "unknown command");
	else if (c->runner == CTL_BY_ELECTOR) {
		if (el->state != CHILD_READY)
			sv_ctl_answer(sv, m->hdr.peerid, 0,
			    "elector unavailable");
		else
			sv_child_send(el, MSG_CTL_REQ, m->hdr.peerid, -1,
			    m->data, m->datalen);
	} else if (c->id == CTL_RELOAD) {
		if (sv->stopping)
			sv_ctl_answer(sv, m->hdr.peerid, 0, "stopping");
		else {
			ok = sv_reload(sv, msg, sizeof(msg)) == 0;
			sv_ctl_answer(sv, m->hdr.peerid, ok, msg);
		}
	} else if (c->id == CTL_LOG) {
		ok = sv_ctl_log(sv, c, q.arg) == 0;
		sv_ctl_answer(sv, m->hdr.peerid, ok, ok ? "log level set" :
		    "log takes verbose or brief");
	}
	msg_ctl_req_clear(&q);
}
