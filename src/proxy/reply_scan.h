/*
 * Where each reply ends in a server's byte stream: an incremental counter
 * of complete top-level values, so that the proxy can put a reply of its
 * own exactly between two of the server's.  Pure: no I/O, no allocation,
 * none of the stream kept.
 *
 * It reads RESP2 and RESP3 (without RESP3's streamed '?' lengths, which
 * neither Redis nor Tile38 sends) and Tile38's native replies, $<len>
 * followed by a space instead of CRLF.  Line values (+ - : _ , # ( )
 * have no length bound: none of the line is kept, and Tile38 echoes
 * request arguments into its errors, so an error can be as long as a
 * request.  Lengths and counts have at most 18 digits.
 */
#ifndef REPLY_SCAN_H
#define REPLY_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define REPLY_DEPTH_MAX		64	/* nested aggregates */

enum reply_ev {
	REPLY_NEED,	/* all input taken, the value goes on */
	REPLY_DONE,	/* a top-level reply ended */
	REPLY_PUSH,	/* a RESP3 push ('>') ended: not a reply */
	REPLY_BAD,	/* not RESP: why says what */
};

struct reply_scan {
	/* Private: where the scanner is. */
	int		 st;
	int		 depth;
	int		 mid;		/* inside a top-level value */
	int		 push;		/* which is a push */
	int		 cr;		/* a line's last byte so far was CR */
	int		 type;		/* of the length being read */
	int		 neg;
	int		 ndig;
	uint64_t	 num;
	uint64_t	 left;		/* bytes of a blob to go */
	uint64_t	 elems[REPLY_DEPTH_MAX];  /* values to go per level */
	unsigned char	 attr[REPLY_DEPTH_MAX];	  /* level is an attribute */

	uint64_t	 replies;	/* top-level replies completed */
	uint64_t	 pushes;	/* and pushes */
	const char	*why;		/* REPLY_BAD: a static string */
};

void		reply_scan_init(struct reply_scan *);
/*
 * Scan p[0 .. len).  Returns REPLY_DONE or REPLY_PUSH as soon as a
 * top-level value ends, with *used the bytes taken up to its last;
 * REPLY_NEED when all len bytes were taken.  A BAD scanner stays BAD.
 * A RESP3 attribute ('|') belongs to the value after it.
 */
enum reply_ev	reply_scan(struct reply_scan *, const char *p, size_t len,
		    size_t *used);
/* Between two top-level values: a reply of the proxy's may go here. */
int		reply_scan_at_boundary(const struct reply_scan *);

#endif
