/*
 * crypto.h: the hashing, MAC and encoding pieces the request signers share.
 *
 * Everything here is a pure function of its arguments: no global state, no
 * logging, no network, safe to call from any thread at once (OpenSSL 3's
 * one-shot digest and HMAC calls keep no shared state).
 *
 * Ownership, one rule for the whole module: results go into memory the caller
 * owns.
 *   - Digests and MACs fill a fixed array of the CRYPTO_*_LEN size named in the
 *     prototype.
 *   - Encodings (hex, Base64, percent) fill a caller buffer whose size is
 *     passed in; the CRYPTO_*_SIZE() macros give a size that always fits,
 *     terminating NUL included.
 *   - Text built from many pieces (canonical requests) goes into a struct
 *     crypto_text that the caller declares, initialises and releases.
 * Functions returning int return 0 on success or a negative errno: -ENOSPC
 * when an output buffer is too small (the buffer then holds ""), -EINVAL for
 * unusable arguments, -EIO when libcrypto itself fails.
 *
 * Secrets (keys) are only ever read; nothing here copies a key anywhere the
 * caller cannot see, and no function reports a key's value.
 */
#ifndef DBB_PROVIDERS_CRYPTO_H
#define DBB_PROVIDERS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CRYPTO_SHA1_LEN 20
#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA512_LEN 64

/* Output sizes, terminating NUL included. */
#define CRYPTO_HEX_SIZE(n) (2 * (size_t)(n) + 1)
#define CRYPTO_BASE64_SIZE(n) (4 * (((size_t)(n) + 2) / 3) + 1)
#define CRYPTO_PERCENT_SIZE(n) (3 * (size_t)(n) + 1)
#define CRYPTO_SHA256_HEX_SIZE CRYPTO_HEX_SIZE(CRYPTO_SHA256_LEN)
#define CRYPTO_SHA512_HEX_SIZE CRYPTO_HEX_SIZE(CRYPTO_SHA512_LEN)

/* "YYYYMMDDTHHMMSSZ": the compact UTC form used by AWS and Huawei. */
#define CRYPTO_COMPACT_UTC_SIZE 17

/* A request header or query parameter as the signers take them. */
struct crypto_pair {
	const char *name;
	const char *value; /* NULL is treated as "" */
};

/* ---- digests and MACs ---------------------------------------------------- */

int crypto_sha256(const void *data, size_t len,
		  unsigned char out[CRYPTO_SHA256_LEN]);

/* Lowercase hex of SHA-256(data). */
int crypto_sha256_hex(const void *data, size_t len,
		      char out[CRYPTO_SHA256_HEX_SIZE]);

/* Lowercase hex of SHA-512(data). */
int crypto_sha512_hex(const void *data, size_t len,
		      char out[CRYPTO_SHA512_HEX_SIZE]);

int crypto_hmac_sha256(const void *key, size_t key_len,
		       const void *msg, size_t msg_len,
		       unsigned char out[CRYPTO_SHA256_LEN]);

int crypto_hmac_sha1(const void *key, size_t key_len,
		     const void *msg, size_t msg_len,
		     unsigned char out[CRYPTO_SHA1_LEN]);

/* ---- encodings ----------------------------------------------------------- */

/* Lowercase hex; out_size must be at least CRYPTO_HEX_SIZE(len). */
int crypto_hex_encode(const void *in, size_t len, char *out, size_t out_size);

/* Standard Base64 (RFC 4648 section 4: '+', '/', '=' padding, no line
 * breaks); out_size must be at least CRYPTO_BASE64_SIZE(len). */
int crypto_base64_encode(const void *in, size_t len, char *out,
			 size_t out_size);

/* Percent-encoding (RFC 3986 section 2.1) that keeps only the unreserved set
 * A-Z a-z 0-9 - _ . ~ and writes every other byte, UTF-8 bytes included, as
 * %XX with uppercase hex. This is what AWS SigV4 and Huawei SDK-HMAC-SHA256
 * both require: a space is %20, never '+'. */
enum crypto_percent_flags {
	CRYPTO_PERCENT_KEEP_SLASH = 1 << 0, /* leave '/' as is (paths) */
};

int crypto_percent_encode(const char *in, size_t len, unsigned flags,
			  char *out, size_t out_size);

/* ---- comparison ---------------------------------------------------------- */

/* True when both byte strings are equal. The time taken depends on the
 * lengths only, never on the contents, so a verifier comparing signatures
 * does not leak how many leading bytes matched. */
bool crypto_equal(const void *a, size_t a_len, const void *b, size_t b_len);

/* Overwrites len bytes at p with zeros in a way the compiler may not drop;
 * for keys derived from a secret once they are no longer needed. */
void crypto_wipe(void *p, size_t len);

/* ---- checks the signers share ---------------------------------------------
 * A signer refuses what would change the structure of the text it signs or
 * of the request it goes with: a newline in a field, a space in a method. */

/* Upper-case ASCII letters only ("GET"): servers sign the method as sent. */
bool crypto_is_method(const char *s);

/* A non-empty RFC 9110 token: header names, access key ids. */
bool crypto_is_token(const char *s);

/* Non-NULL and free of control characters other than tab (which signers
 * trim): safe as a header value and as one line of a string to sign. */
bool crypto_is_field_value(const char *s);

/* ---- time ---------------------------------------------------------------- */

/* Formats t (seconds since the epoch) as UTC "YYYYMMDDTHHMMSSZ".
 * -EINVAL when the year does not have four digits. */
int crypto_format_compact_utc(time_t t, char out[CRYPTO_COMPACT_UTC_SIZE]);

/* ---- building text --------------------------------------------------------
 *
 * A growable NUL-terminated string. Appends never fail visibly: after an
 * allocation failure the text is marked failed, later appends do nothing, and
 * crypto_text_take() reports it once. This keeps canonical-request builders
 * free of an error check per line.
 *
 *	struct crypto_text t;
 *	crypto_text_init(&t);
 *	crypto_text_add(&t, "GET");
 *	...
 *	char *s = crypto_text_take(&t);   // caller frees s; t is empty again
 *
 * Do not put secrets in a crypto_text: its old buffers are freed without
 * being wiped when it grows. */
struct crypto_text {
	char *data; /* NUL-terminated once anything was added; NULL before */
	size_t len;
	size_t cap;
	bool failed;
};

void crypto_text_init(struct crypto_text *text);
void crypto_text_add(struct crypto_text *text, const char *s);
void crypto_text_add_len(struct crypto_text *text, const char *s, size_t len);
void crypto_text_add_char(struct crypto_text *text, char c);
void crypto_text_add_percent(struct crypto_text *text, const char *s,
			     size_t len, unsigned flags);

/* Adds the canonical query string shared by SigV4 and SDK-HMAC-SHA256: each
 * name and value percent-encoded as above, the pairs sorted by encoded name
 * and then by encoded value (byte order), written "name=value" (also for an
 * empty value) and joined with '&'. Names and values are taken raw, not
 * already encoded. Nothing is added when count is 0. */
void crypto_text_add_canonical_query(struct crypto_text *text,
				     const struct crypto_pair *params,
				     size_t count);

/* Hands the string over to the caller (free() it) and empties text. Returns
 * NULL if any append failed; text is released either way. An untouched text
 * yields "". */
char *crypto_text_take(struct crypto_text *text);

/* Releases the text without handing it over. Safe on an initialised text
 * whatever its state, and idempotent. */
void crypto_text_free(struct crypto_text *text);

#endif
