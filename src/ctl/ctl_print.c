/*
 * tile38-clusterctl's answers as text for people; -j prints them as they
 * come.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"

/* "key: value" lines, nested keys joined with dots. */
static void
print_text(const char *prefix, struct json_object *o)
{
	char	key[256];
	size_t	i;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			if (prefix[0] == '\0' && strcmp(k, "ok") == 0)
				continue;
			snprintf(key, sizeof(key), "%s%s%s", prefix,
			    prefix[0] != '\0' ? "." : "", k);
			print_text(key, v);
		}
		break;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++) {
			snprintf(key, sizeof(key), "%s.%zu", prefix, i);
			print_text(key, json_object_array_get_idx(o, i));
		}
		break;
	default:
		if (strcmp(prefix, "text") == 0)
			printf("%s\n", json_object_get_string(o));
		else
			printf("%s: %s\n", prefix, json_object_get_string(o));
		break;
	}
}

void
ctl_print(const char *cmd, struct json_object *o)
{
	(void)cmd;
	print_text("", o);
}
