/*
 * Sandbox tests.  sandbox_enter() changes the process for good, so each
 * call runs in a child of its own; the child reports the first check that
 * failed as its exit status (0: all passed) and its log goes to a file
 * the test reads afterwards.  The tests that switch users need root and
 * say so when they are skipped.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "sandbox.h"
#include "suites.h"

#define NO_SUCH_USER	"t38cm-no-such-user"

struct ids {
	uid_t	uid;
	gid_t	gid;
	char	dir[PATH_MAX];
};

typedef int	(*child_fn)(void *);

static int	last_status;	/* of the last in_child() */

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
	last_status = status;
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

/* Where each kind is chrooted, and how a proxy names server.socket. */
START_TEST(test_roots)
{
	struct config	 cfg;
	char		 buf[PATH_MAX], sock[108];
	const char	*p;

	config_init(&cfg);
	ck_assert_ptr_null(sandbox_root(&cfg, PROC_ELECTOR, buf, sizeof(buf)));
	ck_assert_str_eq(sandbox_root(&cfg, PROC_WRITER, buf, sizeof(buf)),
	    "/var/empty");
	ck_assert_str_eq(sandbox_root(&cfg, PROC_ADMIN, buf, sizeof(buf)),
	    "/var/empty");

	free(cfg.server_socket);
	ck_assert_ptr_nonnull(cfg.server_socket = strdup("/run/t38/t.sock"));
	ck_assert_str_eq(sandbox_root(&cfg, PROC_READER, buf, sizeof(buf)),
	    "/run/t38");
	ck_assert_str_eq(sandbox_root(&cfg, PROC_BRIDGE, buf, sizeof(buf)),
	    "/run/t38");
	ck_assert_str_eq(sandbox_root(&cfg, PROC_ADMIN, buf, sizeof(buf)),
	    "/var/empty");
	ck_assert_ptr_null(sandbox_root(&cfg, PROC_ELECTOR, buf, sizeof(buf)));
	p = sandbox_socket_path(&cfg, sock, sizeof(sock));
	ck_assert_str_eq(p, geteuid() == 0 ? "/t.sock" : "/run/t38/t.sock");

	free(cfg.server_socket);
	ck_assert_ptr_nonnull(cfg.server_socket = strdup("/t.sock"));
	ck_assert_str_eq(sandbox_root(&cfg, PROC_WRITER, buf, sizeof(buf)),
	    "/");

	/* chroot "" turns them all off; the socket keeps its path. */
	free(cfg.chroot);
	ck_assert_ptr_nonnull(cfg.chroot = strdup(""));
	ck_assert_ptr_null(sandbox_root(&cfg, PROC_WRITER, buf, sizeof(buf)));
	ck_assert_ptr_null(sandbox_root(&cfg, PROC_ADMIN, buf, sizeof(buf)));
	ck_assert_str_eq(sandbox_socket_path(&cfg, sock, sizeof(sock)),
	    "/t.sock");
	config_clear(&cfg);
}
END_TEST

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
	if (sandbox_enter(PROC_ELECTOR, geteuid() == 0 ? "nobody" : NULL,
	    NULL, 0) == -1)
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

	if (sandbox_enter(PROC_ELECTOR, "nobody", ids->dir, 0) == -1)
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
		if (sandbox_enter(PROC_ELECTOR, "nobody", NULL, 0) == -1)
			return 1;
		uid = ids->uid;
	}
	if (geteuid() != uid)
		return 2;
	/*
	 * Neither the user nor the directory exists: 0 proves that the
	 * root-only steps were skipped, not attempted.
	 */
	if (sandbox_enter(PROC_ELECTOR, NO_SUCH_USER, "/nonexistent/t38cm",
	    0) == -1)
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
	if (sandbox_enter(PROC_ELECTOR, NO_SUCH_USER, NULL, 0) != -1 ||
	    geteuid() != 0)
		return 1;
	if (sandbox_enter(PROC_ELECTOR, "nobody", "/nonexistent/t38cm",
	    0) != -1 || geteuid() != 0)
		return 2;
	if (sandbox_enter(PROC_ELECTOR, NULL, NULL, 0) != -1 ||
	    geteuid() != 0)
		return 3;
	/* Last: the drop "succeeds", but root is still there to regain. */
	if (sandbox_enter(PROC_ELECTOR, "root", NULL, 0) != -1)
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

/* The system call filters */

/* What a sandboxed child of some kind tries, and whether it must die. */
struct sys_try {
	int		 kind;
	const char	*what;
	int		 killed;	/* by SIGSYS, or it returns 0 */
};

static int	(*sys_call)(const struct sys_try *);

static void *
thread_fn(void *arg)
{
	return arg;
}

static int
try_call(const struct sys_try *t)
{
	char		*argv[] = { "true", NULL };
	pthread_t	 th;
	void		*p;
	int		 fd, pfd[2];

	if (strcmp(t->what, "execve") == 0)
		execve("/bin/true", argv, argv + 1);
	else if (strcmp(t->what, "socket inet stream") == 0)
		socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(t->what, "socket inet dgram") == 0)
		socket(AF_INET, SOCK_DGRAM, 0);
	else if (strcmp(t->what, "open read") == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) == -1)
			return 10;
		close(fd);
	} else if (strcmp(t->what, "open write") == 0)
		open("/dev/null", O_WRONLY);
	else if (strcmp(t->what, "fork") == 0) {
		/* Past the filter (it should not be), the child leaves. */
		if (fork() == 0)
			_exit(0);
	} else if (strcmp(t->what, "thread") == 0) {
		if (pthread_create(&th, NULL, thread_fn, NULL) != 0 ||
		    pthread_join(th, NULL) != 0)
			return 11;
	} else if (strcmp(t->what, "mmap exec") == 0)
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0);
	else if (strcmp(t->what, "ptrace") == 0)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	else if (strcmp(t->what, "channel") == 0) {
		/* What every child does: a socketpair's messages, memory. */
		if (close(STDIN_FILENO) == -1 || (p = malloc(1 << 20)) == NULL)
			return 12;
		free(p);
		(void)pfd;
		log_info("still alive");
	} else
		return 13;
	return 0;
}

static int
filter_child(void *arg)
{
	const struct sys_try	*t = arg;

	if (sandbox_enter(t->kind, geteuid() == 0 ? "nobody" : NULL, NULL,
	    1) == -1)
		return 1;
	return sys_call(t);
}

static const struct sys_try sys_tries[] = {
	/* Nobody runs a program, whatever the sanitizers need. */
	{ PROC_ELECTOR, "execve", 1 },
	{ PROC_WRITER, "execve", 1 },
	{ PROC_READER, "execve", 1 },
	{ PROC_BRIDGE, "execve", 1 },
	{ PROC_ADMIN, "execve", 1 },
	/* The admin creates no socket; a proxy dials TCP only. */
	{ PROC_ADMIN, "socket inet stream", 1 },
	{ PROC_ADMIN, "socket inet dgram", 1 },
	{ PROC_WRITER, "socket inet dgram", 1 },
	{ PROC_WRITER, "socket inet stream", 0 },
	{ PROC_ELECTOR, "socket inet stream", 0 },
	{ PROC_ELECTOR, "socket inet dgram", 0 },
	/* No executable memory outside the elector's NSS modules. */
	{ PROC_WRITER, "mmap exec", 1 },
	{ PROC_ADMIN, "mmap exec", 1 },
	{ PROC_ELECTOR, "mmap exec", 1 },
	/* The elector reads files and starts threads, nothing else. */
	{ PROC_ELECTOR, "open read", 0 },
	{ PROC_ELECTOR, "thread", 0 },
	/* Everyone's daily bread. */
	{ PROC_ELECTOR, "channel", 0 },
	{ PROC_WRITER, "channel", 0 },
	{ PROC_ADMIN, "channel", 0 },
#if !SANDBOX_SANITIZED
	/* The sanitizers' leak check opens, clones and ptraces. */
	{ PROC_ELECTOR, "open write", 1 },
	{ PROC_ELECTOR, "fork", 1 },
	{ PROC_BRIDGE, "open read", 1 },
	{ PROC_ADMIN, "open read", 1 },
	{ PROC_READER, "fork", 1 },
	{ PROC_ADMIN, "fork", 1 },
	{ PROC_ADMIN, "ptrace", 1 },
#endif
};

START_TEST(test_filter_calls)
{
	const struct sys_try	*t = &sys_tries[_i];
	char			 log[4096];
	int			 logfd, rv;

	sys_call = try_call;
	logfd = log_file();
	rv = in_child(filter_child, (void *)t, logfd);
	log_read(logfd, log, sizeof(log));
	if (t->killed)
		ck_assert_msg(WIFSIGNALED(last_status) &&
		    WTERMSIG(last_status) == SIGSYS, "%s in the %s: status "
		    "%#x, not killed by SIGSYS; log:\n%s", t->what,
		    proc_name(t->kind), last_status, log);
	else
		ck_assert_msg(rv == 0, "%s in the %s: status %#x; log:\n%s",
		    t->what, proc_name(t->kind), last_status, log);
}
END_TEST

static int
noproc_child(void *arg)
{
	const int	*kind = arg;
	struct rlimit	 rl;
	pid_t		 pid;

	if (sandbox_enter(*kind, geteuid() == 0 ? "nobody" : NULL, NULL,
	    0) == -1)
		return 1;
	if (getrlimit(RLIMIT_NPROC, &rl) == -1)
		return 2;
	if (sandbox_spawns(*kind))
		return rl.rlim_cur == 0 ? 3 : 0;
	if (rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 4;
	/* The limit alone, with the filter off, stops a fork(). */
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid != -1 || errno != EAGAIN)
		return 5;
	return 0;
}

START_TEST(test_noproc)
{
	int	kind, logfd, rv;

	if (SANDBOX_SANITIZED) {
		fprintf(stderr, "check_sandbox: RLIMIT_NPROC: SKIPPED, the "
		    "sanitizers' leak check needs a process\n");
		return;
	}
	for (kind = PROC_ELECTOR; kind < PROC_MAX; kind++) {
		/* Root is exempt from the limit until it drops to nobody. */
		logfd = log_file();
		rv = in_child(noproc_child, &kind, logfd);
		close(logfd);
		ck_assert_msg(rv == 0, "%s: check %d", proc_name(kind), rv);
	}
}
END_TEST

#if SANDBOX_SANITIZED
static void *volatile	leaked;

/* A leak at exit, which the leak checker must find under the filter. */
static int
leak_child(void *arg)
{
	const int	*kind = arg;

	if (sandbox_enter(*kind, geteuid() == 0 ? "nobody" : NULL, NULL,
	    1) == -1)
		return 1;
	leaked = malloc(64);
	leaked = NULL;
	exit(0);
}
#endif

START_TEST(test_filter_leak_check)
{
#if SANDBOX_SANITIZED
	char	log[8192];
	int	kind, logfd, rv;

	for (kind = PROC_ELECTOR; kind < PROC_MAX; kind++) {
		logfd = log_file();
		rv = in_child(leak_child, &kind, logfd);
		log_read(logfd, log, sizeof(log));
		ck_assert_msg(rv > 0 && strstr(log, "LeakSanitizer: detected "
		    "memory leaks") != NULL, "%s: status %#x, leak check "
		    "did not report; log:\n%s", proc_name(kind), last_status,
		    log);
	}
#else
	fprintf(stderr, "check_sandbox: leak check under the filters: "
	    "SKIPPED, not a sanitizer build\n");
#endif
}
END_TEST

Suite *
sandbox_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sandbox");

	tc = tcase_create("check");
	tcase_add_test(tc, test_roots);
	tcase_add_test(tc, test_check_no_user);
	tcase_add_test(tc, test_check_chroot);
	suite_add_tcase(s, tc);

	tc = tcase_create("enter");
	tcase_add_test(tc, test_enter_always);
	tcase_add_test(tc, test_enter_not_root);
	tcase_add_test(tc, test_enter_root_chroot);
	tcase_add_test(tc, test_enter_root_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("filter");
	tcase_add_loop_test(tc, test_filter_calls, 0,
	    (int)(sizeof(sys_tries) / sizeof(sys_tries[0])));
	tcase_add_test(tc, test_noproc);
	tcase_add_test(tc, test_filter_leak_check);
	suite_add_tcase(s, tc);

	return s;
}
