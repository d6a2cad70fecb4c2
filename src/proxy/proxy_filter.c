/*
 * The command filter of one connection: the client's commands are
 * scanned as they arrive (cmd_scan.h) and each is passed on or refused
 * as a whole, by its name, before any byte of it reaches the server.
 *
 * A refused command never reaches the server; its error comes from
 * here, in its place among the server's replies: the server's replies
 * are counted (reply_scan.h), and the error goes to the client once the
 * server has answered every command passed before it.  Until then no
 * later command is scanned, so at most one error waits.  SUBSCRIBE and
 * its family are answered once per channel; pushes (RESP3, pub/sub
 * messages, Tile38's geofence events) count as replies: where they come
 * the error may go a little early, never inside a reply, and never
 * waits for a reply that does not come.
 *
 * A stream (the bridge, and a bridge's replication stream on the
 * leader's writer) may only make the replication handshake; anything
 * else closes it.  Its server -> client side is a replication stream,
 * not replies: it passes unread.
 *
 * An HTTP request (Tile38 takes HTTP and WebSocket on its port) is
 * refused with a 403 and the connection closed, unless proxy.http is
 * opaque and the server Tile38: then that connection passes unread both
 * ways from there on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_class.h"
#include "cmd_scan.h"
#include "config.h"
#include "proxy_filter.h"
#include "reply_scan.h"

enum cur {
	CUR_NONE,		/* between commands, or before its name */
	CUR_PASS,
	CUR_REFUSE,
};

struct filter_rules {
	unsigned		 refs;
	struct cmd_policy	 policy;
};

struct filter {
	enum filter_mode	 mode;
	int			 kind;
	struct filter_rules	*rules;
	char			 listener[16];
	char			 service[128];
	int			 http_opaque;

	struct cmd_scan		 req;
	struct reply_scan	 rep;
	enum cur		 cur;
	uint64_t		 passed;	/* commands sent to the server */
	int			 opaque;	/* no more scanning */
	long long		 answers;	/* the current command's replies */
	uint64_t		 seen;		/* replies and pushes so far */
	int			 lost;		/* replies not understood */
	int			 json;		/* Tile38: OUTPUT json */
	int			 multi;		/* Redis: inside MULTI */
	int			 discard;	/* a refusal inside it */
	/* the last command's entry and verdict: pipelines repeat */
	const struct cmd_def	*last;
	int			 last_ok;

	int			 pending;	/* an error waits for its turn */
	uint64_t		 turn;		/* after this many replies */
	char			 msg[320];	/* the error, or last words */
	size_t			 msglen;
	const char		*why;		/* RF_CLOSE */
	char			 whybuf[96];
	uint64_t		 refused;
};

/* A name as it may appear in a reply: no quotes, no line breaks. */
static void
filter_name(char *dst, size_t size, const struct cmd_scan *s)
{
	size_t	i, n = 0;

	for (i = 0; s->name[i] != '\0' && n + 1 < size; i++) {
		unsigned char	ch = (unsigned char)s->name[i];

		dst[n++] = ch > ' ' && ch < 0x7f && ch != '\'' &&
		    ch != '"' && ch != '\\' ? (char)ch : '?';
	}
	dst[n] = '\0';
	if (s->name_long && n + 4 < size)
		strlcat(dst, "...", size);
}

/* The refusal, in the protocol the client speaks. */
static void
filter_refusal(struct filter *f)
{
	char	name[CMD_NAME_MAX + 8], text[160];
	int	n;

	filter_name(name, sizeof(name), &f->req);
	snprintf(text, sizeof(text), "command '%s' not allowed through the "
	    "%s listener", name, f->listener);
	if (f->req.proto == CMD_NATIVE || f->json) {
		char	json[200];

		n = snprintf(json, sizeof(json), "{\"ok\":false,\"err\":"
		    "\"%s\"}", text);
		n = snprintf(f->msg, sizeof(f->msg), f->req.proto ==
		    CMD_NATIVE ? "$%d %s\r\n" : "$%d\r\n%s\r\n", n, json);
	} else
		n = snprintf(f->msg, sizeof(f->msg), "-ERR %s\r\n", text);
	f->msglen = n > 0 && (size_t)n < sizeof(f->msg) ? (size_t)n : 0;
}

/* End the relay: why is in whybuf, last words (or NULL) for the client. */
static int
filter_close(struct filter *f, const char *last)
{
	f->why = f->whybuf;
	f->msglen = 0;
	if (last != NULL) {
		f->msglen = strlcpy(f->msg, last, sizeof(f->msg));
		if (f->msglen >= sizeof(f->msg))
			f->msglen = sizeof(f->msg) - 1;
	}
	return RF_CLOSE;
}

static int
filter_http(struct filter *f)
{
	static const char	body[] = "HTTP and WebSocket are not allowed "
				    "through this listener\r\n";
	char			last[256];

	/* Redis would run every header line as a command */
	if (f->http_opaque && f->mode == FILTER_CLIENT &&
	    f->kind == SERVER_TILE38) {
		f->opaque = 1;
		return RF_PASS;
	}
	snprintf(last, sizeof(last), "HTTP/1.1 403 Forbidden\r\n"
	    "Connection: close\r\nContent-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n\r\n%s", sizeof(body) - 1, body);
	snprintf(f->whybuf, sizeof(f->whybuf), "HTTP request refused "
	    "(proxy.http refuse)");
	return filter_close(f, last);
}

/*
 * What a passed command changes in how this filter must answer: Tile38's
 * OUTPUT (its errors in JSON), Redis' MULTI (a refusal inside it must
 * not let the rest run).
 */
static void
filter_session(struct filter *f, const struct cmd_def *d)
{
	const struct cmd_scan	*s = &f->req;

	if (strcmp(d->name, "OUTPUT") == 0 && s->has_sub)
		f->json = strcmp(s->sub, "JSON") == 0 ? 1 :
		    strcmp(s->sub, "RESP") == 0 ? 0 : f->json;
	else if (strcmp(d->name, "MULTI") == 0)
		f->multi = 1;
	else if (strcmp(d->name, "EXEC") == 0 ||
	    strcmp(d->name, "DISCARD") == 0 || strcmp(d->name, "RESET") == 0)
		f->multi = 0;
}

/*
 * A command refused inside MULTI: the server must not run the rest of
 * the transaction, which it would, never having seen the refused one.
 * The next command ends the connection, answered as Redis answers an
 * EXEC after a command that failed to queue; the server discards the
 * transaction of a client that went away.
 */
static int
filter_discard(struct filter *f)
{
	snprintf(f->whybuf, sizeof(f->whybuf), "a command refused inside "
	    "MULTI: transaction discarded");
	return filter_close(f, "-EXECABORT Transaction discarded because of "
	    "previous errors.\r\n");
}

/* A command's name is known: pass it, refuse it, or end the stream. */
static int
filter_head(struct filter *f)
{
	const struct cmd_scan	*s = &f->req;
	const struct cmd_def	*d;

	if (s->proto == CMD_HTTP)
		return filter_http(f);
	/* Tile38's own framing means nothing to Redis */
	if (s->proto == CMD_NATIVE && f->kind != SERVER_TILE38) {
		snprintf(f->whybuf, sizeof(f->whybuf), "malformed request: "
		    "Tile38's native protocol to a Redis server");
		return filter_close(f, f->mode == FILTER_CLIENT ?
		    "-ERR Protocol error: malformed request\r\n" : NULL);
	}
	if (f->mode == FILTER_STREAM) {
		if (!cmd_bridge_allowed(f->kind, s->name, NULL)) {
			char	name[CMD_NAME_MAX + 8];

			filter_name(name, sizeof(name), s);
			snprintf(f->whybuf, sizeof(f->whybuf), "not a "
			    "replication handshake: '%s'", name);
			return filter_close(f, NULL);
		}
		f->cur = CUR_PASS;
		return RF_PASS;
	}
	if (f->last != NULL && !s->name_long &&
	    strcmp(f->last->name, s->name) == 0)
		d = f->last;
	else {
		d = cmd_lookup(f->kind, s->name, s->name_long,
		    s->has_sub ? s->sub : NULL, s->sub_long);
		f->last_ok = cmd_policy_allows_def(&f->rules->policy,
		    f->service[0] != '\0' ? f->service : NULL, d);
		/* only a command whose verdict its name alone decides */
		f->last = d != NULL && !(d->flags & CMD_F_SUBS) &&
		    strchr(d->name, '|') == NULL ? d : NULL;
	}
	if (d == NULL || !f->last_ok) {
		f->cur = CUR_REFUSE;
		f->refused++;
		filter_refusal(f);
		f->discard = f->multi;
		return RF_DROP;
	}
	filter_session(f, d);
	/* one confirmation per channel */
	f->answers = 1;
	if ((d->flags & CMD_F_UNORDERED) && strstr(d->name, "SUBSCRIBE") !=
	    NULL && s->nargs > 2)
		f->answers = s->nargs - 1;
	f->cur = CUR_PASS;
	return RF_PASS;
}

/*
 * Client bytes.  Each call covers one command at most: its bytes share
 * one fate.  It returns at the end of a command (the next one's bytes
 * wait for their own name) and at the end of the input.
 */
static int
filter_request(void *arg, const char *p, size_t len, size_t *used)
{
	struct filter	*f = arg;
	size_t		 total = 0, u;
	int		 v;

	if (f->opaque) {
		*used = len;
		return RF_PASS;
	}
	if (f->discard && len > 0) {
		*used = 0;
		return filter_discard(f);
	}
	for (;;) {
		u = 0;
		switch (cmd_scan(&f->req, p + total, len - total, &u)) {
		case CMD_NEED:
			*used = total + u;
			return f->cur == CUR_PASS ? RF_PASS :
			    f->cur == CUR_REFUSE ? RF_DROP : RF_MORE;
		case CMD_HEAD:
			total += u;
			v = filter_head(f);
			if (v == RF_CLOSE || f->opaque) {
				*used = f->opaque ? len : total;
				return v;
			}
			break;
		case CMD_END:
			total += u;
			if (f->cur == CUR_REFUSE) {
				f->cur = CUR_NONE;
				f->pending = 1;
				f->turn = f->passed;
				*used = total;
				return RF_DROP_PAUSE;
			}
			if (f->cur == CUR_PASS)
				f->passed += (uint64_t)f->answers;
			f->cur = CUR_NONE;
			if (total > 0) {
				*used = total;
				return RF_PASS;
			}
			break;
		default:
			snprintf(f->whybuf, sizeof(f->whybuf), "malformed "
			    "request: %s", f->req.why != NULL ? f->req.why :
			    "?");
			return filter_close(f, f->mode == FILTER_CLIENT ?
			    "-ERR Protocol error: malformed request\r\n" :
			    NULL);
		}
	}
}

/* A refusal waits, and nothing says where the replies end. */
static int
filter_lost(struct filter *f)
{
	snprintf(f->whybuf, sizeof(f->whybuf), "replies not understood: "
	    "no place for a refusal");
	return filter_close(f, NULL);
}

/* The error may go now: between two replies, at its turn. */
static int
filter_turn(const struct filter *f)
{
	return f->pending && reply_scan_at_boundary(&f->rep) &&
	    f->seen >= f->turn;
}

/* Server bytes: counted while they pass, stopped where an error goes. */
static int
filter_reply(void *arg, const char *p, size_t len, size_t *used)
{
	struct filter	*f = arg;
	size_t		 total = 0, u;

	if (f->opaque || f->mode == FILTER_STREAM || f->lost) {
		*used = len;
		if (f->lost && f->pending)
			return filter_lost(f);
		return RF_PASS;
	}
	for (;;) {
		if (filter_turn(f)) {
			*used = total;
			return RF_HOLD;
		}
		if (total == len) {
			*used = total;
			return RF_PASS;
		}
		u = 0;
		switch (reply_scan(&f->rep, p + total, len - total, &u)) {
		case REPLY_NEED:
			*used = len;
			return RF_PASS;
		case REPLY_DONE:
		case REPLY_PUSH:
			total += u;
			f->seen++;
			break;
		default:
			/* pass on what the server says; refuse no more */
			f->lost = 1;
			*used = len;
			return f->pending ? filter_lost(f) : RF_PASS;
		}
	}
}

static const char *
filter_inject(void *arg, size_t *len)
{
	struct filter	*f = arg;

	*len = f->msglen;
	return f->msglen > 0 ? f->msg : NULL;
}

static void
filter_injected(void *arg)
{
	struct filter	*f = arg;

	f->pending = 0;
	f->msglen = 0;
}

static const char *
filter_why(void *arg)
{
	struct filter	*f = arg;

	return f->why;
}

struct filter *
filter_new(const struct filter_conf *conf)
{
	struct filter	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->mode = conf->mode;
	f->kind = conf->kind;
	if ((f->rules = conf->rules) != NULL)
		f->rules->refs++;
	f->http_opaque = conf->http_opaque;
	strlcpy(f->listener, conf->listener != NULL ? conf->listener : "",
	    sizeof(f->listener));
	if (conf->service != NULL)
		strlcpy(f->service, conf->service, sizeof(f->service));
	cmd_scan_init(&f->req);
	reply_scan_init(&f->rep);
	return f;
}

void
filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	filter_rules_drop(f->rules);
	free(f);
}

struct filter_rules *
filter_rules_new(int kind, const char *commands, const char *grants,
    char *err, size_t errlen)
{
	struct filter_rules	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cmd_policy_parse(&r->policy, kind, commands, grants, err,
	    errlen) == -1) {
		free(r);
		return NULL;
	}
	r->refs = 1;
	return r;
}

void
filter_rules_drop(struct filter_rules *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	cmd_policy_free(&r->policy);
	free(r);
}

void
filter_hooks(struct filter *f, struct relay_filter *h)
{
	memset(h, 0, sizeof(*h));
	h->request = filter_request;
	h->reply = filter_reply;
	h->inject = filter_inject;
	h->injected = filter_injected;
	h->why = filter_why;
	h->arg = f;
}

int
filter_ended(const struct filter *f)
{
	return f->why != NULL;
}

uint64_t
filter_refused(const struct filter *f)
{
	return f->refused;
}
