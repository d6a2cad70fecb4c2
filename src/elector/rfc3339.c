/*
 * RFC 3339 timestamps, as Consul's answers carry them (a leaf
 * certificate's ValidAfter and ValidBefore), into Unix seconds.  The
 * calendar arithmetic stands apart from the JSON decoders so that it is
 * tested against a table of dates of its own, leap years and offsets
 * included, without a certificate around it.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "rfc3339.h"

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int	v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
rfc3339_parse(const char *s, int64_t *out)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int	y, mo, d, h, mi, sec, oh, om, leap;
	int64_t	off = 0;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if ((y = digits(s, 4)) == -1 || (mo = digits(s + 5, 2)) == -1 ||
	    (d = digits(s + 8, 2)) == -1 || (h = digits(s + 11, 2)) == -1 ||
	    (mi = digits(s + 14, 2)) == -1 || (sec = digits(s + 17, 2)) == -1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
		return -1;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return -1;
		for (s++; isdigit((unsigned char)*s); s++)
			;
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-') {
		if (strlen(s) != 6 || s[3] != ':' ||
		    (oh = digits(s + 1, 2)) == -1 ||
		    (om = digits(s + 4, 2)) == -1 || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60;
		if (*s == '-')
			off = -off;
		s += 6;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    off;
	return 0;
}
