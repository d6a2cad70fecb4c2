/*
 * Where each command begins and ends in a client's byte stream, with its
 * name and first argument: an incremental scanner that keeps none of the
 * stream.  Pure: no I/O, no allocation.
 *
 * The stream may come in pieces of any size.  Per command the scanner
 * reports exactly one CMD_HEAD, once the name and the first argument are
 * known, then exactly one CMD_END after the command's last byte.  A
 * command's bytes are safe to forward only after its HEAD; bytes that
 * form no command (blank inline lines) produce no event and belong to
 * the next command.  HEAD comes within CMD_HEAD_MAX bytes of the
 * previous END, or the stream is BAD, so a caller that can hold that
 * much never waits for a HEAD with a full buffer.
 *
 * The scanner accepts only what Redis and Tile38 both read the same way,
 * or what only one of them takes and the other refuses; anything else is
 * CMD_BAD and the connection should be closed without forwarding the
 * byte that made it BAD (p[*used - 1]) or anything after it.
 *
 * CMD_NATIVE and CMD_HTTP are Tile38's framings; Redis reads the same
 * bytes as inline lines.  A native command reaches Redis as one line
 * naming the unknown command "$<len>", but after an HTTP request line
 * every header line would be a command to Redis, and to Tile38 the
 * request's path is a command of its own: on CMD_HTTP, close.
 */
#ifndef CMD_SCAN_H
#define CMD_SCAN_H

#include <stddef.h>

#define CMD_NAME_MAX	32
#define CMD_SUB_MAX	32
#define CMD_HEAD_MAX	4096		/* bytes from an END to the next HEAD */
#define CMD_INLINE_MAX	65536		/* an inline line, as Redis */
#define CMD_NARGS_MAX	1048576		/* RESP array length */
#define CMD_BULK_MAX	(512LL * 1024 * 1024)	/* a RESP or native length */

enum cmd_proto {
	CMD_RESP,	/* *<n>\r\n then n of $<len>\r\n<bytes>\r\n */
	CMD_INLINE,	/* a line of blank-separated words */
	CMD_NATIVE,	/* Tile38: $<len> <len bytes of words>\r\n */
	CMD_HTTP,	/* Tile38: an HTTP request line */
};

enum cmd_ev {
	CMD_NEED,	/* all input taken, more is needed */
	CMD_HEAD,	/* name and sub of the current command are known */
	CMD_END,	/* the current command's last byte was taken */
	CMD_BAD,	/* not a stream to forward: why says what */
};

struct cmd_scan {
	/* Private: the scanner's position and the command being read. */
	int		 st;
	int		 owed;		/* CMD_END due on the next call */
	int		 head;		/* HEAD given for this command */
	size_t		 pre;		/* bytes since the last END, no HEAD */
	long long	 num;		/* a length being read */
	int		 ndig;
	long long	 left;		/* bytes to go in an argument */
	long long	 arglen;
	long long	 argi;		/* RESP: the argument being read */
	long long	 wnargs;
	size_t		 linelen;
	int		 tok;		/* inside a word */
	int		 brace;		/* native: a word from '{' to the end */
	int		 tab;		/* inline: the line has a tab */
	int		 cr;		/* inline: a CR, maybe the end */
	enum cmd_proto	 wproto;
	char		 wname[CMD_NAME_MAX + 1];
	size_t		 wname_len;
	int		 wname_done, wname_long;
	char		 wsub[CMD_SUB_MAX + 1];
	size_t		 wsub_len;
	int		 wsub_done, wsub_long;
	/* Tile38's HTTP test: the line from a G, P or O to the next CRLF. */
	int		 tl_open;
	int		 tl_here;	/* opened by the current line */
	size_t		 tl_n;
	char		 tl_tail[9];

	/* Valid from a CMD_HEAD until the next command's CMD_HEAD. */
	enum cmd_proto	 proto;
	char		 name[CMD_NAME_MAX + 1];  /* ASCII upper case */
	int		 name_long;	/* name holds the first CMD_NAME_MAX */
	/*
	 * The first argument, or "".  From RESP it may hold a NUL and read
	 * short as a string: no server has a subcommand with a NUL in it.
	 */
	char		 sub[CMD_SUB_MAX + 1];
	int		 has_sub;
	int		 sub_long;
	/*
	 * RESP: the array length.  Inline and native: the words seen so far,
	 * which at CMD_END are all of them (at CMD_HEAD too when the command
	 * ended within CMD_HEAD_MAX).  Quotes are not interpreted: this
	 * counts blank-separated words, not the server's arguments.
	 */
	long long	 nargs;
	const char	*why;		/* CMD_BAD: a static string */
};

void		cmd_scan_init(struct cmd_scan *);
/*
 * Scan p[0 .. len).  Returns at the first event with *used the bytes
 * taken, up to and including the byte that caused it; CMD_NEED takes
 * them all.  When a command's HEAD and END fall on the same byte (a
 * short inline line), HEAD is returned and the next call returns CMD_END
 * taking nothing.  A BAD scanner stays BAD.  After the CMD_END of a
 * CMD_HTTP request line the connection is HTTP and further input is BAD:
 * the caller must close it or stop scanning.
 */
enum cmd_ev	cmd_scan(struct cmd_scan *, const char *p, size_t len,
		    size_t *used);

#endif
