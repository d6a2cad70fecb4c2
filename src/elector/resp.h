/*
 * RESP, the Redis serialization protocol that Redis, Valkey and Tile38
 * (after OUTPUT resp) speak: an incremental reply parser with limits and a
 * command encoder.  Pure functions: no I/O.
 */
#ifndef RESP_H
#define RESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RESP_MAX_DEPTH		8
#define RESP_MAX_BULK		(4 * 1024 * 1024)
#define RESP_MAX_ELEMS		65536

enum resp_type {
	RESP_SIMPLE,		/* +OK */
	RESP_ERROR,		/* -ERR ... */
	RESP_INTEGER,		/* :42 */
	RESP_BULK,		/* $3 foo */
	RESP_NIL,		/* $-1 or *-1 */
	RESP_ARRAY,		/* *2 ... */
};

struct resp {
	enum resp_type	 type;
	long long	 integer;
	char		*str;		/* SIMPLE, ERROR, BULK: NUL-terminated */
	size_t		 len;
	struct resp	*elems;		/* ARRAY */
	size_t		 n;
};

/*
 * Parse one reply from buf.  Returns the bytes it took (> 0), 0 when the
 * reply is not complete yet, or -1 when the data is not RESP or exceeds
 * the limits (err says why).
 */
ssize_t	resp_parse(const char *buf, size_t len, struct resp *, char *err,
	    size_t errlen);
void	resp_clear(struct resp *);

/*
 * Append a command (an array of bulk strings) to *buf, growing it.
 * Returns 0 or -1.
 */
int	resp_encode(char **buf, size_t *len, size_t *cap, int argc,
	    const char *const *argv);

/* In a flat key/value array (Tile38 SERVER), the value of key or NULL. */
const struct resp *resp_map_get(const struct resp *, const char *key);
/*
 * In an INFO text ("key:value\r\n" lines), copy the value of key into out.
 * Returns 0, or -1 when absent.
 */
int	resp_info_get(const char *info, const char *key, char *out,
	    size_t outlen);

#endif
