/*
 * Command classes: the tables of both server kinds, the bridge's
 * allowlists, and policies parsed from the options, row by row and entry
 * by entry.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_class.h"
#include "config.h"
#include "suites.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ERRLEN		256
#define ALL_FLAGS	(CMD_F_UNORDERED | CMD_F_BLOCKING | CMD_F_CLOSE | \
			    CMD_F_PROTOCOL | CMD_F_WRAPPER | CMD_F_SUBS)

static const int	kinds[] = { SERVER_TILE38, SERVER_REDIS };

/*
 * Every name of Tile38 1.37's command switch (internal/server/server.go)
 * and of Redis 7.0's COMMAND LIST: none may be unknown.
 */
static const char	tile38_names[] =
    "AOF AOFMD5 AOFSHRINK AUTH BOUNDS CHANS CLIENT CONFIG DEL DELCHAN "
    "DELHOOK DROP ECHO EVAL EVALNA EVALNASHA EVALRO EVALROSHA EVALSHA "
    "EXISTS EXPIRE FEXISTS FGET FLUSHDB FOLLOW FSET GC GET HEALTHZ HOOKS "
    "INFO INTERSECTS JDEL JGET JSET KEYS MASSINSERT MONITOR NEARBY OUTPUT "
    "PDEL PDELCHAN PDELHOOK PERSIST PING PSUBSCRIBE PUBLISH QUIT READONLY "
    "RENAME RENAMENX REPLCONF ROLE SCAN SCRIPT SEARCH SERVER SET SETCHAN "
    "SETHOOK SHUTDOWN SLAVEOF SLEEP STATS SUBSCRIBE TEST TIMEOUT TTL TYPE "
    "WITHIN";
static const char	redis_names[] =
    "ACL APPEND ASKING AUTH BGREWRITEAOF BGSAVE BITCOUNT BITFIELD "
    "BITFIELD_RO BITOP BITPOS BLMOVE BLMPOP BLPOP BRPOP BRPOPLPUSH "
    "BZMPOP BZPOPMAX BZPOPMIN CLIENT CLUSTER COMMAND CONFIG COPY "
    "DBSIZE DEBUG DECR DECRBY DEL DISCARD DUMP ECHO EVAL EVALSHA "
    "EVALSHA_RO EVAL_RO EXEC EXISTS EXPIRE EXPIREAT EXPIRETIME "
    "FAILOVER FCALL FCALL_RO FLUSHALL FLUSHDB FUNCTION GEOADD "
    "GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER "
    "GEORADIUSBYMEMBER_RO GEORADIUS_RO GEOSEARCH GEOSEARCHSTORE "
    "GET GETBIT GETDEL GETEX GETRANGE GETSET HDEL HELLO HEXISTS "
    "HGET HGETALL HINCRBY HINCRBYFLOAT HKEYS HLEN HMGET HMSET "
    "HRANDFIELD HSCAN HSET HSETNX HSTRLEN HVALS INCR INCRBY "
    "INCRBYFLOAT INFO KEYS LASTSAVE LATENCY LCS LINDEX LINSERT "
    "LLEN LMOVE LMPOP LOLWUT LPOP LPOS LPUSH LPUSHX LRANGE LREM "
    "LSET LTRIM MEMORY MGET MIGRATE MODULE MONITOR MOVE MSET "
    "MSETNX MULTI OBJECT PERSIST PEXPIRE PEXPIREAT PEXPIRETIME "
    "PFADD PFCOUNT PFDEBUG PFMERGE PFSELFTEST PING PSETEX "
    "PSUBSCRIBE PSYNC PTTL PUBLISH PUBSUB PUNSUBSCRIBE QUIT "
    "RANDOMKEY READONLY READWRITE RENAME RENAMENX REPLCONF "
    "REPLICAOF RESET RESTORE RESTORE-ASKING ROLE RPOP RPOPLPUSH "
    "RPUSH RPUSHX SADD SAVE SCAN SCARD SCRIPT SDIFF SDIFFSTORE "
    "SELECT SET SETBIT SETEX SETNX SETRANGE SHUTDOWN SINTER "
    "SINTERCARD SINTERSTORE SISMEMBER SLAVEOF SLOWLOG SMEMBERS "
    "SMISMEMBER SMOVE SORT SORT_RO SPOP SPUBLISH SRANDMEMBER SREM "
    "SSCAN SSUBSCRIBE STRLEN SUBSCRIBE SUBSTR SUNION SUNIONSTORE "
    "SUNSUBSCRIBE SWAPDB SYNC TIME TOUCH TTL TYPE UNLINK "
    "UNSUBSCRIBE UNWATCH WAIT WATCH XACK XADD XAUTOCLAIM XCLAIM "
    "XDEL XGROUP XINFO XLEN XPENDING XRANGE XREAD XREADGROUP "
    "XREVRANGE XSETID XTRIM ZADD ZCARD ZCOUNT ZDIFF ZDIFFSTORE "
    "ZINCRBY ZINTER ZINTERCARD ZINTERSTORE ZLEXCOUNT ZMPOP ZMSCORE "
    "ZPOPMAX ZPOPMIN ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE "
    "ZRANGESTORE ZRANK ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK "
    "ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE "
    "ZREVRANK ZSCAN ZSCORE ZUNION ZUNIONSTORE ";
struct row {
	int		 kind;
	const char	*name;
	const char	*sub;
	enum cmd_class	 cls;
	int		 w, r;		/* allowed by the defaults */
};

/*
 * What the brief for command classes names as admin or replication, and
 * what the tables add: all refused on W and R by the defaults.
 */
static const struct row strict[] = {
	{ SERVER_TILE38, "CONFIG", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "CONFIG", "GET", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "CONFIG", "SET", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "CONFIG", "REWRITE", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "FOLLOW", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SLAVEOF", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "READONLY", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "AOFSHRINK", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SHUTDOWN", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "MONITOR", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SLEEP", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "MASSINSERT", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "GC", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "FLUSHDB", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "EVAL", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "EVALSHA", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "EVALNA", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "EVALNASHA", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "EVALRO", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "EVALROSHA", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SCRIPT", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SCRIPT", "LOAD", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SCRIPT", "EXISTS", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "SCRIPT", "FLUSH", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "CLIENT", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "CLIENT", "KILL", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "CLIENT", "LIST", CMD_ADMIN, 0, 0 },
	{ SERVER_TILE38, "AOF", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_TILE38, "AOFMD5", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_TILE38, "REPLCONF", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_TILE38, "TIMEOUT", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_TILE38, "TIMEOUT", "1", CMD_REPLICATION, 0, 0 },

	{ SERVER_REDIS, "CONFIG", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CONFIG", "GET", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CONFIG", "SET", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CONFIG", "REWRITE", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CONFIG", "RESETSTAT", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "REPLICAOF", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SLAVEOF", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "READONLY", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "READWRITE", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "ASKING", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SHUTDOWN", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "DEBUG", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "DEBUG", "SLEEP", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "MONITOR", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SAVE", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "BGSAVE", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "BGREWRITEAOF", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FLUSHDB", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FLUSHALL", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SWAPDB", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "MIGRATE", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "RESTORE", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "RESTORE-ASKING", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "MODULE", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "MODULE", "LOAD", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "ACL", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "ACL", "SETUSER", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FAILOVER", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLUSTER", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLUSTER", "RESET", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLUSTER", "INFO", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "LATENCY", "RESET", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SLOWLOG", "RESET", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SLOWLOG", "GET", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "MEMORY", "PURGE", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "PFDEBUG", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "PFSELFTEST", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "EVAL", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "EVALSHA", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "EVAL_RO", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "EVALSHA_RO", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FCALL", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FCALL_RO", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FUNCTION", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FUNCTION", "LOAD", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "FUNCTION", "LIST", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SCRIPT", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SCRIPT", "LOAD", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SCRIPT", "FLUSH", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SCRIPT", "KILL", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", NULL, CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "KILL", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "PAUSE", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "UNPAUSE", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "REPLY", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "NO-EVICT", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "NO-TOUCH", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "TRACKING", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "LIST", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "CLIENT", "UNBLOCK", CMD_ADMIN, 0, 0 },
	{ SERVER_REDIS, "SYNC", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_REDIS, "PSYNC", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_REDIS, "REPLCONF", NULL, CMD_REPLICATION, 0, 0 },
	{ SERVER_REDIS, "REPLCONF", "ACK", CMD_REPLICATION, 0, 0 },
};

/* What applications use, on both listeners. */
static const struct row usual[] = {
	{ SERVER_TILE38, "PING", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "AUTH", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "ECHO", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "QUIT", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "OUTPUT", "JSON", CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "HELLO", "3", CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "SUBSCRIBE", "fleet", CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "PSUBSCRIBE", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "UNSUBSCRIBE", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "PUBLISH", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "CLIENT", "SETNAME", CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "CLIENT", "GETNAME", CMD_CONNECTION, 1, 1 },
	{ SERVER_TILE38, "GET", "FLEET", CMD_READ, 1, 1 },
	{ SERVER_TILE38, "JGET", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "FGET", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "NEARBY", "FLEET", CMD_READ, 1, 1 },
	{ SERVER_TILE38, "WITHIN", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "INTERSECTS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "SCAN", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "SEARCH", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "BOUNDS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "KEYS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "TTL", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "EXISTS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "CHANS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "HOOKS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "SERVER", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "INFO", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "ROLE", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "HEALTHZ", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "STATS", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "TEST", NULL, CMD_READ, 1, 1 },
	{ SERVER_TILE38, "SET", "FLEET", CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "FSET", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "JSET", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "JDEL", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "DEL", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "PDEL", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "DROP", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "RENAME", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "RENAMENX", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "EXPIRE", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "PERSIST", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "SETCHAN", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "DELCHAN", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "PDELCHAN", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "SETHOOK", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "DELHOOK", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_TILE38, "PDELHOOK", NULL, CMD_WRITE, 1, 0 },

	{ SERVER_REDIS, "PING", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "AUTH", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "HELLO", "3", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "RESET", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "SELECT", "1", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "QUIT", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "MULTI", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "EXEC", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "DISCARD", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "WATCH", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "SUBSCRIBE", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "SSUBSCRIBE", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "PUBLISH", NULL, CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "PUBSUB", "CHANNELS", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "CLIENT", "SETNAME", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "CLIENT", "SETINFO", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "CLIENT", "ID", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "CLIENT", "INFO", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "COMMAND", "DOCS", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "ACL", "WHOAMI", CMD_CONNECTION, 1, 1 },
	{ SERVER_REDIS, "GET", "KEY", CMD_READ, 1, 1 },
	{ SERVER_REDIS, "MGET", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "SCAN", "0", CMD_READ, 1, 1 },
	{ SERVER_REDIS, "KEYS", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "INFO", "REPLICATION", CMD_READ, 1, 1 },
	{ SERVER_REDIS, "ROLE", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "OBJECT", "ENCODING", CMD_READ, 1, 1 },
	{ SERVER_REDIS, "MEMORY", "USAGE", CMD_READ, 1, 1 },
	{ SERVER_REDIS, "GEOSEARCH", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "GEORADIUS_RO", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "SORT_RO", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "XREAD", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "DUMP", NULL, CMD_READ, 1, 1 },
	{ SERVER_REDIS, "SET", "KEY", CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "DEL", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "GEOADD", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "GEORADIUS", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "SORT", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "XREADGROUP", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "XGROUP", "CREATE", CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "MOVE", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "WAIT", NULL, CMD_WRITE, 1, 0 },
	{ SERVER_REDIS, "BLPOP", NULL, CMD_WRITE, 1, 0 },
};

static void
policy_ok(struct cmd_policy *p, int kind, const char *rules,
    const char *grants)
{
	char	err[ERRLEN] = "";

	ck_assert_msg(cmd_policy_parse(p, kind, rules, grants, err,
	    sizeof(err)) == 0, "kind %d \"%s\" \"%s\": %s", kind, rules,
	    grants != NULL ? grants : "(null)", err);
}

/* Allowed through the listener's own set or a service's grant. */
static int
allows(const struct cmd_policy *p, const char *svc, const char *name,
    const char *sub)
{
	return cmd_policy_allows(p, svc, name, 0, sub, 0);
}

/* The name-level entry of a sub-level one, or NULL. */
static const struct cmd_def *
parent(int kind, const char *name)
{
	char		 buf[CMD_NAME_MAX * 2 + 2];
	const char	*bar;

	if ((bar = strchr(name, '|')) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s", (int)(bar - name), name);
	return cmd_lookup(kind, buf, 0, NULL, 0);
}

static int
valid_part(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > CMD_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* Sorted, well-formed, each with a class, each found by its name. */
START_TEST(test_tables)
{
	const struct cmd_def	*t;
	const char		*bar;
	size_t			 i, k, n;

	for (k = 0; k < NELEM(kinds); k++) {
		t = cmd_table(kinds[k], &n);
		ck_assert_ptr_nonnull(t);
		ck_assert_uint_gt(n, 50);
		for (i = 0; i < n; i++) {
			bar = strchr(t[i].name, '|');
			if (bar == NULL)
				ck_assert_msg(valid_part(t[i].name,
				    strlen(t[i].name)), "%s", t[i].name);
			else
				ck_assert_msg(valid_part(t[i].name,
				    bar - t[i].name) && valid_part(bar + 1,
				    strlen(bar + 1)), "%s", t[i].name);
			ck_assert_msg(t[i].cls >= CMD_CONNECTION &&
			    t[i].cls < CMD_UNKNOWN, "%s", t[i].name);
			ck_assert_str_ne(cmd_class_name(t[i].cls), "unknown");
			ck_assert_msg((t[i].flags & ~ALL_FLAGS) == 0, "%s",
			    t[i].name);
			if (i > 0)
				ck_assert_msg(strcmp(t[i - 1].name,
				    t[i].name) < 0, "%s before %s",
				    t[i - 1].name, t[i].name);
			if (bar == NULL)
				ck_assert_ptr_eq(cmd_lookup(kinds[k],
				    t[i].name, 0, NULL, 0), &t[i]);
			else
				ck_assert_ptr_eq(cmd_lookup(kinds[k],
				    parent(kinds[k], t[i].name)->name, 0,
				    bar + 1, 0), &t[i]);
		}
	}
	ck_assert_ptr_null(cmd_table(2, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(cmd_table(-1, &n));
}
END_TEST

/*
 * A sub-level entry is never stricter than its command and has no flag
 * its command lacks; CMD_F_SUBS marks exactly the commands with
 * sub-level entries.
 */
START_TEST(test_subs_never_stricter)
{
	const struct cmd_def	*t, *p;
	size_t			 i, j, k, n, nsubs;

	for (k = 0; k < NELEM(kinds); k++) {
		t = cmd_table(kinds[k], &n);
		for (i = 0; i < n; i++) {
			if (strchr(t[i].name, '|') != NULL) {
				p = parent(kinds[k], t[i].name);
				ck_assert_msg(p != NULL, "%s has no command",
				    t[i].name);
				ck_assert_msg(p->flags & CMD_F_SUBS, "%s",
				    p->name);
				ck_assert_msg(t[i].cls <= p->cls,
				    "%s is %s, stricter than %s", t[i].name,
				    cmd_class_name(t[i].cls),
				    cmd_class_name(p->cls));
				ck_assert_msg((t[i].flags & ~p->flags) == 0,
				    "%s has flags %s lacks", t[i].name,
				    p->name);
				ck_assert(!(t[i].flags & CMD_F_SUBS));
				continue;
			}
			nsubs = 0;
			for (j = 0; j < n; j++)
				if (parent(kinds[k], t[j].name) == &t[i])
					nsubs++;
			ck_assert_msg(!(t[i].flags & CMD_F_SUBS) ==
			    (nsubs == 0), "%s: CMD_F_SUBS with %zu "
			    "subcommands", t[i].name, nsubs);
		}
	}
}
END_TEST

/* Every command the servers list is known. */
START_TEST(test_server_commands_known)
{
	static const struct {
		int		 kind;
		const char	*names;
	} lists[] = {
		{ SERVER_TILE38, tile38_names },
		{ SERVER_REDIS, redis_names },
	};
	char		 name[CMD_NAME_MAX + 1];
	const char	*s;
	size_t		 i, len, count;

	for (i = 0; i < NELEM(lists); i++) {
		count = 0;
		for (s = lists[i].names; *s != '\0'; s += len) {
			s += strspn(s, " ");
			if ((len = strcspn(s, " ")) == 0)
				break;
			ck_assert_uint_le(len, CMD_NAME_MAX);
			snprintf(name, sizeof(name), "%.*s", (int)len, s);
			ck_assert_msg(cmd_class_of(lists[i].kind, name, 0,
			    NULL, 0, NULL) != CMD_UNKNOWN, "%s unknown",
			    name);
			count++;
		}
		ck_assert_uint_gt(count, 60);
	}
}
END_TEST

static void
check_rows(const struct row *rows, size_t nrows)
{
	struct cmd_policy	 w[2], r[2];
	const struct row	*x;
	size_t			 i, k;

	for (k = 0; k < NELEM(kinds); k++) {
		policy_ok(&w[k], kinds[k], CMD_RULES_WRITER, "");
		policy_ok(&r[k], kinds[k], CMD_RULES_READER, NULL);
	}
	for (i = 0; i < nrows; i++) {
		x = &rows[i];
		k = x->kind == SERVER_TILE38 ? 0 : 1;
		ck_assert_msg(cmd_class_of(x->kind, x->name, 0, x->sub, 0,
		    NULL) == x->cls, "%s %s is %s", x->name,
		    x->sub != NULL ? x->sub : "", cmd_class_name(
		    cmd_class_of(x->kind, x->name, 0, x->sub, 0, NULL)));
		ck_assert_msg(allows(&w[k], NULL, x->name, x->sub) == x->w,
		    "W %s %s", x->name, x->sub != NULL ? x->sub : "");
		ck_assert_msg(allows(&r[k], NULL, x->name, x->sub) == x->r,
		    "R %s %s", x->name, x->sub != NULL ? x->sub : "");
		/* A service without a grant gets the listener's set. */
		ck_assert_int_eq(allows(&w[k], "app", x->name, x->sub), x->w);
		ck_assert_int_eq(allows(&r[k], "app", x->name, x->sub), x->r);
		/* The name alone, or a sub cut short, is never less strict. */
		if (!x->w) {
			ck_assert(!allows(&w[k], NULL, x->name, NULL));
			ck_assert(!cmd_policy_allows(&w[k], NULL, x->name, 0,
			    x->sub, 1));
			ck_assert(!allows(&w[k], NULL, x->name, "XYZZY"));
			ck_assert(!allows(&w[k], NULL, x->name, ""));
		}
		if (!x->r) {
			ck_assert(!allows(&r[k], NULL, x->name, NULL));
			ck_assert(!cmd_policy_allows(&r[k], NULL, x->name, 0,
			    x->sub, 1));
			ck_assert(!allows(&r[k], NULL, x->name, "XYZZY"));
		}
	}
	for (k = 0; k < NELEM(kinds); k++) {
		cmd_policy_free(&w[k]);
		cmd_policy_free(&r[k]);
	}
}

START_TEST(test_strict_refused)
{
	check_rows(strict, NELEM(strict));
}
END_TEST

START_TEST(test_usual_allowed)
{
	check_rows(usual, NELEM(usual));
}
END_TEST

/*
 * The verdict on t[i] of a policy of classes alone (bit 1 << class): its
 * class, and for a command with subcommands, theirs too, since it is the
 * fallback of any of them.
 */
static int
want_by_class(int kind, const struct cmd_def *t, size_t n, size_t i,
    unsigned mask)
{
	size_t	j;
	int	want;

	want = t[i].cls != CMD_REPLICATION && (mask & 1u << t[i].cls);
	if (t[i].flags & CMD_F_SUBS)
		for (j = 0; j < n; j++)
			if (parent(kind, t[j].name) == &t[i])
				want &= (mask & 1u << t[j].cls) != 0;
	return want;
}

#define MASK_W	(1u << CMD_CONNECTION | 1u << CMD_READ | 1u << CMD_WRITE)
#define MASK_R	(1u << CMD_CONNECTION | 1u << CMD_READ)

/* Defaults, entry by entry: W takes read, write and connection, R no write. */
START_TEST(test_defaults_by_class)
{
	struct cmd_policy	 w, r;
	const struct cmd_def	*t;
	size_t			 i, k, n;

	for (k = 0; k < NELEM(kinds); k++) {
		policy_ok(&w, kinds[k], CMD_RULES_WRITER, NULL);
		policy_ok(&r, kinds[k], CMD_RULES_READER, NULL);
		t = cmd_table(kinds[k], &n);
		for (i = 0; i < n; i++) {
			ck_assert_msg(cmd_policy_allows_def(&w, NULL,
			    &t[i]) == want_by_class(kinds[k], t, n, i,
			    MASK_W), "W %s", t[i].name);
			ck_assert_msg(cmd_policy_allows_def(&r, NULL,
			    &t[i]) == want_by_class(kinds[k], t, n, i,
			    MASK_R), "R %s", t[i].name);
		}
		cmd_policy_free(&w);
		cmd_policy_free(&r);
	}
}
END_TEST

START_TEST(test_flags)
{
	static const struct {
		int		 kind;
		const char	*name, *sub;
		unsigned	 flags;
	} rows[] = {
		{ SERVER_TILE38, "SUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_TILE38, "PSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_TILE38, "UNSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_TILE38, "PUNSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_TILE38, "MONITOR", NULL, CMD_F_UNORDERED },
		{ SERVER_TILE38, "AOF", NULL, CMD_F_UNORDERED },
		{ SERVER_TILE38, "QUIT", NULL, CMD_F_CLOSE },
		{ SERVER_TILE38, "OUTPUT", NULL, CMD_F_PROTOCOL },
		{ SERVER_TILE38, "SLEEP", NULL, CMD_F_BLOCKING },
		{ SERVER_TILE38, "TIMEOUT", "5", CMD_F_WRAPPER |
		    CMD_F_UNORDERED | CMD_F_BLOCKING | CMD_F_PROTOCOL },
		{ SERVER_TILE38, "NEARBY", NULL, 0 },
		{ SERVER_TILE38, "PUBLISH", NULL, 0 },
		{ SERVER_TILE38, "CLIENT", "SETNAME", 0 },
		{ SERVER_TILE38, "CLIENT", NULL, CMD_F_SUBS },
		{ SERVER_TILE38, "NOSUCH", NULL, 0 },
		{ SERVER_REDIS, "SUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "PSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "SSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "UNSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "PUNSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "SUNSUBSCRIBE", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "MONITOR", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "PSYNC", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "SYNC", NULL, CMD_F_UNORDERED },
		{ SERVER_REDIS, "CLIENT", "TRACKING", CMD_F_UNORDERED },
		{ SERVER_REDIS, "CLIENT", "SETNAME", 0 },
		/* The fallback has every flag of its subcommands. */
		{ SERVER_REDIS, "CLIENT", NULL, CMD_F_SUBS | CMD_F_UNORDERED },
		{ SERVER_REDIS, "QUIT", NULL, CMD_F_CLOSE },
		{ SERVER_REDIS, "HELLO", "3", CMD_F_PROTOCOL },
		{ SERVER_REDIS, "RESET", NULL, CMD_F_PROTOCOL },
		{ SERVER_REDIS, "BLPOP", NULL, CMD_F_BLOCKING },
		{ SERVER_REDIS, "BZPOPMIN", NULL, CMD_F_BLOCKING },
		{ SERVER_REDIS, "XREAD", NULL, CMD_F_BLOCKING },
		{ SERVER_REDIS, "XREADGROUP", NULL, CMD_F_BLOCKING },
		{ SERVER_REDIS, "WAIT", NULL, CMD_F_BLOCKING },
		{ SERVER_REDIS, "WAITAOF", NULL, CMD_F_BLOCKING },
		{ SERVER_REDIS, "GET", NULL, 0 },
		{ SERVER_REDIS, "PUBLISH", NULL, 0 },
		{ SERVER_REDIS, "NEARBY", NULL, 0 },
	};
	unsigned	flags;
	size_t		i;

	for (i = 0; i < NELEM(rows); i++) {
		flags = 0xdead;
		cmd_class_of(rows[i].kind, rows[i].name, 0, rows[i].sub, 0,
		    &flags);
		ck_assert_msg(flags == rows[i].flags, "%s: %#x", rows[i].name,
		    flags);
	}
	/* flags may be NULL. */
	ck_assert_int_eq(cmd_class_of(SERVER_REDIS, "GET", 0, NULL, 0, NULL),
	    CMD_READ);
}
END_TEST

/* Subcommands the scanner cannot read for sure fall back to the name. */
START_TEST(test_sub_fallback)
{
	static const struct {
		int		 kind;
		const char	*name, *sub;
		int		 sub_long;
		enum cmd_class	 cls;
	} rows[] = {
		{ SERVER_REDIS, "CLIENT", "SETNAME", 0, CMD_CONNECTION },
		{ SERVER_REDIS, "CLIENT", "SETNAME", 1, CMD_ADMIN },
		{ SERVER_REDIS, "CLIENT", "SETNAMEX", 0, CMD_ADMIN },
		{ SERVER_REDIS, "CLIENT", "SETNAME|X", 0, CMD_ADMIN },
		{ SERVER_REDIS, "CLIENT", "setname", 0, CMD_ADMIN },
		{ SERVER_REDIS, "CLIENT", "", 0, CMD_ADMIN },
		{ SERVER_REDIS, "CLIENT", NULL, 0, CMD_ADMIN },
		{ SERVER_REDIS, "CLIENT",
		    "SETNAMEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", 0,
		    CMD_ADMIN },
		{ SERVER_REDIS, "MEMORY", "USAGE", 0, CMD_READ },
		{ SERVER_REDIS, "MEMORY", "USAGE", 1, CMD_ADMIN },
		{ SERVER_REDIS, "OBJECT", "FREQ", 0, CMD_READ },
		{ SERVER_REDIS, "OBJECT", "NOSUCH", 0, CMD_READ },
		{ SERVER_REDIS, "XGROUP", "HELP", 0, CMD_CONNECTION },
		{ SERVER_REDIS, "XGROUP", "NOSUCH", 0, CMD_WRITE },
		/* A command without subcommands ignores its argument. */
		{ SERVER_REDIS, "GET", "SETNAME", 1, CMD_READ },
		{ SERVER_TILE38, "CLIENT", "GETNAME", 0, CMD_CONNECTION },
		{ SERVER_TILE38, "CLIENT", "GETNAME", 1, CMD_ADMIN },
		{ SERVER_TILE38, "CONFIG", "GET", 0, CMD_ADMIN },
		{ SERVER_TILE38, "SET", "CLIENT", 0, CMD_WRITE },
	};
	size_t	i;

	for (i = 0; i < NELEM(rows); i++)
		ck_assert_msg(cmd_class_of(rows[i].kind, rows[i].name, 0,
		    rows[i].sub, rows[i].sub_long, NULL) == rows[i].cls,
		    "row %zu", i);
}
END_TEST

/* Unknown names: refused even where every class is allowed. */
START_TEST(test_unknown_refused)
{
	static const struct {
		int		 kind;
		const char	*name;
		int		 name_long;
	} rows[] = {
		{ SERVER_TILE38, "FLUSHD", 0 },
		{ SERVER_TILE38, "HSET", 0 },
		{ SERVER_TILE38, "get", 0 },
		{ SERVER_TILE38, "", 0 },
		{ SERVER_TILE38, "GET", 1 },
		{ SERVER_TILE38, "CLIENT|SETNAME", 0 },
		{ SERVER_TILE38, "CONFIG|GET", 0 },
		{ SERVER_TILE38, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1 },
		{ SERVER_TILE38, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0 },
		{ SERVER_REDIS, "NEARBY", 0 },
		{ SERVER_REDIS, "JSON.SET", 0 },
		{ SERVER_REDIS, "SENTINEL", 0 },
		{ SERVER_REDIS, "CLIENT|SETNAME", 0 },
		{ SERVER_REDIS, "GET ", 0 },
		{ SERVER_REDIS, "PING", 1 },
		{ 5, "GET", 0 },
	};
	struct cmd_policy	 all[2];
	unsigned		 flags;
	size_t			 i, k;

	for (k = 0; k < NELEM(kinds); k++)
		policy_ok(&all[k], kinds[k], "connection read write admin",
		    "x: connection read write admin");
	for (i = 0; i < NELEM(rows); i++) {
		flags = 1;
		ck_assert_msg(cmd_class_of(rows[i].kind, rows[i].name,
		    rows[i].name_long, NULL, 0, &flags) == CMD_UNKNOWN,
		    "%s", rows[i].name);
		ck_assert_uint_eq(flags, 0);
		ck_assert_ptr_null(cmd_lookup(rows[i].kind, rows[i].name,
		    rows[i].name_long, "SETNAME", 0));
		for (k = 0; k < NELEM(kinds); k++) {
			if (kinds[k] != rows[i].kind)
				continue;
			ck_assert(!cmd_policy_allows(&all[k], NULL,
			    rows[i].name, rows[i].name_long, NULL, 0));
			ck_assert(!cmd_policy_allows(&all[k], "x",
			    rows[i].name, rows[i].name_long, NULL, 0));
		}
	}
	ck_assert_int_eq(cmd_class_of(SERVER_REDIS, NULL, 0, NULL, 0, NULL),
	    CMD_UNKNOWN);
	for (k = 0; k < NELEM(kinds); k++)
		cmd_policy_free(&all[k]);
}
END_TEST

/* The bridge lets through the replication handshake and nothing else. */
START_TEST(test_bridge)
{
	static const char *const tile38[] = {
		"AOF", "AOFMD5", "AUTH", "OUTPUT", "PING", "QUIT",
		"REPLCONF", "SERVER",
	};
	static const char *const redis[] = {
		"AUTH", "PING", "PSYNC", "REPLCONF", "SYNC",
	};
	static const char *const never[] = {
		"", "auth", "AUTH ", "REPLCONFX", "PSYNC|X", "FOLLOW",
		"SLAVEOF", "REPLICAOF", "MONITOR", "SET", "GET", "EVAL",
	};
	const struct cmd_def	*t;
	size_t			 i, j, k, n, nallowed;
	int			 want;

	for (k = 0; k < NELEM(kinds); k++) {
		/* Every name either table knows, and a few more. */
		for (j = 0; j < NELEM(kinds); j++) {
			t = cmd_table(kinds[j], &n);
			for (i = 0; i < n; i++) {
				want = 0;
				if (kinds[k] == SERVER_TILE38) {
					for (nallowed = 0; nallowed <
					    NELEM(tile38); nallowed++)
						want |= strcmp(t[i].name,
						    tile38[nallowed]) == 0;
				} else {
					for (nallowed = 0; nallowed <
					    NELEM(redis); nallowed++)
						want |= strcmp(t[i].name,
						    redis[nallowed]) == 0;
				}
				ck_assert_msg(cmd_bridge_allowed(kinds[k],
				    t[i].name, NULL) == want, "kind %d %s",
				    kinds[k], t[i].name);
			}
		}
		for (i = 0; i < NELEM(never); i++)
			ck_assert_msg(!cmd_bridge_allowed(kinds[k], never[i],
			    NULL), "%s", never[i]);
		ck_assert(!cmd_bridge_allowed(kinds[k], NULL, NULL));
	}
	nallowed = 0;
	for (i = 0; i < NELEM(tile38); i++)
		nallowed += cmd_bridge_allowed(SERVER_TILE38, tile38[i],
		    "listening-port");
	ck_assert_uint_eq(nallowed, NELEM(tile38));
	nallowed = 0;
	for (i = 0; i < NELEM(redis); i++)
		nallowed += cmd_bridge_allowed(SERVER_REDIS, redis[i], "ACK");
	ck_assert_uint_eq(nallowed, NELEM(redis));
	ck_assert(!cmd_bridge_allowed(SERVER_TILE38, "PSYNC", NULL));
	ck_assert(!cmd_bridge_allowed(SERVER_TILE38, "SYNC", NULL));
	ck_assert(!cmd_bridge_allowed(SERVER_REDIS, "AOF", NULL));
	ck_assert(!cmd_bridge_allowed(SERVER_REDIS, "SERVER", NULL));
	ck_assert(!cmd_bridge_allowed(SERVER_REDIS, "QUIT", NULL));
	ck_assert(!cmd_bridge_allowed(7, "AUTH", NULL));
}
END_TEST

/* Every error, word for word; a failed parse leaves a policy that refuses. */
START_TEST(test_policy_errors)
{
	static const struct {
		int		 kind;
		const char	*rules, *grants, *err;
	} rows[] = {
		{ SERVER_TILE38, "read FLUSHD", NULL,
		    "unknown class or command 'FLUSHD'" },
		{ SERVER_TILE38, "read,-flushd", NULL,
		    "unknown class or command 'flushd'" },
		{ SERVER_TILE38, "unknown", NULL,
		    "unknown class or command 'unknown'" },
		{ SERVER_TILE38, "+HSET", NULL,
		    "unknown class or command 'HSET'" },
		{ SERVER_REDIS, "read +NEARBY", NULL,
		    "unknown class or command 'NEARBY'" },
		{ SERVER_REDIS, "+CONFIG|NOPE", NULL,
		    "unknown class or command 'CONFIG|NOPE'" },
		{ SERVER_REDIS, "+CLIENT|", NULL,
		    "unknown class or command 'CLIENT|'" },
		{ SERVER_REDIS, "read +|GET", NULL,
		    "unknown class or command '|GET'" },
		{ SERVER_REDIS, "++GET", NULL,
		    "unknown class or command '+GET'" },
		{ SERVER_REDIS, "read +", NULL,
		    "'+' names no class or command" },
		{ SERVER_REDIS, "read - write", NULL,
		    "'-' names no class or command" },
		{ SERVER_TILE38, "read replication", NULL,
		    "'replication' cannot be allowed to clients" },
		{ SERVER_REDIS, "+Replication", NULL,
		    "'replication' cannot be allowed to clients" },
		{ SERVER_TILE38, "+AOF", NULL,
		    "'AOF' is a replication command and cannot be allowed "
		    "to clients" },
		{ SERVER_TILE38, "read timeout", NULL,
		    "'TIMEOUT' is a replication command and cannot be "
		    "allowed to clients" },
		{ SERVER_REDIS, "+psync", NULL,
		    "'PSYNC' is a replication command and cannot be allowed "
		    "to clients" },
		{ SERVER_TILE38, "read", "etl admin",
		    "grant 'etl admin' has no ':' after its service" },
		{ SERVER_TILE38, "read", "ok: admin; etl",
		    "grant 'etl' has no ':' after its service" },
		{ SERVER_TILE38, "read", "bad name: admin",
		    "bad service name 'bad name' in grants" },
		{ SERVER_TILE38, "read", " : admin",
		    "bad service name '' in grants" },
		{ SERVER_TILE38, "read", "e/tl: admin",
		    "bad service name 'e/tl' in grants" },
		{ SERVER_TILE38, "read", "etl: admin; etl: +GC",
		    "service 'etl' is granted twice" },
		{ SERVER_TILE38, "read", "etl: FLUSHD",
		    "grant 'etl': unknown class or command 'FLUSHD'" },
		{ SERVER_TILE38, "read", "etl : admin: +GC",
		    "grant 'etl': unknown class or command 'admin:'" },
		{ SERVER_TILE38, "read", "etl: replication",
		    "grant 'etl': 'replication' cannot be allowed to "
		    "clients" },
		{ SERVER_TILE38, "read", "etl: +AOFMD5",
		    "grant 'etl': 'AOFMD5' is a replication command and "
		    "cannot be allowed to clients" },
		{ SERVER_REDIS, "read", "etl: +REPLCONF",
		    "grant 'etl': 'REPLCONF' is a replication command and "
		    "cannot be allowed to clients" },
		{ SERVER_TILE38, "read", "etl:",
		    "grant 'etl' names no class or command" },
		{ SERVER_TILE38, "read", "ops: +GC; etl: , ;",
		    "grant 'etl' names no class or command" },
		{ 9, "read", NULL, "unknown server kind 9" },
	};
	struct cmd_policy	 p;
	char			 err[ERRLEN], want[ERRLEN], word[100];
	size_t			 i;

	for (i = 0; i < NELEM(rows); i++) {
		memset(err, 0, sizeof(err));
		memset(&p, 0xa5, sizeof(p));
		ck_assert_msg(cmd_policy_parse(&p, rows[i].kind, rows[i].rules,
		    rows[i].grants, err, sizeof(err)) == -1, "row %zu", i);
		ck_assert_str_eq(err, rows[i].err);
		ck_assert_ptr_null(p.allow);
		ck_assert_ptr_null(p.grants);
		ck_assert(!allows(&p, NULL, "PING", NULL));
		ck_assert(!allows(&p, "etl", "PING", NULL));
		cmd_policy_free(&p);
	}
	/* A long word is quoted in part. */
	memset(word, 'A', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	ck_assert_int_eq(cmd_policy_parse(&p, SERVER_TILE38, word, NULL,
	    err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "unknown class or command '%.64s'",
	    word);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(strlen(err), strlen("unknown class or command ''") +
	    64);
	/* A short buffer cuts the message, it does not overflow. */
	ck_assert_int_eq(cmd_policy_parse(&p, SERVER_TILE38, "FLUSHD", NULL,
	    err, 8), -1);
	ck_assert_str_eq(err, "unknown");
	ck_assert(!cmd_policy_allows(NULL, NULL, "PING", 0, NULL, 0));
	ck_assert(!cmd_policy_allows_def(NULL, NULL, NULL));
}
END_TEST

START_TEST(test_policy_accepts)
{
	static const struct {
		const char	*rules, *grants;
	} rows[] = {
		{ "", NULL },
		{ NULL, NULL },
		{ "read", "" },
		{ "READ, Write,connection", ";" },
		{ "  read\twrite\r\n,, connection  ", " ; ops: +GC ;" },
		{ "read +FLUSHDB", "a.b_c-D9: admin" },
		{ "flushdb -replication -AOF -timeout", "x:read;y:write" },
		{ "+client|setname +CLIENT|KILL", "x: -client|list" },
		{ "+admin -admin +read", "x:\t+GC,-GC" },
	};
	struct cmd_policy	p;
	size_t			i;

	for (i = 0; i < NELEM(rows); i++) {
		policy_ok(&p, SERVER_TILE38, rows[i].rules, rows[i].grants);
		cmd_policy_free(&p);
		/* Freed twice is harmless: free empties the policy. */
		cmd_policy_free(&p);
	}
	/* Nothing given, nothing allowed. */
	policy_ok(&p, SERVER_TILE38, "", NULL);
	ck_assert(!allows(&p, NULL, "PING", NULL));
	ck_assert(!allows(&p, NULL, "GET", NULL));
	cmd_policy_free(&p);
	/* Bare names add, case does not matter. */
	policy_ok(&p, SERVER_TILE38, "Connection flushdb", NULL);
	ck_assert(allows(&p, NULL, "PING", NULL));
	ck_assert(allows(&p, NULL, "FLUSHDB", NULL));
	ck_assert(!allows(&p, NULL, "GET", NULL));
	cmd_policy_free(&p);
}
END_TEST

/* +/- on classes and commands, in any order. */
START_TEST(test_policy_named)
{
	static const struct {
		int		 kind;
		const char	*rules, *name, *sub;
		int		 sub_long, want;
	} rows[] = {
		{ SERVER_TILE38, "read write connection +FLUSHDB", "FLUSHDB",
		    NULL, 0, 1 },
		{ SERVER_TILE38, "read write connection +FLUSHDB", "SHUTDOWN",
		    NULL, 0, 0 },
		{ SERVER_TILE38, "read write connection -GET", "GET", NULL, 0,
		    0 },
		{ SERVER_TILE38, "read write connection -GET", "SCAN", NULL, 0,
		    1 },
		/* A named command beats its class whatever the order. */
		{ SERVER_TILE38, "-DEL read write connection", "DEL", NULL, 0,
		    0 },
		{ SERVER_TILE38, "-DEL read write connection", "SET", NULL, 0,
		    1 },
		{ SERVER_TILE38, "+GC -admin", "GC", NULL, 0, 1 },
		/* For one command the last word wins. */
		{ SERVER_TILE38, "read connection +SET -SET", "SET", NULL, 0,
		    0 },
		{ SERVER_TILE38, "read connection -SET +SET", "SET", NULL, 0,
		    1 },
		{ SERVER_TILE38, "read -read", "GET", NULL, 0, 0 },
		{ SERVER_TILE38, "-read +GET", "GET", NULL, 0, 1 },
		{ SERVER_TILE38, "-read +GET", "SCAN", NULL, 0, 0 },
		{ SERVER_TILE38, "read write", "PING", NULL, 0, 0 },
		{ SERVER_TILE38, "read write", "SUBSCRIBE", NULL, 0, 0 },
		{ SERVER_TILE38, "read write connection admin", "FLUSHDB",
		    NULL, 0, 1 },
		{ SERVER_TILE38, "read write connection admin", "CONFIG",
		    "SET", 0, 1 },
		{ SERVER_TILE38, "read write connection admin", "AOF", NULL,
		    0, 0 },
		{ SERVER_TILE38, "read write connection admin", "TIMEOUT",
		    "1", 0, 0 },
		{ SERVER_TILE38, "read connection +CONFIG -CONFIG|SET",
		    "CONFIG", "GET", 0, 1 },
		{ SERVER_TILE38, "read connection +CONFIG -CONFIG|SET",
		    "CONFIG", "SET", 0, 0 },
		/* The fallback may hide a SET: strictest. */
		{ SERVER_TILE38, "read connection +CONFIG -CONFIG|SET",
		    "CONFIG", "SET", 1, 0 },
		{ SERVER_TILE38, "read connection +CONFIG -CONFIG|SET",
		    "CONFIG", NULL, 0, 0 },
		{ SERVER_TILE38, "read connection +CONFIG", "CONFIG", "SET",
		    1, 1 },
		{ SERVER_REDIS, "read write connection +CLIENT -CLIENT|KILL",
		    "CLIENT", "SETNAME", 0, 1 },
		{ SERVER_REDIS, "read write connection +CLIENT -CLIENT|KILL",
		    "CLIENT", "LIST", 0, 1 },
		{ SERVER_REDIS, "read write connection +CLIENT -CLIENT|KILL",
		    "CLIENT", "KILL", 0, 0 },
		{ SERVER_REDIS, "read write connection +CLIENT -CLIENT|KILL",
		    "CLIENT", "KILL", 1, 0 },
		{ SERVER_REDIS, "read write connection +CLIENT -CLIENT|KILL",
		    "CLIENT", NULL, 0, 0 },
		{ SERVER_REDIS, "read write connection +CLIENT", "CLIENT",
		    "KILL", 0, 1 },
		{ SERVER_REDIS, "read write connection +CLIENT", "CLIENT",
		    "NOSUCH", 0, 1 },
		{ SERVER_REDIS, "read write connection -CLIENT", "CLIENT",
		    "SETNAME", 0, 0 },
		{ SERVER_REDIS, "read write connection -CLIENT|SETNAME",
		    "CLIENT", "SETNAME", 0, 0 },
		{ SERVER_REDIS, "read write connection -CLIENT|SETNAME",
		    "CLIENT", "ID", 0, 1 },
		{ SERVER_REDIS, "read write connection +CONFIG|GET", "CONFIG",
		    "GET", 0, 1 },
		{ SERVER_REDIS, "read write connection +CONFIG|GET", "CONFIG",
		    "SET", 0, 0 },
		{ SERVER_REDIS, "read write connection +CONFIG|GET", "CONFIG",
		    "GET", 1, 0 },
		{ SERVER_REDIS, "read write connection +CONFIG|GET", "CONFIG",
		    NULL, 0, 0 },
		{ SERVER_REDIS, "read connection -PUBSUB|NUMSUB", "PUBSUB",
		    "CHANNELS", 0, 1 },
		{ SERVER_REDIS, "read connection -PUBSUB|NUMSUB", "PUBSUB",
		    "NOSUCH", 0, 0 },
		{ SERVER_REDIS, "read connection +EVAL_RO", "EVAL_RO", NULL,
		    0, 1 },
	};
	struct cmd_policy	p;
	size_t			i;

	for (i = 0; i < NELEM(rows); i++) {
		policy_ok(&p, rows[i].kind, rows[i].rules, NULL);
		ck_assert_msg(cmd_policy_allows(&p, NULL, rows[i].name, 0,
		    rows[i].sub, rows[i].sub_long) == rows[i].want,
		    "\"%s\": %s %s", rows[i].rules, rows[i].name,
		    rows[i].sub != NULL ? rows[i].sub : "");
		cmd_policy_free(&p);
	}
}
END_TEST

/* Grants apply to their service only, on top of the listener's set. */
START_TEST(test_grants)
{
	static const struct {
		const char	*svc, *name, *sub;
		int		 want;
	} rows[] = {
		{ NULL, "FLUSHDB", NULL, 0 },
		{ NULL, "SET", NULL, 1 },
		{ NULL, "SHUTDOWN", NULL, 0 },
		{ "ops-admin", "FLUSHDB", NULL, 1 },
		{ "ops-admin", "SHUTDOWN", NULL, 0 },
		{ "ops-admin", "GC", NULL, 0 },
		{ "ops-admin", "SET", NULL, 1 },
		{ "etl", "FLUSHDB", NULL, 1 },
		{ "etl", "CONFIG", "SET", 1 },
		{ "etl", "SHUTDOWN", NULL, 0 },
		{ "etl", "SET", NULL, 1 },
		{ "etl", "AOF", NULL, 0 },
		{ "etl", "TIMEOUT", NULL, 0 },
		{ "ro", "SET", NULL, 0 },
		{ "ro", "GET", NULL, 1 },
		{ "ro", "DEL", NULL, 0 },
		{ "a.b", "GC", NULL, 1 },
		{ "a.b", "CLIENT", "SETNAME", 0 },
		{ "a.b", "CLIENT", "GETNAME", 1 },
		/* Names are matched exactly. */
		{ "other", "FLUSHDB", NULL, 0 },
		{ "", "FLUSHDB", NULL, 0 },
		{ "OPS-ADMIN", "FLUSHDB", NULL, 0 },
		{ "ops-admi", "FLUSHDB", NULL, 0 },
		{ "ops-admin ", "FLUSHDB", NULL, 0 },
	};
	struct cmd_policy	p;
	size_t			i;

	policy_ok(&p, SERVER_TILE38, CMD_RULES_WRITER,
	    "ops-admin: +FLUSHDB; etl: admin -SHUTDOWN;ro:-write;"
	    " a.b : +GC -CLIENT|SETNAME");
	ck_assert_uint_eq(p.ngrants, 4);
	for (i = 0; i < NELEM(rows); i++)
		ck_assert_msg(allows(&p, rows[i].svc, rows[i].name,
		    rows[i].sub) == rows[i].want, "%s: %s",
		    rows[i].svc != NULL ? rows[i].svc : "(none)",
		    rows[i].name);
	cmd_policy_free(&p);

	/* The listener's named commands beat a grant's classes. */
	policy_ok(&p, SERVER_TILE38, "read write connection -DEL",
	    "etl: write; ops: +DEL");
	ck_assert(!allows(&p, NULL, "DEL", NULL));
	ck_assert(!allows(&p, "etl", "DEL", NULL));
	ck_assert(allows(&p, "ops", "DEL", NULL));
	cmd_policy_free(&p);

	/* A grant on R may add writes; the reader's set keeps none. */
	policy_ok(&p, SERVER_REDIS, CMD_RULES_READER, "etl: write");
	ck_assert(!allows(&p, NULL, "SET", NULL));
	ck_assert(allows(&p, "etl", "SET", NULL));
	ck_assert(allows(&p, "etl", "GET", NULL));
	cmd_policy_free(&p);
}
END_TEST

/* Replication never reaches a client, whatever the words allow. */
START_TEST(test_replication_never)
{
	struct cmd_policy	 p;
	const struct cmd_def	*t;
	size_t			 i, k, n, nrepl;
	unsigned		 all;

	all = MASK_W | 1u << CMD_ADMIN;
	for (k = 0; k < NELEM(kinds); k++) {
		policy_ok(&p, kinds[k], "connection read write admin",
		    "x: connection read write admin; y: -read");
		t = cmd_table(kinds[k], &n);
		nrepl = 0;
		for (i = 0; i < n; i++) {
			if (t[i].cls == CMD_REPLICATION)
				nrepl++;
			ck_assert_msg(cmd_policy_allows_def(&p, NULL,
			    &t[i]) == (t[i].cls != CMD_REPLICATION), "%s",
			    t[i].name);
			ck_assert_int_eq(cmd_policy_allows_def(&p, "x",
			    &t[i]), t[i].cls != CMD_REPLICATION);
			ck_assert_msg(cmd_policy_allows_def(&p, "y",
			    &t[i]) == want_by_class(kinds[k], t, n, i,
			    all & ~(1u << CMD_READ)), "y %s", t[i].name);
		}
		ck_assert_uint_ge(nrepl, 3);
		cmd_policy_free(&p);
	}
}
END_TEST

/* An entry of the other kind's table, or none, is refused. */
START_TEST(test_allows_def_foreign)
{
	struct cmd_policy	 p;
	const struct cmd_def	*get;

	policy_ok(&p, SERVER_TILE38, CMD_RULES_WRITER, NULL);
	get = cmd_lookup(SERVER_REDIS, "GET", 0, NULL, 0);
	ck_assert_ptr_nonnull(get);
	ck_assert(!cmd_policy_allows_def(&p, NULL, get));
	ck_assert(!cmd_policy_allows_def(&p, NULL, NULL));
	get = cmd_lookup(SERVER_TILE38, "GET", 0, NULL, 0);
	ck_assert(cmd_policy_allows_def(&p, NULL, get));
	cmd_policy_free(&p);
	ck_assert(!cmd_policy_allows_def(&p, NULL, get));
}
END_TEST

START_TEST(test_class_names)
{
	ck_assert_str_eq(cmd_class_name(CMD_CONNECTION), "connection");
	ck_assert_str_eq(cmd_class_name(CMD_READ), "read");
	ck_assert_str_eq(cmd_class_name(CMD_WRITE), "write");
	ck_assert_str_eq(cmd_class_name(CMD_ADMIN), "admin");
	ck_assert_str_eq(cmd_class_name(CMD_REPLICATION), "replication");
	ck_assert_str_eq(cmd_class_name(CMD_UNKNOWN), "unknown");
	ck_assert_str_eq(cmd_class_name((enum cmd_class)42), "unknown");
	ck_assert_str_eq(cmd_class_name((enum cmd_class)-1), "unknown");
}
END_TEST

Suite *
cmd_class_suite(void)
{
	Suite	*s = suite_create("cmd_class");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_subs_never_stricter);
	tcase_add_test(tc, test_server_commands_known);
	tcase_add_test(tc, test_strict_refused);
	tcase_add_test(tc, test_usual_allowed);
	tcase_add_test(tc, test_defaults_by_class);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_sub_fallback);
	tcase_add_test(tc, test_unknown_refused);
	tcase_add_test(tc, test_bridge);
	tcase_add_test(tc, test_policy_errors);
	tcase_add_test(tc, test_policy_accepts);
	tcase_add_test(tc, test_policy_named);
	tcase_add_test(tc, test_grants);
	tcase_add_test(tc, test_replication_never);
	tcase_add_test(tc, test_allows_def_foreign);
	tcase_add_test(tc, test_class_names);
	suite_add_tcase(s, tc);
	return s;
}
