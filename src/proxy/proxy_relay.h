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
 * Asked before any byte is written, a -> b (to_b) or b -> a: NULL lets
 * it pass, relay_gate_hold keeps that direction's bytes where they are
 * (no write, no wait for the socket) until the relay ends, and a reason
 * ends the relay (relay_done_cb gets it).  A writer's lease is checked
 * there: no write reaches the server, and no answer reaches the client,
 * once it has lapsed.
 */
typedef const char *(*relay_gate_cb)(void *arg, int to_b);
extern const char	 relay_gate_hold[];
void		 relay_gate(struct relay *, relay_gate_cb, void *arg);
/*
 * A filter sees every byte both ways before it may be written, in the
 * order it arrived, and says what becomes of it (the relay stays a
 * byte mover; what the bytes mean is the filter's):
 *
 * request(a -> b) and reply(b -> a) scan p[0 .. len), set *used and
 * return:
 *	RF_PASS		the used bytes, and any held back before them, may
 *			be written
 *	RF_MORE		the used bytes wait for a decision
 *	RF_DROP		the used bytes and those held back are dropped
 *			(once everything passed before them is written)
 *	RF_DROP_PAUSE	the same, and no more is scanned that way until
 *			the filter's reply has been injected
 *	RF_HOLD		(reply) the used bytes may be written; then the
 *			filter's reply goes to a before anything more
 *	RF_CLOSE	the relay ends, after one try at writing the
 *			filter's reply to a
 * Once a request pauses, reply() is also asked with len 0, so that an
 * answer due at once goes out although the server says nothing more.
 * inject() gives the bytes to write to a (stable until injected()).
 */
enum {
	RF_PASS,
	RF_MORE,
	RF_DROP,
	RF_DROP_PAUSE,
	RF_HOLD,
	RF_CLOSE,
};

struct relay_filter {
	int		 (*request)(void *, const char *, size_t, size_t *);
	int		 (*reply)(void *, const char *, size_t, size_t *);
	const char	*(*inject)(void *, size_t *);
	void		 (*injected)(void *);
	const char	*(*why)(void *);	/* RF_CLOSE's reason */
	void		*arg;
};
void		 relay_filter(struct relay *, const struct relay_filter *);
/* Close both ends (TLS without a close notify) and free. */
void		 relay_free(struct ev_loop *, struct relay *);
/*
 * a spoke last and b has not answered yet: bytes from a are buffered or
 * were written to b after the last bytes b sent.  A request in flight,
 * for a client on a and a server on b.
 */
int		 relay_awaits(const struct relay *);
/*
 * b has bytes to send a that a has not had all of: a spoke last, or b's
 * answer is still buffered.  A request under way at a server on b.
 */
int		 relay_in_flight(const struct relay *);
/*
 * Nothing went either way yet: hand a's end back (its fd and SSL) with
 * the bytes it sent that b never got (malloc'd, or NULL), close b's end
 * and free the relay.  0, or -1 with nothing changed when bytes already
 * went, a has ended, or memory ran out.
 */
int		 relay_detach_a(struct ev_loop *, struct relay *, int *fd,
		    SSL **, char **pending, size_t *len);
/* Before the relay's first turn: bytes a sent that go to b first. */
int		 relay_preload(struct relay *, const char *, size_t);
/* Bytes moved a -> b and b -> a so far. */
void		 relay_bytes(const struct relay *, uint64_t *a_to_b,
		    uint64_t *b_to_a);
/*
 * The process's pool of empty buffers: how many it keeps now, and free
 * them all (at exit, or in a test).
 */
size_t		 relay_pool_count(void);
void		 relay_pool_clear(void);

#endif
