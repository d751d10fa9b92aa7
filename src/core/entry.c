/*
 * entry.c: building compact records and reading them back.
 */
#include "core/entry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const readable_names[] = { "no", "yes", "after-export" };

const char *entry_text(const struct entry *e, enum entry_text which)
{
	return e->blob ? e->blob + e->text[which] : "";
}

const char *entry_readable_name(const struct entry *e)
{
	return e->readable <= ENTRY_READABLE_AFTER_EXPORT ?
		readable_names[e->readable] : "no";
}

int entry_raw_next(const struct entry *e, size_t *pos, const char **key,
		   const char **value)
{
	const char *raw;

	if (!e->blob || *pos >= e->raw_length)
		return 0;
	raw = e->blob + e->raw_offset;
	*key = raw + *pos;
	*pos += strlen(*key) + 1;
	*value = raw + *pos;
	*pos += strlen(*value) + 1;
	return 1;
}

const char *entry_raw_get(const struct entry *e, const char *key)
{
	const char *k, *v;
	size_t pos = 0;

	while (entry_raw_next(e, &pos, &k, &v))
		if (!strcmp(k, key))
			return v;
	return NULL;
}

int64_t entry_mtime(const struct entry *e)
{
	if (e->end_time != ENTRY_TIME_UNKNOWN)
		return e->end_time;
	if (e->begin_time != ENTRY_TIME_UNKNOWN)
		return e->begin_time;
	return 0;
}

void entry_builder_init(struct entry_builder *b)
{
	memset(b, 0, sizeof(*b));
}

static uint32_t builder_append(struct entry_builder *b, const char *bytes,
			       size_t length)
{
	size_t offset;

	if (b->failed)
		return 0;
	if (!b->buffer) {
		/* Offset 0 is the shared empty string. */
		b->capacity = 256;
		b->buffer = malloc(b->capacity);
		if (!b->buffer)
			goto fail;
		b->buffer[0] = '\0';
		b->length = 1;
	}
	if (b->length + length > UINT32_MAX)
		goto fail;
	if (b->length + length > b->capacity) {
		size_t capacity = b->capacity;
		char *grown;

		while (capacity < b->length + length)
			capacity *= 2;
		grown = realloc(b->buffer, capacity);
		if (!grown)
			goto fail;
		b->buffer = grown;
		b->capacity = capacity;
	}
	offset = b->length;
	memcpy(b->buffer + offset, bytes, length);
	b->length += length;
	return (uint32_t)offset;
fail:
	b->failed = 1;
	return 0;
}

void entry_builder_text(struct entry_builder *b, enum entry_text which,
			const char *text)
{
	if (!text || !*text) {
		b->text[which] = 0;
		return;
	}
	b->text[which] = builder_append(b, text, strlen(text) + 1);
}

void entry_builder_raw(struct entry_builder *b, const char *packed, size_t length)
{
	if (!length)
		return;
	b->raw_offset = builder_append(b, packed, length);
	b->raw_length = (uint32_t)length;
}

int entry_builder_finish(struct entry_builder *b, struct entry *e)
{
	char *blob;

	if (!b->buffer)
		builder_append(b, "", 0);
	if (b->failed) {
		entry_builder_discard(b);
		return -ENOMEM;
	}
	/* Shrink to fit: the builder grows geometrically, the record stays. */
	blob = realloc(b->buffer, b->length);
	e->blob = blob ? blob : b->buffer;
	memcpy(e->text, b->text, sizeof(e->text));
	e->raw_offset = b->raw_offset;
	e->raw_length = b->raw_length;
	e->file_name = NULL;
	entry_builder_init(b);
	return 0;
}

void entry_builder_discard(struct entry_builder *b)
{
	free(b->buffer);
	entry_builder_init(b);
}

void entry_destroy(struct entry *e)
{
	free(e->blob);
	free(e->file_name);
	e->blob = NULL;
	e->file_name = NULL;
}

void entry_list_init(struct entry_list *list)
{
	memset(list, 0, sizeof(*list));
}

int entry_list_push(struct entry_list *list, struct entry *e)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 16;
		struct entry *grown = realloc(list->items, capacity * sizeof(*grown));

		if (!grown) {
			entry_destroy(e);
			return -ENOMEM;
		}
		list->items = grown;
		list->capacity = capacity;
	}
	list->items[list->count++] = *e;
	return 0;
}

void entry_list_destroy(struct entry_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		entry_destroy(&list->items[i]);
	free(list->items);
	entry_list_init(list);
}
