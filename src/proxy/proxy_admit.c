/*
 * Admission of a new connection (proxy_admit.h): the decision, the
 * client's address as the caps count it, and the count per address of
 * connections in handshake.  No I/O.
 *
 * A connection over a cap is closed at once, before any TLS: a refusal
 * costs an accept() and a close(), where one let in would hold a slot
 * until proxy.handshake_timeout.  A client closed so retries, as it
 * would after any lost connection; legitimate handshakes last a few
 * milliseconds, so a host whose clients all reconnect at once (a role
 * change cuts them) gets proxy.max_handshakes_per_source of them through
 * at a time, each slot free again as soon as its handshake is done, and
 * the rest on their next try.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proxy_admit.h"

struct admit_src {
	struct admit_key	 key;
	size_t			 n;
	struct admit_src	*next;
};

enum admit
admit_decide(const struct admit_view *v)
{
	if (v->open >= v->max_open)
		return ADMIT_FULL;
	if (v->kind == PROC_BRIDGE)
		return v->loopback ? ADMIT_OK : ADMIT_NOT_LOOPBACK;
	if (!v->tls_ready)
		return ADMIT_NO_TLS;
	if (v->max_source > 0 && !v->peer && v->source >= v->max_source)
		return ADMIT_SOURCE;
	if (v->handshakes >= v->max_handshakes)
		return ADMIT_HANDSHAKES;
	return ADMIT_OK;
}

const char *
admit_why(enum admit a)
{
	switch (a) {
	case ADMIT_OK:
		return "admitted";
	case ADMIT_FULL:
		return "connection limit reached";
	case ADMIT_NO_TLS:
		return "no TLS material yet";
	case ADMIT_NOT_LOOPBACK:
		return "bridge connection from outside loopback";
	case ADMIT_SOURCE:
		return "proxy.max_handshakes_per_source reached";
	case ADMIT_HANDSHAKES:
		return "proxy.max_handshakes reached";
	}
	return "refused";
}

static const uint8_t	admit_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
admit_key(const struct sockaddr *sa, socklen_t len, struct admit_key *k)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(k, 0, sizeof(*k));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(*sin)) {
		memcpy(k->a, admit_v4mapped, sizeof(admit_v4mapped));
		memcpy(k->a + 12, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6)) {
		/* IPv4-mapped stays as it is: the same key as IPv4's. */
		memcpy(k->a, &sin6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static int
admit_key_v4(const struct admit_key *k)
{
	return memcmp(k->a, admit_v4mapped, sizeof(admit_v4mapped)) == 0;
}

int
admit_key_loopback(const struct admit_key *k)
{
	static const uint8_t	v6lo[16] = { [15] = 1 };

	if (admit_key_v4(k))
		return k->a[12] == 127;
	return memcmp(k->a, v6lo, sizeof(v6lo)) == 0;
}

void
admit_key_text(const struct admit_key *k, char *buf, size_t len)
{
	const char	*p;

	if (len == 0)
		return;
	if (admit_key_v4(k))
		p = inet_ntop(AF_INET, k->a + 12, buf, len);
	else
		p = inet_ntop(AF_INET6, k->a, buf, len);
	if (p == NULL)
		buf[0] = '\0';
}

/* FNV-1a: the keys are bounded by proxy.max_handshakes, chains short. */
static size_t
admit_hash(const struct admit_key *k)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < sizeof(k->a); i++) {
		h ^= k->a[i];
		h *= 16777619u;
	}
	return h % ADMIT_BUCKETS;
}

size_t
admit_sources_count(const struct admit_sources *t, const struct admit_key *k)
{
	const struct admit_src	*s;

	for (s = t->b[admit_hash(k)]; s != NULL; s = s->next)
		if (memcmp(&s->key, k, sizeof(*k)) == 0)
			return s->n;
	return 0;
}

int
admit_sources_add(struct admit_sources *t, const struct admit_key *k)
{
	struct admit_src	**head = &t->b[admit_hash(k)], *s;

	for (s = *head; s != NULL; s = s->next)
		if (memcmp(&s->key, k, sizeof(*k)) == 0) {
			s->n++;
			return 0;
		}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->key = *k;
	s->n = 1;
	s->next = *head;
	*head = s;
	t->n++;
	return 0;
}

void
admit_sources_del(struct admit_sources *t, const struct admit_key *k)
{
	struct admit_src	**pp, *s;

	for (pp = &t->b[admit_hash(k)]; (s = *pp) != NULL; pp = &s->next) {
		if (memcmp(&s->key, k, sizeof(*k)) != 0)
			continue;
		if (--s->n == 0) {
			*pp = s->next;
			free(s);
			t->n--;
		}
		return;
	}
}

void
admit_sources_clear(struct admit_sources *t)
{
	struct admit_src	*s, *next;
	size_t			 i;

	for (i = 0; i < ADMIT_BUCKETS; i++) {
		for (s = t->b[i]; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
		t->b[i] = NULL;
	}
	t->n = 0;
}

int
admit_peers_has(const struct admit_peers *p, const struct admit_key *k)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (memcmp(p->k[i].a, k->a, sizeof(k->a)) == 0)
			return 1;
	return 0;
}

void
admit_peers_add(struct admit_peers *p, const struct admit_key *k)
{
	if (admit_peers_has(p, k))
		return;
	p->k[p->next] = *k;
	p->next = (p->next + 1) % ADMIT_PEERS;
	if (p->n < ADMIT_PEERS)
		p->n++;
}
