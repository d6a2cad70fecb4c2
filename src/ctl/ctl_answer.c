/*
 * tile38-clusterctl reading the daemon's answer to its one request: the
 * progress notes of a request under way (a switchover's steps), printed
 * as they come unless -j asked for the answer alone, then the answer
 * itself for clusterctl.c to parse and print.  Apart from main() so that
 * it links into the unit tests.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"

/* A {"progress":true,"text":...} line: a step of a request under way. */
static int
ctl_note(const char *line, int json)
{
	struct json_object	*o, *v;
	int			 note;

	if ((o = json_tokener_parse(line)) == NULL)
		return 0;
	note = json_object_object_get_ex(o, "progress", &v) &&
	    json_object_get_boolean(v);
	/* -j prints the answer alone, as it always has. */
	if (note && !json && json_object_object_get_ex(o, "text", &v)) {
		printf("%s\n", json_object_get_string(v));
		fflush(stdout);
	}
	json_object_put(o);
	return note;
}

/*
 * Read the answer into buf (cap bytes and a NUL), printing the notes that
 * come before it as they come.  Returns its length, 0 when there is none.
 */
ssize_t
ctl_answer(int fd, int json, char *buf, size_t cap)
{
	size_t	 len = 0, linelen;
	ssize_t	 n;
	char	*nl;

	for (;;) {
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (!ctl_note(buf, json)) {
				*nl = '\n';
				break;
			}
			linelen = (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, len - linelen + 1);
			len -= linelen;
		}
		if (nl != NULL || len >= cap)
			break;
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
	}
	/* The rest of the answer, if the socket holds more of it. */
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return (ssize_t)len;
}
