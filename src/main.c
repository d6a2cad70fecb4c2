/*
 * tile38-cluster-manager: one sidecar per Tile38 (or Redis) server that
 * makes a set of them one highly available database in a Consul Connect
 * mesh.
 *
 * main() has one shape for every process: log to stderr, parse the
 * command line, hand "-P <kind>" to that child's entry point, otherwise
 * load the configuration, stop after -n, check privileges and run the
 * supervisor.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "admin/admin.h"
#include "elector/elector.h"
#include "log.h"
#include "proto.h"
#include "proxy/proxy.h"
#include "sandbox.h"
#include "supervisor/supervisor.h"

extern char	**environ;

static int
run_child(const struct cli *cli)
{
	int	kind = proc_lookup(cli->proc);

	if (kind == PROC_ELECTOR)
		return elector_main(cli->foreground, cli->verbose);
	if (PROC_IS_PROXY(kind))
		return proxy_main(kind, cli->foreground, cli->verbose);
	if (kind == PROC_ADMIN)
		return admin_main(cli->foreground, cli->verbose);
	fprintf(stderr, "tile38-cluster-manager: -P: unknown process \"%s\"\n",
	    cli->proc);
	return 1;
}

int
main(int argc, char **argv)
{
	struct cli	 cli;
	struct config	 cfg;
	char		 err[1024], self[PATH_MAX], dir[PATH_MAX], title[4096];
	ssize_t		 n;
	int		 rv;

	setproctitle_init(argc, argv, environ);
	log_init(1, LOG_LEVEL_INFO);

	if (cli_parse(&cli, argc, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "tile38-cluster-manager: %s\n", err);
		return EX_CONFIG;
	}
	if (cli.help) {
		config_usage(stdout, "tile38-cluster-manager");
		cli_clear(&cli);
		return 0;
	}
	if (cli.version) {
		printf("tile38-cluster-manager %s (protocol %d)\n",
		    PACKAGE_VERSION, PROTO_VERSION);
		cli_clear(&cli);
		return 0;
	}
	if (cli.proc != NULL) {
		rv = run_child(&cli);
		cli_clear(&cli);
		return rv;
	}
	/* What ps shows of us: the command line without its secrets. */
	cli_title(&cli, argc, argv, title, sizeof(title));
	setproctitle("-%s", title);

	if (config_load(&cfg, &cli, err, sizeof(err)) == -1) {
		fprintf(stderr, "tile38-cluster-manager: %s\n", err);
		cli_clear(&cli);
		return EX_CONFIG;
	}
	if (cli.check) {
		if (cli.verbose)
			config_print(&cfg, stdout, 1);
		fprintf(stderr, "configuration OK\n");
		config_clear(&cfg);
		cli_clear(&cli);
		return 0;
	}

	/* Children drop to this user; catch a missing one before we start. */
	sandbox_defaults(&cfg, 1);
	/* The proxies' is the server socket's directory, when there is one. */
	if (geteuid() == 0 && (sandbox_check(cfg.user, cfg.chroot, err,
	    sizeof(err)) == -1 || sandbox_check(cfg.user, sandbox_root(&cfg,
	    PROC_WRITER, dir, sizeof(dir)), err, sizeof(err)) == -1)) {
		fprintf(stderr, "tile38-cluster-manager: %s\n", err);
		config_clear(&cfg);
		cli_clear(&cli);
		return EX_CONFIG;
	}
	/* Children are exec'd from this very binary, wherever it lives. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';

	log_init(cli.foreground, cli.verbose ? LOG_LEVEL_DEBUG :
	    cfg.log_level);
	rv = supervisor_main(&cli, &cfg, self);
	cli_clear(&cli);
	return rv;
}
