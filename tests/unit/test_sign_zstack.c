/*
 * test_sign_zstack.c: ZStack AccessKey signatures against the vectors of
 * api/zstack.md section 2.5, and the SHA-512 password hash of section 2.1
 * (AccountConstant.INITIAL_SYSTEM_ADMIN_PASSWORD is sha512("password")).
 * Also crypto.h's HMAC-SHA1 against RFC 2202.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "providers/sign_zstack.h"

#define SECRET "testsecret"
#define DATE "Thu, 17 Oct 2024 05:43:35 GMT"
#define BACKUP_ACTIONS                                                     \
	"/v1/database-backups/6dae84793fc53f5b82034dd9a44c554b/backup-storage/" \
	"cc9127f6af0e32c888044f49048788a1/actions"

static void check_signature(const char *method, const char *path,
			    const char *expected)
{
	char signature[ZSTACK_SIGNATURE_SIZE];

	CHECK_INT(zstack_signature(method, path, DATE, SECRET, signature), 0);
	CHECK_STR(signature, expected);
}

static void test_vector_get_database_backups(void)
{
	check_signature("GET", "/v1/database-backups",
			"uAh0yT253FmqyDLJBkC3QSkyuWM=");
}

static void test_vector_put_export_action(void)
{
	check_signature("PUT", BACKUP_ACTIONS, "mKv+ApWkm0330YMmRwTbW38YJBk=");
}

static void test_context_path_and_query_are_not_signed(void)
{
	check_signature("GET", "/zstack/v1/database-backups",
			"uAh0yT253FmqyDLJBkC3QSkyuWM=");
	check_signature("GET", "/zstack/v1/database-backups?limit=10&start=0",
			"uAh0yT253FmqyDLJBkC3QSkyuWM=");
	check_signature("PUT", "/zstack" BACKUP_ACTIONS,
			"mKv+ApWkm0330YMmRwTbW38YJBk=");
}

static void test_authorization_header(void)
{
	char *authorization;

	CHECK_INT(zstack_authorization("GET", "/zstack/v1/database-backups",
				       DATE, "AKID0001", SECRET,
				       &authorization), 0);
	CHECK_STR(authorization, "ZStack AKID0001:uAh0yT253FmqyDLJBkC3QSkyuWM=");
	free(authorization);
}

static void test_bad_input_is_refused(void)
{
	char signature[ZSTACK_SIGNATURE_SIZE];
	char *authorization = (char *)"untouched";

	CHECK_INT(zstack_authorization("GET", "/v1/x", DATE, "id:x", SECRET,
				       &authorization), -EINVAL);
	CHECK(authorization == NULL);
	CHECK_INT(zstack_signature("get", "/v1/x", DATE, SECRET, signature),
		  -EINVAL);
	CHECK_STR(signature, "");
	CHECK_INT(zstack_signature("GET", "v1/x", DATE, SECRET, signature),
		  -EINVAL);
	CHECK_INT(zstack_signature("GET", "/v1/x\n", DATE, SECRET, signature),
		  -EINVAL);
	CHECK_INT(zstack_signature("GET", "/v1/x", "", SECRET, signature),
		  -EINVAL);
	CHECK_INT(zstack_signature("GET", "/v1/x", DATE, "", signature),
		  -EINVAL);
	CHECK_INT(zstack_signature("GET", "/zstack?x=1", DATE, SECRET,
				   signature), -EINVAL);
}

static void test_format_date(void)
{
	char date[ZSTACK_DATE_SIZE];

	CHECK_INT(zstack_format_date((time_t)1729143815, date), 0);
	CHECK_STR(date, DATE);
	CHECK_INT(zstack_format_date((time_t)0, date), 0);
	CHECK_STR(date, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void test_password_hash(void)
{
	char hash[ZSTACK_PASSWORD_HASH_SIZE];

	CHECK_INT(zstack_password_hash("password", hash), 0);
	CHECK_STR(hash, "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c"
			"706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c9"
			"5385ffab0cacbc86");
	/* SHA-512 of the empty string (FIPS 180-4 test value). */
	CHECK_INT(zstack_password_hash("", hash), 0);
	CHECK_STR(hash, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921"
			"d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81"
			"a538327af927da3e");
	/* SHA-512("abc") (FIPS 180-4 appendix C.1). */
	CHECK_INT(zstack_password_hash("abc", hash), 0);
	CHECK_STR(hash, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee6"
			"4b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e"
			"2a9ac94fa54ca49f");
	CHECK_INT(zstack_password_hash(NULL, hash), -EINVAL);
}

static void check_hmac_sha1(const void *key, size_t key_len, const char *msg,
			    const char *expected_hex)
{
	unsigned char mac[CRYPTO_SHA1_LEN];
	char hex[CRYPTO_HEX_SIZE(CRYPTO_SHA1_LEN)];

	CHECK_INT(crypto_hmac_sha1(key, key_len, msg, strlen(msg), mac), 0);
	CHECK_INT(crypto_hex_encode(mac, sizeof(mac), hex, sizeof(hex)), 0);
	CHECK_STR(hex, expected_hex);
}

static void test_hmac_sha1_rfc2202(void)
{
	unsigned char key[80];

	memset(key, 0x0b, 20); /* test case 1 */
	check_hmac_sha1(key, 20, "Hi There",
			"b617318655057264e28bc0b6fb378c8ef146be00");
	check_hmac_sha1("Jefe", 4, "what do ya want for nothing?",
			"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	memset(key, 0xaa, sizeof(key)); /* test case 6 */
	check_hmac_sha1(key, sizeof(key),
			"Test Using Larger Than Block-Size Key - Hash Key First",
			"aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

int main(void)
{
	RUN(test_vector_get_database_backups);
	RUN(test_vector_put_export_action);
	RUN(test_context_path_and_query_are_not_signed);
	RUN(test_authorization_header);
	RUN(test_bad_input_is_refused);
	RUN(test_format_date);
	RUN(test_password_hash);
	RUN(test_hmac_sha1_rfc2202);
	return CHECK_DONE();
}
