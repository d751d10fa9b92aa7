/*
 * fuzz_time_zstack.c: ZStack's Gson dates ("Jun 7, 2024, 4:12:45 PM") read
 * in the management node's zone (time_parse_zstack), and the zone offsets
 * behind them (time_zone_offset).
 *
 * Input: the first byte picks the zone from a fixed list (as a config's
 * timezone= would: IANA names, UTC, fixed offsets, an empty and an unknown
 * one), or, for the last choice, the zone name is the input's first line;
 * the rest is the date text.
 *
 * Properties: the result is 0, -EINVAL (not a date) or -ENOENT (no such
 * zone); a date read in UTC reads in "+08:00" exactly eight hours earlier
 * and in "-03:30" three and a half hours later; the offset of a zone at any
 * instant a date gave is within a day.
 */
#include <errno.h>

#include "core/timeparse.h"
#include "fuzz.h"

static const char *const zones[] = {
	"Asia/Shanghai", "UTC", "", "America/New_York", "Europe/London",
	"Australia/Lord_Howe", "+08:00", "-0330", "No/Such_Zone", NULL,
};
#define ZONE_COUNT (sizeof(zones) / sizeof(zones[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input, *text, *zone_name;
	int64_t local = 0, utc = 0, shifted = 0;
	int32_t offset;
	size_t choice;
	int rc;

	if (size == 0)
		return 0;
	choice = data[0] % (ZONE_COUNT + 1);
	input = fuzz_strndup(data + 1, size - 1);
	if (choice < ZONE_COUNT) {
		zone_name = (char *)zones[choice];
		text = input;
	} else {
		zone_name = input;
		text = strchr(input, '\n');
		if (text)
			*text++ = '\0';
		else
			text = input + strlen(input);
	}

	rc = time_parse_zstack(text, zone_name, &local);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOENT);
	if (rc == 0) {
		FUZZ_ASSERT(time_zone_offset(zone_name, local, &offset) == 0);
		FUZZ_ASSERT(offset > -86400 && offset < 86400);
	}
	if (time_parse_zstack(text, "UTC", &utc) == 0) {
		FUZZ_ASSERT(time_parse_zstack(text, "+08:00", &shifted) == 0);
		FUZZ_ASSERT(shifted == utc - 8 * 3600);
		FUZZ_ASSERT(time_parse_zstack(text, "-03:30", &shifted) == 0);
		FUZZ_ASSERT(shifted == utc + 3 * 3600 + 1800);
	}
	free(input);
	return 0;
}
