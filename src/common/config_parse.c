/*
 * The configuration file: one "key value" per line, '#' comments outside
 * quotes, optional "double quotes" with \" and \\ as the only escapes.
 * The same parser reads the canonical text the supervisor hands to its
 * children, so anything config_serialize() writes must come back intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define CONFIG_FILE_MAX	(1024 * 1024)	/* far above any sane file */

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Split off the key, in place; NULL for a blank or comment-only line. */
static char *
line_key(char **pp)
{
	char	*p = *pp, *key;

	while (is_space(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return NULL;
	key = p;
	while (*p != '\0' && !is_space(*p) && *p != '#')
		p++;
	/* "key#..." has no value: ending the line there says so. */
	if (is_space(*p))
		*p++ = '\0';
	else
		*p = '\0';
	*pp = p;
	return key;
}

/*
 * The value after the key, unquoted in place.  Returns NULL with why set
 * when the value is missing or malformed.
 */
static char *
line_value(char *p, const char **why)
{
	char	*value, *dst, *end;

	while (is_space(*p))
		p++;
	if (*p == '\0' || *p == '#') {
		*why = "missing value";
		return NULL;
	}
	if (*p != '"') {
		value = p;
		end = strchr(p, '#');
		if (end == NULL)
			end = p + strlen(p);
		while (end > value && is_space(end[-1]))
			end--;
		*end = '\0';
		return value;
	}

	value = dst = ++p;
	for (;;) {
		if (*p == '\0') {
			*why = "unterminated quoted value";
			return NULL;
		}
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (p[1] == '\0') {
				*why = "unterminated quoted value";
				return NULL;
			}
			if (p[1] != '"' && p[1] != '\\') {
				*why = "invalid escape in quoted value "
				    "(only \\\" and \\\\)";
				return NULL;
			}
			p++;
		}
		*dst++ = *p++;
	}
	*dst = '\0';
	for (p++; is_space(*p); p++)
		;
	if (*p != '\0' && *p != '#') {
		*why = "unexpected text after quoted value";
		return NULL;
	}
	return value;
}

int
config_parse_text(struct config *cfg, const char *text, const char *name,
    char *err, size_t errlen)
{
	const struct opt_def	*opt;
	char			 line[CONFIG_LINE_MAX + 1];
	char			 sub[1024];
	const char		*p, *end, *why;
	char			*rest, *key, *value;
	size_t			*seen, lineno = 0, len, idx;
	int			 rc = -1;

	if ((seen = calloc(opt_count, sizeof(*seen))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	/* A byte-order mark, as Windows editors write. */
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;

	for (p = text; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		lineno++;
		if ((end = strchr(p, '\n')) == NULL)
			end = p + strlen(p);
		len = end - p;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s:%zu: line longer than %d "
			    "bytes", name, lineno, CONFIG_LINE_MAX);
			goto done;
		}
		memcpy(line, p, len);
		line[len] = '\0';

		rest = line;
		if ((key = line_key(&rest)) == NULL)
			continue;
		if ((opt = opt_lookup(key)) == NULL) {
			snprintf(err, errlen, "%s:%zu: unknown option \"%s\"",
			    name, lineno, key);
			goto done;
		}
		if ((value = line_value(rest, &why)) == NULL) {
			snprintf(err, errlen, "%s:%zu: %s: %s", name, lineno,
			    key, why);
			goto done;
		}
		idx = opt - opt_table;
		if (seen[idx] != 0) {
			snprintf(err, errlen, "%s:%zu: %s: already set at line "
			    "%zu", name, lineno, key, seen[idx]);
			goto done;
		}
		seen[idx] = lineno;
		if (opt_set(cfg, opt, value, sub, sizeof(sub)) == -1) {
			snprintf(err, errlen, "%s:%zu: %s", name, lineno, sub);
			goto done;
		}
	}
	rc = 0;

done:
	config_source_done(cfg);
	free(seen);
	return rc;
}

int
config_load_file(struct config *cfg, const char *path, int must_exist,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 n;
	int	 rc = -1;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	/* One byte more than allowed tells a full file from a long one. */
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (n > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONFIG_FILE_MAX);
		goto done;
	}
	/* The parser works on a C string; a NUL would hide the rest. */
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto done;
	}
	buf[n] = '\0';
	rc = config_parse_text(cfg, buf, path, err, errlen);

done:
	free(buf);
	fclose(fp);
	return rc;
}
