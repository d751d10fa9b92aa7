/*
 * Races: the shared state of the daemon hammered by many threads at once,
 * the way FUSE worker threads, the invalidation worker and SIGHUP use it.
 * Meant for ThreadSanitizer (scripts/tsan.sh builds it with -fsanitize=
 * thread), where an unsynchronised access is a report; under ASan or a plain
 * build it still checks the outcomes: no lost counter update, no spurious
 * error, no listing freed while someone holds it.
 *
 *  - the listing cache: cache_get (hits, shared flights, failing fetches
 *    served stale), cache_peek_fresh, cache_invalidate and cache_clear on a
 *    few shared keys;
 *  - listings handed from thread to thread and released by whichever holds
 *    the last reference;
 *  - the .stats counters, updated and rendered at once;
 *  - the time zone cache, filled by many threads with more zones than it
 *    keeps.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/cache.h"
#include "core/stats.h"
#include "core/timeparse.h"

#define THREADS 8
#define KEYS 4

static const char *const keys[KEYS] = { "prod/1", "prod/2", "prod", "other" };

/* A small deterministic generator per thread (rand() is not thread-safe). */
static unsigned next_random(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/* ---- the listing cache ------------------------------------------------ */

struct backend {
	int fetches;            /* atomic */
	int failing;            /* atomic: fetches fail while set */
};

static struct listing *make_listing(const char *names[], size_t count)
{
	struct entry_list list;

	entry_list_init(&list);
	for (size_t i = 0; i < count; i++) {
		struct entry_builder b;
		struct entry e = { .size = (int64_t)i, .begin_time = ENTRY_TIME_UNKNOWN,
				   .end_time = (int64_t)(1700000000 + i) };
		char id[24];

		snprintf(id, sizeof(id), "%zu", i);
		entry_builder_init(&b);
		entry_builder_text(&b, ENTRY_ID, id);
		entry_builder_text(&b, ENTRY_NAME, names[i]);
		if (entry_builder_finish(&b, &e) < 0 || entry_list_push(&list, &e) < 0)
			break;
	}
	return listing_build(&list, NULL);
}

static int fetch(void *context, struct listing **out, struct dbb_error *err)
{
	static const char *names[] = { "nightly", "nightly", "manual", "a/b" };
	struct backend *b = context;

	__atomic_add_fetch(&b->fetches, 1, __ATOMIC_RELAXED);
	usleep(50);   /* long enough for other callers to join the flight */
	if (__atomic_load_n(&b->failing, __ATOMIC_RELAXED))
		return dbb_error_set(err, EIO, "backend down");
	*out = make_listing(names, 4);
	return *out ? 0 : dbb_error_set(err, ENOMEM, "out of memory");
}

/* Reads everything a readdir or lookup reads from a listing. */
static bool listing_looks_whole(const struct listing *l)
{
	if (l->count != 4)
		return false;
	for (size_t i = 0; i < l->count; i++) {
		const struct entry *e = listing_at(l, i);

		if (!e || !e->file_name || listing_find_name(l, e->file_name) != e ||
		    listing_find_id(l, entry_text(e, ENTRY_ID)) != e)
			return false;
	}
	return true;
}

/* Listings passed between threads: a slot is owned by whoever swaps it out. */
static struct listing *mailbox[KEYS];

static void pass_on(struct listing *l, unsigned slot)
{
	struct listing *previous = __atomic_exchange_n(&mailbox[slot], l, __ATOMIC_ACQ_REL);

	if (previous) {
		if (!listing_looks_whole(previous))
			__atomic_add_fetch(&check_failed_in_test, 1, __ATOMIC_RELAXED);
		listing_unref(previous);
	}
}

struct cache_worker {
	pthread_t thread;
	struct cache *cache;
	struct backend *backend;
	unsigned seed;
	int iterations;
	int served, errors, vanished, broken;
};

static void *cache_worker_main(void *arg)
{
	struct cache_worker *w = arg;
	const struct cache_policy policies[] = {
		{ .ttl_ms = 0, .poll_ms = 0, .max_stale_ms = 3600000 },
		{ .ttl_ms = 2, .poll_ms = 2, .max_stale_ms = 3600000 },
		{ .ttl_ms = 60000, .poll_ms = 5000, .max_stale_ms = 3600000 },
	};

	for (int i = 0; i < w->iterations; i++) {
		unsigned r = next_random(&w->seed);
		const char *key = keys[r % KEYS];
		const struct cache_policy *policy = &policies[(r / KEYS) % 3];
		unsigned action = (r / 16) % 100;
		struct listing *l = NULL;
		enum cache_outcome outcome;
		struct dbb_error err;

		if (action < 70) {
			dbb_error_clear(&err);
			if (cache_get(w->cache, key, policy, fetch, w->backend, &l,
				      &outcome, &err) == 0) {
				w->served++;
				if (!listing_looks_whole(l))
					w->broken++;
				if (action < 20)
					pass_on(l, r % KEYS);
				else
					listing_unref(l);
			} else if (strstr(err.message, "vanished")) {
				w->vanished++;
			} else {
				w->errors++;
			}
		} else if (action < 85) {
			l = cache_peek_fresh(w->cache, key, policy);
			if (l && !listing_looks_whole(l))
				w->broken++;
			listing_unref(l);
		} else if (action < 97) {
			cache_invalidate(w->cache, key);
		} else {
			cache_clear(w->cache);
		}
	}
	return NULL;
}

static void run_cache_workers(struct cache *c, struct backend *b, int iterations,
			      int *served, int *errors, int *vanished, int *broken)
{
	struct cache_worker workers[THREADS];

	*served = *errors = *vanished = *broken = 0;
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct cache_worker){ .cache = c, .backend = b,
						     .seed = 7919u * (unsigned)(i + 1),
						     .iterations = iterations };
		pthread_create(&workers[i].thread, NULL, cache_worker_main, &workers[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(workers[i].thread, NULL);
		*served += workers[i].served;
		*errors += workers[i].errors;
		*vanished += workers[i].vanished;
		*broken += workers[i].broken;
	}
	for (int k = 0; k < KEYS; k++)
		pass_on(NULL, (unsigned)k);
}

static void test_cache_under_concurrent_get_invalidate_clear(void)
{
	struct cache *c = cache_new();
	struct backend b = { 0 };
	int served, errors, vanished, broken;

	run_cache_workers(c, &b, 3000, &served, &errors, &vanished, &broken);
	/* The backend never fails: every call is served. A SIGHUP (cache_clear)
	 * between a shared fetch and its waiters must not turn into EIO. */
	CHECK_INT(errors, 0);
	CHECK_INT(vanished, 0);
	CHECK_INT(broken, 0);
	CHECK(served > 0);
	CHECK(b.fetches > 0);
	cache_free(c);
}

/* The backend fails half of the time: callers get a listing (fresh, or
 * stale from an earlier success) or the backend's own error. */
static void *toggle_failures(void *arg)
{
	struct backend *b = arg;

	for (int i = 0; i < 200; i++) {
		__atomic_store_n(&b->failing, i % 2, __ATOMIC_RELAXED);
		usleep(200);
	}
	__atomic_store_n(&b->failing, 0, __ATOMIC_RELAXED);
	return NULL;
}

static void test_cache_with_a_failing_backend(void)
{
	struct cache *c = cache_new();
	struct backend b = { 0 };
	pthread_t toggler;
	int served, errors, vanished, broken;

	pthread_create(&toggler, NULL, toggle_failures, &b);
	run_cache_workers(c, &b, 2000, &served, &errors, &vanished, &broken);
	pthread_join(toggler, NULL);
	CHECK_INT(broken, 0);
	CHECK(served > 0);
	cache_free(c);
}

/* Many threads join one slow flight: one fetch, every caller served. */
struct flight {
	struct cache *cache;
	struct backend *backend;
	pthread_barrier_t *start;
	int result;
};

static void *join_flight(void *arg)
{
	struct flight *f = arg;
	const struct cache_policy policy = { .ttl_ms = 60000, .poll_ms = 60000,
					     .max_stale_ms = 0 };
	struct listing *l = NULL;
	enum cache_outcome outcome;
	struct dbb_error err;

	pthread_barrier_wait(f->start);
	dbb_error_clear(&err);
	f->result = cache_get(f->cache, "cold", &policy, fetch, f->backend, &l,
			      &outcome, &err);
	if (f->result == 0 && !listing_looks_whole(l))
		f->result = -EFAULT;
	listing_unref(l);
	return NULL;
}

static void test_cold_directory_single_flight(void)
{
	struct cache *c = cache_new();
	struct backend b = { 0 };
	pthread_barrier_t start;
	pthread_t threads[THREADS];
	struct flight flights[THREADS];

	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		flights[i] = (struct flight){ c, &b, &start, -1 };
		pthread_create(&threads[i], NULL, join_flight, &flights[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		CHECK_INT(flights[i].result, 0);
	}
	/* Threads that arrive after the flight landed get a hit; none fetches
	 * again while the listing is fresh. */
	CHECK_INT(b.fetches, 1);
	pthread_barrier_destroy(&start);
	cache_free(c);
}

/* ---- one listing, many holders ----------------------------------------- */

static void *ref_and_read(void *arg)
{
	struct listing *shared = arg;

	for (int i = 0; i < 20000; i++) {
		struct listing *mine = listing_ref(shared);

		if (!listing_looks_whole(mine))
			__atomic_add_fetch(&check_failed_in_test, 1, __ATOMIC_RELAXED);
		listing_unref(mine);
	}
	return NULL;
}

/* The last reference may be dropped by any thread: each holds one and lets
 * go at its own time. */
static void *hold_and_release(void *arg)
{
	struct listing *mine = arg;

	usleep(100);
	if (!listing_looks_whole(mine))
		__atomic_add_fetch(&check_failed_in_test, 1, __ATOMIC_RELAXED);
	listing_unref(mine);
	return NULL;
}

static void test_listing_references_across_threads(void)
{
	static const char *names[] = { "b", "a", "a", "c" };
	struct listing *shared = make_listing(names, 4);
	pthread_t threads[THREADS];

	CHECK(shared != NULL);
	if (!shared)
		return;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, ref_and_read, shared);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	CHECK_INT(__atomic_load_n(&shared->references, __ATOMIC_ACQUIRE), 1);

	for (int i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, hold_and_release, listing_ref(shared));
	listing_unref(shared);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
}

/* ---- .stats counters ---------------------------------------------------- */

#define STATS_ITERATIONS 5000

static void *count_things(void *arg)
{
	struct stats *s = arg;
	char operation[32];

	for (int i = 0; i < STATS_ITERATIONS; i++) {
		/* More names than the table holds: the overflow slot is shared. */
		snprintf(operation, sizeof(operation), "Operation%d", i % (STATS_MAX_OPERATIONS + 8));
		stats_count_request(s, operation);
		stats_add(s, &s->cache_hits, 1);
		stats_add(s, &s->bytes_streamed, 4096);
		if (i % 10 == 0)
			stats_count_error(s, i % 20 ? EIO : EAGAIN, "Code", "a message");
	}
	return NULL;
}

static void *render_stats(void *arg)
{
	struct stats *s = arg;

	for (int i = 0; i < 300; i++) {
		json_t *root = json_object();

		stats_render(s, "prod", root);
		json_decref(root);
	}
	return NULL;
}

static void test_stats_counters_lose_no_update(void)
{
	struct stats s;
	pthread_t counters[THREADS], renderer;
	uint64_t by_operation = 0, by_errno = 0;

	stats_init(&s);
	pthread_create(&renderer, NULL, render_stats, &s);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&counters[i], NULL, count_things, &s);
	for (int i = 0; i < THREADS; i++)
		pthread_join(counters[i], NULL);
	pthread_join(renderer, NULL);

	for (unsigned i = 0; i < s.request_kinds; i++)
		by_operation += s.requests[i].count;
	for (unsigned i = 0; i < s.error_kinds; i++)
		by_errno += s.errors[i].count;
	CHECK_INT(s.requests_total, THREADS * STATS_ITERATIONS);
	CHECK_INT(by_operation, THREADS * STATS_ITERATIONS);
	CHECK_INT(s.request_kinds, STATS_MAX_OPERATIONS);
	CHECK_INT(by_errno, THREADS * (STATS_ITERATIONS / 10));
	CHECK_INT(s.cache_hits, THREADS * STATS_ITERATIONS);
	CHECK_INT(s.bytes_streamed, (uint64_t)THREADS * STATS_ITERATIONS * 4096);
	stats_destroy(&s);
}

/* ---- the time zone cache ------------------------------------------------ */

static const char *const zone_names[] = {
	"Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Europe/London", "Europe/Paris",
	"Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Vienna", "Europe/Oslo",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Sao_Paulo", "America/Toronto", "America/Mexico_City", "Africa/Cairo",
	"Africa/Lagos", "Africa/Nairobi", "Australia/Sydney", "Australia/Perth",
	"Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Honolulu",
	"Asia/Kolkata", "Asia/Kathmandu", "Asia/Singapore", "Asia/Dubai", "Asia/Tehran",
	"Asia/Jakarta", "Atlantic/Azores", "Atlantic/Reykjavik", "Europe/Moscow",
	"Europe/Istanbul", "America/St_Johns", "America/Anchorage", "UTC", "+08:00",
};
#define ZONE_NAMES (sizeof(zone_names) / sizeof(zone_names[0]))

struct zone_worker {
	pthread_t thread;
	unsigned seed;
	int mismatches;
};

static void *parse_in_zones(void *arg)
{
	struct zone_worker *w = arg;

	for (int i = 0; i < 400; i++) {
		const char *zone = zone_names[next_random(&w->seed) % ZONE_NAMES];
		int64_t local, utc;
		int32_t offset;

		if (time_parse_zstack("Jun 7, 2024 4:12:45 PM", zone, &local) < 0 ||
		    time_parse_zstack("Jun 7, 2024 4:12:45 PM", "UTC", &utc) < 0 ||
		    time_zone_offset(zone, local, &offset) < 0 || local + offset != utc)
			w->mismatches++;
	}
	return NULL;
}

static void test_zone_cache_filled_by_many_threads(void)
{
	struct zone_worker workers[THREADS];
	int mismatches = 0;

	if (access("/usr/share/zoneinfo/Asia/Shanghai", R_OK) != 0) {
		printf("skip: no /usr/share/zoneinfo\n");
		return;
	}
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct zone_worker){ .seed = 104729u * (unsigned)(i + 1) };
		pthread_create(&workers[i].thread, NULL, parse_in_zones, &workers[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(workers[i].thread, NULL);
		mismatches += workers[i].mismatches;
	}
	CHECK_INT(mismatches, 0);
}

int main(void)
{
	RUN(test_cache_under_concurrent_get_invalidate_clear);
	RUN(test_cache_with_a_failing_backend);
	RUN(test_cold_directory_single_flight);
	RUN(test_listing_references_across_threads);
	RUN(test_stats_counters_lose_no_update);
	RUN(test_zone_cache_filled_by_many_threads);
	return CHECK_DONE();
}
