/*
 * The command line: getopt_long_only over the option table, so that the
 * Go original's single-dash flags ("-id x") keep working next to
 * "--id x" and "--id=x"; and --help, generated from the same table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* getopt values of table options: above every short option character. */
#define CLI_OPT_BASE	256

/*
 * '+' stops at the first non-option, which is then reported, instead of
 * letting glibc move it to the end; ':' tells a missing value apart from
 * an unknown option.
 */
#define CLI_SHORTOPTS	"+:f:nvdP:hV"

static struct option *
cli_longopts(void)
{
	struct option	*lo;
	size_t		 i;

	if ((lo = calloc(opt_count + 3, sizeof(*lo))) == NULL)
		return NULL;
	for (i = 0; i < opt_count; i++) {
		lo[i].name = opt_table[i].key;
		/* "--flag" alone means true, as in Go's flag package. */
		lo[i].has_arg = opt_table[i].type == OPT_BOOL ?
		    optional_argument : required_argument;
		lo[i].val = CLI_OPT_BASE + (int)i;
	}
	lo[i].name = "help";
	lo[i].has_arg = no_argument;
	lo[i++].val = 'h';
	lo[i].name = "version";
	lo[i].has_arg = no_argument;
	lo[i].val = 'V';
	return lo;
}

/* The name in "--name=value" or "-name", without dashes or value. */
static size_t
arg_name(const char *arg, const char **name)
{
	arg += arg[1] == '-' ? 2 : 1;
	*name = arg;
	return strcspn(arg, "=");
}

static int
cli_add(struct cli *cli, const struct opt_def *opt, const char *value,
    const char *arg)
{
	struct cli_value	*v;
	char			*dup;

	if ((dup = strdup(value)) == NULL)
		return -1;
	v = reallocarray(cli->values, cli->nvalues + 1, sizeof(*v));
	if (v == NULL) {
		free(dup);
		return -1;
	}
	cli->values = v;
	v[cli->nvalues].opt = opt;
	v[cli->nvalues].value = dup;
	v[cli->nvalues].arg = arg;
	cli->nvalues++;
	return 0;
}

/* Say what was wrong with the argument getopt refused. */
static void
cli_refused(const char *arg, int ch, const struct option *lo, char *err,
    size_t errlen)
{
	const char	*name;
	size_t		 len, i;

	if (ch == ':') {
		if (optopt >= CLI_OPT_BASE)
			snprintf(err, errlen, "option --%s needs a value",
			    opt_table[optopt - CLI_OPT_BASE].key);
		else
			snprintf(err, errlen, "option -%c needs a value",
			    optopt);
		return;
	}
	/* An unknown letter inside a bundle such as "-nx". */
	if (optopt > 0 && optopt < CLI_OPT_BASE && arg[1] != '-' &&
	    strchr(arg, '=') == NULL) {
		snprintf(err, errlen, "unknown option \"-%c\" (see --help)",
		    optopt);
		return;
	}
	len = arg_name(arg, &name);
	for (i = 0; lo[i].name != NULL; i++) {
		if (lo[i].has_arg == no_argument &&
		    strlen(lo[i].name) == len &&
		    strncmp(lo[i].name, name, len) == 0) {
			snprintf(err, errlen, "option --%s takes no value",
			    lo[i].name);
			return;
		}
	}
	snprintf(err, errlen, "unknown option \"%.*s\" (see --help)",
	    (int)(name - arg + len), arg);
}

int
cli_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	struct option		*lo;
	const struct opt_def	*opt;
	const char		*name;
	size_t			 len;
	int			 ch, idx, at;

	memset(cli, 0, sizeof(*cli));
	if ((lo = cli_longopts()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	opterr = 0;
	/* 0, not 1: glibc then resets all its state for a new argv. */
	optind = 0;
	for (;;) {
		at = optind == 0 ? 1 : optind;
		idx = -1;
		ch = getopt_long_only(argc, argv, CLI_SHORTOPTS, lo, &idx);
		if (ch == -1)
			break;
		if (ch == '?' || ch == ':') {
			cli_refused(at < argc ? argv[at] : "", ch, lo, err,
			    errlen);
			goto fail;
		}
		/*
		 * getopt takes unambiguous abbreviations ("--adv"); the Go
		 * original did not, and they would break as options are
		 * added, so a long option must be spelt out.
		 */
		if (idx >= 0) {
			len = arg_name(argv[at], &name);
			if (strlen(lo[idx].name) != len ||
			    strncmp(lo[idx].name, name, len) != 0) {
				snprintf(err, errlen, "unknown option "
				    "\"%.*s\" (see --help)",
				    (int)(name - argv[at] + len), argv[at]);
				goto fail;
			}
		}
		switch (ch) {
		case 'f':
			cli->conffile = optarg;
			break;
		case 'n':
			cli->check = 1;
			break;
		case 'v':
			cli->verbose++;
			break;
		case 'd':
			cli->foreground = 1;
			break;
		case 'P':
			cli->proc = optarg;
			break;
		case 'h':
			cli->help = 1;
			break;
		case 'V':
			cli->version = 1;
			break;
		default:
			if (ch < CLI_OPT_BASE ||
			    (size_t)(ch - CLI_OPT_BASE) >= opt_count) {
				cli_refused(argv[at], '?', lo, err, errlen);
				goto fail;
			}
			opt = &opt_table[ch - CLI_OPT_BASE];
			if (cli_add(cli, opt, optarg != NULL ? optarg :
			    "true", optarg) == -1) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			break;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument \"%s\"",
		    argv[optind]);
		goto fail;
	}
	free(lo);
	return 0;

fail:
	free(lo);
	cli_clear(cli);
	return -1;
}

/* The secret value that lies in this argument, or NULL. */
static const char *
cli_secret_in(const struct cli *cli, const char *arg)
{
	const struct cli_value	*v;
	size_t			 i;

	for (i = 0; i < cli->nvalues; i++) {
		v = &cli->values[i];
		if ((v->opt->flags & OPT_SECRET) && v->arg != NULL &&
		    v->arg >= arg && v->arg <= arg + strlen(arg))
			return v->arg;
	}
	return NULL;
}

void
cli_title(const struct cli *cli, int argc, char *const argv[], char *buf,
    size_t len)
{
	const char	*secret;
	int		 i;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strlcat(buf, " ", len);
		if ((secret = cli_secret_in(cli, argv[i])) == NULL) {
			strlcat(buf, argv[i], len);
			continue;
		}
		/* "--consul.token=" or nothing, then the mask. */
		if ((size_t)(secret - argv[i]) + strlen(buf) < len)
			strncat(buf, argv[i], (size_t)(secret - argv[i]));
		strlcat(buf, "********", len);
	}
}

void
cli_clear(struct cli *cli)
{
	size_t	i;

	for (i = 0; i < cli->nvalues; i++) {
		if (cli->values[i].opt->flags & OPT_SECRET)
			explicit_bzero(cli->values[i].value,
			    strlen(cli->values[i].value));
		free(cli->values[i].value);
	}
	free(cli->values);
	memset(cli, 0, sizeof(*cli));
}

int
config_load_cli(struct config *cfg, const struct cli *cli, char *err,
    size_t errlen)
{
	const struct cli_value	*v;
	char			 sub[1024];
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < cli->nvalues; i++) {
		v = &cli->values[i];
		if (opt_set(cfg, v->opt, v->value, sub, sizeof(sub)) == -1) {
			snprintf(err, errlen, "--%s", sub);
			rc = -1;
			break;
		}
	}
	config_source_done(cfg);
	return rc;
}

static const char *
usage_placeholder(const struct opt_def *opt, char *buf, size_t len)
{
	size_t	i;

	switch (opt->type) {
	case OPT_STRING:
		return "string";
	case OPT_NAME:
		return "name";
	case OPT_ADDR:
	case OPT_LOOPBACK:
		return "addr";
	case OPT_PORT:
	case OPT_PORT0:
		return "port";
	case OPT_DURATION:
		return "duration";
	case OPT_COUNT:
	case OPT_NUMBER:
		return "number";
	case OPT_ENUM:
		buf[0] = '\0';
		for (i = 0; opt->choices[i] != NULL; i++) {
			if (i > 0)
				strlcat(buf, "|", len);
			strlcat(buf, opt->choices[i], len);
		}
		return buf;
	case OPT_BOOL:
	default:
		/* Bools stand alone or take "=false"; see the preamble. */
		return "";
	}
}

void
config_usage(FILE *fp, const char *progname)
{
	const struct opt_def	*opt;
	char			 flag[128], choices[64], tail[128];
	size_t			 i;

	fprintf(fp,
	    "usage: %s [-dnv] [-f file] [--option value ...]\n"
	    "  -d                 stay in the foreground and log to stderr\n"
	    "  -n                 check the configuration and exit\n"
	    "  -v                 be verbose; with -n, print the effective "
	    "configuration\n"
	    "  -f file            configuration file (default %s)\n"
	    "  --help             show this help and exit\n"
	    "  --version          show the version and exit\n"
	    "\n"
	    "Options are read from the command line, the environment, the\n"
	    "configuration file (key without the dashes), in that order of\n"
	    "precedence.  \"-key value\" and \"--key=value\" work too; a "
	    "boolean option\n"
	    "alone means true, \"--key=false\" turns it off.\n"
	    "\n", progname, CONFIG_FILE_DEFAULT);
	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		snprintf(flag, sizeof(flag), "--%s %s", opt->key,
		    usage_placeholder(opt, choices, sizeof(choices)));
		if (opt->def == NULL)
			snprintf(tail, sizeof(tail), "(required");
		else if (*opt->def == '\0')
			snprintf(tail, sizeof(tail), "(default \"\"");
		else
			snprintf(tail, sizeof(tail), "(default %s", opt->def);
		if (opt->env != NULL)
			fprintf(fp, "  %-32s %s %s)\n", flag, opt->env, tail);
		else
			fprintf(fp, "  %-32s %s; no environment variable)\n",
			    flag, tail);
		fprintf(fp, "      %s\n", opt->help);
	}
}
