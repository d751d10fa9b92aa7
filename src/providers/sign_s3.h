/*
 * sign_s3.h: AWS Signature Version 4 in the Authorization header, as S3 and
 * S3-compatible stores (NAVER Object Storage) check it.
 *
 *   CanonicalRequest = METHOD "\n" CanonicalURI "\n" CanonicalQuery "\n"
 *                      CanonicalHeaders "\n" SignedHeaders "\n" PayloadHash
 *   Scope            = YYYYMMDD "/" region "/" service "/aws4_request"
 *   StringToSign     = "AWS4-HMAC-SHA256\n" X-Amz-Date "\n" Scope "\n"
 *                      HexLower(SHA256(CanonicalRequest))
 *   SigningKey       = HMAC chain over "AWS4" + secret, YYYYMMDD, region,
 *                      service, "aws4_request"
 *   Authorization: AWS4-HMAC-SHA256 Credential=<AK>/<Scope>,
 *                  SignedHeaders=<h;h>, Signature=<hex>
 *
 * What the module does with each part of the request:
 *   - path: RAW, not percent-encoded: "/bucket/2024/a b.gz". The signer
 *     encodes it once, every byte outside the RFC 3986 unreserved set except
 *     '/', which is how S3 wants it (S3 neither normalises "." and ".." nor
 *     double-encodes). Build the URL you send with s3_encode_path() on the
 *     same string, so the wire and the signature cannot disagree.
 *   - query: raw (unencoded) name/value pairs in any order; they are encoded
 *     and sorted. A value-less parameter ("?lifecycle") is a pair with value
 *     "" or NULL. Send s3_query_string()'s output as the query.
 *   - headers: the signer always signs host (from req->host) and x-amz-date
 *     (from the time), and for service "s3" also x-amz-content-sha256 (from
 *     req->payload_hash), because S3 requires that header on every request.
 *     The caller lists any others it sends and wants signed (Range,
 *     Content-Type, Date, x-amz-*); names are lower-cased, values trimmed
 *     with inner runs of spaces folded to one, repeated names joined with
 *     ',' in the order given, and the list sorted. Listing host, x-amz-date
 *     or x-amz-content-sha256 yourself is refused, to leave one source of
 *     truth for each.
 *   - payload hash: 64 lowercase hex digits of SHA-256(body), or
 *     "UNSIGNED-PAYLOAD". The signer never sees the body.
 * The caller must send Host, X-Amz-Date and (for s3) X-Amz-Content-Sha256
 * with the values in struct s3_signature, plus the headers it listed.
 *
 * Ownership: s3_sign() fills a struct s3_signature whose authorization the
 * caller releases with s3_signature_free(); the other functions set *out to
 * a malloc'd string the caller frees with free(). All return 0 or a negative
 * errno (*out NULL): -EINVAL for unusable input (method not upper-case,
 * path not starting with '/', empty host/region/service, a '/' in region or
 * service, a header name that is not a token or a control character in a
 * value, a payload hash of the wrong form, a time outside years 0-9999),
 * -ENOMEM, -EIO when libcrypto fails. Nothing is logged and no message is
 * produced, so the secret cannot leak through an error; the derived keys are
 * wiped after use.
 */
#ifndef DBB_PROVIDERS_SIGN_S3_H
#define DBB_PROVIDERS_SIGN_S3_H

#include <stddef.h>
#include <time.h>

#include "providers/crypto.h"

#define S3_ALGORITHM "AWS4-HMAC-SHA256"
#define S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define S3_EMPTY_PAYLOAD_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* "YYYYMMDDTHHMMSSZ" plus the NUL. */
#define S3_AMZ_DATE_SIZE CRYPTO_COMPACT_UTC_SIZE
/* Holds a hex SHA-256 or "UNSIGNED-PAYLOAD", plus the NUL. */
#define S3_CONTENT_SHA256_SIZE CRYPTO_SHA256_HEX_SIZE

struct s3_request {
	const char *method;                /* "GET", "PUT", "HEAD", ... */
	const char *host;                  /* Host header value, port included
					    * when the URL has one */
	const char *path;                  /* raw, unencoded, starts with '/' */
	const struct crypto_pair *query;   /* raw names and values */
	size_t query_count;
	const struct crypto_pair *headers; /* other headers to sign */
	size_t header_count;
	const char *payload_hash;          /* hex SHA-256 or UNSIGNED-PAYLOAD */
};

struct s3_credentials {
	const char *access_key;
	const char *secret_key;
	const char *region;  /* "us-east-1", "kr-standard", ... */
	const char *service; /* "s3" */
};

struct s3_signature {
	char *authorization; /* Authorization header value, malloc'd */
	char amz_date[S3_AMZ_DATE_SIZE];             /* X-Amz-Date value */
	char content_sha256[S3_CONTENT_SHA256_SIZE]; /* X-Amz-Content-Sha256 */
};

/* Signs req as of time when. On failure sig->authorization is NULL. */
int s3_sign(const struct s3_request *req, const struct s3_credentials *cred,
	    time_t when, struct s3_signature *sig);

/* Frees sig->authorization and sets it to NULL; safe to call twice. */
void s3_signature_free(struct s3_signature *sig);

/* The canonical request and the string to sign, for tests and debugging.
 * Neither holds a secret; cred->access_key and secret_key are not read. */
int s3_canonical_request(const struct s3_request *req,
			 const struct s3_credentials *cred, time_t when,
			 char **out);
int s3_string_to_sign(const struct s3_request *req,
		      const struct s3_credentials *cred, time_t when,
		      char **out);

/* The path as it must go on the wire (and as it is signed). */
int s3_encode_path(const char *path, char **out);

/* The query string (no '?') as it must go on the wire: the canonical one. */
int s3_query_string(const struct crypto_pair *params, size_t count,
		    char **out);

#endif
