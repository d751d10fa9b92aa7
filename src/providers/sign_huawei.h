/*
 * sign_huawei.h: Huawei Cloud AK/SK request signing, "SDK-HMAC-SHA256"
 * (api/huawei.md section 3).
 *
 *   CanonicalRequest = METHOD "\n" CanonicalURI "\n" CanonicalQuery "\n"
 *                      CanonicalHeaders "\n" SignedHeaders "\n" BodyHash
 *   StringToSign     = "SDK-HMAC-SHA256\n" X-Sdk-Date "\n"
 *                      HexLower(SHA256(CanonicalRequest))
 *   Signature        = HexLower(HMAC-SHA256(SK bytes, StringToSign))
 *   Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h;h>,
 *                  Signature=<hex>
 *
 * What the module does with each part of the request:
 *   - path: as sent, without the query. Each '/'-separated segment is
 *     percent-decoded and re-encoded with the RFC 3986 unreserved set (the
 *     Python SDK's rule, which agrees with the Go SDK's for any path), and a
 *     '/' is appended when the result does not end in one. That slash exists
 *     only in the canonical form: send the path without it.
 *   - query: the raw query string as sent, without '?'. Split on '&', each
 *     piece at its first '=' (no '=' means an empty value), names and values
 *     percent-decoded, re-encoded, sorted by name and then value. A '+' is a
 *     literal plus, not a space. Send huawei_canonical_query()'s output as the
 *     query to leave no room for a server to decode it differently.
 *   - headers: exactly the headers given are signed, names lower-cased,
 *     values trimmed of spaces and tabs, sorted by name. X-Sdk-Date is signed
 *     with the date argument whether or not it is in the list (if it is, the
 *     values must match); the caller must send it. A header name given twice
 *     is refused: the SDKs disagree on how to join repeated headers.
 *   - body: hashed as given. When an X-Sdk-Content-Sha256 header is signed,
 *     its value (e.g. "UNSIGNED-PAYLOAD") replaces the body hash, as every
 *     SDK does.
 * The raw SK is the HMAC key; there is no derived key.
 *
 * Ownership: functions that produce text return 0 and set *out to a malloc'd
 * string the caller frees with free(). On failure they return a negative
 * errno and set *out to NULL: -EINVAL for an unusable request (missing or
 * non-upper-case method, path not starting with '/', a date not in the
 * YYYYMMDDTHHMMSSZ form, a header name that is not a token, a control
 * character in a value, %00 in the path or query, a repeated header),
 * -ENOMEM, or -EIO when libcrypto fails. No function logs or writes a
 * message, so nothing can echo the SK. The canonical request and string to
 * sign hold no secret; they are exposed for tests and for a debug view.
 */
#ifndef DBB_PROVIDERS_SIGN_HUAWEI_H
#define DBB_PROVIDERS_SIGN_HUAWEI_H

#include <stddef.h>
#include <time.h>

#include "providers/crypto.h"

#define HUAWEI_ALGORITHM "SDK-HMAC-SHA256"
#define HUAWEI_HEADER_DATE "X-Sdk-Date"
#define HUAWEI_HEADER_CONTENT_SHA256 "X-Sdk-Content-Sha256"

/* "YYYYMMDDTHHMMSSZ" plus the NUL. */
#define HUAWEI_DATE_SIZE CRYPTO_COMPACT_UTC_SIZE

struct huawei_request {
	const char *method;                /* "GET", "POST", ... */
	const char *path;                  /* "/v3/<project>/backups" */
	const char *query;                 /* raw, no '?'; NULL or "" if none */
	const struct crypto_pair *headers; /* the headers to sign, as sent */
	size_t header_count;
	const void *body;                  /* may be NULL when body_len is 0 */
	size_t body_len;
};

/* Formats t as the X-Sdk-Date value (UTC). Returns 0 or -EINVAL. */
int huawei_format_date(time_t t, char out[HUAWEI_DATE_SIZE]);

/* The value of the Authorization header. */
int huawei_authorization(const struct huawei_request *req,
			 const char *sdk_date, const char *access_key,
			 const char *secret_key, char **out);

/* The canonical request and the string to sign, for tests and debugging. */
int huawei_canonical_request(const struct huawei_request *req,
			     const char *sdk_date, char **out);
int huawei_string_to_sign(const struct huawei_request *req,
			  const char *sdk_date, char **out);

/* The canonical form of a raw query string (see above); "" for NULL or "".
 * Sending it as the query makes the wire and the signature agree. */
int huawei_canonical_query(const char *query, char **out);

#endif
