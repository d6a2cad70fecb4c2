/*
 * The command and reply scanners on arbitrary input: fed whole, cut at
 * points drawn from the input itself, and (when short) byte by byte,
 * they must give the same events with the same offsets and contents,
 * keep their own invariants, and never read outside a piece (each piece
 * is a heap copy of exactly its length, for AddressSanitizer).
 *
 * With libFuzzer, from the top of the source tree, no configure needed:
 *
 *	clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -DSCAN_LIBFUZZER \
 *	    -Isrc/proxy tests/fuzz/fuzz_scan.c src/proxy/cmd_scan.c \
 *	    src/proxy/reply_scan.c -o fuzz_scan
 *	./fuzz_scan -max_total_time=60
 *
 * Without it, main() is a small mutation loop over a corpus of valid
 * pipelines for "make check": deterministic, bounded by FUZZ_SCAN_ITERS
 * inputs and FUZZ_SCAN_SECONDS of wall time (10 by default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_scan.h"
#include "reply_scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(c)	do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_scan: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

/* An FNV-1a digest of everything the events said, in order. */
struct digest {
	uint64_t	h;
	size_t		events;
};

static void
digest_add(struct digest *d, const void *p, size_t len)
{
	const unsigned char	*b = p;

	while (len-- > 0) {
		d->h ^= *b++;
		d->h *= 0x100000001b3ULL;
	}
}

static void
digest_num(struct digest *d, uint64_t v)
{
	digest_add(d, &v, sizeof(v));
}

static uint64_t
rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The cut points: none (whole), every byte, or random piece lengths
 * from a generator seeded with seed.
 */
enum { CUT_WHOLE, CUT_BYTES, CUT_RANDOM };

static size_t
next_piece(int how, uint64_t *rng, size_t left)
{
	size_t	n;

	if (how == CUT_WHOLE)
		return left;
	if (how == CUT_BYTES)
		return 1;
	/* Mostly short pieces, sometimes long ones. */
	n = rng_next(rng) % 8 == 0 ? 1 + rng_next(rng) % 4096 :
	    1 + rng_next(rng) % 16;
	return n < left ? n : left;
}

static void
check_cmd_event(const struct cmd_scan *s, enum cmd_ev ev, int *in_cmd)
{
	size_t	i, n;

	switch (ev) {
	case CMD_HEAD:
		FUZZ_CHECK(!*in_cmd);
		*in_cmd = 1;
		n = strlen(s->name);
		FUZZ_CHECK(n <= CMD_NAME_MAX);
		FUZZ_CHECK(s->proto == CMD_HTTP || n > 0);
		/* Plain and upper case; a sub may hold any byte, NUL too. */
		for (i = 0; i < n; i++)
			FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.:-", s->name[i]) != NULL);
		FUZZ_CHECK(!s->name_long || n == CMD_NAME_MAX);
		FUZZ_CHECK(s->has_sub || (s->sub[0] == '\0' && !s->sub_long));
		FUZZ_CHECK(strlen(s->sub) <= CMD_SUB_MAX);
		FUZZ_CHECK(s->nargs >= 1 && s->nargs <= CMD_NARGS_MAX);
		break;
	case CMD_END:
		FUZZ_CHECK(*in_cmd);
		*in_cmd = 0;
		break;
	case CMD_BAD:
		FUZZ_CHECK(s->why != NULL);
		break;
	case CMD_NEED:
		break;
	}
}

static void
run_cmd(const uint8_t *data, size_t size, int how, uint64_t seed,
    struct digest *d)
{
	struct cmd_scan	 s;
	size_t		 at = 0, n, off, used;
	uint64_t	 rng = seed | 1;
	enum cmd_ev	 ev = CMD_NEED;
	int		 in_cmd = 0;
	char		*piece;

	d->h = 0xcbf29ce484222325ULL;
	d->events = 0;
	cmd_scan_init(&s);
	while (at < size && ev != CMD_BAD) {
		n = next_piece(how, &rng, size - at);
		piece = malloc(n);
		FUZZ_CHECK(piece != NULL);
		memcpy(piece, data + at, n);
		for (off = 0;;) {
			ev = cmd_scan(&s, piece + off, n - off, &used);
			FUZZ_CHECK(used <= n - off);
			off += used;
			check_cmd_event(&s, ev, &in_cmd);
			if (ev == CMD_NEED) {
				FUZZ_CHECK(off == n);
				break;
			}
			d->events++;
			digest_num(d, ev);
			digest_num(d, at + off);
			if (ev == CMD_BAD) {
				digest_add(d, s.why, strlen(s.why));
				break;
			}
			digest_num(d, (uint64_t)s.nargs);
			if (ev == CMD_HEAD) {
				digest_num(d, s.proto);
				digest_add(d, s.name, sizeof(s.name));
				digest_add(d, s.sub, sizeof(s.sub));
				digest_num(d, (uint64_t)(s.name_long |
				    s.has_sub << 1 | s.sub_long << 2));
			}
		}
		free(piece);
		at += n;
	}
	if (ev == CMD_BAD) {
		FUZZ_CHECK(cmd_scan(&s, "x", 1, &used) == CMD_BAD);
		FUZZ_CHECK(used == 0);
	} else {
		ev = cmd_scan(&s, "", 0, &used);
		FUZZ_CHECK(used == 0 && ev != CMD_BAD && ev != CMD_HEAD);
		check_cmd_event(&s, ev, &in_cmd);
		if (ev == CMD_END) {
			d->events++;
			digest_num(d, ev);
			digest_num(d, size);
			digest_num(d, (uint64_t)s.nargs);
		}
	}
}

static void
run_reply(const uint8_t *data, size_t size, int how, uint64_t seed,
    struct digest *d)
{
	struct reply_scan	 s;
	size_t			 at = 0, n, off, used;
	uint64_t		 rng = seed | 1, done = 0, push = 0;
	enum reply_ev		 ev = REPLY_NEED;
	char			*piece;

	d->h = 0xcbf29ce484222325ULL;
	d->events = 0;
	reply_scan_init(&s);
	while (at < size && ev != REPLY_BAD) {
		n = next_piece(how, &rng, size - at);
		piece = malloc(n);
		FUZZ_CHECK(piece != NULL);
		memcpy(piece, data + at, n);
		for (off = 0; off < n;) {
			ev = reply_scan(&s, piece + off, n - off, &used);
			FUZZ_CHECK(used <= n - off);
			off += used;
			if (ev == REPLY_NEED) {
				FUZZ_CHECK(off == n);
				break;
			}
			d->events++;
			digest_num(d, ev);
			digest_num(d, at + off);
			if (ev == REPLY_BAD) {
				FUZZ_CHECK(s.why != NULL);
				digest_add(d, s.why, strlen(s.why));
				break;
			}
			FUZZ_CHECK(used > 0);
			FUZZ_CHECK(reply_scan_at_boundary(&s));
			if (ev == REPLY_DONE)
				done++;
			else
				push++;
			FUZZ_CHECK(s.replies == done && s.pushes == push);
		}
		free(piece);
		at += n;
	}
	if (ev == REPLY_BAD) {
		FUZZ_CHECK(reply_scan(&s, "+", 1, &used) == REPLY_BAD);
		FUZZ_CHECK(used == 0);
	}
	digest_num(d, (uint64_t)reply_scan_at_boundary(&s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest	whole, other;
	uint64_t	seed = 0x9e3779b97f4a7c15ULL;
	size_t		i;
	int		k;

	for (i = 0; i < size && i < 64; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;

	run_cmd(data, size, CUT_WHOLE, seed, &whole);
	for (k = 0; k < 3; k++) {
		if (k == 0 && size > 4096)
			continue;
		run_cmd(data, size, k == 0 ? CUT_BYTES : CUT_RANDOM,
		    seed + (uint64_t)k, &other);
		FUZZ_CHECK(whole.events == other.events);
		FUZZ_CHECK(whole.h == other.h);
	}
	run_reply(data, size, CUT_WHOLE, seed, &whole);
	for (k = 0; k < 3; k++) {
		if (k == 0 && size > 4096)
			continue;
		run_reply(data, size, k == 0 ? CUT_BYTES : CUT_RANDOM,
		    seed + (uint64_t)k, &other);
		FUZZ_CHECK(whole.events == other.events);
		FUZZ_CHECK(whole.h == other.h);
	}
	return 0;
}

#ifndef SCAN_LIBFUZZER
/* Valid streams to start from: requests of every framing, replies. */
static const char *const seeds[] = {
	"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"
	    "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
	"*2\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n*1\r\n$0\r\n\r\n",
	"PING\r\nset k v\r\n  get\tk \r\n\r\n\nPING\n",
	"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"PING\nGET /a+b\nx HTTP/1.1\r\n",
	"$9 GET fleet\r\n$4 PING\r\n$19 SET f t OBJECT {\"a\":1}\r\n",
	"config \"get\" x\r\n'q' a\r\nFLUSHALL\r\n",
	"+OK\r\n-ERR x\r\n:1\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n*0\r\n",
	"*2\r\n*1\r\n+a\r\n$1\r\nb\r\n%1\r\n+k\r\n_\r\n~1\r\n#t\r\n",
	"|1\r\n+ttl\r\n:3\r\n+OK\r\n>2\r\n+message\r\n+x\r\n,1.5\r\n(12\r\n",
	"!3\r\nerr\r\n=7\r\ntxt:abc\r\n$11 {\"ok\":true}\r\n$0 \r\n",
};

static const char	interesting[] = "\r\n*$ \t\"'{}0123456789-+:_?>|%~GPO";

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

/* One mutation of buf[0 .. *len), which has room for cap bytes. */
static void
mutate(uint8_t *buf, size_t *len, size_t cap, uint64_t *rng)
{
	const char	*o;
	size_t		 at, n, olen, i;

	at = *len > 0 ? rng_next(rng) % *len : 0;
	switch (rng_next(rng) % 7) {
	case 0:		/* flip a bit */
		if (*len > 0)
			buf[at] ^= (uint8_t)(1u << (rng_next(rng) % 8));
		break;
	case 1:		/* an interesting byte over one */
		if (*len > 0)
			buf[at] = (uint8_t)interesting[rng_next(rng) %
			    (sizeof(interesting) - 1)];
		break;
	case 2:		/* insert a byte */
		if (*len < cap) {
			memmove(buf + at + 1, buf + at, *len - at);
			buf[at] = rng_next(rng) % 2 ?
			    (uint8_t)interesting[rng_next(rng) %
			    (sizeof(interesting) - 1)] : (uint8_t)rng_next(rng);
			(*len)++;
		}
		break;
	case 3:		/* delete a few bytes */
		n = 1 + rng_next(rng) % 4;
		if (n > *len - at)
			n = *len - at;
		memmove(buf + at, buf + at + n, *len - at - n);
		*len -= n;
		break;
	case 4:		/* splice in part of a seed */
		o = seeds[rng_next(rng) % (sizeof(seeds) / sizeof(seeds[0]))];
		olen = strlen(o);
		i = rng_next(rng) % olen;
		n = 1 + rng_next(rng) % (olen - i);
		if (n > cap - *len)
			n = cap - *len;
		memmove(buf + at + n, buf + at, *len - at);
		memcpy(buf + at, o + i, n);
		*len += n;
		break;
	case 5:		/* repeat a chunk */
		n = 1 + rng_next(rng) % 32;
		if (n > *len - at)
			n = *len - at;
		if (n > cap - *len)
			n = cap - *len;
		memmove(buf + at + n, buf + at, *len - at);
		*len += n;
		break;
	case 6:		/* a digit run, to reach the length limits */
		if (*len > 0 && buf[at] >= '0' && buf[at] <= '9')
			buf[at] = (uint8_t)('0' + rng_next(rng) % 10);
		else if (*len > 0)
			buf[at] = (uint8_t)('1' + rng_next(rng) % 9);
		break;
	}
}

int
main(void)
{
	static uint8_t	 buf[8192];
	unsigned long	 iters, secs, i;
	uint64_t	 rng;
	size_t		 len, k, m;
	double		 start, t;
	const char	*seed;

	iters = env_num("FUZZ_SCAN_ITERS", 5000000);
	secs = env_num("FUZZ_SCAN_SECONDS", 10);
	rng = env_num("FUZZ_SCAN_SEED", 1) * 0x9e3779b97f4a7c15ULL | 1;
	start = now();
	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++)
		LLVMFuzzerTestOneInput((const uint8_t *)seeds[k],
		    strlen(seeds[k]));
	for (i = 0; i < iters; i++) {
		if (i % 256 == 0 && now() - start >= (double)secs)
			break;
		seed = seeds[rng_next(&rng) %
		    (sizeof(seeds) / sizeof(seeds[0]))];
		len = strlen(seed);
		memcpy(buf, seed, len);
		/* Sometimes a pipeline of several seeds. */
		for (m = rng_next(&rng) % 3; m > 0; m--) {
			seed = seeds[rng_next(&rng) %
			    (sizeof(seeds) / sizeof(seeds[0]))];
			if (len + strlen(seed) <= sizeof(buf)) {
				memcpy(buf + len, seed, strlen(seed));
				len += strlen(seed);
			}
		}
		for (m = 1 + rng_next(&rng) % 8; m > 0; m--)
			mutate(buf, &len, sizeof(buf), &rng);
		LLVMFuzzerTestOneInput(buf, len);
	}
	t = now() - start;
	printf("fuzz_scan: %lu inputs in %.1f s (%.0f/s)\n", i, t,
	    t > 0 ? (double)i / t : 0.0);
	return 0;
}
#endif
