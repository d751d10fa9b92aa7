/*
 * entry.h: the provider-neutral record of an instance or a backup.
 *
 * A mount may hold 100,000 backups, so a record is one small struct and one
 * blob: the neutral texts (id, name, status, ...) and the provider's raw
 * fields (for user.api.*) live NUL-separated in `blob`, addressed by offsets.
 * Providers fill records with an entry_builder and hand them over in an
 * entry_list; the cache turns that list into a listing (listing.h).
 */
#ifndef DBB_ENTRY_H
#define DBB_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define ENTRY_TIME_UNKNOWN INT64_MIN
#define ENTRY_SIZE_UNKNOWN (-1)

enum entry_text {
	ENTRY_ID,             /* provider's identity, unique within the parent */
	ENTRY_NAME,           /* provider's name, before escaping */
	ENTRY_STATUS,         /* provider's status, lower case */
	ENTRY_TYPE,           /* backup type: auto, manual, full, ... */
	ENTRY_ENGINE,
	ENTRY_ENGINE_VERSION,
	ENTRY_EXPORTED_TO,    /* where the provider says it was exported */
	ENTRY_TEXT_COUNT
};

enum entry_readable {
	ENTRY_READABLE_NO,
	ENTRY_READABLE_YES,
	ENTRY_READABLE_AFTER_EXPORT,
};

struct entry {
	char *blob;                        /* owns every text below */
	uint32_t text[ENTRY_TEXT_COUNT];   /* offsets into blob; 0 is "" */
	uint32_t raw_offset, raw_length;   /* packed key\0value\0 pairs */
	int64_t size;                      /* bytes, or ENTRY_SIZE_UNKNOWN */
	int64_t begin_time, end_time;      /* epoch seconds, or ENTRY_TIME_UNKNOWN */
	uint8_t readable;                  /* enum entry_readable */
	uint8_t transitional;              /* building, creating, ...: poll */
	char *file_name;                   /* name in the tree; set by listing */
};

struct entry_builder {
	char *buffer;
	size_t length, capacity;
	uint32_t text[ENTRY_TEXT_COUNT];
	uint32_t raw_offset, raw_length;
	int failed;                        /* out of memory or over 4 GiB */
};

struct entry_list {
	struct entry *items;
	size_t count, capacity;
};

const char *entry_text(const struct entry *e, enum entry_text which);
const char *entry_readable_name(const struct entry *e);

/* The raw fields: iterate with pos = 0 until it returns 0. */
int entry_raw_next(const struct entry *e, size_t *pos, const char **key,
		   const char **value);
const char *entry_raw_get(const struct entry *e, const char *key);

/* The time a file shows: end time, else begin time, else 0. */
int64_t entry_mtime(const struct entry *e);

void entry_builder_init(struct entry_builder *b);
void entry_builder_text(struct entry_builder *b, enum entry_text which,
			const char *text);
/* Copies the packed raw fields (key\0value\0...) into the record. */
void entry_builder_raw(struct entry_builder *b, const char *packed, size_t length);
/* Moves the texts into `e` (whose numbers the caller sets) and resets the
 * builder. Returns 0, or -ENOMEM. */
int entry_builder_finish(struct entry_builder *b, struct entry *e);
void entry_builder_discard(struct entry_builder *b);

void entry_destroy(struct entry *e);

void entry_list_init(struct entry_list *list);
/* Appends a copy of *e (taking ownership of its blob). Returns 0 or -ENOMEM;
 * on failure *e is destroyed. */
int entry_list_push(struct entry_list *list, struct entry *e);
void entry_list_destroy(struct entry_list *list);

#endif
