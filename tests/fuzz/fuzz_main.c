/*
 * The driver of a fuzz harness without libFuzzer, for "make check" under
 * any compiler: every input of the corpus, then a deterministic mutation
 * loop over it, each input handed over as a heap copy of exactly its
 * length (for AddressSanitizer).  A broken invariant aborts.
 *
 *	fuzz_NAME			the corpus $FUZZ_CORPUS/NAME/
 *	fuzz_NAME DIR|FILE ...		those directories and files
 *
 * With only files named (a crash reproducer, say), each is run once and
 * nothing else.  The loop stops after FUZZ_ITERS inputs or FUZZ_SECONDS
 * of wall time (5 by default), whichever comes first; FUZZ_SEED picks
 * another sequence.  FUZZ_SECONDS=0 replays the corpus only.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

struct input {
	uint8_t	*data;
	size_t	 len;
};

static struct input	*corpus;
static size_t		 ncorpus, maxlen;

/* Bytes that mean something to one decoder or another. */
static const char	interesting[] =
    "\r\n \t\"'\\{}[]:,#=&?/0123456789-+$*_%~|>!.eEnNtfu";

static const uint32_t	interesting_num[] = {
	0, 1, 2, 15, 16, 17, 127, 128, 255, 256, 4095, 4096, 65535, 65536,
	0x7fffffff, 0x80000000, 0xffffffff,
};

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz_%s: %s: %s: %s\n", fuzz_target, what, path,
	    strerror(errno));
	exit(99);
}

static void
add_file(const char *path)
{
	struct input	*in;
	FILE		*f;
	long		 n;

	if ((f = fopen(path, "rb")) == NULL)
		die("open", path);
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1)
		die("seek", path);
	if ((in = reallocarray(corpus, ncorpus + 1, sizeof(*in))) == NULL)
		die("memory", path);
	corpus = in;
	in = &corpus[ncorpus];
	in->len = (size_t)n;
	if ((in->data = malloc(in->len + 1)) == NULL)
		die("memory", path);
	if (in->len > 0 && fread(in->data, 1, in->len, f) != in->len)
		die("read", path);
	fclose(f);
	ncorpus++;
	if (in->len > maxlen)
		maxlen = in->len;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order (the loop is deterministic). */
static void
add_dir(const char *dir)
{
	DIR		 *d;
	struct dirent	 *de;
	struct stat	  st;
	char		**names = NULL, path[PATH_MAX];
	size_t		  n = 0, i;

	if ((d = opendir(dir)) == NULL)
		die("open", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = reallocarray(names, n + 1, sizeof(*names));
		if (names == NULL || (names[n] = strdup(de->d_name)) == NULL)
			die("memory", dir);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			add_file(path);
		free(names[i]);
	}
	free(names);
}

static void
run(const uint8_t *data, size_t len)
{
	uint8_t	*copy;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		die("memory", "input");
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
env_num(const char *name, unsigned long def)
{
	const char	*v = getenv(name);
	char		*end;
	unsigned long	 n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoul(v, &end, 10);
	return *end == '\0' ? n : def;
}

/* Room for n more bytes at at: moves the tail, returns how many fit. */
static size_t
open_gap(uint8_t *buf, size_t *len, size_t cap, size_t at, size_t n)
{
	if (n > cap - *len)
		n = cap - *len;
	memmove(buf + at + n, buf + at, *len - at);
	*len += n;
	return n;
}

/* One mutation of buf[0 .. *len), which has room for cap bytes. */
static void
mutate(uint8_t *buf, size_t *len, size_t cap, uint64_t *rng)
{
	const struct input	*o;
	uint32_t		 v;
	size_t			 at, n, i;

	at = *len > 0 ? fuzz_rng(rng) % *len : 0;
	switch (fuzz_rng(rng) % 10) {
	case 0:		/* flip a bit */
		if (*len > 0)
			buf[at] ^= (uint8_t)(1u << (fuzz_rng(rng) % 8));
		break;
	case 1:		/* an interesting byte over one */
		if (*len > 0)
			buf[at] = (uint8_t)interesting[fuzz_rng(rng) %
			    (sizeof(interesting) - 1)];
		break;
	case 2:		/* insert a byte */
		if (open_gap(buf, len, cap, at, 1) == 1)
			buf[at] = fuzz_rng(rng) % 2 ?
			    (uint8_t)interesting[fuzz_rng(rng) %
			    (sizeof(interesting) - 1)] : (uint8_t)fuzz_rng(rng);
		break;
	case 3:		/* delete a few bytes */
		n = 1 + fuzz_rng(rng) % (fuzz_rng(rng) % 4 == 0 ? 64 : 4);
		if (n > *len - at)
			n = *len - at;
		memmove(buf + at, buf + at + n, *len - at - n);
		*len -= n;
		break;
	case 4:		/* splice in part of another input */
		o = &corpus[fuzz_rng(rng) % ncorpus];
		if (o->len == 0)
			break;
		i = fuzz_rng(rng) % o->len;
		n = 1 + fuzz_rng(rng) % (o->len - i);
		n = open_gap(buf, len, cap, at, n);
		memcpy(buf + at, o->data + i, n);
		break;
	case 5:		/* repeat a chunk */
		n = 1 + fuzz_rng(rng) % 32;
		if (n > *len - at)
			n = *len - at;
		open_gap(buf, len, cap, at, n);
		break;
	case 6:		/* a digit over one, to reach the length limits */
		if (*len > 0 && buf[at] >= '0' && buf[at] <= '9')
			buf[at] = (uint8_t)('0' + fuzz_rng(rng) % 10);
		else if (*len > 0)
			buf[at] = (uint8_t)('1' + fuzz_rng(rng) % 9);
		break;
	case 7:		/* an interesting 16- or 32-bit number, host order */
		v = interesting_num[fuzz_rng(rng) %
		    (sizeof(interesting_num) / sizeof(interesting_num[0]))];
		if (fuzz_rng(rng) % 4 == 0)
			v += (uint32_t)(fuzz_rng(rng) % 64);
		n = fuzz_rng(rng) % 2 ? 4 : 2;
		if (*len >= n) {
			at = fuzz_rng(rng) % (*len - n + 1);
			memcpy(buf + at, &v, n);	/* little-endian: the
							   low bytes first */
		}
		break;
	case 8:		/* cut the end off */
		*len = at;
		break;
	case 9:		/* swap two bytes */
		if (*len > 1) {
			i = fuzz_rng(rng) % *len;
			v = buf[at];
			buf[at] = buf[i];
			buf[i] = (uint8_t)v;
		}
		break;
	}
}

int
main(int argc, char **argv)
{
	uint8_t		*buf;
	unsigned long	 iters, secs, i;
	uint64_t	 rng;
	size_t		 len, cap, k, m;
	double		 start, t;
	const char	*dir;
	char		 path[PATH_MAX];
	struct stat	 st;
	int		 a, dirs = argc == 1;

	for (a = 1; a < argc; a++) {
		if (stat(argv[a], &st) == -1)
			die("stat", argv[a]);
		if (S_ISDIR(st.st_mode)) {
			add_dir(argv[a]);
			dirs = 1;
		} else
			add_file(argv[a]);
	}
	if (argc == 1) {
		if ((dir = getenv("FUZZ_CORPUS")) == NULL || *dir == '\0')
			dir = "tests/fuzz/corpus";
		snprintf(path, sizeof(path), "%s/%s", dir, fuzz_target);
		add_dir(path);
	}
	if (ncorpus == 0) {
		fprintf(stderr, "fuzz_%s: no input\n", fuzz_target);
		return 99;
	}

	start = now();
	for (k = 0; k < ncorpus; k++)
		run(corpus[k].data, corpus[k].len);
	if (!dirs) {
		printf("fuzz_%s: %zu inputs\n", fuzz_target, ncorpus);
		return 0;
	}

	iters = env_num("FUZZ_ITERS", ULONG_MAX);
	secs = env_num("FUZZ_SECONDS", 5);
	rng = env_num("FUZZ_SEED", 1) * 0x9e3779b97f4a7c15ULL | 1;
	cap = 2 * maxlen + 4096;
	if ((buf = malloc(cap)) == NULL)
		die("memory", "buffer");
	for (i = 0; i < iters; i++) {
		if (i % 64 == 0 && now() - start >= (double)secs)
			break;
		k = fuzz_rng(&rng) % ncorpus;
		memcpy(buf, corpus[k].data, corpus[k].len);
		len = corpus[k].len;
		/* Sometimes several inputs end to end (a pipeline). */
		for (m = fuzz_rng(&rng) % 4 == 0 ? 1 + fuzz_rng(&rng) % 2 : 0;
		    m > 0; m--) {
			k = fuzz_rng(&rng) % ncorpus;
			if (len + corpus[k].len <= cap) {
				memcpy(buf + len, corpus[k].data,
				    corpus[k].len);
				len += corpus[k].len;
			}
		}
		for (m = 1 + fuzz_rng(&rng) % 8; m > 0; m--)
			mutate(buf, &len, cap, &rng);
		run(buf, len);
	}
	t = now() - start;
	printf("fuzz_%s: %zu corpus inputs, then %lu mutated in %.1f s "
	    "(%.0f/s)\n", fuzz_target, ncorpus, i, t,
	    t > 0 ? (double)i / t : 0.0);
	free(buf);
	for (k = 0; k < ncorpus; k++)
		free(corpus[k].data);
	free(corpus);
	return 0;
}
