/*
 * http.h: every request dbbackupfs sends goes through here.
 *
 * One http_client per profile: its connections are kept alive and shared by
 * every thread (a curl share handle), its token bucket bounds the request
 * rate (max_rps), and its counters feed .stats.
 *
 * Retries (DESIGN section 7): an idempotent request is tried again after a
 * connection error, a timeout, a truncated or unparseable answer, 429 and
 * 5xx, with exponential backoff and jitter, honouring Retry-After, until
 * `retries` retries or the deadline (`timeout`, for the whole operation) run
 * out. A request that changes state is repeated only when it cannot have
 * reached the server (no connection was made) or when the server refused
 * it with 429; never after it may have been processed.
 *
 * Signing happens before every attempt (signatures carry timestamps), by a
 * callback that adds headers. Nothing here logs a header value.
 */
#ifndef DBB_HTTP_H
#define DBB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/stats.h"

struct http_client;

struct http_settings {
	const char *profile;          /* for log lines */
	int64_t connect_timeout_ms;
	int64_t timeout_ms;           /* deadline for one operation, retries included */
	unsigned retries;
	double max_rps;
	const char *ca_file;          /* NULL: the system's CAs only */
	const char *request_id_header;/* e.g. "x-ncp-request-id"; NULL: none */
	size_t max_body;              /* larger answers are refused */
	struct stats *stats;
};

/* A list of "Name: value" header lines, owned by the list. */
struct http_headers {
	char **lines;
	size_t count, capacity;
};

void http_headers_init(struct http_headers *h);
int http_headers_add(struct http_headers *h, const char *name, const char *value);
void http_headers_destroy(struct http_headers *h);
/* Appends a copy of every line of from. Returns 0 or -ENOMEM. */
int http_headers_copy(struct http_headers *to, const struct http_headers *from);

struct http_request;

/* Adds the authentication headers for one attempt. Returns 0 or -errno. */
typedef int (*http_sign_fn)(void *context, const struct http_request *req,
			    struct http_headers *headers, struct dbb_error *err);

struct http_response {
	long status;
	char *body;                   /* NUL-terminated; owned */
	size_t length;
	char request_id[96];
	char date[64];                /* the server's Date header */
	char content_range[128];
	int64_t content_length;       /* -1 when absent */
	int64_t retry_after_ms;       /* -1 when absent */
	long duration_ms;             /* the whole operation, retries included */
};

/* Called with a 2xx answer; returns 0 to accept it, or -1 when the body is
 * unusable (malformed), which counts as a failed attempt. */
typedef int (*http_accept_fn)(void *context, const struct http_response *resp);

struct http_request {
	const char *operation;        /* counted in .stats, shown in logs */
	const char *method;
	const char *url;              /* absolute */
	const char *target;           /* path?query as sent, for signers */
	const struct http_headers *headers; /* extra headers, may be NULL */
	const char *body;
	size_t body_length;
	bool idempotent;
	http_sign_fn sign;
	void *sign_context;
	http_accept_fn accept;
	void *accept_context;
	/* Called (with accept_context) for a 5xx answer to an idempotent
	 * request; true when it is the service's definitive answer, not a
	 * passing failure (ZStack's 503 {"error": ...}: the API ran and failed),
	 * which is then not retried. NULL: every 5xx may be retried. */
	bool (*final_answer)(void *context, const struct http_response *resp);
	/* What -o debug logs instead of the URL's path when the path itself
	 * holds a token (ZStack's session uuid in LogOut), or NULL. */
	const char *log_path;
	/* The body goes here when set (at most sink_capacity bytes); resp->body
	 * stays NULL and resp->length counts it. */
	char *sink;
	size_t sink_capacity;
};

struct http_client *http_client_new(const struct http_settings *settings);
void http_client_free(struct http_client *client);

/* Performs the request with retries. Returns 0 when an HTTP answer was
 * received (whatever its status: the caller maps provider errors), or a
 * negative errno with err filled when none was (ETIMEDOUT, EIO). On 0 the
 * caller owns resp and frees it with http_response_destroy(). */
int http_perform(struct http_client *client, const struct http_request *req,
		 struct http_response *resp, struct dbb_error *err);

void http_response_destroy(struct http_response *resp);

/* The default errno for an HTTP status: 401/403 EACCES, 404 ENOENT,
 * 409 EEXIST, 429 EAGAIN, 408/504 ETIMEDOUT, other EIO. */
int http_status_errno(long status);

/* Seconds the local clock is ahead of the server's Date header (negative
 * when behind); 0 with *known false when the header is absent. */
int64_t http_clock_skew_seconds(const struct http_response *resp, bool *known);

/* Fills a clock-skew explanation into err when the skew exceeds
 * limit_seconds; returns true when it did. */
bool http_explain_clock_skew(const struct http_response *resp,
			     int64_t limit_seconds, struct dbb_error *err);

/* Process-wide libcurl set-up; call once before threads start. */
int http_global_init(void);
void http_global_cleanup(void);

#endif
