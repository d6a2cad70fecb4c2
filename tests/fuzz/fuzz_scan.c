/*
 * The command and reply scanners on arbitrary input: fed whole, cut at
 * points drawn from the input itself, and (when short) byte by byte,
 * they must give the same events with the same offsets and contents,
 * keep their own invariants, and never read outside a piece (each piece
 * is a heap copy of exactly its length, for AddressSanitizer).
 *
 * The corpus (corpus/scan/) holds valid pipelines of every framing and
 * replies of every type; the driver also runs them end to end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_scan.h"
#include "fuzz.h"
#include "reply_scan.h"

const char	fuzz_target[] = "scan";

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
	n = fuzz_rng(rng) % 8 == 0 ? 1 + fuzz_rng(rng) % 4096 :
	    1 + fuzz_rng(rng) % 16;
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
	uint64_t	seed = fuzz_seed(data, size);
	int		k;

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
