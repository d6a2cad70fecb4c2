/*
 * The command scanner: a byte-driven state machine over the client's
 * stream.  RESP arguments are skipped by count after their first bytes;
 * only inline and native lines are looked at byte by byte, and those are
 * short or bounded.
 *
 * What it accepts is narrower than either server, because the proxy
 * classifies a command by what it sees here while the server acts on
 * what it reads there, and the two must never differ:
 *
 * - Redis takes the first byte '*' for RESP and anything else for an
 *   inline line; Tile38 (redcon) also takes '$' for its native framing.
 *   A native command holding a LF would reach Redis as two inline lines,
 *   the second one unseen here, so a LF in it is BAD.  One holding no
 *   word gets no reply from Tile38 but an error from Redis, so it is BAD
 *   too.
 * - Redis finds line ends with strchr(): a NUL in an inline line makes it
 *   wait for a LF that it never sees, so NUL is BAD there.
 * - Redis splits inline words at spaces, tabs and CRs and unquotes them,
 *   Tile38 only at spaces: the name must be plain ([A-Za-z0-9_.:-]) so
 *   both read the same name.  A blank line gets no reply from either
 *   unless it holds a tab, for which Tile38 answers "unknown command".
 * - Tile38 lower-cases names with Go's Unicode rules (the Kelvin sign
 *   becomes 'k') and echoes unknown names into its error replies
 *   unescaped, so a name that is not plain is BAD in every framing.
 * - When a line starts with G, P or O, Tile38 reads on to the first CRLF,
 *   across bare-LF lines, and takes the whole as an HTTP request when it
 *   ends in " HTTP/x.y".  The scanner follows that line (tl_*): it holds
 *   such a line's HEAD to its end to say CMD_HTTP, and a request line
 *   that spans a bare LF is BAD on the LF that completes it.  A RESP or
 *   native command cannot start while such a line is open.
 * - Lengths are plain decimal without leading zeros, as Redis's
 *   string2ll() wants; Redis skips the two bytes after a bulk without
 *   looking, Tile38 wants them to be CRLF, so they must be.
 *
 * Inline and native HEADs are held to the command's end when it comes
 * within CMD_HEAD_MAX bytes, so their word count is complete; past that
 * the HEAD comes at the bound, if the name and first argument are known
 * by then.
 */
#include <string.h>

#include "cmd_scan.h"

enum {
	CS_START,	/* between commands */
	CS_RHDR,	/* RESP: *<digits> */
	CS_RHDR_LF,
	CS_BHDR,	/* RESP: the '$' of an argument */
	CS_BDIG,
	CS_BHDR_LF,
	CS_BDATA,
	CS_BCR,
	CS_BLF,
	CS_NDIG,	/* native: $<digits> */
	CS_NDATA,
	CS_NCR,
	CS_NLF,
	CS_LINE,	/* inline */
	CS_HTTP,	/* after an HTTP request line */
	CS_BAD,
};

#define RESP_NARGS_DIGITS	7
#define BULK_DIGITS		9

static int
cs_plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	    c == '-';
}

static char
cs_upper(unsigned char c)
{
	return (char)(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
}

static enum cmd_ev
cs_bad(struct cmd_scan *s, const char *why)
{
	s->st = CS_BAD;
	s->why = why;
	return CMD_BAD;
}

void
cmd_scan_init(struct cmd_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->st = CS_START;
}

/* The first byte of a command or of a blank line. */
static void
cs_begin(struct cmd_scan *s, enum cmd_proto proto)
{
	s->wproto = proto;
	s->num = 0;
	s->ndig = 0;
	s->left = 0;
	s->argi = 0;
	s->wnargs = 0;
	s->linelen = 0;
	s->tok = 0;
	s->brace = 0;
	s->tab = 0;
	s->cr = 0;
	s->wname_len = s->wsub_len = 0;
	s->wname_done = s->wname_long = 0;
	s->wsub_done = s->wsub_long = 0;
}

/* The name is complete, and the first argument too when one matters. */
static int
cs_known(const struct cmd_scan *s)
{
	return s->wname_long || (s->wname_done &&
	    (s->wsub_done || s->wsub_long));
}

static enum cmd_ev
cs_head(struct cmd_scan *s)
{
	s->proto = s->wproto;
	memcpy(s->name, s->wname, s->wname_len);
	s->name[s->wname_len] = '\0';
	s->name_long = s->wname_long;
	/* A long name is no command anyone knows; its sub is not read. */
	if (s->wname_long || s->wnargs < 2) {
		s->sub[0] = '\0';
		s->has_sub = s->sub_long = 0;
	} else {
		memcpy(s->sub, s->wsub, s->wsub_len);
		s->sub[s->wsub_len] = '\0';
		s->has_sub = 1;
		s->sub_long = s->wsub_long;
	}
	s->nargs = s->wnargs;
	s->head = 1;
	s->why = NULL;
	return CMD_HEAD;
}

static enum cmd_ev
cs_end(struct cmd_scan *s)
{
	s->nargs = s->wnargs;
	s->head = 0;
	s->pre = 0;
	return CMD_END;
}

/* HEAD now, and END with it: END is owed to the next call. */
static enum cmd_ev
cs_head_end(struct cmd_scan *s)
{
	if (s->head)
		return cs_end(s);
	s->owed = 1;
	return cs_head(s);
}

/*
 * A byte of the name (word 1) or first argument (word 2), copied up to
 * its maximum; one byte more says it is long.
 */
static enum cmd_ev
cs_word_byte(struct cmd_scan *s, unsigned char c)
{
	if (s->wnargs == 1 && !s->wname_long) {
		if (s->wname_len == CMD_NAME_MAX) {
			s->wname_long = 1;
			return CMD_NEED;
		}
		if (!cs_plain(c))
			return cs_bad(s, "command name not plain");
		s->wname[s->wname_len++] = cs_upper(c);
	} else if (s->wnargs == 2 && !s->wsub_long) {
		if (s->wsub_len == CMD_SUB_MAX)
			s->wsub_long = 1;
		else
			s->wsub[s->wsub_len++] = cs_upper(c);
	}
	return CMD_NEED;
}

static void
cs_word_end(struct cmd_scan *s)
{
	s->tok = 0;
	if (s->wnargs == 1)
		s->wname_done = 1;
	else if (s->wnargs == 2)
		s->wsub_done = 1;
}

static void
cs_tl_push(struct cmd_scan *s, unsigned char c)
{
	memmove(s->tl_tail, s->tl_tail + 1, sizeof(s->tl_tail) - 1);
	s->tl_tail[sizeof(s->tl_tail) - 1] = (char)c;
	if (s->tl_n < 16)
		s->tl_n++;
}

/* A byte of an inline line other than its LF (or its final CR). */
static enum cmd_ev
cs_line_byte(struct cmd_scan *s, unsigned char c)
{
	if (c == '\0')
		return cs_bad(s, "NUL in an inline command");
	if (++s->linelen > CMD_INLINE_MAX)
		return cs_bad(s, "inline command longer than 64 KiB");
	if (s->tl_open)
		cs_tl_push(s, c);
	if (c == ' ' || c == '\t') {
		if (c == '\t')
			s->tab = 1;
		if (s->tok)
			cs_word_end(s);
		return CMD_NEED;
	}
	if (!s->tok) {
		s->tok = 1;
		s->wnargs++;
	}
	return cs_word_byte(s, c);
}

/* The LF ending an inline line; crlf when a CR came before it. */
static enum cmd_ev
cs_line_end(struct cmd_scan *s, int crlf)
{
	int	http = 0;

	if (s->tok)
		cs_word_end(s);
	if (s->tl_open && !crlf) {
		/* Tile38 has not read this line yet: it waits for a CRLF. */
		cs_tl_push(s, '\n');
	} else if (s->tl_open) {
		s->tl_open = 0;
		/* Tile38: len(line) > 11 && line[len-11:len-5] == " HTTP/" */
		http = s->tl_n >= 10 && memcmp(s->tl_tail, " HTTP/", 6) == 0;
		if (http && (!s->tl_here || s->wnargs == 0))
			return cs_bad(s, "HTTP request line across a bare LF");
		if (http && s->head)
			return cs_bad(s, "HTTP request line too long");
	}
	if (s->wnargs == 0) {
		if (s->tab)
			return cs_bad(s, "blank inline line with a tab");
		s->st = CS_START;
		return CMD_NEED;
	}
	if (http) {
		s->wproto = CMD_HTTP;
		s->st = CS_HTTP;
	} else
		s->st = CS_START;
	return cs_head_end(s);
}

/* A byte of an inline line, CR and LF included. */
static enum cmd_ev
cs_line(struct cmd_scan *s, unsigned char c)
{
	enum cmd_ev	ev;

	if (s->cr) {
		s->cr = 0;
		if (c == '\n')
			return cs_line_end(s, 1);
		/* A CR inside the line is a byte of a word. */
		if ((ev = cs_line_byte(s, '\r')) != CMD_NEED)
			return ev;
	}
	if (c == '\n')
		return cs_line_end(s, 0);
	if (c == '\r') {
		s->cr = 1;
		return CMD_NEED;
	}
	return cs_line_byte(s, c);
}

/* A byte of a native line: words split at spaces only, as Tile38. */
static enum cmd_ev
cs_native(struct cmd_scan *s, unsigned char c)
{
	if (c == '\n' || c == '\0')
		return cs_bad(s, "LF or NUL in a native command");
	if (c == ' ' && !s->brace) {
		if (s->tok)
			cs_word_end(s);
		return CMD_NEED;
	}
	if (!s->tok) {
		s->tok = 1;
		s->wnargs++;
		/* Tile38 takes a word from '{' to the end as one JSON value. */
		if (c == '{')
			s->brace = 1;
	}
	return cs_word_byte(s, c);
}

/*
 * A digit of a length, or its terminator.  Returns 1 at the terminator,
 * 0 on a digit, -1 on anything else.
 */
static int
cs_digit(struct cmd_scan *s, unsigned char c, unsigned char term,
    int maxdig)
{
	if (c >= '0' && c <= '9') {
		if (s->ndig > 0 && s->num == 0)
			return -1;
		if (++s->ndig > maxdig)
			return -1;
		s->num = s->num * 10 + (c - '0');
		return 0;
	}
	if (c == term && s->ndig > 0)
		return 1;
	return -1;
}

/* The length of a RESP argument is known: the first bytes are copied. */
static enum cmd_ev
cs_arg_start(struct cmd_scan *s)
{
	s->arglen = s->left = s->num;
	if (s->argi == 0 && s->arglen > CMD_NAME_MAX)
		s->wname_long = 1;
	if (s->argi == 1 && s->arglen > CMD_SUB_MAX)
		s->wsub_long = 1;
	if (s->left > 0) {
		s->st = CS_BDATA;
		return CMD_NEED;
	}
	s->st = CS_BCR;
	if (s->argi == 0)
		return cs_bad(s, "command name not plain");
	if (s->argi == 1 && !s->head) {
		s->wsub_done = 1;
		return cs_head(s);
	}
	return CMD_NEED;
}

/*
 * Copy what is wanted of argument 0 or 1 from p[0 .. n) and say with *ev
 * whether that made the HEAD.  Returns the bytes taken.
 */
static size_t
cs_copy(struct cmd_scan *s, const unsigned char *p, size_t n,
    enum cmd_ev *ev)
{
	size_t	k = 0, want;

	*ev = CMD_NEED;
	if (s->argi == 0) {
		want = (size_t)(s->arglen < CMD_NAME_MAX ? s->arglen :
		    CMD_NAME_MAX);
		while (k < n && s->wname_len < want) {
			if (!cs_plain(p[k])) {
				*ev = cs_bad(s, "command name not plain");
				return k + 1;
			}
			s->wname[s->wname_len++] = cs_upper(p[k++]);
		}
		if (s->wname_len == want) {
			s->wname_done = 1;
			if (s->wnargs == 1 || s->wname_long)
				*ev = cs_head(s);
		}
	} else {
		want = (size_t)(s->arglen < CMD_SUB_MAX ? s->arglen :
		    CMD_SUB_MAX);
		while (k < n && s->wsub_len < want)
			s->wsub[s->wsub_len++] = cs_upper(p[k++]);
		if (s->wsub_len == want) {
			s->wsub_done = 1;
			*ev = cs_head(s);
		}
	}
	return k;
}

/* The first byte after a command's end. */
static enum cmd_ev
cs_start(struct cmd_scan *s, unsigned char c)
{
	if ((c == '*' || c == '$') && s->tl_open)
		return cs_bad(s, "RESP or native after a bare-LF line "
		    "starting with G, P or O");
	if (c == '*') {
		cs_begin(s, CMD_RESP);
		s->st = CS_RHDR;
		return CMD_NEED;
	}
	if (c == '$') {
		cs_begin(s, CMD_NATIVE);
		s->st = CS_NDIG;
		return CMD_NEED;
	}
	cs_begin(s, CMD_INLINE);
	s->tl_here = 0;
	if (!s->tl_open && (c == 'G' || c == 'P' || c == 'O')) {
		s->tl_open = s->tl_here = 1;
		s->tl_n = 0;
	}
	s->st = CS_LINE;
	return cs_line(s, c);
}

/*
 * A length as cs_digit() takes it, ending in CRLF, all in p[*i .. n):
 * its value with *i past the CRLF, or -1 when it is not all there or
 * not plain (the byte-wise path then says what is wrong).
 */
static long long
cs_fast_num(const unsigned char *p, size_t n, size_t *i, int maxdig)
{
	size_t		j = *i;
	long long	v = 0;
	int		d = 0;

	while (j < n && p[j] >= '0' && p[j] <= '9') {
		if ((d > 0 && v == 0) || ++d > maxdig)
			return -1;
		v = v * 10 + (p[j++] - '0');
	}
	if (d == 0 || j + 1 >= n || p[j] != '\r' || p[j + 1] != '\n')
		return -1;
	*i = j + 2;
	return v;
}

/*
 * The common case in one go: a RESP command whose header, name and
 * first argument are all in p[0 .. n), read to its HEAD as the byte-wise
 * steps would, leaving the same state.  0 when it is anything else: the
 * steps take it from the start, nothing having changed.
 */
static size_t
cs_fast_head(struct cmd_scan *s, const unsigned char *p, size_t n)
{
	long long	nargs, len0, len1 = 0;
	size_t		i = 1, k, want = 0, name;

	if ((nargs = cs_fast_num(p, n, &i, RESP_NARGS_DIGITS)) < 1 ||
	    nargs > CMD_NARGS_MAX || i >= n || p[i++] != '$' ||
	    (len0 = cs_fast_num(p, n, &i, BULK_DIGITS)) < 1 ||
	    len0 > CMD_NAME_MAX || i + (size_t)len0 > n)
		return 0;
	name = i;
	for (k = 0; k < (size_t)len0; k++)
		if (!cs_plain(p[i + k]))
			return 0;
	i += (size_t)len0;
	if (nargs > 1) {
		if (i + 2 >= n || p[i] != '\r' || p[i + 1] != '\n' ||
		    p[i + 2] != '$')
			return 0;
		i += 3;
		if ((len1 = cs_fast_num(p, n, &i, BULK_DIGITS)) < 0 ||
		    len1 > CMD_BULK_MAX)
			return 0;
		want = (size_t)(len1 < CMD_SUB_MAX ? len1 : CMD_SUB_MAX);
		if (i + want > n)
			return 0;
	}
	cs_begin(s, CMD_RESP);
	s->wnargs = nargs;
	for (k = 0; k < (size_t)len0; k++)
		s->wname[k] = cs_upper(p[name + k]);
	s->wname_len = (size_t)len0;
	s->wname_done = 1;
	if (nargs == 1) {
		s->arglen = len0;
		s->st = CS_BCR;
		cs_head(s);
		return i;
	}
	for (k = 0; k < want; k++)
		s->wsub[k] = cs_upper(p[i + k]);
	s->wsub_len = want;
	s->wsub_done = 1;
	s->wsub_long = len1 > CMD_SUB_MAX;
	s->argi = 1;
	s->arglen = len1;
	s->left = len1 - (long long)want;
	s->st = s->left > 0 ? CS_BDATA : CS_BCR;
	cs_head(s);
	return i + want;
}

/* One step on p[0 .. n), n > 0: *took bytes taken, and the event. */
static enum cmd_ev
cs_step(struct cmd_scan *s, const unsigned char *p, size_t n, size_t *took)
{
	unsigned char	c = p[0];
	size_t		k;
	enum cmd_ev	ev;
	int		r;

	*took = 1;
	switch (s->st) {
	case CS_START:
		return cs_start(s, c);
	case CS_RHDR:
		if ((r = cs_digit(s, c, '\r', RESP_NARGS_DIGITS)) < 0 ||
		    (r == 1 && (s->num < 1 || s->num > CMD_NARGS_MAX)))
			return cs_bad(s, "bad RESP array length");
		if (r == 1) {
			s->wnargs = s->num;
			s->st = CS_RHDR_LF;
		}
		return CMD_NEED;
	case CS_RHDR_LF:
	case CS_BHDR_LF:
		if (c != '\n')
			return cs_bad(s, "CR without LF in RESP");
		if (s->st == CS_RHDR_LF) {
			s->st = CS_BHDR;
			return CMD_NEED;
		}
		return cs_arg_start(s);
	case CS_BHDR:
		if (c != '$')
			return cs_bad(s, "RESP argument not a bulk string");
		s->num = 0;
		s->ndig = 0;
		s->st = CS_BDIG;
		return CMD_NEED;
	case CS_BDIG:
		if ((r = cs_digit(s, c, '\r', BULK_DIGITS)) < 0 ||
		    (r == 1 && s->num > CMD_BULK_MAX))
			return cs_bad(s, "bad RESP bulk length");
		if (r == 1)
			s->st = CS_BHDR_LF;
		return CMD_NEED;
	case CS_BDATA:
		if (n > (unsigned long long)s->left)
			n = (size_t)s->left;
		ev = CMD_NEED;
		k = 0;
		if (s->argi < 2 && !s->head)
			k = cs_copy(s, p, n, &ev);
		if (ev == CMD_NEED)
			k = n;		/* the rest is skipped by count */
		s->left -= (long long)k;
		if (s->left == 0 && s->st == CS_BDATA)
			s->st = CS_BCR;
		*took = k;
		return ev;
	case CS_BCR:
		if (c != '\r')
			return cs_bad(s, "RESP argument not followed by CRLF");
		s->st = CS_BLF;
		return CMD_NEED;
	case CS_BLF:
		if (c != '\n')
			return cs_bad(s, "RESP argument not followed by CRLF");
		if (++s->argi < s->wnargs) {
			s->st = CS_BHDR;
			return CMD_NEED;
		}
		s->st = CS_START;
		return cs_end(s);
	case CS_NDIG:
		if ((r = cs_digit(s, c, ' ', BULK_DIGITS)) < 0 ||
		    (r == 1 && s->num > CMD_BULK_MAX))
			return cs_bad(s, "bad native length");
		if (r == 1) {
			s->left = s->num;
			s->st = s->left > 0 ? CS_NDATA : CS_NCR;
		}
		return CMD_NEED;
	case CS_NDATA:
		if ((ev = cs_native(s, c)) != CMD_NEED)
			return ev;
		if (--s->left == 0) {
			if (s->tok)
				cs_word_end(s);
			s->st = CS_NCR;
		}
		return CMD_NEED;
	case CS_NCR:
		if (c != '\r')
			return cs_bad(s, "native command not followed by CRLF");
		s->st = CS_NLF;
		return CMD_NEED;
	case CS_NLF:
		if (c != '\n')
			return cs_bad(s, "native command not followed by CRLF");
		if (s->wnargs == 0)
			return cs_bad(s, "native command without words");
		s->st = CS_START;
		return cs_head_end(s);
	case CS_LINE:
		return cs_line(s, c);
	case CS_HTTP:
		return cs_bad(s, "input after an HTTP request line");
	}
	return cs_bad(s, "scanner state corrupt");
}

enum cmd_ev
cmd_scan(struct cmd_scan *s, const char *buf, size_t len, size_t *used)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, took;
	enum cmd_ev		 ev;

	*used = 0;
	if (s->st == CS_BAD)
		return CMD_BAD;
	if (s->owed) {
		s->owed = 0;
		return cs_end(s);
	}
	while (i < len) {
		if (s->st == CS_START && p[i] == '*' && !s->tl_open &&
		    (took = cs_fast_head(s, p + i, len - i)) > 0) {
			*used = i + took;
			return CMD_HEAD;
		}
		ev = cs_step(s, p + i, len - i, &took);
		i += took;
		if (ev == CMD_NEED && !s->head) {
			/*
			 * The caller holds these bytes until the HEAD: past
			 * the bound, a command that is known is given its
			 * HEAD early, any other is refused.
			 */
			s->pre += took;
			if (s->pre >= CMD_HEAD_MAX) {
				if (s->st != CS_START &&
				    s->wproto != CMD_RESP && cs_known(s))
					ev = cs_head(s);
				else
					ev = cs_bad(s, "no command head within "
					    "4096 bytes");
			}
		}
		if (ev != CMD_NEED) {
			*used = i;
			return ev;
		}
	}
	*used = len;
	return CMD_NEED;
}
