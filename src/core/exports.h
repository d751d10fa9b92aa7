/*
 * exports.h: what this mount remembers of the exports it asked for.
 *
 * A control file shows the last export of its backup through this mount;
 * the record lives as long as the mount. Records are kept by key
 * "profile/instance id/backup id" under one mutex; callers get copies.
 */
#ifndef DBB_EXPORTS_H
#define DBB_EXPORTS_H

#include <stddef.h>
#include <stdint.h>

enum export_state { EXPORT_NONE, EXPORT_ACCEPTED, EXPORT_DONE, EXPORT_FAILED };

struct export_record {
	enum export_state state;
	char bucket[256];
	char folder[256];
	char destination[512];     /* user.backup.exported_to */
	char result[512];
	char error[600];
	int64_t requested_at;      /* epoch seconds, 0 = never */
	int64_t finished_at;
};

struct exports;

struct exports *exports_new(void);
void exports_free(struct exports *x);

/* Copies the record for key into *out; EXPORT_NONE when there is none. */
void exports_get(struct exports *x, const char *key, struct export_record *out);
void exports_put(struct exports *x, const char *key, const struct export_record *record);

/* The control file's text: "key: value" lines. Returns the length. */
size_t export_record_render(const struct export_record *record, char *out, size_t size);

#endif
