/*
 * Prometheus text exposition, format 0.0.4: one tile38_cluster_info
 * sample naming this instance, then one family per exported name.  The
 * same name may come from several processes (connections_open from the
 * writer and from the reader), so samples are gathered across all the
 * sets and every family is written once, its # HELP and # TYPE first and
 * all its samples together, as the format requires.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "prom.h"

#define PROM_PREFIX		"tile38_cluster_"
#define PROM_COUNTER_SUFFIX	"_total"
#define PROM_INFO_NAME		PROM_PREFIX "info"
/* prefix + name + suffix + NUL */
#define PROM_FAMILY_MAX	\
	(sizeof(PROM_PREFIX) + METRIC_NAME_MAX + sizeof(PROM_COUNTER_SUFFIX))

/* 2^53: beyond it a double no longer holds every integer. */
#define PROM_EXACT_MAX		9007199254740992.0

static const struct {
	const char	*name;
	const char	*help;
} prom_helps[] = {
	/* elector */
	{ "role_leader", "1 when this instance holds the cluster leadership." },
	{ "leader_changes", "Changes of the cluster leader seen." },
	{ "replication_lag_bytes",
	    "Replication offset the local server lags behind its leader." },
	{ "caught_up",
	    "1 when the local server has caught up with its leader." },
	{ "server_up", "1 when the local Tile38 server answers." },
	{ "server_offset",
	    "Replication offset of the local server, in bytes." },
	{ "paused", "1 while the election is paused (tile38-clusterctl)." },
	/* proxies */
	{ "connections_open", "Client connections currently open." },
	{ "connections_accepted", "Client connections accepted." },
	{ "connections_refused", "Client connections refused." },
	{ "bytes_received", "Bytes received from clients." },
	{ "bytes_sent", "Bytes sent to clients." },
	{ "connections_in_handshake", "Client connections in their TLS "
	    "handshake or awaiting authorization." },
	{ "handshake_limit_closed", "Client connections closed at once "
	    "because proxy.max_handshakes were in handshake." },
	{ "source_limit_closed", "Client connections closed at once because "
	    "proxy.max_handshakes_per_source from their address were in "
	    "handshake." },
	{ "tls_handshake_failures", "TLS handshakes that failed." },
	{ "authz_denied", "Connections denied by intentions." },
	{ "connections_held",
	    "Client connections waiting for a route (proxy.hold.timeout)." },
	{ "hold_timeouts",
	    "Held connections refused when proxy.hold.timeout ran out." },
	{ "hold_longest_seconds",
	    "Longest wait of a held connection that ended, in seconds." },
	{ "commands_refused",
	    "Client commands refused by the listener's rules." },
	{ "filter_closed", "Connections closed for a malformed request, "
	    "an HTTP request or, on the bridge, anything but a replication "
	    "handshake." },
	/* supervisor */
	{ "child_restarts", "Restarts of a child process." },
	{ "child_up", "1 when the child process is running and ready." },
	/* the local Tile38 server, from SERVER */
	{ "mem_alloc", "Tile38 server: bytes of allocated heap objects." },
	{ "num_hooks", "Tile38 server: number of hooks." },
	{ "pointer_size", "Tile38 server: size of a pointer in bytes." },
	{ "aof_size", "Tile38 server: size of the append-only file in bytes." },
	{ "avg_item_size", "Tile38 server: average item size in bytes." },
	{ "heap_size", "Tile38 server: heap size in bytes." },
	{ "num_objects", "Tile38 server: number of objects." },
	{ "threads", "Tile38 server: number of threads." },
	{ "cpus", "Tile38 server: number of CPUs." },
	{ "heap_released", "Tile38 server: heap bytes released to the OS." },
	{ "max_heap_size", "Tile38 server: maximum heap size in bytes." },
	{ "num_collections", "Tile38 server: number of collections." },
	{ "num_points", "Tile38 server: number of points." },
	{ "in_memory_size",
	    "Tile38 server: estimated in-memory size in bytes." },
	{ "num_strings", "Tile38 server: number of string objects." },
	/* the local Redis server, from INFO */
	{ "connected_clients", "Redis server: clients connected." },
};

/* A growing output text; a failed allocation sticks in err. */
struct prom_out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

/* One metric of one set, with its exported family name. */
struct prom_item {
	const struct metric	*m;
	char			 family[PROM_FAMILY_MAX];
	int			 done;
};

static int
prom_out_reserve(struct prom_out *o, size_t more)
{
	size_t	 ncap;
	char	*np;

	if (o->err)
		return -1;
	if (o->cap - o->len > more)
		return 0;
	ncap = o->cap != 0 ? o->cap : 4096;
	while (ncap - o->len <= more)
		ncap *= 2;
	if ((np = realloc(o->p, ncap)) == NULL) {
		o->err = 1;
		return -1;
	}
	o->p = np;
	o->cap = ncap;
	return 0;
}

static void
prom_out_add(struct prom_out *o, const char *s, size_t n)
{
	if (prom_out_reserve(o, n) == -1)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
prom_out_str(struct prom_out *o, const char *s)
{
	prom_out_add(o, s, strlen(s));
}

/*
 * Escaped text: backslash and newline always, the double quote too in a
 * label value (quote != 0).
 */
static void
prom_out_escaped(struct prom_out *o, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			prom_out_add(o, "\\\\", 2);
		else if (*s == '\n')
			prom_out_add(o, "\\n", 2);
		else if (*s == '"' && quote)
			prom_out_add(o, "\\\"", 2);
		else
			prom_out_add(o, s, 1);
	}
}

int
prom_format_value(char *buf, size_t cap, double v)
{
	int	n;

	if (isnan(v))
		n = snprintf(buf, cap, "NaN");
	else if (isinf(v))
		n = snprintf(buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v > -PROM_EXACT_MAX && v < PROM_EXACT_MAX &&
	    (double)(long long)v == v)
		n = snprintf(buf, cap, "%lld", (long long)v);
	else
		n = snprintf(buf, cap, "%.17g", v);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

static void
prom_out_value(struct prom_out *o, double v)
{
	char	buf[PROM_VALUE_MAX];

	if (prom_format_value(buf, sizeof(buf), v) == -1) {
		o->err = 1;
		return;
	}
	prom_out_str(o, buf);
}

static const char *
prom_help(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(prom_helps) / sizeof(prom_helps[0]); i++)
		if (strcmp(prom_helps[i].name, name) == 0)
			return prom_helps[i].help;
	return NULL;
}

static void
prom_out_family(struct prom_out *o, const char *family, const char *name,
    const char *type)
{
	const char	*help;

	prom_out_str(o, "# HELP ");
	prom_out_str(o, family);
	prom_out_str(o, " ");
	if ((help = prom_help(name)) != NULL)
		prom_out_escaped(o, help, 0);
	else {
		prom_out_str(o, "tile38-cluster-manager metric ");
		prom_out_escaped(o, name, 0);
	}
	prom_out_str(o, "\n# TYPE ");
	prom_out_str(o, family);
	prom_out_str(o, " ");
	prom_out_str(o, type);
	prom_out_str(o, "\n");
}

static void
prom_out_label(struct prom_out *o, const char *key, const char *val)
{
	prom_out_str(o, key);
	prom_out_str(o, "=\"");
	prom_out_escaped(o, val != NULL ? val : "", 1);
	prom_out_str(o, "\"");
}

static void
prom_out_info(struct prom_out *o, const struct prom_info *info)
{
	static const struct prom_info	 none;

	if (info == NULL)
		info = &none;
	prom_out_str(o, "# HELP " PROM_INFO_NAME
	    " Identity of this tile38-cluster-manager instance.\n");
	prom_out_str(o, "# TYPE " PROM_INFO_NAME " gauge\n");
	prom_out_str(o, PROM_INFO_NAME "{");
	prom_out_label(o, "id", info->id);
	prom_out_str(o, ",");
	prom_out_label(o, "role", info->role);
	prom_out_str(o, ",");
	prom_out_label(o, "kind", info->kind);
	prom_out_str(o, ",");
	prom_out_label(o, "version", info->version);
	prom_out_str(o, "} 1\n");
}

static void
prom_out_sample(struct prom_out *o, const struct prom_item *it)
{
	prom_out_str(o, it->family);
	if (it->m->lkey[0] != '\0') {
		prom_out_str(o, "{");
		prom_out_label(o, it->m->lkey, it->m->lval);
		prom_out_str(o, "}");
	}
	prom_out_str(o, " ");
	prom_out_value(o, it->m->value);
	prom_out_str(o, "\n");
}

/*
 * Whether a metric can be written as a valid sample.  metric_put()
 * already checks names, but a set is a plain struct; Prometheus also
 * wants label names not to start with a digit or "__".
 */
static int
prom_metric_ok(const struct metric *m)
{
	if (!metric_word_ok(m->name, sizeof(m->name), 0) ||
	    !metric_word_ok(m->lkey, sizeof(m->lkey), 1) ||
	    !metric_word_ok(m->lval, sizeof(m->lval), 1) ||
	    (m->type != METRIC_GAUGE && m->type != METRIC_COUNTER))
		return 0;
	if (m->lkey[0] >= '0' && m->lkey[0] <= '9')
		return 0;
	if (strncmp(m->lkey, "__", 2) == 0)
		return 0;
	return 1;
}

static int
prom_ends_with(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* tile38_cluster_<name>, and _total for a counter. */
static void
prom_family_name(char *buf, size_t cap, const struct metric *m)
{
	snprintf(buf, cap, "%s%s%s", PROM_PREFIX, m->name,
	    m->type == METRIC_COUNTER &&
	    !prom_ends_with(m->name, PROM_COUNTER_SUFFIX) ?
	    PROM_COUNTER_SUFFIX : "");
}

/*
 * Every metric of every set in one array.  Metrics that cannot be
 * written, or that would take the name of the info family, start done.
 */
static struct prom_item *
prom_items(const struct metric_set *const *sets, size_t nsets, size_t *np)
{
	struct prom_item	*items;
	size_t			 i, j, n = 0;

	for (i = 0; i < nsets; i++)
		if (sets[i] != NULL)
			n += sets[i]->n < METRICS_MAX ? sets[i]->n :
			    METRICS_MAX;
	if ((items = calloc(n != 0 ? n : 1, sizeof(*items))) == NULL)
		return NULL;
	n = 0;
	for (i = 0; i < nsets; i++) {
		if (sets[i] == NULL)
			continue;
		for (j = 0; j < sets[i]->n && j < METRICS_MAX; j++, n++) {
			items[n].m = &sets[i]->v[j];
			if (!prom_metric_ok(items[n].m)) {
				items[n].done = 1;
				continue;
			}
			prom_family_name(items[n].family,
			    sizeof(items[n].family), items[n].m);
			if (strcmp(items[n].family, PROM_INFO_NAME) == 0)
				items[n].done = 1;
		}
	}
	*np = n;
	return items;
}

/*
 * The family of items[first]: every later item with the same exported
 * name.  Another type under that name, or a second sample with the same
 * label (two processes reporting the same series), would make the
 * exposition invalid; the first one wins and the others are dropped.
 */
static void
prom_out_items(struct prom_out *o, struct prom_item *items, size_t n,
    size_t first)
{
	const struct metric	*fm = items[first].m;
	size_t			 i, k;

	prom_out_family(o, items[first].family, fm->name,
	    fm->type == METRIC_COUNTER ? "counter" : "gauge");
	for (i = first; i < n; i++) {
		if (items[i].done ||
		    strcmp(items[i].family, items[first].family) != 0)
			continue;
		items[i].done = 1;
		if (items[i].m->type != fm->type)
			continue;
		prom_out_sample(o, &items[i]);
		for (k = i + 1; k < n; k++)
			if (!items[k].done &&
			    strcmp(items[k].family, items[i].family) == 0 &&
			    strcmp(items[k].m->lkey, items[i].m->lkey) == 0 &&
			    strcmp(items[k].m->lval, items[i].m->lval) == 0)
				items[k].done = 1;
	}
}

char *
prom_render(const struct metric_set *const *sets, size_t nsets,
    const struct prom_info *info, size_t *lenp)
{
	struct prom_out		 o = { NULL, 0, 0, 0 };
	struct prom_item	*items;
	size_t			 i, n = 0;

	if ((items = prom_items(sets, nsets, &n)) == NULL)
		return NULL;
	prom_out_info(&o, info);
	for (i = 0; i < n && !o.err; i++)
		if (!items[i].done)
			prom_out_items(&o, items, n, i);
	free(items);
	if (o.err) {
		free(o.p);
		return NULL;
	}
	if (lenp != NULL)
		*lenp = o.len;
	return o.p;
}
