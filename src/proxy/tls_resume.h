/*
 * TLS 1.3 session resumption for the proxies' listeners and their hops.
 *
 * A listener hands each client one ticket, sealed with a key that lives
 * only in this process and rotates every lifetime: the old key still
 * opens tickets for one more lifetime, the new one seals.  A ticket is
 * honoured only while the full handshake it descends from is younger
 * than the lifetime and the certificate it carries has not expired, so
 * every client certificate is verified in full at least once per
 * lifetime.  A context built anew (rotated leaf or roots) has new keys:
 * its predecessor's tickets no longer open.  Authorization is decided
 * per connection as before, from the certificate the session carries.
 *
 * A proxy that dials another node's writer keeps the last session each
 * address gave it and offers it on the next dial to that address.
 *
 * The decisions are pure functions (resume_*), table-tested in
 * tests/unit/check_resume.c; the rest carries them out with OpenSSL.
 */
#ifndef TLS_RESUME_H
#define TLS_RESUME_H

#include <stdint.h>

#include <openssl/ssl.h>

/* Key ages, in ms of the monotonic clock. */
enum resume_key {
	RESUME_KEY_USE,		/* seals or opens as it is */
	RESUME_KEY_RENEW,	/* opens; the client gets a fresh ticket */
	RESUME_KEY_ROTATE,	/* too old to seal: make a new one */
	RESUME_KEY_REFUSE,	/* too old to open: full handshake */
};

/* Sealing with the current key, born at born: use it or rotate. */
enum resume_key	resume_key_seal(uint64_t now, uint64_t born, uint64_t life);
/* Opening with a key born at born, the current one or not. */
enum resume_key	resume_key_open(uint64_t now, uint64_t born, uint64_t life,
		    int current);
/*
 * A ticket that opened: resume (1) only if the full handshake it comes
 * from (verified, 0: unknown) is younger than life and its certificate
 * is valid now (cert_ok); else 0, a full handshake.
 */
int		resume_ticket_ok(uint64_t now, uint64_t verified,
		    uint64_t life, int cert_ok);

/*
 * A server context resumes for life_ms (0: never), sid naming the
 * listener.  0, or -1 with err.
 */
int	tls_resume_server(SSL_CTX *, const char *sid, uint64_t life_ms,
	    char *err, size_t errlen);
/* A client context keeps the sessions its servers give it. */
int	tls_resume_client(SSL_CTX *, char *err, size_t errlen);
/* Before a client handshake on fd: offer the session fd's address gave. */
void	tls_resume_offer(SSL *, int fd);

#endif
