/*
 * The option table: every option's key, environment variable, default,
 * type, reload class, users and help text, in the order --help, -nv and
 * the man page follow; and finding an option by key.
 *
 * Apart from config.c because it is data, the longest part by far, and
 * the one a new option changes; the code that works on options is in
 * config.c, config_value.c, config_validate.c and config_text.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

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

void
opt_mark_given(struct config *cfg, const struct opt_def *opt)
{
	cfg->given |= 1ULL << (size_t)(opt - opt_table);
	cfg->src_given |= 1ULL << (size_t)(opt - opt_table);
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
