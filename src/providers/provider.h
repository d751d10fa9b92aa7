/*
 * provider.h: what a cloud must offer to appear in the tree.
 *
 * A provider kind is a table of functions and facts; the registry
 * (registry.c) lists every kind, and adding a provider is one new file and
 * one line there. Functions run on any thread, concurrently; a provider
 * keeps its per-profile state in profile->provider_state.
 *
 * Records come back provider-neutral (entry.h) with the provider's own
 * fields packed for user.api.*; errors come back as a negative errno with
 * struct dbb_error filled with the provider's code, message and request id.
 */
#ifndef DBB_PROVIDER_H
#define DBB_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/entry.h"
#include "core/error.h"
#include "core/stats.h"
#include "providers/http.h"

enum provider_capability {
	PROVIDER_CAN_LIST = 1 << 0,
	PROVIDER_CAN_MKDIR = 1 << 1,
	PROVIDER_CAN_EXPORT = 1 << 2,
	PROVIDER_CAN_READ = 1 << 3,
};

/* The settings every profile has (DESIGN section 8). */
struct profile_settings {
	char *endpoint;
	char *region;
	int64_t cache_ttl_ms;
	int64_t poll_interval_ms;
	int64_t max_stale_ms;
	int64_t timeout_ms;
	unsigned retries;
	double max_rps;
	char *ca_file;
};

struct profile {
	char *name;                        /* the config section; a directory */
	const struct provider_kind *kind;
	struct profile_settings settings;
	struct http_client *http;
	struct stats stats;
	void *provider_state;
	/* Where the secret came from ("config file", "environment ...");
	 * never the secret. Set by the provider's init, shown by --check. */
	char credential_source[CONFIG_SOURCE_MAX];
};

/* What an accepted export said, for the control file and
 * user.backup.exported_to. */
struct export_result {
	char folder[256];                  /* where in the bucket, "" if none */
	char destination[512];             /* bucket/folder, or a URL */
	char result[512];                  /* URL or object key once known */
	bool done;                         /* finished, not only accepted */
};

/* How to fetch a backup's bytes: ranged GETs of url. */
struct content_source {
	char *url;                         /* owned */
	struct http_headers headers;       /* sent with every GET */
	int64_t expires_at;                /* epoch seconds; 0: never */
	int64_t size;                      /* exact bytes if known, else -1 */
	http_sign_fn sign;                 /* signs each GET (S3), or NULL */
	void *sign_context;                /* lives as long as the profile */
};

void content_source_destroy(struct content_source *source);

struct provider_kind {
	const char *name;                  /* type= in the config */
	const char *summary;
	unsigned capabilities;             /* enum provider_capability */
	const char *default_endpoint;      /* may hold "{region}" */
	const char *default_region;
	const char *request_id_header;     /* response header with the request id */
	const char *const *config_keys;    /* kind-specific keys, NULL-terminated */
	/* The provider's own description of this kind (action names, paths,
	 * units): kinds that work alike share their code and differ here. */
	const void *variant;

	/* Reads the kind's settings and secrets; the profile's common settings
	 * and HTTP client are ready. */
	int (*init)(struct profile *p, const struct config *c,
		    const struct config_section *s, struct dbb_error *err);
	void (*fini)(struct profile *p);

	int (*list_instances)(struct profile *p, struct entry_list *out,
			      struct dbb_error *err);
	int (*list_backups)(struct profile *p, const struct entry *instance,
			    struct entry_list *out, struct dbb_error *err);

	/* Optional; NULL where the service cannot do it. The name checks run
	 * before any request and fail with EINVAL. */
	int (*check_backup_name)(struct profile *p, const char *name,
				 struct dbb_error *err);
	int (*create_backup)(struct profile *p, const struct entry *instance,
			     const char *name, struct dbb_error *err);
	int (*check_bucket_name)(struct profile *p, const char *bucket,
				 struct dbb_error *err);
	int (*export_backup)(struct profile *p, const struct entry *instance,
			     const struct entry *backup, const char *bucket,
			     struct export_result *out, struct dbb_error *err);
	/* Where a readable backup's bytes are; ENODATA with err explaining
	 * why (and the remedy) when they cannot be read now. */
	int (*open_content)(struct profile *p, const struct entry *instance,
			    const struct entry *backup, struct content_source *out,
			    struct dbb_error *err);
	/* Optional: for --check, one read-only request to where backups' bytes
	 * come from when that is not the API (NAVER: Object Storage). Writes
	 * what it probed ("object storage at URL") into what. */
	int (*check_content)(struct profile *p, char *what, size_t size,
			     struct dbb_error *err);
};

const struct provider_kind *provider_find(const char *name);
/* The kinds in registry order, NULL-terminated. */
const struct provider_kind *const *provider_kinds(void);

#endif
