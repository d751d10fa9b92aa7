/* The listing cache: freshness, single flight, stale serving. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/cache.h"

struct source {
	pthread_mutex_t lock;
	int fetches;
	int fail;                 /* next fetches fail with EIO */
	int transitional;
	pthread_barrier_t *hold;  /* fetch waits here when set */
};

static int fetch(void *context, struct listing **out, struct dbb_error *err)
{
	struct source *s = context;
	struct entry_list list;
	struct entry_builder b;
	struct entry e = { .size = 0, .begin_time = ENTRY_TIME_UNKNOWN,
			   .end_time = ENTRY_TIME_UNKNOWN };

	pthread_mutex_lock(&s->lock);
	s->fetches++;
	pthread_mutex_unlock(&s->lock);
	if (s->hold)
		pthread_barrier_wait(s->hold);
	if (s->fail)
		return dbb_error_set(err, EIO, "backend down");
	entry_list_init(&list);
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, "1");
	entry_builder_text(&b, ENTRY_NAME, "one");
	entry_builder_finish(&b, &e);
	e.transitional = (uint8_t)s->transitional;
	entry_list_push(&list, &e);
	*out = listing_build(&list, NULL);
	return 0;
}

static int get(struct cache *c, const struct cache_policy *p, struct source *s,
	       enum cache_outcome *outcome)
{
	struct listing *l = NULL;
	struct dbb_error err;
	int result;

	dbb_error_clear(&err);
	result = cache_get(c, "dir", p, fetch, s, &l, outcome, &err);
	listing_unref(l);
	return result;
}

static void test_fresh_listing_is_a_hit(void)
{
	struct cache *c = cache_new();
	struct cache_policy p = { .ttl_ms = 60000, .poll_ms = 60000, .max_stale_ms = 0 };
	struct source s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	enum cache_outcome outcome;

	CHECK_INT(get(c, &p, &s, &outcome), 0);
	CHECK_INT(outcome, CACHE_FETCHED);
	CHECK_INT(get(c, &p, &s, &outcome), 0);
	CHECK_INT(outcome, CACHE_HIT);
	CHECK_INT(s.fetches, 1);
	cache_invalidate(c, "dir");
	CHECK_INT(get(c, &p, &s, &outcome), 0);
	CHECK_INT(s.fetches, 2);
	cache_clear(c);
	CHECK(cache_peek_fresh(c, "dir", &p) == NULL);
	cache_free(c);
}

static void test_zero_ttl_always_fetches_and_transitional_uses_poll(void)
{
	struct cache *c = cache_new();
	struct cache_policy p = { .ttl_ms = 0, .poll_ms = 60000, .max_stale_ms = 0 };
	struct source s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	enum cache_outcome outcome;

	get(c, &p, &s, &outcome);
	get(c, &p, &s, &outcome);
	CHECK_INT(s.fetches, 2);
	/* A listing with a backup in progress lives for poll_ms instead. */
	s.transitional = 1;
	get(c, &p, &s, &outcome);
	get(c, &p, &s, &outcome);
	CHECK_INT(s.fetches, 3);
	CHECK_INT(outcome, CACHE_HIT);
	cache_free(c);
}

static void test_failure_serves_the_stale_listing_within_max_stale(void)
{
	struct cache *c = cache_new();
	struct cache_policy p = { .ttl_ms = 0, .poll_ms = 0, .max_stale_ms = 60000 };
	struct source s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	enum cache_outcome outcome;
	struct listing *l = NULL;
	struct dbb_error err;

	get(c, &p, &s, &outcome);
	s.fail = 1;
	dbb_error_clear(&err);
	CHECK_INT(cache_get(c, "dir", &p, fetch, &s, &l, &outcome, &err), 0);
	CHECK_INT(outcome, CACHE_STALE);
	CHECK_INT(err.errnum, EIO);
	CHECK_STR(listing_at(l, 0)->file_name, "one");
	listing_unref(l);
	/* Beyond max_stale the error is the answer. */
	p.max_stale_ms = -1;
	CHECK_INT(get(c, &p, &s, &outcome), -EIO);
	cache_free(c);
}

struct caller {
	struct cache *cache;
	struct cache_policy *policy;
	struct source *source;
	int result;
};

static void *call(void *arg)
{
	struct caller *caller = arg;
	enum cache_outcome outcome;

	caller->result = get(caller->cache, caller->policy, caller->source, &outcome);
	return NULL;
}

/* Ten callers on a cold slot share one fetch: the fetch is held until the
 * first caller is inside it, then every caller is started and the fetch
 * released only after they had the chance to queue behind it. */
static void test_concurrent_callers_share_one_fetch(void)
{
	struct cache *c = cache_new();
	struct cache_policy p = { .ttl_ms = 60000, .poll_ms = 60000, .max_stale_ms = 0 };
	pthread_barrier_t hold;
	struct source s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct caller callers[10];
	pthread_t threads[10];

	pthread_barrier_init(&hold, NULL, 2);
	s.hold = &hold;
	for (int i = 0; i < 10; i++) {
		callers[i] = (struct caller) { c, &p, &s, -1 };
		pthread_create(&threads[i], NULL, call, &callers[i]);
	}
	/* Wait until one caller is inside the fetch, then let it finish. */
	pthread_barrier_wait(&hold);
	s.hold = NULL;
	for (int i = 0; i < 10; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < 10; i++)
		CHECK_INT(callers[i].result, 0);
	/* Callers that came after the flight ended hit the fresh listing. */
	CHECK_INT(s.fetches, 1);
	pthread_barrier_destroy(&hold);
	cache_free(c);
}

int main(void)
{
	RUN(test_fresh_listing_is_a_hit);
	RUN(test_zero_ttl_always_fetches_and_transitional_uses_poll);
	RUN(test_failure_serves_the_stale_listing_within_max_stale);
	RUN(test_concurrent_callers_share_one_fetch);
	return CHECK_DONE();
}
