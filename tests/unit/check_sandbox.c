/*
 * Sandbox tests.  sandbox_enter() changes the process for good, so each
 * call runs in a child of its own; the child reports the first check that
 * failed as its exit status (0: all passed) and its log goes to a file
 * the test reads afterwards.  The tests that switch users need root and
 * say so when they are skipped.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "suites.h"

#define NO_SUCH_USER	"t38cm-no-such-user"

struct ids {
	uid_t	uid;
	gid_t	gid;
	char	dir[PATH_MAX];
};

typedef int	(*child_fn)(void *);

/* Temporary file for a child's log lines, already unlinked. */
static int
log_file(void)
{
	char	path[] = "/tmp/check_sandbox.log.XXXXXX";
	int	fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(unlink(path), 0);
	return fd;
}

static void
log_read(int fd, char *buf, size_t len)
{
	ssize_t	n;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_ne(n = read(fd, buf, len - 1), -1);
	buf[n] = '\0';
	close(fd);
}

/*
 * Run fn in a forked child with its log (debug level) on logfd; return
 * its exit status, or -1 when a signal ended it.
 */
static int
in_child(child_fn fn, void *arg, int logfd)
{
	pid_t	pid;
	int	status;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (dup2(logfd, STDERR_FILENO) == -1)
			_exit(100);
		log_init(1, LOG_LEVEL_DEBUG);
		log_procname("check_sandbox");
		/* _exit: no atexit handlers of the test runner in here */
		_exit(fn(arg));
	}
	while (waitpid(pid, &status, 0) == -1)
		ck_assert_int_eq(errno, EINTR);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int
lookup_nobody(struct ids *ids)
{
	struct passwd	*pw;

	if ((pw = getpwnam("nobody")) == NULL)
		return -1;
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	return 0;
}

static int
skip_unless_root(const char *test)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "check_sandbox: %s: SKIPPED, needs root "
	    "(euid %u)\n", test, (unsigned)geteuid());
	return 1;
}

/* The steps every caller gets, root or not. */
static int
always_dropped(void)
{
	struct rlimit	rl;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 1;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 1;
	if (getrlimit(RLIMIT_CORE, &rl) == -1 || rl.rlim_cur != 0 ||
	    rl.rlim_max != 0)
		return 1;
	return 0;
}

/* sandbox_check */

START_TEST(test_check_no_user)
{
	char	err[256];

	ck_assert_int_eq(sandbox_check(NO_SUCH_USER, NULL, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "user \"" NO_SUCH_USER "\" does not exist "
	    "(create it, or set \"user\")");
}
END_TEST

START_TEST(test_check_chroot)
{
	struct passwd	*pw;
	char		 user[64], err[512], want[512], missing[64];
	char		 file[] = "/tmp/check_sandbox.file.XXXXXX";
	char		 dir[] = "/tmp/check_sandbox.dir.XXXXXX";
	int		 fd;

	/* Whoever runs the test certainly exists. */
	ck_assert_ptr_nonnull(pw = getpwuid(geteuid()));
	ck_assert_uint_lt(strlcpy(user, pw->pw_name, sizeof(user)),
	    sizeof(user));
	ck_assert_int_ne(fd = mkstemp(file), -1);
	close(fd);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(missing, sizeof(missing), "%s/missing", dir);

	ck_assert_int_eq(sandbox_check(user, file, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "chroot \"%s\": %s (make it a "
	    "directory, or set chroot \"\")", file, strerror(ENOTDIR));
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(sandbox_check(user, missing, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "chroot \"%s\": %s (create it, or set "
	    "chroot \"\")", missing, strerror(ENOENT));
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(sandbox_check(user, dir, err, sizeof(err)), 0);
	ck_assert_int_eq(sandbox_check(user, "", err, sizeof(err)), 0);
	ck_assert_int_eq(sandbox_check(user, NULL, err, sizeof(err)), 0);

	ck_assert_int_eq(unlink(file), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* sandbox_enter */

static int
enter_plain(void *arg)
{
	/* Root needs a user to become; anyone else keeps their own. */
	if (sandbox_enter(geteuid() == 0 ? "nobody" : NULL, NULL) == -1)
		return 1;
	if (always_dropped() != 0)
		return 2;
	return 0;
}

START_TEST(test_enter_always)
{
	struct ids	ids;
	int		logfd, rv;

	if (geteuid() == 0)
		ck_assert_msg(lookup_nobody(&ids) == 0, "no user nobody");
	logfd = log_file();
	rv = in_child(enter_plain, NULL, logfd);
	close(logfd);
	ck_assert_msg(rv == 0, "child failed check %d", rv);
}
END_TEST

static int
enter_chroot(void *arg)
{
	struct ids	*ids = arg;
	struct stat	 st;
	gid_t		 groups[8];
	char		 cwd[PATH_MAX];

	if (sandbox_enter("nobody", ids->dir) == -1)
		return 1;
	if (getuid() != ids->uid || geteuid() != ids->uid)
		return 2;
	if (getgid() != ids->gid || getegid() != ids->gid)
		return 3;
	if (getgroups(8, groups) != 1 || groups[0] != ids->gid)
		return 4;
	/* "/" is the temporary directory now, and the way out is gone. */
	if (stat("/marker", &st) == -1)
		return 5;
	if (getcwd(cwd, sizeof(cwd)) == NULL || strcmp(cwd, "/") != 0)
		return 6;
	if (stat(ids->dir, &st) != -1)
		return 7;
	if (setuid(0) != -1 || setgid(0) != -1)
		return 8;
	if (always_dropped() != 0)
		return 9;
	return 0;
}

START_TEST(test_enter_root_chroot)
{
	struct ids	 ids;
	char		 marker[PATH_MAX + 16], log[4096];
	int		 fd, logfd, rv;

	if (skip_unless_root("sandbox_enter as root with chroot"))
		return;
	ck_assert_msg(lookup_nobody(&ids) == 0, "no user nobody");
	strlcpy(ids.dir, "/tmp/check_sandbox.root.XXXXXX", sizeof(ids.dir));
	ck_assert_ptr_nonnull(mkdtemp(ids.dir));
	/* nobody must be able to look inside its new "/" */
	ck_assert_int_eq(chmod(ids.dir, 0755), 0);
	snprintf(marker, sizeof(marker), "%s/marker", ids.dir);
	ck_assert_int_ne(fd = open(marker, O_WRONLY | O_CREAT | O_EXCL,
	    0644), -1);
	close(fd);

	logfd = log_file();
	rv = in_child(enter_chroot, &ids, logfd);
	log_read(logfd, log, sizeof(log));

	ck_assert_int_eq(unlink(marker), 0);
	ck_assert_int_eq(rmdir(ids.dir), 0);
	ck_assert_msg(rv == 0, "child failed check %d; log:\n%s", rv, log);
	ck_assert_ptr_nonnull(strstr(log, "chrooted to"));
}
END_TEST

static int
enter_unprivileged(void *arg)
{
	struct ids	*ids = arg;
	uid_t		 uid = geteuid();

	/* Become an ordinary user first, without a chroot. */
	if (uid == 0) {
		if (sandbox_enter("nobody", NULL) == -1)
			return 1;
		uid = ids->uid;
	}
	if (geteuid() != uid)
		return 2;
	/*
	 * Neither the user nor the directory exists: 0 proves that the
	 * root-only steps were skipped, not attempted.
	 */
	if (sandbox_enter(NO_SUCH_USER, "/nonexistent/t38cm") == -1)
		return 3;
	if (getuid() != uid || geteuid() != uid)
		return 4;
	if (always_dropped() != 0)
		return 5;
	return 0;
}

START_TEST(test_enter_not_root)
{
	struct ids	ids;
	char		log[4096];
	int		logfd, rv;

	memset(&ids, 0, sizeof(ids));
	if (geteuid() == 0)
		ck_assert_msg(lookup_nobody(&ids) == 0, "no user nobody");
	logfd = log_file();
	rv = in_child(enter_unprivileged, &ids, logfd);
	log_read(logfd, log, sizeof(log));
	ck_assert_msg(rv == 0, "child failed check %d; log:\n%s", rv, log);
	ck_assert_ptr_nonnull(strstr(log, "user \"" NO_SUCH_USER "\" and "
	    "chroot \"/nonexistent/t38cm\" skipped"));
}
END_TEST

static int
enter_refused(void *arg)
{
	/* Each failure must leave the process as root, unchanged. */
	if (sandbox_enter(NO_SUCH_USER, NULL) != -1 || geteuid() != 0)
		return 1;
	if (sandbox_enter("nobody", "/nonexistent/t38cm") != -1 ||
	    geteuid() != 0)
		return 2;
	if (sandbox_enter(NULL, NULL) != -1 || geteuid() != 0)
		return 3;
	/* Last: the drop "succeeds", but root is still there to regain. */
	if (sandbox_enter("root", NULL) != -1)
		return 4;
	return 0;
}

START_TEST(test_enter_root_failures)
{
	char	log[4096];
	int	logfd, rv;

	if (skip_unless_root("sandbox_enter failures as root"))
		return;
	logfd = log_file();
	rv = in_child(enter_refused, NULL, logfd);
	log_read(logfd, log, sizeof(log));
	ck_assert_msg(rv == 0, "child failed check %d; log:\n%s", rv, log);
	ck_assert_ptr_nonnull(strstr(log, "user \"" NO_SUCH_USER "\" does "
	    "not exist"));
	ck_assert_ptr_nonnull(strstr(log, "chroot \"/nonexistent/t38cm\": "));
	ck_assert_ptr_nonnull(strstr(log, "refusing to keep root"));
	ck_assert_ptr_nonnull(strstr(log, "could regain uid 0"));
}
END_TEST

Suite *
sandbox_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sandbox");

	tc = tcase_create("check");
	tcase_add_test(tc, test_check_no_user);
	tcase_add_test(tc, test_check_chroot);
	suite_add_tcase(s, tc);

	tc = tcase_create("enter");
	tcase_add_test(tc, test_enter_always);
	tcase_add_test(tc, test_enter_not_root);
	tcase_add_test(tc, test_enter_root_chroot);
	tcase_add_test(tc, test_enter_root_failures);
	suite_add_tcase(s, tc);

	return s;
}
