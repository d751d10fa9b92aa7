/*
 * fuzz.h: what every libFuzzer harness of tests/fuzz shares.
 *
 * A harness is one LLVMFuzzerTestOneInput that feeds its input to one
 * parser, checks the properties the parser's header promises, and frees
 * everything it made: libFuzzer reports a leak per input, so a harness that
 * leaks hides the parser's leaks. A broken property is a crash (abort()),
 * with one line saying which, so that libFuzzer saves the input.
 */
#ifndef DBB_FUZZ_H
#define DBB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(expr)                                                  \
	do {                                                               \
		if (!(expr)) {                                             \
			fprintf(stderr, "%s:%d: property broken: %s\n",    \
				__FILE__, __LINE__, #expr);                \
			abort();                                           \
		}                                                          \
	} while (0)

/* The input as a C string: a malloc'd copy with a NUL after it (the input
 * may hold NUL bytes of its own: the string then ends at the first one). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* What DESIGN section 2 promises of every name in the tree. */
static inline int fuzz_file_name_valid(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > 255 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

#endif
