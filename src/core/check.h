/*
 * check.h: `dbbackupfs --check`: is each profile usable, and if not, why.
 *
 * One read-only call per profile (its instance listing, uncached), and one
 * line per profile for a person or a script: "ok" with the number of
 * instances and where the credentials came from, or the reason in plain
 * words (bad credentials, clock skew with the seconds, endpoint unreachable,
 * TLS), never a secret.
 */
#ifndef DBB_CHECK_H
#define DBB_CHECK_H

#include <stddef.h>

#include "core/catalog.h"

/* Fills line (without a newline); returns 0 when the profile works. */
int catalog_check_profile(struct catalog *cat, struct profile *p, char *line,
			  size_t size);

#endif
