/*
 * A process's figures, and their MSG_STATS encoding: u32 count, then per
 * metric name, label key, label value (strings), type (u32) and the value
 * as the bits of an IEEE 754 double (u64).
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "proto.h"

void
metric_set_init(struct metric_set *s)
{
	memset(s, 0, sizeof(*s));
}

/*
 * strnlen(): a set is a plain struct, and one that came over a channel
 * need not hold a NUL within max.
 */
int
metric_word_ok(const char *w, size_t max, int empty_ok)
{
	size_t	i, len = strnlen(w, max);

	if (len == max || (len == 0 && !empty_ok))
		return 0;
	for (i = 0; i < len; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') ||
		    (w[i] >= '0' && w[i] <= '9') || w[i] == '_'))
			return 0;
	return 1;
}

static struct metric *
metric_find(const struct metric_set *s, const char *name, const char *lval)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0 &&
		    strcmp(s->v[i].lval, lval) == 0)
			return (struct metric *)&s->v[i];
	return NULL;
}

int
metric_put(struct metric_set *s, const char *name, const char *lkey,
    const char *lval, enum metric_type type, double value)
{
	struct metric	*m;

	if (lkey == NULL)
		lkey = "";
	if (lval == NULL)
		lval = "";
	/* A label has both a key and a value, or neither. */
	if (!metric_word_ok(name, METRIC_NAME_MAX, 0) ||
	    !metric_word_ok(lkey, METRIC_LABEL_MAX, 1) ||
	    !metric_word_ok(lval, METRIC_LABEL_MAX, 1) ||
	    (lkey[0] == '\0') != (lval[0] == '\0') ||
	    (type != METRIC_GAUGE && type != METRIC_COUNTER))
		return -1;
	if ((m = metric_find(s, name, lval)) == NULL) {
		if (s->n == METRICS_MAX)
			return -1;
		m = &s->v[s->n++];
		strlcpy(m->name, name, sizeof(m->name));
		strlcpy(m->lkey, lkey, sizeof(m->lkey));
		strlcpy(m->lval, lval, sizeof(m->lval));
	}
	m->type = type;
	m->value = value;
	return 0;
}

const struct metric *
metric_get(const struct metric_set *s, const char *name, const char *lval)
{
	return metric_find(s, name, lval != NULL ? lval : "");
}

int
msg_stats_encode(const struct metric_set *s, void *buf, size_t cap)
{
	struct pbuf_w	 w;
	uint64_t	 bits;
	size_t		 i;

	pbuf_w_init(&w, buf, cap);
	pbuf_put_u32(&w, (uint32_t)s->n);
	for (i = 0; i < s->n; i++) {
		pbuf_put_str(&w, s->v[i].name);
		pbuf_put_str(&w, s->v[i].lkey);
		pbuf_put_str(&w, s->v[i].lval);
		pbuf_put_u32(&w, s->v[i].type);
		memcpy(&bits, &s->v[i].value, sizeof(bits));
		pbuf_put_u64(&w, bits);
	}
	return pbuf_w_result(&w);
}

int
msg_stats_decode(struct metric_set *s, const void *buf, size_t len)
{
	struct pbuf_r	 r;
	uint32_t	 n, i, type;
	uint64_t	 bits;
	double		 value;
	char		*name = NULL, *lkey = NULL, *lval = NULL;
	int		 rv = -1;

	metric_set_init(s);
	pbuf_r_init(&r, buf, len);
	n = pbuf_get_u32(&r);
	if (r.err || n > METRICS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		name = pbuf_get_str(&r);
		lkey = pbuf_get_str(&r);
		lval = pbuf_get_str(&r);
		type = pbuf_get_u32(&r);
		bits = pbuf_get_u64(&r);
		memcpy(&value, &bits, sizeof(value));
		if (r.err || name == NULL || lkey == NULL || lval == NULL ||
		    metric_put(s, name, lkey, lval, type, value) == -1)
			goto out;
		free(name);
		free(lkey);
		free(lval);
		name = lkey = lval = NULL;
	}
	if (pbuf_r_done(&r) == 0 && s->n == n)
		rv = 0;
 out:
	free(name);
	free(lkey);
	free(lval);
	if (rv == -1)
		metric_set_init(s);
	return rv;
}
