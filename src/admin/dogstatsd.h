/*
 * DogStatsD: the metric sets as datagrams for a Datadog agent, and
 * events.  Only formatting lives here; the caller owns the socket.
 */
#ifndef DOGSTATSD_H
#define DOGSTATSD_H

#include <stddef.h>

#include "metrics.h"

/* Fits a UDP payload in a 1500-byte MTU with IPv6 headers to spare. */
#define DSD_PACKET_MAX	1432

/* The previous value of every counter, to send increases. */
struct dsd;

/* One datagram: len bytes (NUL-terminated for convenience). */
typedef void (*dsd_send_cb)(const char *pkt, size_t len, void *arg);

struct dsd	*dsd_new(void);
void		 dsd_free(struct dsd *);
/*
 * The sender itself was restarted: the next flush takes the totals of
 * counters it has not seen yet as already sent, rather than sending
 * them again whole.
 */
void		 dsd_baseline(struct dsd *);

/*
 * Sends every metric of every set, packed in datagrams of at most
 * DSD_PACKET_MAX bytes: gauges as their value (|g), counters as their
 * increase since the previous flush (|c), skipped when it is 0, and
 * their whole value when they went down (the process restarted).
 * Returns the number of datagrams sent, or -1 when out of memory (then
 * nothing was sent).
 */
int	dsd_flush(struct dsd *, const struct metric_set *const *sets,
	    size_t nsets, const char *id, const char *role, dsd_send_cb,
	    void *arg);

/*
 * An event datagram in buf: _e{<title len>,<text len>}:<title>|<text>
 * and the instance and role tags.  Returns its length, or -1 when it
 * does not fit in cap (NUL included).
 */
int	dsd_event(char *buf, size_t cap, const char *title, const char *text,
	    const char *id, const char *role);

#endif
