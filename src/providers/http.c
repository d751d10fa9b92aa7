/*
 * http.c: libcurl behind one function, http_perform(); see http.h for the
 * retry and idempotency rules.
 */
#include "providers/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 10000
#define RETRY_AFTER_CAP_MS 60000
#define DEFAULT_MAX_BODY (64u << 20)

struct token_bucket {
	pthread_mutex_t lock;
	double rate;            /* tokens per second; <= 0: unlimited */
	double tokens;
	double burst;
	int64_t refilled_ms;
};

struct http_client {
	struct http_settings settings;
	char *profile;
	char *ca_file;
	char *request_id_header;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL **pool;
	size_t pool_count, pool_capacity;
	struct token_bucket bucket;
};

/* ---- headers ---------------------------------------------------------- */

void http_headers_init(struct http_headers *h)
{
	memset(h, 0, sizeof(*h));
}

int http_headers_add(struct http_headers *h, const char *name, const char *value)
{
	char *line;

	if (h->count == h->capacity) {
		size_t capacity = h->capacity ? h->capacity * 2 : 8;
		char **grown = realloc(h->lines, capacity * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		h->lines = grown;
		h->capacity = capacity;
	}
	if (asprintf(&line, "%s: %s", name, value) < 0)
		return -ENOMEM;
	h->lines[h->count++] = line;
	return 0;
}

int http_headers_copy(struct http_headers *to, const struct http_headers *from)
{
	for (size_t i = 0; i < from->count; i++) {
		const char *line = from->lines[i], *colon = strchr(line, ':');
		char name[256];

		if (!colon || (size_t)(colon - line) >= sizeof(name))
			continue;
		memcpy(name, line, (size_t)(colon - line));
		name[colon - line] = '\0';
		if (http_headers_add(to, name, colon[1] == ' ' ? colon + 2 : colon + 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

void http_headers_destroy(struct http_headers *h)
{
	for (size_t i = 0; i < h->count; i++) {
		/* Header lines hold signatures and tokens: wipe them. */
		explicit_bzero(h->lines[i], strlen(h->lines[i]));
		free(h->lines[i]);
	}
	free(h->lines);
	http_headers_init(h);
}

/* ---- client ----------------------------------------------------------- */

static void share_lock(CURL *handle, curl_lock_data data,
		       curl_lock_access access, void *user)
{
	struct http_client *client = user;

	pthread_mutex_lock(&client->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *user)
{
	struct http_client *client = user;

	pthread_mutex_unlock(&client->share_locks[data]);
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct http_client *http_client_new(const struct http_settings *settings)
{
	struct http_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->settings = *settings;
	client->profile = strdup_or_null(settings->profile);
	client->ca_file = strdup_or_null(settings->ca_file);
	client->request_id_header = strdup_or_null(settings->request_id_header);
	client->settings.profile = client->profile;
	client->settings.ca_file = client->ca_file;
	client->settings.request_id_header = client->request_id_header;
	if (!client->settings.max_body)
		client->settings.max_body = DEFAULT_MAX_BODY;

	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&client->share_locks[i], NULL);
	pthread_mutex_init(&client->pool_lock, NULL);
	client->share = curl_share_init();
	curl_share_setopt(client->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(client->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(client->share, CURLSHOPT_USERDATA, client);
	curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);

	pthread_mutex_init(&client->bucket.lock, NULL);
	client->bucket.rate = settings->max_rps;
	client->bucket.burst = settings->max_rps >= 1 ? settings->max_rps : 1;
	client->bucket.tokens = client->bucket.burst;
	client->bucket.refilled_ms = clock_monotonic_ms();
	return client;
}

void http_client_free(struct http_client *client)
{
	if (!client)
		return;
	for (size_t i = 0; i < client->pool_count; i++)
		curl_easy_cleanup(client->pool[i]);
	free(client->pool);
	curl_share_cleanup(client->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&client->share_locks[i]);
	pthread_mutex_destroy(&client->pool_lock);
	pthread_mutex_destroy(&client->bucket.lock);
	free(client->profile);
	free(client->ca_file);
	free(client->request_id_header);
	free(client);
}

/* Easy handles are pooled: a handle keeps its own small connection cache
 * and TLS state warm on top of the shared one. */
static CURL *handle_take(struct http_client *client)
{
	CURL *handle = NULL;

	pthread_mutex_lock(&client->pool_lock);
	if (client->pool_count)
		handle = client->pool[--client->pool_count];
	pthread_mutex_unlock(&client->pool_lock);
	if (!handle)
		handle = curl_easy_init();
	else
		curl_easy_reset(handle);
	return handle;
}

static void handle_give_back(struct http_client *client, CURL *handle)
{
	pthread_mutex_lock(&client->pool_lock);
	if (client->pool_count == client->pool_capacity) {
		size_t capacity = client->pool_capacity ? client->pool_capacity * 2 : 8;
		CURL **grown = realloc(client->pool, capacity * sizeof(*grown));

		if (!grown) {
			pthread_mutex_unlock(&client->pool_lock);
			curl_easy_cleanup(handle);
			return;
		}
		client->pool = grown;
		client->pool_capacity = capacity;
	}
	client->pool[client->pool_count++] = handle;
	pthread_mutex_unlock(&client->pool_lock);
}

/* ---- rate limit ------------------------------------------------------- */

/* Takes one token, waiting for it; false when the wait would pass the
 * deadline. Waiting here is the point: it bounds the rate whatever the
 * users do. */
static bool bucket_take(struct token_bucket *b, int64_t deadline_ms)
{
	for (;;) {
		int64_t now = clock_monotonic_ms(), wait_ms;
		struct timespec pause;

		pthread_mutex_lock(&b->lock);
		if (b->rate <= 0) {
			pthread_mutex_unlock(&b->lock);
			return true;
		}
		b->tokens += (double)(now - b->refilled_ms) * b->rate / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->refilled_ms = now;
		if (b->tokens >= 1) {
			b->tokens -= 1;
			pthread_mutex_unlock(&b->lock);
			return true;
		}
		wait_ms = (int64_t)((1 - b->tokens) * 1000.0 / b->rate) + 1;
		pthread_mutex_unlock(&b->lock);
		if (now + wait_ms > deadline_ms)
			return false;
		pause.tv_sec = wait_ms / 1000;
		pause.tv_nsec = (wait_ms % 1000) * 1000000;
		nanosleep(&pause, NULL);
	}
}

/* ---- one attempt ------------------------------------------------------ */

struct attempt {
	const struct http_request *req;
	struct http_client *client;
	struct http_response *resp;
	size_t capacity;
	bool too_large;
};

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	struct attempt *a = user;
	struct http_response *r = a->resp;
	size_t length = size * count;

	if (a->req->sink) {
		if (r->length + length > a->req->sink_capacity) {
			a->too_large = true;
			return 0;
		}
		memcpy(a->req->sink + r->length, data, length);
		r->length += length;
		return length;
	}
	if (r->length + length > a->client->settings.max_body) {
		a->too_large = true;
		return 0;
	}
	if (r->length + length + 1 > a->capacity) {
		size_t capacity = a->capacity ? a->capacity : 4096;
		char *grown;

		while (capacity < r->length + length + 1)
			capacity *= 2;
		grown = realloc(r->body, capacity);
		if (!grown)
			return 0;
		r->body = grown;
		a->capacity = capacity;
	}
	memcpy(r->body + r->length, data, length);
	r->length += length;
	r->body[r->length] = '\0';
	return length;
}

/* Copies a header's value (trimmed) when the line is "name: value". */
static bool header_value(const char *line, size_t length, const char *name,
			 char *out, size_t size)
{
	size_t name_length = strlen(name), n = 0;
	const char *p, *end = line + length;

	if (length <= name_length || strncasecmp(line, name, name_length) ||
	    line[name_length] != ':')
		return false;
	for (p = line + name_length + 1; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (; p < end && n + 1 < size; p++)
		out[n++] = *p;
	out[n] = '\0';
	return true;
}

static int64_t parse_retry_after(const char *value)
{
	char *end;
	long long seconds = strtoll(value, &end, 10);
	time_t when;

	if (end != value && *end == '\0' && seconds >= 0)
		return seconds * 1000;
	when = curl_getdate(value, NULL);
	if (when < 0)
		return -1;
	return when > time(NULL) ? ((int64_t)(when - time(NULL))) * 1000 : 0;
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
	struct attempt *a = user;
	struct http_response *r = a->resp;
	size_t length = size * count;
	char value[128];
	const char *id_header = a->client->settings.request_id_header;

	if (header_value(data, length, "Date", value, sizeof(r->date)))
		memcpy(r->date, value, sizeof(r->date));
	else if (header_value(data, length, "Retry-After", value, sizeof(value)))
		r->retry_after_ms = parse_retry_after(value);
	else if (header_value(data, length, "Content-Range", value, sizeof(value)))
		snprintf(r->content_range, sizeof(r->content_range), "%s", value);
	else if (header_value(data, length, "Content-Length", value, sizeof(value)))
		r->content_length = strtoll(value, NULL, 10);
	else if (id_header && header_value(data, length, id_header, value,
					   sizeof(r->request_id)))
		memcpy(r->request_id, value, sizeof(r->request_id));
	return length;
}

static void response_reset(struct http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
	resp->retry_after_ms = -1;
}

static struct curl_slist *build_header_list(const struct http_headers *extra,
					    const struct http_headers *signed_headers)
{
	struct curl_slist *list = NULL, *grown;
	const struct http_headers *sets[] = { extra, signed_headers };

	/* No "Expect: 100-continue" round trip for small POST bodies. */
	list = curl_slist_append(list, "Expect:");
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; sets[s] && i < sets[s]->count; i++) {
			grown = curl_slist_append(list, sets[s]->lines[i]);
			if (!grown) {
				curl_slist_free_all(list);
				return NULL;
			}
			list = grown;
		}
	}
	return list;
}

static void wipe_header_list(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static void configure_handle(struct http_client *client, CURL *handle,
			     const struct http_request *req,
			     struct curl_slist *headers, struct attempt *a,
			     int64_t remaining_ms)
{
	const struct http_settings *s = &client->settings;
	int64_t connect_ms = s->connect_timeout_ms && s->connect_timeout_ms < remaining_ms ?
		s->connect_timeout_ms : remaining_ms;

	curl_easy_setopt(handle, CURLOPT_SHARE, client->share);
	curl_easy_setopt(handle, CURLOPT_URL, req->url);
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	if (req->sink)
		curl_easy_setopt(handle, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(handle, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, (long)remaining_ms);
	curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
	curl_easy_setopt(handle, CURLOPT_USERAGENT, "dbbackupfs/" DBB_VERSION);
	curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file) {
		/* ca_file adds a CA: keep the system's directory as well. */
		curl_easy_setopt(handle, CURLOPT_CAINFO, s->ca_file);
		curl_easy_setopt(handle, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (!req->idempotent) {
		/* libcurl silently sends a request again when a reused
		 * connection turns out dead before any answer; for a request
		 * that changes state that would be a duplicate. A fresh
		 * connection is never replayed. */
		curl_easy_setopt(handle, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L);
	}
	if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(handle, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, (long)req->body_length);
	}
}

/* What one attempt came to, and whether another may follow. */
enum verdict { ANSWERED, RETRY, FAILED };

static enum verdict judge_transport(CURLcode code, const struct http_request *req,
				    const struct attempt *a, const char *url_host,
				    struct dbb_error *err)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		/* Nothing reached the server: safe to repeat any request. */
		dbb_error_set(err, EIO, "cannot connect to %s: %s", url_host,
			      curl_easy_strerror(code));
		dbb_error_set_remedy(err, "check the endpoint and the network");
		return RETRY;
	case CURLE_OPERATION_TIMEDOUT:
		dbb_error_set(err, ETIMEDOUT, "no answer from %s in time", url_host);
		dbb_error_set_remedy(err, "raise timeout= or check the endpoint");
		return req->idempotent ? RETRY : FAILED;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
		dbb_error_set(err, EIO, "TLS with %s failed: %s", url_host,
			      curl_easy_strerror(code));
		dbb_error_set_remedy(err, "if the server uses a private CA, name it with ca_file=");
		return FAILED;
	case CURLE_WRITE_ERROR:
		if (a->too_large) {
			dbb_error_set(err, EIO, "answer from %s is larger than %zu bytes",
				      url_host, a->client->settings.max_body);
			return FAILED;
		}
		/* fall through */
	default:
		if (req->idempotent) {
			dbb_error_set(err, EIO, "transfer from %s failed: %s", url_host,
				      curl_easy_strerror(code));
			return RETRY;
		}
		dbb_error_set(err, EIO,
			      "connection to %s failed after the request was sent (%s); "
			      "not repeated because it changes state", url_host,
			      curl_easy_strerror(code));
		dbb_error_set_remedy(err, "check in the provider's console whether it was done");
		return FAILED;
	}
}

static enum verdict judge_answer(const struct http_request *req,
				 struct http_response *resp, const char *url_host,
				 struct dbb_error *err)
{
	if (resp->status >= 200 && resp->status < 300) {
		if (req->accept && req->accept(req->accept_context, resp) < 0) {
			dbb_error_set(err, EIO, "malformed answer from %s to %s",
				      url_host, req->operation);
			err->http_status = (int)resp->status;
			return req->idempotent ? RETRY : FAILED;
		}
		return ANSWERED;
	}
	if (resp->status == 429)
		return RETRY;   /* refused, not processed: safe to repeat */
	if (resp->status >= 500 && req->idempotent &&
	    !(req->final_answer && req->final_answer(req->accept_context, resp)))
		return RETRY;
	return ANSWERED;
}

static void host_of(const char *url, char *out, size_t size)
{
	const char *start = strstr(url, "://");
	size_t n = 0;

	start = start ? start + 3 : url;
	while (start[n] && start[n] != '/' && n + 1 < size) {
		out[n] = start[n];
		n++;
	}
	out[n] = '\0';
}

static int64_t backoff_ms(unsigned attempt, const struct http_response *resp)
{
	static __thread unsigned seed;
	int64_t delay = BACKOFF_BASE_MS << (attempt < 10 ? attempt : 10);

	if (!seed)
		seed = (unsigned)clock_monotonic_ms() ^ (unsigned)(uintptr_t)&seed;
	if (delay > BACKOFF_CAP_MS)
		delay = BACKOFF_CAP_MS;
	/* Full jitter between half and one and a half of the step. */
	delay = delay / 2 + (int64_t)(rand_r(&seed) % (unsigned)(delay + 1));
	if (resp && resp->retry_after_ms >= 0)
		delay = resp->retry_after_ms < RETRY_AFTER_CAP_MS ?
			resp->retry_after_ms : RETRY_AFTER_CAP_MS;
	return delay;
}

static void pause_ms(int64_t ms)
{
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&pause, NULL);
}

static void log_attempt(const struct http_request *req, long status, int64_t ms)
{
	const char *path = strstr(req->url, "://");
	const char *query;
	int path_length;

	if (!log_debug_enabled())
		return;
	path = path ? strchr(path + 3, '/') : req->url;
	path = path ? path : "/";
	if (req->log_path)
		path = req->log_path;
	/* The path only: a presigned URL carries its signature in the query. */
	query = strchr(path, '?');
	path_length = query ? (int)(query - path) : (int)strlen(path);
	log_msg(LOG_LEVEL_DEBUG, "api %s %s %.*s%s %ld %lldms", req->operation,
		req->method, path_length, path, query ? "?..." : "", status,
		(long long)ms);
}

static enum verdict attempt_once(struct http_client *client,
				 const struct http_request *req,
				 struct http_response *resp, int64_t remaining_ms,
				 const char *host, struct dbb_error *err)
{
	struct http_headers signed_headers;
	struct curl_slist *header_list = NULL;
	struct attempt a = { req, client, resp, 0, false };
	enum verdict verdict = FAILED;
	int64_t started = clock_monotonic_ms();
	CURL *handle;
	CURLcode code;

	http_headers_init(&signed_headers);
	response_reset(resp);
	if (req->sign && req->sign(req->sign_context, req, &signed_headers, err) < 0)
		goto out;
	header_list = build_header_list(req->headers, &signed_headers);
	handle = handle_take(client);
	if (!header_list || !handle) {
		dbb_error_set(err, ENOMEM, "out of memory");
		if (handle)
			handle_give_back(client, handle);
		goto out;
	}
	configure_handle(client, handle, req, header_list, &a, remaining_ms);
	stats_count_request(client->settings.stats, req->operation);
	code = curl_easy_perform(handle);
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &resp->status);
	handle_give_back(client, handle);
	log_attempt(req, code == CURLE_OK ? resp->status : -1,
		    clock_monotonic_ms() - started);

	if (code != CURLE_OK)
		verdict = judge_transport(code, req, &a, host, err);
	else
		verdict = judge_answer(req, resp, host, err);
	if (code == CURLE_OK && resp->status == 429)
		stats_add(client->settings.stats, &client->settings.stats->throttles, 1);
out:
	wipe_header_list(header_list);
	http_headers_destroy(&signed_headers);
	return verdict;
}

int http_perform(struct http_client *client, const struct http_request *req,
		 struct http_response *resp, struct dbb_error *err)
{
	int64_t started = clock_monotonic_ms();
	int64_t deadline = started + client->settings.timeout_ms;
	enum verdict verdict = FAILED;
	char host[256];

	memset(resp, 0, sizeof(*resp));
	host_of(req->url, host, sizeof(host));
	for (unsigned attempt = 0;; attempt++) {
		int64_t delay;

		if (!bucket_take(&client->bucket, deadline) ||
		    deadline - clock_monotonic_ms() <= 0) {
			if (attempt > 0)
				break;
			dbb_error_set(err, ETIMEDOUT, "%s to %s timed out after %lld ms",
				      req->operation, host,
				      (long long)client->settings.timeout_ms);
			goto failed;
		}
		dbb_error_clear(err);
		verdict = attempt_once(client, req, resp, deadline - clock_monotonic_ms(),
				       host, err);
		if (verdict != RETRY || attempt >= client->settings.retries)
			break;
		delay = backoff_ms(attempt, resp);
		if (clock_monotonic_ms() + delay >= deadline)
			break;
		stats_add(client->settings.stats, &client->settings.stats->retries, 1);
		pause_ms(delay);
	}
	/* A 429 or 5xx that outlived its retries is still an answer: the
	 * caller maps the provider's error body. */
	if (verdict == FAILED || (verdict == RETRY && err->errnum))
		goto failed;
	resp->duration_ms = (long)(clock_monotonic_ms() - started);
	return 0;
failed:
	err->duration_ms = (long)(clock_monotonic_ms() - started);
	if (!err->http_status)
		err->http_status = (int)resp->status;
	snprintf(err->request_id, sizeof(err->request_id), "%s", resp->request_id);
	response_reset(resp);
	return -err->errnum;
}

void http_response_destroy(struct http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->length = 0;
}

int http_status_errno(long status)
{
	switch (status) {
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	case 409:
		return EEXIST;
	case 429:
		return EAGAIN;
	case 408:
	case 504:
		return ETIMEDOUT;
	default:
		return EIO;
	}
}

int64_t http_clock_skew_seconds(const struct http_response *resp, bool *known)
{
	time_t server;

	*known = false;
	if (!resp->date[0])
		return 0;
	server = curl_getdate(resp->date, NULL);
	if (server < 0)
		return 0;
	*known = true;
	return (int64_t)(time(NULL) - server);
}

bool http_explain_clock_skew(const struct http_response *resp,
			     int64_t limit_seconds, struct dbb_error *err)
{
	bool known;
	int64_t skew = http_clock_skew_seconds(resp, &known);

	if (!known || (skew <= limit_seconds && skew >= -limit_seconds))
		return false;
	dbb_error_set(err, EACCES,
		      "clock skew: the local clock is %lld s %s the server's (Date: %s); "
		      "the gateway refuses requests more than %lld s off",
		      (long long)(skew < 0 ? -skew : skew), skew > 0 ? "ahead of" : "behind",
		      resp->date, (long long)limit_seconds);
	dbb_error_set_remedy(err, "synchronise the clock (timedatectl set-ntp true, or chronyc makestep)");
	return true;
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}
