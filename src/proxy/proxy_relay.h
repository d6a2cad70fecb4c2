/*
 * A relayed connection: two sockets, each plain or TLS, and one bounded
 * buffer per direction.  Bytes pass unchanged; a full buffer stops
 * reading from its source (back-pressure both ways); an end of stream is
 * passed on as a half-close once its buffer has drained (TLS: close
 * notify).  Nothing is allocated per read.
 */
#ifndef PROXY_RELAY_H
#define PROXY_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct ev_loop;
struct relay;

/*
 * Both directions finished, or an error: the caller frees the relay.
 * why is valid during the call only.
 */
typedef void	(*relay_done_cb)(struct relay *, const char *why, void *arg);

/*
 * Start relaying between a and b.  Takes both fds and SSLs (NULL for
 * plain), also when it fails (NULL); a TLS end must have finished its
 * handshake.  bufsize is the capacity of each direction's buffer.
 */
struct relay	*relay_new(struct ev_loop *, int a_fd, SSL *a_ssl, int b_fd,
		    SSL *b_ssl, size_t bufsize, relay_done_cb, void *arg);
/*
 * Asked before any byte is written either way: NULL lets it pass, a
 * reason ends the relay (relay_done_cb gets it).  A writer's lease is
 * checked there: no write reaches the server, and no answer reaches the
 * client, once it has lapsed.
 */
typedef const char *(*relay_gate_cb)(void *arg);
void		 relay_gate(struct relay *, relay_gate_cb, void *arg);
/* Close both ends (TLS without a close notify) and free. */
void		 relay_free(struct ev_loop *, struct relay *);
/*
 * a spoke last and b has not answered yet: bytes from a are buffered or
 * were written to b after the last bytes b sent.  A request in flight,
 * for a client on a and a server on b.
 */
int		 relay_awaits(const struct relay *);
/* Bytes moved a -> b and b -> a so far. */
void		 relay_bytes(const struct relay *, uint64_t *a_to_b,
		    uint64_t *b_to_a);

#endif
