/*
 * Policies: which commands a listener allows, and what each client
 * identity may use beyond that.  See cmd_class.h for the words.
 *
 * The words are resolved once, when the configuration is loaded, into
 * one verdict per table entry, so that checking a command costs its
 * lookup and one load.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_class.h"

/* Quote at most this much of the text in an error. */
#define QUOTE_MAX	64
#define NO_PARENT	((size_t)-1)

/* One list of words, before it becomes verdicts. */
struct rules {
	unsigned	 mask;		/* bit 1 << class: allowed */
	signed char	*named;		/* per entry: 1 yes, -1 no */
};

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_sep(int c)
{
	return is_space(c) || c == ',';
}

static int
is_service_char(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
}

static int
quote_len(size_t len)
{
	return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static int
def_cmp(const void *key, const void *elem)
{
	const struct cmd_def	*d = elem;

	return strcmp(key, d->name);
}

static int
grant_cmp(const void *a, const void *b)
{
	const struct cmd_grant	*ga = a, *gb = b;

	return strcmp(ga->service, gb->service);
}

static int
grant_key_cmp(const void *key, const void *elem)
{
	const struct cmd_grant	*g = elem;

	return strcmp(key, g->service);
}

/* The index of the name-level entry of a sub-level one. */
static size_t
parent_of(const struct cmd_def *t, size_t n, size_t i)
{
	char			 name[CMD_NAME_MAX + 1];
	const char		*bar;
	const struct cmd_def	*d;
	size_t			 len;

	if ((bar = strchr(t[i].name, '|')) == NULL)
		return NO_PARENT;
	len = bar - t[i].name;
	if (len > CMD_NAME_MAX)
		return NO_PARENT;
	memcpy(name, t[i].name, len);
	name[len] = '\0';
	if ((d = bsearch(name, t, n, sizeof(*t), def_cmp)) == NULL)
		return NO_PARENT;
	return d - t;
}

/* One word: [+-]class or [+-]NAME[|SUB]. */
static int
rules_word(const struct cmd_def *t, size_t n, struct rules *r, const char *w,
    size_t len, char *err, size_t errlen)
{
	char			 name[CMD_NAME_MAX * 2 + 2];
	const char		*cname;
	const struct cmd_def	*d;
	int			 allow = 1, c;
	size_t			 i;

	if (*w == '+' || *w == '-') {
		allow = *w == '+';
		w++;
		len--;
	}
	if (len == 0) {
		snprintf(err, errlen, "'%c' names no class or command",
		    allow ? '+' : '-');
		return -1;
	}
	for (c = CMD_CONNECTION; c < CMD_UNKNOWN; c++) {
		cname = cmd_class_name(c);
		if (strlen(cname) != len || strncasecmp(w, cname, len) != 0)
			continue;
		if (allow && c == CMD_REPLICATION) {
			snprintf(err, errlen,
			    "'replication' cannot be allowed to clients");
			return -1;
		}
		if (allow)
			r->mask |= 1u << c;
		else
			r->mask &= ~(1u << c);
		return 0;
	}
	if (len >= sizeof(name))
		goto unknown;
	for (i = 0; i < len; i++)
		name[i] = toupper((unsigned char)w[i]);
	name[len] = '\0';
	if ((d = bsearch(name, t, n, sizeof(*t), def_cmp)) == NULL)
		goto unknown;
	if (allow && d->cls == CMD_REPLICATION) {
		snprintf(err, errlen, "'%s' is a replication command and "
		    "cannot be allowed to clients", name);
		return -1;
	}
	r->named[d - t] = allow ? 1 : -1;
	return 0;

unknown:
	snprintf(err, errlen, "unknown class or command '%.*s'",
	    quote_len(len), w);
	return -1;
}

/* The words between s and end, counted in *nwords. */
static int
rules_apply(const struct cmd_def *t, size_t n, struct rules *r,
    const char *s, const char *end, size_t *nwords, char *err, size_t errlen)
{
	const char	*w;

	while (s < end) {
		if (is_sep((unsigned char)*s)) {
			s++;
			continue;
		}
		for (w = s; s < end && !is_sep((unsigned char)*s); s++)
			;
		if (rules_word(t, n, r, w, s - w, err, errlen) == -1)
			return -1;
		(*nwords)++;
	}
	return 0;
}

/*
 * A verdict per entry: named, else named through its command, else by
 * class.  Then a command's own entry, the fallback for subcommands the
 * proxy cannot read, is refused unless every subcommand is allowed:
 * "+CONFIG -CONFIG|SET" must not let a quoted SET through.
 */
static void
rules_verdicts(const struct cmd_def *t, size_t n, const struct rules *r,
    unsigned char *allow)
{
	size_t	i, p;
	int	v;

	for (i = 0; i < n; i++) {
		v = r->named[i];
		if (v == 0 && (p = parent_of(t, n, i)) != NO_PARENT)
			v = r->named[p];
		if (v == 0)
			v = r->mask & 1u << t[i].cls ? 1 : -1;
		allow[i] = v > 0 && t[i].cls != CMD_REPLICATION;
	}
	for (i = 0; i < n; i++)
		if (!allow[i] && (p = parent_of(t, n, i)) != NO_PARENT)
			allow[p] = 0;
}

/* One "SERVICE: words" between s and end, already trimmed. */
static int
grant_parse(struct cmd_policy *pol, const struct rules *base,
    struct rules *g, const char *s, const char *end, char *err, size_t errlen)
{
	char			 why[256];
	struct cmd_grant	*grants, *ng;
	const char		*colon, *se;
	size_t			 i, slen, nwords = 0;

	if ((colon = memchr(s, ':', end - s)) == NULL) {
		snprintf(err, errlen, "grant '%.*s' has no ':' after its "
		    "service", quote_len(end - s), s);
		return -1;
	}
	for (se = colon; se > s && is_space((unsigned char)se[-1]); se--)
		;
	slen = se - s;
	for (i = 0; i < slen; i++)
		if (!is_service_char((unsigned char)s[i]))
			break;
	if (slen == 0 || i < slen) {
		snprintf(err, errlen, "bad service name '%.*s' in grants",
		    quote_len(slen), s);
		return -1;
	}
	for (i = 0; i < pol->ngrants; i++)
		if (strlen(pol->grants[i].service) == slen &&
		    memcmp(pol->grants[i].service, s, slen) == 0) {
			snprintf(err, errlen, "service '%.*s' is granted twice",
			    quote_len(slen), s);
			return -1;
		}

	g->mask = base->mask;
	memcpy(g->named, base->named, pol->n);
	if (rules_apply(pol->table, pol->n, g, colon + 1, end, &nwords, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "grant '%.*s': %s", quote_len(slen), s,
		    why);
		return -1;
	}
	if (nwords == 0) {
		snprintf(err, errlen, "grant '%.*s' names no class or command",
		    quote_len(slen), s);
		return -1;
	}

	grants = reallocarray(pol->grants, pol->ngrants + 1, sizeof(*grants));
	if (grants == NULL)
		goto oom;
	pol->grants = grants;
	ng = &grants[pol->ngrants];
	ng->service = strndup(s, slen);
	ng->allow = malloc(pol->n);
	if (ng->service == NULL || ng->allow == NULL) {
		free(ng->service);
		free(ng->allow);
		goto oom;
	}
	pol->ngrants++;
	rules_verdicts(pol->table, pol->n, g, ng->allow);
	return 0;

oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* "SERVICE: words; SERVICE: words", empty entries skipped. */
static int
grants_parse(struct cmd_policy *pol, const struct rules *base,
    const char *text, char *err, size_t errlen)
{
	struct rules	 g;
	const char	*s, *e, *end;
	int		 rc = 0;

	if ((g.named = malloc(pol->n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (s = text; *s != '\0'; s = end + (*end == ';')) {
		end = s + strcspn(s, ";");
		for (e = end; e > s && is_space((unsigned char)e[-1]); e--)
			;
		while (s < e && is_space((unsigned char)*s))
			s++;
		if (s == e)
			continue;
		if ((rc = grant_parse(pol, base, &g, s, e, err, errlen)) == -1)
			break;
	}
	free(g.named);
	if (rc == 0 && pol->ngrants > 1)
		qsort(pol->grants, pol->ngrants, sizeof(*pol->grants),
		    grant_cmp);
	return rc;
}

int
cmd_policy_parse(struct cmd_policy *pol, int kind, const char *rules,
    const char *grants, char *err, size_t errlen)
{
	struct rules	 base;
	size_t		 nwords = 0;

	memset(pol, 0, sizeof(*pol));
	memset(&base, 0, sizeof(base));
	pol->kind = kind;
	if ((pol->table = cmd_table(kind, &pol->n)) == NULL) {
		snprintf(err, errlen, "unknown server kind %d", kind);
		return -1;
	}
	base.named = calloc(pol->n, 1);
	pol->allow = malloc(pol->n);
	if (base.named == NULL || pol->allow == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (rules == NULL)
		rules = "";
	if (rules_apply(pol->table, pol->n, &base, rules, rules + strlen(rules),
	    &nwords, err, errlen) == -1)
		goto fail;
	rules_verdicts(pol->table, pol->n, &base, pol->allow);
	if (grants != NULL && grants_parse(pol, &base, grants, err,
	    errlen) == -1)
		goto fail;
	free(base.named);
	return 0;

fail:
	free(base.named);
	cmd_policy_free(pol);
	return -1;
}

void
cmd_policy_free(struct cmd_policy *pol)
{
	size_t	i;

	for (i = 0; i < pol->ngrants; i++) {
		free(pol->grants[i].service);
		free(pol->grants[i].allow);
	}
	free(pol->grants);
	free(pol->allow);
	memset(pol, 0, sizeof(*pol));
}

int
cmd_policy_allows_def(const struct cmd_policy *pol, const char *service,
    const struct cmd_def *d)
{
	const struct cmd_grant	*g;
	const unsigned char	*allow;
	uintptr_t		 lo, hi, at;

	if (pol == NULL || pol->allow == NULL || d == NULL)
		return 0;
	/* An entry of another kind's table says nothing here. */
	lo = (uintptr_t)pol->table;
	hi = (uintptr_t)(pol->table + pol->n);
	at = (uintptr_t)d;
	if (at < lo || at >= hi)
		return 0;
	allow = pol->allow;
	if (service != NULL && pol->ngrants > 0 &&
	    (g = bsearch(service, pol->grants, pol->ngrants, sizeof(*g),
	    grant_key_cmp)) != NULL)
		allow = g->allow;
	return allow[d - pol->table];
}

int
cmd_policy_allows(const struct cmd_policy *pol, const char *service,
    const char *name, int name_long, const char *sub, int sub_long)
{
	if (pol == NULL)
		return 0;
	return cmd_policy_allows_def(pol, service,
	    cmd_lookup(pol->kind, name, name_long, sub, sub_long));
}
