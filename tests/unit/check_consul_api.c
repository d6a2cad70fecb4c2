/*
 * The Consul API decoders against answers recorded from a real Consul
 * 1.8.7 agent (../shared/consul-api-samples.md; PEM bodies trimmed as
 * recorded), the request bodies byte for byte, and every decoder against
 * malformed input.  The fixtures are embedded rather than read from
 * files so that the tests do not depend on where they run from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json.h>

#include "consul_api.h"
#include "suites.h"

#define MIB	(1024 * 1024)


/* GET /v1/status/leader */
static const char fx_leader[] =
"\"127.0.0.1:8300\"\n";

/* PUT /v1/session/create */
static const char fx_session_create[] =
"{\n"
"  \"ID\": \"c0686ae3-106f-9677-284e-b23e14392a5a\"\n"
"}\n";

/* GET /v1/session/info/<id> */
static const char fx_session_info[] =
"[\n"
"  {\n"
"    \"ID\": \"c0686ae3-106f-9677-284e-b23e14392a5a\",\n"
"    \"Name\": \"doc\",\n"
"    \"Node\": \"rig\",\n"
"    \"LockDelay\": 15000000000,\n"
"    \"Behavior\": \"delete\",\n"
"    \"TTL\": \"10s\",\n"
"    \"NodeChecks\": [\n"
"      \"serfHealth\"\n"
"    ],\n"
"    \"ServiceChecks\": null,\n"
"    \"CreateIndex\": 40,\n"
"    \"ModifyIndex\": 40\n"
"  }\n"
"]\n";

/* PUT /v1/session/renew/<id>: the same array as info. */
static const char fx_session_renew[] =
"[\n"
"  {\n"
"    \"ID\": \"c0686ae3-106f-9677-284e-b23e14392a5a\",\n"
"    \"Name\": \"doc\",\n"
"    \"Node\": \"rig\",\n"
"    \"LockDelay\": 15000000000,\n"
"    \"Behavior\": \"delete\",\n"
"    \"TTL\": \"10s\",\n"
"    \"NodeChecks\": [\n"
"      \"serfHealth\"\n"
"    ],\n"
"    \"ServiceChecks\": null,\n"
"    \"CreateIndex\": 40,\n"
"    \"ModifyIndex\": 40\n"
"  }\n"
"]\n";

/* PUT /v1/kv/<key>?acquire=<session>, won and contended. */
static const char fx_acquire_true[] = "true";
static const char fx_acquire_false[] = "false";

/* GET /v1/kv/<key> of a held lock. */
static const char fx_kv_held[] =
"[\n"
"  {\n"
"    \"LockIndex\": 1,\n"
"    \"Key\": \"doc/leader\",\n"
"    \"Flags\": 0,\n"
"    \"Value\": \"bm9kZS0x\",\n"
"    \"Session\": \"c0686ae3-106f-9677-284e-b23e14392a5a\",\n"
"    \"CreateIndex\": 41,\n"
"    \"ModifyIndex\": 41\n"
"  }\n"
"]\n";

/*
 * GET /v1/kv/<prefix>/nodes?recurse in the layout of the recorded KV
 * answer: two freshness records held by their nodes' sessions, and a
 * third key whose value is empty (null).
 */
static const char fx_kv_nodes[] =
"[\n"
"  {\n"
"    \"LockIndex\": 1,\n"
"    \"Key\": \"doc/nodes/n1\",\n"
"    \"Flags\": 0,\n"
"    \"Value\": \"eyJpZCI6Im4xIiwidXAiOnRydWUsImxlYWRlciI6dHJ1ZSwiY2F1Z2h0X3VwIjpmYWxzZSwib2Zmc2V0Ijo1MjEzNCwia2V5cyI6MTIwMCwibGluZWFnZSI6IjlmMmE1MWM0ZTBiNyIsImVwb2NoIjozLCJ0aW1lIjoxNzk1NDU4ODI2NTEyfQ==\",\n"
"    \"Session\": \"c0686ae3-106f-9677-284e-b23e14392a5a\",\n"
"    \"CreateIndex\": 45,\n"
"    \"ModifyIndex\": 52\n"
"  },\n"
"  {\n"
"    \"LockIndex\": 1,\n"
"    \"Key\": \"doc/nodes/n2\",\n"
"    \"Flags\": 0,\n"
"    \"Value\": \"eyJpZCI6Im4yIiwidXAiOnRydWUsImxlYWRlciI6ZmFsc2UsImNhdWdodF91cCI6dHJ1ZSwib2Zmc2V0Ijo1MjEzNCwia2V5cyI6MTIwMCwibGluZWFnZSI6IjlmMmE1MWM0ZTBiNyIsImVwb2NoIjozLCJ0aW1lIjoxNzk1NDU4ODI2NzkwfQ==\",\n"
"    \"Session\": \"5e0f3c1a-2b7d-4c8e-9f10-a2b3c4d5e6f7\",\n"
"    \"CreateIndex\": 47,\n"
"    \"ModifyIndex\": 53\n"
"  },\n"
"  {\n"
"    \"LockIndex\": 0,\n"
"    \"Key\": \"doc/nodes/stale\",\n"
"    \"Flags\": 0,\n"
"    \"Value\": null,\n"
"    \"CreateIndex\": 30,\n"
"    \"ModifyIndex\": 30\n"
"  }\n"
"]\n";

/* GET /v1/health/connect/<svc>: one instance, its TCP check warning. */
static const char fx_health[] =
"[\n"
"  {\n"
"    \"Node\": {\n"
"      \"ID\": \"0a439941-f67e-49fb-3f1f-20dad2c2a514\",\n"
"      \"Node\": \"rig\",\n"
"      \"Address\": \"127.0.0.1\",\n"
"      \"Datacenter\": \"dc1\",\n"
"      \"TaggedAddresses\": {\n"
"        \"lan\": \"127.0.0.1\",\n"
"        \"lan_ipv4\": \"127.0.0.1\",\n"
"        \"wan\": \"127.0.0.1\",\n"
"        \"wan_ipv4\": \"127.0.0.1\"\n"
"      },\n"
"      \"Meta\": {\n"
"        \"consul-network-segment\": \"\"\n"
"      },\n"
"      \"CreateIndex\": 10,\n"
"      \"ModifyIndex\": 12\n"
"    },\n"
"    \"Service\": {\n"
"      \"ID\": \"probe-writer-n1\",\n"
"      \"Service\": \"probe-writer\",\n"
"      \"Tags\": [],\n"
"      \"Address\": \"127.0.0.1\",\n"
"      \"TaggedAddresses\": {\n"
"        \"lan_ipv4\": {\n"
"          \"Address\": \"127.0.0.1\",\n"
"          \"Port\": 19861\n"
"        },\n"
"        \"wan_ipv4\": {\n"
"          \"Address\": \"127.0.0.1\",\n"
"          \"Port\": 19861\n"
"        }\n"
"      },\n"
"      \"Meta\": {\n"
"        \"id\": \"n1\"\n"
"      },\n"
"      \"Port\": 19861,\n"
"      \"Weights\": {\n"
"        \"Passing\": 1,\n"
"        \"Warning\": 1\n"
"      },\n"
"      \"EnableTagOverride\": false,\n"
"      \"Proxy\": {\n"
"        \"MeshGateway\": {},\n"
"        \"Expose\": {}\n"
"      },\n"
"      \"Connect\": {\n"
"        \"Native\": true\n"
"      },\n"
"      \"CreateIndex\": 29,\n"
"      \"ModifyIndex\": 29\n"
"    },\n"
"    \"Checks\": [\n"
"      {\n"
"        \"Node\": \"rig\",\n"
"        \"CheckID\": \"serfHealth\",\n"
"        \"Name\": \"Serf Health Status\",\n"
"        \"Status\": \"passing\",\n"
"        \"Notes\": \"\",\n"
"        \"Output\": \"Agent alive and reachable\",\n"
"        \"ServiceID\": \"\",\n"
"        \"ServiceName\": \"\",\n"
"        \"ServiceTags\": [],\n"
"        \"Type\": \"\",\n"
"        \"Definition\": {},\n"
"        \"CreateIndex\": 10,\n"
"        \"ModifyIndex\": 10\n"
"      },\n"
"      {\n"
"        \"Node\": \"rig\",\n"
"        \"CheckID\": \"probe-writer-n1-health-check\",\n"
"        \"Name\": \"probe-writer-n1-health-check\",\n"
"        \"Status\": \"warning\",\n"
"        \"Notes\": \"\",\n"
"        \"Output\": \"\",\n"
"        \"ServiceID\": \"probe-writer-n1\",\n"
"        \"ServiceName\": \"probe-writer\",\n"
"        \"ServiceTags\": [],\n"
"        \"Type\": \"tcp\",\n"
"        \"Definition\": {},\n"
"        \"CreateIndex\": 29,\n"
"        \"ModifyIndex\": 29\n"
"      }\n"
"    ]\n"
"  }\n"
"]\n";

/*
 * The same endpoint with every check passing and two instances: one
 * registered by hand without Meta.id (skipped), and one without a
 * service address, which lives at its node's address.
 */
static const char fx_health_passing[] =
"[\n"
"  {\n"
"    \"Node\": {\n"
"      \"ID\": \"0a439941-f67e-49fb-3f1f-20dad2c2a514\",\n"
"      \"Node\": \"rig\",\n"
"      \"Address\": \"127.0.0.1\",\n"
"      \"Datacenter\": \"dc1\",\n"
"      \"TaggedAddresses\": {\n"
"        \"lan\": \"127.0.0.1\",\n"
"        \"lan_ipv4\": \"127.0.0.1\",\n"
"        \"wan\": \"127.0.0.1\",\n"
"        \"wan_ipv4\": \"127.0.0.1\"\n"
"      },\n"
"      \"Meta\": {\n"
"        \"consul-network-segment\": \"\"\n"
"      },\n"
"      \"CreateIndex\": 10,\n"
"      \"ModifyIndex\": 12\n"
"    },\n"
"    \"Service\": {\n"
"      \"ID\": \"probe-writer-manual\",\n"
"      \"Service\": \"probe-writer\",\n"
"      \"Tags\": [],\n"
"      \"Address\": \"127.0.0.1\",\n"
"      \"TaggedAddresses\": {},\n"
"      \"Meta\": {},\n"
"      \"Port\": 19870,\n"
"      \"Weights\": {\n"
"        \"Passing\": 1,\n"
"        \"Warning\": 1\n"
"      },\n"
"      \"EnableTagOverride\": false,\n"
"      \"Proxy\": {\n"
"        \"MeshGateway\": {},\n"
"        \"Expose\": {}\n"
"      },\n"
"      \"Connect\": {\n"
"        \"Native\": true\n"
"      },\n"
"      \"CreateIndex\": 35,\n"
"      \"ModifyIndex\": 35\n"
"    },\n"
"    \"Checks\": [\n"
"      {\n"
"        \"Node\": \"rig\",\n"
"        \"CheckID\": \"serfHealth\",\n"
"        \"Name\": \"Serf Health Status\",\n"
"        \"Status\": \"passing\",\n"
"        \"Notes\": \"\",\n"
"        \"Output\": \"Agent alive and reachable\",\n"
"        \"ServiceID\": \"\",\n"
"        \"ServiceName\": \"\",\n"
"        \"ServiceTags\": [],\n"
"        \"Type\": \"\",\n"
"        \"Definition\": {},\n"
"        \"CreateIndex\": 10,\n"
"        \"ModifyIndex\": 10\n"
"      }\n"
"    ]\n"
"  },\n"
"  {\n"
"    \"Node\": {\n"
"      \"ID\": \"5b2c1d0e-94a7-4c1e-8f3b-7d6e2a1c9f40\",\n"
"      \"Node\": \"rig2\",\n"
"      \"Address\": \"10.0.0.12\",\n"
"      \"Datacenter\": \"dc1\",\n"
"      \"TaggedAddresses\": {\n"
"        \"lan\": \"10.0.0.12\",\n"
"        \"lan_ipv4\": \"10.0.0.12\",\n"
"        \"wan\": \"10.0.0.12\",\n"
"        \"wan_ipv4\": \"10.0.0.12\"\n"
"      },\n"
"      \"Meta\": {\n"
"        \"consul-network-segment\": \"\"\n"
"      },\n"
"      \"CreateIndex\": 14,\n"
"      \"ModifyIndex\": 16\n"
"    },\n"
"    \"Service\": {\n"
"      \"ID\": \"probe-writer-n2\",\n"
"      \"Service\": \"probe-writer\",\n"
"      \"Tags\": [],\n"
"      \"Address\": \"\",\n"
"      \"TaggedAddresses\": {},\n"
"      \"Meta\": {\n"
"        \"id\": \"n2\"\n"
"      },\n"
"      \"Port\": 19862,\n"
"      \"Weights\": {\n"
"        \"Passing\": 1,\n"
"        \"Warning\": 1\n"
"      },\n"
"      \"EnableTagOverride\": false,\n"
"      \"Proxy\": {\n"
"        \"MeshGateway\": {},\n"
"        \"Expose\": {}\n"
"      },\n"
"      \"Connect\": {\n"
"        \"Native\": true\n"
"      },\n"
"      \"CreateIndex\": 36,\n"
"      \"ModifyIndex\": 36\n"
"    },\n"
"    \"Checks\": [\n"
"      {\n"
"        \"Node\": \"rig2\",\n"
"        \"CheckID\": \"serfHealth\",\n"
"        \"Name\": \"Serf Health Status\",\n"
"        \"Status\": \"passing\",\n"
"        \"Notes\": \"\",\n"
"        \"Output\": \"Agent alive and reachable\",\n"
"        \"ServiceID\": \"\",\n"
"        \"ServiceName\": \"\",\n"
"        \"ServiceTags\": [],\n"
"        \"Type\": \"\",\n"
"        \"Definition\": {},\n"
"        \"CreateIndex\": 14,\n"
"        \"ModifyIndex\": 14\n"
"      },\n"
"      {\n"
"        \"Node\": \"rig2\",\n"
"        \"CheckID\": \"probe-writer-n2-ttl\",\n"
"        \"Name\": \"probe-writer-n2 manager\",\n"
"        \"Status\": \"passing\",\n"
"        \"Notes\": \"\",\n"
"        \"Output\": \"\",\n"
"        \"ServiceID\": \"probe-writer-n2\",\n"
"        \"ServiceName\": \"probe-writer\",\n"
"        \"ServiceTags\": [],\n"
"        \"Type\": \"ttl\",\n"
"        \"Definition\": {},\n"
"        \"CreateIndex\": 36,\n"
"        \"ModifyIndex\": 37\n"
"      }\n"
"    ]\n"
"  }\n"
"]\n";

/* GET /v1/agent/connect/ca/roots */
static const char fx_roots[] =
"{\n"
"  \"ActiveRootID\": \"72:b1:76:30:5f:b8:57:10:8a:da:f3:b5:67:e3:c4:5f:ac:ad:14:ce\",\n"
"  \"TrustDomain\": \"dce9cc31-3f84-b66a-ac49-d6cc4f904d1c.consul\",\n"
"  \"Roots\": [\n"
"    {\n"
"      \"ID\": \"72:b1:76:30:5f:b8:57:10:8a:da:f3:b5:67:e3:c4:5f:ac:ad:14:ce\",\n"
"      \"Name\": \"Consul CA Root Cert\",\n"
"      \"SerialNumber\": 7,\n"
"      \"SigningKeyID\": \"c0:d4:c5:76:25:4f:b7:f5:dd:76:ae:9d:b7:10:91:d1:eb:ea:8f:39:48:94:aa:0d:e6:17:5c:b9:0e:a1:84:4f\",\n"
"      \"ExternalTrustDomain\": \"dce9cc31-3f84-b66a-ac49-d6cc4f904d1c\",\n"
"      \"NotBefore\": \"2026-11-23T18:32:36Z\",\n"
"      \"NotAfter\": \"2036-11-23T18:32:36Z\",\n"
"      \"RootCert\": \"-----BEGIN CERTIFICATE-----\\n<...trimmed...>\\n-----END CERTIFICATE-----\",\n"
"      \"IntermediateCerts\": null,\n"
"      \"Active\": true,\n"
"      \"PrivateKeyType\": \"ec\",\n"
"      \"PrivateKeyBits\": 256,\n"
"      \"CreateIndex\": 9,\n"
"      \"ModifyIndex\": 9\n"
"    }\n"
"  ]\n"
"}\n";

/*
 * The same endpoint during a CA rotation: the old root is still trusted
 * but no longer active, and the new one signs through an intermediate.
 */
static const char fx_roots_rotation[] =
"{\n"
"  \"ActiveRootID\": \"aa:bb\",\n"
"  \"TrustDomain\": \"dce9cc31-3f84-b66a-ac49-d6cc4f904d1c.consul\",\n"
"  \"Roots\": [\n"
"    {\n"
"      \"ID\": \"72:b1\",\n"
"      \"RootCert\": \"-----BEGIN CERTIFICATE-----\\nOLD\\n-----END CERTIFICATE-----\\n\",\n"
"      \"IntermediateCerts\": null,\n"
"      \"Active\": false\n"
"    },\n"
"    {\n"
"      \"ID\": \"aa:bb\",\n"
"      \"RootCert\": \"-----BEGIN CERTIFICATE-----\\nNEW\\n-----END CERTIFICATE-----\",\n"
"      \"IntermediateCerts\": [\n"
"        \"-----BEGIN CERTIFICATE-----\\nINT1\\n-----END CERTIFICATE-----\",\n"
"        \"-----BEGIN CERTIFICATE-----\\nINT2\\n-----END CERTIFICATE-----\\n\"\n"
"      ],\n"
"      \"Active\": true\n"
"    }\n"
"  ]\n"
"}\n";

/* GET /v1/agent/connect/ca/leaf/<svc> */
static const char fx_leaf[] =
"{\n"
"  \"SerialNumber\": \"08\",\n"
"  \"CertPEM\": \"-----BEGIN CERTIFICATE-----\\n<...trimmed...>\\n-----END CERTIFICATE-----\",\n"
"  \"PrivateKeyPEM\": \"-----BEGIN EC PRIVATE KEY-----\\n<...trimmed...>\\n-----END EC PRIVATE KEY-----\",\n"
"  \"Service\": \"probe-client\",\n"
"  \"ServiceURI\": \"spiffe://dce9cc31-3f84-b66a-ac49-d6cc4f904d1c.consul/ns/default/dc/dc1/svc/probe-client\",\n"
"  \"ValidAfter\": \"2026-11-23T18:32:28Z\",\n"
"  \"ValidBefore\": \"2026-11-26T18:32:28Z\",\n"
"  \"CreateIndex\": 32,\n"
"  \"ModifyIndex\": 32\n"
"}\n";

/* POST /v1/agent/connect/authorize, without and with a deny intention. */
static const char fx_authz_allow[] =
"{\n"
"  \"Authorized\": true,\n"
"  \"Reason\": \"ACLs disabled, access is allowed by default\"\n"
"}\n";

static const char fx_authz_deny[] =
"{\n"
"  \"Authorized\": false,\n"
"  \"Reason\": \"Matched intention: DENY default/probe-client => default/probe-writer (ID: 83bcc7df-d697-6129-bf5c-de2db59cc5c1, Precedence: 9)\"\n"
"}\n";

/* GET /v1/agent/self of a -dev agent, DebugConfig and Stats shortened. */
static const char fx_self[] =
"{\n"
"  \"Config\": {\n"
"    \"Datacenter\": \"dc1\",\n"
"    \"NodeName\": \"rig\",\n"
"    \"NodeID\": \"0a439941-f67e-49fb-3f1f-20dad2c2a514\",\n"
"    \"Revision\": \"\",\n"
"    \"Server\": true,\n"
"    \"Version\": \"1.8.7\"\n"
"  },\n"
"  \"DebugConfig\": {\n"
"    \"ACLDatacenter\": \"dc1\",\n"
"    \"BindAddr\": \"127.0.0.1\",\n"
"    \"ConnectEnabled\": true,\n"
"    \"DevMode\": true,\n"
"    \"HTTPPort\": 8500,\n"
"    \"SessionTTLMin\": \"10s\",\n"
"    \"TaggedAddresses\": {\n"
"      \"lan\": \"127.0.0.1\",\n"
"      \"wan\": \"127.0.0.1\"\n"
"    }\n"
"  },\n"
"  \"Coord\": {\n"
"    \"Vec\": [0, 0, 0, 0, 0, 0, 0, 0],\n"
"    \"Error\": 1.5,\n"
"    \"Adjustment\": 0,\n"
"    \"Height\": 1e-05\n"
"  },\n"
"  \"Member\": {\n"
"    \"Name\": \"rig\",\n"
"    \"Addr\": \"127.0.0.1\",\n"
"    \"Port\": 8301,\n"
"    \"Tags\": {\n"
"      \"build\": \"1.8.7:\",\n"
"      \"dc\": \"dc1\",\n"
"      \"role\": \"consul\",\n"
"      \"vsn\": \"2\"\n"
"    },\n"
"    \"Status\": 1,\n"
"    \"ProtocolMin\": 1,\n"
"    \"ProtocolMax\": 5,\n"
"    \"ProtocolCur\": 2,\n"
"    \"DelegateMin\": 2,\n"
"    \"DelegateMax\": 5,\n"
"    \"DelegateCur\": 4\n"
"  },\n"
"  \"Stats\": {\n"
"    \"agent\": {\n"
"      \"check_monitors\": \"0\",\n"
"      \"checks\": \"0\",\n"
"      \"services\": \"0\"\n"
"    }\n"
"  },\n"
"  \"Meta\": {\n"
"    \"consul-network-segment\": \"\"\n"
"  }\n"
"}\n";

/* Every decoder, so that malformed input can be fed to each in turn. */
enum dec {
	D_KV, D_KVLIST, D_CREATE, D_INFO, D_BOOL, D_STRING, D_HEALTH,
	D_ROOTS, D_LEAF, D_AUTHZ, D_SELF, D_FRESH, D_MAX
};

static const char *const dec_names[D_MAX] = {
	"kv", "kv list", "session create", "session info", "bool", "string",
	"health", "roots", "leaf", "authorize", "self", "freshness"
};

static int
is_zero(const void *p, size_t n)
{
	const uint8_t	*b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/*
 * Run decoder d on body.  A failure must leave every output empty and a
 * reason in err; a success is released at once (the callers here only
 * want the verdict).
 */
static int
decode(enum dec d, const char *body, size_t len, char *err, size_t errlen)
{
	struct consul_kv	 kv;
	struct consul_kv_list	 kl;
	struct consul_instances	 is;
	struct consul_roots	 roots;
	struct consul_leaf	 leaf;
	struct freshness	 fr;
	char			*s1 = NULL, *s2 = NULL;
	int			 rc = -1, v = -1;

	memset(err, 0, errlen);
	switch (d) {
	case D_KV:
		rc = consul_parse_kv(body, len, &kv, err, errlen);
		if (rc == -1)
			ck_assert(is_zero(&kv, sizeof(kv)));
		consul_kv_clear(&kv);
		break;
	case D_KVLIST:
		rc = consul_parse_kv_list(body, len, &kl, err, errlen);
		if (rc == -1)
			ck_assert(kl.v == NULL && kl.n == 0);
		consul_kv_list_clear(&kl);
		break;
	case D_CREATE:
		rc = consul_parse_session_create(body, len, &s1, err, errlen);
		break;
	case D_INFO:
		rc = consul_parse_session_info(body, len, "x", &v, err,
		    errlen);
		if (rc == -1)
			ck_assert_int_eq(v, 0);
		break;
	case D_BOOL:
		rc = consul_parse_bool(body, len, &v, err, errlen);
		if (rc == -1)
			ck_assert_int_eq(v, 0);
		break;
	case D_STRING:
		rc = consul_parse_string(body, len, &s1, err, errlen);
		break;
	case D_HEALTH:
		rc = consul_parse_health(body, len, &is, err, errlen);
		if (rc == -1)
			ck_assert(is.v == NULL && is.n == 0);
		consul_instances_clear(&is);
		break;
	case D_ROOTS:
		rc = consul_parse_roots(body, len, &roots, err, errlen);
		if (rc == -1)
			ck_assert(is_zero(&roots, sizeof(roots)));
		consul_roots_clear(&roots);
		break;
	case D_LEAF:
		rc = consul_parse_leaf(body, len, &leaf, err, errlen);
		if (rc == -1)
			ck_assert(is_zero(&leaf, sizeof(leaf)));
		consul_leaf_clear(&leaf);
		break;
	case D_AUTHZ:
		rc = consul_parse_authorize(body, len, &v, &s1, err, errlen);
		if (rc == -1)
			ck_assert_int_eq(v, 0);
		break;
	case D_SELF:
		rc = consul_parse_self(body, len, &s1, &s2, err, errlen);
		if (rc == -1)
			ck_assert_ptr_null(s2);
		break;
	case D_FRESH:
		rc = freshness_decode(body, len, &fr, err, errlen);
		if (rc == -1)
			ck_assert(is_zero(&fr, sizeof(fr)));
		freshness_clear(&fr);
		break;
	case D_MAX:
		break;
	}
	if (rc == -1) {
		ck_assert_ptr_null(s1);
		ck_assert_msg(err[0] != '\0', "%s: -1 without a reason",
		    dec_names[d]);
	}
	free(s1);
	free(s2);
	return rc;
}

START_TEST(test_session_create)
{
	char	*id, err[256];

	ck_assert_int_eq(consul_parse_session_create(fx_session_create,
	    strlen(fx_session_create), &id, err, sizeof(err)), 0);
	ck_assert_str_eq(id, "c0686ae3-106f-9677-284e-b23e14392a5a");
	free(id);
}
END_TEST

START_TEST(test_session_info)
{
	const char	*sid = "c0686ae3-106f-9677-284e-b23e14392a5a", *body;
	char		 err[256];
	int		 found;

	ck_assert_int_eq(consul_parse_session_info(fx_session_info,
	    strlen(fx_session_info), sid, &found, err, sizeof(err)), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(consul_parse_session_info(fx_session_renew,
	    strlen(fx_session_renew), sid, &found, err, sizeof(err)), 0);
	ck_assert_int_eq(found, 1);
	/* Another session's answer does not vouch for ours. */
	ck_assert_int_eq(consul_parse_session_info(fx_session_info,
	    strlen(fx_session_info), "c0686ae3", &found, err, sizeof(err)), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(consul_parse_session_info("[]", 2, sid, &found, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(consul_parse_session_info("null", 4, sid, &found,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(consul_parse_session_info(" null\n", 6, sid, &found,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(found, 0);
	body = "[{\"ID\":\"a\"},{\"ID\":\"b\"}]";
	ck_assert_int_eq(consul_parse_session_info(body, strlen(body), "b",
	    &found, err, sizeof(err)), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(consul_parse_session_info("[]", 2, NULL, &found, err,
	    sizeof(err)), -1);
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(test_bool)
{
	char	err[256];
	int	v;

	ck_assert_int_eq(consul_parse_bool(fx_acquire_true,
	    strlen(fx_acquire_true), &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(consul_parse_bool(fx_acquire_false,
	    strlen(fx_acquire_false), &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(consul_parse_bool("true\n", 5, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, 1);
	/* Only len counts: what follows it is not read. */
	ck_assert_int_eq(consul_parse_bool("falsehood", 5, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(test_string)
{
	const char	*body;
	char		*s, err[256];

	ck_assert_int_eq(consul_parse_string(fx_leader, strlen(fx_leader),
	    &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s, "127.0.0.1:8300");
	free(s);
	ck_assert_int_eq(consul_parse_string("\"\"", 2, &s, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(s, "");
	free(s);
	body = "\"caf\\u00e9 \\\"q\\\"\"";
	ck_assert_int_eq(consul_parse_string(body, strlen(body), &s, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(s, "caf\xc3\xa9 \"q\"");
	free(s);
}
END_TEST

START_TEST(test_kv_held)
{
	struct consul_kv	kv;
	char			err[256];

	ck_assert_int_eq(consul_parse_kv(fx_kv_held, strlen(fx_kv_held), &kv,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(kv.lock_index, 1);
	ck_assert_uint_eq(kv.modify_index, 41);
	ck_assert_str_eq(kv.key, "doc/leader");
	ck_assert_str_eq(kv.session, "c0686ae3-106f-9677-284e-b23e14392a5a");
	ck_assert_uint_eq(kv.value_len, 6);
	ck_assert_mem_eq(kv.value, "node-1", 7);
	consul_kv_clear(&kv);
	ck_assert(is_zero(&kv, sizeof(kv)));
	/* Clearing twice is harmless. */
	consul_kv_clear(&kv);
}
END_TEST

/* Value text in, expected bytes out; NULL want for a JSON null. */
static const struct {
	const char	*json;
	const char	*want;
	size_t		 len;
} kv_values[] = {
	{ "null", NULL, 0 },
	{ "\"\"", "", 0 },
	{ "\"QQ==\"", "A", 1 },
	{ "\"QUI=\"", "AB", 2 },
	{ "\"QUJD\"", "ABC", 3 },
	{ "\"QUJDRA==\"", "ABCD", 4 },
	{ "\"AP8A\"", "\0\xff\0", 3 },
	{ "\"+/+/\"", "\xfb\xff\xbf", 3 },
	{ "\"eyJpZCI6Im4xIn0=\"", "{\"id\":\"n1\"}", 11 },
};

START_TEST(test_kv_value)
{
	struct consul_kv	 kv;
	char			 body[256], err[256];

	snprintf(body, sizeof(body), "[{\"LockIndex\":0,\"Key\":\"k\","
	    "\"Flags\":0,\"Value\":%s,\"CreateIndex\":7,\"ModifyIndex\":9}]",
	    kv_values[_i].json);
	ck_assert_int_eq(consul_parse_kv(body, strlen(body), &kv, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(kv.session);
	ck_assert_uint_eq(kv.modify_index, 9);
	ck_assert_uint_eq(kv.value_len, kv_values[_i].len);
	if (kv_values[_i].want == NULL)
		ck_assert_ptr_null(kv.value);
	else {
		ck_assert_ptr_nonnull(kv.value);
		ck_assert_mem_eq(kv.value, kv_values[_i].want,
		    kv_values[_i].len);
		ck_assert_uint_eq(kv.value[kv.value_len], 0);
	}
	consul_kv_clear(&kv);
}
END_TEST

START_TEST(test_kv_unheld)
{
	static const char *const bodies[] = {
		/* Released: Consul leaves Session out. */
		"[{\"LockIndex\":1,\"Key\":\"doc/leader\",\"Flags\":0,"
		    "\"Value\":\"bm9kZS0x\",\"CreateIndex\":41,"
		    "\"ModifyIndex\":44}]",
		"[{\"LockIndex\":1,\"Key\":\"doc/leader\",\"Session\":\"\","
		    "\"Value\":\"bm9kZS0x\",\"ModifyIndex\":44}]",
		"[{\"LockIndex\":1,\"Key\":\"doc/leader\",\"Session\":null,"
		    "\"Value\":\"bm9kZS0x\",\"ModifyIndex\":44}]",
	};
	struct consul_kv	 kv;
	const char		*body;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		ck_assert_int_eq(consul_parse_kv(bodies[i], strlen(bodies[i]),
		    &kv, err, sizeof(err)), 0);
		ck_assert_ptr_null(kv.session);
		ck_assert_uint_eq(kv.modify_index, 44);
		ck_assert_str_eq((char *)kv.value, "node-1");
		consul_kv_clear(&kv);
	}
	/* Indexes beyond 2^63 are still indexes. */
	body = "[{\"LockIndex\":18446744073709551614,\"Key\":\"k\","
	    "\"ModifyIndex\":9223372036854775808}]";
	ck_assert_int_eq(consul_parse_kv(body, strlen(body), &kv, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(kv.lock_index, UINT64_MAX - 1);
	ck_assert_uint_eq(kv.modify_index, (uint64_t)INT64_MAX + 1);
	ck_assert_uint_eq(kv.flags, 0);
	consul_kv_clear(&kv);
	/* Released for a chosen node: its tag in the flags. */
	body = "[{\"LockIndex\":1,\"Key\":\"k\",\"Flags\":"
	    "12638187200555641996,\"ModifyIndex\":45}]";
	ck_assert_int_eq(consul_parse_kv(body, strlen(body), &kv, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(kv.flags, 12638187200555641996ULL);
	consul_kv_clear(&kv);
	body = "[{\"LockIndex\":1,\"Key\":\"k\",\"Flags\":\"x\","
	    "\"ModifyIndex\":45}]";
	ck_assert_int_eq(consul_parse_kv(body, strlen(body), &kv, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "Flags"));
}
END_TEST

START_TEST(test_kv_list)
{
	struct consul_kv_list	 l;
	struct freshness	 f;
	char			 err[256];

	ck_assert_int_eq(consul_parse_kv_list(fx_kv_nodes,
	    strlen(fx_kv_nodes), &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[0].key, "doc/nodes/n1");
	ck_assert_str_eq(l.v[0].session,
	    "c0686ae3-106f-9677-284e-b23e14392a5a");
	ck_assert_uint_eq(l.v[1].modify_index, 53);
	ck_assert_str_eq(l.v[2].key, "doc/nodes/stale");
	ck_assert_ptr_null(l.v[2].session);
	ck_assert_ptr_null(l.v[2].value);
	ck_assert_uint_eq(l.v[2].value_len, 0);

	/* The values are freshness records as peers publish them. */
	ck_assert_int_eq(freshness_decode((const char *)l.v[0].value,
	    l.v[0].value_len, &f, err, sizeof(err)), 0);
	ck_assert_str_eq(f.id, "n1");
	ck_assert_int_eq(f.leader, 1);
	ck_assert_int_eq(f.caught_up, 0);
	ck_assert_uint_eq(f.offset, 52134);
	ck_assert_uint_eq(f.keys, 1200);
	ck_assert_str_eq(f.lineage, "9f2a51c4e0b7");
	ck_assert_uint_eq(f.epoch, 3);
	ck_assert_int_eq(f.time_ms, 1795458826512LL);
	freshness_clear(&f);
	ck_assert_int_eq(freshness_decode((const char *)l.v[1].value,
	    l.v[1].value_len, &f, err, sizeof(err)), 0);
	ck_assert_str_eq(f.id, "n2");
	ck_assert_int_eq(f.leader, 0);
	ck_assert_int_eq(f.caught_up, 1);
	freshness_clear(&f);
	consul_kv_list_clear(&l);
	ck_assert(l.v == NULL && l.n == 0);

	ck_assert_int_eq(consul_parse_kv_list("[]\n", 3, &l, err,
	    sizeof(err)), 0);
	ck_assert(l.v == NULL && l.n == 0);
	/* A single entry is a list of one. */
	ck_assert_int_eq(consul_parse_kv_list(fx_kv_held, strlen(fx_kv_held),
	    &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq((char *)l.v[0].value, "node-1");
	consul_kv_list_clear(&l);
}
END_TEST

START_TEST(test_health_sample)
{
	struct consul_instances	is;
	char			err[256];

	ck_assert_int_eq(consul_parse_health(fx_health, strlen(fx_health),
	    &is, err, sizeof(err)), 0);
	ck_assert_uint_eq(is.n, 1);
	ck_assert_str_eq(is.v[0].id, "n1");
	ck_assert_str_eq(is.v[0].service_id, "probe-writer-n1");
	ck_assert_str_eq(is.v[0].service, "probe-writer");
	ck_assert_str_eq(is.v[0].address, "127.0.0.1");
	ck_assert_uint_eq(is.v[0].port, 19861);
	/* The TCP check is "warning". */
	ck_assert_int_eq(is.v[0].passing, 0);
	consul_instances_clear(&is);
	ck_assert(is.v == NULL && is.n == 0);
}
END_TEST

START_TEST(test_health_passing)
{
	struct consul_instances	is;
	char			err[256];

	ck_assert_int_eq(consul_parse_health(fx_health_passing,
	    strlen(fx_health_passing), &is, err, sizeof(err)), 0);
	ck_assert_uint_eq(is.n, 1);
	ck_assert_str_eq(is.v[0].id, "n2");
	ck_assert_str_eq(is.v[0].service_id, "probe-writer-n2");
	ck_assert_str_eq(is.v[0].address, "10.0.0.12");
	ck_assert_uint_eq(is.v[0].port, 19862);
	ck_assert_int_eq(is.v[0].passing, 1);
	consul_instances_clear(&is);
}
END_TEST

START_TEST(test_health_edges)
{
	static const char	*none = "[{\"Service\":{\"ID\":\"x\","
	    "\"Meta\":{\"id\":\"\"}}},{\"Service\":{\"ID\":\"y\","
	    "\"Meta\":null}},{\"Service\":{\"ID\":\"z\"}}]";
	static const char	*nochecks = "[{\"Node\":{\"Address\":\"h\"},"
	    "\"Service\":{\"ID\":\"w-a\",\"Service\":\"w\",\"Address\":\"::1\","
	    "\"Port\":65535,\"Meta\":{\"id\":\"a\"}}},"
	    "{\"Service\":{\"ID\":\"w-b\",\"Service\":\"w\",\"Address\":\"b\","
	    "\"Port\":1,\"Meta\":{\"id\":\"b\"}},\"Checks\":null},"
	    "{\"Service\":{\"ID\":\"w-c\",\"Service\":\"w\",\"Address\":\"c\","
	    "\"Port\":2,\"Meta\":{\"id\":\"c\"}},\"Checks\":[]},"
	    "{\"Service\":{\"ID\":\"w-d\",\"Service\":\"w\",\"Address\":\"d\","
	    "\"Port\":3,\"Meta\":{\"id\":\"d\"}},\"Checks\":"
	    "[{\"Status\":\"critical\"},{\"Status\":\"passing\"}]}]";
	struct consul_instances	is;
	char			err[256];

	ck_assert_int_eq(consul_parse_health("[]", 2, &is, err, sizeof(err)),
	    0);
	ck_assert(is.v == NULL && is.n == 0);
	/* Instances that are not ours: skipped, not an error. */
	ck_assert_int_eq(consul_parse_health(none, strlen(none), &is, err,
	    sizeof(err)), 0);
	ck_assert(is.v == NULL && is.n == 0);
	ck_assert_int_eq(consul_parse_health(nochecks, strlen(nochecks), &is,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(is.n, 4);
	ck_assert_str_eq(is.v[0].address, "::1");
	ck_assert_uint_eq(is.v[0].port, 65535);
	ck_assert_int_eq(is.v[0].passing, 1);
	ck_assert_str_eq(is.v[1].id, "b");
	ck_assert_uint_eq(is.v[1].port, 1);
	ck_assert_int_eq(is.v[1].passing, 1);
	ck_assert_int_eq(is.v[2].passing, 1);
	ck_assert_str_eq(is.v[3].service_id, "w-d");
	ck_assert_int_eq(is.v[3].passing, 0);
	consul_instances_clear(&is);
}
END_TEST

START_TEST(test_roots)
{
	struct consul_roots	r;
	char			err[256];

	ck_assert_int_eq(consul_parse_roots(fx_roots, strlen(fx_roots), &r,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(r.trust_domain,
	    "dce9cc31-3f84-b66a-ac49-d6cc4f904d1c.consul");
	ck_assert_str_eq(r.active_id,
	    "72:b1:76:30:5f:b8:57:10:8a:da:f3:b5:67:e3:c4:5f:ac:ad:14:ce");
	ck_assert_str_eq(r.pem, "-----BEGIN CERTIFICATE-----\n"
	    "<...trimmed...>\n-----END CERTIFICATE-----\n");
	consul_roots_clear(&r);
	ck_assert(is_zero(&r, sizeof(r)));

	ck_assert_int_eq(consul_parse_roots(fx_roots_rotation,
	    strlen(fx_roots_rotation), &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r.active_id, "aa:bb");
	ck_assert_str_eq(r.pem,
	    "-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n"
	    "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n"
	    "-----BEGIN CERTIFICATE-----\nINT1\n-----END CERTIFICATE-----\n"
	    "-----BEGIN CERTIFICATE-----\nINT2\n-----END CERTIFICATE-----\n");
	consul_roots_clear(&r);
}
END_TEST

START_TEST(test_leaf)
{
	struct consul_leaf	l;
	char			err[256];

	ck_assert_int_eq(consul_parse_leaf(fx_leaf, strlen(fx_leaf), &l, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(l.serial, "08");
	ck_assert_str_eq(l.cert_pem, "-----BEGIN CERTIFICATE-----\n"
	    "<...trimmed...>\n-----END CERTIFICATE-----");
	ck_assert_str_eq(l.key_pem, "-----BEGIN EC PRIVATE KEY-----\n"
	    "<...trimmed...>\n-----END EC PRIVATE KEY-----");
	ck_assert_str_eq(l.service, "probe-client");
	ck_assert_str_eq(l.service_uri, "spiffe://dce9cc31-3f84-b66a-ac49-"
	    "d6cc4f904d1c.consul/ns/default/dc/dc1/svc/probe-client");
	/* date -u -d 2026-11-23T18:32:28Z +%s, and three days later */
	ck_assert_int_eq(l.valid_after, 1795458748);
	ck_assert_int_eq(l.valid_before, 1795717948);
	consul_leaf_clear(&l);
	ck_assert(is_zero(&l, sizeof(l)));
}
END_TEST

/* RFC 3339 times as ValidBefore; want is unix seconds (date -u +%s). */
static const struct {
	const char	*text;
	int64_t		 want;
} leaf_times[] = {
	{ "2026-11-26T18:32:28Z", 1795717948 },
	{ "2026-11-26T18:32:28.999999999Z", 1795717948 },
	{ "2026-11-26T18:32:28.5+00:00", 1795717948 },
	{ "2026-11-26T20:02:28+01:30", 1795717948 },
	{ "2026-11-26T13:32:28-05:00", 1795717948 },
	{ "2024-02-29T23:59:59Z", 1709251199 },
	{ "2000-01-01T00:00:00Z", 946684800 },
	{ "2100-03-01T00:00:00Z", 4107542400LL },
	{ "1970-01-01T00:00:01Z", 1 },
};

START_TEST(test_leaf_times)
{
	struct consul_leaf	 l;
	char			 body[512], err[256];

	snprintf(body, sizeof(body), "{\"SerialNumber\":\"08\","
	    "\"CertPEM\":\"c\",\"PrivateKeyPEM\":\"k\",\"Service\":\"s\","
	    "\"ServiceURI\":\"spiffe://t/ns/default/dc/dc1/svc/s\","
	    "\"ValidAfter\":\"1970-01-01T00:00:00Z\",\"ValidBefore\":\"%s\"}",
	    leaf_times[_i].text);
	ck_assert_int_eq(consul_parse_leaf(body, strlen(body), &l, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(l.valid_after, 0);
	ck_assert_int_eq(l.valid_before, leaf_times[_i].want);
	consul_leaf_clear(&l);
}
END_TEST

START_TEST(test_authorize)
{
	char	*reason, err[256];
	int	 ok;

	ck_assert_int_eq(consul_parse_authorize(fx_authz_allow,
	    strlen(fx_authz_allow), &ok, &reason, err, sizeof(err)), 0);
	ck_assert_int_eq(ok, 1);
	ck_assert_str_eq(reason, "ACLs disabled, access is allowed by default");
	free(reason);
	ck_assert_int_eq(consul_parse_authorize(fx_authz_deny,
	    strlen(fx_authz_deny), &ok, &reason, err, sizeof(err)), 0);
	ck_assert_int_eq(ok, 0);
	ck_assert_str_eq(reason, "Matched intention: DENY "
	    "default/probe-client => default/probe-writer (ID: "
	    "83bcc7df-d697-6129-bf5c-de2db59cc5c1, Precedence: 9)");
	free(reason);
	/* The reason is optional both in the answer and for the caller. */
	ck_assert_int_eq(consul_parse_authorize("{\"Authorized\":true}",
	    strlen("{\"Authorized\":true}"), &ok, &reason, err, sizeof(err)),
	    0);
	ck_assert_int_eq(ok, 1);
	ck_assert_str_eq(reason, "");
	free(reason);
	ck_assert_int_eq(consul_parse_authorize(fx_authz_allow,
	    strlen(fx_authz_allow), &ok, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(ok, 1);
}
END_TEST

START_TEST(test_self)
{
	char	*dc, *node, err[256];

	ck_assert_int_eq(consul_parse_self(fx_self, strlen(fx_self), &dc,
	    &node, err, sizeof(err)), 0);
	ck_assert_str_eq(dc, "dc1");
	ck_assert_str_eq(node, "rig");
	free(dc);
	free(node);
}
END_TEST

START_TEST(test_session_body)
{
	static const char *const checks[] = {
		"tile38-cluster-manager-n1-ttl", NULL
	};
	static const char *const nochecks[] = { NULL };
	char	*s;

	ck_assert_ptr_nonnull(s = consul_session_body("tile38 n1", 10000, 1500,
	    checks));
	ck_assert_str_eq(s, "{\"Name\":\"tile38 n1\",\"TTL\":\"10s\","
	    "\"LockDelay\":\"1500ms\",\"Behavior\":\"delete\","
	    "\"NodeChecks\":[\"serfHealth\"],\"ServiceChecks\":[{\"ID\":"
	    "\"tile38-cluster-manager-n1-ttl\"}]}");
	free(s);
	ck_assert_ptr_nonnull(s = consul_session_body("n\"1\\", 15000, 5000,
	    nochecks));
	ck_assert_str_eq(s, "{\"Name\":\"n\\\"1\\\\\",\"TTL\":\"15s\","
	    "\"LockDelay\":\"5s\",\"Behavior\":\"delete\","
	    "\"NodeChecks\":[\"serfHealth\"],\"ServiceChecks\":[]}");
	free(s);
	/* No list at all: Consul's default (serfHealth). */
	ck_assert_ptr_nonnull(s = consul_session_body("x", 60000, 0, NULL));
	ck_assert_str_eq(s, "{\"Name\":\"x\",\"TTL\":\"1m\","
	    "\"LockDelay\":\"0s\",\"Behavior\":\"delete\"}");
	free(s);
	ck_assert_ptr_null(consul_session_body(NULL, 10000, 1500, checks));
}
END_TEST

START_TEST(test_manager_body)
{
	char	*s;

	ck_assert_ptr_nonnull(s = consul_manager_body("n1",
	    "tile38-cluster-manager-n1-ttl", 1500));
	ck_assert_str_eq(s, "{\"ID\":\"tile38-cluster-manager-n1\","
	    "\"Name\":\"tile38-cluster-manager\",\"Meta\":{\"id\":\"n1\"},"
	    "\"Check\":{\"CheckID\":\"tile38-cluster-manager-n1-ttl\","
	    "\"Name\":\"tile38-cluster-manager n1\",\"TTL\":\"1500ms\","
	    "\"Status\":\"passing\",\"DeregisterCriticalServiceAfter\":"
	    "\"1m\"}}");
	free(s);
	ck_assert_ptr_null(consul_manager_body(NULL, "c", 1500));
	ck_assert_ptr_null(consul_manager_body("n1", NULL, 1500));
}
END_TEST

START_TEST(test_service_body)
{
	char	*s;

	ck_assert_ptr_nonnull(s = consul_service_body("tile38-writer", "n1",
	    "10.0.0.11", 9851, 2000));
	ck_assert_str_eq(s, "{\"ID\":\"tile38-writer-n1\","
	    "\"Name\":\"tile38-writer\",\"Address\":\"10.0.0.11\","
	    "\"Port\":9851,\"Meta\":{\"id\":\"n1\"},"
	    "\"Connect\":{\"Native\":true},"
	    "\"Check\":{\"CheckID\":\"tile38-writer-n1-ttl\","
	    "\"Name\":\"tile38-writer-n1 manager\",\"TTL\":\"2s\","
	    "\"Status\":\"passing\","
	    "\"DeregisterCriticalServiceAfter\":\"1m\"}}");
	free(s);
	ck_assert_ptr_null(consul_service_body(NULL, "n1", "a", 1, 2000));
	ck_assert_ptr_null(consul_service_body("w", NULL, "a", 1, 2000));
	ck_assert_ptr_null(consul_service_body("w", "n1", NULL, 1, 2000));
}
END_TEST

START_TEST(test_authorize_body)
{
	char	*s;

	ck_assert_ptr_nonnull(s = consul_authorize_body("probe-writer",
	    "spiffe://dce9cc31.consul/ns/default/dc/dc1/svc/probe-client",
	    "08"));
	ck_assert_str_eq(s, "{\"Target\":\"probe-writer\","
	    "\"ClientCertURI\":\"spiffe://dce9cc31.consul/ns/default/dc/dc1/"
	    "svc/probe-client\",\"ClientCertSerial\":\"08\"}");
	free(s);
	/* Control characters are escaped, not passed through. */
	ck_assert_ptr_nonnull(s = consul_authorize_body("a\nb", "\x01", ""));
	ck_assert_str_eq(s, "{\"Target\":\"a\\nb\",\"ClientCertURI\":"
	    "\"\\u0001\",\"ClientCertSerial\":\"\"}");
	free(s);
	ck_assert_ptr_null(consul_authorize_body(NULL, "u", "s"));
	ck_assert_ptr_null(consul_authorize_body("t", NULL, "s"));
	ck_assert_ptr_null(consul_authorize_body("t", "u", NULL));
}
END_TEST

static const struct {
	uint64_t	 ms;
	const char	*want;
} durations[] = {
	{ 0, "0s" }, { 1, "1ms" }, { 999, "999ms" }, { 1000, "1s" },
	{ 1500, "1500ms" }, { 10000, "10s" }, { 90000, "90s" },
	{ 120000, "2m" }, { 3600000, "1h" }, { 5400000, "90m" },
	{ 86400000, "24h" }, { 3600001, "3600001ms" },
	{ UINT64_MAX, "18446744073709551615ms" },
};

START_TEST(test_duration)
{
	char	buf[32];

	ck_assert_str_eq(consul_duration(durations[_i].ms, buf, sizeof(buf)),
	    durations[_i].want);
}
END_TEST

START_TEST(test_duration_short)
{
	char	buf[4];

	/* "10s" and its NUL fit; "999ms" does not. */
	ck_assert_str_eq(consul_duration(10000, buf, sizeof(buf)), "10s");
	ck_assert_ptr_null(consul_duration(999, buf, sizeof(buf)));
	ck_assert_ptr_null(consul_duration(0, buf, 0));
}
END_TEST

START_TEST(test_freshness_roundtrip)
{
	struct freshness	 f, g;
	char			*s, err[256];

	memset(&f, 0, sizeof(f));
	f.id = "n1";
	f.up = 1;
	f.leader = 0;
	f.caught_up = 1;
	f.offset = 123456789012ULL;
	f.keys = 42;
	f.lineage = "9a7c\"lin\"";
	f.epoch = (uint64_t)INT64_MAX + 7;
	f.time_ms = 1795458748123LL;
	ck_assert_ptr_nonnull(s = freshness_encode(&f));
	ck_assert_str_eq(s, "{\"id\":\"n1\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":123456789012,\"keys\":42,"
	    "\"lineage\":\"9a7c\\\"lin\\\"\",\"epoch\":9223372036854775814,"
	    "\"time\":1795458748123,\"paused\":false}");
	ck_assert_int_eq(freshness_decode(s, strlen(s), &g, err, sizeof(err)),
	    0);
	free(s);
	ck_assert_str_eq(g.id, f.id);
	ck_assert_int_eq(g.up, 1);
	ck_assert_int_eq(g.leader, 0);
	ck_assert_int_eq(g.caught_up, 1);
	ck_assert_uint_eq(g.offset, f.offset);
	ck_assert_uint_eq(g.keys, f.keys);
	ck_assert_str_eq(g.lineage, f.lineage);
	ck_assert_uint_eq(g.epoch, f.epoch);
	ck_assert_int_eq(g.time_ms, f.time_ms);
	freshness_clear(&g);
	ck_assert(is_zero(&g, sizeof(g)));

	/* An empty node with no lineage yet. */
	memset(&f, 0, sizeof(f));
	f.id = "n2";
	f.leader = 5;
	ck_assert_ptr_nonnull(s = freshness_encode(&f));
	ck_assert_int_eq(freshness_decode(s, strlen(s), &g, err, sizeof(err)),
	    0);
	free(s);
	ck_assert_int_eq(g.leader, 1);
	ck_assert_str_eq(g.lineage, "");
	ck_assert_uint_eq(g.keys, 0);
	freshness_clear(&g);

	/* What decode would refuse is never written. */
	f.id = NULL;
	ck_assert_ptr_null(freshness_encode(&f));
	f.id = "";
	ck_assert_ptr_null(freshness_encode(&f));
	f.id = "n2";
	f.time_ms = -1;
	ck_assert_ptr_null(freshness_encode(&f));
	f.time_ms = 0;
	f.offset = UINT64_MAX;
	ck_assert_ptr_null(freshness_encode(&f));
}
END_TEST

/*
 * "paused" is in every record written now; records of older versions
 * have none and still decode.
 */
START_TEST(test_freshness_paused)
{
	struct freshness	 f, g;
	char			*s, err[256];
	const char		*t, *old = "{\"id\":\"n1\",\"up\":true,"
	    "\"leader\":true,\"caught_up\":false,\"offset\":7,\"keys\":1,"
	    "\"lineage\":\"l\",\"epoch\":3,\"time\":5}";

	memset(&f, 0, sizeof(f));
	f.id = "n1";
	f.paused = 1;
	ck_assert_ptr_nonnull(s = freshness_encode(&f));
	ck_assert_ptr_nonnull(strstr(s, ",\"paused\":true}"));
	ck_assert_int_eq(freshness_decode(s, strlen(s), &g, err, sizeof(err)),
	    0);
	free(s);
	ck_assert_int_eq(g.paused, 1);
	freshness_clear(&g);

	ck_assert_int_eq(freshness_decode(old, strlen(old), &g, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(g.paused, 0);
	freshness_clear(&g);

	/* Present but wrong: refused, naming the field. */
	t = "{\"id\":\"n1\",\"up\":true,\"leader\":true,\"caught_up\":false,"
	    "\"offset\":7,\"keys\":1,\"lineage\":\"l\",\"epoch\":3,"
	    "\"time\":5,\"paused\":1}";
	ck_assert_int_eq(freshness_decode(t, strlen(t), &g, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "paused"));
}
END_TEST

static const char *const fresh_keys[] = {
	"id", "up", "leader", "caught_up", "offset", "keys", "lineage",
	"epoch", "time"
};

/*
 * Each key of a good record removed, then replaced by a value of the
 * wrong type: decode fails and names the key.
 */
START_TEST(test_freshness_fields)
{
	struct freshness	 f;
	struct json_object	*obj, *bad;
	const char		*key = fresh_keys[_i], *s;
	char			*good, err[256];
	int			 pass;

	memset(&f, 0, sizeof(f));
	f.id = "n1";
	f.lineage = "l";
	ck_assert_ptr_nonnull(good = freshness_encode(&f));
	for (pass = 0; pass < 3; pass++) {
		ck_assert_ptr_nonnull(obj = json_tokener_parse(good));
		json_object_object_del(obj, key);
		if (pass == 1) {
			/* Strings get a number, everything else a string. */
			if (strcmp(key, "id") == 0 ||
			    strcmp(key, "lineage") == 0)
				bad = json_object_new_int(5);
			else
				bad = json_object_new_string("1");
			json_object_object_add(obj, key, bad);
		} else if (pass == 2)
			json_object_object_add(obj, key, NULL);
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		ck_assert_int_eq(decode(D_FRESH, s, strlen(s), err,
		    sizeof(err)), -1);
		ck_assert_msg(strstr(err, key) != NULL, "%s: %s", key, err);
		json_object_put(obj);
	}
	free(good);
}
END_TEST

/* Input that no decoder may accept. */
static const struct {
	const char	*body;
	size_t		 len;
} garbage[] = {
	{ "", 0 },
	{ " \n", 2 },
	{ "not json", 8 },
	{ "Session id 'x' not found", 24 },
	{ "{\"ID\": \"c0686ae3", 16 },
	{ "[{\"LockIndex\": 1,", 17 },
	{ "[", 1 },
	{ "{", 1 },
	{ "\"unterminated", 13 },
	{ "tru", 3 },
	{ "nul", 3 },
	{ "{\"a\":1,}", 8 },
	{ "[1,]", 4 },
	{ "{'ID':'x'}", 10 },
	{ "/* c */ true", 12 },
	{ "42", 2 },
	{ "-1", 2 },
	{ "3.5", 3 },
	{ "1e999", 5 },
	{ "NaN", 3 },
	{ "tr\0ue", 5 },
	{ "\"\xff\xfe\"", 4 },
	{ "\"\xc3\x28\"", 4 },
	{ "{} {}", 5 },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	    128 },
};

START_TEST(test_garbage)
{
	char	err[256];
	int	d;

	for (d = 0; d < D_MAX; d++)
		ck_assert_msg(decode(d, garbage[_i].body, garbage[_i].len, err,
		    sizeof(err)) == -1, "%s accepted garbage %d",
		    dec_names[d], _i);
}
END_TEST

/* Fill 1 MiB in one of several ways; each is refused by every decoder. */
static char *
big_body(int kind, size_t *len)
{
	char		*b;
	size_t		 i, n = MIB;
	uint32_t	 x = 2463534242U;

	ck_assert_ptr_nonnull(b = malloc(n + 1));
	for (i = 0; i < n; i++) {
		switch (kind) {
		case 0:		/* random bytes, NULs included */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			b[i] = (char)(x & 0xff);
			break;
		case 1:		/* printable noise */
			b[i] = 'A' + (char)(i % 26);
			break;
		case 2:		/* nesting far beyond json-c's limit */
			b[i] = i < n / 2 ? '[' : ']';
			break;
		case 3:		/* a string that never ends */
			b[i] = i == 0 ? '"' : 'a';
			break;
		case 4:		/* valid: a huge array of numbers */
			b[i] = i == 0 ? '[' : i == n - 1 ? ']' :
			    i % 2 ? '1' : ',';
			break;
		case 5:		/* valid: a huge array of empty objects */
			b[i] = i == 0 ? '[' : i == n - 1 ? ']' :
			    "{}, "[(i - 1) % 4];
			break;
		}
	}
	/* case 5 must not end in a dangling separator */
	if (kind == 5) {
		for (i = n - 2; b[i] == ' ' || b[i] == ','; i--)
			b[i] = ' ';
	}
	b[n] = '\0';
	*len = n;
	return b;
}

START_TEST(test_garbage_big)
{
	char	*b, err[256];
	size_t	 len;
	int	 d;

	b = big_body(_i, &len);
	for (d = 0; d < D_MAX; d++)
		ck_assert_msg(decode(d, b, len, err, sizeof(err)) == -1,
		    "%s accepted 1 MiB of kind %d", dec_names[d], _i);
	free(b);
}
END_TEST

#define LEAF_HEAD "{\"SerialNumber\":\"08\",\"CertPEM\":\"c\"," \
	"\"PrivateKeyPEM\":\"k\",\"Service\":\"s\",\"ServiceURI\":\"u\","
#define LEAF_TIME(a, b) LEAF_HEAD "\"ValidAfter\":\"" a "\"," \
	"\"ValidBefore\":\"" b "\"}"
#define LEAF_BEFORE(b) LEAF_TIME("2026-11-23T18:32:28Z", b)
#define HEALTH_SVC(s) "[{\"Node\":{\"Address\":\"10.0.0.1\"}," \
	"\"Service\":{" s "},\"Checks\":[]}]"
#define SVC_OK(rest) "\"ID\":\"w-n1\",\"Service\":\"w\"," \
	"\"Meta\":{\"id\":\"n1\"}," rest
#define ROOT(r) "{\"ActiveRootID\":\"a\",\"TrustDomain\":\"t.consul\"," \
	"\"Roots\":[" r "]}"
#define KV(e) "[{" e "}]"
#define KV_OK(rest) KV("\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"k\"," rest)

/* Malformed answers per decoder, and a word the reason must contain. */
static const struct {
	enum dec	 d;
	const char	*body;
	const char	*want;
} bad[] = {
	{ D_KV, "[]", "0 entries" },
	{ D_KV, "{}", "want array" },
	{ D_KV, "null", "want array" },
	{ D_KV, "[1]", "entry" },
	{ D_KV, "[null]", "entry" },
	{ D_KV, "[{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"k\"},"
	    "{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"k\"}]", "2 entries" },
	{ D_KV, KV("\"ModifyIndex\":2,\"Key\":\"k\""),
	    "missing \"LockIndex\"" },
	{ D_KV, KV("\"LockIndex\":1,\"Key\":\"k\""),
	    "missing \"ModifyIndex\"" },
	{ D_KV, KV("\"LockIndex\":1,\"ModifyIndex\":2"), "missing \"Key\"" },
	{ D_KV, KV("\"LockIndex\":null,\"ModifyIndex\":2,\"Key\":\"k\""),
	    "\"LockIndex\"" },
	{ D_KV, KV("\"LockIndex\":\"1\",\"ModifyIndex\":2,\"Key\":\"k\""),
	    "\"LockIndex\" is string" },
	{ D_KV, KV("\"LockIndex\":1.0,\"ModifyIndex\":2,\"Key\":\"k\""),
	    "\"LockIndex\" is double" },
	{ D_KV, KV("\"LockIndex\":true,\"ModifyIndex\":2,\"Key\":\"k\""),
	    "\"LockIndex\" is boolean" },
	{ D_KV, KV("\"LockIndex\":-1,\"ModifyIndex\":2,\"Key\":\"k\""),
	    "negative" },
	{ D_KV, KV("\"LockIndex\":1,\"ModifyIndex\":99999999999999999999999,"
	    "\"Key\":\"k\""), "out of range" },
	{ D_KV, KV("\"LockIndex\":1,\"ModifyIndex\":18446744073709551616,"
	    "\"Key\":\"k\""), "out of range" },
	{ D_KV, KV("\"LockIndex\":-99999999999999999999,\"ModifyIndex\":2,"
	    "\"Key\":\"k\""), "negative" },
	{ D_KV, KV("\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":5"),
	    "\"Key\" is int" },
	{ D_KV, KV("\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"\""),
	    "\"Key\" is empty" },
	{ D_KV, KV("\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"k\\u0000x\""),
	    "NUL" },
	{ D_KV, KV_OK("\"Session\":7"), "\"Session\" is int" },
	{ D_KV, KV_OK("\"Session\":[]"), "\"Session\" is array" },
	{ D_KV, KV_OK("\"Value\":5"), "\"Value\" is int" },
	{ D_KV, KV_OK("\"Value\":{}"), "\"Value\" is object" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZS0\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZS0x=\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZS0*\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9k=S0x\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZ===\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"====\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9k ZS0\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\" bm9kZS0x\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZS0x\\n\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZS0x\\u0000AAA\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9k_S0x\""), "base64" },
	{ D_KV, KV_OK("\"Value\":\"bm9kZS0x\"") " x", "trailing" },

	{ D_KVLIST, "{}", "want array" },
	{ D_KVLIST, "null", "want array" },
	{ D_KVLIST, "[1]", "entry" },
	{ D_KVLIST, "[{}]", "missing \"LockIndex\"" },
	{ D_KVLIST, "[{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"a\"},"
	    "{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"b\","
	    "\"Value\":\"x\"}]", "[1]: \"Value\" is not valid base64" },
	{ D_KVLIST, "[{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"a\"},"
	    "{\"LockIndex\":1,\"ModifyIndex\":-2,\"Key\":\"b\"}]",
	    "[1]: \"ModifyIndex\" is negative" },
	{ D_KVLIST, "[{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"a\"},"
	    "{\"LockIndex\":1,\"ModifyIndex\":2,\"Key\":\"b\","
	    "\"Session\":false}]", "\"Session\" is boolean" },

	{ D_CREATE, "{}", "missing \"ID\"" },
	{ D_CREATE, "{\"ID\":5}", "\"ID\" is int" },
	{ D_CREATE, "{\"ID\":\"\"}", "\"ID\" is empty" },
	{ D_CREATE, "{\"ID\":null}", "missing \"ID\"" },
	{ D_CREATE, "[{\"ID\":\"x\"}]", "want object" },
	{ D_CREATE, "\"x\"", "want object" },
	{ D_CREATE, "null", "want object" },

	{ D_INFO, "{}", "want array" },
	{ D_INFO, "true", "want array" },
	{ D_INFO, "\"x\"", "want array" },
	{ D_INFO, "[1]", "entry" },
	{ D_INFO, "[null]", "entry" },
	{ D_INFO, "[{}]", "missing \"ID\"" },
	{ D_INFO, "[{\"ID\":\"x\"},{\"ID\":1}]", "[1]: \"ID\" is int" },
	{ D_INFO, "[] []", "trailing" },

	{ D_BOOL, "null", "want boolean" },
	{ D_BOOL, "\"true\"", "want boolean" },
	{ D_BOOL, "1", "want boolean" },
	{ D_BOOL, "0", "want boolean" },
	{ D_BOOL, "[true]", "want boolean" },
	{ D_BOOL, "TRUE", "invalid JSON" },
	{ D_BOOL, "true false", "trailing" },

	{ D_STRING, "null", "want string" },
	{ D_STRING, "5", "want string" },
	{ D_STRING, "[\"127.0.0.1:8300\"]", "want string" },
	{ D_STRING, "{}", "want string" },
	{ D_STRING, "\"a\\u0000b\"", "NUL" },
	{ D_STRING, "\"a\" \"b\"", "trailing" },

	{ D_HEALTH, "{}", "want array" },
	{ D_HEALTH, "null", "want array" },
	{ D_HEALTH, "[1]", "entry" },
	{ D_HEALTH, "[null]", "entry" },
	{ D_HEALTH, "[{}]", "missing \"Service\"" },
	{ D_HEALTH, "[{\"Service\":[]}]", "\"Service\" is array" },
	{ D_HEALTH, "[{\"Service\":{\"Meta\":[]}}]", "\"Meta\" is array" },
	{ D_HEALTH, "[{\"Service\":{\"Meta\":{\"id\":1}}}]", "\"id\" is int" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\"")),
	    "missing \"Port\"" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\",\"Port\":0")),
	    "\"Port\" is out of range" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\",\"Port\":65536")),
	    "\"Port\" is out of range" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\",\"Port\":-1")),
	    "\"Port\" is out of range" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\","
	    "\"Port\":-9223372036854775808")), "\"Port\" is out of range" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\","
	    "\"Port\":18446744073709551616")), "\"Port\" is out of range" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\",\"Port\":\"80\"")),
	    "\"Port\" is string" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":\"a\",\"Port\":80.0")),
	    "\"Port\" is double" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Port\":80")), "missing \"Address\"" },
	{ D_HEALTH, HEALTH_SVC(SVC_OK("\"Address\":7,\"Port\":80")),
	    "\"Address\" is int" },
	{ D_HEALTH, HEALTH_SVC("\"Service\":\"w\",\"Meta\":{\"id\":\"n1\"},"
	    "\"Address\":\"a\",\"Port\":80"), "missing \"ID\"" },
	{ D_HEALTH, HEALTH_SVC("\"ID\":\"w-n1\",\"Meta\":{\"id\":\"n1\"},"
	    "\"Address\":\"a\",\"Port\":80"), "missing \"Service\"" },
	{ D_HEALTH, "[{\"Service\":{" SVC_OK("\"Address\":\"\",\"Port\":80")
	    "}}]", "missing \"Node\"" },
	{ D_HEALTH, "[{\"Node\":{\"Address\":\"\"},\"Service\":{"
	    SVC_OK("\"Address\":\"\",\"Port\":80") "}}]",
	    "Node: \"Address\" is empty" },
	{ D_HEALTH, "[{\"Node\":[],\"Service\":{"
	    SVC_OK("\"Address\":\"\",\"Port\":80") "}}]", "\"Node\" is array" },
	{ D_HEALTH, "[{\"Service\":{" SVC_OK("\"Address\":\"a\",\"Port\":80")
	    "},\"Checks\":{}}]", "\"Checks\" is object" },
	{ D_HEALTH, "[{\"Service\":{" SVC_OK("\"Address\":\"a\",\"Port\":80")
	    "},\"Checks\":[\"passing\"]}]", "Checks[0]" },
	{ D_HEALTH, "[{\"Service\":{" SVC_OK("\"Address\":\"a\",\"Port\":80")
	    "},\"Checks\":[{\"Status\":\"passing\"},{}]}]",
	    "missing \"Status\"" },
	{ D_HEALTH, "[{\"Service\":{" SVC_OK("\"Address\":\"a\",\"Port\":80")
	    "},\"Checks\":[{\"Status\":1}]}]", "\"Status\" is int" },

	{ D_ROOTS, "[]", "want object" },
	{ D_ROOTS, "{\"ActiveRootID\":\"a\",\"Roots\":[]}",
	    "missing \"TrustDomain\"" },
	{ D_ROOTS, "{\"TrustDomain\":\"t\",\"Roots\":[]}",
	    "missing \"ActiveRootID\"" },
	{ D_ROOTS, "{\"ActiveRootID\":\"a\",\"TrustDomain\":\"t\"}",
	    "missing \"Roots\"" },
	{ D_ROOTS, "{\"ActiveRootID\":\"a\",\"TrustDomain\":\"\","
	    "\"Roots\":[]}", "\"TrustDomain\" is empty" },
	{ D_ROOTS, ROOT(""), "no active root" },
	{ D_ROOTS, "{\"ActiveRootID\":\"a\",\"TrustDomain\":\"t\","
	    "\"Roots\":{}}", "\"Roots\" is object" },
	{ D_ROOTS, ROOT("1"), "root" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"Active\":true}"),
	    "missing \"RootCert\"" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"\",\"Active\":true}"),
	    "\"RootCert\" is empty" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\"}"),
	    "missing \"Active\"" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":1}"),
	    "\"Active\" is int" },
	{ D_ROOTS, ROOT("{\"RootCert\":\"c\",\"Active\":true}"),
	    "missing \"ID\"" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":true,"
	    "\"IntermediateCerts\":\"i\"}"),
	    "\"IntermediateCerts\" is string" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":true,"
	    "\"IntermediateCerts\":[\"i\",7]}"), "IntermediateCerts[1]" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":true,"
	    "\"IntermediateCerts\":[\"\"]}"), "is empty" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":false}"),
	    "no active root" },
	{ D_ROOTS, ROOT("{\"ID\":\"b\",\"RootCert\":\"c\",\"Active\":true}"),
	    "\"ActiveRootID\"" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":true},"
	    "{\"ID\":\"b\",\"RootCert\":\"d\",\"Active\":true}"),
	    "more than one" },
	{ D_ROOTS, ROOT("{\"ID\":\"a\",\"RootCert\":\"c\",\"Active\":true},"
	    "{\"ID\":\"b\",\"RootCert\":5,\"Active\":false}"),
	    "Roots[1]: \"RootCert\" is int" },

	{ D_LEAF, "[]", "want object" },
	{ D_LEAF, "{}", "missing \"CertPEM\"" },
	{ D_LEAF, LEAF_HEAD "\"ValidAfter\":\"2026-11-23T18:32:28Z\"}",
	    "missing \"ValidBefore\"" },
	{ D_LEAF, LEAF_HEAD "\"ValidBefore\":\"2026-11-23T18:32:28Z\"}",
	    "missing \"ValidAfter\"" },
	{ D_LEAF, "{\"SerialNumber\":8,\"CertPEM\":\"c\","
	    "\"PrivateKeyPEM\":\"k\",\"Service\":\"s\",\"ServiceURI\":\"u\","
	    "\"ValidAfter\":\"2026-11-23T18:32:28Z\","
	    "\"ValidBefore\":\"2026-11-26T18:32:28Z\"}",
	    "\"SerialNumber\" is int" },
	{ D_LEAF, "{\"SerialNumber\":\"08\",\"CertPEM\":\"c\","
	    "\"PrivateKeyPEM\":\"\",\"Service\":\"s\",\"ServiceURI\":\"u\","
	    "\"ValidAfter\":\"2026-11-23T18:32:28Z\","
	    "\"ValidBefore\":\"2026-11-26T18:32:28Z\"}",
	    "\"PrivateKeyPEM\" is empty" },
	{ D_LEAF, "{\"SerialNumber\":\"08\",\"CertPEM\":\"c\","
	    "\"PrivateKeyPEM\":\"k\",\"Service\":\"s\","
	    "\"ValidAfter\":\"2026-11-23T18:32:28Z\","
	    "\"ValidBefore\":\"2026-11-26T18:32:28Z\"}",
	    "missing \"ServiceURI\"" },
	{ D_LEAF, LEAF_HEAD "\"ValidAfter\":\"2026-11-23T18:32:28Z\","
	    "\"ValidBefore\":1795717948}", "\"ValidBefore\" is int" },
	{ D_LEAF, LEAF_BEFORE(""), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26 18:32:28Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26t18:32:28z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28+0100"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28+01"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28+"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28+24:00"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28+01:60"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28+01:00:00"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28.Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28,5Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28Zjunk"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T24:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:60:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:60Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-13-01T00:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-00-01T00:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-04-31T00:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2027-02-29T00:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2100-02-29T00:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-00T00:00:00Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("+2026-11-26T18:32:28Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-1-26T18:32:28Z"), "RFC 3339" },
	{ D_LEAF, LEAF_BEFORE("2026-11-26T18:32:28Z\\u0000"), "NUL" },
	{ D_LEAF, LEAF_TIME("2026-11-26T18:32:28Z", "2026-11-26T18:32:28Z"),
	    "not after" },
	{ D_LEAF, LEAF_TIME("2026-11-26T18:32:28Z", "2026-11-23T18:32:28Z"),
	    "not after" },

	{ D_AUTHZ, "[]", "want object" },
	{ D_AUTHZ, "true", "want object" },
	{ D_AUTHZ, "{}", "missing \"Authorized\"" },
	{ D_AUTHZ, "{\"Reason\":\"x\"}", "missing \"Authorized\"" },
	{ D_AUTHZ, "{\"Authorized\":\"true\"}", "\"Authorized\" is string" },
	{ D_AUTHZ, "{\"Authorized\":1}", "\"Authorized\" is int" },
	{ D_AUTHZ, "{\"Authorized\":true,\"Reason\":5}", "\"Reason\" is int" },
	{ D_AUTHZ, "{\"Authorized\":true,\"Reason\":\"a\\u0000\"}", "NUL" },

	{ D_SELF, "[]", "want object" },
	{ D_SELF, "{}", "missing \"Config\"" },
	{ D_SELF, "{\"Config\":[]}", "\"Config\" is array" },
	{ D_SELF, "{\"Config\":{\"NodeName\":\"rig\"}}",
	    "missing \"Datacenter\"" },
	{ D_SELF, "{\"Config\":{\"Datacenter\":\"dc1\"}}",
	    "missing \"NodeName\"" },
	{ D_SELF, "{\"Config\":{\"Datacenter\":5,\"NodeName\":\"rig\"}}",
	    "\"Datacenter\" is int" },
	{ D_SELF, "{\"Config\":{\"Datacenter\":\"dc1\",\"NodeName\":\"\"}}",
	    "\"NodeName\" is empty" },

	{ D_FRESH, "[]", "want object" },
	{ D_FRESH, "{}", "missing \"id\"" },
	{ D_FRESH, "{\"id\":\"\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":1,\"keys\":1,\"lineage\":\"l\","
	    "\"epoch\":1,\"time\":1}", "\"id\" is empty" },
	{ D_FRESH, "{\"id\":\"n\",\"up\":1,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":1,\"keys\":1,\"lineage\":\"l\","
	    "\"epoch\":1,\"time\":1}", "\"up\" is int" },
	{ D_FRESH, "{\"id\":\"n\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":-1,\"keys\":1,\"lineage\":\"l\","
	    "\"epoch\":1,\"time\":1}", "\"offset\" is negative" },
	{ D_FRESH, "{\"id\":\"n\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":1,\"keys\":1e3,\"lineage\":\"l\","
	    "\"epoch\":1,\"time\":1}", "\"keys\" is double" },
	{ D_FRESH, "{\"id\":\"n\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":1,\"keys\":1,\"lineage\":\"l\","
	    "\"epoch\":123456789012345678901234567890,\"time\":1}",
	    "\"epoch\" is out of range" },
	{ D_FRESH, "{\"id\":\"n\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":1,\"keys\":1,\"lineage\":\"l\","
	    "\"epoch\":1,\"time\":-5}", "\"time\" is out of range" },
	{ D_FRESH, "{\"id\":\"n\",\"up\":true,\"leader\":false,"
	    "\"caught_up\":true,\"offset\":1,\"keys\":1,\"lineage\":\"l\","
	    "\"epoch\":1,\"time\":9223372036854775808}",
	    "\"time\" is out of range" },
};

START_TEST(test_bad)
{
	char	err[256];

	ck_assert_msg(decode(bad[_i].d, bad[_i].body, strlen(bad[_i].body),
	    err, sizeof(err)) == -1, "%s accepted %s", dec_names[bad[_i].d],
	    bad[_i].body);
	ck_assert_msg(strstr(err, bad[_i].want) != NULL,
	    "%s: %s: got \"%s\", want \"%s\"", dec_names[bad[_i].d],
	    bad[_i].body, err, bad[_i].want);
}
END_TEST

/* err may be NULL, or too small for the whole reason. */
START_TEST(test_err_buffers)
{
	struct consul_kv	kv;
	char			small[8];
	int			v;

	ck_assert_int_eq(consul_parse_kv("[]", 2, &kv, NULL, 0), -1);
	ck_assert_int_eq(consul_parse_kv("[]", 2, &kv, small, sizeof(small)),
	    -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(consul_parse_bool("x", 1, &v, small, 1), -1);
	ck_assert_str_eq(small, "");
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
consul_api_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("consul_api");

	tc = tcase_create("decode");
	tcase_add_test(tc, test_session_create);
	tcase_add_test(tc, test_session_info);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_string);
	tcase_add_test(tc, test_kv_held);
	tcase_add_loop_test(tc, test_kv_value, 0, NELEM(kv_values));
	tcase_add_test(tc, test_kv_unheld);
	tcase_add_test(tc, test_kv_list);
	tcase_add_test(tc, test_health_sample);
	tcase_add_test(tc, test_health_passing);
	tcase_add_test(tc, test_health_edges);
	tcase_add_test(tc, test_roots);
	tcase_add_test(tc, test_leaf);
	tcase_add_loop_test(tc, test_leaf_times, 0, NELEM(leaf_times));
	tcase_add_test(tc, test_authorize);
	tcase_add_test(tc, test_self);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, test_session_body);
	tcase_add_test(tc, test_manager_body);
	tcase_add_test(tc, test_service_body);
	tcase_add_test(tc, test_authorize_body);
	tcase_add_loop_test(tc, test_duration, 0, NELEM(durations));
	tcase_add_test(tc, test_duration_short);
	tcase_add_test(tc, test_freshness_roundtrip);
	tcase_add_test(tc, test_freshness_paused);
	tcase_add_loop_test(tc, test_freshness_fields, 0, NELEM(fresh_keys));
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	/* 1 MiB bodies under ASan take a while. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_garbage, 0, NELEM(garbage));
	tcase_add_loop_test(tc, test_garbage_big, 0, 6);
	tcase_add_loop_test(tc, test_bad, 0, NELEM(bad));
	tcase_add_test(tc, test_err_buffers);
	suite_add_tcase(s, tc);

	return s;
}
