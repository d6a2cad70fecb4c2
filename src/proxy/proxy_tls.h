/*
 * TLS for the proxies, with OpenSSL: contexts built from PEM text that
 * arrives over the channel (keys never touch disk), the peer's SPIFFE id
 * from its URI SAN, and a non-blocking handshake driven by the event loop.
 *
 * Connections hold a reference to the SSL_CTX they started with, so a
 * context rebuilt on rotation takes effect for new connections while
 * established ones carry on.
 */
#ifndef PROXY_TLS_H
#define PROXY_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct ev_loop;

/*
 * OpenSSL's start-up: its configuration file read and its random
 * generator seeded, while the proxy may still open files (before the
 * sandbox).  Returns 0, or -1 with err.
 */
int	tls_init(char *err, size_t errlen);

/*
 * A server context: presents cert/key, requires a client certificate
 * that chains to roots (TLS 1.2 or later), and resumes sessions for
 * resume_ms (0: never; tls_resume.h), sid naming the listener.  NULL
 * with err on bad input.
 */
SSL_CTX	*tls_server_ctx(const char *cert_pem, const char *key_pem,
	    const char *roots_pem, const char *sid, uint64_t resume_ms,
	    char *err, size_t errlen);
/*
 * A client context: presents cert/key, verifies the server chains to
 * roots, and offers the sessions its servers gave when resume_ms is not 0.
 */
SSL_CTX	*tls_client_ctx(const char *cert_pem, const char *key_pem,
	    const char *roots_pem, uint64_t resume_ms, char *err,
	    size_t errlen);

/*
 * An internal hop to a writer names in its ClientHello (ALPN) how many
 * hops a client's connection has made with it: 1 from the writer the
 * client reached, 2 once passed on by the node it went to (which then
 * never passes it on again).  0: nothing said.  A bridge's replication
 * stream says so instead (TLS_REPL, tls_repl()): the leader's writer
 * lets the replication handshake through for those streams only, and
 * only from its own service's identity.  A server context selects what
 * it was offered, so both find it on either end.
 */
#define TLS_HOPS_MAX	2
#define TLS_REPL	(TLS_HOPS_MAX + 1)
int	tls_hop(SSL *);
int	tls_repl(SSL *);

/* The single URI SAN of the peer's certificate (malloc'd), or NULL. */
char	*tls_peer_uri(SSL *);
/* The peer certificate's serial as lowercase hex (malloc'd), or NULL. */
char	*tls_peer_serial(SSL *);

struct tls_hs;

/*
 * Handshake done: ok 1 with ssl set up on fd, or ok 0 with err (fd and
 * ssl already closed and freed).  Called once, from the event loop.
 */
typedef void	(*tls_hs_cb)(struct tls_hs *, int ok, int fd, SSL *ssl,
		    const char *err, void *arg);

/*
 * Start a TLS handshake on a connected non-blocking fd: server (accept)
 * or client (connect).  Takes the fd, also when it fails (NULL).
 * timeout_ms bounds it.
 */
struct tls_hs	*tls_hs_start(struct ev_loop *, SSL_CTX *, int fd,
		    int server, uint64_t timeout_ms, tls_hs_cb, void *arg);
/*
 * Offer hop (1..TLS_HOPS_MAX, or TLS_REPL) before a client handshake
 * runs: 0 or -1.
 */
int		 tls_hs_hop(struct tls_hs *, int hop);
/* Abandon: closes the fd, frees the SSL, no callback. */
void		 tls_hs_cancel(struct ev_loop *, struct tls_hs *);

#endif
