/*
 * udp_sink PORTFILE OUTFILE: receive UDP datagrams on 127.0.0.1 (an
 * ephemeral port, written to PORTFILE) and append each to OUTFILE,
 * followed by a newline, until killed.  Tests read DogStatsD with it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			buf[65536];
	FILE			*pf, *out;
	ssize_t			n;
	int			fd;

	if (argc != 3)
		return 2;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("udp_sink");
		return 1;
	}
	if ((out = fopen(argv[2], "a")) == NULL ||
	    (pf = fopen(argv[1], "w")) == NULL) {
		perror("udp_sink");
		return 1;
	}
	fprintf(pf, "%u\n", ntohs(sin.sin_port));
	fclose(pf);
	while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		fwrite(buf, 1, (size_t)n, out);
		fputc('\n', out);
		fflush(out);
	}
	return 0;
}
