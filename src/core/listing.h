/*
 * listing.h: one directory's worth of records, immutable once built.
 *
 * A listing is shared by reference: the cache holds one, and every reader
 * (a readdir stream, a lookup) takes its own reference, so a refresh can
 * replace the cached listing while older readers finish with theirs.
 * Building a listing gives every record its file name (names.h), appending
 * "@<id>" to every record of a group whose names collide, or whose name is
 * reserved by the tree (".export", ...).
 */
#ifndef DBB_LISTING_H
#define DBB_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/entry.h"

struct listing {
	int references;              /* atomic */
	struct entry *entries;
	size_t count;
	uint32_t *by_name;           /* indexes sorted by file name */
	uint32_t *by_id;             /* indexes sorted by id */
	int64_t fetched_ms;          /* monotonic time of the fetch */
	bool transitional;           /* a record is building or creating */
	int64_t newest_mtime;        /* for the directory's mtime */
};

/* Takes the records out of `list` (leaving it empty). reserved is a
 * NULL-terminated list of names the tree uses itself, or NULL. Returns NULL
 * when out of memory (the records are freed). */
struct listing *listing_build(struct entry_list *list,
			      const char *const *reserved);

struct listing *listing_ref(struct listing *l);
void listing_unref(struct listing *l);

const struct entry *listing_find_name(const struct listing *l, const char *name);
const struct entry *listing_find_id(const struct listing *l, const char *id);

/* The i-th record in file-name order. */
const struct entry *listing_at(const struct listing *l, size_t i);

#endif
