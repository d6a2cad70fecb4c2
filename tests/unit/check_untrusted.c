/*
 * The supervisor against children that break the protocol.  Each test
 * forks a real process that plays a child on its end of a socketpair,
 * hands the other end to the supervisor's own code (sv_child_attach) and
 * runs the supervisor's event loop until it has acted; the process is
 * then reaped and its status given to sv_child_reaped() as SIGCHLD
 * would.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "metrics.h"
#include "suites.h"
#include "supervisor/supervisor.h"

/* A child left behind by a failed test dies on its own by then. */
#define ROGUE_LIFETIME_S	30
/* How long the supervisor gets to act. */
#define ACT_MS			3000

static struct supervisor	 sv;
static pid_t			 rogue_pid;
static struct ev_timer		 watch;
static uint64_t			 deadline;
static int			(*until)(void);

static void
setup(void)
{
	int	k;

	memset(&sv, 0, sizeof(sv));
	ck_assert_ptr_nonnull(sv.loop = ev_loop_new());
	config_init(&sv.cfg);
	sv.generation = 1;
	sv.ctl_fd = -1;
	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		struct sv_child	*ch = &sv.children[k];

		ch->sv = &sv;
		ch->kind = k;
		backoff_init(&ch->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS,
		    BACKOFF_STABLE_MS);
		ev_timer_init(&ch->timer, NULL, NULL);
		sv.listeners[k].fd = -1;
	}
	rogue_pid = -1;
}

static void
teardown(void)
{
	int	k, status;

	if (rogue_pid > 0) {
		kill(rogue_pid, SIGKILL);
		waitpid(rogue_pid, &status, 0);
	}
	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		struct sv_child	*ch = &sv.children[k];

		ev_timer_stop(sv.loop, &ch->timer);
		ev_timer_stop(sv.loop, &ch->hb_timer);
		if (ch->chan != NULL) {
			ev_io_stop(sv.loop, &ch->io);
			ichan_free(ch->chan);
		}
	}
	ev_timer_stop(sv.loop, &watch);
	ev_loop_free(sv.loop);
	config_clear(&sv.cfg);
	sv_state_free(&sv);
}

static int
count_open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* The rogue's side.  No Check calls here: it is not the test process. */

static int
rogue_flush(struct ichan *c)
{
	struct pollfd	pfd;
	int		rv;

	while ((rv = ichan_flush(c)) == 1) {
		pfd.fd = ichan_fd(c);
		pfd.events = POLLOUT;
		poll(&pfd, 1, 1000);
	}
	return rv;
}

/* Say hello; read what the supervisor sends up to MSG_START when asked. */
static void
rogue_hello(struct ichan *c, int kind, int wait_start)
{
	struct imsg	m;
	struct pollfd	pfd;
	ssize_t		n;
	int		rv, started = 0;

	if (proto_send_hello(c, kind) == -1 || rogue_flush(c) == -1)
		_exit(2);
	while (wait_start && !started) {
		pfd.fd = ichan_fd(c);
		pfd.events = POLLIN;
		poll(&pfd, 1, 1000);
		n = ichan_read(c);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			_exit(2);
		while ((rv = ichan_get(c, &m)) == 1) {
			started |= m.hdr.type == MSG_START;
			imsg_free(&m);
		}
		if (rv == -1)
			_exit(2);
	}
}

static void
rogue_ready(struct ichan *c)
{
	if (proto_send_empty(c, MSG_READY) == -1 || rogue_flush(c) == -1)
		_exit(2);
}

static void
rogue_wait(void)
{
	for (;;)
		pause();
}

enum fd_mode {
	FD_UNANNOUNCED,		/* one fd, IMSGF_HASFD not set */
	FD_ANNOUNCED,		/* one fd, IMSGF_HASFD set */
	FD_TWO,			/* two fds, IMSGF_HASFD set */
	FD_MODES
};

static const char *const fd_mode_names[FD_MODES] = {
	"unannounced", "announced", "two per message",
};

/* One message of type with payload, and nfds descriptors for fd. */
static int
rogue_send_fds(int sock, uint32_t type, uint16_t flags, const void *data,
    size_t len, int fd, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 2)];
	}		 cmsgbuf;
	struct imsg_hdr	 hdr;
	struct msghdr	 msg;
	struct iovec	 iov[2];
	struct cmsghdr	*cmsg;
	struct pollfd	 pfd;
	int		 fds[2] = { fd, fd };
	ssize_t		 n;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint16_t)(IMSG_HEADER_SIZE + len);
	hdr.flags = flags;
	hdr.pid = (uint32_t)getpid();
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	for (;;) {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n != -1 || errno != EAGAIN)
			break;
		pfd.fd = sock;
		pfd.events = POLLOUT;
		poll(&pfd, 1, 1000);
	}
	/* Whole or nothing: these are small. */
	return n == (ssize_t)(sizeof(hdr) + len) ? 0 : -1;
}

/*
 * Ready, then 500 statistics messages, valid but for the descriptors
 * they carry, until the supervisor hangs up.
 */
static void
rogue_fd_flood(struct ichan *c, int kind, int mode)
{
	struct metric_set	*set;
	uint8_t			 buf[1024];
	int			 i, n, fd;

	rogue_hello(c, kind, 1);
	rogue_ready(c);
	if ((set = calloc(1, sizeof(*set))) == NULL)
		_exit(2);
	metric_set_init(set);
	if ((n = msg_stats_encode(set, buf, sizeof(buf))) == -1)
		_exit(2);
	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		_exit(2);
	for (i = 0; i < 500; i++)
		if (rogue_send_fds(ichan_fd(c), MSG_STATS,
		    mode == FD_UNANNOUNCED ? 0 : IMSGF_HASFD, buf, (size_t)n,
		    fd, mode == FD_TWO ? 2 : 1) == -1)
			break;
	rogue_wait();
}

/* Ready without reading a byte of what the supervisor sends. */
static void
rogue_deaf(struct ichan *c, int kind, int arg)
{
	rogue_hello(c, kind, 0);
	rogue_ready(c);
	rogue_wait();
}

/* Ready, then read and drop everything. */
static void
rogue_reader(struct ichan *c, int kind, int arg)
{
	struct imsg	m;
	struct pollfd	pfd;
	ssize_t		n;

	rogue_hello(c, kind, 1);
	rogue_ready(c);
	for (;;) {
		pfd.fd = ichan_fd(c);
		pfd.events = POLLIN;
		poll(&pfd, 1, 1000);
		n = ichan_read(c);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			_exit(0);
		while (ichan_get(c, &m) == 1)
			imsg_free(&m);
	}
}

/* Exit 78 once started, after reporting ready or not. */
static void
rogue_exit_config(struct ichan *c, int kind, int ready)
{
	rogue_hello(c, kind, 1);
	if (ready)
		rogue_ready(c);
	_exit(CHILD_EXIT_CONFIG);
}

static struct sv_child *
rogue_start(int kind, void (*play)(struct ichan *, int, int), int arg)
{
	struct sv_child	*ch = &sv.children[kind];
	struct ichan	*c;
	int		 sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	ck_assert_int_ne(rogue_pid = fork(), -1);
	if (rogue_pid == 0) {
		close(sp[0]);
		alarm(ROGUE_LIFETIME_S);
		if ((c = ichan_new(sp[1])) == NULL)
			_exit(2);
		play(c, kind, arg);
		_exit(0);
	}
	close(sp[1]);
	ck_assert_int_eq(sv_child_attach(ch, sp[0], rogue_pid), 0);
	return ch;
}

/* Reap the rogue and tell the supervisor, as its SIGCHLD handler does. */
static int
rogue_reap(struct sv_child *ch)
{
	int	status;

	ck_assert_int_eq(waitpid(rogue_pid, &status, 0), rogue_pid);
	rogue_pid = -1;
	sv_child_reaped(ch, status);
	return status;
}

static void
watch_cb(void *arg)
{
	if (until() || ev_now() >= deadline)
		ev_break(sv.loop);
	else
		ev_timer_start(sv.loop, &watch, 5);
}

/* Run the supervisor's loop until cond() holds or ms have passed. */
static void
run_until(int (*cond)(void), uint64_t ms)
{
	until = cond;
	deadline = ev_now() + ms;
	ev_timer_init(&watch, watch_cb, NULL);
	ev_timer_start(sv.loop, &watch, 0);
	ck_assert_int_eq(ev_run(sv.loop), 0);
	ev_timer_stop(sv.loop, &watch);
}

static int
reader_closed(void)
{
	return sv.children[PROC_READER].chan == NULL;
}

static int
reader_ready(void)
{
	return sv.children[PROC_READER].state == CHILD_READY;
}

static int
reader_drained(void)
{
	struct sv_child	*ch = &sv.children[PROC_READER];

	return ch->chan == NULL || ichan_queued(ch->chan) == 0;
}

/* A proxy's configuration of some 16 kB: four options of 4 kB. */
static void
big_config(void)
{
	const char *const	keys[] = { "proxy.writer.commands",
	    "proxy.reader.commands", "proxy.writer.grant",
	    "proxy.reader.grant" };
	char			value[CONFIG_LINE_MAX - 64], err[256];
	size_t			i;

	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_int_eq(config_set(&sv.cfg, opt_lookup(keys[i]),
		    value, err, sizeof(err)), 0);
}

/*
 * The case: 500 messages, each with a descriptor, used to leave
 * 500 more open fds in the supervisor.  However the descriptor comes, the
 * first one closes the channel and kills the child, the supervisor holds
 * no more fds than before, and the child is restarted.
 */
START_TEST(test_fd_flood)
{
	struct sv_child	*ch;
	int		 baseline, status;

	baseline = count_open_fds();
	ch = rogue_start(PROC_READER, rogue_fd_flood, _i);
	run_until(reader_closed, ACT_MS);
	ck_assert_msg(ch->chan == NULL, "%s: channel still open",
	    fd_mode_names[_i]);
	ck_assert_int_le(count_open_fds(), baseline);

	status = rogue_reap(ch);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert(!sv.stopping);
	ck_assert(ev_timer_pending(&ch->timer));
	ck_assert_uint_eq(ch->restarts, 1);
}
END_TEST

/*
 * A child that does not read while the supervisor sends to it, here a
 * reload's configuration again and again: its queue stops at the cap,
 * it is killed and restarted.
 */
START_TEST(test_deaf_child)
{
	struct sv_child	*ch;
	size_t		 most = 0, q;
	int		 i, status;

	big_config();
	ch = rogue_start(PROC_READER, rogue_deaf, 0);
	run_until(reader_ready, ACT_MS);
	ck_assert_int_eq(ch->state, CHILD_READY);
	/* 12 MB if nothing stopped it. */
	for (i = 0; i < 200 && ch->chan != NULL; i++) {
		q = ichan_queued(ch->chan);
		most = q > most ? q : most;
		sv_child_send_config(ch);
	}
	ck_assert_msg(ch->chan == NULL, "not killed with %zu bytes queued",
	    ichan_queued(ch->chan));
	ck_assert_uint_le(most, SV_CHILD_QUEUE_MAX);
	ck_assert_uint_gt(most, SV_CHILD_QUEUE_MAX - IMSG_MAX_SIZE);

	status = rogue_reap(ch);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert(!sv.stopping);
	ck_assert(ev_timer_pending(&ch->timer));
	ck_assert_uint_eq(ch->restarts, 1);
}
END_TEST

/* The same 12 MB to a child that reads them: nothing is cut. */
START_TEST(test_reading_child_kept)
{
	struct sv_child	*ch;
	int		 i;

	big_config();
	ch = rogue_start(PROC_READER, rogue_reader, 0);
	run_until(reader_ready, ACT_MS);
	ck_assert_int_eq(ch->state, CHILD_READY);
	for (i = 0; i < 200; i++) {
		sv_child_send_config(ch);
		run_until(reader_drained, ACT_MS);
		ck_assert_ptr_nonnull(ch->chan);
	}
	ck_assert_uint_eq(ichan_queued(ch->chan), 0);
	ck_assert_int_eq(waitpid(rogue_pid, NULL, WNOHANG), 0);
}
END_TEST

/*
 * A child that said it was ready and then exits with 78: no longer a
 * refused configuration but a crash.  The daemon goes on and the child
 * is restarted.
 */
START_TEST(test_exit_config_after_ready)
{
	struct sv_child	*ch;
	int		 status;

	ch = rogue_start(PROC_READER, rogue_exit_config, 1);
	run_until(reader_closed, ACT_MS);
	ck_assert_int_eq(ch->state, CHILD_READY);
	status = rogue_reap(ch);
	ck_assert(WIFEXITED(status) &&
	    WEXITSTATUS(status) == CHILD_EXIT_CONFIG);
	ck_assert(!sv.stopping);
	ck_assert(ev_timer_pending(&ch->timer));
	ck_assert_uint_eq(ch->restarts, 1);
}
END_TEST

/* Before ready, 78 still means the configuration is refused: stop. */
START_TEST(test_exit_config_before_ready)
{
	struct sv_child	*ch;

	ch = rogue_start(PROC_READER, rogue_exit_config, 0);
	run_until(reader_closed, ACT_MS);
	ck_assert_int_eq(ch->state, CHILD_STARTING);
	rogue_reap(ch);
	ck_assert(sv.stopping);
	ck_assert_int_eq(sv.exit_code, CHILD_EXIT_CONFIG);
	ck_assert(!ev_timer_pending(&ch->timer));
}
END_TEST

Suite *
untrusted_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("untrusted");
	tc = tcase_create("fds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_fd_flood, 0, FD_MODES);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_deaf_child);
	tcase_add_test(tc, test_reading_child_kept);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);

	tc = tcase_create("exits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exit_config_after_ready);
	tcase_add_test(tc, test_exit_config_before_ready);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	return s;
}
