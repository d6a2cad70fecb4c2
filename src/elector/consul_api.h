/*
 * Decoding the Consul HTTP API's JSON answers and building its request
 * bodies (json-c).  Pure functions: no I/O.  Every decoder checks types
 * and returns -1 with a reason in err on anything unexpected, so that a
 * malformed reply is logged and retried instead of trusted.
 */
#ifndef CONSUL_API_H
#define CONSUL_API_H

#include <stddef.h>
#include <stdint.h>

/* GET /v1/kv/<key>: the first (only) entry of the array. */
struct consul_kv {
	uint64_t	 lock_index;
	uint64_t	 modify_index;
	uint64_t	 flags;		/* the key's opaque flags */
	char		*key;
	char		*session;	/* NULL when nobody holds it */
	uint8_t		*value;		/* base64-decoded, NUL-terminated */
	size_t		 value_len;
};
int	consul_parse_kv(const char *body, size_t len, struct consul_kv *,
	    char *err, size_t errlen);
void	consul_kv_clear(struct consul_kv *);

/* GET /v1/kv/<prefix>?recurse: every entry (an empty array is fine). */
struct consul_kv_list {
	struct consul_kv	*v;
	size_t			 n;
};
int	consul_parse_kv_list(const char *body, size_t len,
	    struct consul_kv_list *, char *err, size_t errlen);
void	consul_kv_list_clear(struct consul_kv_list *);

/* PUT /v1/session/create: {"ID": "..."} */
int	consul_parse_session_create(const char *body, size_t len, char **id,
	    char *err, size_t errlen);
/* GET /v1/session/info/<id>: 1 when the array holds that session, 0 "[]" or null */
int	consul_parse_session_info(const char *body, size_t len,
	    const char *id, int *found, char *err, size_t errlen);
/* A bare JSON true/false (acquire, release, destroy). */
int	consul_parse_bool(const char *body, size_t len, int *val, char *err,
	    size_t errlen);
/* GET /v1/status/leader: a JSON string, "" when there is no leader. */
int	consul_parse_string(const char *body, size_t len, char **out,
	    char *err, size_t errlen);

/* GET /v1/health/connect/<svc>: one entry per instance. */
struct consul_instance {
	char		*id;		/* Service.Meta.id */
	char		*service_id;	/* Service.ID */
	char		*service;	/* Service.Service */
	char		*address;	/* Service.Address, else Node.Address */
	uint16_t	 port;		/* Service.Port */
	int		 passing;	/* every check's Status is "passing" */
};
struct consul_instances {
	struct consul_instance	*v;
	size_t			 n;
};
/* Instances without Meta.id are skipped (not ours to route to). */
int	consul_parse_health(const char *body, size_t len,
	    struct consul_instances *, char *err, size_t errlen);
void	consul_instances_clear(struct consul_instances *);

/* GET /v1/agent/connect/ca/roots */
struct consul_roots {
	char	*trust_domain;
	char	*active_id;
	char	*pem;		/* every root and intermediate, concatenated */
};
int	consul_parse_roots(const char *body, size_t len, struct consul_roots *,
	    char *err, size_t errlen);
void	consul_roots_clear(struct consul_roots *);

/* GET /v1/agent/connect/ca/leaf/<svc> */
struct consul_leaf {
	char	*cert_pem;
	char	*key_pem;
	char	*service;
	char	*service_uri;	/* spiffe://... */
	char	*serial;
	int64_t	 valid_after;	/* unix seconds */
	int64_t	 valid_before;
};
int	consul_parse_leaf(const char *body, size_t len, struct consul_leaf *,
	    char *err, size_t errlen);
void	consul_leaf_clear(struct consul_leaf *);

/* POST /v1/agent/connect/authorize */
int	consul_parse_authorize(const char *body, size_t len, int *authorized,
	    char **reason, char *err, size_t errlen);

/* GET /v1/agent/self: Config.Datacenter and Config.NodeName. */
int	consul_parse_self(const char *body, size_t len, char **datacenter,
	    char **node, char *err, size_t errlen);

/*
 * Request bodies; each returns a malloc'd JSON text or NULL.
 */
/*
 * Session: TTL and LockDelay as Go durations ("10s", "1500ms"); checks
 * are service check ids (ServiceChecks), with serfHealth as NodeChecks;
 * NULL leaves both out (Consul's default, serfHealth).
 */
char	*consul_session_body(const char *name, uint64_t ttl_ms,
	    uint64_t lock_delay_ms, const char *const *checks);
/*
 * The manager's own service "tile38-cluster-manager-<id>" (Meta.id) with
 * the TTL check check_id that its session is tied to; deregistered by
 * Consul a minute after the check went critical.
 */
char	*consul_manager_body(const char *id, const char *check_id,
	    uint64_t ttl_ms);
/*
 * A Connect-native service as the Go original registers it: ID
 * "<name>-<id>", Name, Address, Port, Meta {"id": id},
 * Connect {"Native": true}, and a TTL check "<name>-<id>-ttl" that the
 * elector keeps passing while the node is healthy.
 */
char	*consul_service_body(const char *name, const char *id,
	    const char *address, uint16_t port, uint64_t check_ttl_ms);
char	*consul_authorize_body(const char *target, const char *client_uri,
	    const char *client_serial);

/*
 * A node's freshness record, published at <prefix>/nodes/<id> so that
 * candidates can compare themselves with their peers.
 */
struct freshness {
	char		*id;		/* manager id */
	int		 up;		/* local server answers, not loading */
	int		 leader;	/* holds the lock */
	int		 caught_up;	/* follower linked and caught up */
	uint64_t	 offset;	/* replication offset / aof_size */
	uint64_t	 keys;		/* dataset size; 0 = empty */
	char		*lineage;	/* replication id / leader server id */
	uint64_t	 epoch;		/* lock index it last followed or led */
	int64_t		 time_ms;	/* unix ms when published */
	int		 paused;	/* neither contends nor fails over */
};
char	*freshness_encode(const struct freshness *);
int	freshness_decode(const char *json, size_t len, struct freshness *,
	    char *err, size_t errlen);
void	freshness_clear(struct freshness *);

/* Go duration text for ms ("1500ms", "10s", "2m"); buf of 32 bytes. */
const char *consul_duration(uint64_t ms, char *buf, size_t len);

#endif
