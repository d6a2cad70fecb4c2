/*
 * hs_flood HOST PORT COUNT SECONDS [partial]: open COUNT TCP connections
 * to HOST:PORT that never finish a TLS handshake (they send nothing, or
 * with "partial" the first bytes of a ClientHello), then watch them for
 * SECONDS and exit.  Every change is a line on stdout:
 *
 *	connected N failed M		once every connect() was made
 *	t=MS open N closed M		the server closed some (MS since
 *					the last connect)
 *	done open N closed M longest MS	at the end; MS: the longest a
 *					connection the server closed lived
 *
 * Tests flood a listener with it.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
dial(const struct addrinfo *ai)
{
	struct timeval	tv = { 5, 0 };
	int		fd;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char *argv[])
{
	/* A TLS record of a ClientHello of 512 bytes, and 4 of them. */
	static const unsigned char hello[] = {
		0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc
	};
	struct addrinfo	 hints, *ai;
	struct rlimit	 rl;
	struct pollfd	*pfd;
	uint64_t	*born, start, end, longest = 0, t;
	char		 buf[256];
	int		 count, seconds, partial, i, n, open, closed = 0;
	int		 failed = 0;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: hs_flood host port count seconds "
		    "[partial]\n");
		return 2;
	}
	count = atoi(argv[3]);
	seconds = atoi(argv[4]);
	partial = argc == 6 && strcmp(argv[5], "partial") == 0;
	if (count < 1 || seconds < 1)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
		fprintf(stderr, "hs_flood: cannot resolve %s\n", argv[1]);
		return 1;
	}
	pfd = calloc((size_t)count, sizeof(*pfd));
	born = calloc((size_t)count, sizeof(*born));
	if (pfd == NULL || born == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < count; i++) {
		pfd[i].events = POLLIN;
		if ((pfd[i].fd = dial(ai)) == -1) {
			failed++;
			continue;
		}
		born[i] = now_ms();
		if (partial && write(pfd[i].fd, hello, sizeof(hello)) == -1 &&
		    errno != EPIPE && errno != ECONNRESET)
			perror("hs_flood: write");
	}
	freeaddrinfo(ai);
	start = now_ms();
	printf("connected %d failed %d\n", count - failed, failed);
	open = count - failed;
	end = start + (uint64_t)seconds * 1000;
	while ((t = now_ms()) < end && open > 0) {
		if ((n = poll(pfd, (nfds_t)count, (int)(end - t))) <= 0)
			continue;
		n = 0;
		for (i = 0; i < count; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			/* Anything the server says, then its close. */
			if (read(pfd[i].fd, buf, sizeof(buf)) > 0)
				continue;
			t = now_ms();
			if (t - born[i] > longest)
				longest = t - born[i];
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open--;
			closed++;
			n++;
		}
		if (n > 0)
			printf("t=%llu open %d closed %d\n",
			    (unsigned long long)(now_ms() - start), open,
			    closed);
	}
	printf("done open %d closed %d longest %llu\n", open, closed,
	    (unsigned long long)longest);
	for (i = 0; i < count; i++)
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
	free(pfd);
	free(born);
	return 0;
}
