/*
 * fuzz_objectstore_error.c: S3 error answers (<Error><Code>...) turned into
 * the errno table of DESIGN section 4 (objectstore_describe_error).
 *
 * Input: the first byte picks the HTTP status (a list of those S3 sends),
 * the second whether a Date header came with it; the rest is the body.
 *
 * Properties: the errno is one of DESIGN's table; the message is never
 * empty; the HTTP status and the duration are carried over; the code and
 * request id fit their fields (they are NUL-terminated).
 */
#include <errno.h>

#include "fuzz.h"
#include "providers/objectstore.h"

static const long statuses[] = { 400, 403, 404, 409, 416, 429, 500, 501, 503, 200 };
#define STATUS_COUNT (sizeof(statuses) / sizeof(statuses[0]))

static struct objectstore *store;

/* A store that never sends a request: only its profile name is read. */
static struct objectstore *fuzz_store(void)
{
	struct objectstore_settings settings = {
		.profile = "fuzz",
		.endpoint = "https://kr.object.ncloudstorage.com",
		.region = "kr-standard",
		.access_key = "AKEXAMPLE0000000000",
		.secret_key = "SKEXAMPLE",
		.page_size = 1000,
	};
	struct dbb_error err;

	if (!store)
		store = objectstore_new(&settings, NULL, &err);
	FUZZ_ASSERT(store != NULL);
	return store;
}

static int errno_in_design_table(int errnum)
{
	return errnum == EINVAL || errnum == EEXIST || errnum == ENOENT ||
	       errnum == EBUSY || errnum == EACCES || errnum == EAGAIN ||
	       errnum == ETIMEDOUT || errnum == EIO;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp;
	struct dbb_error err;

	if (size < 2)
		return 0;
	memset(&resp, 0, sizeof(resp));
	resp.status = statuses[data[0] % STATUS_COUNT];
	if (data[1] & 1)
		snprintf(resp.date, sizeof(resp.date), "Mon, 03 Jun 2024 01:02:03 GMT");
	snprintf(resp.request_id, sizeof(resp.request_id), "header-request-id");
	resp.content_length = -1;
	resp.retry_after_ms = -1;
	resp.duration_ms = 42;
	resp.body = fuzz_strndup(data + 2, size - 2);
	resp.length = size - 2;

	dbb_error_clear(&err);
	objectstore_describe_error(fuzz_store(), &resp, &err);
	FUZZ_ASSERT(errno_in_design_table(err.errnum));
	FUZZ_ASSERT(err.message[0] != '\0');
	FUZZ_ASSERT(err.http_status == resp.status && err.duration_ms == 42);
	FUZZ_ASSERT(memchr(err.code, '\0', sizeof(err.code)) != NULL);
	FUZZ_ASSERT(memchr(err.request_id, '\0', sizeof(err.request_id)) != NULL);
	free(resp.body);
	return 0;
}
