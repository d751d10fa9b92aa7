/*
 * sign_with_dbbcore.c: prints the Authorization value dbbackupfs's own
 * signer (src/providers/sign_huawei.c, from the build's libdbbcore.a) gives
 * a request, so that tests/integration/test_huawei_sdk.py can compare it
 * with the one the official SDK gave the same request.
 *
 *   sign_with_dbbcore METHOD PATH QUERY SDK_DATE AK SK BODY_FILE [HEADER...]
 *
 * QUERY is raw ("" for none); each HEADER is "Name: value" and is signed
 * (X-Sdk-Date among them, as the SDK sends it). The test builds this with
 * cc against the library; it is not part of the product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/sign_huawei.h"

#define MAX_HEADERS 32
#define MAX_BODY (1 << 20)

static int read_body(const char *path, char *body, size_t *length)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	*length = fread(body, 1, MAX_BODY, f);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	static char body[MAX_BODY];
	struct crypto_pair headers[MAX_HEADERS];
	char *authorization = NULL;
	size_t body_length = 0, count = 0;
	int result;

	if (argc < 8 || argc - 8 > MAX_HEADERS) {
		fprintf(stderr, "usage: %s METHOD PATH QUERY SDK_DATE AK SK BODY_FILE [HEADER...]\n",
			argv[0]);
		return 2;
	}
	if (read_body(argv[7], body, &body_length) < 0) {
		perror(argv[7]);
		return 2;
	}
	for (int i = 8; i < argc; i++, count++) {
		char *colon = strchr(argv[i], ':');

		if (!colon) {
			fprintf(stderr, "not a header: %s\n", argv[i]);
			return 2;
		}
		*colon = '\0';
		headers[count].name = argv[i];
		headers[count].value = colon + 1 + (colon[1] == ' ');
	}
	{
		const struct huawei_request req = {
			.method = argv[1],
			.path = argv[2],
			.query = argv[3],
			.headers = headers,
			.header_count = count,
			.body = body,
			.body_len = body_length,
		};

		result = huawei_authorization(&req, argv[4], argv[5], argv[6], &authorization);
	}
	if (result < 0) {
		fprintf(stderr, "huawei_authorization: %s\n", strerror(-result));
		return 1;
	}
	printf("%s\n", authorization);
	free(authorization);
	return 0;
}
