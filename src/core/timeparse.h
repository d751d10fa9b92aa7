/*
 * timeparse.h: the providers' timestamps to seconds since the epoch, and
 * back to the RFC 3339 text of the user.backup.*_time attributes.
 *
 * NAVER and Huawei write ISO 8601 with an offset ("2021-05-28T02:10:00+0900");
 * ZStack writes Java's "MMM d, yyyy h:mm:ss a" in the management node's own
 * time zone, with no zone in the text. None of this touches the C library's
 * time zone state (TZ, tzset, localtime): calendar arithmetic is done by hand
 * for any year 1..9999, and zones are read from the TZif files under
 * /usr/share/zoneinfo into a small cache of our own. Every function is
 * thread-safe.
 *
 * Return values: 0 on success, or a negative errno:
 *   -EINVAL  the text is not a timestamp of the expected form, or a field is
 *            out of range (month 13, Feb 30, hour 24, second 60, year 0);
 *   -ENOENT  the time zone name is not valid or no usable TZif file has it;
 *   -ERANGE  (formatting) the time falls outside years 1..9999;
 *   -ENOSPC  (formatting) the buffer is too small.
 * Output parameters are written only on success.
 */
#ifndef DBB_TIMEPARSE_H
#define DBB_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* "2021-05-27T17:10:00Z" and its NUL. */
#define TIME_RFC3339_SIZE 21

/* Flags for time_parse_iso8601_flags. */
#define TIME_ASSUME_UTC 0x1u	/* a time with no offset is taken as UTC */

/*
 * YYYY-MM-DD{T|t| }hh:mm:ss[.fraction][offset], where offset is Z, z, +hh,
 * +hhmm or +hh:mm (or '-'), the form of NAVER and Huawei, RFC 3339 and
 * Java's "yyyy-MM-dd'T'HH:mm:ssZ". The fraction ('.' or ',' and digits) is
 * dropped: the result is the whole second. Nothing may precede or follow.
 * Without an offset the text is refused unless flags has TIME_ASSUME_UTC
 * (Huawei's examples sometimes omit it).
 */
int time_parse_iso8601(const char *s, int64_t *epoch_seconds);
int time_parse_iso8601_flags(const char *s, unsigned flags,
			     int64_t *epoch_seconds);

/* Writes "YYYY-MM-DDThh:mm:ssZ" (UTC) into buf of len bytes. */
int time_format_rfc3339(int64_t epoch_seconds, char *buf, size_t len);

/*
 * ZStack's Gson dates, read as local time in the zone tz_name:
 *   "Jun 7, 2024 4:12:45 PM"        JDK 8 (Locale.US "MMM d, yyyy h:mm:ss a")
 *   "Jun 7, 2024, 4:12:45 PM"       JDK 9+ (CLDR: a comma after the year)
 *   "Jun 7, 2024, 4:12:45\u202fPM"  JDK 20+ (narrow no-break space)
 * Each single space may be an ASCII space, U+00A0 or U+202F; month names and
 * AM/PM are matched in any case. tz_name is an IANA name ("Asia/Shanghai"),
 * "UTC", NULL or "" (both UTC), or a fixed offset "+08:00"/"+0800"/"-03:30".
 *
 * A local time that occurs twice (the clocks go back) is read with the
 * offset in force before the change, so the earlier instant wins; one that
 * never occurs (the clocks go forward) is also read with the offset before
 * the change, so "02:30" on a spring-forward night in New York is 07:30 UTC,
 * as java.time does.
 */
int time_parse_zstack(const char *s, const char *tz_name,
		      int64_t *epoch_seconds);

/*
 * The offset from UTC, in seconds east (Asia/Shanghai: 28800), of zone
 * tz_name at the instant epoch_seconds. Same tz_name forms as above.
 *
 * Zone data: the 64-bit part of the TZif file, with its footer's POSIX TZ
 * rule (fixed offsets and DST rules of the Mm.w.d, Jn and n forms) for
 * instants after the last listed transition, as RFC 8536 says. Files with
 * leap-second records ("right/...") are refused. Local times are resolved
 * exactly as long as a zone's offset does not change twice within four
 * days, which no zone in the tz database has done since 1900.
 */
int time_zone_offset(const char *tz_name, int64_t epoch_seconds,
		     int32_t *utc_offset);

#endif
