/*
 * The exact instance wins over any other of the same Meta.id, wherever
 * Consul lists it; among instances none of which is exact, the first
 * stays.  Quadratic in the instances of one service, which are a
 * handful.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_pick.h"

/* Service.ID == "<service>-<id>" */
static int
catalog_exact(const struct consul_instance *in, const char *service)
{
	size_t	n = strlen(service);

	return in->service_id != NULL && in->id != NULL &&
	    strncmp(in->service_id, service, n) == 0 &&
	    in->service_id[n] == '-' &&
	    strcmp(in->service_id + n + 1, in->id) == 0;
}

/* The index of the instance that stands for l->v[i]'s Meta.id. */
static size_t
catalog_chosen(const struct consul_instances *l, size_t i,
    const char *service)
{
	size_t	j, first = i;

	for (j = 0; j < l->n; j++) {
		if (strcmp(l->v[j].id, l->v[i].id) != 0)
			continue;
		if (catalog_exact(&l->v[j], service))
			return j;
		if (j < first)
			first = j;
	}
	return first;
}

static void
catalog_instance_free(struct consul_instance *in)
{
	free(in->id);
	free(in->service_id);
	free(in->service);
	free(in->address);
}

int
catalog_pick(struct consul_instances *l, const char *service)
{
	size_t	i, n = 0;
	char	*keep;
	int	 dropped;

	if (l->n == 0)
		return 0;
	/* Decided first, while every instance is still there to compare. */
	if ((keep = calloc(l->n, 1)) == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		keep[i] = catalog_chosen(l, i, service) == i;
	for (i = 0; i < l->n; i++) {
		if (keep[i])
			l->v[n++] = l->v[i];
		else
			catalog_instance_free(&l->v[i]);
	}
	free(keep);
	dropped = (int)(l->n - n);
	l->n = n;
	return dropped;
}
