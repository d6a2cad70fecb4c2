/*
 * Where control.socket auto puts an instance's socket, and where
 * tile38-clusterctl looks for it.
 */
#include <string.h>

#include "ctl_path.h"
#include "suites.h"

static const struct {
	uid_t		 uid;
	const char	*xdg;
	size_t		 n;
	const char	*dirs[CTL_PATH_DIRS];
} dir_rows[] = {
	{ 0, NULL, 1, { "/run/tile38-cluster-manager" } },
	/* root never uses a user's runtime directory */
	{ 0, "/run/user/0", 1, { "/run/tile38-cluster-manager" } },
	{ 1000, NULL, 2, { "/run/tile38-cluster-manager",
	    "/tmp/tile38-cluster-manager-1000" } },
	{ 1000, "/run/user/1000", 3, { "/run/tile38-cluster-manager",
	    "/run/user/1000/tile38-cluster-manager",
	    "/tmp/tile38-cluster-manager-1000" } },
	/* a relative XDG_RUNTIME_DIR is invalid and ignored */
	{ 1000, "run/user", 2, { "/run/tile38-cluster-manager",
	    "/tmp/tile38-cluster-manager-1000" } },
	{ 1000, "", 2, { "/run/tile38-cluster-manager",
	    "/tmp/tile38-cluster-manager-1000" } },
	{ 65534, NULL, 2, { "/run/tile38-cluster-manager",
	    "/tmp/tile38-cluster-manager-65534" } },
};

START_TEST(test_dirs)
{
	char	dirs[CTL_PATH_DIRS][CTL_PATH_MAX];
	size_t	i, j, n;

	for (i = 0; i < sizeof(dir_rows) / sizeof(dir_rows[0]); i++) {
		n = ctl_path_dirs(dir_rows[i].uid, dir_rows[i].xdg, dirs);
		ck_assert_msg(n == dir_rows[i].n, "row %zu: %zu dirs", i, n);
		for (j = 0; j < n; j++)
			ck_assert_str_eq(dirs[j], dir_rows[i].dirs[j]);
	}
}
END_TEST

/* An XDG_RUNTIME_DIR too long for a socket path is passed over. */
START_TEST(test_dirs_long_xdg)
{
	char	dirs[CTL_PATH_DIRS][CTL_PATH_MAX], xdg[200];

	memset(xdg, 'x', sizeof(xdg) - 1);
	xdg[0] = '/';
	xdg[sizeof(xdg) - 1] = '\0';
	ck_assert_uint_eq(ctl_path_dirs(1000, xdg, dirs), 2);
	ck_assert_str_eq(dirs[1], "/tmp/tile38-cluster-manager-1000");
}
END_TEST

START_TEST(test_socket)
{
	char	out[CTL_PATH_MAX], id[120];

	ck_assert_int_eq(ctl_path_socket("/run/tile38-cluster-manager", "n1",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/run/tile38-cluster-manager/n1.sock");
	/* The id names a file of dir, never another directory. */
	ck_assert_int_eq(ctl_path_socket("/d", "../etc/x", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "/d/.._etc_x.sock");
	/* Too long for sun_path, or for the buffer. */
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	ck_assert_int_eq(ctl_path_socket("/d", id, out, sizeof(out)), -1);
	ck_assert_int_eq(ctl_path_socket("/d", "n1", out, 8), -1);
}
END_TEST

Suite *
ctl_path_suite(void)
{
	Suite	*s = suite_create("ctl_path");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_dirs);
	tcase_add_test(tc, test_dirs_long_xdg);
	tcase_add_test(tc, test_socket);
	suite_add_tcase(s, tc);
	return s;
}
