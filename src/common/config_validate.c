/*
 * Checks across options, once every source is in: required options,
 * listeners that would collide, the server's socket, the command
 * policies, the election's timings, and whether the canonical text can
 * be handed to the children at all.
 *
 * Apart from config.c because these are the rules between options, each
 * a reason a configuration that parses must still be refused.
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
#include "config_int.h"
#include "proto.h"

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

	if (config_parse_ip(a, &afa, ba) == -1 || config_parse_ip(b, &afb, bb) == -1)
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
