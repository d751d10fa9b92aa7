/*
 * control_file.c: <instance>/.export/<backup>.
 *
 * Each write() is one whole command, as in sysfs: a bucket name (or, for
 * ZStack, a backup storage), surrounding white space and one trailing
 * newline removed. It returns the byte count once the provider accepted
 * the export, or the errno of DESIGN section 4. Reading shows the last
 * export of the backup through this mount, as "key: value" lines, made at
 * each read so that a second cat sees progress.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/actions.h"
#include "core/log.h"
#include "fs/fs.h"
#include "fs/worker.h"

void control_file_open(fuse_req_t req, struct fs *fs, struct node *n,
		       struct fuse_file_info *fi)
{
	struct resolved r = { 0 };
	struct dbb_error err;

	dbb_error_clear(&err);
	/* The backup must exist; O_TRUNC (the shell's >) has no effect. */
	if (resolve_backup(fs, n, &r, &err) < 0) {
		resolved_release(&r);
		reply_failure(req, "open", n, NULL, &err);
		return;
	}
	resolved_release(&r);
	fi->direct_io = 1;
	fi->nonseekable = 0;
	fuse_reply_open(req, fi);
}

void control_file_read(fuse_req_t req, struct fs *fs, struct node *n, size_t size,
		       off_t offset, struct fuse_file_info *fi)
{
	struct export_record record;
	char text[4096];
	size_t length;

	catalog_export_status(fs->catalog, profile_of(fs, n), instance_id_of(fs, n),
			      n->id, &record);
	length = export_record_render(&record, text, sizeof(text));
	if (offset < 0 || (size_t)offset >= length) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > length - (size_t)offset)
		size = length - (size_t)offset;
	fuse_reply_buf(req, text + offset, size);
}

void control_file_write(fuse_req_t req, struct fs *fs, struct node *n, const char *buf,
			size_t size, struct fuse_file_info *fi)
{
	struct profile *p = profile_of(fs, n);
	const char *instance_id = instance_id_of(fs, n);
	struct node *export_dir = inodes_find(fs->inodes, n->parent), *backup;
	struct dbb_error err;

	dbb_error_clear(&err);
	if (catalog_export_backup(fs->catalog, p, instance_id, n->id, buf, size, &err) < 0) {
		reply_failure(req, "export", n, NULL, &err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "export of %s/%s accepted", p->name, n->name);
	/* The backup's attributes may say more now (exported_to): tell the
	 * kernel, from the worker, never from inside this handler. */
	backup = inodes_get(fs->inodes, export_dir->parent, NODE_BACKUP, n->profile,
			    n->id, n->name);
	if (backup)
		worker_invalidate_inode(fs->worker, backup->ino);
	fuse_reply_write(req, size);
}

void control_file_release(fuse_req_t req, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}
