/*
 * Inside the Consul API decoders: the checked JSON accessors that
 * consul_api.c defines and consul_api_connect.c uses too.  Each one
 * names ctx and the field in err when it fails.
 */
#ifndef CONSUL_API_INT_H
#define CONSUL_API_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "log.h"

/* Flags of str_value() and str_field(). */
#define F_OPTIONAL	0x01	/* absent or null gives NULL */
#define F_NONEMPTY	0x02	/* "" is an error */

void	seterr(char *, size_t, const char *, ...) LOG_FMT(3, 4);
int	json_parse(const char *body, size_t len, const char *what,
	    struct json_object **out, char *err, size_t errlen);
/*
 * A body that must be a JSON array: parsed into *root, its length in *n
 * and, when v is given, a zeroed vector of *n elements of elemsize in *v.
 * On failure nothing is left allocated.
 */
int	json_parse_array(const char *body, size_t len, const char *what,
	    struct json_object **root, size_t *n, void **v, size_t elemsize,
	    char *err, size_t errlen);
int	want_type(struct json_object *v, enum json_type type, const char *ctx,
	    const char *what, char *err, size_t errlen);
int	get_field(struct json_object *obj, const char *ctx, const char *key,
	    enum json_type type, int optional, struct json_object **val,
	    char *err, size_t errlen);
int	str_value(struct json_object *v, const char *ctx, const char *what,
	    int flags, char **out, char *err, size_t errlen);
int	str_field(struct json_object *obj, const char *ctx, const char *key,
	    int flags, char **out, char *err, size_t errlen);
int	bool_field(struct json_object *obj, const char *ctx, const char *key,
	    int flags, int *out, char *err, size_t errlen);
int	u64_field(struct json_object *obj, const char *ctx, const char *key,
	    uint64_t *out, char *err, size_t errlen);
int	int_field(struct json_object *obj, const char *ctx, const char *key,
	    int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);

#endif
