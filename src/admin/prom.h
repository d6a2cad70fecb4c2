/*
 * Prometheus text exposition (format 0.0.4) of the metric sets the admin
 * process holds, served as /metrics by the admin HTTP listener.
 */
#ifndef PROM_H
#define PROM_H

#include <stddef.h>

#include "metrics.h"

#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define PROM_VALUE_MAX		32	/* a value with its NUL */

/* The labels of the tile38_cluster_info sample; NULL reads as "". */
struct prom_info {
	const char	*id;
	const char	*role;
	const char	*kind;
	const char	*version;
};

/*
 * The whole exposition as a malloc'd NUL-terminated text, its length in
 * *lenp (when lenp is not NULL); NULL when out of memory.
 */
char	*prom_render(const struct metric_set *const *sets, size_t nsets,
	    const struct prom_info *info, size_t *lenp);

/*
 * A sample value as Prometheus writes it: integral values below 2^53
 * without decimals, others with %.17g, NaN, +Inf and -Inf.  Returns the
 * length, or -1 when cap is too small.  DogStatsD uses it too.
 */
int	prom_format_value(char *buf, size_t cap, double v);

#endif
