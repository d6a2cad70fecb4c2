/*
 * idle_tls: open COUNT mutual-TLS connections to HOST:PORT with a client
 * certificate, finish every handshake and, when COMMAND is given, send it
 * on each connection (an inline command, e.g. PING) and read its one-line
 * reply; print "ready COUNT", then hold the connections idle for SECONDS
 * and exit (the kernel closes them).  bench/proxy uses it to measure a
 * listener's memory per idle connection that has carried a request.
 *
 * Usage: idle_tls host port cert key ca count seconds [command]
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* Send cmd and read up to the end of its one-line reply: 0, or -1. */
static int
request(SSL *ssl, const char *cmd)
{
	char	line[512], c;
	int	n;

	n = snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (n <= 0 || (size_t)n >= sizeof(line) || SSL_write(ssl, line, n) != n)
		return -1;
	do {
		if (SSL_read(ssl, &c, 1) != 1)
			return -1;
	} while (c != '\n');
	return 0;
}

/* A connected TCP socket, or -1. */
static int
dial(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	/* A listener that stops answering fails the run instead of hanging. */
	struct timeval	 tv = { 5, 0 };
	int		 fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 count, seconds, i, fd;

	if (argc != 8 && argc != 9) {
		fprintf(stderr, "usage: idle_tls host port cert key ca count "
		    "seconds [command]\n");
		return 2;
	}
	count = atoi(argv[6]);
	seconds = atoi(argv[7]);

	/* One descriptor per connection: take all the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, argv[3]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, argv[5], NULL) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	/*
	 * The chain is checked against the CA, not the host name: Connect
	 * certificates name a service by SPIFFE id, not a host.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

	for (i = 0; i < count; i++) {
		if ((fd = dial(argv[1], argv[2])) == -1) {
			fprintf(stderr, "idle_tls: connection %d: connect "
			    "failed\n", i + 1);
			return 1;
		}
		/* Never freed: each one lives until the process exits. */
		if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
		    SSL_connect(ssl) != 1) {
			fprintf(stderr, "idle_tls: connection %d: handshake "
			    "failed\n", i + 1);
			ERR_print_errors_fp(stderr);
			return 1;
		}
		if (argc == 9 && request(ssl, argv[8]) == -1) {
			fprintf(stderr, "idle_tls: connection %d: no reply to "
			    "%s\n", i + 1, argv[8]);
			ERR_print_errors_fp(stderr);
			return 1;
		}
	}
	printf("ready %d\n", count);
	fflush(stdout);
	sleep(seconds);
	return 0;
}
