/*
 * fuzz_config.c: the INI parser (config_load) and what the providers then
 * ask of a config: unknown keys, required keys, typed values, paths and
 * inline secrets.
 *
 * The input is written to a memfd and loaded through /proc/self/fd/N, so
 * that config_load runs exactly as for a file on disk. Its mode follows the
 * input's length (odd: 0644, readable by others) so that both outcomes of
 * the secret check are reached.
 *
 * Properties (config.h): sections have valid directory names, unique in the
 * file; keys are [a-z0-9_]+ and unique in their section; every lookup finds
 * what the walk saw; every failure fills err with one of the documented
 * errnos and a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "fuzz.h"

static const char *const allowed_keys[] = {
	"type", "endpoint", "region", "access_key", "secret_key", "secret_key_file",
	"cache_ttl", "poll_interval", "max_stale", "timeout", "retries", "max_rps",
	"ca_file", "project_id", "api_version", "account", "password",
	"password_file", "timezone", "job_timeout", "export_folder", NULL,
};

static int config_fd = -1;
static char config_path[64];

static void check_error(int rc, const struct dbb_error *err)
{
	FUZZ_ASSERT(rc < 0 && rc == -err->errnum);
	FUZZ_ASSERT(err->errnum == EINVAL || err->errnum == ENOENT ||
		    err->errnum == EACCES || err->errnum == ENOMEM ||
		    err->errnum == EIO);
	FUZZ_ASSERT(err->message[0] != '\0');
}

static void check_result(int rc, const struct dbb_error *err)
{
	if (rc != 0)
		check_error(rc, err);
}

static int key_valid(const char *key)
{
	return *key && strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(key);
}

/* config.h's rule for section names; it sets no length limit. */
static void check_section_name(const char *name)
{
	FUZZ_ASSERT(*name && strcmp(name, ".") && strcmp(name, ".."));
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		FUZZ_ASSERT(*p != '/' && *p >= 0x20 && *p != 0x7f);
}

/* An inline secret only: a *_file key would make the harness read files. */
static void read_inline_secret(const struct config *c, const struct config_section *s,
			       const char *key, const char *file_key)
{
	struct config_secret secret = { 0 };
	struct dbb_error err;

	if (config_get(s, file_key))
		return;
	check_result(config_read_secret(c, s, key, NULL, &secret, &err), &err);
	config_secret_free(&secret);
}

static void exercise_section(const struct config *c, const struct config_section *s)
{
	struct dbb_error err;
	unsigned long number;
	bool flag;
	char *path;

	check_section_name(s->name);
	FUZZ_ASSERT(config_section_find(c, s->name) == s);
	for (size_t i = 0; i < s->count; i++) {
		const struct config_entry *e = &s->entries[i];

		FUZZ_ASSERT(key_valid(e->key) && e->value != NULL && e->line > s->line);
		FUZZ_ASSERT(config_find(s, e->key) == e);
		path = config_expand_path(c, e->value);
		free(path);
	}
	check_result(config_check_keys(c, s, allowed_keys, &err), &err);
	check_result(config_require(c, s, "type", &err), &err);
	check_result(config_get_uint(c, s, "retries", 4, 0, 100, &number, &err), &err);
	check_result(config_get_duration_ms(c, s, "cache_ttl", 30000, 0, 86400000,
					    &number, &err), &err);
	check_result(config_get_duration_ms(c, s, "timeout", 30000, 1, ~0UL,
					    &number, &err), &err);
	check_result(config_get_bool(c, s, "debug", false, &flag, &err), &err);
	read_inline_secret(c, s, "secret_key", "secret_key_file");
	read_inline_secret(c, s, "password", "password_file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	struct dbb_error err;
	int rc;

	if (config_fd < 0) {
		config_fd = memfd_create("dbbackupfs-config", MFD_CLOEXEC);
		FUZZ_ASSERT(config_fd >= 0);
		snprintf(config_path, sizeof(config_path), "/proc/self/fd/%d", config_fd);
	}
	FUZZ_ASSERT(ftruncate(config_fd, 0) == 0);
	FUZZ_ASSERT(pwrite(config_fd, data, size, 0) == (ssize_t)size);
	FUZZ_ASSERT(fchmod(config_fd, size & 1 ? 0644 : 0600) == 0);

	rc = config_load(config_path, &c, &err);
	if (rc < 0) {
		check_error(rc, &err);
		FUZZ_ASSERT(c == NULL);
		return 0;
	}
	FUZZ_ASSERT(c != NULL && c->path != NULL);
	for (size_t i = 0; i < c->count; i++)
		exercise_section(c, &c->sections[i]);
	config_free(c);
	return 0;
}
