/*
 * The manager's own service, tile38-cluster-manager-<id>, with a TTL
 * check, and the Consul session tied to it.
 *
 * The session lists serfHealth and that check, so it is invalidated when
 * the node's agent fails or when this elector stops refreshing the check
 * (a crash, a hang, a cut from the agent): far sooner than the session
 * TTL, which stays as the backstop.  A session handed back by the
 * supervisor after an elector crash is reused when Consul still knows it,
 * so a crash does not cost the leadership.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "election.h"
#include "log.h"

static void	session_check_register(struct elector *);
static void	session_create(struct elector *);

static void
session_announce(struct elector *e)
{
	struct msg_session	m;

	m.id = e->session != NULL ? e->session : "";
	proto_send_session(e->child->chan, &m);
}

static void
session_check_pass_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	/* An agent that restarted without its state has forgotten the check. */
	if (watch_check_passed(w, r, "manager check refresh"))
		return;
	if (r->status != 0) {
		/* The agent lost the check; the session may be gone too. */
		e->check_ok = 0;
		if (e->session != NULL)
			ev_timer_start(e->loop, &e->renew_timer, 0);
	}
	watch_retry(w, 100, e->cfg->election_check_ttl / 3);
}

static void
session_check_register_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	if (r->status != 200) {
		elector_call_failed("manager check registration", r);
		watch_retry(w, 250, 2000);
		return;
	}
	log_debug("manager service with check %s registered", e->check_id);
	w->backoff = 0;
	e->check_ok = 1;
	ev_timer_start(e->loop, &w->retry, e->cfg->election_check_ttl / 3);
	if (e->session == NULL && e->sess.req == NULL &&
	    !ev_timer_pending(&e->sess.retry))
		session_create(e);
}

/* The check's one timer: register while unknown, refresh once known. */
static void
session_check_tick(void *arg)
{
	struct watch	*w = arg;
	struct elector	*e = w->e;
	char		 path[512], *id;

	if (w->req != NULL || e->closed != NULL)
		return;
	if (!e->check_ok) {
		session_check_register(e);
		return;
	}
	if ((id = consul_escape(e->check_id)) == NULL)
		fatal("escape");
	snprintf(path, sizeof(path), "/v1/agent/check/pass/%s", id);
	free(id);
	watch_call(w, "PUT", path, NULL, CALL_TIMEOUT_MS,
	    session_check_pass_cb);
}

static void
session_check_register(struct elector *e)
{
	char	*body;

	body = consul_manager_body(e->cfg->id, e->check_id,
	    e->cfg->election_check_ttl);
	if (body == NULL)
		fatal("check body");
	watch_call(&e->check, "PUT", "/v1/agent/service/register", body,
	    CALL_TIMEOUT_MS, session_check_register_cb);
	free(body);
}

static void
session_renew_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	if (r->status == 404) {
		session_lost(e);
		return;
	}
	if (r->status != 200)
		elector_call_failed("session renewal", r);
	ev_timer_start(e->loop, &e->renew_timer,
	    r->status == 200 ? e->cfg->election_session_ttl / 2 : 1000);
}

static void
session_renew(void *arg)
{
	struct elector	*e = arg;
	char		 path[512];

	if (e->session == NULL)
		return;
	if (e->sess.req != NULL) {
		ev_timer_start(e->loop, &e->renew_timer, 1000);
		return;
	}
	snprintf(path, sizeof(path), "/v1/session/renew/%s", e->session);
	watch_call(&e->sess, "PUT", path, NULL, CALL_TIMEOUT_MS,
	    session_renew_cb);
}

static void
session_have(struct elector *e, char *id)
{
	free(e->session);
	e->session = id;
	e->sess.backoff = 0;
	session_announce(e);
	ev_timer_start(e->loop, &e->renew_timer,
	    e->cfg->election_session_ttl / 2);
	election_session_ready(e);
}

static void
session_create_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	char		 err[256], *id;

	if (r->status != 200) {
		elector_call_failed("session creation", r);
		watch_retry(w, 250, 2000);
		return;
	}
	if (consul_parse_session_create(r->body, r->len, &id, err,
	    sizeof(err)) == -1) {
		log_warnx("session creation: %s", err);
		watch_retry(w, 250, 2000);
		return;
	}
	log_info("Consul session %s created", id);
	e->session_resumed = 0;
	session_have(e, id);
}

static void
session_info_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	char		 err[256], *id = e->replayed;
	int		 found = 0;

	if (r->status != 200 || consul_parse_session_info(r->body, r->len,
	    id, &found, err, sizeof(err)) == -1) {
		if (r->status == 200)
			log_warnx("session info: %s", err);
		else
			elector_call_failed("session info", r);
		watch_retry(w, 250, 2000);
		return;
	}
	e->replayed = NULL;
	if (!found) {
		log_info("Consul session %s is gone; creating a new one", id);
		free(id);
		session_create(e);
		return;
	}
	log_info("Consul session %s resumed", id);
	e->session_resumed = 1;
	session_have(e, id);
}

static void
session_create(struct elector *e)
{
	const char	*checks[2];
	char		 path[512], name[300], *body;

	if (e->replayed != NULL) {
		snprintf(path, sizeof(path), "/v1/session/info/%s",
		    e->replayed);
		watch_call(&e->sess, "GET", path, NULL, CALL_TIMEOUT_MS,
		    session_info_cb);
		return;
	}
	if (!e->check_ok)
		return;		/* registering the check comes first */
	checks[0] = e->check_id;
	checks[1] = NULL;
	snprintf(name, sizeof(name), "tile38-cluster-manager %s", e->cfg->id);
	body = consul_session_body(name, e->cfg->election_session_ttl,
	    e->cfg->election_lock_delay, checks);
	if (body == NULL)
		fatal("session body");
	watch_call(&e->sess, "PUT", "/v1/session/create", body,
	    CALL_TIMEOUT_MS, session_create_cb);
	free(body);
}

static void
session_retry(void *arg)
{
	struct watch	*w = arg;

	if (w->req == NULL && w->e->session == NULL && w->e->closed == NULL)
		session_create(w->e);
}

void
session_lost(struct elector *e)
{
	log_warnx("Consul session %s is gone", e->session);
	free(e->session);
	e->session = NULL;
	ev_timer_stop(e->loop, &e->renew_timer);
	session_announce(e);
	election_session_lost(e);
	/* The check may be gone as well (agent restart): verify it first. */
	e->check_ok = 0;
	ev_timer_stop(e->loop, &e->check.retry);
	if (e->check.req == NULL)
		session_check_register(e);
}

void
session_start(struct elector *e)
{
	snprintf(e->check_id, sizeof(e->check_id),
	    "tile38-cluster-manager-%s-ttl", e->cfg->id);
	watch_init(&e->check, e, 0, session_check_tick);
	watch_init(&e->sess, e, 0, session_retry);
	ev_timer_init(&e->renew_timer, session_renew, e);
	session_check_register(e);
	/* A replayed session is checked at once, before the check is back. */
	if (e->replayed != NULL)
		session_create(e);
}

static void
session_closed_check_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;

	if (r->status != 200)
		elector_call_failed("manager service deregistration", r);
	e->closed(e);
}

static void
session_destroy_cb(const struct consul_resp *r, void *arg)
{
	struct watch	*w = watch_done(arg);
	struct elector	*e = w->e;
	char		 path[512], *id;

	if (r->status != 200)
		elector_call_failed("session destruction", r);
	else if (e->session != NULL)
		log_info("Consul session %s destroyed", e->session);
	free(e->session);
	e->session = NULL;
	session_announce(e);
	snprintf(path, sizeof(path), "tile38-cluster-manager-%s", e->cfg->id);
	if ((id = consul_escape(path)) == NULL)
		fatal("escape");
	snprintf(path, sizeof(path), "/v1/agent/service/deregister/%s", id);
	free(id);
	watch_call(&e->check, "PUT", path, NULL, CALL_TIMEOUT_MS,
	    session_closed_check_cb);
}

void
session_close(struct elector *e, void (*done)(struct elector *))
{
	char	path[512];

	e->closed = done;
	watch_cancel(&e->check);
	watch_cancel(&e->sess);
	ev_timer_stop(e->loop, &e->renew_timer);
	if (e->session == NULL) {
		session_destroy_cb(&(struct consul_resp){ .status = 200,
		    .body = "" }, &e->sess);
		return;
	}
	snprintf(path, sizeof(path), "/v1/session/destroy/%s", e->session);
	watch_call(&e->sess, "PUT", path, NULL, CALL_TIMEOUT_MS,
	    session_destroy_cb);
}

void
session_stop(struct elector *e)
{
	watch_cancel(&e->check);
	watch_cancel(&e->sess);
	ev_timer_stop(e->loop, &e->renew_timer);
	free(e->session);
	e->session = NULL;
}
