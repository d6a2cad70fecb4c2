/* The reload diff: what changed, what must be re-bound, what is refused. */
#include <string.h>

#include "config.h"
#include "proto.h"
#include "suites.h"
#include "supervisor/supervisor.h"

#define BASE	"id n1\nadvertise 127.0.0.1\nserver.port 9851\n" \
		"bind.addr.leader 127.0.0.1\nbind.port.leader 19852\n" \
		"bind.addr.follower 127.0.0.1\nbind.port.follower 19853\n"

static struct config	running, next;
static struct listener	ls[PROC_MAX];

static void
setup(void)
{
	char	err[256];
	int	k;

	config_init(&running);
	ck_assert_int_eq(config_parse_text(&running, BASE, "running", err,
	    sizeof(err)), 0);
	for (k = PROC_WRITER; k <= PROC_BRIDGE; k++) {
		const char	*addr;
		uint16_t	 port;

		listener_config(&running, k, &addr, &port);
		ls[k].fd = 100 + k;	/* stands for a bound socket */
		strcpy(ls[k].addr, addr);
		ls[k].port = port;
		ls[k].bound_port = port ? port : 40000;
	}
}

static void
teardown(void)
{
	config_clear(&running);
	config_clear(&next);
}

static void
load_next(const char *extra)
{
	char	err[256], text[1024];

	snprintf(text, sizeof(text), "%s%s", BASE, extra);
	config_init(&next);
	ck_assert_msg(config_parse_text(&next, text, "next", err,
	    sizeof(err)) == 0, "%s", err);
}

START_TEST(test_reload_unchanged)
{
	struct reload_plan	plan;
	char			err[256];

	load_next("");
	ck_assert_int_eq(reload_plan(&running, &next, ls, &plan, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(plan.nchanged, 0);
	ck_assert(!plan.rebind[PROC_WRITER] && !plan.rebind[PROC_READER] &&
	    !plan.rebind[PROC_BRIDGE]);
}
END_TEST

START_TEST(test_reload_live_options)
{
	struct reload_plan	plan;
	char			err[256];

	load_next("log.level debug\ndogstatsd.port 9125\n");
	ck_assert_int_eq(reload_plan(&running, &next, ls, &plan, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(plan.nchanged, 2);
	ck_assert_str_eq(plan.changed[0]->key, "dogstatsd.port");
	ck_assert_str_eq(plan.changed[1]->key, "log.level");
	ck_assert(!plan.rebind[PROC_WRITER]);
}
END_TEST

START_TEST(test_reload_rebinds_moved_listener_only)
{
	struct reload_plan	plan;
	char			err[256];

	config_clear(&next);
	config_init(&next);
	ck_assert_int_eq(config_parse_text(&next,
	    "id n1\nadvertise 127.0.0.1\nserver.port 9851\n"
	    "bind.addr.leader 127.0.0.1\nbind.port.leader 19862\n"
	    "bind.addr.follower 127.0.0.1\nbind.port.follower 19853\n",
	    "next", err, sizeof(err)), 0);
	ck_assert_int_eq(reload_plan(&running, &next, ls, &plan, err,
	    sizeof(err)), 0);
	ck_assert(plan.rebind[PROC_WRITER]);
	ck_assert(!plan.rebind[PROC_READER]);
	ck_assert(!plan.rebind[PROC_BRIDGE]);
}
END_TEST

START_TEST(test_reload_refuses_id_change)
{
	struct reload_plan	plan;
	char			err[256];

	config_init(&next);
	ck_assert_int_eq(config_parse_text(&next,
	    "id n2\nadvertise 127.0.0.1\nserver.port 9851\n"
	    "bind.addr.leader 127.0.0.1\nbind.port.leader 19852\n"
	    "bind.addr.follower 127.0.0.1\nbind.port.follower 19853\n"
	    "server.kind redis\n", "next", err, sizeof(err)), 0);
	ck_assert_int_eq(reload_plan(&running, &next, ls, &plan, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "id, server.kind cannot change at run time"
	    " (restart the daemon to change them)");
}
END_TEST

START_TEST(test_reload_refuses_single_frozen_option)
{
	struct reload_plan	plan;
	char			err[256];

	load_next("consul.lock.prefix other/prefix\n");
	ck_assert_int_eq(reload_plan(&running, &next, ls, &plan, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "consul.lock.prefix cannot change at run time"
	    " (restart the daemon to change it)");
}
END_TEST

Suite *
reload_suite(void)
{
	Suite	*s = suite_create("reload");
	TCase	*tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reload_unchanged);
	tcase_add_test(tc, test_reload_live_options);
	tcase_add_test(tc, test_reload_rebinds_moved_listener_only);
	tcase_add_test(tc, test_reload_refuses_id_change);
	tcase_add_test(tc, test_reload_refuses_single_frozen_option);
	suite_add_tcase(s, tc);
	return s;
}
