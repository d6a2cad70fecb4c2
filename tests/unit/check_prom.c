/*
 * Prometheus exposition: every output goes through a small checker of
 * the text format (sample syntax, one HELP and one TYPE per family before
 * its samples, samples of a family together, no duplicate series).
 */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "admin/prom.h"
#include "metrics.h"
#include "suites.h"

#define FAMILIES_MAX	1024
#define SERIES_MAX	4096

static const struct prom_info	info = {
	"tcm-1", "leader", "writer", "1.2.3"
};

/* The name of a sample or comment: up to '{', ' ' or the end. */
static void
name_of(const char *s, size_t n, char *out, size_t cap)
{
	size_t	i;

	for (i = 0; i < n && s[i] != '{' && s[i] != ' ' && i + 1 < cap; i++)
		out[i] = s[i];
	out[i] = '\0';
}

static int
seen(char (*list)[128], size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Checks text as a 0.0.4 exposition and returns its number of samples.
 * Every sample must belong to the family of the last # TYPE line, which
 * makes the samples of a family contiguous since each family is
 * announced once.
 */
static int
check_exposition(const char *text)
{
	static char	 helps[FAMILIES_MAX][128], types[FAMILIES_MAX][128];
	static char	 series[SERIES_MAX][128];
	regex_t		 re;
	const char	*p, *nl, *v;
	char		 line[512], name[128];
	char		 help[128] = "", cur[128] = "";
	char		*end;
	size_t		 n, nhelps = 0, ntypes = 0, nseries = 0;

	ck_assert_int_eq(regcomp(&re,
	    "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? [^ ]+$",
	    REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(*text != '\0' && text[strlen(text) - 1] == '\n',
	    "exposition must end with a newline");
	for (p = text; *p != '\0'; p = nl + 1) {
		ck_assert_ptr_nonnull(nl = strchr(p, '\n'));
		n = nl - p;
		ck_assert_uint_lt(n, sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (strncmp(line, "# HELP ", 7) == 0) {
			name_of(line + 7, n - 7, name, sizeof(name));
			ck_assert_msg(!seen(helps, nhelps, name),
			    "second HELP for %s", name);
			ck_assert_uint_lt(nhelps, FAMILIES_MAX);
			strlcpy(helps[nhelps++], name, sizeof(helps[0]));
			strlcpy(help, name, sizeof(help));
			cur[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			name_of(line + 7, n - 7, name, sizeof(name));
			ck_assert_msg(strcmp(name, help) == 0,
			    "TYPE %s not right after its HELP", name);
			ck_assert_msg(!seen(types, ntypes, name),
			    "second TYPE for %s", name);
			v = line + 7 + strlen(name);
			ck_assert_msg(strcmp(v, " gauge") == 0 ||
			    strcmp(v, " counter") == 0, "bad TYPE: %s", line);
			strlcpy(types[ntypes++], name, sizeof(types[0]));
			strlcpy(cur, name, sizeof(cur));
			continue;
		}
		ck_assert_msg(line[0] != '#', "unexpected comment: %s", line);
		ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0,
		    "bad sample line: %s", line);
		name_of(line, n, name, sizeof(name));
		ck_assert_msg(cur[0] != '\0' && strcmp(name, cur) == 0,
		    "sample %s outside its family", line);
		v = strrchr(line, ' ') + 1;
		(void)strtod(v, &end);
		ck_assert_msg(*end == '\0', "bad value: %s", line);
		/* The series: everything before the value. */
		line[v - 1 - line] = '\0';
		ck_assert_msg(!seen(series, nseries, line),
		    "duplicate series %s", line);
		ck_assert_uint_lt(nseries, SERIES_MAX);
		strlcpy(series[nseries++], line, sizeof(series[0]));
	}
	regfree(&re);
	return (int)nseries;
}

static char *
render(const struct metric_set *const *sets, size_t nsets)
{
	char	*text;
	size_t	 len = 0;

	text = prom_render(sets, nsets, &info, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	check_exposition(text);
	return text;
}

/* The number of lines of text holding s. */
static int
count_lines_with(const char *text, const char *s)
{
	const char	*p, *nl;
	int		 n = 0;

	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		const char	*hit = strstr(p, s);

		if (hit != NULL && hit < nl)
			n++;
	}
	return n;
}

START_TEST(test_prom_info)
{
	const char	*expect =
	    "# HELP tile38_cluster_info Identity of this "
	    "tile38-cluster-manager instance.\n"
	    "# TYPE tile38_cluster_info gauge\n"
	    "tile38_cluster_info{id=\"tcm-1\",role=\"leader\","
	    "kind=\"writer\",version=\"1.2.3\"} 1\n";
	char		*text;

	text = render(NULL, 0);
	ck_assert_str_eq(text, expect);
	free(text);
}
END_TEST

START_TEST(test_prom_info_escaped)
{
	const struct prom_info	 odd = { "a\"b\\c\nd", NULL, "", "v 1" };
	char			*text;

	ck_assert_ptr_nonnull(text = prom_render(NULL, 0, &odd, NULL));
	check_exposition(text);
	ck_assert_ptr_nonnull(strstr(text,
	    "tile38_cluster_info{id=\"a\\\"b\\\\c\\nd\",role=\"\","
	    "kind=\"\",version=\"v 1\"} 1\n"));
	free(text);

	/* No info at all reads as empty labels. */
	ck_assert_ptr_nonnull(text = prom_render(NULL, 0, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "tile38_cluster_info{id=\"\","
	    "role=\"\",kind=\"\",version=\"\"} 1\n"));
	free(text);
}
END_TEST

START_TEST(test_prom_counter_total)
{
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	char				*text;

	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "bytes_sent", NULL, NULL,
	    METRIC_COUNTER, 1234), 0);
	ck_assert_int_eq(metric_put(&s, "widgets_total", NULL, NULL,
	    METRIC_COUNTER, 7), 0);
	ck_assert_int_eq(metric_put(&s, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	text = render(sets, 1);
	ck_assert_ptr_nonnull(strstr(text,
	    "# HELP tile38_cluster_bytes_sent_total Bytes sent to clients.\n"
	    "# TYPE tile38_cluster_bytes_sent_total counter\n"
	    "tile38_cluster_bytes_sent_total 1234\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE tile38_cluster_widgets_total counter\n"
	    "tile38_cluster_widgets_total 7\n"));
	ck_assert_ptr_null(strstr(text, "_total_total"));
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE tile38_cluster_server_up gauge\n"
	    "tile38_cluster_server_up 1\n"));
	free(text);
}
END_TEST

START_TEST(test_prom_help)
{
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	char				*text;

	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "num_points", NULL, NULL,
	    METRIC_GAUGE, 5), 0);
	ck_assert_int_eq(metric_put(&s, "mystery_figure", NULL, NULL,
	    METRIC_GAUGE, 5), 0);
	text = render(sets, 1);
	ck_assert_ptr_nonnull(strstr(text, "# HELP tile38_cluster_num_points "
	    "Tile38 server: number of points.\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "# HELP tile38_cluster_mystery_figure "
	    "tile38-cluster-manager metric mystery_figure\n"));
	free(text);
}
END_TEST

START_TEST(test_prom_labels_grouped_across_sets)
{
	struct metric_set		 w, r, sup;
	const struct metric_set		*sets[] = { &w, &sup, &r };
	const char			*a, *b;
	char				*text;

	metric_set_init(&w);
	metric_set_init(&r);
	metric_set_init(&sup);
	ck_assert_int_eq(metric_put(&w, "connections_open", "listener",
	    "writer", METRIC_GAUGE, 3), 0);
	ck_assert_int_eq(metric_put(&w, "bytes_received", "listener",
	    "writer", METRIC_COUNTER, 10), 0);
	ck_assert_int_eq(metric_put(&sup, "child_up", "child", "writer",
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(metric_put(&sup, "child_up", "child", "reader",
	    METRIC_GAUGE, 0), 0);
	ck_assert_int_eq(metric_put(&r, "bytes_received", "listener",
	    "reader", METRIC_COUNTER, 20), 0);
	ck_assert_int_eq(metric_put(&r, "connections_open", "listener",
	    "reader", METRIC_GAUGE, 4), 0);
	text = render(sets, 3);
	ck_assert_int_eq(check_exposition(text), 1 + 6);
	ck_assert_int_eq(count_lines_with(text,
	    "# HELP tile38_cluster_connections_open "), 1);
	ck_assert_int_eq(count_lines_with(text,
	    "# TYPE tile38_cluster_bytes_received_total "), 1);
	a = strstr(text, "tile38_cluster_connections_open{listener=\"writer\"}"
	    " 3\n");
	b = strstr(text, "tile38_cluster_connections_open{listener=\"reader\"}"
	    " 4\n");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* Together, in the order of the sets. */
	ck_assert_ptr_eq(strchr(a, '\n') + 1, b);
	ck_assert_ptr_nonnull(strstr(text,
	    "tile38_cluster_bytes_received_total{listener=\"writer\"} 10\n"
	    "tile38_cluster_bytes_received_total{listener=\"reader\"} 20\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "tile38_cluster_child_up{child=\"writer\"} 1\n"
	    "tile38_cluster_child_up{child=\"reader\"} 0\n"));
	free(text);
}
END_TEST

START_TEST(test_prom_empty_sets)
{
	struct metric_set		 e1, e2;
	const struct metric_set		*sets[] = { &e1, NULL, &e2 };
	char				*text, *bare;

	metric_set_init(&e1);
	metric_set_init(&e2);
	text = render(sets, 3);
	bare = render(NULL, 0);
	/* Only the info family. */
	ck_assert_int_eq(check_exposition(text), 1);
	ck_assert_str_eq(text, bare);
	free(text);
	free(bare);
}
END_TEST

START_TEST(test_prom_values)
{
	static const struct {
		double		 v;
		const char	*s;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 42, "42" },
		{ -3, "-3" },
		{ 0.5, "0.5" },
		{ 0.1, "0.10000000000000001" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e20, "1e+20" },
		{ -1e300, "-1.0000000000000001e+300" },
	};
	char	buf[PROM_VALUE_MAX];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(prom_format_value(buf, sizeof(buf),
		    cases[i].v), (int)strlen(cases[i].s));
		ck_assert_str_eq(buf, cases[i].s);
	}
	ck_assert_int_eq(prom_format_value(buf, sizeof(buf), NAN), 3);
	ck_assert_str_eq(buf, "NaN");
	prom_format_value(buf, sizeof(buf), INFINITY);
	ck_assert_str_eq(buf, "+Inf");
	prom_format_value(buf, sizeof(buf), -INFINITY);
	ck_assert_str_eq(buf, "-Inf");
	ck_assert_int_eq(prom_format_value(buf, 3, 1234), -1);
	ck_assert_int_eq(prom_format_value(buf, 5, 1234), 4);
}
END_TEST

START_TEST(test_prom_special_values_in_output)
{
	struct metric_set		 s;
	const struct metric_set		*sets[] = { &s };
	char				*text;

	metric_set_init(&s);
	ck_assert_int_eq(metric_put(&s, "a", NULL, NULL, METRIC_GAUGE,
	    NAN), 0);
	ck_assert_int_eq(metric_put(&s, "b", NULL, NULL, METRIC_GAUGE,
	    INFINITY), 0);
	ck_assert_int_eq(metric_put(&s, "c", NULL, NULL, METRIC_GAUGE,
	    -INFINITY), 0);
	ck_assert_int_eq(metric_put(&s, "d", NULL, NULL, METRIC_GAUGE,
	    2.5), 0);
	text = render(sets, 1);
	ck_assert_ptr_nonnull(strstr(text, "\ntile38_cluster_a NaN\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntile38_cluster_b +Inf\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntile38_cluster_c -Inf\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntile38_cluster_d 2.5\n"));
	free(text);
}
END_TEST

/*
 * What the format cannot hold is dropped, first one wins: the same
 * series from two sets, a counter and a gauge under one exported name,
 * a metric named like the info family, hand-made invalid metrics.
 */
START_TEST(test_prom_conflicts_dropped)
{
	struct metric_set		 a, b;
	const struct metric_set		*sets[] = { &a, &b };
	char				*text;

	metric_set_init(&a);
	metric_set_init(&b);
	ck_assert_int_eq(metric_put(&a, "server_up", NULL, NULL,
	    METRIC_GAUGE, 1), 0);
	ck_assert_int_eq(metric_put(&b, "server_up", NULL, NULL,
	    METRIC_GAUGE, 0), 0);
	ck_assert_int_eq(metric_put(&a, "hits", NULL, NULL,
	    METRIC_COUNTER, 5), 0);
	ck_assert_int_eq(metric_put(&b, "hits_total", NULL, NULL,
	    METRIC_GAUGE, 6), 0);
	ck_assert_int_eq(metric_put(&b, "info", NULL, NULL,
	    METRIC_GAUGE, 9), 0);
	ck_assert_int_eq(metric_put(&b, "odd", "9lives", "x",
	    METRIC_GAUGE, 9), 0);
	ck_assert_int_eq(metric_put(&b, "odder", "__name", "x",
	    METRIC_GAUGE, 9), 0);
	/* Bypassing metric_put(). */
	strlcpy(b.v[b.n].name, "Bad-Name", sizeof(b.v[b.n].name));
	b.v[b.n++].type = METRIC_GAUGE;
	strlcpy(b.v[b.n].name, "badtype", sizeof(b.v[b.n].name));
	b.v[b.n++].type = 7;
	text = render(sets, 2);
	ck_assert_int_eq(check_exposition(text), 1 + 2);
	ck_assert_ptr_nonnull(strstr(text, "\ntile38_cluster_server_up 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "\ntile38_cluster_hits_total 5\n"));
	ck_assert_ptr_null(strstr(text, " 9\n"));
	ck_assert_ptr_null(strstr(text, "Bad"));
	ck_assert_ptr_null(strstr(text, "badtype"));
	free(text);
}
END_TEST

START_TEST(test_prom_many_sets)
{
	static struct metric_set	 s[8];
	const struct metric_set		*sets[8];
	char				 name[METRIC_NAME_MAX], lval[3];
	char				*text;
	size_t				 i, j;

	for (i = 0; i < 8; i++) {
		metric_set_init(&s[i]);
		sets[i] = &s[i];
		for (j = 0; j < METRICS_MAX; j++) {
			/*
			 * 16 names shared by all sets, each a gauge and a
			 * counter (two families), labels unique per set.
			 */
			snprintf(name, sizeof(name), "figure_%zu", j / 6);
			lval[0] = 'a' + i;
			lval[1] = 'a' + j % 6;
			lval[2] = '\0';
			ck_assert_int_eq(metric_put(&s[i], name, "proc", lval,
			    j % 2 ? METRIC_GAUGE : METRIC_COUNTER,
			    (double)(i * j)), 0);
		}
	}
	text = render(sets, 8);
	ck_assert_int_eq(check_exposition(text), 1 + 8 * METRICS_MAX);
	ck_assert_int_eq(count_lines_with(text, "# TYPE "), 1 + 2 * 16);
	free(text);
}
END_TEST

Suite *
prom_suite(void)
{
	Suite	*s = suite_create("prom");
	TCase	*tc = tcase_create("exposition");

	tcase_add_test(tc, test_prom_info);
	tcase_add_test(tc, test_prom_info_escaped);
	tcase_add_test(tc, test_prom_counter_total);
	tcase_add_test(tc, test_prom_help);
	tcase_add_test(tc, test_prom_labels_grouped_across_sets);
	tcase_add_test(tc, test_prom_empty_sets);
	tcase_add_test(tc, test_prom_values);
	tcase_add_test(tc, test_prom_special_values_in_output);
	tcase_add_test(tc, test_prom_conflicts_dropped);
	tcase_add_test(tc, test_prom_many_sets);
	suite_add_tcase(s, tc);
	return s;
}
