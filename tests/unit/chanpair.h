/* A connected pair of channels for tests: a writes, b reads. */
#ifndef CHANPAIR_H
#define CHANPAIR_H

#include "imsg.h"

struct pair {
	struct ichan	*a;	/* the side the test writes */
	struct ichan	*b;	/* the side the test reads */
};

void	pair_open(struct pair *);
void	pair_close(struct pair *);
/* Wait up to a second for fd to become readable. */
void	wait_readable(int fd);
/*
 * Flush a and read b until b yields one message; both directions make
 * progress, so a message bigger than the socket buffer still arrives.
 */
void	pair_recv(struct pair *, struct imsg *);

#endif
