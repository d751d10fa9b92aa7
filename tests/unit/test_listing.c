/* Listings: file names, duplicates, reserved names, lookups. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/listing.h"

static void push(struct entry_list *list, const char *id, const char *name, int64_t end)
{
	struct entry_builder b;
	struct entry e = { .size = 1, .begin_time = ENTRY_TIME_UNKNOWN, .end_time = end };

	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, id);
	entry_builder_text(&b, ENTRY_NAME, name);
	entry_builder_raw(&b, "k\0v\0", 4);
	CHECK_INT(entry_builder_finish(&b, &e), 0);
	CHECK_INT(entry_list_push(list, &e), 0);
}

static const char *const reserved[] = { ".export", NULL };

static struct listing *sample(void)
{
	struct entry_list list;

	entry_list_init(&list);
	push(&list, "u1", "daily", 100);
	push(&list, "u2", "daily", 300);
	push(&list, "u3", "weekly", 200);
	push(&list, "u4", ".export", 50);
	push(&list, "u5", "a/b", 10);
	push(&list, "u6", "", 10);
	return listing_build(&list, reserved);
}

static void test_duplicates_and_reserved_names_get_ids(void)
{
	struct listing *l = sample();
	const char *expected[] = { ".export@u4", "@u6", "a%2Fb", "daily@u1", "daily@u2", "weekly" };

	CHECK_INT(l->count, 6);
	for (size_t i = 0; i < 6; i++)
		CHECK_STR(listing_at(l, i)->file_name, expected[i]);
	listing_unref(l);
}

static void test_lookups_by_name_and_id(void)
{
	struct listing *l = sample();

	CHECK_STR(entry_text(listing_find_name(l, "daily@u2"), ENTRY_ID), "u2");
	CHECK(listing_find_name(l, "daily") == NULL);
	CHECK(listing_find_name(l, ".export") == NULL);
	CHECK_STR(listing_find_id(l, "u5")->file_name, "a%2Fb");
	CHECK(listing_find_id(l, "nope") == NULL);
	CHECK_STR(entry_raw_get(listing_find_id(l, "u1"), "k"), "v");
	CHECK_INT(l->newest_mtime, 300);
	listing_unref(l);
}

static void test_references_keep_a_listing_alive(void)
{
	struct listing *l = sample();
	struct listing *held = listing_ref(l);

	listing_unref(l);
	CHECK_STR(listing_at(held, 5)->file_name, "weekly");
	listing_unref(held);
}

static void test_empty_listing(void)
{
	struct entry_list list;
	struct listing *l;

	entry_list_init(&list);
	l = listing_build(&list, NULL);
	CHECK(l != NULL);
	CHECK_INT(l->count, 0);
	CHECK(listing_find_name(l, "x") == NULL);
	listing_unref(l);
}

/* Found by fuzz_listing: a plain name equal to another record's "@id" form. */
static void test_a_plain_name_that_looks_like_a_renamed_one(void)
{
	struct entry_list list;
	struct listing *l;
	const char *names[3];

	entry_list_init(&list);
	push(&list, "u1", "daily", 1);
	push(&list, "u2", "daily", 2);
	push(&list, "zz", "daily@u1", 3);
	l = listing_build(&list, NULL);
	for (size_t i = 0; i < 3; i++)
		names[i] = listing_at(l, i)->file_name;
	CHECK(strcmp(names[0], names[1]) && strcmp(names[1], names[2]) &&
	      strcmp(names[0], names[2]));
	/* Both sides of the new collision move on, as DESIGN's rule says. */
	CHECK_STR(listing_find_id(l, "zz")->file_name, "daily@u1@zz");
	CHECK_STR(listing_find_id(l, "u2")->file_name, "daily@u2");
	CHECK(!strncmp(listing_find_id(l, "u1")->file_name, "daily@u1~", 9));
	listing_unref(l);
}

/* The names do not depend on the order of the provider's answer. */
static void test_names_do_not_depend_on_answer_order(void)
{
	struct entry_list a, b;
	struct listing *first, *second;

	entry_list_init(&a);
	entry_list_init(&b);
	push(&a, "u1", "x", 1);
	push(&a, "u2", "x", 1);
	push(&a, "u3", "x@u1", 1);
	push(&b, "u3", "x@u1", 1);
	push(&b, "u2", "x", 1);
	push(&b, "u1", "x", 1);
	first = listing_build(&a, NULL);
	second = listing_build(&b, NULL);
	for (size_t i = 0; i < 3; i++)
		CHECK_STR(listing_at(first, i)->file_name, listing_at(second, i)->file_name);
	listing_unref(first);
	listing_unref(second);
}

int main(void)
{
	RUN(test_a_plain_name_that_looks_like_a_renamed_one);
	RUN(test_names_do_not_depend_on_answer_order);
	RUN(test_duplicates_and_reserved_names_get_ids);
	RUN(test_lookups_by_name_and_id);
	RUN(test_references_keep_a_listing_alive);
	RUN(test_empty_listing);
	return CHECK_DONE();
}
