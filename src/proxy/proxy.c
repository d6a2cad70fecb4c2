/*
 * A proxy process: one listener (writer W, reader R or bridge B) handed
 * over by the supervisor, the cluster state the elector publishes (role,
 * peers, the local server's state), and TLS contexts built from the
 * Connect material that arrives over the channel.  A rotated certificate
 * or a reload replaces the listening socket or the contexts without
 * touching established connections; a role change cuts the connections
 * that now point to the wrong place.  Every change that may open a route
 * (role, lease, peers, the local server's state, TLS material) retries
 * the held connections.  Each of these but a revoked lease comes from the
 * elector, so it also says that an elector is there again to authorize
 * the clients held because there was none.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proto.h"
#include "proxy.h"
#include "proxy_filter.h"
#include "proxy_int.h"
#include "proxy_tls.h"
#include "sandbox.h"

static void	proxy_accept_cb(int, uint32_t, void *);

/*
 * accept() that fails for want of descriptors or memory leaves the
 * connection queued and the listener readable, so a level-triggered
 * watch would call us again at once, for as long as it lasts.  The
 * listener is let be for a pause instead, doubling while accept() keeps
 * failing; established connections go on and free descriptors as they
 * close.  Any error not of one connection gets the same pause: nothing
 * may spin.
 */
#define PROXY_PAUSE_MIN_MS	100
#define PROXY_PAUSE_MAX_MS	1000

static int
proxy_listen_start(struct proxy *px)
{
	if (ev_io_start(px->child->loop, &px->listen_io, px->listen_fd,
	    EPOLLIN, proxy_accept_cb, px) == -1)
		return -1;
	px->accepting = 1;
	return 0;
}

static void
proxy_accept_pause(struct proxy *px)
{
	if (px->accept_pause == 0)
		px->accept_pause = PROXY_PAUSE_MIN_MS;
	if (px->starved_at == 0)
		px->starved_at = ev_now();
	if (px->accepting)
		ev_io_stop(px->child->loop, &px->listen_io);
	px->accepting = 0;
	ev_timer_start(px->child->loop, &px->accept_timer, px->accept_pause);
	px->accept_pause = px->accept_pause * 2 < PROXY_PAUSE_MAX_MS ?
	    px->accept_pause * 2 : PROXY_PAUSE_MAX_MS;
}

static void
proxy_accept_resume(void *arg)
{
	struct proxy	*px = arg;

	if (px->listen_fd == -1 || px->accepting)
		return;
	if (proxy_listen_start(px) == -1) {
		log_warn("listener watch");
		proxy_accept_pause(px);
	}
}

/*
 * A connection closed over a handshake cap: said at once with the
 * address that sent it, then at most once a second with how many more
 * there were, for a flood comes from many connections and maybe many
 * addresses.
 */
static void
proxy_cap_log(struct proxy *px, enum admit a, const struct admit_key *src,
    size_t n)
{
	uint64_t	now = ev_now();
	char		addr[64], more[96] = "";

	if (px->cap_log_at != 0 && now - px->cap_log_at < 1000) {
		px->cap_log_quiet++;
		return;
	}
	if (px->cap_log_quiet > 0)
		snprintf(more, sizeof(more), " (and %llu more closed over a "
		    "handshake cap since the last such line)",
		    (unsigned long long)px->cap_log_quiet);
	admit_key_text(src, addr, sizeof(addr));
	log_warnx("connection from %s closed: %s (%zu %sin handshake)%s",
	    addr, admit_why(a), n, a == ADMIT_SOURCE ? "from that address " :
	    "", more);
	px->cap_log_at = now;
	px->cap_log_quiet = 0;
}

/* Take a new connection, or close it at once (proxy_admit.h). */
static void
proxy_admit(struct proxy *px, int fd, const struct sockaddr *sa,
    socklen_t len)
{
	struct admit_view	 v;
	struct admit_key	 src;
	enum admit		 a;

	/* No address (not IP): counted as one source, never loopback. */
	(void)admit_key(sa, len, &src);
	memset(&v, 0, sizeof(v));
	v.kind = px->kind;
	v.open = px->nconns;
	v.max_open = (size_t)px->max_conns;
	v.tls_ready = px->server_ctx != NULL;
	v.loopback = admit_key_loopback(&src);
	v.handshakes = px->nhandshakes;
	v.max_handshakes = (size_t)px->cfg->proxy_max_handshakes;
	v.source = admit_sources_count(&px->sources, &src);
	v.max_source = (size_t)px->cfg->proxy_max_handshakes_per_source;
	v.peer = admit_peers_has(&px->peer_srcs, &src);
	if ((a = admit_decide(&v)) == ADMIT_OK) {
		conn_accept(px, fd, &src);
		return;
	}
	close(fd);
	px->refused++;
	switch (a) {
	case ADMIT_SOURCE:
		px->src_cap_closed++;
		proxy_cap_log(px, a, &src, v.source);
		break;
	case ADMIT_HANDSHAKES:
		px->hs_cap_closed++;
		proxy_cap_log(px, a, &src, v.handshakes);
		break;
	case ADMIT_NOT_LOOPBACK:
		log_warnx("%s refused", admit_why(a));
		break;
	case ADMIT_FULL:
		log_debug("connection limit %d reached", px->max_conns);
		break;
	default:
		log_debug("%s: connection closed", admit_why(a));
		break;
	}
}

static void
proxy_accept_cb(int fd, uint32_t events, void *arg)
{
	struct proxy		*px = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 s, error;

	(void)events;
	while ((s = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (px->starved_at != 0) {
			/* What was left out of the episode, said first. */
			log_flush();
			log_info("accepting connections again after %llu ms",
			    (unsigned long long)(ev_now() - px->starved_at));
			px->starved_at = 0;
		}
		px->accept_pause = 0;
		proxy_admit(px, s, (struct sockaddr *)&ss, len);
		len = sizeof(ss);
	}
	error = errno;
	if (ev_accept_lost(error))
		return;
	log_warn("accept");
	proxy_accept_pause(px);
}

/*
 * The connections that fit in RLIMIT_NOFILE: two descriptors each
 * (client, upstream), after the process's own (stdio, epoll, signalfd,
 * the channel, the listener and the one replacing it, syslog) and the one
 * it takes to accept and refuse a connection over the limit.  A larger
 * proxy.max_connections would have accept() fail instead of refusing.
 */
#define PROXY_FDS_OWN		16

static void
proxy_clamp(struct proxy *px, const struct config *cfg)
{
	struct rlimit	rl;
	uint64_t	fit;
	int		want = cfg->proxy_max_connections;

	px->max_conns = want;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return;
	fit = rl.rlim_cur > PROXY_FDS_OWN + 2 ?
	    (rl.rlim_cur - PROXY_FDS_OWN) / 2 : 1;
	if ((uint64_t)want <= fit)
		return;
	px->max_conns = (int)fit;
	/* Once per figure, not at every reload. */
	if (px->max_warned == want && px->nofile_warned == rl.rlim_cur)
		return;
	px->max_warned = want;
	px->nofile_warned = rl.rlim_cur;
	log_warnx("proxy.max_connections %d needs %llu descriptors, more "
	    "than RLIMIT_NOFILE %llu: taking %d connections at most", want,
	    (unsigned long long)want * 2 + PROXY_FDS_OWN,
	    (unsigned long long)rl.rlim_cur, px->max_conns);
}

static void
proxy_listen_stop(struct proxy *px)
{
	if (px->listen_fd == -1)
		return;
	if (px->accepting)
		ev_io_stop(px->child->loop, &px->listen_io);
	px->accepting = 0;
	ev_timer_stop(px->child->loop, &px->accept_timer);
	px->accept_pause = 0;
	px->starved_at = 0;
	close(px->listen_fd);
	px->listen_fd = -1;
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
	if (c->started && proxy_listen_start(px) == -1)
		fatal("listener watch");
	log_info("listening on %s:%u", addr, port);
}

/*
 * The local server's address, resolved while the file system is still
 * there.  Once sandboxed the proxy opens no file and sends no DNS query,
 * so a new address given by a reload must be numeric.
 */
static int
proxy_resolve_local(struct proxy *px, const struct config *cfg, char *err,
    size_t errlen)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&px->local;
	const char		*path;
	char			 port[8], buf[sizeof(sun->sun_path)];
	int			 rv;

	if (cfg->server_socket != NULL && *cfg->server_socket != '\0') {
		memset(&px->local, 0, sizeof(px->local));
		path = sandbox_socket_path(cfg, buf, sizeof(buf));
		if (path == NULL || strlcpy(sun->sun_path, path,
		    sizeof(sun->sun_path)) >= sizeof(sun->sun_path)) {
			snprintf(err, errlen, "server.socket %s: too long",
			    cfg->server_socket);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		px->local_len = sizeof(*sun);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (px->child->started)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", cfg->server_port);
	if ((rv = getaddrinfo(cfg->server_addr, port, &hints, &res)) != 0) {
		if (rv == EAI_NONAME && px->child->started)
			snprintf(err, errlen, "server.addr %s: a running proxy "
			    "takes an address, not a name (names are resolved "
			    "when the daemon starts)", cfg->server_addr);
		else
			snprintf(err, errlen, "server.addr %s: %s",
			    cfg->server_addr, gai_strerror(rv));
		return -1;
	}
	memcpy(&px->local, res->ai_addr, res->ai_addrlen);
	px->local_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* (Re)build the contexts once a leaf and the roots are both known. */
static void
proxy_tls_rebuild(struct proxy *px)
{
	SSL_CTX	*ctx;
	struct tm tm;
	time_t	 t;
	char	 err[256], until[32];
	int	 i, own = svc_of_proc(px->kind);

	if (px->roots.pem == NULL)
		return;
	for (i = 0; i < SVC_MAX; i++) {
		if (px->leaf[i].cert_pem == NULL)
			continue;
		ctx = tls_client_ctx(px->leaf[i].cert_pem, px->leaf[i].key_pem,
		    px->roots.pem, px->resumption, err, sizeof(err));
		if (ctx == NULL) {
			log_warnx("TLS client context: %s", err);
			continue;
		}
		/* Connections keep a reference to the context they use. */
		SSL_CTX_free(px->client_ctx[i]);
		px->client_ctx[i] = ctx;
	}
	if (px->kind == PROC_BRIDGE || px->leaf[own].cert_pem == NULL)
		return;
	/* A ticket one listener gave is no use on the other. */
	ctx = tls_server_ctx(px->leaf[own].cert_pem, px->leaf[own].key_pem,
	    px->roots.pem, px->kind == PROC_WRITER ? "t38cm-writer" :
	    "t38cm-reader", px->resumption, err, sizeof(err));
	if (ctx == NULL) {
		log_warnx("TLS server context: %s", err);
		return;
	}
	SSL_CTX_free(px->server_ctx);
	px->server_ctx = ctx;
	/* Which leaf: a line alike would be left out as a repeat. */
	t = (time_t)px->leaf[own].valid_before;
	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(until, "unknown", sizeof(until));
	log_info("TLS material in use for %s (leaf valid until %s)",
	    px->leaf[own].uri, until);
}

static int
proxy_str_same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
proxy_leaf_same(const struct msg_tls_leaf *a, const struct msg_tls_leaf *b)
{
	return proxy_str_same(a->cert_pem, b->cert_pem) &&
	    proxy_str_same(a->key_pem, b->key_pem) &&
	    proxy_str_same(a->uri, b->uri) && a->valid_before == b->valid_before;
}

static int
proxy_roots_same(const struct msg_tls_roots *a, const struct msg_tls_roots *b)
{
	return proxy_str_same(a->pem, b->pem) &&
	    proxy_str_same(a->trust_domain, b->trust_domain);
}

/*
 * A new proxy.resumption: new contexts, with new ticket keys, which new
 * connections take; tickets given before no longer open.
 */
static void
proxy_resumption(struct proxy *px, const struct config *cfg)
{
	if (px->resumption == cfg->proxy_resumption)
		return;
	px->resumption = cfg->proxy_resumption;
	proxy_tls_rebuild(px);
}

static void
proxy_start(struct child *c)
{
	struct proxy	*px = c->arg;

	if (px->listen_fd == -1)
		fatalx("started without a listener");
	if (proxy_listen_start(px) == -1)
		fatal("listener watch");
}

/*
 * The listener's rules for new connections; those open keep theirs.  The
 * supervisor checked them, so a failure here is one of memory.
 */
static int
proxy_rules(struct proxy *px, const struct config *cfg, char *err,
    size_t errlen)
{
	struct filter_rules	*r;
	const char		*commands, *grants;
	char			 why[256];

	if (px->kind == PROC_BRIDGE)
		return 0;
	commands = px->kind == PROC_WRITER ? cfg->proxy_writer_commands :
	    cfg->proxy_reader_commands;
	grants = px->kind == PROC_WRITER ? cfg->proxy_writer_grant :
	    cfg->proxy_reader_grant;
	if ((r = filter_rules_new(cfg->server_kind, commands, grants, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "proxy.%s.commands: %s",
		    proc_name(px->kind), why);
		return -1;
	}
	filter_rules_drop(px->rules);
	px->rules = r;
	return 0;
}

static int
proxy_reconfigure(struct child *c, const struct config *next, char *err,
    size_t errlen)
{
	struct proxy	*px = c->arg;

	if (proxy_rules(px, next, err, errlen) == -1)
		return -1;
	if ((strcmp(next->server_addr, c->cfg.server_addr) != 0 ||
	    next->server_port != c->cfg.server_port) &&
	    proxy_resolve_local(px, next, err, errlen) == -1)
		return -1;
	proxy_clamp(px, next);
	proxy_resumption(px, next);
	return 0;
}

/*
 * A stop takes no new connection and closes the idle ones, but a request
 * already sent gets its answer: a write passed on to the new leader by a
 * node handing over is not cut on its way back.  Bounded, and checked
 * every few ms.
 */
#define PROXY_DRAIN_MS		1000
#define PROXY_DRAIN_TICK_MS	10

static void
proxy_drain(void *arg)
{
	struct proxy	*px = arg;

	if (conn_drain(px) > 0 && ev_now() < px->drain_until) {
		ev_timer_start(px->child->loop, &px->drain_timer,
		    PROXY_DRAIN_TICK_MS);
		return;
	}
	conn_close_all(px);
	child_exit(px->child, 0);
}

static void
proxy_shutdown(struct child *c)
{
	struct proxy	*px = c->arg;

	if (px->drain_until != 0)
		return;
	proxy_listen_stop(px);
	px->drain_until = ev_now() + PROXY_DRAIN_MS;
	/*
	 * A client's write held for a leader goes on to the last one this
	 * node heard of, rather than be closed with the rest: no more news
	 * comes once the elector has gone.
	 */
	conn_retry_held(px);
	proxy_drain(px);
}

int
proxy_route_role(const struct proxy *px, const char **leader_id)
{
	*leader_id = px->role.leader_id != NULL ? px->role.leader_id : "";
	return route_role(px->kind, (int)px->role.role, leader_id,
	    px->lease_until, ev_now());
}

/*
 * The writer's lease ran out: nobody confirmed our leadership for
 * election.lease.  Stop routing to the local server on our own.
 */
static void
proxy_lease_lapsed(void *arg)
{
	struct proxy	*px = arg;
	const char	*leader;

	if (px->role.role == ROLE_LEADER &&
	    proxy_route_role(px, &leader) != ROLE_LEADER)
		log_warnx("write lease lapsed: no writes to the local server"
		    " until the leadership is confirmed again");
	conn_cut(px);
}

/* Until no connection drains; then the elector hears we are quiet. */
static void
proxy_drain_check(void *arg)
{
	struct proxy	*px = arg;

	if (conn_drain_done(px) > 0) {
		ev_timer_start(px->child->loop, &px->drain_check,
		    PROXY_DRAIN_TICK_MS);
		return;
	}
	if (px->quiet_due) {
		px->quiet_due = 0;
		proto_send_empty(px->child->chan, MSG_WRITER_QUIET);
	}
}

static void
proxy_lease(struct proxy *px, struct imsg *m)
{
	struct msg_lease	l;
	uint64_t		now = ev_now();

	if (px->kind != PROC_WRITER ||
	    msg_lease_decode(&l, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	/* Revoked before its time: answers already due may still go. */
	px->lease_was = l.expires <= now && px->lease_until > now ?
	    px->lease_until : 0;
	px->lease_until = l.expires;
	if (l.expires > now)
		ev_timer_start(px->child->loop, &px->lease_timer,
		    l.expires - now);
	else {
		ev_timer_stop(px->child->loop, &px->lease_timer);
		/*
		 * Revoked: the cut passes nothing more to the server, and
		 * connections whose request is at the server drain first.
		 * A handover holds the server's writes once we say so.
		 */
		proxy_lease_lapsed(px);
		px->quiet_due = 1;
		proxy_drain_check(px);
	}
	conn_retry_held(px);
}

static void
proxy_role(struct proxy *px, struct imsg *m)
{
	struct msg_role	r;

	if (msg_role_decode(&r, m->data, m->datalen) == -1)
		fatalx("malformed %s message", msg_name(m->hdr.type));
	if (r.role != px->role.role || r.epoch != px->role.epoch ||
	    px->role.leader_id == NULL ||
	    strcmp(r.leader_id, px->role.leader_id) != 0)
		log_debug("role %u, leader \"%s\", epoch %llu", r.role,
		    r.leader_id, (unsigned long long)r.epoch);
	msg_role_clear(&px->role);
	px->role = r;
	conn_cut(px);
	conn_retry_held(px);
}

static void
proxy_dispatch(struct child *c, struct imsg *m)
{
	struct proxy		*px = c->arg;
	struct msg_peers	 peers;
	struct msg_tls_leaf	 leaf;
	struct msg_tls_roots	 roots;
	struct msg_server_state	 st;
	struct msg_authz_resp	 a;
	int			 i;

	switch (m->hdr.type) {
	case MSG_ROLE:
		proxy_role(px, m);
		return;
	case MSG_LEASE:
		proxy_lease(px, m);
		return;
	case MSG_PEERS:
		if (msg_peers_decode(&peers, m->data, m->datalen) == -1 ||
		    (m->hdr.peerid != PROC_WRITER &&
		    m->hdr.peerid != PROC_READER))
			break;
		i = svc_of_proc(m->hdr.peerid);
		msg_peers_clear(&px->peers[i]);
		px->peers[i] = peers;
		conn_retry_held(px);
		return;
	case MSG_TLS_LEAF:
		if (msg_tls_leaf_decode(&leaf, m->data, m->datalen) == -1 ||
		    (m->hdr.peerid != PROC_WRITER &&
		    m->hdr.peerid != PROC_READER))
			break;
		i = svc_of_proc(m->hdr.peerid);
		/*
		 * The elector repeats a leaf at every turn of its watch:
		 * the same one keeps the contexts, and so the tickets
		 * they gave.
		 */
		if (proxy_leaf_same(&px->leaf[i], &leaf)) {
			msg_tls_leaf_clear(&leaf);
			return;
		}
		msg_tls_leaf_clear(&px->leaf[i]);
		px->leaf[i] = leaf;
		proxy_tls_rebuild(px);
		conn_retry_held(px);
		return;
	case MSG_TLS_ROOTS:
		if (msg_tls_roots_decode(&roots, m->data, m->datalen) == -1)
			break;
		if (proxy_roots_same(&px->roots, &roots)) {
			msg_tls_roots_clear(&roots);
			return;
		}
		msg_tls_roots_clear(&px->roots);
		px->roots = roots;
		proxy_tls_rebuild(px);
		conn_retry_held(px);
		return;
	case MSG_SERVER_STATE:
		if (msg_server_state_decode(&st, m->data, m->datalen) == -1)
			break;
		px->caught_up = server_caught_up(st.up, st.leader,
		    st.caught_up);
		msg_server_state_clear(&st);
		conn_retry_held(px);
		return;
	case MSG_AUTHZ_RESP:
		if (msg_authz_resp_decode(&a, m->data, m->datalen) == -1)
			break;
		conn_authz_result(px, m->hdr.peerid, a.allowed, a.reason);
		msg_authz_resp_clear(&a);
		return;
	case MSG_INTENTIONS:
		if (m->datalen != 0)
			break;
		conn_cache_flush(px);
		conn_retry_held(px);
		conn_recheck_start(px);
		return;
	default:
		fatalx("unexpected %s message", msg_name(m->hdr.type));
	}
	fatalx("malformed %s message", msg_name(m->hdr.type));
}

static int
proxy_configure(struct child *c, const struct config *cfg, char *err,
    size_t errlen)
{
	struct proxy	*px = c->arg;

	px->child = c;
	px->cfg = &c->cfg;
	if (tls_init(err, errlen) == -1 ||
	    proxy_rules(px, cfg, err, errlen) == -1 ||
	    proxy_resolve_local(px, cfg, err, errlen) == -1)
		return -1;
	proxy_clamp(px, cfg);
	proxy_resumption(px, cfg);
	return 0;
}

static void
proxy_cleanup(struct child *c)
{
	struct proxy	*px = c->arg;

	ev_timer_stop(c->loop, &px->lease_timer);
	ev_timer_stop(c->loop, &px->drain_check);
	ev_timer_stop(c->loop, &px->drain_timer);
	ev_timer_stop(c->loop, &px->recheck_timer);
	conn_close_all(px);
	proxy_listen_stop(px);
	filter_rules_drop(px->rules);
	px->rules = NULL;
	relay_pool_clear();
}

static void
proxy_stats(struct child *c, struct metric_set *set)
{
	conn_stats(c->arg, set);
}

static const struct child_ops proxy_ops = {
	.configure = proxy_configure,
	.listener = proxy_listener,
	.start = proxy_start,
	.reconfigure = proxy_reconfigure,
	.shutdown = proxy_shutdown,
	.dispatch = proxy_dispatch,
	.cleanup = proxy_cleanup,
	.stats = proxy_stats,
};

int
proxy_main(int kind, int foreground, int verbose)
{
	struct proxy	px;
	int		rv, i;

	memset(&px, 0, sizeof(px));
	px.kind = kind;
	px.listen_fd = -1;
	TAILQ_INIT(&px.conns);
	ev_timer_init(&px.lease_timer, proxy_lease_lapsed, &px);
	ev_timer_init(&px.drain_check, proxy_drain_check, &px);
	ev_timer_init(&px.drain_timer, proxy_drain, &px);
	ev_timer_init(&px.accept_timer, proxy_accept_resume, &px);
	ev_timer_init(&px.recheck_timer, conn_recheck_settled, &px);
	rv = child_run(kind, foreground, verbose, &proxy_ops, &px);
	if (px.listen_fd != -1)
		close(px.listen_fd);
	msg_role_clear(&px.role);
	for (i = 0; i < SVC_MAX; i++) {
		msg_peers_clear(&px.peers[i]);
		msg_tls_leaf_clear(&px.leaf[i]);
		SSL_CTX_free(px.client_ctx[i]);
	}
	SSL_CTX_free(px.server_ctx);
	msg_tls_roots_clear(&px.roots);
	conn_cache_flush(&px);
	admit_sources_clear(&px.sources);
	return rv;
}
