/*
 * Authorization of the proxies' clients (connect_ca.c): every request is
 * answered exactly once, identical questions share one call, no more
 * than AUTHZ_MAX_CALLS calls run at once, and nothing is left behind,
 * also when the call cannot be made or the agent cannot be reached.
 *
 * The answers are read from the other end of the channel the elector
 * writes to the supervisor.  The agent is a small HTTP server of the
 * test's own on 127.0.0.1, run by the same event loop, that counts the
 * calls and the connections open at once and answers when told to.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chanpair.h"
#include "child.h"
#include "election.h"
#include "suites.h"

/* connect_ca.c's limit on calls at once. */
#define MAX_CALLS	16
#define AGENT_CONNS	64
#define APP_URI		"spiffe://d.consul/ns/default/dc/dc1/svc/app"

static struct ev_loop	*loop;
static struct pair	 pair;
static struct child	 child;
static struct elector	 el;

/* The fake agent. */
struct agent_conn {
	struct ev_io	 io;
	char		 buf[4096];
	size_t		 len;
	int		 asked;		/* a whole request was read */
};
static struct {
	int			 fd;
	struct ev_io		 io;
	struct agent_conn	*conns[AGENT_CONNS];
	int			 hold;		/* read, do not answer yet */
	int			 calls;		/* requests read */
	int			 open, max_open;
} agent;

/* What each route was answered, by route - ROUTE0. */
#define ROUTE0		100
#define NROUTES		64
static struct {
	int	 count;
	int	 allowed;
	char	 reason[64];
} answers[NROUTES];
static int	nanswers;

/* As child_run() sets it: what the elector queues is written at once. */
static void
child_wake(void *arg)
{
	child_flush(arg);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(loop = ev_loop_new());
	pair_open(&pair);
	memset(&child, 0, sizeof(child));
	child.kind = PROC_ELECTOR;
	child.loop = loop;
	child.chan = pair.a;
	child.io.fd = -1;
	ichan_set_wake(child.chan, child_wake, &child);
	memset(&el, 0, sizeof(el));
	el.child = &child;
	el.loop = loop;
	el.started = 1;
	memset(&agent, 0, sizeof(agent));
	agent.fd = -1;
	memset(answers, 0, sizeof(answers));
	nanswers = 0;
}

static void
teardown(void)
{
	int	i;

	for (i = 0; i < AGENT_CONNS; i++)
		if (agent.conns[i] != NULL) {
			ev_io_stop(loop, &agent.conns[i]->io);
			close(agent.conns[i]->io.fd);
			free(agent.conns[i]);
		}
	if (agent.fd != -1) {
		ev_io_stop(loop, &agent.io);
		close(agent.fd);
	}
	pair_close(&pair);
	ev_loop_free(loop);
}

static void
agent_close(int i)
{
	ev_io_stop(loop, &agent.conns[i]->io);
	close(agent.conns[i]->io.fd);
	free(agent.conns[i]);
	agent.conns[i] = NULL;
	agent.open--;
}

/* The reason names the call, so that sharing one is visible. */
static void
agent_answer(int i)
{
	char	body[128], resp[512];
	int	n, m;

	n = snprintf(body, sizeof(body),
	    "{\"Authorized\":true,\"Reason\":\"call %d\"}", ++agent.calls);
	m = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\n"
	    "Connection: close\r\n\r\n%s", n, body);
	ck_assert_int_eq(write(agent.conns[i]->io.fd, resp, m), m);
	agent_close(i);
}

static void
agent_release(void)
{
	int	i;

	agent.hold = 0;
	for (i = 0; i < AGENT_CONNS; i++)
		if (agent.conns[i] != NULL && agent.conns[i]->asked)
			agent_answer(i);
}

/* A request is whole once its headers and Content-Length bytes are in. */
static int
agent_request_done(const struct agent_conn *ac)
{
	const char	*end, *cl;

	if ((end = memmem(ac->buf, ac->len, "\r\n\r\n", 4)) == NULL)
		return 0;
	if ((cl = strcasestr(ac->buf, "Content-Length:")) == NULL || cl > end)
		return 1;
	return ac->len >= (size_t)(end + 4 - ac->buf) +
	    strtoul(cl + 15, NULL, 10);
}

static void
agent_read(int fd, uint32_t events, void *arg)
{
	struct agent_conn	*ac = arg;
	ssize_t			 n;
	int			 i;

	(void)fd;
	(void)events;
	for (i = 0; i < AGENT_CONNS && agent.conns[i] != ac; i++)
		;
	ck_assert_int_lt(i, AGENT_CONNS);
	n = read(ac->io.fd, ac->buf + ac->len, sizeof(ac->buf) - 1 - ac->len);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		agent_close(i);
		return;
	}
	ac->len += n;
	ac->buf[ac->len] = '\0';
	if (ac->asked || !agent_request_done(ac))
		return;
	ac->asked = 1;
	if (!agent.hold)
		agent_answer(i);
}

static void
agent_accept(int fd, uint32_t events, void *arg)
{
	struct agent_conn	*ac;
	int			 c, i;

	(void)events;
	(void)arg;
	if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) == -1)
		return;
	for (i = 0; i < AGENT_CONNS && agent.conns[i] != NULL; i++)
		;
	ck_assert_int_lt(i, AGENT_CONNS);
	ck_assert_ptr_nonnull(ac = calloc(1, sizeof(*ac)));
	agent.conns[i] = ac;
	ck_assert_int_eq(ev_io_start(loop, &ac->io, c, EPOLLIN, agent_read,
	    ac), 0);
	if (++agent.open > agent.max_open)
		agent.max_open = agent.open;
}

/* A loopback port: listening when listening, else bound and refusing. */
static int
agent_port(int listening)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	ck_assert_int_ne(agent.fd = socket(AF_INET, SOCK_STREAM |
	    SOCK_NONBLOCK, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(agent.fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(getsockname(agent.fd, (struct sockaddr *)&sin, &len),
	    0);
	if (listening) {
		ck_assert_int_eq(listen(agent.fd, 128), 0);
		ck_assert_int_eq(ev_io_start(loop, &agent.io, agent.fd,
		    EPOLLIN, agent_accept, NULL), 0);
	}
	return ntohs(sin.sin_port);
}

static void
client(int listening)
{
	struct consul_opts	o;
	char			addr[64];

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", agent_port(listening));
	memset(&o, 0, sizeof(o));
	o.addr = addr;
	ck_assert_ptr_nonnull(el.consul = consul_new(loop, &o));
}

static void
ask_uri(uint32_t route, const char *target, const char *uri)
{
	struct msg_authz_req	q;

	q.target = (char *)target;
	q.uri = (char *)uri;
	q.serial = "0a:0b";
	connect_ca_authorize(&el, route, &q);
}

static void
ask(uint32_t route, int svc)
{
	char	uri[128];

	snprintf(uri, sizeof(uri), "%s%d", APP_URI, svc);
	ask_uri(route, "tile38-writer", uri);
}

/* Read every answer on the channel so far into answers[]. */
static void
read_answers(void)
{
	struct imsg		m;
	struct msg_authz_resp	a;
	uint32_t		i;
	int			r;

	ck_assert_int_ne(ichan_read(pair.b), 0);
	while ((r = ichan_get(pair.b, &m)) == 1) {
		ck_assert_uint_eq(m.hdr.type, MSG_AUTHZ_RESP);
		i = m.hdr.peerid - ROUTE0;
		ck_assert_uint_lt(i, NROUTES);
		ck_assert_int_eq(msg_authz_resp_decode(&a, m.data, m.datalen),
		    0);
		answers[i].count++;
		answers[i].allowed = a.allowed;
		snprintf(answers[i].reason, sizeof(answers[i].reason), "%s",
		    a.reason);
		nanswers++;
		msg_authz_resp_clear(&a);
		imsg_free(&m);
	}
	ck_assert_int_eq(r, 0);
}

static void
tick(void *arg)
{
	(void)arg;
	ev_break(loop);
}

/* Run the loop for about ms, or until cond() holds. */
static int
run_until(int (*cond)(void), uint64_t ms)
{
	struct ev_timer	t;
	uint64_t	end = ev_now() + ms;

	ev_timer_init(&t, tick, NULL);
	while (ev_now() < end) {
		read_answers();
		if (cond != NULL && cond())
			return 1;
		ev_timer_start(loop, &t, 5);
		ck_assert_int_eq(ev_run(loop), 0);
	}
	ev_timer_stop(loop, &t);
	read_answers();
	return cond != NULL && cond();
}

static int	want_calls;
static int	want_answers;

static int
calls_reached(void)
{
	return agent.calls + agent.open >= want_calls;
}

static int
answers_reached(void)
{
	return nanswers >= want_answers;
}

static void
stop(void)
{
	connect_ca_stop(&el);
	ck_assert_ptr_null(el.authz);
	if (el.consul != NULL)
		consul_free(el.consul);
}

/*
 * A call the client refuses to make (here: no client at all) is never
 * called back: the request is answered at once and not kept.
 */
START_TEST(test_authz_call_not_made)
{
	ask(ROUTE0, 0);
	ask(ROUTE0 + 1, 0);
	read_answers();
	ck_assert_int_eq(nanswers, 2);
	ck_assert_int_eq(answers[0].count, 1);
	ck_assert_int_eq(answers[1].count, 1);
	ck_assert_int_eq(answers[1].allowed, 0);
	ck_assert_str_eq(answers[1].reason, "authorization unavailable");
	stop();
}
END_TEST

/* Before the elector has started, nothing is asked of anyone. */
START_TEST(test_authz_not_started)
{
	el.started = 0;
	ask(ROUTE0 + 3, 0);
	read_answers();
	ck_assert_int_eq(answers[3].count, 1);
	ck_assert_str_eq(answers[3].reason, "authorization unavailable");
	ck_assert_ptr_null(el.authz);
}
END_TEST

/*
 * Requests for the same target and client while a call is out share it:
 * one call, every request answered from its one response.
 */
START_TEST(test_authz_shared)
{
	int	i;

	client(1);
	agent.hold = 1;
	ask(ROUTE0, 0);
	ask(ROUTE0 + 1, 0);
	ask(ROUTE0 + 2, 1);
	ask_uri(ROUTE0 + 3, "tile38-reader", APP_URI "0");
	ask(ROUTE0 + 4, 0);
	ck_assert_uint_eq(consul_pending(el.consul), 3);
	want_calls = 3;
	ck_assert(run_until(calls_reached, 2000));
	ck_assert_int_eq(nanswers, 0);
	/* Joins the call already made. */
	ask(ROUTE0 + 5, 0);
	ck_assert_uint_eq(consul_pending(el.consul), 3);

	agent_release();
	want_answers = 6;
	ck_assert(run_until(answers_reached, 2000));
	ck_assert_int_eq(agent.calls, 3);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(answers[i].count, 1);
		ck_assert_int_eq(answers[i].allowed, 1);
	}
	ck_assert_str_eq(answers[1].reason, answers[0].reason);
	ck_assert_str_eq(answers[4].reason, answers[0].reason);
	ck_assert_str_eq(answers[5].reason, answers[0].reason);
	ck_assert_str_ne(answers[2].reason, answers[0].reason);
	ck_assert_str_ne(answers[3].reason, answers[0].reason);
	ck_assert_str_ne(answers[3].reason, answers[2].reason);

	/* Once answered, the same question is asked anew. */
	ask(ROUTE0 + 6, 0);
	want_answers = 7;
	ck_assert(run_until(answers_reached, 2000));
	ck_assert_int_eq(agent.calls, 4);
	stop();
}
END_TEST

/* Distinct questions: MAX_CALLS at once, the rest in turn, all answered. */
START_TEST(test_authz_capped)
{
	int	i, n = 40;

	client(1);
	agent.hold = 1;
	for (i = 0; i < n; i++)
		ask(ROUTE0 + i, i);
	ck_assert_uint_eq(consul_pending(el.consul), MAX_CALLS);
	want_calls = MAX_CALLS;
	ck_assert(run_until(calls_reached, 2000));
	run_until(NULL, 200);
	ck_assert_int_eq(agent.open, MAX_CALLS);
	ck_assert_int_eq(nanswers, 0);
	/* A queued question is shared too. */
	ask(ROUTE0 + n, n - 1);

	agent_release();
	want_answers = n + 1;
	ck_assert(run_until(answers_reached, 5000));
	ck_assert_int_eq(agent.calls, n);
	ck_assert_int_eq(agent.max_open, MAX_CALLS);
	for (i = 0; i <= n; i++) {
		ck_assert_int_eq(answers[i].count, 1);
		ck_assert_int_eq(answers[i].allowed, 1);
	}
	ck_assert_str_eq(answers[n].reason, answers[n - 1].reason);
	ck_assert_uint_eq(consul_pending(el.consul), 0);
	stop();
}
END_TEST

/* An agent that refuses connections: every request denied, none kept. */
START_TEST(test_authz_unreachable)
{
	int	i, n = 40;

	client(0);
	for (i = 0; i < n; i++)
		ask(ROUTE0 + i, i % 30);
	want_answers = n;
	ck_assert(run_until(answers_reached, 5000));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(answers[i].count, 1);
		ck_assert_int_eq(answers[i].allowed, 0);
		ck_assert_str_eq(answers[i].reason,
		    "authorization unavailable");
	}
	ck_assert_uint_eq(consul_pending(el.consul), 0);
	stop();
}
END_TEST

/* Stopping with calls out and questions queued frees them all. */
START_TEST(test_authz_stop_pending)
{
	int	i;

	client(1);
	agent.hold = 1;
	for (i = 0; i < 30; i++)
		ask(ROUTE0 + i, i % 20);
	want_calls = MAX_CALLS;
	ck_assert(run_until(calls_reached, 2000));
	stop();
	ck_assert_int_eq(nanswers, 0);
}
END_TEST

Suite *
connect_ca_suite(void)
{
	Suite	*s = suite_create("connect_ca");
	TCase	*tc;

	tc = tcase_create("authorize");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_authz_call_not_made);
	tcase_add_test(tc, test_authz_not_started);
	tcase_add_test(tc, test_authz_shared);
	tcase_add_test(tc, test_authz_capped);
	tcase_add_test(tc, test_authz_unreachable);
	tcase_add_test(tc, test_authz_stop_pending);
	suite_add_tcase(s, tc);
	return s;
}
