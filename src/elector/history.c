/*
 * The leadership history at <prefix>/history (leader_history.h), for
 * tile38-clusterctl history.
 *
 * The node that takes the lock writes the entry, right after: it reads
 * the lock (consistently) for the epoch it took, reads the history and
 * writes it back with a check-and-set, so that two writers never lose
 * each other's entries; a conflict reads again.  The history is for
 * people: a write that keeps failing is given up after a few attempts,
 * logged once, and never touches the leadership.
 *
 * Why the lock changed hands is known only to whoever saw it free, so
 * the lock watch reports every observation here first
 * (history_lock_observed) and the free lock's kind and flags are kept
 * until this node takes the lock or another node does.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "election.h"
#include "leader_history.h"
#include "log.h"

/* Read, compare and write again at most this many times. */
#define HISTORY_ATTEMPTS	5

enum history_step {
	HISTORY_IDLE = 0,
	HISTORY_LOCK,		/* reading the lock for the epoch */
	HISTORY_READ,		/* reading the history */
	HISTORY_WRITE,		/* writing it back (cas) */
};

/* A tile38-clusterctl history request waiting for Consul. */
struct history_read {
	TAILQ_ENTRY(history_read)	 entry;
	struct elector			*e;
	struct consul_req		*req;
	uint32_t			 ctl_req;
};

struct history {
	/* The lock as last seen free, and the leader before. */
	int				 observed;	/* the watch answered */
	enum lock_free			 free_kind;
	uint64_t			 free_flags;
	char				*last_leader;

	/* The entry being written. */
	enum history_step		 step;
	struct watch			 w;
	enum lock_free			 kind;
	uint64_t			 flags;
	char				*previous;	/* NULL: unknown */
	int64_t				 time_ms;
	uint64_t			 epoch;
	int				 attempts;
	char				 why[256];	/* last failure */
	char				 what[256];	/* for the log */

	TAILQ_HEAD(, history_read)	 reads;
};

static void	history_lock_read(struct elector *);
static void	history_read(struct elector *);

static void
history_idle(struct history *h)
{
	watch_cancel(&h->w);
	h->step = HISTORY_IDLE;
	free(h->previous);
	h->previous = NULL;
}

static void
history_fail(struct elector *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Remember why, and try again a little later, a few times at most. */
static void
history_fail(struct elector *e, const char *fmt, ...)
{
	struct history	*h = e->history;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	if (++h->attempts >= HISTORY_ATTEMPTS) {
		log_warnx("history: epoch %llu not recorded after %d attempts:"
		    " %s", (unsigned long long)h->epoch, h->attempts, h->why);
		history_idle(h);
		return;
	}
	watch_retry(&h->w, 100, 1600);
}

static const char *
resp_why(const struct consul_resp *r, char *buf, size_t len)
{
	if (r->status == 0)
		snprintf(buf, len, "%s", r->error);
	else
		snprintf(buf, len, "HTTP %ld: %.120s", r->status, r->body);
	return buf;
}

static void
history_write_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	struct history	*h = e->history;
	char		 why[200];
	int		 ok;

	if (r->status != 200 || consul_parse_bool(r->body, r->len, &ok, why,
	    sizeof(why)) == -1) {
		history_fail(e, "write: %s", r->status != 200 ?
		    resp_why(r, why, sizeof(why)) : why);
		return;
	}
	if (!ok) {
		/* Somebody wrote in between: read again. */
		h->step = HISTORY_READ;
		history_fail(e, "the history kept changing under the write");
		return;
	}
	log_info("history: %s", h->what);
	history_idle(h);
}

/* The stored history (NULL: none) and its ModifyIndex: write it back. */
static void
history_write(struct elector *e, const char *old, size_t len, uint64_t cas)
{
	struct history		*h = e->history;
	struct history_entry	 ent;
	char			 query[64], *prev, *body, *path;
	int			 added, reset;

	prev = h->previous != NULL ? strdup(h->previous) :
	    history_newest_leader(old, len);
	memset(&ent, 0, sizeof(ent));
	ent.epoch = h->epoch;
	ent.time_ms = h->time_ms;
	ent.leader = e->cfg->id;
	ent.previous = prev;
	ent.reason = history_reason(h->kind, h->flags, prev != NULL);
	body = history_add(old, len, &ent, HISTORY_MAX, &added, &reset);
	if (body == NULL)
		fatal("history");
	if (reset)
		log_warnx("history: %s/history is not a history; starting it"
		    " over", e->cfg->consul_lock_prefix);
	snprintf(h->what, sizeof(h->what), "epoch %llu: %s took over from %s"
	    " (%s)", (unsigned long long)ent.epoch, ent.leader, prev != NULL ?
	    prev : "nobody", lock_reason_name(ent.reason));
	free(prev);
	if (!added) {
		free(body);
		history_idle(h);
		return;
	}
	snprintf(query, sizeof(query), "cas=%llu", (unsigned long long)cas);
	path = election_kv_path(e, "history", query);
	h->step = HISTORY_WRITE;
	watch_call(&h->w, "PUT", path, body, CALL_TIMEOUT_MS,
	    history_write_cb);
	free(path);
	free(body);
	if (h->w.req == NULL)
		history_fail(e, "write: no request");
}

static void
history_read_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct consul_kv	 kv;
	char			 why[200];

	if (r->status == 404) {
		/* cas=0: only if there is still none */
		history_write(e, NULL, 0, 0);
		return;
	}
	if (r->status != 200 || consul_parse_kv(r->body, r->len, &kv, why,
	    sizeof(why)) == -1) {
		history_fail(e, "read: %s", r->status != 200 ?
		    resp_why(r, why, sizeof(why)) : why);
		return;
	}
	history_write(e, (const char *)kv.value, kv.value != NULL ?
	    kv.value_len : 0, kv.modify_index);
	consul_kv_clear(&kv);
}

static void
history_read(struct elector *e)
{
	struct history	*h = e->history;
	char		*path;

	h->step = HISTORY_READ;
	path = election_kv_path(e, "history", NULL);
	watch_call(&h->w, "GET", path, NULL, CALL_TIMEOUT_MS,
	    history_read_cb);
	free(path);
	if (h->w.req == NULL)
		history_fail(e, "read: no request");
}

/* The epoch is the lock's ModifyIndex, which acquire's answer lacks. */
static void
history_lock_cb(const struct consul_resp *r, void *arg)
{
	struct watch		*w = watch_done(arg);
	struct elector		*e = w->e;
	struct history		*h = e->history;
	struct consul_kv	 kv;
	char			 why[200];
	int			 ours;

	if (r->status == 404) {
		log_debug("history: the lock is gone already; no entry");
		history_idle(h);
		return;
	}
	if (r->status != 200 || consul_parse_kv(r->body, r->len, &kv, why,
	    sizeof(why)) == -1) {
		history_fail(e, "lock read: %s", r->status != 200 ?
		    resp_why(r, why, sizeof(why)) : why);
		return;
	}
	ours = kv.session != NULL && e->session != NULL &&
	    strcmp(kv.session, e->session) == 0;
	h->epoch = kv.modify_index;
	consul_kv_clear(&kv);
	if (!ours) {
		log_debug("history: the lock is not ours any more; no entry");
		history_idle(h);
		return;
	}
	history_read(e);
}

static void
history_lock_read(struct elector *e)
{
	struct history	*h = e->history;
	char		*path;

	h->step = HISTORY_LOCK;
	path = election_kv_path(e, "leader", "consistent");
	watch_call(&h->w, "GET", path, NULL, CALL_TIMEOUT_MS,
	    history_lock_cb);
	free(path);
	if (h->w.req == NULL)
		history_fail(e, "lock read: no request");
}

static void
history_retry(void *arg)
{
	struct watch	*w = arg;
	struct history	*h = w->e->history;

	if (w->req != NULL)
		return;
	if (h->step == HISTORY_LOCK)
		history_lock_read(w->e);
	else if (h->step != HISTORY_IDLE)
		history_read(w->e);
}

void
history_lock_observed(struct elector *e, const struct consul_kv *kv)
{
	struct history	*h = e->history;

	if (h == NULL)
		return;
	h->observed = 1;
	/* e->leader_id is still the previous observation's. */
	if (e->leader_id != NULL && e->leader_id[0] != '\0') {
		free(h->last_leader);
		if ((h->last_leader = strdup(e->leader_id)) == NULL)
			fatal("history");
	}
	if (kv == NULL || kv->session == NULL) {
		h->free_kind = kv == NULL ? LOCK_FREE_ABSENT :
		    LOCK_FREE_PRESENT;
		h->free_flags = kv != NULL ? kv->flags : 0;
	} else if (e->session == NULL || strcmp(kv->session, e->session) != 0)
		h->free_kind = LOCK_FREE_NONE;	/* another node took it */
}

void
history_leader_taken(struct elector *e)
{
	struct history	*h = e->history;

	if (h == NULL)
		return;
	/*
	 * Taken before the lock watch's first answer (a node that starts
	 * with the lock free): it was free, and no key is the likelier.
	 * Not seen free otherwise: our own lock, resumed after an elector
	 * restart.
	 */
	if (!h->observed && !e->session_resumed)
		h->free_kind = LOCK_FREE_ABSENT;
	if (h->free_kind == LOCK_FREE_NONE)
		return;
	if (h->step != HISTORY_IDLE)
		log_warnx("history: epoch %llu not recorded: the leadership"
		    " changed again first", (unsigned long long)h->epoch);
	history_idle(h);
	h->kind = h->free_kind;
	h->flags = h->free_flags;
	h->free_kind = LOCK_FREE_NONE;
	if (h->last_leader != NULL &&
	    (h->previous = strdup(h->last_leader)) == NULL)
		fatal("history");
	h->time_ms = election_wall_ms();
	h->epoch = 0;
	h->attempts = 0;
	h->w.backoff = 0;
	history_lock_read(e);
}

static void
history_answer_cb(const struct consul_resp *r, void *arg)
{
	struct history_read	*rd = arg;
	struct elector		*e = rd->e;
	struct consul_kv	 kv;
	char			 why[256], resp[200], *text = NULL;

	rd->req = NULL;
	why[0] = '\0';
	TAILQ_REMOVE(&e->history->reads, rd, entry);
	if (r->status == 404)
		text = history_answer(NULL, 0, why, sizeof(why));
	else if (r->status != 200)
		snprintf(why, sizeof(why), "history: Consul: %s",
		    resp_why(r, resp, sizeof(resp)));
	else if (consul_parse_kv(r->body, r->len, &kv, why,
	    sizeof(why)) == 0) {
		text = history_answer((const char *)kv.value, kv.value != NULL ?
		    kv.value_len : 0, why, sizeof(why));
		consul_kv_clear(&kv);
	}
	if (text == NULL && why[0] == '\0')
		snprintf(why, sizeof(why), "history: out of memory");
	elector_ctl_answer(e, rd->ctl_req, text != NULL, text != NULL ? text :
	    why);
	free(text);
	free(rd);
}

void
history_ctl(struct elector *e, uint32_t req)
{
	struct history_read	*rd;
	char			*path;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		fatal("history");
	rd->e = e;
	rd->ctl_req = req;
	TAILQ_INSERT_TAIL(&e->history->reads, rd, entry);
	path = election_kv_path(e, "history", NULL);
	rd->req = consul_call(e->consul, "GET", path, NULL, CALL_TIMEOUT_MS,
	    history_answer_cb, rd);
	free(path);
	if (rd->req == NULL) {
		TAILQ_REMOVE(&e->history->reads, rd, entry);
		free(rd);
		elector_ctl_answer(e, req, 0, "history: no request to Consul");
	}
}

void
history_start(struct elector *e)
{
	struct history	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("history");
	TAILQ_INIT(&h->reads);
	e->history = h;
	watch_init(&h->w, e, 0, history_retry);
}

void
history_stop(struct elector *e)
{
	struct history		*h = e->history;
	struct history_read	*rd;

	if (h == NULL)
		return;
	history_idle(h);
	while ((rd = TAILQ_FIRST(&h->reads)) != NULL) {
		TAILQ_REMOVE(&h->reads, rd, entry);
		consul_cancel(e->consul, rd->req);
		free(rd);
	}
	free(h->last_leader);
	free(h);
	e->history = NULL;
}
