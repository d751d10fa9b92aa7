/*
 * fuzz_time_iso8601.c: NAVER's and Huawei's timestamps (time_parse_iso8601).
 *
 * Properties: a text read without TIME_ASSUME_UTC reads the same with it;
 * whatever is read and can be written back as RFC 3339 (years 1..9999 in
 * UTC) reads back to the same second, and is exactly "YYYY-MM-DDThh:mm:ssZ".
 */
#include <errno.h>

#include "core/timeparse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	char formatted[TIME_RFC3339_SIZE];
	int64_t strict = 0, lenient = 0, again = 0;
	int strict_rc, lenient_rc, rc;

	strict_rc = time_parse_iso8601(text, &strict);
	lenient_rc = time_parse_iso8601_flags(text, TIME_ASSUME_UTC, &lenient);
	FUZZ_ASSERT(strict_rc == 0 || strict_rc == -EINVAL);
	FUZZ_ASSERT(lenient_rc == 0 || lenient_rc == -EINVAL);
	if (strict_rc == 0)
		FUZZ_ASSERT(lenient_rc == 0 && lenient == strict);
	if (lenient_rc == 0) {
		rc = time_format_rfc3339(lenient, formatted, sizeof(formatted));
		FUZZ_ASSERT(rc == 0 || rc == -ERANGE);
		if (rc == 0) {
			FUZZ_ASSERT(strlen(formatted) == TIME_RFC3339_SIZE - 1);
			FUZZ_ASSERT(time_parse_iso8601(formatted, &again) == 0);
			FUZZ_ASSERT(again == lenient);
		}
	}
	free(text);
	return 0;
}
