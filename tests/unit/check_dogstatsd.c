/*
 * DogStatsD: line format and tags, counter increases across flushes,
 * packing into datagrams, events.  Datagrams are collected by the send
 * callback; no socket.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "admin/dogstatsd.h"
#include "metrics.h"
#include "suites.h"

#define PKTS_MAX	64

struct sink {
	char	pkt[PKTS_MAX][DSD_PACKET_MAX + 1];
	size_t	len[PKTS_MAX];
	int	n;
};

static void
sink_cb(const char *pkt, size_t len, void *arg)
{
	struct sink	*k = arg;

	ck_assert_int_lt(k->n, PKTS_MAX);
	ck_assert_uint_le(len, DSD_PACKET_MAX);
	ck_assert_uint_eq(strlen(pkt), len);
	memcpy(k->pkt[k->n], pkt, len);
	k->pkt[k->n][len] = '\0';
	k->len[k->n++] = len;
}

/* Flushes the sets into a cleared sink; returns dsd_flush()'s result. */
static int
flush(struct dsd *d, const struct metric_set *const *sets, size_t nsets,
    struct sink *k)
{
	int	rv;

	memset(k, 0, sizeof(*k));
	rv = dsd_flush(d, sets, nsets, "tcm-1", "leader", sink_cb, k);
	if (rv >= 0)
		ck_assert_int_eq(rv, k->n);
	return rv;
}

START_TEST(test_dsd_line_format)
{
	static struct sink		 k;
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	struct dsd			*d;

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(metric_put(&s, "connections_open", "listener",
	    "writer", METRIC_GAUGE, 3), 0);
	ck_assert_int_eq(metric_put(&s, "replication_lag_bytes", NULL, NULL,
	    METRIC_GAUGE, 0.5), 0);
	ck_assert_int_eq(metric_put(&s, "bytes_sent", "listener", "writer",
	    METRIC_COUNTER, 100), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.server_up:1|g|#instance:tcm-1,role:leader\n"
	    "tile38.cluster.connections_open:3|g|#instance:tcm-1,role:leader,"
	    "listener:writer\n"
	    "tile38.cluster.replication_lag_bytes:0.5|g|#instance:tcm-1,"
	    "role:leader\n"
	    "tile38.cluster.bytes_sent:100|c|#instance:tcm-1,role:leader,"
	    "listener:writer");
	dsd_free(d);
}
END_TEST

START_TEST(test_dsd_counter_deltas)
{
	static struct sink		 k;
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	struct dsd			*d;

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "bytes_sent", NULL, NULL,
	    METRIC_COUNTER, 100), 0);
	ck_assert_int_eq(metric_put(&s, "bytes_received", NULL, NULL,
	    METRIC_COUNTER, 7), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.bytes_sent:100|c|#instance:tcm-1,role:leader\n"
	    "tile38.cluster.bytes_received:7|c|#instance:tcm-1,role:leader");

	ck_assert_int_eq(metric_put(&s, "bytes_sent", NULL, NULL,
	    METRIC_COUNTER, 150), 0);
	ck_assert_int_eq(metric_put(&s, "bytes_received", NULL, NULL,
	    METRIC_COUNTER, 10), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.bytes_sent:50|c|#instance:tcm-1,role:leader\n"
	    "tile38.cluster.bytes_received:3|c|#instance:tcm-1,role:leader");
	dsd_free(d);
}
END_TEST

/*
 * A restarted sender: counters already counted by its predecessor are
 * not sent again, their later increases are, and a counter that appears
 * after the first flush counts from 0 again.
 */
START_TEST(test_dsd_baseline)
{
	static struct sink		 k;
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	struct dsd			*d;

	ck_assert_ptr_nonnull(d = dsd_new());
	dsd_baseline(d);
	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "bytes_sent", NULL, NULL,
	    METRIC_COUNTER, 100), 0);
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.server_up:1|g|#instance:tcm-1,role:leader");

	ck_assert_int_eq(metric_put(&s, "bytes_sent", NULL, NULL,
	    METRIC_COUNTER, 130), 0);
	ck_assert_int_eq(metric_put(&s, "child_restarts", "child", "writer",
	    METRIC_COUNTER, 2), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.bytes_sent:30|c|#instance:tcm-1,role:leader\n"
	    "tile38.cluster.server_up:1|g|#instance:tcm-1,role:leader\n"
	    "tile38.cluster.child_restarts:2|c|#instance:tcm-1,role:leader,"
	    "child:writer");
	dsd_free(d);
}
END_TEST

START_TEST(test_dsd_zero_delta_skipped)
{
	static struct sink		 k;
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	struct dsd			*d;

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&s);
	/* A counter still at 0 sends nothing, even the first time. */
	ck_assert_int_eq(metric_put(&s, "authz_denied", NULL, NULL,
	    METRIC_COUNTER, 0), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 0);
	ck_assert_int_eq(metric_put(&s, "authz_denied", NULL, NULL,
	    METRIC_COUNTER, 2), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.authz_denied:2|c|#instance:tcm-1,role:leader");
	ck_assert_int_eq(flush(d, sets, 1, &k), 0);

	/* A gauge goes out at every flush, unchanged or not. */
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 0), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0],
	    "tile38.cluster.server_up:0|g|#instance:tcm-1,role:leader");
	dsd_free(d);
}
END_TEST

START_TEST(test_dsd_counter_reset)
{
	static struct sink		 k;
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	struct dsd			*d;

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "child_restarts", "child", "elector",
	    METRIC_COUNTER, 100), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	/* The process restarted: its new total is the increase. */
	ck_assert_int_eq(metric_put(&s, "child_restarts", "child", "elector",
	    METRIC_COUNTER, 30), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0], "tile38.cluster.child_restarts:30|c|"
	    "#instance:tcm-1,role:leader,child:elector");
	/* And it counts from there. */
	ck_assert_int_eq(metric_put(&s, "child_restarts", "child", "elector",
	    METRIC_COUNTER, 31), 0);
	ck_assert_int_eq(flush(d, sets, 1, &k), 1);
	ck_assert_str_eq(k.pkt[0], "tile38.cluster.child_restarts:1|c|"
	    "#instance:tcm-1,role:leader,child:elector");
	dsd_free(d);
}
END_TEST

/* Counters are kept apart by label, and a vanished set is remembered. */
START_TEST(test_dsd_counters_by_label)
{
	static struct sink		 k;
	struct metric_set		 w, r;
	const struct metric_set		*both[] = { &w, &r };
	const struct metric_set		*wonly[] = { &w };
	struct dsd			*d;

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&w);
	metric_set_init(&r);
	ck_assert_int_eq(metric_put(&w, "bytes_sent", "listener", "writer",
	    METRIC_COUNTER, 10), 0);
	ck_assert_int_eq(metric_put(&r, "bytes_sent", "listener", "reader",
	    METRIC_COUNTER, 20), 0);
	ck_assert_int_eq(flush(d, both, 2, &k), 1);
	ck_assert_int_eq(flush(d, wonly, 1, &k), 0);
	ck_assert_int_eq(metric_put(&r, "bytes_sent", "listener", "reader",
	    METRIC_COUNTER, 25), 0);
	ck_assert_int_eq(flush(d, both, 2, &k), 1);
	ck_assert_str_eq(k.pkt[0], "tile38.cluster.bytes_sent:5|c|"
	    "#instance:tcm-1,role:leader,listener:reader");
	dsd_free(d);
}
END_TEST

/* The same series from two sets is sent once (the first), and NaN never. */
START_TEST(test_dsd_duplicates_and_nonfinite)
{
	static struct sink		 k;
	struct metric_set		 a, b;
	const struct metric_set		*sets[] = { &a, NULL, &b };
	struct dsd			*d;
	int				 i;

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&a);
	metric_set_init(&b);
	ck_assert_int_eq(metric_put(&a, "hits", NULL, NULL, METRIC_COUNTER,
	    10), 0);
	ck_assert_int_eq(metric_put(&b, "hits", NULL, NULL, METRIC_COUNTER,
	    3), 0);
	ck_assert_int_eq(metric_put(&b, "lag", NULL, NULL, METRIC_GAUGE,
	    NAN), 0);
	ck_assert_int_eq(metric_put(&b, "heat", NULL, NULL, METRIC_GAUGE,
	    INFINITY), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(flush(d, sets, 3, &k), i == 0 ? 1 : 0);
		if (i == 0)
			ck_assert_str_eq(k.pkt[0], "tile38.cluster.hits:10|c|"
			    "#instance:tcm-1,role:leader");
	}
	dsd_free(d);
}
END_TEST

START_TEST(test_dsd_tags_cleaned)
{
	static struct sink		 k;
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	struct dsd			*d;
	char				 longid[DSD_PACKET_MAX];

	ck_assert_ptr_nonnull(d = dsd_new());
	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(dsd_flush(d, sets, 1, "a,b|c\nd", "lead:er",
	    sink_cb, memset(&k, 0, sizeof(k))), 1);
	ck_assert_str_eq(k.pkt[0], "tile38.cluster.server_up:1|g|"
	    "#instance:a_b_c_d,role:lead:er");

	/* An instance name too long for any line: nothing goes out. */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	ck_assert_int_eq(dsd_flush(d, sets, 1, longid, "leader", sink_cb,
	    memset(&k, 0, sizeof(k))), 0);
	ck_assert_int_eq(k.n, 0);
	dsd_free(d);
}
END_TEST

/*
 * Many metrics: several datagrams, none over DSD_PACKET_MAX, no empty
 * line and no trailing newline (so no line was split), and every metric
 * exactly once.
 */
START_TEST(test_dsd_packing)
{
	static struct sink		 k;
	static struct metric_set	 s[4];
	const struct metric_set		*sets[4];
	struct dsd			*d;
	char				 name[METRIC_NAME_MAX], lval[8];
	char				*line, *save;
	size_t				 i, j, lines = 0, bytes = 0;
	int				 n;

	ck_assert_ptr_nonnull(d = dsd_new());
	for (i = 0; i < 4; i++) {
		metric_set_init(&s[i]);
		sets[i] = &s[i];
		for (j = 0; j < METRICS_MAX; j++) {
			snprintf(name, sizeof(name),
			    "a_rather_long_metric_name_number_%zu", j);
			snprintf(lval, sizeof(lval), "set%zu", i);
			ck_assert_int_eq(metric_put(&s[i], name, "process",
			    lval, j % 2 ? METRIC_GAUGE : METRIC_COUNTER,
			    1e6 + j), 0);
		}
	}
	n = flush(d, sets, 4, &k);
	ck_assert_int_gt(n, 1);
	for (i = 0; i < (size_t)n; i++) {
		ck_assert_uint_le(k.len[i], DSD_PACKET_MAX);
		ck_assert_uint_gt(k.len[i], 0);
		ck_assert_int_ne(k.pkt[i][k.len[i] - 1], '\n');
		ck_assert_ptr_null(strstr(k.pkt[i], "\n\n"));
		bytes += k.len[i];
		for (line = strtok_r(k.pkt[i], "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			ck_assert_msg(strncmp(line,
			    "tile38.cluster.a_rather_long_metric_name_number_",
			    48) == 0, "bad line %s", line);
			ck_assert_ptr_nonnull(strstr(line,
			    "|#instance:tcm-1,role:leader,process:set"));
			lines++;
		}
	}
	ck_assert_uint_eq(lines, 4 * METRICS_MAX);
	/* Full datagrams: the next line would not have fitted. */
	ck_assert_uint_gt(bytes, (size_t)(n - 1) * (DSD_PACKET_MAX - 120));
	dsd_free(d);
}
END_TEST

START_TEST(test_dsd_event)
{
	char	buf[DSD_PACKET_MAX];
	int	n;

	n = dsd_event(buf, sizeof(buf), "leader change",
	    "tcm-2 is the leader", "tcm-1", "follower");
	ck_assert_str_eq(buf, "_e{13,19}:leader change|tcm-2 is the leader|"
	    "#instance:tcm-1,role:follower");
	ck_assert_int_eq(n, (int)strlen(buf));

	/* Newlines are sent as "\n" and counted as two bytes. */
	n = dsd_event(buf, sizeof(buf), "restart", "writer died\nrestarted",
	    "tcm-1", "leader");
	ck_assert_str_eq(buf, "_e{7,22}:restart|writer died\\nrestarted|"
	    "#instance:tcm-1,role:leader");
	ck_assert_int_eq(n, (int)strlen(buf));

	/* Too small: -1, and exactly enough (with the NUL) fits. */
	ck_assert_int_eq(dsd_event(buf, (size_t)n, "restart",
	    "writer died\nrestarted", "tcm-1", "leader"), -1);
	ck_assert_int_eq(dsd_event(buf, (size_t)n + 1, "restart",
	    "writer died\nrestarted", "tcm-1", "leader"), n);
}
END_TEST

Suite *
dogstatsd_suite(void)
{
	Suite	*s = suite_create("dogstatsd");
	TCase	*tc = tcase_create("datagrams");

	tcase_add_test(tc, test_dsd_line_format);
	tcase_add_test(tc, test_dsd_counter_deltas);
	tcase_add_test(tc, test_dsd_baseline);
	tcase_add_test(tc, test_dsd_zero_delta_skipped);
	tcase_add_test(tc, test_dsd_counter_reset);
	tcase_add_test(tc, test_dsd_counters_by_label);
	tcase_add_test(tc, test_dsd_duplicates_and_nonfinite);
	tcase_add_test(tc, test_dsd_tags_cleaned);
	tcase_add_test(tc, test_dsd_packing);
	tcase_add_test(tc, test_dsd_event);
	suite_add_tcase(s, tc);
	return s;
}
