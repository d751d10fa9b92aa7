/*
 * xattrs.c: neutral records to user.* attributes.
 */
#include "core/xattrs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeparse.h"

void xattr_list_init(struct xattr_list *x)
{
	memset(x, 0, sizeof(*x));
}

void xattr_list_destroy(struct xattr_list *x)
{
	free(x->buffer);
	xattr_list_init(x);
}

static void append(struct xattr_list *x, const char *text)
{
	size_t length = strlen(text) + 1;

	if (x->failed)
		return;
	if (x->length + length > x->capacity) {
		size_t capacity = x->capacity ? x->capacity : 1024;
		char *grown;

		while (capacity < x->length + length)
			capacity *= 2;
		grown = realloc(x->buffer, capacity);
		if (!grown) {
			x->failed = 1;
			return;
		}
		x->buffer = grown;
		x->capacity = capacity;
	}
	memcpy(x->buffer + x->length, text, length);
	x->length += length;
}

void xattr_list_add(struct xattr_list *x, const char *name, const char *value)
{
	append(x, name);
	append(x, value ? value : "");
}

static void add_time(struct xattr_list *x, const char *name, int64_t when)
{
	char text[40] = "";

	if (when != ENTRY_TIME_UNKNOWN)
		time_format_rfc3339(when, text, sizeof(text));
	xattr_list_add(x, name, text);
}

/* user.api.<key> for every raw field the provider sent. */
static void add_raw_fields(struct xattr_list *x, const struct entry *e)
{
	char name[512];
	const char *key, *value;
	size_t pos = 0;

	while (entry_raw_next(e, &pos, &key, &value)) {
		snprintf(name, sizeof(name), "user.api.%s", key);
		xattr_list_add(x, name, value);
	}
}

void xattrs_for_backup(struct xattr_list *x, const struct entry *backup,
		       const struct entry *instance, const char *exported_to)
{
	char size[32] = "";

	if (backup->size != ENTRY_SIZE_UNKNOWN)
		snprintf(size, sizeof(size), "%" PRId64, backup->size);
	xattr_list_add(x, "user.backup.id", entry_text(backup, ENTRY_ID));
	xattr_list_add(x, "user.backup.name", entry_text(backup, ENTRY_NAME));
	xattr_list_add(x, "user.backup.instance", entry_text(instance, ENTRY_NAME));
	xattr_list_add(x, "user.backup.status", entry_text(backup, ENTRY_STATUS));
	xattr_list_add(x, "user.backup.type", entry_text(backup, ENTRY_TYPE));
	xattr_list_add(x, "user.backup.size", size);
	add_time(x, "user.backup.begin_time", backup->begin_time);
	add_time(x, "user.backup.end_time", backup->end_time);
	xattr_list_add(x, "user.backup.engine", entry_text(backup, ENTRY_ENGINE));
	xattr_list_add(x, "user.backup.engine_version",
		       entry_text(backup, ENTRY_ENGINE_VERSION));
	xattr_list_add(x, "user.backup.readable", entry_readable_name(backup));
	xattr_list_add(x, "user.backup.exported_to",
		       exported_to ? exported_to : entry_text(backup, ENTRY_EXPORTED_TO));
	add_raw_fields(x, backup);
}

void xattrs_for_instance(struct xattr_list *x, const struct entry *instance)
{
	xattr_list_add(x, "user.instance.id", entry_text(instance, ENTRY_ID));
	xattr_list_add(x, "user.instance.name", entry_text(instance, ENTRY_NAME));
	xattr_list_add(x, "user.instance.status", entry_text(instance, ENTRY_STATUS));
	xattr_list_add(x, "user.instance.engine", entry_text(instance, ENTRY_ENGINE));
	xattr_list_add(x, "user.instance.engine_version",
		       entry_text(instance, ENTRY_ENGINE_VERSION));
	add_raw_fields(x, instance);
}

void xattrs_for_profile(struct xattr_list *x, const char *kind,
			const char *endpoint, const char *region)
{
	xattr_list_add(x, "user.provider.kind", kind);
	xattr_list_add(x, "user.provider.endpoint", endpoint);
	xattr_list_add(x, "user.provider.region", region);
}

const char *xattr_list_get(const struct xattr_list *x, const char *name)
{
	for (size_t pos = 0; pos < x->length;) {
		const char *key = x->buffer + pos;
		const char *value = key + strlen(key) + 1;

		if (!strcmp(key, name))
			return value;
		pos = (size_t)(value - x->buffer) + strlen(value) + 1;
	}
	return NULL;
}

size_t xattr_list_names(const struct xattr_list *x, char *out, size_t size)
{
	size_t needed = 0;

	for (size_t pos = 0; pos < x->length;) {
		const char *key = x->buffer + pos;
		const char *value = key + strlen(key) + 1;
		size_t length = strlen(key) + 1;

		if (out && needed + length <= size)
			memcpy(out + needed, key, length);
		needed += length;
		pos = (size_t)(value - x->buffer) + strlen(value) + 1;
	}
	return needed;
}
