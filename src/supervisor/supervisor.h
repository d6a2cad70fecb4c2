/*
 * The supervisor: owns the configuration and the listening sockets, runs
 * one elector and one proxy per listener, restarts them when they die,
 * keeps the latest cluster state to hand to a restarted child, reloads on
 * SIGHUP and stops gracefully on SIGTERM/SIGINT.
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backoff.h"
#include "config.h"
#include "event.h"
#include "imsg.h"
#include "listeners.h"
#include "proto.h"

/* A child that has not said it is ready by then is killed and restarted. */
#define CHILD_READY_TIMEOUT_MS	10000

/*
 * Bytes the supervisor keeps queued for one child beyond what its socket
 * holds; a child whose queue passes this is not reading and is killed and
 * restarted.  A child that reads has nothing queued here: its socket
 * takes its largest bursts whole (state replayed at start, TLS material,
 * a reload's configuration: tens of KB).  The largest burst the protocol
 * can make, a handshake with every payload at its maximum, is about
 * 600 KB, so this never cuts a child that is only slow.
 */
#define SV_CHILD_QUEUE_MAX	(1024 * 1024)

/*
 * The elector is pinged this often once ready; one that has not answered
 * for election.check.ttl, and at least HEARTBEAT_MIN_HUNG_MS, is killed
 * and restarted (heartbeat.c).
 */
#define HEARTBEAT_MS		250
#define HEARTBEAT_MIN_HUNG_MS	1000

enum sv_child_state {
	CHILD_DOWN = 0,		/* not running; maybe a restart is pending */
	CHILD_STARTING,		/* forked, handshake not finished */
	CHILD_READY,		/* reported ready */
};

struct supervisor;

/* One kept payload of the latest state. */
struct sv_blob {
	uint8_t		*data;
	size_t		 len;
	int		 set;
};

/* trust.c's relay table: one rule per message a child may send. */
#define SV_MSG_RULES	20

#define PROCS(k)	(1u << (k))
#define PROCS_PROXIES	(PROCS(PROC_WRITER) | PROCS(PROC_READER) | \
			    PROCS(PROC_BRIDGE))

enum sv_keep {
	KEEP_NONE = 0,		/* passed on, not kept */
	KEEP_LATEST,		/* the newest is kept and replayed */
	KEEP_PER_SERVICE,	/* the newest per service: peerid is
				   PROC_WRITER or PROC_READER */
};

struct sv_msg_rule {
	uint32_t	type;
	unsigned	from;		/* PROCS() of who may send it */
	unsigned	to;		/* PROCS() of who it is passed to */
	enum sv_keep	keep;
	int		own_service;	/* only to the processes of the
					   service in peerid (svc_of_proc()) */
};

struct sv_child {
	struct supervisor	*sv;
	int			 kind;
	pid_t			 pid;		/* 0 when not running */
	struct ichan		*chan;
	struct ev_io		 io;
	enum sv_child_state	 state;
	int			 configured;	/* configuration sent */
	uint64_t		 ready_at;	/* ev_now() of MSG_READY */
	struct backoff		 backoff;
	struct ev_timer		 timer;		/* restart or ready deadline */
	uint64_t		 restarts;

	/* heartbeat.c: the elector only */
	struct ev_timer		 hb_timer;
	uint32_t		 hb_sent;	/* seq of the last ping */
	uint32_t		 hb_answered;	/* seq of the last answer */
	uint64_t		 hb_heard;	/* ev_now(): last answer */
	uint64_t		 hb_tick;	/* ev_now(): last ping */
};

struct supervisor {
	struct ev_loop		*loop;
	const struct cli	*cli;
	struct config		 cfg;
	uint32_t		 generation;
	char			 self[PATH_MAX];	/* our binary, for exec */
	char			**child_env;	/* what children inherit */

	struct sv_child		 children[PROC_MAX];	/* by kind */
	struct listener		 listeners[PROC_MAX];	/* proxies', admin's */
	int			 ctl_fd;	/* control socket, -1 none */
	char			*ctl_path;	/* to unlink at exit */
	struct ev_timer		 stats_timer;
	int			 all_ready_once;

	/* Latest state, replayed to restarted children (state.c). */
	struct sv_blob		 state[SV_MSG_RULES][PROC_MAX];	/* by rule */

	int			 stopping;
	int			 rest_stopping;	/* the elector done: all stop */
	int			 exit_code;
	struct ev_timer		 stop_timer;
};

/* Run until stopped; takes cfg.  Returns the exit status. */
int	supervisor_main(const struct cli *, struct config *cfg,
	    const char *self);

/* spawn.c */
int	sv_child_spawn(struct sv_child *);
/*
 * Take up a forked child: fd is the supervisor's end of its channel (ours
 * from now on).  The handshake starts when it says hello.
 */
int	sv_child_attach(struct sv_child *, int fd, pid_t pid);
void	sv_child_reaped(struct sv_child *, int status);
void	sv_child_kill(struct sv_child *, const char *why);
/* Its channel is gone (it is dying): stop reading and sending. */
void	sv_child_close(struct sv_child *);
/* Its hello: configuration, listeners, state, start. */
void	sv_child_hello(struct sv_child *, struct imsg *);
/* Once, when every child has been ready: tell the init system. */
void	sv_child_all_ready(struct supervisor *);

/*
 * Pass a payload that is already checked (a relay, a replay) to the
 * child as it is; what the supervisor says itself goes by proto_send_*().
 */
int	sv_child_send(struct sv_child *, uint32_t type, uint32_t peerid,
	    int fd, const void *data, size_t len);
void	sv_child_send_config(struct sv_child *);
void	sv_child_send_listeners(struct sv_child *, const int *which);
void	sv_child_flush(struct sv_child *);
int	sv_child_running(const struct sv_child *);

/* dispatch.c: what a child sends */
void	sv_child_chan_cb(int fd, uint32_t events, void *arg);

/* trust.c: what a child may send */
enum sv_msg_verdict {
	SV_MSG_OK = 0,
	SV_MSG_UNKNOWN,		/* no child -> supervisor message type */
	SV_MSG_WRONG_SENDER,	/* not one that this kind of child sends */
	SV_MSG_UNEXPECTED_FD,	/* a descriptor came with it */
};

enum sv_msg_verdict sv_msg_check(int kind, uint32_t type, int has_fd);
/* The rule for a message type, NULL when no child may send it. */
const struct sv_msg_rule *sv_msg_rule(uint32_t type);
/* The i-th rule, NULL past the end; and a rule's position. */
const struct sv_msg_rule *sv_msg_rule_at(size_t i);
size_t	sv_msg_rule_index(const struct sv_msg_rule *);

enum sv_exit_action {
	SV_EXIT_RESTART = 0,	/* with backoff */
	SV_EXIT_STOP,		/* it refused its configuration */
};

/* A child exited with waitpid() status; was_ready: it had reported ready. */
enum sv_exit_action sv_exit_action(int was_ready, int status);

/* heartbeat.c */
void	sv_heartbeat_start(struct sv_child *);
void	sv_heartbeat_stop(struct sv_child *);
/* The elector's MSG_PING back; -1 when it answers no ping of ours */
int	sv_heartbeat_pong(struct sv_child *, const struct imsg *);

/* state.c */
/* A message of a KEEP_* rule, from the child of kind from: keep, pass on. */
int	sv_state_update(struct supervisor *, int from, const struct imsg *);
/* Pass a message on to the children its rule names, but from. */
void	sv_relay(struct supervisor *, int from, const struct sv_msg_rule *,
	    uint32_t peerid, const void *data, size_t len);
/* The elector exited or hung: its writer loses its write authority now. */
void	sv_lease_revoke(struct supervisor *);
void	sv_state_replay(struct sv_child *);
void	sv_state_free(struct supervisor *);
void	sv_blob_clear(struct sv_blob *);
void	sv_authz_request(struct sv_child *, const struct imsg *);
int	sv_authz_response(struct supervisor *, const struct imsg *);

/* supervisor.c */
void	sv_stop(struct supervisor *, int code);
/* The elector did not hand over and leads on: call the stop off. */
void	sv_stop_refused(struct supervisor *);
void	sv_apply_loglevel(struct supervisor *);

/* control.c: the control socket, control commands and statistics */
int	control_open(struct supervisor *, char *err, size_t errlen);
void	control_close(struct supervisor *);
void	sv_stats_tick(void *);
void	sv_ctl_request(struct sv_child *, const struct imsg *);

/* reload.c */
#define RELOAD_MAX_CHANGED	64

struct reload_plan {
	const struct opt_def	*changed[RELOAD_MAX_CHANGED];
	size_t			 nchanged;
	int			 rebind[PROC_MAX];	/* per proxy kind */
};

/*
 * What going from the running configuration to next means.  Returns -1
 * with err when an option that cannot change at run time differs.
 */
int	reload_plan(const struct config *running, const struct config *next,
	    const struct listener *listeners, struct reload_plan *,
	    char *err, size_t errlen);
/* 0 applied or unchanged, -1 kept the running one; what happened in msg */
int	sv_reload(struct supervisor *, char *msg, size_t msglen);

#endif
