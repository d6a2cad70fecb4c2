/* Listener binding and the rebind decision.  Loopback only. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "proto.h"
#include "suites.h"
#include "supervisor/listeners.h"

static void
base_config(struct config *cfg)
{
	char	err[256];

	config_init(cfg);
	ck_assert_int_eq(config_parse_text(cfg,
	    "id n1\nadvertise 127.0.0.1\nserver.port 9851\n"
	    "bind.addr.leader 127.0.0.1\nbind.port.leader 19852\n"
	    "bind.addr.follower 127.0.0.1\nbind.port.follower 19853\n",
	    "test", err, sizeof(err)), 0);
}

START_TEST(test_listener_open_ephemeral)
{
	char	err[256];
	int	fd, fl;

	fd = listener_open("127.0.0.1", 0, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_gt(listener_local_port(fd), 0);
	fl = fcntl(fd, F_GETFL);
	ck_assert(fl & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}
END_TEST

START_TEST(test_listener_open_ipv6_loopback)
{
	char	err[256];
	int	fd;

	fd = listener_open("::1", 0, err, sizeof(err));
	if (fd == -1 && strstr(err, "Cannot assign") != NULL)
		return;		/* no IPv6 on this host */
	ck_assert_msg(fd >= 0, "%s", err);
	close(fd);
}
END_TEST

START_TEST(test_listener_open_in_use_names_address)
{
	char		err[256], want[64];
	int		fd, fd2;
	uint16_t	port;

	fd = listener_open("127.0.0.1", 0, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	port = listener_local_port(fd);
	fd2 = listener_open("127.0.0.1", port, err, sizeof(err));
	ck_assert_int_eq(fd2, -1);
	snprintf(want, sizeof(want), "listener 127.0.0.1:%u: ", port);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, strerror(EADDRINUSE)));
	close(fd);
}
END_TEST

START_TEST(test_listener_open_bad_address)
{
	char	err[256];

	ck_assert_int_eq(listener_open("localhost", 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "listener localhost:0: not a numeric address");
}
END_TEST

START_TEST(test_listener_changed)
{
	struct config	cfg, next;
	struct listener	l;
	char		err[256];

	base_config(&cfg);
	l.fd = -1;
	ck_assert(listener_changed(&l, &cfg, PROC_BRIDGE));
	ck_assert_int_eq(listener_bind(&l, &cfg, PROC_BRIDGE, err,
	    sizeof(err)), 0);
	ck_assert_uint_gt(l.bound_port, 0);
	ck_assert_uint_eq(l.port, 0);
	/* An ephemeral bridge keeps its port across reloads. */
	ck_assert(!listener_changed(&l, &cfg, PROC_BRIDGE));

	base_config(&next);
	ck_assert_int_eq(config_parse_text(&next, "bind.port.bridge 19854\n",
	    "test", err, sizeof(err)), 0);
	ck_assert(listener_changed(&l, &next, PROC_BRIDGE));
	listener_close(&l);
	ck_assert_int_eq(l.fd, -1);
	config_clear(&cfg);
	config_clear(&next);
}
END_TEST

Suite *
listeners_suite(void)
{
	Suite	*s = suite_create("listeners");
	TCase	*tc = tcase_create("bind");

	tcase_add_test(tc, test_listener_open_ephemeral);
	tcase_add_test(tc, test_listener_open_ipv6_loopback);
	tcase_add_test(tc, test_listener_open_in_use_names_address);
	tcase_add_test(tc, test_listener_open_bad_address);
	tcase_add_test(tc, test_listener_changed);
	suite_add_tcase(s, tc);
	return s;
}
