/*
 * registry.c: every provider kind, one line each.
 */
#include <stdlib.h>
#include <string.h>

#include "providers/provider.h"

extern const struct provider_kind ncloud_mysql_kind;
extern const struct provider_kind ncloud_mysql_vpc_kind;
extern const struct provider_kind ncloud_postgresql_kind;
extern const struct provider_kind huawei_taurusdb_kind;
extern const struct provider_kind huawei_rds_kind;
extern const struct provider_kind zstack_kind;

static const struct provider_kind *const kinds[] = {
	&ncloud_mysql_kind,
	&ncloud_mysql_vpc_kind,
	&ncloud_postgresql_kind,
	&huawei_taurusdb_kind,
	&huawei_rds_kind,
	&zstack_kind,
	NULL,
};

const struct provider_kind *provider_find(const char *name)
{
	for (size_t i = 0; kinds[i]; i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

const struct provider_kind *const *provider_kinds(void)
{
	return kinds;
}

void content_source_destroy(struct content_source *source)
{
	free(source->url);
	source->url = NULL;
	http_headers_destroy(&source->headers);
}
