/*
 * objectstore.c: the S3 requests dbbackupfs sends to NAVER Object Storage,
 * and the reading of S3's answers. See objectstore.h for what it promises.
 *
 * The signer (sign_s3.h) takes the raw path and query and encodes them
 * itself; this file builds every URL with the same encoder (s3_encode_path,
 * s3_query_string), and objectstore_sign decodes the URL it is handed back
 * into raw parts. Decoding what s3_encode_path wrote and encoding it again
 * gives the same bytes, so the wire and the signature never disagree, and
 * the content reader needs to know nothing of S3 to have its GETs signed.
 */
#include "providers/objectstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/timeparse.h"
#include "providers/crypto.h"
#include "providers/doc.h"
#include "providers/sign_s3.h"

#define QUERY_MAX_PAIRS 16

struct objectstore {
	struct http_client *http;
	char *profile;
	char *endpoint;        /* scheme://authority, no trailing '/' */
	char *host;            /* the Host header: authority less a default port */
	char *region;
	char *access_key;
	char *secret_key;      /* wiped on free */
	unsigned long page_size;
};

/* ---- NAVER's endpoints ------------------------------------------------ */

/* api/ncloud.md section 9. The fin site's region name is not documented;
 * Terraform signs with the NAVER region code and is accepted, so the
 * region name matters little there (open question 9). */
static const struct naver_object_storage {
	const char *site;            /* substring of the API endpoint; NULL: public */
	const char *region_prefix;   /* leading letters of the region code */
	const char *endpoint;
	const char *region;
} naver_object_storage[] = {
	{ "gov-ntruss.com", "KRS", "https://krs.object.gov-ncloudstorage.com", "gov2-standard" },
	{ "gov-ntruss.com", "KR", "https://kr.object.gov-ncloudstorage.com", "gov-standard" },
	{ "fin-ntruss.com", "KR", "https://kr.object.fin-ncloudstorage.com", "kr-standard" },
	{ NULL, "KR", "https://kr.object.ncloudstorage.com", "kr-standard" },
	{ NULL, "US", "https://us.object.ncloudstorage.com", "us-standard" },
	{ NULL, "SG", "https://sg.object.ncloudstorage.com", "sg-standard" },
	{ NULL, "JP", "https://jp.object.ncpstorage.com", "jp-standard" },
	{ NULL, "DE", "https://de.object.ncloudstorage.com", "de-standard" },
};

static const char *naver_site_of(const char *api_endpoint)
{
	static const char *const sites[] = { "gov-ntruss.com", "fin-ntruss.com" };

	for (size_t i = 0; api_endpoint && i < sizeof(sites) / sizeof(sites[0]); i++)
		if (strstr(api_endpoint, sites[i]))
			return sites[i];
	return NULL;
}

bool objectstore_naver_defaults(const char *api_endpoint, const char *region_code,
				const char **endpoint, const char **region)
{
	const char *site = naver_site_of(api_endpoint);
	size_t count = sizeof(naver_object_storage) / sizeof(naver_object_storage[0]);

	for (size_t i = 0; region_code && i < count; i++) {
		const struct naver_object_storage *row = &naver_object_storage[i];
		size_t length = strlen(row->region_prefix);

		if ((row->site == NULL) != (site == NULL) || (site && strcmp(site, row->site)))
			continue;
		if (strncasecmp(region_code, row->region_prefix, length))
			continue;
		*endpoint = row->endpoint;
		*region = row->region;
		return true;
	}
	return false;
}

/* ---- the store -------------------------------------------------------- */

/* Splits "scheme://authority[/]" into the endpoint kept (no trailing '/')
 * and the Host header value (a default port left out, as curl does). */
static int parse_endpoint(struct objectstore *store, const char *endpoint,
			  struct dbb_error *err)
{
	const char *authority, *end;
	size_t length;
	bool https = !strncasecmp(endpoint, "https://", 8);

	if (!https && strncasecmp(endpoint, "http://", 7))
		goto unusable;
	authority = endpoint + (https ? 8 : 7);
	end = authority + strcspn(authority, "/?#");
	if (end == authority || memchr(authority, '@', (size_t)(end - authority)) ||
	    (*end && strcmp(end, "/")))
		goto unusable;
	length = (size_t)(end - authority);
	if (https && length > 4 && !strncmp(end - 4, ":443", 4))
		length -= 4;
	else if (!https && length > 3 && !strncmp(end - 3, ":80", 3))
		length -= 3;
	store->endpoint = strndup(endpoint, (size_t)(end - endpoint));
	store->host = strndup(authority, length);
	if (!store->endpoint || !store->host)
		return dbb_error_set(err, ENOMEM, "out of memory");
	return 0;
unusable:
	dbb_error_set(err, EINVAL, "'%s' is not an Object Storage endpoint", endpoint);
	dbb_error_set_remedy(err, "object_storage_endpoint is http(s)://host[:port], with no path");
	return -EINVAL;
}

struct objectstore *objectstore_new(const struct objectstore_settings *settings,
				    struct http_client *http, struct dbb_error *err)
{
	struct objectstore *store = calloc(1, sizeof(*store));

	if (!store) {
		dbb_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	store->http = http;
	store->page_size = settings->page_size;
	if (parse_endpoint(store, settings->endpoint, err) < 0)
		goto failed;
	store->profile = strdup(settings->profile ? settings->profile : "");
	store->region = strdup(settings->region);
	store->access_key = strdup(settings->access_key);
	store->secret_key = strdup(settings->secret_key);
	if (!store->profile || !store->region || !store->access_key || !store->secret_key) {
		dbb_error_set(err, ENOMEM, "out of memory");
		goto failed;
	}
	return store;
failed:
	objectstore_free(store);
	return NULL;
}

void objectstore_free(struct objectstore *store)
{
	if (!store)
		return;
	if (store->secret_key) {
		crypto_wipe(store->secret_key, strlen(store->secret_key));
		free(store->secret_key);
	}
	free(store->profile);
	free(store->endpoint);
	free(store->host);
	free(store->region);
	free(store->access_key);
	free(store);
}

const char *objectstore_endpoint(const struct objectstore *store)
{
	return store->endpoint;
}

/* ---- URLs ------------------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes length bytes of in into a new string; NULL when out of
 * memory or when the text has a broken escape or decodes to a NUL. */
static char *percent_decode(const char *in, size_t length)
{
	char *out = malloc(length + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < length; i++) {
		if (in[i] != '%') {
			out[n++] = in[i];
			continue;
		}
		if (i + 2 >= length)
			goto broken;
		if (hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0 ||
		    (in[i + 1] == '0' && in[i + 2] == '0'))
			goto broken;
		out[n++] = (char)(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
		i += 2;
	}
	out[n] = '\0';
	return out;
broken:
	free(out);
	return NULL;
}

/* "ENDPOINT" + encoded "/bucket[/key]" [+ "?" + query]; malloc'd. */
static char *object_url(const struct objectstore *store, const char *bucket,
			const char *key, const char *query)
{
	char *raw = NULL, *encoded = NULL, *url = NULL;

	if (asprintf(&raw, "/%s%s%s", bucket, key ? "/" : "", key ? key : "") < 0) {
		raw = NULL;
		goto out;
	}
	if (s3_encode_path(raw, &encoded) < 0)
		goto out;
	if (asprintf(&url, "%s%s%s%s", store->endpoint, encoded, query ? "?" : "",
		     query ? query : "") < 0)
		url = NULL;
out:
	free(raw);
	free(encoded);
	return url;
}

/* The request's path and query, decoded, for the signer. */
struct signed_parts {
	char *path;
	struct crypto_pair query[QUERY_MAX_PAIRS];
	char *owned[2 * QUERY_MAX_PAIRS];
	size_t query_count, owned_count;
};

static void signed_parts_free(struct signed_parts *parts)
{
	free(parts->path);
	for (size_t i = 0; i < parts->owned_count; i++)
		free(parts->owned[i]);
	memset(parts, 0, sizeof(*parts));
}

static int keep(struct signed_parts *parts, char *text)
{
	if (!text)
		return -EINVAL;
	parts->owned[parts->owned_count++] = text;
	return 0;
}

static int split_query(struct signed_parts *parts, const char *query)
{
	while (*query) {
		size_t length = strcspn(query, "&");
		const char *equals = memchr(query, '=', length);
		size_t name_length = equals ? (size_t)(equals - query) : length;
		struct crypto_pair *pair;

		if (length && parts->query_count == QUERY_MAX_PAIRS)
			return -EINVAL;
		if (length) {
			pair = &parts->query[parts->query_count++];
			if (keep(parts, percent_decode(query, name_length)) < 0)
				return -EINVAL;
			pair->name = parts->owned[parts->owned_count - 1];
			if (keep(parts, percent_decode(equals ? equals + 1 : "",
						       equals ? length - name_length - 1 : 0)) < 0)
				return -EINVAL;
			pair->value = parts->owned[parts->owned_count - 1];
		}
		query += length + (query[length] == '&');
	}
	return 0;
}

/* Only URLs of this store's endpoint are signed: a signature is never made
 * for a host the user did not configure. */
static int split_url(const struct objectstore *store, const char *url,
		     struct signed_parts *parts)
{
	size_t prefix = strlen(store->endpoint);
	const char *path = url + prefix, *query;

	if (strncmp(url, store->endpoint, prefix) || *path != '/')
		return -EINVAL;
	query = strchr(path, '?');
	parts->path = percent_decode(path, query ? (size_t)(query - path) : strlen(path));
	if (!parts->path)
		return -EINVAL;
	return query ? split_query(parts, query + 1) : 0;
}

/* ---- signing ---------------------------------------------------------- */

static int add_signature_headers(const struct objectstore *store,
				 const struct s3_signature *sig, struct http_headers *headers)
{
	if (http_headers_add(headers, "Host", store->host) < 0 ||
	    http_headers_add(headers, "X-Amz-Date", sig->amz_date) < 0 ||
	    http_headers_add(headers, "X-Amz-Content-Sha256", sig->content_sha256) < 0 ||
	    http_headers_add(headers, "Authorization", sig->authorization) < 0)
		return -ENOMEM;
	return 0;
}

int objectstore_sign(void *context, const struct http_request *req,
		     struct http_headers *headers, struct dbb_error *err)
{
	const struct objectstore *store = context;
	struct signed_parts parts = { 0 };
	struct s3_signature sig = { 0 };
	char payload_hash[CRYPTO_SHA256_HEX_SIZE] = S3_EMPTY_PAYLOAD_SHA256;
	struct s3_credentials credentials = {
		.access_key = store->access_key,
		.secret_key = store->secret_key,
		.region = store->region,
		.service = "s3",
	};
	struct s3_request request;
	int result;

	if (split_url(store, req->url, &parts) < 0) {
		signed_parts_free(&parts);
		return dbb_error_set(err, EINVAL, "cannot sign a request for another "
				     "endpoint than %s", store->endpoint);
	}
	if (req->body_length && crypto_sha256_hex(req->body, req->body_length,
						  payload_hash) < 0) {
		signed_parts_free(&parts);
		return dbb_error_set(err, EIO, "cannot hash the request body");
	}
	request = (struct s3_request) {
		.method = req->method,
		.host = store->host,
		.path = parts.path,
		.query = parts.query,
		.query_count = parts.query_count,
		.payload_hash = payload_hash,
	};
	result = s3_sign(&request, &credentials, time(NULL), &sig);
	signed_parts_free(&parts);
	if (result < 0)
		return dbb_error_set(err, -result, "cannot sign the Object Storage request");
	result = add_signature_headers(store, &sig, headers);
	s3_signature_free(&sig);
	return result < 0 ? dbb_error_set(err, ENOMEM, "out of memory") : 0;
}

/* ---- answers ---------------------------------------------------------- */

void objectstore_page_destroy(struct objectstore_page *page)
{
	for (size_t i = 0; i < page->count; i++)
		free(page->objects[i].key);
	free(page->objects);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

static int add_object(struct objectstore_page *page, const json_t *record)
{
	struct objectstore_object *object = &page->objects[page->count];
	const char *key = doc_str(record, "Key");
	const char *modified = doc_str(record, "LastModified");
	int64_t value;

	if (!json_is_object(record) || !key || !*key)
		return -EINVAL;
	object->key = strdup(key);
	if (!object->key)
		return -ENOMEM;
	object->size = doc_int64(record, "Size", &value) == 0 && value >= 0 ? value : -1;
	object->last_modified = modified && time_parse_iso8601(modified, &value) == 0 ?
		value : INT64_MIN;
	page->count++;
	return 0;
}

/* <Contents> is one object when the page has one key, an array of them when
 * it has several (doc.h: a repeated child becomes an array), absent when it
 * has none. */
static int add_contents(struct objectstore_page *page, const json_t *contents,
			char *reason, size_t reason_size)
{
	size_t count = json_is_array(contents) ? json_array_size(contents) : 1;
	int result = 0;

	if (!contents || count == 0)
		return 0;
	page->objects = calloc(count, sizeof(*page->objects));
	if (!page->objects)
		return -ENOMEM;
	if (!json_is_array(contents)) {
		result = add_object(page, contents);
	} else {
		for (size_t i = 0; i < count && result == 0; i++)
			result = add_object(page, json_array_get(contents, i));
	}
	if (result == -EINVAL)
		snprintf(reason, reason_size, "a <Contents> without a <Key>");
	return result;
}

int objectstore_parse_list_page(const char *body, size_t length,
				struct objectstore_page *out, char *reason,
				size_t reason_size)
{
	json_t *tree = doc_parse_xml(body, length, reason, reason_size);
	json_t *result = json_object_get(tree, "ListBucketResult");
	const char *token;
	bool truncated = false;
	int status;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(result)) {
		if (tree)
			snprintf(reason, reason_size, "not a ListBucketResult");
		json_decref(tree);
		return -EINVAL;
	}
	status = add_contents(out, json_object_get(result, "Contents"), reason, reason_size);
	if (status == 0 && doc_bool(result, "IsTruncated", &truncated) == -EINVAL) {
		snprintf(reason, reason_size, "IsTruncated is not a boolean");
		status = -EINVAL;
	}
	out->truncated = truncated;
	token = doc_str(result, "NextContinuationToken");
	if (status == 0 && token && *token && !(out->next_token = strdup(token)))
		status = -ENOMEM;
	json_decref(tree);
	if (status == -ENOMEM)
		snprintf(reason, reason_size, "out of memory");
	return status;
}

/* ---- errors ----------------------------------------------------------- */

static const struct {
	const char *code;
	int errnum;
} s3_codes[] = {
	{ "NoSuchBucket", ENOENT },
	{ "NoSuchKey", ENOENT },
	{ "AccessDenied", EACCES },
	{ "SignatureDoesNotMatch", EACCES },
	{ "InvalidAccessKeyId", EACCES },
	{ "RequestTimeTooSkewed", EACCES },
	{ "SlowDown", EAGAIN },
};

int objectstore_errno_for_code(const char *code, long status)
{
	for (size_t i = 0; code && i < sizeof(s3_codes) / sizeof(s3_codes[0]); i++)
		if (!strcmp(s3_codes[i].code, code))
			return s3_codes[i].errnum;
	return http_status_errno(status);
}

static void set_remedy(const struct objectstore *store, const char *code,
		       struct dbb_error *err)
{
	const char *profile = store ? store->profile : "";

	if (!strcmp(code, "NoSuchBucket"))
		dbb_error_set_remedy(err, "check the bucket name (export_bucket= in [%s], or "
				     "the one written to .export/)", profile);
	else if (err->errnum == EACCES)
		dbb_error_set_remedy(err, "Object Storage takes the same key pair as the API: "
				     "check access_key and secret_key of [%s] and the key's "
				     "permission on the bucket", profile);
	else if (err->errnum == EAGAIN)
		dbb_error_set_remedy(err, "Object Storage throttles this account; lower "
				     "max_rps= or retry later");
}

/* S3 allows 15 minutes; say so in plain words rather than "denied". */
static void explain_skew(const struct http_response *resp, const json_t *error,
			 struct dbb_error *err)
{
	const char *request_time = doc_str(error, "RequestTime");
	const char *server_time = doc_str(error, "ServerTime");

	if (http_explain_clock_skew(resp, OBJECTSTORE_CLOCK_WINDOW_SECONDS, err))
		return;
	dbb_error_set(err, EACCES, "clock skew: Object Storage refuses requests more than "
		      "%d s off its clock (our request time %s, its time %s)",
		      OBJECTSTORE_CLOCK_WINDOW_SECONDS, request_time ? request_time : "?",
		      server_time ? server_time : "?");
	dbb_error_set_remedy(err, "synchronise the clock (timedatectl set-ntp true, or "
			     "chronyc makestep)");
}

void objectstore_describe_error(const struct objectstore *store,
				const struct http_response *resp, struct dbb_error *err)
{
	json_t *tree = resp->length ? doc_parse_xml(resp->body, resp->length, NULL, 0) : NULL;
	json_t *error = json_object_get(tree, "Error");
	const char *code = doc_str(error, "Code");
	const char *message = doc_str(error, "Message");
	const char *request_id = doc_str(error, "RequestId");

	code = code ? code : "";
	if (message && *message)
		dbb_error_set(err, objectstore_errno_for_code(code, resp->status),
			      "Object Storage: %s", message);
	else
		dbb_error_set(err, objectstore_errno_for_code(code, resp->status),
			      "Object Storage answered HTTP %ld%s", resp->status,
			      resp->length ? " with an unreadable body" : "");
	dbb_error_set_code(err, code);
	err->remedy[0] = '\0';
	if (!strcmp(code, "RequestTimeTooSkewed"))
		explain_skew(resp, error, err);
	else
		set_remedy(store, code, err);
	err->http_status = (int)resp->status;
	err->duration_ms = resp->duration_ms;
	snprintf(err->request_id, sizeof(err->request_id), "%s",
		 request_id && *request_id ? request_id : resp->request_id);
	json_decref(tree);
}

/* ---- requests --------------------------------------------------------- */

struct list_call {
	struct objectstore_page page;
	char reason[160];
};

/* A 2xx that does not parse is a failed attempt (http.h), retried. */
static int accept_list_page(void *context, const struct http_response *resp)
{
	struct list_call *call = context;

	objectstore_page_destroy(&call->page);
	return objectstore_parse_list_page(resp->body ? resp->body : "", resp->length,
					   &call->page, call->reason,
					   sizeof(call->reason)) < 0 ? -1 : 0;
}

/* Sends one GET or HEAD; 0 with *resp to release on a 2xx, else -errno
 * with err describing the failure. */
static int perform(struct objectstore *store, const char *operation, const char *method,
		   const char *url, http_accept_fn accept, void *accept_context,
		   struct http_response *resp, struct dbb_error *err)
{
	struct http_request req = {
		.operation = operation,
		.method = method,
		.url = url,
		.target = strchr(url + strlen(store->endpoint), '/'),
		.idempotent = true,
		.sign = objectstore_sign,
		.sign_context = store,
		.accept = accept,
		.accept_context = accept_context,
	};
	int result = http_perform(store->http, &req, resp, err);

	if (result < 0)
		return result;
	if (resp->status < 200 || resp->status >= 300) {
		objectstore_describe_error(store, resp, err);
		http_response_destroy(resp);
		return -err->errnum;
	}
	return 0;
}

static char *list_url(struct objectstore *store, const char *bucket, const char *prefix,
		      const char *token)
{
	char max_keys[24], *query = NULL, *url;
	struct crypto_pair pairs[4] = {
		{ "list-type", "2" },
		{ "max-keys", max_keys },
		{ "prefix", prefix },
		{ "continuation-token", token },
	};

	snprintf(max_keys, sizeof(max_keys), "%lu", store->page_size);
	if (s3_query_string(pairs, token ? 4 : 3, &query) < 0)
		return NULL;
	url = object_url(store, bucket, NULL, query);
	free(query);
	return url;
}

static int visit_page(const struct objectstore_page *page, objectstore_visit_fn visit,
		      void *context)
{
	for (size_t i = 0; i < page->count; i++) {
		int result = visit(context, &page->objects[i]);

		if (result != 0)
			return result;
	}
	return 0;
}

int objectstore_list(struct objectstore *store, const char *bucket, const char *prefix,
		     objectstore_visit_fn visit, void *context, struct dbb_error *err)
{
	char *token = NULL;
	int result;

	for (;;) {
		struct list_call call = { 0 };
		struct http_response resp;
		char *url = list_url(store, bucket, prefix, token);

		if (!url) {
			result = dbb_error_set(err, ENOMEM, "out of memory");
			break;
		}
		result = perform(store, "ListObjectsV2", "GET", url, accept_list_page, &call,
				 &resp, err);
		free(url);
		if (result == 0) {
			http_response_destroy(&resp);
			result = visit_page(&call.page, visit, context);
			if (result < 0)
				dbb_error_set(err, -result, "listing %s/%s failed", bucket, prefix);
		}
		if (result == 0 && call.page.truncated &&
		    (!call.page.next_token || (token && !strcmp(token, call.page.next_token))))
			result = dbb_error_set(err, EIO, "Object Storage listing of %s/%s "
					       "says there is more but gives no new "
					       "continuation token", bucket, prefix);
		free(token);
		token = NULL;
		if (result == 0 && call.page.truncated) {
			token = call.page.next_token;
			call.page.next_token = NULL;
		}
		objectstore_page_destroy(&call.page);
		if (result != 0 || !token)
			break;
	}
	free(token);
	return result < 0 ? result : 0;
}

int objectstore_probe(struct objectstore *store, struct dbb_error *err)
{
	char *url = object_url(store, "", NULL, NULL);   /* the service: "/" */
	struct http_response resp;
	int result;

	if (!url)
		return dbb_error_set(err, ENOMEM, "out of memory");
	result = perform(store, "ListBuckets", "GET", url, NULL, NULL, &resp, err);
	free(url);
	if (result < 0)
		return result;
	http_response_destroy(&resp);
	return 0;
}

int objectstore_head(struct objectstore *store, const char *bucket, const char *key,
		     int64_t *size, struct dbb_error *err)
{
	char *url = object_url(store, bucket, key, NULL);
	struct http_response resp;
	int result;

	if (!url)
		return dbb_error_set(err, ENOMEM, "out of memory");
	result = perform(store, "HeadObject", "HEAD", url, NULL, NULL, &resp, err);
	free(url);
	if (result < 0)
		return result;
	*size = resp.content_length;
	http_response_destroy(&resp);
	return 0;
}

int objectstore_content_source(struct objectstore *store, const char *bucket,
			       const char *key, int64_t size, struct content_source *out,
			       struct dbb_error *err)
{
	out->url = object_url(store, bucket, key, NULL);
	if (!out->url)
		return dbb_error_set(err, ENOMEM, "out of memory");
	http_headers_init(&out->headers);
	out->expires_at = 0;   /* signed afresh for every request */
	out->size = size;
	out->sign = objectstore_sign;
	out->sign_context = store;
	return 0;
}
