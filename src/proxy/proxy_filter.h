/*
 * What a client may ask of the servers through a listener: the relay's
 * filter (proxy_relay.h) for one connection, deciding command by
 * command with the listener's rules (cmd_class.h).
 */
#ifndef PROXY_FILTER_H
#define PROXY_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "proxy_relay.h"

struct cmd_policy;
struct filter;

/*
 * A listener's rules, as the options say (cmd_class.h), shared by its
 * connections: a reload makes new ones, and a connection keeps those
 * it started with.
 */
struct filter_rules;
struct filter_rules *filter_rules_new(int kind, const char *commands,
		    const char *grants, char *err, size_t errlen);
void		 filter_rules_drop(struct filter_rules *);

enum filter_mode {
	FILTER_CLIENT,		/* W, R: the listener's policy, errors */
	FILTER_STREAM,		/* B, and replication streams on W: the
				   handshake only, anything else closes */
};

struct filter_conf {
	enum filter_mode	 mode;
	int			 kind;		/* enum server_kind */
	const char		*listener;	/* "writer", in messages */
	struct filter_rules	*rules;		/* FILTER_CLIENT: held */
	const char		*service;	/* the client's, for grants */
	int			 http_opaque;	/* proxy.http opaque */
};

/* NULL on ENOMEM.  conf's strings are copied, its rules held. */
struct filter	*filter_new(const struct filter_conf *);
void		 filter_free(struct filter *);
/* The hooks for relay_filter(). */
void		 filter_hooks(struct filter *, struct relay_filter *);
/* 1 once it has ended its relay (RF_CLOSE). */
int		 filter_ended(const struct filter *);
/* Commands refused so far. */
uint64_t	 filter_refused(const struct filter *);

#endif
