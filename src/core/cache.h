/*
 * cache.h: the listing cache, one slot per directory.
 *
 * Lock discipline: one mutex guards the slot table and every slot; it is
 * never held during a fetch. A fetch is done by the first caller that finds
 * a slot stale; callers that arrive meanwhile wait on the slot's condition
 * variable and share its outcome (single flight). A listing handed out is a
 * reference the caller releases with listing_unref().
 *
 * Freshness: a listing is fresh for ttl_ms, or poll_ms while it holds a
 * record in a transitional state. When a fetch fails and the slot has a
 * listing fetched less than max_stale_ms ago, that listing is served, marked
 * stale, with the fetch's error for the caller to log.
 */
#ifndef DBB_CACHE_H
#define DBB_CACHE_H

#include <stdint.h>

#include "core/error.h"
#include "core/listing.h"

struct cache;

struct cache_policy {
	int64_t ttl_ms;
	int64_t poll_ms;
	int64_t max_stale_ms;
};

enum cache_outcome {
	CACHE_HIT,       /* fresh listing, no fetch */
	CACHE_FETCHED,   /* fetched now (by this caller or a shared flight) */
	CACHE_STALE,     /* fetch failed; an older listing is served; err set */
};

/* Fetches a listing for the slot's directory; returns 0 and sets *out, or a
 * negative errno with err filled. */
typedef int (*cache_fetch_fn)(void *context, struct listing **out,
			      struct dbb_error *err);

struct cache *cache_new(void);
void cache_free(struct cache *c);

/* Returns 0 with *out referenced, or a negative errno with err filled. */
int cache_get(struct cache *c, const char *key, const struct cache_policy *policy,
	      cache_fetch_fn fetch, void *context, struct listing **out,
	      enum cache_outcome *outcome, struct dbb_error *err);

/* The cached listing if it is fresh, without fetching; NULL otherwise. */
struct listing *cache_peek_fresh(struct cache *c, const char *key,
				 const struct cache_policy *policy);

/* Marks one directory's listing expired (kept for stale serving). */
void cache_invalidate(struct cache *c, const char *key);
/* Drops every listing (SIGHUP). */
void cache_clear(struct cache *c);

#endif
