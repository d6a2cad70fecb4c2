/*
 * Inside the Consul client: one request, shared by the client
 * (consul_http.c: the multi handle, the loop, the callbacks) and the
 * building of its transfer (consul_req.c).
 */
#ifndef CONSUL_HTTP_INT_H
#define CONSUL_HTTP_INT_H

#include <sys/queue.h>

#include <curl/curl.h>
#include <stdint.h>

#include "consul_http.h"

enum req_state {
	REQ_ACTIVE,		/* in the multi handle */
	REQ_DONE,		/* out of it, waiting for its callback */
};

struct consul_req {
	TAILQ_ENTRY(consul_req)	 entry;
	struct consul		*c;
	enum req_state		 state;
	CURL			*easy;
	struct curl_slist	*headers;
	consul_cb		 cb;
	void			*arg;
	uint64_t		 start;		/* ev_now() at consul_call */
	uint64_t		 end;		/* ev_now() when curl finished */
	CURLcode		 result;
	const char		*why;		/* our own reason to fail it */
	uint64_t		 index;
	char			*buf;
	size_t			 len;
	size_t			 cap;
	char			 errbuf[CURL_ERROR_SIZE];
};


/* Private copies of the options: the caller's strings may go away. */
struct consul_conf {
	char		*base;		/* "http://host:port" */
	char		*tokhdr;	/* "X-Consul-Token: ..." or NULL */
	int		 ssl;
	char		*cacert;	/* NULL: the system's */
	char		*cert;
	char		*key;
};

/*
 * Set up r's easy handle for method path (body with PUT and POST) under
 * the client's options cf; -1 (logged) on failure.
 */
int	consul_req_setup(const struct consul_conf *cf, struct consul_req *r,
	    const char *method, const char *path, const char *body,
	    uint64_t timeout_ms);
/* The easy handle must be out of the multi handle already. */
void	consul_req_free(struct consul_req *);

#endif
