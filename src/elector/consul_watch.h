/*
 * A watch: one request slot of the elector's against the Consul agent,
 * with the index of its blocking query, its retry timer and its own
 * capped backoff.  Every call the elector makes for itself goes through
 * one, so that "a request is in flight" is always w->req != NULL and
 * the index of a blocking query moves by one rule.
 */
#ifndef CONSUL_WATCH_H
#define CONSUL_WATCH_H

#include <stdint.h>

#include "consul_http.h"
#include "event.h"

struct elector;

struct watch {
	struct elector		*e;
	struct consul_req	*req;		/* NULL: none in flight */
	struct ev_timer		 retry;
	uint64_t		 index;		/* blocking query index */
	uint64_t		 backoff;	/* ms, 0 after a success */
	int			 which;		/* SVC_* where it applies */
};

/* The blocking-query wait and the request timeout that goes with it. */
#define WATCH_WAIT_S		30
#define WATCH_TIMEOUT_MS	((WATCH_WAIT_S + 2 + 5) * 1000)
/* A short call's timeout. */
#define CALL_TIMEOUT_MS		3000

/* Slots and their backoff. */
void	watch_init(struct watch *, struct elector *, int which,
	    ev_timer_cb retry);
void	watch_cancel(struct watch *);
/* Schedule the retry timer with capped exponential backoff. */
void	watch_retry(struct watch *, uint64_t min_ms, uint64_t max_ms);

/* Start a call in w's slot, w its callback's argument (w->req NULL: none). */
void	watch_call(struct watch *, const char *method, const char *path,
	    const char *body, uint64_t timeout_ms, consul_cb);
/* A blocking GET of path (query string or not) from w's index on. */
void	watch_get(struct watch *, const char *path, consul_cb);
/* The same of before<escaped name of the service w->which>after. */
void	watch_get_service(struct watch *, const char *before,
	    const char *after, consul_cb);

/*
 * The prologue of every callback of a watch: the slot is free again, so
 * the callback may start the next request.  Returns the watch (arg).
 */
struct watch *watch_done(void *arg);
/*
 * A blocking query answered: wait from its index next, or from 0 when
 * the index went backwards (a restarted agent), and forget the backoff.
 */
void	watch_advance(struct watch *, const struct consul_resp *);
/* It failed: ask again from index 0 after the backoff. */
void	watch_restart(struct watch *, uint64_t min_ms, uint64_t max_ms);

/*
 * A TTL check's refresh answered: 1 when it passed (the next refresh is
 * due in a third of the TTL), 0 when it failed (logged as what).
 */
int	watch_check_passed(struct watch *, const struct consul_resp *,
	    const char *what);

#endif
