/*
 * The probe replies as the local server sends them: Tile38's SERVER as a
 * leader, a READONLY leader, a follower caught up or not, "catching up to
 * leader", LOADING and refusals; Redis' and Valkey's INFO as a master, a
 * paused master, a replica with its link up, down or still syncing, and
 * replies of the wrong shape.  One table row per reply, each sent as RESP
 * bytes through resp_parse() first, as srvctl.c receives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "config.h"
#include "elector/resp.h"
#include "elector/srv_info.h"

#define T38_ID		"0d4f4ab1b2a4e0b5f4fa1dc25b5d7e1b"
#define REPLID		"8e1c0a5b1dc2d57c47d3c1ef4f0c1e6a31c7e9b2"
#define REPLID2		"3a7bd2e9c54f6f0b2a5f9d81c4e6b7a0d1c2e3f4"
#define NOREPLID2	"0000000000000000000000000000000000000000"

/* A real SERVER reply's keys, sorted as Tile38 sends them. */
#define T38_COMMON \
	"aof_size", "10240", "avg_item_size", "112", "cpus", "2", \
	"heap_released", "0", "heap_size", "4194304", \
	"http_transport", "true", "id", T38_ID, "in_memory_size", "560", \
	"max_heap_size", "0", "mem_alloc", "3145728", \
	"num_collections", "1", "num_hooks", "0", "num_objects", "5", \
	"num_points", "5", "num_strings", "0", "pending_events", "0", \
	"pid", "4242", "pointer_size", "8"

/* INFO's sections around replication, as redis-server 7.2 sends them. */
#define INFO_SERVER \
	"# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n" \
	"run_id:5f2c1c3a9b7d4e0f8a6b2c1d3e4f5a6b7c8d9e0f\r\n" \
	"tcp_port:6379\r\n\r\n# Clients\r\nconnected_clients:3\r\n\r\n" \
	"# Memory\r\nused_memory:1048576\r\nused_memory_rss:4194304\r\n" \
	"maxmemory:0\r\n\r\n# Persistence\r\nloading:0\r\n" \
	"aof_enabled:0\r\n\r\n"
#define INFO_KEYSPACE \
	"\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n" \
	"db12:keys=4,expires=0,avg_ttl=0\r\n"

enum shape { T38, REDIS, RAW };

struct row {
	const char	*name;
	enum shape	 shape;
	const char	*kv[80];	/* T38: key, value, ..., NULL */
	const char	*text;		/* REDIS: INFO; RAW: RESP bytes */
	const char	*mem_following;	/* Tile38: remembered */
	int		 mem_read_only;
	int		 paused;	/* Redis */
	int		 kind;		/* for RAW */

	enum srv_info	 rc;
	const char	*why;
	int		 loading, leader, writable, link_up, caught_up;
	const char	*following;
	uint64_t	 offset, keys;
	const char	*server_id, *lineage, *lineage2;
	uint64_t	 lineage2_end;
	const char	*version;
	int		 ngauges;
	const char	*gauge;		/* one gauge to look at ... */
	double		 gauge_value;	/* ... and its value */
	/* Tile38: what is remembered afterwards */
	const char	*after_following;
	int		 after_read_only;
};

static const struct row rows[] = {
	{ .name = "tile38 leader", .shape = T38,
	  .kv = { T38_COMMON, "read_only", "false", "threads", "8",
	    "version", "1.36.0", NULL },
	  .mem_following = "10.0.0.1:9851", .mem_read_only = 1,
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 1,
	  .following = "", .offset = 10240, .keys = 5,
	  .server_id = T38_ID, .lineage = "", .version = "1.36.0",
	  .ngauges = 15, .gauge = "mem_alloc", .gauge_value = 3145728,
	  .after_following = "", .after_read_only = 0 },
	{ .name = "tile38 leader, READONLY", .shape = T38,
	  .kv = { T38_COMMON, "read_only", "true", "threads", "8",
	    "version", "1.36.0", NULL },
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 0,
	  .following = "", .offset = 10240, .keys = 5,
	  .server_id = T38_ID, .lineage = "", .version = "1.36.0",
	  .ngauges = 15, .gauge = "num_objects", .gauge_value = 5,
	  .after_following = "", .after_read_only = 1 },
	{ .name = "tile38 follower, caught up", .shape = T38,
	  .kv = { T38_COMMON, "caught_up", "true", "caught_up_once", "true",
	    "following", "127.0.0.1:9852", "read_only", "false",
	    "threads", "8", "version", "1.36.0", NULL },
	  .rc = SRV_INFO_OK, .leader = 0, .writable = 0, .link_up = 1,
	  .caught_up = 1, .following = "127.0.0.1:9852", .offset = 10240,
	  .keys = 5, .server_id = T38_ID, .lineage = "",
	  .version = "1.36.0", .ngauges = 15, .gauge = "aof_size",
	  .gauge_value = 10240,
	  .after_following = "127.0.0.1:9852", .after_read_only = 0 },
	{ .name = "tile38 follower, resyncing", .shape = T38,
	  .kv = { T38_COMMON, "caught_up", "false", "caught_up_once", "true",
	    "following", "127.0.0.1:9852", "read_only", "true",
	    "threads", "8", "version", "1.36.0", NULL },
	  .rc = SRV_INFO_OK, .leader = 0, .writable = 0, .link_up = 0,
	  .caught_up = 0, .following = "127.0.0.1:9852", .offset = 10240,
	  .keys = 5, .server_id = T38_ID, .lineage = "",
	  .version = "1.36.0", .ngauges = 15,
	  .after_following = "127.0.0.1:9852", .after_read_only = 1 },
	{ .name = "tile38 caught_up on a leader is no link", .shape = T38,
	  .kv = { "caught_up", "true", "id", T38_ID, NULL },
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 1, .following = "",
	  .server_id = T38_ID, .lineage = "", .version = "",
	  .ngauges = 0, .after_following = "" },
	{ .name = "tile38 integers and a gauge that is no number",
	  .shape = RAW, .kind = SERVER_TILE38,
	  .text = "*8\r\n$2\r\nid\r\n$3\r\nabc\r\n$8\r\naof_size\r\n:77\r\n"
	    "$11\r\nnum_objects\r\n:3\r\n$9\r\nmem_alloc\r\n$2\r\n1x\r\n",
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 1, .following = "",
	  .offset = 77, .keys = 3, .server_id = "abc", .lineage = "",
	  .version = "", .ngauges = 2, .gauge = "aof_size",
	  .gauge_value = 77, .after_following = "" },
	{ .name = "tile38 catching up to leader", .shape = RAW,
	  .kind = SERVER_TILE38, .text = "-ERR catching up to leader\r\n",
	  .mem_following = "127.0.0.1:9852", .mem_read_only = 1,
	  .rc = SRV_INFO_OK, .following = "127.0.0.1:9852",
	  .after_following = "127.0.0.1:9852", .after_read_only = 1 },
	{ .name = "tile38 loading", .shape = RAW, .kind = SERVER_TILE38,
	  .text = "-LOADING Tile38 is loading the dataset in memory\r\n",
	  .mem_following = "127.0.0.1:9852",
	  .rc = SRV_INFO_OK, .loading = 1, .following = "",
	  .after_following = "127.0.0.1:9852" },
	{ .name = "tile38 auth required", .shape = RAW,
	  .kind = SERVER_TILE38, .text = "-ERR authentication required\r\n",
	  .rc = SRV_INFO_REFUSED, .following = "", .after_following = "" },
	{ .name = "tile38 JSON output", .shape = RAW, .kind = SERVER_TILE38,
	  .text = "$11\r\n{\"ok\":true}\r\n",
	  .rc = SRV_INFO_BAD, .why = "not a key/value array",
	  .following = "", .after_following = "" },
	{ .name = "tile38 odd array", .shape = RAW, .kind = SERVER_TILE38,
	  .text = "*3\r\n$2\r\nid\r\n$1\r\nx\r\n$7\r\nversion\r\n",
	  .rc = SRV_INFO_BAD, .why = "not a key/value array",
	  .following = "", .after_following = "" },
	{ .name = "tile38 no id", .shape = T38,
	  .kv = { "version", "1.36.0", NULL },
	  .rc = SRV_INFO_BAD, .why = "not a key/value array",
	  .following = "", .after_following = "" },

	{ .name = "redis master", .shape = REDIS,
	  .text = INFO_SERVER "# Replication\r\nrole:master\r\n"
	    "connected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,"
	    "state=online,offset=500,lag=0\r\nmaster_replid:" REPLID "\r\n"
	    "master_replid2:" NOREPLID2 "\r\nmaster_repl_offset:500\r\n"
	    "second_repl_offset:-1\r\n" INFO_KEYSPACE,
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 1, .following = "",
	  .offset = 500, .keys = 7,
	  .server_id = "5f2c1c3a9b7d4e0f8a6b2c1d3e4f5a6b7c8d9e0f",
	  .lineage = REPLID, .lineage2 = NOREPLID2, .version = "7.2.4",
	  .ngauges = 5, .gauge = "heap_size", .gauge_value = 4194304 },
	{ .name = "redis master, paused", .shape = REDIS, .paused = 1,
	  .text = INFO_SERVER "# Replication\r\nrole:master\r\n"
	    "master_replid:" REPLID "\r\nmaster_repl_offset:500\r\n",
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 0, .following = "",
	  .offset = 500, .lineage = REPLID, .lineage2 = "",
	  .server_id = "5f2c1c3a9b7d4e0f8a6b2c1d3e4f5a6b7c8d9e0f",
	  .version = "7.2.4", .ngauges = 5, .gauge = "num_objects",
	  .gauge_value = 0 },
	{ .name = "redis promoted replica", .shape = REDIS,
	  .text = "# Replication\r\nrole:master\r\nmaster_replid:" REPLID
	    "\r\nmaster_replid2:" REPLID2 "\r\nmaster_repl_offset:900\r\n"
	    "second_repl_offset:801\r\n",
	  .rc = SRV_INFO_OK, .leader = 1, .writable = 1, .following = "",
	  .offset = 900, .server_id = "", .lineage = REPLID,
	  .lineage2 = REPLID2, .lineage2_end = 801, .version = "",
	  .ngauges = 1 },
	{ .name = "redis replica, link up", .shape = REDIS,
	  .text = INFO_SERVER "# Replication\r\nrole:slave\r\n"
	    "master_host:127.0.0.1\r\nmaster_port:6380\r\n"
	    "master_link_status:up\r\nmaster_last_io_seconds_ago:1\r\n"
	    "master_sync_in_progress:0\r\nslave_read_repl_offset:500\r\n"
	    "slave_repl_offset:500\r\nmaster_replid:" REPLID "\r\n"
	    "master_repl_offset:500\r\n" INFO_KEYSPACE,
	  .rc = SRV_INFO_OK, .link_up = 1, .caught_up = 1,
	  .following = "127.0.0.1:6380", .offset = 500, .keys = 7,
	  .server_id = "5f2c1c3a9b7d4e0f8a6b2c1d3e4f5a6b7c8d9e0f",
	  .lineage = REPLID, .lineage2 = "", .version = "7.2.4",
	  .ngauges = 5, .gauge = "connected_clients", .gauge_value = 3 },
	{ .name = "redis replica, first sync", .shape = REDIS,
	  .text = "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.2\r\n"
	    "master_port:6379\r\nmaster_link_status:up\r\n"
	    "master_sync_in_progress:1\r\n",
	  .rc = SRV_INFO_OK, .link_up = 1, .caught_up = 0,
	  .following = "10.0.0.2:6379", .server_id = "", .lineage = "",
	  .lineage2 = "", .version = "", .ngauges = 1 },
	{ .name = "valkey replica, link down, loading", .shape = REDIS,
	  .text = "# Server\r\nredis_version:7.2.4\r\n"
	    "valkey_version:8.0.1\r\n# Persistence\r\nloading:1\r\n"
	    "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.2\r\n"
	    "master_port:6379\r\nmaster_link_status:down\r\n"
	    "master_sync_in_progress:0\r\n",
	  .rc = SRV_INFO_OK, .loading = 1, .following = "10.0.0.2:6379",
	  .server_id = "", .lineage = "", .lineage2 = "",
	  .version = "8.0.1", .ngauges = 1 },
	{ .name = "redis replica, master_host too long", .shape = REDIS,
	  .text = "role:slave\r\nmaster_host:"
	    "a123456789b123456789c123456789d123456789e123456789"
	    "f123456789g123456789h123456789i123456789j123456789"
	    "k123456789l123456789m1234567\r\nmaster_port:6379\r\n",
	  .rc = SRV_INFO_OK, .why = "master_host too long",
	  .following = "a123456789b123456789c123456789d123456789e123456789"
	    "f123456789g123456789h123456789i123456789j123456789"
	    "k123456789l123456789m123456",
	  .server_id = "", .lineage = "", .lineage2 = "", .version = "",
	  .ngauges = 1 },
	{ .name = "redis loading", .shape = RAW, .kind = SERVER_REDIS,
	  .text = "-LOADING Redis is loading the dataset in memory\r\n",
	  .rc = SRV_INFO_OK, .loading = 1, .following = "" },
	{ .name = "redis noauth", .shape = RAW, .kind = SERVER_REDIS,
	  .text = "-NOAUTH Authentication required.\r\n",
	  .rc = SRV_INFO_REFUSED, .following = "" },
	{ .name = "redis no role", .shape = REDIS, .text = INFO_SERVER,
	  .rc = SRV_INFO_BAD, .why = "no role in the reply",
	  .following = "" },
	{ .name = "redis INFO as an array", .shape = RAW,
	  .kind = SERVER_REDIS, .text = "*1\r\n$11\r\nrole:master\r\n",
	  .rc = SRV_INFO_BAD, .why = "no role in the reply",
	  .following = "" },
	{ .name = "redis replica without master_port", .shape = REDIS,
	  .text = "role:slave\r\nmaster_host:10.0.0.2\r\n",
	  .rc = SRV_INFO_BAD, .why = "replica without master_host/port",
	  .following = "" },
};

/* The RESP bytes of a row's reply, malloc'ed. */
static char *
row_bytes(const struct row *t, size_t *len)
{
	char	*buf = NULL;
	FILE	*f;
	size_t	 n, i;

	ck_assert_ptr_nonnull(f = open_memstream(&buf, len));
	switch (t->shape) {
	case T38:
		for (n = 0; t->kv[n] != NULL; n++)
			;
		fprintf(f, "*%zu\r\n", n);
		for (i = 0; i < n; i++)
			fprintf(f, "$%zu\r\n%s\r\n", strlen(t->kv[i]),
			    t->kv[i]);
		break;
	case REDIS:
		fprintf(f, "$%zu\r\n%s\r\n", strlen(t->text), t->text);
		break;
	case RAW:
		fputs(t->text, f);
		break;
	}
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

START_TEST(test_srv_info_table)
{
	const struct row	*t = &rows[_i];
	struct srv_state	 st;
	struct srv_t38		 t38;
	struct resp		 r;
	const char		*why = NULL;
	char			*bytes, err[128];
	size_t			 len;
	enum srv_info		 rc;
	int			 kind, i, seen = 0, error_reply;

	kind = t->shape == T38 ? SERVER_TILE38 : t->shape == REDIS ?
	    SERVER_REDIS : t->kind;
	bytes = row_bytes(t, &len);
	ck_assert_msg(resp_parse(bytes, len, &r, err, sizeof(err)) ==
	    (ssize_t)len, "%s: %s", t->name, err);
	free(bytes);
	memset(&st, 0, sizeof(st));
	memset(&t38, 0, sizeof(t38));
	strlcpy(t38.following, str_or_empty(t->mem_following),
	    sizeof(t38.following));
	t38.read_only = t->mem_read_only;
	if (kind == SERVER_TILE38)
		rc = srv_info_tile38(&r, &t38, &st, &why);
	else
		rc = srv_info_redis(&r, t->paused, &st, &why);
	error_reply = r.type == RESP_ERROR;
	resp_clear(&r);

	ck_assert_msg(rc == t->rc, "%s: rc %d", t->name, rc);
	if (t->why != NULL)
		ck_assert_msg(why != NULL && strcmp(why, t->why) == 0,
		    "%s: why \"%s\"", t->name, str_or_empty(why));
	else if (rc == SRV_INFO_OK)
		ck_assert_msg(why == NULL, "%s: why \"%s\"", t->name,
		    str_or_empty(why));
	if (rc != SRV_INFO_OK)
		return;
	ck_assert_msg(st.loading == t->loading, "%s: loading", t->name);
	ck_assert_msg(st.leader == t->leader, "%s: leader", t->name);
	ck_assert_msg(st.writable == t->writable, "%s: writable", t->name);
	ck_assert_msg(st.link_up == t->link_up, "%s: link_up", t->name);
	ck_assert_msg(st.caught_up == t->caught_up, "%s: caught_up",
	    t->name);
	ck_assert_msg(strcmp(st.following, t->following) == 0,
	    "%s: following \"%s\"", t->name, st.following);
	if (kind == SERVER_TILE38) {
		ck_assert_msg(strcmp(t38.following,
		    str_or_empty(t->after_following)) == 0,
		    "%s: remembered \"%s\"", t->name, t38.following);
		ck_assert_msg(t38.read_only == t->after_read_only,
		    "%s: remembered read_only", t->name);
	}
	/* LOADING and "catching up" leave the rest as it was. */
	if (error_reply)
		return;
	ck_assert_msg(st.offset == t->offset, "%s: offset %llu", t->name,
	    (unsigned long long)st.offset);
	ck_assert_msg(st.keys == t->keys, "%s: keys %llu", t->name,
	    (unsigned long long)st.keys);
	ck_assert_msg(strcmp(st.server_id, t->server_id) == 0,
	    "%s: id \"%s\"", t->name, st.server_id);
	ck_assert_msg(strcmp(st.lineage, t->lineage) == 0,
	    "%s: lineage \"%s\"", t->name, st.lineage);
	if (kind == SERVER_REDIS) {
		ck_assert_msg(strcmp(st.lineage2, t->lineage2) == 0,
		    "%s: lineage2 \"%s\"", t->name, st.lineage2);
		ck_assert_msg(st.lineage2_end == t->lineage2_end,
		    "%s: lineage2_end", t->name);
	}
	ck_assert_msg(strcmp(st.version, t->version) == 0,
	    "%s: version \"%s\"", t->name, st.version);
	ck_assert_msg(st.ngauges == t->ngauges, "%s: %d gauges", t->name,
	    st.ngauges);
	if (t->gauge == NULL)
		return;
	for (i = 0; i < st.ngauges; i++) {
		if (strcmp(st.gauges[i].name, t->gauge) != 0)
			continue;
		ck_assert_msg(st.gauges[i].value == t->gauge_value,
		    "%s: %s %g", t->name, t->gauge, st.gauges[i].value);
		seen = 1;
	}
	ck_assert_msg(seen, "%s: no gauge %s", t->name, t->gauge);
}
END_TEST

Suite *
srv_info_suite(void)
{
	Suite	*s = suite_create("srv_info");
	TCase	*tc = tcase_create("replies");

	tcase_add_loop_test(tc, test_srv_info_table, 0,
	    sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, tc);
	return s;
}
