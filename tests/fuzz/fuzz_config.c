/*
 * The configuration parser (src/common/config_parse.c, config.c) on
 * arbitrary text, up to its first NUL as config_load_file() would refuse
 * one.  A refusal names the file; an accepted configuration validates
 * or not without crashing; one that validates is written canonically
 * within one MSG_CONFIG, and that text (what the supervisor hands its
 * children) reads back into an identical, valid configuration whose
 * canonical text is the same again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "proto.h"

const char	fuzz_target[] = "config";

static void
round_trip(const struct config *a)
{
	struct config	 b, c;
	char		 err[1024], err2[1024];
	char		*text, *again;
	size_t		 i;

	text = config_serialize(a);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(strlen(text) <= MSG_CONFIG_TEXT_MAX);

	config_init(&b);
	if (config_parse_text(&b, text, "canonical", err, sizeof(err)) != 0) {
		fprintf(stderr, "canonical text refused: %s\n%s", err, text);
		FUZZ_CHECK(!"the canonical text parses");
	}
	for (i = 0; i < opt_count; i++)
		if (config_differs(a, &b, &opt_table[i])) {
			fprintf(stderr, "%s differs after the round trip\n",
			    opt_table[i].key);
			FUZZ_CHECK(!"the round trip keeps every option");
		}
	if (config_validate(&b, err2, sizeof(err2)) != 0) {
		fprintf(stderr, "round trip invalid: %s\n", err2);
		FUZZ_CHECK(!"the round trip stays valid");
	}
	again = config_serialize(&b);
	FUZZ_CHECK(again != NULL && strcmp(text, again) == 0);
	free(again);

	FUZZ_CHECK(config_copy(&c, a) == 0);
	for (i = 0; i < opt_count; i++)
		FUZZ_CHECK(!config_differs(a, &c, &opt_table[i]));
	config_clear(&c);
	config_clear(&b);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg;
	char		 err[1024];
	char		*text, *s;
	size_t		 len;

	len = strnlen((const char *)data, size);
	text = malloc(len + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, len);
	text[len] = '\0';

	config_init(&cfg);
	err[0] = '\0';
	if (config_parse_text(&cfg, text, "fuzz.conf", err, sizeof(err))
	    == -1) {
		FUZZ_CHECK(strncmp(err, "fuzz.conf:", 10) == 0);
	} else {
		err[0] = '\0';
		if (config_validate(&cfg, err, sizeof(err)) == 0)
			round_trip(&cfg);
		else {
			FUZZ_CHECK(err[0] != '\0');
			/* Written all the same: -nv prints it. */
			s = config_serialize(&cfg);
			FUZZ_CHECK(s != NULL);
			free(s);
		}
	}
	config_clear(&cfg);
	free(text);
	return 0;
}
