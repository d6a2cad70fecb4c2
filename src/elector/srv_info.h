/*
 * What the local server's probe replies say: Tile38's SERVER and Redis'
 * INFO read into a struct srv_state.  No I/O; srvctl.c sends the probe
 * and acts on the result.
 */
#ifndef SRV_INFO_H
#define SRV_INFO_H

#include <stddef.h>

#include "srvctl.h"

struct resp;

enum srv_info {
	SRV_INFO_OK,		/* st says what the reply says; LOADING and
				   Tile38's "catching up" included */
	SRV_INFO_REFUSED,	/* some other error reply: r->str */
	SRV_INFO_BAD,		/* not the reply's shape: *why says how */
};

/*
 * Tile38 answers SERVER with "catching up to leader" until a new
 * follower first catches up, so whom it follows and its READONLY flag
 * are remembered from the last SERVER, and from the commands that
 * succeeded since.
 */
struct srv_t38 {
	char	following[sizeof(((struct srv_state *)0)->following)];
	int	read_only;
};

/*
 * A SERVER reply into st and t38.  *why is set on SRV_INFO_BAD, else
 * left alone.
 */
enum srv_info	srv_info_tile38(const struct resp *, struct srv_t38 *,
		    struct srv_state *, const char **why);
/*
 * An INFO reply into st; paused: our CLIENT PAUSE WRITE still holds
 * writes.  *why is set on SRV_INFO_BAD and, on SRV_INFO_OK, to a note
 * worth a debug line (master_host too long to compare) or NULL.
 */
enum srv_info	srv_info_redis(const struct resp *, int paused,
		    struct srv_state *, const char **why);

#endif
