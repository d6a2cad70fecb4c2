/*
 * One option's value from text: the parsers of each type (ports, counts,
 * booleans, durations, addresses, host:port) and opt_apply(), which
 * checks a value against its option and stores it, with an error that
 * repeats the value safely.
 *
 * Apart from config.c because every source (file, environment, command
 * line, the supervisor's text) comes through here, and these are the
 * rules a value must pass, read and tested on their own.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/*
 * A value as it may appear inside "..." in an error message: whatever
 * the user typed, the message stays one printable line.
 */
static void
msg_value(char *dst, size_t len, const char *v)
{
	size_t		 n = 0, i;
	unsigned char	 c;
	char		 tmp[8];

	if (len == 0)
		return;
	dst[0] = '\0';
	for (i = 0; v[i] != '\0'; i++) {
		if (i == MSG_VALUE_MAX) {
			snprintf(tmp, sizeof(tmp), "...");
		} else {
			c = (unsigned char)v[i];
			if (c == '"' || c == '\\')
				snprintf(tmp, sizeof(tmp), "\\%c", c);
			else if (c < 0x20 || c >= 0x7f)
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			else
				snprintf(tmp, sizeof(tmp), "%c", c);
		}
		if (n + strlen(tmp) >= len)
			break;
		memcpy(dst + n, tmp, strlen(tmp) + 1);
		n += strlen(tmp);
		if (i == MSG_VALUE_MAX)
			break;
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
parse_port(const char *s, unsigned int min, uint16_t *out)
{
	unsigned long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!is_digit(*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* A whole number from 1 to 1000000, digits only. */
static int
parse_count(const char *v, int min, int *out)
{
	long	n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || (n = n * 10 + (*v - '0')) > 1000000)
			return -1;
	}
	if (n < min)
		return -1;
	*out = (int)n;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "t", "1", "yes", "on" };
	static const char *const no[] = { "false", "f", "0", "no", "off" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * Go-like durations: a sum of integer+unit terms (ms, s, m, h), or a
 * lone "0".  Returns -1 on bad syntax; sets *range when the value is
 * well formed but too large.
 */
static int
parse_duration(const char *s, uint64_t *out, int *range)
{
	uint64_t	total = 0, n, unit;

	*range = 0;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!is_digit(*s))
			return -1;
		n = 0;
		for (; is_digit(*s); s++) {
			/* Keep scanning to tell bad syntax from overflow. */
			if (n > DURATION_MAX_MS)
				continue;
			n = n * 10 + (uint64_t)(*s - '0');
		}
		if (strncmp(s, "ms", 2) == 0) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = 60 * 1000;
			s++;
		} else if (*s == 'h') {
			unit = 60 * 60 * 1000;
			s++;
		} else
			return -1;
		if (n > DURATION_MAX_MS / unit ||
		    total > DURATION_MAX_MS - n * unit)
			*range = 1;
		else
			total += n * unit;
	}
	if (*range)
		return -1;
	*out = total;
	return 0;
}

void
config_format_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms % (60 * 60 * 1000) == 0)
		snprintf(buf, len, "%lluh",
		    (unsigned long long)(ms / (60 * 60 * 1000)));
	else if (ms % (60 * 1000) == 0)
		snprintf(buf, len, "%llum",
		    (unsigned long long)(ms / (60 * 1000)));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

/*
 * Control characters are refused everywhere: the file syntax has no
 * escape for them, and a value must survive config_serialize().
 */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

int
config_parse_ip(const char *s, int *af, unsigned char *bytes)
{
	if (inet_pton(AF_INET, s, bytes) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, bytes) == 1) {
		*af = AF_INET6;
		return 0;
	}
	return -1;
}

static int
is_loopback(const char *s)
{
	unsigned char	b[sizeof(struct in6_addr)];
	int		af;

	if (config_parse_ip(s, &af, b) == -1)
		return 0;
	if (af == AF_INET)
		return b[0] == 127;
	return memcmp(b, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
}

/* "host:port" or "[v6]:port", as Consul's CONSUL_HTTP_ADDR after the scheme. */
static int
check_hostport(const char *s)
{
	char			 host[INET6_ADDRSTRLEN];
	struct in6_addr		 a6;
	const char		*end, *port;
	uint16_t		 p;

	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':' ||
		    (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -1;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		/* A second colon is a bare IPv6 address: brackets needed. */
		if (end == NULL || end == s || memchr(s, ':', end - s) != NULL)
			return -1;
		port = end + 1;
	}
	return parse_port(port, 1, &p);
}

int
opt_apply(struct config *cfg, const struct opt_def *opt, const char *value,
    char *problem, size_t plen)
{
	char		 shown[MSG_VALUE_MAX * 4 + 8];
	unsigned char	 ip[sizeof(struct in6_addr)];
	const char	*v = value;
	char		*dup, **sp;
	uint64_t	 ms;
	uint16_t	 port;
	size_t		 i;
	int		 b, range, https = 0;

	msg_value(shown, sizeof(shown), value);
	switch (opt->type) {
	case OPT_STRING:
		if (has_control(v)) {
			snprintf(problem, plen, "\"%s\" contains a control "
			    "character", shown);
			return -1;
		}
		if (strcmp(opt->key, "chroot") == 0 && *v != '\0' &&
		    *v != '/') {
			snprintf(problem, plen,
			    "\"%s\" is not an absolute path", shown);
			return -1;
		}
		break;
	case OPT_NAME:
		if (*v == '\0') {
			snprintf(problem, plen, "must not be empty");
			return -1;
		}
		for (i = 0; v[i] != '\0'; i++)
			if ((unsigned char)v[i] <= 0x20 ||
			    (unsigned char)v[i] == 0x7f)
				break;
		if (v[i] != '\0') {
			snprintf(problem, plen, "\"%s\" contains white space "
			    "or a control character", shown);
			return -1;
		}
		if (strcmp(opt->key, "consul.addr") == 0) {
			/* Consul's own clients accept a URL scheme here. */
			if (strncasecmp(v, "http://", 7) == 0)
				v += 7;
			else if (strncasecmp(v, "https://", 8) == 0) {
				v += 8;
				https = 1;
			}
			if (check_hostport(v) == -1) {
				snprintf(problem, plen, "\"%s\" is not "
				    "host:port (IPv6 as [::1]:8500)", shown);
				return -1;
			}
		}
		break;
	case OPT_ADDR:
		if (config_parse_ip(v, &b, ip) == -1) {
			snprintf(problem, plen, "\"%s\" is not a numeric "
			    "IPv4 or IPv6 address", shown);
			return -1;
		}
		break;
	case OPT_LOOPBACK:
		if (!is_loopback(v)) {
			snprintf(problem, plen, "\"%s\" is not a loopback "
			    "address (127.0.0.0/8 or ::1)", shown);
			return -1;
		}
		break;
	case OPT_PORT:
	case OPT_PORT0:
		if (parse_port(v, opt->type == OPT_PORT ? 1 : 0, &port) == -1) {
			snprintf(problem, plen, "\"%s\" is not a port number "
			    "(%d-65535)", shown, opt->type == OPT_PORT ? 1 : 0);
			return -1;
		}
		*opt_u16(cfg, opt) = port;
		return 0;
	case OPT_COUNT:
	case OPT_NUMBER:
		if (parse_count(v, opt->type == OPT_COUNT ? 1 : 0, &b) == -1) {
			snprintf(problem, plen, "\"%s\" is not a whole number "
			    "from %d to 1000000", shown,
			    opt->type == OPT_COUNT ? 1 : 0);
			return -1;
		}
		*opt_int(cfg, opt) = b;
		return 0;
	case OPT_BOOL:
		if (parse_bool(v, &b) == -1) {
			snprintf(problem, plen, "\"%s\" is not a boolean "
			    "(true/false, yes/no, on/off, 1/0)", shown);
			return -1;
		}
		*opt_int(cfg, opt) = b;
		return 0;
	case OPT_DURATION:
		if (parse_duration(v, &ms, &range) == -1) {
			if (range)
				snprintf(problem, plen, "\"%s\" is too long "
				    "a duration (at most %lluh)", shown,
				    (unsigned long long)(DURATION_MAX_MS /
				    (60 * 60 * 1000)));
			else
				snprintf(problem, plen, "\"%s\" is not a "
				    "duration (such as 500ms, 10s or 1m30s)",
				    shown);
			return -1;
		}
		*opt_u64(cfg, opt) = ms;
		return 0;
	case OPT_ENUM:
		for (i = 0; opt->choices[i] != NULL; i++) {
			if (strcasecmp(v, opt->choices[i]) == 0) {
				*opt_int(cfg, opt) = (int)i;
				return 0;
			}
		}
		snprintf(problem, plen, "\"%s\" is not one of", shown);
		for (i = 0; opt->choices[i] != NULL; i++)
			snprintf(problem + strlen(problem), plen -
			    strlen(problem), "%s %s", i == 0 ? ":" : ",",
			    opt->choices[i]);
		return -1;
	}

	if ((dup = strdup(v)) == NULL) {
		snprintf(problem, plen, "out of memory");
		return -1;
	}
	sp = opt_str(cfg, opt);
	if (*sp != NULL && (opt->flags & OPT_SECRET))
		explicit_bzero(*sp, strlen(*sp));
	free(*sp);
	*sp = dup;
	/* What it means for consul.ssl: config_source_done(). */
	if (https)
		cfg->src_https = 1;
	return 0;
}
