/*
 * catalog.c: profiles from the configuration, listings through the cache.
 */
#include "core/catalog.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

#define DEFAULT_CACHE_TTL_MS 30000
#define DEFAULT_POLL_INTERVAL_MS 5000
#define DEFAULT_MAX_STALE_MS 3600000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_RETRIES 4
#define DEFAULT_MAX_RPS 10
#define CONNECT_TIMEOUT_MS 10000

static const char *const common_keys[] = {
	"type", "endpoint", "region", "access_key", "secret_key", "secret_key_file",
	"cache_ttl", "poll_interval", "max_stale", "timeout", "retries", "max_rps",
	"ca_file", "credentials", NULL,
};

static const char *const instance_reserved_names[] = {
	CATALOG_EXPORT_DIRECTORY, NULL,
};

/* ---- opening ---------------------------------------------------------- */

static int check_profile_keys(const struct config *c, const struct config_section *s,
			      const struct provider_kind *kind, struct dbb_error *err)
{
	const char *allowed[64];
	size_t n = 0;

	for (size_t i = 0; common_keys[i] && n < 63; i++)
		allowed[n++] = common_keys[i];
	for (size_t i = 0; kind->config_keys && kind->config_keys[i] && n < 63; i++)
		allowed[n++] = kind->config_keys[i];
	allowed[n] = NULL;
	return config_check_keys(c, s, allowed, err);
}

/* endpoint= as given, else the kind's default with {region} filled in. */
static char *endpoint_for(const struct config_section *s,
			  const struct provider_kind *kind, const char *region)
{
	const char *given = config_get(s, "endpoint");
	const char *pattern = kind->default_endpoint;
	const char *hole;
	char *out;

	if (given && *given)
		return strdup(given);
	if (!pattern)
		return NULL;
	hole = strstr(pattern, "{region}");
	if (!hole)
		return strdup(pattern);
	if (asprintf(&out, "%.*s%s%s", (int)(hole - pattern), pattern, region,
		     hole + strlen("{region}")) < 0)
		return NULL;
	return out;
}

static int read_common_settings(const struct config *c, const struct config_section *s,
				const struct provider_kind *kind,
				struct profile_settings *set, struct dbb_error *err)
{
	unsigned long ttl, poll, stale, timeout, retries, rps;
	const char *region = config_get(s, "region");
	const char *ca_file = config_get(s, "ca_file");

	if (config_get_duration_ms(c, s, "cache_ttl", DEFAULT_CACHE_TTL_MS, 0,
				   86400000, &ttl, err) < 0 ||
	    config_get_duration_ms(c, s, "poll_interval", DEFAULT_POLL_INTERVAL_MS,
				   100, 3600000, &poll, err) < 0 ||
	    config_get_duration_ms(c, s, "max_stale", DEFAULT_MAX_STALE_MS, 0,
				   7 * 86400000UL, &stale, err) < 0 ||
	    config_get_duration_ms(c, s, "timeout", DEFAULT_TIMEOUT_MS, 100,
				   3600000, &timeout, err) < 0 ||
	    config_get_uint(c, s, "retries", DEFAULT_RETRIES, 0, 20, &retries, err) < 0 ||
	    config_get_uint(c, s, "max_rps", DEFAULT_MAX_RPS, 1, 10000, &rps, err) < 0)
		return -err->errnum;
	set->region = strdup(region && *region ? region :
			     kind->default_region ? kind->default_region : "");
	set->endpoint = endpoint_for(s, kind, set->region ? set->region : "");
	set->ca_file = ca_file && *ca_file ? config_expand_path(c, ca_file) : NULL;
	if (!set->region || !set->endpoint || (ca_file && *ca_file && !set->ca_file))
		return dbb_error_set(err, ENOMEM, "out of memory");
	/* Trailing slashes would double up when paths are appended. */
	for (size_t n = strlen(set->endpoint); n > 0 && set->endpoint[n - 1] == '/'; n--)
		set->endpoint[n - 1] = '\0';
	set->cache_ttl_ms = (int64_t)ttl;
	set->poll_interval_ms = (int64_t)poll;
	set->max_stale_ms = (int64_t)stale;
	set->timeout_ms = (int64_t)timeout;
	set->retries = (unsigned)retries;
	set->max_rps = (double)rps;
	return 0;
}

static int open_profile(const struct config *c, const struct config_section *s,
			struct profile *p, struct dbb_error *err)
{
	const char *type = config_get(s, "type");
	struct http_settings http;

	p->name = strdup(s->name);
	stats_init(&p->stats);
	if (!p->name)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (!strcmp(s->name, CATALOG_STATS_FILE))
		return dbb_error_set(err, EINVAL, "%s:%d: [%s] is reserved for the statistics file",
				     c->path, s->line, s->name);
	if (config_require(c, s, "type", err) < 0)
		return -err->errnum;
	p->kind = provider_find(type);
	if (!p->kind) {
		dbb_error_set(err, EINVAL, "%s:%d: [%s] has unknown type '%s'",
			      c->path, config_find(s, "type")->line, s->name, type);
		dbb_error_set_remedy(err, "dbbackupfs --list-providers shows the types");
		return -EINVAL;
	}
	if (check_profile_keys(c, s, p->kind, err) < 0 ||
	    read_common_settings(c, s, p->kind, &p->settings, err) < 0)
		return -err->errnum;

	http = (struct http_settings) {
		.profile = p->name,
		.connect_timeout_ms = CONNECT_TIMEOUT_MS,
		.timeout_ms = p->settings.timeout_ms,
		.retries = p->settings.retries,
		.max_rps = p->settings.max_rps,
		.ca_file = p->settings.ca_file,
		.request_id_header = p->kind->request_id_header,
		.stats = &p->stats,
	};
	p->http = http_client_new(&http);
	if (!p->http)
		return dbb_error_set(err, ENOMEM, "out of memory");
	return p->kind->init(p, c, s, err);
}

static void close_profile(struct profile *p)
{
	if (p->kind && p->provider_state && p->kind->fini)
		p->kind->fini(p);
	http_client_free(p->http);
	stats_destroy(&p->stats);
	free(p->settings.endpoint);
	free(p->settings.region);
	free(p->settings.ca_file);
	free(p->name);
}

int catalog_open(const char *config_path, struct catalog **out,
		 struct dbb_error *err)
{
	struct catalog *cat = calloc(1, sizeof(*cat));

	*out = NULL;
	if (!cat)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (config_load(config_path, &cat->config, err) < 0)
		goto fail;
	if (!cat->config->count) {
		dbb_error_set(err, EINVAL, "%s: no profile: add a [section] with type=",
			      cat->config->path);
		goto fail;
	}
	cat->cache = cache_new();
	cat->exports = exports_new();
	cat->profiles = calloc(cat->config->count, sizeof(*cat->profiles));
	if (!cat->cache || !cat->exports || !cat->profiles) {
		dbb_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < cat->config->count; i++) {
		cat->profile_count = i + 1;
		if (open_profile(cat->config, &cat->config->sections[i],
				 &cat->profiles[i], err) < 0)
			goto fail;
	}
	*out = cat;
	return 0;
fail:
	catalog_close(cat);
	return -err->errnum;
}

void catalog_close(struct catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->profile_count; i++)
		close_profile(&cat->profiles[i]);
	free(cat->profiles);
	cache_free(cat->cache);
	exports_free(cat->exports);
	config_free(cat->config);
	free(cat);
}

struct profile *catalog_profile(struct catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->profile_count; i++)
		if (!strcmp(cat->profiles[i].name, name))
			return &cat->profiles[i];
	return NULL;
}

/* ---- listings --------------------------------------------------------- */

static struct cache_policy policy_of(const struct profile *p)
{
	return (struct cache_policy) {
		.ttl_ms = p->settings.cache_ttl_ms,
		.poll_ms = p->settings.poll_interval_ms,
		.max_stale_ms = p->settings.max_stale_ms,
	};
}

struct fetch_context {
	struct profile *profile;
	const struct entry *instance;   /* NULL: the instance listing */
};

static int fetch_listing(void *context, struct listing **out, struct dbb_error *err)
{
	struct fetch_context *f = context;
	struct entry_list list;
	int result;

	entry_list_init(&list);
	if (f->instance)
		result = f->profile->kind->list_backups(f->profile, f->instance, &list, err);
	else
		result = f->profile->kind->list_instances(f->profile, &list, err);
	if (result < 0) {
		entry_list_destroy(&list);
		return result;
	}
	*out = listing_build(&list, f->instance ? instance_reserved_names : NULL);
	return *out ? 0 : dbb_error_set(err, ENOMEM, "out of memory");
}

static void backups_key(const struct profile *p, const char *instance_id,
			char *key, size_t size)
{
	snprintf(key, size, "%s/%s", p->name, instance_id);
}

/* Counts the cache's decision, and logs a stale serve. */
static int cached_listing(struct catalog *cat, struct profile *p, const char *key,
			  struct fetch_context *f, struct listing **out,
			  struct dbb_error *err)
{
	struct cache_policy policy = policy_of(p);
	enum cache_outcome outcome = CACHE_HIT;
	int result = cache_get(cat->cache, key, &policy, fetch_listing, f, out,
			       &outcome, err);

	if (result < 0) {
		stats_add(&p->stats, &p->stats.cache_misses, 1);
		stats_count_error(&p->stats, err->errnum, err->code, err->message);
		return result;
	}
	if (outcome == CACHE_HIT) {
		stats_add(&p->stats, &p->stats.cache_hits, 1);
	} else if (outcome == CACHE_FETCHED) {
		stats_add(&p->stats, &p->stats.cache_misses, 1);
	} else {
		stats_add(&p->stats, &p->stats.stale_serves, 1);
		stats_count_error(&p->stats, err->errnum, err->code, err->message);
		dbb_error_set_remedy(err, "serving the listing cached %lld s ago",
				     (long long)((clock_monotonic_ms() - (*out)->fetched_ms) / 1000));
		log_failure("refresh (stale listing served)", key, p->name, err);
		dbb_error_clear(err);
	}
	return 0;
}

int catalog_instances(struct catalog *cat, struct profile *p,
		      struct listing **out, struct dbb_error *err)
{
	struct fetch_context f = { p, NULL };

	return cached_listing(cat, p, p->name, &f, out, err);
}

int catalog_backups(struct catalog *cat, struct profile *p,
		    const char *instance_id, struct listing **out,
		    struct dbb_error *err)
{
	struct listing *instances;
	struct fetch_context f = { p, NULL };
	char key[1024];
	int result;

	result = catalog_instances(cat, p, &instances, err);
	if (result < 0)
		return result;
	f.instance = listing_find_id(instances, instance_id);
	if (!f.instance) {
		listing_unref(instances);
		return dbb_error_set(err, ENOENT, "instance %s is gone", instance_id);
	}
	backups_key(p, instance_id, key, sizeof(key));
	result = cached_listing(cat, p, key, &f, out, err);
	listing_unref(instances);
	return result;
}

void catalog_invalidate_instances(struct catalog *cat, struct profile *p)
{
	cache_invalidate(cat->cache, p->name);
}

void catalog_invalidate_backups(struct catalog *cat, struct profile *p,
				const char *instance_id)
{
	char key[1024];

	backups_key(p, instance_id, key, sizeof(key));
	cache_invalidate(cat->cache, key);
}

void catalog_drop_caches(struct catalog *cat)
{
	cache_clear(cat->cache);
}

char *catalog_stats_json(struct catalog *cat)
{
	json_t *root = json_object(), *profiles = json_object();
	char *text;

	for (size_t i = 0; i < cat->profile_count; i++)
		stats_render(&cat->profiles[i].stats, cat->profiles[i].name, profiles);
	json_object_set_new(root, "profiles", profiles);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}

double catalog_entry_timeout(const struct profile *p, const struct listing *l)
{
	int64_t ms = l && l->transitional ? p->settings.poll_interval_ms :
		p->settings.cache_ttl_ms;

	return (double)ms / 1000.0;
}
