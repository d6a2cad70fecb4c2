/*
 * tile38-clusterctl's answers as text for people; -j prints them as they
 * come.  Each view is a function of the JSON answer alone: sections of
 * aligned "key: value" lines and tables with a header row, "-" wherever
 * the answer has nothing (null, absent or empty), so that a script never
 * needs the text and a person never needs the JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"

#define TABLE_COLS	10
#define CELL_MAX	256

/* Rows of cells printed in columns; row 0 is the header. */
struct table {
	size_t	  ncols;
	size_t	  nrows;
	char	(*cell)[TABLE_COLS][CELL_MAX];
	char	(*prefix)[4];	/* before each row: "* " or "  " */
};

static void
table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < TABLE_COLS ? ncols : TABLE_COLS;
}

/* A row of ncols cells; prefix may be NULL. */
static void
table_add(struct table *t, const char *prefix, const char *const *cells)
{
	void	*c, *p;
	size_t	 i;

	if ((c = realloc(t->cell, (t->nrows + 1) * sizeof(*t->cell))) == NULL)
		return;
	t->cell = c;
	if ((p = realloc(t->prefix, (t->nrows + 1) *
	    sizeof(*t->prefix))) == NULL)
		return;
	t->prefix = p;
	for (i = 0; i < t->ncols; i++)
		snprintf(t->cell[t->nrows][i], CELL_MAX, "%s",
		    cells[i] != NULL ? cells[i] : "");
	snprintf(t->prefix[t->nrows], sizeof(t->prefix[0]), "%s",
	    prefix != NULL ? prefix : "");
	t->nrows++;
}

/* A table whose first row names its columns (NULL-terminated). */
static void
table_head(struct table *t, const char *prefix, const char *const *names)
{
	size_t	n;

	for (n = 0; names[n] != NULL; n++)
		;
	table_init(t, n);
	table_add(t, prefix, names);
}

/* Columns two spaces apart, no trailing blanks; frees the table. */
static void
table_print(struct table *t, const char *indent)
{
	size_t	w[TABLE_COLS] = { 0 }, r, i, last, n;

	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++)
			if ((n = strlen(t->cell[r][i])) > w[i])
				w[i] = n;
	for (r = 0; r < t->nrows; r++) {
		for (last = t->ncols; last > 1 &&
		    t->cell[r][last - 1][0] == '\0'; last--)
			;
		printf("%s%s", indent, t->prefix[r]);
		for (i = 0; i < last; i++)
			printf("%-*s%s", i + 1 < last ? (int)w[i] : 0,
			    t->cell[r][i], i + 1 < last ? "  " : "\n");
	}
	free(t->cell);
	free(t->prefix);
	memset(t, 0, sizeof(*t));
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A value as text: yes/no, numbers as they are, "-" for nothing. */
static const char *
text_of(struct json_object *v, char *buf, size_t len)
{
	const char	*s;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return "-";
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	case json_type_object:
	case json_type_array:
		return "...";
	default:
		s = json_object_get_string(v);
		if (s == NULL || s[0] == '\0')
			return "-";
		snprintf(buf, len, "%s", s);
		return buf;
	}
}

static const char *
val(struct json_object *o, const char *key, char *buf, size_t len)
{
	return text_of(get(o, key), buf, len);
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object	*v = get(o, key);

	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

/* One aligned "key: value" line per field; labels NULL-terminated. */
struct field {
	const char	*key;
	const char	*label;
	const char	*unit;		/* after the value, or NULL */
};

static void
print_fields(struct json_object *o, const struct field *f)
{
	struct table	 t;
	char		 label[64], buf[CELL_MAX], withunit[CELL_MAX];
	const char	*row[2], *v;

	table_init(&t, 2);
	for (; f->key != NULL; f++) {
		if (!json_object_object_get_ex(o, f->key, NULL))
			continue;
		snprintf(label, sizeof(label), "%s:", f->label);
		v = val(o, f->key, buf, sizeof(buf));
		if (f->unit != NULL && strcmp(v, "-") != 0) {
			snprintf(withunit, sizeof(withunit), "%s %s", v,
			    f->unit);
			v = withunit;
		}
		row[0] = label;
		row[1] = v;
		table_add(&t, NULL, row);
	}
	table_print(&t, "  ");
}

/* Scalars of o not named in known, as more "key: value" lines. */
static void
print_rest(struct json_object *o, const char *const *known)
{
	struct table	 t;
	char		 label[128], buf[CELL_MAX];
	const char	*row[2];
	size_t		 i;

	table_init(&t, 2);
	json_object_object_foreach(o, k, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] != NULL || json_object_is_type(v,
		    json_type_object) || json_object_is_type(v,
		    json_type_array))
			continue;
		snprintf(label, sizeof(label), "%s:", k);
		row[0] = label;
		row[1] = text_of(v, buf, sizeof(buf));
		table_add(&t, NULL, row);
	}
	table_print(&t, "  ");
}

/*
 * status:
 *
 *	Node n1 (leader, epoch 42)
 *	  leader:  n1
 *	  ...
 *	Server (redis)
 *	  up:  yes
 *	  ...
 */
static void
print_status(struct json_object *o)
{
	static const struct field	node[] = {
		{ "leader", "leader", NULL },
		{ "paused", "paused", NULL },
		{ "peers", "peers", NULL },
		{ NULL, NULL, NULL },
	};
	static const struct field	server[] = {
		{ "up", "up", NULL },
		{ "leader", "leader", NULL },
		{ "caught_up", "caught up", NULL },
		{ "following", "following", NULL },
		{ "offset", "offset", NULL },
		{ "keys", "keys", NULL },
		{ "lag_bytes", "lag", "bytes" },
		{ NULL, NULL, NULL },
	};
	/* A leader's server follows nobody: no catching up, no lag. */
	static const struct field	server_leader[] = {
		{ "up", "up", NULL },
		{ "leader", "leader", NULL },
		{ "offset", "offset", NULL },
		{ "keys", "keys", NULL },
		{ NULL, NULL, NULL },
	};
	static const char *const known[] = { "ok", "id", "role", "leader",
		"epoch", "paused", "peers", NULL };
	static const char *const known_server[] = { "kind", "up", "leader",
		"caught_up", "following", "offset", "keys", "lag_bytes", NULL };
	struct json_object	*s, *l, *ch;
	struct table		 t;
	const char		*role = str(o, "role");
	const char		*leader = str(o, "leader");
	const char		*row[3];
	char			 epoch[32], label[64];
	char			 b1[CELL_MAX], b2[CELL_MAX];

	val(o, "epoch", epoch, sizeof(epoch));
	if (strcmp(role, "leader") == 0)
		printf("Node %s (leader, epoch %s)\n", str(o, "id"), epoch);
	else if (strcmp(role, "follower") == 0)
		printf("Node %s (follower of %s, epoch %s)\n", str(o, "id"),
		    leader, epoch);
	else if (strcmp(role, "handing-over") == 0)
		printf("Node %s (leader handing over, epoch %s)\n",
		    str(o, "id"), epoch);
	else if (leader[0] != '\0')
		printf("Node %s (no role, leader %s, epoch %s)\n", str(o, "id"),
		    leader, epoch);
	else
		printf("Node %s (no leader)\n", str(o, "id"));
	print_fields(o, node);
	print_rest(o, known);
	if ((s = get(o, "server")) != NULL) {
		printf("\nServer (%s)\n", str(s, "kind")[0] != '\0' ?
		    str(s, "kind") : "?");
		print_fields(s, json_object_get_boolean(get(s, "leader")) ?
		    server_leader : server);
		print_rest(s, known_server);
	}
	if ((l = get(o, "listeners")) != NULL &&
	    json_object_object_length(l) > 0) {
		printf("\nListeners\n");
		table_init(&t, 2);
		json_object_object_foreach(l, k, v) {
			snprintf(label, sizeof(label), "%s:", k);
			row[0] = label;
			row[1] = text_of(v, b1, sizeof(b1));
			table_add(&t, NULL, row);
		}
		table_print(&t, "  ");
	}
	if ((ch = get(o, "children")) != NULL &&
	    json_object_object_length(ch) > 0) {
		printf("\nChildren\n");
		table_init(&t, 3);
		row[0] = "NAME";
		row[1] = "UP";
		row[2] = "RESTARTS";
		table_add(&t, NULL, row);
		json_object_object_foreach(ch, k, v) {
			row[0] = k;
			row[1] = val(v, "up", b1, sizeof(b1));
			row[2] = val(v, "restarts", b2, sizeof(b2));
			table_add(&t, NULL, row);
		}
		table_print(&t, "  ");
	}
}

/* peers: the catalog's passing instances of each service. */
static void
print_instances(const char *title, struct json_object *a)
{
	static const char *const head[] = { "ID", "ADDRESS", "PASSING", NULL };
	struct json_object	*p;
	struct table		 t;
	const char		*row[3];
	char			 addr[CELL_MAX], b1[CELL_MAX], b2[CELL_MAX];
	size_t			 i, n = json_object_array_length(a);

	printf("%s (%zu)\n", title, n);
	if (n == 0) {
		printf("  none\n");
		return;
	}
	table_head(&t, NULL, head);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		snprintf(addr, sizeof(addr), "%s:%s", val(p, "addr", b1,
		    sizeof(b1)), val(p, "port", b2, sizeof(b2)));
		row[0] = val(p, "id", b1, sizeof(b1));
		row[1] = addr;
		row[2] = val(p, "passing", b2, sizeof(b2));
		table_add(&t, NULL, row);
	}
	table_print(&t, "  ");
}

static void
print_peers(struct json_object *o)
{
	struct json_object	*empty = json_object_new_array();
	struct json_object	*w = get(o, "writers");
	struct json_object	*r = get(o, "readers");

	print_instances("Writers", json_object_is_type(w, json_type_array) ?
	    w : empty);
	printf("\n");
	print_instances("Readers", json_object_is_type(r, json_type_array) ?
	    r : empty);
	json_object_put(empty);
}

/* What the list's columns leave out: why a member shows little. */
static void
member_note(struct json_object *m, char *buf, size_t len)
{
	const char		*rec = str(m, "record");
	struct json_object	*v;

	buf[0] = '\0';
	if (strcmp(rec, "none") == 0)
		snprintf(buf, len, "no record");
	else if (strcmp(rec, "stale") == 0 && (v = get(m, "age_ms")) != NULL)
		snprintf(buf, len, "record %llds old",
		    (long long)(json_object_get_int64(v) / 1000));
	if ((v = get(m, "in_catalog")) != NULL && !json_object_get_boolean(v))
		snprintf(buf + strlen(buf), len - strlen(buf), "%snot in"
		    " the catalog", buf[0] != '\0' ? ", " : "");
	else if ((v = get(m, "passing")) != NULL &&
	    !json_object_get_boolean(v))
		snprintf(buf + strlen(buf), len - strlen(buf), "%schecks"
		    " failing", buf[0] != '\0' ? ", " : "");
}

/*
 * list:
 *
 *	Cluster: 3 members, leader n1, epoch 42 (* this node)
 *	  ID  ADDRESS         ROLE      SERVER  CAUGHT UP  LAG  EPOCH  PAUSED
 *	* n1  127.0.0.1:7101  leader    up      -          -    42     no
 */
static void
print_list(struct json_object *o)
{
	static const char *const head[] = { "ID", "ADDRESS", "ROLE", "SERVER",
	    "CAUGHT UP", "LAG", "EPOCH", "PAUSED", "NOTE", NULL };
	struct json_object	*a = get(o, "members"), *m, *v;
	struct table		 t;
	const char		*row[9];
	char			 b[8][CELL_MAX], note[CELL_MAX], epoch[32];
	size_t			 i, n = json_object_array_length(a);

	val(o, "epoch", epoch, sizeof(epoch));
	printf("Cluster: %zu member%s, %s%s, epoch %s\n", n, n == 1 ? "" : "s",
	    str(o, "leader")[0] != '\0' ? "leader " : "no leader",
	    str(o, "leader"), epoch);
	table_head(&t, "  ", head);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(a, i);
		row[0] = val(m, "id", b[0], sizeof(b[0]));
		row[1] = val(m, "address", b[1], sizeof(b[1]));
		row[2] = val(m, "role", b[2], sizeof(b[2]));
		v = get(m, "up");
		row[3] = v == NULL ? "-" : json_object_get_boolean(v) ?
		    "up" : "down";
		row[4] = val(m, "caught_up", b[4], sizeof(b[4]));
		row[5] = val(m, "lag", b[5], sizeof(b[5]));
		row[6] = val(m, "epoch", b[6], sizeof(b[6]));
		row[7] = val(m, "paused", b[7], sizeof(b[7]));
		member_note(m, note, sizeof(note));
		row[8] = note;
		v = get(m, "self");
		table_add(&t, v != NULL && json_object_get_boolean(v) ?
		    "* " : "  ", row);
	}
	/* No member has a note: no NOTE column. */
	for (i = 1; i < t.nrows && t.cell[i][8][0] == '\0'; i++)
		;
	if (i == t.nrows)
		t.cell[0][8][0] = '\0';
	table_print(&t, "");
}

/*
 * history, newest first:
 *
 *	EPOCH  TIME                  LEADER  PREVIOUS  REASON
 *	45     2026-11-23T10:00:05Z  n2      n1        switchover
 */
static void
print_history(struct json_object *o)
{
	static const char *const head[] = { "EPOCH", "TIME", "LEADER",
	    "PREVIOUS", "REASON", NULL };
	struct json_object	*a = get(o, "history"), *h;
	struct table		 t;
	const char		*row[5];
	char			 b[5][CELL_MAX];
	size_t			 i, n = json_object_array_length(a);

	if (n == 0) {
		printf("No leadership change recorded yet.\n");
		return;
	}
	table_head(&t, NULL, head);
	for (i = 0; i < n; i++) {
		h = json_object_array_get_idx(a, i);
		row[0] = val(h, "epoch", b[0], sizeof(b[0]));
		row[1] = val(h, "time", b[1], sizeof(b[1]));
		row[2] = val(h, "leader", b[2], sizeof(b[2]));
		row[3] = val(h, "previous", b[3], sizeof(b[3]));
		row[4] = val(h, "reason", b[4], sizeof(b[4]));
		table_add(&t, NULL, row);
	}
	table_print(&t, "");
}

/* Anything else: the text, then the other fields as "key: value". */
static void
print_other(struct json_object *o)
{
	static const char *const known[] = { "ok", "text", NULL };
	struct json_object	*v;

	if ((v = get(o, "text")) != NULL)
		printf("%s\n", json_object_get_string(v));
	print_rest(o, known);
}

void
ctl_print(const char *cmd, struct json_object *o)
{
	/* An error is a text, whichever command it answers. */
	if (get(o, "text") != NULL)
		print_other(o);
	else if (strcmp(cmd, "status") == 0 && get(o, "id") != NULL)
		print_status(o);
	else if (strcmp(cmd, "peers") == 0)
		print_peers(o);
	else if (strcmp(cmd, "list") == 0 &&
	    json_object_is_type(get(o, "members"), json_type_array))
		print_list(o);
	else if (strcmp(cmd, "history") == 0 &&
	    json_object_is_type(get(o, "history"), json_type_array))
		print_history(o);
	else
		print_other(o);
}
