/*
 * test_sign_ncloud.c: NAVER API Gateway signature v2 against the worked
 * examples of api/ncloud.md section 1.5, and the header lines built from it.
 * Also the crypto.h pieces this signer is made of: HMAC-SHA256 (RFC 4231),
 * Base64 (RFC 4648) and the constant-time comparison.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "providers/crypto.h"
#include "providers/sign_ncloud.h"

/* api/ncloud.md 1.5 inputs, copied verbatim (the secret is 41 characters). */
#define ACCESS_KEY "AKEXAMPLE0000000000"
#define SECRET_KEY "SKEXAMPLE00000000000000000000000000000000"
#define TIMESTAMP "1700000000000"

static void check_example(const char *method, const char *target,
			  const char *expected)
{
	char signature[NCLOUD_SIGNATURE_SIZE];

	CHECK_INT(ncloud_signature(method, target, TIMESTAMP, ACCESS_KEY,
				   SECRET_KEY, signature), 0);
	CHECK_STR(signature, expected);
}

static void test_example_get_with_query(void)
{
	check_example("GET",
		      "/vpostgresql/v2/getCloudPostgresqlBackupList"
		      "?regionCode=KR&responseFormatType=json",
		      "QWeYeUTsQ9d5xSmlgBwj1e3w4JmhgzjrBi3SWdcGx4M=");
}

static void test_example_post_without_query(void)
{
	check_example("POST",
		      "/vpostgresql/v2/getCloudPostgresqlBackupDetailList",
		      "OMcMiOsILokKQPep6niHhvas+vzqGaGnfCp4ruovEtM=");
}

static void test_example_classic_query_order_kept(void)
{
	/* The query is signed in the order sent: no sorting. */
	check_example("GET",
		      "/clouddb/v2/getCloudDBBackupDetailList?regionNo=1"
		      "&dbKindCode=MYSQL&cloudDBInstanceNo=1234567"
		      "&responseFormatType=json",
		      "yqtR92sgeyyFy/hzyOjqnz6DI+0cZtqZ/eC8swg0FWA=");
}

static void test_headers(void)
{
	struct ncloud_auth_headers headers;

	CHECK_INT(ncloud_auth_headers("GET",
				      "/vpostgresql/v2/getCloudPostgresqlBackupList"
				      "?regionCode=KR&responseFormatType=json",
				      INT64_C(1700000000000), ACCESS_KEY,
				      SECRET_KEY, &headers), 0);
	CHECK_STR(headers.lines[0], "x-ncp-apigw-timestamp: 1700000000000");
	CHECK_STR(headers.lines[1], "x-ncp-iam-access-key: " ACCESS_KEY);
	CHECK_STR(headers.lines[2], "x-ncp-apigw-signature-v2: "
				    "QWeYeUTsQ9d5xSmlgBwj1e3w4JmhgzjrBi3SWdcGx4M=");
	ncloud_auth_headers_free(&headers);
	CHECK(headers.lines[0] == NULL && headers.lines[2] == NULL);
	ncloud_auth_headers_free(&headers); /* twice is harmless */
}

static void test_bad_input_is_refused(void)
{
	char signature[NCLOUD_SIGNATURE_SIZE];
	struct ncloud_auth_headers headers;

	CHECK_INT(ncloud_signature("GET", "no-slash", TIMESTAMP, ACCESS_KEY,
				   SECRET_KEY, signature), -EINVAL);
	CHECK_STR(signature, "");
	CHECK_INT(ncloud_signature("get", "/a", TIMESTAMP, ACCESS_KEY,
				   SECRET_KEY, signature), -EINVAL);
	CHECK_INT(ncloud_signature("GET /x", "/a", TIMESTAMP, ACCESS_KEY,
				   SECRET_KEY, signature), -EINVAL);
	CHECK_INT(ncloud_signature("GET", "/a\n", TIMESTAMP, ACCESS_KEY,
				   SECRET_KEY, signature), -EINVAL);
	CHECK_INT(ncloud_signature("GET", "/a", TIMESTAMP, "AK\r\nX: y",
				   SECRET_KEY, signature), -EINVAL);
	CHECK_INT(ncloud_signature("GET", "/a", TIMESTAMP, ACCESS_KEY, "",
				   signature), -EINVAL);
	CHECK_INT(ncloud_signature("GET", "/a", NULL, ACCESS_KEY, SECRET_KEY,
				   signature), -EINVAL);
	CHECK_INT(ncloud_auth_headers("GET", "/a", -1, ACCESS_KEY, SECRET_KEY,
				      &headers), -EINVAL);
	CHECK(headers.lines[0] == NULL && headers.lines[1] == NULL &&
	      headers.lines[2] == NULL);
}

static void test_signature_depends_on_every_field(void)
{
	char base[NCLOUD_SIGNATURE_SIZE], other[NCLOUD_SIGNATURE_SIZE];

	/* Guards against a signer that ignores an input: the examples alone
	 * would not notice one that dropped, say, the access key. */
	ncloud_signature("GET", "/a?b=c", TIMESTAMP, ACCESS_KEY, SECRET_KEY,
			 base);
	ncloud_signature("GET", "/a?b=c", "1700000000001", ACCESS_KEY,
			 SECRET_KEY, other);
	CHECK(strcmp(base, other) != 0);
	ncloud_signature("GET", "/a?b=c", TIMESTAMP, "AKEXAMPLE0000000001",
			 SECRET_KEY, other);
	CHECK(strcmp(base, other) != 0);
	ncloud_signature("GET", "/a?b=c", TIMESTAMP, ACCESS_KEY,
			 "SKEXAMPLE00000000000000000000000000000001", other);
	CHECK(strcmp(base, other) != 0);
	ncloud_signature("POST", "/a?b=c", TIMESTAMP, ACCESS_KEY, SECRET_KEY,
			 other);
	CHECK(strcmp(base, other) != 0);
}

/* ---- crypto.h: HMAC-SHA256, Base64, comparison --------------------------- */

static void check_hmac_sha256(const void *key, size_t key_len, const char *msg,
			      const char *expected_hex)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char hex[CRYPTO_SHA256_HEX_SIZE];

	CHECK_INT(crypto_hmac_sha256(key, key_len, msg, strlen(msg), mac), 0);
	CHECK_INT(crypto_hex_encode(mac, sizeof(mac), hex, sizeof(hex)), 0);
	CHECK_STR(hex, expected_hex);
}

static void test_hmac_sha256_rfc4231(void)
{
	unsigned char key[131];

	memset(key, 0x0b, 20); /* test case 1 */
	check_hmac_sha256(key, 20, "Hi There",
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac_sha256("Jefe", 4, "what do ya want for nothing?",
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof(key)); /* test case 6: key longer than a block */
	check_hmac_sha256(key, sizeof(key),
		"Test Using Larger Than Block-Size Key - Hash Key First",
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void check_base64(const char *in, const char *expected)
{
	char out[CRYPTO_BASE64_SIZE(6)];

	CHECK_INT(crypto_base64_encode(in, strlen(in), out, sizeof(out)), 0);
	CHECK_STR(out, expected);
}

static void test_base64_rfc4648(void)
{
	char small[8];

	check_base64("", "");
	check_base64("f", "Zg==");
	check_base64("fo", "Zm8=");
	check_base64("foo", "Zm9v");
	check_base64("foob", "Zm9vYg==");
	check_base64("fooba", "Zm9vYmE=");
	check_base64("foobar", "Zm9vYmFy");
	/* The standard alphabet, not the URL-safe one. */
	check_base64("\xfb\xff\xbf", "+/+/");
	/* 8 bytes hold 7 characters: "Zm9vYg==" does not fit. */
	CHECK_INT(crypto_base64_encode("foob", 4, small, sizeof(small)),
		  -ENOSPC);
	CHECK_STR(small, "");
	CHECK_INT(crypto_base64_encode("foo", 3, small, sizeof(small)), 0);
	CHECK_STR(small, "Zm9v");
}

static void test_constant_time_equal(void)
{
	CHECK(crypto_equal("abc", 3, "abc", 3));
	CHECK(!crypto_equal("abc", 3, "abd", 3));
	CHECK(!crypto_equal("abc", 3, "abcd", 4));
	CHECK(crypto_equal("", 0, "", 0));
}

int main(void)
{
	RUN(test_example_get_with_query);
	RUN(test_example_post_without_query);
	RUN(test_example_classic_query_order_kept);
	RUN(test_headers);
	RUN(test_bad_input_is_refused);
	RUN(test_signature_depends_on_every_field);
	RUN(test_hmac_sha256_rfc4231);
	RUN(test_base64_rfc4648);
	RUN(test_constant_time_equal);
	return CHECK_DONE();
}
