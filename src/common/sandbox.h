/*
 * The one place where a child gives up privileges, once it holds every
 * file descriptor it needs.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>

struct config;

/* Who the children run as when "user" is left at a default that is missing. */
#define SANDBOX_FALLBACK_USER	"nobody"

/*
 * Built with AddressSanitizer (and UBSan with it): the sandbox lets the
 * sanitizers' run-time do at exit what it needs to (sandbox.c).
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZED	1
#endif
#endif
#ifndef SANDBOX_SANITIZED
#define SANDBOX_SANITIZED	0
#endif

/*
 * Always: no core dumps (RLIMIT_CORE 0, PR_SET_DUMPABLE 0) and
 * PR_SET_NO_NEW_PRIVS.  Only when running as root: chroot to dir (when dir
 * is neither NULL nor ""), then switch to user's uid, gid and groups with
 * setres[ug]id, and verify root cannot be regained.  A kind (PROC_*) that
 * starts no thread or process gets RLIMIT_NPROC 0.  Last, when filter is
 * set, the system call allowlist of kind (sandbox_filter()).
 * Returns 0, or -1 with the reason logged.
 */
int	sandbox_enter(int kind, const char *user, const char *chroot_dir,
	    int filter);

/*
 * Load the seccomp filter of a child kind (PROC_ELECTOR ... PROC_ADMIN):
 * from then on a system call outside its allowlist kills the process
 * with SIGSYS.  Needs PR_SET_NO_NEW_PRIVS or root.  Returns 0, or -1 with
 * the reason logged.
 */
int	sandbox_filter(int kind);

/* Whether a kind starts threads (the elector's resolver). */
int	sandbox_spawns(int kind);

/*
 * Start-up check run by the supervisor as root: user exists and dir (if
 * set) is a directory.  Returns 0, or -1 with a message in err.
 */
int	sandbox_check(const char *user, const char *chroot_dir, char *err,
	    size_t errlen);

/*
 * As root, on a host where "user" or "chroot" left at its default does
 * not exist (no sysusers.d or tmpfiles.d ran: a manager started with the
 * Go original's flags alone), fall back to SANDBOX_FALLBACK_USER and to
 * no chroot, with a warning when warn is set.  A value that was given is
 * kept, so sandbox_check() still refuses it when missing.  The
 * supervisor applies this to every configuration it loads, so a reload
 * sees the same values.
 */
void	sandbox_defaults(struct config *, int warn);

/*
 * No core file (RLIMIT_CORE 0) and not dumpable: no process of the same
 * user may read our memory or /proc/PID/environ, nor ptrace us.  Part of
 * sandbox_enter(); the supervisor, which holds every secret, calls it at
 * start.  Returns 0, or -1 with the reason logged.
 */
int	sandbox_nocore(void);

/*
 * The directory a child of that kind is chrooted to when started as root,
 * or NULL for none: the elector keeps the file system, the admin takes
 * "chroot", and so do the proxies, unless the local server is reached
 * over server.socket: then its directory, where alone they can reach it.
 * "chroot" "" turns every chroot off.  buf holds a directory made here.
 */
const char	*sandbox_root(const struct config *, int kind, char *buf,
		    size_t len);
/*
 * server.socket as a proxy sees it once sandboxed: "/NAME" in its chroot,
 * the path itself where there is none.  NULL when it does not fit.
 */
const char	*sandbox_socket_path(const struct config *, char *buf,
		    size_t len);

#endif
