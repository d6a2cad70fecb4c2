/*
 * The elector.  This is the process frame: it completes the supervisor
 * handshake, learns where the listeners are, runs sandboxed and follows
 * configuration changes.  Election itself is built on this frame.
 */
#include <stdint.h>
#include <string.h>

#include "child.h"
#include "elector.h"
#include "log.h"
#include "proto.h"

struct elector {
	char		bridge_addr[64];
	uint32_t	bridge_port;
};

static void
elector_listener(struct child *c, int kind, int fd, const char *addr,
    uint32_t port)
{
	struct elector	*e = c->arg;

	/* The elector is told where listeners are; it never holds one. */
	if (fd != -1)
		fatalx("elector was handed a listening socket");
	if (kind != PROC_BRIDGE)
		return;
	strlcpy(e->bridge_addr, addr, sizeof(e->bridge_addr));
	e->bridge_port = port;
	log_debug("replication bridge at %s:%u", e->bridge_addr,
	    e->bridge_port);
}

static void
elector_start(struct child *c)
{
	log_debug("serving as %s", c->cfg.id);
}

static int
elector_reconfigure(struct child *c, const struct config *next, char *err,
    size_t errlen)
{
	return 0;
}

static void
elector_dispatch(struct child *c, struct imsg *m)
{
	struct msg_session	s;

	switch (m->hdr.type) {
	case MSG_SESSION_REPLAY:
		if (msg_session_decode(&s, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		log_info("resuming Consul session %s", s.id);
		msg_session_clear(&s);
		break;
	default:
		fatalx("unexpected %s message", msg_name(m->hdr.type));
	}
}

static const struct child_ops elector_ops = {
	.listener = elector_listener,
	.start = elector_start,
	.reconfigure = elector_reconfigure,
	.dispatch = elector_dispatch,
};

int
elector_main(int foreground, int verbose)
{
	struct elector	e;

	memset(&e, 0, sizeof(e));
	return child_run(PROC_ELECTOR, foreground, verbose, &elector_ops, &e);
}
