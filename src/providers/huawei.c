/*
 * huawei.c: Huawei Cloud TaurusDB (GaussDB(for MySQL)) and RDS v3.
 *
 * Both services speak the same dialect: JSON over HTTPS, AK/SK signing
 * (SDK-HMAC-SHA256, sign_huawei.h), {project_id} in every path, paging by
 * offset/limit/total_count and {"error_code", "error_msg"} errors. They
 * differ in paths, the unit of a backup's size, the success status of a
 * create, the backup-name rule and a few error codes. Each API is therefore
 * a row of data (struct huawei_api) and each service another (struct
 * huawei_service); the code below is written once. Facts: api/huawei.md.
 *
 * Requests are signed over every header they send (Content-Type, Host,
 * X-Project-Id, X-Sdk-Date), as the Python and Node SDKs do; the query is
 * sent in its canonical form so that the wire and the signature agree
 * whatever the server does with it (api/huawei.md, open question 4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/clock.h"
#include "core/credentials.h"
#include "core/timeparse.h"
#include "providers/crypto.h"
#include "providers/doc.h"
#include "providers/provider.h"
#include "providers/sign_huawei.h"

#define HUAWEI_MAX_PAGE_SIZE 100
/* The gateway refuses an X-Sdk-Date more than 15 minutes off (3.2). */
#define HUAWEI_CLOCK_WINDOW_SECONDS 900
#define HUAWEI_NAME_MIN_CHARACTERS 4
#define HUAWEI_NAME_MAX_CHARACTERS 64
#define HUAWEI_NAME_MAX_BYTES 64
#define HUAWEI_DESCRIPTION_MAX_CHARACTERS 256
#define HUAWEI_DESCRIPTION_FORBIDDEN ">!<\"&'="

/* Backup names: 4 to 64 characters starting with a letter, then letters,
 * digits, '-' and '_' (legacy TaurusDB and RDS, 2.3 and 2.8); the current
 * TaurusDB API also takes Chinese characters anywhere, the whole name
 * being at most 64 bytes. */
enum huawei_name_rule {
	NAME_RULE_ASCII,
	NAME_RULE_ASCII_OR_CHINESE,
};

/* One version of one service's API. A path is prefix + "/" + project id +
 * suffix; operation names are the SDKs', for .stats and logs. */
struct huawei_api {
	const char *version;              /* api_version= value */
	const char *alias;                /* another accepted value, or NULL */
	const char *prefix;
	const char *instances_suffix;
	const char *backups_suffix;
	const char *create_suffix;
	const char *list_instances_operation;
	const char *list_backups_operation;
	const char *create_operation;
	enum huawei_name_rule name_rule;
};

struct huawei_error_code {
	const char *code;
	int errnum;
};

struct huawei_service {
	const char *label;                /* for messages */
	const char *content_type;         /* as the service's docs give it */
	int64_t size_unit;                /* bytes per unit of "size" */
	uint8_t readable;                 /* enum entry_readable */
	const struct huawei_api *const *apis;  /* the first is the default */
	const struct huawei_error_code *codes; /* the service's own codes */
	size_t code_count;
};

/* ---- the services, as data --------------------------------------------- */

static const struct huawei_api taurusdb_v3 = {
	.version = "v3",
	.prefix = "/v3",
	/* /v3.1/{project_id}/instances supersedes this list, but only the /v3
	 * answer's schema is verified (2.1); both carry the fields we read. */
	.instances_suffix = "/instances",
	.backups_suffix = "/backups",
	.create_suffix = "/backups/create",
	.list_instances_operation = "ListGaussMySqlInstances",
	.list_backups_operation = "ShowGaussMySqlBackupList",
	.create_operation = "CreateGaussMySqlBackup",
	.name_rule = NAME_RULE_ASCII_OR_CHINESE,
};

static const struct huawei_api taurusdb_legacy = {
	.version = "legacy",
	.alias = "mysql-v3",
	.prefix = "/mysql/v3",
	.instances_suffix = "/instances",
	.backups_suffix = "/backups",
	.create_suffix = "/backups/create",
	.list_instances_operation = "ShowMysqlInstanceList",
	.list_backups_operation = "ShowMysqlBackupList",
	.create_operation = "CreateMysqlBackup",
	.name_rule = NAME_RULE_ASCII,
};

static const struct huawei_api rds_v3 = {
	.version = "v3",
	.prefix = "/v3",
	.instances_suffix = "/instances",
	.backups_suffix = "/backups",
	.create_suffix = "/backups",
	.list_instances_operation = "ListInstances",
	.list_backups_operation = "ListBackups",
	.create_operation = "CreateManualBackup",
	.name_rule = NAME_RULE_ASCII,
};

static const struct huawei_api *const taurusdb_apis[] = {
	&taurusdb_v3, &taurusdb_legacy, NULL,
};
static const struct huawei_api *const rds_apis[] = { &rds_v3, NULL };

/* 2.11: the GaussDB(for MySQL) backup codes, and the busy codes Huawei's
 * own terraform provider retries on. DBS.200022 is "instance does not
 * exist" in the TaurusDB create definition but "instance name already
 * exists" for RDS, hence one table per service. */
static const struct huawei_error_code taurusdb_codes[] = {
	{ "DBS.200022", ENOENT },
	{ "DBS.201014", EBUSY },
	{ "DBS.201015", EBUSY },
	{ "DBS.05000084", EBUSY },
};

static const struct huawei_error_code rds_codes[] = {
	{ "DBS.200002", ENOENT },     /* DB instance does not exist */
	{ "DBS.200013", ENOENT },     /* original instance does not exist */
	{ "DBS.200011", EBUSY },
	{ "DBS.201202", EBUSY },
};

/* Codes both services and the gateway in front of them use. */
static const struct huawei_error_code common_codes[] = {
	{ "DBS.201209", EEXIST },     /* backup name already exists */
	{ "DBS.201210", EINVAL },     /* invalid backup name */
	{ "DBS.200019", EBUSY },      /* another operation is in progress */
	{ "DBS.200047", EBUSY },
	{ "DBS.200010", EACCES },     /* not authorised */
	{ "APIGW.0301", EACCES },     /* IAM authentication (signature, AK) */
	{ "APIGW.0303", EACCES },     /* app authentication */
	{ "APIGW.0308", EAGAIN },     /* throttled */
	{ "APIGW.0101", EIO },        /* no such API: a wrong path, not a name */
};

static const struct huawei_service taurusdb_service = {
	.label = "TaurusDB",
	.content_type = "application/json;charset=UTF-8",
	.size_unit = 1024 * 1024,     /* MB (0.5) */
	/* No download API exists (2.5). */
	.readable = ENTRY_READABLE_NO,
	.apis = taurusdb_apis,
	.codes = taurusdb_codes,
	.code_count = sizeof(taurusdb_codes) / sizeof(taurusdb_codes[0]),
};

static const struct huawei_service rds_service = {
	.label = "RDS",
	.content_type = "application/json",
	/* KB (0.5): the service rounds, so st_size is the backup's size to
	 * within 1 KiB, not to the byte (TaurusDB's MB likewise to 1 MiB). */
	.size_unit = 1024,
	/* backup-files gives download links (2.10). */
	.readable = ENTRY_READABLE_YES,
	.apis = rds_apis,
	.codes = rds_codes,
	.code_count = sizeof(rds_codes) / sizeof(rds_codes[0]),
};

/* Statuses of a backup that will change by itself (6): poll them. */
static const char *const transitional_statuses[] = {
	"building", "deleting", "creating", "restoring", NULL,
};

/* TaurusDB is served from gaussdbformysql.{region} in these regions (1.1). */
static const char *const gaussdbformysql_regions[] = {
	"tr-west-1", "ap-southeast-1", "ap-southeast-2", NULL,
};

struct huawei_state {
	const struct huawei_service *service;
	const struct huawei_api *api;
	char *access_key;
	struct config_secret secret;
	char *project_id;
	char *description;        /* backup_description=, or NULL */
	unsigned long page_size;
	char host[256];           /* the Host header, signed */
	/* The endpoint's own path ("" usually): it is part of the path the
	 * server sees, so it is signed too (a proxy routing by path). */
	char base_path[256];
};

/* ---- signing ------------------------------------------------------------ */

/* The extra headers of a request ("Name: value" lines) as signer pairs;
 * names are copied, values point into the lines. */
static int headers_to_pairs(const struct http_headers *headers,
			    struct crypto_pair **out, char ***names_out)
{
	size_t count = headers ? headers->count : 0;
	struct crypto_pair *pairs = calloc(count + 1, sizeof(*pairs));
	char **names = calloc(count + 1, sizeof(*names));

	*out = pairs;
	*names_out = names;
	if (!pairs || !names)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const char *line = headers->lines[i];
		const char *colon = strchr(line, ':');

		if (!colon)
			return -EINVAL;
		names[i] = strndup(line, (size_t)(colon - line));
		if (!names[i])
			return -ENOMEM;
		pairs[i].name = names[i];
		pairs[i].value = colon + 1 + (colon[1] == ' ');
	}
	return 0;
}

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; names && i < count; i++)
		free(names[i]);
	free(names);
}

/* The Authorization value for one attempt: the path and query as sent, every
 * extra header of the request (Content-Type, Host, X-Project-Id), the body,
 * and X-Sdk-Date, which the signer adds. */
static int authorization_for(const struct huawei_state *state,
			     const struct http_request *req, const char *date,
			     char **authorization)
{
	size_t count = req->headers ? req->headers->count : 0;
	const char *question = strchr(req->target, '?');
	char *path = strndup(req->target, question ? (size_t)(question - req->target) :
			     strlen(req->target));
	struct crypto_pair *pairs = NULL;
	char **names = NULL;
	int result = path ? headers_to_pairs(req->headers, &pairs, &names) : -ENOMEM;

	if (result == 0) {
		const struct huawei_request signed_request = {
			.method = req->method,
			.path = path,
			.query = question ? question + 1 : NULL,
			.headers = pairs,
			.header_count = count,
			.body = req->body,
			.body_len = req->body_length,
		};

		result = huawei_authorization(&signed_request, date, state->access_key,
					      state->secret.value, authorization);
	}
	free_names(names, count);
	free(pairs);
	free(path);
	return result;
}

/* Signs before every attempt: the date is part of the signature. */
static int sign_request(void *context, const struct http_request *req,
			struct http_headers *headers, struct dbb_error *err)
{
	const struct huawei_state *state = context;
	char date[HUAWEI_DATE_SIZE], *authorization = NULL;
	int result = huawei_format_date((time_t)(clock_realtime_ms() / 1000), date);

	if (result == 0)
		result = authorization_for(state, req, date, &authorization);
	if (result == 0 &&
	    (http_headers_add(headers, HUAWEI_HEADER_DATE, date) < 0 ||
	     http_headers_add(headers, "Authorization", authorization) < 0))
		result = -ENOMEM;
	if (authorization)
		crypto_wipe(authorization, strlen(authorization));
	free(authorization);
	if (result == -ENOMEM)
		return dbb_error_set(err, ENOMEM, "out of memory");
	return result < 0 ? dbb_error_set(err, EINVAL, "cannot sign the request") : 0;
}

/* ---- errors ------------------------------------------------------------- */

static int errno_in(const struct huawei_error_code *codes, size_t count,
		    const char *code)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(codes[i].code, code))
			return codes[i].errnum;
	return 0;
}

static int errno_for(const struct huawei_service *service, const char *code,
		     long status)
{
	int errnum = 0;

	if (code[0])
		errnum = errno_in(service->codes, service->code_count, code);
	if (!errnum && code[0])
		errnum = errno_in(common_codes,
				  sizeof(common_codes) / sizeof(common_codes[0]), code);
	if (errnum)
		return errnum;
	/* A 409 is a conflict with the instance's state unless the code says
	 * otherwise (only DBS.201209 means "exists"); a 404 without a known
	 * code may be the gateway's "no such API". */
	if (status == 409)
		return EBUSY;
	if (status == 404)
		return EIO;
	return http_status_errno(status);
}

/* The error body: {"error_code", "error_msg"[, "request_id"]} (2.11); a few
 * Huawei services nest it as {"error": {"code", "message"}}. */
static void read_error_body(const json_t *body, char *code, size_t code_size,
			    char *message, size_t message_size, char *request_id,
			    size_t request_id_size)
{
	const json_t *nested = json_object_get(body, "error");

	if (doc_field_text(body, "error_code", code, code_size) < 0 &&
	    doc_field_text(nested, "code", code, code_size) < 0)
		code[0] = '\0';
	if (doc_field_text(body, "error_msg", message, message_size) < 0 &&
	    doc_field_text(nested, "message", message, message_size) < 0)
		message[0] = '\0';
	if (doc_field_text(body, "request_id", request_id, request_id_size) < 0)
		request_id[0] = '\0';
}

static void describe_failure(const struct profile *p, const struct http_response *resp,
			     struct dbb_error *err)
{
	const struct huawei_state *state = p->provider_state;
	json_t *body = doc_parse_json(resp->body ? resp->body : "", resp->length, NULL, 0);
	char code[64], message[400], request_id[96];

	read_error_body(body, code, sizeof(code), message, sizeof(message),
			request_id, sizeof(request_id));
	if (!message[0])
		snprintf(message, sizeof(message), "HTTP %ld with %s body", resp->status,
			 body ? "an unexpected" : "an unreadable");
	dbb_error_set(err, errno_for(state->service, code, resp->status), "%s", message);
	dbb_error_set_code(err, code);
	err->http_status = (int)resp->status;
	err->duration_ms = resp->duration_ms;
	snprintf(err->request_id, sizeof(err->request_id), "%s",
		 resp->request_id[0] ? resp->request_id : request_id);
	json_decref(body);
}

static void explain_failure(const struct profile *p, const struct http_response *resp,
			    struct dbb_error *err)
{
	const struct huawei_state *state = p->provider_state;

	describe_failure(p, resp, err);
	if (resp->status == 401 &&
	    http_explain_clock_skew(resp, HUAWEI_CLOCK_WINDOW_SECONDS, err))
		return;
	switch (err->errnum) {
	case EACCES:
		dbb_error_set_remedy(err, "check access_key, secret_key and project_id of [%s]",
				     p->name);
		break;
	case EAGAIN:
		dbb_error_set_remedy(err, "the gateway throttles this account; lower max_rps= or retry later");
		break;
	case EBUSY:
		dbb_error_set_remedy(err, "another operation is running on the instance; retry when it is done");
		break;
	case EEXIST:
		dbb_error_set_remedy(err, "choose another backup name");
		break;
	case EIO:
		if (!strcmp(err->code, "APIGW.0101"))
			dbb_error_set_remedy(err, "check endpoint= and api_version= (%s %s)",
					     state->service->label, state->api->version);
		break;
	default:
		break;
	}
}

/* ---- requests ----------------------------------------------------------- */

/* The query being built: "k=v&k=v", values percent-encoded. */
struct query {
	char text[1024];
	size_t length;
};

static void query_add(struct query *q, const char *key, const char *value)
{
	char encoded[CRYPTO_PERCENT_SIZE(256)];

	if (crypto_percent_encode(value, strlen(value), 0, encoded, sizeof(encoded)) < 0)
		encoded[0] = '\0';
	q->length += (size_t)snprintf(q->text + q->length, sizeof(q->text) - q->length,
				      "%s%s=%s", q->length ? "&" : "", key, encoded);
	if (q->length >= sizeof(q->text))
		q->length = sizeof(q->text) - 1;
}

struct call {
	const char *key;          /* the member a usable answer holds */
	json_t *answer;           /* parsed body of an accepted 2xx */
};

/* Accepts a 2xx only when it parses and holds `key`: a truncated or
 * garbled answer is a failed attempt (retried when that is safe). */
static int accept_answer(void *context, const struct http_response *resp)
{
	struct call *call = context;

	json_decref(call->answer);
	call->answer = doc_parse_json(resp->body ? resp->body : "", resp->length, NULL, 0);
	if (!call->answer || !json_object_get(call->answer, call->key)) {
		json_decref(call->answer);
		call->answer = NULL;
		return -1;
	}
	return 0;
}

struct huawei_call {
	const char *operation;
	const char *method;
	const char *suffix;       /* after /{project_id} */
	const struct query *query;
	const char *body;         /* NULL: none */
	const char *answer_key;
	bool idempotent;
};

/* The API path and query, as appended to the endpoint. */
static int build_resource(const struct huawei_state *state, const struct huawei_call *c,
			  char *resource, size_t size)
{
	char *canonical = NULL;
	int length;

	if (c->query && c->query->length &&
	    huawei_canonical_query(c->query->text, &canonical) < 0)
		return -ENOMEM;
	length = snprintf(resource, size, "%s/%s%s%s%s", state->api->prefix,
			  state->project_id, c->suffix, canonical ? "?" : "",
			  canonical ? canonical : "");
	free(canonical);
	return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}

static int add_request_headers(const struct huawei_state *state,
			       struct http_headers *headers)
{
	if (http_headers_add(headers, "Content-Type", state->service->content_type) < 0 ||
	    http_headers_add(headers, "Host", state->host) < 0 ||
	    http_headers_add(headers, "X-Project-Id", state->project_id) < 0)
		return -ENOMEM;
	return 0;
}

/* One request; on success *answer is the parsed body (new reference). */
static int huawei_perform(struct profile *p, const struct huawei_call *c,
			  json_t **answer, struct dbb_error *err)
{
	struct huawei_state *state = p->provider_state;
	struct call call = { .key = c->answer_key };
	struct http_headers headers;
	struct http_response resp;
	struct http_request req;
	char resource[1200], target[1500], url[2100];
	int result;

	http_headers_init(&headers);
	if (build_resource(state, c, resource, sizeof(resource)) < 0 ||
	    add_request_headers(state, &headers) < 0) {
		http_headers_destroy(&headers);
		return dbb_error_set(err, ENOMEM, "cannot build the %s request", c->operation);
	}
	snprintf(target, sizeof(target), "%s%s", state->base_path, resource);
	snprintf(url, sizeof(url), "%s%s", p->settings.endpoint, resource);
	req = (struct http_request) {
		.operation = c->operation,
		.method = c->method,
		.url = url,
		.target = target,
		.headers = &headers,
		.body = c->body,
		.body_length = c->body ? strlen(c->body) : 0,
		.idempotent = c->idempotent,
		.sign = sign_request,
		.sign_context = state,
		.accept = accept_answer,
		.accept_context = &call,
	};
	result = http_perform(p->http, &req, &resp, err);
	http_headers_destroy(&headers);
	if (result < 0) {
		json_decref(call.answer);
		/* A change the service said yes to, in words we could not read:
		 * it is done, and repeating it would do it twice. */
		if (!c->idempotent && err->http_status >= 200 && err->http_status < 300)
			dbb_error_set_remedy(err, "the service accepted %s (HTTP %d) but its answer "
					     "was unreadable: check in the provider's console "
					     "before trying again", c->operation, err->http_status);
		return result;
	}
	if (resp.status < 200 || resp.status >= 300 || !call.answer) {
		explain_failure(p, &resp, err);
		http_response_destroy(&resp);
		json_decref(call.answer);
		return -err->errnum;
	}
	http_response_destroy(&resp);
	*answer = call.answer;
	return 0;
}

/* ---- records ------------------------------------------------------------ */

static void lower_case(char *text)
{
	for (; *text; text++)
		if (*text >= 'A' && *text <= 'Z')
			*text = (char)(*text - 'A' + 'a');
}

static void field_lower(const json_t *record, const char *key, char *out, size_t size)
{
	if (doc_field_text(record, key, out, size) < 0)
		out[0] = '\0';
	lower_case(out);
}

/* Huawei writes "2020-07-08T18:41:14+0800"; a few examples omit the
 * offset, which is then read as UTC. Anything else is unknown. */
static int64_t field_time(const json_t *record, const char *key)
{
	char text[64];
	int64_t when;

	if (doc_field_text(record, key, text, sizeof(text)) < 0 || !text[0] ||
	    time_parse_iso8601_flags(text, TIME_ASSUME_UTC, &when) < 0)
		return ENTRY_TIME_UNKNOWN;
	return when;
}

static bool is_transitional(const char *status)
{
	for (size_t i = 0; transitional_statuses[i]; i++)
		if (!strcmp(transitional_statuses[i], status))
			return true;
	return false;
}

/* size in the service's unit, in bytes. A backup still being made reports
 * 0 (or nothing): its size is not known yet. */
static int64_t backup_size(const struct huawei_service *service, const json_t *record,
			   bool transitional)
{
	int64_t size;

	if (doc_int64(record, "size", &size) < 0 || size < 0 ||
	    size > INT64_MAX / service->size_unit || (size == 0 && transitional))
		return ENTRY_SIZE_UNKNOWN;
	return size * service->size_unit;
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

static int add_instance(const struct huawei_state *state, const json_t *record,
			const struct entry *unused, struct entry_list *out)
{
	const json_t *datastore = json_object_get(record, "datastore");
	struct entry_builder b;
	struct entry e = { .size = ENTRY_SIZE_UNKNOWN };
	char id[128], name[512], status[128], engine[128], version[128];

	if (doc_field_text(record, "id", id, sizeof(id)) < 0 || !id[0])
		return 0;   /* a record without its key cannot be addressed */
	if (doc_field_text(record, "name", name, sizeof(name)) < 0 || !name[0])
		snprintf(name, sizeof(name), "%s", id);
	field_lower(record, "status", status, sizeof(status));
	field_lower(datastore, "type", engine, sizeof(engine));
	if (doc_field_text(datastore, "version", version, sizeof(version)) < 0)
		version[0] = '\0';
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, id);
	entry_builder_text(&b, ENTRY_NAME, name);
	entry_builder_text(&b, ENTRY_STATUS, status);
	entry_builder_text(&b, ENTRY_ENGINE, engine);
	entry_builder_text(&b, ENTRY_ENGINE_VERSION, version);
	e.begin_time = field_time(record, "created");
	e.end_time = e.begin_time;
	return push_record(&b, &e, record, out);
}

static int add_backup(const struct huawei_state *state, const json_t *record,
		      const struct entry *instance, struct entry_list *out)
{
	const json_t *datastore = json_object_get(record, "datastore");
	struct entry_builder b;
	struct entry e = { .readable = state->service->readable };
	char id[128], name[512], status[64], type[64], engine[128], version[128];

	if (doc_field_text(record, "id", id, sizeof(id)) < 0 || !id[0])
		return 0;
	if (doc_field_text(record, "name", name, sizeof(name)) < 0 || !name[0])
		snprintf(name, sizeof(name), "%s", id);
	field_lower(record, "status", status, sizeof(status));
	field_lower(record, "type", type, sizeof(type));
	field_lower(datastore, "type", engine, sizeof(engine));
	if (doc_field_text(datastore, "version", version, sizeof(version)) < 0 || !version[0])
		snprintf(version, sizeof(version), "%s",
			 entry_text(instance, ENTRY_ENGINE_VERSION));
	e.transitional = is_transitional(status);
	e.size = backup_size(state->service, record, e.transitional);
	e.begin_time = field_time(record, "begin_time");
	e.end_time = field_time(record, "end_time");
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, id);
	entry_builder_text(&b, ENTRY_NAME, name);
	entry_builder_text(&b, ENTRY_STATUS, status);
	entry_builder_text(&b, ENTRY_TYPE, type);
	entry_builder_text(&b, ENTRY_ENGINE,
			   engine[0] ? engine : entry_text(instance, ENTRY_ENGINE));
	entry_builder_text(&b, ENTRY_ENGINE_VERSION, version);
	return push_record(&b, &e, record, out);
}

typedef int (*record_fn)(const struct huawei_state *state, const json_t *record,
			 const struct entry *instance, struct entry_list *out);

/* Adds one page's records; returns the page length or -errno. */
static int add_page(struct profile *p, const json_t *answer, const char *list_key,
		    record_fn add, const struct entry *instance,
		    struct entry_list *out, struct dbb_error *err)
{
	const json_t *items = json_object_get(answer, list_key);
	const json_t *item;
	size_t index;

	if (!json_is_array(items))
		return dbb_error_set(err, EIO, "unexpected shape of \"%s\"", list_key);
	json_array_foreach(items, index, item)
		if (add(p->provider_state, item, instance, out) < 0)
			return dbb_error_set(err, ENOMEM, "out of memory");
	return (int)json_array_size(items);
}

/* Lists every page: offset counts records, total_count is the total (2.1,
 * 2.7). An empty or short page ends the walk even if total_count says
 * more, so a lying server cannot make us loop. */
static int list_all_pages(struct profile *p, const char *operation, const char *suffix,
			  const char *list_key, const char *instance_id, record_fn add,
			  const struct entry *instance, struct entry_list *out,
			  struct dbb_error *err)
{
	struct huawei_state *state = p->provider_state;
	char offset_text[24], limit_text[24];
	int64_t offset = 0, total;

	snprintf(limit_text, sizeof(limit_text), "%lu", state->page_size);
	for (;;) {
		struct query q = { .length = 0 };
		struct huawei_call c = {
			.operation = operation, .method = "GET", .suffix = suffix,
			.query = &q, .answer_key = list_key, .idempotent = true,
		};
		json_t *answer = NULL;
		int length;

		if (instance_id)
			query_add(&q, "instance_id", instance_id);
		snprintf(offset_text, sizeof(offset_text), "%lld", (long long)offset);
		query_add(&q, "offset", offset_text);
		query_add(&q, "limit", limit_text);
		if (huawei_perform(p, &c, &answer, err) < 0)
			return -err->errnum;
		length = add_page(p, answer, list_key, add, instance, out, err);
		if (doc_int64(answer, "total_count", &total) < 0)
			total = -1;
		json_decref(answer);
		if (length < 0)
			return length;
		offset += length;
		if (length == 0 || (total >= 0 && offset >= total) ||
		    (total < 0 && (unsigned long)length < state->page_size))
			return 0;
	}
}

static int huawei_list_instances(struct profile *p, struct entry_list *out,
				 struct dbb_error *err)
{
	const struct huawei_api *api = ((struct huawei_state *)p->provider_state)->api;

	return list_all_pages(p, api->list_instances_operation, api->instances_suffix,
			      "instances", NULL, add_instance, NULL, out, err);
}

static int huawei_list_backups(struct profile *p, const struct entry *instance,
			       struct entry_list *out, struct dbb_error *err)
{
	const struct huawei_api *api = ((struct huawei_state *)p->provider_state)->api;

	return list_all_pages(p, api->list_backups_operation, api->backups_suffix,
			      "backups", entry_text(instance, ENTRY_ID), add_backup,
			      instance, out, err);
}

/* ---- content (RDS) ------------------------------------------------------ */

/* GET /v3/{project_id}/backup-files?backup_id=... (2.10): the backup's
 * files, each with a download link valid until link_expired_time and a
 * size in KB. The size is not exact, so the content reader takes the exact
 * one from the link's first answer. */
static int rds_open_content(struct profile *p, const struct entry *instance,
			    const struct entry *backup, struct content_source *out,
			    struct dbb_error *err)
{
	struct query q = { .length = 0 };
	struct huawei_call c = {
		.operation = "ShowBackupDownloadLink", .method = "GET",
		.suffix = "/backup-files", .query = &q, .answer_key = "files",
		.idempotent = true,
	};
	const json_t *files, *file;
	const char *link, *expires;
	json_t *answer = NULL;
	size_t count;
	int64_t when;

	query_add(&q, "backup_id", entry_text(backup, ENTRY_ID));
	if (huawei_perform(p, &c, &answer, err) < 0)
		return -err->errnum;
	files = json_object_get(answer, "files");
	count = json_is_array(files) ? json_array_size(files) : 0;
	file = count == 1 ? json_array_get(files, 0) : NULL;
	link = file ? doc_str(file, "download_link") : NULL;
	if (count > 1) {
		/* Joining them would make a file that is no backup. */
		dbb_error_set(err, ENODATA, "RDS keeps this backup as %zu files, and the mount "
			      "shows a backup as one file", count);
		dbb_error_set_remedy(err, "download its files from the RDS console "
				     "(Backups, Download)");
	} else if (!link || !link[0]) {
		dbb_error_set(err, ENODATA, "RDS gives no download link for this backup "
			      "(status %s)", entry_text(backup, ENTRY_STATUS));
	} else if (!(out->url = strdup(link))) {
		dbb_error_set(err, ENOMEM, "out of memory");
	}
	if (!out->url) {
		json_decref(answer);
		return -err->errnum;
	}
	http_headers_init(&out->headers);
	/* "2018-08-16T10:15:14+0000"; unreadable: the 403 tells instead. */
	expires = doc_str(file, "link_expired_time");
	out->expires_at = expires && time_parse_iso8601_flags(expires, TIME_ASSUME_UTC,
							      &when) == 0 ? when : 0;
	out->size = -1;
	out->sign = NULL;
	out->sign_context = NULL;
	json_decref(answer);
	return 0;
}

/* ---- names and mkdir ---------------------------------------------------- */

static bool is_ascii_letter(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "Chinese characters" in Huawei's name rules are the CJK Unified
 * Ideographs of the basic block as their validators write them,
 * [\u4e00-\u9fa5]. */
static bool is_chinese(uint32_t c)
{
	return c >= 0x4e00 && c <= 0x9fa5;
}

static bool name_character_allowed(enum huawei_name_rule rule, uint32_t c, bool first)
{
	if (is_ascii_letter(c) || (rule == NAME_RULE_ASCII_OR_CHINESE && is_chinese(c)))
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '_');
}

/* Returns NULL when name follows the rule, else what is wrong with it. */
static const char *name_problem(enum huawei_name_rule rule, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t characters = 0;

	while (*s) {
		uint32_t c;
		size_t length = utf8_decode(s, &c);

		if (length == 0)
			return "is not valid UTF-8";
		if (!name_character_allowed(rule, c, characters == 0))
			return characters == 0 ? "does not start with a letter" :
				"holds a character other than letters, digits, '-' and '_'";
		s += length;
		characters++;
	}
	if (characters < HUAWEI_NAME_MIN_CHARACTERS)
		return "is shorter than 4 characters";
	if (characters > HUAWEI_NAME_MAX_CHARACTERS)
		return "is longer than 64 characters";
	if ((size_t)(s - (const unsigned char *)name) > HUAWEI_NAME_MAX_BYTES)
		return "is longer than 64 bytes";
	return NULL;
}

static int huawei_check_backup_name(struct profile *p, const char *name,
				    struct dbb_error *err)
{
	const struct huawei_state *state = p->provider_state;
	const char *problem = name_problem(state->api->name_rule, name);

	if (!problem)
		return 0;
	dbb_error_set(err, EINVAL, "backup name \"%s\" %s", name, problem);
	if (state->api->name_rule == NAME_RULE_ASCII_OR_CHINESE)
		dbb_error_set_remedy(err, "use 4 to 64 characters (at most 64 bytes): a letter or "
				     "Chinese character first, then letters, digits, Chinese "
				     "characters, '-' or '_'");
	else
		dbb_error_set_remedy(err, "use 4 to 64 characters: a letter first, then letters, "
				     "digits, '-' or '_'");
	return -EINVAL;
}

static char *create_body(const struct huawei_state *state, const char *instance_id,
			 const char *name)
{
	json_t *body = json_object();
	char *text;

	json_object_set_new(body, "instance_id", json_string(instance_id));
	json_object_set_new(body, "name", json_string(name));
	if (state->description)
		json_object_set_new(body, "description", json_string(state->description));
	text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	return text;
}

/* Never repeated once it may have reached the server (DESIGN 7): a second
 * backup is worse than an error. */
static int huawei_create_backup(struct profile *p, const struct entry *instance,
				const char *name, struct dbb_error *err)
{
	struct huawei_state *state = p->provider_state;
	char *body = create_body(state, entry_text(instance, ENTRY_ID), name);
	struct huawei_call c = {
		.operation = state->api->create_operation,
		.method = "POST",
		.suffix = state->api->create_suffix,
		.body = body,
		.answer_key = "backup",
		.idempotent = false,
	};
	json_t *answer = NULL;
	int result;

	if (!body)
		return dbb_error_set(err, ENOMEM, "out of memory");
	result = huawei_perform(p, &c, &answer, err);
	free(body);
	json_decref(answer);
	return result < 0 ? -err->errnum : 0;
}

/* ---- set-up ------------------------------------------------------------- */

static const char *const access_key_variables[] = { "HUAWEICLOUD_SDK_AK", NULL };
static const char *const secret_key_variables[] = { "HUAWEICLOUD_SDK_SK", NULL };
static const char *const project_id_variables[] = { "HUAWEICLOUD_SDK_PROJECT_ID", NULL };

static const char *setting(const struct config_section *s, const char *key,
			   const char *const *variables)
{
	const char *value = config_get(s, key);

	if (value && *value)
		return value;
	for (; *variables; variables++)
		if ((value = getenv(*variables)) && *value)
			return value;
	return NULL;
}

static int config_line(const struct config_section *s, const char *key)
{
	const struct config_entry *entry = config_find(s, key);

	return entry ? entry->line : s->line;
}

/* The project id becomes a path segment: letters, digits, '-', '_' only. */
static bool is_path_safe(const char *text)
{
	if (!*text)
		return false;
	for (; *text; text++)
		if (!is_ascii_letter((unsigned char)*text) && !(*text >= '0' && *text <= '9') &&
		    *text != '-' && *text != '_')
			return false;
	return true;
}

/* Takes the keys (and the project, when the file has one) read from the
 * SDK's credentials file. */
static void adopt_file_credentials(struct huawei_state *state, struct profile *p,
				   struct credential_values *file)
{
	state->access_key = file->access_key;
	state->secret.value = file->secret_key;
	state->project_id = file->project_id;
	file->access_key = file->secret_key = file->project_id = NULL;
	snprintf(p->credential_source, sizeof(p->credential_source), "%s", file->source);
	credential_values_free(file);
}

/* The keys, in the order of Huawei's SDKs (api/huawei.md 5): credentials=
 * names a section of the SDK's credentials file and nothing else is read
 * for the keys; otherwise access_key and secret_key (or secret_key_file)
 * here, then HUAWEICLOUD_SDK_AK/SK, then the [basic] section of
 * ~/.huaweicloud/credentials (or $HUAWEICLOUD_SDK_CREDENTIALS_FILE). */
static int read_keys(struct huawei_state *state, const struct config *c,
		     const struct config_section *s, struct profile *p,
		     struct dbb_error *err)
{
	const char *spec = config_get(s, "credentials");
	const char *access_key = setting(s, "access_key", access_key_variables);
	struct credential_values file;

	if (spec) {
		if (strncmp(spec, "huaweicloud-sdk", 15) || (spec[15] && spec[15] != ':'))
			return dbb_error_set(err, EINVAL, "%s:%d: credentials must be huaweicloud-sdk "
					     "or huaweicloud-sdk:SECTION", c->path,
					     config_line(s, "credentials"));
		if (credentials_read("huaweicloud-sdk", spec, &file, err) < 0)
			return -err->errnum;
		adopt_file_credentials(state, p, &file);
		return 0;
	}
	if (config_read_secret(c, s, "secret_key", secret_key_variables, &state->secret, err) < 0)
		return -err->errnum;
	if (access_key && state->secret.value) {
		state->access_key = strdup(access_key);
		snprintf(p->credential_source, sizeof(p->credential_source), "%s",
			 state->secret.source);
		return state->access_key ? 0 : dbb_error_set(err, ENOMEM, "out of memory");
	}
	config_secret_free(&state->secret);
	if (credentials_read("huaweicloud-sdk", NULL, &file, err) < 0)
		return -err->errnum;
	if (file.secret_key) {
		adopt_file_credentials(state, p, &file);
		return 0;
	}
	dbb_error_set(err, EINVAL, "%s:%d: [%s] has no %s", c->path, s->line, p->name,
		      access_key ? "secret_key or secret_key_file (nor HUAWEICLOUD_SDK_SK)" :
		      "access_key (nor HUAWEICLOUD_SDK_AK)");
	dbb_error_set_remedy(err, "set access_key and secret_key_file, or HUAWEICLOUD_SDK_AK and "
			     "HUAWEICLOUD_SDK_SK, or credentials = huaweicloud-sdk[:SECTION]");
	return -EINVAL;
}

/* The project: project_id here, then HUAWEICLOUD_SDK_PROJECT_ID, then the
 * credentials file's. It becomes a path segment, so it must be safe as one. */
static int read_project(struct huawei_state *state, const struct config *c,
			const struct config_section *s, const char *profile,
			struct dbb_error *err)
{
	const char *project_id = setting(s, "project_id", project_id_variables);

	if (project_id) {
		free(state->project_id);
		state->project_id = strdup(project_id);
		if (!state->project_id)
			return dbb_error_set(err, ENOMEM, "out of memory");
	}
	if (!state->project_id || !is_path_safe(state->project_id))
		return dbb_error_set(err, EINVAL,
				     "%s:%d: [%s] has no usable project_id (nor HUAWEICLOUD_SDK_PROJECT_ID)",
				     c->path, config_line(s, "project_id"), profile);
	return 0;
}

static int read_credentials(struct huawei_state *state, const struct config *c,
			    const struct config_section *s, struct profile *p,
			    struct dbb_error *err)
{
	if (read_keys(state, c, s, p, err) < 0 || read_project(state, c, s, p->name, err) < 0)
		return -err->errnum;
	if (!crypto_is_token(state->access_key))
		return dbb_error_set(err, EINVAL, "%s:%d: [%s] has an access_key that is not a "
				     "single word", c->path, config_line(s, "access_key"), p->name);
	return 0;
}

static int read_api_version(struct huawei_state *state, const struct config *c,
			    const struct config_section *s, struct dbb_error *err)
{
	const char *wanted = config_get(s, "api_version");
	const struct huawei_api *const *api = state->service->apis;

	state->api = api[0];
	if (!wanted || !*wanted)
		return 0;
	for (; *api; api++) {
		if (!strcmp((*api)->version, wanted) ||
		    ((*api)->alias && !strcmp((*api)->alias, wanted))) {
			state->api = *api;
			return 0;
		}
	}
	dbb_error_set(err, EINVAL, "%s:%d: api_version '%s' is not one %s knows",
		      c->path, config_line(s, "api_version"), wanted, state->service->label);
	dbb_error_set_remedy(err, "%s", state->service == &rds_service ? "use v3" :
			     "use v3 (current) or legacy (also mysql-v3: the /mysql/v3 paths)");
	return -EINVAL;
}

/* backup_description=: at most 256 characters, none of >!<"&'= (2.3, 2.8). */
static int read_description(struct huawei_state *state, const struct config *c,
			    const struct config_section *s, struct dbb_error *err)
{
	const char *description = config_get(s, "backup_description");
	const unsigned char *p = (const unsigned char *)description;
	size_t characters = 0;

	if (!description || !*description)
		return 0;
	while (*p) {
		uint32_t code_point;
		size_t length = utf8_decode(p, &code_point);

		if (length == 0 || strchr(HUAWEI_DESCRIPTION_FORBIDDEN, (char)*p) ||
		    code_point < 0x20)
			return dbb_error_set(err, EINVAL,
					     "%s:%d: backup_description must be UTF-8 text without "
					     "any of %s", c->path, config_line(s, "backup_description"),
					     HUAWEI_DESCRIPTION_FORBIDDEN);
		p += length;
		characters++;
	}
	if (characters > HUAWEI_DESCRIPTION_MAX_CHARACTERS)
		return dbb_error_set(err, EINVAL, "%s:%d: backup_description is longer than 256 characters",
				     c->path, config_line(s, "backup_description"));
	state->description = strdup(description);
	return state->description ? 0 : dbb_error_set(err, ENOMEM, "out of memory");
}

static bool is_gaussdbformysql_region(const char *region)
{
	for (size_t i = 0; gaussdbformysql_regions[i]; i++)
		if (!strcmp(gaussdbformysql_regions[i], region))
			return true;
	return false;
}

/* The default endpoint is the kind's pattern; TaurusDB's differs in three
 * regions, which the pattern cannot say. */
static int adjust_default_endpoint(struct profile *p, const struct config_section *s,
				   const struct huawei_service *service, struct dbb_error *err)
{
	const char *given = config_get(s, "endpoint");
	char *endpoint;

	if ((given && *given) || service != &taurusdb_service ||
	    !is_gaussdbformysql_region(p->settings.region))
		return 0;
	if (asprintf(&endpoint, "https://gaussdbformysql.%s.myhuaweicloud.com",
		     p->settings.region) < 0)
		return dbb_error_set(err, ENOMEM, "out of memory");
	free(p->settings.endpoint);
	p->settings.endpoint = endpoint;
	return 0;
}

/* The Host header the signature covers is the endpoint's authority, which
 * is also what is sent (curl uses a Host header given to it); the path after
 * it is signed as part of every request's path. */
static int read_endpoint(struct huawei_state *state, const struct profile *p,
			 struct dbb_error *err)
{
	const char *start = strstr(p->settings.endpoint, "://");
	const char *at, *path;
	size_t length;

	start = start ? start + 3 : p->settings.endpoint;
	length = strcspn(start, "/?#");
	path = start + length;
	at = memchr(start, '@', length);
	if (at) {
		length -= (size_t)(at + 1 - start);
		start = at + 1;
	}
	if (length == 0 || length >= sizeof(state->host) || strpbrk(path, "?#") ||
	    strlen(path) >= sizeof(state->base_path))
		return dbb_error_set(err, EINVAL, "[%s]: endpoint %s is not a usable base URL",
				     p->name, p->settings.endpoint);
	memcpy(state->host, start, length);
	state->host[length] = '\0';
	snprintf(state->base_path, sizeof(state->base_path), "%s", path);
	return 0;
}

static int huawei_init(struct profile *p, const struct config *c,
		       const struct config_section *s, struct dbb_error *err)
{
	const struct huawei_service *service = p->kind->variant;
	struct huawei_state *state = calloc(1, sizeof(*state));

	if (!state)
		return dbb_error_set(err, ENOMEM, "out of memory");
	p->provider_state = state;
	state->service = service;
	if (read_api_version(state, c, s, err) < 0 ||
	    config_get_uint(c, s, "page_size", HUAWEI_MAX_PAGE_SIZE, 1, HUAWEI_MAX_PAGE_SIZE,
			    &state->page_size, err) < 0 ||
	    read_description(state, c, s, err) < 0 ||
	    read_credentials(state, c, s, p, err) < 0 ||
	    adjust_default_endpoint(p, s, service, err) < 0 ||
	    read_endpoint(state, p, err) < 0)
		return -err->errnum;
	return 0;
}

static void huawei_fini(struct profile *p)
{
	struct huawei_state *state = p->provider_state;

	config_secret_free(&state->secret);
	free(state->access_key);
	free(state->project_id);
	free(state->description);
	free(state);
	p->provider_state = NULL;
}

static const char *const huawei_keys[] = {
	"project_id", "api_version", "backup_description", "page_size", NULL,
};

#define HUAWEI_KIND_COMMON                                              \
	.default_region = "cn-north-4",                                 \
	.request_id_header = "X-Request-Id",                            \
	.config_keys = huawei_keys,                                     \
	.fini = huawei_fini,                                            \
	.list_instances = huawei_list_instances,                        \
	.list_backups = huawei_list_backups,                            \
	.check_backup_name = huawei_check_backup_name,                  \
	.create_backup = huawei_create_backup

const struct provider_kind huawei_taurusdb_kind = {
	.name = "huawei-taurusdb",
	.summary = "Huawei Cloud TaurusDB (GaussDB(for MySQL))",
	.default_endpoint = "https://gaussdb.{region}.myhuaweicloud.com",
	.init = huawei_init,
	.variant = &taurusdb_service,
	.capabilities = PROVIDER_CAN_LIST | PROVIDER_CAN_MKDIR,
	HUAWEI_KIND_COMMON,
};

const struct provider_kind huawei_rds_kind = {
	.name = "huawei-rds",
	.summary = "Huawei Cloud RDS v3 (MySQL, PostgreSQL, SQL Server)",
	.default_endpoint = "https://rds.{region}.myhuaweicloud.com",
	.init = huawei_init,
	.variant = &rds_service,
	.capabilities = PROVIDER_CAN_LIST | PROVIDER_CAN_MKDIR | PROVIDER_CAN_READ,
	.open_content = rds_open_content,
	HUAWEI_KIND_COMMON,
};
