/*
 * memgrep PID STRING: how many times STRING occurs in the readable memory
 * of process PID (every mapping /proc/PID/maps lists as readable, read
 * through /proc/PID/mem, but for the mappings of 1 GiB and more: the
 * address sanitizer's shadow memory, terabytes reserved that hold no data
 * of the program).  Prints the count; exit 0 when it could read,
 * 1 on an error (no such process, no permission: a process that is not
 * dumpable can be read only with CAP_SYS_PTRACE).
 *
 * Used by secrets.sh to show which processes hold a secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	(1024 * 1024)
#define HUGE	(1024ULL * 1024 * 1024)

/* Occurrences in [start, end), reading in chunks that overlap by len - 1. */
static long
scan(int fd, uint64_t start, uint64_t end, const char *needle, size_t len,
    char *buf)
{
	uint64_t	 at = start;
	size_t		 want, off;
	ssize_t		 n;
	const char	*p;
	long		 count = 0;

	while (at < end) {
		want = end - at > CHUNK ? CHUNK : (size_t)(end - at);
		n = pread(fd, buf, want, (off_t)at);
		if (n <= 0)
			return count;	/* a guard page, a vanished mapping */
		for (off = 0; off + len <= (size_t)n; off = (size_t)(p -
		    buf) + 1) {
			p = memmem(buf + off, (size_t)n - off, needle, len);
			if (p == NULL)
				break;
			count++;
		}
		if ((size_t)n < len || at + (uint64_t)n >= end)
			break;
		at += (uint64_t)n - (len - 1);
	}
	return count;
}

int
main(int argc, char **argv)
{
	char		 path[64], line[512], perms[8], *buf;
	uint64_t	 start, end;
	FILE		*maps;
	size_t		 len;
	long		 count = 0;
	int		 fd;

	if (argc != 3 || (len = strlen(argv[2])) == 0 || len >= CHUNK) {
		fprintf(stderr, "usage: memgrep PID STRING\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "r")) == NULL) {
		fprintf(stderr, "memgrep: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "memgrep: %s: %s\n", path, strerror(errno));
		fclose(maps);
		return 1;
	}
	if ((buf = malloc(CHUNK)) == NULL) {
		fprintf(stderr, "memgrep: out of memory\n");
		return 1;
	}
	while (fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end,
		    perms) != 3 || perms[0] != 'r' || end - start >= HUGE)
			continue;
		/* The kernel's pages, which no read reaches. */
		if (strstr(line, "[vvar]") != NULL ||
		    strstr(line, "[vsyscall]") != NULL)
			continue;
		count += scan(fd, start, end, argv[2], len, buf);
	}
	free(buf);
	close(fd);
	fclose(maps);
	printf("%ld\n", count);
	return 0;
}
