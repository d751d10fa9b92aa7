/*
 * test_sign_s3.c: AWS Signature Version 4 against
 *   - AWS's aws-sig-v4-test-suite (service "service", region us-east-1,
 *     AKIDEXAMPLE, 20150830T123600Z), the cases that apply to S3, i.e. not
 *     the path-normalisation ones, which S3 does not do;
 *   - the S3 examples of "Signature Calculations for the Authorization
 *     Header" in the S3 API reference (examplebucket, 20130524T000000Z):
 *     GET Object with Range, PUT Object, GET Bucket Lifecycle, and
 *     GET Bucket (ListObjects).
 * Expected values are the published ones, copied as is. Also the crypto.h
 * pieces SigV4 is made of: SHA-256 (FIPS 180-4), hex, percent-encoding, the
 * text builder and the compact UTC date.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "providers/sign_s3.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- aws-sig-v4-test-suite ----------------------------------------------- */

#define SUITE_TIME ((time_t)1440938160) /* 2015-08-30T12:36:00Z */
#define SUITE_HOST "example.amazonaws.com"
#define SUITE_AUTHZ                                                        \
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/" \
	"aws4_request, "
#define SUITE_STS "AWS4-HMAC-SHA256\n20150830T123600Z\n" \
		  "20150830/us-east-1/service/aws4_request\n"

static const struct s3_credentials suite_credentials = {
	.access_key = "AKIDEXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "service",
};

struct suite_case {
	const char *name;
	const char *method;
	const char *path;                  /* raw, as the suite's .req has it */
	struct crypto_pair query[2];
	size_t query_count;
	struct crypto_pair headers[3];     /* besides Host and X-Amz-Date */
	size_t header_count;
	const char *body;
	const char *authorization;         /* the suite's .authz */
};

static const struct suite_case suite[] = {
	{ .name = "get-vanilla", .method = "GET", .path = "/",
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ .name = "get-vanilla-query-order-key-case", .method = "GET",
	  .path = "/",
	  .query = { { "Param2", "value2" }, { "Param1", "value1" } },
	  .query_count = 2,
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ .name = "get-vanilla-query-order-value", .method = "GET",
	  .path = "/",
	  .query = { { "Param1", "value2" }, { "Param1", "value1" } },
	  .query_count = 2,
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ .name = "get-vanilla-utf8-query", .method = "GET", .path = "/",
	  .query = { { "\xe1\x88\xb4", "bar" } }, .query_count = 1,
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ .name = "get-utf8", .method = "GET", .path = "/\xe1\x88\xb4",
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
	{ .name = "get-unreserved", .method = "GET",
	  .path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
	{ .name = "get-space", .method = "GET", .path = "/example space/",
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
	{ .name = "get-header-value-trim", .method = "GET", .path = "/",
	  .headers = { { "My-Header1", " value1" },
		       { "My-Header2", " \"a   b   c\"" } },
	  .header_count = 2,
	  .authorization = SUITE_AUTHZ
		"SignedHeaders=host;my-header1;my-header2;x-amz-date, "
		"Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ .name = "get-header-key-duplicate", .method = "GET", .path = "/",
	  .headers = { { "My-Header1", "value2" }, { "My-Header1", "value2" },
		       { "My-Header1", "value1" } },
	  .header_count = 3,
	  .authorization = SUITE_AUTHZ
		"SignedHeaders=host;my-header1;x-amz-date, "
		"Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ .name = "post-vanilla-query", .method = "POST", .path = "/",
	  .query = { { "Param1", "value1" } }, .query_count = 1,
	  .authorization = SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
		"Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ .name = "post-header-value-case", .method = "POST", .path = "/",
	  .headers = { { "My-Header1", "VALUE1" } }, .header_count = 1,
	  .authorization = SUITE_AUTHZ
		"SignedHeaders=host;my-header1;x-amz-date, "
		"Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
	/* The suite's .req also carries Content-Length, but its .authz signs
	 * only content-type;host;x-amz-date, and that is the signature given. */
	{ .name = "post-x-www-form-urlencoded", .method = "POST", .path = "/",
	  .headers = { { "Content-Type", "application/x-www-form-urlencoded" } },
	  .header_count = 1, .body = "Param1=value1",
	  .authorization = SUITE_AUTHZ
		"SignedHeaders=content-type;host;x-amz-date, "
		"Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	{ .name = "post-sts-header-before", .method = "POST", .path = "/",
	  .headers = { { "X-Amz-Security-Token",
			 "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==" } },
	  .header_count = 1,
	  .authorization = SUITE_AUTHZ
		"SignedHeaders=host;x-amz-date;x-amz-security-token, "
		"Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
};

static void suite_request(const struct suite_case *c, struct s3_request *req,
			  char payload_hash[CRYPTO_SHA256_HEX_SIZE])
{
	const char *body = c->body ? c->body : "";

	CHECK_INT(crypto_sha256_hex(body, strlen(body), payload_hash), 0);
	*req = (struct s3_request){
		.method = c->method, .host = SUITE_HOST, .path = c->path,
		.query = c->query, .query_count = c->query_count,
		.headers = c->headers, .header_count = c->header_count,
		.payload_hash = payload_hash,
	};
}

static void test_suite_authorization(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suite); i++) {
		char payload_hash[CRYPTO_SHA256_HEX_SIZE];
		struct s3_signature sig;
		struct s3_request req;

		suite_request(&suite[i], &req, payload_hash);
		CHECK_INT(s3_sign(&req, &suite_credentials, SUITE_TIME, &sig), 0);
		if (!sig.authorization ||
		    strcmp(sig.authorization, suite[i].authorization))
			fprintf(stderr, "suite case %s:\n", suite[i].name);
		CHECK_STR(sig.authorization, suite[i].authorization);
		CHECK_STR(sig.amz_date, "20150830T123600Z");
		s3_signature_free(&sig);
	}
}

static void test_suite_get_header_value_order(void)
{
	static const struct crypto_pair headers[] = {
		{ "My-Header1", "value4" }, { "My-Header1", "value1" },
		{ "My-Header1", "value3" }, { "My-Header1", "value2" },
	};
	const struct s3_request req = {
		.method = "GET", .host = SUITE_HOST, .path = "/",
		.headers = headers, .header_count = ARRAY_SIZE(headers),
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};
	struct s3_signature sig;
	char *canonical;

	CHECK_INT(s3_canonical_request(&req, &suite_credentials, SUITE_TIME,
				       &canonical), 0);
	CHECK_STR(canonical, "GET\n/\n\n"
			     "host:example.amazonaws.com\n"
			     "my-header1:value4,value1,value3,value2\n"
			     "x-amz-date:20150830T123600Z\n\n"
			     "host;my-header1;x-amz-date\n"
			     S3_EMPTY_PAYLOAD_SHA256);
	free(canonical);
	CHECK_INT(s3_sign(&req, &suite_credentials, SUITE_TIME, &sig), 0);
	CHECK_STR(sig.authorization, SUITE_AUTHZ
		  "SignedHeaders=host;my-header1;x-amz-date, "
		  "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");
	s3_signature_free(&sig);
}

/* The suite's .creq and .sts files, for the cases where the intermediate
 * steps are the interesting part. */
static void check_suite_steps(const char *name, const char *creq,
			      const char *sts)
{
	char payload_hash[CRYPTO_SHA256_HEX_SIZE];
	const struct suite_case *c = NULL;
	struct s3_request req;
	char *canonical, *to_sign;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suite); i++)
		if (!strcmp(suite[i].name, name))
			c = &suite[i];
	CHECK(c != NULL);
	if (!c)
		return;
	suite_request(c, &req, payload_hash);
	CHECK_INT(s3_canonical_request(&req, &suite_credentials, SUITE_TIME,
				       &canonical), 0);
	CHECK_STR(canonical, creq);
	free(canonical);
	CHECK_INT(s3_string_to_sign(&req, &suite_credentials, SUITE_TIME,
				    &to_sign), 0);
	CHECK_STR(to_sign, sts);
	free(to_sign);
}

static void test_suite_steps(void)
{
	check_suite_steps("get-vanilla",
		"GET\n/\n\nhost:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
		S3_EMPTY_PAYLOAD_SHA256,
		SUITE_STS
		"bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
	check_suite_steps("get-vanilla-query-order-key-case",
		"GET\n/\nParam1=value1&Param2=value2\n"
		"host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
		"host;x-amz-date\n" S3_EMPTY_PAYLOAD_SHA256,
		SUITE_STS
		"816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
	check_suite_steps("get-utf8",
		"GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
		S3_EMPTY_PAYLOAD_SHA256,
		SUITE_STS
		"2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102");
	check_suite_steps("get-vanilla-utf8-query",
		"GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
		S3_EMPTY_PAYLOAD_SHA256,
		SUITE_STS
		"eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073");
	check_suite_steps("get-header-value-trim",
		"GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
		"my-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
		"host;my-header1;my-header2;x-amz-date\n"
		S3_EMPTY_PAYLOAD_SHA256,
		SUITE_STS
		"a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7");
	check_suite_steps("get-space",
		"GET\n/example%20space/\n\nhost:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
		S3_EMPTY_PAYLOAD_SHA256,
		SUITE_STS
		"63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86");
}

/* ---- the S3 API reference examples ---------------------------------------- */

#define DOC_TIME ((time_t)1369353600) /* 2013-05-24T00:00:00Z */
#define DOC_HOST "examplebucket.s3.amazonaws.com"
#define DOC_AUTHZ                                                          \
	"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/" \
	"s3/aws4_request, "
#define DOC_STS "AWS4-HMAC-SHA256\n20130524T000000Z\n" \
		"20130524/us-east-1/s3/aws4_request\n"

/* Note the '/' where the suite's key has a '+': a different example key. */
static const struct s3_credentials doc_credentials = {
	.access_key = "AKIAIOSFODNN7EXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "s3",
};

/* The documentation prints the header with "," alone between the fields;
 * S3 accepts either, and we write ", " as the SigV4 suite does. */
static void check_doc_example(const struct s3_request *req,
			      const char *signed_headers, const char *sts,
			      const char *signature)
{
	struct s3_signature sig;
	char expected[512];
	char *to_sign;

	snprintf(expected, sizeof(expected),
		 DOC_AUTHZ "SignedHeaders=%s, Signature=%s", signed_headers,
		 signature);
	CHECK_INT(s3_string_to_sign(req, &doc_credentials, DOC_TIME, &to_sign),
		  0);
	CHECK_STR(to_sign, sts);
	free(to_sign);
	CHECK_INT(s3_sign(req, &doc_credentials, DOC_TIME, &sig), 0);
	CHECK_STR(sig.authorization, expected);
	CHECK_STR(sig.amz_date, "20130524T000000Z");
	CHECK_STR(sig.content_sha256, req->payload_hash);
	s3_signature_free(&sig);
}

static void test_doc_get_object_with_range(void)
{
	static const struct crypto_pair headers[] = {
		{ "Range", "bytes=0-9" },
	};
	const struct s3_request req = {
		.method = "GET", .host = DOC_HOST, .path = "/test.txt",
		.headers = headers, .header_count = ARRAY_SIZE(headers),
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};
	char *canonical;

	CHECK_INT(s3_canonical_request(&req, &doc_credentials, DOC_TIME,
				       &canonical), 0);
	CHECK_STR(canonical,
		  "GET\n/test.txt\n\n"
		  "host:examplebucket.s3.amazonaws.com\n"
		  "range:bytes=0-9\n"
		  "x-amz-content-sha256:" S3_EMPTY_PAYLOAD_SHA256 "\n"
		  "x-amz-date:20130524T000000Z\n\n"
		  "host;range;x-amz-content-sha256;x-amz-date\n"
		  S3_EMPTY_PAYLOAD_SHA256);
	free(canonical);
	check_doc_example(&req, "host;range;x-amz-content-sha256;x-amz-date",
		DOC_STS "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
		"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_doc_put_object(void)
{
	static const struct crypto_pair headers[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	};
	static const char body[] = "Welcome to Amazon S3.";
	char payload_hash[CRYPTO_SHA256_HEX_SIZE];
	const struct s3_request req = {
		.method = "PUT", .host = DOC_HOST,
		.path = "/test$file.text", /* raw: '$' is signed as %24 */
		.headers = headers, .header_count = ARRAY_SIZE(headers),
		.payload_hash = payload_hash,
	};
	char *canonical;

	CHECK_INT(crypto_sha256_hex(body, sizeof(body) - 1, payload_hash), 0);
	CHECK_STR(payload_hash,
		  "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	CHECK_INT(s3_canonical_request(&req, &doc_credentials, DOC_TIME,
				       &canonical), 0);
	CHECK(canonical && !strncmp(canonical, "PUT\n/test%24file.text\n\n"
					       "date:Fri, 24 May 2013", 44));
	free(canonical);
	check_doc_example(&req,
		"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
		DOC_STS "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
		"98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

static void test_doc_get_bucket_lifecycle(void)
{
	static const struct crypto_pair query[] = { { "lifecycle", NULL } };
	const struct s3_request req = {
		.method = "GET", .host = DOC_HOST, .path = "/",
		.query = query, .query_count = ARRAY_SIZE(query),
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};

	check_doc_example(&req, "host;x-amz-content-sha256;x-amz-date",
		DOC_STS "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
		"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void test_doc_list_objects(void)
{
	/* Given out of order: the canonical query sorts them. */
	static const struct crypto_pair query[] = {
		{ "prefix", "J" }, { "max-keys", "2" },
	};
	const struct s3_request req = {
		.method = "GET", .host = DOC_HOST, .path = "/",
		.query = query, .query_count = ARRAY_SIZE(query),
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};
	char *wire;

	check_doc_example(&req, "host;x-amz-content-sha256;x-amz-date",
		DOC_STS "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
		"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	CHECK_INT(s3_query_string(query, ARRAY_SIZE(query), &wire), 0);
	CHECK_STR(wire, "max-keys=2&prefix=J");
	free(wire);
}

/* ---- the rules one by one ------------------------------------------------ */

static void test_wire_helpers(void)
{
	static const struct crypto_pair query[] = {
		{ "list-type", "2" },
		{ "prefix", "dbbackupfs/db-1/a b+c" },
		{ "continuation-token", "1/x=y" },
	};
	char *s;

	CHECK_INT(s3_encode_path("/bucket/dbbackupfs/db 1/a+b$~.gz", &s), 0);
	CHECK_STR(s, "/bucket/dbbackupfs/db%201/a%2Bb%24~.gz");
	free(s);
	CHECK_INT(s3_encode_path("bucket", &s), -EINVAL);
	CHECK(s == NULL);
	CHECK_INT(s3_query_string(query, ARRAY_SIZE(query), &s), 0);
	CHECK_STR(s, "continuation-token=1%2Fx%3Dy&list-type=2"
		     "&prefix=dbbackupfs%2Fdb-1%2Fa%20b%2Bc");
	free(s);
	CHECK_INT(s3_query_string(NULL, 0, &s), 0);
	CHECK_STR(s, "");
	free(s);
}

static void test_unsigned_payload(void)
{
	const struct s3_request req = {
		.method = "GET", .host = "kr.object.ncloudstorage.com",
		.path = "/bucket/key", .payload_hash = S3_UNSIGNED_PAYLOAD,
	};
	struct s3_credentials cred = doc_credentials;
	struct s3_signature sig;
	char *canonical;

	cred.region = "kr-standard";
	CHECK_INT(s3_canonical_request(&req, &cred, DOC_TIME, &canonical), 0);
	CHECK(canonical &&
	      strstr(canonical, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	CHECK(canonical && strstr(canonical, "\nUNSIGNED-PAYLOAD") &&
	      !strcmp(strrchr(canonical, '\n'), "\nUNSIGNED-PAYLOAD"));
	free(canonical);
	CHECK_INT(s3_sign(&req, &cred, DOC_TIME, &sig), 0);
	CHECK_STR(sig.content_sha256, "UNSIGNED-PAYLOAD");
	CHECK(sig.authorization &&
	      strstr(sig.authorization,
		     "/20130524/kr-standard/s3/aws4_request, "));
	s3_signature_free(&sig);
	CHECK(sig.authorization == NULL);
	s3_signature_free(&sig);
}

static int sign_rc(const struct s3_request *req,
		   const struct s3_credentials *cred, time_t when)
{
	struct s3_signature sig;
	int rc = s3_sign(req, cred, when, &sig);

	if (rc)
		CHECK(sig.authorization == NULL);
	s3_signature_free(&sig);
	return rc;
}

static void test_bad_input_is_refused(void)
{
	static const struct crypto_pair host[] = { { "Host", "x" } };
	static const struct crypto_pair date[] = { { "X-Amz-Date", "x" } };
	static const struct crypto_pair newline[] = { { "X-A", "1\nX-B: 2" } };
	struct s3_request req = {
		.method = "GET", .host = DOC_HOST, .path = "/",
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};
	struct s3_credentials cred = doc_credentials;

	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), 0);
	req.headers = host;
	req.header_count = 1;
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.headers = date;
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.headers = newline;
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.headers = NULL;
	req.header_count = 0;
	req.payload_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.payload_hash = "";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.payload_hash = S3_EMPTY_PAYLOAD_SHA256;
	req.path = "test.txt";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.path = "/";
	req.method = "get";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	req.method = "GET";
	cred.region = "us/east";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	cred.region = "us-east-1";
	cred.secret_key = "";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
	cred.secret_key = doc_credentials.secret_key;
	cred.access_key = "AK/X";
	CHECK_INT(sign_rc(&req, &cred, DOC_TIME), -EINVAL);
}

static void test_host_with_port(void)
{
	const struct s3_request req = {
		.method = "HEAD", .host = "127.0.0.1:9000", .path = "/b/k",
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};
	char *canonical;

	CHECK_INT(s3_canonical_request(&req, &doc_credentials, DOC_TIME,
				       &canonical), 0);
	CHECK(canonical && strstr(canonical, "\nhost:127.0.0.1:9000\n"));
	free(canonical);
}

/* ---- crypto.h: SHA-256, hex, percent-encoding, text, date --------------- */

static void test_sha256(void)
{
	char hex[CRYPTO_SHA256_HEX_SIZE];

	CHECK_INT(crypto_sha256_hex("", 0, hex), 0);
	CHECK_STR(hex, S3_EMPTY_PAYLOAD_SHA256);
	CHECK_INT(crypto_sha256_hex(NULL, 0, hex), 0);
	CHECK_STR(hex, S3_EMPTY_PAYLOAD_SHA256);
	CHECK_INT(crypto_sha256_hex("abc", 3, hex), 0); /* FIPS 180-4 B.1 */
	CHECK_STR(hex,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hex_encode(void)
{
	char out[5];

	CHECK_INT(crypto_hex_encode("\x00\xff", 2, out, sizeof(out)), 0);
	CHECK_STR(out, "00ff");
	CHECK_INT(crypto_hex_encode("\x00\xff\x10", 3, out, sizeof(out)),
		  -ENOSPC);
	CHECK_STR(out, "");
}

static void check_percent(const char *in, unsigned flags, const char *expected)
{
	char out[CRYPTO_PERCENT_SIZE(32)];

	CHECK_INT(crypto_percent_encode(in, strlen(in), flags, out,
					sizeof(out)), 0);
	CHECK_STR(out, expected);
}

static void test_percent_encode(void)
{
	char small[4];

	check_percent("AZaz09-_.~", 0, "AZaz09-_.~");
	check_percent("a b+c", 0, "a%20b%2Bc");
	check_percent("/a/b", 0, "%2Fa%2Fb");
	check_percent("/a/b", CRYPTO_PERCENT_KEEP_SLASH, "/a/b");
	check_percent("!'()*%", 0, "%21%27%28%29%2A%25");
	check_percent("\xe4\xb8\x80", 0, "%E4%B8%80");
	/* "%20" needs 4 bytes with the NUL; 4 is enough, 3 is not. */
	CHECK_INT(crypto_percent_encode(" ", 1, 0, small, 4), 0);
	CHECK_STR(small, "%20");
	CHECK_INT(crypto_percent_encode(" ", 1, 0, small, 3), -ENOSPC);
	CHECK_STR(small, "");
}

static void test_text_builder(void)
{
	struct crypto_text text;
	char *s;
	int i;

	crypto_text_init(&text);
	s = crypto_text_take(&text);
	CHECK_STR(s, "");
	free(s);
	crypto_text_init(&text);
	for (i = 0; i < 1000; i++) /* grows past the first allocation */
		crypto_text_add(&text, "0123456789");
	crypto_text_add_char(&text, '!');
	CHECK_INT(text.len, 10001);
	s = crypto_text_take(&text);
	CHECK(s && strlen(s) == 10001 && s[10000] == '!');
	CHECK(text.data == NULL && text.len == 0);
	free(s);
	/* A failed text stays failed and yields NULL once. */
	crypto_text_init(&text);
	crypto_text_add(&text, "x");
	text.failed = true;
	crypto_text_add(&text, "y");
	CHECK(crypto_text_take(&text) == NULL);
	CHECK(text.data == NULL && !text.failed);
	crypto_text_free(&text);
}

static void test_compact_utc(void)
{
	char date[CRYPTO_COMPACT_UTC_SIZE];

	CHECK_INT(crypto_format_compact_utc(SUITE_TIME, date), 0);
	CHECK_STR(date, "20150830T123600Z");
	CHECK_INT(crypto_format_compact_utc((time_t)951782400, date), 0);
	CHECK_STR(date, "20000229T000000Z"); /* leap day */
}

int main(void)
{
	RUN(test_suite_authorization);
	RUN(test_suite_get_header_value_order);
	RUN(test_suite_steps);
	RUN(test_doc_get_object_with_range);
	RUN(test_doc_put_object);
	RUN(test_doc_get_bucket_lifecycle);
	RUN(test_doc_list_objects);
	RUN(test_wire_helpers);
	RUN(test_unsigned_payload);
	RUN(test_bad_input_is_refused);
	RUN(test_host_with_port);
	RUN(test_sha256);
	RUN(test_hex_encode);
	RUN(test_percent_encode);
	RUN(test_text_builder);
	RUN(test_compact_utc);
	return CHECK_DONE();
}
