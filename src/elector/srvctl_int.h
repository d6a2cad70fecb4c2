/*
 * Inside the server control (srvctl.c, srvctl_apply.c): the object, the
 * commands in flight, and the few functions the two files call across.
 */
#ifndef SRVCTL_INT_H
#define SRVCTL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "srv_info.h"
#include "srvctl.h"

struct resp;

#define SC_BACKOFF_MIN_MS	100
#define SC_BACKOFF_MAX_MS	2000
/*
 * Tile38's FOLLOW dials the target synchronously (2 s timeout, then AUTH
 * and SERVER) and FLUSHDB/FLUSHALL take time on a large dataset: these
 * replies get this much longer than timeout_ms before the connection is
 * given up.
 */
#define SC_STEP_GRACE_MS	5000
/* Replies in flight: handshake, one probe, one step; room to spare. */
#define SC_PENDING		16
#define SC_MAX_STEPS		6
/* "host:port" as struct srv_state reports whom the server follows. */
#define SC_ADDRLEN		sizeof(((struct srv_state *)0)->following)

enum sc_op {
	OP_OUTPUT,
	OP_AUTH,
	OP_PROBE,
	OP_STEP,
	OP_SYNC_DELAY,		/* CONFIG GET repl-diskless-sync-delay */
	OP_SYNC_DELAY_SET,	/* CONFIG SET repl-diskless-sync-delay 0 */
};

enum sc_step {
	STEP_AUTHCFG,		/* CONFIG SET leaderauth|masterauth <pw> */
	STEP_UNFOLLOW,		/* FOLLOW no one | REPLICAOF NO ONE */
	STEP_WRITABLE,		/* READONLY no */
	STEP_READONLY,		/* READONLY yes */
	STEP_FLUSH,		/* FLUSHDB | FLUSHALL */
	STEP_FOLLOW,		/* FOLLOW h p | REPLICAOF h p */
	STEP_PAUSE,		/* Redis: CLIENT PAUSE <ms> WRITE */
	STEP_UNPAUSE,		/* Redis: CLIENT UNPAUSE */
};

/*
 * A Redis leader handing over holds its clients' writes (CLIENT PAUSE
 * WRITE) rather than becoming a replica: its replicas, even one in its
 * first full sync, go on taking everything it has, and its offset stands
 * still, so the handover can tell when one has caught up.  The pause is
 * renewed while it is wanted and runs out by itself if the manager is
 * gone; once leadership is over the server is fenced as a replica of
 * the bridge.  A server without the WRITE mode (before 6.2) is fenced so
 * at once.
 */
#define SC_PAUSE_MS		10000
#define SC_PAUSE_RENEW_MS	5000

struct sc_pending {
	enum sc_op	 op;
	enum sc_step	 step;
	uint32_t	 gen;		/* srvctl_want() call it serves */
};

enum sc_conn {
	SC_DOWN,
	SC_CONNECTING,
	SC_UP,
};

struct srvctl {
	struct ev_loop		*loop;
	srvctl_cb		 cb;
	void			*arg;

	int			 kind;
	char			*host;		/* or the UNIX socket's path */
	uint16_t		 port;		/* 0: host is a UNIX socket */
	char			 name[128];	/* for messages */
	char			*password;	/* NULL when none */
	uint64_t		 probe_ms;
	uint64_t		 timeout_ms;

	enum sc_conn		 conn;
	int			 fd;
	struct ev_io		 io;
	struct ev_timer		 t_retry;	/* connect again */
	struct ev_timer		 t_deadline;	/* connect or reply timeout */
	struct ev_timer		 t_probe;
	struct ev_timer		 t_notify;	/* runs the owner's callback */
	uint64_t		 backoff;
	char			 last_fail[128]; /* logged; "" once up */
	char			 auth_err[128];	/* logged */
	int			 auth_refused;	/* on this connection */
	int			 sync_delay_logged; /* its refusal, once */

	char			*wbuf;
	size_t			 wlen, woff, wcap;
	char			*rbuf;
	size_t			 rlen, rcap;
	struct sc_pending	 pend[SC_PENDING];
	size_t			 phead, pcount;
	int			 probing;

	/* What the owner wants. */
	enum srv_want		 want;
	char			 want_host[256];
	uint16_t		 want_port;
	char			 want_addr[SC_ADDRLEN];
	int			 fresh;		/* discard the dataset first */
	uint32_t		 gen;
	uint32_t		 logged_gen;

	/* The command sequence under way. */
	enum sc_step		 steps[SC_MAX_STEPS];
	size_t			 nsteps, curstep;
	int			 applying;
	uint64_t		 apply_at;	/* no new attempt before */
	uint64_t		 apply_backoff;

	/* Tile38: see srv_info.h.  Forgotten with the connection. */
	struct srv_t38		 t38;
	/* Redis: our pause's end (ev_now()), 0: none; no WRITE mode */
	uint64_t		 paused_until;
	int			 pause_refused;

	struct srv_state	 st;
};

/* srvctl.c: the connection */
uint64_t	 sc_backoff_next(uint64_t *);
void		 sc_notify(struct srvctl *);
int		 sc_send(struct srvctl *, enum sc_op, enum sc_step, int,
		    const char *const *);
int		 sc_probe_soon(struct srvctl *);

/* srvctl_apply.c: what is wanted, and the commands that bring it about */
const char	*sc_want_name(enum srv_want);
void		 sc_update_applied(struct srvctl *);
int		 sc_apply_start(struct srvctl *);
int		 sc_step_reply(struct srvctl *, const struct sc_pending *,
		    const struct resp *);

#endif
