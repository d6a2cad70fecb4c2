/*
 * Every decoder of Consul's JSON answers (src/elector/consul_api.c) on
 * the same arbitrary body, and the KV values the elector reads back: the
 * freshness record and the leadership history (leader_history.c).  A
 * refusal says why; an answer taken holds what the elector relies on
 * (strings present, flags 0 or 1, a value NUL-terminated at its length);
 * a freshness record survives encoding and decoding unchanged; a history
 * takes an entry once, and the history written is one again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consul_api.h"
#include "fuzz.h"
#include "leader_history.h"

const char	fuzz_target[] = "consul";

static char	err[512];

/* A refusal gives a reason; err is reset before each call. */
static void
refused(void)
{
	FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
}

static void
check_kv(const struct consul_kv *kv)
{
	FUZZ_CHECK(kv->key != NULL);
	FUZZ_CHECK(kv->value != NULL || kv->value_len == 0);
	FUZZ_CHECK(kv->value == NULL || kv->value[kv->value_len] == '\0');
}

static void
kv(const char *b, size_t n)
{
	struct consul_kv	 one;
	struct consul_kv_list	 list;
	size_t			 i;

	err[0] = '\0';
	if (consul_parse_kv(b, n, &one, err, sizeof(err)) == 0) {
		check_kv(&one);
		consul_kv_clear(&one);
	} else
		refused();
	err[0] = '\0';
	if (consul_parse_kv_list(b, n, &list, err, sizeof(err)) == 0) {
		FUZZ_CHECK(list.n == 0 || list.v != NULL);
		for (i = 0; i < list.n; i++)
			check_kv(&list.v[i]);
		consul_kv_list_clear(&list);
	} else
		refused();
}

static void
session(const char *b, size_t n)
{
	char	*s;
	int	 v;

	err[0] = '\0';
	if (consul_parse_session_create(b, n, &s, err, sizeof(err)) == 0) {
		FUZZ_CHECK(s != NULL);
		free(s);
	} else
		refused();
	err[0] = '\0';
	v = -1;
	if (consul_parse_session_info(b, n,
	    "c0686ae3-106f-9677-284e-b23e14392a5a", &v, err, sizeof(err)) == 0)
		FUZZ_CHECK(v == 0 || v == 1);
	else
		refused();
	err[0] = '\0';
	v = -1;
	if (consul_parse_bool(b, n, &v, err, sizeof(err)) == 0)
		FUZZ_CHECK(v == 0 || v == 1);
	else
		refused();
	err[0] = '\0';
	if (consul_parse_string(b, n, &s, err, sizeof(err)) == 0) {
		FUZZ_CHECK(s != NULL);
		free(s);
	} else
		refused();
}

static void
catalog(const char *b, size_t n)
{
	struct consul_instances	 in;
	char			*dc, *node;
	size_t			 i;

	err[0] = '\0';
	if (consul_parse_health(b, n, &in, err, sizeof(err)) == 0) {
		FUZZ_CHECK(in.n == 0 || in.v != NULL);
		for (i = 0; i < in.n; i++) {
			FUZZ_CHECK(in.v[i].id != NULL && in.v[i].id[0] != '\0');
			FUZZ_CHECK(in.v[i].address != NULL);
			FUZZ_CHECK(in.v[i].passing == 0 ||
			    in.v[i].passing == 1);
		}
		consul_instances_clear(&in);
	} else
		refused();
	err[0] = '\0';
	if (consul_parse_self(b, n, &dc, &node, err, sizeof(err)) == 0) {
		FUZZ_CHECK(dc != NULL && node != NULL);
		free(dc);
		free(node);
	} else
		refused();
}

static void
connect_ca(const char *b, size_t n)
{
	struct consul_roots	 roots;
	struct consul_leaf	 leaf;
	char			*reason = NULL;
	int			 ok = -1;

	err[0] = '\0';
	if (consul_parse_roots(b, n, &roots, err, sizeof(err)) == 0) {
		FUZZ_CHECK(roots.trust_domain != NULL && roots.pem != NULL);
		consul_roots_clear(&roots);
	} else
		refused();
	err[0] = '\0';
	if (consul_parse_leaf(b, n, &leaf, err, sizeof(err)) == 0) {
		FUZZ_CHECK(leaf.cert_pem != NULL && leaf.key_pem != NULL);
		consul_leaf_clear(&leaf);
	} else
		refused();
	err[0] = '\0';
	if (consul_parse_authorize(b, n, &ok, &reason, err, sizeof(err)) ==
	    0) {
		FUZZ_CHECK(ok == 0 || ok == 1);
		free(reason);
	} else
		refused();
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
freshness(const char *b, size_t n)
{
	struct freshness	 f, g;
	char			*text;

	err[0] = '\0';
	if (freshness_decode(b, n, &f, err, sizeof(err)) == -1) {
		refused();
		return;
	}
	FUZZ_CHECK(f.id != NULL && f.id[0] != '\0');
	text = freshness_encode(&f);
	FUZZ_CHECK(text != NULL);
	if (freshness_decode(text, strlen(text), &g, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", text, err);
		FUZZ_CHECK(!"an encoded record decodes");
	}
	FUZZ_CHECK(same_str(f.id, g.id) && same_str(f.lineage, g.lineage));
	FUZZ_CHECK(f.up == g.up && f.leader == g.leader &&
	    f.caught_up == g.caught_up && f.paused == g.paused);
	FUZZ_CHECK(f.offset == g.offset && f.keys == g.keys &&
	    f.epoch == g.epoch && f.time_ms == g.time_ms);
	freshness_clear(&g);
	freshness_clear(&f);
	free(text);
}

static void
history(const char *b, size_t n)
{
	struct history_entry	 e = {
		.epoch = 1234567, .time_ms = 1795000000000LL,
		.leader = "n2", .previous = "n1",
		.reason = LOCK_REASON_SWITCHOVER,
	};
	char			*leader, *text, *again, *answer;
	int			 added, reset;

	leader = history_newest_leader(b, n);
	free(leader);
	answer = history_answer(b, n, err, sizeof(err));
	free(answer);

	text = history_add(b, n, &e, SIZE_MAX, &added, &reset);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(added == 0 || added == 1);
	FUZZ_CHECK(!reset || added);
	/* What was written is a history, and it holds e already. */
	err[0] = '\0';
	answer = history_answer(text, strlen(text), err, sizeof(err));
	FUZZ_CHECK(answer != NULL);
	free(answer);
	again = history_add(text, strlen(text), &e, SIZE_MAX, &added,
	    &reset);
	FUZZ_CHECK(again != NULL && !reset);
	FUZZ_CHECK(!added || !"an entry written once is there");
	free(again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*b = (const char *)data;

	kv(b, size);
	session(b, size);
	catalog(b, size);
	connect_ca(b, size);
	freshness(b, size);
	history(b, size);
	return 0;
}
