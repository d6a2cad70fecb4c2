/* RFC 3339 timestamps (rfc3339.c). */
#ifndef RFC3339_H
#define RFC3339_H

#include <stdint.h>

/*
 * RFC 3339 as Go's time.Time marshals it: "2026-11-26T18:32:28Z", with
 * optional fractional seconds (dropped: certificates count whole
 * seconds) and "Z" or a "+hh:mm"/"-hh:mm" offset.  0 with *out the Unix
 * time in seconds, or -1 for anything else (out untouched).
 */
int	rfc3339_parse(const char *s, int64_t *out);

#endif
