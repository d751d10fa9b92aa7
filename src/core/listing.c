/*
 * listing.c: naming, indexing and sharing one directory's records.
 */
#include "core/listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"

struct sort_context {
	const struct entry *entries;
	int by_file_name;
};

static const char *sort_key(const struct sort_context *c, uint32_t i)
{
	return c->by_file_name ? c->entries[i].file_name :
		entry_text(&c->entries[i], ENTRY_ID);
}

static int compare_indexes(const void *a, const void *b, void *arg)
{
	const struct sort_context *c = arg;

	return strcmp(sort_key(c, *(const uint32_t *)a),
		      sort_key(c, *(const uint32_t *)b));
}

static void sort_indexes(struct listing *l, uint32_t *index, int by_file_name)
{
	struct sort_context c = { l->entries, by_file_name };

	for (size_t i = 0; i < l->count; i++)
		index[i] = (uint32_t)i;
	qsort_r(index, l->count, sizeof(*index), compare_indexes, &c);
}

static bool is_reserved(const char *name, const char *const *reserved)
{
	for (; reserved && *reserved; reserved++)
		if (!strcmp(name, *reserved))
			return true;
	return false;
}

/* How far a record's file name had to go to be unique. */
enum naming_level {
	NAME_PLAIN,         /* the escaped provider name */
	NAME_WITH_ID,       /* "<name>@<id>" */
	NAME_WITH_HASH,     /* "<name>@<id>~<hash of id>": a plain name took the @ form */
	NAME_LAST_RESORT,   /* "<name>@<id>~<hash of id and its rank>" */
};

static uint32_t fnv1a(const char *text, uint32_t hash)
{
	for (; *text; text++)
		hash = (hash ^ (unsigned char)*text) * 16777619u;
	return hash;
}

static int name_at_level(struct listing *l, size_t i, uint8_t level, uint32_t rank)
{
	const struct entry *e = &l->entries[i];
	char name[NAMES_BUFFER], id[NAMES_BUFFER * 2];

	if (level == NAME_PLAIN) {
		names_escape(entry_text(e, ENTRY_NAME), name);
	} else if (level == NAME_WITH_ID) {
		names_escape_with_id(entry_text(e, ENTRY_NAME), entry_text(e, ENTRY_ID), name);
	} else {
		uint32_t hash = fnv1a(entry_text(e, ENTRY_ID), 2166136261u);

		if (level == NAME_LAST_RESORT)
			hash = hash * 31 + rank;
		snprintf(id, sizeof(id), "%s~%08x", entry_text(e, ENTRY_ID), hash);
		names_escape_with_id(entry_text(e, ENTRY_NAME), id, name);
	}
	free(l->entries[i].file_name);
	l->entries[i].file_name = strdup(name);
	return l->entries[i].file_name ? 0 : -1;
}

/* Every record gets its plain escaped name; then, round by round, every
 * member of a group of equal names (or a name the tree reserves) moves one
 * level up. The levels depend only on the set of (name, id) pairs, never on
 * the order of the provider's answer, so names are stable across refreshes. */
static int assign_file_names(struct listing *l, const char *const *reserved)
{
	uint8_t *levels = calloc(l->count + 1, 1);
	int result = -1;

	if (!levels)
		return -1;
	sort_indexes(l, l->by_id, 0);
	for (int round = 0; round <= NAME_LAST_RESORT; round++) {
		bool moved = false;

		for (size_t k = 0; k < l->count; k++)
			if (name_at_level(l, l->by_id[k], levels[l->by_id[k]], (uint32_t)k) < 0)
				goto out;
		sort_indexes(l, l->by_name, 1);
		for (size_t i = 0; i < l->count;) {
			const char *shared = l->entries[l->by_name[i]].file_name;
			size_t end = i + 1;

			while (end < l->count &&
			       !strcmp(l->entries[l->by_name[end]].file_name, shared))
				end++;
			if (end - i > 1 || is_reserved(shared, reserved) || !*shared) {
				for (size_t k = i; k < end; k++) {
					uint8_t *level = &levels[l->by_name[k]];

					if (*level < NAME_LAST_RESORT) {
						(*level)++;
						moved = true;
					}
				}
			}
			i = end;
		}
		if (!moved)
			break;
	}
	result = 0;
out:
	free(levels);
	return result;
}

static void summarize(struct listing *l)
{
	for (size_t i = 0; i < l->count; i++) {
		const struct entry *e = &l->entries[i];

		if (e->transitional)
			l->transitional = true;
		if (entry_mtime(e) > l->newest_mtime)
			l->newest_mtime = entry_mtime(e);
	}
}

struct listing *listing_build(struct entry_list *list,
			      const char *const *reserved)
{
	struct listing *l = calloc(1, sizeof(*l));

	if (!l)
		goto fail;
	l->references = 1;
	l->entries = list->items;
	l->count = list->count;
	entry_list_init(list);
	l->by_name = malloc((l->count + 1) * sizeof(uint32_t));
	l->by_id = malloc((l->count + 1) * sizeof(uint32_t));
	if (!l->by_name || !l->by_id || assign_file_names(l, reserved) < 0)
		goto fail;
	summarize(l);
	return l;
fail:
	if (l) {
		l->references = 1;
		listing_unref(l);
	} else {
		entry_list_destroy(list);
	}
	return NULL;
}

struct listing *listing_ref(struct listing *l)
{
	__atomic_add_fetch(&l->references, 1, __ATOMIC_RELAXED);
	return l;
}

void listing_unref(struct listing *l)
{
	if (!l || __atomic_sub_fetch(&l->references, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < l->count; i++)
		entry_destroy(&l->entries[i]);
	free(l->entries);
	free(l->by_name);
	free(l->by_id);
	free(l);
}

static const struct entry *binary_search(const struct listing *l,
					 const uint32_t *index, int by_file_name,
					 const char *key)
{
	struct sort_context c = { l->entries, by_file_name };
	size_t low = 0, high = l->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(sort_key(&c, index[middle]), key);

		if (!order)
			return &l->entries[index[middle]];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

const struct entry *listing_find_name(const struct listing *l, const char *name)
{
	return binary_search(l, l->by_name, 1, name);
}

const struct entry *listing_find_id(const struct listing *l, const char *id)
{
	return binary_search(l, l->by_id, 0, id);
}

const struct entry *listing_at(const struct listing *l, size_t i)
{
	return i < l->count ? &l->entries[l->by_name[i]] : NULL;
}
