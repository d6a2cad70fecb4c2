/*
 * Dropping privileges, the Linux way: chroot, setres[ug]id,
 * PR_SET_NO_NEW_PRIVS and a seccomp allowlist of system calls per process
 * kind where OpenBSD would pledge and unveil.
 *
 * A child runs this once it holds every descriptor it needs.  Run by hand
 * as an ordinary user (development, tests) there is nothing to drop, but
 * the steps that need no privilege still apply, the system call filter
 * among them: PR_SET_NO_NEW_PRIVS is what lets an unprivileged process
 * load one.  The allowlists are at the end of this file.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "sandbox.h"

static int	sandbox_nouser(int);
static int	sandbox_setuser(const char *, const char *);
static int	sandbox_noproc(void);

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

/* A resource limit of 0, soft and hard. */
static int
sandbox_rlimit_zero(int resource, const char *name)
{
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(resource, &rl) == -1) {
		log_warn("setrlimit %s", name);
		return -1;
	}
	return 0;
}

/* A core file could hold keys, tokens and client data. */
int
sandbox_nocore(void)
{
	if (sandbox_rlimit_zero(RLIMIT_CORE, "RLIMIT_CORE") == -1)
		return -1;
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

/*
 * A process that creates none has no use for the right to: a fork()
 * that got past the filter, or a filter turned off, still fails.  The
 * limit is the calling process's own, checked against the processes of
 * its uid: when not started as root that uid is the operator's, whose
 * other processes, the supervisor among them, keep their own limits.
 */
static int
sandbox_noproc(void)
{
	return sandbox_rlimit_zero(RLIMIT_NPROC, "RLIMIT_NPROC");
}

int
sandbox_enter(int kind, const char *user, const char *dir, int filter)
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
	if (sandbox_nocore() == -1)
		return -1;
	/*
	 * The leak checker of a sanitizer build clones a tracer at exit;
	 * see SANDBOX_SANITIZED.
	 */
	if (!SANDBOX_SANITIZED && !sandbox_spawns(kind) &&
	    sandbox_noproc() == -1)
		return -1;
	/* Last: the steps above make calls the filter forbids. */
	if (filter && sandbox_filter(kind) == -1)
		return -1;
	return 0;
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
			    "and the admin are not chrooted (create it, or set "
			    "\"chroot\")",
			    cfg->chroot);
		sandbox_replace(&cfg->chroot, "");
	}
}

/* System call allowlists -------------------------------------------------
 *
 * One filter per process kind, built from what each kind was seen to call
 * after sandbox_enter() (strace -f of a running node: Redis and Tile38,
 * reloads, switchovers, /metrics, /health, the control socket, DogStatsD)
 * plus the exit paths.  Names, not numbers: libseccomp resolves them for
 * the architecture it runs on, and a name this architecture lacks ("open"
 * on arm64) is left out.
 *
 * A call outside the list kills the whole process (SCMP_ACT_KILL_PROCESS)
 * rather than trapping it: no handler runs in a process that may be
 * compromised, nothing can block, catch or outlive it, and the kernel's
 * audit log names the call (type=1326 ... syscall=N).  The supervisor
 * says so when it sees a child killed by SIGSYS, and restarts it.
 */

/* Every child: its event loop, the channel, logging, memory, exit. */
static const char *const sb_all[] = {
	/* the epoll loop and its clock */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "clock_gettime",
	"clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep",
	/* the supervisor channel (descriptors come by SCM_RIGHTS) */
	"read", "readv", "write", "writev", "recvmsg", "sendmsg", "close",
	/* syslog(3) and sockets held: send/recv are sendto/recvfrom */
	"sendto", "recvfrom", "shutdown", "getsockopt", "setsockopt",
	"getsockname", "getpeername",
	/* stdio on stderr, qsort's memory probe, a limit read */
	"fstat", "sysinfo", "getrlimit",
	/* malloc, OpenSSL's and libc's locks */
	"brk", "munmap", "mremap", "madvise", "futex", "sched_yield",
	/* OpenSSL's and libc's randomness */
	"getrandom",
	/* signals, abort(3) (tgkill is limited to ourselves below) */
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "getpid",
	"gettid", "restart_syscall",
	/* exit, of a thread or of the process */
	"exit", "exit_group",
};

/*
 * The elector talks HTTP to Consul through libcurl and RESP to the local
 * server.  It keeps the file system: name lookups read /etc/hosts,
 * resolv.conf and nsswitch.conf (and may load an NSS module), and a
 * reload reads Consul's CA, certificate and key again.  libcurl's
 * threaded resolver starts threads; no process.
 */
static const char *const sb_elector[] = {
	"connect", "socketpair", "bind", "poll", "ppoll", "select",
	"pselect6", "lseek", "newfstatat", "statx", "stat",
	"uname",
	/* threads of the resolver: clone itself is checked below */
	"set_robust_list", "rseq", "sched_getaffinity",
};

/*
 * A proxy accepts clients on the descriptor of its listener and dials
 * upstreams: the local server (TCP or UNIX), peers (TCP, TLS by
 * OpenSSL).  It opens no file and starts nothing.
 */
static const char *const sb_proxy[] = {
	"accept4", "accept", "connect",
};

/*
 * The admin serves HTTP and the control socket on descriptors the
 * supervisor bound, and sends DogStatsD datagrams on sockets opened
 * before the sandbox.  It opens no file, creates no socket and starts
 * nothing.
 */
static const char *const sb_admin[] = {
	"accept4", "accept",
};

#if SANDBOX_SANITIZED
/*
 * The sanitizers' own needs, in a build with them only: at exit the leak
 * checker clones a tracer task (no CLONE_THREAD), which ptrace()s the
 * process's threads, lists /proc/PID/task (getdents), reads
 * /proc/self/maps and waits for them; a report asks whether stderr is a
 * terminal (ioctl) and reads /proc/self/exe.  The process is made
 * dumpable again for the tracer (prctl).
 */
static const char *const sb_sanitizer[] = {
	"clone", "ptrace", "wait4", "waitid", "prctl", "openat", "open",
	"readlink", "readlinkat", "getdents", "getdents64", "ioctl",
	"sigaltstack", "lseek", "newfstatat", "stat", "sched_getaffinity",
	"kill", "tgkill", "getppid", "prlimit64", "getrlimit",
	"set_robust_list", "rseq",
};
#endif

int
sandbox_spawns(int kind)
{
	return kind == PROC_ELECTOR;
}

#define SB_ALLOW(ctx, list)	sb_allow((ctx), (list), \
				    sizeof(list) / sizeof((list)[0]))

static int
sb_allow(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	size_t	i;
	int	nr, rv;

	for (i = 0; i < n; i++) {
		/* Negative: unknown, or a call this architecture lacks. */
		if ((nr = seccomp_syscall_resolve_name(names[i])) < 0)
			continue;
		if ((rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0) {
			log_warnx("seccomp: allow %s: %s", names[i],
			    strerror(-rv));
			return -1;
		}
	}
	return 0;
}

/* One rule with conditions on arguments; a missing call is no error. */
static int
sb_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int argc, const struct scmp_arg_cmp *argv)
{
	int	nr, rv;

	if ((nr = seccomp_syscall_resolve_name(name)) < 0)
		return 0;
	if ((rv = seccomp_rule_add_array(ctx, action, nr, argc, argv)) < 0) {
		log_warnx("seccomp: rule for %s: %s", name, strerror(-rv));
		return -1;
	}
	return 0;
}

#define SB_RULE(ctx, act, name, ...) \
	sb_rule((ctx), (act), (name), \
	    sizeof((struct scmp_arg_cmp[]){ __VA_ARGS__ }) / \
	    sizeof(struct scmp_arg_cmp), (struct scmp_arg_cmp[]){ __VA_ARGS__ })

/* Arguments checked where that is cheap and says something. */
static int
sb_args(scmp_filter_ctx ctx, int kind)
{
	const scmp_datum_t	 rdonly = O_ACCMODE | O_CREAT | O_TRUNC |
	    O_APPEND | (O_TMPFILE & ~O_DIRECTORY);
	const scmp_datum_t	 type = 0xf;	/* the type, not its flags */
	int			 rv = 0;

	/* A limit read (the proxies' descriptor budget), never set. */
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "prlimit64",
	    SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));

	/* Signals only to our own threads: abort(3), raise(3). */
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "tgkill",
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));

	/*
	 * No memory that is both ours to write and executable: mappings
	 * and protections without PROT_EXEC.  The elector alone may map a
	 * file executable, for an NSS module that a name lookup loads.
	 */
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "mmap",
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "mprotect",
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (kind == PROC_ELECTOR)
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "mmap",
		    SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, 0));

	/*
	 * stdio's fstat of an open descriptor; a path is looked up by the
	 * elector only.
	 */
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "newfstatat",
	    SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "fcntl",
	    SCMP_A1(SCMP_CMP_EQ, F_GETFL));
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "fcntl",
	    SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "fcntl",
	    SCMP_A1(SCMP_CMP_EQ, F_GETFD));
	rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "fcntl",
	    SCMP_A1(SCMP_CMP_EQ, F_SETFD));

	/*
	 * glibc starts a thread with clone3, whose flags are out of a
	 * filter's reach: ENOSYS sends it back to clone, where they are
	 * checked.  Threads yes, processes no.
	 */
	rv |= SB_RULE(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3");
	if (sandbox_spawns(kind))
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "clone",
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));

	switch (kind) {
	case PROC_ELECTOR:
		/*
		 * TCP and UNIX stream sockets for Consul and the local
		 * server, datagrams for DNS, NETLINK_ROUTE for getaddrinfo's
		 * look at the interfaces, AF_UNIX datagrams for syslog.
		 */
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_INET));
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_INET6));
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
		    SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE));
		/* Files are read, never written or created. */
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "openat",
		    SCMP_A2(SCMP_CMP_MASKED_EQ, rdonly, O_RDONLY));
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "open",
		    SCMP_A1(SCMP_CMP_MASKED_EQ, rdonly, O_RDONLY));
		break;
	case PROC_WRITER:
	case PROC_READER:
	case PROC_BRIDGE:
		/* Upstreams: TCP, or the local server's UNIX socket. */
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_INET),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, type, SOCK_STREAM));
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_INET6),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, type, SOCK_STREAM));
		/* ...and syslog's socket, opened again if the log restarts. */
		rv |= SB_RULE(ctx, SCMP_ACT_ALLOW, "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
		break;
	case PROC_ADMIN:
		/*
		 * syslog(3) opens its socket again when the log daemon
		 * restarted: refused, rather than fatal, as the chroot
		 * would have made it fail anyway.
		 */
		rv |= SB_RULE(ctx, SCMP_ACT_ERRNO(EACCES), "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
		break;
	}
	return rv == 0 ? 0 : -1;
}

int
sandbox_filter(int kind)
{
	scmp_filter_ctx	ctx;
	int		rv;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		log_warnx("seccomp: cannot make a filter");
		return -1;
	}
	/* A call by another ABI (32-bit x86 on x86-64) gets no pass. */
	if ((rv = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		log_warnx("seccomp: bad architecture action: %s",
		    strerror(-rv));
		goto fail;
	}
	if (SB_ALLOW(ctx, sb_all) == -1)
		goto fail;
	switch (kind) {
	case PROC_ELECTOR:
		rv = SB_ALLOW(ctx, sb_elector);
		break;
	case PROC_WRITER:
	case PROC_READER:
	case PROC_BRIDGE:
		rv = SB_ALLOW(ctx, sb_proxy);
		break;
	case PROC_ADMIN:
		rv = SB_ALLOW(ctx, sb_admin);
		break;
	default:
		log_warnx("seccomp: no allowlist for process kind %d", kind);
		goto fail;
	}
	if (rv == -1 || sb_args(ctx, kind) == -1)
		goto fail;
#if SANDBOX_SANITIZED
	if (SB_ALLOW(ctx, sb_sanitizer) == -1)
		goto fail;
#endif
	if ((rv = seccomp_load(ctx)) < 0) {
		log_warnx("seccomp: loading the %s filter: %s",
		    proc_name(kind), strerror(-rv));
		goto fail;
	}
	seccomp_release(ctx);
	log_debug("system call filter for the %s loaded", proc_name(kind));
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}

/* Whether children of this daemon are chrooted at all. */
static int
sandbox_chroots(const struct config *cfg)
{
	return geteuid() == 0 && cfg->chroot != NULL && *cfg->chroot != '\0';
}

const char *
sandbox_root(const struct config *cfg, int kind, char *buf, size_t len)
{
	const char	*sock = cfg->server_socket, *slash;

	if (kind == PROC_ELECTOR || cfg->chroot == NULL ||
	    *cfg->chroot == '\0')
		return NULL;
	if (!PROC_IS_PROXY(kind) || sock == NULL || *sock == '\0')
		return cfg->chroot;
	slash = strrchr(sock, '/');
	if (slash == sock)
		return "/";
	if ((size_t)(slash - sock) >= len)
		return NULL;
	memcpy(buf, sock, (size_t)(slash - sock));
	buf[slash - sock] = '\0';
	return buf;
}

const char *
sandbox_socket_path(const struct config *cfg, char *buf, size_t len)
{
	const char	*sock = cfg->server_socket;

	if (!sandbox_chroots(cfg))
		return sock;
	if ((size_t)snprintf(buf, len, "%s", strrchr(sock, '/')) >= len)
		return NULL;
	return buf;
}
