/*
 * Metrics: every process keeps its figures in a metric_set and sends it
 * to the supervisor (MSG_STATS), which hands all of them to the admin
 * process.  There they are served as Prometheus text (/metrics) and sent
 * to DogStatsD.
 *
 * A metric has a base name in base units ("connections_open",
 * "bytes_received"), at most one label ("listener" = "writer") and a
 * type.  The admin process derives the exported names:
 *
 *	Prometheus	tile38_cluster_<name>[_total]{<label>="<value>"}
 *	DogStatsD	tile38.cluster.<name>, tags instance:, role:, <label>:
 *
 * Counters only grow; DogStatsD receives their increase per interval.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_NAME_MAX		48	/* including the NUL */
#define METRIC_LABEL_MAX	16
#define METRICS_MAX		96	/* per set */

enum metric_type {
	METRIC_GAUGE = 0,
	METRIC_COUNTER,
};

struct metric {
	char		name[METRIC_NAME_MAX];	/* [a-z0-9_] */
	char		lkey[METRIC_LABEL_MAX];	/* "" when unlabelled */
	char		lval[METRIC_LABEL_MAX];
	uint32_t	type;			/* enum metric_type */
	double		value;
};

struct metric_set {
	struct metric	v[METRICS_MAX];
	size_t		n;
};

void	metric_set_init(struct metric_set *);
/*
 * Add or replace (same name and label) a figure.  0, or -1 when the set
 * is full or a name or label is invalid (too long, characters outside
 * [a-z0-9_]).  lkey and lval may be NULL.
 */
int	metric_put(struct metric_set *, const char *name, const char *lkey,
	    const char *lval, enum metric_type, double value);
/* The figure, or NULL. */
const struct metric *metric_get(const struct metric_set *, const char *name,
	    const char *lval);

/*
 * A name or label word as metric_put() takes it: [a-z0-9_], a NUL within
 * max bytes, empty only when empty_ok.  1 if so, else 0.
 */
int	metric_word_ok(const char *w, size_t max, int empty_ok);

/* MSG_STATS payload: the whole set.  Same conventions as proto.h. */
int	msg_stats_encode(const struct metric_set *, void *buf, size_t cap);
int	msg_stats_decode(struct metric_set *, const void *buf, size_t len);

#endif
