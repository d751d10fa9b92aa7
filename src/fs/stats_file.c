/*
 * stats_file.c: MOUNT/.stats, a JSON snapshot taken at open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"
#include "fs/handles.h"

/* A snapshot is referenced by its open file and by each read in flight:
 * the kernel can deliver a read's data, and the reader can close the file
 * (RELEASE, on another thread), before fuse_reply_buf has returned. */
struct stats_snapshot {
	struct open_handle handle;   /* first: the snapshot is its handle */
	int references;              /* atomic */
	char *text;
	size_t length;
};

static void snapshot_unref(struct stats_snapshot *s)
{
	if (__atomic_sub_fetch(&s->references, 1, __ATOMIC_ACQ_REL))
		return;
	free(s->text);
	free(s);
}

static void snapshot_destroy(struct open_handle *h)
{
	snapshot_unref((struct stats_snapshot *)h);
}

void stats_file_open(fuse_req_t req, struct fs *fs, struct fuse_file_info *fi)
{
	struct stats_snapshot *s = calloc(1, sizeof(*s));

	if (!s || !(s->text = catalog_stats_json(fs->catalog))) {
		free(s);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	s->length = strlen(s->text);
	s->references = 1;
	fi->fh = (uintptr_t)s;
	/* A snapshot per open; the size changes between opens. */
	fi->direct_io = 1;
	handles_add(&s->handle, snapshot_destroy);
	fuse_reply_open(req, fi);
}

void stats_file_read(fuse_req_t req, size_t size, off_t offset, struct fuse_file_info *fi)
{
	struct stats_snapshot *s = (struct stats_snapshot *)(uintptr_t)fi->fh;

	if (offset < 0 || (size_t)offset >= s->length) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > s->length - (size_t)offset)
		size = s->length - (size_t)offset;
	__atomic_add_fetch(&s->references, 1, __ATOMIC_RELAXED);
	fuse_reply_buf(req, s->text + offset, size);
	snapshot_unref(s);
}

void stats_file_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct stats_snapshot *s = (struct stats_snapshot *)(uintptr_t)fi->fh;

	handles_remove(&s->handle);
	snapshot_destroy(&s->handle);
	fuse_reply_err(req, 0);
}
