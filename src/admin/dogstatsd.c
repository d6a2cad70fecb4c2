/*
 * DogStatsD datagrams for the metric sets and for events.
 *
 *	tile38.cluster.<name>:<value>|g|#instance:<id>,role:<role>[,<k>:<v>]
 *
 * Gauges are sent as they are.  A DogStatsD count is an increase, while
 * our counters are totals since their process started, so struct dsd
 * remembers the last total of each counter (by name and label) and
 * sends the difference.  A counter first seen counts from 0, and one that
 * went down belongs to a restarted process, whose whole new total is the
 * increase.  Counters that disappear are kept: their process may come
 * back.  After a restart of the sender, counters first seen start from
 * their current total instead (dsd_baseline()).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dogstatsd.h"
#include "metrics.h"
#include "prom.h"

#define DSD_PREFIX	"tile38.cluster."

struct dsd_prev {
	char	name[METRIC_NAME_MAX];
	char	lkey[METRIC_LABEL_MAX];
	char	lval[METRIC_LABEL_MAX];
	double	value;
};

struct dsd {
	struct dsd_prev	*prev;
	size_t		 n;
	size_t		 cap;
	int		 baseline;	/* for the next flush */
};

/* Lines gathered into one datagram until the next would not fit. */
struct dsd_packer {
	char		 buf[DSD_PACKET_MAX + 1];
	size_t		 len;
	int		 sent;
	dsd_send_cb	 cb;
	void		*arg;
};

struct dsd *
dsd_new(void)
{
	return calloc(1, sizeof(struct dsd));
}

void
dsd_baseline(struct dsd *d)
{
	d->baseline = 1;
}

void
dsd_free(struct dsd *d)
{
	if (d == NULL)
		return;
	free(d->prev);
	free(d);
}

/*
 * Whether a metric can be sent: names as metric_put() makes them (a set
 * is a plain struct) and a finite value, which is all the agent takes.
 */
static int
dsd_metric_ok(const struct metric *m)
{
	return metric_word_ok(m->name, sizeof(m->name), 0) &&
	    metric_word_ok(m->lkey, sizeof(m->lkey), 1) &&
	    metric_word_ok(m->lval, sizeof(m->lval), 1) &&
	    (m->type == METRIC_GAUGE || m->type == METRIC_COUNTER) &&
	    isfinite(m->value);
}

static int
dsd_same_series(const struct metric *a, const struct metric *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    strcmp(a->lkey, b->lkey) == 0 && strcmp(a->lval, b->lval) == 0;
}

/*
 * Whether sets[si]->v[mi] was already sent by an earlier set: two
 * processes reporting the same series would send it twice and, for a
 * counter, look like a restart at every flush.  The first one wins.
 */
static int
dsd_seen(const struct metric_set *const *sets, size_t si, size_t mi)
{
	const struct metric	*m = &sets[si]->v[mi];
	size_t			 i, j;

	for (i = 0; i <= si; i++) {
		if (sets[i] == NULL)
			continue;
		for (j = 0; j < sets[i]->n && j < METRICS_MAX &&
		    (i < si || j < mi); j++)
			if (dsd_metric_ok(&sets[i]->v[j]) &&
			    dsd_same_series(&sets[i]->v[j], m))
				return 1;
	}
	return 0;
}

static struct dsd_prev *
dsd_prev_find(const struct dsd *d, const struct metric *m)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->prev[i].name, m->name) == 0 &&
		    strcmp(d->prev[i].lkey, m->lkey) == 0 &&
		    strcmp(d->prev[i].lval, m->lval) == 0)
			return &d->prev[i];
	return NULL;
}

/* Finds or adds (at 0) the previous total of a counter. */
static int
dsd_prev_reserve(struct dsd *d, const struct metric *m)
{
	struct dsd_prev	*np, *p;
	size_t		 ncap;

	if (dsd_prev_find(d, m) != NULL)
		return 0;
	if (d->n == d->cap) {
		ncap = d->cap != 0 ? d->cap * 2 : 64;
		if ((np = reallocarray(d->prev, ncap, sizeof(*np))) == NULL)
			return -1;
		d->prev = np;
		d->cap = ncap;
	}
	p = &d->prev[d->n++];
	memset(p, 0, sizeof(*p));
	strlcpy(p->name, m->name, sizeof(p->name));
	strlcpy(p->lkey, m->lkey, sizeof(p->lkey));
	strlcpy(p->lval, m->lval, sizeof(p->lval));
	if (d->baseline)
		p->value = m->value;
	return 0;
}

/*
 * A tag value made safe for the datagram: ',' and '|' would end the tag
 * and control characters (a newline) the line.
 */
static void
dsd_tag_clean(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == ',' || *s == '|' || (unsigned char)*s < 0x20 ||
		    *s == 0x7f)
			*s = '_';
}

/* "|#instance:<id>,role:<role>", or -1 when it does not fit. */
static int
dsd_tags(char *buf, size_t cap, const char *id, const char *role)
{
	char	cid[DSD_PACKET_MAX], crole[DSD_PACKET_MAX];
	int	n;

	if (strlcpy(cid, id != NULL ? id : "", sizeof(cid)) >= sizeof(cid) ||
	    strlcpy(crole, role != NULL ? role : "", sizeof(crole)) >=
	    sizeof(crole))
		return -1;
	dsd_tag_clean(cid);
	dsd_tag_clean(crole);
	n = snprintf(buf, cap, "|#instance:%s,role:%s", cid, crole);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

/* One metric line, or -1 when longer than a datagram. */
static int
dsd_line(char *buf, size_t cap, const struct metric *m, double v,
    const char *tags)
{
	char	val[PROM_VALUE_MAX];
	int	n, labelled = m->lkey[0] != '\0';

	if (prom_format_value(val, sizeof(val), v) == -1)
		return -1;
	n = snprintf(buf, cap, DSD_PREFIX "%s:%s|%s%s%s%s%s%s", m->name, val,
	    m->type == METRIC_COUNTER ? "c" : "g", tags,
	    labelled ? "," : "", m->lkey, labelled ? ":" : "", m->lval);
	if (n < 0 || (size_t)n >= cap || (size_t)n > DSD_PACKET_MAX)
		return -1;
	return n;
}

static void
dsd_pack_send(struct dsd_packer *p)
{
	if (p->len == 0)
		return;
	p->buf[p->len] = '\0';
	p->cb(p->buf, p->len, p->arg);
	p->sent++;
	p->len = 0;
}

/* Appends a line (at most DSD_PACKET_MAX bytes), sending a full datagram. */
static void
dsd_pack_line(struct dsd_packer *p, const char *line, size_t len)
{
	if (p->len != 0 && p->len + 1 + len > DSD_PACKET_MAX)
		dsd_pack_send(p);
	if (p->len != 0)
		p->buf[p->len++] = '\n';
	memcpy(p->buf + p->len, line, len);
	p->len += len;
}

/*
 * The value to send for a metric, updating a counter's previous total;
 * 0 when there is nothing to send.
 */
static int
dsd_value(struct dsd *d, const struct metric *m, double *v)
{
	struct dsd_prev	*p;

	if (m->type == METRIC_GAUGE) {
		*v = m->value;
		return 1;
	}
	/* Reserved by dsd_flush() before anything was sent. */
	if ((p = dsd_prev_find(d, m)) == NULL)
		return 0;
	*v = m->value >= p->value ? m->value - p->value : m->value;
	p->value = m->value;
	return *v != 0;
}

int
dsd_flush(struct dsd *d, const struct metric_set *const *sets, size_t nsets,
    const char *id, const char *role, dsd_send_cb cb, void *arg)
{
	struct dsd_packer	 p;
	const struct metric	*m;
	char			 tags[DSD_PACKET_MAX + 1];
	char			 line[DSD_PACKET_MAX + 1];
	double			 v;
	size_t			 i, j;
	int			 n;

	/* Every allocation first, so that ENOMEM loses no increase. */
	for (i = 0; i < nsets; i++)
		for (j = 0; sets[i] != NULL && j < sets[i]->n &&
		    j < METRICS_MAX; j++) {
			m = &sets[i]->v[j];
			if (dsd_metric_ok(m) && m->type == METRIC_COUNTER &&
			    dsd_prev_reserve(d, m) == -1)
				return -1;
		}
	d->baseline = 0;

	/* Tags too long for any line: nothing can be sent. */
	if (dsd_tags(tags, sizeof(tags), id, role) == -1)
		return 0;
	memset(&p, 0, sizeof(p));
	p.cb = cb;
	p.arg = arg;
	for (i = 0; i < nsets; i++)
		for (j = 0; sets[i] != NULL && j < sets[i]->n &&
		    j < METRICS_MAX; j++) {
			m = &sets[i]->v[j];
			if (!dsd_metric_ok(m) || dsd_seen(sets, i, j) ||
			    !dsd_value(d, m, &v))
				continue;
			if ((n = dsd_line(line, sizeof(line), m, v, tags)) > 0)
				dsd_pack_line(&p, line, (size_t)n);
		}
	dsd_pack_send(&p);
	return p.sent;
}

/*
 * Escaped event text: DogStatsD reads a newline as "\\n" (a backslash
 * and an n), and the lengths in the header count these bytes.
 */
static size_t
dsd_escape(char *out, size_t cap, const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			if (n + 2 < cap) {
				out[n] = '\\';
				out[n + 1] = 'n';
			}
			n += 2;
		} else {
			if (n + 1 < cap)
				out[n] = *s;
			n++;
		}
	}
	if (n < cap)
		out[n] = '\0';
	return n;
}

int
dsd_event(char *buf, size_t cap, const char *title, const char *text,
    const char *id, const char *role)
{
	char	etitle[DSD_PACKET_MAX], etext[DSD_PACKET_MAX];
	char	tags[DSD_PACKET_MAX];
	size_t	ltitle, ltext;
	int	n;

	ltitle = dsd_escape(etitle, sizeof(etitle), title != NULL ? title : "");
	ltext = dsd_escape(etext, sizeof(etext), text != NULL ? text : "");
	if (ltitle >= sizeof(etitle) || ltext >= sizeof(etext) ||
	    dsd_tags(tags, sizeof(tags), id, role) == -1)
		return -1;
	n = snprintf(buf, cap, "_e{%zu,%zu}:%s|%s%s", ltitle, ltext, etitle,
	    etext, tags);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}
