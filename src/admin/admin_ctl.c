/*
 * The control socket of tile38-clusterctl: one line "COMMAND [ARG]" in,
 * one JSON object out.  Who may read is the socket's mode: 0660, owned
 * by root and the daemon's group, so root and the group's members,
 * supplementary groups included, can connect.  SO_PEERCRED decides who
 * may change anything: root and the daemon's user only; whoever can
 * connect may read (status, peers, list, history).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "admin_int.h"
#include "ctl_cmd.h"
#include "child.h"
#include "log.h"

/* -1: no credentials, closed at once. */
int
admin_ctl_peer(struct aclient *cl)
{
	struct admin	*ad = cl->ad;
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);

	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return -1;
	cl->uid = cr.uid;
	cl->may_change = cr.uid == 0 || cr.uid == ad->uid;
	return 0;
}

static void
ctl_reply(struct aclient *cl, int ok, int denied, const char *text)
{
	struct json_object	*o;
	char			*out;
	size_t			 len;

	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (denied)
		json_object_object_add(o, "denied",
		    json_object_new_boolean(1));
	json_object_object_add(o, "text", json_object_new_string(text));
	if ((out = admin_json_text(o, &len)) == NULL)
		admin_client_close(cl);
	else
		admin_client_reply(cl, out, len);
}

static void
ctl_answer(struct aclient *cl, int ok, const char *text)
{
	ctl_reply(cl, ok, 0, text);
}

/*
 * Commands the supervisor or the elector carry out.  Those that only
 * read (data) answer with a JSON object of their own, passed through.
 */
static void
ctl_send(struct aclient *cl, const char *cmd, const char *arg, int data)
{
	struct admin		*ad = cl->ad;
	struct msg_ctl_req	 q = { (char *)cmd, (char *)arg };
	uint64_t		 wait;

	cl->req = ++ad->next_req;
	if (proto_send_ctl_req(ad->child->chan, cl->req, &q) == -1) {
		ctl_answer(cl, 0, "control request not sent");
		return;
	}
	cl->data = data;
	/* A switchover may wait for a follower twice over. */
	wait = 2 * ad->cfg->election_handover_timeout + 5000;
	ev_timer_start(ad->loop, &cl->timer, wait);
	/* Last: it may close the client, whose answer is then dropped. */
	admin_client_wait(cl);
}

static void
ctl_forward(struct aclient *cl, const char *cmd, const char *arg)
{
	if (!cl->may_change) {
		log_info("control: %s refused to uid %u", cmd,
		    (unsigned)cl->uid);
		ctl_reply(cl, 0, 1, "permission denied: only root and the "
		    "daemon's user may change anything");
		return;
	}
	ctl_send(cl, cmd, arg, 0);
}

/* The elector's JSON answer as the client's, not a string inside ours. */
static void
ctl_pass(struct aclient *cl, const char *text)
{
	struct json_object	*o;
	char			*out;
	size_t			 len;

	if ((o = json_tokener_parse(text)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		log_warnx("control: malformed answer from the elector");
		ctl_answer(cl, 0, "malformed answer from the elector");
		return;
	}
	if ((out = admin_json_text(o, &len)) == NULL)
		admin_client_close(cl);
	else
		admin_client_reply(cl, out, len);
}

void
admin_ctl_result(struct admin *ad, uint32_t req, const void *data,
    size_t len)
{
	struct msg_ctl_resp	 r;
	struct aclient		*cl;

	if (msg_ctl_resp_decode(&r, data, len) == -1)
		fatalx("malformed control result");
	TAILQ_FOREACH(cl, &ad->clients, entry)
		if (cl->waiting && cl->req == req) {
			if (cl->data && r.ok)
				ctl_pass(cl, r.text);
			else
				ctl_answer(cl, r.ok, r.text);
			break;
		}
	msg_ctl_resp_clear(&r);
}

void
admin_ctl_input(struct aclient *cl)
{
	const struct ctl_cmd	*c;
	char			*nl, *cmd, *arg, *json, busy[96];
	size_t			 len;

	if ((nl = strchr(cl->in, '\n')) == NULL) {
		if (cl->inlen >= ADMIN_CTL_LINE_MAX)
			ctl_answer(cl, 0, "request line too long");
		return;
	}
	*nl = '\0';
	if (nl > cl->in && nl[-1] == '\r')
		nl[-1] = '\0';
	cmd = cl->in;
	if ((arg = strchr(cmd, ' ')) != NULL)
		*arg++ = '\0';
	else
		arg = "";
	if (cl->busy) {
		snprintf(busy, sizeof(busy), "busy: the daemon serves %d "
		    "control clients at once; try again",
		    ADMIN_CTL_CLIENTS_MAX);
		log_info("control: %s refused, %s", cmd, busy);
		ctl_answer(cl, 0, busy);
		return;
	}
	if ((c = ctl_cmd_lookup(cmd)) == NULL)
		ctl_answer(cl, 0, "unknown command");
	else if (c->runner == CTL_BY_ADMIN) {
		json = c->id == CTL_STATUS ? admin_status_json(cl->ad, &len) :
		    admin_peers_json(cl->ad, &len);
		if (json == NULL)
			admin_client_close(cl);
		else
			admin_client_reply(cl, json, len);
	} else if (c->changes)
		ctl_forward(cl, cmd, arg);
	else
		ctl_send(cl, cmd, arg, c->data);
}

void
admin_ctl_note(struct admin *ad, uint32_t req, const void *data, size_t len)
{
	struct msg_ctl_progress	 r;
	struct json_object	*o;
	struct aclient		*cl;
	char			*out;
	size_t			 outlen;

	if (msg_ctl_progress_decode(&r, data, len) == -1)
		fatalx("malformed control note");
	TAILQ_FOREACH(cl, &ad->clients, entry) {
		if (!cl->waiting || cl->req != req)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "progress",
		    json_object_new_boolean(1));
		json_object_object_add(o, "text",
		    json_object_new_string(r.text));
		if ((out = admin_json_text(o, &outlen)) == NULL)
			admin_client_close(cl);
		else
			admin_client_note(cl, out, outlen);
		break;
	}
	msg_ctl_progress_clear(&r);
}
