/*
 * Decoding the Consul HTTP API's JSON answers with json-c: the checked
 * accessors, and the KV, session and freshness answers (the service
 * mesh's answers are decoded in consul_api_connect.c, the request bodies
 * built in consul_body.c).  Nothing here trusts the agent: every field
 * is checked for its type (a number where a string belongs is an error,
 * not a zero), required fields are named when they are missing, and a
 * decoder that fails leaves its outputs empty (NULL pointers, zero
 * counts), so the caller may clear them either way and never frees
 * half-built results.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <openssl/evp.h>

#include "consul_api.h"
#include "consul_api_int.h"
#include "log.h"

/* UTF-8 checking, the parse end and ALLOW_TRAILING_CHARS came in 0.15. */
#if JSON_C_VERSION_NUM < ((0 << 16) | (15 << 8))
#error "json-c 0.15 or later is required"
#endif

void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Parse body[0..len) as exactly one JSON value; *out is NULL for a JSON
 * null.  The tokener is strict (no comments, single quotes or trailing
 * commas) and checks UTF-8; it stops after the first value so that
 * trailing data gets its own message.  A NUL byte is refused up front:
 * json-c would take it for the end of the input.
 */
int
json_parse(const char *body, size_t len, const char *what,
    struct json_object **out, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 end, i;

	*out = NULL;
	if (body == NULL || len == 0) {
		seterr(err, errlen, "%s: empty body", what);
		return -1;
	}
	if (len > INT_MAX) {
		seterr(err, errlen, "%s: body of %zu bytes is too large",
		    what, len);
		return -1;
	}
	if (memchr(body, '\0', len) != NULL) {
		seterr(err, errlen, "%s: NUL byte in body", what);
		return -1;
	}
	if ((tok = json_tokener_new()) == NULL) {
		seterr(err, errlen, "%s: out of memory", what);
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		/*
		 * A bare number or literal ("true", "null") is complete
		 * only once the tokener sees the end of the input, which
		 * json-c marks with a NUL.
		 */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr != json_tokener_success) {
		if (jerr == json_tokener_continue ||
		    jerr == json_tokener_error_parse_eof)
			seterr(err, errlen, "%s: truncated JSON", what);
		else
			seterr(err, errlen, "%s: invalid JSON at byte %zu: %s",
			    what, end, json_tokener_error_desc(jerr));
		goto fail;
	}
	/* body holds no NUL, so strchr() matches white space only. */
	for (i = end; i < len; i++)
		if (strchr(" \t\r\n", body[i]) == NULL) {
			seterr(err, errlen, "%s: trailing data at byte %zu",
			    what, i);
			goto fail;
		}
	json_tokener_free(tok);
	*out = obj;
	return 0;
 fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return -1;
}

/* Type name for messages, "null" included. */
static const char *
type_name(struct json_object *v)
{
	return json_type_to_name(json_object_get_type(v));
}

/* Check that v (what, inside ctx) has the given type. */
int
want_type(struct json_object *v, enum json_type type, const char *ctx,
    const char *what, char *err, size_t errlen)
{
	if (json_object_is_type(v, type))
		return 0;
	seterr(err, errlen, "%s: %s is %s, want %s", ctx, what, type_name(v),
	    json_type_to_name(type));
	return -1;
}

int
json_parse_array(const char *body, size_t len, const char *what,
    struct json_object **root, size_t *n, void **v, size_t elemsize,
    char *err, size_t errlen)
{
	*n = 0;
	if (v != NULL)
		*v = NULL;
	if (json_parse(body, len, what, root, err, errlen) == -1)
		return -1;
	if (want_type(*root, json_type_array, what, "body", err,
	    errlen) == -1)
		goto fail;
	*n = json_object_array_length(*root);
	if (v != NULL && *n > 0 && (*v = calloc(*n, elemsize)) == NULL) {
		seterr(err, errlen, "%s: out of memory", what);
		goto fail;
	}
	return 0;
 fail:
	json_object_put(*root);
	*root = NULL;
	*n = 0;
	return -1;
}

/*
 * Look up key in obj.  A missing key and a JSON null are the same to
 * Go's encoder (omitempty vs nil), so both are "absent": *val is NULL
 * and that is an error only for a required field.  Otherwise the value
 * must have the given type.
 */
int
get_field(struct json_object *obj, const char *ctx, const char *key,
    enum json_type type, int optional, struct json_object **val, char *err,
    size_t errlen)
{
	struct json_object	*v = NULL;
	char			 what[128];

	*val = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		if (optional)
			return 0;
		seterr(err, errlen, "%s: missing \"%s\"", ctx, key);
		return -1;
	}
	snprintf(what, sizeof(what), "\"%s\"", key);
	if (want_type(v, type, ctx, what, err, errlen) == -1)
		return -1;
	*val = v;
	return 0;
}

/*
 * Copy the JSON string v.  A string with an escaped NUL ("\u0000") is
 * refused: as a C string it would silently lose its tail.
 */
int
str_value(struct json_object *v, const char *ctx, const char *what,
    int flags, char **out, char *err, size_t errlen)
{
	const char	*s;
	int		 n;

	*out = NULL;
	if (v == NULL && (flags & F_OPTIONAL))
		return 0;
	if (want_type(v, json_type_string, ctx, what, err, errlen) == -1)
		return -1;
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (n < 0 || strlen(s) != (size_t)n) {
		seterr(err, errlen, "%s: %s holds a NUL character", ctx, what);
		return -1;
	}
	if (n == 0 && (flags & F_NONEMPTY)) {
		seterr(err, errlen, "%s: %s is empty", ctx, what);
		return -1;
	}
	if ((*out = strdup(s)) == NULL) {
		seterr(err, errlen, "%s: out of memory", ctx);
		return -1;
	}
	return 0;
}

int
str_field(struct json_object *obj, const char *ctx, const char *key,
    int flags, char **out, char *err, size_t errlen)
{
	struct json_object	*v;
	char			 what[128];

	*out = NULL;
	if (get_field(obj, ctx, key, json_type_string, flags & F_OPTIONAL,
	    &v, err, errlen) == -1)
		return -1;
	snprintf(what, sizeof(what), "\"%s\"", key);
	return str_value(v, ctx, what, flags, out, err, errlen);
}

int
bool_field(struct json_object *obj, const char *ctx, const char *key,
    int flags, int *out, char *err, size_t errlen)
{
	struct json_object	*v;

	*out = 0;
	if (get_field(obj, ctx, key, json_type_boolean, flags & F_OPTIONAL, &v,
	    err, errlen) == -1)
		return -1;
	if (v != NULL)
		*out = json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

/*
 * json-c clamps an integer that overflows to INT64_MIN, INT64_MAX or
 * UINT64_MAX without telling, so those values are taken for overflow:
 * no real index, port or time reaches them.
 */
int
u64_field(struct json_object *obj, const char *ctx, const char *key,
    uint64_t *out, char *err, size_t errlen)
{
	struct json_object	*v;
	uint64_t		 u;

	if (get_field(obj, ctx, key, json_type_int, 0, &v, err, errlen) == -1)
		return -1;
	if (json_object_get_int64(v) < 0) {
		seterr(err, errlen, "%s: \"%s\" is negative", ctx, key);
		return -1;
	}
	if ((u = json_object_get_uint64(v)) == UINT64_MAX) {
		seterr(err, errlen, "%s: \"%s\" is out of range", ctx, key);
		return -1;
	}
	*out = u;
	return 0;
}

int
int_field(struct json_object *obj, const char *ctx, const char *key,
    int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	struct json_object	*v;
	int64_t			 i;

	if (get_field(obj, ctx, key, json_type_int, 0, &v, err, errlen) == -1)
		return -1;
	i = json_object_get_int64(v);
	if (i == INT64_MIN || i == INT64_MAX || i < min || i > max) {
		seterr(err, errlen, "%s: \"%s\" is out of range", ctx, key);
		return -1;
	}
	*out = i;
	return 0;
}

/* The standard alphabet, spelled out: isalnum() follows the locale. */
static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Standard base64 with padding, as Go's encoding/base64 writes it.
 * EVP_DecodeBlock skips white space and counts padding as zero bytes,
 * so the text is checked here first and the padding taken off after.
 */
static int
b64_decode(const char *in, size_t n, uint8_t **out, size_t *outlen)
{
	uint8_t	*buf;
	size_t	 i, pad = 0;
	int	 r;

	*out = NULL;
	*outlen = 0;
	if (n % 4 != 0 || n > INT_MAX)
		return -1;
	while (pad < 2 && pad < n && in[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!b64_char(in[i]))
			return -1;
	if ((buf = malloc(n / 4 * 3 + 1)) == NULL)
		return -1;
	r = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (r < 0 || (size_t)r != n / 4 * 3) {
		free(buf);
		return -1;
	}
	*outlen = (size_t)r - pad;
	buf[*outlen] = '\0';
	*out = buf;
	return 0;
}

void
consul_kv_clear(struct consul_kv *kv)
{
	free(kv->key);
	free(kv->session);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

/* One KV entry; on failure the caller clears kv. */
static int
kv_entry(struct json_object *e, const char *ctx, struct consul_kv *kv,
    char *err, size_t errlen)
{
	struct json_object	*v;

	if (want_type(e, json_type_object, ctx, "entry", err, errlen) == -1 ||
	    u64_field(e, ctx, "LockIndex", &kv->lock_index, err,
	    errlen) == -1 ||
	    u64_field(e, ctx, "ModifyIndex", &kv->modify_index, err,
	    errlen) == -1 ||
	    str_field(e, ctx, "Key", F_NONEMPTY, &kv->key, err, errlen) == -1 ||
	    str_field(e, ctx, "Session", F_OPTIONAL, &kv->session, err,
	    errlen) == -1)
		return -1;
	/* Always sent by Consul; optional here, like the Go API's. */
	if (json_object_object_get_ex(e, "Flags", NULL) &&
	    u64_field(e, ctx, "Flags", &kv->flags, err, errlen) == -1)
		return -1;
	/* Nobody holds the lock: the callers test for NULL only. */
	if (kv->session != NULL && kv->session[0] == '\0') {
		free(kv->session);
		kv->session = NULL;
	}
	if (get_field(e, ctx, "Value", json_type_string, 1, &v, err,
	    errlen) == -1)
		return -1;
	if (v != NULL && b64_decode(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), &kv->value,
	    &kv->value_len) == -1) {
		seterr(err, errlen, "%s: \"Value\" is not valid base64", ctx);
		return -1;
	}
	return 0;
}

int
consul_parse_kv(const char *body, size_t len, struct consul_kv *kv,
    char *err, size_t errlen)
{
	struct json_object	*root;
	size_t			 n;

	memset(kv, 0, sizeof(*kv));
	if (json_parse_array(body, len, "kv", &root, &n, NULL, 0, err,
	    errlen) == -1)
		return -1;
	/* A key read without ?recurse is exactly one entry. */
	if (n != 1) {
		seterr(err, errlen, "kv: %zu entries, want 1", n);
		goto fail;
	}
	if (kv_entry(json_object_array_get_idx(root, 0), "kv[0]", kv, err,
	    errlen) == -1)
		goto fail;
	json_object_put(root);
	return 0;
 fail:
	json_object_put(root);
	consul_kv_clear(kv);
	return -1;
}

void
consul_kv_list_clear(struct consul_kv_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		consul_kv_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
consul_parse_kv_list(const char *body, size_t len, struct consul_kv_list *l,
    char *err, size_t errlen)
{
	struct json_object	*root;
	char			 ctx[64];
	size_t			 i, n;

	memset(l, 0, sizeof(*l));
	if (json_parse_array(body, len, "kv list", &root, &n, (void **)&l->v,
	    sizeof(*l->v), err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(ctx, sizeof(ctx), "kv list[%zu]", i);
		/* Counted first so that clear() frees a half-filled one. */
		l->n++;
		if (kv_entry(json_object_array_get_idx(root, i), ctx,
		    &l->v[i], err, errlen) == -1)
			goto fail;
	}
	json_object_put(root);
	return 0;
 fail:
	json_object_put(root);
	consul_kv_list_clear(l);
	return -1;
}

int
consul_parse_session_create(const char *body, size_t len, char **id,
    char *err, size_t errlen)
{
	struct json_object	*root;
	int			 rc = -1;

	*id = NULL;
	if (json_parse(body, len, "session", &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_object, "session", "body", err,
	    errlen) == 0 &&
	    str_field(root, "session", "ID", F_NONEMPTY, id, err, errlen) == 0)
		rc = 0;
	json_object_put(root);
	return rc;
}

int
consul_parse_session_info(const char *body, size_t len, const char *id,
    int *found, char *err, size_t errlen)
{
	struct json_object	*root, *e;
	char			*sid, ctx[64];
	size_t			 i, n;
	int			 rc = -1;

	*found = 0;
	if (id == NULL) {
		seterr(err, errlen, "session info: no session id");
		return -1;
	}
	if (json_parse(body, len, "session info", &root, err, errlen) == -1)
		return -1;
	/* Consul answers null for a session it does not know. */
	if (root == NULL)
		return 0;
	if (want_type(root, json_type_array, "session info", "body", err,
	    errlen) == -1)
		goto done;
	n = json_object_array_length(root);
	for (i = 0; i < n; i++) {
		snprintf(ctx, sizeof(ctx), "session info[%zu]", i);
		e = json_object_array_get_idx(root, i);
		if (want_type(e, json_type_object, ctx, "entry", err,
		    errlen) == -1 ||
		    str_field(e, ctx, "ID", 0, &sid, err, errlen) == -1)
			goto done;
		if (strcmp(sid, id) == 0)
			*found = 1;
		free(sid);
	}
	rc = 0;
 done:
	if (rc == -1)
		*found = 0;
	json_object_put(root);
	return rc;
}

int
consul_parse_bool(const char *body, size_t len, int *val, char *err,
    size_t errlen)
{
	struct json_object	*root;
	int			 rc = -1;

	*val = 0;
	if (json_parse(body, len, "bool", &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_boolean, "bool", "body", err,
	    errlen) == 0) {
		*val = json_object_get_boolean(root) ? 1 : 0;
		rc = 0;
	}
	json_object_put(root);
	return rc;
}

int
consul_parse_string(const char *body, size_t len, char **out, char *err,
    size_t errlen)
{
	struct json_object	*root;
	int			 rc;

	*out = NULL;
	if (json_parse(body, len, "string", &root, err, errlen) == -1)
		return -1;
	rc = str_value(root, "string", "body", 0, out, err, errlen);
	json_object_put(root);
	return rc;
}

int
freshness_decode(const char *json, size_t len, struct freshness *f,
    char *err, size_t errlen)
{
	struct json_object	*root;
	const char		*ctx = "freshness";

	memset(f, 0, sizeof(*f));
	if (json_parse(json, len, ctx, &root, err, errlen) == -1)
		return -1;
	if (want_type(root, json_type_object, ctx, "body", err, errlen) == -1 ||
	    str_field(root, ctx, "id", F_NONEMPTY, &f->id, err, errlen) == -1 ||
	    bool_field(root, ctx, "up", 0, &f->up, err, errlen) == -1 ||
	    bool_field(root, ctx, "leader", 0, &f->leader, err, errlen) == -1 ||
	    bool_field(root, ctx, "caught_up", 0, &f->caught_up, err,
	    errlen) == -1 ||
	    u64_field(root, ctx, "offset", &f->offset, err, errlen) == -1 ||
	    u64_field(root, ctx, "keys", &f->keys, err, errlen) == -1 ||
	    str_field(root, ctx, "lineage", 0, &f->lineage, err,
	    errlen) == -1 ||
	    u64_field(root, ctx, "epoch", &f->epoch, err, errlen) == -1 ||
	    int_field(root, ctx, "time", 0, INT64_MAX, &f->time_ms, err,
	    errlen) == -1 ||
	    /* Absent from records of older versions. */
	    bool_field(root, ctx, "paused", F_OPTIONAL, &f->paused, err,
	    errlen) == -1)
		goto fail;
	json_object_put(root);
	return 0;
 fail:
	json_object_put(root);
	freshness_clear(f);
	return -1;
}

void
freshness_clear(struct freshness *f)
{
	free(f->id);
	free(f->lineage);
	memset(f, 0, sizeof(*f));
}
