/* One Check suite per module; check_all.c runs them all. */
#ifndef SUITES_H
#define SUITES_H

#include <check.h>

Suite	*admit_suite(void);
Suite	*backoff_suite(void);
Suite	*catalog_pick_suite(void);
Suite	*cluster_view_suite(void);
Suite	*cmd_class_suite(void);
Suite	*cmd_scan_suite(void);
Suite	*config_suite(void);
Suite	*connect_ca_suite(void);
Suite	*consul_api_suite(void);
Suite	*ctl_cmd_suite(void);
Suite	*ctl_path_suite(void);
Suite	*dogstatsd_suite(void);
Suite	*event_suite(void);
Suite	*filter_suite(void);
Suite	*fresh_suite(void);
Suite	*http_req_suite(void);
Suite	*imsg_suite(void);
Suite	*leader_history_suite(void);
Suite	*leadership_suite(void);
Suite	*listeners_suite(void);
Suite	*lock_flags_suite(void);
Suite	*log_suite(void);
Suite	*metrics_suite(void);
Suite	*prom_suite(void);
Suite	*proto_suite(void);
Suite	*proto_send_suite(void);
Suite	*proto_state_suite(void);
Suite	*relay_suite(void);
Suite	*reply_scan_suite(void);
Suite	*reload_suite(void);
Suite	*resp_suite(void);
Suite	*rfc3339_suite(void);
Suite	*route_suite(void);
Suite	*sandbox_suite(void);
Suite	*sd_notify_suite(void);
Suite	*spiffe_suite(void);
Suite	*srv_info_suite(void);
Suite	*svc_suite(void);
Suite	*state_suite(void);
Suite	*tls_suite(void);
Suite	*trust_suite(void);
Suite	*untrusted_suite(void);

#endif
