/*
 * One instance per Meta.id: the exact "<service>-<id>" wins wherever it
 * is listed; an operator's own IDs keep the first, as before.
 */
#include <stdlib.h>
#include <string.h>

#include "elector/catalog_pick.h"
#include "suites.h"

#define MAXI	6

struct row {
	const char	*in[MAXI][3];	/* Meta.id, Service.ID, address */
	const char	*out[MAXI];	/* addresses kept, in order */
};

static void
fill(struct consul_instances *l, const struct row *r)
{
	size_t	i;

	memset(l, 0, sizeof(*l));
	ck_assert_ptr_nonnull(l->v = calloc(MAXI, sizeof(*l->v)));
	for (i = 0; i < MAXI && r->in[i][0] != NULL; i++) {
		ck_assert_ptr_nonnull(l->v[i].id = strdup(r->in[i][0]));
		ck_assert_ptr_nonnull(l->v[i].service_id =
		    strdup(r->in[i][1]));
		ck_assert_ptr_nonnull(l->v[i].service = strdup("tile38-writer"));
		ck_assert_ptr_nonnull(l->v[i].address = strdup(r->in[i][2]));
		l->v[i].port = 9851;
		l->v[i].passing = 1;
	}
	l->n = i;
}

START_TEST(test_table)
{
	static const struct row rows[] = {
		/* nothing to choose from */
		{ { { NULL } }, { NULL } },
		{ { { "n1", "tile38-writer-n1", "a1" } }, { "a1" } },
		/* a stale instance of n1 listed first: the exact one wins */
		{ { { "n1", "stale", "bad" },
		    { "n1", "tile38-writer-n1", "a1" },
		    { "n2", "tile38-writer-n2", "a2" } },
		  { "a1", "a2" } },
		/* ... and listed after it */
		{ { { "n1", "tile38-writer-n1", "a1" },
		    { "n1", "tile38-writer-n1-old", "bad" } },
		  { "a1" } },
		/* IDs that only look like it */
		{ { { "n1", "tile38-writer-n10", "bad" },
		    { "n1", "tile38-writer--n1", "bad" },
		    { "n1", "tile38-writern1", "bad" },
		    { "n1", "tile38-reader-n1", "bad" },
		    { "n1", "xtile38-writer-n1", "bad" },
		    { "n1", "tile38-writer-n1", "a1" } },
		  { "a1" } },
		/* an id with a dash in it */
		{ { { "n-1", "tile38-writer-n", "bad" },
		    { "n-1", "tile38-writer-n-1", "a1" } },
		  { "a1" } },
		/* no exact one (Nomad's own IDs): the first, as before */
		{ { { "n1", "_nomad-task-1", "a1" },
		    { "n2", "_nomad-task-2", "a2" },
		    { "n1", "_nomad-task-3", "a3" } },
		  { "a1", "a2" } },
		/* one node of each layout */
		{ { { "n1", "_nomad-task-1", "a1" },
		    { "n2", "other", "bad" },
		    { "n2", "tile38-writer-n2", "a2" },
		    { "n3", "tile38-writer-n3", "a3" } },
		  { "a1", "a2", "a3" } },
		/* the same exact ID twice (two nodes of the agent): first */
		{ { { "n1", "tile38-writer-n1", "a1" },
		    { "n1", "tile38-writer-n1", "a2" } },
		  { "a1" } },
	};
	struct consul_instances	 l;
	size_t			 i, k, want;
	int			 dropped;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fill(&l, &rows[i]);
		for (want = 0; want < MAXI && rows[i].out[want] != NULL;
		    want++)
			;
		dropped = catalog_pick(&l, "tile38-writer");
		ck_assert_msg(l.n == want, "row %zu: %zu kept, want %zu", i,
		    l.n, want);
		for (k = 0; k < MAXI && rows[i].in[k][0] != NULL; k++)
			;
		ck_assert_int_eq(dropped, (int)(k - want));
		for (k = 0; k < want; k++)
			ck_assert_msg(strcmp(l.v[k].address,
			    rows[i].out[k]) == 0, "row %zu: %s at %zu, want %s",
			    i, l.v[k].address, k, rows[i].out[k]);
		consul_instances_clear(&l);
	}
}
END_TEST

Suite *
catalog_pick_suite(void)
{
	Suite	*s = suite_create("catalog_pick");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	return s;
}
