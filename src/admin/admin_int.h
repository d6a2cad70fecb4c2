/*
 * The admin process's state, shared by its files:
 *
 *	admin.c		process frame, clients, DogStatsD
 *	admin_state.c	what the supervisor forwards; /status as JSON
 *	admin_http.c	the admin HTTP endpoints
 *	admin_ctl.c	the control socket of tile38-clusterctl
 */
#ifndef ADMIN_INT_H
#define ADMIN_INT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "http_req.h"
#include "imsg.h"
#include "metrics.h"
#include "proto.h"
#include "svc.h"

/*
 * Two pools, so that HTTP clients can never keep tile38-clusterctl out.
 * Control: a command is one short exchange (a switchover holds its
 * client for two handover timeouts at most), so 16 at once is far more
 * than operators run; as many again are taken only to be answered
 * "busy", a word of why rather than a closed socket.
 * HTTP: 64 in all and 16 from one address, a load balancer's or a
 * scraper's few requests at once with room to spare.  An address at its
 * share, or a full pool, makes room by closing its oldest connection, so
 * idle connections cannot keep /health from answering.
 */
#define ADMIN_CTL_CLIENTS_MAX	16
#define ADMIN_CTL_BUSY_MAX	16
#define ADMIN_HTTP_CLIENTS_MAX	64
#define ADMIN_HTTP_ADDR_MAX	16
#define ADMIN_CTL_LINE_MAX	256

struct admin;

/* A listening socket: admin HTTP or the control socket. */
struct alistener {
	struct admin		*ad;
	int			 fd;		/* -1 none */
	int			 control;
	struct ev_io		 io;
	struct ev_timer		 pause;		/* accept() starved: resume */
	uint64_t		 pause_ms;	/* of the next; 0: shortest */
	uint64_t		 starved_at;	/* ev_now() of the first */
};

struct aclient {
	struct admin		*ad;
	int			 fd;
	int			 control;	/* control socket, not HTTP */
	int			 busy;		/* over the pool: to be refused */
	char			 addr[INET6_ADDRSTRLEN]; /* HTTP peer */
	int			 may_change;	/* root or the daemon's user */
	unsigned int		 uid;		/* of the control client */
	struct ev_io		 io;
	struct ev_timer		 timer;
	char			 in[HTTP_REQ_MAX + 1];
	size_t			 inlen;
	char			*out;
	size_t			 outlen;
	size_t			 outoff;
	int			 waiting;	/* for the supervisor's answer */
	int			 data;		/* the answer is a JSON object */
	uint32_t		 req;
	TAILQ_ENTRY(aclient)	 entry;
};

struct admin {
	struct ev_loop		*loop;
	const struct config	*cfg;
	int			 started;
	uid_t			 uid;		/* the daemon's user */

	struct alistener	 http;
	struct alistener	 ctl;
	TAILQ_HEAD(, aclient)	 clients;	/* oldest first */
	size_t			 nclients;
	uint32_t		 next_req;
	struct child		*child;

	char			 laddr[PROC_MAX][64];	/* every listener */
	uint32_t		 lport[PROC_MAX];

	/* admin_state.c */
	struct msg_role		 role;
	int			 role_set;
	struct msg_peers	 peers[SVC_MAX];	/* by enum svc */
	struct msg_server_state	 srv;
	int			 srv_set;
	struct metric_set	*sets[PROC_MAX];	/* by sender */

	int			 dsd_fd;	/* one of dsd_sock, or -1 */
	int			 dsd_sock[2];	/* AF_INET, AF_INET6 */
	struct sockaddr_storage	 dsd_addr;
	socklen_t		 dsd_addrlen;
	struct dsd		*dsd;
	struct ev_timer		 dsd_timer;
	int			 dsd_flushed;	/* once: restarted or not */
};

/* admin.c */
void	admin_client_close(struct aclient *);
/* Wait for the supervisor's answer to the client's request. */
void	admin_client_wait(struct aclient *);
void	admin_client_reply(struct aclient *, char *out, size_t len);
/* Like admin_client_reply(), for a step of a request still under way. */
void	admin_client_note(struct aclient *, char *out, size_t len);
void	admin_dsd_event(struct admin *, const char *title, const char *text);

/* admin_state.c */
struct child;
void	admin_dispatch(struct child *, struct imsg *);
void	admin_state_free(struct admin *);
size_t	admin_sets(const struct admin *, const struct metric_set **);
const char *admin_role_name(const struct admin *);
double	admin_figure(const struct admin *, const char *name, double dflt);
struct json_object;
/* o as one line of JSON text and a newline, malloc'd; o is released */
char	*admin_json_text(struct json_object *o, size_t *lenp);
/* malloc'd JSON text of /status, or of the peers */
char	*admin_status_json(const struct admin *, size_t *lenp);
char	*admin_peers_json(const struct admin *, size_t *lenp);

/* admin_http.c */
void	admin_http_input(struct aclient *);

/* admin_ctl.c */
int	admin_ctl_peer(struct aclient *);
void	admin_ctl_input(struct aclient *);
void	admin_ctl_result(struct admin *, uint32_t req, const void *data,
	    size_t len);
/* A step of request req: one {"progress":true,"text":...} line. */
void	admin_ctl_note(struct admin *, uint32_t req, const void *data,
	    size_t len);

#endif
