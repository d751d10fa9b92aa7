/*
 * zstack.c: ZStack platform database backups (/zstack/v1). Facts:
 * api/zstack.md; the seed is seeds/002.
 *
 * ZStack backs up one database, its management node's own, so a profile has
 * one instance directory, "management-db", holding every database backup.
 * A backup's bytes can be read only once it has been exported from a backup
 * storage (ExportDatabaseBackupFromBackupStorage): the export gives a plain
 * HTTP URL on the storage host, which the content reader then streams with
 * no ZStack credentials. ".export/<backup>" takes a backup storage name or
 * uuid, ZStack's "bucket".
 *
 * Authentication is either a session (LogInByAccount with the SHA-512 of the
 * password; "Authorization: OAuth <session>") or an AccessKey
 * ("Authorization: ZStack <id>:<signature>" with a Date, signed per
 * request). The session is one per profile, shared by every thread under
 * state->lock. When ZStack says ID.1001 (expired or unknown session), we log
 * in again once and repeat the request once. That repeat is safe even for a
 * create or an export: ID.1001 comes from the identity check, which rejects
 * the message before anything is processed (zstack.md 2.2), so the first
 * attempt did nothing. Several threads meeting ID.1001 at once log in once:
 * the session carries a generation number, and only the first thread that
 * saw the old generation replaces it. A login refused (ID.1000) is
 * remembered for LOGIN_REFUSAL_MS, so that a find with a wrong password does
 * not send one login per directory (ZStack may lock accounts after failed
 * logins). At unmount the session is logged out.
 *
 * Calls are sync (GET: 200 or 503 {"error"}) or async (everything that
 * changes state: 200 with the result, or 202 {"location"} and a job to poll
 * until it answers 200 or 503). The location names the management node's
 * own base URL, which may be an address only reachable inside its network,
 * so its scheme, host and port are replaced with endpoint='s. Polls back off
 * from POLL_FIRST_MS to POLL_MAX_MS and stop at job_timeout= (ETIMEDOUT).
 * The REST layer's own refusals (400, 403, 404, 405, 500) have plain-text
 * bodies: they are reported as text, never parsed as JSON (3.3).
 *
 * Requests that change state (login, create, export, logout) are sent with
 * idempotent=false: http.c never repeats them once they may have reached the
 * server. Queries and polls are idempotent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/timeparse.h"
#include "providers/crypto.h"
#include "providers/doc.h"
#include "providers/provider.h"
#include "providers/sign_zstack.h"

#define ZSTACK_INSTANCE "management-db"
#define ZSTACK_API "/zstack/v1"
#define ZSTACK_CONTENT_TYPE "application/json;charset=UTF-8"
#define ZSTACK_IMAGE_STORE "ImageStoreBackupStorage"
/* The AccessKey check refuses a Date more than 15 minutes off (2.5). */
#define ZSTACK_CLOCK_WINDOW_SECONDS 900
/* DatabaseBackupVO.name: at most 255 characters, as Java counts them. */
#define ZSTACK_NAME_MAX_UNITS 255
#define ZSTACK_BUCKET_MAX_BYTES 255
/* The server's default limit (3.5). */
#define ZSTACK_MAX_PAGE_SIZE 1000
#define ZSTACK_DEFAULT_JOB_TIMEOUT_MS (5 * 60 * 1000)
#define ZSTACK_SESSION_SIZE 128
#define POLL_FIRST_MS 250
#define POLL_MAX_MS 5000
#define LOGIN_REFUSAL_MS 30000
/* How many of the newest backups a mkdir looks through for its new one. */
#define NEWEST_BACKUPS 20

enum zstack_auth { ZSTACK_AUTH_SESSION, ZSTACK_AUTH_ACCESS_KEY };

struct zstack_state {
	enum zstack_auth auth;
	char *account;
	char password_hash[ZSTACK_PASSWORD_HASH_SIZE];  /* what LogInByAccount takes */
	char *access_key_id;
	struct config_secret access_key_secret;
	char *backup_storage;               /* backup_storage=, or NULL */
	char *timezone;                     /* the management node's zone */
	int64_t job_timeout_ms;
	unsigned long page_size;

	pthread_mutex_t lock;               /* guards everything below */
	char session[ZSTACK_SESSION_SIZE];  /* "" while logged out */
	unsigned long generation;           /* counts logins */
	int64_t refused_until_ms;           /* a refused login is not repeated before */
	struct dbb_error refusal;
};

/* The credentials one request went out with. */
struct credentials {
	char session[ZSTACK_SESSION_SIZE];  /* "" with an AccessKey */
	unsigned long generation;
};

/* ---- requests ----------------------------------------------------------- */

/* One API call as the code below describes it. */
struct zstack_call {
	const char *operation;    /* the API's name, for .stats and logs */
	const char *method;
	const char *path;         /* "/zstack/v1/...", query included */
	const char *body;         /* NULL: none */
	const char *final_key;    /* what a 200 must hold; NULL: any object */
	bool async;               /* a 202 {"location"} is a valid first answer */
	bool poll;                /* a job poll: 202 {} means still running */
	bool idempotent;
	bool anonymous;           /* sent without credentials */
	const char *log_path;     /* logged instead of path (it holds a token) */
};

/* Per request: what the signer sends and what the accept callback wants. */
struct exchange {
	const struct zstack_state *state;
	const struct zstack_call *call;
	const char *session;      /* OAuth session, "" for none */
	json_t *answer;           /* parsed body of an accepted 2xx */
};

/* Accepts a 2xx only when it is what the call can get: a 200 holding the
 * result, a 202 with a location (an async call) or a 202 {} (a job still
 * running). Anything else is a failed attempt (retried when that is safe). */
static bool answer_fits(const struct zstack_call *c, long status, const json_t *answer)
{
	if (!json_is_object(answer))
		return false;
	if (status == 200)
		return !c->final_key || json_object_get(answer, c->final_key);
	if (status == 202)
		return c->poll || (c->async && doc_str(answer, "location"));
	return false;
}

static int accept_answer(void *context, const struct http_response *resp)
{
	struct exchange *x = context;

	json_decref(x->answer);
	x->answer = doc_parse_json(resp->body ? resp->body : "", resp->length, NULL, 0);
	if (!answer_fits(x->call, resp->status, x->answer)) {
		json_decref(x->answer);
		x->answer = NULL;
		return -1;
	}
	return 0;
}

/* ZStack's 503 with an error object is the API's own failure (3.2): asking
 * again gives the same answer, so it is not retried. */
static bool is_api_failure(void *context, const struct http_response *resp)
{
	json_t *body = resp->status == 503 ?
		doc_parse_json(resp->body ? resp->body : "", resp->length, NULL, 0) : NULL;
	bool failure = doc_str(json_object_get(body, "error"), "code") != NULL;

	json_decref(body);
	return failure;
}

static int sign_request(void *context, const struct http_request *req,
			struct http_headers *headers, struct dbb_error *err)
{
	const struct exchange *x = context;
	const struct zstack_state *state = x->state;
	char date[ZSTACK_DATE_SIZE], *authorization = NULL, *line;
	int result;

	if (x->call->anonymous)
		return 0;
	if (state->auth == ZSTACK_AUTH_SESSION) {
		if (asprintf(&line, "OAuth %s", x->session) < 0)
			return dbb_error_set(err, ENOMEM, "out of memory");
		result = http_headers_add(headers, "Authorization", line);
		crypto_wipe(line, strlen(line));
		free(line);
		return result < 0 ? dbb_error_set(err, ENOMEM, "out of memory") : 0;
	}
	if (zstack_format_date(time(NULL), date) < 0 ||
	    zstack_authorization(req->method, req->target, date, state->access_key_id,
				 state->access_key_secret.value, &authorization) < 0)
		return dbb_error_set(err, EINVAL, "cannot sign the request");
	result = http_headers_add(headers, "Date", date) < 0 ||
		http_headers_add(headers, "Authorization", authorization) < 0 ? -ENOMEM : 0;
	crypto_wipe(authorization, strlen(authorization));
	free(authorization);
	return result < 0 ? dbb_error_set(err, ENOMEM, "out of memory") : 0;
}

/* ---- errors ------------------------------------------------------------- */

/* Error codes (3.4) and the interceptor messages of 4.3, by errno. A rule
 * with details applies when the details hold that text. */
static const struct {
	const char *code;
	const char *details;
	int errnum;
} error_rules[] = {
	{ "ID.1000", NULL, EACCES },          /* authentication */
	{ "ID.1001", NULL, EACCES },          /* session invalid, after one new login */
	{ "ID.1002", NULL, EACCES },          /* permission denied */
	{ "ID.1006", NULL, EAGAIN },          /* too many sessions */
	{ "SYS.1001", NULL, ETIMEDOUT },      /* timeout */
	{ "SYS.1003", NULL, ENOENT },         /* resource not found */
	{ "SYS.1006", "has been exported", EEXIST },
	{ "SYS.1006", "has not been exported", ENOENT },
	{ "SYS.1006", "not found in backup storage", ENOENT },
	{ "SYS.1006", "is not Enabled and Ready", EBUSY },
	{ "SYS.1006", "is not enabled and connected", EIO },
	{ "SYS.1007", "not found", ENOENT },  /* a uuid that does not exist */
	{ "SYS.1007", NULL, EINVAL },         /* another invalid argument */
};

static int errno_for_code(const char *code, const char *details, long status)
{
	for (size_t i = 0; i < sizeof(error_rules) / sizeof(error_rules[0]); i++)
		if (!strcmp(error_rules[i].code, code) &&
		    (!error_rules[i].details || strstr(details, error_rules[i].details)))
			return error_rules[i].errnum;
	return code[0] ? EIO : http_status_errno(status);
}

static bool is_code(const struct dbb_error *err, const char *code, const char *details)
{
	return !strcmp(err->code, code) && (!details || strstr(err->message, details));
}

/* The first line of a plain-text body, without control characters. */
static void plain_text(const struct http_response *resp, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; resp->body && i < resp->length && n + 1 < size; i++) {
		unsigned char c = (unsigned char)resp->body[i];

		if (c == '\n' || c == '\r')
			break;
		out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[n] = '\0';
}

/* {"error": {code, description, details}} on 503 (3.4); plain text on the
 * REST layer's own statuses (3.3). */
static void describe_failure(const struct http_response *resp, struct dbb_error *err)
{
	json_t *body = NULL, *error = NULL;
	char code[64] = "", description[200] = "", details[300] = "";

	if (resp->status == 200 || resp->status == 202 || resp->status == 503) {
		body = doc_parse_json(resp->body ? resp->body : "", resp->length, NULL, 0);
		error = json_object_get(body, "error");
	}
	if (error) {
		doc_field_text(error, "code", code, sizeof(code));
		doc_field_text(error, "description", description, sizeof(description));
		doc_field_text(error, "details", details, sizeof(details));
		dbb_error_set(err, errno_for_code(code, details, resp->status), "%s%s%s",
			      description, description[0] && details[0] ? ": " : "", details);
	} else if (resp->status >= 200 && resp->status < 300) {
		dbb_error_set(err, EIO, "HTTP %ld with an unexpected body", resp->status);
	} else {
		plain_text(resp, details, sizeof(details));
		dbb_error_set(err, http_status_errno(resp->status), "HTTP %ld%s%s",
			      resp->status, details[0] ? ": " : "", details);
		if (resp->status == 400 || resp->status == 404 || resp->status == 405 ||
		    resp->status == 409)
			err->errnum = EIO;    /* a request the REST layer cannot map */
	}
	dbb_error_set_code(err, code);
	err->http_status = (int)resp->status;
	err->duration_ms = resp->duration_ms;
	json_decref(body);
}

static void explain_failure(const struct profile *p, const struct http_response *resp,
			    struct dbb_error *err)
{
	const struct zstack_state *state = p->provider_state;

	describe_failure(resp, err);
	if (resp->status == 403 &&
	    http_explain_clock_skew(resp, ZSTACK_CLOCK_WINDOW_SECONDS, err))
		return;
	if (resp->status == 404 && strstr(err->message, "no api mapping")) {
		dbb_error_set_remedy(err, "check endpoint= of [%s] (http://<management node>:8080); "
				     "database backups need ZStack's Backup Service (Plus) module",
				     p->name);
	} else if (err->errnum == EACCES && state->auth == ZSTACK_AUTH_SESSION) {
		dbb_error_set_remedy(err, "check account= and the password (password=, "
				     "password_file= or ZSTACK_PASSWORD) of [%s]", p->name);
	} else if (err->errnum == EACCES) {
		dbb_error_set_remedy(err, "check access_key_id= and access_key_secret of [%s]",
				     p->name);
	} else if (is_code(err, "ID.1006", NULL)) {
		dbb_error_set_remedy(err, "the account has too many sessions open "
				     "(session.maxConcurrent); log some out or wait for them to expire");
	} else if (err->errnum == EBUSY) {
		dbb_error_set_remedy(err, "wait until the backup's status is ready "
				     "(user.backup.status), then try again");
	} else if (is_code(err, "SYS.1006", "is not enabled and connected")) {
		dbb_error_set_remedy(err, "reconnect the backup storage in ZStack, or use another");
	}
}

/* ---- one exchange --------------------------------------------------------- */

/* Sends one request with the given credentials. Returns 0 with the status
 * (200 or 202) and the parsed answer, or -errno with err filled. */
static int exchange(struct profile *p, const struct zstack_call *c,
		    const struct credentials *cred, long *status, json_t **answer,
		    struct dbb_error *err)
{
	struct zstack_state *state = p->provider_state;
	struct exchange x = { .state = state, .call = c, .session = cred ? cred->session : "" };
	struct http_headers headers;
	struct http_response resp;
	struct http_request req;
	char url[3072];
	int result;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", p->settings.endpoint, c->path) >=
	    sizeof(url))
		return dbb_error_set(err, ENAMETOOLONG, "%s: the request is too long", c->operation);
	http_headers_init(&headers);
	if (c->body && http_headers_add(&headers, "Content-Type", ZSTACK_CONTENT_TYPE) < 0) {
		http_headers_destroy(&headers);
		return dbb_error_set(err, ENOMEM, "out of memory");
	}
	req = (struct http_request) {
		.operation = c->operation,
		.method = c->method,
		.url = url,
		.target = c->path,
		.headers = &headers,
		.body = c->body,
		.body_length = c->body ? strlen(c->body) : 0,
		.idempotent = c->idempotent,
		.sign = sign_request,
		.sign_context = &x,
		.accept = accept_answer,
		.accept_context = &x,
		.final_answer = is_api_failure,
		.log_path = c->log_path,
	};
	result = http_perform(p->http, &req, &resp, err);
	http_headers_destroy(&headers);
	if (result < 0) {
		json_decref(x.answer);
		return result;
	}
	if ((resp.status != 200 && resp.status != 202) || !x.answer) {
		explain_failure(p, &resp, err);
		http_response_destroy(&resp);
		json_decref(x.answer);
		return -err->errnum;
	}
	*status = resp.status;
	*answer = x.answer;
	http_response_destroy(&resp);
	return 0;
}

/* ---- the session ------------------------------------------------------------ */

/* LogInByAccount; called with state->lock held. The body holds the password
 * hash, which is as good as the password to ZStack: it is wiped. */
static int login_locked(struct profile *p, struct dbb_error *err)
{
	struct zstack_state *state = p->provider_state;
	json_t *account_json = json_string(state->account);
	char *account = account_json ? json_dumps(account_json, JSON_ENCODE_ANY) : NULL;
	char *body = NULL;
	struct zstack_call c = {
		.operation = "LogInByAccount", .method = "PUT", .path = ZSTACK_API "/accounts/login",
		.final_key = "inventory", .anonymous = true,
		/* A failed login is not repeated: ZStack may lock the account. */
		.idempotent = false,
	};
	json_t *answer = NULL;
	const char *session;
	long status;
	int result;

	json_decref(account_json);
	if (clock_monotonic_ms() < state->refused_until_ms) {
		*err = state->refusal;
		err->duration_ms = 0;
		free(account);
		return -err->errnum;
	}
	if (!account || asprintf(&body, "{\"logInByAccount\":{\"accountName\":%s,\"password\":\"%s\"},"
				 "\"systemTags\":[],\"userTags\":[]}", account,
				 state->password_hash) < 0) {
		free(account);
		return dbb_error_set(err, ENOMEM, "out of memory");
	}
	free(account);
	c.body = body;
	result = exchange(p, &c, NULL, &status, &answer, err);
	crypto_wipe(body, strlen(body));
	free(body);
	if (result < 0) {
		if (is_code(err, "ID.1000", NULL)) {
			state->refusal = *err;
			state->refused_until_ms = clock_monotonic_ms() + LOGIN_REFUSAL_MS;
		}
		return result;
	}
	session = doc_str(json_object_get(answer, "inventory"), "uuid");
	if (!session || !crypto_is_token(session) || strlen(session) >= sizeof(state->session)) {
		json_decref(answer);
		return dbb_error_set(err, EIO, "LogInByAccount answered without a usable session");
	}
	snprintf(state->session, sizeof(state->session), "%s", session);
	state->generation++;
	json_decref(answer);
	return 0;
}

/* The credentials to send now: the current session (logging in first if
 * there is none), or nothing to fetch for an AccessKey. */
static int credentials_get(struct profile *p, struct credentials *out, struct dbb_error *err)
{
	struct zstack_state *state = p->provider_state;
	int result = 0;

	memset(out, 0, sizeof(*out));
	if (state->auth != ZSTACK_AUTH_SESSION)
		return 0;
	pthread_mutex_lock(&state->lock);
	if (!state->session[0])
		result = login_locked(p, err);
	if (result == 0) {
		memcpy(out->session, state->session, sizeof(out->session));
		out->generation = state->generation;
	}
	pthread_mutex_unlock(&state->lock);
	return result;
}

/* ID.1001 with the session of `seen`: log in again, unless another thread
 * already did since. */
static int session_renew(struct profile *p, const struct credentials *seen,
			 struct dbb_error *err)
{
	struct zstack_state *state = p->provider_state;
	bool mine = false;
	int result = 0;

	pthread_mutex_lock(&state->lock);
	if (state->generation == seen->generation) {
		mine = true;
		crypto_wipe(state->session, sizeof(state->session));
		result = login_locked(p, err);
	}
	pthread_mutex_unlock(&state->lock);
	if (mine && result == 0)
		log_msg(LOG_LEVEL_INFO, "[%s] the ZStack session expired; logged in again", p->name);
	return result;
}

static bool session_expired(const struct zstack_state *state, const struct dbb_error *err)
{
	return state->auth == ZSTACK_AUTH_SESSION && is_code(err, "ID.1001", NULL);
}

/* One call with credentials. An ID.1001 is followed by one new login and
 * one repeat of the call, unless *renewed says the operation had its one
 * already (see the top of the file for why the repeat is safe). *used gets
 * the credentials of the last attempt. */
static int call_with_session(struct profile *p, const struct zstack_call *c, bool *renewed,
			     struct credentials *used, long *status, json_t **answer,
			     struct dbb_error *err)
{
	struct zstack_state *state = p->provider_state;

	for (;;) {
		int result;

		if (credentials_get(p, used, err) < 0)
			return -err->errnum;
		result = exchange(p, c, used, status, answer, err);
		if (result == 0 || !session_expired(state, err) || *renewed)
			return result;
		*renewed = true;
		if (session_renew(p, used, err) < 0)
			return -err->errnum;
	}
}

/* A sync call (a query): 0 with the answer, or -errno. */
static int call_sync(struct profile *p, const char *operation, const char *path,
		     const char *final_key, json_t **answer, struct dbb_error *err)
{
	struct zstack_call c = {
		.operation = operation, .method = "GET", .path = path,
		.final_key = final_key, .idempotent = true,
	};
	struct credentials used;
	bool renewed = false;
	long status;

	return call_with_session(p, &c, &renewed, &used, &status, answer, err);
}

static void logout(struct profile *p)
{
	struct zstack_state *state = p->provider_state;
	struct zstack_call c = {
		.operation = "LogOut", .method = "DELETE", .anonymous = true,
		.final_key = NULL, .idempotent = false,
		.log_path = ZSTACK_API "/accounts/sessions/<session>",
	};
	struct dbb_error err;
	json_t *answer = NULL;
	char path[256];
	long status;

	if (state->auth != ZSTACK_AUTH_SESSION || !state->session[0] || !p->http)
		return;
	snprintf(path, sizeof(path), ZSTACK_API "/accounts/sessions/%s", state->session);
	c.path = path;
	dbb_error_clear(&err);
	if (exchange(p, &c, NULL, &status, &answer, &err) < 0)
		log_msg(LOG_LEVEL_INFO, "[%s] logging out of ZStack failed (%s); the session "
			"expires by itself", p->name, err.message);
	json_decref(answer);
	crypto_wipe(path, sizeof(path));
	crypto_wipe(state->session, sizeof(state->session));
}

/* ---- async calls and their jobs -------------------------------------------- */

/* The path of a job's location ("http://10.0.0.5:8080/zstack/v1/api-jobs/
 * <job>"), to be sent to endpoint= instead of the host it names. */
static int location_path(const char *location, char *out, size_t size)
{
	const char *scheme = strstr(location, "://");
	const char *path = scheme ? strchr(scheme + 3, '/') : location;

	if (!path || path[0] != '/' || !crypto_is_field_value(path) || strchr(path, ' ') ||
	    strlen(path) >= size)
		return -EINVAL;
	snprintf(out, size, "%s", path);
	return 0;
}

/* Waits for the next poll: *interval, growing by half each time up to
 * POLL_MAX_MS, but never past the deadline, so that the last poll comes at
 * the deadline itself. False once the deadline has passed. */
static bool wait_for_next_poll(int64_t *interval, int64_t deadline)
{
	int64_t remaining = deadline - clock_monotonic_ms();
	int64_t ms = *interval < remaining ? *interval : remaining;
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000000 };

	if (remaining <= 0)
		return false;
	nanosleep(&pause, NULL);
	*interval = *interval * 3 / 2 < POLL_MAX_MS ? *interval * 3 / 2 : POLL_MAX_MS;
	return true;
}

/* What a job poll found: still running (202), or the final answer. */
struct poll {
	const struct zstack_call *call;  /* the async call being waited for */
	char path[1024];
	const char *job;                 /* the job uuid, the last segment of path */
};

static int poll_start(struct poll *poll, const struct zstack_call *c, const json_t *accepted,
		      struct dbb_error *err)
{
	const char *location = doc_str(accepted, "location");

	poll->call = c;
	if (!location || location_path(location, poll->path, sizeof(poll->path)) < 0)
		return dbb_error_set(err, EIO, "%s: ZStack answered 202 with an unusable location",
				     c->operation);
	poll->job = strrchr(poll->path, '/') + 1;
	return 0;
}

/* One GET of the job: 0 with *status 202 (running) or 200 (*answer is the
 * result), or -errno with the job's error. */
static int poll_once(struct profile *p, const struct poll *poll, long *status,
		     json_t **answer, struct dbb_error *err)
{
	struct zstack_call c = {
		.operation = "PollApiJob", .method = "GET", .path = poll->path,
		.final_key = poll->call->final_key, .poll = true, .idempotent = true,
	};
	struct credentials cred;
	int result;

	/* The job handler checks no credentials, but the SDKs send them. */
	if (credentials_get(p, &cred, err) < 0)
		return -err->errnum;
	result = exchange(p, &c, &cred, status, answer, err);
	if (result < 0) {
		snprintf(err->request_id, sizeof(err->request_id), "%s", poll->job);
		if (err->http_status == 404)
			dbb_error_set_remedy(err, "ZStack forgot the job (jobs expire); look at the "
					     "backups to see whether it was done");
		else if (!err->code[0])
			dbb_error_set_remedy(err, "ZStack accepted the %s but could not be asked how "
					     "it went; it may still be done: look before asking again",
					     poll->call->operation);
	}
	return result;
}

static int job_timed_out(const struct profile *p, const struct poll *poll,
			 struct dbb_error *err)
{
	const struct zstack_state *state = p->provider_state;

	dbb_error_clear(err);
	dbb_error_set(err, ETIMEDOUT, "%s: the job was still running after %lld s",
		      poll->call->operation, (long long)(state->job_timeout_ms / 1000));
	snprintf(err->request_id, sizeof(err->request_id), "%s", poll->job);
	dbb_error_set_remedy(err, "it may still finish: look again later, or raise job_timeout= "
			     "of [%s]", p->name);
	return -ETIMEDOUT;
}

/* An async call carried through: its first answer is 200 (the result) or
 * 202 and a job, polled until it answers, until deadline. An ID.1001 from
 * the job means the call was refused before it was processed: one new
 * login, and the call is sent again. */
static int call_async(struct profile *p, const struct zstack_call *c, json_t **result,
		      struct dbb_error *err)
{
	const struct zstack_state *state = p->provider_state;
	int64_t deadline = clock_monotonic_ms() + state->job_timeout_ms;
	bool renewed = false;

	for (;;) {
		struct credentials used;
		struct poll poll;
		int64_t interval = POLL_FIRST_MS;
		json_t *answer = NULL;
		long status;
		int outcome;

		if (call_with_session(p, c, &renewed, &used, &status, &answer, err) < 0)
			return -err->errnum;
		if (status == 200) {
			*result = answer;
			return 0;
		}
		outcome = poll_start(&poll, c, answer, err);
		json_decref(answer);
		while (outcome == 0) {
			if (!wait_for_next_poll(&interval, deadline))
				return job_timed_out(p, &poll, err);
			answer = NULL;
			outcome = poll_once(p, &poll, &status, &answer, err);
			if (outcome == 0 && status == 200) {
				*result = answer;
				return 0;
			}
			json_decref(answer);
		}
		if (!session_expired(state, err) || renewed)
			return outcome;
		renewed = true;
		if (session_renew(p, &used, err) < 0)
			return -err->errnum;
	}
}

/* ---- queries ---------------------------------------------------------------- */

static void path_add(char *path, size_t size, const char *key, const char *value)
{
	char encoded[CRYPTO_PERCENT_SIZE(300)];
	size_t used = strlen(path);

	if (crypto_percent_encode(value, strlen(value), 0, encoded, sizeof(encoded)) < 0)
		encoded[0] = '\0';
	snprintf(path + used, size - used, "%s%s=%s", strchr(path, '?') ? "&" : "?", key,
		 encoded);
}

typedef int (*inventory_fn)(struct profile *p, const json_t *record, void *context);

/* Every page of a query (3.5): start counts records, total comes with
 * replyWithCount. An empty or short page ends the walk even if total says
 * more, so that a lying server cannot make us loop. */
static int query_all(struct profile *p, const char *operation, const char *resource,
		     const char *sort, inventory_fn add, void *context, struct dbb_error *err)
{
	struct zstack_state *state = p->provider_state;
	char page_size[24];
	int64_t start = 0, total;

	snprintf(page_size, sizeof(page_size), "%lu", state->page_size);
	for (;;) {
		char path[512], start_text[24];
		json_t *answer = NULL, *items, *item;
		size_t index, length;
		int result = 0;

		snprintf(path, sizeof(path), ZSTACK_API "/%s", resource);
		snprintf(start_text, sizeof(start_text), "%lld", (long long)start);
		path_add(path, sizeof(path), "replyWithCount", "true");
		path_add(path, sizeof(path), "start", start_text);
		path_add(path, sizeof(path), "limit", page_size);
		if (sort)
			path_add(path, sizeof(path), "sort", sort);
		if (call_sync(p, operation, path, "inventories", &answer, err) < 0)
			return -err->errnum;
		items = json_object_get(answer, "inventories");
		if (!json_is_array(items)) {
			json_decref(answer);
			return dbb_error_set(err, EIO, "%s: \"inventories\" is not a list", operation);
		}
		json_array_foreach(items, index, item)
			if (result == 0 && json_is_object(item))
				result = add(p, item, context);
		length = json_array_size(items);
		if (doc_int64(answer, "total", &total) < 0)
			total = -1;
		json_decref(answer);
		if (result < 0)
			return dbb_error_set(err, -result, "out of memory");
		start += (int64_t)length;
		if (length == 0 || length < state->page_size || (total >= 0 && start >= total))
			return 0;
	}
}

static int collect_inventory(struct profile *p, const json_t *record, void *context)
{
	return json_array_append((json_t *)context, (json_t *)record) < 0 ? -ENOMEM : 0;
}

/* ---- records ------------------------------------------------------------------ */

static void lower_case(char *text)
{
	for (; *text; text++)
		if (*text >= 'A' && *text <= 'Z')
			*text = (char)(*text - 'A' + 'a');
}

static int64_t field_time(const struct zstack_state *state, const json_t *record,
			  const char *key)
{
	char text[64];
	int64_t when;

	if (doc_field_text(record, key, text, sizeof(text)) < 0 || !text[0] ||
	    time_parse_zstack(text, state->timezone, &when) < 0)
		return ENTRY_TIME_UNKNOWN;
	return when;
}

/* Statuses that change by themselves: poll them. ZStack's code shows only
 * Creating and Ready (4.2); the others are the verbs of its other database
 * backup APIs, in case a version reports them. */
static const char *const transitional_statuses[] = {
	"creating", "deleting", "exporting", "syncing", "recovering", NULL,
};

static bool is_transitional(const char *status)
{
	for (size_t i = 0; transitional_statuses[i]; i++)
		if (!strcmp(transitional_statuses[i], status))
			return true;
	return false;
}

/* The exportUrl of the (backup, storage) pair, or of any storage when
 * storage_uuid is NULL; NULL when there is none. */
static const char *export_url(const json_t *backup, const char *storage_uuid)
{
	const json_t *refs = json_object_get(backup, "backupStorageRefs"), *ref;
	size_t index;

	json_array_foreach(refs, index, ref) {
		const char *url = doc_str(ref, "exportUrl");
		const char *storage = doc_str(ref, "backupStorageUuid");

		if ((!storage_uuid || (storage && !strcmp(storage, storage_uuid))) && url && *url)
			return url;
	}
	return NULL;
}

static const json_t *storage_ref(const json_t *backup, const char *storage_uuid)
{
	const json_t *refs = json_object_get(backup, "backupStorageRefs"), *ref;
	size_t index;

	json_array_foreach(refs, index, ref) {
		const char *storage = doc_str(ref, "backupStorageUuid");

		if (storage && !strcmp(storage, storage_uuid))
			return ref;
	}
	return NULL;
}

static int push_record(struct entry_builder *b, struct entry *e, const json_t *record,
		       struct entry_list *out)
{
	struct doc_flat flat = { 0 };

	if (record && doc_flatten(record, NULL, &flat) == 0)
		entry_builder_raw(b, flat.buf, flat.len);
	doc_flat_free(&flat);
	if (entry_builder_finish(b, e) < 0)
		return -ENOMEM;
	return entry_list_push(out, e);
}

/* A DatabaseBackupInventory (4.2). The backup's time is its createDate; it
 * is finished at lastOpDate, the time of its last change of status. A size
 * of 0 while it is being made is not known yet. */
static int add_backup(const struct zstack_state *state, const json_t *record,
		      struct entry_list *out)
{
	struct entry_builder b;
	struct entry e = { .size = ENTRY_SIZE_UNKNOWN };
	char uuid[128], name[1024], status[64];
	const char *url = export_url(record, NULL);
	int64_t size;

	if (doc_field_text(record, "uuid", uuid, sizeof(uuid)) < 0 || !uuid[0])
		return 0;   /* a record without its key cannot be addressed */
	if (doc_field_text(record, "name", name, sizeof(name)) < 0 || !name[0])
		snprintf(name, sizeof(name), "%s", uuid);
	if (doc_field_text(record, "status", status, sizeof(status)) < 0)
		status[0] = '\0';
	lower_case(status);
	e.transitional = is_transitional(status);
	if (doc_int64(record, "size", &size) == 0 && size >= 0 && !(size == 0 && e.transitional))
		e.size = size;
	e.begin_time = field_time(state, record, "createDate");
	e.end_time = e.transitional ? ENTRY_TIME_UNKNOWN : field_time(state, record, "lastOpDate");
	e.readable = url ? ENTRY_READABLE_YES : ENTRY_READABLE_AFTER_EXPORT;
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, uuid);
	entry_builder_text(&b, ENTRY_NAME, name);
	entry_builder_text(&b, ENTRY_STATUS, status);
	entry_builder_text(&b, ENTRY_TYPE, "full");     /* a whole mysqldump (4.1) */
	entry_builder_text(&b, ENTRY_ENGINE, "mysql");
	entry_builder_text(&b, ENTRY_EXPORTED_TO, url);
	return push_record(&b, &e, record, out);
}

/* ---- listing -------------------------------------------------------------------- */

/* One read-only call proves the credentials and that the endpoint has the
 * database backup API (Backup Service (Plus), 4.1); the instance itself is
 * implied by ZStack. Its time is that of the newest backup. */
static int zstack_list_instances(struct profile *p, struct entry_list *out,
				 struct dbb_error *err)
{
	struct entry_builder b;
	struct entry e = { .size = ENTRY_SIZE_UNKNOWN };
	json_t *answer = NULL;

	if (call_sync(p, "QueryDatabaseBackup",
		      ZSTACK_API "/database-backups?start=0&limit=1&sort=-createDate",
		      "inventories", &answer, err) < 0)
		return -err->errnum;
	e.begin_time = field_time(p->provider_state,
				  json_array_get(json_object_get(answer, "inventories"), 0),
				  "createDate");
	e.end_time = e.begin_time;
	json_decref(answer);
	entry_builder_init(&b);
	entry_builder_text(&b, ENTRY_ID, ZSTACK_INSTANCE);
	entry_builder_text(&b, ENTRY_NAME, ZSTACK_INSTANCE);
	entry_builder_text(&b, ENTRY_ENGINE, "mysql");
	return push_record(&b, &e, NULL, out) < 0 ?
		dbb_error_set(err, ENOMEM, "out of memory") : 0;
}

struct backup_walk {
	struct entry_list *out;
	json_t *seen;             /* uuid -> true: a backup made while we page is not
				   * listed twice when it shifts the pages */
};

static int walk_backup(struct profile *p, const json_t *record, void *context)
{
	struct backup_walk *walk = context;
	const char *uuid = doc_str(record, "uuid");

	if (uuid && json_object_get(walk->seen, uuid))
		return 0;
	if (uuid && json_object_set_new(walk->seen, uuid, json_true()) < 0)
		return -ENOMEM;
	return add_backup(p->provider_state, record, walk->out);
}

/* Newest first (zstack.md 8), so that a backup made during the walk shifts
 * the pages already read rather than the ones to come. */
static int zstack_list_backups(struct profile *p, const struct entry *instance,
			       struct entry_list *out, struct dbb_error *err)
{
	struct backup_walk walk = { out, json_object() };
	int result;

	if (!walk.seen)
		return dbb_error_set(err, ENOMEM, "out of memory");
	result = query_all(p, "QueryDatabaseBackup", "database-backups", "-createDate",
			   walk_backup, &walk, err);
	json_decref(walk.seen);
	return result;
}

/* ---- backup storages ---------------------------------------------------------- */

/* Every backup storage, as a new JSON array. */
static int list_storages(struct profile *p, json_t **out, struct dbb_error *err)
{
	*out = json_array();
	if (!*out)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (query_all(p, "QueryBackupStorage", "backup-storage", NULL, collect_inventory,
		      *out, err) < 0) {
		json_decref(*out);
		*out = NULL;
		return -err->errnum;
	}
	return 0;
}

/* "a, b, c" of the storages' names (with their types when given). */
static void storage_names(const json_t *storages, const char *type, char *out, size_t size)
{
	const json_t *storage;
	size_t index, used = 0;

	out[0] = '\0';
	json_array_foreach(storages, index, storage) {
		const char *name = doc_str(storage, "name"), *kind = doc_str(storage, "type");

		if (type && (!kind || strcmp(kind, type)))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "",
					 name ? name : "?");
		if (used >= size)
			return;
	}
}

/* The storage that `wanted` names: its uuid, else its name, which must then
 * be unique. *match borrows from storages. */
static int find_storage(const struct profile *p, const json_t *storages, const char *wanted,
			const json_t **match, struct dbb_error *err)
{
	const json_t *storage;
	size_t index, named = 0;

	*match = NULL;
	json_array_foreach(storages, index, storage) {
		const char *uuid = doc_str(storage, "uuid");

		if (uuid && !strcmp(uuid, wanted)) {
			*match = storage;
			return 0;
		}
	}
	json_array_foreach(storages, index, storage) {
		const char *name = doc_str(storage, "name");

		if (name && !strcmp(name, wanted)) {
			*match = storage;
			named++;
		}
	}
	if (named == 1)
		return 0;
	if (named > 1) {
		dbb_error_set(err, EINVAL, "%zu backup storages are named \"%s\"", named, wanted);
		dbb_error_set_remedy(err, "name the backup storage by its uuid");
		return -EINVAL;
	}
	{
		char names[200];

		storage_names(storages, NULL, names, sizeof(names));
		dbb_error_set(err, ENOENT, "no backup storage is named \"%s\" or has that uuid",
			      wanted);
		dbb_error_set_remedy(err, "the backup storages of [%s] are: %s", p->name,
				     names[0] ? names : "none");
	}
	return -ENOENT;
}

/* Where mkdir puts a backup: backup_storage=, else the only ImageStore
 * backup storage there is. *uuid_out gets a copy of its uuid. */
static int storage_for_create(struct profile *p, char *uuid_out, size_t size,
			      struct dbb_error *err)
{
	const struct zstack_state *state = p->provider_state;
	const json_t *match = NULL, *storage;
	json_t *storages;
	size_t index, found = 0;
	int result = 0;

	if (list_storages(p, &storages, err) < 0)
		return -err->errnum;
	if (state->backup_storage) {
		result = find_storage(p, storages, state->backup_storage, &match, err);
	} else {
		json_array_foreach(storages, index, storage) {
			const char *type = doc_str(storage, "type");

			if (type && !strcmp(type, ZSTACK_IMAGE_STORE)) {
				match = storage;
				found++;
			}
		}
		if (found != 1) {
			char names[200];

			storage_names(storages, ZSTACK_IMAGE_STORE, names, sizeof(names));
			result = found ? dbb_error_set(err, EINVAL, "[%s] has %zu ImageStore backup "
						       "storages (%s) and no backup_storage=",
						       p->name, found, names) :
				dbb_error_set(err, ENOENT, "ZStack has no ImageStore backup storage, "
					      "where database backups are kept");
			dbb_error_set_remedy(err, "name one with backup_storage= in [%s]", p->name);
		}
	}
	if (result == 0)
		snprintf(uuid_out, size, "%s", doc_str(match, "uuid") ? doc_str(match, "uuid") : "");
	json_decref(storages);
	return result;
}

/* ---- mkdir ---------------------------------------------------------------------- */

/* ZStack's rule for a database backup's name (4.2): required, at most 255
 * characters as Java counts them (UTF-16 units). We also refuse invalid
 * UTF-8 (JSON cannot carry it) and control characters (a name is a line in
 * logs and status files). */
static int zstack_check_backup_name(struct profile *p, const char *name,
				    struct dbb_error *err)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t units = 0;
	const char *problem = NULL;

	while (*s && !problem) {
		uint32_t c;
		size_t length = utf8_decode(s, &c);

		if (length == 0)
			problem = "is not valid UTF-8";
		else if (c < 0x20 || c == 0x7f)
			problem = "holds a control character";
		else
			units += c > 0xffff ? 2 : 1;
		s += length ? length : 1;
	}
	if (!problem && units == 0)
		problem = "is empty";
	if (!problem && units > ZSTACK_NAME_MAX_UNITS)
		problem = "is longer than 255 characters";
	if (!problem)
		return 0;
	dbb_error_set(err, EINVAL, "backup name \"%s\" %s", name, problem);
	dbb_error_set_remedy(err, "use 1 to 255 characters of UTF-8 text without control characters");
	return -EINVAL;
}

/* The uuids of the newest backups called name, into seen (uuid -> true);
 * with *found, whether one not already in seen turned up. */
static int newest_named(struct profile *p, const char *name, json_t *seen, bool *found,
			struct dbb_error *err)
{
	char path[256], limit[16];
	json_t *answer = NULL, *item;
	size_t index;

	snprintf(path, sizeof(path), ZSTACK_API "/database-backups");
	snprintf(limit, sizeof(limit), "%d", NEWEST_BACKUPS);
	path_add(path, sizeof(path), "start", "0");
	path_add(path, sizeof(path), "limit", limit);
	path_add(path, sizeof(path), "sort", "-createDate");
	if (call_sync(p, "QueryDatabaseBackup", path, "inventories", &answer, err) < 0)
		return -err->errnum;
	*found = false;
	json_array_foreach(json_object_get(answer, "inventories"), index, item) {
		const char *uuid = doc_str(item, "uuid"), *named = doc_str(item, "name");

		if (!uuid || !named || strcmp(named, name) || json_object_get(seen, uuid))
			continue;
		*found = true;
		json_object_set_new(seen, uuid, json_true());
	}
	json_decref(answer);
	return 0;
}

/* After CreateDatabaseBackup's 202: the job is accepted once ZStack shows
 * the new backup (status Creating), or once the job has an answer. A job
 * refused by an interceptor (ID.1001 above all) answers at once; a backup
 * that appears proves the job passed them. We do not wait for the backup to
 * be Ready. */
static int confirm_create(struct profile *p, const struct zstack_call *c, const json_t *accepted,
			  const char *name, json_t *before, struct dbb_error *err)
{
	const struct zstack_state *state = p->provider_state;
	int64_t deadline = clock_monotonic_ms() + state->job_timeout_ms;
	int64_t interval = POLL_FIRST_MS;
	struct poll poll;

	if (poll_start(&poll, c, accepted, err) < 0)
		return -err->errnum;
	for (;;) {
		json_t *answer = NULL;
		bool found = false;
		long status;

		if (!wait_for_next_poll(&interval, deadline))
			return job_timed_out(p, &poll, err);
		if (poll_once(p, &poll, &status, &answer, err) < 0)
			return -err->errnum;
		json_decref(answer);
		if (status == 200)
			return 0;
		if (newest_named(p, name, before, &found, err) < 0)
			return -err->errnum;
		if (found)
			return 0;
	}
}

/* CreateDatabaseBackup (4.3), sent once: a second backup is worse than an
 * error. It returns once ZStack accepted the job, not when the backup is
 * Ready; the listing then shows it "creating" and polls it. */
static int zstack_create_backup(struct profile *p, const struct entry *instance,
				const char *name, struct dbb_error *err)
{
	struct zstack_call c = {
		.operation = "CreateDatabaseBackup", .method = "POST",
		.path = ZSTACK_API "/database-backups", .final_key = "inventory",
		.async = true, .idempotent = false,
	};
	char storage[128];
	json_t *body_json, *before = json_object(), *answer = NULL;
	char *body = NULL;
	bool renewed = false, found;
	int result;

	if (!before)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (storage_for_create(p, storage, sizeof(storage), err) < 0 ||
	    newest_named(p, name, before, &found, err) < 0) {
		json_decref(before);
		return -err->errnum;
	}
	body_json = json_pack("{s:{s:s,s:s},s:[],s:[]}", "params", "name", name,
			      "backupStorageUuid", storage, "systemTags", "userTags");
	body = body_json ? json_dumps(body_json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body_json);
	if (!body) {
		json_decref(before);
		return dbb_error_set(err, ENOMEM, "out of memory");
	}
	c.body = body;
	for (;;) {
		struct credentials used;
		long status;

		result = call_with_session(p, &c, &renewed, &used, &status, &answer, err);
		if (result == 0 && status == 202)
			result = confirm_create(p, &c, answer, name, before, err);
		json_decref(answer);
		answer = NULL;
		if (result == 0 || !session_expired(p->provider_state, err) || renewed)
			break;
		/* Refused by the identity check, so nothing was made: safe to send
		 * again after a new login (see the top of the file). */
		renewed = true;
		if (session_renew(p, &used, err) < 0) {
			result = -err->errnum;
			break;
		}
	}
	free(body);
	json_decref(before);
	return result;
}

/* ---- export --------------------------------------------------------------------- */

/* A backup storage name or uuid: the syntax only, before any request; the
 * name is resolved by the export itself, so that an unknown one shows in the
 * control file. */
static int zstack_check_bucket_name(struct profile *p, const char *bucket,
				    struct dbb_error *err)
{
	size_t length = strlen(bucket);

	if (length > 0 && length <= ZSTACK_BUCKET_MAX_BYTES && crypto_is_field_value(bucket) &&
	    !strchr(bucket, '\t'))
		return 0;
	dbb_error_set(err, EINVAL, "\"%s\" is not a backup storage name or uuid", bucket);
	dbb_error_set_remedy(err, "write the name or uuid of a ZStack backup storage "
			     "(1 to 255 bytes, one line)");
	return -EINVAL;
}

/* The backup's inventory now (GET /database-backups/{uuid}: 200 with an
 * empty list when it is gone, 0.5). *out is a new reference. */
static int fetch_backup(struct profile *p, const char *uuid, json_t **out,
			struct dbb_error *err)
{
	char path[256];
	json_t *answer = NULL, *record;

	snprintf(path, sizeof(path), ZSTACK_API "/database-backups/%s", uuid);
	if (call_sync(p, "QueryDatabaseBackup", path, "inventories", &answer, err) < 0)
		return -err->errnum;
	record = json_array_get(json_object_get(answer, "inventories"), 0);
	*out = json_is_object(record) ? json_incref(record) : NULL;
	json_decref(answer);
	if (!*out)
		return dbb_error_set(err, ENOENT, "database backup %s is gone", uuid);
	return 0;
}

static void export_done(struct export_result *out, const char *url)
{
	out->folder[0] = '\0';
	snprintf(out->destination, sizeof(out->destination), "%s", url);
	snprintf(out->result, sizeof(out->result), "%s", url);
	out->done = true;
}

/* After "has been exported" (SYS.1006): the URL of the earlier export. */
static int existing_export(struct profile *p, const char *backup_uuid,
			   const char *storage_uuid, struct export_result *out,
			   struct dbb_error *err)
{
	json_t *record = NULL;
	const char *url;

	if (fetch_backup(p, backup_uuid, &record, err) < 0)
		return -err->errnum;
	url = export_url(record, storage_uuid);
	if (url)
		export_done(out, url);
	else
		dbb_error_set(err, EIO, "ZStack says the backup was exported from that storage, "
			      "but shows no exportUrl");
	json_decref(record);
	return url ? 0 : -EIO;
}

static int export_call(struct profile *p, const char *backup_uuid, const char *storage_uuid,
		       struct export_result *out, struct dbb_error *err)
{
	char path[256];
	struct zstack_call c = {
		.operation = "ExportDatabaseBackupFromBackupStorage", .method = "PUT",
		.path = path, .final_key = "databaseBackupUrl",
		/* The action key names the API (0.2); tags sit next to it. */
		.body = "{\"exportDatabaseBackupFromBackupStorage\":{},\"systemTags\":[],"
			"\"userTags\":[]}",
		.async = true, .idempotent = false,
	};
	json_t *result = NULL;
	const char *url;
	bool done;

	snprintf(path, sizeof(path), ZSTACK_API "/database-backups/%s/backup-storage/%s/actions",
		 backup_uuid, storage_uuid);
	if (call_async(p, &c, &result, err) < 0) {
		if (is_code(err, "SYS.1006", "has been exported"))
			return existing_export(p, backup_uuid, storage_uuid, out, err);
		return -err->errnum;
	}
	url = doc_str(result, "databaseBackupUrl");
	done = url && *url;
	if (done)
		export_done(out, url);
	else
		dbb_error_set(err, EIO, "the export finished without a databaseBackupUrl");
	json_decref(result);
	return done ? 0 : -EIO;
}

/* ExportDatabaseBackupFromBackupStorage, carried through to its URL. A
 * backup exports once per storage (0.3): an exportUrl already there is the
 * answer, and no call is made. */
static int zstack_export_backup(struct profile *p, const struct entry *instance,
				const struct entry *backup, const char *bucket,
				struct export_result *out, struct dbb_error *err)
{
	const char *backup_uuid = entry_text(backup, ENTRY_ID);
	json_t *storages = NULL, *record = NULL;
	const json_t *storage;
	char storage_uuid[128];
	const char *url;
	int result;

	if (list_storages(p, &storages, err) < 0)
		return -err->errnum;
	result = find_storage(p, storages, bucket, &storage, err);
	if (result == 0)
		snprintf(storage_uuid, sizeof(storage_uuid), "%s",
			 doc_str(storage, "uuid") ? doc_str(storage, "uuid") : "");
	json_decref(storages);
	if (result < 0 || fetch_backup(p, backup_uuid, &record, err) < 0)
		return -err->errnum;
	if (!storage_ref(record, storage_uuid)) {
		dbb_error_set(err, ENOENT, "backup %s is not on backup storage %s",
			      entry_text(backup, ENTRY_NAME), bucket);
		dbb_error_set_remedy(err, "export it from a storage that holds it: see "
				     "user.api.backupStorageRefs.*.backupStorageUuid");
		result = -ENOENT;
	} else if ((url = export_url(record, storage_uuid))) {
		export_done(out, url);
	} else {
		result = export_call(p, backup_uuid, storage_uuid, out, err);
	}
	json_decref(record);
	return result;
}

/* ---- content -------------------------------------------------------------------- */

/* The exportUrl is a plain HTTP URL on the backup storage's host: no ZStack
 * credentials, no expiry (it lives until DeleteExported...). */
static int zstack_open_content(struct profile *p, const struct entry *instance,
			       const struct entry *backup, struct content_source *out,
			       struct dbb_error *err)
{
	const char *url = entry_text(backup, ENTRY_EXPORTED_TO);

	if (!url[0]) {
		dbb_error_set(err, ENODATA, "ZStack serves a backup's bytes only once it is "
			      "exported from a backup storage, and this one is not");
		dbb_error_set_remedy(err, "write a backup storage name into %s/%s/.export/%s",
				     p->name, entry_text(instance, ENTRY_NAME),
				     backup->file_name ? backup->file_name :
				     entry_text(backup, ENTRY_NAME));
		return -ENODATA;
	}
	out->url = strdup(url);
	if (!out->url)
		return dbb_error_set(err, ENOMEM, "out of memory");
	http_headers_init(&out->headers);
	out->expires_at = 0;
	out->size = backup->size >= 0 ? backup->size : -1;
	out->sign = NULL;
	out->sign_context = NULL;
	return 0;
}

/* ---- set-up ----------------------------------------------------------------------- */

static const char *const account_variables[] = { "ZSTACK_ACCOUNT", NULL };
static const char *const password_variables[] = { "ZSTACK_PASSWORD", NULL };
static const char *const access_key_id_variables[] = { "ZSTACK_ACCESS_KEY_ID", NULL };
static const char *const access_key_secret_variables[] = { "ZSTACK_ACCESS_KEY_SECRET", NULL };

static const char *first_set(const struct config_section *s, const char *key,
			     const char *const *variables)
{
	const char *value = config_get(s, key);

	if (value && *value)
		return value;
	for (; variables && *variables; variables++)
		if ((value = getenv(*variables)) && *value)
			return value;
	return NULL;
}

static int config_line(const struct config_section *s, const char *key)
{
	const struct config_entry *entry = config_find(s, key);

	return entry ? entry->line : s->line;
}

static int read_session_credentials(struct zstack_state *state, const struct config *c,
				    const struct config_section *s, const char *profile,
				    const char *account, struct dbb_error *err)
{
	struct config_secret password = { 0 };
	int result;

	state->account = strdup(account);
	if (!state->account)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (config_read_secret(c, s, "password", password_variables, &password, err) < 0) {
		config_secret_free(&password);
		return -err->errnum;
	}
	if (!password.value) {
		config_secret_free(&password);
		return dbb_error_set(err, EINVAL, "%s:%d: [%s] has account= but no password, "
				     "password_file= (nor ZSTACK_PASSWORD)", c->path, s->line, profile);
	}
	result = zstack_password_hash(password.value, state->password_hash);
	config_secret_free(&password);
	return result < 0 ? dbb_error_set(err, EIO, "cannot hash the password") : 0;
}

static int read_access_key(struct zstack_state *state, const struct config *c,
			   const struct config_section *s, const char *profile,
			   const char *key_id, struct dbb_error *err)
{
	if (!crypto_is_token(key_id) || strchr(key_id, ':'))
		return dbb_error_set(err, EINVAL, "%s:%d: access_key_id is not a key id",
				     c->path, config_line(s, "access_key_id"));
	state->access_key_id = strdup(key_id);
	if (!state->access_key_id)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (config_read_secret(c, s, "access_key_secret", access_key_secret_variables,
			       &state->access_key_secret, err) < 0)
		return -err->errnum;
	if (!state->access_key_secret.value)
		return dbb_error_set(err, EINVAL, "%s:%d: [%s] has access_key_id= but no "
				     "access_key_secret or access_key_secret_file= (nor "
				     "ZSTACK_ACCESS_KEY_SECRET)", c->path, s->line, profile);
	return 0;
}

/* account= (a session) or access_key_id= (an AccessKey), from the file or,
 * when the file names neither, from the environment. */
static int read_credentials(struct zstack_state *state, const struct config *c,
			    const struct config_section *s, const char *profile,
			    struct dbb_error *err)
{
	const char *account = config_get(s, "account");
	const char *key_id = config_get(s, "access_key_id");
	static const char *const foreign[] = { "access_key", "secret_key", "secret_key_file", NULL };

	for (size_t i = 0; foreign[i]; i++)
		if (config_get(s, foreign[i])) {
			dbb_error_set(err, EINVAL, "%s:%d: [%s] is a ZStack profile: %s= is not used",
				      c->path, config_line(s, foreign[i]), profile, foreign[i]);
			dbb_error_set_remedy(err, "use account= and password_file=, or "
					     "access_key_id= and access_key_secret_file=");
			return -EINVAL;
		}
	if (account && *account && key_id && *key_id)
		return dbb_error_set(err, EINVAL, "%s:%d: [%s] has both account= and access_key_id=: "
				     "choose one", c->path, config_line(s, "access_key_id"), profile);
	if (!(account && *account) && !(key_id && *key_id)) {
		key_id = first_set(s, "access_key_id", access_key_id_variables);
		account = key_id ? NULL : first_set(s, "account", account_variables);
	}
	if (key_id && *key_id) {
		state->auth = ZSTACK_AUTH_ACCESS_KEY;
		return read_access_key(state, c, s, profile, key_id, err);
	}
	if (account && *account) {
		state->auth = ZSTACK_AUTH_SESSION;
		return read_session_credentials(state, c, s, profile, account, err);
	}
	dbb_error_set(err, EINVAL, "%s:%d: [%s] has neither account= nor access_key_id= "
		      "(nor ZSTACK_ACCOUNT or ZSTACK_ACCESS_KEY_ID)", c->path, s->line, profile);
	dbb_error_set_remedy(err, "add account= and password_file=, or access_key_id= and "
			     "access_key_secret_file=");
	return -EINVAL;
}

static int read_settings(struct zstack_state *state, const struct config *c,
			 const struct config_section *s, struct dbb_error *err)
{
	const char *storage = config_get(s, "backup_storage");
	const char *zone = config_get(s, "timezone");
	unsigned long job_timeout;
	int32_t offset;

	if (config_get_duration_ms(c, s, "job_timeout", ZSTACK_DEFAULT_JOB_TIMEOUT_MS, 1000,
				   86400000UL, &job_timeout, err) < 0 ||
	    config_get_uint(c, s, "page_size", ZSTACK_MAX_PAGE_SIZE, 1, ZSTACK_MAX_PAGE_SIZE,
			    &state->page_size, err) < 0)
		return -err->errnum;
	state->job_timeout_ms = (int64_t)job_timeout;
	state->timezone = strdup(zone && *zone ? zone : "UTC");
	state->backup_storage = storage && *storage ? strdup(storage) : NULL;
	if (!state->timezone || (storage && *storage && !state->backup_storage))
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (time_zone_offset(state->timezone, (int64_t)time(NULL), &offset) < 0) {
		dbb_error_set(err, EINVAL, "%s:%d: timezone '%s' is not a time zone",
			      c->path, config_line(s, "timezone"), state->timezone);
		dbb_error_set_remedy(err, "use the management node's zone: an IANA name "
				     "(Asia/Shanghai) or an offset (+08:00)");
		return -EINVAL;
	}
	return 0;
}

/* endpoint= is the management node's base URL; "/zstack" (or "/zstack/v1")
 * copied from a curl example is dropped, since every path carries it. */
static void trim_endpoint(struct profile *p)
{
	static const char *const suffixes[] = { "/zstack/v1", "/zstack", NULL };
	char *endpoint = p->settings.endpoint;

	for (size_t i = 0; suffixes[i]; i++) {
		size_t length = strlen(endpoint), suffix = strlen(suffixes[i]);

		if (length > suffix && !strcmp(endpoint + length - suffix, suffixes[i])) {
			endpoint[length - suffix] = '\0';
			return;
		}
	}
}

static int zstack_init(struct profile *p, const struct config *c,
		       const struct config_section *s, struct dbb_error *err)
{
	struct zstack_state *state = calloc(1, sizeof(*state));

	if (!state)
		return dbb_error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&state->lock, NULL);
	p->provider_state = state;
	trim_endpoint(p);
	if (read_credentials(state, c, s, p->name, err) < 0 ||
	    read_settings(state, c, s, err) < 0)
		return -err->errnum;
	return 0;
}

static void zstack_fini(struct profile *p)
{
	struct zstack_state *state = p->provider_state;

	logout(p);
	crypto_wipe(state->password_hash, sizeof(state->password_hash));
	crypto_wipe(&state->refusal, sizeof(state->refusal));
	config_secret_free(&state->access_key_secret);
	free(state->account);
	free(state->access_key_id);
	free(state->backup_storage);
	free(state->timezone);
	pthread_mutex_destroy(&state->lock);
	free(state);
	p->provider_state = NULL;
}

static const char *const zstack_keys[] = {
	"account", "password", "password_file", "access_key_id", "access_key_secret",
	"access_key_secret_file", "backup_storage", "timezone", "job_timeout", "page_size",
	NULL,
};

const struct provider_kind zstack_kind = {
	.name = "zstack",
	.summary = "ZStack platform database backups",
	.capabilities = PROVIDER_CAN_LIST | PROVIDER_CAN_MKDIR | PROVIDER_CAN_EXPORT |
		PROVIDER_CAN_READ,
	.default_endpoint = "http://localhost:8080",
	.default_region = "",
	.request_id_header = NULL,
	.config_keys = zstack_keys,
	.init = zstack_init,
	.fini = zstack_fini,
	.list_instances = zstack_list_instances,
	.list_backups = zstack_list_backups,
	.check_backup_name = zstack_check_backup_name,
	.create_backup = zstack_create_backup,
	.check_bucket_name = zstack_check_bucket_name,
	.export_backup = zstack_export_backup,
	.open_content = zstack_open_content,
};
