/*
 * crypto.c: digests, MACs, encodings and a small string builder for the
 * request signers, over OpenSSL 3 libcrypto. See crypto.h for the contract.
 */
#include "providers/crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

/* ---- digests and MACs ---------------------------------------------------- */

static int digest(const EVP_MD *md, const void *data, size_t len,
		  unsigned char *out, unsigned int out_len)
{
	unsigned int written = 0;

	if (!data && len)
		return -EINVAL;
	/* libcrypto wants a valid pointer even for zero bytes. */
	if (!EVP_Digest(len ? data : "", len, out, &written, md, NULL) ||
	    written != out_len)
		return -EIO;
	return 0;
}

int crypto_sha256(const void *data, size_t len,
		  unsigned char out[CRYPTO_SHA256_LEN])
{
	return digest(EVP_sha256(), data, len, out, CRYPTO_SHA256_LEN);
}

int crypto_sha256_hex(const void *data, size_t len,
		      char out[CRYPTO_SHA256_HEX_SIZE])
{
	unsigned char raw[CRYPTO_SHA256_LEN];
	int rc = crypto_sha256(data, len, raw);

	if (rc) {
		out[0] = '\0';
		return rc;
	}
	return crypto_hex_encode(raw, sizeof(raw), out, CRYPTO_SHA256_HEX_SIZE);
}

int crypto_sha512_hex(const void *data, size_t len,
		      char out[CRYPTO_SHA512_HEX_SIZE])
{
	unsigned char raw[CRYPTO_SHA512_LEN];
	int rc = digest(EVP_sha512(), data, len, raw, sizeof(raw));

	if (rc) {
		out[0] = '\0';
		return rc;
	}
	return crypto_hex_encode(raw, sizeof(raw), out, CRYPTO_SHA512_HEX_SIZE);
}

static int hmac(const EVP_MD *md, const void *key, size_t key_len,
		const void *msg, size_t msg_len, unsigned char *out,
		unsigned int out_len)
{
	unsigned int written = 0;

	if ((!key && key_len) || (!msg && msg_len) || key_len > INT_MAX)
		return -EINVAL;
	if (!HMAC(md, key_len ? key : "", (int)key_len,
		  msg_len ? msg : (const void *)"", msg_len, out, &written) ||
	    written != out_len)
		return -EIO;
	return 0;
}

int crypto_hmac_sha256(const void *key, size_t key_len,
		       const void *msg, size_t msg_len,
		       unsigned char out[CRYPTO_SHA256_LEN])
{
	return hmac(EVP_sha256(), key, key_len, msg, msg_len, out,
		    CRYPTO_SHA256_LEN);
}

int crypto_hmac_sha1(const void *key, size_t key_len,
		     const void *msg, size_t msg_len,
		     unsigned char out[CRYPTO_SHA1_LEN])
{
	return hmac(EVP_sha1(), key, key_len, msg, msg_len, out,
		    CRYPTO_SHA1_LEN);
}

/* ---- encodings ----------------------------------------------------------- */

int crypto_hex_encode(const void *in, size_t len, char *out, size_t out_size)
{
	const unsigned char *bytes = in;
	size_t i;

	if (!out || out_size == 0)
		return -ENOSPC;
	if (len > (out_size - 1) / 2) {
		out[0] = '\0';
		return -ENOSPC;
	}
	for (i = 0; i < len; i++) {
		out[2 * i] = hex_lower[bytes[i] >> 4];
		out[2 * i + 1] = hex_lower[bytes[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return 0;
}

int crypto_base64_encode(const void *in, size_t len, char *out,
			 size_t out_size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	const unsigned char *bytes = in;
	size_t i, o = 0;

	if (!out || out_size == 0)
		return -ENOSPC;
	if ((len + 2) / 3 > (out_size - 1) / 4) {
		out[0] = '\0';
		return -ENOSPC;
	}
	for (i = 0; i + 2 < len; i += 3) {
		unsigned long group = (unsigned long)bytes[i] << 16 |
				      (unsigned long)bytes[i + 1] << 8 |
				      bytes[i + 2];

		out[o++] = alphabet[(group >> 18) & 0x3f];
		out[o++] = alphabet[(group >> 12) & 0x3f];
		out[o++] = alphabet[(group >> 6) & 0x3f];
		out[o++] = alphabet[group & 0x3f];
	}
	if (i < len) {
		unsigned long group = (unsigned long)bytes[i] << 16;

		if (i + 1 < len)
			group |= (unsigned long)bytes[i + 1] << 8;
		out[o++] = alphabet[(group >> 18) & 0x3f];
		out[o++] = alphabet[(group >> 12) & 0x3f];
		out[o++] = i + 1 < len ? alphabet[(group >> 6) & 0x3f] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

static bool kept_as_is(unsigned char c, unsigned flags)
{
	return is_unreserved(c) ||
	       (c == '/' && (flags & CRYPTO_PERCENT_KEEP_SLASH));
}

int crypto_percent_encode(const char *in, size_t len, unsigned flags,
			  char *out, size_t out_size)
{
	size_t i, o = 0;

	if (!out || out_size == 0)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t need = kept_as_is(c, flags) ? 1 : 3;

		if (out_size - o <= need) {
			out[0] = '\0';
			return -ENOSPC;
		}
		if (need == 1) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex_upper[c >> 4];
		out[o++] = hex_upper[c & 0x0f];
	}
	out[o] = '\0';
	return 0;
}

/* ---- comparison ---------------------------------------------------------- */

bool crypto_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
	if (a_len != b_len)
		return false;
	if (a_len == 0)
		return true;
	return CRYPTO_memcmp(a, b, a_len) == 0;
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

/* ---- checks the signers share -------------------------------------------- */

bool crypto_is_method(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < 'A' || *s > 'Z')
			return false;
	return true;
}

bool crypto_is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return false;
	}
	return true;
}

bool crypto_is_field_value(const char *s)
{
	if (!s)
		return false;
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/* ---- time ---------------------------------------------------------------- */

/* Writes value as exactly width decimal digits, zero-padded. */
static char *put_digits(char *p, int value, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + value % 10);
		value /= 10;
	}
	return p + width;
}

int crypto_format_compact_utc(time_t t, char out[CRYPTO_COMPACT_UTC_SIZE])
{
	struct tm tm;
	char *p = out;

	out[0] = '\0';
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return -EINVAL;
	/* By hand rather than strftime: no locale, and fixed field widths
	 * that the compiler can see. */
	p = put_digits(p, tm.tm_year + 1900, 4);
	p = put_digits(p, tm.tm_mon + 1, 2);
	p = put_digits(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, tm.tm_hour, 2);
	p = put_digits(p, tm.tm_min, 2);
	p = put_digits(p, tm.tm_sec, 2);
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

/* ---- building text ------------------------------------------------------- */

void crypto_text_init(struct crypto_text *text)
{
	memset(text, 0, sizeof(*text));
}

static bool text_reserve(struct crypto_text *text, size_t extra)
{
	size_t want, cap;
	char *grown;

	if (text->failed)
		return false;
	if (extra > SIZE_MAX - text->len - 1)
		goto fail;
	want = text->len + extra + 1;
	if (want <= text->cap)
		return true;
	cap = text->cap ? text->cap : 128;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	grown = realloc(text->data, cap);
	if (!grown)
		goto fail;
	text->data = grown;
	text->cap = cap;
	return true;
fail:
	text->failed = true;
	return false;
}

void crypto_text_add_len(struct crypto_text *text, const char *s, size_t len)
{
	if (!text_reserve(text, len))
		return;
	if (len)
		memcpy(text->data + text->len, s, len);
	text->len += len;
	text->data[text->len] = '\0';
}

void crypto_text_add(struct crypto_text *text, const char *s)
{
	crypto_text_add_len(text, s ? s : "", s ? strlen(s) : 0);
}

void crypto_text_add_char(struct crypto_text *text, char c)
{
	crypto_text_add_len(text, &c, 1);
}

void crypto_text_add_percent(struct crypto_text *text, const char *s,
			     size_t len, unsigned flags)
{
	size_t room;

	if (len > (SIZE_MAX - 1) / 3) {
		text->failed = true;
		return;
	}
	if (!text_reserve(text, 3 * len))
		return;
	room = text->cap - text->len;
	/* Cannot fail: 3 * len + 1 bytes are reserved. */
	crypto_percent_encode(s, len, flags, text->data + text->len, room);
	text->len += strlen(text->data + text->len);
}

/* One query parameter after encoding; both strings are owned. */
struct encoded_pair {
	char *name;
	char *value;
};

static int compare_encoded_pairs(const void *a, const void *b)
{
	const struct encoded_pair *x = a, *y = b;
	int by_name = strcmp(x->name, y->name);

	return by_name ? by_name : strcmp(x->value, y->value);
}

static char *percent_dup(const char *s)
{
	struct crypto_text text;

	crypto_text_init(&text);
	crypto_text_add_percent(&text, s ? s : "", s ? strlen(s) : 0, 0);
	return crypto_text_take(&text);
}

static void free_encoded_pairs(struct encoded_pair *pairs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

void crypto_text_add_canonical_query(struct crypto_text *text,
				     const struct crypto_pair *params,
				     size_t count)
{
	struct encoded_pair *pairs;
	size_t i;

	if (count == 0 || text->failed)
		return;
	pairs = calloc(count, sizeof(*pairs));
	if (!pairs)
		goto fail;
	for (i = 0; i < count; i++) {
		pairs[i].name = percent_dup(params[i].name);
		pairs[i].value = percent_dup(params[i].value);
		if (!pairs[i].name || !pairs[i].value)
			goto fail;
	}
	/* Sorting the encoded forms is what AWS specifies; identical pairs
	 * compare equal, so qsort's instability cannot change the output. */
	qsort(pairs, count, sizeof(*pairs), compare_encoded_pairs);
	for (i = 0; i < count; i++) {
		if (i)
			crypto_text_add_char(text, '&');
		crypto_text_add(text, pairs[i].name);
		crypto_text_add_char(text, '=');
		crypto_text_add(text, pairs[i].value);
	}
	free_encoded_pairs(pairs, count);
	return;
fail:
	if (pairs)
		free_encoded_pairs(pairs, count);
	text->failed = true;
}

char *crypto_text_take(struct crypto_text *text)
{
	char *s;

	if (text->failed) {
		crypto_text_free(text);
		return NULL;
	}
	s = text->data ? text->data : strdup("");
	crypto_text_init(text);
	return s;
}

void crypto_text_free(struct crypto_text *text)
{
	free(text->data);
	crypto_text_init(text);
}
