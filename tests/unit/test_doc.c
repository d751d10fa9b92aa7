/*
 * test_doc.c: the neutral form of provider answers (providers/doc.h).
 *
 * The central promise: the same NAVER data answered as XML and as JSON gives
 * the same flattened user.api.* attributes, byte for byte. Around it, the
 * XML conversion rules, the accessors that read both shapes, and refusal of
 * hostile or broken input (entities, deep nesting, size, syntax).
 * Fixtures are in data/doc/ (ctest runs us from tests/unit).
 */
#include "check.h"
#include "providers/doc.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define DATA_DIR "data/doc/"

/* Reads a fixture; the caller frees. */
static char *read_fixture(const char *name, size_t *len)
{
	return check_read_fixture(DATA_DIR, name, len);
}

static json_t *parse_fixture(const char *name, char *errbuf, size_t errlen)
{
	size_t len = 0;
	char *body = read_fixture(name, &len);
	size_t name_len = strlen(name);
	json_t *doc = NULL;

	if (!body)
		return NULL;
	if (name_len > 4 && strcmp(name + name_len - 4, ".xml") == 0)
		doc = doc_parse_xml(body, len, errbuf, errlen);
	else
		doc = doc_parse_json(body, len, errbuf, errlen);
	free(body);
	return doc;
}

/* The first element of a response's list, e.g. the first backup record. */
static json_t *first_record(json_t *doc, const char *response, const char *list)
{
	json_t *items = doc_list(doc_path(doc, response), list);
	json_t *first = json_array_get(items, 0);

	json_decref(items);	/* the tree still holds it */
	return first;
}

static int flats_equal(const struct doc_flat *a, const struct doc_flat *b)
{
	return a->len == b->len && a->len > 0 && memcmp(a->buf, b->buf, a->len) == 0;
}

static void test_ncloud_example_xml_and_json_flatten_alike(void)
{
	char err[256] = "";
	json_t *xml = parse_fixture("ncloud_backup_detail.xml", err, sizeof(err));
	json_t *json = parse_fixture("ncloud_backup_detail.json", err, sizeof(err));
	const char *response = "getCloudMysqlBackupDetailListResponse";
	struct doc_flat from_xml, from_json;
	json_t *record;

	CHECK(xml != NULL);
	CHECK(json != NULL);
	if (!xml || !json) {
		fprintf(stderr, "parse error: %s\n", err);
		goto out;
	}
	record = first_record(xml, response, "cloudMysqlBackupDetailList");
	CHECK_INT(doc_flatten(record, NULL, &from_xml), 0);
	record = first_record(json, response, "cloudMysqlBackupDetailList");
	CHECK_INT(doc_flatten(record, NULL, &from_json), 0);
	CHECK(flats_equal(&from_xml, &from_json));
	CHECK_STR(doc_flat_get(from_xml.buf, from_xml.len, "fileName"), "20210528");
	CHECK_STR(doc_flat_get(from_json.buf, from_json.len, "dataStorageSize"),
		  "10737418240");
	CHECK_STR(doc_flat_get(from_json.buf, from_json.len, "startTime"),
		  "2021-05-28T02:10:00+0900");

	/* The whole responses flatten alike too, envelope included. */
	doc_flat_free(&from_xml);
	doc_flat_free(&from_json);
	CHECK_INT(doc_flatten(xml, NULL, &from_xml), 0);
	CHECK_INT(doc_flatten(json, NULL, &from_json), 0);
	CHECK(flats_equal(&from_xml, &from_json));
	CHECK_STR(doc_flat_get(from_xml.buf, from_xml.len,
			       "getCloudMysqlBackupDetailListResponse."
			       "cloudMysqlBackupDetailList.0.backupSize"),
		  "571482767");
	doc_flat_free(&from_xml);
	doc_flat_free(&from_json);
out:
	json_decref(xml);
	json_decref(json);
}

static void test_realistic_instance_flattens_identically(void)
{
	char err[256] = "";
	json_t *xml = parse_fixture("ncloud_pg_instance.xml", err, sizeof(err));
	json_t *json = parse_fixture("ncloud_pg_instance.json", err, sizeof(err));
	const char *response = "getCloudPostgresqlInstanceListResponse";
	struct doc_flat a, b;
	const char *key, *value;
	size_t pos = 0, pairs = 0;

	CHECK(xml && json);
	if (!xml || !json) {
		fprintf(stderr, "parse error: %s\n", err);
		goto out;
	}
	CHECK_INT(doc_flatten(first_record(xml, response, "cloudPostgresqlInstanceList"),
			      NULL, &a), 0);
	CHECK_INT(doc_flatten(first_record(json, response, "cloudPostgresqlInstanceList"),
			      NULL, &b), 0);
	CHECK(flats_equal(&a, &b));
	CHECK_STR(doc_flat_get(a.buf, a.len, "cloudPostgresqlServiceName"),
		  "billing <prod> & co");
	CHECK_STR(doc_flat_get(a.buf, a.len, "cloudPostgresqlInstanceStatus.code"), "RUN");
	CHECK_STR(doc_flat_get(b.buf, b.len, "accessControlGroupNoList.1"), "12346");
	CHECK_STR(doc_flat_get(b.buf, b.len, "cloudPostgresqlConfigList"), "");
	CHECK_STR(doc_flat_get(b.buf, b.len, "isHa"), "true");
	CHECK_STR(doc_flat_get(b.buf, b.len, "isMultiZone"), "false");
	CHECK_STR(doc_flat_get(b.buf, b.len, "cloudPostgresqlPort"), "5432");
	CHECK_STR(doc_flat_get(b.buf, b.len,
			       "cloudPostgresqlServerInstanceList.1.cloudPostgresqlServerRole.codeName"),
		  "Standby Master");
	CHECK_STR(doc_flat_get(b.buf, b.len,
			       "cloudPostgresqlServerInstanceList.0.memorySize"),
		  "8589934592");
	CHECK(doc_flat_get(b.buf, b.len, "cloudPostgresqlServerInstanceList") == NULL);

	/* Pairs come in the record's own order. */
	CHECK(doc_flat_next(a.buf, a.len, &pos, &key, &value));
	CHECK_STR(key, "cloudPostgresqlInstanceNo");
	CHECK_STR(value, "1234567");
	CHECK(doc_flat_next(a.buf, a.len, &pos, &key, &value));
	CHECK_STR(key, "cloudPostgresqlServiceName");
	for (pos = 0; doc_flat_next(a.buf, a.len, &pos, &key, &value);)
		pairs++;
	CHECK_INT(pairs, 57);
	doc_flat_free(&a);
	doc_flat_free(&b);
out:
	json_decref(xml);
	json_decref(json);
}

static void test_flatten_exclusion(void)
{
	const char *const exclude[] = { "cloudPostgresqlServerInstanceList",
					"cloudPostgresqlInstanceStatus.codeName",
					NULL };
	json_t *json = parse_fixture("ncloud_pg_instance.json", NULL, 0);
	json_t *record = first_record(json, "getCloudPostgresqlInstanceListResponse",
				      "cloudPostgresqlInstanceList");
	struct doc_flat flat;
	const char *key, *value;
	size_t pos = 0;
	int leaked = 0;

	CHECK_INT(doc_flatten(record, exclude, &flat), 0);
	while (doc_flat_next(flat.buf, flat.len, &pos, &key, &value))
		if (strncmp(key, "cloudPostgresqlServerInstanceList", 33) == 0)
			leaked = 1;
	CHECK(!leaked);
	CHECK(doc_flat_get(flat.buf, flat.len, "cloudPostgresqlInstanceStatus.codeName") == NULL);
	CHECK_STR(doc_flat_get(flat.buf, flat.len, "cloudPostgresqlInstanceStatus.code"), "RUN");
	CHECK_STR(doc_flat_get(flat.buf, flat.len, "backupTime"), "02:00");
	doc_flat_free(&flat);
	json_decref(json);
}

static void test_backup_record_is_compact(void)
{
	json_t *json = parse_fixture("ncloud_backup_detail.json", NULL, 0);
	json_t *record = first_record(json, "getCloudMysqlBackupDetailListResponse",
				      "cloudMysqlBackupDetailList");
	struct doc_flat flat;

	CHECK_INT(doc_flatten(record, NULL, &flat), 0);
	/* Five fields: keys, values and their NULs, nothing more. */
	CHECK_INT(flat.len, strlen("fileName") + strlen("20210528") +
		  strlen("startTime") + strlen("2021-05-28T02:10:00+0900") +
		  strlen("endTime") + strlen("2021-05-28T02:10:10+0900") +
		  strlen("backupSize") + strlen("571482767") +
		  strlen("dataStorageSize") + strlen("10737418240") + 10);
	CHECK(flat.len < 1024);
	doc_flat_free(&flat);
	CHECK(flat.buf == NULL && flat.len == 0);
	doc_flat_free(&flat);	/* twice is harmless */
	json_decref(json);
}

static void test_xml_list_rules(void)
{
	char err[256] = "";
	json_t *doc = parse_fixture("xml_rules.xml", err, sizeof(err));
	json_t *root = doc_path(doc, "ruleResponse");
	json_t *v;

	CHECK(doc != NULL);
	CHECK(root != NULL);
	if (!root) {
		fprintf(stderr, "parse error: %s\n", err);
		goto out;
	}
	v = json_object_get(root, "objectList");
	CHECK(json_is_array(v) && json_array_size(v) == 2);
	CHECK_STR(doc_str(json_array_get(v, 1), "name"), "b");
	v = json_object_get(root, "stringList");
	CHECK(json_is_array(v) && json_array_size(v) == 1);
	CHECK_STR(json_string_value(json_array_get(v, 0)), "1");
	v = json_object_get(root, "emptyList");
	CHECK(json_is_array(v) && json_array_size(v) == 0);
	v = json_object_get(root, "blankList");
	CHECK(json_is_array(v) && json_array_size(v) == 0);
	/* A scalar field whose name happens to end in "List" stays a string. */
	CHECK_STR(doc_str(root, "ipWhiteList"), "10.0.0.0/8");
	/* A repeated name in a non-List element is an array at its first place. */
	v = json_object_get(root, "repeated");
	CHECK(json_object_size(v) == 2);
	CHECK_STR(json_object_iter_key(json_object_iter(v)), "value");
	v = json_object_get(v, "value");
	CHECK(json_is_array(v) && json_array_size(v) == 3);
	CHECK_STR(json_string_value(json_array_get(v, 2)), "z");
out:
	json_decref(doc);
}

static void test_xml_text_rules(void)
{
	json_t *doc = parse_fixture("xml_rules.xml", NULL, 0);
	json_t *root = doc_path(doc, "ruleResponse");

	CHECK_STR(doc_str(root, "entities"), "fish & chips <> \"' AB caf\xc3\xa9");
	CHECK_STR(doc_str(root, "cdata"), "<not a tag> & raw");
	CHECK_STR(doc_str(root, "spaced"), "  two  spaces  ");
	CHECK_STR(doc_str(root, "empty"), "");
	CHECK_STR(doc_str(root, "selfClosed"), "");
	/* Namespace prefixes and attributes are dropped. */
	CHECK_STR(doc_str(root, "prefixed"), "local name only");
	CHECK(doc_path(doc, "ruleResponse.version") == NULL);
	CHECK(doc_path(doc, "ruleResponse.objectList.0.id") == NULL);
	json_decref(doc);
}

static void expect_xml_refused(const char *body, const char *reason_part)
{
	char err[256] = "";
	json_t *doc = doc_parse_xml(body, strlen(body), err, sizeof(err));

	CHECK(doc == NULL);
	if (!strstr(err, reason_part)) {
		fprintf(stderr, "reason \"%s\" lacks \"%s\" for %s\n", err,
			reason_part, body);
		check_failed_in_test = 1;
	}
	json_decref(doc);
}

static void test_malformed_xml_refused(void)
{
	char err[256] = "";

	CHECK(parse_fixture("malformed.xml", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "invalid XML at line 3") != NULL);
	expect_xml_refused("<a><b>1</b>", "invalid XML");
	expect_xml_refused("not xml at all", "invalid XML");
	expect_xml_refused("<a>1</a><b>2</b>", "invalid XML");
	expect_xml_refused("<a>&undeclared;</a>", "invalid XML");
	expect_xml_refused("<a>caf\xe9</a>", "invalid XML");	/* Latin-1, not UTF-8 */
	expect_xml_refused("<a>text<b>1</b></a>", "mixes text and elements");
	expect_xml_refused("<xList>text<b>1</b></xList>", "mixes text and elements");
	expect_xml_refused("", "empty");
	CHECK(doc_parse_xml(NULL, 0, NULL, 0) == NULL);	/* no errbuf is fine */
}

static void test_malformed_json_refused(void)
{
	char err[256] = "";
	const char *nul = "{\"a\": \"x\\u0000y\"}";
	const char *nul_key = "{\"a\\u0000b\": 1}";
	json_t *doc;

	CHECK(parse_fixture("malformed.json", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "invalid JSON at line 5") != NULL);
	CHECK(doc_parse_json("{\"a\":", 5, err, sizeof(err)) == NULL);
	CHECK(doc_parse_json("\"scalar\"", 8, err, sizeof(err)) == NULL);
	CHECK(doc_parse_json(nul, strlen(nul), err, sizeof(err)) == NULL);
	CHECK(doc_parse_json(nul_key, strlen(nul_key), err, sizeof(err)) == NULL);
	CHECK(doc_parse_json("{\"a\": \"\xff\"}", 10, err, sizeof(err)) == NULL);
	CHECK(doc_parse_json(NULL, 0, err, sizeof(err)) == NULL);
	/* The length is what counts, not a NUL: the garbage is not read. */
	doc = doc_parse_json("{}garbage", 2, NULL, 0);
	CHECK(json_is_object(doc));
	json_decref(doc);
}

static void test_entities_never_expand(void)
{
	char err[256] = "";
	clock_t start = clock();
	json_t *doc = parse_fixture("billion_laughs.xml", err, sizeof(err));

	CHECK(doc == NULL);
	CHECK(strstr(err, "DOCTYPE") != NULL);
	CHECK((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
	doc = parse_fixture("external_entity.xml", err, sizeof(err));
	CHECK(doc == NULL);
	CHECK(strstr(err, "DOCTYPE") != NULL);
	json_decref(doc);
}

/* levels nested elements <e><e>...<leaf>x</leaf>...</e></e>. */
static char *deep_xml(int levels)
{
	char *body = malloc((size_t)levels * 7 + 32), *p = body;
	int i;

	for (i = 0; i < levels; i++)
		p += sprintf(p, "<e>");
	p += sprintf(p, "<leaf>x</leaf>");
	for (i = 0; i < levels; i++)
		p += sprintf(p, "</e>");
	return body;
}

static char *deep_json(int levels)
{
	char *body = malloc((size_t)levels * 2 + 8), *p = body;
	int i;

	for (i = 0; i < levels; i++)
		*p++ = '[';
	*p++ = '1';
	for (i = 0; i < levels; i++)
		*p++ = ']';
	*p = '\0';
	return body;
}

static void test_deep_nesting_refused(void)
{
	char err[256] = "";
	struct doc_flat flat;
	char *body;
	json_t *doc;

	/* 63 container elements: {"e": {"e": ... {"leaf": "x"}}}, 64 levels,
	 * which doc_flatten accepts too. */
	body = deep_xml(63);
	doc = doc_parse_xml(body, strlen(body), err, sizeof(err));
	CHECK(doc != NULL);
	CHECK_INT(doc_flatten(doc, NULL, &flat), 0);
	CHECK_INT(flat.len, 63 * 2 + strlen("leaf") + strlen("x") + 2);
	doc_flat_free(&flat);
	json_decref(doc);
	free(body);
	body = deep_xml(64);
	CHECK(doc_parse_xml(body, strlen(body), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "deeper than 64") != NULL);
	free(body);
	body = deep_xml(100000);	/* libxml2's own limit stops this one */
	CHECK(doc_parse_xml(body, strlen(body), err, sizeof(err)) == NULL);
	free(body);

	body = deep_json(64);
	doc = doc_parse_json(body, strlen(body), err, sizeof(err));
	CHECK(doc != NULL);
	CHECK_INT(doc_flatten(doc, NULL, &flat), 0);
	CHECK_INT(flat.len, 64 + 63 + 1 + 2);	/* "0.0....0\01\0", 64 zeros */
	doc_flat_free(&flat);
	json_decref(doc);
	free(body);
	body = deep_json(65);
	CHECK(doc_parse_json(body, strlen(body), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "deeper than 64") != NULL);
	free(body);
	body = deep_json(100000);	/* jansson's own limit stops this one */
	CHECK(doc_parse_json(body, strlen(body), err, sizeof(err)) == NULL);
	free(body);
}

static void test_body_size_cap(void)
{
	char err[256] = "";
	char *body = calloc(1, DOC_MAX_BODY + 1);

	CHECK(body != NULL);
	if (!body)
		return;
	CHECK(doc_parse_json(body, DOC_MAX_BODY + 1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "limit") != NULL);
	err[0] = '\0';
	CHECK(doc_parse_xml(body, DOC_MAX_BODY + 1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "limit") != NULL);
	free(body);
}

static void test_doc_text(void)
{
	json_t *obj = json_pack("{s:s, s:I, s:f, s:f, s:f, s:f, s:b, s:b, s:n, s:[], s:{}}",
				"s", "text", "i", (json_int_t)-42, "tenth", 0.1,
				"whole", 13107.0, "big", 1.073741824e9, "tiny", 1e-300,
				"t", 1, "f", 0, "null", "array", "object");
	char buf[DOC_SCALAR_TEXT_MAX];
	char small[4];

	CHECK_INT(doc_field_text(obj, "s", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "text");
	CHECK_INT(doc_field_text(obj, "i", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "-42");
	CHECK_INT(doc_field_text(obj, "tenth", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "0.1");
	CHECK_INT(doc_field_text(obj, "whole", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "13107");
	CHECK_INT(doc_field_text(obj, "big", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1073741824");
	CHECK_INT(doc_field_text(obj, "tiny", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1e-300");
	CHECK_INT(doc_field_text(obj, "t", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "true");
	CHECK_INT(doc_field_text(obj, "f", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "false");
	CHECK_INT(doc_field_text(obj, "null", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	CHECK_INT(doc_field_text(obj, "array", buf, sizeof(buf)), -EINVAL);
	CHECK_INT(doc_field_text(obj, "object", buf, sizeof(buf)), -EINVAL);
	CHECK_INT(doc_field_text(obj, "absent", buf, sizeof(buf)), -ENOENT);
	CHECK_INT(doc_field_text(NULL, "s", buf, sizeof(buf)), -ENOENT);
	CHECK_INT(doc_field_text(obj, "s", small, sizeof(small)), -ERANGE);
	CHECK_STR(small, "tex");
	CHECK_INT(doc_text(json_object_get(obj, "i"), buf, 0), -ERANGE);

	/* doc_str: strings only, borrowed from the tree. */
	CHECK_STR(doc_str(obj, "s"), "text");
	CHECK(doc_str(obj, "i") == NULL);
	CHECK(doc_str(obj, "null") == NULL);
	CHECK(doc_str(obj, "absent") == NULL);
	json_decref(obj);
}

static void test_doc_int64(void)
{
	json_t *obj = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
				" s:s, s:f, s:f, s:f, s:n, s:b, s:s}",
				"int", (json_int_t)10737418240LL, "str", "571482767",
				"neg", "-5", "max", "9223372036854775807",
				"over", "9223372036854775808",
				"min", "-9223372036854775808",
				"under", "-9223372036854775809", "space", "12 ",
				"empty", "", "plus", "+1", "exp", "1e3",
				"real", 13107.0, "frac", 1.5, "huge", 1e19, "null",
				"bool", 1, "dash", "-");
	int64_t v = 7;

	CHECK_INT(doc_int64(obj, "int", &v), 0);
	CHECK_INT(v, 10737418240LL);
	CHECK_INT(doc_int64(obj, "str", &v), 0);
	CHECK_INT(v, 571482767);
	CHECK_INT(doc_int64(obj, "neg", &v), 0);
	CHECK_INT(v, -5);
	CHECK_INT(doc_int64(obj, "max", &v), 0);
	CHECK(v == INT64_MAX);
	CHECK_INT(doc_int64(obj, "min", &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_INT(doc_int64(obj, "real", &v), 0);
	CHECK_INT(v, 13107);
	v = 7;
	CHECK_INT(doc_int64(obj, "over", &v), -ERANGE);
	CHECK_INT(doc_int64(obj, "under", &v), -ERANGE);
	CHECK_INT(doc_int64(obj, "huge", &v), -ERANGE);
	CHECK_INT(doc_int64(obj, "space", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "empty", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "plus", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "exp", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "dash", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "frac", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "bool", &v), -EINVAL);
	CHECK_INT(doc_int64(obj, "null", &v), -ENOENT);
	CHECK_INT(doc_int64(obj, "absent", &v), -ENOENT);
	CHECK_INT(v, 7);	/* untouched on failure */
	json_decref(obj);
}

static void test_doc_bool(void)
{
	json_t *obj = json_pack("{s:b, s:b, s:s, s:s, s:s, s:i, s:n}", "t", 1, "f", 0,
				"st", "true", "sf", "FALSE", "junk", "yes", "one", 1,
				"null");
	bool v;

	CHECK_INT(doc_bool(obj, "t", &v), 0);
	CHECK(v);
	CHECK_INT(doc_bool(obj, "f", &v), 0);
	CHECK(!v);
	CHECK_INT(doc_bool(obj, "st", &v), 0);
	CHECK(v);
	CHECK_INT(doc_bool(obj, "sf", &v), 0);
	CHECK(!v);
	CHECK_INT(doc_bool(obj, "junk", &v), -EINVAL);
	CHECK_INT(doc_bool(obj, "one", &v), -EINVAL);
	CHECK_INT(doc_bool(obj, "null", &v), -ENOENT);
	CHECK_INT(doc_bool(obj, "absent", &v), -ENOENT);
	json_decref(obj);
}

static void test_doc_path(void)
{
	json_t *doc = parse_fixture("ncloud_pg_instance.json", NULL, 0);
	json_t *xml = parse_fixture("ncloud_pg_instance.xml", NULL, 0);
	const char *list = "getCloudPostgresqlInstanceListResponse.cloudPostgresqlInstanceList";
	char path[256];

	CHECK(json_is_array(doc_path(doc, list)));
	CHECK(json_is_array(doc_path(xml, list)));
	snprintf(path, sizeof(path), "%s.0.cloudPostgresqlServerInstanceList.1."
		 "cloudPostgresqlServerName", list);
	CHECK_STR(json_string_value(doc_path(doc, path)), "pg-002");
	CHECK_STR(json_string_value(doc_path(xml, path)), "pg-002");
	snprintf(path, sizeof(path), "%s.0.cloudPostgresqlPort", list);
	CHECK_INT(json_integer_value(doc_path(doc, path)), 5432);
	snprintf(path, sizeof(path), "%s.5", list);
	CHECK(doc_path(doc, path) == NULL);
	snprintf(path, sizeof(path), "%s.x", list);
	CHECK(doc_path(doc, path) == NULL);
	CHECK(doc_path(doc, "getCloudPostgresqlInstanceListResponse.returnCode.deeper") == NULL);
	CHECK(doc_path(doc, "nothing") == NULL);
	CHECK(doc_path(doc, "") == doc);
	CHECK(doc_path(NULL, "a") == NULL);
	json_decref(doc);
	json_decref(xml);
}

static void test_doc_list_shapes(void)
{
	json_t *one = parse_fixture("ncloud_backup_list_wrapped_one.json", NULL, 0);
	json_t *many = parse_fixture("ncloud_backup_list_wrapped_many.json", NULL, 0);
	json_t *response, *list, *shapes;
	int64_t size;

	response = doc_path(one, "getCloudPostgresqlBackupListResponse");
	list = doc_list(response, "cloudPostgresqlBackupList");
	CHECK(json_is_array(list) && json_array_size(list) == 1);
	CHECK_STR(doc_str(json_array_get(list, 0), "backupType"), "USER");
	json_decref(list);

	response = doc_path(many, "getCloudPostgresqlBackupListResponse");
	list = doc_list(response, "cloudPostgresqlBackupList");
	CHECK(json_is_array(list) && json_array_size(list) == 2);
	/* A number in one record, a string in the other: both read. */
	CHECK_INT(doc_int64(json_array_get(list, 0), "backupSize", &size), 0);
	CHECK_INT(size, 571482767);
	CHECK_INT(doc_int64(json_array_get(list, 1), "backupSize", &size), 0);
	CHECK_INT(size, 1024);
	/* A new reference even when it is the tree's own array. */
	CHECK(json_is_array(list) && list->refcount == 2);
	json_decref(list);

	shapes = json_pack("{s:[i,i], s:n, s:s, s:{}, s:[], s:{s:n}, s:i, s:{s:i, s:i},"
			   " s:{s:s}}",
			   "plain", 1, 2, "null", "emptyString", "", "emptyObject",
			   "emptyArray", "wrappedNull", "x", "number", 3,
			   "twoKeys", "a", 1, "b", 2, "wrappedScalar", "x", "1");
	list = doc_list(shapes, "plain");
	CHECK(json_array_size(list) == 2 && list == json_object_get(shapes, "plain"));
	json_decref(list);
#define CHECK_EMPTY_LIST(key)                                               \
	do {                                                                \
		list = doc_list(shapes, key);                               \
		CHECK(json_is_array(list) && json_array_size(list) == 0);   \
		json_decref(list);                                          \
	} while (0)
	CHECK_EMPTY_LIST("absent");
	CHECK_EMPTY_LIST("null");
	CHECK_EMPTY_LIST("emptyString");
	CHECK_EMPTY_LIST("emptyObject");
	CHECK_EMPTY_LIST("emptyArray");
	CHECK_EMPTY_LIST("wrappedNull");
#undef CHECK_EMPTY_LIST
	list = doc_list(shapes, "wrappedScalar");
	CHECK(json_array_size(list) == 1);
	CHECK_STR(json_string_value(json_array_get(list, 0)), "1");
	json_decref(list);
	CHECK(doc_list(shapes, "number") == NULL);
	CHECK(doc_list(shapes, "twoKeys") == NULL);
	list = doc_list(NULL, "x");
	CHECK(json_is_array(list) && json_array_size(list) == 0);
	json_decref(list);
	json_decref(shapes);
	json_decref(one);
	json_decref(many);
}

static void test_flatten_shapes(void)
{
	json_t *record = json_pack("{s:s, s:{s:s, s:{}}, s:[s, {s:n}], s:[]}", "a", "1",
				   "datastore", "version", "8.0", "zone", "list", "x",
				   "y", "empty");
	struct doc_flat flat;
	const char *key, *value;
	size_t pos = 0;
	static const char *const expected[] = {
		"a", "1", "datastore.version", "8.0", "datastore.zone", "",
		"list.0", "x", "list.1.y", "", "empty", "",
	};
	size_t i = 0;

	CHECK_INT(doc_flatten(record, NULL, &flat), 0);
	while (doc_flat_next(flat.buf, flat.len, &pos, &key, &value) && i < 12) {
		CHECK_STR(key, expected[i]);
		CHECK_STR(value, expected[i + 1]);
		i += 2;
	}
	CHECK_INT(i, 12);
	CHECK(doc_flat_get(flat.buf, flat.len, "missing") == NULL);
	/* A truncated buffer ends the iteration instead of overrunning. */
	pos = 0;
	CHECK(!doc_flat_next(flat.buf, 3, &pos, &key, &value));
	pos = 0;
	CHECK(doc_flat_next(flat.buf, 4, &pos, &key, &value) == 1);
	CHECK(!doc_flat_next(flat.buf, 5, &pos, &key, &value));
	doc_flat_free(&flat);
	json_decref(record);

	record = json_object();
	CHECK_INT(doc_flatten(record, NULL, &flat), 0);
	CHECK(flat.buf == NULL && flat.len == 0);
	CHECK(doc_flat_get(flat.buf, flat.len, "a") == NULL);
	json_decref(record);
}

static void test_flatten_refusals(void)
{
	json_t *scalar = json_string("x");
	json_t *with_nul = json_pack("{s:s%}", "a", "x\0y", (size_t)3);
	json_t *deep = json_object(), *level = deep;
	struct doc_flat flat = { (char *)"sentinel", 8 };
	int i;

	CHECK_INT(doc_flatten(scalar, NULL, &flat), -EINVAL);
	CHECK(flat.buf == NULL && flat.len == 0);
	CHECK_INT(doc_flatten(with_nul, NULL, &flat), -EINVAL);
	CHECK(flat.buf == NULL);
	for (i = 0; i < 70; i++) {
		json_t *next = json_object();

		json_object_set_new(level, "n", next);
		level = next;
	}
	json_object_set_new(level, "leaf", json_string("x"));
	CHECK_INT(doc_flatten(deep, NULL, &flat), -ELOOP);
	CHECK(flat.buf == NULL);
	json_decref(scalar);
	json_decref(with_nul);
	json_decref(deep);
}

int main(void)
{
	RUN(test_ncloud_example_xml_and_json_flatten_alike);
	RUN(test_realistic_instance_flattens_identically);
	RUN(test_flatten_exclusion);
	RUN(test_backup_record_is_compact);
	RUN(test_xml_list_rules);
	RUN(test_xml_text_rules);
	RUN(test_malformed_xml_refused);
	RUN(test_malformed_json_refused);
	RUN(test_entities_never_expand);
	RUN(test_deep_nesting_refused);
	RUN(test_body_size_cap);
	RUN(test_doc_text);
	RUN(test_doc_int64);
	RUN(test_doc_bool);
	RUN(test_doc_path);
	RUN(test_doc_list_shapes);
	RUN(test_flatten_shapes);
	RUN(test_flatten_refusals);
	return CHECK_DONE();
}
