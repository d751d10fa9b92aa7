/*
 * backup_file.c: a backup's bytes, through the content reader
 * (core/content.h). open asks the provider where the bytes are, or says
 * why they cannot be read and what would help; read replies straight from
 * the reader's buffers (no copy here); release ends it without waiting for
 * its prefetches.
 *
 * The kernel keeps a backup's pages from one open to the next
 * (keep_cache): backups never change, so a second cat is served from
 * memory. Where the open learned that the listed size was not exact (RDS
 * counts KB, so nearly every RDS backup), the kernel forgets the inode's
 * attributes before the open is answered, so that no read of this open can
 * use the listed size:
 *   - were the listed size smaller, a read past it asks for the attributes
 *     again first, and getattr answers the exact size;
 *   - were it larger, the short read at the real end shrinks the size. Had
 *     the invalidation come while that read was in flight (from the worker,
 *     as it once did), the kernel would ignore the shorter size and pad the
 *     page cache with zeros up to the listed one.
 * Only the attributes are dropped: nothing is cached before the first open
 * learns the size. Answering this open with direct_io instead would keep
 * its bytes out of the page cache and make mmap(2) fail with ENODEV.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core/content.h"
#include "core/log.h"
#include "fs/fs.h"
#include "fs/handles.h"

/* One open: the reader, tracked so that an open the kernel never
 * released is closed at exit. */
struct backup_handle {
	struct open_handle handle;        /* first: the handle is the object */
	struct content_reader *reader;
};

static void backup_handle_destroy(struct open_handle *h)
{
	struct backup_handle *b = (struct backup_handle *)h;

	content_reader_close(b->reader);
	free(b);
}

static struct content_reader *reader_of(struct fuse_file_info *fi)
{
	return ((struct backup_handle *)(uintptr_t)fi->fh)->reader;
}

/* The export remedy, for a backup that becomes readable once exported. */
static void remedy_export(const struct resolved *r, struct dbb_error *err)
{
	dbb_error_set_remedy(err, "export it: echo BUCKET > %s/%s/.export/%s",
			     r->profile->name, entry_text(r->instance, ENTRY_NAME),
			     r->backup->file_name);
}

/* ENODATA for a backup whose provider cannot serve bytes at all. */
static void refuse_unreadable(const struct resolved *r, struct dbb_error *err)
{
	if (r->backup->readable == ENTRY_READABLE_AFTER_EXPORT) {
		dbb_error_set(err, ENODATA, "the contents of this backup are not readable "
			      "through the mount until it is exported");
		remedy_export(r, err);
	} else if (r->profile->kind->open_content) {
		dbb_error_set(err, ENODATA, "this backup (status %s) has no contents to read",
			      entry_text(r->backup, ENTRY_STATUS));
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

/* Here, not through the worker: the kernel must have forgotten the listed
 * size before the open returns (above). An open holds no inode lock for
 * reading, and attributes-only invalidation touches no page, so this
 * cannot wait on the open it is part of. */
static void forget_attributes(struct fs *fs, struct node *n)
{
	int result = fuse_lowlevel_notify_inval_inode(fs->session, n->ino, -1, 0);

	/* ENOENT: the kernel holds no such inode, so no size either. */
	if (result < 0 && result != -ENOENT)
		log_msg(LOG_LEVEL_WARN, "open %s: the kernel could not be told the exact size "
			"(%s); reads may stop at the listed size", n->name, strerror(-result));
}

void backup_file_open(fuse_req_t req, struct fs *fs, struct node *n,
		      struct fuse_file_info *fi)
{
	struct content_open_params params;
	struct content_reader *reader;
	struct backup_handle *b;
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
	/* A backup readable after an export may be exported by now: the
	 * provider says (ENODATA when it is not). */
	if (r.backup->readable == ENTRY_READABLE_NO || !r.profile->kind->open_content) {
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
	if (result == -ENODATA && r.backup->readable == ENTRY_READABLE_AFTER_EXPORT &&
	    !err.remedy[0])
		remedy_export(&r, &err);
	resolved_release(&r);
	if (result < 0) {
		reply_unreadable(req, n, &err);
		return;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		content_reader_close(reader);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	b->reader = reader;
	handles_add(&b->handle, backup_handle_destroy);
	if (content_reader_size_changed(reader) && content_reader_size(reader) != told)
		forget_attributes(fs, n);
	fi->keep_cache = 1;
	fi->fh = (uintptr_t)b;
	/* An interrupted open gets no release: end it here. */
	if (fuse_reply_open(req, fi) == -ENOENT) {
		handles_remove(&b->handle);
		backup_handle_destroy(&b->handle);
	}
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
	struct backup_handle *b = (struct backup_handle *)(uintptr_t)fi->fh;

	handles_remove(&b->handle);
	backup_handle_destroy(&b->handle);
	fuse_reply_err(req, 0);
}
