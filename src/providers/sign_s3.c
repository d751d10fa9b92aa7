/*
 * sign_s3.c: AWS Signature Version 4 for S3 and S3-compatible stores. The
 * rules and the reasons for each choice are in sign_s3.h.
 */
#include "providers/sign_s3.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One header in canonical form. Both strings are owned; order is the
 * position in the caller's list, so that repeated names keep their order
 * through qsort, which is not stable. */
struct canonical_header {
	char *name;
	char *value;
	size_t order;
};

struct canonical {
	char *request;        /* the canonical request */
	char *signed_headers; /* "h1;h2;..." */
	char amz_date[S3_AMZ_DATE_SIZE];
};

/* ---- input checks -------------------------------------------------------- */

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Also bounds the length, so that it fits s3_signature.content_sha256. */
static bool is_payload_hash(const char *s)
{
	size_t i;

	if (!s)
		return false;
	if (!strcmp(s, S3_UNSIGNED_PAYLOAD))
		return true;
	for (i = 0; s[i]; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return i == 2 * CRYPTO_SHA256_LEN;
}

/* Not a token check: "host:port" and "[::1]:9000" are fine. */
static bool is_host(const char *s)
{
	return s && *s && crypto_is_field_value(s) && !strpbrk(s, " \t");
}

/* Region and service become path-like parts of the scope. */
static bool is_scope_part(const char *s)
{
	return crypto_is_token(s) && !strchr(s, '/');
}

static bool valid_request(const struct s3_request *req,
			  const struct s3_credentials *cred)
{
	return req && cred && crypto_is_method(req->method) &&
	       is_host(req->host) && req->path && req->path[0] == '/' &&
	       is_payload_hash(req->payload_hash) &&
	       (req->query || req->query_count == 0) &&
	       (req->headers || req->header_count == 0) &&
	       is_scope_part(cred->region) && is_scope_part(cred->service);
}

/* The headers the signer owns; the caller may not list them. */
static bool is_reserved_header(const char *lower_name)
{
	return !strcmp(lower_name, "host") ||
	       !strcmp(lower_name, "x-amz-date") ||
	       !strcmp(lower_name, "x-amz-content-sha256");
}

/* ---- canonical headers --------------------------------------------------- */

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	char *p;

	for (p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims the value and folds every inner run of blanks into one space, as
 * SigV4 specifies (the get-header-value-trim vector). */
static char *normalized_value(const char *s)
{
	char *d = malloc(strlen(s) + 1);
	size_t o = 0;

	if (!d)
		return NULL;
	while (is_blank(*s))
		s++;
	for (; *s; s++) {
		if (!is_blank(*s))
			d[o++] = *s;
		else if (s[1] && !is_blank(s[1]))
			d[o++] = ' ';
	}
	d[o] = '\0';
	return d;
}

static int compare_headers(const void *a, const void *b)
{
	const struct canonical_header *x = a, *y = b;
	int by_name = strcmp(x->name, y->name);

	if (by_name)
		return by_name;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void free_headers(struct canonical_header *headers, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(headers[i].name);
		free(headers[i].value);
	}
	free(headers);
}

static int set_header(struct canonical_header *header, const char *name,
		      const char *value, size_t order)
{
	value = value ? value : "";
	if (!crypto_is_token(name) || !crypto_is_field_value(value))
		return -EINVAL;
	header->name = lower_dup(name);
	header->value = normalized_value(value);
	header->order = order;
	if (!header->name || !header->value)
		return -ENOMEM;
	return 0;
}

static int add_callers_headers(struct canonical_header *headers,
			       const struct s3_request *req)
{
	size_t i;
	int rc;

	for (i = 0; i < req->header_count; i++) {
		rc = set_header(&headers[i], req->headers[i].name,
				req->headers[i].value, i);
		if (rc)
			return rc;
		if (is_reserved_header(headers[i].name))
			return -EINVAL;
	}
	return 0;
}

/* The caller's headers plus the ones the signer owns, sorted by name and
 * then by the caller's order. Sets *out to an owned array of *count. */
static int collect_headers(const struct s3_request *req,
			   const struct s3_credentials *cred,
			   const char *amz_date,
			   struct canonical_header **out, size_t *count)
{
	size_t n = req->header_count;
	struct canonical_header *headers = calloc(n + 3, sizeof(*headers));
	int rc;

	if (!headers)
		return -ENOMEM;
	rc = add_callers_headers(headers, req);
	if (!rc)
		rc = set_header(&headers[n], "host", req->host, n);
	if (!rc)
		rc = set_header(&headers[n + 1], "x-amz-date", amz_date, n + 1);
	n += 2;
	if (!rc && !strcmp(cred->service, "s3")) {
		rc = set_header(&headers[n], "x-amz-content-sha256",
				req->payload_hash, n);
		n++;
	}
	if (rc) {
		free_headers(headers, req->header_count + 3);
		return rc;
	}
	qsort(headers, n, sizeof(*headers), compare_headers);
	*out = headers;
	*count = n;
	return 0;
}

/* Writes "name:v1,v2\n" per distinct name; headers are sorted. */
static void add_canonical_headers(struct crypto_text *text,
				  const struct canonical_header *headers,
				  size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (i && !strcmp(headers[i - 1].name, headers[i].name)) {
			crypto_text_add_char(text, ',');
		} else {
			if (i)
				crypto_text_add_char(text, '\n');
			crypto_text_add(text, headers[i].name);
			crypto_text_add_char(text, ':');
		}
		crypto_text_add(text, headers[i].value);
	}
	crypto_text_add_char(text, '\n');
}

static char *signed_headers(const struct canonical_header *headers,
			    size_t count)
{
	struct crypto_text text;
	size_t i;

	crypto_text_init(&text);
	for (i = 0; i < count; i++) {
		if (i && !strcmp(headers[i - 1].name, headers[i].name))
			continue;
		if (i)
			crypto_text_add_char(&text, ';');
		crypto_text_add(&text, headers[i].name);
	}
	return crypto_text_take(&text);
}

/* ---- the canonical request ----------------------------------------------- */

static void add_canonical_uri(struct crypto_text *text, const char *path)
{
	crypto_text_add_percent(text, path, strlen(path),
				CRYPTO_PERCENT_KEEP_SLASH);
}

static void build_request_text(struct crypto_text *text,
			       const struct s3_request *req,
			       const struct canonical_header *headers,
			       size_t count, const char *signed_list)
{
	crypto_text_add(text, req->method);
	crypto_text_add_char(text, '\n');
	add_canonical_uri(text, req->path);
	crypto_text_add_char(text, '\n');
	crypto_text_add_canonical_query(text, req->query, req->query_count);
	crypto_text_add_char(text, '\n');
	add_canonical_headers(text, headers, count);
	crypto_text_add_char(text, '\n');
	crypto_text_add(text, signed_list);
	crypto_text_add_char(text, '\n');
	crypto_text_add(text, req->payload_hash);
}

static void canonical_free(struct canonical *canon)
{
	free(canon->request);
	free(canon->signed_headers);
	canon->request = NULL;
	canon->signed_headers = NULL;
}

static int build_canonical(const struct s3_request *req,
			   const struct s3_credentials *cred, time_t when,
			   struct canonical *canon)
{
	struct canonical_header *headers;
	struct crypto_text text;
	size_t count;
	int rc;

	memset(canon, 0, sizeof(*canon));
	if (!valid_request(req, cred))
		return -EINVAL;
	rc = crypto_format_compact_utc(when, canon->amz_date);
	if (rc)
		return rc;
	rc = collect_headers(req, cred, canon->amz_date, &headers, &count);
	if (rc)
		return rc;
	canon->signed_headers = signed_headers(headers, count);
	crypto_text_init(&text);
	if (canon->signed_headers)
		build_request_text(&text, req, headers, count,
				   canon->signed_headers);
	free_headers(headers, count);
	canon->request = crypto_text_take(&text);
	if (!canon->request || !canon->signed_headers) {
		canonical_free(canon);
		return -ENOMEM;
	}
	return 0;
}

/* ---- string to sign and signature ---------------------------------------- */

/* "YYYYMMDD/region/service/aws4_request" */
static void add_scope(struct crypto_text *text, const char *amz_date,
		      const struct s3_credentials *cred)
{
	crypto_text_add_len(text, amz_date, 8);
	crypto_text_add_char(text, '/');
	crypto_text_add(text, cred->region);
	crypto_text_add_char(text, '/');
	crypto_text_add(text, cred->service);
	crypto_text_add(text, "/aws4_request");
}

static int string_to_sign(const struct canonical *canon,
			  const struct s3_credentials *cred, char **out)
{
	char hash[CRYPTO_SHA256_HEX_SIZE];
	struct crypto_text text;
	int rc;

	*out = NULL;
	rc = crypto_sha256_hex(canon->request, strlen(canon->request), hash);
	if (rc)
		return rc;
	crypto_text_init(&text);
	crypto_text_add(&text, S3_ALGORITHM "\n");
	crypto_text_add(&text, canon->amz_date);
	crypto_text_add_char(&text, '\n');
	add_scope(&text, canon->amz_date, cred);
	crypto_text_add_char(&text, '\n');
	crypto_text_add(&text, hash);
	*out = crypto_text_take(&text);
	return *out ? 0 : -ENOMEM;
}

static int hmac_step(unsigned char key[CRYPTO_SHA256_LEN], const char *msg)
{
	unsigned char next[CRYPTO_SHA256_LEN];
	int rc = crypto_hmac_sha256(key, CRYPTO_SHA256_LEN, msg, strlen(msg),
				    next);

	memcpy(key, next, sizeof(next));
	crypto_wipe(next, sizeof(next));
	return rc;
}

/* The SigV4 key chain. Every intermediate key is as good as the secret for
 * that day, region and service, so all of them are wiped. */
static int signing_key(const char *secret_key, const char *amz_date,
		       const struct s3_credentials *cred,
		       unsigned char key[CRYPTO_SHA256_LEN])
{
	size_t secret_len = strlen(secret_key);
	char *seed = malloc(secret_len + 5);
	char day[9];
	int rc;

	if (!seed)
		return -ENOMEM;
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret_key, secret_len + 1);
	memcpy(day, amz_date, 8);
	day[8] = '\0';
	rc = crypto_hmac_sha256(seed, secret_len + 4, day, 8, key);
	crypto_wipe(seed, secret_len + 4);
	free(seed);
	if (!rc)
		rc = hmac_step(key, cred->region);
	if (!rc)
		rc = hmac_step(key, cred->service);
	if (!rc)
		rc = hmac_step(key, "aws4_request");
	if (rc)
		crypto_wipe(key, CRYPTO_SHA256_LEN);
	return rc;
}

static int signature_hex(const struct s3_credentials *cred,
			 const char *amz_date, const char *to_sign,
			 char out[CRYPTO_SHA256_HEX_SIZE])
{
	unsigned char key[CRYPTO_SHA256_LEN], mac[CRYPTO_SHA256_LEN];
	int rc = signing_key(cred->secret_key, amz_date, cred, key);

	if (rc)
		return rc;
	rc = crypto_hmac_sha256(key, sizeof(key), to_sign, strlen(to_sign),
				mac);
	crypto_wipe(key, sizeof(key));
	if (rc)
		return rc;
	return crypto_hex_encode(mac, sizeof(mac), out, CRYPTO_SHA256_HEX_SIZE);
}

static char *authorization_value(const struct s3_credentials *cred,
				 const struct canonical *canon,
				 const char *signature)
{
	struct crypto_text text;

	crypto_text_init(&text);
	crypto_text_add(&text, S3_ALGORITHM " Credential=");
	crypto_text_add(&text, cred->access_key);
	crypto_text_add_char(&text, '/');
	add_scope(&text, canon->amz_date, cred);
	crypto_text_add(&text, ", SignedHeaders=");
	crypto_text_add(&text, canon->signed_headers);
	crypto_text_add(&text, ", Signature=");
	crypto_text_add(&text, signature);
	return crypto_text_take(&text);
}

/* ---- public functions ---------------------------------------------------- */

void s3_signature_free(struct s3_signature *sig)
{
	free(sig->authorization);
	sig->authorization = NULL;
}

static bool valid_keys(const struct s3_credentials *cred)
{
	/* '/' and ',' would break the Credential field apart. */
	return cred && crypto_is_token(cred->access_key) &&
	       !strchr(cred->access_key, '/') && cred->secret_key &&
	       *cred->secret_key;
}

int s3_sign(const struct s3_request *req, const struct s3_credentials *cred,
	    time_t when, struct s3_signature *sig)
{
	char signature[CRYPTO_SHA256_HEX_SIZE];
	struct canonical canon;
	char *to_sign = NULL;
	int rc;

	memset(sig, 0, sizeof(*sig));
	if (!valid_keys(cred))
		return -EINVAL;
	rc = build_canonical(req, cred, when, &canon);
	if (!rc)
		rc = string_to_sign(&canon, cred, &to_sign);
	if (!rc)
		rc = signature_hex(cred, canon.amz_date, to_sign, signature);
	if (!rc) {
		sig->authorization = authorization_value(cred, &canon,
							 signature);
		rc = sig->authorization ? 0 : -ENOMEM;
	}
	if (!rc) {
		memcpy(sig->amz_date, canon.amz_date, sizeof(sig->amz_date));
		/* is_payload_hash() bounded its length to fit. */
		strcpy(sig->content_sha256, req->payload_hash);
	}
	free(to_sign);
	canonical_free(&canon);
	return rc;
}

int s3_canonical_request(const struct s3_request *req,
			 const struct s3_credentials *cred, time_t when,
			 char **out)
{
	struct canonical canon;
	int rc = build_canonical(req, cred, when, &canon);

	*out = canon.request;
	free(canon.signed_headers);
	return rc;
}

int s3_string_to_sign(const struct s3_request *req,
		      const struct s3_credentials *cred, time_t when,
		      char **out)
{
	struct canonical canon;
	int rc = build_canonical(req, cred, when, &canon);

	*out = NULL;
	if (!rc)
		rc = string_to_sign(&canon, cred, out);
	canonical_free(&canon);
	return rc;
}

int s3_encode_path(const char *path, char **out)
{
	struct crypto_text text;

	*out = NULL;
	if (!path || path[0] != '/')
		return -EINVAL;
	crypto_text_init(&text);
	add_canonical_uri(&text, path);
	*out = crypto_text_take(&text);
	return *out ? 0 : -ENOMEM;
}

int s3_query_string(const struct crypto_pair *params, size_t count,
		    char **out)
{
	struct crypto_text text;

	*out = NULL;
	if (!params && count)
		return -EINVAL;
	crypto_text_init(&text);
	crypto_text_add_canonical_query(&text, params, count);
	*out = crypto_text_take(&text);
	return *out ? 0 : -ENOMEM;
}
