/*
 * tile38-clusterctl: the control tool.  It sends one command line to the
 * daemon's control socket and prints the JSON answer, as text or as is.
 *
 * Exit status: 0 done, 1 the command failed, 2 usage, 3 the daemon is
 * not running, 4 access denied.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "ctl_path.h"

#define ANSWER_MAX		(1024 * 1024)

static void
usage(void)
{
	fprintf(stderr, "usage: tile38-clusterctl [-j] [-s socket | --id id] command\n"
	    "commands: status, peers, list, history, switchover [--to id],\n"
	    "          pause, resume, reload, log verbose|brief\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char		*path;
	struct json_object	*o, *ok;
	char			 line[512], *buf;
	ssize_t			 n;
	int			 ch, json = 0, fd, i;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "id", required_argument, NULL, 'i' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char		*to = NULL, *id = NULL;
	char			 found[CTL_PATH_MAX];

	path = NULL;
	while ((ch = getopt_long(argc, argv, "+js:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			path = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	/* switchover --to ID may also come after the command */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[0], "log") != 0 || i > 1)
			usage();
	if (strcmp(argv[0], "log") == 0 && argc != 2)
		usage();
	/* list and history only read: they take nothing. */
	if ((strcmp(argv[0], "list") == 0 ||
	    strcmp(argv[0], "history") == 0) && (argc != 1 || to != NULL))
		usage();
	if ((size_t)snprintf(line, sizeof(line), "%s%s%s\n", argv[0],
	    argc == 2 && strcmp(argv[0], "log") == 0 ? " " : to ? " " : "",
	    strcmp(argv[0], "log") == 0 ? argv[1] : to ? to : "") >=
	    sizeof(line))
		usage();

	path = ctl_socket_find(path, id, found, sizeof(found));
	if ((fd = ctl_connect(path)) == -1) {
		fprintf(stderr, "tile38-clusterctl: %s: %s\n", path,
		    strerror(errno));
		return errno == EACCES || errno == EPERM ? 4 : 3;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "tile38-clusterctl: write: %s\n",
		    strerror(errno));
		return 3;
	}
	if ((buf = malloc(ANSWER_MAX + 1)) == NULL)
		return 1;
	n = ctl_answer(fd, json, buf, ANSWER_MAX);
	close(fd);
	if (n == 0) {
		fprintf(stderr, "tile38-clusterctl: %s: access denied\n", path);
		return 4;
	}
	if ((o = json_tokener_parse(buf)) == NULL) {
		fprintf(stderr, "tile38-clusterctl: malformed answer\n");
		return 1;
	}
	if (json)
		fputs(buf, stdout);
	else
		ctl_print(argv[0], o);
	i = json_object_object_get_ex(o, "ok", &ok) &&
	    json_object_get_boolean(ok) ? 0 : 1;
	if (json_object_object_get_ex(o, "denied", &ok) &&
	    json_object_get_boolean(ok))
		i = 4;
	json_object_put(o);
	free(buf);
	return i;
}
