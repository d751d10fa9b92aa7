/*
 * credentials.h: keys from where users already keep them.
 *
 * The providers' own tools keep access keys in INI files: NAVER's CLI and
 * SDKs in ~/.ncloud/configure ([DEFAULT] or a named section, keys
 * ncloud_access_key_id and ncloud_secret_access_key), Huawei's SDKs in
 * ~/.huaweicloud/credentials or $HUAWEICLOUD_SDK_CREDENTIALS_FILE ([basic],
 * keys ak, sk, project_id). A profile names one with
 * `credentials = ncloud-cli[:SECTION]` or `credentials = huaweicloud-sdk[:SECTION]`.
 * Like the configuration, a file that holds a secret and is readable by
 * group or others is refused, with the chmod that fixes it.
 */
#ifndef DBB_CREDENTIALS_H
#define DBB_CREDENTIALS_H

#include "core/config.h"

struct credential_values {
	char *access_key;        /* malloc'd */
	char *secret_key;        /* malloc'd; wiped by credential_values_free */
	char *project_id;        /* malloc'd, or NULL */
	char source[CONFIG_SOURCE_MAX];   /* "ncloud-cli /root/.ncloud/configure [DEFAULT]" */
};

/* family: "ncloud-cli" or "huaweicloud-sdk"; spec: the credentials= value
 * ("ncloud-cli:project"), or NULL for the family's default section. When
 * spec is NULL and the file does not exist, returns 0 with values empty.
 * Errors name the file and the missing key; never a secret. */
int credentials_read(const char *family, const char *spec, struct credential_values *out,
		     struct dbb_error *err);

void credential_values_free(struct credential_values *values);

#endif
