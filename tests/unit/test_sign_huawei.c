/*
 * test_sign_huawei.c: SDK-HMAC-SHA256 against the test vectors of
 * api/huawei.md section 3.7 (T1 official documentation example, T2 and T3
 * from the Go SDK's unit tests, T4 and T5 self-computed in the notes), plus
 * the canonicalisation rules of sections 3.3 to 3.5 one by one.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "providers/sign_huawei.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- T1: the documentation's VPC example --------------------------------- */

static const struct crypto_pair t1_headers[] = {
	{ "Host", "service.region.example.com" },
	{ "Content-Type", "application/json" },
	{ "X-Sdk-Date", "20191115T033655Z" },
};

static const struct huawei_request t1 = {
	.method = "GET",
	.path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
	.query = "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
	.headers = t1_headers,
	.header_count = ARRAY_SIZE(t1_headers),
};

static void test_t1_canonical_request(void)
{
	char *canonical;

	CHECK_INT(huawei_canonical_request(&t1, "20191115T033655Z", &canonical),
		  0);
	CHECK_STR(canonical,
		  "GET\n"
		  "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
		  "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
		  "content-type:application/json\n"
		  "host:service.region.example.com\n"
		  "x-sdk-date:20191115T033655Z\n"
		  "\n"
		  "content-type;host;x-sdk-date\n"
		  EMPTY_SHA256);
	free(canonical);
}

static void test_t1_string_to_sign(void)
{
	char *to_sign;

	CHECK_INT(huawei_string_to_sign(&t1, "20191115T033655Z", &to_sign), 0);
	CHECK_STR(to_sign,
		  "SDK-HMAC-SHA256\n"
		  "20191115T033655Z\n"
		  "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
	free(to_sign);
}

static void test_t1_signature(void)
{
	char *authorization;

	/* The documentation gives no AK; any token will do. */
	CHECK_INT(huawei_authorization(&t1, "20191115T033655Z", "EXAMPLEAK",
				       "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
				       &authorization), 0);
	CHECK_STR(authorization,
		  "SDK-HMAC-SHA256 Access=EXAMPLEAK, "
		  "SignedHeaders=content-type;host;x-sdk-date, "
		  "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
	free(authorization);
}

/* ---- T2 and T3: the Go SDK's signer_test.go ------------------------------- */

static void test_t2_go_sdk_get(void)
{
	/* Only X-Sdk-Date is signed: the date argument adds it. */
	const struct huawei_request req = {
		.method = "GET", .path = "/path", .query = "limit=1",
	};
	char *authorization;

	CHECK_INT(huawei_authorization(&req, "20060102T150405Z", "AccessKey",
				       "SecretKey", &authorization), 0);
	CHECK_STR(authorization,
		  "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
		  "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
	free(authorization);
}

static void test_t3_go_sdk_post_body_with_newline(void)
{
	/* Go's JSON encoder ends the body with '\n', and it is hashed. */
	static const char body[] = "{\"Name\":\"test\",\"Id\":1}\n";
	const struct huawei_request req = {
		.method = "POST", .path = "/path", .query = "key=value",
		.body = body, .body_len = sizeof(body) - 1,
	};
	char *authorization;

	CHECK_INT(req.body_len, 23);
	CHECK_INT(huawei_authorization(&req, "20060102T150405Z", "AccessKey",
				       "SecretKey", &authorization), 0);
	CHECK_STR(authorization,
		  "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
		  "Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
	free(authorization);
}

/* ---- T4 and T5: TaurusDB requests, self-computed in the notes ------------ */

#define T45_AK "AKEXAMPLE0000000000"
#define T45_SK "SKEXAMPLE0000000000000000000000000000000"
#define T45_DATE "20240102T030405Z"
#define T45_PROJECT "0483b6b16e954cb88930a360d2c4e663"
#define T45_HOST "gaussdb.cn-north-4.myhuaweicloud.com"

static void test_t4_create_backup(void)
{
	static const char body[] =
		"{\"instance_id\":\"ef25188419f941309882d2986b2210b9in07\","
		"\"name\":\"backup-1\",\"description\":\"manual backup\"}";
	static const struct crypto_pair headers[] = {
		{ "Content-Type", "application/json;charset=UTF-8" },
		{ "Host", T45_HOST },
		{ "X-Project-Id", T45_PROJECT },
	};
	const struct huawei_request req = {
		.method = "POST",
		.path = "/v3/" T45_PROJECT "/backups/create",
		.headers = headers, .header_count = ARRAY_SIZE(headers),
		.body = body, .body_len = sizeof(body) - 1,
	};
	char *canonical, *to_sign, *authorization;

	CHECK_INT(huawei_canonical_request(&req, T45_DATE, &canonical), 0);
	CHECK(canonical && strstr(canonical, "\n/v3/" T45_PROJECT
					     "/backups/create/\n"));
	CHECK(canonical && strstr(canonical,
				  "\ncontent-type;host;x-project-id;x-sdk-date\n"
				  "dc25ecbd75637902a0b511dc813204c7e447bb85f5a86523b993f04deb58151c"));
	free(canonical);
	CHECK_INT(huawei_string_to_sign(&req, T45_DATE, &to_sign), 0);
	CHECK_STR(to_sign,
		  "SDK-HMAC-SHA256\n" T45_DATE "\n"
		  "6405e0966f1052cc4c0a66b0667efeacc0d18fab590f108321c9f3a66056fb11");
	free(to_sign);
	CHECK_INT(huawei_authorization(&req, T45_DATE, T45_AK, T45_SK,
				       &authorization), 0);
	CHECK_STR(authorization,
		  "SDK-HMAC-SHA256 Access=" T45_AK ", "
		  "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
		  "Signature=16ddfb46dd606349e5bb450bb3fda8e0ded8806c09aac09f0028ff91fb7014ff");
	free(authorization);
}

#define T5_QUERY                                                          \
	"instance_id=ef25188419f941309882d2986b2210b9in07&backup_type=manual" \
	"&begin_time=2020-07-06T10:41:14+0800"                            \
	"&end_time=2020-07-16T10:41:14+0800&offset=0&limit=10"

static void test_t5_list_backups(void)
{
	static const struct crypto_pair headers[] = {
		{ "Host", T45_HOST },
		{ "X-Project-Id", T45_PROJECT },
	};
	const struct huawei_request req = {
		.method = "GET",
		.path = "/v3/" T45_PROJECT "/backups",
		.query = T5_QUERY,
		.headers = headers, .header_count = ARRAY_SIZE(headers),
	};
	char *query, *authorization;

	CHECK_INT(huawei_canonical_query(T5_QUERY, &query), 0);
	CHECK_STR(query,
		  "backup_type=manual"
		  "&begin_time=2020-07-06T10%3A41%3A14%2B0800"
		  "&end_time=2020-07-16T10%3A41%3A14%2B0800"
		  "&instance_id=ef25188419f941309882d2986b2210b9in07"
		  "&limit=10&offset=0");
	CHECK_INT(huawei_authorization(&req, T45_DATE, T45_AK, T45_SK,
				       &authorization), 0);
	CHECK_STR(authorization,
		  "SDK-HMAC-SHA256 Access=" T45_AK ", "
		  "SignedHeaders=host;x-project-id;x-sdk-date, "
		  "Signature=256ddf2765c513fab801e3610e94ba420a3bdfc97809023898cf36042e5fa8c5");
	free(authorization);

	/* Sending the canonical query instead of the raw one signs the same. */
	{
		struct huawei_request sent = req;

		sent.query = query;
		CHECK_INT(huawei_authorization(&sent, T45_DATE, T45_AK, T45_SK,
					       &authorization), 0);
		CHECK(authorization &&
		      strstr(authorization, "Signature=256ddf2765c513fa"));
		free(authorization);
	}
	free(query);
}

/* ---- the rules one by one ------------------------------------------------ */

static char *canonical_of(const char *method, const char *path,
			  const char *query)
{
	const struct huawei_request req = {
		.method = method, .path = path, .query = query,
	};
	char *canonical = NULL;
	int result = huawei_canonical_request(&req, "20060102T150405Z", &canonical);

	CHECK_INT(result, 0);
	return result == 0 ? canonical : NULL;
}

static void check_canonical_uri(const char *path, const char *expected)
{
	char *canonical = canonical_of("GET", path, NULL);
	const char *start = canonical ? strchr(canonical, '\n') : NULL;
	const char *end = start ? strchr(start + 1, '\n') : NULL;
	char uri[256] = "";

	if (start && end && (size_t)(end - start - 1) < sizeof(uri))
		memcpy(uri, start + 1, (size_t)(end - start - 1));
	CHECK_STR(uri, expected);
	free(canonical);
}

static void test_canonical_uri_rules(void)
{
	check_canonical_uri("/", "/");
	check_canonical_uri("/v3/p/backups", "/v3/p/backups/");
	check_canonical_uri("/v3/p/backups/", "/v3/p/backups/");
	/* Raw and encoded forms of a segment sign the same. */
	check_canonical_uri("/a b/c", "/a%20b/c/");
	check_canonical_uri("/a%20b/c", "/a%20b/c/");
	check_canonical_uri("/x:y+z", "/x%3Ay%2Bz/");
	check_canonical_uri("/%E4%B8%80", "/%E4%B8%80/");
	/* A '%' that starts no escape is a literal percent. */
	check_canonical_uri("/100%", "/100%25/");
}

static void test_canonical_query_rules(void)
{
	char *query;

	/* The Go SDK's canonical-query test (huawei.md 3.4), fed a raw query
	 * in scrambled order; "test" decodes to "一 (&=?!#%.*)". */
	CHECK_INT(huawei_canonical_query(
			  "test=%E4%B8%80%20(%26%3D%3F!%23%25.*)&path=/tmp/123"
			  "&multi=3&multi=1&multi=2&limit=1&enable=true",
			  &query), 0);
	CHECK_STR(query, "enable=true&limit=1&multi=1&multi=2&multi=3"
			 "&path=%2Ftmp%2F123"
			 "&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29");
	free(query);
	/* No '=' means an empty value; empty pieces are no parameter; keys
	 * keep their case. */
	CHECK_INT(huawei_canonical_query("b&&A=1&", &query), 0);
	CHECK_STR(query, "A=1&b=");
	free(query);
	CHECK_INT(huawei_canonical_query(NULL, &query), 0);
	CHECK_STR(query, "");
	free(query);
	CHECK_INT(huawei_canonical_query("a=%00", &query), -EINVAL);
	CHECK(query == NULL);
}

static void test_header_rules(void)
{
	static const struct crypto_pair headers[] = {
		{ "X-Project-Id", "  p1\t" },
		{ "HOST", "h.example.com" },
	};
	const struct huawei_request req = {
		.method = "GET", .path = "/a",
		.headers = headers, .header_count = ARRAY_SIZE(headers),
	};
	char *canonical;

	CHECK_INT(huawei_canonical_request(&req, "20060102T150405Z",
					   &canonical), 0);
	CHECK_STR(canonical, "GET\n/a/\n\n"
			     "host:h.example.com\n"
			     "x-project-id:p1\n"
			     "x-sdk-date:20060102T150405Z\n"
			     "\n"
			     "host;x-project-id;x-sdk-date\n" EMPTY_SHA256);
	free(canonical);
}

static void test_unsigned_payload_header_replaces_body_hash(void)
{
	static const struct crypto_pair headers[] = {
		{ "X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD" },
	};
	const struct huawei_request req = {
		.method = "PUT", .path = "/a",
		.headers = headers, .header_count = ARRAY_SIZE(headers),
		.body = "data", .body_len = 4,
	};
	char *canonical;

	CHECK_INT(huawei_canonical_request(&req, "20060102T150405Z",
					   &canonical), 0);
	CHECK_STR(canonical, "PUT\n/a/\n\n"
			     "x-sdk-content-sha256:UNSIGNED-PAYLOAD\n"
			     "x-sdk-date:20060102T150405Z\n"
			     "\n"
			     "x-sdk-content-sha256;x-sdk-date\n"
			     "UNSIGNED-PAYLOAD");
	free(canonical);
}

static int authorization_rc(const struct crypto_pair *headers, size_t count,
			    const char *method, const char *path,
			    const char *date)
{
	const struct huawei_request req = {
		.method = method, .path = path,
		.headers = headers, .header_count = count,
	};
	char *authorization = (char *)"untouched";
	int rc = huawei_authorization(&req, date, "AK", "SK", &authorization);

	if (rc)
		CHECK(authorization == NULL);
	free(authorization);
	return rc;
}

static void test_bad_input_is_refused(void)
{
	static const struct crypto_pair twice[] = {
		{ "X-A", "1" }, { "x-a", "2" },
	};
	static const struct crypto_pair other_date[] = {
		{ "X-Sdk-Date", "20060102T150406Z" },
	};
	static const struct crypto_pair same_date[] = {
		{ "x-sdk-date", " 20060102T150405Z " },
	};
	static const struct crypto_pair bad_name[] = { { "X A", "1" } };
	static const struct crypto_pair bad_value[] = {
		{ "X-A", "1\r\nX-B: 2" },
	};
	const char *date = "20060102T150405Z";

	CHECK_INT(authorization_rc(NULL, 0, "GET", "/a", date), 0);
	CHECK_INT(authorization_rc(same_date, 1, "GET", "/a", date), 0);
	CHECK_INT(authorization_rc(twice, 2, "GET", "/a", date), -EINVAL);
	CHECK_INT(authorization_rc(other_date, 1, "GET", "/a", date), -EINVAL);
	CHECK_INT(authorization_rc(bad_name, 1, "GET", "/a", date), -EINVAL);
	CHECK_INT(authorization_rc(bad_value, 1, "GET", "/a", date), -EINVAL);
	CHECK_INT(authorization_rc(NULL, 0, "get", "/a", date), -EINVAL);
	CHECK_INT(authorization_rc(NULL, 0, "GET", "a", date), -EINVAL);
	CHECK_INT(authorization_rc(NULL, 0, "GET", "/a", "2006-01-02T15:04:05Z"),
		  -EINVAL);
	CHECK_INT(authorization_rc(NULL, 0, "GET", "/a", NULL), -EINVAL);
}

static void test_format_date(void)
{
	char date[HUAWEI_DATE_SIZE];

	CHECK_INT(huawei_format_date((time_t)1573789015, date), 0);
	CHECK_STR(date, "20191115T033655Z");
	CHECK_INT(huawei_format_date((time_t)0, date), 0);
	CHECK_STR(date, "19700101T000000Z");
}

int main(void)
{
	RUN(test_t1_canonical_request);
	RUN(test_t1_string_to_sign);
	RUN(test_t1_signature);
	RUN(test_t2_go_sdk_get);
	RUN(test_t3_go_sdk_post_body_with_newline);
	RUN(test_t4_create_backup);
	RUN(test_t5_list_backups);
	RUN(test_canonical_uri_rules);
	RUN(test_canonical_query_rules);
	RUN(test_header_rules);
	RUN(test_unsigned_payload_header_replaces_body_hash);
	RUN(test_bad_input_is_refused);
	RUN(test_format_date);
	return CHECK_DONE();
}
