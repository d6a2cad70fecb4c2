/*
 * A configuration's life: defaults, setting one option, copying and
 * clearing, the environment, and the load pipeline (file, environment,
 * command line, validation).
 *
 * The option table is in config_opts.c, parsing one value in
 * config_value.c, the checks across options in config_validate.c and the
 * canonical text in config_text.c; the "key value" file parser is in
 * config_parse.c, the command line and --help in config_cli.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "log.h"

int
opt_set(struct config *cfg, const struct opt_def *opt, const char *value,
    char *err, size_t errlen)
{
	char	problem[512];

	if (opt_apply(cfg, opt, value, problem, sizeof(problem)) == -1) {
		snprintf(err, errlen, "%s: %s", opt->key, problem);
		return -1;
	}
	opt_mark_given(cfg, opt);
	return 0;
}

/*
 * The end of a source, however it ended.  An https:// consul.addr from
 * it turns consul.ssl on, unless the same source gave consul.ssl itself,
 * before or after the address: as in Consul's own clients, the explicit
 * setting wins.  An https:// address from a later source wins over an
 * earlier consul.ssl, and a later consul.ssl over an earlier address;
 * a later plain address leaves consul.ssl as it is.
 */
void
config_source_done(struct config *cfg)
{
	const struct opt_def	*ssl = opt_lookup("consul.ssl");

	if (cfg->src_https &&
	    (cfg->src_given >> (size_t)(ssl - opt_table) & 1) == 0)
		cfg->consul_ssl = 1;
	cfg->src_https = 0;
	cfg->src_given = 0;
}

int
config_set(struct config *cfg, const struct opt_def *opt, const char *value,
    char *err, size_t errlen)
{
	int	rc;

	rc = opt_set(cfg, opt, value, err, errlen);
	config_source_done(cfg);
	return rc;
}

void
config_init(struct config *cfg)
{
	char	problem[512];
	size_t	i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < opt_count; i++) {
		if (opt_table[i].def == NULL)
			continue;
		/* Defaults are ours: failing here is a bug or no memory. */
		if (opt_apply(cfg, &opt_table[i], opt_table[i].def, problem,
		    sizeof(problem)) == -1)
			fatalx("default of %s: %s", opt_table[i].key, problem);
	}
}

void
config_clear(struct config *cfg)
{
	const struct opt_def	*opt;
	char			*s;
	size_t			 i;

	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		if (!opt_is_string(opt) || (s = *opt_str(cfg, opt)) == NULL)
			continue;
		if (opt->flags & OPT_SECRET)
			explicit_bzero(s, strlen(s));
		free(s);
	}
	memset(cfg, 0, sizeof(*cfg));
}

int
config_copy(struct config *dst, const struct config *src)
{
	const char	*s;
	size_t		 i;

	*dst = *src;
	/* Nothing in dst may point into src when a copy fails halfway. */
	for (i = 0; i < opt_count; i++)
		if (opt_is_string(&opt_table[i]))
			*opt_str(dst, &opt_table[i]) = NULL;
	for (i = 0; i < opt_count; i++) {
		if (!opt_is_string(&opt_table[i]))
			continue;
		if ((s = opt_cstr(src, &opt_table[i])) == NULL)
			continue;
		if ((*opt_str(dst, &opt_table[i]) = strdup(s)) == NULL)
			goto fail;
	}
	return 0;

fail:
	config_clear(dst);
	return -1;
}

int
config_load_env(struct config *cfg, char *err, size_t errlen)
{
	const struct opt_def	*opt;
	const char		*v;
	char			 problem[512];
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		if (opt->env == NULL)
			continue;
		/*
		 * Empty counts as unset, as in Consul's own clients and the
		 * Go original: containers often define every variable, with
		 * empty meaning "not given".
		 */
		if ((v = getenv(opt->env)) == NULL || *v == '\0')
			continue;
		if (opt_apply(cfg, opt, v, problem, sizeof(problem)) == -1) {
			snprintf(err, errlen, "%s (%s): %s", opt->env,
			    opt->key, problem);
			rc = -1;
			break;
		}
		opt_mark_given(cfg, opt);
	}
	config_source_done(cfg);
	return rc;
}

int
config_load(struct config *out, const struct cli *cli, char *err,
    size_t errlen)
{
	config_init(out);
	if (cli != NULL && cli->conffile != NULL) {
		if (config_load_file(out, cli->conffile, 1, err, errlen) == -1)
			goto fail;
	} else if (config_load_file(out, CONFIG_FILE_DEFAULT, 0, err,
	    errlen) == -1)
		goto fail;
	if (config_load_env(out, err, errlen) == -1)
		goto fail;
	if (cli != NULL && config_load_cli(out, cli, err, errlen) == -1)
		goto fail;
	if (config_validate(out, err, errlen) == -1)
		goto fail;
	return 0;

fail:
	config_clear(out);
	return -1;
}
