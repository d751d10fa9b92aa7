/*
 * cache.c: slots in a small hash table under one mutex; see cache.h for the
 * lock discipline.
 */
#include "core/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#define CACHE_BUCKETS 1024

struct slot {
	struct slot *next;
	char *key;
	struct listing *listing;     /* may be NULL */
	bool expired;                /* invalidated: refetch before use */
	bool fetching;
	uint64_t generation;         /* counts finished fetches */
	int last_result;             /* of the last finished fetch */
	struct dbb_error last_error;
	/* The last flight's listing, kept for the callers that waited on it:
	 * a cache_clear between the fetch and their wake-up must not take
	 * their answer away. Dropped by cache_clear when nobody waits. */
	struct listing *delivered;
	unsigned waiters;
	pthread_cond_t done;
};

struct cache {
	pthread_mutex_t lock;
	struct slot *buckets[CACHE_BUCKETS];
};

static unsigned bucket_of(const char *key)
{
	uint32_t hash = 2166136261u;

	for (; *key; key++)
		hash = (hash ^ (unsigned char)*key) * 16777619u;
	return hash % CACHE_BUCKETS;
}

struct cache *cache_new(void)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CACHE_BUCKETS; i++) {
		struct slot *s = c->buckets[i], *next;

		for (; s; s = next) {
			next = s->next;
			listing_unref(s->listing);
			listing_unref(s->delivered);
			pthread_cond_destroy(&s->done);
			free(s->key);
			free(s);
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct slot *find_slot(struct cache *c, const char *key, bool create)
{
	unsigned b = bucket_of(key);
	struct slot *s;

	for (s = c->buckets[b]; s; s = s->next)
		if (!strcmp(s->key, key))
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->key = strdup(key);
	if (!s->key) {
		free(s);
		return NULL;
	}
	pthread_cond_init(&s->done, NULL);
	s->next = c->buckets[b];
	c->buckets[b] = s;
	return s;
}

static bool is_fresh(const struct slot *s, const struct cache_policy *p,
		     int64_t now)
{
	int64_t lifetime;

	if (!s->listing || s->expired)
		return false;
	lifetime = s->listing->transitional ? p->poll_ms : p->ttl_ms;
	return now - s->listing->fetched_ms < lifetime;
}

static bool can_serve_stale(const struct slot *s, const struct cache_policy *p,
			    int64_t now)
{
	return s->listing && now - s->listing->fetched_ms <= p->max_stale_ms;
}

/* Runs the fetch with the lock released, then publishes its outcome. */
static void run_fetch(struct cache *c, struct slot *s, cache_fetch_fn fetch,
		      void *context)
{
	struct listing *fresh = NULL;
	struct dbb_error error;
	int result;

	s->fetching = true;
	pthread_mutex_unlock(&c->lock);
	dbb_error_clear(&error);
	result = fetch(context, &fresh, &error);
	if (result == 0)
		fresh->fetched_ms = clock_monotonic_ms();
	pthread_mutex_lock(&c->lock);

	if (result == 0) {
		listing_unref(s->listing);
		s->listing = fresh;
		s->expired = false;
		listing_unref(s->delivered);
		s->delivered = s->waiters ? listing_ref(fresh) : NULL;
	}
	s->last_result = result;
	s->last_error = error;
	s->fetching = false;
	s->generation++;
	pthread_cond_broadcast(&s->done);
}

int cache_get(struct cache *c, const char *key, const struct cache_policy *policy,
	      cache_fetch_fn fetch, void *context, struct listing **out,
	      enum cache_outcome *outcome, struct dbb_error *err)
{
	struct listing *answer = NULL;
	struct slot *s;
	int result;

	pthread_mutex_lock(&c->lock);
	s = find_slot(c, key, true);
	if (!s) {
		pthread_mutex_unlock(&c->lock);
		return dbb_error_set(err, ENOMEM, "out of memory");
	}
	if (is_fresh(s, policy, clock_monotonic_ms())) {
		*outcome = CACHE_HIT;
		*out = listing_ref(s->listing);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	if (s->fetching) {
		uint64_t generation = s->generation;

		s->waiters++;
		while (s->generation == generation)
			pthread_cond_wait(&s->done, &c->lock);
		s->waiters--;
		answer = s->delivered;
	} else {
		/* The lock is held from the publication to here: nothing can
		 * have dropped the fresh listing. */
		run_fetch(c, s, fetch, context);
		answer = s->listing;
	}

	result = s->last_result;
	if (result == 0 && answer) {
		*outcome = CACHE_FETCHED;
		*out = listing_ref(answer);
	} else if (can_serve_stale(s, policy, clock_monotonic_ms())) {
		*outcome = CACHE_STALE;
		*out = listing_ref(s->listing);
		*err = s->last_error;
		result = 0;
	} else {
		*err = s->last_error;
		if (!result)
			result = dbb_error_set(err, EIO, "listing vanished");
	}
	pthread_mutex_unlock(&c->lock);
	return result;
}

struct listing *cache_peek_fresh(struct cache *c, const char *key,
				 const struct cache_policy *policy)
{
	struct listing *l = NULL;
	struct slot *s;

	pthread_mutex_lock(&c->lock);
	s = find_slot(c, key, false);
	if (s && is_fresh(s, policy, clock_monotonic_ms()))
		l = listing_ref(s->listing);
	pthread_mutex_unlock(&c->lock);
	return l;
}

void cache_invalidate(struct cache *c, const char *key)
{
	struct slot *s;

	pthread_mutex_lock(&c->lock);
	s = find_slot(c, key, false);
	if (s)
		s->expired = true;
	pthread_mutex_unlock(&c->lock);
}

void cache_clear(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < CACHE_BUCKETS; i++) {
		for (struct slot *s = c->buckets[i]; s; s = s->next) {
			if (s->fetching)
				continue;
			listing_unref(s->listing);
			s->listing = NULL;
			s->expired = false;
			if (!s->waiters) {
				listing_unref(s->delivered);
				s->delivered = NULL;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
}
