/*
 * test_objectstore.c: the S3 client of objectstore.h without a network:
 *   - ListObjectsV2 pages read from fixtures (data/objectstore/): pages
 *     captured from s3rver 3.7.1 (many keys, one key, none, the last page of
 *     a continuation) and one in the documented S3 shape, pretty-printed,
 *     with keys that need decoding;
 *   - S3 XML errors to errno, code, message, request id and remedy, the
 *     clock-skew explanation, and a HEAD's body-less error;
 *   - NAVER's endpoint table, endpoint parsing, and signing: the URL the
 *     content reader is given, signed by objectstore_sign, must carry the
 *     signature s3_sign makes over the raw key (sign_s3 itself is checked on
 *     AWS's vectors in test_sign_s3.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "providers/objectstore.h"
#include "providers/sign_s3.h"

#define DATA_DIR "data/objectstore/"

static char *read_fixture(const char *name, size_t *len)
{
	return check_read_fixture(DATA_DIR, name, len);
}

static int parse_fixture(const char *name, struct objectstore_page *page, char *reason,
			 size_t reason_size)
{
	size_t length = 0;
	char *body = read_fixture(name, &length);
	int result;

	if (!body)
		return -999;
	result = objectstore_parse_list_page(body, length, page, reason, reason_size);
	free(body);
	return result;
}

/* ---- list pages ------------------------------------------------------- */

static void test_page_of_many_keys_with_a_token(void)
{
	struct objectstore_page page;
	char reason[160] = "";

	CHECK_INT(parse_fixture("s3rver_page_truncated.xml", &page, reason, sizeof(reason)), 0);
	CHECK_INT(page.count, 2);
	if (page.count == 2) {
		CHECK_STR(page.objects[0].key, "dir/a.txt");
		CHECK_INT(page.objects[0].size, 11);
		CHECK_INT(page.objects[0].last_modified, 1795452477); /* 2026-11-23T16:47:57Z */
		CHECK_STR(page.objects[1].key, "dir/f1");
		CHECK_INT(page.objects[1].size, 2);
	}
	CHECK(page.truncated);
	CHECK_STR(page.next_token, "13TivGQkj6/NbLAkZE6cf7AW2Rolb4OQOMSQS7ugzms=");
	objectstore_page_destroy(&page);
	CHECK(page.objects == NULL && page.count == 0 && page.next_token == NULL);
}

static void test_last_page_has_no_next_token(void)
{
	struct objectstore_page page;
	char reason[160] = "";

	CHECK_INT(parse_fixture("s3rver_page_last.xml", &page, reason, sizeof(reason)), 0);
	CHECK_INT(page.count, 2);
	if (page.count == 2) {
		CHECK_STR(page.objects[0].key, "dir/f2");
		CHECK_STR(page.objects[1].key, "dir/f3");
	}
	CHECK(!page.truncated);
	/* <ContinuationToken> echoes the request; only the Next one counts. */
	CHECK(page.next_token == NULL);
	objectstore_page_destroy(&page);
}

/* One <Contents> is an object in the neutral tree, not a one-element array. */
static void test_page_of_one_key(void)
{
	struct objectstore_page page;
	char reason[160] = "";

	CHECK_INT(parse_fixture("s3rver_page_one.xml", &page, reason, sizeof(reason)), 0);
	CHECK_INT(page.count, 1);
	if (page.count == 1) {
		CHECK_STR(page.objects[0].key, "dir/a.txt");
		CHECK_INT(page.objects[0].size, 11);
	}
	CHECK(!page.truncated);
	objectstore_page_destroy(&page);
}

static void test_empty_page(void)
{
	struct objectstore_page page;
	char reason[160] = "";

	CHECK_INT(parse_fixture("s3rver_page_empty.xml", &page, reason, sizeof(reason)), 0);
	CHECK_INT(page.count, 0);
	CHECK(page.objects == NULL);
	CHECK(!page.truncated);
	objectstore_page_destroy(&page);
}

static void test_documented_shape_pretty_printed(void)
{
	struct objectstore_page page;
	char reason[160] = "";

	CHECK_INT(parse_fixture("aws_page_pretty.xml", &page, reason, sizeof(reason)), 0);
	CHECK_INT(page.count, 3);
	if (page.count == 3) {
		CHECK_STR(page.objects[0].key, "dbbackupfs/pg-orders/20240601");
		CHECK_INT(page.objects[0].size, 571482767);
		CHECK_INT(page.objects[0].last_modified, 1717210800);
		CHECK_STR(page.objects[1].key, "dbbackupfs/pg-orders/a & b <c>.tar.gz");
		CHECK_INT(page.objects[1].size, 0);
		CHECK_STR(page.objects[2].key, "dbbackupfs/pg-orders/\xeb\xb0\xb1\xec\x97\x85 2024.gz");
		CHECK_INT(page.objects[2].size, 17);
	}
	CHECK(page.truncated);
	CHECK_STR(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	objectstore_page_destroy(&page);
}

static void test_bodies_that_are_not_pages(void)
{
	static const char *const names[] = {
		"s3rver_error_no_such_bucket.xml",   /* an <Error>, not a page */
		"page_without_key.xml",
		"page_truncated_garbage.xml",
	};
	struct objectstore_page page;
	char reason[160];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		reason[0] = '\0';
		CHECK_INT(parse_fixture(names[i], &page, reason, sizeof(reason)), -EINVAL);
		CHECK(reason[0] != '\0');
		objectstore_page_destroy(&page);
	}
	reason[0] = '\0';
	CHECK_INT(objectstore_parse_list_page("<ListBucketResult><Contents>", 28, &page,
					      reason, sizeof(reason)), -EINVAL);
	CHECK(reason[0] != '\0');
	objectstore_page_destroy(&page);
	CHECK_INT(objectstore_parse_list_page("", 0, &page, reason, sizeof(reason)), -EINVAL);
	objectstore_page_destroy(&page);
}

/* ---- errors ----------------------------------------------------------- */

static void describe_fixture(const char *name, long status, const char *date,
			     struct dbb_error *err)
{
	struct http_response resp = { .status = status, .content_length = -1,
				      .retry_after_ms = -1, .duration_ms = 12 };

	resp.body = name ? read_fixture(name, &resp.length) : NULL;
	snprintf(resp.date, sizeof(resp.date), "%s", date ? date : "");
	snprintf(resp.request_id, sizeof(resp.request_id), "from-header");
	dbb_error_clear(err);
	objectstore_describe_error(NULL, &resp, err);
	free(resp.body);
}

static void test_error_codes_to_errno(void)
{
	static const struct {
		const char *fixture;
		long status;
		int errnum;
		const char *code, *request_id;
	} cases[] = {
		{ "s3rver_error_no_such_bucket.xml", 404, ENOENT, "NoSuchBucket", "from-header" },
		{ "error_no_such_key.xml", 404, ENOENT, "NoSuchKey", "4442587FB7D0A2F9" },
		{ "error_access_denied.xml", 403, EACCES, "AccessDenied",
		  "656c76696e6727732072657175657374" },
		{ "error_signature.xml", 403, EACCES, "SignatureDoesNotMatch", "4442587FB7D0A2F9" },
		{ "error_access_key.xml", 403, EACCES, "InvalidAccessKeyId", "A1B2C3D4E5F60718" },
		{ "error_slow_down.xml", 503, EAGAIN, "SlowDown", "B2C3D4E5F6071829" },
		{ "error_internal.xml", 500, EIO, "InternalError", "C3D4E5F607182930" },
	};
	struct dbb_error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		describe_fixture(cases[i].fixture, cases[i].status, NULL, &err);
		CHECK_INT(err.errnum, cases[i].errnum);
		CHECK_STR(err.code, cases[i].code);
		CHECK_STR(err.request_id, cases[i].request_id);
		CHECK_INT(err.http_status, cases[i].status);
		CHECK_INT(err.duration_ms, 12);
		CHECK(!strncmp(err.message, "Object Storage: ", 16));
	}
	describe_fixture("error_signature.xml", 403, NULL, &err);
	CHECK_STR(err.message, "Object Storage: The request signature we calculated does "
		  "not match the signature you provided. Check your key and signing method.");
	CHECK(strstr(err.remedy, "secret_key") != NULL);
	describe_fixture("error_slow_down.xml", 503, NULL, &err);
	CHECK(strstr(err.remedy, "max_rps") != NULL);
	describe_fixture("s3rver_error_no_such_bucket.xml", 404, NULL, &err);
	CHECK(strstr(err.remedy, "bucket") != NULL);
}

static void test_errno_for_code(void)
{
	CHECK_INT(objectstore_errno_for_code("NoSuchKey", 404), ENOENT);
	CHECK_INT(objectstore_errno_for_code("NoSuchBucket", 404), ENOENT);
	CHECK_INT(objectstore_errno_for_code("AccessDenied", 403), EACCES);
	CHECK_INT(objectstore_errno_for_code("SlowDown", 503), EAGAIN);
	CHECK_INT(objectstore_errno_for_code("", 403), EACCES);
	CHECK_INT(objectstore_errno_for_code(NULL, 404), ENOENT);
	CHECK_INT(objectstore_errno_for_code("ServiceUnavailable", 503), EIO);
	CHECK_INT(objectstore_errno_for_code("SomethingNew", 400), EIO);
}

/* A HEAD answer has no body: the status alone gives the errno. */
static void test_error_without_body(void)
{
	struct dbb_error err;

	describe_fixture(NULL, 404, NULL, &err);
	CHECK_INT(err.errnum, ENOENT);
	CHECK_STR(err.code, "");
	CHECK_STR(err.message, "Object Storage answered HTTP 404");
	CHECK_STR(err.request_id, "from-header");
	describe_fixture(NULL, 403, NULL, &err);
	CHECK_INT(err.errnum, EACCES);
}

static void http_date_of(time_t when, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void test_clock_skew_in_plain_words(void)
{
	struct dbb_error err;
	char date[64];

	/* The server's Date says an hour ahead of us. */
	http_date_of(time(NULL) + 3600, date, sizeof(date));
	describe_fixture("error_skewed.xml", 403, date, &err);
	CHECK_INT(err.errnum, EACCES);
	CHECK_STR(err.code, "RequestTimeTooSkewed");
	CHECK(!strncmp(err.message, "clock skew: the local clock is ", 31));
	CHECK(strstr(err.message, "behind") != NULL);
	CHECK(strstr(err.remedy, "synchronise the clock") != NULL);
	CHECK_STR(err.request_id, "0F1E2D3C4B5A6978");

	/* Without a Date header the body's times still explain it. */
	describe_fixture("error_skewed.xml", 403, NULL, &err);
	CHECK_INT(err.errnum, EACCES);
	CHECK(strstr(err.message, "clock skew") != NULL);
	CHECK(strstr(err.message, "20240601T000000Z") != NULL);
	CHECK(strstr(err.message, "2024-06-01T01:00:00Z") != NULL);
}

/* ---- endpoints -------------------------------------------------------- */

static void test_naver_defaults(void)
{
	static const struct {
		const char *api, *region, *endpoint, *region_name;
	} cases[] = {
		{ "https://ncloud.apigw.ntruss.com", "KR",
		  "https://kr.object.ncloudstorage.com", "kr-standard" },
		{ "https://ncloud.apigw.ntruss.com", "USWN",
		  "https://us.object.ncloudstorage.com", "us-standard" },
		{ "https://ncloud.apigw.ntruss.com", "SGN",
		  "https://sg.object.ncloudstorage.com", "sg-standard" },
		{ "https://ncloud.apigw.ntruss.com", "JPN",
		  "https://jp.object.ncpstorage.com", "jp-standard" },
		{ "https://ncloud.apigw.ntruss.com", "DEN",
		  "https://de.object.ncloudstorage.com", "de-standard" },
		{ "http://127.0.0.1:8080", "kr",
		  "https://kr.object.ncloudstorage.com", "kr-standard" },
		{ "https://ncloud.apigw.gov-ntruss.com", "KR",
		  "https://kr.object.gov-ncloudstorage.com", "gov-standard" },
		{ "https://ncloud.apigw.gov-ntruss.com", "KRS",
		  "https://krs.object.gov-ncloudstorage.com", "gov2-standard" },
		{ "https://fin-ncloud.apigw.fin-ntruss.com", "KR",
		  "https://kr.object.fin-ncloudstorage.com", "kr-standard" },
	};
	const char *endpoint = NULL, *region = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(objectstore_naver_defaults(cases[i].api, cases[i].region, &endpoint, &region));
		CHECK_STR(endpoint, cases[i].endpoint);
		CHECK_STR(region, cases[i].region_name);
	}
	CHECK(!objectstore_naver_defaults("https://ncloud.apigw.ntruss.com", "XX",
					  &endpoint, &region));
	CHECK(!objectstore_naver_defaults("https://ncloud.apigw.gov-ntruss.com", "USWN",
					  &endpoint, &region));
	CHECK(!objectstore_naver_defaults("https://ncloud.apigw.ntruss.com", NULL,
					  &endpoint, &region));
}

static struct objectstore *new_store(const char *endpoint, struct dbb_error *err)
{
	struct objectstore_settings settings = {
		.profile = "prod-pg",
		.endpoint = endpoint,
		.region = "kr-standard",
		.access_key = "AKEXAMPLE0000000000",
		.secret_key = "SKEXAMPLE00000000000000000000000000000000",
		.page_size = 1000,
	};

	dbb_error_clear(err);
	return objectstore_new(&settings, NULL, err);
}

static void test_endpoints(void)
{
	static const char *const bad[] = {
		"ftp://kr.object.ncloudstorage.com", "https://", "http:///x",
		"https://kr.object.ncloudstorage.com/prefix", "https://user@host",
		"kr.object.ncloudstorage.com", "https://host?x=1",
	};
	struct dbb_error err;
	struct objectstore *store;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		store = new_store(bad[i], &err);
		CHECK(store == NULL);
		CHECK_INT(err.errnum, EINVAL);
		objectstore_free(store);
	}
	store = new_store("https://kr.object.ncloudstorage.com/", &err);
	CHECK(store != NULL);
	if (store)
		CHECK_STR(objectstore_endpoint(store), "https://kr.object.ncloudstorage.com");
	objectstore_free(store);
}

/* ---- signing ---------------------------------------------------------- */

static const char *header_value(const struct http_headers *headers, const char *name)
{
	size_t length = strlen(name);

	for (size_t i = 0; i < headers->count; i++)
		if (!strncasecmp(headers->lines[i], name, length) &&
		    headers->lines[i][length] == ':')
			return headers->lines[i] + length + 2;
	return NULL;
}

static time_t parse_amz_date(const char *text)
{
	struct tm tm = { 0 };

	if (!text || !strptime(text, "%Y%m%dT%H%M%SZ", &tm))
		return (time_t)-1;
	return timegm(&tm);
}

/* What s3_sign says for a GET of raw_path on host at the time the header
 * says, with the given raw query. */
static char *expected_authorization(const char *host, const char *raw_path,
				    const struct crypto_pair *query, size_t query_count,
				    time_t when)
{
	struct s3_request request = {
		.method = "GET", .host = host, .path = raw_path,
		.query = query, .query_count = query_count,
		.payload_hash = S3_EMPTY_PAYLOAD_SHA256,
	};
	struct s3_credentials credentials = {
		.access_key = "AKEXAMPLE0000000000",
		.secret_key = "SKEXAMPLE00000000000000000000000000000000",
		.region = "kr-standard", .service = "s3",
	};
	struct s3_signature sig = { 0 };
	char *copy;

	if (s3_sign(&request, &credentials, when, &sig) < 0)
		return NULL;
	copy = strdup(sig.authorization);
	s3_signature_free(&sig);
	return copy;
}

static void check_signed(struct objectstore *store, const char *url, const char *host,
			 const char *raw_path, const struct crypto_pair *query,
			 size_t query_count)
{
	struct http_request req = { .operation = "GetObject", .method = "GET", .url = url };
	struct http_headers headers;
	struct dbb_error err;
	char *expected;
	time_t when;

	http_headers_init(&headers);
	dbb_error_clear(&err);
	CHECK_INT(objectstore_sign(store, &req, &headers, &err), 0);
	CHECK_STR(header_value(&headers, "Host"), host);
	CHECK_STR(header_value(&headers, "X-Amz-Content-Sha256"), S3_EMPTY_PAYLOAD_SHA256);
	when = parse_amz_date(header_value(&headers, "X-Amz-Date"));
	CHECK(when != (time_t)-1);
	expected = expected_authorization(host, raw_path, query, query_count, when);
	CHECK_STR(header_value(&headers, "Authorization"), expected);
	free(expected);
	http_headers_destroy(&headers);
}

static void test_content_source_is_signed_over_the_raw_key(void)
{
	const char *key = "dbbackupfs/pg orders/2024+06 100%/\xeb\xb0\xb1\xec\x97\x85.gz";
	struct content_source source = { 0 };
	struct dbb_error err;
	struct objectstore *store = new_store("https://kr.object.ncloudstorage.com:443", &err);

	CHECK(store != NULL);
	if (!store)
		return;
	CHECK_INT(objectstore_content_source(store, "pg-backup", key, 4096, &source, &err), 0);
	CHECK_STR(source.url, "https://kr.object.ncloudstorage.com:443/pg-backup/dbbackupfs/"
		  "pg%20orders/2024%2B06%20100%25/%EB%B0%B1%EC%97%85.gz");
	CHECK_INT(source.size, 4096);
	CHECK_INT(source.expires_at, 0);
	CHECK(source.sign == objectstore_sign && source.sign_context == store);
	if (source.url) {
		char raw[512];

		snprintf(raw, sizeof(raw), "/pg-backup/%s", key);
		/* The default port is left out of Host, as curl leaves it out. */
		check_signed(store, source.url, "kr.object.ncloudstorage.com", raw, NULL, 0);
	}
	content_source_destroy(&source);
	objectstore_free(store);
}

static void test_list_query_is_signed_decoded(void)
{
	const char *url = "http://127.0.0.1:9000/pg-backup?continuation-token="
			  "13TivGQkj6%2FNbLAkZE6cf7AW2Rolb4OQOMSQS7ugzms%3D&list-type=2"
			  "&max-keys=2&prefix=dbbackupfs%2Fpg-orders%2F";
	struct crypto_pair query[] = {
		{ "continuation-token", "13TivGQkj6/NbLAkZE6cf7AW2Rolb4OQOMSQS7ugzms=" },
		{ "list-type", "2" },
		{ "max-keys", "2" },
		{ "prefix", "dbbackupfs/pg-orders/" },
	};
	struct dbb_error err;
	struct objectstore *store = new_store("http://127.0.0.1:9000", &err);

	CHECK(store != NULL);
	if (!store)
		return;
	check_signed(store, url, "127.0.0.1:9000", "/pg-backup", query, 4);
	objectstore_free(store);
}

static void test_foreign_urls_are_never_signed(void)
{
	static const char *const urls[] = {
		"https://evil.example/pg-backup/x",
		"https://kr.object.ncloudstorage.com.evil.example/pg-backup/x",
		"https://kr.object.ncloudstorage.com",
		"https://kr.object.ncloudstorage.com/bucket/%4",
		"https://kr.object.ncloudstorage.com/bucket/a%00b",
	};
	struct dbb_error err;
	struct objectstore *store = new_store("https://kr.object.ncloudstorage.com", &err);

	CHECK(store != NULL);
	for (size_t i = 0; store && i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct http_request req = { .operation = "GetObject", .method = "GET",
					    .url = urls[i] };
		struct http_headers headers;

		http_headers_init(&headers);
		dbb_error_clear(&err);
		CHECK_INT(objectstore_sign(store, &req, &headers, &err), -EINVAL);
		CHECK_INT(headers.count, 0);
		http_headers_destroy(&headers);
	}
	objectstore_free(store);
}

int main(void)
{
	RUN(test_page_of_many_keys_with_a_token);
	RUN(test_last_page_has_no_next_token);
	RUN(test_page_of_one_key);
	RUN(test_empty_page);
	RUN(test_documented_shape_pretty_printed);
	RUN(test_bodies_that_are_not_pages);
	RUN(test_error_codes_to_errno);
	RUN(test_errno_for_code);
	RUN(test_error_without_body);
	RUN(test_clock_skew_in_plain_words);
	RUN(test_naver_defaults);
	RUN(test_endpoints);
	RUN(test_content_source_is_signed_over_the_raw_key);
	RUN(test_list_query_is_signed_decoded);
	RUN(test_foreign_urls_are_never_signed);
	return CHECK_DONE();
}
