/*
 * tile38-clusterctl's parts:
 *
 *	clusterctl.c	main(): arguments, one request, the exit status
 *	ctl_answer.c	reading the answer, and the notes before it
 *	ctl_print.c	an answer as text for people
 *	ctl_socket.c	which daemon to talk to, and connecting to it
 */
#ifndef CTL_H
#define CTL_H

#include <sys/types.h>

#include <stddef.h>

struct json_object;

/* The answer on fd, its progress notes printed unless json (ctl_answer.c). */
ssize_t	ctl_answer(int fd, int json, char *buf, size_t cap);

/* The answer o to command cmd, as text on stdout. */
void	ctl_print(const char *cmd, struct json_object *o);

/*
 * The socket to use: path (-s) when set, else TCM_CONTROL_SOCKET, else
 * the socket of id when set, else the one daemon found; out holds what
 * was found.  Exits with a message when there is none or, without id,
 * several.
 */
const char	*ctl_socket_find(const char *path, const char *id, char *out,
		    size_t len);
/* A connected socket, or -1 with errno. */
int		 ctl_connect(const char *path);

#endif
