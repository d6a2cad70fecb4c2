/*
 * The leadership history: why a lock changed hands, and the bounded
 * JSON array at <prefix>/history.  See leader_history.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "leader_history.h"

enum lock_reason
history_reason(enum lock_free kind, uint64_t flags, int had_leader)
{
	enum lock_reason	r;

	switch (kind) {
	case LOCK_FREE_PRESENT:
		/* Our marker says why; a released key without it is
		 * another client's (the Go original's lock, an operator). */
		if ((r = lock_flags_reason(flags)) != LOCK_REASON_NONE)
			return r;
		return flags != 0 || had_leader ? LOCK_REASON_RELEASED :
		    LOCK_REASON_FIRST;
	case LOCK_FREE_ABSENT:
		/* Behavior delete: the holder's session was invalidated. */
		return had_leader ? LOCK_REASON_EXPIRED : LOCK_REASON_FIRST;
	case LOCK_FREE_NONE:
	default:
		return LOCK_REASON_NONE;
	}
}

int
history_time(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

/* One JSON array from text[0..len), or NULL. */
static struct json_object *
parse_array(const char *text, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	if (text == NULL || len == 0 || len > INT_MAX ||
	    (tok = json_tokener_new()) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* An entry's epoch; 0 when it has none (sorted last). */
static uint64_t
entry_epoch(struct json_object *o)
{
	struct json_object	*v;
	int64_t			 n;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "epoch", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < 0)
		return 0;
	return (uint64_t)n;
}

static char *
json_text(struct json_object *o)
{
	const char	*t;
	char		*out;

	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	out = t != NULL ? strdup(t) : NULL;
	json_object_put(o);
	return out;
}

char *
history_newest_leader(const char *old, size_t len)
{
	struct json_object	*a, *best = NULL, *v;
	uint64_t		 top = 0, ep;
	char			*out = NULL;
	size_t			 i;

	if ((a = parse_array(old, len)) == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if ((ep = entry_epoch(v)) > top) {
			top = ep;
			best = v;
		}
	}
	if (best != NULL && json_object_object_get_ex(best, "leader", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		out = strdup(json_object_get_string(v));
	json_object_put(a);
	return out;
}

static struct json_object *
entry_json(const struct history_entry *e)
{
	struct json_object	*o = json_object_new_object();
	char			 when[32];

	if (history_time(e->time_ms, when, sizeof(when)) == -1)
		snprintf(when, sizeof(when), "?");
	json_object_object_add(o, "epoch", json_object_new_int64(
	    e->epoch > INT64_MAX ? INT64_MAX : (int64_t)e->epoch));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "leader", json_object_new_string(
	    e->leader != NULL ? e->leader : ""));
	json_object_object_add(o, "previous", json_object_new_string(
	    e->previous != NULL ? e->previous : ""));
	json_object_object_add(o, "reason", json_object_new_string(
	    lock_reason_name(e->reason)));
	return o;
}

char *
history_add(const char *old, size_t len, const struct history_entry *e,
    size_t max, int *added, int *reset)
{
	struct json_object	*a, *out, *v;
	size_t			 i, n;
	int			 placed = 0;

	*added = 1;
	*reset = 0;
	if ((a = parse_array(old, len)) == NULL) {
		*reset = old != NULL && len > 0;
		if ((a = json_object_new_array()) == NULL)
			return NULL;
	}
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		if (entry_epoch(json_object_array_get_idx(a, i)) == e->epoch) {
			*added = 0;
			return json_text(a);
		}
	if ((out = json_object_new_array()) == NULL) {
		json_object_put(a);
		return NULL;
	}
	/* Newest first; a late write of an older epoch goes in its place. */
	for (i = 0; i < n && json_object_array_length(out) < max; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_object))
			continue;
		if (!placed && entry_epoch(v) < e->epoch) {
			json_object_array_add(out, entry_json(e));
			placed = 1;
			if (json_object_array_length(out) >= max)
				break;
		}
		json_object_array_add(out, json_object_get(v));
	}
	if (!placed && json_object_array_length(out) < max)
		json_object_array_add(out, entry_json(e));
	else if (!placed)
		*added = 0;	/* older than everything kept */
	json_object_put(a);
	return json_text(out);
}

char *
history_answer(const char *value, size_t len, char *err, size_t errlen)
{
	struct json_object	*a = NULL, *o, *h, *v;
	size_t			 i;

	if (value != NULL && len > 0 && (a = parse_array(value, len)) == NULL) {
		snprintf(err, errlen, "the stored history is not a JSON array");
		return NULL;
	}
	o = json_object_new_object();
	h = json_object_new_array();
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_object))
			json_object_array_add(h, json_object_get(v));
	}
	json_object_put(a);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "history", h);
	return json_text(o);
}
