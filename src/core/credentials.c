/*
 * credentials.c: the providers' credential files, read with the config
 * parser (they are INI files too).
 */
#include "core/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct credential_file {
	const char *family;
	const char *path_variable;     /* environment variable naming the file */
	const char *default_path;      /* under $HOME */
	const char *default_section;
	const char *access_key;
	const char *secret_key;
	const char *project_id;        /* NULL: the file has none */
};

static const struct credential_file files[] = {
	{ "ncloud-cli", NULL, ".ncloud/configure", "DEFAULT",
	  "ncloud_access_key_id", "ncloud_secret_access_key", NULL },
	{ "huaweicloud-sdk", "HUAWEICLOUD_SDK_CREDENTIALS_FILE", ".huaweicloud/credentials",
	  "basic", "ak", "sk", "project_id" },
};

static const struct credential_file *file_of(const char *family)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(files[i].family, family))
			return &files[i];
	return NULL;
}

static char *path_of(const struct credential_file *f)
{
	const char *named = f->path_variable ? getenv(f->path_variable) : NULL;
	const char *home = getenv("HOME");
	char *path;

	if (named && *named)
		return strdup(named);
	if (!home || *home != '/')
		return NULL;
	return asprintf(&path, "%s/%s", home, f->default_path) < 0 ? NULL : path;
}

/* "ncloud-cli:project" -> section "project"; "ncloud-cli" -> default. */
static const char *section_of(const struct credential_file *f, const char *spec)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;

	return colon && colon[1] ? colon + 1 : f->default_section;
}

static int copy_value(const struct config *c, const struct config_section *s,
		      const char *key, char **out, struct dbb_error *err)
{
	const char *value = config_get(s, key);

	if (!value || !*value)
		return dbb_error_set(err, EINVAL, "%s:%d: [%s] lacks '%s'", c->path, s->line,
				     s->name, key);
	*out = strdup(value);
	return *out ? 0 : dbb_error_set(err, ENOMEM, "out of memory");
}

int credentials_read(const char *family, const char *spec, struct credential_values *out,
		     struct dbb_error *err)
{
	const struct credential_file *f = file_of(family);
	const struct config_section *s;
	struct config *c = NULL;
	const char *section;
	char *path;
	int result = 0;

	memset(out, 0, sizeof(*out));
	if (!f)
		return dbb_error_set(err, EINVAL, "unknown credentials source '%s'", family);
	path = path_of(f);
	if (!path)
		return dbb_error_set(err, EINVAL, "%s: cannot find the file: HOME is not set", family);
	if (!spec && access(path, F_OK) != 0)
		goto out;     /* the default source is optional */
	section = section_of(f, spec);
	if ((result = config_load(path, &c, err)) < 0)
		goto out;
	if (c->group_or_other_readable) {
		result = dbb_error_set(err, EACCES, "%s holds secrets and is readable by others",
				       c->path);
		dbb_error_set_remedy(err, "chmod 600 %s", c->path);
		goto out;
	}
	s = config_section_find(c, section);
	if (!s) {
		result = dbb_error_set(err, ENOENT, "%s has no section [%s]", c->path, section);
		goto out;
	}
	if ((result = copy_value(c, s, f->access_key, &out->access_key, err)) < 0 ||
	    (result = copy_value(c, s, f->secret_key, &out->secret_key, err)) < 0)
		goto out;
	if (f->project_id && config_get(s, f->project_id))
		out->project_id = strdup(config_get(s, f->project_id));
	snprintf(out->source, sizeof(out->source), "%s %s [%s]", family, c->path, section);
out:
	if (result < 0)
		credential_values_free(out);
	config_free(c);
	free(path);
	return result;
}

void credential_values_free(struct credential_values *values)
{
	if (values->secret_key)
		explicit_bzero(values->secret_key, strlen(values->secret_key));
	free(values->access_key);
	free(values->secret_key);
	free(values->project_id);
	memset(values, 0, sizeof(*values));
}
