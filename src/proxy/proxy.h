/*
 * A proxy process: one per listener (writer W, reader R, bridge B).
 */
#ifndef PROXY_H
#define PROXY_H

/* Entry point of "-P writer|reader|bridge"; returns the exit status. */
int	proxy_main(int kind, int foreground, int verbose);

#endif
