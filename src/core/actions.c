/*
 * actions.c: mkdir and export, provider-neutral.
 */
#include "core/actions.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void export_key(const struct profile *p, const char *instance_id,
		       const char *backup_id, char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s", p->name, instance_id, backup_id);
}

/* The instance's record, from the (cached) instance listing. */
static int find_instance(struct catalog *cat, struct profile *p, const char *instance_id,
			 struct listing **instances, const struct entry **instance,
			 struct dbb_error *err)
{
	if (catalog_instances(cat, p, instances, err) < 0)
		return -err->errnum;
	*instance = listing_find_id(*instances, instance_id);
	if (!*instance) {
		listing_unref(*instances);
		*instances = NULL;
		return dbb_error_set(err, ENOENT, "instance %s is gone", instance_id);
	}
	return 0;
}

int catalog_create_backup(struct catalog *cat, struct profile *p,
			  const char *instance_id, const char *name,
			  struct dbb_error *err)
{
	struct listing *instances = NULL;
	const struct entry *instance;
	int result;

	if (!p->kind->create_backup)
		return dbb_error_set(err, EPERM, "%s has no API to make a backup",
				     p->kind->summary);
	if (p->kind->check_backup_name &&
	    p->kind->check_backup_name(p, name, err) < 0)
		return -err->errnum;
	if (find_instance(cat, p, instance_id, &instances, &instance, err) < 0)
		return -err->errnum;
	result = p->kind->create_backup(p, instance, name, err);
	listing_unref(instances);
	if (result < 0)
		stats_count_error(&p->stats, err->errnum, err->code, err->message);
	else
		catalog_invalidate_backups(cat, p, instance_id);
	return result;
}

/* sysfs-style: surrounding white space (the trailing newline with it)
 * goes. Returns -1 when the command does not fit: never cut it short. */
static int command_text(const char *command, size_t length, char *out, size_t size)
{
	size_t start = 0, end = length;

	while (start < end && isspace((unsigned char)command[start]))
		start++;
	while (end > start && isspace((unsigned char)command[end - 1]))
		end--;
	if (end - start >= size || memchr(command + start, '\0', end - start))
		return -1;
	memcpy(out, command + start, end - start);
	out[end - start] = '\0';
	return 0;
}

static int export_through_provider(struct catalog *cat, struct profile *p,
				   const char *instance_id, const char *backup_id,
				   const char *bucket, struct export_result *outcome,
				   struct dbb_error *err)
{
	struct listing *instances = NULL, *backups = NULL;
	const struct entry *instance, *backup;
	int result;

	if (find_instance(cat, p, instance_id, &instances, &instance, err) < 0)
		return -err->errnum;
	result = catalog_backups(cat, p, instance_id, &backups, err);
	if (result == 0) {
		backup = listing_find_id(backups, backup_id);
		if (!backup)
			result = dbb_error_set(err, ENOENT, "backup %s is gone", backup_id);
		else
			result = p->kind->export_backup(p, instance, backup, bucket,
							outcome, err);
	}
	listing_unref(backups);
	listing_unref(instances);
	return result;
}

int catalog_export_backup(struct catalog *cat, struct profile *p,
			  const char *instance_id, const char *backup_id,
			  const char *command, size_t length, struct dbb_error *err)
{
	struct export_result outcome;
	struct export_record record;
	char bucket[256], key[1024];
	int result;

	if (!p->kind->export_backup)
		return dbb_error_set(err, EPERM, "%s cannot export backups", p->kind->summary);
	if (command_text(command, length, bucket, sizeof(bucket)) < 0)
		return dbb_error_set(err, EINVAL, "a bucket name is at most %zu bytes",
				     sizeof(bucket) - 1);
	if (!bucket[0])
		return dbb_error_set(err, EINVAL, "write a bucket name to export the backup");
	if (p->kind->check_bucket_name && p->kind->check_bucket_name(p, bucket, err) < 0)
		return -err->errnum;

	memset(&outcome, 0, sizeof(outcome));
	memset(&record, 0, sizeof(record));
	snprintf(record.bucket, sizeof(record.bucket), "%s", bucket);
	record.requested_at = (int64_t)time(NULL);
	result = export_through_provider(cat, p, instance_id, backup_id, bucket,
					 &outcome, err);
	if (result < 0) {
		record.state = EXPORT_FAILED;
		record.finished_at = (int64_t)time(NULL);
		snprintf(record.error, sizeof(record.error), "%s: %s%s%s",
			 dbb_errno_name(err->errnum), err->message,
			 err->code[0] ? " (code " : "", err->code[0] ? err->code : "");
		if (err->code[0])
			strncat(record.error, ")", sizeof(record.error) - strlen(record.error) - 1);
		stats_count_error(&p->stats, err->errnum, err->code, err->message);
	} else {
		record.state = outcome.done ? EXPORT_DONE : EXPORT_ACCEPTED;
		record.finished_at = outcome.done ? (int64_t)time(NULL) : 0;
		snprintf(record.folder, sizeof(record.folder), "%s", outcome.folder);
		snprintf(record.destination, sizeof(record.destination), "%s", outcome.destination);
		snprintf(record.result, sizeof(record.result), "%s", outcome.result);
		catalog_invalidate_backups(cat, p, instance_id);
	}
	export_key(p, instance_id, backup_id, key, sizeof(key));
	exports_put(cat->exports, key, &record);
	return result;
}

void catalog_export_status(struct catalog *cat, struct profile *p,
			   const char *instance_id, const char *backup_id,
			   struct export_record *out)
{
	char key[1024];

	export_key(p, instance_id, backup_id, key, sizeof(key));
	exports_get(cat->exports, key, out);
}
