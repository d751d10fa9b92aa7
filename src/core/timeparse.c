/*
 * timeparse.c: provider timestamps to epoch seconds and back, without the C
 * library's time zone state.
 *
 * Why by hand: timegm and mktime depend on the process's TZ (changing it is
 * not thread-safe, and a FUSE daemon runs handlers on many threads), and
 * struct tm's year field limits nothing we need. Days-from-civil arithmetic
 * (H. Hinnant's algorithm) is exact for every proleptic Gregorian year.
 *
 * Zones: a TZif file (RFC 8536) is read once per zone name and kept in a
 * small cache. Cached zones are immutable and live until exit, so a pointer
 * handed out under the cache lock stays valid after it is released.
 */
#include "core/timeparse.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECONDS_PER_DAY 86400
#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define ZONE_NAME_MAX 255
#define TZIF_FILE_MAX (256 * 1024)
#define ZONE_CACHE_MAX 32

/* ---- calendar ------------------------------------------------------------ */

static int is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };

	return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
	int64_t era, year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
		     day_of_year;
	return era * 146097 + day_of_era - 719468;
}

static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t era, day_of_era, year_of_era, day_of_year, shifted_month;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	day_of_era = days - era * 146097;
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
		       day_of_era / 146096) / 365;
	day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 -
				    year_of_era / 100);
	shifted_month = (5 * day_of_year + 2) / 153;
	*day = (int)(day_of_year - (153 * shifted_month + 2) / 5 + 1);
	*month = (int)(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
	*year = year_of_era + era * 400 + (*month <= 2);
}

/* 0 = Sunday, as in POSIX TZ rules; 1970-01-01 was a Thursday. */
static int weekday_of_days(int64_t days)
{
	return (int)(((days % 7) + 7 + 4) % 7);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

struct civil_time {
	int64_t year;
	int month, day, hour, minute, second;
};

static int civil_time_valid(const struct civil_time *t)
{
	return t->year >= 1 && t->year <= 9999 && t->month >= 1 &&
	       t->month <= 12 && t->day >= 1 &&
	       t->day <= days_in_month(t->year, t->month) && t->hour >= 0 &&
	       t->hour <= 23 && t->minute >= 0 && t->minute <= 59 &&
	       t->second >= 0 && t->second <= 59;
}

/* Seconds since the epoch of a wall-clock time read as if it were UTC. */
static int64_t civil_time_seconds(const struct civil_time *t)
{
	return days_from_civil(t->year, t->month, t->day) * SECONDS_PER_DAY +
	       t->hour * 3600 + t->minute * 60 + t->second;
}

/* ---- scanning ------------------------------------------------------------ */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads min..max decimal digits at *p. */
static int read_digits(const char **p, int min, int max, int *value)
{
	const char *s = *p;
	int n = 0, v = 0;

	while (n < max && is_digit(s[n])) {
		v = v * 10 + (s[n] - '0');
		n++;
	}
	if (n < min)
		return -1;
	*p = s + n;
	*value = v;
	return 0;
}

static int read_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

/* One space: ASCII, U+00A0 (no-break) or U+202F (narrow no-break). */
static int read_space(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;

	if (s[0] == ' ') {
		*p += 1;
		return 0;
	}
	if (s[0] == 0xc2 && s[1] == 0xa0) {
		*p += 2;
		return 0;
	}
	if (s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0xaf) {
		*p += 3;
		return 0;
	}
	return -1;
}

/* "+hh", "+hhmm", "+hh:mm" (or '-') to seconds east of UTC. */
static int read_numeric_offset(const char **p, int32_t *offset)
{
	const char *s = *p;
	int sign, hours, minutes = 0;

	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (read_digits(&s, 2, 2, &hours) < 0 || hours > 23)
		return -1;
	if (*s == ':') {
		s++;
		if (read_digits(&s, 2, 2, &minutes) < 0)
			return -1;
	} else if (is_digit(*s) && read_digits(&s, 2, 2, &minutes) < 0) {
		return -1;
	}
	if (minutes > 59)
		return -1;
	*offset = sign * (hours * 3600 + minutes * 60);
	*p = s;
	return 0;
}

/* ---- ISO 8601 and RFC 3339 ----------------------------------------------- */

static int read_iso_date_time(const char **p, struct civil_time *t)
{
	int year;

	if (read_digits(p, 4, 4, &year) < 0 || read_char(p, '-') < 0 ||
	    read_digits(p, 2, 2, &t->month) < 0 || read_char(p, '-') < 0 ||
	    read_digits(p, 2, 2, &t->day) < 0)
		return -1;
	t->year = year;
	if (**p != 'T' && **p != 't' && **p != ' ')
		return -1;
	(*p)++;
	if (read_digits(p, 2, 2, &t->hour) < 0 || read_char(p, ':') < 0 ||
	    read_digits(p, 2, 2, &t->minute) < 0 || read_char(p, ':') < 0 ||
	    read_digits(p, 2, 2, &t->second) < 0)
		return -1;
	return 0;
}

/* The fraction of a second, if any: '.' or ',' then at least one digit. */
static int skip_fraction(const char **p)
{
	const char *s = *p;

	if (*s != '.' && *s != ',')
		return 0;
	s++;
	if (!is_digit(*s))
		return -1;
	while (is_digit(*s))
		s++;
	*p = s;
	return 0;
}

static int read_iso_offset(const char **p, unsigned flags, int32_t *offset)
{
	if (**p == '\0') {
		*offset = 0;
		return flags & TIME_ASSUME_UTC ? 0 : -1;
	}
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*offset = 0;
		return 0;
	}
	return read_numeric_offset(p, offset);
}

int time_parse_iso8601_flags(const char *s, unsigned flags,
			     int64_t *epoch_seconds)
{
	struct civil_time t;
	int32_t offset;

	if (!s || read_iso_date_time(&s, &t) < 0 || skip_fraction(&s) < 0 ||
	    read_iso_offset(&s, flags, &offset) < 0 || *s != '\0' ||
	    !civil_time_valid(&t))
		return -EINVAL;
	*epoch_seconds = civil_time_seconds(&t) - offset;
	return 0;
}

int time_parse_iso8601(const char *s, int64_t *epoch_seconds)
{
	return time_parse_iso8601_flags(s, 0, epoch_seconds);
}

int time_format_rfc3339(int64_t epoch_seconds, char *buf, size_t len)
{
	const int64_t first = days_from_civil(1, 1, 1) * SECONDS_PER_DAY;
	const int64_t last = days_from_civil(9999, 12, 31) * SECONDS_PER_DAY +
			     SECONDS_PER_DAY - 1;
	int64_t days, second_of_day, year;
	int month, day;

	if (epoch_seconds < first || epoch_seconds > last)
		return -ERANGE;
	if (len < TIME_RFC3339_SIZE)
		return -ENOSPC;
	days = floor_div(epoch_seconds, SECONDS_PER_DAY);
	second_of_day = epoch_seconds - days * SECONDS_PER_DAY;
	civil_from_days(days, &year, &month, &day);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)year, month,
		 day, (int)(second_of_day / 3600), (int)(second_of_day / 60 % 60),
		 (int)(second_of_day % 60));
	return 0;
}

/* ---- POSIX TZ rules (the TZif footer) ------------------------------------ */

/* When a DST period starts or ends: a day of the year and a local time. */
struct tz_rule_date {
	char kind;		/* 'J': Jn, 1..365 without Feb 29; 'D': n, 0..365;
				 * 'M': Mm.w.d, day d of week w of month m */
	int number;		/* n of Jn or n */
	int month, week, weekday;
	int32_t time;		/* seconds after local midnight, may be < 0 */
};

struct tz_rule {
	int32_t std_offset;	/* seconds east of UTC */
	int32_t dst_offset;
	int has_dst;
	struct tz_rule_date start, end;
};

/* "EST" or "<+08>": the name itself is not needed, only skipped. */
static int skip_tz_name(const char **p)
{
	const char *s = *p, *start;

	if (*s == '<') {
		start = ++s;
		while (*s && *s != '>')
			s++;
		if (*s != '>' || s - start < 3)
			return -1;
		*p = s + 1;
		return 0;
	}
	start = s;
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		s++;
	if (s - start < 3)
		return -1;
	*p = s;
	return 0;
}

/* [+-]h[h][:mm[:ss]]; hours up to 167 as RFC 8536 allows in rule times. */
static int read_tz_time(const char **p, int32_t *seconds)
{
	const char *s = *p;
	int sign = 1, hours, minutes = 0, secs = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (read_digits(&s, 1, 3, &hours) < 0 || hours > 167)
		return -1;
	if (*s == ':' && (s++, read_digits(&s, 1, 2, &minutes) < 0))
		return -1;
	if (*s == ':' && (s++, read_digits(&s, 1, 2, &secs) < 0))
		return -1;
	if (minutes > 59 || secs > 59)
		return -1;
	*seconds = sign * (hours * 3600 + minutes * 60 + secs);
	*p = s;
	return 0;
}

static int read_rule_date(const char **p, struct tz_rule_date *date)
{
	const char *s = *p;

	date->time = 2 * 3600;
	if (*s == 'M') {
		s++;
		date->kind = 'M';
		if (read_digits(&s, 1, 2, &date->month) < 0 || read_char(&s, '.') < 0 ||
		    read_digits(&s, 1, 1, &date->week) < 0 || read_char(&s, '.') < 0 ||
		    read_digits(&s, 1, 1, &date->weekday) < 0 ||
		    date->month < 1 || date->month > 12 || date->week < 1 ||
		    date->week > 5 || date->weekday > 6)
			return -1;
	} else {
		date->kind = *s == 'J' ? 'J' : 'D';
		if (*s == 'J')
			s++;
		if (read_digits(&s, 1, 3, &date->number) < 0 ||
		    date->number > 365 || (date->kind == 'J' && date->number < 1))
			return -1;
	}
	if (*s == '/' && (s++, read_tz_time(&s, &date->time) < 0))
		return -1;
	*p = s;
	return 0;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; POSIX offsets are
 * positive west of Greenwich, ours east. */
static int parse_tz_rule(const char *s, struct tz_rule *rule)
{
	int32_t offset;

	memset(rule, 0, sizeof(*rule));
	if (skip_tz_name(&s) < 0 || read_tz_time(&s, &offset) < 0)
		return -1;
	rule->std_offset = -offset;
	if (*s == '\0')
		return 0;
	if (skip_tz_name(&s) < 0)
		return -1;
	rule->has_dst = 1;
	rule->dst_offset = rule->std_offset + 3600;
	if (*s != ',' && *s != '\0') {
		if (read_tz_time(&s, &offset) < 0)
			return -1;
		rule->dst_offset = -offset;
	}
	if (*s == '\0') {
		/* No dates: POSIX leaves it to us; glibc uses the US rule. */
		rule->start = (struct tz_rule_date){ 'M', 0, 3, 2, 0, 7200 };
		rule->end = (struct tz_rule_date){ 'M', 0, 11, 1, 0, 7200 };
		return 0;
	}
	if (read_char(&s, ',') < 0 || read_rule_date(&s, &rule->start) < 0 ||
	    read_char(&s, ',') < 0 || read_rule_date(&s, &rule->end) < 0)
		return -1;
	return *s == '\0' ? 0 : -1;
}

/* Days since the epoch of a rule date in the given year. */
static int64_t rule_date_days(const struct tz_rule_date *date, int64_t year)
{
	int64_t first_of_month;
	int day;

	switch (date->kind) {
	case 'J':
		return days_from_civil(year, 1, 1) + date->number - 1 +
		       (is_leap_year(year) && date->number >= 60);
	case 'D':
		return days_from_civil(year, 1, 1) + date->number;
	default:
		first_of_month = days_from_civil(year, date->month, 1);
		day = 1 + (date->weekday - weekday_of_days(first_of_month) + 7) % 7 +
		      (date->week - 1) * 7;
		if (day > days_in_month(year, date->month))
			day -= 7;	/* week 5 means "the last" */
		return first_of_month + day - 1;
	}
}

static int32_t tz_rule_offset_at(const struct tz_rule *rule, int64_t t)
{
	int64_t year, dst_start, dst_end;
	int month, day;
	int in_dst;

	if (!rule->has_dst)
		return rule->std_offset;
	civil_from_days(floor_div(t + rule->std_offset, SECONDS_PER_DAY), &year,
			&month, &day);
	/* The start is given in standard time, the end in daylight time. */
	dst_start = rule_date_days(&rule->start, year) * SECONDS_PER_DAY +
		    rule->start.time - rule->std_offset;
	dst_end = rule_date_days(&rule->end, year) * SECONDS_PER_DAY +
		  rule->end.time - rule->dst_offset;
	if (dst_start < dst_end)	/* northern hemisphere */
		in_dst = t >= dst_start && t < dst_end;
	else				/* southern: DST spans the new year */
		in_dst = !(t >= dst_end && t < dst_start);
	return in_dst ? rule->dst_offset : rule->std_offset;
}

/* ---- zones --------------------------------------------------------------- */

struct zone {
	struct zone *next;		/* in the cache */
	char *name;
	size_t transition_count;
	int64_t *transitions;		/* UTC instants, ascending */
	unsigned char *transition_types;/* index into type_offsets */
	size_t type_count;
	int32_t *type_offsets;		/* seconds east of UTC */
	int has_rule;			/* the footer rule, after the last transition */
	struct tz_rule rule;
};

static void zone_free(struct zone *zone)
{
	if (!zone)
		return;
	free(zone->name);
	free(zone->transitions);
	free(zone->transition_types);
	free(zone->type_offsets);
	free(zone);
}

static int32_t zone_offset_at(const struct zone *zone, int64_t t)
{
	size_t low = 0, high = zone->transition_count;

	if (zone->has_rule && (high == 0 || t >= zone->transitions[high - 1]))
		return tz_rule_offset_at(&zone->rule, t);
	/* Before the first transition, RFC 8536 says type 0 applies. */
	if (high == 0 || t < zone->transitions[0])
		return zone->type_offsets[0];
	/* The last transition at or before t. */
	while (high - low > 1) {
		size_t middle = low + (high - low) / 2;

		if (zone->transitions[middle] <= t)
			low = middle;
		else
			high = middle;
	}
	return zone->type_offsets[zone->transition_types[low]];
}

/*
 * The UTC instant of a local wall-clock time (given as seconds, read as if
 * UTC). The candidate offsets are those in force two days earlier, at the
 * same reading, and two days later (offsets never exceed 26 hours, so these
 * bracket any change near the time); an offset is right when the instant it
 * gives has that offset. Trying "before" first picks the earlier instant of
 * a repeated hour; a skipped hour, where none is right, is read with the
 * offset before the change.
 */
static int64_t zone_local_to_utc(const struct zone *zone, int64_t local)
{
	const int64_t margin = 2 * SECONDS_PER_DAY;
	int32_t candidates[3] = {
		zone_offset_at(zone, local - margin),
		zone_offset_at(zone, local),
		zone_offset_at(zone, local + margin),
	};
	int i;

	for (i = 0; i < 3; i++)
		if (zone_offset_at(zone, local - candidates[i]) == candidates[i])
			return local - candidates[i];
	return local - candidates[0];
}

/* ---- TZif files ---------------------------------------------------------- */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t read_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t read_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)read_be32(p) << 32 | read_be32(p + 4));
}

#define TZIF_HEADER_SIZE 44

static int read_tzif_header(const unsigned char *p, size_t len, char *version,
			    struct tzif_counts *counts)
{
	if (len < TZIF_HEADER_SIZE || memcmp(p, "TZif", 4) != 0)
		return -1;
	*version = (char)p[4];
	counts->isut = read_be32(p + 20);
	counts->isstd = read_be32(p + 24);
	counts->leap = read_be32(p + 28);
	counts->time = read_be32(p + 32);
	counts->type = read_be32(p + 36);
	counts->chars = read_be32(p + 40);
	return 0;
}

/* Bytes of the data block after a header; time_size is 4 (v1) or 8. */
static size_t tzif_block_size(const struct tzif_counts *c, size_t time_size)
{
	return (size_t)c->time * (time_size + 1) + (size_t)c->type * 6 +
	       c->chars + (size_t)c->leap * (time_size + 4) + c->isstd + c->isut;
}

static int tzif_counts_valid(const struct tzif_counts *c)
{
	/* Leap-second ("right/") zones count TAI-like seconds: not supported. */
	return c->type >= 1 && c->type <= 256 && c->chars >= 1 && c->leap == 0 &&
	       (c->isstd == 0 || c->isstd == c->type) &&
	       (c->isut == 0 || c->isut == c->type);
}

/* Fills the transitions and types of zone from one data block. */
static int read_tzif_block(const unsigned char *p, const struct tzif_counts *c,
			   size_t time_size, struct zone *zone)
{
	const unsigned char *types = p + (size_t)c->time * time_size;
	const unsigned char *records = types + c->time;
	size_t i;

	zone->transition_count = c->time;
	zone->type_count = c->type;
	zone->transitions = calloc(c->time ? c->time : 1, sizeof(int64_t));
	zone->transition_types = calloc(c->time ? c->time : 1, 1);
	zone->type_offsets = calloc(c->type, sizeof(int32_t));
	if (!zone->transitions || !zone->transition_types || !zone->type_offsets)
		return -1;
	for (i = 0; i < c->time; i++) {
		zone->transitions[i] = time_size == 8 ? read_be64(p + i * 8)
						      : (int32_t)read_be32(p + i * 4);
		zone->transition_types[i] = types[i];
		if (types[i] >= c->type ||
		    (i > 0 && zone->transitions[i] <= zone->transitions[i - 1]))
			return -1;
	}
	for (i = 0; i < c->type; i++) {
		int32_t offset = (int32_t)read_be32(records + i * 6);

		/* RFC 8536: -89999..93599, about -25 h to +26 h. */
		if (offset < -89999 || offset > 93599)
			return -1;
		zone->type_offsets[i] = offset;
	}
	return 0;
}

/* The footer "\nTZ\n" after a v2+ block; an empty TZ means no rule. */
static int read_tzif_footer(const unsigned char *p, size_t len, struct zone *zone)
{
	const unsigned char *end;
	char tz[128];
	size_t tz_len;

	if (len < 2 || p[0] != '\n')
		return -1;
	end = memchr(p + 1, '\n', len - 1);
	if (!end)
		return -1;
	tz_len = (size_t)(end - (p + 1));
	if (tz_len == 0)
		return 0;
	if (tz_len >= sizeof(tz))
		return -1;
	memcpy(tz, p + 1, tz_len);
	tz[tz_len] = '\0';
	zone->has_rule = 1;
	return parse_tz_rule(tz, &zone->rule);
}

static int parse_tzif(const unsigned char *p, size_t len, struct zone *zone)
{
	struct tzif_counts counts;
	size_t block;
	char version;

	if (read_tzif_header(p, len, &version, &counts) < 0)
		return -1;
	block = tzif_block_size(&counts, 4);
	if (version == '\0') {	/* version 1: 32-bit times, no footer */
		if (!tzif_counts_valid(&counts) ||
		    len - TZIF_HEADER_SIZE < block)
			return -1;
		return read_tzif_block(p + TZIF_HEADER_SIZE, &counts, 4, zone);
	}
	/* Version 2+: skip the 32-bit block, read the 64-bit one. */
	if (len - TZIF_HEADER_SIZE < block)
		return -1;
	p += TZIF_HEADER_SIZE + block;
	len -= TZIF_HEADER_SIZE + block;
	if (read_tzif_header(p, len, &version, &counts) < 0 ||
	    !tzif_counts_valid(&counts))
		return -1;
	block = tzif_block_size(&counts, 8);
	if (len - TZIF_HEADER_SIZE < block ||
	    read_tzif_block(p + TZIF_HEADER_SIZE, &counts, 8, zone) < 0)
		return -1;
	p += TZIF_HEADER_SIZE + block;
	len -= TZIF_HEADER_SIZE + block;
	return read_tzif_footer(p, len, zone);
}

/* A relative path under ZONEINFO_DIR, without "." or ".." components. */
static int zone_name_valid(const char *name)
{
	const char *component = name;
	size_t len = strlen(name);

	if (len == 0 || len > ZONE_NAME_MAX ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789/_+-.") != len)
		return 0;
	for (;;) {
		size_t n = strcspn(component, "/");

		if (n == 0 || (n == 1 && component[0] == '.') ||
		    (n == 2 && component[0] == '.' && component[1] == '.'))
			return 0;
		if (component[n] == '\0')
			return 1;
		component += n + 1;
	}
}

/* Reads a whole small file; *data is malloc'd and owned by the caller. */
static int read_small_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *file = fopen(path, "rbe");
	unsigned char *buf;
	size_t n;

	if (!file)
		return -1;
	buf = malloc(TZIF_FILE_MAX + 1);
	n = buf ? fread(buf, 1, TZIF_FILE_MAX + 1, file) : 0;
	fclose(file);
	if (!buf || n == 0 || n > TZIF_FILE_MAX) {
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

static struct zone *zone_load(const char *name)
{
	char path[sizeof(ZONEINFO_DIR) + ZONE_NAME_MAX + 1];
	unsigned char *data = NULL;
	struct zone *zone;
	size_t len;

	if (!zone_name_valid(name))
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, name);
	if (read_small_file(path, &data, &len) < 0)
		return NULL;
	zone = calloc(1, sizeof(*zone));
	if (!zone || !(zone->name = strdup(name)) || parse_tzif(data, len, zone) < 0) {
		zone_free(zone);
		zone = NULL;
	}
	free(data);
	return zone;
}

static pthread_mutex_t zone_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone *zone_cache;		/* guarded by zone_cache_lock */
static size_t zone_cache_count;

/*
 * The zone called name, from the cache or loaded into it. Loading under the
 * lock is fine: it happens once per zone. When the cache is full (more
 * distinct names than any configuration has), the zone is loaded for this
 * one call and *to_free says the caller must free it.
 */
static const struct zone *zone_acquire(const char *name, struct zone **to_free)
{
	struct zone *zone;

	*to_free = NULL;
	pthread_mutex_lock(&zone_cache_lock);
	for (zone = zone_cache; zone; zone = zone->next)
		if (strcmp(zone->name, name) == 0)
			break;
	if (!zone) {
		zone = zone_load(name);
		if (zone && zone_cache_count < ZONE_CACHE_MAX) {
			zone->next = zone_cache;
			zone_cache = zone;
			zone_cache_count++;
		} else {
			*to_free = zone;
		}
	}
	pthread_mutex_unlock(&zone_cache_lock);
	return zone;
}

/*
 * The zone called tz_name. UTC and fixed offsets ("+08:00") need no file:
 * they are written into *fixed, a zone with a rule and no transitions.
 * *to_free is set as zone_acquire does. NULL when the name is unknown.
 */
static const struct zone *zone_resolve(const char *tz_name, struct zone *fixed,
				       struct zone **to_free)
{
	const char *s = tz_name;
	int32_t offset = 0;

	*to_free = NULL;
	if (tz_name && *tz_name && strcmp(tz_name, "UTC") != 0 &&
	    (read_numeric_offset(&s, &offset) < 0 || *s != '\0'))
		return zone_acquire(tz_name, to_free);
	memset(fixed, 0, sizeof(*fixed));
	fixed->has_rule = 1;
	fixed->rule.std_offset = offset;
	return fixed;
}

int time_zone_offset(const char *tz_name, int64_t epoch_seconds,
		     int32_t *utc_offset)
{
	struct zone fixed, *to_free;
	const struct zone *zone = zone_resolve(tz_name, &fixed, &to_free);

	if (!zone)
		return -ENOENT;
	*utc_offset = zone_offset_at(zone, epoch_seconds);
	zone_free(to_free);
	return 0;
}

/* ---- ZStack ("MMM d, yyyy h:mm:ss a") ------------------------------------ */

static int read_month_name(const char **p, int *month)
{
	static const char names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
					   "Jun", "Jul", "Aug", "Sep", "Oct",
					   "Nov", "Dec" };
	int i;

	for (i = 0; i < 12; i++) {
		if (strncasecmp(*p, names[i], 3) == 0) {
			*p += 3;
			*month = i + 1;
			return 0;
		}
	}
	return -1;
}

/* "AM"/"PM" turning a 1..12 clock hour into 0..23. */
static int read_am_pm(const char **p, int *hour)
{
	int pm;

	if (strncasecmp(*p, "AM", 2) == 0)
		pm = 0;
	else if (strncasecmp(*p, "PM", 2) == 0)
		pm = 1;
	else
		return -1;
	if (*hour < 1 || *hour > 12)
		return -1;
	*hour = *hour % 12 + (pm ? 12 : 0);
	*p += 2;
	return 0;
}

static int read_zstack_time(const char *s, struct civil_time *t)
{
	int year;

	if (read_month_name(&s, &t->month) < 0 || read_space(&s) < 0 ||
	    read_digits(&s, 1, 2, &t->day) < 0 || read_char(&s, ',') < 0 ||
	    read_space(&s) < 0 || read_digits(&s, 4, 4, &year) < 0)
		return -1;
	t->year = year;
	if (*s == ',')		/* JDK 9+ CLDR pattern */
		s++;
	if (read_space(&s) < 0 || read_digits(&s, 1, 2, &t->hour) < 0 ||
	    read_char(&s, ':') < 0 || read_digits(&s, 2, 2, &t->minute) < 0 ||
	    read_char(&s, ':') < 0 || read_digits(&s, 2, 2, &t->second) < 0 ||
	    read_space(&s) < 0 || read_am_pm(&s, &t->hour) < 0)
		return -1;
	return *s == '\0' ? 0 : -1;
}

int time_parse_zstack(const char *s, const char *tz_name,
		      int64_t *epoch_seconds)
{
	struct zone fixed, *to_free;
	const struct zone *zone;
	struct civil_time t;

	if (!s || read_zstack_time(s, &t) < 0 || !civil_time_valid(&t))
		return -EINVAL;
	zone = zone_resolve(tz_name, &fixed, &to_free);
	if (!zone)
		return -ENOENT;
	*epoch_seconds = zone_local_to_utc(zone, civil_time_seconds(&t));
	zone_free(to_free);
	return 0;
}
