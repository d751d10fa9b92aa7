/*
 * fuzz_listing.c: a directory's file names from adversarial provider names
 * and ids (listing_build, listing.h).
 *
 * Input: a flags byte, then NUL-separated fields taken in pairs as
 * (name, id) records. Flags: bit 0 makes ids unique (the record's index is
 * appended), as every provider promises; bit 1 reserves ".export" as an
 * instance directory does.
 *
 * Properties:
 *  - every file name is valid (DESIGN section 2) and not reserved;
 *  - file names are unique and sorted, and listing_find_name finds each;
 *  - with unique ids: listing_find_id finds each record, and a record keeps
 *    its file name when the provider lists the records in another order
 *    (inode numbers and paths stay stable across refreshes).
 */
#include "core/listing.h"
#include "fuzz.h"

#define RECORDS_MAX 512

static const char *const reserved_names[] = { ".export", NULL };

struct record {
	const char *name;
	char id[64 + 16];
};

static void push(struct entry_list *list, const struct record *r)
{
	struct entry_builder b;
	struct entry e = { .size = 0, .begin_time = ENTRY_TIME_UNKNOWN,
			   .end_time = ENTRY_TIME_UNKNOWN };

	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, r->id);
	entry_builder_text(&b, ENTRY_NAME, r->name);
	FUZZ_ASSERT(entry_builder_finish(&b, &e) == 0);
	FUZZ_ASSERT(entry_list_push(list, &e) == 0);
}

static struct listing *build(const struct record *records, size_t count,
			     int reversed, const char *const *reserved)
{
	struct entry_list list;
	struct listing *l;

	entry_list_init(&list);
	for (size_t i = 0; i < count; i++)
		push(&list, &records[reversed ? count - 1 - i : i]);
	l = listing_build(&list, reserved);
	FUZZ_ASSERT(l != NULL && l->count == count);
	return l;
}

static void check_names(const struct listing *l, const char *const *reserved)
{
	const char *previous = NULL;

	for (size_t i = 0; i < l->count; i++) {
		const struct entry *e = listing_at(l, i);

		FUZZ_ASSERT(e != NULL && e->file_name != NULL);
		FUZZ_ASSERT(fuzz_file_name_valid(e->file_name));
		for (const char *const *r = reserved; r && *r; r++)
			FUZZ_ASSERT(strcmp(e->file_name, *r) != 0);
		if (previous)
			FUZZ_ASSERT(strcmp(previous, e->file_name) < 0);
		FUZZ_ASSERT(listing_find_name(l, e->file_name) == e);
		previous = e->file_name;
	}
	FUZZ_ASSERT(listing_at(l, l->count) == NULL);
}

/* Each record keeps its file name whatever the order of the answer. */
static void check_stable(const struct listing *a, const struct listing *b)
{
	for (size_t i = 0; i < a->count; i++) {
		const struct entry *e = listing_at(a, i);
		const char *id = entry_text(e, ENTRY_ID);
		const struct entry *same = listing_find_id(b, id);

		FUZZ_ASSERT(listing_find_id(a, id) == e);
		FUZZ_ASSERT(same != NULL);
		FUZZ_ASSERT(!strcmp(same->file_name, e->file_name));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record records[RECORDS_MAX];
	const char *const *reserved;
	struct listing *forward, *backward;
	char *fields, *p, *end;
	size_t count = 0;
	int unique_ids;

	if (size == 0)
		return 0;
	unique_ids = data[0] & 1;
	reserved = data[0] & 2 ? reserved_names : NULL;
	fields = fuzz_strndup(data + 1, size - 1);
	end = fields + size - 1;
	for (p = fields; p < end && count < RECORDS_MAX; count++) {
		const char *name = p, *id;

		p += strlen(p) + 1;
		id = p < end ? p : "";
		if (p < end)
			p += strlen(p) + 1;
		records[count].name = name;
		if (unique_ids)
			snprintf(records[count].id, sizeof(records[count].id), "%.64s#%zu",
				 id, count);
		else
			snprintf(records[count].id, sizeof(records[count].id), "%.64s", id);
	}

	forward = build(records, count, 0, reserved);
	if (unique_ids) {
		check_names(forward, reserved);
		backward = build(records, count, 1, reserved);
		check_names(backward, reserved);
		check_stable(forward, backward);
		listing_unref(backward);
	}
	listing_unref(forward);
	free(fields);
	return 0;
}
