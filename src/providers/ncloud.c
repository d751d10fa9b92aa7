/*
 * ncloud.c: NAVER Cloud DB (classic MySQL, VPC MySQL, VPC PostgreSQL).
 *
 * The three kinds differ in URL prefixes, action and field names and region
 * parameters, not in how they work, so each is a row of data (struct
 * ncloud_flavor) and the code below is written once. Facts: api/ncloud.md.
 *
 * Requests are GETs with the parameters in the query, signed over the raw
 * request target (section 1). Answers are XML or JSON (response_format=);
 * both are read through the neutral form of doc.h, so the field mapping
 * below is the same for both.
 *
 * Contents: NAVER serves a backup's bytes only by exporting it to Object
 * Storage, and its export call returns no object key. So the export passes
 * a folder of ours (export_folder=), and open looks for the object there
 * with ListObjectsV2 (objectstore.h), then streams it with signed ranged
 * GETs. Where to look: the bucket and folder of this mount's own export of
 * the backup (remembered below), and the buckets of export_bucket= for
 * exports made before this mount, by the console or another mount.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/credentials.h"
#include "core/timeparse.h"
#include "providers/crypto.h"
#include "providers/doc.h"
#include "providers/objectstore.h"
#include "providers/provider.h"
#include "providers/sign_ncloud.h"

#define NCLOUD_MAX_PAGE_SIZE 1000
/* ListObjectsV2 keys per page: S3's most (OBJECTSTORE_MAX_PAGE_SIZE). */
#define NCLOUD_OBJECT_PAGE_MAX 1000
/* export_bucket= names at most this many buckets: each costs a listing at
 * an open that finds nothing. */
#define NCLOUD_MAX_EXPORT_BUCKETS 8
/* The gateway refuses timestamps more than five minutes off (section 1.1). */
#define NCLOUD_CLOCK_WINDOW_SECONDS 300

struct ncloud_flavor {
	const char *prefix;               /* URL path prefix */
	const char *engine;
	const char *region_parameter;     /* regionCode, or regionNo (classic) */
	const char *fixed_parameters;     /* sent with every call, or NULL */
	const char *instance_list_action;
	const char *instance_list_key;
	const char *instance_number_field;
	const char *service_name_field;
	const char *status_field;
	const char *backup_list_action;
	const char *backup_list_key;
	bool backups_paged;
	bool export_takes_folder;         /* folderPath is documented */
};

static const struct ncloud_flavor flavor_postgresql = {
	.prefix = "/vpostgresql/v2",
	.engine = "postgresql",
	.region_parameter = "regionCode",
	.instance_list_action = "getCloudPostgresqlInstanceList",
	.instance_list_key = "cloudPostgresqlInstanceList",
	.instance_number_field = "cloudPostgresqlInstanceNo",
	.service_name_field = "cloudPostgresqlServiceName",
	.status_field = "cloudPostgresqlInstanceStatusName",
	.backup_list_action = "getCloudPostgresqlBackupDetailList",
	.backup_list_key = "cloudPostgresqlBackupDetailList",
	.backups_paged = true,
	.export_takes_folder = true,      /* release note 2026-09-17 */
};

static const struct ncloud_flavor flavor_mysql_vpc = {
	.prefix = "/vmysql/v2",
	.engine = "mysql",
	.region_parameter = "regionCode",
	.instance_list_action = "getCloudMysqlInstanceList",
	.instance_list_key = "cloudMysqlInstanceList",
	.instance_number_field = "cloudMysqlInstanceNo",
	.service_name_field = "cloudMysqlServiceName",
	.status_field = "cloudMysqlInstanceStatusName",
	.backup_list_action = "getCloudMysqlBackupDetailList",
	.backup_list_key = "cloudMysqlBackupDetailList",
	.backups_paged = true,
	.export_takes_folder = true,
};

static const struct ncloud_flavor flavor_mysql_classic = {
	.prefix = "/clouddb/v2",
	.engine = "mysql",
	.region_parameter = "regionNo",
	.fixed_parameters = "dbKindCode=MYSQL",
	.instance_list_action = "getCloudDBInstanceList",
	.instance_list_key = "cloudDBInstanceList",
	.instance_number_field = "cloudDBInstanceNo",
	.service_name_field = "cloudDBServiceName",
	.status_field = "cloudDBInstanceStatusName",
	.backup_list_action = "getCloudDBBackupDetailList",
	.backup_list_key = "cloudDBBackupDetailList",
	.backups_paged = false,   /* the classic detail list has no paging */
};

/* What this mount knows of a backup's exported copy: where its own export
 * asked NAVER to put it, and where the object was found. Backups never
 * change, so a found object stays good until a HEAD says it is gone. */
struct export_memo {
	char *instance_id, *backup_id;
	char *bucket, *folder;            /* this mount's export; NULL if none */
	char *found_bucket, *found_key;   /* the object once found; NULL before */
	int64_t found_size;
};

struct ncloud_state {
	const struct ncloud_flavor *flavor;
	char *access_key;
	struct config_secret secret;
	char *region_value;       /* regionCode or regionNo; NULL: omitted */
	bool json;                /* response_format=json */
	unsigned long page_size;
	char *export_folder;      /* may hold "{instance}" */
	struct objectstore *store;        /* NULL: no endpoint known for the region */
	char **export_buckets;            /* export_bucket=: searched for old exports */
	size_t export_bucket_count;
	pthread_mutex_t memo_lock;        /* guards the memos */
	struct export_memo *memos;
	size_t memo_count, memo_capacity;
};


/* ---- requests --------------------------------------------------------- */

/* The query being built: "k=v&k=v", values percent-encoded. */
struct query {
	char text[2048];
	size_t length;
};

static void query_add(struct query *q, const char *key, const char *value)
{
	char encoded[CRYPTO_PERCENT_SIZE(512)];

	if (crypto_percent_encode(value, strlen(value), 0, encoded, sizeof(encoded)) < 0)
		encoded[0] = '\0';
	q->length += (size_t)snprintf(q->text + q->length, sizeof(q->text) - q->length,
				      "%s%s=%s", q->length ? "&" : "", key, encoded);
	if (q->length >= sizeof(q->text))
		q->length = sizeof(q->text) - 1;
}

static void query_start(struct query *q, const struct ncloud_state *state)
{
	q->length = 0;
	q->text[0] = '\0';
	if (state->region_value)
		query_add(q, state->flavor->region_parameter, state->region_value);
	if (state->flavor->fixed_parameters)
		q->length += (size_t)snprintf(q->text + q->length,
					      sizeof(q->text) - q->length, "%s%s",
					      q->length ? "&" : "",
					      state->flavor->fixed_parameters);
}

struct call {
	const char *action;
	json_t *answer;           /* parsed body of an accepted 2xx */
	char reason[160];
};

static json_t *parse_body(const char *body, size_t length, char *reason, size_t size)
{
	const char *p = body;

	while (p < body + length && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	if (p < body + length && *p == '<')
		return doc_parse_xml(body, length, reason, size);
	return doc_parse_json(body, length, reason, size);
}

/* Accepts a 2xx only when it parses and holds "<action>Response": a
 * truncated or garbled answer is a failed attempt, retried. */
static int accept_answer(void *context, const struct http_response *resp)
{
	struct call *call = context;
	char wrapper[128];

	json_decref(call->answer);
	call->answer = parse_body(resp->body, resp->length, call->reason,
				  sizeof(call->reason));
	snprintf(wrapper, sizeof(wrapper), "%sResponse", call->action);
	if (!call->answer || !json_object_get(call->answer, wrapper)) {
		json_decref(call->answer);
		call->answer = NULL;
		return -1;
	}
	return 0;
}

static int sign_request(void *context, const struct http_request *req,
			struct http_headers *headers, struct dbb_error *err)
{
	const struct ncloud_state *state = context;
	char signature[NCLOUD_SIGNATURE_SIZE], timestamp[24];

	snprintf(timestamp, sizeof(timestamp), "%lld", (long long)clock_realtime_ms());
	if (ncloud_signature(req->method, req->target, timestamp, state->access_key,
			     state->secret.value, signature) < 0)
		return dbb_error_set(err, EINVAL, "cannot sign the request");
	if (http_headers_add(headers, NCLOUD_HEADER_TIMESTAMP, timestamp) < 0 ||
	    http_headers_add(headers, NCLOUD_HEADER_ACCESS_KEY, state->access_key) < 0 ||
	    http_headers_add(headers, NCLOUD_HEADER_SIGNATURE, signature) < 0) {
		explicit_bzero(signature, sizeof(signature));
		return dbb_error_set(err, ENOMEM, "out of memory");
	}
	explicit_bzero(signature, sizeof(signature));
	return 0;
}

/* ---- errors ----------------------------------------------------------- */

/* Business return codes that mean something other than EIO. The gateway
 * documents none for Cloud DB; these are the ones the emulator speaks (see
 * tests/fakes/README.md), chosen from codes seen in NAVER's own tools. */
static const struct {
	const char *code;
	int errnum;
} return_codes[] = {
	{ "24109", ENOENT },      /* instance number invalid */
	{ "24110", ENOENT },      /* backup file unknown */
	{ "5001265", ENOENT },    /* bucket does not exist */
	{ "1200004", EBUSY },     /* busy state */
	{ "10000", EINVAL },      /* invalid parameter */
};

static int errno_for_return_code(const char *code, long status)
{
	for (size_t i = 0; i < sizeof(return_codes) / sizeof(return_codes[0]); i++)
		if (!strcmp(return_codes[i].code, code))
			return return_codes[i].errnum;
	return http_status_errno(status);
}

/* Reads {"error": {errorCode, message, details}} (gateway) or
 * {"responseError": {returnCode, returnMessage}} (service), XML or JSON. */
static void describe_failure(const struct http_response *resp, struct dbb_error *err)
{
	json_t *body = parse_body(resp->body ? resp->body : "", resp->length, NULL, 0);
	json_t *gateway = json_object_get(body, "error");
	json_t *service = json_object_get(body, "responseError");
	char code[64] = "", message[400] = "", details[200] = "";

	if (gateway) {
		doc_field_text(gateway, "errorCode", code, sizeof(code));
		doc_field_text(gateway, "message", message, sizeof(message));
		doc_field_text(gateway, "details", details, sizeof(details));
	} else if (service) {
		doc_field_text(service, "returnCode", code, sizeof(code));
		doc_field_text(service, "returnMessage", message, sizeof(message));
	} else {
		snprintf(message, sizeof(message), "HTTP %ld with an unreadable body", resp->status);
	}
	dbb_error_set(err, service ? errno_for_return_code(code, resp->status) :
		      http_status_errno(resp->status), "%s%s%s", message,
		      details[0] ? ": " : "", details);
	dbb_error_set_code(err, code);
	json_decref(body);
}

static void explain_failure(const struct profile *p, const struct http_response *resp,
			    struct dbb_error *err)
{
	describe_failure(resp, err);
	if (resp->status == 401 &&
	    http_explain_clock_skew(resp, NCLOUD_CLOCK_WINDOW_SECONDS, err))
		return;
	if (err->errnum == EACCES)
		dbb_error_set_remedy(err, "check access_key and secret_key of [%s]", p->name);
	else if (err->errnum == EAGAIN)
		dbb_error_set_remedy(err, "the gateway throttles this account; lower max_rps= or retry later");
}

/* One GET of `action` with `query`; on success *answer is the parsed
 * "<action>Response" object's document (new reference). */
static int ncloud_call(struct profile *p, const char *action, const struct query *q,
		       bool idempotent, json_t **answer, struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;
	struct call call = { .action = action };
	struct http_response resp;
	struct http_request req;
	char target[2300], url[2800];
	int result;

	snprintf(target, sizeof(target), "%s/%s?%s%sresponseFormatType=%s",
		 state->flavor->prefix, action, q->text, q->length ? "&" : "",
		 state->json ? "json" : "xml");
	snprintf(url, sizeof(url), "%s%s", p->settings.endpoint, target);
	req = (struct http_request) {
		.operation = action,
		.method = "GET",
		.url = url,
		.target = target,
		.idempotent = idempotent,
		.sign = sign_request,
		.sign_context = state,
		.accept = accept_answer,
		.accept_context = &call,
	};
	result = http_perform(p->http, &req, &resp, err);
	if (result < 0) {
		json_decref(call.answer);
		return result;
	}
	if (resp.status < 200 || resp.status >= 300 || !call.answer) {
		explain_failure(p, &resp, err);
		err->http_status = (int)resp.status;
		err->duration_ms = resp.duration_ms;
		snprintf(err->request_id, sizeof(err->request_id), "%s", resp.request_id);
		http_response_destroy(&resp);
		json_decref(call.answer);
		return -err->errnum;
	}
	http_response_destroy(&resp);
	*answer = call.answer;
	return 0;
}

/* ---- records ---------------------------------------------------------- */

static void lower_case(char *text)
{
	for (; *text; text++)
		if (*text >= 'A' && *text <= 'Z')
			*text = (char)(*text - 'A' + 'a');
}

static int64_t field_time(const json_t *record, const char *key)
{
	char text[64];
	int64_t when;

	if (doc_field_text(record, key, text, sizeof(text)) < 0 || !text[0] ||
	    time_parse_iso8601(text, &when) < 0)
		return ENTRY_TIME_UNKNOWN;
	return when;
}

static int push_record(struct entry_builder *b, struct entry *e, const json_t *record,
		       struct entry_list *out)
{
	struct doc_flat flat = { 0 };

	if (doc_flatten(record, NULL, &flat) == 0)
		entry_builder_raw(b, flat.buf, flat.len);
	doc_flat_free(&flat);
	if (entry_builder_finish(b, e) < 0)
		return -ENOMEM;
	return entry_list_push(out, e);
}

static int add_instance(const struct ncloud_flavor *f, const json_t *record,
			struct entry_list *out)
{
	struct entry_builder b;
	struct entry e = { .size = ENTRY_SIZE_UNKNOWN,
			   .begin_time = ENTRY_TIME_UNKNOWN,
			   .end_time = ENTRY_TIME_UNKNOWN };
	char number[64], name[512], status[128], version[128];

	if (doc_field_text(record, f->instance_number_field, number, sizeof(number)) < 0 ||
	    !number[0])
		return 0;   /* a record without its key cannot be addressed */
	if (doc_field_text(record, f->service_name_field, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "%s", number);
	if (doc_field_text(record, f->status_field, status, sizeof(status)) < 0)
		status[0] = '\0';
	if (doc_field_text(record, "engineVersion", version, sizeof(version)) < 0)
		version[0] = '\0';
	lower_case(status);
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, number);
	entry_builder_text(&b, ENTRY_NAME, name);
	entry_builder_text(&b, ENTRY_STATUS, status);
	entry_builder_text(&b, ENTRY_ENGINE, f->engine);
	entry_builder_text(&b, ENTRY_ENGINE_VERSION, version);
	e.begin_time = field_time(record, "createDate");
	e.end_time = e.begin_time;
	return push_record(&b, &e, record, out);
}

/* A backup file of the detail list. The list has no status or type: every
 * file it shows is a finished backup, made by the daily schedule (NAVER has
 * no manual backup API), so "completed" and "auto". */
static int add_backup(const struct ncloud_flavor *f, const json_t *record,
		      const struct entry *instance, struct entry_list *out)
{
	struct entry_builder b;
	struct entry e = { .readable = ENTRY_READABLE_AFTER_EXPORT };
	char file_name[512];
	int64_t size;

	if (doc_field_text(record, "fileName", file_name, sizeof(file_name)) < 0 ||
	    !file_name[0])
		return 0;
	e.size = doc_int64(record, "backupSize", &size) == 0 && size >= 0 ?
		size : ENTRY_SIZE_UNKNOWN;
	e.begin_time = field_time(record, "startTime");
	e.end_time = field_time(record, "endTime");
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, file_name);
	entry_builder_text(&b, ENTRY_NAME, file_name);
	entry_builder_text(&b, ENTRY_STATUS, "completed");
	entry_builder_text(&b, ENTRY_TYPE, "auto");
	entry_builder_text(&b, ENTRY_ENGINE, f->engine);
	entry_builder_text(&b, ENTRY_ENGINE_VERSION,
			   entry_text(instance, ENTRY_ENGINE_VERSION));
	return push_record(&b, &e, record, out);
}

typedef int (*record_fn)(const struct ncloud_flavor *f, const json_t *record,
			 const struct entry *instance, struct entry_list *out);

static int add_instance_record(const struct ncloud_flavor *f, const json_t *record,
			       const struct entry *instance, struct entry_list *out)
{
	return add_instance(f, record, out);
}

/* Lists every page of `action`: pageNo counts from 0, totalRows is the total
 * (section 11). An empty page ends the walk even if totalRows says more, so
 * a lying server cannot make us loop. */
static int list_all_pages(struct profile *p, const char *action, const char *list_key,
			  const struct query *base, bool paged, record_fn add,
			  const struct entry *instance, struct entry_list *out,
			  struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;
	char wrapper[128], page_number[24], page_size[24];
	int64_t total = 0, seen = 0;

	snprintf(wrapper, sizeof(wrapper), "%sResponse", action);
	snprintf(page_size, sizeof(page_size), "%lu", state->page_size);
	for (unsigned long page = 0;; page++) {
		struct query q = *base;
		json_t *answer = NULL, *items;
		size_t index, page_length;
		json_t *item;
		int result = 0;

		if (paged) {
			snprintf(page_number, sizeof(page_number), "%lu", page);
			query_add(&q, "pageNo", page_number);
			query_add(&q, "pageSize", page_size);
		}
		if ((result = ncloud_call(p, action, &q, true, &answer, err)) < 0)
			return result;
		items = doc_list(json_object_get(answer, wrapper), list_key);
		if (!items) {
			json_decref(answer);
			return dbb_error_set(err, EIO, "%s: unexpected shape of %s", action, list_key);
		}
		json_array_foreach(items, index, item)
			if (result == 0)
				result = add(state->flavor, item, instance, out);
		if (doc_int64(json_object_get(answer, wrapper), "totalRows", &total) < 0)
			total = 0;
		page_length = json_array_size(items);
		seen += (int64_t)page_length;
		json_decref(items);
		json_decref(answer);
		if (result < 0)
			return dbb_error_set(err, -result, "out of memory");
		if (!paged || page_length == 0 || seen >= total)
			return 0;
	}
}

static int ncloud_list_instances(struct profile *p, struct entry_list *out,
				 struct dbb_error *err)
{
	const struct ncloud_state *state = p->provider_state;
	const struct ncloud_flavor *f = state->flavor;
	struct query q;

	query_start(&q, state);
	/* Instance lists are paged on the VPC services; the classic one's
	 * paging is undocumented, so it is asked for everything at once. */
	return list_all_pages(p, f->instance_list_action, f->instance_list_key, &q,
			      f->backups_paged, add_instance_record, NULL, out, err);
}

static void mark_found_exports(struct ncloud_state *state, const struct entry *instance,
			       struct entry_list *out, size_t first);

static int ncloud_list_backups(struct profile *p, const struct entry *instance,
			       struct entry_list *out, struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;
	const struct ncloud_flavor *f = state->flavor;
	size_t first = out->count;
	struct query q;
	int result;

	query_start(&q, state);
	query_add(&q, f->instance_number_field, entry_text(instance, ENTRY_ID));
	result = list_all_pages(p, f->backup_list_action, f->backup_list_key, &q,
				f->backups_paged, add_backup, instance, out, err);
	if (result == 0)
		mark_found_exports(state, instance, out, first);
	return result;
}

/* ---- export ----------------------------------------------------------- */

/* NAVER Object Storage bucket names: 3 to 63 characters, lower-case
 * letters, digits and hyphens, starting and ending with a letter or digit. */
static int ncloud_check_bucket_name(struct profile *p, const char *bucket,
				    struct dbb_error *err)
{
	size_t length = strlen(bucket);

	for (size_t i = 0; i < length; i++) {
		char c = bucket[i];
		bool alphanumeric = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alphanumeric && !(c == '-' && i > 0 && i + 1 < length))
			goto invalid;
	}
	if (length >= 3 && length <= 63)
		return 0;
invalid:
	dbb_error_set(err, EINVAL, "'%s' is not a bucket name", bucket);
	dbb_error_set_remedy(err, "bucket names are 3 to 63 lower-case letters, digits "
			     "and hyphens, starting and ending with a letter or digit");
	return -EINVAL;
}

/* export_folder with {instance} replaced by the instance's name. */
static void export_folder_for(const struct ncloud_state *state, const struct entry *instance,
			      char *out, size_t size)
{
	const char *hole = strstr(state->export_folder, "{instance}");

	if (!hole)
		snprintf(out, size, "%s", state->export_folder);
	else
		snprintf(out, size, "%.*s%s%s", (int)(hole - state->export_folder),
			 state->export_folder, entry_text(instance, ENTRY_NAME),
			 hole + strlen("{instance}"));
}

static void remember_export(struct ncloud_state *state, const struct entry *instance,
			    const struct entry *backup, const char *bucket,
			    const char *folder);

/* exportBackupToObjectStorage: sent once. It changes state, so it is never
 * repeated after it may have reached the gateway (http.h), and a dropped
 * connection is an error to report, not a reason to try again. */
static int ncloud_export_backup(struct profile *p, const struct entry *instance,
				const struct entry *backup, const char *bucket,
				struct export_result *out, struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;
	const struct ncloud_flavor *f = state->flavor;
	const char *action = "exportBackupToObjectStorage";
	struct query q;
	json_t *answer;

	query_start(&q, state);
	query_add(&q, "fileName", entry_text(backup, ENTRY_ID));
	query_add(&q, "bucketName", bucket);
	query_add(&q, f->instance_number_field, entry_text(instance, ENTRY_ID));
	if (f->export_takes_folder) {
		export_folder_for(state, instance, out->folder, sizeof(out->folder));
		query_add(&q, "folderPath", out->folder);
	}
	if (ncloud_call(p, action, &q, false, &answer, err) < 0)
		return -err->errnum;
	json_decref(answer);
	snprintf(out->destination, sizeof(out->destination), "%s/%s", bucket, out->folder);
	out->done = false;   /* NAVER copies in the background */
	remember_export(state, instance, backup, bucket, out->folder);
	return 0;
}

/* ---- contents: the exported object ------------------------------------ */

/* Where a backup's object may be: a bucket and the folder (key prefix). */
struct place {
	char bucket[64];
	char folder[256];
};

/* What open needs of a memo, copied under the lock. */
struct memo_view {
	struct place exported;            /* bucket "" when this mount did not export */
	char found_bucket[64];            /* "" when not found yet */
	char found_key[1025];
	int64_t found_size;
};

static struct export_memo *memo_find(struct ncloud_state *state, const char *instance_id,
				     const char *backup_id)
{
	for (size_t i = 0; i < state->memo_count; i++)
		if (!strcmp(state->memos[i].instance_id, instance_id) &&
		    !strcmp(state->memos[i].backup_id, backup_id))
			return &state->memos[i];
	return NULL;
}

/* The backup's memo, made when missing; NULL when out of memory. Call with
 * memo_lock held. */
static struct export_memo *memo_get(struct ncloud_state *state, const char *instance_id,
				    const char *backup_id)
{
	struct export_memo *memo = memo_find(state, instance_id, backup_id);

	if (memo)
		return memo;
	if (state->memo_count == state->memo_capacity) {
		size_t capacity = state->memo_capacity ? 2 * state->memo_capacity : 16;
		struct export_memo *grown = realloc(state->memos, capacity * sizeof(*grown));

		if (!grown)
			return NULL;
		state->memos = grown;
		state->memo_capacity = capacity;
	}
	memo = &state->memos[state->memo_count];
	memset(memo, 0, sizeof(*memo));
	memo->instance_id = strdup(instance_id);
	memo->backup_id = strdup(backup_id);
	if (!memo->instance_id || !memo->backup_id) {
		free(memo->instance_id);
		free(memo->backup_id);
		return NULL;
	}
	state->memo_count++;
	return memo;
}

static void memo_free(struct export_memo *memo)
{
	free(memo->instance_id);
	free(memo->backup_id);
	free(memo->bucket);
	free(memo->folder);
	free(memo->found_bucket);
	free(memo->found_key);
}

/* A memo that cannot be kept (out of memory) costs a search at the next
 * open, nothing more: hence no error from these. */
static void set_text(char **slot, const char *text)
{
	free(*slot);
	*slot = text ? strdup(text) : NULL;
}

static void remember_export(struct ncloud_state *state, const struct entry *instance,
			    const struct entry *backup, const char *bucket,
			    const char *folder)
{
	struct export_memo *memo;

	pthread_mutex_lock(&state->memo_lock);
	memo = memo_get(state, entry_text(instance, ENTRY_ID), entry_text(backup, ENTRY_ID));
	if (memo) {
		set_text(&memo->bucket, bucket);
		set_text(&memo->folder, folder);
	}
	pthread_mutex_unlock(&state->memo_lock);
}

static void remember_found(struct ncloud_state *state, const struct entry *instance,
			   const struct entry *backup, const char *bucket,
			   const char *key, int64_t size)
{
	struct export_memo *memo;

	pthread_mutex_lock(&state->memo_lock);
	memo = memo_get(state, entry_text(instance, ENTRY_ID), entry_text(backup, ENTRY_ID));
	if (memo) {
		set_text(&memo->found_bucket, bucket);
		set_text(&memo->found_key, key);
		memo->found_size = size;
	}
	pthread_mutex_unlock(&state->memo_lock);
}

static void forget_found(struct ncloud_state *state, const struct entry *instance,
			 const struct entry *backup)
{
	remember_found(state, instance, backup, NULL, NULL, -1);
}

static void memo_view(struct ncloud_state *state, const struct entry *instance,
		      const struct entry *backup, struct memo_view *view)
{
	const struct export_memo *memo;

	memset(view, 0, sizeof(*view));
	pthread_mutex_lock(&state->memo_lock);
	memo = memo_find(state, entry_text(instance, ENTRY_ID), entry_text(backup, ENTRY_ID));
	if (memo && memo->bucket) {
		snprintf(view->exported.bucket, sizeof(view->exported.bucket), "%s", memo->bucket);
		snprintf(view->exported.folder, sizeof(view->exported.folder), "%s",
			 memo->folder ? memo->folder : "");
	}
	if (memo && memo->found_bucket && memo->found_key) {
		snprintf(view->found_bucket, sizeof(view->found_bucket), "%s", memo->found_bucket);
		snprintf(view->found_key, sizeof(view->found_key), "%s", memo->found_key);
		view->found_size = memo->found_size;
	}
	pthread_mutex_unlock(&state->memo_lock);
}

/* The listing's readable flag, from what opens found: no request here. */
static void mark_found_exports(struct ncloud_state *state, const struct entry *instance,
			       struct entry_list *out, size_t first)
{
	const char *instance_id = entry_text(instance, ENTRY_ID);

	pthread_mutex_lock(&state->memo_lock);
	for (size_t i = first; state->memo_count && i < out->count; i++) {
		const struct export_memo *memo =
			memo_find(state, instance_id, entry_text(&out->items[i], ENTRY_ID));

		if (memo && memo->found_key)
			out->items[i].readable = ENTRY_READABLE_YES;
	}
	pthread_mutex_unlock(&state->memo_lock);
}

/* The folder an export of this instance passes (classic: none, the export
 * takes no folderPath, so the object lands at the top of the bucket). */
static void folder_of(const struct ncloud_state *state, const struct entry *instance,
		      char *out, size_t size)
{
	if (state->flavor->export_takes_folder)
		export_folder_for(state, instance, out, size);
	else
		snprintf(out, size, "%s", "");
}

/* This mount's export first, then export_bucket=, each place once. */
static size_t places_to_look(const struct ncloud_state *state, const struct entry *instance,
			     const struct memo_view *view, struct place *places, size_t max)
{
	size_t count = 0;

	if (view->exported.bucket[0])
		places[count++] = view->exported;
	for (size_t i = 0; i < state->export_bucket_count && count < max; i++) {
		struct place *place = &places[count];

		snprintf(place->bucket, sizeof(place->bucket), "%s", state->export_buckets[i]);
		folder_of(state, instance, place->folder, sizeof(place->folder));
		if (!view->exported.bucket[0] || strcmp(place->bucket, places[0].bucket) ||
		    strcmp(place->folder, places[0].folder))
			count++;
	}
	return count;
}

/*
 * The matching rule. NAVER does not document how it names the exported
 * object (api/ncloud.md open question 5), so an object is the backup's
 * copy when the last component of its key is the backup's fileName, or the
 * fileName followed by '.' and anything (an extension: 20240601.tar.gz).
 * "20240601-0002" or "x20240601" are other backups. An exact name wins;
 * among extensions, the first in key order.
 */
struct match {
	const char *name;
	char *key;                        /* owned; NULL: none yet */
	int64_t size;
};

static int match_object(void *context, const struct objectstore_object *object)
{
	struct match *m = context;
	const char *slash = strrchr(object->key, '/');
	const char *last = slash ? slash + 1 : object->key;
	size_t length = strlen(m->name);

	if (strncmp(last, m->name, length) || (last[length] && last[length] != '.'))
		return 0;
	if (m->key && last[length])
		return 0;
	free(m->key);
	m->key = strdup(object->key);
	if (!m->key)
		return -ENOMEM;
	m->size = object->size;
	return last[length] ? 0 : 1;
}

static const char *tree_name(const struct entry *e)
{
	return e->file_name ? e->file_name : entry_text(e, ENTRY_NAME);
}

static int not_exported_yet(const struct profile *p, const struct entry *instance,
			    const struct entry *backup, const struct memo_view *view,
			    const struct place *places, size_t count, struct dbb_error *err)
{
	const char *name = entry_text(backup, ENTRY_ID);

	if (view->exported.bucket[0]) {
		dbb_error_set(err, ENODATA, "%s is still being exported: NAVER has not yet "
			      "written it to %s/%s", name, view->exported.bucket,
			      view->exported.folder);
		dbb_error_set_remedy(err, "wait for the export to finish and open it again; "
				     "cat %s/%s/.export/%s shows the request", p->name,
				     tree_name(instance), tree_name(backup));
	} else if (count) {
		dbb_error_set(err, ENODATA, "no exported copy of %s in %s/%s%s", name,
			      places[0].bucket, places[0].folder,
			      count > 1 ? " nor the other export_bucket= buckets" : "");
		dbb_error_set_remedy(err, "export it first: echo BUCKET > %s/%s/.export/%s",
				     p->name, tree_name(instance), tree_name(backup));
	} else {
		dbb_error_set(err, ENODATA, "%s was not exported through this mount, and no "
			      "export_bucket= names where an earlier export went", name);
		dbb_error_set_remedy(err, "export it: echo BUCKET > %s/%s/.export/%s, or name "
				     "the bucket of an earlier export with export_bucket= in [%s]",
				     p->name, tree_name(instance), tree_name(backup), p->name);
	}
	return -ENODATA;
}

/* The object found by an earlier open, if it is still there. Returns 1 and
 * fills out, 0 when there is none (any more), or -errno. */
static int open_found(struct profile *p, const struct entry *instance,
		      const struct entry *backup, const struct memo_view *view,
		      struct content_source *out, struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;
	int64_t size;
	int result;

	if (!view->found_bucket[0])
		return 0;
	result = objectstore_head(state->store, view->found_bucket, view->found_key, &size, err);
	if (result == -ENOENT) {
		forget_found(state, instance, backup);
		dbb_error_clear(err);
		return 0;
	}
	if (result < 0)
		return result;
	if (objectstore_content_source(state->store, view->found_bucket, view->found_key,
				       size >= 0 ? size : view->found_size, out, err) < 0)
		return -err->errnum;
	return 1;
}

/* Object Storage's endpoint, or ENODATA saying what to set. */
static int need_object_storage(struct profile *p, struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;

	if (state->store)
		return 0;
	dbb_error_set(err, ENODATA, "no Object Storage endpoint is known for region %s",
		      p->settings.region);
	dbb_error_set_remedy(err, "set object_storage_endpoint= in [%s]", p->name);
	return -ENODATA;
}

static int ncloud_check_content(struct profile *p, char *what, size_t size,
				struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;

	snprintf(what, size, "object storage");
	if (need_object_storage(p, err) < 0)
		return -err->errnum;
	snprintf(what, size, "object storage at %s", objectstore_endpoint(state->store));
	return objectstore_probe(state->store, err);
}

static int ncloud_open_content(struct profile *p, const struct entry *instance,
			       const struct entry *backup, struct content_source *out,
			       struct dbb_error *err)
{
	struct ncloud_state *state = p->provider_state;
	struct match match = { .name = entry_text(backup, ENTRY_ID), .size = -1 };
	struct place places[1 + NCLOUD_MAX_EXPORT_BUCKETS];
	struct memo_view view;
	size_t count, found = 0;
	int result = 0;

	if (need_object_storage(p, err) < 0)
		return -ENODATA;
	memo_view(state, instance, backup, &view);
	if ((result = open_found(p, instance, backup, &view, out, err)) != 0)
		return result < 0 ? result : 0;
	count = places_to_look(state, instance, &view, places, sizeof(places) / sizeof(places[0]));
	for (found = 0; found < count; found++) {
		result = objectstore_list(state->store, places[found].bucket,
					  places[found].folder, match_object, &match, err);
		if (result < 0 || match.key)
			break;
	}
	if (result == 0 && match.key) {
		const char *bucket = places[found].bucket;

		remember_found(state, instance, backup, bucket, match.key, match.size);
		result = objectstore_content_source(state->store, bucket, match.key, match.size,
						    out, err);
	} else if (result == 0) {
		result = not_exported_yet(p, instance, backup, &view, places, count, err);
	}
	free(match.key);
	return result < 0 ? result : 0;
}

/* ---- set-up ----------------------------------------------------------- */

static const char *const access_key_variables[] = {
	"NCLOUD_ACCESS_KEY_ID", "NCLOUD_ACCESS_KEY", NULL,
};
static const char *const secret_key_variables[] = {
	"NCLOUD_SECRET_KEY", "NCLOUD_SECRET_ACCESS_KEY", NULL,
};

static const char *first_environment_value(const char *const *names)
{
	for (; *names; names++) {
		const char *value = getenv(*names);

		if (value && *value)
			return value;
	}
	return NULL;
}

static int read_format_and_paging(struct ncloud_state *state, const struct config *c,
				  const struct config_section *s, struct dbb_error *err)
{
	const char *format = config_get(s, "response_format");

	if (format && strcmp(format, "json") && strcmp(format, "xml"))
		return dbb_error_set(err, EINVAL, "%s:%d: response_format must be xml or json",
				     c->path, config_find(s, "response_format")->line);
	state->json = !format || !strcmp(format, "json");
	state->export_folder = strdup(config_get(s, "export_folder") ?
				      config_get(s, "export_folder") : "dbbackupfs/{instance}/");
	if (!state->export_folder)
		return dbb_error_set(err, ENOMEM, "out of memory");
	return config_get_uint(c, s, "page_size", NCLOUD_MAX_PAGE_SIZE, 1,
			       NCLOUD_MAX_PAGE_SIZE, &state->page_size, err);
}

/* Takes the keys read from a CLI credentials file. */
static int adopt_file_credentials(struct ncloud_state *state, struct profile *p,
				  struct credential_values *file, struct dbb_error *err)
{
	state->access_key = file->access_key;
	state->secret.value = file->secret_key;
	file->access_key = file->secret_key = NULL;
	snprintf(p->credential_source, sizeof(p->credential_source), "%s", file->source);
	credential_values_free(file);
	return 0;
}

/* Where the keys come from, in the order NAVER's own tools look:
 * credentials= names a section of ~/.ncloud/configure and nothing else is
 * read; otherwise access_key and secret_key (or secret_key_file) here, then
 * the environment, then ~/.ncloud/configure [DEFAULT]. */
static int read_credentials(struct ncloud_state *state, const struct config *c,
			    const struct config_section *s, struct profile *p,
			    struct dbb_error *err)
{
	const char *spec = config_get(s, "credentials");
	const char *access_key = config_get(s, "access_key");
	struct credential_values file;

	if (spec) {
		if (strncmp(spec, "ncloud-cli", 10) || (spec[10] && spec[10] != ':'))
			return dbb_error_set(err, EINVAL, "%s:%d: credentials must be ncloud-cli "
					     "or ncloud-cli:SECTION", c->path,
					     config_find(s, "credentials")->line);
		if (credentials_read("ncloud-cli", spec, &file, err) < 0)
			return -err->errnum;
		return adopt_file_credentials(state, p, &file, err);
	}
	if (!access_key || !*access_key)
		access_key = first_environment_value(access_key_variables);
	if (config_read_secret(c, s, "secret_key", secret_key_variables, &state->secret, err) < 0)
		return -err->errnum;
	if (access_key && state->secret.value) {
		state->access_key = strdup(access_key);
		snprintf(p->credential_source, sizeof(p->credential_source), "%s",
			 state->secret.source);
		return state->access_key ? 0 : dbb_error_set(err, ENOMEM, "out of memory");
	}
	config_secret_free(&state->secret);
	if (credentials_read("ncloud-cli", NULL, &file, err) < 0)
		return -err->errnum;
	if (file.secret_key)
		return adopt_file_credentials(state, p, &file, err);
	dbb_error_set(err, EINVAL, "%s:%d: [%s] has no credentials", c->path, s->line, p->name);
	dbb_error_set_remedy(err, "set access_key and secret_key_file, or NCLOUD_ACCESS_KEY_ID "
			     "and NCLOUD_SECRET_KEY, or credentials = ncloud-cli[:SECTION]");
	return -EINVAL;
}

static int read_export_buckets(struct profile *p, struct ncloud_state *state,
			       const struct config *c, const struct config_section *s,
			       struct dbb_error *err)
{
	const char *list = config_get(s, "export_bucket");
	char *copy, *token, *rest;
	int result = 0;

	if (!list)
		return 0;
	if (!(copy = strdup(list)))
		return dbb_error_set(err, ENOMEM, "out of memory");
	for (token = strtok_r(copy, ", \t", &rest); token && result == 0;
	     token = strtok_r(NULL, ", \t", &rest)) {
		char **grown;

		if (state->export_bucket_count == NCLOUD_MAX_EXPORT_BUCKETS) {
			result = dbb_error_set(err, EINVAL, "%s:%d: export_bucket names more than "
					       "%d buckets", c->path,
					       config_find(s, "export_bucket")->line,
					       NCLOUD_MAX_EXPORT_BUCKETS);
			break;
		}
		if (ncloud_check_bucket_name(p, token, err) < 0) {
			result = dbb_error_set(err, EINVAL, "%s:%d: export_bucket: '%s' is not a "
					       "bucket name", c->path,
					       config_find(s, "export_bucket")->line, token);
			break;
		}
		grown = realloc(state->export_buckets,
				(state->export_bucket_count + 1) * sizeof(*grown));
		if (!grown || !(grown[state->export_bucket_count] = strdup(token))) {
			if (grown)
				state->export_buckets = grown;
			result = dbb_error_set(err, ENOMEM, "out of memory");
			break;
		}
		state->export_buckets = grown;
		state->export_bucket_count++;
	}
	free(copy);
	return result;
}

/* Object Storage takes the API's key pair (api/ncloud.md section 9); its
 * endpoint and region default from the API's site and region. */
static int read_object_storage(struct profile *p, struct ncloud_state *state,
			       const struct config *c, const struct config_section *s,
			       struct dbb_error *err)
{
	const char *endpoint = config_get(s, "object_storage_endpoint");
	const char *region = config_get(s, "object_storage_region");
	const char *default_endpoint = NULL, *default_region = "kr-standard";
	struct objectstore_settings settings;
	unsigned long page_size;

	if (config_get_uint(c, s, "object_storage_page_size", NCLOUD_OBJECT_PAGE_MAX, 1,
			    NCLOUD_OBJECT_PAGE_MAX, &page_size, err) < 0)
		return -err->errnum;
	objectstore_naver_defaults(p->settings.endpoint, p->settings.region,
				   &default_endpoint, &default_region);
	if (!endpoint || !*endpoint)
		endpoint = default_endpoint;
	if (!region || !*region)
		region = default_region;
	if (!endpoint)
		return 0;   /* open says what to set */
	settings = (struct objectstore_settings) {
		.profile = p->name,
		.endpoint = endpoint,
		.region = region,
		.access_key = state->access_key,
		.secret_key = state->secret.value,
		.page_size = page_size,
	};
	state->store = objectstore_new(&settings, p->http, err);
	if (!state->store && config_find(s, "object_storage_endpoint")) {
		char message[sizeof(err->message)];

		snprintf(message, sizeof(message), "%s", err->message);
		dbb_error_set(err, err->errnum, "%s:%d: %s", c->path,
			      config_find(s, "object_storage_endpoint")->line, message);
	}
	return state->store ? 0 : -err->errnum;
}

static int ncloud_init(struct profile *p, const struct config *c,
		       const struct config_section *s, struct dbb_error *err)
{
	const struct ncloud_flavor *flavor = p->kind->variant;
	struct ncloud_state *state = calloc(1, sizeof(*state));
	const char *region_number = config_get(s, "region_no");

	if (!state)
		return dbb_error_set(err, ENOMEM, "out of memory");
	p->provider_state = state;
	pthread_mutex_init(&state->memo_lock, NULL);
	state->flavor = flavor;
	/* Classic services name regions by number (regionNo); without
	 * region_no= the parameter is left out and the API picks the first. */
	if (!strcmp(flavor->region_parameter, "regionNo"))
		state->region_value = region_number ? strdup(region_number) : NULL;
	else
		state->region_value = strdup(p->settings.region);
	if (read_format_and_paging(state, c, s, err) < 0 ||
	    read_credentials(state, c, s, p, err) < 0 ||
	    read_export_buckets(p, state, c, s, err) < 0 ||
	    read_object_storage(p, state, c, s, err) < 0)
		return -err->errnum;
	return 0;
}

static void ncloud_fini(struct profile *p)
{
	struct ncloud_state *state = p->provider_state;

	objectstore_free(state->store);
	for (size_t i = 0; i < state->export_bucket_count; i++)
		free(state->export_buckets[i]);
	free(state->export_buckets);
	for (size_t i = 0; i < state->memo_count; i++)
		memo_free(&state->memos[i]);
	free(state->memos);
	pthread_mutex_destroy(&state->memo_lock);
	config_secret_free(&state->secret);
	free(state->access_key);
	free(state->region_value);
	free(state->export_folder);
	free(state);
	p->provider_state = NULL;
}

static const char *const vpc_keys[] = {
	"response_format", "page_size", "export_folder", "object_storage_endpoint",
	"object_storage_region",
	"object_storage_page_size", "export_bucket", NULL,
};
static const char *const classic_keys[] = {
	"response_format", "page_size", "region_no", "export_folder",
	"object_storage_endpoint", "object_storage_region",
	"object_storage_page_size", "export_bucket", NULL,
};

#define NCLOUD_KIND_COMMON                                              \
	.capabilities = PROVIDER_CAN_LIST | PROVIDER_CAN_EXPORT |       \
			PROVIDER_CAN_READ,                              \
	.default_endpoint = "https://ncloud.apigw.ntruss.com",          \
	.default_region = "KR",                                         \
	.request_id_header = "x-ncp-request-id",                        \
	.init = ncloud_init,                                            \
	.fini = ncloud_fini,                                            \
	.list_instances = ncloud_list_instances,                        \
	.list_backups = ncloud_list_backups,                            \
	.check_bucket_name = ncloud_check_bucket_name,                  \
	.export_backup = ncloud_export_backup,                          \
	.open_content = ncloud_open_content,                            \
	.check_content = ncloud_check_content

const struct provider_kind ncloud_postgresql_kind = {
	.name = "ncloud-postgresql",
	.summary = "NAVER Cloud DB for PostgreSQL (VPC)",
	.config_keys = vpc_keys,
	.variant = &flavor_postgresql,
	NCLOUD_KIND_COMMON,
};

const struct provider_kind ncloud_mysql_vpc_kind = {
	.name = "ncloud-mysql-vpc",
	.summary = "NAVER Cloud DB for MySQL (VPC)",
	.config_keys = vpc_keys,
	.variant = &flavor_mysql_vpc,
	NCLOUD_KIND_COMMON,
};

const struct provider_kind ncloud_mysql_kind = {
	.name = "ncloud-mysql",
	.summary = "NAVER Cloud DB for MySQL (classic)",
	.config_keys = classic_keys,
	.variant = &flavor_mysql_classic,
	NCLOUD_KIND_COMMON,
};
