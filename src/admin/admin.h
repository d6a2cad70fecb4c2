/*
 * The admin process: the control socket of tile38-clusterctl, the
 * optional admin HTTP listener (health, status, Prometheus metrics) and
 * DogStatsD.  It sees the cluster only through what the supervisor
 * forwards, and holds no secrets.
 */
#ifndef ADMIN_H
#define ADMIN_H

int	admin_main(int foreground, int verbose);

#endif
