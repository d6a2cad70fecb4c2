/*
 * An asynchronous client of the local Consul agent: libcurl's multi-socket
 * interface driven by the process's event loop, so the elector never
 * blocks.  Blocking queries are ordinary requests with a long timeout.
 */
#ifndef CONSUL_HTTP_H
#define CONSUL_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct consul;
struct consul_req;

struct consul_opts {
	const char	*addr;		/* "host:port" or "[v6]:port" */
	int		 ssl;		/* https */
	const char	*token;		/* X-Consul-Token; "" or NULL for none */
	const char	*cacert;	/* PEM text, "" or NULL for the system's */
	const char	*client_cert;	/* PEM text, or NULL */
	const char	*client_key;	/* PEM text, or NULL */
};

struct consul_resp {
	long		 status;	/* HTTP status; 0 when no answer */
	uint64_t	 index;		/* X-Consul-Index; 0 when absent */
	const char	*body;		/* NUL-terminated; "" when empty */
	size_t		 len;
	const char	*error;		/* why status is 0 (curl's text) */
	uint64_t	 elapsed_ms;
};

/* Called exactly once per request that was not cancelled. */
typedef void	(*consul_cb)(const struct consul_resp *, void *arg);

struct consul	*consul_new(struct ev_loop *, const struct consul_opts *);
/* Cancels every request in flight without calling back. */
void		 consul_free(struct consul *);
/* New address, token or TLS for requests started from now on. */
int		 consul_set_opts(struct consul *, const struct consul_opts *);

/*
 * Start a request.  path starts with "/v1/" and carries its query string;
 * body (or NULL) is sent with PUT and POST.  timeout_ms bounds the whole
 * request (for a blocking query: its wait plus a margin).  The callback
 * may start and cancel requests, and free the client.
 */
struct consul_req *consul_call(struct consul *, const char *method,
		    const char *path, const char *body, uint64_t timeout_ms,
		    consul_cb, void *arg);
/* Abandon a request: its callback is never called.  NULL is ignored. */
void		 consul_cancel(struct consul *, struct consul_req *);
/* Requests in flight. */
size_t		 consul_pending(const struct consul *);

/* Percent-encode s for a path segment or query value (malloc'd). */
char		*consul_escape(const char *s);

#endif
