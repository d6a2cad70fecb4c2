/*
 * sd_notify by hand: datagrams to a socket bound in a temporary directory
 * and to an abstract one, as a service manager would receive them.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_notify.h"
#include "suites.h"

static char	tmpdir[64];
static char	sockpath[128];

/* Bind a datagram socket at path, or at an abstract name after '@'. */
static int
notify_listen(const char *name)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(name), sizeof(sun.sun_path));
	strcpy(sun.sun_path, name);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(name);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	return fd;
}

/* The one datagram waiting on fd, which must be exactly want. */
static void
notify_expect(int fd, const char *want)
{
	char	buf[512];
	ssize_t	n;

	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
	/* One datagram, nothing after it. */
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/check_sd_notify.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/notify", tmpdir);
	unsetenv("NOTIFY_SOCKET");
}

static void
teardown(void)
{
	unlink(sockpath);
	rmdir(tmpdir);
	unsetenv("NOTIFY_SOCKET");
}

START_TEST(test_sd_notify_path)
{
	int	fd = notify_listen(sockpath);

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	ck_assert_int_eq(sd_notify_send("READY=1\nSTATUS=x"), 1);
	notify_expect(fd, "READY=1\nSTATUS=x");
	/* Left for the re-executed children and for the next message. */
	ck_assert_str_eq(getenv("NOTIFY_SOCKET"), sockpath);
	ck_assert_int_eq(sd_notify_send("STOPPING=1"), 1);
	notify_expect(fd, "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(test_sd_notify_abstract)
{
	char	name[64];
	int	fd;

	snprintf(name, sizeof(name), "@tcm-check-sd-notify-%ld",
	    (long)getpid());
	fd = notify_listen(name);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
	    12345678ULL), 1);
	notify_expect(fd, "RELOADING=1\nMONOTONIC_USEC=12345678");
	ck_assert_int_eq(sd_notifyf("STATUS=%s of %d", "leader", 3), 1);
	notify_expect(fd, "STATUS=leader of 3");
	close(fd);
}
END_TEST

START_TEST(test_sd_notify_unset)
{
	ck_assert_int_eq(sd_notify_send("READY=1"), 0);
	ck_assert_int_eq(sd_notifyf("STATUS=%d", 1), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	ck_assert_int_eq(sd_notify_send("READY=1"), 0);
}
END_TEST

START_TEST(test_sd_notify_too_long)
{
	char	path[200];

	/* sun_path holds 108 bytes; a path also needs its NUL. */
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	errno = 0;
	ck_assert_int_eq(sd_notify_send("READY=1"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	path[0] = '@';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	errno = 0;
	ck_assert_int_eq(sd_notifyf("READY=%d", 1), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(test_sd_notify_bad_target)
{
	/* Nobody bound there. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	errno = 0;
	ck_assert_int_eq(sd_notify_send("READY=1"), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* Neither a path nor an abstract name. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	errno = 0;
	ck_assert_int_eq(sd_notify_send("READY=1"), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
}
END_TEST

Suite *
sd_notify_suite(void)
{
	Suite	*s = suite_create("sd_notify");
	TCase	*tc = tcase_create("datagram");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sd_notify_path);
	tcase_add_test(tc, test_sd_notify_abstract);
	tcase_add_test(tc, test_sd_notify_unset);
	tcase_add_test(tc, test_sd_notify_too_long);
	tcase_add_test(tc, test_sd_notify_bad_target);
	suite_add_tcase(s, tc);
	return s;
}
