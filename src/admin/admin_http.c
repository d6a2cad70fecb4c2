/*
 * The admin HTTP endpoints, Patroni style, for load balancers and
 * orchestrators:
 *
 *	/leader		200 on the leader, else 503
 *	/replica	200 on a caught-up follower (?lag=BYTES bounds its
 *			replication lag), else 503
 *	/health		200 while this manager and its server are up
 *	/status		JSON
 *	/metrics	Prometheus text
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "prom.h"

#define TEXT_PLAIN	"text/plain; charset=utf-8"
#define APP_JSON	"application/json"

/* Head and body in one buffer; HEAD gets the head only. */
static void
http_send(struct aclient *cl, int head_only, int status, const char *ctype,
    const char *body, size_t len)
{
	char	head[HTTP_HEAD_MAX], *out;
	int	n;

	if ((n = http_head(head, sizeof(head), status, ctype, len)) == -1 ||
	    (out = malloc((size_t)n + len)) == NULL) {
		admin_client_close(cl);
		return;
	}
	memcpy(out, head, (size_t)n);
	if (head_only)
		len = 0;
	else
		memcpy(out + n, body, len);
	admin_client_reply(cl, out, (size_t)n + len);
}

static void
http_text(struct aclient *cl, int head_only, int status, const char *text)
{
	http_send(cl, head_only, status, TEXT_PLAIN, text, strlen(text));
}

static int
replica_ok(const struct admin *ad, const char *query, int *bad)
{
	char		 v[32], *end;
	double		 lag;
	unsigned long long max;

	*bad = 0;
	if (!ad->role_set || ad->role.role != ROLE_FOLLOWER || !ad->srv_set ||
	    !server_caught_up(ad->srv.up, ad->srv.leader, ad->srv.caught_up))
		return 0;
	switch (http_query_get(query, "lag", v, sizeof(v))) {
	case 0:
		return 1;
	case 1:
		max = strtoull(v, &end, 10);
		if (v[0] != '\0' && *end == '\0')
			break;
		/* FALLTHROUGH */
	default:
		*bad = 1;
		return 0;
	}
	lag = admin_figure(ad, "replication_lag_bytes", 0);
	return lag <= (double)max;
}

static void
http_metrics(struct aclient *cl, int head_only)
{
	struct admin		*ad = cl->ad;
	const struct metric_set	*sets[PROC_MAX];
	struct prom_info	 info;
	char			*text;
	size_t			 len, n;

	n = admin_sets(ad, sets);
	info.id = ad->cfg->id;
	info.role = admin_role_name(ad);
	info.kind = ad->cfg->server_kind == SERVER_REDIS ? "redis" : "tile38";
	info.version = PACKAGE_VERSION;
	if ((text = prom_render(sets, n, &info, &len)) == NULL) {
		http_text(cl, head_only, 500, "out of memory\n");
		return;
	}
	http_send(cl, head_only, 200, PROM_CONTENT_TYPE, text, len);
	free(text);
}

void
admin_http_input(struct aclient *cl)
{
	struct admin	*ad = cl->ad;
	struct http_req	 req;
	char		*json;
	size_t		 len;
	int		 status, rv, head_only, bad;

	if ((rv = http_req_parse(cl->in, cl->inlen, &req, &status)) == 0) {
		if (cl->inlen >= HTTP_REQ_MAX)
			http_text(cl, 0, 431, "request too large\n");
		return;
	}
	if (rv == -1) {
		http_text(cl, 0, status, "bad request\n");
		return;
	}
	head_only = strcmp(req.method, "HEAD") == 0;
	if (strcmp(req.path, "/leader") == 0)
		http_text(cl, head_only, ad->role_set &&
		    ad->role.role == ROLE_LEADER ? 200 : 503,
		    admin_role_name(ad));
	else if (strcmp(req.path, "/replica") == 0) {
		rv = replica_ok(ad, req.query, &bad);
		if (bad)
			http_text(cl, head_only, 400, "lag takes a number of "
			    "bytes\n");
		else
			http_text(cl, head_only, rv ? 200 : 503,
			    admin_role_name(ad));
	} else if (strcmp(req.path, "/health") == 0)
		http_text(cl, head_only, ad->srv_set && ad->srv.up ? 200 :
		    503, ad->srv_set && ad->srv.up ? "up\n" :
		    "server down\n");
	else if (strcmp(req.path, "/status") == 0) {
		if ((json = admin_status_json(ad, &len)) == NULL)
			http_text(cl, head_only, 500, "out of memory\n");
		else
			http_send(cl, head_only, 200, APP_JSON, json, len);
		free(json);
	} else if (strcmp(req.path, "/metrics") == 0)
		http_metrics(cl, head_only);
	else
		http_text(cl, head_only, 404, "not found\n");
}
