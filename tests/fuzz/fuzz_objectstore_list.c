/*
 * fuzz_objectstore_list.c: S3 ListObjectsV2 answers
 * (objectstore_parse_list_page), the XML that says where an exported NAVER
 * backup is. Seeds: s3rver pages and errors, the examples of api/ncloud.md.
 *
 * Properties: success or -EINVAL with a reason; every object has a key; a
 * size is -1 or not negative; the page is released whatever happened.
 */
#include <errno.h>

#include "fuzz.h"
#include "providers/objectstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct objectstore_page page;
	char reason[256];
	int rc;

	memset(&page, 0, sizeof(page));
	reason[0] = '\0';
	rc = objectstore_parse_list_page((const char *)data, size, &page, reason,
					 sizeof(reason));
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		FUZZ_ASSERT(page.count == 0 || page.objects != NULL);
		for (size_t i = 0; i < page.count; i++) {
			FUZZ_ASSERT(page.objects[i].key != NULL);
			FUZZ_ASSERT(page.objects[i].size >= -1);
		}
	} else {
		FUZZ_ASSERT(reason[0] != '\0');
	}
	objectstore_page_destroy(&page);
	return 0;
}
