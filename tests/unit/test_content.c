/* The content reader's pure pieces: which ranges a read asks for (the
 * layout) and which HTTP answers count as the range asked for. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "core/content.h"

#define MIB CONTENT_MIB
#define KIB ((int64_t)1024)
#define GIB (1024 * MIB)

/* What a simulated run fetched, and the worst it ever held. */
struct run {
	struct content_layout layout;
	int64_t fetched;            /* bytes in planned parts */
	unsigned ranges;            /* parts planned */
	int64_t peak_memory;
	unsigned peak_prefetching;
	int64_t largest_part;
};

static void run_init(struct run *run, int64_t size)
{
	memset(run, 0, sizeof(*run));
	content_layout_init(&run->layout, size);
}

static unsigned prefetching(const struct content_layout *l)
{
	unsigned count = 0;

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++)
		count += l->parts[i].state == CONTENT_PART_FETCHING && l->parts[i].prefetch;
	return count;
}

static void complete_all(struct run *run)
{
	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++)
		if (run->layout.parts[i].state == CONTENT_PART_FETCHING)
			content_layout_finish(&run->layout, i, true);
}

/* Is every byte of [offset, end) in a part that is or will be there? */
static int covered(const struct content_layout *l, int64_t offset, int64_t end)
{
	for (int64_t p = offset; p < end;) {
		int i = content_layout_find(l, p);

		if (i < 0 || l->parts[i].state == CONTENT_PART_FAILED)
			return 0;
		p = l->parts[i].offset + l->parts[i].length;
	}
	return 1;
}

enum network { SLOW, FAST };

/* One read as the reader does it: the parts it needs are fetched by the
 * reading thread before it goes on; the prefetches end at once on a FAST
 * network and stay in flight on a SLOW one. */
static struct content_plan one_read(struct run *run, int64_t offset, size_t size,
				    enum network network)
{
	struct content_layout *l = &run->layout;
	struct content_plan plan;
	int64_t end = offset + (int64_t)size < l->size ? offset + (int64_t)size : l->size;

	content_layout_note_read(l, offset, size);
	content_layout_plan(l, offset, size, &plan);
	for (size_t i = 0; i < plan.fetch_count; i++) {
		const struct content_part *p = &l->parts[plan.fetch[i]];

		CHECK(p->state == CONTENT_PART_FETCHING);
		CHECK(p->length > 0);
		CHECK(p->offset + p->length <= l->size);
		run->fetched += p->length;
		run->ranges++;
		if (p->length > run->largest_part)
			run->largest_part = p->length;
	}
	if (offset < end)
		CHECK(covered(l, offset, end));
	if (content_layout_memory(l) > run->peak_memory)
		run->peak_memory = content_layout_memory(l);
	if (prefetching(l) > run->peak_prefetching)
		run->peak_prefetching = prefetching(l);
	if (network == FAST)
		complete_all(run);
	for (size_t i = 0; i < plan.fetch_count; i++)
		if (!l->parts[plan.fetch[i]].prefetch)
			content_layout_finish(l, plan.fetch[i], true);
	return plan;
}

static void test_a_small_read_fetches_one_small_range(void)
{
	struct run run;
	struct content_plan plan;

	run_init(&run, 10 * GIB);
	plan = one_read(&run, 0, 4096, FAST);
	CHECK_INT(plan.fetch_count, 1);
	CHECK_INT(run.fetched, CONTENT_FIRST_RANGE);
	CHECK(run.fetched <= 1.2 * MIB);
	/* The kernel's readahead of the next pages comes from that range. */
	plan = one_read(&run, 4096, 128 * KIB, FAST);
	CHECK(run.fetched <= 1.2 * MIB || plan.fetch_count > 0);
	CHECK_INT(content_layout_find(&run.layout, 4096), content_layout_find(&run.layout, 0));
}

static void test_sequential_reads_grow_the_window_and_fetch_each_byte_once(void)
{
	struct run run;
	int64_t size = 700 * MIB + 12345;

	run_init(&run, size);
	for (int64_t offset = 0; offset < size; offset += MIB)
		one_read(&run, offset, (size_t)MIB, FAST);
	CHECK_INT(run.fetched, size);
	CHECK_INT(run.layout.window, CONTENT_WINDOW_MAX);
	CHECK_INT(run.largest_part, CONTENT_PART_MAX);
	/* Big parts: a 700 MiB file in well under a thousand requests. */
	CHECK(run.ranges < 120);
	CHECK(run.peak_memory <= CONTENT_MEMORY_MAX + CONTENT_PART_MAX);
	/* Reading on past the end fetches nothing. */
	one_read(&run, size, (size_t)MIB, FAST);
	CHECK_INT(run.fetched, size);
}

/* A 4 KiB read(2) arrives as the kernel's readahead: 128 KiB reads up to
 * about 1.1 MiB. That must cost the first range and one small step, not
 * start read-ahead (CONTENT_SEQUENTIAL_AFTER). */
static void test_a_probe_with_kernel_readahead_fetches_little(void)
{
	struct run run;

	run_init(&run, GIB);
	for (int i = 0; i <= 8; i++)
		one_read(&run, i * 128 * KIB, (size_t)(128 * KIB), FAST);
	CHECK_INT(run.layout.window, CONTENT_FIRST_RANGE);
	CHECK_INT(run.fetched, CONTENT_FIRST_RANGE + CONTENT_PROBE_STEP);
	CHECK(run.fetched <= 1.2 * MIB);
}

/* stdio reads st_blksize (1 MiB) at a time; for one such read(2) the
 * kernel asks for 2 MiB, as two reads of 1 MiB. Where an earlier open left
 * the first pages in the page cache, they start past 0. They cost what
 * they ask for, one range each, and start no read-ahead. */
static void test_one_read_of_st_blksize_starts_no_read_ahead(void)
{
	const int64_t cached[] = { 0, 16 * KIB, 256 * KIB, 3 * MIB };

	for (size_t i = 0; i < sizeof(cached) / sizeof(cached[0]); i++) {
		struct run run;

		run_init(&run, GIB);
		one_read(&run, cached[i], (size_t)MIB, FAST);
		one_read(&run, cached[i] + MIB, (size_t)MIB, FAST);
		CHECK(!run.layout.sequential);
		CHECK_INT(run.layout.window, CONTENT_FIRST_RANGE);
		CHECK_INT(run.fetched, 2 * MIB);
		CHECK_INT(run.ranges, 2);
	}
}

/* Past the first range, before read-ahead is earned, a read is one range
 * of what it asks for in 128 KiB steps: not many small GETs in a row. */
static void test_a_read_past_the_first_range_is_one_range(void)
{
	const size_t sizes[] = { 4096, 128 * KIB + 1, MIB - 4096 };
	const int64_t parts[] = { CONTENT_PROBE_STEP, 2 * CONTENT_PROBE_STEP, MIB };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct run run;
		struct content_plan plan;

		run_init(&run, GIB);
		one_read(&run, 0, 4096, FAST);
		plan = one_read(&run, MIB, sizes[i], FAST);
		CHECK_INT(plan.fetch_count, 1);
		CHECK_INT(run.layout.parts[plan.fetch[0]].length, parts[i]);
	}
}

static void test_the_window_doubles_once_the_stream_is_sequential(void)
{
	struct run run;
	int64_t previous = CONTENT_FIRST_RANGE;
	int64_t offset = 0;

	run_init(&run, GIB);
	/* Up to CONTENT_SEQUENTIAL_AFTER the window stays at the first range. */
	for (; offset + 128 * KIB <= CONTENT_SEQUENTIAL_AFTER; offset += 128 * KIB) {
		one_read(&run, offset, (size_t)(128 * KIB), FAST);
		CHECK_INT(run.layout.window, CONTENT_FIRST_RANGE);
	}
	for (int i = 0; i < 6; i++, offset += 128 * KIB) {
		int64_t doubled = previous * 2;

		one_read(&run, offset, (size_t)(128 * KIB), FAST);
		CHECK_INT(run.layout.window, doubled < CONTENT_WINDOW_MAX ? doubled : CONTENT_WINDOW_MAX);
		previous = run.layout.window;
	}
	CHECK_INT(run.layout.window, CONTENT_WINDOW_MAX);
	/* Once sequential, what is fetched runs ahead of the reader. */
	CHECK(run.layout.frontier >= offset + 8 * MIB);
}

static void test_slow_network_caps_parts_in_flight_and_memory(void)
{
	struct run run;

	run_init(&run, 4 * GIB);
	/* No prefetch ends: the reader outruns them all. */
	for (int64_t offset = 0; offset < 200 * MIB; offset += 256 * KIB)
		one_read(&run, offset, (size_t)(256 * KIB), SLOW);
	CHECK(run.peak_prefetching <= CONTENT_INFLIGHT_MAX);
	CHECK(run.peak_memory <= CONTENT_MEMORY_MAX + CONTENT_PART_MAX);
}

static void test_a_seek_starts_small_again(void)
{
	struct run run;
	struct content_plan plan;
	int64_t before;

	run_init(&run, 4 * GIB);
	for (int64_t offset = 0; offset < 40 * MIB; offset += MIB)
		one_read(&run, offset, (size_t)MIB, FAST);
	CHECK_INT(run.layout.window, CONTENT_WINDOW_MAX);
	before = run.fetched;
	plan = one_read(&run, 3 * GIB, 4096, FAST);
	CHECK_INT(plan.fetch_count, 1);
	CHECK_INT(run.fetched - before, CONTENT_FIRST_RANGE);
	CHECK_INT(run.layout.window, CONTENT_FIRST_RANGE);
	CHECK_INT(run.layout.stream_start, 3 * GIB);
	/* The new stream grows again once it has gone on far enough. */
	one_read(&run, 3 * GIB + 4096, (size_t)CONTENT_SEQUENTIAL_AFTER, FAST);
	one_read(&run, 3 * GIB + 4096 + CONTENT_SEQUENTIAL_AFTER, 4096, FAST);
	CHECK(run.layout.window > CONTENT_FIRST_RANGE);
}

static void test_data_near_an_earlier_read_is_reused(void)
{
	struct run run;
	struct content_plan plan;

	run_init(&run, 4 * GIB);
	one_read(&run, 0, 4096, FAST);                        /* the header */
	one_read(&run, 4 * GIB - 4096, 4096, FAST);           /* the trailer */
	CHECK_INT(run.fetched, 2 * CONTENT_FIRST_RANGE - (CONTENT_FIRST_RANGE - 4096));
	plan = one_read(&run, 8192, 4096, FAST);              /* the header again */
	CHECK_INT(plan.fetch_count, 0);
	plan = one_read(&run, 4 * GIB - 2048, 2048, FAST);    /* the trailer again */
	CHECK_INT(plan.fetch_count, 0);
}

static void test_reads_the_kernel_reorders_stay_one_stream(void)
{
	struct run run;
	int64_t size = 300 * MIB;

	run_init(&run, size);
	/* Pairs swapped, as two FUSE threads may deliver them. */
	for (int64_t offset = 0; offset < size; offset += 2 * MIB) {
		one_read(&run, offset + MIB, (size_t)MIB, FAST);
		one_read(&run, offset, (size_t)MIB, FAST);
	}
	CHECK_INT(run.fetched, size);
	CHECK_INT(run.layout.window, CONTENT_WINDOW_MAX);
}

static void test_a_new_range_never_overlaps_one_in_memory(void)
{
	struct run run;

	run_init(&run, GIB);
	int part;

	one_read(&run, 5 * MIB, 4096, FAST);                 /* [5, 6) MiB */
	one_read(&run, 4 * MIB + 512 * KIB, 4096, FAST);     /* stops at 5 MiB */
	part = content_layout_find(&run.layout, 4 * MIB + 512 * KIB);
	CHECK(part >= 0 && run.layout.parts[part].length == 512 * KIB);
	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++) {
		const struct content_part *a = &run.layout.parts[i];

		for (unsigned j = i + 1; j < CONTENT_MAX_PARTS; j++) {
			const struct content_part *b = &run.layout.parts[j];

			if (a->state == CONTENT_PART_FREE || b->state == CONTENT_PART_FREE)
				continue;
			CHECK(a->offset + a->length <= b->offset ||
			      b->offset + b->length <= a->offset);
		}
	}
}

static void test_a_failed_range_is_fetched_again_by_the_next_read(void)
{
	struct run run;
	struct content_plan plan;
	int part;

	run_init(&run, GIB);
	content_layout_note_read(&run.layout, 0, 4096);
	content_layout_plan(&run.layout, 0, 4096, &plan);
	CHECK_INT(plan.fetch_count, 1);
	content_layout_finish(&run.layout, plan.fetch[0], false);
	part = content_layout_find(&run.layout, 0);
	CHECK(part >= 0 && run.layout.parts[part].state == CONTENT_PART_FAILED);
	/* The reader that waited for it gets the error; the next read asks anew. */
	content_layout_note_read(&run.layout, 0, 4096);
	content_layout_plan(&run.layout, 0, 4096, &plan);
	CHECK_INT(plan.evict_count, 1);
	CHECK(plan.fetch_count >= 1);
	CHECK_INT(run.layout.parts[plan.fetch[0]].offset, 0);
	CHECK(run.layout.parts[plan.fetch[0]].state == CONTENT_PART_FETCHING);
}

static void test_the_end_of_the_file_clips_every_range(void)
{
	struct run run;
	struct content_plan plan;

	run_init(&run, MIB + 1);
	one_read(&run, 0, (size_t)MIB, FAST);
	plan = one_read(&run, MIB, (size_t)MIB, FAST);
	CHECK_INT(plan.fetch_count, 1);
	CHECK_INT(run.fetched, MIB + 1);
	plan = one_read(&run, MIB + 1, 4096, FAST);
	CHECK_INT(plan.fetch_count, 0);

	run_init(&run, 0);
	plan = one_read(&run, 0, 4096, FAST);
	CHECK_INT(plan.fetch_count, 0);
	CHECK_INT(run.fetched, 0);
}

static void test_no_free_slot_makes_a_read_wait(void)
{
	struct content_layout l;
	struct content_plan plan;

	content_layout_init(&l, 100 * GIB);
	for (int i = 0; i < CONTENT_MAX_PARTS; i++)
		CHECK(content_layout_claim(&l, (int64_t)i * GIB, 4096, false) == i);
	content_layout_note_read(&l, 50 * GIB, 4096);
	content_layout_plan(&l, 50 * GIB, 4096, &plan);
	CHECK(plan.starved);
	CHECK_INT(plan.fetch_count, 0);
	/* One ends: its slot is reused. */
	content_layout_finish(&l, 3, true);
	content_layout_plan(&l, 50 * GIB, 4096, &plan);
	CHECK(!plan.starved);
	CHECK_INT(plan.evict_count, 1);
	CHECK_INT(plan.fetch_count, 1);
	CHECK_INT(plan.fetch[0], 3);
}

static void test_memory_stays_bounded_across_many_seeks(void)
{
	struct run run;

	run_init(&run, 100 * GIB);
	for (int i = 0; i < 200; i++) {
		int64_t base = (int64_t)(i * 7919 % 100) * GIB;

		/* A short sequential burst at each place. */
		for (int j = 0; j < 12; j++)
			one_read(&run, base + j * MIB, (size_t)MIB, FAST);
	}
	CHECK(run.peak_memory <= CONTENT_MEMORY_MAX + CONTENT_PART_MAX);
}

/* ---- answers ----------------------------------------------------------- */

static int check(int64_t offset, int64_t length, int64_t known, long status,
		 const char *range, int64_t content_length, size_t body, int64_t *total)
{
	struct content_answer a = { offset, length, known, status, range, content_length,
				    body };
	struct dbb_error err;

	dbb_error_clear(&err);
	*total = -2;
	return content_check_answer(&a, total, &err);
}

static void test_a_partial_answer_must_be_the_range_asked_for(void)
{
	int64_t total;

	CHECK_INT(check(0, MIB, -1, 206, "bytes 0-1048575/5000000", MIB, (size_t)MIB, &total), 0);
	CHECK_INT(total, 5000000);
	/* The last range of the file is shorter than asked. */
	CHECK_INT(check(4999000, MIB, 5000000, 206, "bytes 4999000-4999999/5000000", 1000,
			1000, &total), 0);
	CHECK_INT(total, 5000000);
	/* Total unknown ("*"): fine once the size is known. */
	CHECK_INT(check(0, 10, 100, 206, "bytes 0-9/*", 10, 10, &total), 0);
	CHECK_INT(check(0, 10, -1, 206, "bytes 0-9/*", 10, 10, &total), -EIO);
	/* Another start, another length, a short body, another size. */
	CHECK_INT(check(MIB, MIB, -1, 206, "bytes 0-1048575/5000000", MIB, (size_t)MIB, &total),
		  -EIO);
	CHECK_INT(check(0, MIB, -1, 206, "bytes 0-1023/5000000", 1024, 1024, &total), -EIO);
	CHECK_INT(check(0, MIB, -1, 206, "bytes 0-1048575/5000000", MIB, 1000, &total), -EIO);
	CHECK_INT(check(0, MIB, 4000000, 206, "bytes 0-1048575/5000000", MIB, (size_t)MIB,
			&total), -EIO);
	CHECK_INT(check(0, MIB, -1, 206, "", MIB, (size_t)MIB, &total), -EIO);
	CHECK_INT(check(0, MIB, -1, 206, "bytes 0-x/5", MIB, (size_t)MIB, &total), -EIO);
	CHECK_INT(check(0, MIB, -1, 206, "bytes 0-1048575/5000000", 7, (size_t)MIB, &total), -EIO);
	/* Shorter than asked although the file goes on: truncation. */
	CHECK_INT(check(0, MIB, -1, 206, "bytes 0-99/5000000", 100, 100, &total), -EIO);
}

static void test_a_whole_answer_only_where_the_whole_file_was_asked(void)
{
	int64_t total;

	/* The server ignored the range but the file is that small. */
	CHECK_INT(check(0, MIB, -1, 200, "", 5, 5, &total), 0);
	CHECK_INT(total, 5);
	CHECK_INT(check(0, 5, 5, 200, "", 5, 5, &total), 0);
	/* Not the start, or more than asked, or another size. */
	CHECK_INT(check(MIB, MIB, 3 * MIB, 200, "", 3 * MIB, (size_t)(3 * MIB), &total), -EIO);
	CHECK_INT(check(0, 5, -1, 200, "", 10, 10, &total), -EIO);
	CHECK_INT(check(0, MIB, 6, 200, "", 5, 5, &total), -EIO);
	CHECK_INT(check(0, MIB, -1, 200, "", 10, 5, &total), -EIO);
}

static void test_nothing_past_the_end_is_an_answer_only_there(void)
{
	int64_t total;

	CHECK_INT(check(0, MIB, -1, 416, "bytes */0", -1, 0, &total), 0);
	CHECK_INT(total, 0);
	CHECK_INT(check(100, MIB, -1, 416, "bytes */100", -1, 0, &total), 0);
	CHECK_INT(check(0, MIB, -1, 416, "bytes */100", -1, 0, &total), -EIO);
	CHECK_INT(check(0, MIB, -1, 416, "", -1, 0, &total), -EIO);
	CHECK_INT(check(0, MIB, -1, 500, "", -1, 0, &total), -EIO);
}

int main(void)
{
	RUN(test_a_small_read_fetches_one_small_range);
	RUN(test_sequential_reads_grow_the_window_and_fetch_each_byte_once);
	RUN(test_a_probe_with_kernel_readahead_fetches_little);
	RUN(test_one_read_of_st_blksize_starts_no_read_ahead);
	RUN(test_a_read_past_the_first_range_is_one_range);
	RUN(test_the_window_doubles_once_the_stream_is_sequential);
	RUN(test_slow_network_caps_parts_in_flight_and_memory);
	RUN(test_a_seek_starts_small_again);
	RUN(test_data_near_an_earlier_read_is_reused);
	RUN(test_reads_the_kernel_reorders_stay_one_stream);
	RUN(test_a_new_range_never_overlaps_one_in_memory);
	RUN(test_a_failed_range_is_fetched_again_by_the_next_read);
	RUN(test_the_end_of_the_file_clips_every_range);
	RUN(test_no_free_slot_makes_a_read_wait);
	RUN(test_memory_stays_bounded_across_many_seeks);
	RUN(test_a_partial_answer_must_be_the_range_asked_for);
	RUN(test_a_whole_answer_only_where_the_whole_file_was_asked);
	RUN(test_nothing_past_the_end_is_an_answer_only_there);
	return CHECK_DONE();
}
