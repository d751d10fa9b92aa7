/*
 * catalog.h: the whole tree's data, FUSE-free.
 *
 * The catalog opens the configuration, makes one profile per section with
 * its provider, and answers "what is in this directory" from the listing
 * cache (cache.h), fetching through the provider when a listing is stale.
 * The FUSE front end, `dbbackupfs --check` and unit tests all go through
 * here, so the caching and counting rules hold for every caller.
 */
#ifndef DBB_CATALOG_H
#define DBB_CATALOG_H

#include "core/cache.h"
#include "core/config.h"
#include "core/exports.h"
#include "core/listing.h"
#include "providers/provider.h"

struct catalog {
	struct config *config;
	struct profile *profiles;
	size_t profile_count;
	struct cache *cache;
	struct exports *exports;     /* exports asked for through this mount */
};

/* Names the tree uses itself inside an instance directory. */
#define CATALOG_EXPORT_DIRECTORY ".export"
/* The root's own file; no profile may take its name. */
#define CATALOG_STATS_FILE ".stats"

int catalog_open(const char *config_path, struct catalog **out,
		 struct dbb_error *err);
void catalog_close(struct catalog *cat);

struct profile *catalog_profile(struct catalog *cat, const char *name);

/* Listings, from the cache or fetched. On success *out is a reference the
 * caller releases with listing_unref(). A stale serve succeeds and logs a
 * warning once per serve. */
int catalog_instances(struct catalog *cat, struct profile *p,
		      struct listing **out, struct dbb_error *err);
int catalog_backups(struct catalog *cat, struct profile *p,
		    const char *instance_id, struct listing **out,
		    struct dbb_error *err);

void catalog_invalidate_instances(struct catalog *cat, struct profile *p);
void catalog_invalidate_backups(struct catalog *cat, struct profile *p,
				const char *instance_id);
void catalog_drop_caches(struct catalog *cat);

/* MOUNT/.stats: a malloc'd JSON document the caller frees. */
char *catalog_stats_json(struct catalog *cat);

/* How long the kernel may trust what this profile's directory said. */
double catalog_entry_timeout(const struct profile *p, const struct listing *l);

#endif
