/*
 * sign_huawei.c: Huawei Cloud SDK-HMAC-SHA256 request signing. The rules and
 * the reasons for each choice are in sign_huawei.h.
 */
#include "providers/sign_huawei.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One header in canonical form; name is owned, value points into the
 * caller's string. */
struct canonical_header {
	char *name;
	const char *value;
	size_t value_len;
};

/* Everything the three public builders share. */
struct canonical {
	char *request;        /* the canonical request */
	char *signed_headers; /* "h1;h2;..." */
};

/* ---- input checks -------------------------------------------------------- */

static bool is_date(const char *s)
{
	static const char shape[] = "ddddddddTddddddZ";
	size_t i;

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
				    : s[i] != shape[i])
			return false;
	}
	return true;
}

static bool valid_request(const struct huawei_request *req,
			  const char *sdk_date)
{
	return req && crypto_is_method(req->method) && req->path &&
	       req->path[0] == '/' && is_date(sdk_date) &&
	       (req->body || req->body_len == 0) &&
	       (req->headers || req->header_count == 0);
}

/* ---- percent-decoding ---------------------------------------------------- */

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

/* Decodes %XX in s[0..len). A '%' not followed by two hex digits stays as it
 * is (Python's unquote does the same); %00 is refused because the result is a
 * C string. Sets *out to a malloc'd string. */
static int percent_decode(const char *s, size_t len, char **out)
{
	char *d = malloc(len + 1);
	size_t i, o = 0;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
		int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;

		if (s[i] != '%' || hi < 0 || lo < 0) {
			d[o++] = s[i];
			continue;
		}
		if (hi == 0 && lo == 0) {
			free(d);
			return -EINVAL;
		}
		d[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	d[o] = '\0';
	*out = d;
	return 0;
}

/* ---- canonical URI ------------------------------------------------------- */

static int add_canonical_uri(struct crypto_text *text, const char *path)
{
	const char *segment = path;

	while (*segment) {
		size_t len = strcspn(segment, "/");
		char *decoded;
		int rc = percent_decode(segment, len, &decoded);

		if (rc)
			return rc;
		crypto_text_add_percent(text, decoded, strlen(decoded), 0);
		free(decoded);
		segment += len;
		if (*segment == '/') {
			crypto_text_add_char(text, '/');
			segment++;
		}
	}
	/* The canonical URI always ends in '/'; the sent path need not. */
	if (text->len == 0 || text->data[text->len - 1] != '/')
		crypto_text_add_char(text, '/');
	return 0;
}

/* ---- canonical query ----------------------------------------------------- */

static void free_params(struct crypto_pair *params, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free((char *)params[i].name);
		free((char *)params[i].value);
	}
	free(params);
}

static size_t count_pieces(const char *query)
{
	size_t count = 1;

	for (; *query; query++)
		count += *query == '&';
	return count;
}

/* Splits one "name=value" piece and decodes both halves into *param. */
static int parse_piece(const char *piece, size_t len, struct crypto_pair *param)
{
	const char *equals = memchr(piece, '=', len);
	size_t name_len = equals ? (size_t)(equals - piece) : len;
	char *name, *value;
	int rc;

	rc = percent_decode(piece, name_len, &name);
	if (rc)
		return rc;
	rc = equals ? percent_decode(equals + 1, len - name_len - 1, &value)
		    : percent_decode("", 0, &value);
	if (rc) {
		free(name);
		return rc;
	}
	param->name = name;
	param->value = value;
	return 0;
}

/* Parses a raw query into decoded, caller-owned pairs; empty pieces
 * ("a=1&&b=2", a trailing '&') carry no parameter and are skipped. */
static int parse_query(const char *query, struct crypto_pair **out,
		       size_t *count)
{
	struct crypto_pair *params;
	size_t n = 0;

	*out = NULL;
	*count = 0;
	params = calloc(count_pieces(query), sizeof(*params));
	if (!params)
		return -ENOMEM;
	while (*query) {
		size_t len = strcspn(query, "&");

		if (len) {
			int rc = parse_piece(query, len, &params[n]);

			if (rc) {
				free_params(params, n);
				return rc;
			}
			n++;
		}
		query += len + (query[len] == '&');
	}
	*out = params;
	*count = n;
	return 0;
}

static int add_canonical_query(struct crypto_text *text, const char *query)
{
	struct crypto_pair *params;
	size_t count;
	int rc;

	if (!query || !*query)
		return 0;
	rc = parse_query(query, &params, &count);
	if (rc)
		return rc;
	crypto_text_add_canonical_query(text, params, count);
	free_params(params, count);
	return 0;
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

static void trim(const char **value, size_t *len)
{
	const char *s = *value;
	size_t n = strlen(s);

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*value = s;
	*len = n;
}

static int compare_headers(const void *a, const void *b)
{
	const struct canonical_header *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void free_headers(struct canonical_header *headers, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(headers[i].name);
	free(headers);
}

static int set_header(struct canonical_header *header, const char *name,
		      const char *value)
{
	if (!crypto_is_token(name) || !crypto_is_field_value(value))
		return -EINVAL;
	header->name = lower_dup(name);
	if (!header->name)
		return -ENOMEM;
	header->value = value;
	trim(&header->value, &header->value_len);
	return 0;
}

static const struct canonical_header *
find_header(const struct canonical_header *headers, size_t count,
	    const char *lower_name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!strcmp(headers[i].name, lower_name))
			return &headers[i];
	return NULL;
}

static bool date_header_agrees(const struct canonical_header *date,
			       const char *sdk_date)
{
	return date->value_len == strlen(sdk_date) &&
	       !memcmp(date->value, sdk_date, date->value_len);
}

static int add_callers_headers(struct canonical_header *headers,
			       const struct huawei_request *req, size_t *count)
{
	size_t i;
	int rc;

	for (i = 0; i < req->header_count; i++) {
		const char *value = req->headers[i].value;

		rc = set_header(&headers[i], req->headers[i].name,
				value ? value : "");
		if (rc)
			return rc;
		*count = i + 1;
	}
	return 0;
}

/* X-Sdk-Date is always signed: with the caller's header when listed (it must
 * then say the same), else with one added here. */
static int add_date_header(struct canonical_header *headers, size_t *count,
			   const char *sdk_date)
{
	const struct canonical_header *date =
		find_header(headers, *count, "x-sdk-date");
	int rc;

	if (date)
		return date_header_agrees(date, sdk_date) ? 0 : -EINVAL;
	rc = set_header(&headers[*count], HUAWEI_HEADER_DATE, sdk_date);
	if (!rc)
		(*count)++;
	return rc;
}

static bool has_repeated_name(const struct canonical_header *sorted,
			      size_t count)
{
	size_t i;

	for (i = 1; i < count; i++)
		if (!strcmp(sorted[i - 1].name, sorted[i].name))
			return true;
	return false;
}

/* Lower-cases, trims and sorts the caller's headers, adding X-Sdk-Date when
 * it is missing. Sets *out to an owned array of *count headers. */
static int collect_headers(const struct huawei_request *req,
			   const char *sdk_date,
			   struct canonical_header **out, size_t *count)
{
	struct canonical_header *headers;
	size_t n = 0;
	int rc;

	headers = calloc(req->header_count + 1, sizeof(*headers));
	if (!headers)
		return -ENOMEM;
	rc = add_callers_headers(headers, req, &n);
	if (!rc)
		rc = add_date_header(headers, &n, sdk_date);
	if (!rc) {
		qsort(headers, n, sizeof(*headers), compare_headers);
		rc = has_repeated_name(headers, n) ? -EINVAL : 0;
	}
	if (rc) {
		/* calloc'd: names past n are NULL, and one may be set. */
		free_headers(headers, req->header_count + 1);
		return rc;
	}
	*out = headers;
	*count = n;
	return 0;
}

static void add_canonical_headers(struct crypto_text *text,
				  const struct canonical_header *headers,
				  size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		crypto_text_add(text, headers[i].name);
		crypto_text_add_char(text, ':');
		crypto_text_add_len(text, headers[i].value,
				    headers[i].value_len);
		crypto_text_add_char(text, '\n');
	}
}

static char *signed_headers(const struct canonical_header *headers,
			    size_t count)
{
	struct crypto_text text;
	size_t i;

	crypto_text_init(&text);
	for (i = 0; i < count; i++) {
		if (i)
			crypto_text_add_char(&text, ';');
		crypto_text_add(&text, headers[i].name);
	}
	return crypto_text_take(&text);
}

/* ---- the canonical request ----------------------------------------------- */

static int add_body_hash(struct crypto_text *text,
			 const struct huawei_request *req,
			 const struct canonical_header *headers, size_t count)
{
	const struct canonical_header *given =
		find_header(headers, count, "x-sdk-content-sha256");
	char hash[CRYPTO_SHA256_HEX_SIZE];
	int rc;

	if (given) {
		crypto_text_add_len(text, given->value, given->value_len);
		return 0;
	}
	rc = crypto_sha256_hex(req->body, req->body_len, hash);
	if (rc)
		return rc;
	crypto_text_add(text, hash);
	return 0;
}

static int build_request_text(struct crypto_text *text,
			      const struct huawei_request *req,
			      const struct canonical_header *headers,
			      size_t count, const char *signed_list)
{
	int rc;

	crypto_text_add(text, req->method);
	crypto_text_add_char(text, '\n');
	rc = add_canonical_uri(text, req->path);
	if (rc)
		return rc;
	crypto_text_add_char(text, '\n');
	rc = add_canonical_query(text, req->query);
	if (rc)
		return rc;
	crypto_text_add_char(text, '\n');
	add_canonical_headers(text, headers, count);
	crypto_text_add_char(text, '\n');
	crypto_text_add(text, signed_list);
	crypto_text_add_char(text, '\n');
	return add_body_hash(text, req, headers, count);
}

static void canonical_free(struct canonical *canon)
{
	free(canon->request);
	free(canon->signed_headers);
	canon->request = NULL;
	canon->signed_headers = NULL;
}

static int build_canonical(const struct huawei_request *req,
			   const char *sdk_date, struct canonical *canon)
{
	struct canonical_header *headers;
	struct crypto_text text;
	size_t count;
	int rc;

	memset(canon, 0, sizeof(*canon));
	if (!valid_request(req, sdk_date))
		return -EINVAL;
	rc = collect_headers(req, sdk_date, &headers, &count);
	if (rc)
		return rc;
	canon->signed_headers = signed_headers(headers, count);
	crypto_text_init(&text);
	rc = canon->signed_headers
		     ? build_request_text(&text, req, headers, count,
					  canon->signed_headers)
		     : -ENOMEM;
	free_headers(headers, count);
	if (rc) {
		crypto_text_free(&text);
		canonical_free(canon);
		return rc;
	}
	canon->request = crypto_text_take(&text);
	if (!canon->request) {
		canonical_free(canon);
		return -ENOMEM;
	}
	return 0;
}

/* ---- string to sign and signature --------------------------------------- */

static int string_to_sign(const char *canonical_request, const char *sdk_date,
			  char **out)
{
	char hash[CRYPTO_SHA256_HEX_SIZE];
	struct crypto_text text;
	int rc;

	*out = NULL;
	rc = crypto_sha256_hex(canonical_request, strlen(canonical_request),
			       hash);
	if (rc)
		return rc;
	crypto_text_init(&text);
	crypto_text_add(&text, HUAWEI_ALGORITHM "\n");
	crypto_text_add(&text, sdk_date);
	crypto_text_add_char(&text, '\n');
	crypto_text_add(&text, hash);
	*out = crypto_text_take(&text);
	return *out ? 0 : -ENOMEM;
}

static int signature_hex(const char *secret_key, const char *to_sign,
			 char out[CRYPTO_SHA256_HEX_SIZE])
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	int rc = crypto_hmac_sha256(secret_key, strlen(secret_key), to_sign,
				    strlen(to_sign), mac);

	if (rc)
		return rc;
	return crypto_hex_encode(mac, sizeof(mac), out, CRYPTO_SHA256_HEX_SIZE);
}

static char *authorization_value(const char *access_key,
				 const char *signed_list,
				 const char *signature)
{
	struct crypto_text text;

	crypto_text_init(&text);
	crypto_text_add(&text, HUAWEI_ALGORITHM " Access=");
	crypto_text_add(&text, access_key);
	crypto_text_add(&text, ", SignedHeaders=");
	crypto_text_add(&text, signed_list);
	crypto_text_add(&text, ", Signature=");
	crypto_text_add(&text, signature);
	return crypto_text_take(&text);
}

/* ---- public functions ---------------------------------------------------- */

int huawei_format_date(time_t t, char out[HUAWEI_DATE_SIZE])
{
	return crypto_format_compact_utc(t, out);
}

int huawei_canonical_request(const struct huawei_request *req,
			     const char *sdk_date, char **out)
{
	struct canonical canon;
	int rc = build_canonical(req, sdk_date, &canon);

	*out = canon.request;
	free(canon.signed_headers);
	return rc;
}

int huawei_string_to_sign(const struct huawei_request *req,
			  const char *sdk_date, char **out)
{
	struct canonical canon;
	int rc = build_canonical(req, sdk_date, &canon);

	*out = NULL;
	if (!rc)
		rc = string_to_sign(canon.request, sdk_date, out);
	canonical_free(&canon);
	return rc;
}

int huawei_authorization(const struct huawei_request *req,
			 const char *sdk_date, const char *access_key,
			 const char *secret_key, char **out)
{
	char signature[CRYPTO_SHA256_HEX_SIZE];
	struct canonical canon;
	char *to_sign = NULL;
	int rc;

	*out = NULL;
	if (!crypto_is_token(access_key) || !secret_key || !*secret_key)
		return -EINVAL;
	rc = build_canonical(req, sdk_date, &canon);
	if (!rc)
		rc = string_to_sign(canon.request, sdk_date, &to_sign);
	if (!rc)
		rc = signature_hex(secret_key, to_sign, signature);
	if (!rc) {
		*out = authorization_value(access_key, canon.signed_headers,
					   signature);
		rc = *out ? 0 : -ENOMEM;
	}
	free(to_sign);
	canonical_free(&canon);
	return rc;
}

int huawei_canonical_query(const char *query, char **out)
{
	struct crypto_text text;
	int rc;

	crypto_text_init(&text);
	rc = add_canonical_query(&text, query);
	if (rc) {
		crypto_text_free(&text);
		*out = NULL;
		return rc;
	}
	*out = crypto_text_take(&text);
	return *out ? 0 : -ENOMEM;
}
