/*
 * The elector process: Consul session and lock, catalog, Connect CA and
 * control of the local server.
 */
#ifndef ELECTOR_H
#define ELECTOR_H

/* Entry point of "-P elector"; returns the exit status. */
int	elector_main(int foreground, int verbose);

#endif
