/*
 * names.h: from a provider's name to a file name, and back for mkdir.
 *
 * DESIGN section 2: names are the provider's own; '/' is written %2F and '%'
 * is written %25. Names that could break the tree are made safe as well:
 * control characters become %XX, "." and ".." become %2E and %2E%2E, and a
 * name longer than NAME_MAX bytes is shortened with a stable suffix "~" plus
 * eight hex digits of its hash, so that the same long name always gives the
 * same file name.
 */
#ifndef DBB_NAMES_H
#define DBB_NAMES_H

#include <stddef.h>

#define NAMES_MAX_BYTES 255
#define NAMES_BUFFER (NAMES_MAX_BYTES + 1)

/* Writes the file name for a provider name into out (NAMES_BUFFER bytes). */
void names_escape(const char *name, char out[NAMES_BUFFER]);

/* Writes "<escaped name>@<escaped id>", shortened like names_escape. */
void names_escape_with_id(const char *name, const char *id,
			  char out[NAMES_BUFFER]);

/* The provider name that a file name stands for (for mkdir): %2F and %25
 * are decoded. Returns 0. out needs strlen(file_name) + 1 bytes. */
int names_unescape(const char *file_name, char *out);

#endif
