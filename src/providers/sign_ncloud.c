/*
 * sign_ncloud.c: NAVER Cloud API Gateway signature v2. See sign_ncloud.h.
 */
#include "providers/sign_ncloud.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/crypto.h"

/* Present, not empty, and unable to add a line to the string to sign or
 * split a header. */
static bool usable_field(const char *s)
{
	return s && *s && crypto_is_field_value(s) && !strchr(s, '\t');
}

static bool valid_input(const char *method, const char *target,
			const char *timestamp, const char *access_key,
			const char *secret_key)
{
	return crypto_is_method(method) && usable_field(target) &&
	       target[0] == '/' && usable_field(timestamp) &&
	       usable_field(access_key) && usable_field(secret_key);
}

int ncloud_signature(const char *method, const char *request_target,
		     const char *timestamp_ms, const char *access_key,
		     const char *secret_key, char out[NCLOUD_SIGNATURE_SIZE])
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char *message = NULL;
	int len, rc;

	out[0] = '\0';
	if (!valid_input(method, request_target, timestamp_ms, access_key,
			 secret_key))
		return -EINVAL;
	len = asprintf(&message, "%s %s\n%s\n%s", method, request_target,
		       timestamp_ms, access_key);
	if (len < 0)
		return -ENOMEM;
	rc = crypto_hmac_sha256(secret_key, strlen(secret_key), message,
				(size_t)len, mac);
	free(message);
	if (rc)
		return rc;
	return crypto_base64_encode(mac, sizeof(mac), out,
				    NCLOUD_SIGNATURE_SIZE);
}

void ncloud_auth_headers_free(struct ncloud_auth_headers *headers)
{
	int i;

	for (i = 0; i < NCLOUD_AUTH_HEADER_COUNT; i++) {
		free(headers->lines[i]);
		headers->lines[i] = NULL;
	}
}

static char *header_line(const char *name, const char *value)
{
	char *line;

	return asprintf(&line, "%s: %s", name, value) < 0 ? NULL : line;
}

int ncloud_auth_headers(const char *method, const char *request_target,
			int64_t timestamp_ms, const char *access_key,
			const char *secret_key,
			struct ncloud_auth_headers *headers)
{
	char timestamp[24];
	char signature[NCLOUD_SIGNATURE_SIZE];
	int rc;

	memset(headers, 0, sizeof(*headers));
	if (timestamp_ms < 0)
		return -EINVAL;
	snprintf(timestamp, sizeof(timestamp), "%" PRId64, timestamp_ms);
	rc = ncloud_signature(method, request_target, timestamp, access_key,
			      secret_key, signature);
	if (rc)
		return rc;
	headers->lines[0] = header_line(NCLOUD_HEADER_TIMESTAMP, timestamp);
	headers->lines[1] = header_line(NCLOUD_HEADER_ACCESS_KEY, access_key);
	headers->lines[2] = header_line(NCLOUD_HEADER_SIGNATURE, signature);
	if (!headers->lines[0] || !headers->lines[1] || !headers->lines[2]) {
		ncloud_auth_headers_free(headers);
		return -ENOMEM;
	}
	return 0;
}
