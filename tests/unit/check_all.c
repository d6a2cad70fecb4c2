/*
 * The unit test runner: every module's suite, in fork mode so that a
 * crash or a fatal() path fails one test instead of the run.
 */
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(admit_suite());
	srunner_add_suite(sr, backoff_suite());
	srunner_add_suite(sr, catalog_pick_suite());
	srunner_add_suite(sr, cluster_view_suite());
	srunner_add_suite(sr, cmd_class_suite());
	srunner_add_suite(sr, cmd_scan_suite());
	srunner_add_suite(sr, filter_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, connect_ca_suite());
	srunner_add_suite(sr, consul_api_suite());
	srunner_add_suite(sr, ctl_cmd_suite());
	srunner_add_suite(sr, ctl_path_suite());
	srunner_add_suite(sr, dogstatsd_suite());
	srunner_add_suite(sr, event_suite());
	srunner_add_suite(sr, fresh_suite());
	srunner_add_suite(sr, http_req_suite());
	srunner_add_suite(sr, imsg_suite());
	srunner_add_suite(sr, leader_history_suite());
	srunner_add_suite(sr, leadership_suite());
	srunner_add_suite(sr, listeners_suite());
	srunner_add_suite(sr, lock_flags_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, metrics_suite());
	srunner_add_suite(sr, prom_suite());
	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, proto_send_suite());
	srunner_add_suite(sr, proto_state_suite());
	srunner_add_suite(sr, relay_suite());
	srunner_add_suite(sr, reply_scan_suite());
	srunner_add_suite(sr, reload_suite());
	srunner_add_suite(sr, resp_suite());
	srunner_add_suite(sr, rfc3339_suite());
	srunner_add_suite(sr, route_suite());
	srunner_add_suite(sr, sandbox_suite());
	srunner_add_suite(sr, sd_notify_suite());
	srunner_add_suite(sr, spiffe_suite());
	srunner_add_suite(sr, srv_info_suite());
	srunner_add_suite(sr, svc_suite());
	srunner_add_suite(sr, state_suite());
	srunner_add_suite(sr, tls_suite());
	srunner_add_suite(sr, trust_suite());
	srunner_add_suite(sr, untrusted_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
