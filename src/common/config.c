/*
 * The option table and everything that works on one option at a time:
 * defaults, typed parsing of a value, canonical text, comparison,
 * validation across options, the environment and the load pipeline.
 * The "key value" file parser is in config_parse.c, the command line and
 * --help in config_cli.c.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_class.h"
#include "config.h"
#include "log.h"
#include "proto.h"

#define OFF(f)	offsetof(struct config, f)

/*
 * Durations are kept in ms but bounded like Go's time.Duration (int64
 * nanoseconds), which leaves every consumer room to add them to a clock.
 */
#define DURATION_MAX_MS	((uint64_t)INT64_MAX / 1000000)

/* How much of a bad value an error message repeats. */
#define MSG_VALUE_MAX	80

static void	config_write_opt(const struct config *,
		    const struct opt_def *, FILE *, int);

static const char *const kind_choices[] = { "tile38", "redis", NULL };
static const char *const level_choices[] = { "info", "debug", NULL };
static const char *const lagging_choices[] = { "keep", "release", NULL };
static const char *const http_choices[] = { "refuse", "opaque", NULL };

const struct opt_def opt_table[] = {
	{ "id", "SERVICE_ID", NULL, OPT_NAME, RELOAD_NEVER,
	    OPT_REQUIRED, OFF(id), NULL,
	    "unique instance id; also Meta.id of both catalog services" },
	{ "advertise", "ADVERTISE", NULL, OPT_NAME, RELOAD_LIVE,
	    OPT_REQUIRED, OFF(advertise), NULL,
	    "address of this node registered in the Consul catalog" },
	{ "server.addr", "SERVER_ADDR", "127.0.0.1", OPT_NAME, RELOAD_LIVE,
	    OPT_ELECTOR | OPT_PROXY, OFF(server_addr), NULL,
	    "address of the local Tile38 (or Redis) server" },
	{ "server.port", "SERVER_PORT", NULL, OPT_PORT, RELOAD_LIVE,
	    OPT_REQUIRED, OFF(server_port), NULL,
	    "port of the local Tile38 (or Redis) server; not needed with "
	    "server.socket" },
	/* To every child: it decides whether server.port is required. */
	{ "server.socket", "SERVER_SOCKET", "", OPT_STRING, RELOAD_NEVER,
	    0, OFF(server_socket), NULL,
	    "UNIX socket of the local server (Tile38 -s, Redis unixsocket), "
	    "used instead of server.addr and server.port; as root the "
	    "proxies are chrooted to its directory" },
	{ "server.kind", "SERVER_KIND", "tile38", OPT_ENUM, RELOAD_NEVER,
	    0, OFF(server_kind), kind_choices,
	    "local server kind: tile38 (FOLLOW) or redis (REPLICAOF)" },
	{ "server.password", "SERVER_PASSWORD", "", OPT_STRING, RELOAD_LIVE,
	    OPT_SECRET | OPT_ELECTOR, OFF(server_password), NULL,
	    "password of the local server, also used to authenticate to "
	    "the leader" },
	{ "bind.addr.leader", "BIND_ADDR_LEADER", "0.0.0.0", OPT_ADDR,
	    RELOAD_REBIND, 0, OFF(bind_addr_leader), NULL,
	    "writer listener (W) address" },
	{ "bind.port.leader", "BIND_PORT_LEADER", NULL, OPT_PORT,
	    RELOAD_REBIND, OPT_REQUIRED, OFF(bind_port_leader), NULL,
	    "writer listener (W) port, registered as the writer service" },
	{ "bind.addr.follower", "BIND_ADDR_FOLLOWER", "0.0.0.0", OPT_ADDR,
	    RELOAD_REBIND, 0, OFF(bind_addr_follower), NULL,
	    "reader listener (R) address" },
	{ "bind.port.follower", "BIND_PORT_FOLLOWER", NULL, OPT_PORT,
	    RELOAD_REBIND, OPT_REQUIRED, OFF(bind_port_follower), NULL,
	    "reader listener (R) port, registered as the reader service" },
	{ "bind.addr.bridge", "REPL_BRIDGE_IP", "127.0.0.1", OPT_LOOPBACK,
	    RELOAD_REBIND, 0, OFF(bind_addr_bridge), NULL,
	    "replication bridge (B) address the local server follows; "
	    "loopback only" },
	{ "bind.port.bridge", "REPL_BRIDGE_PORT", "0", OPT_PORT0,
	    RELOAD_REBIND, 0, OFF(bind_port_bridge), NULL,
	    "replication bridge (B) port; 0 picks an ephemeral port" },
	{ "consul.addr", "CONSUL_HTTP_ADDR", "127.0.0.1:8500", OPT_NAME,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(consul_addr), NULL,
	    "Consul agent as host:port or [v6]:port; https:// turns on "
	    "consul.ssl" },
	{ "consul.lock.prefix", "CONSUL_LOCK_PREFIX",
	    "_locks/tile38/cluster/manager", OPT_NAME, RELOAD_NEVER,
	    OPT_ELECTOR, OFF(consul_lock_prefix), NULL,
	    "KV prefix of the leader lock: the key is <prefix>/leader, "
	    "its value the id" },
	{ "consul.token", "CONSUL_HTTP_TOKEN", "", OPT_STRING, RELOAD_LIVE,
	    OPT_SECRET | OPT_ELECTOR, OFF(consul_token), NULL,
	    "Consul ACL token" },
	{ "consul.ssl", "CONSUL_HTTP_SSL", "false", OPT_BOOL, RELOAD_LIVE,
	    OPT_ELECTOR, OFF(consul_ssl), NULL,
	    "talk to the Consul agent over HTTPS" },
	{ "consul.cacert", "CONSUL_CACERT", "", OPT_STRING, RELOAD_LIVE,
	    OPT_ELECTOR, OFF(consul_cacert), NULL,
	    "CA certificate file that verifies the Consul agent" },
	{ "consul.client.cert", "CONSUL_CLIENT_CERT", "", OPT_STRING,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(consul_client_cert), NULL,
	    "client certificate file for the Consul agent (with the "
	    "client key)" },
	{ "consul.client.key", "CONSUL_CLIENT_KEY", "", OPT_STRING,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(consul_client_key), NULL,
	    "client key file for the Consul agent (with the client "
	    "certificate)" },
	{ "dogstatsd.addr", "DD_AGENT_HOST", "127.0.0.1", OPT_NAME,
	    RELOAD_LIVE, OPT_ADMIN, OFF(dogstatsd_addr), NULL,
	    "DogStatsD agent address" },
	{ "dogstatsd.port", "DD_AGENT_PORT", "8125", OPT_PORT, RELOAD_LIVE,
	    OPT_ADMIN, OFF(dogstatsd_port), NULL,
	    "DogStatsD agent UDP port (the original's 8126 is the APM port)" },
	{ "dogstatsd.interval", NULL, "10s", OPT_DURATION, RELOAD_LIVE,
	    OPT_ADMIN, OFF(dogstatsd_interval), NULL,
	    "how often metrics are sent to the DogStatsD agent" },
	{ "http.addr", "TCM_HTTP_ADDR", "127.0.0.1", OPT_ADDR,
	    RELOAD_REBIND, 0, OFF(http_addr), NULL,
	    "admin HTTP listener address (health checks and /metrics)" },
	{ "http.port", "TCM_HTTP_PORT", "0", OPT_PORT0, RELOAD_REBIND,
	    0, OFF(http_port), NULL,
	    "admin HTTP listener port; 0, the default, disables the "
	    "listener" },
	{ "http.timeout", NULL, "5s", OPT_DURATION, RELOAD_LIVE,
	    OPT_ADMIN, OFF(http_timeout), NULL,
	    "how long an admin HTTP client has to send its request and "
	    "take the answer" },
	{ "control.socket", "TCM_CONTROL_SOCKET", CONTROL_SOCKET_AUTO,
	    OPT_STRING, RELOAD_NEVER, 0, OFF(control_socket), NULL,
	    "UNIX socket of tile38-clusterctl; auto: <id>.sock in "
	    "/run/tile38-cluster-manager, else in $XDG_RUNTIME_DIR/"
	    "tile38-cluster-manager or /tmp/tile38-cluster-manager-<uid>; "
	    "empty disables it" },
	{ "service.manage", "SERVICE_MANAGE", "false", OPT_BOOL, RELOAD_LIVE,
	    OPT_ELECTOR, OFF(service_manage), NULL,
	    "register and deregister both services in the Consul catalog" },
	{ "service.name.leader", "SERVICE_NAME_LEADER", "tile38-writer",
	    OPT_NAME, RELOAD_NEVER, OPT_ELECTOR | OPT_PROXY,
	    OFF(service_name_leader), NULL,
	    "catalog name of the writer service (W)" },
	{ "service.name.follower", "SERVICE_NAME_FOLLOWER", "tile38-reader",
	    OPT_NAME, RELOAD_NEVER, OPT_ELECTOR | OPT_PROXY,
	    OFF(service_name_follower), NULL,
	    "catalog name of the reader service (R)" },
	{ "server.probe.interval", NULL, "250ms", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(server_probe_interval), NULL,
	    "how often the local server is probed" },
	{ "server.down.timeout", NULL, "2s", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(server_down_timeout), NULL,
	    "a leader whose server has not answered for this long releases "
	    "the lock" },
	{ "election.session.ttl", NULL, "10s", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_session_ttl), NULL,
	    "TTL of the Consul session (10s to 24h), the backstop behind "
	    "election.check.ttl; applies to the next session" },
	{ "election.check.ttl", NULL, "1500ms", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_check_ttl), NULL,
	    "TTL of the manager's own Consul check that the session is tied "
	    "to: a dead manager loses the lock this long after it last "
	    "refreshed it" },
	{ "election.lock.delay", NULL, "1500ms", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_lock_delay), NULL,
	    "Consul lock-delay: nobody may take a lock whose session was "
	    "invalidated for this long; applies to the next session" },
	{ "election.lease", NULL, "1s", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_lease), NULL,
	    "a leader that could not confirm its lock for this long stops "
	    "routing writes (its writer's lease); at least 250ms shorter than "
	    "election.lock.delay and election.check.ttl" },
	{ "election.handover.timeout", NULL, "5s", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR | OPT_ADMIN, OFF(election_handover_timeout), NULL,
	    "on a switchover, how long the leader waits for a follower to "
	    "catch up before it releases the lock (a graceful stop waits up "
	    "to shutdown.timeout less 2s, never less than this)" },
	{ "election.fresher.wait", NULL, "2s", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_fresher_wait), NULL,
	    "how long a candidate lets a fresher live peer take a free lock "
	    "first" },
	{ "election.handover.lagging", NULL, "keep", OPT_ENUM,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_handover_lagging), lagging_choices,
	    "when no follower has every acknowledged write by the end of a "
	    "switchover (election.handover.timeout) or a graceful stop "
	    "(shutdown.timeout): keep leading, or release the lock anyway "
	    "and log how much a failover loses" },
	{ "election.min_followers", NULL, "0", OPT_NUMBER,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(election_min_followers), NULL,
	    "the writer takes writes only while at least this many "
	    "followers are caught up (like Redis' min-replicas-to-write); "
	    "0 disables" },
	{ "proxy.max_connections", NULL, "10000", OPT_COUNT,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_max_connections), NULL,
	    "open connections per listener; more are accepted and closed" },
	{ "proxy.max_handshakes", NULL, "1000", OPT_COUNT,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_max_handshakes), NULL,
	    "connections per listener still in their TLS handshake or "
	    "awaiting authorization; more are accepted and closed at once" },
	{ "proxy.max_handshakes_per_source", NULL, "100", OPT_NUMBER,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_max_handshakes_per_source), NULL,
	    "the same from one client address (IPv4 or IPv6); 0 disables" },
	{ "proxy.handshake_timeout", NULL, "2s", OPT_DURATION,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_handshake_timeout), NULL,
	    "how long a client has to complete its TLS handshake, and then "
	    "the elector to authorize it" },
	{ "proxy.resumption", NULL, "24h", OPT_DURATION,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_resumption), NULL,
	    "how long a client may resume its TLS session with a ticket "
	    "instead of a full handshake (0: never)" },
	{ "proxy.dial_timeout", NULL, "1s", OPT_DURATION,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_dial_timeout), NULL,
	    "how long connecting to a server or peer may take before the "
	    "next one is tried" },
	{ "proxy.hold.timeout", NULL, "5s", OPT_DURATION,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_hold_timeout), NULL,
	    "while the writer has no leader to route to (an election, a "
	    "handover, a lapsed lease), new connections and their first "
	    "bytes wait this long for one instead of being closed; 0 closes "
	    "them at once" },
	{ "proxy.writer.commands", NULL, "read write connection", OPT_STRING,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_writer_commands), NULL,
	    "what clients may ask through the writer: classes (read, write, "
	    "admin, connection), -class, +COMMAND, -COMMAND; replication "
	    "never; applies to new connections" },
	{ "proxy.reader.commands", NULL, "read connection", OPT_STRING,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_reader_commands), NULL,
	    "what clients may ask through the reader, as "
	    "proxy.writer.commands" },
	{ "proxy.writer.grant", NULL, "", OPT_STRING,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_writer_grant), NULL,
	    "more (or less) for some clients through the writer: "
	    "\"SERVICE: rules; ...\", SERVICE the client certificate's "
	    "Consul service" },
	{ "proxy.reader.grant", NULL, "", OPT_STRING,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_reader_grant), NULL,
	    "the same through the reader" },
	{ "proxy.http", NULL, "refuse", OPT_ENUM,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_http), http_choices,
	    "HTTP and WebSocket requests to Tile38 through the writer and "
	    "reader: refuse (403), or opaque: pass that connection unread, "
	    "bypassing the command rules" },
	{ "proxy.intentions.recheck", NULL, "false", OPT_BOOL,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_intentions_recheck), NULL,
	    "when Consul's intentions change, ask again for the clients of "
	    "open writer and reader connections and close those now denied; "
	    "false lets them be (new connections are asked either way)" },
	{ "proxy.command_filter", NULL, "true", OPT_BOOL,
	    RELOAD_LIVE, OPT_PROXY, OFF(proxy_command_filter), NULL,
	    "false passes every command unread on every listener, the "
	    "bridge included (for benchmarks only: no rule applies)" },
	{ "user", NULL, "tile38cm", OPT_NAME, RELOAD_NEVER,
	    0, OFF(user), NULL,
	    "unprivileged user the children run as when started as root; "
	    "nobody, with a warning, when left at its default and missing" },
	{ "chroot", NULL, "/var/empty", OPT_STRING, RELOAD_NEVER,
	    0, OFF(chroot), NULL,
	    "directory the proxies and the admin are chrooted to when started "
	    "as root; empty disables; none, with a warning, when left at its "
	    "default and missing" },
	{ "seccomp", NULL, "true", OPT_BOOL, RELOAD_NEVER,
	    0, OFF(seccomp), NULL,
	    "false lets the children make any system call: for finding which "
	    "call killed a child with SIGSYS, never in production" },
	{ "log.level", "LOG_LEVEL", "info", OPT_ENUM, RELOAD_LIVE,
	    0, OFF(log_level), level_choices,
	    "log level: info or debug" },
	{ "shutdown.timeout", "SHUTDOWN_TIMEOUT", "15s", OPT_DURATION,
	    RELOAD_LIVE, OPT_ELECTOR, OFF(shutdown_timeout), NULL,
	    "how long a graceful stop may take before children are killed" },
};

const size_t opt_count = sizeof(opt_table) / sizeof(opt_table[0]);

/* struct config's given has a bit per option. */
_Static_assert(sizeof(opt_table) / sizeof(opt_table[0]) <= 64,
    "more options than bits in struct config's given");

static void
opt_mark_given(struct config *cfg, const struct opt_def *opt)
{
	cfg->given |= 1ULL << (size_t)(opt - opt_table);
}

int
config_given(const struct config *cfg, const char *key)
{
	const struct opt_def	*opt;

	if ((opt = opt_lookup(key)) == NULL)
		return 0;
	return (cfg->given >> (size_t)(opt - opt_table) & 1) != 0;
}

const struct opt_def *
opt_lookup(const char *key)
{
	size_t	i;

	for (i = 0; i < opt_count; i++)
		if (strcmp(opt_table[i].key, key) == 0)
			return &opt_table[i];
	return NULL;
}

static int
opt_is_string(const struct opt_def *opt)
{
	switch (opt->type) {
	case OPT_STRING:
	case OPT_NAME:
	case OPT_ADDR:
	case OPT_LOOPBACK:
		return 1;
	default:
		return 0;
	}
}

static char **
opt_str(struct config *cfg, const struct opt_def *opt)
{
	return (char **)(void *)((char *)cfg + opt->offset);
}

static const char *
opt_cstr(const struct config *cfg, const struct opt_def *opt)
{
	return *(char *const *)(const void *)((const char *)cfg +
	    opt->offset);
}

static uint16_t *
opt_u16(struct config *cfg, const struct opt_def *opt)
{
	return (uint16_t *)(void *)((char *)cfg + opt->offset);
}

static uint16_t
opt_cu16(const struct config *cfg, const struct opt_def *opt)
{
	return *(const uint16_t *)(const void *)((const char *)cfg +
	    opt->offset);
}

static int *
opt_int(struct config *cfg, const struct opt_def *opt)
{
	return (int *)(void *)((char *)cfg + opt->offset);
}

static int
opt_cint(const struct config *cfg, const struct opt_def *opt)
{
	return *(const int *)(const void *)((const char *)cfg + opt->offset);
}

static uint64_t *
opt_u64(struct config *cfg, const struct opt_def *opt)
{
	return (uint64_t *)(void *)((char *)cfg + opt->offset);
}

static uint64_t
opt_cu64(const struct config *cfg, const struct opt_def *opt)
{
	return *(const uint64_t *)(const void *)((const char *)cfg +
	    opt->offset);
}

/*
 * A value as it may appear inside "..." in an error message: whatever
 * the user typed, the message stays one printable line.
 */
static void
msg_value(char *dst, size_t len, const char *v)
{
	size_t		 n = 0, i;
	unsigned char	 c;
	char		 tmp[8];

	if (len == 0)
		return;
	dst[0] = '\0';
	for (i = 0; v[i] != '\0'; i++) {
		if (i == MSG_VALUE_MAX) {
			snprintf(tmp, sizeof(tmp), "...");
		} else {
			c = (unsigned char)v[i];
			if (c == '"' || c == '\\')
				snprintf(tmp, sizeof(tmp), "\\%c", c);
			else if (c < 0x20 || c >= 0x7f)
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			else
				snprintf(tmp, sizeof(tmp), "%c", c);
		}
		if (n + strlen(tmp) >= len)
			break;
		memcpy(dst + n, tmp, strlen(tmp) + 1);
		n += strlen(tmp);
		if (i == MSG_VALUE_MAX)
			break;
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
parse_port(const char *s, unsigned int min, uint16_t *out)
{
	unsigned long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!is_digit(*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* A whole number from 1 to 1000000, digits only. */
static int
parse_count(const char *v, int min, int *out)
{
	long	n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || (n = n * 10 + (*v - '0')) > 1000000)
			return -1;
	}
	if (n < min)
		return -1;
	*out = (int)n;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "t", "1", "yes", "on" };
	static const char *const no[] = { "false", "f", "0", "no", "off" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * Go-like durations: a sum of integer+unit terms (ms, s, m, h), or a
 * lone "0".  Returns -1 on bad syntax; sets *range when the value is
 * well formed but too large.
 */
static int
parse_duration(const char *s, uint64_t *out, int *range)
{
	uint64_t	total = 0, n, unit;

	*range = 0;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!is_digit(*s))
			return -1;
		n = 0;
		for (; is_digit(*s); s++) {
			/* Keep scanning to tell bad syntax from overflow. */
			if (n > DURATION_MAX_MS)
				continue;
			n = n * 10 + (uint64_t)(*s - '0');
		}
		if (strncmp(s, "ms", 2) == 0) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = 60 * 1000;
			s++;
		} else if (*s == 'h') {
			unit = 60 * 60 * 1000;
			s++;
		} else
			return -1;
		if (n > DURATION_MAX_MS / unit ||
		    total > DURATION_MAX_MS - n * unit)
			*range = 1;
		else
			total += n * unit;
	}
	if (*range)
		return -1;
	*out = total;
	return 0;
}

/* Canonical text: the largest unit that divides the value exactly. */
static void
format_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms % (60 * 60 * 1000) == 0)
		snprintf(buf, len, "%lluh",
		    (unsigned long long)(ms / (60 * 60 * 1000)));
	else if (ms % (60 * 1000) == 0)
		snprintf(buf, len, "%llum",
		    (unsigned long long)(ms / (60 * 1000)));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

/*
 * Control characters are refused everywhere: the file syntax has no
 * escape for them, and a value must survive config_serialize().
 */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

static int
parse_ip(const char *s, int *af, unsigned char *bytes)
{
	if (inet_pton(AF_INET, s, bytes) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, bytes) == 1) {
		*af = AF_INET6;
		return 0;
	}
	return -1;
}

static int
is_loopback(const char *s)
{
	unsigned char	b[sizeof(struct in6_addr)];
	int		af;

	if (parse_ip(s, &af, b) == -1)
		return 0;
	if (af == AF_INET)
		return b[0] == 127;
	return memcmp(b, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
}

/* "host:port" or "[v6]:port", as Consul's CONSUL_HTTP_ADDR after the scheme. */
static int
check_hostport(const char *s)
{
	char			 host[INET6_ADDRSTRLEN];
	struct in6_addr		 a6;
	const char		*end, *port;
	uint16_t		 p;

	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':' ||
		    (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -1;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		/* A second colon is a bare IPv6 address: brackets needed. */
		if (end == NULL || end == s || memchr(s, ':', end - s) != NULL)
			return -1;
		port = end + 1;
	}
	return parse_port(port, 1, &p);
}

/*
 * Parse value for opt and store it in cfg.  problem gets the reason
 * without the option's name, so each source can name it its own way.
 */
static int
opt_apply(struct config *cfg, const struct opt_def *opt, const char *value,
    char *problem, size_t plen)
{
	char		 shown[MSG_VALUE_MAX * 4 + 8];
	unsigned char	 ip[sizeof(struct in6_addr)];
	const char	*v = value;
	char		*dup, **sp;
	uint64_t	 ms;
	uint16_t	 port;
	size_t		 i;
	int		 b, range, https = 0;

	msg_value(shown, sizeof(shown), value);
	switch (opt->type) {
	case OPT_STRING:
		if (has_control(v)) {
			snprintf(problem, plen, "\"%s\" contains a control "
			    "character", shown);
			return -1;
		}
		if (strcmp(opt->key, "chroot") == 0 && *v != '\0' &&
		    *v != '/') {
			snprintf(problem, plen,
			    "\"%s\" is not an absolute path", shown);
			return -1;
		}
		break;
	case OPT_NAME:
		if (*v == '\0') {
			snprintf(problem, plen, "must not be empty");
			return -1;
		}
		for (i = 0; v[i] != '\0'; i++)
			if ((unsigned char)v[i] <= 0x20 ||
			    (unsigned char)v[i] == 0x7f)
				break;
		if (v[i] != '\0') {
			snprintf(problem, plen, "\"%s\" contains white space "
			    "or a control character", shown);
			return -1;
		}
		if (strcmp(opt->key, "consul.addr") == 0) {
			/* Consul's own clients accept a URL scheme here. */
			if (strncasecmp(v, "http://", 7) == 0)
				v += 7;
			else if (strncasecmp(v, "https://", 8) == 0) {
				v += 8;
				https = 1;
			}
			if (check_hostport(v) == -1) {
				snprintf(problem, plen, "\"%s\" is not "
				    "host:port (IPv6 as [::1]:8500)", shown);
				return -1;
			}
		}
		break;
	case OPT_ADDR:
		if (parse_ip(v, &b, ip) == -1) {
			snprintf(problem, plen, "\"%s\" is not a numeric "
			    "IPv4 or IPv6 address", shown);
			return -1;
		}
		break;
	case OPT_LOOPBACK:
		if (!is_loopback(v)) {
			snprintf(problem, plen, "\"%s\" is not a loopback "
			    "address (127.0.0.0/8 or ::1)", shown);
			return -1;
		}
		break;
	case OPT_PORT:
	case OPT_PORT0:
		if (parse_port(v, opt->type == OPT_PORT ? 1 : 0, &port) == -1) {
			snprintf(problem, plen, "\"%s\" is not a port number "
			    "(%d-65535)", shown, opt->type == OPT_PORT ? 1 : 0);
			return -1;
		}
		*opt_u16(cfg, opt) = port;
		return 0;
	case OPT_COUNT:
	case OPT_NUMBER:
		if (parse_count(v, opt->type == OPT_COUNT ? 1 : 0, &b) == -1) {
			snprintf(problem, plen, "\"%s\" is not a whole number "
			    "from %d to 1000000", shown,
			    opt->type == OPT_COUNT ? 1 : 0);
			return -1;
		}
		*opt_int(cfg, opt) = b;
		return 0;
	case OPT_BOOL:
		if (parse_bool(v, &b) == -1) {
			snprintf(problem, plen, "\"%s\" is not a boolean "
			    "(true/false, yes/no, on/off, 1/0)", shown);
			return -1;
		}
		*opt_int(cfg, opt) = b;
		return 0;
	case OPT_DURATION:
		if (parse_duration(v, &ms, &range) == -1) {
			if (range)
				snprintf(problem, plen, "\"%s\" is too long "
				    "a duration (at most %lluh)", shown,
				    (unsigned long long)(DURATION_MAX_MS /
				    (60 * 60 * 1000)));
			else
				snprintf(problem, plen, "\"%s\" is not a "
				    "duration (such as 500ms, 10s or 1m30s)",
				    shown);
			return -1;
		}
		*opt_u64(cfg, opt) = ms;
		return 0;
	case OPT_ENUM:
		for (i = 0; opt->choices[i] != NULL; i++) {
			if (strcasecmp(v, opt->choices[i]) == 0) {
				*opt_int(cfg, opt) = (int)i;
				return 0;
			}
		}
		snprintf(problem, plen, "\"%s\" is not one of", shown);
		for (i = 0; opt->choices[i] != NULL; i++)
			snprintf(problem + strlen(problem), plen -
			    strlen(problem), "%s %s", i == 0 ? ":" : ",",
			    opt->choices[i]);
		return -1;
	}

	if ((dup = strdup(v)) == NULL) {
		snprintf(problem, plen, "out of memory");
		return -1;
	}
	sp = opt_str(cfg, opt);
	if (*sp != NULL && (opt->flags & OPT_SECRET))
		explicit_bzero(*sp, strlen(*sp));
	free(*sp);
	*sp = dup;
	if (https)
		cfg->consul_ssl = 1;
	return 0;
}

int
config_set(struct config *cfg, const struct opt_def *opt, const char *value,
    char *err, size_t errlen)
{
	char	problem[512];

	if (opt_apply(cfg, opt, value, problem, sizeof(problem)) == -1) {
		snprintf(err, errlen, "%s: %s", opt->key, problem);
		return -1;
	}
	opt_mark_given(cfg, opt);
	return 0;
}

void
config_init(struct config *cfg)
{
	char	problem[512];
	size_t	i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < opt_count; i++) {
		if (opt_table[i].def == NULL)
			continue;
		/* Defaults are ours: failing here is a bug or no memory. */
		if (opt_apply(cfg, &opt_table[i], opt_table[i].def, problem,
		    sizeof(problem)) == -1)
			fatalx("default of %s: %s", opt_table[i].key, problem);
	}
}

void
config_clear(struct config *cfg)
{
	const struct opt_def	*opt;
	char			*s;
	size_t			 i;

	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		if (!opt_is_string(opt) || (s = *opt_str(cfg, opt)) == NULL)
			continue;
		if (opt->flags & OPT_SECRET)
			explicit_bzero(s, strlen(s));
		free(s);
	}
	memset(cfg, 0, sizeof(*cfg));
}

int
config_copy(struct config *dst, const struct config *src)
{
	const char	*s;
	size_t		 i;

	*dst = *src;
	/* Nothing in dst may point into src when a copy fails halfway. */
	for (i = 0; i < opt_count; i++)
		if (opt_is_string(&opt_table[i]))
			*opt_str(dst, &opt_table[i]) = NULL;
	for (i = 0; i < opt_count; i++) {
		if (!opt_is_string(&opt_table[i]))
			continue;
		if ((s = opt_cstr(src, &opt_table[i])) == NULL)
			continue;
		if ((*opt_str(dst, &opt_table[i]) = strdup(s)) == NULL)
			goto fail;
	}
	return 0;

fail:
	config_clear(dst);
	return -1;
}

/*
 * An https:// consul.addr turns consul.ssl on, but an explicit consul.ssl
 * from the same source must still win; every loader therefore applies
 * consul.ssl after that source's other options.
 */
int
config_load_env(struct config *cfg, char *err, size_t errlen)
{
	const struct opt_def	*opt;
	const char		*v;
	char			 problem[512];
	size_t			 i;
	int			 pass, late;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < opt_count; i++) {
			opt = &opt_table[i];
			late = strcmp(opt->key, "consul.ssl") == 0;
			if (opt->env == NULL || late != pass)
				continue;
			/*
			 * Empty counts as unset, as in Consul's own clients and
			 * the Go original: containers often define every
			 * variable, with empty meaning "not given".
			 */
			if ((v = getenv(opt->env)) == NULL || *v == '\0')
				continue;
			if (opt_apply(cfg, opt, v, problem,
			    sizeof(problem)) == -1) {
				snprintf(err, errlen, "%s (%s): %s", opt->env,
				    opt->key, problem);
				return -1;
			}
			opt_mark_given(cfg, opt);
		}
	}
	return 0;
}

/* A cleared config has NULL where config_init() puts defaults. */
static const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

static int
opt_is_set(const struct config *cfg, const struct opt_def *opt)
{
	if (opt_is_string(opt))
		return opt_cstr(cfg, opt) != NULL;
	if (opt->type == OPT_PORT)
		return opt_cu16(cfg, opt) != 0;
	return 1;
}

/*
 * Two listeners collide when their ports match and one address covers
 * the other.  Families are kept apart because the listeners bind "::"
 * with IPV6_V6ONLY, so 0.0.0.0 and :: do not overlap.
 */
static int
addrs_overlap(const char *a, const char *b)
{
	unsigned char		 ba[sizeof(struct in6_addr)];
	unsigned char		 bb[sizeof(struct in6_addr)];
	static const unsigned char zero[sizeof(struct in6_addr)];
	size_t			 len;
	int			 afa, afb;

	if (parse_ip(a, &afa, ba) == -1 || parse_ip(b, &afb, bb) == -1)
		return strcmp(a, b) == 0;
	if (afa != afb)
		return 0;
	len = afa == AF_INET ? sizeof(struct in_addr) :
	    sizeof(struct in6_addr);
	return memcmp(ba, zero, len) == 0 || memcmp(bb, zero, len) == 0 ||
	    memcmp(ba, bb, len) == 0;
}

/* A path a sockaddr_un holds, and absolute: a chroot changes the rest. */
static int
validate_socket(const struct config *cfg, char *err, size_t errlen)
{
	const char		*s = nonnull(cfg->server_socket);
	struct sockaddr_un	 sun;

	if (*s == '\0')
		return 0;
	if (*s != '/') {
		snprintf(err, errlen, "server.socket: \"%.*s\" is not an "
		    "absolute path", MSG_VALUE_MAX, s);
		return -1;
	}
	if (strlen(s) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "server.socket: a path of %zu bytes, "
		    "longer than a UNIX socket's %zu", strlen(s),
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

static int
validate_listeners(const struct config *cfg, char *err, size_t errlen)
{
	struct {
		const char	*key;
		const char	*addr;
		uint16_t	 port;
	} l[] = {
		{ "bind.port.leader", cfg->bind_addr_leader,
		    cfg->bind_port_leader },
		{ "bind.port.follower", cfg->bind_addr_follower,
		    cfg->bind_port_follower },
		{ "bind.port.bridge", cfg->bind_addr_bridge,
		    cfg->bind_port_bridge },
		{ "http.port", cfg->http_addr, cfg->http_port },
	};
	size_t	i, j, n = sizeof(l) / sizeof(l[0]);

	if (cfg->control_socket != NULL && cfg->control_socket[0] != '\0' &&
	    strcmp(cfg->control_socket, CONTROL_SOCKET_AUTO) != 0 &&
	    (cfg->control_socket[0] != '/' ||
	    strlen(cfg->control_socket) >= CONTROL_SOCKET_MAX)) {
		snprintf(err, errlen, "control.socket must be auto, empty or "
		    "an absolute path shorter than %d bytes",
		    CONTROL_SOCKET_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			/* Port 0 is ephemeral: the kernel keeps them apart. */
			if (l[i].port == 0 || l[i].port != l[j].port ||
			    l[i].addr == NULL || l[j].addr == NULL ||
			    !addrs_overlap(l[i].addr, l[j].addr))
				continue;
			snprintf(err, errlen, "%s and %s are both %u",
			    l[i].key, l[j].key, l[i].port);
			return -1;
		}
	}
	return 0;
}

/*
 * The election's safety rests on these relations: a leader must fence
 * itself (lease) before anybody else may take an invalidated lock
 * (lock-delay), and Consul refuses session TTLs outside 10s..24h.
 */
static int
validate_timings(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->election_session_ttl < 10000 ||
	    cfg->election_session_ttl > 24 * 3600 * 1000ULL) {
		snprintf(err, errlen, "election.session.ttl must be between "
		    "10s and 24h");
		return -1;
	}
	if (cfg->election_lease + 250 > cfg->election_lock_delay) {
		snprintf(err, errlen, "election.lease must be at least 250ms "
		    "shorter than election.lock.delay");
		return -1;
	}
	if (cfg->election_lease < 200 || cfg->election_check_ttl < 500) {
		snprintf(err, errlen, "election.lease must be at least 200ms "
		    "and election.check.ttl at least 500ms");
		return -1;
	}
	/*
	 * The followers stop replicating from a leader whose check went
	 * critical: by then its writer must have stopped taking writes.
	 */
	if (cfg->election_lease + 250 > cfg->election_check_ttl) {
		snprintf(err, errlen, "election.lease must be at least 250ms "
		    "shorter than election.check.ttl");
		return -1;
	}
	if (cfg->dogstatsd_interval < 1000 || cfg->http_timeout < 100) {
		snprintf(err, errlen, "dogstatsd.interval must be at least 1s "
		    "and http.timeout at least 100ms");
		return -1;
	}
	/* RFC 8446 4.6.1: a ticket lives at most seven days. */
	if (cfg->proxy_resumption > 7 * 24 * 3600 * 1000ULL ||
	    (cfg->proxy_resumption != 0 && cfg->proxy_resumption < 1000)) {
		snprintf(err, errlen, "proxy.resumption must be 0 or from 1s "
		    "to 168h");
		return -1;
	}
	/* 0 would close every client before its first byte. */
	if (cfg->proxy_handshake_timeout < 100) {
		snprintf(err, errlen, "proxy.handshake_timeout must be at "
		    "least 100ms");
		return -1;
	}
	if (cfg->server_probe_interval < 50 ||
	    cfg->server_down_timeout < 2 * cfg->server_probe_interval) {
		snprintf(err, errlen, "server.probe.interval must be at least "
		    "50ms and server.down.timeout at least twice as long");
		return -1;
	}
	return 0;
}

/* What clients may ask through W and R (cmd_class.h). */
static int
validate_commands(const struct config *cfg, char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		size_t		 commands, grants;
	} l[] = {
		{ "writer", offsetof(struct config, proxy_writer_commands),
		    offsetof(struct config, proxy_writer_grant) },
		{ "reader", offsetof(struct config, proxy_reader_commands),
		    offsetof(struct config, proxy_reader_grant) },
	};
	struct cmd_policy	 p;
	char			 why[256];
	const char		*commands, *grants;
	size_t			 i;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		commands = *(char *const *)((const char *)cfg + l[i].commands);
		grants = *(char *const *)((const char *)cfg + l[i].grants);
		if (cmd_policy_parse(&p, cfg->server_kind, nonnull(commands),
		    NULL, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "proxy.%s.commands: %s",
			    l[i].name, why);
			return -1;
		}
		cmd_policy_free(&p);
		if (cmd_policy_parse(&p, cfg->server_kind, nonnull(commands),
		    nonnull(grants), why, sizeof(why)) == -1) {
			snprintf(err, errlen, "proxy.%s.grant: %s",
			    l[i].name, why);
			return -1;
		}
		cmd_policy_free(&p);
	}
	return 0;
}

/*
 * The supervisor hands the canonical text to each child in one message,
 * and the child reads it back with the file parser: a configuration that
 * loads but breaks either would pass -n, then stop the daemon at start or
 * at a reload.  A value can be longer than a file line only from the
 * environment or the command line.  Errors name the option, never the
 * value (it may be a secret), and for a text too large the largest
 * option, since one long value is the usual cause.  Measured unredacted,
 * as it is sent; sandbox_defaults() only ever shortens the text later.
 */
static int
validate_sendable(const struct config *cfg, char *err, size_t errlen)
{
	const struct opt_def	*opt, *big = NULL;
	FILE			*fp;
	char			*buf = NULL;
	size_t			 len = 0, i, bigsize = 0, size;
	long			 start, end;
	int			 bad;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		goto nomem;
	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		start = ftell(fp);
		config_write_opt(cfg, opt, fp, 0);
		end = ftell(fp);
		/* The value alone: less the key, its space and the newline. */
		size = (size_t)(end - start) - strlen(opt->key) - 2;
		if ((size_t)(end - start) - 1 > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s: value of %zu bytes, longer "
			    "than a configuration line holds (%d bytes)",
			    opt->key, size, CONFIG_LINE_MAX);
			fclose(fp);
			config_text_free(buf);
			return -1;
		}
		if (big == NULL || size > bigsize) {
			big = opt;
			bigsize = size;
		}
	}
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		free(buf);
		goto nomem;
	}
	config_text_free(buf);
	if (len <= MSG_CONFIG_TEXT_MAX)
		return 0;
	snprintf(err, errlen, "configuration too large: %zu bytes as handed "
	    "to the children, at most %zu fit in one message; the largest "
	    "option is %s (%zu bytes)", len, (size_t)MSG_CONFIG_TEXT_MAX,
	    big->key, bigsize);
	return -1;

nomem:
	snprintf(err, errlen, "configuration: out of memory");
	return -1;
}

int
config_validate(const struct config *cfg, char *err, size_t errlen)
{
	const struct opt_def	*opt;
	size_t			 i, n = 0, len;

	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		if (!(opt->flags & OPT_REQUIRED) || opt_is_set(cfg, opt))
			continue;
		/* Reached over its UNIX socket, the server needs no port. */
		if (opt->offset == OFF(server_port) &&
		    *nonnull(cfg->server_socket) != '\0')
			continue;
		if (n++ == 0)
			snprintf(err, errlen, "missing required options: ");
		else
			strlcat(err, ", ", errlen);
		len = strlen(err);
		if (opt->env != NULL)
			snprintf(err + len, errlen - len, "--%s (%s)",
			    opt->key, opt->env);
		else
			snprintf(err + len, errlen - len, "--%s", opt->key);
	}
	if (n > 0)
		return -1;

	if (validate_listeners(cfg, err, errlen) == -1)
		return -1;
	if (strcmp(nonnull(cfg->service_name_leader),
	    nonnull(cfg->service_name_follower)) == 0) {
		snprintf(err, errlen, "service.name.leader and "
		    "service.name.follower are both \"%s\"",
		    nonnull(cfg->service_name_leader));
		return -1;
	}
	if ((*nonnull(cfg->consul_client_cert) == '\0') !=
	    (*nonnull(cfg->consul_client_key) == '\0')) {
		snprintf(err, errlen, "consul.client.cert and "
		    "consul.client.key must be set together");
		return -1;
	}
	if (validate_socket(cfg, err, errlen) == -1)
		return -1;
	if (validate_commands(cfg, err, errlen) == -1)
		return -1;
	if (validate_timings(cfg, err, errlen) == -1)
		return -1;
	return validate_sendable(cfg, err, errlen);
}

int
config_load(struct config *out, const struct cli *cli, char *err,
    size_t errlen)
{
	config_init(out);
	if (cli != NULL && cli->conffile != NULL) {
		if (config_load_file(out, cli->conffile, 1, err, errlen) == -1)
			goto fail;
	} else if (config_load_file(out, CONFIG_FILE_DEFAULT, 0, err,
	    errlen) == -1)
		goto fail;
	if (config_load_env(out, err, errlen) == -1)
		goto fail;
	if (cli != NULL && config_load_cli(out, cli, err, errlen) == -1)
		goto fail;
	if (config_validate(out, err, errlen) == -1)
		goto fail;
	return 0;

fail:
	config_clear(out);
	return -1;
}

/*
 * The canonical text of a non-string value into buf; strings are
 * returned as they are (NULL: an unset required option).
 */
static const char *
opt_format(const struct config *cfg, const struct opt_def *opt, char *buf,
    size_t len)
{
	size_t	i;
	int	v;

	switch (opt->type) {
	case OPT_PORT:
	case OPT_PORT0:
		snprintf(buf, len, "%u", opt_cu16(cfg, opt));
		return buf;
	case OPT_COUNT:
	case OPT_NUMBER:
		snprintf(buf, len, "%d", opt_cint(cfg, opt));
		return buf;
	case OPT_BOOL:
		return opt_cint(cfg, opt) ? "true" : "false";
	case OPT_DURATION:
		format_duration(opt_cu64(cfg, opt), buf, len);
		return buf;
	case OPT_ENUM:
		v = opt_cint(cfg, opt);
		for (i = 0; opt->choices[i] != NULL; i++)
			if ((int)i == v)
				return opt->choices[i];
		/* Not reachable through config_set(); shown, not hidden. */
		snprintf(buf, len, "%d", v);
		return buf;
	default:
		return opt_cstr(cfg, opt);
	}
}

char *
config_value_text(const struct config *cfg, const struct opt_def *opt)
{
	char		 buf[32];
	const char	*s;

	s = opt_format(cfg, opt, buf, sizeof(buf));
	return strdup(s != NULL ? s : "");
}

int
config_differs(const struct config *a, const struct config *b,
    const struct opt_def *opt)
{
	const char	*sa, *sb;

	switch (opt->type) {
	case OPT_PORT:
	case OPT_PORT0:
		return opt_cu16(a, opt) != opt_cu16(b, opt);
	case OPT_BOOL:
		return !opt_cint(a, opt) != !opt_cint(b, opt);
	case OPT_ENUM:
	case OPT_COUNT:
	case OPT_NUMBER:
		return opt_cint(a, opt) != opt_cint(b, opt);
	case OPT_DURATION:
		return opt_cu64(a, opt) != opt_cu64(b, opt);
	default:
		sa = opt_cstr(a, opt);
		sb = opt_cstr(b, opt);
		if (sa == NULL || sb == NULL)
			return sa != sb;
		return strcmp(sa, sb) != 0;
	}
}

/* Quoted whenever the file parser would not read the bare text back. */
static void
write_value(FILE *fp, const char *s)
{
	const unsigned char	*p;
	int			 quote = *s == '\0';

	for (p = (const unsigned char *)s; *p != '\0' && !quote; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == '"' ||
		    *p == '\\')
			quote = 1;
	if (!quote) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

/* One "key value" line of the canonical text. */
static void
config_write_opt(const struct config *cfg, const struct opt_def *opt,
    FILE *fp, int redact)
{
	const char	*s;
	char		 buf[32];

	s = opt_format(cfg, opt, buf, sizeof(buf));
	if (s == NULL)
		s = "";
	fprintf(fp, "%s ", opt->key);
	/* Quoted, so the placeholder is never taken for a value. */
	if (redact && (opt->flags & OPT_SECRET) && *s != '\0')
		fputs("\"********\"", fp);
	else
		write_value(fp, s);
	fputc('\n', fp);
}

static void
config_write(const struct config *cfg, FILE *fp, int redact)
{
	size_t	i;

	for (i = 0; i < opt_count; i++)
		if (opt_is_set(cfg, &opt_table[i]))
			config_write_opt(cfg, &opt_table[i], fp, redact);
}

void
config_print(const struct config *cfg, FILE *fp, int redact)
{
	config_write(cfg, fp, redact);
}

int
opt_used_by(const struct opt_def *opt, int kind)
{
	switch (kind) {
	case PROC_SUPERVISOR:
		return 1;
	case PROC_ELECTOR:
		return (opt->flags & OPT_USERS) == 0 ||
		    (opt->flags & OPT_ELECTOR) != 0;
	case PROC_WRITER:
	case PROC_READER:
	case PROC_BRIDGE:
		return (opt->flags & OPT_USERS) == 0 ||
		    (opt->flags & OPT_PROXY) != 0;
	case PROC_ADMIN:
		return (opt->flags & OPT_USERS) == 0 ||
		    (opt->flags & OPT_ADMIN) != 0;
	}
	return 0;
}

/* kind PROC_SUPERVISOR: every option. */
static char *
config_text(const struct config *cfg, int kind)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0, i;
	int	 bad;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	/* An option left unset (server.port, with server.socket) stays so. */
	for (i = 0; i < opt_count; i++)
		if (opt_used_by(&opt_table[i], kind) &&
		    opt_is_set(cfg, &opt_table[i]))
			config_write_opt(cfg, &opt_table[i], fp, 0);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
config_serialize(const struct config *cfg)
{
	return config_text(cfg, PROC_SUPERVISOR);
}

char *
config_serialize_for(const struct config *cfg, int kind)
{
	return config_text(cfg, kind);
}

void
config_text_free(char *text)
{
	if (text == NULL)
		return;
	explicit_bzero(text, strlen(text));
	free(text);
}
