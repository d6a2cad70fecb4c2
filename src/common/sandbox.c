/*
 * Dropping privileges, the Linux way: chroot, setres[ug]id and
 * PR_SET_NO_NEW_PRIVS where OpenBSD would pledge and unveil.
 *
 * A child runs this once it holds every descriptor it needs.  Run by hand
 * as an ordinary user (development, tests) there is nothing to drop, but
 * the steps that need no privilege still apply.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"

static int	sandbox_nouser(int);
static int	sandbox_nocore(void);
static int	sandbox_setuser(const char *, const char *);

/*
 * getpwnam() returns NULL both for a missing user and a failed lookup;
 * a missing one leaves errno 0 or, depending on the backend, one of these.
 */
static int
sandbox_nouser(int error)
{
	return error == 0 || error == ENOENT || error == ESRCH ||
	    error == EBADF || error == EPERM;
}

/* A core file of a child could hold keys, tokens and client data. */
static int
sandbox_nocore(void)
{
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1) {
		log_warn("setrlimit RLIMIT_CORE");
		return -1;
	}
	/* Also keeps other processes of the same user from ptrace()ing us. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_warn("prctl PR_SET_DUMPABLE");
		return -1;
	}
	return 0;
}

/* Root only: chroot, then become user for good. */
static int
sandbox_setuser(const char *user, const char *dir)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	if (user == NULL || *user == '\0') {
		log_warnx("no user to switch to: refusing to keep root");
		return -1;
	}
	/* The password database is out of reach once chrooted. */
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (sandbox_nouser(errno))
			log_warnx("user \"%s\" does not exist", user);
		else
			log_warn("user \"%s\"", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;

	if (dir != NULL && *dir != '\0') {
		if (chroot(dir) == -1) {
			log_warn("chroot \"%s\"", dir);
			return -1;
		}
		/* The old working directory would be a way out. */
		if (chdir("/") == -1) {
			log_warn("chdir / in chroot \"%s\"", dir);
			return -1;
		}
	}

	/* Groups first: once the uid is gone they can no longer change. */
	if (setgroups(1, &gid) == -1) {
		log_warn("setgroups %u", (unsigned)gid);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("setresgid %u", (unsigned)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("setresuid %u", (unsigned)uid);
		return -1;
	}

	/*
	 * Trust, but verify: with every uid changed the kernel must refuse
	 * these.  Either succeeds when user is root or in group 0, which
	 * would leave the process as privileged as before.
	 */
	if (setuid(0) != -1) {
		log_warnx("user \"%s\": could regain uid 0 after dropping it",
		    user);
		return -1;
	}
	if (setgid(0) != -1) {
		log_warnx("user \"%s\": could regain gid 0 after dropping it",
		    user);
		return -1;
	}
	log_debug("running as user \"%s\" (uid %u, gid %u)%s%s", user,
	    (unsigned)uid, (unsigned)gid,
	    dir != NULL && *dir != '\0' ? " chrooted to " : "",
	    dir != NULL ? dir : "");
	return 0;
}

int
sandbox_enter(const char *user, const char *dir)
{
	/* No exec'd program may gain privileges through set-id bits. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("prctl PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (geteuid() != 0)
		log_debug("not root (euid %u): user \"%s\" and chroot \"%s\" "
		    "skipped", (unsigned)geteuid(),
		    user != NULL ? user : "", dir != NULL ? dir : "");
	else if (sandbox_setuser(user, dir) == -1)
		return -1;
	/*
	 * Last, because changing the uid resets the dumpable flag to
	 * fs.suid_dumpable, which need not be 0.
	 */
	return sandbox_nocore();
}

int
sandbox_check(const char *user, const char *dir, char *err, size_t errlen)
{
	struct stat	 st;
	struct passwd	*pw;

	if (user == NULL || *user == '\0') {
		snprintf(err, errlen, "no user set (set \"user\")");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (sandbox_nouser(errno))
			snprintf(err, errlen, "user \"%s\" does not exist "
			    "(create it, or set \"user\")", user);
		else
			snprintf(err, errlen, "user \"%s\": %s", user,
			    strerror(errno));
		return -1;
	}
	if (dir == NULL || *dir == '\0')
		return 0;
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "chroot \"%s\": %s (create it, or set "
		    "chroot \"\")", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "chroot \"%s\": %s (make it a directory, "
		    "or set chroot \"\")", dir, strerror(ENOTDIR));
		return -1;
	}
	return 0;
}

/* Replace a string option's value; the old one is freed. */
static void
sandbox_replace(char **slot, const char *value)
{
	char	*dup;

	if ((dup = strdup(value)) == NULL)
		fatal("sandbox defaults");
	free(*slot);
	*slot = dup;
}

void
sandbox_defaults(struct config *cfg, int warn)
{
	struct stat	st;

	if (geteuid() != 0)
		return;
	errno = 0;
	if (!config_given(cfg, "user") && cfg->user != NULL &&
	    strcmp(cfg->user, SANDBOX_FALLBACK_USER) != 0 &&
	    getpwnam(cfg->user) == NULL && sandbox_nouser(errno)) {
		if (warn)
			log_warnx("user \"%s\" does not exist: the children "
			    "run as \"%s\" (create the user, or set \"user\")",
			    cfg->user, SANDBOX_FALLBACK_USER);
		sandbox_replace(&cfg->user, SANDBOX_FALLBACK_USER);
	}
	if (!config_given(cfg, "chroot") && cfg->chroot != NULL &&
	    cfg->chroot[0] != '\0' && stat(cfg->chroot, &st) == -1 &&
	    errno == ENOENT) {
		if (warn)
			log_warnx("chroot \"%s\" does not exist: the proxies "
			    "are not chrooted (create it, or set \"chroot\")",
			    cfg->chroot);
		sandbox_replace(&cfg->chroot, "");
	}
}
