/*
 * backup_file.c: a backup's bytes. Until a provider can serve them, open
 * says why not and what would help.
 */
#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "fs/fs.h"

void backup_file_open(fuse_req_t req, struct fs *fs, struct node *n,
		      struct fuse_file_info *fi)
{
	struct resolved r = { 0 };
	struct dbb_error err;

	dbb_error_clear(&err);
	if (resolve_backup(fs, n, &r, &err) < 0) {
		resolved_release(&r);
		reply_failure(req, "open", n, NULL, &err);
		return;
	}
	if (r.backup->readable == ENTRY_READABLE_AFTER_EXPORT) {
		dbb_error_set(&err, ENODATA, "the contents of this backup are not readable "
			      "through the mount until it is exported");
		dbb_error_set_remedy(&err, "export it: echo BUCKET > %s/%s/.export/%s",
				     r.profile->name, entry_text(r.instance, ENTRY_NAME),
				     r.backup->file_name);
	} else {
		dbb_error_set(&err, ENODATA, "%s offers no way to read a backup's contents",
			      r.profile->kind->summary);
	}
	resolved_release(&r);
	/* File managers open every file to guess its type: say how to make a
	 * backup readable once, not on every probe. */
	if (__atomic_exchange_n(&n->said_unreadable, 1, __ATOMIC_RELAXED)) {
		log_msg(LOG_LEVEL_DEBUG, "open %s: ENODATA (said before)", n->name);
		fuse_reply_err(req, ENODATA);
		return;
	}
	reply_failure(req, "open", n, NULL, &err);
}

void backup_file_read(fuse_req_t req, struct fs *fs, struct node *n, size_t size,
		      off_t offset, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EIO);
}

void backup_file_release(fuse_req_t req, struct fs *fs, struct node *n,
			 struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}
