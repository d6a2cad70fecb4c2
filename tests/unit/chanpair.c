/* Channel pairs over real socketpairs, shared by the imsg and proto suites. */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>

#include <check.h>

#include "chanpair.h"

void
pair_open(struct pair *p)
{
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(p->a = ichan_new(sv[0]));
	ck_assert_ptr_nonnull(p->b = ichan_new(sv[1]));
}

void
pair_close(struct pair *p)
{
	ichan_free(p->a);
	ichan_free(p->b);
}

void
wait_readable(int fd)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
}

void
pair_recv(struct pair *p, struct imsg *m)
{
	ssize_t	n;
	int	r, i;

	for (i = 0; i < 10000; i++) {
		if ((r = ichan_get(p->b, m)) == 1)
			return;
		ck_assert_int_eq(r, 0);
		ck_assert_int_ne(ichan_flush(p->a), -1);
		n = ichan_read(p->b);
		if (n == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			wait_readable(ichan_fd(p->b));
		} else
			ck_assert_int_gt(n, 0);
	}
	ck_abort_msg("no message arrived");
}
