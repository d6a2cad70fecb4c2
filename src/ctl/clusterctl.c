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
#include "ctl_cmd.h"
#include "ctl_path.h"

#define ANSWER_MAX		(1024 * 1024)

/* The commands from ctl_cmd.c's table, wrapped as the terminal likes. */
static void
usage(void)
{
	const struct ctl_cmd	*c;
	char			 one[64];
	size_t			 i, col;

	fprintf(stderr, "usage: tile38-clusterctl [-j] [-s socket | --id id]"
	    " command\ncommands:");
	col = strlen("commands:");
	for (i = 0; (c = ctl_cmd_at(i)) != NULL; i++) {
		snprintf(one, sizeof(one), " %s%s%s%s", c->name,
		    c->arg == CTL_ARG_TO ? " [--to id]" : "",
		    c->arg == CTL_ARG_WORD ? " " : "",
		    c->arg == CTL_ARG_WORD ? c->words : "");
		if (col + strlen(one) + 1 > 72) {
			fprintf(stderr, "\n         ");
			col = strlen("commands:");
		}
		col += fprintf(stderr, "%s%s", one, ctl_cmd_at(i + 1) ? "," :
		    "\n");
	}
	exit(2);
}

/*
 * The line the daemon reads: the command and its argument, as its row
 * says it takes one; NULL (usage) for anything else.
 */
static const char *
ctl_line(int argc, char **argv, const char *to, char *line, size_t len)
{
	const struct ctl_cmd	*c;
	const char		*arg = "";
	int			 i;

	if ((c = ctl_cmd_lookup(argv[0])) == NULL)
		return NULL;
	switch (c->arg) {
	case CTL_ARG_NONE:
		if (argc != 1 || to != NULL)
			return NULL;
		break;
	case CTL_ARG_TO:
		/* switchover --to ID may also come after the command */
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--to") != 0 || i + 1 >= argc)
				return NULL;
			to = argv[++i];
		}
		arg = to != NULL ? to : "";
		break;
	case CTL_ARG_WORD:
		if (argc != 2 || to != NULL)
			return NULL;
		arg = argv[1];
		break;
	}
	if ((size_t)snprintf(line, len, "%s%s%s\n", c->name,
	    arg[0] != '\0' ? " " : "", arg) >= len)
		return NULL;
	return line;
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
	if (argc < 1 || ctl_line(argc, argv, to, line, sizeof(line)) == NULL)
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
