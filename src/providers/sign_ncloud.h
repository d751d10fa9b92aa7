/*
 * sign_ncloud.h: NAVER Cloud API Gateway request signing, signature v2
 * (api/ncloud.md section 1).
 *
 *   signature = Base64(HMAC-SHA256(secret key bytes,
 *                      METHOD " " TARGET "\n" TIMESTAMP "\n" ACCESS_KEY))
 *
 * TARGET is the raw request target exactly as it goes on the wire: the path,
 * and "?" plus the raw query when there is one, percent-encoded as sent, in
 * the order sent, with no host and no canonicalisation. The gateway checks
 * the bytes it receives, so the caller must sign the very string it sends.
 *
 * Pure functions: no global state, no logging. They fail with -EINVAL (and
 * no message, so nothing can echo a secret) when an argument is missing or
 * empty, when the method is not upper-case letters, when the target does not
 * start with '/', or when any field holds a control character (a newline
 * would change the structure of the string to sign, a CR/LF would split a
 * header).
 */
#ifndef DBB_PROVIDERS_SIGN_NCLOUD_H
#define DBB_PROVIDERS_SIGN_NCLOUD_H

#include <stdint.h>

/* Base64 of a 32-byte MAC is 44 characters; plus the NUL. */
#define NCLOUD_SIGNATURE_SIZE 45

#define NCLOUD_HEADER_TIMESTAMP "x-ncp-apigw-timestamp"
#define NCLOUD_HEADER_ACCESS_KEY "x-ncp-iam-access-key"
#define NCLOUD_HEADER_SIGNATURE "x-ncp-apigw-signature-v2"

/* Writes the signature into out. timestamp_ms is the decimal string of
 * milliseconds since the epoch that is sent in x-ncp-apigw-timestamp, byte for
 * byte. Returns 0, -EINVAL, or -EIO if libcrypto fails. */
int ncloud_signature(const char *method, const char *request_target,
		     const char *timestamp_ms, const char *access_key,
		     const char *secret_key, char out[NCLOUD_SIGNATURE_SIZE]);

/* The three header lines a signed request carries, each "name: value",
 * ready for curl_slist_append():
 *   lines[0] "x-ncp-apigw-timestamp: <ms>"
 *   lines[1] "x-ncp-iam-access-key: <access key>"
 *   lines[2] "x-ncp-apigw-signature-v2: <signature>"
 * Every line is malloc'd and owned by the struct; release them with
 * ncloud_auth_headers_free(). */
#define NCLOUD_AUTH_HEADER_COUNT 3

struct ncloud_auth_headers {
	char *lines[NCLOUD_AUTH_HEADER_COUNT];
};

/* Signs with timestamp_ms formatted in decimal and fills headers. Returns 0;
 * or -EINVAL / -ENOMEM / -EIO with every line NULL. timestamp_ms must not be
 * negative. */
int ncloud_auth_headers(const char *method, const char *request_target,
			int64_t timestamp_ms, const char *access_key,
			const char *secret_key,
			struct ncloud_auth_headers *headers);

/* Frees every line and sets it to NULL; safe to call twice. */
void ncloud_auth_headers_free(struct ncloud_auth_headers *headers);

#endif
