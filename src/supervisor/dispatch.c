/*
 * What the supervisor does with each message from a child.  Children are
 * less trusted than the supervisor: anything unexpected from one (wrong
 * sender, wrong state, a malformed payload, a descriptor) restarts that
 * child only.  trust.c's relay table says who may send what and where it
 * goes; each payload is checked once here, before it is kept or passed
 * on, so no receiver has to take a malformed one from the supervisor.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "child.h"
#include "log.h"
#include "sd_notify.h"
#include "supervisor.h"

static void
sv_child_config_ack(struct sv_child *ch, struct imsg *m)
{
	struct msg_config_ack	a;

	if (msg_config_ack_decode(&a, m->data, m->datalen) == -1)
		fatalx("configuration acknowledgement");
	if (a.ok)
		log_info("%s applied configuration generation %u",
		    proc_name(ch->kind), a.generation);
	else
		log_warnx("%s refused configuration generation %u: %s",
		    proc_name(ch->kind), a.generation, a.error);
	msg_config_ack_clear(&a);
}

static void
sv_child_ready(struct sv_child *ch)
{
	if (ch->state != CHILD_STARTING) {
		sv_child_kill(ch, "unexpected ready");
		return;
	}
	ch->state = CHILD_READY;
	ch->ready_at = ev_now();
	ev_timer_stop(ch->sv->loop, &ch->timer);
	log_info("%s ready (pid %d)", proc_name(ch->kind), (int)ch->pid);
	if (ch->kind == PROC_ELECTOR)
		sv_heartbeat_start(ch);
	sv_child_all_ready(ch->sv);
}

/* Whether m may be taken from ch at all; if not, ch is killed. */
static const struct sv_msg_rule *
sv_child_admit(struct sv_child *ch, struct imsg *m)
{
	char	why[128];

	if (m->hdr.pid != (uint32_t)ch->pid) {
		sv_child_kill(ch, "message with a foreign pid");
		return NULL;
	}
	switch (sv_msg_check(ch->kind, m->hdr.type, m->fd != -1)) {
	case SV_MSG_OK:
		break;
	case SV_MSG_UNKNOWN:
		snprintf(why, sizeof(why), "unexpected message type %u",
		    m->hdr.type);
		sv_child_kill(ch, why);
		return NULL;
	case SV_MSG_WRONG_SENDER:
		snprintf(why, sizeof(why), "%s message, which the %s does not"
		    " send", msg_name(m->hdr.type), proc_name(ch->kind));
		sv_child_kill(ch, why);
		return NULL;
	case SV_MSG_UNEXPECTED_FD:
		/* imsg_free() closes it once the child is gone. */
		snprintf(why, sizeof(why), "file descriptor with a %s message",
		    msg_name(m->hdr.type));
		sv_child_kill(ch, why);
		return NULL;
	}
	if (ch->state == CHILD_STARTING && !ch->configured &&
	    m->hdr.type != MSG_HELLO) {
		sv_child_kill(ch, "no hello");
		return NULL;
	}
	if (proto_valid(m->hdr.type, m->data, m->datalen) == -1) {
		snprintf(why, sizeof(why), "malformed %s message",
		    msg_name(m->hdr.type));
		sv_child_kill(ch, why);
		return NULL;
	}
	return sv_msg_rule(m->hdr.type);
}

static void
sv_dispatch(struct sv_child *ch, struct imsg *m)
{
	const struct sv_msg_rule	*r;
	struct supervisor		*sv = ch->sv;

	if ((r = sv_child_admit(ch, m)) == NULL)
		return;
	switch (m->hdr.type) {
	case MSG_HELLO:
		if (ch->configured)
			sv_child_kill(ch, "second hello");
		else
			sv_child_hello(ch, m);
		break;
	case MSG_READY:
		sv_child_ready(ch);
		break;
	case MSG_CONFIG_ACK:
		sv_child_config_ack(ch, m);
		break;
	case MSG_PING:
		if (sv_heartbeat_pong(ch, m) == -1)
			sv_child_kill(ch, "heartbeat answer to no ping");
		break;
	case MSG_STOP_REFUSED:
		sv_stop_refused(sv);
		break;
	case MSG_AUTHZ_REQ:
		sv_authz_request(ch, m);
		break;
	case MSG_AUTHZ_RESP:
		if (sv_authz_response(sv, m) == -1)
			sv_child_kill(ch, "authorization answer to no proxy");
		break;
	case MSG_CTL_REQ:
		sv_ctl_request(ch, m);
		break;
	case MSG_STATS:
		/* The admin learns whose figures they are. */
		sv_relay(sv, ch->kind, r, (uint32_t)ch->kind, m->data,
		    m->datalen);
		break;
	default:
		if (r->keep == KEEP_NONE)
			sv_relay(sv, ch->kind, r, m->hdr.peerid, m->data,
			    m->datalen);
		else if (sv_state_update(sv, ch->kind, m) == -1)
			sv_child_kill(ch, "cluster state for no listener");
		break;
	}
}

static int
sv_dispatch_cb(struct imsg *m, void *arg)
{
	struct sv_child	*ch = arg;

	sv_dispatch(ch, m);
	/* Killed: nothing more is read from it. */
	return ch->chan == NULL ? -1 : 0;
}

void
sv_child_chan_cb(int fd, uint32_t events, void *arg)
{
	struct sv_child	*ch = arg;
	char		 why[128];

	if (events & EPOLLOUT)
		sv_child_flush(ch);
	if (ch->chan == NULL || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	switch (ichan_dispatch(ch->chan, sv_dispatch_cb, ch)) {
	case 0:
		/* Dying or dead: SIGCHLD decides what comes next. */
		sv_child_close(ch);
		break;
	case -1:
		/* Corrupt (a descriptor too many): it may live on, unheard. */
		snprintf(why, sizeof(why), "channel read: %s", strerror(errno));
		sv_child_kill(ch, why);
		break;
	}
}
