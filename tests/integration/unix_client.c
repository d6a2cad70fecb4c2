/*
 * unix_client SOCKET MODE SECONDS [LINE]: a control socket client that
 * behaves as tile38-clusterctl never does, for admin_pools.sh.  It
 * connects, sends LINE and a newline when given, then by MODE:
 *
 *	idle		nothing more
 *	halfclose	shuts its writing side, as socat and nc do at the
 *			end of their input
 *	extra		sends one more line
 *	close		closes at once and exits
 *
 * and prints whatever comes back until the daemon closes or SECONDS
 * pass.  "connected" on stderr once the connection is made.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
send_line(int fd, const char *line)
{
	size_t	len = strlen(line);

	return write(fd, line, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	sun;
	struct pollfd		pfd;
	const char		*mode;
	char			buf[4096];
	long long		end;
	ssize_t			n;
	int			fd, left;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: unix_client SOCKET MODE SECONDS "
		    "[LINE]\n");
		return 2;
	}
	mode = argv[2];
	end = now_ms() + atoi(argv[3]) * 1000LL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("unix_client");
		return 1;
	}
	fprintf(stderr, "connected\n");
	if (argc == 5 && send_line(fd, argv[4]) == -1) {
		perror("unix_client: write");
		return 1;
	}
	if (strcmp(mode, "close") == 0) {
		close(fd);
		return 0;
	}
	if (strcmp(mode, "halfclose") == 0)
		shutdown(fd, SHUT_WR);
	else if (strcmp(mode, "extra") == 0 && send_line(fd, "status") == -1) {
		perror("unix_client: write");
		return 1;
	} else if (strcmp(mode, "idle") != 0 && strcmp(mode, "extra") != 0)
		return 2;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while ((left = (int)(end - now_ms())) > 0) {
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
