/*
 * fuzz_doc.h: what the JSON and XML harnesses do with a parsed tree, the
 * way the providers use it: flatten it for user.api.*, take lists out of it
 * with doc_list, read fields with the scalar accessors, walk dotted paths.
 *
 * Properties checked (doc.h):
 *  - a tree the parser accepted always flattens: the parsers refuse NUL
 *    bytes and trees deeper than DOC_MAX_DEPTH, which are all that
 *    doc_flatten refuses;
 *  - doc_flat_next walks the whole buffer, and doc_flat_get finds each key;
 *  - an excluded key leaves nothing under it (where no key has a '.');
 *  - doc_list returns an array or NULL, never anything else;
 *  - when no key has a '.' or is empty, doc_path of each flattened key finds
 *    a value whose doc_text is the flattened value.
 */
#ifndef DBB_FUZZ_DOC_H
#define DBB_FUZZ_DOC_H

#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "providers/doc.h"

/* Enough work per input to cover the accessors, not so much that a wide
 * tree makes one input slow. */
#define FUZZ_DOC_MEMBERS_MAX 64

static inline void fuzz_doc_scalar_accessors(const json_t *object, const char *key)
{
	char text[DOC_SCALAR_TEXT_MAX];
	int64_t integer;
	bool boolean;
	int rc;

	(void)doc_str(object, key);
	rc = doc_field_text(object, key, text, sizeof(text));
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ERANGE || rc == -ENOENT);
	rc = doc_int64(object, key, &integer);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ERANGE || rc == -ENOENT);
	rc = doc_bool(object, key, &boolean);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOENT);
}

static inline void fuzz_doc_list_of(const json_t *object, const char *key)
{
	json_t *list = doc_list(object, key);
	json_t *item;
	size_t index;

	if (!list)
		return;
	FUZZ_ASSERT(json_is_array(list));
	/* Each record of a list is read field by field. */
	json_array_foreach(list, index, item) {
		const char *field;
		json_t *value;
		size_t members = 0;

		if (index >= FUZZ_DOC_MEMBERS_MAX)
			break;
		if (!json_is_object(item))
			continue;
		json_object_foreach(item, field, value) {
			if (members++ >= FUZZ_DOC_MEMBERS_MAX)
				break;
			fuzz_doc_scalar_accessors(item, field);
		}
	}
	json_decref(list);
}

/* doc_list and the accessors on every member of the top two levels. */
static inline void fuzz_doc_members(const json_t *tree, int levels)
{
	const char *key;
	json_t *value;
	size_t members = 0;

	if (json_is_array(tree)) {
		size_t index;

		json_array_foreach(tree, index, value) {
			if (index >= FUZZ_DOC_MEMBERS_MAX)
				break;
			if (levels > 1)
				fuzz_doc_members(value, levels - 1);
		}
		return;
	}
	if (!json_is_object(tree))
		return;
	json_object_foreach((json_t *)tree, key, value) {
		if (members++ >= FUZZ_DOC_MEMBERS_MAX)
			break;
		fuzz_doc_list_of(tree, key);
		fuzz_doc_scalar_accessors(tree, key);
		if (levels > 1)
			fuzz_doc_members(value, levels - 1);
	}
}

/* True when every key of the tree is non-empty and has no '.', so that a
 * flattened key is also a doc_path that reaches the same value. */
static inline bool fuzz_doc_keys_are_paths(const json_t *v)
{
	const char *key;
	json_t *child;
	size_t index;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if (!*key || strchr(key, '.') || !fuzz_doc_keys_are_paths(child))
				return false;
	} else if (json_is_array(v)) {
		json_array_foreach(v, index, child)
			if (!fuzz_doc_keys_are_paths(child))
				return false;
	}
	return true;
}

static inline void fuzz_doc_check_path(const json_t *tree, const char *key,
				       const char *value)
{
	const json_t *found = doc_path(tree, key);
	size_t size = strlen(value) + DOC_SCALAR_TEXT_MAX;
	char *text;

	FUZZ_ASSERT(found != NULL);
	if (json_is_object(found) || json_is_array(found)) {
		/* Only an empty container flattens to a pair of its own. */
		FUZZ_ASSERT(json_is_object(found) ? json_object_size(found) == 0
						  : json_array_size(found) == 0);
		FUZZ_ASSERT(*value == '\0');
		return;
	}
	text = malloc(size);
	FUZZ_ASSERT(text != NULL);
	FUZZ_ASSERT(doc_text(found, text, size) == 0);
	FUZZ_ASSERT(strcmp(text, value) == 0);
	free(text);
}

static inline void fuzz_doc_flatten(const json_t *tree)
{
	struct doc_flat flat = { 0 };
	const char *key, *value;
	const char *exclude[2] = { NULL, NULL };
	bool paths = fuzz_doc_keys_are_paths(tree);
	size_t pos = 0, pairs = 0;

	FUZZ_ASSERT(doc_flatten(tree, NULL, &flat) == 0);
	while (doc_flat_next(flat.buf, flat.len, &pos, &key, &value) == 1) {
		/* Both are linear scans: a sample keeps wide trees fast. */
		if (pairs < FUZZ_DOC_MEMBERS_MAX) {
			FUZZ_ASSERT(doc_flat_get(flat.buf, flat.len, key) != NULL);
			if (paths)
				fuzz_doc_check_path(tree, key, value);
		}
		if (!exclude[0] && strchr(key, '.'))
			exclude[0] = strdup(key);
		pairs++;
	}
	FUZZ_ASSERT(pos == flat.len);
	doc_flat_free(&flat);
	FUZZ_ASSERT(flat.buf == NULL && flat.len == 0);

	/* Leave out the first nested key's parent and everything under it.
	 * Where keys hold dots, "under" is not a matter of text: skip. */
	if (!exclude[0] || !paths) {
		free((char *)exclude[0]);
		return;
	}
	*strrchr((char *)exclude[0], '.') = '\0';
	FUZZ_ASSERT(doc_flatten(tree, exclude, &flat) == 0);
	pos = 0;
	while (doc_flat_next(flat.buf, flat.len, &pos, &key, &value) == 1) {
		size_t n = strlen(exclude[0]);

		FUZZ_ASSERT(!(strncmp(key, exclude[0], n) == 0 &&
			      (key[n] == '\0' || key[n] == '.')));
	}
	doc_flat_free(&flat);
	free((char *)exclude[0]);
}

/* Everything a provider does with an answer. */
static inline void fuzz_doc_exercise(const json_t *tree)
{
	FUZZ_ASSERT(json_is_object(tree) || json_is_array(tree));
	fuzz_doc_flatten(tree);
	fuzz_doc_members(tree, 3);
}

#endif
