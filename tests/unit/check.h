/*
 * check.h: the smallest unit-test harness that does the job.
 *
 * Each test file defines test functions and lists them in main() with RUN().
 * A failed CHECK prints file:line and the expression and marks the test
 * failed; the binary ends with "N passed, N failed" and exits non-zero on any
 * failure, which is what ctest and CI read.
 */
#ifndef DBB_CHECK_H
#define DBB_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_in_test;
static int check_passed_total;
static int check_failed_total;

#define CHECK(expr)                                                        \
	do {                                                               \
		if (!(expr)) {                                             \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",       \
				__FILE__, __LINE__, #expr);                \
			check_failed_in_test = 1;                          \
		}                                                          \
	} while (0)

#define CHECK_STR(actual, expected)                                        \
	do {                                                               \
		const char *check_a_ = (actual), *check_e_ = (expected);   \
		if (!check_a_ || !check_e_ || strcmp(check_a_, check_e_)) {\
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #actual,               \
				check_a_ ? check_a_ : "(null)",            \
				check_e_ ? check_e_ : "(null)");           \
			check_failed_in_test = 1;                          \
		}                                                          \
	} while (0)

#define CHECK_INT(actual, expected)                                        \
	do {                                                               \
		long long check_a_ = (long long)(actual);                  \
		long long check_e_ = (long long)(expected);                \
		if (check_a_ != check_e_) {                                \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", \
				__FILE__, __LINE__, #actual, check_a_,     \
				check_e_);                                 \
			check_failed_in_test = 1;                          \
		}                                                          \
	} while (0)

#define RUN(test)                                                          \
	do {                                                               \
		check_failed_in_test = 0;                                  \
		test();                                                    \
		if (check_failed_in_test) {                                \
			check_failed_total++;                              \
			fprintf(stderr, "FAIL %s\n", #test);               \
		} else {                                                   \
			check_passed_total++;                              \
		}                                                          \
	} while (0)

#define CHECK_DONE()                                                       \
	(printf("%d passed, %d failed\n", check_passed_total,              \
		check_failed_total),                                       \
	 check_failed_total ? 1 : 0)

/* Reads the fixture directory/name (tests run in tests/unit), NUL-terminated;
 * the caller frees. NULL, with a message, when it cannot be read. */
static inline char *check_read_fixture(const char *directory, const char *name,
				       size_t *len)
{
	char path[256];
	FILE *file;
	char *buf = NULL;
	long size;

	snprintf(path, sizeof(path), "%s%s", directory, name);
	file = fopen(path, "rb");
	if (!file) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		return NULL;
	}
	if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 &&
	    fseek(file, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1))) {
		*len = fread(buf, 1, (size_t)size, file);
		buf[*len] = '\0';
	}
	fclose(file);
	return buf;
}

#endif
