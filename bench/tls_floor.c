/*
 * tls_floor: the heap OpenSSL itself holds per idle server-side mutual-TLS
 * connection, with no proxy around it.  Server and client contexts are
 * set up as the daemon's (src/proxy/proxy_tls.c, tls_ctx_new); COUNT
 * handshakes run in this process over non-blocking AF_UNIX socket pairs,
 * each connection carries one PING and its +PONG, then the client side is
 * freed and the server's SSL kept.  The heap in use (glibc's mallinfo2)
 * before and after, over COUNT, is OpenSSL's floor per connection: what a
 * proxy's own figure (bench/proxy, idle mTLS) is to be compared with.
 * A first round of a few connections, freed again, takes the one-time
 * allocations (providers, method and verify caches) out of the figure.
 *
 * Prints "COUNT HEAP-BEFORE HEAP-AFTER BYTES-PER-CONNECTION".
 *
 * Usage: tls_floor server-cert server-key client-cert client-key roots count
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* A round of handshakes that takes more steps than this is stuck. */
#define STEPS_MAX	64
/* Connections of the warm-up round: the one-time costs come with the first. */
#define WARMUP		100

/* A context as tls_ctx_new makes it, from PEM files. */
static SSL_CTX *
floor_ctx(int server, const char *cert, const char *key, const char *roots)
{
	SSL_CTX	*ctx;
	int	 mode = SSL_VERIFY_PEER;

	if ((ctx = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method())) == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (server)
		SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(ctx, 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, roots, NULL) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (server)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	return ctx;
}

/* Bytes the allocator has handed out, mmap'ed blocks included. */
static size_t
floor_heap(void)
{
	struct mallinfo2	mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * Did an SSL call that returned r merely wait for the other end?  Both
 * ends live in this process: the caller steps the other one and retries.
 */
static int
floor_wait(SSL *ssl, int r)
{
	int	e = SSL_get_error(ssl, r);

	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* One step of ssl's handshake unless *done: 0, or -1 when it failed. */
static int
floor_handshake(SSL *ssl, int *done)
{
	int	r;

	if (*done)
		return 0;
	if ((r = SSL_do_handshake(ssl)) == 1)
		*done = 1;
	else if (!floor_wait(ssl, r))
		return -1;
	return 0;
}

/* Read exactly n bytes into buf on ssl, writing nothing: 0, or -1. */
static int
floor_read(SSL *ssl, char *buf, int n)
{
	int	got = 0, r, step;

	for (step = 0; got < n && step < STEPS_MAX; step++) {
		if ((r = SSL_read(ssl, buf + got, n - got)) > 0)
			got += r;
		else if (!floor_wait(ssl, r))
			return -1;
	}
	return got == n ? 0 : -1;
}

/*
 * A server-side SSL that has done its handshake with a client of cctx and
 * carried one PING and its +PONG, or NULL.  The client side is gone when
 * it returns; the server's descriptor stays open with it.
 */
static SSL *
floor_conn(SSL_CTX *sctx, SSL_CTX *cctx)
{
	SSL	*s = NULL, *c = NULL;
	char	 buf[8];
	int	 fd[2] = { -1, -1 }, sdone = 0, cdone = 0, step;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd) == -1) {
		perror("tls_floor: socketpair");
		return NULL;
	}
	if ((s = SSL_new(sctx)) == NULL || SSL_set_fd(s, fd[0]) != 1 ||
	    (c = SSL_new(cctx)) == NULL || SSL_set_fd(c, fd[1]) != 1)
		goto fail;
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	/* Each end goes as far as it can, then waits for the other. */
	for (step = 0; !(sdone && cdone) && step < STEPS_MAX; step++) {
		if (floor_handshake(c, &cdone) == -1 ||
		    floor_handshake(s, &sdone) == -1)
			goto fail;
	}
	/* A socket pair's buffer takes these whole: no write waits. */
	if (!(sdone && cdone) || SSL_write(c, "PING\r\n", 6) != 6 ||
	    floor_read(s, buf, 6) == -1 || SSL_write(s, "+PONG\r\n", 7) != 7 ||
	    floor_read(c, buf, 7) == -1)
		goto fail;
	SSL_free(c);
	close(fd[1]);
	return s;

 fail:
	fprintf(stderr, "tls_floor: handshake or PING failed\n");
	ERR_print_errors_fp(stderr);
	SSL_free(c);
	SSL_free(s);
	close(fd[0]);
	close(fd[1]);
	return NULL;
}

/* Free count server connections and their descriptors. */
static void
floor_free(SSL **conns, int count)
{
	int	i;

	for (i = 0; i < count; i++) {
		close(SSL_get_fd(conns[i]));
		SSL_free(conns[i]);
	}
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	SSL_CTX		*sctx, *cctx;
	SSL		**conns;
	size_t		 before = 0, after = 0;
	int		 count, n, round, i;

	if (argc != 7 || (count = atoi(argv[6])) <= 0) {
		fprintf(stderr, "usage: tls_floor server-cert server-key "
		    "client-cert client-key roots count\n");
		return 2;
	}
	/* One descriptor per kept connection: all the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((sctx = floor_ctx(1, argv[1], argv[2], argv[5])) == NULL ||
	    (cctx = floor_ctx(0, argv[3], argv[4], argv[5])) == NULL) {
		fprintf(stderr, "tls_floor: cannot load the certificates\n");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	if ((conns = calloc(count, sizeof(*conns))) == NULL) {
		perror("tls_floor");
		return 1;
	}
	/* Round 0 warms up and is freed; round 1 is measured. */
	for (round = 0; round < 2; round++) {
		n = round == 0 && count > WARMUP ? WARMUP : count;
		before = floor_heap();
		for (i = 0; i < n; i++) {
			if ((conns[i] = floor_conn(sctx, cctx)) == NULL) {
				fprintf(stderr, "tls_floor: connection %d\n",
				    i + 1);
				return 1;
			}
		}
		after = floor_heap();
		floor_free(conns, n);
	}
	printf("%d %zu %zu %.0f\n", count, before, after,
	    ((double)after - (double)before) / count);
	free(conns);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	return 0;
}
