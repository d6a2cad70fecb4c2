/* The two services: which process serves each, their names, caught up. */
#include <check.h>

#include "config.h"
#include "proto.h"
#include "suites.h"
#include "svc.h"

START_TEST(test_svc_of_proc)
{
	ck_assert_int_eq(svc_of_proc(PROC_WRITER), SVC_WRITER);
	ck_assert_int_eq(svc_of_proc(PROC_BRIDGE), SVC_WRITER);
	ck_assert_int_eq(svc_of_proc(PROC_READER), SVC_READER);
	ck_assert_int_eq(svc_of_proc(PROC_SUPERVISOR), -1);
	ck_assert_int_eq(svc_of_proc(PROC_ELECTOR), -1);
	ck_assert_int_eq(svc_of_proc(PROC_ADMIN), -1);
	ck_assert_int_eq(svc_of_proc(PROC_MAX), -1);
	ck_assert_int_eq(svc_proc(SVC_WRITER), PROC_WRITER);
	ck_assert_int_eq(svc_proc(SVC_READER), PROC_READER);
	ck_assert_int_eq(svc_of_proc(svc_proc(SVC_READER)), SVC_READER);
	ck_assert_int_eq(svc_of_proc(svc_proc(SVC_WRITER)), SVC_WRITER);
}
END_TEST

START_TEST(test_svc_name)
{
	struct config	cfg;

	config_init(&cfg);
	ck_assert_str_eq(svc_name(&cfg, SVC_WRITER), cfg.service_name_leader);
	ck_assert_str_eq(svc_name(&cfg, SVC_READER),
	    cfg.service_name_follower);
	ck_assert_str_ne(svc_name(&cfg, SVC_WRITER),
	    svc_name(&cfg, SVC_READER));
	config_clear(&cfg);
}
END_TEST

/* Every combination: only an up follower that says so is caught up. */
START_TEST(test_caught_up_table)
{
	int	up, leader, cu;

	for (up = 0; up <= 1; up++)
		for (leader = 0; leader <= 1; leader++)
			for (cu = 0; cu <= 1; cu++)
				ck_assert_int_eq(server_caught_up(up, leader,
				    cu), up && !leader && cu);
}
END_TEST

Suite *
svc_suite(void)
{
	Suite	*s = suite_create("svc");
	TCase	*tc = tcase_create("svc");

	tcase_add_test(tc, test_svc_of_proc);
	tcase_add_test(tc, test_svc_name);
	tcase_add_test(tc, test_caught_up_table);
	suite_add_tcase(s, tc);
	return s;
}
