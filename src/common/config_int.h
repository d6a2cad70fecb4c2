/*
 * Inside the configuration code (config*.c): typed access to the struct
 * config field an option names, and the few functions one of these files
 * lends the others.  The rest of the daemon goes through config.h.
 */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define OFF(f)	offsetof(struct config, f)

/*
 * Durations are kept in ms but bounded like Go's time.Duration (int64
 * nanoseconds), which leaves every consumer room to add them to a clock.
 */
#define DURATION_MAX_MS	((uint64_t)INT64_MAX / 1000000)

/* How much of a bad value an error message repeats. */
#define MSG_VALUE_MAX	80

static inline int
opt_is_string(const struct opt_def *opt)
{
	switch (opt->type) {
	case OPT_STRING:
	case OPT_NAME:
	case OPT_ADDR:
	case OPT_LOOPBACK:
		return 1;
	default:
		return 0;
	}
}

static inline char **
opt_str(struct config *cfg, const struct opt_def *opt)
{
	return (char **)(void *)((char *)cfg + opt->offset);
}

static inline const char *
opt_cstr(const struct config *cfg, const struct opt_def *opt)
{
	return *(char *const *)(const void *)((const char *)cfg +
	    opt->offset);
}

static inline uint16_t *
opt_u16(struct config *cfg, const struct opt_def *opt)
{
	return (uint16_t *)(void *)((char *)cfg + opt->offset);
}

static inline uint16_t
opt_cu16(const struct config *cfg, const struct opt_def *opt)
{
	return *(const uint16_t *)(const void *)((const char *)cfg +
	    opt->offset);
}

static inline int *
opt_int(struct config *cfg, const struct opt_def *opt)
{
	return (int *)(void *)((char *)cfg + opt->offset);
}

static inline int
opt_cint(const struct config *cfg, const struct opt_def *opt)
{
	return *(const int *)(const void *)((const char *)cfg + opt->offset);
}

static inline uint64_t *
opt_u64(struct config *cfg, const struct opt_def *opt)
{
	return (uint64_t *)(void *)((char *)cfg + opt->offset);
}

static inline uint64_t
opt_cu64(const struct config *cfg, const struct opt_def *opt)
{
	return *(const uint64_t *)(const void *)((const char *)cfg +
	    opt->offset);
}

/* A cleared config has NULL where config_init() puts defaults. */
static inline const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

static inline int
opt_is_set(const struct config *cfg, const struct opt_def *opt)
{
	if (opt_is_string(opt))
		return opt_cstr(cfg, opt) != NULL;
	if (opt->type == OPT_PORT)
		return opt_cu16(cfg, opt) != 0;
	return 1;
}

/* config.c */
/*
 * Set one option as part of a source (a file, the environment, the
 * command line) that config_source_done() ends; config_set() is a source
 * of one option.  err names the option and the problem.
 */
int	opt_set(struct config *, const struct opt_def *, const char *value,
	    char *err, size_t errlen);
void	config_source_done(struct config *);

/* config_opts.c */
void	opt_mark_given(struct config *, const struct opt_def *);

/* config_value.c */
/*
 * Parse value for opt and store it in cfg.  problem gets the reason
 * without the option's name, so each source can name it its own way.
 */
int	opt_apply(struct config *, const struct opt_def *, const char *value,
	    char *problem, size_t plen);
/* A numeric IPv4 or IPv6 address: its family and bytes.  0, or -1. */
int	config_parse_ip(const char *, int *af, unsigned char *bytes);
/* Canonical text: the largest unit that divides the value exactly. */
void	config_format_duration(uint64_t ms, char *buf, size_t len);

/* config_text.c: one "key value" line of the canonical text. */
void	config_write_opt(const struct config *, const struct opt_def *,
	    FILE *, int redact);

#endif
