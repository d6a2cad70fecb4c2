/*
 * Request bodies for the Consul HTTP API and our freshness records, built
 * with json-c so that every string is escaped as JSON requires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "consul_api.h"

/* Go's duration text for the durations we send, fits easily. */
#define DURLEN		32

/*
 * Request bodies.  Every helper takes ownership of val, also when it
 * fails, so that a builder is a chain of calls and one put at the end.
 */
static int
add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static int
add_str(struct json_object *obj, const char *key, const char *s)
{
	return add(obj, key, json_object_new_string(s));
}

static int
add_duration(struct json_object *obj, const char *key, uint64_t ms)
{
	char		 buf[DURLEN];
	const char	*s;

	if ((s = consul_duration(ms, buf, sizeof(buf))) == NULL)
		return -1;
	return add_str(obj, key, s);
}

/*
 * The text of obj, which is released.  Slashes stay unescaped so that
 * the SPIFFE URIs read as they are ("spiffe://", not "spiffe:\/\/").
 */
static char *
to_text(struct json_object *obj)
{
	const char	*s;
	char		*text = NULL;

	if (obj == NULL)
		return NULL;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s != NULL)
		text = strdup(s);
	json_object_put(obj);
	return text;
}

/*
 * checks NULL leaves "Checks" out, which gives Consul's default
 * (serfHealth); an empty list asks for a session bound to no check.
 */
char *
consul_session_body(const char *name, uint64_t ttl_ms,
    uint64_t lock_delay_ms, const char *const *checks)
{
	struct json_object	*obj, *arr, *v;
	size_t			 i;

	if (name == NULL || (obj = json_object_new_object()) == NULL)
		return NULL;
	if (add_str(obj, "Name", name) == -1 ||
	    add_duration(obj, "TTL", ttl_ms) == -1 ||
	    add_duration(obj, "LockDelay", lock_delay_ms) == -1 ||
	    add_str(obj, "Behavior", "delete") == -1)
		goto fail;
	if (checks != NULL) {
		/*
		 * The node's serfHealth plus our own service checks: a check
		 * of the node itself would mark every service on a shared
		 * agent unhealthy when one manager dies.  Attached first: the
		 * object then owns each array on every path.
		 */
		if (add(obj, "NodeChecks", arr = json_object_new_array()) == -1 ||
		    (v = json_object_new_string("serfHealth")) == NULL)
			goto fail;
		if (json_object_array_add(arr, v) != 0) {
			json_object_put(v);
			goto fail;
		}
		if (add(obj, "ServiceChecks", arr = json_object_new_array()) == -1)
			goto fail;
		for (i = 0; checks[i] != NULL; i++) {
			struct json_object	*c;

			if ((c = json_object_new_object()) == NULL)
				goto fail;
			if (json_object_array_add(arr, c) != 0) {
				json_object_put(c);
				goto fail;
			}
			if (add_str(c, "ID", checks[i]) == -1)
				goto fail;
		}
	}
	return to_text(obj);
 fail:
	json_object_put(obj);
	return NULL;
}

char *
consul_manager_body(const char *id, const char *check_id, uint64_t ttl_ms)
{
	struct json_object	*obj, *meta, *check;
	char			 sid[512], name[512];

	if (id == NULL || check_id == NULL ||
	    (obj = json_object_new_object()) == NULL)
		return NULL;
	snprintf(sid, sizeof(sid), "tile38-cluster-manager-%s", id);
	snprintf(name, sizeof(name), "tile38-cluster-manager %s", id);
	if (add_str(obj, "ID", sid) == -1 ||
	    add_str(obj, "Name", "tile38-cluster-manager") == -1 ||
	    add(obj, "Meta", meta = json_object_new_object()) == -1 ||
	    add_str(meta, "id", id) == -1 ||
	    add(obj, "Check", check = json_object_new_object()) == -1 ||
	    add_str(check, "CheckID", check_id) == -1 ||
	    add_str(check, "Name", name) == -1 ||
	    add_duration(check, "TTL", ttl_ms) == -1 ||
	    add_str(check, "Status", "passing") == -1 ||
	    add_str(check, "DeregisterCriticalServiceAfter", "1m") == -1) {
		json_object_put(obj);
		return NULL;
	}
	return to_text(obj);
}

/*
 * The check starts "passing": the elector refreshes it at once anyway,
 * and a critical start would hide a fresh node from its peers for a
 * whole TTL.  A node that stops refreshing goes critical and is
 * deregistered a minute later.
 */
char *
consul_service_body(const char *name, const char *id, const char *address,
    uint16_t port, uint64_t check_ttl_ms)
{
	struct json_object	*obj = NULL, *meta, *conn, *check;
	char			*sid = NULL, *cid = NULL, *cname = NULL;
	char			*text = NULL;

	if (name == NULL || id == NULL || address == NULL)
		return NULL;
	if (asprintf(&sid, "%s-%s", name, id) == -1)
		sid = NULL;
	if (sid == NULL || asprintf(&cid, "%s-ttl", sid) == -1)
		cid = NULL;
	if (sid == NULL || asprintf(&cname, "%s manager", sid) == -1)
		cname = NULL;
	if (cid == NULL || cname == NULL ||
	    (obj = json_object_new_object()) == NULL)
		goto done;
	/*
	 * The nested objects are attached before they are filled, so obj
	 * owns them on every path and one put releases everything.
	 */
	if (add_str(obj, "ID", sid) == -1 ||
	    add_str(obj, "Name", name) == -1 ||
	    add_str(obj, "Address", address) == -1 ||
	    add(obj, "Port", json_object_new_int(port)) == -1 ||
	    add(obj, "Meta", meta = json_object_new_object()) == -1 ||
	    add(obj, "Connect", conn = json_object_new_object()) == -1 ||
	    add(obj, "Check", check = json_object_new_object()) == -1)
		goto done;
	if (add_str(meta, "id", id) == -1 ||
	    add(conn, "Native", json_object_new_boolean(1)) == -1 ||
	    add_str(check, "CheckID", cid) == -1 ||
	    add_str(check, "Name", cname) == -1 ||
	    add_duration(check, "TTL", check_ttl_ms) == -1 ||
	    add_str(check, "Status", "passing") == -1 ||
	    add_str(check, "DeregisterCriticalServiceAfter", "1m") == -1)
		goto done;
	text = to_text(obj);
	obj = NULL;
 done:
	json_object_put(obj);
	free(sid);
	free(cid);
	free(cname);
	return text;
}

char *
consul_authorize_body(const char *target, const char *client_uri,
    const char *client_serial)
{
	struct json_object	*obj;

	if (target == NULL || client_uri == NULL || client_serial == NULL ||
	    (obj = json_object_new_object()) == NULL)
		return NULL;
	if (add_str(obj, "Target", target) == -1 ||
	    add_str(obj, "ClientCertURI", client_uri) == -1 ||
	    add_str(obj, "ClientCertSerial", client_serial) == -1) {
		json_object_put(obj);
		return NULL;
	}
	return to_text(obj);
}

/*
 * Freshness records are ours, so every key is required.  The largest
 * integers are refused on both sides because json-c clamps overflow to
 * them (see u64_field()); encode never writes what decode would refuse.
 */
char *
freshness_encode(const struct freshness *f)
{
	struct json_object	*obj;

	if (f->id == NULL || f->id[0] == '\0' || f->offset == UINT64_MAX ||
	    f->keys == UINT64_MAX || f->epoch == UINT64_MAX ||
	    f->time_ms < 0 || f->time_ms == INT64_MAX)
		return NULL;
	if ((obj = json_object_new_object()) == NULL)
		return NULL;
	if (add_str(obj, "id", f->id) == -1 ||
	    add(obj, "up", json_object_new_boolean(f->up != 0)) == -1 ||
	    add(obj, "leader", json_object_new_boolean(f->leader != 0)) == -1 ||
	    add(obj, "caught_up",
	    json_object_new_boolean(f->caught_up != 0)) == -1 ||
	    add(obj, "offset", json_object_new_uint64(f->offset)) == -1 ||
	    add(obj, "keys", json_object_new_uint64(f->keys)) == -1 ||
	    add_str(obj, "lineage",
	    f->lineage != NULL ? f->lineage : "") == -1 ||
	    add(obj, "epoch", json_object_new_uint64(f->epoch)) == -1 ||
	    add(obj, "time", json_object_new_int64(f->time_ms)) == -1 ||
	    add(obj, "paused", json_object_new_boolean(f->paused != 0)) == -1) {
		json_object_put(obj);
		return NULL;
	}
	return to_text(obj);
}

/*
 * Go's time.ParseDuration text in the largest unit that is exact, so
 * that what we send reads like what an operator configured.
 */
const char *
consul_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		uint64_t	 ms;
		const char	*unit;
	} units[] = {
		{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" },
	};
	size_t	i;
	int	n;

	if (ms == 0)
		n = snprintf(buf, len, "0s");
	else {
		for (i = 0; ms % units[i].ms != 0; i++)
			;
		n = snprintf(buf, len, "%llu%s",
		    (unsigned long long)(ms / units[i].ms), units[i].unit);
	}
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}
