/*
 * Looking a command up in the table of its server kind, and the bridge's
 * allowlists.  See cmd_class.h.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_class.h"
#include "config.h"

static const char *const class_names[] = {
	[CMD_CONNECTION] = "connection",
	[CMD_READ] = "read",
	[CMD_WRITE] = "write",
	[CMD_ADMIN] = "admin",
	[CMD_REPLICATION] = "replication",
	[CMD_UNKNOWN] = "unknown",
};

/*
 * What a follower sends its leader.  Tile38 (internal/server/follow.go,
 * checksum.go, respconn.go): AUTH with leaderauth, SERVER, AOFMD5 on a
 * second connection, REPLCONF listening-port and ip-address, AOF, and
 * QUIT when it drops a connection; OUTPUT and PING change nothing on
 * the leader and keep a hand-made check possible.  Redis and Valkey
 * (replication.c): PING, AUTH with masteruser/masterauth, REPLCONF
 * (listening-port, ip-address, capa, version, rdb-channel, and ACK with
 * the replica's offset once the stream runs), PSYNC, or SYNC for a full
 * copy.
 */
static const char *const bridge_tile38[] = {
	"AOF", "AOFMD5", "AUTH", "OUTPUT", "PING", "QUIT", "REPLCONF", "SERVER",
};
static const char *const bridge_redis[] = {
	"AUTH", "PING", "PSYNC", "REPLCONF", "SYNC",
};

const char *
cmd_class_name(enum cmd_class c)
{
	if (c < CMD_CONNECTION || c > CMD_UNKNOWN)
		return class_names[CMD_UNKNOWN];
	return class_names[c];
}

const struct cmd_def *
cmd_table(int kind, size_t *n)
{
	switch (kind) {
	case SERVER_TILE38:
		*n = cmd_table_tile38_len;
		return cmd_table_tile38;
	case SERVER_REDIS:
		*n = cmd_table_redis_len;
		return cmd_table_redis;
	}
	*n = 0;
	return NULL;
}

static int
def_cmp(const void *key, const void *elem)
{
	const struct cmd_def	*d = elem;

	return strcmp(key, d->name);
}

const struct cmd_def *
cmd_lookup(int kind, const char *name, int name_long, const char *sub,
    int sub_long)
{
	char			 key[CMD_NAME_MAX * 2 + 2];
	const struct cmd_def	*t, *d, *s;
	size_t			 n, nlen, slen;

	if ((t = cmd_table(kind, &n)) == NULL || name == NULL || name_long)
		return NULL;
	/*
	 * A '|' would let a client name a sub-level entry directly, and
	 * the server knows no such command anyway.
	 */
	nlen = strlen(name);
	if (nlen == 0 || nlen > CMD_NAME_MAX || strchr(name, '|') != NULL)
		return NULL;
	if ((d = bsearch(name, t, n, sizeof(*t), def_cmp)) == NULL)
		return NULL;
	if (!(d->flags & CMD_F_SUBS) || sub == NULL || sub_long)
		return d;
	slen = strlen(sub);
	if (slen == 0 || slen > CMD_NAME_MAX)
		return d;
	memcpy(key, name, nlen);
	key[nlen] = '|';
	memcpy(key + nlen + 1, sub, slen + 1);
	if ((s = bsearch(key, t, n, sizeof(*t), def_cmp)) != NULL)
		return s;
	return d;
}

enum cmd_class
cmd_class_of(int kind, const char *name, int name_long, const char *sub,
    int sub_long, unsigned *flags)
{
	const struct cmd_def	*d;

	d = cmd_lookup(kind, name, name_long, sub, sub_long);
	if (flags != NULL)
		*flags = d != NULL ? d->flags : 0;
	return d != NULL ? d->cls : CMD_UNKNOWN;
}

int
cmd_bridge_allowed(int kind, const char *name, const char *sub)
{
	const char *const	*list;
	size_t			 i, n;

	switch (kind) {
	case SERVER_TILE38:
		list = bridge_tile38;
		n = sizeof(bridge_tile38) / sizeof(bridge_tile38[0]);
		break;
	case SERVER_REDIS:
		list = bridge_redis;
		n = sizeof(bridge_redis) / sizeof(bridge_redis[0]);
		break;
	default:
		return 0;
	}
	if (name == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}
