/*
 * sign_zstack.c: ZStack AccessKey signing and password hashing. See
 * sign_zstack.h.
 */
#include "providers/sign_zstack.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_PATH "/zstack"

/* Present and unable to add a line to the string to sign. */
static bool usable_field(const char *s)
{
	return s && *s && crypto_is_field_value(s) && !strchr(s, '\t');
}

/* Where the signed URI starts and how long it is: past "/zstack" when the
 * path begins with that context path, up to the query. */
static void signed_uri(const char *path, const char **start, size_t *len)
{
	size_t context = strlen(CONTEXT_PATH);

	if (!strncmp(path, CONTEXT_PATH, context) &&
	    (path[context] == '/' || path[context] == '\0' ||
	     path[context] == '?'))
		path += context;
	*start = path;
	*len = strcspn(path, "?");
}

int zstack_signature(const char *method, const char *path, const char *date,
		     const char *secret, char out[ZSTACK_SIGNATURE_SIZE])
{
	unsigned char mac[CRYPTO_SHA1_LEN];
	char *message = NULL;
	const char *uri;
	size_t uri_len;
	int len, rc;

	out[0] = '\0';
	if (!crypto_is_method(method) || !usable_field(path) ||
	    path[0] != '/' || !usable_field(date) || !secret || !*secret)
		return -EINVAL;
	signed_uri(path, &uri, &uri_len);
	if (uri_len == 0 || uri_len > (size_t)INT_MAX)
		return -EINVAL;
	len = asprintf(&message, "%s\n%s\n%.*s", method, date, (int)uri_len,
		       uri);
	if (len < 0)
		return -ENOMEM;
	rc = crypto_hmac_sha1(secret, strlen(secret), message, (size_t)len,
			      mac);
	free(message);
	if (rc)
		return rc;
	return crypto_base64_encode(mac, sizeof(mac), out,
				    ZSTACK_SIGNATURE_SIZE);
}

int zstack_authorization(const char *method, const char *path,
			 const char *date, const char *access_key_id,
			 const char *secret, char **out)
{
	char signature[ZSTACK_SIGNATURE_SIZE];
	int rc;

	*out = NULL;
	/* The server splits "<id>:<signature>" on ':' into exactly two. */
	if (!crypto_is_token(access_key_id))
		return -EINVAL;
	rc = zstack_signature(method, path, date, secret, signature);
	if (rc)
		return rc;
	if (asprintf(out, "ZStack %s:%s", access_key_id, signature) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

int zstack_format_date(time_t t, char out[ZSTACK_DATE_SIZE])
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm tm;

	out[0] = '\0';
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1000 ||
	    tm.tm_year + 1900 > 9999)
		return -EINVAL;
	/* Names from tables, not strftime("%a"), which follows the locale. */
	snprintf(out, ZSTACK_DATE_SIZE, "%s, %02u %s %04u %02u:%02u:%02u GMT",
		 days[tm.tm_wday % 7], (unsigned)tm.tm_mday % 100u,
		 months[tm.tm_mon % 12], (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u);
	return 0;
}

int zstack_password_hash(const char *password,
			 char out[ZSTACK_PASSWORD_HASH_SIZE])
{
	out[0] = '\0';
	if (!password)
		return -EINVAL;
	return crypto_sha512_hex(password, strlen(password), out);
}
