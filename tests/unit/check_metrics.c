/*
 * Metric sets: put, replace and get, name checks (metric_word_ok() too),
 * a full set, and the MSG_STATS encoding, whose decoder must refuse
 * anything but an exact, valid payload and then leave an empty set.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "metrics.h"
#include "proto.h"
#include "suites.h"

/* Larger than any encoded set. */
#define BUFSZ	(METRICS_MAX * 128 + 64)

static uint8_t	buf[BUFSZ];

/* A set with a bit of everything. */
static void
sample_set(struct metric_set *s)
{
	metric_set_init(s);
	ck_assert_int_eq(metric_put(s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(metric_put(s, "connections_open", "listener",
	    "writer", METRIC_GAUGE, 3), 0);
	ck_assert_int_eq(metric_put(s, "bytes_sent", "listener", "writer",
	    METRIC_COUNTER, 1e15 + 0.5), 0);
	ck_assert_int_eq(metric_put(s, "lag", "", "", METRIC_GAUGE, -0.25),
	    0);
	ck_assert_int_eq(metric_put(s, "not_a_number", NULL, NULL,
	    METRIC_GAUGE, NAN), 0);
}

/* A set holding something, so that decode must visibly empty it. */
static void
dirty_set(struct metric_set *s)
{
	metric_set_init(s);
	ck_assert_int_eq(metric_put(s, "stale", NULL, NULL, METRIC_GAUGE, 9),
	    0);
}

START_TEST(test_metrics_put_get)
{
	struct metric_set	 s;
	const struct metric	*m;

	metric_set_init(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_ptr_null(metric_get(&s, "server_up", NULL));
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(metric_put(&s, "bytes_sent", "listener", "writer",
	    METRIC_COUNTER, 10), 0);
	ck_assert_int_eq(metric_put(&s, "bytes_sent", "listener", "reader",
	    METRIC_COUNTER, 20), 0);
	ck_assert_uint_eq(s.n, 3);

	ck_assert_ptr_nonnull(m = metric_get(&s, "server_up", NULL));
	ck_assert_str_eq(m->lkey, "");
	ck_assert_uint_eq(m->type, METRIC_GAUGE);
	ck_assert(m->value == 1);
	ck_assert_ptr_eq(metric_get(&s, "server_up", ""), m);
	ck_assert_ptr_nonnull(m = metric_get(&s, "bytes_sent", "reader"));
	ck_assert_str_eq(m->lkey, "listener");
	ck_assert_uint_eq(m->type, METRIC_COUNTER);
	ck_assert(m->value == 20);
	ck_assert_ptr_null(metric_get(&s, "bytes_sent", NULL));
	ck_assert_ptr_null(metric_get(&s, "bytes_sent", "bridge"));

	/* Same name and label: replaced in place, type and value. */
	ck_assert_int_eq(metric_put(&s, "bytes_sent", "listener", "reader",
	    METRIC_COUNTER, 25), 0);
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_COUNTER, 0), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert(metric_get(&s, "bytes_sent", "reader")->value == 25);
	ck_assert(metric_get(&s, "bytes_sent", "writer")->value == 10);
	ck_assert_uint_eq(metric_get(&s, "server_up", NULL)->type,
	    METRIC_COUNTER);
}
END_TEST

START_TEST(test_metrics_invalid)
{
	struct metric_set	 s;
	char			 name[METRIC_NAME_MAX + 1];
	char			 label[METRIC_LABEL_MAX + 1];

	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "Server_up", NULL, NULL,
	    METRIC_GAUGE, 1), -1);
	ck_assert_int_eq(metric_put(&s, "", NULL, NULL, METRIC_GAUGE, 1),
	    -1);
	ck_assert_int_eq(metric_put(&s, "server-up", NULL, NULL,
	    METRIC_GAUGE, 1), -1);
	ck_assert_int_eq(metric_put(&s, "server.up", NULL, NULL,
	    METRIC_GAUGE, 1), -1);
	ck_assert_int_eq(metric_put(&s, "a", "Listener", "w", METRIC_GAUGE,
	    1), -1);
	ck_assert_int_eq(metric_put(&s, "a", "listener", "W", METRIC_GAUGE,
	    1), -1);
	ck_assert_int_eq(metric_put(&s, "a", "l", "a,b", METRIC_GAUGE, 1),
	    -1);
	/* A label key without a value, or a value without a key. */
	ck_assert_int_eq(metric_put(&s, "a", "listener", NULL, METRIC_GAUGE,
	    1), -1);
	ck_assert_int_eq(metric_put(&s, "a", "listener", "", METRIC_GAUGE,
	    1), -1);
	ck_assert_int_eq(metric_put(&s, "a", NULL, "writer", METRIC_GAUGE,
	    1), -1);
	ck_assert_int_eq(metric_put(&s, "a", NULL, NULL, 2, 1), -1);

	/* Names up to METRIC_NAME_MAX - 1 bytes, labels to _LABEL_MAX - 1. */
	memset(name, 'n', sizeof(name));
	name[METRIC_NAME_MAX] = '\0';
	ck_assert_int_eq(metric_put(&s, name, NULL, NULL, METRIC_GAUGE, 1),
	    -1);
	ck_assert_uint_eq(s.n, 0);
	name[METRIC_NAME_MAX - 1] = '\0';
	ck_assert_int_eq(metric_put(&s, name, NULL, NULL, METRIC_GAUGE, 1),
	    0);
	memset(label, 'l', sizeof(label));
	label[METRIC_LABEL_MAX] = '\0';
	ck_assert_int_eq(metric_put(&s, "a", label, "v", METRIC_GAUGE, 1),
	    -1);
	ck_assert_int_eq(metric_put(&s, "a", "k", label, METRIC_GAUGE, 1),
	    -1);
	label[METRIC_LABEL_MAX - 1] = '\0';
	ck_assert_int_eq(metric_put(&s, "a", label, label, METRIC_GAUGE, 1),
	    0);
	ck_assert_uint_eq(s.n, 2);
}
END_TEST

START_TEST(test_metrics_full)
{
	struct metric_set	s;
	char			name[METRIC_NAME_MAX];
	size_t			i;

	metric_set_init(&s);
	for (i = 0; i < METRICS_MAX; i++) {
		snprintf(name, sizeof(name), "m_%zu", i);
		ck_assert_int_eq(metric_put(&s, name, NULL, NULL,
		    METRIC_GAUGE, (double)i), 0);
	}
	ck_assert_uint_eq(s.n, METRICS_MAX);
	ck_assert_int_eq(metric_put(&s, "one_more", NULL, NULL, METRIC_GAUGE,
	    1), -1);
	ck_assert_int_eq(metric_put(&s, "m_1", "k", "v", METRIC_GAUGE, 1),
	    -1);
	/* Full, but what is there can still change. */
	ck_assert_int_eq(metric_put(&s, "m_7", NULL, NULL, METRIC_COUNTER,
	    70), 0);
	ck_assert(metric_get(&s, "m_7", NULL)->value == 70);
	ck_assert_uint_eq(s.n, METRICS_MAX);
	ck_assert_ptr_null(metric_get(&s, "one_more", NULL));
}
END_TEST

static void
assert_same_sets(const struct metric_set *a, const struct metric_set *b)
{
	size_t	i;

	ck_assert_uint_eq(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		ck_assert_str_eq(a->v[i].name, b->v[i].name);
		ck_assert_str_eq(a->v[i].lkey, b->v[i].lkey);
		ck_assert_str_eq(a->v[i].lval, b->v[i].lval);
		ck_assert_uint_eq(a->v[i].type, b->v[i].type);
		/* Bit for bit, NaN included. */
		ck_assert_mem_eq(&a->v[i].value, &b->v[i].value,
		    sizeof(double));
	}
}

START_TEST(test_metrics_round_trip)
{
	struct metric_set	a, b;
	char			name[METRIC_NAME_MAX];
	size_t			i;
	int			n;

	sample_set(&a);
	dirty_set(&b);
	ck_assert_int_gt(n = msg_stats_encode(&a, buf, sizeof(buf)), 0);
	ck_assert_int_eq(msg_stats_decode(&b, buf, (size_t)n), 0);
	assert_same_sets(&a, &b);

	/* Empty, and full with the longest names. */
	metric_set_init(&a);
	ck_assert_int_eq(n = msg_stats_encode(&a, buf, sizeof(buf)), 4);
	dirty_set(&b);
	ck_assert_int_eq(msg_stats_decode(&b, buf, (size_t)n), 0);
	ck_assert_uint_eq(b.n, 0);
	for (i = 0; i < METRICS_MAX; i++) {
		snprintf(name, sizeof(name), "%0*zu", METRIC_NAME_MAX - 1, i);
		ck_assert_int_eq(metric_put(&a, name, "lllllllllllllll",
		    "vvvvvvvvvvvvvvv", METRIC_COUNTER, 1.0 / (i + 1)), 0);
	}
	ck_assert_int_gt(n = msg_stats_encode(&a, buf, sizeof(buf)), 0);
	ck_assert_int_eq(msg_stats_decode(&b, buf, (size_t)n), 0);
	assert_same_sets(&a, &b);

	/* An encoder short of room says so. */
	ck_assert_int_eq(msg_stats_encode(&a, buf, (size_t)n - 1), -1);
}
END_TEST

/* Every proper prefix, and one byte too many. */
START_TEST(test_metrics_decode_truncated)
{
	struct metric_set	a, b;
	size_t			len;
	int			n;

	sample_set(&a);
	ck_assert_int_gt(n = msg_stats_encode(&a, buf, sizeof(buf)), 0);
	for (len = 0; len < (size_t)n; len++) {
		dirty_set(&b);
		ck_assert_int_eq(msg_stats_decode(&b, buf, len), -1);
		ck_assert_uint_eq(b.n, 0);
	}
	buf[n] = 0;
	dirty_set(&b);
	ck_assert_int_eq(msg_stats_decode(&b, buf, (size_t)n + 1), -1);
	ck_assert_uint_eq(b.n, 0);
}
END_TEST

/* Writes one metric the way msg_stats_encode() does. */
static void
put_metric(struct pbuf_w *w, const char *name, const char *lkey,
    const char *lval, uint32_t type, double value)
{
	uint64_t	bits;

	pbuf_put_str(w, name);
	pbuf_put_str(w, lkey);
	pbuf_put_str(w, lval);
	pbuf_put_u32(w, type);
	memcpy(&bits, &value, sizeof(bits));
	pbuf_put_u64(w, bits);
}

/* Decodes what w holds and expects a refusal and an empty set. */
static void
assert_refused(struct pbuf_w *w)
{
	struct metric_set	s;
	int			n;

	ck_assert_int_ge(n = pbuf_w_result(w), 0);
	dirty_set(&s);
	ck_assert_int_eq(msg_stats_decode(&s, buf, (size_t)n), -1);
	ck_assert_uint_eq(s.n, 0);
}

START_TEST(test_metrics_decode_oversized)
{
	struct pbuf_w	w;
	uint32_t	i;

	/* More metrics than a set holds, each valid. */
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, METRICS_MAX + 1);
	for (i = 0; i < METRICS_MAX + 1; i++) {
		char	name[16];

		snprintf(name, sizeof(name), "m_%u", i);
		put_metric(&w, name, "", "", METRIC_GAUGE, 1);
	}
	assert_refused(&w);

	/* A huge count with nothing behind it. */
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, UINT32_MAX);
	assert_refused(&w);

	/* A name longer than METRIC_NAME_MAX. */
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, 1);
	put_metric(&w, "a_name_that_goes_on_and_on_and_on_beyond_the_limit",
	    "", "", METRIC_GAUGE, 1);
	assert_refused(&w);
}
END_TEST

START_TEST(test_metrics_decode_invalid)
{
	struct metric_set	s;
	struct pbuf_w		w;
	size_t			i;
	uint32_t		count;
	unsigned int		seed = 38;

	/* What metric_put() refuses. */
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, 1);
	put_metric(&w, "Bad", "", "", METRIC_GAUGE, 1);
	assert_refused(&w);
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, 1);
	put_metric(&w, "ok", "key", "", METRIC_GAUGE, 1);
	assert_refused(&w);
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, 1);
	put_metric(&w, "ok", "", "", 5, 1);
	assert_refused(&w);

	/* The same series twice would decode to fewer metrics than counted. */
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, 2);
	put_metric(&w, "ok", "", "", METRIC_GAUGE, 1);
	put_metric(&w, "ok", "", "", METRIC_GAUGE, 2);
	assert_refused(&w);

	/* A NUL inside a string. */
	pbuf_w_init(&w, buf, sizeof(buf));
	pbuf_put_u32(&w, 1);
	put_metric(&w, "okay", "", "", METRIC_GAUGE, 1);
	buf[4 + 4 + 1] = '\0';
	assert_refused(&w);

	/* Garbage, which must not crash or leave anything behind. */
	for (i = 0; i < 1000; i++) {
		size_t	j, len = (size_t)rand_r(&seed) % 256;

		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		/* A plausible count, so that the metrics get parsed. */
		if (len >= sizeof(count)) {
			count = (uint32_t)rand_r(&seed) % 4;
			memcpy(buf, &count, sizeof(count));
		}
		dirty_set(&s);
		if (msg_stats_decode(&s, buf, len) == -1)
			ck_assert_uint_eq(s.n, 0);
	}
}
END_TEST

/*
 * The word check that metric_put(), Prometheus and DogStatsD share: a
 * word of max bytes or more has no room for its NUL.
 */
START_TEST(test_metrics_word_ok)
{
	static const struct {
		const char	*w;
		size_t		 max;
		int		 empty_ok, want;
	} t[] = {
		{ "server_up", 16, 0, 1 },
		{ "a0_9z", 6, 0, 1 },
		{ "", 16, 0, 0 },
		{ "", 16, 1, 1 },
		{ "Server", 16, 0, 0 },
		{ "a-b", 16, 0, 0 },
		{ "a.b", 16, 1, 0 },
		{ "abcde", 6, 0, 1 },
		{ "abcdef", 6, 0, 0 },
		{ "abcdefgh", 6, 1, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(metric_word_ok(t[i].w, t[i].max,
		    t[i].empty_ok) == t[i].want, "row %zu: \"%s\"", i,
		    t[i].w);
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("set");
	TCase	*tc2 = tcase_create("encoding");

	tcase_add_test(tc, test_metrics_put_get);
	tcase_add_test(tc, test_metrics_invalid);
	tcase_add_test(tc, test_metrics_full);
	tcase_add_test(tc, test_metrics_word_ok);
	suite_add_tcase(s, tc);
	tcase_add_test(tc2, test_metrics_round_trip);
	tcase_add_test(tc2, test_metrics_decode_truncated);
	tcase_add_test(tc2, test_metrics_decode_oversized);
	tcase_add_test(tc2, test_metrics_decode_invalid);
	suite_add_tcase(s, tc2);
	return s;
}
