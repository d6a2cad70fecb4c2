/*
 * tile38-clusterctl's parts:
 *
 *	clusterctl.c	arguments, one request, the exit status
 *	ctl_print.c	an answer as text for people
 */
#ifndef CTL_H
#define CTL_H

struct json_object;

/* The answer o to command cmd, as text on stdout. */
void	ctl_print(const char *cmd, struct json_object *o);

#endif
