/*
 * The option table, its value types, the file parser, the environment,
 * the command line, validation and the canonical text.  Tests that touch
 * the environment or the file system rely on fork mode: each runs in its
 * own process, with every variable of the table unset first.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "suites.h"

#define ERRLEN	1024

/* The required options other than the listener ports. */
static const char base_ids[] =
    "id node-1\n"
    "advertise 10.0.0.1\n"
    "server.port 9851\n";

/* The five required options, valid and without clashes. */
static const char base_conf[] =
    "id node-1\n"
    "advertise 10.0.0.1\n"
    "server.port 9851\n"
    "bind.port.leader 9852\n"
    "bind.port.follower 9853\n";

static char	tmpdir[256];
static char	*tmpfiles[16];
static size_t	 ntmpfiles;

static void
env_setup(void)
{
	size_t	i;

	for (i = 0; i < opt_count; i++)
		if (opt_table[i].env != NULL)
			unsetenv(opt_table[i].env);
	/* A fresh template each time: mkdtemp() fills it in. */
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_config.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
env_teardown(void)
{
	size_t	i;

	for (i = 0; i < ntmpfiles; i++) {
		unlink(tmpfiles[i]);
		free(tmpfiles[i]);
	}
	ntmpfiles = 0;
	rmdir(tmpdir);
}

/* A file in the test's directory; the path lives until teardown. */
static const char *
write_file(const char *name, const char *text)
{
	FILE	*fp;
	char	*path;

	ck_assert_int_lt(ntmpfiles, sizeof(tmpfiles) / sizeof(tmpfiles[0]));
	ck_assert_int_ne(asprintf(&path, "%s/%s", tmpdir, name), -1);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
	tmpfiles[ntmpfiles++] = path;
	return path;
}

static const struct opt_def *
opt(const char *key)
{
	const struct opt_def	*o;

	o = opt_lookup(key);
	ck_assert_msg(o != NULL, "no option %s", key);
	return o;
}

/* The canonical text of key after setting it to value. */
static void
expect_set(const char *key, const char *value, const char *canon)
{
	struct config	 cfg;
	char		 err[ERRLEN] = "";
	char		*text;

	config_init(&cfg);
	ck_assert_msg(config_set(&cfg, opt(key), value, err, sizeof(err)) == 0,
	    "%s \"%s\" refused: %s", key, value, err);
	text = config_value_text(&cfg, opt(key));
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strcmp(text, canon) == 0, "%s \"%s\" gave \"%s\", "
	    "want \"%s\"", key, value, text, canon);
	free(text);
	config_clear(&cfg);
}

static void
expect_set_error(const char *key, const char *value, const char *msg)
{
	struct config	cfg;
	char		err[ERRLEN] = "";

	config_init(&cfg);
	ck_assert_msg(config_set(&cfg, opt(key), value, err, sizeof(err)) == -1,
	    "%s \"%s\" accepted", key, value);
	ck_assert_str_eq(err, msg);
	config_clear(&cfg);
}

/* Parse text on top of the defaults; returns config_parse_text()'s rc. */
static int
parse(struct config *cfg, const char *text, char *err)
{
	config_init(cfg);
	err[0] = '\0';
	return config_parse_text(cfg, text, "t.conf", err, ERRLEN);
}

static void
expect_parse_error(const char *text, const char *msg)
{
	struct config	cfg;
	char		err[ERRLEN];

	ck_assert_msg(parse(&cfg, text, err) == -1, "accepted: %s", text);
	ck_assert_str_eq(err, msg);
	config_clear(&cfg);
}

static void
expect_validate_error(const char *base, const char *extra, const char *msg)
{
	struct config	 cfg;
	char		 err[ERRLEN];
	char		*text;

	ck_assert_int_ne(asprintf(&text, "%s%s", base, extra), -1);
	ck_assert_msg(parse(&cfg, text, err) == 0, "parse: %s", err);
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == -1,
	    "accepted: %s", extra);
	ck_assert_str_eq(err, msg);
	config_clear(&cfg);
	free(text);
}

static void
expect_valid(const char *base, const char *extra)
{
	struct config	 cfg;
	char		 err[ERRLEN];
	char		*text;

	ck_assert_int_ne(asprintf(&text, "%s%s", base, extra), -1);
	ck_assert_msg(parse(&cfg, text, err) == 0, "parse: %s", err);
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0,
	    "refused \"%s\": %s", extra, err);
	config_clear(&cfg);
	free(text);
}

#define ARGC(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)

START_TEST(test_table)
{
	const struct opt_def	*o;
	struct config		 cfg;
	char			*text;
	size_t			 i, j;

	static const char *const go_keys[] = {
		"id", "advertise", "server.addr", "server.port",
		"bind.addr.leader", "bind.port.leader", "bind.addr.follower",
		"bind.port.follower", "consul.addr", "consul.lock.prefix",
		"dogstatsd.addr", "dogstatsd.port", "service.manage",
		"service.name.leader", "service.name.follower", NULL,
	};

	/* Every flag of the Go original is here (drop-in compatibility). */
	for (i = 0; go_keys[i] != NULL; i++)
		ck_assert_msg(opt_lookup(go_keys[i]) != NULL, "no option %s",
		    go_keys[i]);
	config_init(&cfg);
	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		ck_assert_ptr_eq(opt_lookup(o->key), o);
		ck_assert_ptr_nonnull(o->help);
		ck_assert_int_eq(o->def == NULL,
		    (o->flags & OPT_REQUIRED) != 0);
		ck_assert_int_eq(o->choices != NULL, o->type == OPT_ENUM);
		for (j = 0; j < i; j++)
			if (o->env != NULL && opt_table[j].env != NULL)
				ck_assert_str_ne(o->env, opt_table[j].env);
		if (o->def == NULL)
			continue;
		/* Every default is already in canonical form. */
		text = config_value_text(&cfg, o);
		ck_assert_str_eq(text, o->def);
		free(text);
	}
	ck_assert_ptr_null(opt_lookup("bogus"));
	ck_assert_ptr_null(opt_lookup("server"));
	ck_assert_ptr_null(cfg.id);
	ck_assert_int_eq(cfg.server_port, 0);
	ck_assert_int_eq(cfg.bind_port_bridge, 0);
	ck_assert_int_eq(cfg.dogstatsd_port, 8125);
	ck_assert_int_eq(cfg.shutdown_timeout, 15000);
	ck_assert_int_eq(cfg.server_kind, SERVER_TILE38);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(cfg.chroot, "/var/empty");
	ck_assert_str_eq(cfg.user, "tile38cm");
	config_clear(&cfg);
	/* Clearing twice is harmless: config_load() relies on it. */
	config_clear(&cfg);
}
END_TEST

START_TEST(test_type_string)
{
	expect_set("server.password", "", "");
	expect_set("server.password", "with space # and \"quotes\"",
	    "with space # and \"quotes\"");
	expect_set("server.password", "caf\xc3\xa9", "caf\xc3\xa9");
	expect_set("chroot", "", "");
	expect_set("chroot", "/var/lib/tcm", "/var/lib/tcm");
	expect_set_error("server.password", "a\nb",
	    "server.password: \"a\\x0ab\" contains a control character");
	expect_set_error("consul.token", "tab\there",
	    "consul.token: \"tab\\x09here\" contains a control character");
	expect_set_error("chroot", "var/empty",
	    "chroot: \"var/empty\" is not an absolute path");
}
END_TEST

START_TEST(test_type_name)
{
	expect_set("id", "node-1", "node-1");
	expect_set("consul.lock.prefix", "a#b\"c", "a#b\"c");
	expect_set("server.addr", "tile38.service.consul",
	    "tile38.service.consul");
	expect_set_error("id", "", "id: must not be empty");
	expect_set_error("advertise", "10.0.0.1 ",
	    "advertise: \"10.0.0.1 \" contains white space or a control "
	    "character");
	expect_set_error("service.name.leader", "a\tb",
	    "service.name.leader: \"a\\x09b\" contains white space or a "
	    "control character");
	expect_set_error("user", "\x7f",
	    "user: \"\\x7f\" contains white space or a control character");
}
END_TEST

START_TEST(test_type_addr)
{
	expect_set("bind.addr.leader", "127.0.0.1", "127.0.0.1");
	expect_set("bind.addr.leader", "::", "::");
	expect_set("bind.addr.follower", "fe80::1", "fe80::1");
	expect_set_error("bind.addr.leader", "localhost",
	    "bind.addr.leader: \"localhost\" is not a numeric IPv4 or IPv6 "
	    "address");
	expect_set_error("bind.addr.follower", "1.2.3.256",
	    "bind.addr.follower: \"1.2.3.256\" is not a numeric IPv4 or IPv6 "
	    "address");
	expect_set_error("bind.addr.leader", "[::1]",
	    "bind.addr.leader: \"[::1]\" is not a numeric IPv4 or IPv6 "
	    "address");
}
END_TEST

START_TEST(test_type_loopback)
{
	expect_set("bind.addr.bridge", "127.0.0.1", "127.0.0.1");
	expect_set("bind.addr.bridge", "127.1.2.3", "127.1.2.3");
	expect_set("bind.addr.bridge", "::1", "::1");
	expect_set_error("bind.addr.bridge", "0.0.0.0",
	    "bind.addr.bridge: \"0.0.0.0\" is not a loopback address "
	    "(127.0.0.0/8 or ::1)");
	expect_set_error("bind.addr.bridge", "::",
	    "bind.addr.bridge: \"::\" is not a loopback address "
	    "(127.0.0.0/8 or ::1)");
	expect_set_error("bind.addr.bridge", "10.0.0.1",
	    "bind.addr.bridge: \"10.0.0.1\" is not a loopback address "
	    "(127.0.0.0/8 or ::1)");
	expect_set_error("bind.addr.bridge", "localhost",
	    "bind.addr.bridge: \"localhost\" is not a loopback address "
	    "(127.0.0.0/8 or ::1)");
}
END_TEST

START_TEST(test_type_port)
{
	expect_set("server.port", "1", "1");
	expect_set("server.port", "65535", "65535");
	expect_set("server.port", "09851", "9851");
	expect_set("bind.port.bridge", "0", "0");
	expect_set("bind.port.bridge", "65535", "65535");
	expect_set_error("server.port", "70000",
	    "server.port: \"70000\" is not a port number (1-65535)");
	expect_set_error("server.port", "0",
	    "server.port: \"0\" is not a port number (1-65535)");
	expect_set_error("dogstatsd.port", "",
	    "dogstatsd.port: \"\" is not a port number (1-65535)");
	expect_set_error("bind.port.leader", "-1",
	    "bind.port.leader: \"-1\" is not a port number (1-65535)");
	expect_set_error("bind.port.leader", "80x",
	    "bind.port.leader: \"80x\" is not a port number (1-65535)");
	expect_set_error("bind.port.bridge", "65536",
	    "bind.port.bridge: \"65536\" is not a port number (0-65535)");
	expect_set_error("bind.port.bridge", "99999999999999999999",
	    "bind.port.bridge: \"99999999999999999999\" is not a port number "
	    "(0-65535)");
}
END_TEST

START_TEST(test_type_bool)
{
	static const char *const yes[] = { "true", "TRUE", "True", "t", "T",
	    "1", "yes", "YES", "on", "On" };
	static const char *const no[] = { "false", "FALSE", "f", "F", "0",
	    "no", "No", "off", "OFF" };
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		expect_set("service.manage", yes[i], "true");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		expect_set("consul.ssl", no[i], "false");
	expect_set_error("service.manage", "y",
	    "service.manage: \"y\" is not a boolean (true/false, yes/no, "
	    "on/off, 1/0)");
	expect_set_error("consul.ssl", "",
	    "consul.ssl: \"\" is not a boolean (true/false, yes/no, on/off, "
	    "1/0)");
	expect_set_error("consul.ssl", "2",
	    "consul.ssl: \"2\" is not a boolean (true/false, yes/no, on/off, "
	    "1/0)");
}
END_TEST

START_TEST(test_type_duration)
{
	struct config	cfg;
	char		err[ERRLEN];

	expect_set("shutdown.timeout", "0", "0s");
	expect_set("shutdown.timeout", "0s", "0s");
	expect_set("shutdown.timeout", "500ms", "500ms");
	expect_set("shutdown.timeout", "15s", "15s");
	expect_set("shutdown.timeout", "120s", "2m");
	expect_set("shutdown.timeout", "1m30s", "90s");
	expect_set("shutdown.timeout", "90000ms", "90s");
	expect_set("shutdown.timeout", "1h", "1h");
	expect_set("shutdown.timeout", "60m", "1h");
	expect_set("shutdown.timeout", "1h1ms", "3600001ms");
	expect_set("shutdown.timeout", "1s1s", "2s");
	expect_set("shutdown.timeout", "2562047h", "2562047h");

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, opt("shutdown.timeout"), "1m30s500ms",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.shutdown_timeout, 90500);
	config_clear(&cfg);

	expect_set_error("shutdown.timeout", "10",
	    "shutdown.timeout: \"10\" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "",
	    "shutdown.timeout: \"\" is not a duration (such as 500ms, 10s or "
	    "1m30s)");
	expect_set_error("shutdown.timeout", "00",
	    "shutdown.timeout: \"00\" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "1.5s",
	    "shutdown.timeout: \"1.5s\" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "-1s",
	    "shutdown.timeout: \"-1s\" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "1d",
	    "shutdown.timeout: \"1d\" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "1s ",
	    "shutdown.timeout: \"1s \" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "10s5",
	    "shutdown.timeout: \"10s5\" is not a duration (such as 500ms, 10s "
	    "or 1m30s)");
	expect_set_error("shutdown.timeout", "2562048h",
	    "shutdown.timeout: \"2562048h\" is too long a duration (at most "
	    "2562047h)");
	expect_set_error("shutdown.timeout", "99999999999999999999999ms",
	    "shutdown.timeout: \"99999999999999999999999ms\" is too long a "
	    "duration (at most 2562047h)");
	expect_set_error("shutdown.timeout", "2562047h2562047h",
	    "shutdown.timeout: \"2562047h2562047h\" is too long a duration "
	    "(at most 2562047h)");
}
END_TEST

START_TEST(test_type_enum)
{
	struct config	cfg;
	char		err[ERRLEN];

	expect_set("server.kind", "redis", "redis");
	expect_set("server.kind", "Tile38", "tile38");
	expect_set("log.level", "DEBUG", "debug");
	expect_set_error("server.kind", "mongo",
	    "server.kind: \"mongo\" is not one of: tile38, redis");
	expect_set_error("log.level", "warn",
	    "log.level: \"warn\" is not one of: info, debug");

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, opt("server.kind"), "redis", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.server_kind, SERVER_REDIS);
	ck_assert_int_eq(config_set(&cfg, opt("log.level"), "debug", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_error_value_shown_safely)
{
	char	long_value[200], want[ERRLEN];

	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	/* Long values are cut; quotes and backslashes stay unambiguous. */
	snprintf(want, sizeof(want), "server.port: \"%.80s...\" is not a port "
	    "number (1-65535)", long_value);
	expect_set_error("server.port", long_value, want);
	expect_set_error("server.port", "a\"b\\c",
	    "server.port: \"a\\\"b\\\\c\" is not a port number (1-65535)");
}
END_TEST

START_TEST(test_consul_addr)
{
	struct config	 cfg;
	char		 err[ERRLEN];
	const char	*path;

	expect_set("consul.addr", "127.0.0.1:8500", "127.0.0.1:8500");
	expect_set("consul.addr", "consul.service:8501", "consul.service:8501");
	expect_set("consul.addr", "[::1]:8500", "[::1]:8500");
	expect_set("consul.addr", "http://10.0.0.1:8500", "10.0.0.1:8500");
	expect_set("consul.addr", "HTTP://10.0.0.1:8500", "10.0.0.1:8500");
	expect_set("consul.addr", "https://[::1]:8501", "[::1]:8501");
	expect_set_error("consul.addr", "127.0.0.1",
	    "consul.addr: \"127.0.0.1\" is not host:port (IPv6 as [::1]:8500)");
	expect_set_error("consul.addr", "::1:8500",
	    "consul.addr: \"::1:8500\" is not host:port (IPv6 as [::1]:8500)");
	expect_set_error("consul.addr", "[::1]8500",
	    "consul.addr: \"[::1]8500\" is not host:port (IPv6 as [::1]:8500)");
	expect_set_error("consul.addr", "[nope]:8500",
	    "consul.addr: \"[nope]:8500\" is not host:port (IPv6 as "
	    "[::1]:8500)");
	expect_set_error("consul.addr", "host:0",
	    "consul.addr: \"host:0\" is not host:port (IPv6 as [::1]:8500)");
	expect_set_error("consul.addr", ":8500",
	    "consul.addr: \":8500\" is not host:port (IPv6 as [::1]:8500)");
	expect_set_error("consul.addr", "unix:///tmp/consul.sock",
	    "consul.addr: \"unix:///tmp/consul.sock\" is not host:port (IPv6 "
	    "as [::1]:8500)");
	expect_set_error("consul.addr", "http://",
	    "consul.addr: \"http://\" is not host:port (IPv6 as [::1]:8500)");

	/* http:// leaves consul.ssl alone, https:// turns it on. */
	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, opt("consul.ssl"), "true", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, opt("consul.addr"),
	    "http://c:8500", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 1);
	config_clear(&cfg);
	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, opt("consul.addr"),
	    "https://c:8501", err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.consul_addr, "c:8501");
	ck_assert_int_eq(cfg.consul_ssl, 1);
	config_clear(&cfg);

	/* A bad https:// address does not turn consul.ssl on either. */
	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, opt("consul.addr"), "https://c",
	    err, sizeof(err)), -1);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	ck_assert_str_eq(cfg.consul_addr, "127.0.0.1:8500");
	config_clear(&cfg);

	/* An explicit consul.ssl in the same file wins, before or after. */
	ck_assert_int_eq(parse(&cfg, "consul.ssl false\n"
	    "consul.addr https://c:8501\n", err), 0);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	config_clear(&cfg);
	ck_assert_int_eq(parse(&cfg, "consul.addr https://c:8501\n"
	    "consul.ssl off\n", err), 0);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	config_clear(&cfg);
	ck_assert_int_eq(parse(&cfg, "consul.addr https://c:8501\n", err), 0);
	ck_assert_int_eq(cfg.consul_ssl, 1);
	config_clear(&cfg);

	/* A file's consul.ssl loses to an https:// address from the env. */
	path = write_file("ssl.conf", "consul.ssl false\n");
	setenv("CONSUL_HTTP_ADDR", "https://c:8501", 1);
	config_init(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(config_load_env(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.consul_addr, "c:8501");
	ck_assert_int_eq(cfg.consul_ssl, 1);
	config_clear(&cfg);

	/* ... but an env CONSUL_HTTP_SSL beats it, as in Consul's own CLI. */
	setenv("CONSUL_HTTP_SSL", "false", 1);
	config_init(&cfg);
	ck_assert_int_eq(config_load_env(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	config_clear(&cfg);
	setenv("CONSUL_HTTP_ADDR", "http://c:8500", 1);
	setenv("CONSUL_HTTP_SSL", "true", 1);
	config_init(&cfg);
	ck_assert_int_eq(config_load_env(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.consul_addr, "c:8500");
	ck_assert_int_eq(cfg.consul_ssl, 1);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_consul_addr_cli)
{
	struct config	 cfg;
	struct cli	 cli;
	char		 err[ERRLEN];
	char		*argv1[] = { "tcm", "--consul.ssl=false",
	    "--consul.addr", "https://c:8501", NULL };
	char		*argv2[] = { "tcm", "--consul.addr", "https://c:8501",
	    NULL };

	/* Same source: the explicit flag wins although it comes first. */
	ck_assert_int_eq(cli_parse(&cli, ARGC(argv1), argv1, err,
	    sizeof(err)), 0);
	config_init(&cfg);
	ck_assert_int_eq(config_load_cli(&cfg, &cli, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	config_clear(&cfg);
	cli_clear(&cli);

	/* The command line's https:// beats CONSUL_HTTP_SSL=false. */
	setenv("CONSUL_HTTP_SSL", "false", 1);
	ck_assert_int_eq(cli_parse(&cli, ARGC(argv2), argv2, err,
	    sizeof(err)), 0);
	config_init(&cfg);
	ck_assert_int_eq(config_load_env(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_load_cli(&cfg, &cli, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 1);
	config_clear(&cfg);
	cli_clear(&cli);
}
END_TEST

/*
 * consul.ssl from every source in turn (file, environment, command
 * line): an https:// consul.addr turns it on unless the same source sets
 * consul.ssl too, in either order; a later source wins over an earlier
 * one either way; a later plain address leaves it as it is.
 */
static const struct {
	const char	*file;		/* NULL: no file */
	const char	*env_addr, *env_ssl;
	const char	*argv[5];	/* after argv[0], NULL-terminated */
	int		 ssl;
} ssl_rows[] = {
	{ NULL, NULL, NULL, { NULL }, 0 },
	{ "consul.addr https://c:8501\n", NULL, NULL, { NULL }, 1 },
	{ "consul.addr http://c:8500\n", NULL, NULL, { NULL }, 0 },
	{ "consul.addr https://c:8501\nconsul.ssl false\n", NULL, NULL,
	    { NULL }, 0 },
	{ "consul.ssl false\nconsul.addr https://c:8501\n", NULL, NULL,
	    { NULL }, 0 },
	{ "consul.ssl true\nconsul.addr https://c:8501\n", NULL, NULL,
	    { NULL }, 1 },
	{ "consul.ssl true\nconsul.addr http://c:8500\n", NULL, NULL,
	    { NULL }, 1 },
	{ "consul.ssl false\n", "https://c:8501", NULL, { NULL }, 1 },
	{ "consul.addr https://c:8501\n", NULL, "false", { NULL }, 0 },
	{ "consul.addr https://c:8501\n", "http://c:8500", NULL,
	    { NULL }, 1 },
	{ "consul.addr https://c:8501\nconsul.ssl false\n",
	    "https://d:8501", NULL, { NULL }, 1 },
	{ "consul.ssl true\n", NULL, "false", { NULL }, 0 },
	{ NULL, "https://c:8501", NULL, { NULL }, 1 },
	{ NULL, "https://c:8501", "false", { NULL }, 0 },
	{ NULL, "https://c:8501", "true", { NULL }, 1 },
	{ NULL, "http://c:8500", "true", { NULL }, 1 },
	{ NULL, NULL, NULL, { "--consul.addr", "https://c:8501", NULL }, 1 },
	{ NULL, NULL, NULL, { "--consul.ssl=false", "--consul.addr",
	    "https://c:8501", NULL }, 0 },
	{ NULL, NULL, NULL, { "--consul.addr", "https://c:8501",
	    "--consul.ssl=false", NULL }, 0 },
	{ NULL, NULL, "false", { "--consul.addr", "https://c:8501", NULL },
	    1 },
	{ NULL, "https://c:8501", NULL, { "--consul.ssl=false", NULL }, 0 },
	{ NULL, "https://c:8501", NULL, { "--consul.ssl=false",
	    "--consul.addr", "https://d:8501", NULL }, 0 },
	{ NULL, "https://c:8501", NULL, { "--consul.addr", "c:8500", NULL },
	    1 },
	{ "consul.addr https://c:8501\n", "http://c:8500", "false",
	    { "--consul.addr", "https://d:8501", NULL }, 1 },
};

START_TEST(test_consul_ssl_sources)
{
	struct config	 cfg;
	struct cli	 cli;
	char		*argv[6] = { "tcm" };
	char		 err[ERRLEN] = "";
	int		 argc;

	for (argc = 0; ssl_rows[_i].argv[argc] != NULL; argc++)
		argv[argc + 1] = (char *)ssl_rows[_i].argv[argc];
	argv[++argc] = NULL;
	if (ssl_rows[_i].env_addr != NULL)
		setenv("CONSUL_HTTP_ADDR", ssl_rows[_i].env_addr, 1);
	if (ssl_rows[_i].env_ssl != NULL)
		setenv("CONSUL_HTTP_SSL", ssl_rows[_i].env_ssl, 1);
	ck_assert_msg(cli_parse(&cli, argc, argv, err, sizeof(err)) == 0,
	    "row %d: %s", _i, err);
	config_init(&cfg);
	if (ssl_rows[_i].file != NULL)
		ck_assert_msg(config_load_file(&cfg, write_file("ssl.conf",
		    ssl_rows[_i].file), 1, err, sizeof(err)) == 0,
		    "row %d: %s", _i, err);
	ck_assert_msg(config_load_env(&cfg, err, sizeof(err)) == 0,
	    "row %d: %s", _i, err);
	ck_assert_msg(config_load_cli(&cfg, &cli, err, sizeof(err)) == 0,
	    "row %d: %s", _i, err);
	ck_assert_msg(cfg.consul_ssl == ssl_rows[_i].ssl,
	    "row %d: consul.ssl %d", _i, cfg.consul_ssl);
	config_clear(&cfg);
	cli_clear(&cli);
}
END_TEST

/* Each config_set() is a source of its own: the later one wins. */
START_TEST(test_consul_ssl_set)
{
	struct config	cfg;
	char		err[ERRLEN];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, opt("consul.ssl"), "false", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, opt("consul.addr"),
	    "https://c:8501", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 1);
	ck_assert_int_eq(config_set(&cfg, opt("consul.ssl"), "false", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	ck_assert_int_eq(config_set(&cfg, opt("consul.addr"),
	    "http://c:8500", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.consul_ssl, 0);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_file_syntax)
{
	struct config	cfg;
	char		err[ERRLEN];

	ck_assert_msg(parse(&cfg,
	    "\xef\xbb\xbf# comment line\n"
	    "\n"
	    "   \t\n"
	    "  id   node-1   # trailing comment\n"
	    "advertise\t10.0.0.1\r\n"
	    "server.password \"a b # c \\\"d\\\" \\\\e\"  # comment\n"
	    "consul.token \"\"\n"
	    "consul.lock.prefix \"x\"#comment\n"
	    "server.addr h\"q\n"
	    "service.name.leader w\r\n"
	    "chroot \"\"\r\n"
	    "server.port 9851", err) == 0, "parse: %s", err);
	ck_assert_str_eq(cfg.id, "node-1");
	ck_assert_str_eq(cfg.advertise, "10.0.0.1");
	ck_assert_str_eq(cfg.server_password, "a b # c \"d\" \\e");
	ck_assert_str_eq(cfg.consul_token, "");
	ck_assert_str_eq(cfg.consul_lock_prefix, "x");
	ck_assert_str_eq(cfg.server_addr, "h\"q");
	ck_assert_str_eq(cfg.service_name_leader, "w");
	ck_assert_str_eq(cfg.chroot, "");
	ck_assert_int_eq(cfg.server_port, 9851);
	config_clear(&cfg);

	ck_assert_int_eq(parse(&cfg, "", err), 0);
	config_clear(&cfg);
	ck_assert_int_eq(parse(&cfg, "\n\r\n# only comments\n", err), 0);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_file_errors)
{
	char	line[5000], want[ERRLEN];
	size_t	n;

	expect_parse_error("id a\n\nfoo bar\n",
	    "t.conf:3: unknown option \"foo\"");
	expect_parse_error("--id a\n", "t.conf:1: unknown option \"--id\"");
	expect_parse_error("server.port=1\n",
	    "t.conf:1: unknown option \"server.port=1\"");
	expect_parse_error("id\n", "t.conf:1: id: missing value");
	expect_parse_error("id   # comment\n", "t.conf:1: id: missing value");
	expect_parse_error("id#x\n", "t.conf:1: id: missing value");
	expect_parse_error("\n\nserver.port 70000\n",
	    "t.conf:3: server.port: \"70000\" is not a port number (1-65535)");
	expect_parse_error("server.password \"abc\n",
	    "t.conf:1: server.password: unterminated quoted value");
	expect_parse_error("server.password \"abc\\\"\n",
	    "t.conf:1: server.password: unterminated quoted value");
	expect_parse_error("server.password \"a\\nb\"\n",
	    "t.conf:1: server.password: invalid escape in quoted value "
	    "(only \\\" and \\\\)");
	expect_parse_error("server.password \"a\" b\n",
	    "t.conf:1: server.password: unexpected text after quoted value");
	expect_parse_error("server.password \"a\"\"b\"\n",
	    "t.conf:1: server.password: unexpected text after quoted value");
	expect_parse_error("id \"two words\"\n",
	    "t.conf:1: id: \"two words\" contains white space or a control "
	    "character");
	expect_parse_error("a 1\r\nb 2\r\n", "t.conf:1: unknown option \"a\"");

	/* Duplicates name both lines. */
	expect_parse_error("# x\n\n\nserver.port 1\nid a\n\n\n\n"
	    "server.port 2\n",
	    "t.conf:9: server.port: already set at line 4");
	expect_parse_error("consul.ssl true\nconsul.ssl false\n",
	    "t.conf:2: consul.ssl: already set at line 1");
	/* A deferred consul.ssl still blames its own line. */
	expect_parse_error("consul.ssl maybe\nid a\n",
	    "t.conf:1: consul.ssl: \"maybe\" is not a boolean (true/false, "
	    "yes/no, on/off, 1/0)");

	/* 4096 bytes is the longest line, CR not counted. */
	n = snprintf(line, sizeof(line), "server.password ");
	memset(line + n, 'x', 4096 - n);
	memcpy(line + 4096, "\r\n", 3);
	{
		struct config	cfg;
		char		err[ERRLEN];

		ck_assert_msg(parse(&cfg, line, err) == 0, "4096: %s", err);
		config_clear(&cfg);
	}
	memcpy(line + 4096, "x\nid a\n", 8);
	snprintf(want, sizeof(want), "t.conf:1: line longer than 4096 bytes");
	expect_parse_error(line, want);
}
END_TEST

START_TEST(test_load_file)
{
	struct config	 cfg;
	char		 err[ERRLEN], missing[512];
	const char	*path;

	snprintf(missing, sizeof(missing), "%s/missing.conf", tmpdir);
	config_init(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, missing, 0, err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_load_file(&cfg, missing, 1, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err + strlen(tmpdir),
	    "/missing.conf: No such file or directory");
	/* A directory is never fine, even in the default place. */
	ck_assert_int_eq(config_load_file(&cfg, tmpdir, 0, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err + strlen(tmpdir), ": Is a directory");

	path = write_file("bad.conf", "id a\nadvertise b\nbogus 1\n");
	ck_assert_int_eq(config_load_file(&cfg, path, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err + strlen(tmpdir),
	    "/bad.conf:3: unknown option \"bogus\"");
	config_clear(&cfg);

	config_init(&cfg);
	path = write_file("good.conf", base_conf);
	ck_assert_int_eq(config_load_file(&cfg, path, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.id, "node-1");
	ck_assert_int_eq(cfg.bind_port_follower, 9853);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_env)
{
	struct config	cfg;
	char		err[ERRLEN];

	setenv("SERVER_PORT", "x", 1);
	config_init(&cfg);
	ck_assert_int_eq(config_load_env(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "SERVER_PORT (server.port): \"x\" is not a port number (1-65535)");
	config_clear(&cfg);

	setenv("SERVER_PORT", "9851", 1);
	setenv("SERVICE_MANAGE", "yes", 1);
	setenv("SHUTDOWN_TIMEOUT", "1m", 1);
	setenv("REPL_BRIDGE_IP", "::1", 1);
	/* Empty means unset, as in Consul's clients. */
	setenv("SERVER_ADDR", "", 1);
	config_init(&cfg);
	ck_assert_int_eq(config_load_env(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.server_port, 9851);
	ck_assert_int_eq(cfg.service_manage, 1);
	ck_assert_int_eq(cfg.shutdown_timeout, 60000);
	ck_assert_str_eq(cfg.bind_addr_bridge, "::1");
	ck_assert_str_eq(cfg.server_addr, "127.0.0.1");
	config_clear(&cfg);
}
END_TEST

START_TEST(test_precedence)
{
	struct config	 cfg;
	struct cli	 cli;
	char		 err[ERRLEN], *text;
	const char	*path;

	ck_assert_int_ne(asprintf(&text, "%s"
	    "dogstatsd.port 1111\n"
	    "consul.lock.prefix from/file\n"
	    "service.name.leader file-w\n", base_conf), -1);
	path = write_file("p.conf", text);
	free(text);
	setenv("DD_AGENT_PORT", "2222", 1);
	setenv("CONSUL_LOCK_PREFIX", "from/env", 1);
	{
		char	*argv[] = { "tcm", "-f", (char *)path,
		    "--dogstatsd.port", "3333", "--id", "first",
		    "--id", "second", NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	ck_assert_msg(config_load(&cfg, &cli, err, sizeof(err)) == 0,
	    "load: %s", err);
	ck_assert_int_eq(cfg.dogstatsd_port, 3333);
	ck_assert_str_eq(cfg.consul_lock_prefix, "from/env");
	ck_assert_str_eq(cfg.service_name_leader, "file-w");
	ck_assert_str_eq(cfg.service_name_follower, "tile38-reader");
	ck_assert_str_eq(cfg.id, "second");
	config_clear(&cfg);
	cli_clear(&cli);

	/* Environment over file when the command line is silent. */
	{
		char	*argv[] = { "tcm", "-f", (char *)path, NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(config_load(&cfg, &cli, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.dogstatsd_port, 2222);
	ck_assert_str_eq(cfg.id, "node-1");
	config_clear(&cfg);
	cli_clear(&cli);
}
END_TEST

START_TEST(test_load_errors)
{
	struct config	 cfg;
	struct cli	 cli;
	char		 err[ERRLEN], missing[512];
	const char	*path;

	/* -f names a file that must exist. */
	snprintf(missing, sizeof(missing), "%s/none.conf", tmpdir);
	{
		char	*argv[] = { "tcm", "-f", missing, NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	memset(&cfg, 0xa5, sizeof(cfg));
	ck_assert_int_eq(config_load(&cfg, &cli, err, sizeof(err)), -1);
	ck_assert_str_eq(err + strlen(tmpdir),
	    "/none.conf: No such file or directory");
	/* Left cleared: nothing to free, nothing dangling. */
	ck_assert_ptr_null(cfg.id);
	ck_assert_ptr_null(cfg.consul_addr);
	cli_clear(&cli);

	path = write_file("ok.conf", base_conf);
	setenv("BIND_PORT_LEADER", "x", 1);
	{
		char	*argv[] = { "tcm", "-f", (char *)path, NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(config_load(&cfg, &cli, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "BIND_PORT_LEADER (bind.port.leader): \"x\" is "
	    "not a port number (1-65535)");
	unsetenv("BIND_PORT_LEADER");
	cli_clear(&cli);

	{
		char	*argv[] = { "tcm", "-f", (char *)path,
		    "--server.port", "70000", NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(config_load(&cfg, &cli, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "--server.port: \"70000\" is not a port number (1-65535)");
	cli_clear(&cli);

	{
		char	*argv[] = { "tcm", "-f", (char *)path,
		    "--bind.port.follower", "9852", NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(config_load(&cfg, &cli, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "bind.port.leader and bind.port.follower are both 9852");
	ck_assert_ptr_null(cfg.id);
	cli_clear(&cli);
}
END_TEST

START_TEST(test_missing_required)
{
	struct config	cfg;
	char		err[ERRLEN];

	config_init(&cfg);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missing required options: --id (SERVICE_ID), "
	    "--advertise (ADVERTISE), --server.port (SERVER_PORT), "
	    "--bind.port.leader (BIND_PORT_LEADER), --bind.port.follower "
	    "(BIND_PORT_FOLLOWER)");
	config_clear(&cfg);

	ck_assert_int_eq(parse(&cfg, "advertise a\nbind.port.leader 1\n", err),
	    0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missing required options: --id (SERVICE_ID), "
	    "--server.port (SERVER_PORT), --bind.port.follower "
	    "(BIND_PORT_FOLLOWER)");
	config_clear(&cfg);

	ck_assert_int_eq(parse(&cfg, base_conf, err), 0);
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
	config_clear(&cfg);

	/* A cleared config is refused, not dereferenced. */
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_eq(strstr(err, "missing required options: --id "), err);
}
END_TEST

/* Validate W, R and B given as "addr port" each; NULL msg: must pass. */
static void
listeners(const char *w, const char *r, const char *b, const char *msg)
{
	char	text[512], wa[64], ra[64], ba[64];
	int	wp, rp, bp;

	ck_assert_int_eq(sscanf(w, "%63s %d", wa, &wp), 2);
	ck_assert_int_eq(sscanf(r, "%63s %d", ra, &rp), 2);
	ck_assert_int_eq(sscanf(b, "%63s %d", ba, &bp), 2);
	snprintf(text, sizeof(text),
	    "bind.addr.leader %s\nbind.port.leader %d\n"
	    "bind.addr.follower %s\nbind.port.follower %d\n"
	    "bind.addr.bridge %s\nbind.port.bridge %d\n",
	    wa, wp, ra, rp, ba, bp);
	if (msg != NULL)
		expect_validate_error(base_ids, text, msg);
	else
		expect_valid(base_ids, text);
}

START_TEST(test_port_clash)
{
	listeners("0.0.0.0 9852", "0.0.0.0 9852", "127.0.0.1 0",
	    "bind.port.leader and bind.port.follower are both 9852");
	listeners("0.0.0.0 9852", "0.0.0.0 9853", "127.0.0.1 9852",
	    "bind.port.leader and bind.port.bridge are both 9852");
	listeners("10.0.0.1 9852", "127.0.0.1 9853", "127.0.0.1 9853",
	    "bind.port.follower and bind.port.bridge are both 9853");
	/* A wildcard covers every address of its family. */
	listeners("10.0.0.1 9852", "0.0.0.0 9852", "127.0.0.1 0",
	    "bind.port.leader and bind.port.follower are both 9852");
	listeners("10.0.0.1 9852", "10.0.0.1 9852", "127.0.0.1 0",
	    "bind.port.leader and bind.port.follower are both 9852");
	listeners(":: 9852", "::1 9852", "127.0.0.1 0",
	    "bind.port.leader and bind.port.follower are both 9852");
	/* Equal as addresses, not as text. */
	listeners("::1 9852", "0:0::1 9852", "127.0.0.1 0",
	    "bind.port.leader and bind.port.follower are both 9852");
	listeners("0.0.0.0 9852", ":: 9853", "::1 9853",
	    "bind.port.follower and bind.port.bridge are both 9853");

	/* Distinct addresses, or different families, may share a port. */
	listeners("10.0.0.1 9852", "10.0.0.2 9852", "127.0.0.1 9852", NULL);
	listeners("10.0.0.1 9852", "10.0.0.2 9853", "127.0.0.2 9853", NULL);
	listeners("0.0.0.0 9852", ":: 9852", "127.0.0.1 0", NULL);
	listeners(":: 9852", ":: 9853", "127.0.0.1 9852", NULL);
	/* Port 0 is ephemeral and never clashes. */
	listeners("0.0.0.0 9852", "0.0.0.0 9853", "127.0.0.1 0", NULL);
}
END_TEST

START_TEST(test_validate_other)
{
	expect_validate_error(base_conf,
	    "service.name.leader same\n"
	    "service.name.follower same\n",
	    "service.name.leader and service.name.follower are both \"same\"");
	expect_validate_error(base_conf,
	    "consul.client.cert /c.pem\n",
	    "consul.client.cert and consul.client.key must be set together");
	expect_validate_error(base_conf,
	    "consul.client.key /k.pem\n",
	    "consul.client.cert and consul.client.key must be set together");
	expect_valid(base_conf,
	    "consul.client.cert /c.pem\nconsul.client.key /k.pem\n");
	expect_valid(base_conf,
	    "service.name.leader w\nservice.name.follower r\n");
}
END_TEST

/*
 * server.socket: an absolute path a UNIX socket holds; with it the server
 * needs no port, and a child's text leaves the unset port out.
 */
START_TEST(test_server_socket)
{
	static const char	 noport[] = "id n\nadvertise a\n"
	    "bind.port.leader 2\nbind.port.follower 3\n";
	struct config		 cfg, child;
	char			 err[ERRLEN], *text, path[200];

	expect_validate_error(base_conf, "server.socket run/t.sock\n",
	    "server.socket: \"run/t.sock\" is not an absolute path");
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[108] = '\0';
	snprintf(err, sizeof(err), "server.socket %s\n", path);
	expect_validate_error(base_conf, err, "server.socket: a path of 108 "
	    "bytes, longer than a UNIX socket's 107");
	path[107] = '\0';
	snprintf(err, sizeof(err), "server.socket %s\n", path);
	expect_valid(base_conf, err);

	ck_assert_int_eq(parse(&cfg, noport, err), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--server.port (SERVER_PORT)"));
	config_clear(&cfg);
	ck_assert_int_eq(parse(&cfg, noport, err), 0);
	ck_assert_int_eq(config_set(&cfg, opt_lookup("server.socket"),
	    "/run/tile38/t.sock", err, sizeof(err)), 0);
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(text = config_serialize_for(&cfg, PROC_WRITER));
	ck_assert_ptr_null(strstr(text, "server.port"));
	ck_assert_ptr_nonnull(strstr(text, "server.socket /run/tile38/t.sock"));
	ck_assert_int_eq(parse(&child, text, err), 0);
	ck_assert_msg(config_validate(&child, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_uint_eq(child.server_port, 0);
	config_text_free(text);
	config_clear(&child);
	config_clear(&cfg);
}
END_TEST

/* A value of n copies of c, for options that take any text. */
static char *
filled(size_t n, int c)
{
	char	*v;

	ck_assert_ptr_nonnull(v = malloc(n + 1));
	memset(v, c, n);
	v[n] = '\0';
	return v;
}

/* Set key to n copies of c, or of "read " for a command list. */
static void
set_filled(struct config *cfg, const char *key, size_t n, int c)
{
	char	 err[ERRLEN], *v;
	size_t	 i;

	v = filled(n, c);
	if (strstr(key, ".commands") != NULL)
		for (i = 0; i + 5 <= n; i += 5)
			memcpy(v + i, "read ", 5);
	ck_assert_msg(config_set(cfg, opt(key), v, err, sizeof(err)) == 0,
	    "%s: %s", key, err);
	free(v);
}

static size_t
serialized_len(const struct config *cfg)
{
	char	*text;
	size_t	 len;

	ck_assert_ptr_nonnull(text = config_serialize(cfg));
	len = strlen(text);
	free(text);
	return len;
}

/*
 * Every line of the canonical text must be one the children's parser
 * reads back, measured as written (quotes and escapes included); the
 * error names the option but not its value, which may be a secret.
 */
START_TEST(test_validate_line)
{
	struct config	 cfg;
	struct cli	 cli;
	char		 err[ERRLEN], *token;
	const char	*path;
	size_t		 n = CONFIG_LINE_MAX - strlen("consul.token ");

	ck_assert_int_eq(parse(&cfg, base_conf, err), 0);
	set_filled(&cfg, "consul.token", n, 'Q');
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
	set_filled(&cfg, "consul.token", n + 1, 'Q');
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "consul.token: value of 4084 bytes, longer "
	    "than a configuration line holds (4096 bytes)");
	set_filled(&cfg, "consul.token", n, 'Q');
	/* Quoted, each '"' is written as two bytes. */
	set_filled(&cfg, "server.password", n / 2, '"');
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "server.password: value of 4084 bytes, longer "
	    "than a configuration line holds (4096 bytes)");
	config_clear(&cfg);

	/* From the environment, through the whole pipeline -n runs. */
	path = write_file("line.conf", base_conf);
	token = filled(70000, 'Q');
	setenv("CONSUL_HTTP_TOKEN", token, 1);
	free(token);
	{
		char	*argv[] = { "tcm", "-n", "-f", (char *)path, NULL };

		ck_assert_int_eq(cli_parse(&cli, ARGC(argv), argv, err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(config_load(&cfg, &cli, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "consul.token: value of 70000 bytes, longer "
	    "than a configuration line holds (4096 bytes)");
	ck_assert_ptr_null(cfg.id);
	cli_clear(&cli);
	unsetenv("CONSUL_HTTP_TOKEN");
}
END_TEST

/*
 * Lines that each fit still add up: the whole text must fit in the one
 * message that carries it to the children.  The largest that does is
 * accepted, one byte more is refused, naming the largest option.
 */
START_TEST(test_validate_size)
{
	static const char *const keys[] = { "id", "advertise",
	    "server.addr", "server.password", "consul.lock.prefix",
	    "consul.cacert", "consul.client.cert", "consul.client.key",
	    "dogstatsd.addr", "service.name.leader", "user",
	    "proxy.writer.commands", "proxy.reader.commands" };
	struct config	 cfg;
	char		 err[ERRLEN], want[ERRLEN];
	size_t		 i, n;

	ck_assert_int_eq(parse(&cfg, base_conf, err), 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		set_filled(&cfg, keys[i], strstr(keys[i], ".commands") !=
		    NULL ? 4025 : 4023, 'a' + i);
	set_filled(&cfg, "service.name.follower", 4023, 'z');
	/* Short enough that the token below outgrows the command lists. */
	set_filled(&cfg, "chroot", 3920, '/');
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);

	/* The empty token is written as "" and a long one bare. */
	n = MSG_CONFIG_TEXT_MAX - serialized_len(&cfg) + 2;
	/* Longer than the command lists, written with quotes. */
	ck_assert_uint_gt(n, 4027);
	ck_assert_uint_lt(n, CONFIG_LINE_MAX - strlen("consul.token "));
	set_filled(&cfg, "consul.token", n, 'Q');
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(serialized_len(&cfg), MSG_CONFIG_TEXT_MAX);

	set_filled(&cfg, "consul.token", n + 1, 'Q');
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "configuration too large: %zu bytes as "
	    "handed to the children, at most %zu fit in one message; the "
	    "largest option is consul.token (%zu bytes)",
	    (size_t)MSG_CONFIG_TEXT_MAX + 1, (size_t)MSG_CONFIG_TEXT_MAX, n + 1);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(strchr(err, 'Q'));
	config_clear(&cfg);
}
END_TEST

START_TEST(test_type_count)
{
	expect_set("proxy.max_connections", "1", "1");
	expect_set("proxy.max_connections", "1000000", "1000000");
	expect_set_error("proxy.max_connections", "0",
	    "proxy.max_connections: \"0\" is not a whole number from 1 to "
	    "1000000");
	expect_set_error("proxy.max_connections", "1000001",
	    "proxy.max_connections: \"1000001\" is not a whole number from 1 "
	    "to 1000000");
	expect_set_error("proxy.max_connections", "-5",
	    "proxy.max_connections: \"-5\" is not a whole number from 1 to "
	    "1000000");
	expect_set("proxy.max_handshakes", "1", "1");
	expect_set_error("proxy.max_handshakes", "0",
	    "proxy.max_handshakes: \"0\" is not a whole number from 1 to "
	    "1000000");
	/* 0: no cap per address. */
	expect_set("proxy.max_handshakes_per_source", "0", "0");
	expect_set("proxy.max_handshakes_per_source", "20", "20");
	expect_set_error("proxy.max_handshakes_per_source", "-1",
	    "proxy.max_handshakes_per_source: \"-1\" is not a whole number "
	    "from 0 to 1000000");
}
END_TEST

START_TEST(test_validate_timings)
{
	expect_validate_error(base_conf, "election.session.ttl 9s\n",
	    "election.session.ttl must be between 10s and 24h");
	expect_validate_error(base_conf, "election.session.ttl 25h\n",
	    "election.session.ttl must be between 10s and 24h");
	/* A leader must fence itself before the lock-delay runs out. */
	expect_validate_error(base_conf,
	    "election.lease 1300ms\nelection.lock.delay 1500ms\n",
	    "election.lease must be at least 250ms shorter than "
	    "election.lock.delay");
	expect_valid(base_conf,
	    "election.lease 1250ms\nelection.lock.delay 1500ms\n");
	expect_validate_error(base_conf, "election.check.ttl 100ms\n",
	    "election.lease must be at least 200ms and election.check.ttl "
	    "at least 500ms");
	/* ... and before the followers stop replicating from it. */
	expect_validate_error(base_conf,
	    "election.lease 1300ms\nelection.lock.delay 3s\n"
	    "election.check.ttl 1500ms\n",
	    "election.lease must be at least 250ms shorter than "
	    "election.check.ttl");
	expect_valid(base_conf, "election.lease 1250ms\n"
	    "election.lock.delay 3s\nelection.check.ttl 1500ms\n");
	/* A handshake timeout of 0 would close every client at once. */
	expect_validate_error(base_conf, "proxy.handshake_timeout 0\n",
	    "proxy.handshake_timeout must be at least 100ms");
	expect_validate_error(base_conf, "proxy.handshake_timeout 99ms\n",
	    "proxy.handshake_timeout must be at least 100ms");
	expect_valid(base_conf, "proxy.handshake_timeout 100ms\n");
	expect_validate_error(base_conf,
	    "server.probe.interval 1s\nserver.down.timeout 1500ms\n",
	    "server.probe.interval must be at least 50ms and "
	    "server.down.timeout at least twice as long");
}
END_TEST

/* Values chosen to stress the quoting of every type. */
static const char full_conf[] =
    "id \"node#1\"\n"
    "advertise 10.0.0.1\n"
    "server.addr tile38.local\n"
    "server.port 9851\n"
    "server.kind redis\n"
    "server.password \" pa ss \\\"w\\\\rd\"\n"
    "bind.addr.leader ::\n"
    "bind.port.leader 9852\n"
    "bind.addr.follower 10.1.1.1\n"
    "bind.port.follower 9853\n"
    "bind.addr.bridge 127.0.0.2\n"
    "bind.port.bridge 9854\n"
    "consul.addr https://[::1]:8501\n"
    "consul.lock.prefix a\\b\n"
    "consul.token \"\"\n"
    "consul.cacert \"/etc/consul ca.pem\"\n"
    "consul.client.cert \"caf\xc3\xa9.pem\"\n"
    "consul.client.key k.pem\n"
    "dogstatsd.addr dd\n"
    "dogstatsd.port 1\n"
    "service.manage on\n"
    "service.name.leader w\n"
    "service.name.follower r\n"
    "user nobody\n"
    "chroot \"\"\n"
    "log.level debug\n"
    "shutdown.timeout 1h1m1s1ms\n";

START_TEST(test_serialize_roundtrip)
{
	struct config	 a, b, c;
	char		 err[ERRLEN];
	char		*text, *again;
	size_t		 i;

	ck_assert_msg(parse(&a, full_conf, err) == 0, "parse: %s", err);
	ck_assert_msg(config_validate(&a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(a.consul_ssl, 1);
	ck_assert_ptr_nonnull(text = config_serialize(&a));

	ck_assert_msg(parse(&b, text, err) == 0, "reparse: %s\n%s", err, text);
	for (i = 0; i < opt_count; i++)
		ck_assert_msg(!config_differs(&a, &b, &opt_table[i]),
		    "%s differs after the round trip", opt_table[i].key);
	/* Canonical text is a fixed point. */
	ck_assert_ptr_nonnull(again = config_serialize(&b));
	ck_assert_str_eq(text, again);
	free(again);

	/* Also from the defaults, with nothing special set. */
	ck_assert_int_eq(parse(&c, base_conf, err), 0);
	free(text);
	ck_assert_ptr_nonnull(text = config_serialize(&c));
	config_clear(&b);
	ck_assert_msg(parse(&b, text, err) == 0, "reparse: %s", err);
	for (i = 0; i < opt_count; i++)
		ck_assert_msg(!config_differs(&c, &b, &opt_table[i]),
		    "%s differs after the round trip", opt_table[i].key);

	free(text);
	config_clear(&a);
	config_clear(&b);
	config_clear(&c);
}
END_TEST

/* Each child's text holds the options it uses and validates on its own. */
START_TEST(test_serialize_for)
{
	struct config		 a, b, d;
	const struct opt_def	*opt;
	char			 err[ERRLEN], key[64];
	char			*text;
	size_t			 i;
	int			 k, used;

	ck_assert_msg(parse(&a, full_conf, err) == 0, "parse: %s", err);
	ck_assert_int_eq(config_set(&a, opt_lookup("consul.token"), "s3cret",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&a, opt_lookup("proxy.writer.grant"),
	    "ops: +FLUSHDB", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&a, opt_lookup("dogstatsd.interval"),
	    "2s", err, sizeof(err)), 0);
	ck_assert_msg(config_validate(&a, err, sizeof(err)) == 0, "%s", err);
	config_init(&d);

	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		ck_assert_ptr_nonnull(text = config_serialize_for(&a, k));
		ck_assert_msg(parse(&b, text, err) == 0, "%s: %s",
		    proc_name(k), err);
		ck_assert_msg(config_validate(&b, err, sizeof(err)) == 0,
		    "%s: %s", proc_name(k), err);
		for (i = 0; i < opt_count; i++) {
			opt = &opt_table[i];
			used = opt_used_by(opt, k);
			ck_assert_msg(!config_differs(used ? &a : &d, &b, opt),
			    "%s: %s", proc_name(k), opt->key);
			/* A line of its own, or none. */
			snprintf(key, sizeof(key), "\n%s ", opt->key);
			ck_assert_msg(used == (strncmp(text, key + 1,
			    strlen(key + 1)) == 0 || strstr(text, key) != NULL),
			    "%s: %s", proc_name(k), opt->key);
		}
		ck_assert_int_eq(strstr(text, "s3cret") != NULL,
		    k == PROC_ELECTOR);
		ck_assert_int_eq(strstr(text, "pa ss") != NULL,
		    k == PROC_ELECTOR);
		config_text_free(text);
		config_clear(&b);
	}
	config_clear(&a);
	config_clear(&d);
}
END_TEST

/*
 * What goes where: a required option to every child (each validates its
 * own configuration), a secret to the elector alone.
 */
START_TEST(test_option_users)
{
	const struct opt_def	*opt;
	size_t			 i;

	for (i = 0; i < opt_count; i++) {
		opt = &opt_table[i];
		if (opt->flags & OPT_REQUIRED)
			ck_assert_msg((opt->flags & OPT_USERS) == 0, "%s",
			    opt->key);
		if (opt->flags & OPT_SECRET)
			ck_assert_msg((opt->flags & OPT_USERS) == OPT_ELECTOR,
			    "%s", opt->key);
		ck_assert(opt_used_by(opt, PROC_SUPERVISOR));
	}
	ck_assert(opt_used_by(opt_lookup("proxy.hold.timeout"), PROC_BRIDGE));
	ck_assert(!opt_used_by(opt_lookup("proxy.hold.timeout"),
	    PROC_ELECTOR));
	ck_assert(opt_used_by(opt_lookup("user"), PROC_ADMIN));
	ck_assert(!opt_used_by(opt_lookup("consul.token"), PROC_ADMIN));
}
END_TEST

/* ps shows the command line, never a secret's value. */
START_TEST(test_cli_title)
{
	struct cli	cli;
	char		err[ERRLEN], title[256];
	char		*argv[] = { "tcm", "-d", "--consul.token", "t0k",
	    "--id=x", "--server.password=pw", "-consul.token=t1", "-f",
	    "a.conf", NULL };

	ck_assert_msg(cli_parse(&cli, ARGC(argv), argv, err,
	    sizeof(err)) == 0, "%s", err);
	cli_title(&cli, ARGC(argv), argv, title, sizeof(title));
	ck_assert_str_eq(title, "tcm -d --consul.token ******** --id=x "
	    "--server.password=******** -consul.token=******** -f a.conf");
	cli_title(&cli, ARGC(argv), argv, title, 12);
	ck_assert_str_eq(title, "tcm -d --co");
	cli_clear(&cli);
}
END_TEST

static char *
print_to_string(const struct config *cfg, int redact)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	config_print(cfg, fp, redact);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

START_TEST(test_print)
{
	struct config	 cfg;
	char		 err[ERRLEN];
	char		*out, *plain;
	size_t		 i, lines = 0;

	ck_assert_int_eq(parse(&cfg, full_conf, err), 0);
	out = print_to_string(&cfg, 1);
	ck_assert_ptr_nonnull(strstr(out,
	    "id \"node#1\"\nadvertise 10.0.0.1\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nserver.password \"********\"\n"));
	ck_assert_ptr_null(strstr(out, "pa ss"));
	/* An empty secret is shown as empty, not as set. */
	ck_assert_ptr_nonnull(strstr(out, "\nconsul.token \"\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nconsul.addr [::1]:8501\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nconsul.ssl true\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nconsul.lock.prefix \"a\\\\b\"\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\nconsul.cacert \"/etc/consul ca.pem\"\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\nconsul.client.cert \"caf\xc3\xa9.pem\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nservice.manage true\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nserver.kind redis\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nlog.level debug\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nchroot \"\"\n"));
	ck_assert_int_eq(strcmp(out + strlen(out) -
	    strlen("shutdown.timeout 3661001ms\n"),
	    "shutdown.timeout 3661001ms\n"), 0);
	/* One line per option, in table order. */
	for (i = 0; out[i] != '\0'; i++)
		lines += out[i] == '\n';
	ck_assert_int_eq(lines, opt_count);
	ck_assert_int_eq(strncmp(out, "id ", 3), 0);

	plain = print_to_string(&cfg, 0);
	ck_assert_ptr_nonnull(strstr(plain,
	    "\nserver.password \" pa ss \\\"w\\\\rd\"\n"));
	free(plain);
	free(out);

	/* Secrets that are set but empty elsewhere. */
	config_clear(&cfg);
	ck_assert_int_eq(parse(&cfg, "consul.token t0k\n", err), 0);
	out = print_to_string(&cfg, 1);
	ck_assert_ptr_nonnull(strstr(out, "\nserver.password \"\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nconsul.token \"********\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nshutdown.timeout 15s\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nbind.port.bridge 0\n"));
	ck_assert_ptr_null(strstr(out, "t0k"));
	free(out);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_differs_value_text)
{
	struct config	 a, b;
	char		 err[ERRLEN], *s;
	size_t		 i;

	ck_assert_int_eq(parse(&a, base_conf, err), 0);
	ck_assert_int_eq(config_copy(&b, &a), 0);
	ck_assert_ptr_ne(a.id, b.id);
	for (i = 0; i < opt_count; i++)
		ck_assert_int_eq(config_differs(&a, &b, &opt_table[i]), 0);

	ck_assert_int_eq(config_set(&b, opt("shutdown.timeout"), "15000ms",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_differs(&a, &b, opt("shutdown.timeout")), 0);
	ck_assert_int_eq(config_set(&b, opt("shutdown.timeout"), "16s",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&b, opt("id"), "node-2", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&b, opt("service.manage"), "true", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&b, opt("server.kind"), "redis", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&b, opt("bind.port.bridge"), "1", err,
	    sizeof(err)), 0);
	for (i = 0; i < opt_count; i++) {
		const char	*k = opt_table[i].key;
		int		 want;

		want = strcmp(k, "shutdown.timeout") == 0 ||
		    strcmp(k, "id") == 0 || strcmp(k, "service.manage") == 0 ||
		    strcmp(k, "server.kind") == 0 ||
		    strcmp(k, "bind.port.bridge") == 0;
		ck_assert_msg(config_differs(&a, &b, &opt_table[i]) == want,
		    "%s", k);
	}

	s = config_value_text(&b, opt("shutdown.timeout"));
	ck_assert_str_eq(s, "16s");
	free(s);
	s = config_value_text(&b, opt("server.kind"));
	ck_assert_str_eq(s, "redis");
	free(s);
	s = config_value_text(&b, opt("service.manage"));
	ck_assert_str_eq(s, "true");
	free(s);
	/* Unquoted, even where the file form needs quotes. */
	s = config_value_text(&b, opt("server.password"));
	ck_assert_str_eq(s, "");
	free(s);

	/* An unset required option differs from a set one. */
	config_clear(&a);
	config_init(&a);
	ck_assert_int_eq(config_differs(&a, &b, opt("id")), 1);
	ck_assert_int_eq(config_differs(&a, &a, opt("id")), 0);
	s = config_value_text(&a, opt("id"));
	ck_assert_str_eq(s, "");
	free(s);
	config_clear(&a);
	config_clear(&b);
}
END_TEST

#define USAGE_LINE \
	"usage: tile38-cluster-manager [-dnv] [-f file] [--option value ...]\n"

START_TEST(test_usage)
{
	FILE	*fp;
	char	*buf = NULL, *line, *p, needle[128];
	size_t	 len = 0, i;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	config_usage(fp, "tile38-cluster-manager");
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(strncmp(buf, USAGE_LINE, strlen(USAGE_LINE)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\n  -d "));
	ck_assert_ptr_nonnull(strstr(buf, "\n  -n "));
	ck_assert_ptr_nonnull(strstr(buf, "\n  -v "));
	ck_assert_ptr_nonnull(strstr(buf, "\n  -f file "));
	ck_assert_ptr_nonnull(strstr(buf, "\n  --help "));
	ck_assert_ptr_nonnull(strstr(buf, "\n  --version "));
	ck_assert_ptr_nonnull(strstr(buf, CONFIG_FILE_DEFAULT));
	/* Flag, env var and default on one line; the help text follows. */
	for (i = 0; i < opt_count; i++) {
		snprintf(needle, sizeof(needle), "\n  --%s ", opt_table[i].key);
		ck_assert_msg((line = strstr(buf, needle)) != NULL, "%s",
		    opt_table[i].key);
		line++;
		*strchr(line, '\n') = '\0';
		if (opt_table[i].env != NULL)
			ck_assert_msg(strstr(line, opt_table[i].env) != NULL,
			    "%s", line);
		if (opt_table[i].def == NULL)
			ck_assert_msg(strstr(line, "(required)") != NULL,
			    "%s", line);
		else {
			snprintf(needle, sizeof(needle), "(default %s",
			    *opt_table[i].def == '\0' ? "\"\"" :
			    opt_table[i].def);
			ck_assert_msg((p = strstr(line, needle)) != NULL, "%s",
			    line);
			p += strlen(needle);
			ck_assert_msg(*p == ')' || *p == ';', "%s", line);
		}
		ck_assert_ptr_nonnull(strstr(line + strlen(line) + 1,
		    opt_table[i].help));
		line[strlen(line)] = '\n';
	}
	free(buf);
}
END_TEST

START_TEST(test_cli_forms)
{
	struct cli	cli;
	char		err[ERRLEN];
	char		*argv[] = { "tcm", "-nv", "-v", "-d", "-f", "x.conf",
	    "--id", "a", "--advertise=b", "-server.port", "1",
	    "-bind.port.leader=2", "--service.manage", "-consul.ssl=false",
	    "--server.password=", "--server.password", "-p", "-P", "elector",
	    "--", NULL };
	char		*argv2[] = { "tcm", "--help", "--version", "-h", NULL };
	char		*argv3[] = { "tcm", "-V", "-fother.conf", NULL };

	ck_assert_msg(cli_parse(&cli, ARGC(argv), argv, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cli.check, 1);
	ck_assert_int_eq(cli.verbose, 2);
	ck_assert_int_eq(cli.foreground, 1);
	ck_assert_str_eq(cli.conffile, "x.conf");
	ck_assert_str_eq(cli.proc, "elector");
	ck_assert_int_eq(cli.help, 0);
	ck_assert_int_eq(cli.version, 0);
	ck_assert_int_eq(cli.nvalues, 8);
	ck_assert_str_eq(cli.values[0].opt->key, "id");
	ck_assert_str_eq(cli.values[0].value, "a");
	ck_assert_str_eq(cli.values[1].opt->key, "advertise");
	ck_assert_str_eq(cli.values[1].value, "b");
	ck_assert_str_eq(cli.values[2].opt->key, "server.port");
	ck_assert_str_eq(cli.values[2].value, "1");
	ck_assert_str_eq(cli.values[3].opt->key, "bind.port.leader");
	ck_assert_str_eq(cli.values[3].value, "2");
	ck_assert_str_eq(cli.values[4].opt->key, "service.manage");
	ck_assert_str_eq(cli.values[4].value, "true");
	ck_assert_str_eq(cli.values[5].opt->key, "consul.ssl");
	ck_assert_str_eq(cli.values[5].value, "false");
	ck_assert_str_eq(cli.values[6].value, "");
	/* A value may start with a dash. */
	ck_assert_str_eq(cli.values[7].opt->key, "server.password");
	ck_assert_str_eq(cli.values[7].value, "-p");
	cli_clear(&cli);
	ck_assert_int_eq(cli.nvalues, 0);
	ck_assert_ptr_null(cli.values);

	/* Called again: getopt starts over. */
	ck_assert_int_eq(cli_parse(&cli, ARGC(argv2), argv2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cli.help, 1);
	ck_assert_int_eq(cli.version, 1);
	ck_assert_int_eq(cli.nvalues, 0);
	cli_clear(&cli);
	ck_assert_int_eq(cli_parse(&cli, ARGC(argv3), argv3, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cli.version, 1);
	ck_assert_str_eq(cli.conffile, "other.conf");
	cli_clear(&cli);
}
END_TEST

static void
expect_cli_error(int argc, char **argv, const char *msg)
{
	struct cli	cli;
	char		err[ERRLEN] = "";

	ck_assert_msg(cli_parse(&cli, argc, argv, err, sizeof(err)) == -1,
	    "accepted %s", argv[1]);
	ck_assert_str_eq(err, msg);
	/* Left cleared on error. */
	ck_assert_int_eq(cli.nvalues, 0);
	ck_assert_ptr_null(cli.values);
}

START_TEST(test_cli_errors)
{
	char	*a1[] = { "tcm", "--id", "x", "--foo", "1", NULL };
	char	*a2[] = { "tcm", "--id", NULL };
	char	*a3[] = { "tcm", "--id", "x", "stray", NULL };
	char	*a4[] = { "tcm", "-foo", NULL };
	char	*a5[] = { "tcm", "-nx", NULL };
	char	*a6[] = { "tcm", "-f", NULL };
	char	*a7[] = { "tcm", "--adv", "x", NULL };
	char	*a8[] = { "tcm", "--help=1", NULL };
	char	*a9[] = { "tcm", "--service.manage", "false", NULL };
	char	*a10[] = { "tcm", "--bind.port", "1", NULL };
	char	*a11[] = { "tcm", "--foo=bar", NULL };
	char	*a12[] = { "tcm", "-n", "--", "x", NULL };
	char	*a13[] = { "tcm", "-id", NULL };

	expect_cli_error(ARGC(a1), a1, "unknown option \"--foo\" (see --help)");
	expect_cli_error(ARGC(a2), a2, "option --id needs a value");
	expect_cli_error(ARGC(a3), a3, "unexpected argument \"stray\"");
	/* "-foo" would be "-f oo" to getopt; -f is short, foo is not. */
	expect_cli_error(ARGC(a5), a5, "unknown option \"-x\" (see --help)");
	expect_cli_error(ARGC(a6), a6, "option -f needs a value");
	expect_cli_error(ARGC(a7), a7, "unknown option \"--adv\" (see --help)");
	expect_cli_error(ARGC(a8), a8, "option --help takes no value");
	expect_cli_error(ARGC(a9), a9, "unexpected argument \"false\"");
	expect_cli_error(ARGC(a10), a10,
	    "unknown option \"--bind.port\" (see --help)");
	expect_cli_error(ARGC(a11), a11,
	    "unknown option \"--foo\" (see --help)");
	expect_cli_error(ARGC(a12), a12, "unexpected argument \"x\"");
	expect_cli_error(ARGC(a13), a13, "option --id needs a value");
	{
		struct cli	cli;
		char		err[ERRLEN];

		ck_assert_int_eq(cli_parse(&cli, ARGC(a4), a4, err,
		    sizeof(err)), 0);
		ck_assert_str_eq(cli.conffile, "oo");
		cli_clear(&cli);
	}
}
END_TEST

/* Only what a source sets counts as given; defaults do not. */
START_TEST(test_given)
{
	struct config	 cfg;
	char		 err[256];

	config_init(&cfg);
	ck_assert(!config_given(&cfg, "user"));
	ck_assert(!config_given(&cfg, "chroot"));
	ck_assert_int_eq(config_parse_text(&cfg, "user tile38cm\n", "t", err,
	    sizeof(err)), 0);
	ck_assert(config_given(&cfg, "user"));
	ck_assert(!config_given(&cfg, "chroot"));
	ck_assert(!config_given(&cfg, "no.such.key"));
	config_clear(&cfg);
}
END_TEST

Suite *
config_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");

	tc = tcase_create("types");
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_type_string);
	tcase_add_test(tc, test_type_name);
	tcase_add_test(tc, test_type_addr);
	tcase_add_test(tc, test_type_loopback);
	tcase_add_test(tc, test_type_port);
	tcase_add_test(tc, test_type_bool);
	tcase_add_test(tc, test_type_duration);
	tcase_add_test(tc, test_type_enum);
	tcase_add_test(tc, test_error_value_shown_safely);
	tcase_add_test(tc, test_consul_addr);
	tcase_add_test(tc, test_consul_addr_cli);
	tcase_add_loop_test(tc, test_consul_ssl_sources, 0,
	    sizeof(ssl_rows) / sizeof(ssl_rows[0]));
	tcase_add_test(tc, test_consul_ssl_set);
	suite_add_tcase(s, tc);

	tc = tcase_create("sources");
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, test_file_syntax);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_port_clash);
	tcase_add_test(tc, test_validate_other);
	tcase_add_test(tc, test_validate_timings);
	tcase_add_test(tc, test_validate_line);
	tcase_add_test(tc, test_validate_size);
	tcase_add_test(tc, test_type_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, test_serialize_roundtrip);
	tcase_add_test(tc, test_serialize_for);
	tcase_add_test(tc, test_server_socket);
	tcase_add_test(tc, test_option_users);
	tcase_add_test(tc, test_cli_title);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_differs_value_text);
	tcase_add_test(tc, test_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, test_cli_forms);
	tcase_add_test(tc, test_cli_errors);
	tcase_add_test(tc, test_given);
	suite_add_tcase(s, tc);

	return s;
}
