/*
 * test_timeparse.c: provider timestamps (core/timeparse.h).
 *
 * Expected epoch values were computed independently with GNU date, e.g.
 * date -u -d 2021-05-28T02:10:00+0900 +%s. Zone tests read the system's
 * /usr/share/zoneinfo (Debian package tzdata).
 */
#include "check.h"
#include "core/timeparse.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

static int64_t iso(const char *s)
{
	int64_t t = -1;

	if (time_parse_iso8601(s, &t) != 0)
		fprintf(stderr, "time_parse_iso8601 refused \"%s\"\n", s);
	return t;
}

static int64_t zstack(const char *s, const char *zone)
{
	int64_t t = -1;

	if (time_parse_zstack(s, zone, &t) != 0)
		fprintf(stderr, "time_parse_zstack refused \"%s\" in %s\n", s,
			zone ? zone : "(null)");
	return t;
}

static void test_iso_offsets(void)
{
	CHECK_INT(iso("2021-05-28T02:10:00+0900"), 1622135400);
	CHECK_INT(iso("2021-05-28T02:10:00+09:00"), 1622135400);
	CHECK_INT(iso("2021-05-28T02:10:00+09"), 1622135400);
	CHECK_INT(iso("2021-05-27T17:10:00Z"), 1622135400);
	CHECK_INT(iso("2021-05-27t17:10:00z"), 1622135400);
	CHECK_INT(iso("2021-05-27 17:10:00Z"), 1622135400);
	CHECK_INT(iso("2020-07-08T18:41:14+0800"), 1594204874);	/* Huawei */
	CHECK_INT(iso("2021-05-28T02:10:00-0330"), 1622180400);
	CHECK_INT(iso("2021-05-28T02:10:00-03:30"), 1622180400);
	CHECK_INT(iso("2021-05-27T17:10:00+0000"), 1622135400);
	CHECK_INT(iso("2021-05-27T17:10:00-00:00"), 1622135400);
}

static void test_iso_fraction_dropped(void)
{
	CHECK_INT(iso("2021-05-27T17:10:00.123Z"), 1622135400);
	CHECK_INT(iso("2021-05-27T17:10:00.999999999+00:00"), 1622135400);
	CHECK_INT(iso("2021-05-27T17:10:00,5Z"), 1622135400);
	CHECK_INT(iso("1969-12-31T23:59:59.5Z"), -1);
}

static void test_iso_without_offset_needs_flag(void)
{
	int64_t t = 42;

	CHECK_INT(time_parse_iso8601("2021-05-28 02:10:00", &t), -EINVAL);
	CHECK_INT(time_parse_iso8601("2016-09-12T01:17:05", &t), -EINVAL);
	CHECK_INT(t, 42);
	CHECK_INT(time_parse_iso8601_flags("2021-05-28 02:10:00", TIME_ASSUME_UTC, &t), 0);
	CHECK_INT(t, 1622167800);
	CHECK_INT(time_parse_iso8601_flags("2021-05-28T02:10:00.5", TIME_ASSUME_UTC, &t), 0);
	CHECK_INT(t, 1622167800);
	/* The flag does not make an explicit offset optional to honour. */
	CHECK_INT(time_parse_iso8601_flags("2021-05-28T02:10:00+0900", TIME_ASSUME_UTC, &t), 0);
	CHECK_INT(t, 1622135400);
}

static void test_iso_calendar_edges(void)
{
	CHECK_INT(iso("1970-01-01T00:00:00Z"), 0);
	CHECK_INT(iso("1970-01-01T09:00:00+0900"), 0);
	CHECK_INT(iso("1969-12-31T23:59:59Z"), -1);
	CHECK_INT(iso("2038-01-19T03:14:07Z"), 2147483647);
	CHECK_INT(iso("2038-01-19T03:14:08Z"), 2147483648LL);
	CHECK_INT(iso("2024-02-29T12:00:00Z"), 1709208000);
	CHECK_INT(iso("2000-02-29T00:00:00Z"), 951782400);
	CHECK_INT(iso("9999-12-31T23:59:59Z"), 253402300799LL);
	CHECK_INT(iso("0001-01-01T00:00:00Z"), -62135596800LL);
	CHECK_INT(iso("0001-01-01T00:00:00+01:00"), -62135596800LL - 3600);
}

static void test_iso_junk_refused(void)
{
	static const char *const junk[] = {
		"", "2021", "2021-05-28", "2021-05-28T02:10", "2021-5-28T02:10:00Z",
		"2021-05-28T2:10:00Z", "21-05-28T02:10:00Z", "20210528T021000Z",
		"0000-01-01T00:00:00Z", "2021-00-10T00:00:00Z", "2021-13-01T00:00:00Z",
		"2021-04-31T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2021-05-00T00:00:00Z", "2021-05-28T24:00:00Z", "2021-05-28T23:60:00Z",
		"2021-05-28T23:59:60Z", "2021-05-28T02:10:00+2400", "2021-05-28T02:10:00+09:60",
		"2021-05-28T02:10:00+9", "2021-05-28T02:10:00+090", "2021-05-28T02:10:00+09:0",
		"2021-05-28T02:10:00+0900 ", " 2021-05-28T02:10:00+0900",
		"2021-05-28T02:10:00Zx", "2021-05-28T02:10:00.Z", "2021-05-28T02:10:00.",
		"2021-05-28X02:10:00Z", "2021-05-28T02:10:00UTC", "2021-05-28T02:10:00GMT+8",
		"2018-08-20T02:33:49_0800",	/* Huawei doc typo */
		"2018-08-016T10:15:14+0000",	/* Huawei doc typo */
		"2021-05-28T02:10:00+09:00:00", "-2021-05-28T02:10:00Z",
		"2021-05-28T02:10:00\n",
	};
	size_t i;
	int64_t t = 42;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int ret = time_parse_iso8601_flags(junk[i], TIME_ASSUME_UTC, &t);

		if (ret != -EINVAL) {
			fprintf(stderr, "accepted junk \"%s\" (%d)\n", junk[i], ret);
			check_failed_in_test = 1;
		}
	}
	CHECK_INT(time_parse_iso8601(NULL, &t), -EINVAL);
	CHECK_INT(t, 42);
}

static void test_format_rfc3339(void)
{
	char buf[TIME_RFC3339_SIZE];
	char small[TIME_RFC3339_SIZE - 1];

	CHECK_INT(time_format_rfc3339(1622135400, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2021-05-27T17:10:00Z");
	CHECK_INT(time_format_rfc3339(0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	CHECK_INT(time_format_rfc3339(-1, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
	CHECK_INT(time_format_rfc3339(2147483648LL, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2038-01-19T03:14:08Z");
	CHECK_INT(time_format_rfc3339(951782400, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2000-02-29T00:00:00Z");
	CHECK_INT(time_format_rfc3339(253402300799LL, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "9999-12-31T23:59:59Z");
	CHECK_INT(time_format_rfc3339(-62135596800LL, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "0001-01-01T00:00:00Z");
	CHECK_INT(time_format_rfc3339(253402300800LL, buf, sizeof(buf)), -ERANGE);
	CHECK_INT(time_format_rfc3339(-62135596801LL, buf, sizeof(buf)), -ERANGE);
	CHECK_INT(time_format_rfc3339(INT64_MIN, buf, sizeof(buf)), -ERANGE);
	CHECK_INT(time_format_rfc3339(0, small, sizeof(small)), -ENOSPC);
}

/* Every instant formats and parses back to itself, across all years. */
static void test_format_parse_round_trip(void)
{
	const int64_t first = -62135596800LL, last = 253402300799LL;
	uint64_t state = 88172645463325252ULL;
	char buf[TIME_RFC3339_SIZE];
	int64_t t, back;
	int i, failures = 0;

	for (i = 0; i < 200000 && failures < 5; i++) {
		state ^= state << 13;	/* xorshift64: reproducible */
		state ^= state >> 7;
		state ^= state << 17;
		t = first + (int64_t)(state % (uint64_t)(last - first + 1));
		if (time_format_rfc3339(t, buf, sizeof(buf)) != 0 ||
		    time_parse_iso8601(buf, &back) != 0 || back != t) {
			fprintf(stderr, "round trip of %lld failed (%s)\n", (long long)t, buf);
			failures++;
		}
	}
	CHECK_INT(failures, 0);
}

static void test_zstack_formats(void)
{
	/* The doc epoch 1510669257141 ms printed in Asia/Shanghai by JDK 8. */
	CHECK_INT(zstack("Nov 14, 2017 10:20:57 PM", "Asia/Shanghai"), 1510669257);
	/* JDK 9+ (comma), JDK 20+ (U+202F), and U+00A0. */
	CHECK_INT(zstack("Nov 14, 2017, 10:20:57 PM", "Asia/Shanghai"), 1510669257);
	CHECK_INT(zstack("Nov 14, 2017, 10:20:57\xe2\x80\xafPM", "Asia/Shanghai"), 1510669257);
	CHECK_INT(zstack("Nov 14, 2017 10:20:57\xc2\xa0PM", "Asia/Shanghai"), 1510669257);
	CHECK_INT(zstack("nov 14, 2017 10:20:57 pm", "Asia/Shanghai"), 1510669257);
	CHECK_INT(zstack("Jun 7, 2024 4:12:45 PM", "UTC"), 1717776765);
	CHECK_INT(zstack("Jun 7, 2024 4:12:45 PM", NULL), 1717776765);
	CHECK_INT(zstack("Jun 7, 2024 4:12:45 PM", ""), 1717776765);
	CHECK_INT(zstack("Jun 07, 2024 04:12:45 PM", ""), 1717776765);
	/* 12 AM is midnight, 12 PM noon. */
	CHECK_INT(zstack("Jan 1, 2017 12:31:06 AM", "UTC"), 1483230666);
	CHECK_INT(zstack("Jan 1, 2017 12:31:06 PM", "UTC"), 1483230666 + 12 * 3600);
	CHECK_INT(zstack("Feb 29, 2024 11:59:59 PM", "UTC"), 1709251199);
}

static void test_zstack_junk_refused(void)
{
	static const char *const junk[] = {
		"", "Nov 14 2017 10:20:57 PM", "Nov 14, 2017 10:20:57", "Nov 14, 2017 10:20 PM",
		"Foo 14, 2017 10:20:57 PM", "November 14, 2017 10:20:57 PM",
		"Nov 14, 2017 13:20:57 PM", "Nov 14, 2017 0:20:57 AM", "Nov 31, 2017 10:20:57 PM",
		"Feb 29, 2023 10:20:57 PM", "Nov 14, 2017 10:60:57 PM", "Nov 14, 2017 10:20:57 XM",
		"Nov 14, 2017  10:20:57 PM", "Nov 14, 2017 10:20:57 PM ", "Nov 14, 2017 10:20:57 PMx",
		"Nov 14,, 2017 10:20:57 PM", "Nov 14, 17 10:20:57 PM", "Nov 114, 2017 10:20:57 PM",
		"2017-11-14T22:20:57+0800", "Nov 14, 2017 10:20:57\xe2\x80PM",
	};
	size_t i;
	int64_t t = 42;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int ret = time_parse_zstack(junk[i], "Asia/Shanghai", &t);

		if (ret != -EINVAL) {
			fprintf(stderr, "accepted junk \"%s\" (%d)\n", junk[i], ret);
			check_failed_in_test = 1;
		}
	}
	CHECK_INT(time_parse_zstack(NULL, "UTC", &t), -EINVAL);
	CHECK_INT(t, 42);
}

static void test_zone_names(void)
{
	int64_t t = 42;
	int32_t offset = 0;

	CHECK_INT(time_parse_zstack("Jun 7, 2024 4:12:45 PM", "Mars/Olympus_Mons", &t), -ENOENT);
	CHECK_INT(time_parse_zstack("Jun 7, 2024 4:12:45 PM", "../../../etc/passwd", &t), -ENOENT);
	CHECK_INT(time_parse_zstack("Jun 7, 2024 4:12:45 PM", "/etc/passwd", &t), -ENOENT);
	CHECK_INT(time_parse_zstack("Jun 7, 2024 4:12:45 PM", "Asia/../Asia/Tokyo", &t), -ENOENT);
	CHECK_INT(time_parse_zstack("Jun 7, 2024 4:12:45 PM", "Asia", &t), -ENOENT);
	CHECK_INT(time_parse_zstack("Jun 7, 2024 4:12:45 PM", "zone.tab", &t), -ENOENT);
	CHECK_INT(t, 42);
	/* Fixed offsets need no file. */
	CHECK_INT(zstack("Nov 14, 2017 10:20:57 PM", "+08:00"), 1510669257);
	CHECK_INT(zstack("Nov 14, 2017 10:20:57 PM", "+0800"), 1510669257);
	CHECK_INT(time_zone_offset("-03:30", 0, &offset), 0);
	CHECK_INT(offset, -12600);
	CHECK_INT(time_zone_offset("Etc/GMT-8", 0, &offset), 0);	/* POSIX sign */
	CHECK_INT(offset, 28800);
}

static int32_t offset_at(const char *zone, const char *iso_time)
{
	int32_t offset = -1;

	if (time_zone_offset(zone, iso(iso_time), &offset) != 0)
		fprintf(stderr, "no zone %s\n", zone);
	return offset;
}

static void test_zone_offsets(void)
{
	CHECK_INT(offset_at("Asia/Shanghai", "2024-07-01T00:00:00Z"), 8 * 3600);
	CHECK_INT(offset_at("Asia/Shanghai", "1988-06-01T03:00:00Z"), 9 * 3600);	/* China had DST */
	CHECK_INT(offset_at("America/New_York", "2024-07-15T10:00:00Z"), -4 * 3600);
	CHECK_INT(offset_at("America/New_York", "2024-01-15T10:00:00Z"), -5 * 3600);
	CHECK_INT(offset_at("Europe/Berlin", "2024-07-15T10:00:00Z"), 2 * 3600);
	CHECK_INT(offset_at("Europe/Berlin", "2024-01-15T10:00:00Z"), 1 * 3600);
	CHECK_INT(offset_at("Asia/Kolkata", "2024-01-15T10:00:00Z"), 5 * 3600 + 1800);
	CHECK_INT(offset_at("UTC", "2024-01-15T10:00:00Z"), 0);
	/* Past the file's transitions the footer rule decides (RFC 8536). */
	CHECK_INT(offset_at("America/New_York", "2100-07-04T16:00:00Z"), -4 * 3600);
	CHECK_INT(offset_at("America/New_York", "2100-01-04T17:00:00Z"), -5 * 3600);
	CHECK_INT(offset_at("America/New_York", "9999-12-31T23:59:59Z"), -5 * 3600);
	/* Southern hemisphere: DST spans the new year. */
	CHECK_INT(offset_at("Australia/Sydney", "2100-01-10T01:00:00Z"), 11 * 3600);
	CHECK_INT(offset_at("Australia/Sydney", "2100-07-10T02:00:00Z"), 10 * 3600);
}

static void test_zstack_in_zones(void)
{
	CHECK_INT(zstack("Jul 4, 2024 12:00:00 PM", "America/New_York"), 1720108800);
	CHECK_INT(zstack("Jan 15, 2024 12:00:00 PM", "America/New_York"), 1705338000);
	CHECK_INT(zstack("Jul 15, 2024 12:00:00 PM", "Europe/Berlin"), 1721037600);
	CHECK_INT(zstack("Jan 15, 2024 12:00:00 PM", "Europe/Berlin"), 1705316400);
	CHECK_INT(zstack("Jun 7, 2024 4:12:45 PM", "Asia/Shanghai"), 1717776765 - 8 * 3600);
	CHECK_INT(zstack("Jul 4, 2100 12:00:00 PM", "America/New_York"), 4118400000LL);
	CHECK_INT(zstack("Jan 4, 2100 12:00:00 PM", "America/New_York"), 4102765200LL);
	CHECK_INT(zstack("Dec 31, 9999 11:59:59 PM", "UTC"), 253402300799LL);
	CHECK_INT(zstack("Jan 1, 0001 12:00:00 AM", "UTC"), -62135596800LL);
}

/* The hour that happens twice, and the one that never happens. */
static void test_dst_transitions(void)
{
	/* New York, 2024-11-03: 01:30 is EDT then EST; the earlier wins. */
	CHECK_INT(zstack("Nov 3, 2024 1:30:00 AM", "America/New_York"), 1730611800);
	CHECK_INT(zstack("Nov 3, 2024 2:30:00 AM", "America/New_York"), 1730611800 + 2 * 3600);
	/* New York, 2024-03-10: 02:30 does not exist; read as EST (07:30Z). */
	CHECK_INT(zstack("Mar 10, 2024 2:30:00 AM", "America/New_York"), 1710055800);
	CHECK_INT(zstack("Mar 10, 2024 3:30:00 AM", "America/New_York"), 1710055800);
	CHECK_INT(zstack("Mar 10, 2024 1:59:59 AM", "America/New_York"), 1710053999);
	/* Berlin, 2024-10-27: 02:30 is CEST then CET; the earlier is 00:30Z. */
	CHECK_INT(zstack("Oct 27, 2024 2:30:00 AM", "Europe/Berlin"), 1729989000);
	/* Berlin, 2024-03-31: 02:30 does not exist; read as CET (01:30Z). */
	CHECK_INT(zstack("Mar 31, 2024 2:30:00 AM", "Europe/Berlin"), 1711848600);
	/* The same rules from the footer, far in the future. */
	CHECK_INT(zstack("Nov 7, 2100 1:30:00 AM", "America/New_York"),
		  iso("2100-11-07T01:30:00-04:00"));
	CHECK_INT(zstack("Mar 14, 2100 2:30:00 AM", "America/New_York"),
		  iso("2100-03-14T02:30:00-05:00"));
}

struct zone_worker {
	const char *zone;
	const char *text;
	int64_t expected;
	int failures;
};

static void *parse_repeatedly(void *arg)
{
	struct zone_worker *w = arg;
	int i;

	for (i = 0; i < 2000; i++) {
		int64_t t;

		if (time_parse_zstack(w->text, w->zone, &t) != 0 || t != w->expected)
			w->failures++;
	}
	return NULL;
}

/* Threads loading and reading zones at once agree with one another. */
static void test_zones_from_many_threads(void)
{
	struct zone_worker workers[] = {
		{ "America/Chicago", "Jul 4, 2024 12:00:00 PM", 1720112400, 0 },
		{ "Asia/Tokyo", "Jul 4, 2024 12:00:00 PM", 1720062000, 0 },
		{ "America/Chicago", "Jan 4, 2024 12:00:00 PM", 1704391200, 0 },
		{ "Europe/London", "Jul 4, 2024 12:00:00 PM", 1720090800, 0 },
	};
	pthread_t threads[4];
	int i;

	for (i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&threads[i], NULL, parse_repeatedly, &workers[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		CHECK_INT(workers[i].failures, 0);
	}
}

int main(void)
{
	RUN(test_iso_offsets);
	RUN(test_iso_fraction_dropped);
	RUN(test_iso_without_offset_needs_flag);
	RUN(test_iso_calendar_edges);
	RUN(test_iso_junk_refused);
	RUN(test_format_rfc3339);
	RUN(test_format_parse_round_trip);
	RUN(test_zstack_formats);
	RUN(test_zstack_junk_refused);
	RUN(test_zone_names);
	RUN(test_zone_offsets);
	RUN(test_zstack_in_zones);
	RUN(test_dst_transitions);
	RUN(test_zones_from_many_threads);
	return CHECK_DONE();
}
