/*
 * The proxy process frame: it owns one listening socket handed over by
 * the supervisor, accepts on it, swaps it for a new one on reload without
 * touching established connections, and follows role updates.  Until the
 * data plane routes them, accepted connections are held open and what
 * they send is discarded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proto.h"
#include "proxy.h"

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct proxy		*px;
	struct ev_io		 io;
	int			 fd;
};

struct proxy {
	struct child		*child;
	int			 listen_fd;
	struct ev_io		 listen_io;
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	struct msg_role		 role;
};

static void
proxy_conn_close(struct conn *cn)
{
	struct proxy	*px = cn->px;

	ev_io_stop(px->child->loop, &cn->io);
	close(cn->fd);
	TAILQ_REMOVE(&px->conns, cn, entry);
	px->nconns--;
	free(cn);
}

static void
proxy_conn_cb(int fd, uint32_t events, void *arg)
{
	struct conn	*cn = arg;
	char		 buf[4096];
	ssize_t		 n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		proxy_conn_close(cn);
		return;
	}
}

static void
proxy_accept_cb(int fd, uint32_t events, void *arg)
{
	struct proxy	*px = arg;
	struct conn	*cn;
	int		 s;

	for (;;) {
		s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if ((cn = calloc(1, sizeof(*cn))) == NULL) {
			log_warn("connection");
			close(s);
			continue;
		}
		cn->px = px;
		cn->fd = s;
		if (ev_io_start(px->child->loop, &cn->io, s, EPOLLIN,
		    proxy_conn_cb, cn) == -1) {
			log_warn("connection watch");
			close(s);
			free(cn);
			continue;
		}
		TAILQ_INSERT_TAIL(&px->conns, cn, entry);
		px->nconns++;
		log_debug("connection accepted (%zu open)", px->nconns);
	}
}

static void
proxy_listen_stop(struct proxy *px)
{
	if (px->listen_fd == -1)
		return;
	if (px->child->started)
		ev_io_stop(px->child->loop, &px->listen_io);
	close(px->listen_fd);
	px->listen_fd = -1;
}

static void
proxy_listen_start(struct proxy *px)
{
	if (ev_io_start(px->child->loop, &px->listen_io, px->listen_fd,
	    EPOLLIN, proxy_accept_cb, px) == -1)
		fatal("listener watch");
}

static void
proxy_listener(struct child *c, int kind, int fd, const char *addr,
    uint32_t port)
{
	struct proxy	*px = c->arg;

	if (kind != c->kind || fd == -1)
		fatalx("handed the wrong listener");
	/* Established connections stay; only the listening socket moves. */
	proxy_listen_stop(px);
	px->listen_fd = fd;
	if (c->started)
		proxy_listen_start(px);
	log_info("listening on %s:%u", addr, port);
}

static void
proxy_start(struct child *c)
{
	struct proxy	*px = c->arg;

	if (px->listen_fd == -1)
		fatalx("started without a listener");
	proxy_listen_start(px);
}

static int
proxy_reconfigure(struct child *c, const struct config *next, char *err,
    size_t errlen)
{
	return 0;
}

static void
proxy_shutdown(struct child *c)
{
	struct proxy	*px = c->arg;

	proxy_listen_stop(px);
	while (!TAILQ_EMPTY(&px->conns))
		proxy_conn_close(TAILQ_FIRST(&px->conns));
	child_exit(c, 0);
}

static void
proxy_dispatch(struct child *c, struct imsg *m)
{
	struct proxy		*px = c->arg;
	struct msg_role		 r;
	struct msg_peers	 peers;
	struct msg_tls_leaf	 leaf;
	struct msg_tls_roots	 roots;
	int			 ok;

	switch (m->hdr.type) {
	case MSG_ROLE_UPDATE:
		if (msg_role_decode(&r, m->data, m->datalen) == -1)
			fatalx("malformed %s message", msg_name(m->hdr.type));
		msg_role_clear(&px->role);
		px->role = r;
		log_debug("role %u, leader \"%s\", epoch %llu", r.role,
		    r.leader_id, (unsigned long long)r.epoch);
		return;
	/* Routing and TLS take these; until then they are checked and kept out. */
	case MSG_PEERS_UPDATE:
		if ((ok = msg_peers_decode(&peers, m->data, m->datalen)) == 0) {
			log_debug("%u %s peers", peers.n,
			    proc_name(m->hdr.peerid));
			msg_peers_clear(&peers);
		}
		break;
	case MSG_TLS_LEAF_UPDATE:
		if ((ok = msg_tls_leaf_decode(&leaf, m->data, m->datalen)) == 0)
			msg_tls_leaf_clear(&leaf);
		break;
	case MSG_TLS_ROOTS_UPDATE:
		if ((ok = msg_tls_roots_decode(&roots, m->data,
		    m->datalen)) == 0)
			msg_tls_roots_clear(&roots);
		break;
	default:
		fatalx("unexpected %s message", msg_name(m->hdr.type));
	}
	if (ok == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
}

static int
proxy_configure(struct child *c, const struct config *cfg, char *err,
    size_t errlen)
{
	struct proxy	*px = c->arg;

	px->child = c;
	return 0;
}

static const struct child_ops proxy_ops = {
	.configure = proxy_configure,
	.listener = proxy_listener,
	.start = proxy_start,
	.reconfigure = proxy_reconfigure,
	.shutdown = proxy_shutdown,
	.dispatch = proxy_dispatch,
};

int
proxy_main(int kind, int foreground, int verbose)
{
	struct proxy	px;
	int		rv;

	memset(&px, 0, sizeof(px));
	px.listen_fd = -1;
	TAILQ_INIT(&px.conns);
	rv = child_run(kind, foreground, verbose, &proxy_ops, &px);
	/* The supervisor went away without a shutdown: tidy up all the same. */
	while (!TAILQ_EMPTY(&px.conns)) {
		struct conn *cn = TAILQ_FIRST(&px.conns);

		TAILQ_REMOVE(&px.conns, cn, entry);
		close(cn->fd);
		free(cn);
	}
	if (px.listen_fd != -1)
		close(px.listen_fd);
	msg_role_clear(&px.role);
	return rv;
}
