/*
 * backup_file.c: a backup's bytes, through the content reader
 * (core/content.h). open asks the provider where the bytes are, or says
 * why they cannot be read and what would help; read copies out of the
 * reader; release ends it without waiting for its prefetches.
 *
 * The kernel keeps a backup's pages from one open to the next
 * (keep_cache): backups never change, so a second cat is served from
 * memory. Where the open learned that the listed size was not exact (RDS
 * counts KB), the worker tells the kernel to forget the inode's attributes
 * (getattr then answers the exact size); if the listed size was smaller,
 * this one open reads with direct_io, since the kernel would otherwise
 * stop reading at the size it was told.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core/content.h"
#include "core/log.h"
#include "fs/fs.h"
#include "fs/worker.h"

static struct content_reader *reader_of(struct fuse_file_info *fi)
{
	return (struct content_reader *)(uintptr_t)fi->fh;
}

/* ENODATA, with the remedy where there is one. */
static void refuse_unreadable(const struct resolved *r, struct dbb_error *err)
{
	if (r->backup->readable == ENTRY_READABLE_AFTER_EXPORT) {
		dbb_error_set(err, ENODATA, "the contents of this backup are not readable "
			      "through the mount until it is exported");
		dbb_error_set_remedy(err, "export it: echo BUCKET > %s/%s/.export/%s",
				     r->profile->name, entry_text(r->instance, ENTRY_NAME),
				     r->backup->file_name);
	} else if (r->profile->kind->capabilities & PROVIDER_CAN_READ &&
		   r->profile->kind->open_content) {
		dbb_error_set(err, ENODATA, "this backup (status %s) has no contents to read",
			      entry_text(r->backup, ENTRY_STATUS));
		dbb_error_set_remedy(err, "wait until the backup is complete");
	} else {
		dbb_error_set(err, ENODATA, "%s offers no way to read a backup's contents",
			      r->profile->kind->summary);
	}
}

/* File managers open every file to guess its type: say why a backup
 * cannot be read, and how to make it readable, once per backup. */
static void reply_unreadable(fuse_req_t req, struct node *n, const struct dbb_error *err)
{
	if (err->errnum == ENODATA &&
	    __atomic_exchange_n(&n->said_unreadable, 1, __ATOMIC_RELAXED)) {
		log_msg(LOG_LEVEL_DEBUG, "open %s: ENODATA (said before)", n->name);
		fuse_reply_err(req, ENODATA);
		return;
	}
	reply_failure(req, "open", n, NULL, err);
}

/* The size the kernel was last told (ops.c: exact once known, else the
 * listed size, 0 when unknown). */
static int64_t told_size(const struct resolved *r)
{
	int64_t exact = content_exact_size(r->profile, entry_text(r->instance, ENTRY_ID),
					   entry_text(r->backup, ENTRY_ID));

	if (exact >= 0)
		return exact;
	return r->backup->size > 0 ? r->backup->size : 0;
}

void backup_file_open(fuse_req_t req, struct fs *fs, struct node *n,
		      struct fuse_file_info *fi)
{
	struct content_open_params params;
	struct content_reader *reader;
	struct resolved r = { 0 };
	struct dbb_error err;
	int64_t told;
	int result;

	dbb_error_clear(&err);
	if (resolve_backup(fs, n, &r, &err) < 0) {
		resolved_release(&r);
		reply_failure(req, "open", n, NULL, &err);
		return;
	}
	if (r.backup->readable != ENTRY_READABLE_YES || !r.profile->kind->open_content) {
		refuse_unreadable(&r, &err);
		resolved_release(&r);
		reply_unreadable(req, n, &err);
		return;
	}
	params = (struct content_open_params) {
		.catalog = fs->catalog,
		.profile = r.profile,
		.instance_id = entry_text(r.instance, ENTRY_ID),
		.backup_id = entry_text(r.backup, ENTRY_ID),
		.listed_size = r.backup->size,
	};
	told = told_size(&r);
	result = content_reader_open(&params, &reader, &err);
	resolved_release(&r);
	if (result < 0) {
		reply_unreadable(req, n, &err);
		return;
	}
	if (content_reader_size_changed(reader)) {
		worker_invalidate_inode(fs->worker, n->ino);
		if (content_reader_size(reader) > told)
			fi->direct_io = 1;
	}
	fi->keep_cache = !fi->direct_io;
	fi->fh = (uintptr_t)reader;
	/* An interrupted open gets no release: end the reader here. */
	if (fuse_reply_open(req, fi) == -ENOENT)
		content_reader_close(reader);
}

/* The reply points into the reader's parts: no copy on our side. */
void backup_file_read(fuse_req_t req, struct fs *fs, struct node *n, size_t size,
		      off_t offset, struct fuse_file_info *fi)
{
	struct content_reader *reader = reader_of(fi);
	struct iovec iov[CONTENT_MAX_PARTS];
	struct content_map map;
	struct dbb_error err;
	ssize_t got;

	dbb_error_clear(&err);
	got = content_reader_map(reader, size, (int64_t)offset, &map, &err);
	if (got < 0) {
		reply_failure(req, "read", n, NULL, &err);
		return;
	}
	if (got == 0) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	for (size_t i = 0; i < map.count; i++) {
		iov[i].iov_base = (void *)map.spans[i].data;
		iov[i].iov_len = map.spans[i].length;
	}
	fuse_reply_iov(req, iov, (int)map.count);
	content_reader_unmap(reader, &map);
}

void backup_file_release(fuse_req_t req, struct fs *fs, struct node *n,
			 struct fuse_file_info *fi)
{
	content_reader_close(reader_of(fi));
	fuse_reply_err(req, 0);
}
