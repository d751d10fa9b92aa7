/*
 * content_links.h: where a backup's bytes are, remembered between opens.
 *
 * Asking a provider for a download link is an API call (RDS backup-files,
 * an Object Storage listing), and a file manager opens every file to guess
 * its type, often more than once. The answer is kept per backup until it
 * nears its expiry, and never longer than the profile's cache_ttl (an
 * object without expiry may still go away). A reader that finds a link
 * expired or refused asks the provider again and replaces the entry.
 */
#ifndef DBB_CONTENT_LINKS_H
#define DBB_CONTENT_LINKS_H

#include <stdbool.h>

#include "providers/provider.h"

/* Copies the remembered answer into *out (which the caller destroys with
 * content_source_destroy); false when there is none, or it is too old. */
bool content_links_get(const struct profile *p, const char *instance_id,
		       const char *backup_id, struct content_source *out);

/* Remembers a copy of source (failing silently when out of memory). */
void content_links_put(const struct profile *p, const char *instance_id,
		       const char *backup_id, const struct content_source *source);

/* Forgets everything (at exit). */
void content_links_clear(void);

#endif
