/*
 * Watches (consul_watch.h): how every elector module starts a call in a
 * request slot, builds a blocking query's "index=&wait=" suffix, and
 * takes back a finished request.  The modules differ in what they ask
 * and what they do with the answer; the slot, the index after an answer
 * or a failure and a TTL check's refresh follow one rule, kept here so
 * that no module spells it its own way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "election.h"
#include "log.h"

void
watch_init(struct watch *w, struct elector *e, int which, ev_timer_cb retry)
{
	memset(w, 0, sizeof(*w));
	w->e = e;
	w->which = which;
	ev_timer_init(&w->retry, retry, w);
}

void
watch_cancel(struct watch *w)
{
	if (w->e == NULL)
		return;
	consul_cancel(w->e->consul, w->req);
	w->req = NULL;
	ev_timer_stop(w->e->loop, &w->retry);
}

void
watch_retry(struct watch *w, uint64_t min_ms, uint64_t max_ms)
{
	w->backoff = w->backoff == 0 ? min_ms : w->backoff * 2;
	if (w->backoff > max_ms)
		w->backoff = max_ms;
	ev_timer_start(w->e->loop, &w->retry, w->backoff);
}

void
watch_call(struct watch *w, const char *method, const char *path,
    const char *body, uint64_t timeout_ms, consul_cb cb)
{
	w->req = consul_call(w->e->consul, method, path, body, timeout_ms,
	    cb, w);
}

void
watch_get(struct watch *w, const char *path, consul_cb cb)
{
	char	*url;

	if (asprintf(&url, "%s%cindex=%llu&wait=%ds", path,
	    strchr(path, '?') != NULL ? '&' : '?',
	    (unsigned long long)w->index, WATCH_WAIT_S) == -1)
		fatal("watch");
	watch_call(w, "GET", url, NULL, WATCH_TIMEOUT_MS, cb);
	free(url);
}

void
watch_get_service(struct watch *w, const char *before, const char *after,
    consul_cb cb)
{
	char	*name, *path;

	if ((name = consul_escape(svc_name(w->e->cfg, w->which))) == NULL ||
	    asprintf(&path, "%s%s%s", before, name, after) == -1)
		fatal("watch");
	free(name);
	watch_get(w, path, cb);
	free(path);
}

struct watch *
watch_done(void *arg)
{
	struct watch	*w = arg;

	w->req = NULL;
	return w;
}

void
watch_advance(struct watch *w, const struct consul_resp *r)
{
	w->index = r->index < w->index ? 0 : r->index;
	w->backoff = 0;
}

void
watch_restart(struct watch *w, uint64_t min_ms, uint64_t max_ms)
{
	/* Maybe a restarted agent: its indexes start over too. */
	w->index = 0;
	watch_retry(w, min_ms, max_ms);
}

int
watch_check_passed(struct watch *w, const struct consul_resp *r,
    const char *what)
{
	struct elector	*e = w->e;

	if (r->status == 200) {
		w->backoff = 0;
		ev_timer_start(e->loop, &w->retry,
		    e->cfg->election_check_ttl / 3);
		return 1;
	}
	elector_call_failed(what, r);
	return 0;
}
