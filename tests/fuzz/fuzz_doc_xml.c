/*
 * fuzz_doc_xml.c: doc_parse_xml, then everything a provider does with the
 * tree (fuzz_doc.h). Seeds: NAVER XML answers, S3 listings and errors.
 */
#include "fuzz_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[256];
	json_t *tree;

	reason[0] = '\0';
	tree = doc_parse_xml((const char *)data, size, reason, sizeof(reason));
	if (!tree) {
		FUZZ_ASSERT(reason[0] != '\0');
		return 0;
	}
	/* The document element is the one key of the top object. */
	FUZZ_ASSERT(json_is_object(tree) && json_object_size(tree) == 1);
	fuzz_doc_exercise(tree);
	json_decref(tree);
	return 0;
}
