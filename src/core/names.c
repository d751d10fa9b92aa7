/*
 * names.c: escaping provider names into file names.
 */
#include "core/names.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* FNV-1a: stable across runs and machines, which is all the suffix needs. */
static uint32_t name_hash(const char *text)
{
	uint32_t hash = 2166136261u;

	for (; *text; text++) {
		hash ^= (unsigned char)*text;
		hash *= 16777619u;
	}
	return hash;
}

static int needs_escape(unsigned char c)
{
	return c == '/' || c == '%' || c < 0x20 || c == 0x7f;
}

/* Escapes into an unbounded scratch buffer first, then shortens: the length
 * limit applies to the escaped form, which is what the kernel sees. */
static size_t escape_into(const char *name, char *out, size_t size)
{
	size_t n = 0;

	if (!strcmp(name, "."))
		return (size_t)snprintf(out, size, "%%2E");
	if (!strcmp(name, ".."))
		return (size_t)snprintf(out, size, "%%2E%%2E");
	for (; *name && n + 4 < size; name++) {
		unsigned char c = (unsigned char)*name;

		if (needs_escape(c))
			n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

/* Cuts at a UTF-8 character boundary so that a shortened name stays valid
 * UTF-8 when the original was. */
static size_t utf8_cut(const char *text, size_t limit)
{
	while (limit > 0 && ((unsigned char)text[limit] & 0xC0) == 0x80)
		limit--;
	return limit;
}

static void shorten(const char *full, char out[NAMES_BUFFER])
{
	size_t length = strlen(full);
	size_t keep;

	if (length <= NAMES_MAX_BYTES) {
		memcpy(out, full, length + 1);
		return;
	}
	keep = utf8_cut(full, NAMES_MAX_BYTES - 9);
	memcpy(out, full, keep);
	snprintf(out + keep, NAMES_BUFFER - keep, "~%08x", name_hash(full));
}

void names_escape(const char *name, char out[NAMES_BUFFER])
{
	char full[4 * 1024];

	escape_into(name, full, sizeof(full));
	shorten(full, out);
}

void names_escape_with_id(const char *name, const char *id,
			  char out[NAMES_BUFFER])
{
	char full[4 * 1024];
	size_t n = escape_into(name, full, sizeof(full));

	if (n + 2 < sizeof(full)) {
		full[n] = '@';
		escape_into(id, full + n + 1, sizeof(full) - n - 1);
	}
	shorten(full, out);
}

int names_unescape(const char *file_name, char *out)
{
	size_t n = 0;

	/* Only the two escapes of DESIGN section 2 are decoded, so that
	 * "mkdir X" asks for exactly the name that then shows as X. */
	for (const char *p = file_name; *p; p++) {
		if (p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) {
			out[n++] = '/';
			p += 2;
		} else if (p[0] == '%' && p[1] == '2' && p[2] == '5') {
			out[n++] = '%';
			p += 2;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return 0;
}
