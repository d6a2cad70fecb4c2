/*
 * The admin process.  What it knows comes from the supervisor: the role,
 * the peers, the local server's state and every process's figures.  It
 * serves them three ways:
 *
 *	control socket	tile38-clusterctl: one request line, one JSON answer;
 *			commands that change something go to the supervisor
 *	admin HTTP	/leader /replica /health /status /metrics
 *	DogStatsD	every dogstatsd.interval, and role changes as events
 *
 * Every client gets one request and one answer, then the connection
 * closes; a client that is too slow is timed out.  Control and HTTP
 * clients are kept in pools of their own (admin_int.h).
 */
#include <sys/queue.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_int.h"
#include "child.h"
#include "dogstatsd.h"
#include "log.h"

static void	admin_client_io(int, uint32_t, void *);
static void	admin_accept(int, uint32_t, void *);

void
admin_client_close(struct aclient *cl)
{
	struct admin	*ad = cl->ad;

	ev_io_stop(ad->loop, &cl->io);
	ev_timer_stop(ad->loop, &cl->timer);
	close(cl->fd);
	free(cl->out);
	TAILQ_REMOVE(&ad->clients, cl, entry);
	ad->nclients--;
	free(cl);
}

/*
 * While its request is under way the client is not read: watching it for
 * input would wake the loop without end once it half-closes or sends
 * more, since the input stays unread.  A hangup or an error still comes
 * through, and closes it.
 */
void
admin_client_wait(struct aclient *cl)
{
	cl->waiting = 1;
	if (ev_io_set(cl->ad->loop, &cl->io, 0) == -1)
		admin_client_close(cl);
}

/* The peer's address as text, "" when it cannot be had. */
static void
admin_client_addr(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	const void		*a = NULL;

	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss.ss_family, a, buf, len) == NULL)
		buf[0] = '\0';
}

/*
 * A new client of its pool, or NULL with fd closed.  An HTTP address at
 * its share, or a full HTTP pool, loses its oldest connection to the new
 * one; a control client over its pool is marked to be answered "busy".
 */
static struct aclient *
admin_client_new(struct admin *ad, int fd, int control)
{
	struct aclient	*cl, *oldest = NULL, *oldest_here = NULL;
	char		 addr[INET6_ADDRSTRLEN] = "";
	size_t		 n = 0, here = 0;

	if (!control)
		admin_client_addr(fd, addr, sizeof(addr));
	TAILQ_FOREACH(cl, &ad->clients, entry) {
		if (cl->control != control)
			continue;
		if (n++ == 0)
			oldest = cl;
		if (!control && strcmp(cl->addr, addr) == 0 && here++ == 0)
			oldest_here = cl;
	}
	if (control && n >= ADMIN_CTL_CLIENTS_MAX + ADMIN_CTL_BUSY_MAX) {
		log_debug("control: %zu clients, one more closed", n);
		close(fd);
		return NULL;
	}
	if (!control && here >= ADMIN_HTTP_ADDR_MAX) {
		log_debug("HTTP: %zu clients from %s, the oldest closed", here,
		    addr);
		admin_client_close(oldest_here);
	} else if (!control && n >= ADMIN_HTTP_CLIENTS_MAX) {
		log_debug("HTTP: %zu clients, the oldest closed", n);
		admin_client_close(oldest);
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return NULL;
	}
	cl->busy = control && n >= ADMIN_CTL_CLIENTS_MAX;
	strlcpy(cl->addr, addr, sizeof(cl->addr));
	return cl;
}

static void
admin_client_timeout(void *arg)
{
	struct aclient	*cl = arg;

	log_debug("%s client timed out", cl->control ? "control" : "HTTP");
	admin_client_close(cl);
}

/*
 * Queue out (taken) behind what is still unsent and write it as the
 * socket allows.  The answer ends the exchange; a note of a request still
 * under way leaves the client waiting for more.
 */
static void
admin_client_queue(struct aclient *cl, char *out, size_t len)
{
	size_t	 left = cl->outlen - cl->outoff;
	char	*both;

	if (cl->out != NULL && left > 0) {
		if ((both = malloc(left + len + 1)) == NULL) {
			free(out);
			admin_client_close(cl);
			return;
		}
		memcpy(both, cl->out + cl->outoff, left);
		memcpy(both + left, out, len + 1);
		free(out);
		out = both;
		len += left;
	}
	free(cl->out);
	cl->out = out;
	cl->outlen = len;
	cl->outoff = 0;
	if (ev_io_set(cl->ad->loop, &cl->io, EPOLLOUT) == -1)
		admin_client_close(cl);
}

void
admin_client_reply(struct aclient *cl, char *out, size_t len)
{
	cl->waiting = 0;
	admin_client_queue(cl, out, len);
}

void
admin_client_note(struct aclient *cl, char *out, size_t len)
{
	admin_client_queue(cl, out, len);
}

static void
admin_client_write(struct aclient *cl)
{
	ssize_t	n;

	while (cl->outoff < cl->outlen) {
		n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			admin_client_close(cl);
			return;
		}
		cl->outoff += (size_t)n;
	}
	if (!cl->waiting) {
		admin_client_close(cl);
		return;
	}
	/* A note went out; the answer is still to come. */
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = 0;
	admin_client_wait(cl);
}

static void
admin_client_read(struct aclient *cl)
{
	ssize_t	n;

	if (cl->waiting || cl->out != NULL)
		return;
	n = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		admin_client_close(cl);
		return;
	}
	cl->inlen += (size_t)n;
	cl->in[cl->inlen] = '\0';
	if (cl->control)
		admin_ctl_input(cl);
	else
		admin_http_input(cl);
}

static void
admin_client_io(int fd, uint32_t events, void *arg)
{
	struct aclient	*cl = arg;

	(void)fd;
	/* Gone while its request is under way: its answer is dropped. */
	if (cl->waiting && (events & (EPOLLHUP | EPOLLERR)))
		admin_client_close(cl);
	else if (events & EPOLLOUT)
		admin_client_write(cl);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		admin_client_read(cl);
}

/*
 * accept() that fails for want of descriptors or memory leaves the
 * connection queued and the listener readable: watched level-triggered,
 * it would call us again at once for as long as that lasts.  The
 * listener is let be for a pause instead, doubling while accept() keeps
 * failing; clients already in go on and free descriptors as they close.
 */
#define ADMIN_PAUSE_MIN_MS	100
#define ADMIN_PAUSE_MAX_MS	1000

static int
admin_listen_watch(struct alistener *l)
{
	return ev_io_start(l->ad->loop, &l->io, l->fd, EPOLLIN,
	    admin_accept, l);
}

static void
admin_accept_pause(struct alistener *l)
{
	if (l->pause_ms == 0)
		l->pause_ms = ADMIN_PAUSE_MIN_MS;
	if (l->starved_at == 0)
		l->starved_at = ev_now();
	ev_io_stop(l->ad->loop, &l->io);
	ev_timer_start(l->ad->loop, &l->pause, l->pause_ms);
	l->pause_ms = l->pause_ms * 2 < ADMIN_PAUSE_MAX_MS ? l->pause_ms * 2 :
	    ADMIN_PAUSE_MAX_MS;
}

static void
admin_accept_resume(void *arg)
{
	struct alistener	*l = arg;

	if (l->fd == -1 || l->io.fd != -1)
		return;
	if (admin_listen_watch(l) == -1) {
		log_warn("%s listener watch", l->control ? "control" : "HTTP");
		admin_accept_pause(l);
	}
}

static void
admin_accept(int lfd, uint32_t events, void *arg)
{
	struct alistener	*l = arg;
	struct admin		*ad = l->ad;
	struct aclient		*cl;
	int			 fd;

	(void)events;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (l->starved_at != 0) {
			/* What was left out of the episode, said first. */
			log_flush();
			log_info("%s: accepting connections again after %llu "
			    "ms", l->control ? "control" : "HTTP",
			    (unsigned long long)(ev_now() - l->starved_at));
			l->starved_at = 0;
		}
		l->pause_ms = 0;
		if ((cl = admin_client_new(ad, fd, l->control)) == NULL)
			continue;
		cl->ad = ad;
		cl->fd = fd;
		cl->control = l->control;
		if (l->control && admin_ctl_peer(cl) == -1) {
			close(fd);
			free(cl);
			continue;
		}
		TAILQ_INSERT_TAIL(&ad->clients, cl, entry);
		ad->nclients++;
		ev_timer_init(&cl->timer, admin_client_timeout, cl);
		ev_timer_start(ad->loop, &cl->timer, ad->cfg->http_timeout);
		if (ev_io_start(ad->loop, &cl->io, fd, EPOLLIN,
		    admin_client_io, cl) == -1)
			admin_client_close(cl);
	}
	if (ev_accept_lost(errno))
		return;
	log_warn("%s accept", l->control ? "control" : "HTTP");
	admin_accept_pause(l);
}

/* DogStatsD ------------------------------------------------------------ */

static void
admin_dsd_send(const char *pkt, size_t len, void *arg)
{
	struct admin	*ad = arg;

	/* An absent agent costs nothing: errors are not even logged. */
	(void)sendto(ad->dsd_fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&ad->dsd_addr, ad->dsd_addrlen);
}

static void
admin_dsd_tick(void *arg)
{
	struct admin			*ad = arg;
	const struct metric_set		*sets[PROC_MAX];
	const struct metric		*m;
	size_t				 n;

	ev_timer_start(ad->loop, &ad->dsd_timer, ad->cfg->dogstatsd_interval);
	if (ad->dsd_fd == -1)
		return;
	/*
	 * What a previous admin sent is not sent again: wait for the
	 * supervisor's figures (each second) to tell whether we restarted.
	 */
	if (!ad->dsd_flushed) {
		if (ad->sets[PROC_SUPERVISOR] == NULL)
			return;
		m = metric_get(ad->sets[PROC_SUPERVISOR], "child_restarts",
		    proc_name(PROC_ADMIN));
		if (m != NULL && m->value > 0)
			dsd_baseline(ad->dsd);
		ad->dsd_flushed = 1;
	}
	n = admin_sets(ad, sets);
	if (dsd_flush(ad->dsd, sets, n, ad->cfg->id, admin_role_name(ad),
	    admin_dsd_send, ad) == -1)
		log_warnx("dogstatsd: out of memory");
}

/*
 * The sockets for the agent, one per address family, opened before the
 * sandbox: the admin creates none once it runs, whatever address a
 * reload gives.  A family the host lacks is left out.
 */
static void
admin_dsd_open(struct admin *ad)
{
	static const int	 family[2] = { AF_INET, AF_INET6 };
	int			 i;

	for (i = 0; i < 2; i++) {
		if (ad->dsd_sock[i] != -1)
			continue;
		ad->dsd_sock[i] = socket(family[i], SOCK_DGRAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (ad->dsd_sock[i] == -1)
			log_debug("dogstatsd: no socket for %s: %s",
			    i == 0 ? "IPv4" : "IPv6", strerror(errno));
	}
}

/*
 * Resolve the agent's address; a failure leaves DogStatsD off.  Once
 * sandboxed the admin opens no file and sends no DNS query: a name is
 * resolved when it starts, and a reload must give an address.
 */
static void
admin_dsd_resolve(struct admin *ad, const struct config *cfg)
{
	struct addrinfo	 hints, *res, *ai;
	char		 port[8];
	int		 rv;

	ad->dsd_fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (ad->started)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", cfg->dogstatsd_port);
	if ((rv = getaddrinfo(cfg->dogstatsd_addr, port, &hints,
	    &res)) != 0) {
		if (rv == EAI_NONAME && ad->started)
			log_warnx("dogstatsd.addr %s: a running admin takes "
			    "an address, not a name (names are resolved when "
			    "the daemon starts); no metrics sent",
			    cfg->dogstatsd_addr);
		else
			log_warnx("dogstatsd.addr %s: %s; no metrics sent",
			    cfg->dogstatsd_addr, gai_strerror(rv));
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET && ad->dsd_sock[0] != -1)
			ad->dsd_fd = ad->dsd_sock[0];
		else if (ai->ai_family == AF_INET6 && ad->dsd_sock[1] != -1)
			ad->dsd_fd = ad->dsd_sock[1];
		else
			continue;
		memcpy(&ad->dsd_addr, ai->ai_addr, ai->ai_addrlen);
		ad->dsd_addrlen = ai->ai_addrlen;
		break;
	}
	if (ad->dsd_fd == -1)
		log_warnx("dogstatsd.addr %s: no socket for its address "
		    "family; no metrics sent", cfg->dogstatsd_addr);
	freeaddrinfo(res);
}

void
admin_dsd_event(struct admin *ad, const char *title, const char *text)
{
	char	buf[1024];
	int	n;

	if (ad->dsd_fd == -1)
		return;
	if ((n = dsd_event(buf, sizeof(buf), title, text, ad->cfg->id,
	    admin_role_name(ad))) > 0)
		admin_dsd_send(buf, (size_t)n, ad);
}

/* The process frame ---------------------------------------------------- */

/* Who may change anything over the control socket: root and our user. */
static void
admin_owner(struct admin *ad, const struct config *cfg)
{
	struct passwd	*pw;

	ad->uid = geteuid();
	if (ad->uid == 0 && (pw = getpwnam(cfg->user)) != NULL)
		ad->uid = pw->pw_uid;
}

static int
admin_configure(struct child *c, const struct config *cfg, char *err,
    size_t errlen)
{
	struct admin	*ad = c->arg;

	(void)err;
	(void)errlen;
	ad->child = c;
	ad->cfg = &c->cfg;
	admin_owner(ad, cfg);
	admin_dsd_open(ad);
	admin_dsd_resolve(ad, cfg);
	return 0;
}

static int
admin_reconfigure(struct child *c, const struct config *next, char *err,
    size_t errlen)
{
	struct admin	*ad = c->arg;

	(void)err;
	(void)errlen;
	/* The same name again is not resolved again. */
	if (strcmp(next->dogstatsd_addr, c->cfg.dogstatsd_addr) != 0 ||
	    next->dogstatsd_port != c->cfg.dogstatsd_port)
		admin_dsd_resolve(ad, next);
	return 0;
}

static void
admin_listen(struct admin *ad, struct alistener *l, int fd)
{
	if (l->fd != -1) {
		ev_io_stop(ad->loop, &l->io);
		ev_timer_stop(ad->loop, &l->pause);
		l->pause_ms = l->starved_at = 0;
		close(l->fd);
	}
	l->fd = fd;
	if (fd != -1 && ad->started && admin_listen_watch(l) == -1)
		fatal("listener watch");
}

static void
admin_listener(struct child *c, int kind, int fd, const char *addr,
    uint32_t port)
{
	struct admin	*ad = c->arg;

	if (kind == LISTENER_CONTROL) {
		admin_listen(ad, &ad->ctl, fd);
		return;
	}
	strlcpy(ad->laddr[kind], addr, sizeof(ad->laddr[kind]));
	ad->lport[kind] = port;
	if (kind == PROC_ADMIN)
		admin_listen(ad, &ad->http, fd);
	else if (fd != -1)
		close(fd);
}

static void
admin_start(struct child *c)
{
	struct admin	*ad = c->arg;

	ad->started = 1;
	ad->loop = c->loop;
	if ((ad->http.fd != -1 && admin_listen_watch(&ad->http) == -1) ||
	    (ad->ctl.fd != -1 && admin_listen_watch(&ad->ctl) == -1))
		fatal("listener watch");
	ev_timer_init(&ad->dsd_timer, admin_dsd_tick, ad);
	ev_timer_start(ad->loop, &ad->dsd_timer, ad->cfg->dogstatsd_interval);
}

static void
admin_cleanup(struct child *c)
{
	struct admin	*ad = c->arg;

	while (!TAILQ_EMPTY(&ad->clients))
		admin_client_close(TAILQ_FIRST(&ad->clients));
	if (ad->started) {
		ev_timer_stop(c->loop, &ad->dsd_timer);
		ev_io_stop(c->loop, &ad->http.io);
		ev_timer_stop(c->loop, &ad->http.pause);
		ev_io_stop(c->loop, &ad->ctl.io);
		ev_timer_stop(c->loop, &ad->ctl.pause);
	}
	if (ad->http.fd != -1)
		close(ad->http.fd);
	if (ad->ctl.fd != -1)
		close(ad->ctl.fd);
	if (ad->dsd_sock[0] != -1)
		close(ad->dsd_sock[0]);
	if (ad->dsd_sock[1] != -1)
		close(ad->dsd_sock[1]);
	admin_state_free(ad);
	dsd_free(ad->dsd);
}

static const struct child_ops admin_ops = {
	.configure = admin_configure,
	.listener = admin_listener,
	.start = admin_start,
	.reconfigure = admin_reconfigure,
	.dispatch = admin_dispatch,
	.cleanup = admin_cleanup,
};

int
admin_main(int foreground, int verbose)
{
	struct admin	*ad;
	int		 rv;

	if ((ad = calloc(1, sizeof(*ad))) == NULL)
		fatal("admin");
	TAILQ_INIT(&ad->clients);
	ad->http.fd = ad->ctl.fd = ad->dsd_fd = -1;
	ad->dsd_sock[0] = ad->dsd_sock[1] = -1;
	ad->http.io.fd = ad->ctl.io.fd = -1;
	ad->http.ad = ad->ctl.ad = ad;
	ad->ctl.control = 1;
	ev_timer_init(&ad->http.pause, admin_accept_resume, &ad->http);
	ev_timer_init(&ad->ctl.pause, admin_accept_resume, &ad->ctl);
	if ((ad->dsd = dsd_new()) == NULL)
		fatal("admin");
	rv = child_run(PROC_ADMIN, foreground, verbose, &admin_ops, ad);
	free(ad);
	return rv;
}
