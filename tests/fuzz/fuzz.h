/*
 * One fuzz target per harness file: LLVMFuzzerTestOneInput() runs one
 * decoder (or a few of one kind) on an arbitrary input and checks the
 * invariants it keeps, aborting on any breach.
 *
 * Each harness builds two ways (Makefile.am):
 *
 *	tests/fuzz/fuzz_NAME	with fuzz_main.c, by the configured
 *				compiler: replays tests/fuzz/corpus/NAME/ and
 *				runs a deterministic, bounded mutation loop
 *	tests/fuzz/NAME.lf	with libFuzzer (clang -fsanitize=fuzzer),
 *				when configure found it; run by libfuzzer.sh
 *				for a bounded time on the same corpus
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The target's name: its corpus is tests/fuzz/corpus/<fuzz_target>/. */
extern const char	fuzz_target[];

#define FUZZ_CHECK(c)	do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* An FNV-1a digest, to compare what two runs over one input saw. */
#define FUZZ_DIGEST_INIT	0xcbf29ce484222325ULL

static inline uint64_t
fuzz_digest(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*b = p;

	while (len-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline uint64_t
fuzz_digest_num(uint64_t h, uint64_t v)
{
	return fuzz_digest(h, &v, sizeof(v));
}

/* xorshift64: the harnesses' own choices, drawn from the input. */
static inline uint64_t
fuzz_rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A generator seed from the input's first bytes. */
static inline uint64_t
fuzz_seed(const uint8_t *data, size_t size)
{
	uint64_t	s = 0x9e3779b97f4a7c15ULL;
	size_t		i;

	for (i = 0; i < size && i < 64; i++)
		s = (s ^ data[i]) * 0x100000001b3ULL;
	return s | 1;
}

#endif
