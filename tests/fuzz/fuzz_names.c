/*
 * fuzz_names.c: provider names to file names and back (names.h).
 *
 * Input: a name, a NUL byte, an id (the rest, up to any further NUL).
 *
 * Properties (DESIGN section 2, names.h):
 *  - every file name is at most 255 bytes, has no '/', no control byte, and
 *    is not "." or ".."; only the empty name escapes to "" (the listing then
 *    appends "@<id>");
 *  - escaping is a function: the same name gives the same file name;
 *  - a name that needed no shortening and holds no control byte, and is not
 *    "." or "..", unescapes back to itself (mkdir X makes the file X);
 *  - a shortened name ends in "~" and eight hex digits;
 *  - "<name>@<id>" follows the same rules and is never empty.
 */
#include "core/names.h"
#include "fuzz.h"

static int has_control_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

static void check_shape(const char *file_name)
{
	size_t length = strlen(file_name);

	FUZZ_ASSERT(length <= NAMES_MAX_BYTES);
	FUZZ_ASSERT(!strchr(file_name, '/'));
	FUZZ_ASSERT(!has_control_byte(file_name));
	FUZZ_ASSERT(strcmp(file_name, ".") && strcmp(file_name, ".."));
}

/* The escaped length if nothing were shortened. */
static size_t escaped_length(const char *name)
{
	size_t n = 0;

	if (!strcmp(name, "."))
		return 3;
	if (!strcmp(name, ".."))
		return 6;
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		n += (c == '/' || c == '%' || c < 0x20 || c == 0x7f) ? 3 : 1;
	}
	return n;
}

static int looks_shortened(const char *file_name)
{
	size_t length = strlen(file_name);

	return length >= 9 && file_name[length - 9] == '~' &&
	       strspn(file_name + length - 8, "0123456789abcdef") == 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_strndup(data, size);
	size_t name_length = strlen(input);
	const char *name = input;
	const char *id = name_length < size ? input + name_length + 1 : "";
	char escaped[NAMES_BUFFER], again[NAMES_BUFFER], with_id[NAMES_BUFFER];
	char *unescaped;

	names_escape(name, escaped);
	check_shape(escaped);
	FUZZ_ASSERT(escaped[0] != '\0' || name[0] == '\0');
	names_escape(name, again);
	FUZZ_ASSERT(!strcmp(escaped, again));

	if (escaped_length(name) > NAMES_MAX_BYTES) {
		FUZZ_ASSERT(looks_shortened(escaped));
	} else if (!has_control_byte(name) && strcmp(name, ".") && strcmp(name, "..")) {
		unescaped = malloc(strlen(escaped) + 1);
		FUZZ_ASSERT(unescaped != NULL);
		FUZZ_ASSERT(names_unescape(escaped, unescaped) == 0);
		FUZZ_ASSERT(!strcmp(unescaped, name));
		free(unescaped);
	}

	names_escape_with_id(name, id, with_id);
	check_shape(with_id);
	FUZZ_ASSERT(with_id[0] != '\0');
	names_escape_with_id(name, id, again);
	FUZZ_ASSERT(!strcmp(with_id, again));
	if (escaped_length(name) + 1 + escaped_length(id) > NAMES_MAX_BYTES)
		FUZZ_ASSERT(looks_shortened(with_id));

	/* Any file name a user types unescapes without overflowing. */
	unescaped = malloc(size + 1);
	FUZZ_ASSERT(unescaped != NULL);
	FUZZ_ASSERT(names_unescape(input, unescaped) == 0);
	FUZZ_ASSERT(strlen(unescaped) <= strlen(input));
	free(unescaped);
	free(input);
	return 0;
}
