/* Errors: what a failure carries to the log line and the user (STYLE: an
 * errno, the provider's code and message). */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "core/error.h"

static void test_recast_keeps_what_the_failure_said(void)
{
	struct dbb_error err;

	dbb_error_clear(&err);
	dbb_error_set(&err, EACCES, "TLS with %s failed: %s", "127.0.0.1:443",
		      "certificate not trusted");
	dbb_error_set_code(&err, "DBS.200001");
	dbb_error_set_remedy(&err, "name the CA with ca_file=");
	CHECK_INT(dbb_error_recast(&err, EIO), -EIO);
	CHECK_INT(err.errnum, EIO);
	CHECK_STR(err.message, "TLS with 127.0.0.1:443 failed: certificate not trusted");
	CHECK_STR(err.code, "DBS.200001");
	CHECK_STR(err.remedy, "name the CA with ca_file=");
}

static void test_set_formats_and_returns_the_negative_errno(void)
{
	struct dbb_error err;

	dbb_error_clear(&err);
	CHECK_INT(dbb_error_set(&err, ENOENT, "no backup %d", 7), -ENOENT);
	CHECK_STR(err.message, "no backup 7");
	CHECK_STR(dbb_errno_name(ENOENT), "ENOENT");
}

int main(void)
{
	RUN(test_recast_keeps_what_the_failure_said);
	RUN(test_set_formats_and_returns_the_negative_errno);
	return CHECK_DONE();
}
