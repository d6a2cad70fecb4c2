/*
 * Decoding the agent's answers about the service mesh: discovery
 * (health of the Connect services), the CA roots, this node's leaf
 * certificates, authorization, and the agent's own datacenter and node
 * (which the peers' SPIFFE URIs name).  Apart from consul_api.c, which
 * holds the checked JSON accessors and the KV and session answers, so
 * that each stays one topic; the same rules hold here: every field is
 * checked for its type, and a decoder that fails leaves its outputs
 * empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "consul_api.h"
#include "consul_api_int.h"
#include "log.h"
#include "rfc3339.h"

void
consul_instances_clear(struct consul_instances *is)
{
	size_t	i;

	for (i = 0; i < is->n; i++) {
		free(is->v[i].id);
		free(is->v[i].service_id);
		free(is->v[i].service);
		free(is->v[i].address);
	}
	free(is->v);
	is->v = NULL;
	is->n = 0;
}

/* Every check passing; an instance with no checks counts as passing. */
static int
health_checks(struct json_object *e, const char *ctx, int *passing,
    char *err, size_t errlen)
{
	struct json_object	*checks, *c, *st;
	char			 cctx[96];
	size_t			 i, n;

	*passing = 1;
	if (get_field(e, ctx, "Checks", json_type_array, 1, &checks, err,
	    errlen) == -1)
		return -1;
	if (checks == NULL)
		return 0;
	n = json_object_array_length(checks);
	for (i = 0; i < n; i++) {
		snprintf(cctx, sizeof(cctx), "%s.Checks[%zu]", ctx, i);
		c = json_object_array_get_idx(checks, i);
		if (want_type(c, json_type_object, cctx, "check", err,
		    errlen) == -1 ||
		    get_field(c, cctx, "Status", json_type_string, 0, &st, err,
		    errlen) == -1)
			return -1;
		if (json_object_get_string_len(st) != 7 ||
		    strcmp(json_object_get_string(st), "passing") != 0)
			*passing = 0;
	}
	return 0;
}

/*
 * One element of the health answer into in; *skip is set for an
 * instance without Meta.id, whose other fields are then not looked at.
 */
static int
health_instance(struct json_object *e, size_t idx, struct consul_instance *in,
    int *skip, char *err, size_t errlen)
{
	struct json_object	*svc, *meta, *node;
	char			 ctx[64], sctx[80], mctx[96], nctx[80];
	int64_t			 port;

	*skip = 0;
	snprintf(ctx, sizeof(ctx), "health[%zu]", idx);
	snprintf(sctx, sizeof(sctx), "%s.Service", ctx);
	snprintf(mctx, sizeof(mctx), "%s.Meta", sctx);
	snprintf(nctx, sizeof(nctx), "%s.Node", ctx);
	if (want_type(e, json_type_object, ctx, "entry", err,
	    errlen) == -1 ||
	    get_field(e, ctx, "Service", json_type_object, 0, &svc, err,
	    errlen) == -1 ||
	    get_field(svc, sctx, "Meta", json_type_object, 1, &meta, err,
	    errlen) == -1)
		return -1;
	if (meta != NULL && str_field(meta, mctx, "id", F_OPTIONAL, &in->id,
	    err, errlen) == -1)
		return -1;
	if (in->id == NULL || in->id[0] == '\0') {
		free(in->id);
		in->id = NULL;
		*skip = 1;
		return 0;
	}
	if (str_field(svc, sctx, "ID", F_NONEMPTY, &in->service_id, err,
	    errlen) == -1 ||
	    str_field(svc, sctx, "Service", F_NONEMPTY, &in->service, err,
	    errlen) == -1 ||
	    str_field(svc, sctx, "Address", 0, &in->address, err,
	    errlen) == -1 ||
	    int_field(svc, sctx, "Port", 1, UINT16_MAX, &port, err,
	    errlen) == -1)
		return -1;
	in->port = (uint16_t)port;
	/* A service registered without an address lives at its node's. */
	if (in->address[0] == '\0') {
		free(in->address);
		in->address = NULL;
		if (get_field(e, ctx, "Node", json_type_object, 0, &node, err,
		    errlen) == -1 ||
		    str_field(node, nctx, "Address", F_NONEMPTY, &in->address,
		    err, errlen) == -1)
			return -1;
	}
	return health_checks(e, ctx, &in->passing, err, errlen);
}

int
consul_parse_health(const char *body, size_t len,
    struct consul_instances *is, char *err, size_t errlen)
{
	struct json_object	*root;
	struct consul_instance	*in;
	size_t			 i, n;
	int			 skip;

	memset(is, 0, sizeof(*is));
	if (json_parse_array(body, len, "health", &root, &n, (void **)&is->v,
	    sizeof(*is->v), err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		in = &is->v[is->n];
		/* Counted first so that clear() frees a half-filled one. */
		is->n++;
		if (health_instance(json_object_array_get_idx(root, i), i, in,
		    &skip, err, errlen) == -1)
			goto fail;
		if (skip)
			is->n--;
	}
	if (is->n == 0) {
		free(is->v);
		is->v = NULL;
	}
	json_object_put(root);
	return 0;
 fail:
	json_object_put(root);
	consul_instances_clear(is);
	return -1;
}

void
consul_roots_clear(struct consul_roots *r)
{
	free(r->trust_domain);
	free(r->active_id);
	free(r->pem);
	memset(r, 0, sizeof(*r));
}

/* Append one certificate to the bundle, ending it with a newline. */
static int
pem_append(char **pem, size_t *len, const char *cert)
{
	size_t	 n = strlen(cert), nl;
	char	*p;

	nl = cert[n - 1] != '\n';
	if ((p = realloc(*pem, *len + n + nl + 1)) == NULL)
		return -1;
	memcpy(p + *len, cert, n);
	*len += n;
	if (nl)
		p[(*len)++] = '\n';
	p[*len] = '\0';
	*pem = p;
	return 0;
}

/* One element of Roots: its certificates into the bundle. */
static int
roots_one(struct json_object *e, const char *ctx, char **pem, size_t *len,
    int *active, char **id, char *err, size_t errlen)
{
	struct json_object	*ints;
	char			*cert = NULL, ictx[128];
	size_t			 i, n;

	*id = NULL;
	if (want_type(e, json_type_object, ctx, "root", err, errlen) == -1 ||
	    bool_field(e, ctx, "Active", 0, active, err, errlen) == -1 ||
	    str_field(e, ctx, "ID", F_NONEMPTY, id, err, errlen) == -1 ||
	    str_field(e, ctx, "RootCert", F_NONEMPTY, &cert, err,
	    errlen) == -1 ||
	    get_field(e, ctx, "IntermediateCerts", json_type_array, 1, &ints,
	    err, errlen) == -1)
		goto fail;
	if (pem_append(pem, len, cert) == -1)
		goto oom;
	free(cert);
	cert = NULL;
	n = ints != NULL ? json_object_array_length(ints) : 0;
	for (i = 0; i < n; i++) {
		snprintf(ictx, sizeof(ictx), "%s.IntermediateCerts[%zu]", ctx,
		    i);
		if (str_value(json_object_array_get_idx(ints, i), ictx,
		    "certificate", F_NONEMPTY, &cert, err, errlen) == -1)
			goto fail;
		if (pem_append(pem, len, cert) == -1)
			goto oom;
		free(cert);
		cert = NULL;
	}
	return 0;
 oom:
	seterr(err, errlen, "%s: out of memory", ctx);
 fail:
	free(cert);
	free(*id);
	*id = NULL;
	return -1;
}

int
consul_parse_roots(const char *body, size_t len, struct consul_roots *r,
    char *err, size_t errlen)
{
	struct json_object	*root, *roots;
	char			*id, *want = NULL, ctx[64];
	size_t			 i, n, pemlen = 0;
	int			 active;

	memset(r, 0, sizeof(*r));
	if (json_parse(body, len, "roots", &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_object, "roots", "body", err,
	    errlen) == -1 ||
	    str_field(root, "roots", "TrustDomain", F_NONEMPTY,
	    &r->trust_domain, err, errlen) == -1 ||
	    str_field(root, "roots", "ActiveRootID", F_NONEMPTY, &want, err,
	    errlen) == -1 ||
	    get_field(root, "roots", "Roots", json_type_array, 0, &roots, err,
	    errlen) == -1)
		goto fail;
	n = json_object_array_length(roots);
	for (i = 0; i < n; i++) {
		snprintf(ctx, sizeof(ctx), "roots.Roots[%zu]", i);
		if (roots_one(json_object_array_get_idx(roots, i), ctx,
		    &r->pem, &pemlen, &active, &id, err, errlen) == -1)
			goto fail;
		if (!active) {
			free(id);
			continue;
		}
		/* Two active roots would leave us guessing which signs. */
		if (r->active_id != NULL) {
			free(id);
			seterr(err, errlen, "roots: more than one active root");
			goto fail;
		}
		r->active_id = id;
	}
	if (r->active_id == NULL) {
		seterr(err, errlen, "roots: no active root");
		goto fail;
	}
	if (strcmp(r->active_id, want) != 0) {
		seterr(err, errlen, "roots: \"ActiveRootID\" names an "
		    "inactive or unknown root");
		goto fail;
	}
	free(want);
	json_object_put(root);
	return 0;
 fail:
	free(want);
	json_object_put(root);
	consul_roots_clear(r);
	return -1;
}

void
consul_leaf_clear(struct consul_leaf *l)
{
	free(l->cert_pem);
	if (l->key_pem != NULL)
		explicit_bzero(l->key_pem, strlen(l->key_pem));
	free(l->key_pem);
	free(l->service);
	free(l->service_uri);
	free(l->serial);
	memset(l, 0, sizeof(*l));
}

static int
time_field(struct json_object *obj, const char *ctx, const char *key,
    int64_t *out, char *err, size_t errlen)
{
	char	*s;
	int	 rc;

	if (str_field(obj, ctx, key, 0, &s, err, errlen) == -1)
		return -1;
	if ((rc = rfc3339_parse(s, out)) == -1)
		seterr(err, errlen, "%s: \"%s\" is not an RFC 3339 time", ctx,
		    key);
	free(s);
	return rc;
}

int
consul_parse_leaf(const char *body, size_t len, struct consul_leaf *l,
    char *err, size_t errlen)
{
	struct json_object	*root;

	memset(l, 0, sizeof(*l));
	if (json_parse(body, len, "leaf", &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_object, "leaf", "body", err,
	    errlen) == -1 ||
	    str_field(root, "leaf", "CertPEM", F_NONEMPTY, &l->cert_pem, err,
	    errlen) == -1 ||
	    str_field(root, "leaf", "PrivateKeyPEM", F_NONEMPTY, &l->key_pem,
	    err, errlen) == -1 ||
	    str_field(root, "leaf", "Service", F_NONEMPTY, &l->service, err,
	    errlen) == -1 ||
	    str_field(root, "leaf", "ServiceURI", F_NONEMPTY, &l->service_uri,
	    err, errlen) == -1 ||
	    str_field(root, "leaf", "SerialNumber", F_NONEMPTY, &l->serial,
	    err, errlen) == -1 ||
	    time_field(root, "leaf", "ValidAfter", &l->valid_after, err,
	    errlen) == -1 ||
	    time_field(root, "leaf", "ValidBefore", &l->valid_before, err,
	    errlen) == -1)
		goto fail;
	/* The refresh timer is computed from these; keep it sane. */
	if (l->valid_before <= l->valid_after) {
		seterr(err, errlen, "leaf: \"ValidBefore\" is not after "
		    "\"ValidAfter\"");
		goto fail;
	}
	json_object_put(root);
	return 0;
 fail:
	json_object_put(root);
	consul_leaf_clear(l);
	return -1;
}

int
consul_parse_authorize(const char *body, size_t len, int *authorized,
    char **reason, char *err, size_t errlen)
{
	struct json_object	*root;
	char			*why = NULL;

	*authorized = 0;
	if (reason != NULL)
		*reason = NULL;
	if (json_parse(body, len, "authorize", &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_object, "authorize", "body", err,
	    errlen) == -1 ||
	    bool_field(root, "authorize", "Authorized", 0, authorized, err,
	    errlen) == -1 ||
	    str_field(root, "authorize", "Reason", F_OPTIONAL, &why, err,
	    errlen) == -1)
		goto fail;
	if (why == NULL && (why = strdup("")) == NULL) {
		seterr(err, errlen, "authorize: out of memory");
		goto fail;
	}
	if (reason != NULL)
		*reason = why;
	else
		free(why);
	json_object_put(root);
	return 0;
 fail:
	/* A half-read answer must not be taken for a grant. */
	*authorized = 0;
	free(why);
	json_object_put(root);
	return -1;
}

int
consul_parse_self(const char *body, size_t len, char **datacenter,
    char **node, char *err, size_t errlen)
{
	struct json_object	*root, *cfg;

	*datacenter = NULL;
	*node = NULL;
	if (json_parse(body, len, "self", &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_object, "self", "body", err,
	    errlen) == -1 ||
	    get_field(root, "self", "Config", json_type_object, 0, &cfg, err,
	    errlen) == -1 ||
	    str_field(cfg, "self.Config", "Datacenter", F_NONEMPTY,
	    datacenter, err, errlen) == -1 ||
	    str_field(cfg, "self.Config", "NodeName", F_NONEMPTY, node, err,
	    errlen) == -1)
		goto fail;
	json_object_put(root);
	return 0;
 fail:
	json_object_put(root);
	free(*datacenter);
	free(*node);
	*datacenter = NULL;
	*node = NULL;
	return -1;
}
