/*
 * The local server's probe replies read into a struct srv_state: Tile38's
 * SERVER (a flat key/value array) and Redis' INFO (a bulk string of
 * "key:value" lines).
 *
 * Kept apart from srvctl.c, which owns the connection, so that every
 * shape a reply takes (a leader, a follower caught up or not, a Redis
 * replica with its link down, LOADING, an error) is read the same way in
 * the daemon and in a table test, without a server.  The gauges for
 * metrics come from the same replies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "srv_info.h"

/* A decimal number and nothing else. */
static int
srv_u64(const char *str, uint64_t *out)
{
	uint64_t	v = 0, d;

	if (*str == '\0')
		return -1;
	for (; *str != '\0'; str++) {
		if (*str < '0' || *str > '9')
			return -1;
		d = (uint64_t)(*str - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A SERVER value as text, whether sent as a string or an integer. */
static int
srv_map_str(const struct resp *r, const char *key, char *out, size_t outlen)
{
	const struct resp	*v;

	if ((v = resp_map_get(r, key)) == NULL)
		return -1;
	switch (v->type) {
	case RESP_BULK:
	case RESP_SIMPLE:
		strlcpy(out, v->str, outlen);
		return 0;
	case RESP_INTEGER:
		snprintf(out, outlen, "%lld", v->integer);
		return 0;
	default:
		return -1;
	}
}

static uint64_t
srv_map_u64(const struct resp *r, const char *key)
{
	char		buf[32];
	uint64_t	v;

	if (srv_map_str(r, key, buf, sizeof(buf)) == -1 ||
	    srv_u64(buf, &v) == -1)
		return 0;
	return v;
}

static int
srv_map_bool(const struct resp *r, const char *key)
{
	char	buf[16];

	if (srv_map_str(r, key, buf, sizeof(buf)) == -1)
		return 0;
	return strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0;
}

/* The Go original's gauges, from SERVER. */
static const char *const t38_gauges[] = {
	"mem_alloc", "num_hooks", "pointer_size", "aof_size",
	"avg_item_size", "heap_size", "num_objects", "threads", "cpus",
	"heap_released", "max_heap_size", "num_collections", "num_points",
	"in_memory_size", "num_strings",
};

/* Their Redis equivalents in INFO: { our name, INFO field }. */
static const char *const redis_gauges[][2] = {
	{ "mem_alloc", "used_memory" },
	{ "heap_size", "used_memory_rss" },
	{ "max_heap_size", "maxmemory" },
	{ "aof_size", "aof_current_size" },
	{ "connected_clients", "connected_clients" },
};

static void
srv_gauge(struct srv_state *st, const char *name, const char *text)
{
	char	*end;
	double	 v;

	if (st->ngauges == SRV_GAUGES || text[0] == '\0')
		return;
	v = strtod(text, &end);
	if (*end != '\0')
		return;
	st->gauges[st->ngauges].name = name;
	st->gauges[st->ngauges].value = v;
	st->ngauges++;
}

static void
srv_gauges_tile38(struct srv_state *st, const struct resp *r)
{
	char	buf[32];
	size_t	i;

	st->ngauges = 0;
	for (i = 0; i < sizeof(t38_gauges) / sizeof(t38_gauges[0]); i++)
		if (srv_map_str(r, t38_gauges[i], buf, sizeof(buf)) == 0)
			srv_gauge(st, t38_gauges[i], buf);
}

static void
srv_gauges_redis(struct srv_state *st, const char *info)
{
	char	buf[32];
	size_t	i;

	st->ngauges = 0;
	for (i = 0; i < sizeof(redis_gauges) / sizeof(redis_gauges[0]); i++)
		if (resp_info_get(info, redis_gauges[i][1], buf,
		    sizeof(buf)) == 0)
			srv_gauge(st, redis_gauges[i][0], buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st->keys);
	srv_gauge(st, "num_objects", buf);
}

/* -LOADING, from either server: not writable, no link; the rest as was. */
static int
srv_loading(const struct resp *r, struct srv_state *st)
{
	if (r->type != RESP_ERROR || strncmp(r->str, "LOADING", 7) != 0)
		return 0;
	st->loading = 1;
	st->writable = 0;
	st->link_up = 0;
	st->caught_up = 0;
	return 1;
}

enum srv_info
srv_info_tile38(const struct resp *r, struct srv_t38 *t38,
    struct srv_state *st, const char **why)
{
	char	following[sizeof(st->following)];

	if (srv_loading(r, st))
		return SRV_INFO_OK;
	if (r->type == RESP_ERROR &&
	    strstr(r->str, "catching up to leader") != NULL) {
		/* A follower that has never caught up since it was told to. */
		st->loading = 0;
		st->leader = 0;
		st->writable = 0;
		st->link_up = 0;
		st->caught_up = 0;
		strlcpy(st->following, t38->following,
		    sizeof(st->following));
		return SRV_INFO_OK;
	}
	if (r->type == RESP_ERROR)
		return SRV_INFO_REFUSED;
	if (r->type != RESP_ARRAY || r->n % 2 != 0 ||
	    resp_map_get(r, "id") == NULL) {
		*why = "not a key/value array";
		return SRV_INFO_BAD;
	}
	st->loading = 0;
	if (srv_map_str(r, "following", following, sizeof(following)) == -1)
		following[0] = '\0';
	strlcpy(st->following, following, sizeof(st->following));
	strlcpy(t38->following, following, sizeof(t38->following));
	t38->read_only = srv_map_bool(r, "read_only");
	st->leader = following[0] == '\0';
	st->writable = st->leader && !t38->read_only;
	/*
	 * Tile38 shows no stream state: caught_up is reset when a stream
	 * breaks and set once the new one is through its handshake, the
	 * best sign there is of a live link.
	 */
	st->caught_up = !st->leader && srv_map_bool(r, "caught_up");
	st->link_up = st->caught_up;
	st->offset = srv_map_u64(r, "aof_size");
	/* Collection.Count(): geometries and strings (num_strings) alike. */
	st->keys = srv_map_u64(r, "num_objects");
	if (srv_map_str(r, "id", st->server_id, sizeof(st->server_id)) == -1)
		st->server_id[0] = '\0';
	if (srv_map_str(r, "version", st->version, sizeof(st->version)) == -1)
		st->version[0] = '\0';
	/* The elector tracks Tile38 lineage itself. */
	st->lineage[0] = '\0';
	srv_gauges_tile38(st, r);
	return SRV_INFO_OK;
}

/* Sum of keys= over the "db<N>:keys=..,expires=.." lines of INFO. */
static uint64_t
srv_info_keys(const char *info)
{
	const char	*p, *q;
	uint64_t	 sum = 0, v;
	char		 num[32];
	size_t		 n;

	for (p = info; p != NULL && *p != '\0';
	    p = (q = strchr(p, '\n')) != NULL ? q + 1 : NULL) {
		if (strncmp(p, "db", 2) != 0)
			continue;
		q = p + 2;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q == p + 2 || strncmp(q, ":keys=", 6) != 0)
			continue;
		q += 6;
		n = strspn(q, "0123456789");
		if (n == 0 || n >= sizeof(num))
			continue;
		memcpy(num, q, n);
		num[n] = '\0';
		if (srv_u64(num, &v) == 0)
			sum += v;
	}
	return sum;
}

enum srv_info
srv_info_redis(const struct resp *r, int paused, struct srv_state *st,
    const char **why)
{
	char		v[256], host[256], port[16];
	uint64_t	n;

	*why = NULL;
	if (srv_loading(r, st))
		return SRV_INFO_OK;
	if (r->type == RESP_ERROR)
		return SRV_INFO_REFUSED;
	if (r->type != RESP_BULK || resp_info_get(r->str, "role", v,
	    sizeof(v)) == -1) {
		*why = "no role in the reply";
		return SRV_INFO_BAD;
	}
	st->leader = strcmp(v, "master") == 0;
	st->following[0] = '\0';
	st->link_up = 0;
	st->caught_up = 0;
	if (!st->leader) {
		if (resp_info_get(r->str, "master_host", host,
		    sizeof(host)) == -1 || resp_info_get(r->str,
		    "master_port", port, sizeof(port)) == -1) {
			*why = "replica without master_host/port";
			return SRV_INFO_BAD;
		}
		/* Too long to compare: it cannot be a target we asked for. */
		if ((size_t)snprintf(st->following, sizeof(st->following),
		    "%s:%s", host, port) >= sizeof(st->following))
			*why = "master_host too long";
		st->link_up = resp_info_get(r->str, "master_link_status", v,
		    sizeof(v)) == 0 && strcmp(v, "up") == 0;
		st->caught_up = st->link_up && resp_info_get(r->str,
		    "master_sync_in_progress", v, sizeof(v)) == 0 &&
		    strcmp(v, "0") == 0;
	}
	st->loading = resp_info_get(r->str, "loading", v, sizeof(v)) == 0 &&
	    strcmp(v, "1") == 0;
	/* A replica refuses writes; a paused leader holds them. */
	st->writable = st->leader && !st->loading && !paused;
	st->offset = 0;
	if (resp_info_get(r->str, "master_repl_offset", v, sizeof(v)) == 0 &&
	    srv_u64(v, &n) == 0)
		st->offset = n;
	st->keys = srv_info_keys(r->str);
	if (resp_info_get(r->str, "master_replid", st->lineage,
	    sizeof(st->lineage)) == -1)
		st->lineage[0] = '\0';
	st->lineage2_end = 0;
	if (resp_info_get(r->str, "master_replid2", st->lineage2,
	    sizeof(st->lineage2)) == -1)
		st->lineage2[0] = '\0';
	else if (resp_info_get(r->str, "second_repl_offset", v,
	    sizeof(v)) == 0 && v[0] != '-' && srv_u64(v, &n) == 0)
		st->lineage2_end = n;
	if (resp_info_get(r->str, "run_id", st->server_id,
	    sizeof(st->server_id)) == -1)
		st->server_id[0] = '\0';
	/* Valkey also reports the Redis version it is compatible with. */
	if (resp_info_get(r->str, "valkey_version", st->version,
	    sizeof(st->version)) == -1 && resp_info_get(r->str,
	    "redis_version", st->version, sizeof(st->version)) == -1)
		st->version[0] = '\0';
	srv_gauges_redis(st, r->str);
	return SRV_INFO_OK;
}

