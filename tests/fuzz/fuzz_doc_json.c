/*
 * fuzz_doc_json.c: doc_parse_json, then everything a provider does with the
 * tree (fuzz_doc.h). Seeds: NAVER JSON, Huawei and ZStack answers.
 */
#include "fuzz_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[256];
	json_t *tree;

	reason[0] = '\0';
	tree = doc_parse_json((const char *)data, size, reason, sizeof(reason));
	if (!tree) {
		FUZZ_ASSERT(reason[0] != '\0');
		return 0;
	}
	fuzz_doc_exercise(tree);
	json_decref(tree);
	return 0;
}
