/*
 * Whether a listener takes a new connection: a pure function of what it
 * holds now and of its caps, and the count of connections in handshake
 * per client address that the caps need.
 *
 * A connection is "in handshake" from accept until its client is known:
 * its certificate verified and its identity authorized by the elector
 * (or held because no elector could be asked: that client has shown a
 * certificate of the Connect CA).  Until then it costs a slot, memory
 * and a handshake's CPU while nobody knows who sent it, so those have a
 * cap of their own below proxy.max_connections (proxy.max_handshakes),
 * and one address may hold only so many of them
 * (proxy.max_handshakes_per_source): one host opening connections that
 * never finish their handshake no longer takes every slot.
 */
#ifndef PROXY_ADMIT_H
#define PROXY_ADMIT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

enum admit {
	ADMIT_OK = 0,
	ADMIT_FULL,		/* proxy.max_connections open */
	ADMIT_NO_TLS,		/* W, R: no TLS material yet */
	ADMIT_NOT_LOOPBACK,	/* B: a client from outside loopback */
	ADMIT_SOURCE,		/* proxy.max_handshakes_per_source */
	ADMIT_HANDSHAKES,	/* proxy.max_handshakes */
};

struct admit_view {
	int	 kind;		/* PROC_WRITER/READER/BRIDGE */
	size_t	 open;		/* connections open, in handshake or not */
	size_t	 max_open;	/* proxy.max_connections, or what fits */
	int	 tls_ready;	/* W, R: a server context to answer with */
	int	 loopback;	/* the client's address is a loopback one */
	size_t	 handshakes;	/* connections in handshake now */
	size_t	 max_handshakes; /* proxy.max_handshakes */
	size_t	 source;	/* of those, from the client's address */
	size_t	 max_source;	/* proxy.max_handshakes_per_source; 0: none */
	int	 peer;		/* the address is another node's (below) */
};

/*
 * The first refusal that applies, in this order: the listener full, no
 * TLS yet, a bridge's client from outside, the client's address over its
 * cap (not another node's: a follower's writer passes on every write of
 * its clients from its one address), then every address together over
 * theirs.  The address's cap
 * comes before the listener's so that a single flooding host is named
 * as such.  A bridge has no handshake: its clients are loopback only.
 */
enum admit	 admit_decide(const struct admit_view *);
/* A few words for a log line: "proxy.max_handshakes reached". */
const char	*admit_why(enum admit);

/*
 * A client's address as the per-source caps count it: the whole address,
 * IPv4 or IPv6 (an IPv4-mapped IPv6 address as its IPv4 one).  Not an
 * IPv6 /64: inside a data centre one /64 is a whole subnet of hosts, and
 * one of them must not lock out its neighbours; proxy.max_handshakes
 * bounds what many addresses hold together.
 */
struct admit_key {
	uint8_t		 a[16];	/* IPv4 as ::ffff:a.b.c.d */
};

/* 0, or -1 for an address that is no IPv4 or IPv6 one (key zeroed). */
int		 admit_key(const struct sockaddr *, socklen_t,
		    struct admit_key *);
int		 admit_key_loopback(const struct admit_key *);
/* Numeric text: "10.0.0.1", "2001:db8::1". */
void		 admit_key_text(const struct admit_key *, char *, size_t);

/* Connections in handshake per address: only addresses with some. */
#define ADMIT_BUCKETS	1024

struct admit_src;

struct admit_sources {
	struct admit_src	*b[ADMIT_BUCKETS];
	size_t			 n;	/* addresses held */
};

size_t		 admit_sources_count(const struct admit_sources *,
		    const struct admit_key *);
/* One more from the address: 0, or -1 out of memory. */
int		 admit_sources_add(struct admit_sources *,
		    const struct admit_key *);
/* One less; an address left with none is forgotten. */
void		 admit_sources_del(struct admit_sources *,
		    const struct admit_key *);
void		 admit_sources_clear(struct admit_sources *);

/*
 * The addresses other nodes of the cluster came from: those of clients
 * that showed this listener's own service identity (a hop, a bridge's
 * stream).  The most recent ADMIT_PEERS are kept.
 */
#define ADMIT_PEERS	64

struct admit_peers {
	struct admit_key	 k[ADMIT_PEERS];
	size_t			 n;
	size_t			 next;	/* the oldest, replaced next */
};

int		 admit_peers_has(const struct admit_peers *,
		    const struct admit_key *);
void		 admit_peers_add(struct admit_peers *,
		    const struct admit_key *);

#endif
