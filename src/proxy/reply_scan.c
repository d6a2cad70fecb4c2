/*
 * The reply counter: a state machine that looks at type bytes and length
 * headers one byte at a time and at nothing else byte by byte.  Blobs
 * are skipped by their length and lines by memchr(), so a large reply
 * costs a few steps per piece of input, not per byte.
 *
 * Aggregates keep, per level, the values still to come.  A value that
 * ends takes one from its level, and a level that reaches zero is itself
 * a value that ended one level up; at level zero a reply is complete.
 * An attribute is a level like a map, but when it ends it takes nothing
 * from the level around it: the value it describes is still to come.
 */
#include <string.h>

#include "reply_scan.h"

enum {
	RS_TYPE,	/* a value's type byte */
	RS_LINE,	/* to the CRLF of a line value */
	RS_NUM,		/* a length or count */
	RS_NUM_LF,
	RS_DATA,	/* a blob's bytes */
	RS_DCR,
	RS_DLF,
	RS_BAD,
};

#define REPLY_NUM_DIGITS	18

static enum reply_ev
rs_bad(struct reply_scan *s, const char *why)
{
	s->st = RS_BAD;
	s->why = why;
	return REPLY_BAD;
}

void
reply_scan_init(struct reply_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->st = RS_TYPE;
}

int
reply_scan_at_boundary(const struct reply_scan *s)
{
	return s->st == RS_TYPE && s->depth == 0 && !s->mid;
}

/* A value ended: account for it in the levels around it. */
static enum reply_ev
rs_value(struct reply_scan *s)
{
	int	d;

	s->st = RS_TYPE;
	while (s->depth > 0) {
		d = s->depth - 1;
		if (--s->elems[d] > 0)
			return REPLY_NEED;
		s->depth = d;
		if (s->attr[d])
			return REPLY_NEED;
	}
	s->mid = 0;
	if (s->push) {
		s->push = 0;
		s->pushes++;
		return REPLY_PUSH;
	}
	s->replies++;
	return REPLY_DONE;
}

/* The CRLF after a length or count. */
static enum reply_ev
rs_header(struct reply_scan *s)
{
	uint64_t	n = s->num;

	if (s->neg) {
		/* RESP2's nulls: $-1 and *-1 */
		if (n != 1 || (s->type != '$' && s->type != '*'))
			return rs_bad(s, "negative length");
		return rs_value(s);
	}
	switch (s->type) {
	case '$':
	case '!':
	case '=':
		s->left = n;
		s->st = n > 0 ? RS_DATA : RS_DCR;
		return REPLY_NEED;
	case '%':
	case '|':
		n *= 2;		/* keys and values; n < 10^18 */
		break;
	}
	if (n == 0) {
		if (s->type == '|') {
			s->st = RS_TYPE;
			return REPLY_NEED;
		}
		return rs_value(s);
	}
	if (s->depth == REPLY_DEPTH_MAX)
		return rs_bad(s, "aggregates nested too deep");
	s->elems[s->depth] = n;
	s->attr[s->depth] = s->type == '|';
	s->depth++;
	s->st = RS_TYPE;
	return REPLY_NEED;
}

enum reply_ev
reply_scan(struct reply_scan *s, const char *buf, size_t len, size_t *used)
{
	const unsigned char	*p = (const unsigned char *)buf, *q;
	size_t			 i = 0, k;
	enum reply_ev		 ev = REPLY_NEED;
	unsigned char		 c;
	int			 cr;

	*used = 0;
	if (s->st == RS_BAD)
		return REPLY_BAD;
	while (i < len) {
		switch (s->st) {
		case RS_TYPE:
			c = p[i++];
			if (s->depth == 0) {
				s->mid = 1;
				if (c == '>')
					s->push = 1;
			}
			switch (c) {
			case '+': case '-': case ':': case '_': case ',':
			case '#': case '(':
				s->cr = 0;
				s->st = RS_LINE;
				break;
			case '$': case '!': case '=': case '*': case '%':
			case '~': case '|': case '>':
				s->type = c;
				s->neg = s->ndig = 0;
				s->num = 0;
				s->st = RS_NUM;
				break;
			default:
				ev = rs_bad(s, "not a RESP type byte");
				break;
			}
			break;
		case RS_LINE:
			/* A line ends at the first CRLF; a lone CR or LF is
			 * part of it, as clients read it. */
			q = memchr(p + i, '\n', len - i);
			if (q == NULL) {
				s->cr = p[len - 1] == '\r';
				i = len;
				break;
			}
			k = (size_t)(q - p);
			cr = k > i ? p[k - 1] == '\r' : s->cr;
			i = k + 1;
			s->cr = 0;
			if (cr)
				ev = rs_value(s);
			break;
		case RS_NUM:
			c = p[i++];
			if (c >= '0' && c <= '9') {
				if (++s->ndig > REPLY_NUM_DIGITS)
					ev = rs_bad(s, "length too long");
				s->num = s->num * 10 + (c - '0');
			} else if (c == '-' && s->ndig == 0 && !s->neg)
				s->neg = 1;
			else if (c == '\r' && s->ndig > 0)
				s->st = RS_NUM_LF;
			else if (c == ' ' && s->ndig > 0 && !s->neg &&
			    s->type == '$') {
				/* Tile38's native reply: $<len> <bytes>\r\n */
				s->left = s->num;
				s->st = s->left > 0 ? RS_DATA : RS_DCR;
			} else if (c == '?' && s->ndig == 0)
				ev = rs_bad(s, "streamed RESP3 length");
			else
				ev = rs_bad(s, "bad length in reply");
			break;
		case RS_NUM_LF:
			if (p[i++] != '\n')
				ev = rs_bad(s, "CR without LF in reply");
			else
				ev = rs_header(s);
			break;
		case RS_DATA:
			k = len - i;
			if (k > s->left)
				k = (size_t)s->left;
			i += k;
			s->left -= k;
			if (s->left == 0)
				s->st = RS_DCR;
			break;
		case RS_DCR:
			if (p[i++] != '\r')
				ev = rs_bad(s, "blob not followed by CRLF");
			else
				s->st = RS_DLF;
			break;
		case RS_DLF:
			if (p[i++] != '\n')
				ev = rs_bad(s, "blob not followed by CRLF");
			else
				ev = rs_value(s);
			break;
		default:
			ev = rs_bad(s, "scanner state corrupt");
			break;
		}
		if (ev != REPLY_NEED) {
			*used = i;
			return ev;
		}
	}
	*used = len;
	return REPLY_NEED;
}
