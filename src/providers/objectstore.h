/*
 * objectstore.h: a small S3 client for NAVER Object Storage, enough to find
 * an exported backup and stream it (api/ncloud.md section 9).
 *
 * What it does:
 *   - lists a folder with ListObjectsV2, every page, following continuation
 *     tokens (max-keys = page_size), parsed from XML through doc.h;
 *   - HEADs an object;
 *   - describes where an object's bytes are (struct content_source) for the
 *     content reader, whose ranged GETs it signs (objectstore_sign);
 *   - turns S3's XML errors (<Error><Code>) into the errno table of DESIGN
 *     section 4 (objectstore_errno_for_code).
 * Requests are path-style (ENDPOINT/BUCKET/KEY), signed with AWS Signature
 * Version 4 (sign_s3.h) with the profile's own access and secret key: NAVER
 * Object Storage takes the same key pair as the Cloud DB API. GETs and HEADs
 * carry the SHA-256 of the empty body as their payload hash. They go through
 * the profile's http_client, so they share its connections, its rate limit,
 * its retries (503 SlowDown is retried there, being idempotent) and its
 * .stats counters: ListObjectsV2, HeadObject.
 *
 * Threads: a store is immutable once made; every function may be called
 * from any thread at once.
 *
 * Ownership: objectstore_new copies what it is given (the secret too, wiped
 * on free); the store must outlive every content_source it made, since their
 * sign_context points at it (the profile owns both).
 */
#ifndef DBB_PROVIDERS_OBJECTSTORE_H
#define DBB_PROVIDERS_OBJECTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "providers/http.h"
#include "providers/provider.h"

/* S3 answers at most 1000 keys per page. */
#define OBJECTSTORE_MAX_PAGE_SIZE 1000
/* S3 refuses requests signed more than 15 minutes off its clock. */
#define OBJECTSTORE_CLOCK_WINDOW_SECONDS 900

struct objectstore;

struct objectstore_settings {
	const char *profile;         /* for remedies: "[prod-pg]" */
	const char *endpoint;        /* "https://kr.object.ncloudstorage.com" */
	const char *region;          /* SigV4 region: "kr-standard" */
	const char *access_key;
	const char *secret_key;
	unsigned long page_size;     /* max-keys, 1..OBJECTSTORE_MAX_PAGE_SIZE */
};

/* One object of a listing. */
struct objectstore_object {
	char *key;                   /* the full key, owned */
	int64_t size;                /* bytes; -1 when the listing had none */
	int64_t last_modified;       /* epoch seconds; INT64_MIN when unknown */
};

/* One ListObjectsV2 answer. */
struct objectstore_page {
	struct objectstore_object *objects;
	size_t count;
	bool truncated;              /* IsTruncated */
	char *next_token;            /* NextContinuationToken, or NULL */
};

/*
 * NAVER's defaults for a profile: the Object Storage endpoint and SigV4
 * region for the API endpoint's site (public, gov: "gov-ntruss.com", fin:
 * "fin-ntruss.com") and the Cloud DB region code (KR, USWN, SGN, JPN, DEN,
 * KRS, ...; matched by the leading letters). Returns false when the table
 * has no row for them: the user must then set object_storage_endpoint=.
 * The strings are static.
 */
bool objectstore_naver_defaults(const char *api_endpoint, const char *region_code,
				const char **endpoint, const char **region);

/* Returns NULL with err filled (EINVAL for an unusable endpoint, ENOMEM). */
struct objectstore *objectstore_new(const struct objectstore_settings *settings,
				    struct http_client *http, struct dbb_error *err);
void objectstore_free(struct objectstore *store);

const char *objectstore_endpoint(const struct objectstore *store);

/*
 * Calls visit for every object whose key starts with prefix ("" for the
 * whole bucket), page after page, in the store's key order. visit returns 0
 * to go on, 1 to stop the walk early (objectstore_list then returns 0), or a
 * negative errno to fail it. A page that says it is truncated but gives no
 * token, or a token already seen, fails with EIO: a server cannot make the
 * walk loop.
 */
typedef int (*objectstore_visit_fn)(void *context, const struct objectstore_object *object);
int objectstore_list(struct objectstore *store, const char *bucket, const char *prefix,
		     objectstore_visit_fn visit, void *context, struct dbb_error *err);

/*
 * GET / (ListBuckets), for --check: whether the endpoint answers and takes
 * these keys, this region and this clock. Reads no bucket, so it works
 * before any export; the answer's body is not looked at.
 */
int objectstore_probe(struct objectstore *store, struct dbb_error *err);

/* HEAD bucket/key: its size in *size. ENOENT when it is not there. */
int objectstore_head(struct objectstore *store, const char *bucket, const char *key,
		     int64_t *size, struct dbb_error *err);

/*
 * Fills out (zeroed by the caller) with the URL of bucket/key, its size, and
 * the signer: every request the content reader sends to it is signed afresh
 * by objectstore_sign with sign_context = store.
 */
int objectstore_content_source(struct objectstore *store, const char *bucket,
			       const char *key, int64_t size, struct content_source *out,
			       struct dbb_error *err);

/*
 * An http_sign_fn for any GET or HEAD to the store's endpoint: signs what
 * req->url says (host, path, query), and adds Host, X-Amz-Date,
 * X-Amz-Content-Sha256 and Authorization. Other headers (Range) are sent
 * unsigned, which S3 allows. context is the struct objectstore.
 */
int objectstore_sign(void *context, const struct http_request *req,
		     struct http_headers *headers, struct dbb_error *err);

/* ---- answers, for the client and its unit tests ----------------------- */

/*
 * Parses one ListObjectsV2 body into out (which the caller releases with
 * objectstore_page_destroy, also after a failure). Returns 0, or -EINVAL
 * with a one-line reason when the body is not a ListBucketResult.
 */
int objectstore_parse_list_page(const char *body, size_t length,
				struct objectstore_page *out, char *reason,
				size_t reason_size);
void objectstore_page_destroy(struct objectstore_page *page);

/*
 * The errno for an S3 error code, DESIGN section 4: NoSuchBucket, NoSuchKey
 * ENOENT; AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
 * RequestTimeTooSkewed EACCES; SlowDown EAGAIN; otherwise (or for an empty
 * code) what the HTTP status says (http_status_errno).
 */
int objectstore_errno_for_code(const char *code, long status);

/*
 * Fills err from a failed S3 answer: errno, code, message and request id
 * from the XML <Error> body (a HEAD has none: the status alone speaks), the
 * HTTP status, the duration, a remedy where one exists, and for
 * RequestTimeTooSkewed the clock skew in plain words.
 */
void objectstore_describe_error(const struct objectstore *store,
				const struct http_response *resp, struct dbb_error *err);

#endif
