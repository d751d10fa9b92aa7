/*
 * sign_zstack.h: ZStack AccessKey authentication and the LogInByAccount
 * password hash (api/zstack.md sections 2.5 and 2.1).
 *
 *   StringToSign  = METHOD "\n" DATE "\n" URI
 *   Signature     = Base64(HMAC-SHA1(AccessKeySecret bytes, StringToSign))
 *   Authorization: ZStack <AccessKeyId>:<Signature>
 *
 * URI is the request path without the "/zstack" context path and without the
 * query: "/v1/database-backups/<uuid>/...". The signing functions accept
 * either that or the full path as sent ("/zstack/v1/...?q=..."), and strip
 * the context path and the query themselves. The path is signed as given,
 * not percent-decoded: ZStack paths are made of uuids and fixed words, for
 * which both forms agree.
 *
 * DATE is the exact value of the Date header sent with the request; the
 * server parses it as "EEE, dd MMM yyyy HH:mm:ss z" and refuses more than 15
 * minutes of skew. zstack_format_date() produces it in GMT.
 *
 * The Content-Type is not part of what ZStack signs (both official SDKs sign
 * only the three lines above), so it is not an argument.
 *
 * Ownership and errors: zstack_authorization() sets *out to a malloc'd
 * string the caller frees with free(); fixed-size results go into caller
 * arrays of the sizes named below. Functions return 0 or a negative errno:
 * -EINVAL for a missing argument, a method that is not upper-case letters, a
 * path not starting with '/', a control character in any field, or a ':' in
 * the key id (it would split the header); -ENOMEM; -EIO when libcrypto fails.
 * No messages, no logging: nothing can echo the secret.
 */
#ifndef DBB_PROVIDERS_SIGN_ZSTACK_H
#define DBB_PROVIDERS_SIGN_ZSTACK_H

#include <time.h>

#include "providers/crypto.h"

/* Base64 of a 20-byte HMAC-SHA1 is 28 characters; plus the NUL. */
#define ZSTACK_SIGNATURE_SIZE 29
/* "Thu, 17 Oct 2024 05:43:35 GMT" plus the NUL. */
#define ZSTACK_DATE_SIZE 30
/* SHA-512 as lowercase hex plus the NUL. */
#define ZSTACK_PASSWORD_HASH_SIZE CRYPTO_SHA512_HEX_SIZE

/* The signature alone (for a verifier, or a test). */
int zstack_signature(const char *method, const char *path, const char *date,
		     const char *secret, char out[ZSTACK_SIGNATURE_SIZE]);

/* The value of the Authorization header: "ZStack <key id>:<signature>". */
int zstack_authorization(const char *method, const char *path,
			 const char *date, const char *access_key_id,
			 const char *secret, char **out);

/* RFC 1123 date in GMT, English names whatever the locale, for the Date
 * header. Returns 0, or -EINVAL when the year does not have four digits. */
int zstack_format_date(time_t t, char out[ZSTACK_DATE_SIZE]);

/* The password field of LogInByAccount / LogInByUser: lowercase hex of
 * SHA-512 over the password's bytes (UTF-8 as given). Returns 0, -EINVAL for
 * NULL, or -EIO. */
int zstack_password_hash(const char *password,
			 char out[ZSTACK_PASSWORD_HASH_SIZE]);

#endif
