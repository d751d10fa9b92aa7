/* Names: escaping provider names into file names (DESIGN section 2). */
#include <string.h>

#include "check.h"
#include "core/names.h"

static void escaped(const char *name, const char *expected)
{
	char out[NAMES_BUFFER];

	names_escape(name, out);
	CHECK_STR(out, expected);
}

static void test_only_slash_and_percent_change_in_ordinary_names(void)
{
	escaped("20240601", "20240601");
	escaped("nightly copy (ünïcode)", "nightly copy (ünïcode)");
	escaped("a/b", "a%2Fb");
	escaped("100%", "100%25");
	escaped("%2F", "%252F");
	escaped(".hidden", ".hidden");
}

static void test_names_that_would_break_the_tree(void)
{
	escaped(".", "%2E");
	escaped("..", "%2E%2E");
	escaped("tab\there", "tab%09here");
	escaped("new\nline", "new%0Aline");
	escaped("del\x7f", "del%7F");
}

static void test_long_names_are_shortened_stably(void)
{
	char long_name[600], first[NAMES_BUFFER], second[NAMES_BUFFER], other[NAMES_BUFFER];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	names_escape(long_name, first);
	names_escape(long_name, second);
	CHECK_INT(strlen(first), NAMES_MAX_BYTES);
	CHECK_STR(first, second);
	CHECK(first[NAMES_MAX_BYTES - 9] == '~');
	long_name[500] = 'y';
	names_escape(long_name, other);
	CHECK(strcmp(first, other) != 0);
}

static void test_long_utf8_is_cut_at_a_character_boundary(void)
{
	char name[700] = "", out[NAMES_BUFFER];

	for (int i = 0; i < 200; i++)
		strcat(name, "\xc3\xa9");   /* é, two bytes */
	names_escape(name, out);
	CHECK(strlen(out) <= NAMES_MAX_BYTES);
	/* The byte before "~" ends a character: é is C3 A9. */
	CHECK((unsigned char)strchr(out, '~')[-1] == 0xa9);
}

static void test_id_suffix(void)
{
	char out[NAMES_BUFFER];

	names_escape_with_id("daily", "a/1", out);
	CHECK_STR(out, "daily@a%2F1");
	names_escape_with_id("", "id-7", out);
	CHECK_STR(out, "@id-7");
}

static void test_unescape_is_the_inverse_for_mkdir(void)
{
	char out[64];

	names_unescape("a%2Fb%25c%41", out);
	CHECK_STR(out, "a/b%c%41");
	names_unescape("plain", out);
	CHECK_STR(out, "plain");
}

int main(void)
{
	RUN(test_only_slash_and_percent_change_in_ordinary_names);
	RUN(test_names_that_would_break_the_tree);
	RUN(test_long_names_are_shortened_stably);
	RUN(test_long_utf8_is_cut_at_a_character_boundary);
	RUN(test_id_suffix);
	RUN(test_unescape_is_the_inverse_for_mkdir);
	return CHECK_DONE();
}
