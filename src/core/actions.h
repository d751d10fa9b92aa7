/*
 * actions.h: the two operations that change something at the provider,
 * mkdir (a manual backup) and a control-file write (an export).
 *
 * Each validates its input by the provider's documented rule before any
 * request (EINVAL), asks the provider exactly once (a state-changing request
 * is never repeated once it may have reached the server), and on success
 * invalidates the listing it changed so the next look sees the result.
 */
#ifndef DBB_ACTIONS_H
#define DBB_ACTIONS_H

#include "core/catalog.h"
#include "core/exports.h"

int catalog_create_backup(struct catalog *cat, struct profile *p,
			  const char *instance_id, const char *name,
			  struct dbb_error *err);

/* command: the bytes written to the control file (one write, one command).
 * The outcome, success or failure, is remembered for the control file. */
int catalog_export_backup(struct catalog *cat, struct profile *p,
			  const char *instance_id, const char *backup_id,
			  const char *command, size_t length, struct dbb_error *err);

/* What this mount knows of the backup's last export. */
void catalog_export_status(struct catalog *cat, struct profile *p,
			   const char *instance_id, const char *backup_id,
			   struct export_record *out);

#endif
