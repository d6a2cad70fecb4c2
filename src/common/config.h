/*
 * Configuration: one option table drives the command line, the
 * environment, the config file, -nv output, --help, the text handed to
 * children and reload diffs.
 *
 * Precedence: command line > environment > config file > default.
 * The file holds one "key value" per line; key is the long flag without
 * its dashes; '#' starts a comment outside quotes; values may be
 * double-quoted (with \" and \\ escapes); durations take units
 * (500ms, 10s, 1m, 1h, or sums such as 1m30s).
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define CONFIG_FILE_DEFAULT	SYSCONFDIR "/tile38-cluster-manager.conf"

/*
 * The longest line of a file, and of the canonical text the children
 * read back: bytes, without the line end.
 */
#define CONFIG_LINE_MAX	4096

/* sizeof(sun_path), less its NUL */
#define CONTROL_SOCKET_MAX	108
/* control.socket: a path of its own for each instance (ctl_path.h) */
#define CONTROL_SOCKET_AUTO	"auto"

/*
 * What a leader handing over does when no follower has caught up in
 * time: keep leading (fail the switchover, refuse the stop's release),
 * or release anyway and log what a failover loses.
 */
enum handover_lagging {
	LAGGING_KEEP = 0,
	LAGGING_RELEASE,
};

enum proxy_http {
	PROXY_HTTP_REFUSE = 0,
	PROXY_HTTP_OPAQUE,
};

enum server_kind {
	SERVER_TILE38 = 0,
	SERVER_REDIS,
};

struct config {
	char		*id;
	char		*advertise;

	char		*server_addr;
	uint16_t	 server_port;
	int		 server_kind;		/* enum server_kind */
	char		*server_password;
	char		*server_socket;		/* "": TCP, server.addr:port */

	char		*bind_addr_leader;
	uint16_t	 bind_port_leader;
	char		*bind_addr_follower;
	uint16_t	 bind_port_follower;
	char		*bind_addr_bridge;
	uint16_t	 bind_port_bridge;	/* 0: ephemeral */

	char		*consul_addr;
	char		*consul_lock_prefix;
	char		*consul_token;
	int		 consul_ssl;
	char		*consul_cacert;
	char		*consul_client_cert;
	char		*consul_client_key;

	char		*dogstatsd_addr;
	uint16_t	 dogstatsd_port;
	uint64_t	 dogstatsd_interval;	/* ms */

	char		*http_addr;
	uint16_t	 http_port;		/* 0: no admin listener */
	uint64_t	 http_timeout;		/* ms */
	char		*control_socket;	/* "": none; "auto" */

	int		 service_manage;
	char		*service_name_leader;
	char		*service_name_follower;

	uint64_t	 server_probe_interval;	/* ms */
	uint64_t	 server_down_timeout;	/* ms */

	uint64_t	 election_session_ttl;	/* ms */
	uint64_t	 election_check_ttl;	/* ms */
	uint64_t	 election_lock_delay;	/* ms */
	uint64_t	 election_lease;	/* ms */
	uint64_t	 election_handover_timeout; /* ms */
	uint64_t	 election_fresher_wait;	/* ms */
	int		 election_handover_lagging; /* enum handover_lagging */
	int		 election_min_followers;

	int		 proxy_max_connections;
	int		 proxy_max_handshakes;
	int		 proxy_max_handshakes_per_source; /* 0: no cap */
	uint64_t	 proxy_handshake_timeout; /* ms */
	uint64_t	 proxy_resumption;	/* ms, 0: no tickets */
	uint64_t	 proxy_dial_timeout;	/* ms */
	uint64_t	 proxy_hold_timeout;	/* ms; 0: no hold */
	char		*proxy_writer_commands;	/* cmd_class.h rules */
	char		*proxy_reader_commands;
	char		*proxy_writer_grant;	/* per client service */
	char		*proxy_reader_grant;
	int		 proxy_http;		/* enum proxy_http */
	int		 proxy_command_filter;	/* bool */
	int		 proxy_intentions_recheck; /* bool */

	char		*user;
	char		*chroot;
	int		 seccomp;		/* bool */
	int		 log_level;		/* enum log_level */
	uint64_t	 shutdown_timeout;	/* ms */

	/*
	 * Bit i: opt_table[i] was given (file, environment or command line)
	 * rather than left at its default.  Meaningful where the config was
	 * loaded from its sources; a config read back from canonical text
	 * has every bit set.
	 */
	uint64_t	 given;
	/*
	 * Of the source being read, until config_source_done(): the
	 * options it gave (bits as in given), and whether its consul.addr
	 * came with https://.
	 */
	uint64_t	 src_given;
	int		 src_https;
};

enum opt_type {
	OPT_STRING,	/* any text, may be empty */
	OPT_NAME,	/* non-empty, no white space */
	OPT_ADDR,	/* numeric IPv4 or IPv6 address */
	OPT_LOOPBACK,	/* numeric loopback address */
	OPT_PORT,	/* 1-65535 */
	OPT_PORT0,	/* 0-65535, 0 picks an ephemeral port */
	OPT_BOOL,	/* true/false, 1/0, yes/no, on/off, t/f */
	OPT_DURATION,	/* stored in ms */
	OPT_ENUM,	/* one of opt_def.choices */
	OPT_COUNT,	/* a whole number from 1 to 1000000, stored as int */
	OPT_NUMBER,	/* a whole number from 0 to 1000000, stored as int */
};

/* What SIGHUP may do with a changed value. */
enum opt_reload {
	RELOAD_LIVE,	/* applied by the running children */
	RELOAD_REBIND,	/* the listener is bound anew and handed over */
	RELOAD_NEVER,	/* a changed value makes the reload fail */
};

#define OPT_REQUIRED	0x01
#define OPT_SECRET	0x02	/* redacted in -nv output */
/*
 * The children that use an option.  A child is sent only the options it
 * uses (config_serialize_for()); the rest keep their defaults there.  An
 * option with none of these goes to every child, as must a required one,
 * and the options one cross-check compares go to the same children, so
 * each child's configuration passes config_validate() on its own.
 */
#define OPT_ELECTOR	0x10
#define OPT_PROXY	0x20	/* writer, reader and bridge */
#define OPT_ADMIN	0x40
#define OPT_USERS	(OPT_ELECTOR | OPT_PROXY | OPT_ADMIN)

struct opt_def {
	const char	 *key;		/* long flag and file key */
	const char	 *env;		/* environment variable, or NULL */
	const char	 *def;		/* default as text; NULL for required */
	enum opt_type	  type;
	enum opt_reload	  reload;
	int		  flags;
	size_t		  offset;	/* into struct config */
	const char *const *choices;	/* OPT_ENUM: NULL-terminated */
	const char	 *help;
};

extern const struct opt_def	opt_table[];
extern const size_t		opt_count;

const struct opt_def	*opt_lookup(const char *key);

/* Command-line state: flags, and option values to apply last. */
struct cli_value {
	const struct opt_def	*opt;
	char			*value;
	const char		*arg;	/* where in argv the value is, or NULL */
};

struct cli {
	const char		*conffile;	/* -f, or NULL for the default */
	int			 check;		/* -n */
	int			 verbose;	/* -v, counted */
	int			 foreground;	/* -d */
	const char		*proc;		/* -P, internal: child kind */
	int			 help;		/* --help, -h */
	int			 version;	/* --version, -V */
	struct cli_value	*values;
	size_t			 nvalues;
};

/*
 * Parse argv.  Long options take "--key value", "--key=value" and, as in
 * the Go original, a single dash ("-key value"); bools accept "--key" alone
 * or "--key=false".  Returns 0, or -1 with err naming the argument.
 */
int	cli_parse(struct cli *, int argc, char **argv, char *err, size_t errlen);
void	cli_clear(struct cli *);
/*
 * The command line parsed into cli, as the process title: the arguments
 * joined by spaces, with the value of every secret option (consul.token,
 * server.password) replaced by "********".  Always NUL-terminated in buf.
 */
void	cli_title(const struct cli *, int argc, char *const argv[], char *buf,
	    size_t len);

void	config_init(struct config *);	/* all defaults */
void	config_clear(struct config *);	/* frees strings */
int	config_copy(struct config *dst, const struct config *src);

/* 1 when the option named key was given, not left at its default. */
int	config_given(const struct config *, const char *key);

/*
 * Set one option from text, a source of its own (an https:// consul.addr
 * turns consul.ssl on); err names the option and the problem.
 */
int	config_set(struct config *, const struct opt_def *, const char *value,
	    char *err, size_t errlen);

/*
 * Parse "key value" lines.  name is used in errors ("name:line: ...").
 * A key given twice is an error.
 */
int	config_parse_text(struct config *, const char *text, const char *name,
	    char *err, size_t errlen);
/* Read and parse a file; a missing file is an error only if must_exist. */
int	config_load_file(struct config *, const char *path, int must_exist,
	    char *err, size_t errlen);
/* Apply every set environment variable of the table. */
int	config_load_env(struct config *, char *err, size_t errlen);
/* Apply the command-line values. */
int	config_load_cli(struct config *, const struct cli *, char *err,
	    size_t errlen);
/*
 * Cross-option checks, and every missing required option in one message
 * ("missing required options: --id (SERVICE_ID), ...").  Also that the
 * canonical text is one the children can be handed: each line within
 * CONFIG_LINE_MAX, the whole within one message.
 */
int	config_validate(const struct config *, char *err, size_t errlen);

/*
 * The whole pipeline: defaults, file (-f or the default path), environment,
 * command line, validation.  On error *out is left cleared.
 */
int	config_load(struct config *out, const struct cli *, char *err,
	    size_t errlen);

/*
 * Canonical form: every option, in table order, one "key value" line,
 * values quoted when needed.  redact replaces secrets with "********".
 * config_serialize() returns a malloc'd unredacted text that
 * config_parse_text() reads back into an identical config.
 */
void	config_print(const struct config *, FILE *, int redact);
char	*config_serialize(const struct config *);
/*
 * The text for the child of that kind (enum proc_kind): only the options
 * it uses (opt_used_by()), the others left out.  Free it with
 * config_text_free(), which wipes it: it may hold secrets.
 */
char	*config_serialize_for(const struct config *, int kind);
void	 config_text_free(char *);
/* 1 when the process of that kind uses the option. */
int	 opt_used_by(const struct opt_def *, int kind);

/* The value of one option as canonical text (malloc'd, unquoted). */
char	*config_value_text(const struct config *, const struct opt_def *);
/* 1 when the option's value differs between a and b. */
int	config_differs(const struct config *a, const struct config *b,
	    const struct opt_def *);

/* --help: usage line, then every option with env var and default. */
void	config_usage(FILE *, const char *progname);

#endif
