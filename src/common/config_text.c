/*
 * The canonical text of a configuration: each value as text, whether two
 * configurations differ in one option, and the "key value" lines that
 * -nv prints and the supervisor hands each child (only the options that
 * child uses), which config_parse_text() reads back unchanged.
 *
 * Apart from config.c because it is the way out, as config_parse.c is
 * the way in.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "proto.h"

/*
 * The canonical text of a non-string value into buf; strings are
 * returned as they are (NULL: an unset required option).
 */
static const char *
opt_format(const struct config *cfg, const struct opt_def *opt, char *buf,
    size_t len)
{
	size_t	i;
	int	v;

	switch (opt->type) {
	case OPT_PORT:
	case OPT_PORT0:
		snprintf(buf, len, "%u", opt_cu16(cfg, opt));
		return buf;
	case OPT_COUNT:
	case OPT_NUMBER:
		snprintf(buf, len, "%d", opt_cint(cfg, opt));
		return buf;
	case OPT_BOOL:
		return opt_cint(cfg, opt) ? "true" : "false";
	case OPT_DURATION:
		config_format_duration(opt_cu64(cfg, opt), buf, len);
		return buf;
	case OPT_ENUM:
		v = opt_cint(cfg, opt);
		for (i = 0; opt->choices[i] != NULL; i++)
			if ((int)i == v)
				return opt->choices[i];
		/* Not reachable through config_set(); shown, not hidden. */
		snprintf(buf, len, "%d", v);
		return buf;
	default:
		return opt_cstr(cfg, opt);
	}
}

char *
config_value_text(const struct config *cfg, const struct opt_def *opt)
{
	char		 buf[32];
	const char	*s;

	s = opt_format(cfg, opt, buf, sizeof(buf));
	return strdup(s != NULL ? s : "");
}

int
config_differs(const struct config *a, const struct config *b,
    const struct opt_def *opt)
{
	const char	*sa, *sb;

	switch (opt->type) {
	case OPT_PORT:
	case OPT_PORT0:
		return opt_cu16(a, opt) != opt_cu16(b, opt);
	case OPT_BOOL:
		return !opt_cint(a, opt) != !opt_cint(b, opt);
	case OPT_ENUM:
	case OPT_COUNT:
	case OPT_NUMBER:
		return opt_cint(a, opt) != opt_cint(b, opt);
	case OPT_DURATION:
		return opt_cu64(a, opt) != opt_cu64(b, opt);
	default:
		sa = opt_cstr(a, opt);
		sb = opt_cstr(b, opt);
		if (sa == NULL || sb == NULL)
			return sa != sb;
		return strcmp(sa, sb) != 0;
	}
}

/* Quoted whenever the file parser would not read the bare text back. */
static void
write_value(FILE *fp, const char *s)
{
	const unsigned char	*p;
	int			 quote = *s == '\0';

	for (p = (const unsigned char *)s; *p != '\0' && !quote; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == '"' ||
		    *p == '\\')
			quote = 1;
	if (!quote) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

void
config_write_opt(const struct config *cfg, const struct opt_def *opt,
    FILE *fp, int redact)
{
	const char	*s;
	char		 buf[32];

	s = opt_format(cfg, opt, buf, sizeof(buf));
	if (s == NULL)
		s = "";
	fprintf(fp, "%s ", opt->key);
	/* Quoted, so the placeholder is never taken for a value. */
	if (redact && (opt->flags & OPT_SECRET) && *s != '\0')
		fputs("\"********\"", fp);
	else
		write_value(fp, s);
	fputc('\n', fp);
}

static void
config_write(const struct config *cfg, FILE *fp, int redact)
{
	size_t	i;

	for (i = 0; i < opt_count; i++)
		if (opt_is_set(cfg, &opt_table[i]))
			config_write_opt(cfg, &opt_table[i], fp, redact);
}

void
config_print(const struct config *cfg, FILE *fp, int redact)
{
	config_write(cfg, fp, redact);
}

int
opt_used_by(const struct opt_def *opt, int kind)
{
	switch (kind) {
	case PROC_SUPERVISOR:
		return 1;
	case PROC_ELECTOR:
		return (opt->flags & OPT_USERS) == 0 ||
		    (opt->flags & OPT_ELECTOR) != 0;
	case PROC_WRITER:
	case PROC_READER:
	case PROC_BRIDGE:
		return (opt->flags & OPT_USERS) == 0 ||
		    (opt->flags & OPT_PROXY) != 0;
	case PROC_ADMIN:
		return (opt->flags & OPT_USERS) == 0 ||
		    (opt->flags & OPT_ADMIN) != 0;
	}
	return 0;
}

/* kind PROC_SUPERVISOR: every option. */
static char *
config_text(const struct config *cfg, int kind)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0, i;
	int	 bad;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	/* An option left unset (server.port, with server.socket) stays so. */
	for (i = 0; i < opt_count; i++)
		if (opt_used_by(&opt_table[i], kind) &&
		    opt_is_set(cfg, &opt_table[i]))
			config_write_opt(cfg, &opt_table[i], fp, 0);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
config_serialize(const struct config *cfg)
{
	return config_text(cfg, PROC_SUPERVISOR);
}

char *
config_serialize_for(const struct config *cfg, int kind)
{
	return config_text(cfg, kind);
}

void
config_text_free(char *text)
{
	if (text == NULL)
		return;
	explicit_bzero(text, strlen(text));
	free(text);
}
