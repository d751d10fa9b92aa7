/*
 * directory.c: opendir, readdir, readdirplus, releasedir.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/fs.h"
#include "fs/handles.h"

/* A directory stream reads one snapshot of its listing from opendir to
 * releasedir, so entries neither vanish nor repeat while `ls` pages. */
struct dir_stream {
	struct open_handle handle;     /* first: the stream is its handle */
	struct node *node;
	struct resolved records;
	struct listing *listing;       /* borrowed from records */
	const char *specials[4];       /* ".", "..", then the tree's own names */
	size_t special_count;
};

static void dir_add_special(struct dir_stream *d, const char *name)
{
	d->specials[d->special_count++] = name;
}

static int dir_open_listing(struct fs *fs, struct dir_stream *d, struct dbb_error *err)
{
	struct node *n = d->node;

	switch (n->kind) {
	case NODE_ROOT:
		dir_add_special(d, CATALOG_STATS_FILE);
		return 0;
	case NODE_PROFILE:
		d->records.profile = profile_of(fs, n);
		if (catalog_instances(fs->catalog, d->records.profile,
				      &d->records.instances, err) < 0)
			return -err->errnum;
		d->listing = d->records.instances;
		return 0;
	case NODE_INSTANCE:
		if (can_export(fs, n))
			dir_add_special(d, CATALOG_EXPORT_DIRECTORY);
		/* fall through */
	case NODE_EXPORT_DIR:
		if (resolve_backups(fs, n, &d->records, err) < 0)
			return -err->errnum;
		d->listing = d->records.backups;
		return 0;
	default:
		return dbb_error_set(err, ENOTDIR, "not a directory");
	}
}

static void dir_stream_destroy(struct open_handle *h)
{
	struct dir_stream *d = (struct dir_stream *)h;

	resolved_release(&d->records);
	free(d);
}

void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);
	struct dir_stream *d;
	struct dbb_error err;

	if (!n || !(d = calloc(1, sizeof(*d)))) {
		fuse_reply_err(req, n ? ENOMEM : ENOENT);
		return;
	}
	d->node = n;
	dir_add_special(d, ".");
	dir_add_special(d, "..");
	dbb_error_clear(&err);
	if (dir_open_listing(fs_of(req), d, &err) < 0) {
		resolved_release(&d->records);
		free(d);
		reply_failure(req, "opendir", n, NULL, &err);
		return;
	}
	fi->fh = (uintptr_t)d;
	fi->cache_readdir = 0;
	handles_add(&d->handle, dir_stream_destroy);
	fuse_reply_open(req, fi);
}

static size_t dir_size(const struct dir_stream *d, struct fs *fs)
{
	if (d->node->kind == NODE_ROOT)
		return d->special_count + fs->catalog->profile_count;
	return d->special_count + (d->listing ? d->listing->count : 0);
}

/* The i-th entry of the stream: its name and its node (NULL for "."). */
static const char *dir_entry(struct fs *fs, struct dir_stream *d, size_t i,
			     struct node **child)
{
	struct node *n = d->node;
	const struct entry *e;

	*child = NULL;
	if (i < 2)
		return d->specials[i];
	if (i < d->special_count) {
		const char *name = d->specials[i];

		if (!strcmp(name, CATALOG_STATS_FILE))
			*child = inodes_get(fs->inodes, n->ino, NODE_STATS, 0, NULL, name);
		else
			*child = inodes_get(fs->inodes, n->ino, NODE_EXPORT_DIR,
					    n->profile, n->id, name);
		return name;
	}
	i -= d->special_count;
	if (n->kind == NODE_ROOT) {
		const char *name = fs->catalog->profiles[i].name;

		*child = inodes_get(fs->inodes, n->ino, NODE_PROFILE, (uint32_t)i, name, name);
		return name;
	}
	e = listing_at(d->listing, i);
	*child = inodes_get(fs->inodes, n->ino,
			    n->kind == NODE_PROFILE ? NODE_INSTANCE :
			    n->kind == NODE_EXPORT_DIR ? NODE_CONTROL : NODE_BACKUP,
			    n->profile, entry_text(e, ENTRY_ID), e->file_name);
	return e->file_name;
}

/* Attributes straight from the stream's snapshot, so that readdirplus
 * costs no further listing lookups. */
static void dir_entry_attributes(struct fs *fs, struct dir_stream *d, size_t i,
				 struct node *child, struct fuse_entry_param *e)
{
	struct dbb_error err;
	double timeout = STATIC_TIMEOUT;

	memset(e, 0, sizeof(*e));
	if (child && i >= d->special_count && d->listing && child->kind == NODE_BACKUP) {
		fill_backup(fs, child->ino, d->records.profile, d->records.instance,
			    listing_at(d->listing, i - d->special_count), &e->attr);
		timeout = catalog_entry_timeout(d->records.profile, d->listing);
	} else if (child && i >= d->special_count && child->kind == NODE_INSTANCE) {
		const struct entry *instance = listing_at(d->listing, i - d->special_count);

		fill_common(fs, child->ino, instance_mode(d->records.profile),
			    instance_mtime(instance), &e->attr);
		timeout = catalog_entry_timeout(d->records.profile, d->listing);
	} else if (child) {
		dbb_error_clear(&err);
		if (node_attributes(fs, child, &e->attr, &timeout, &err) < 0)
			child = NULL;
	}
	if (!child) {
		e->attr.st_mode = S_IFDIR;
		e->attr.st_ino = d->node->ino;
		return;
	}
	e->ino = child->ino;
	e->attr_timeout = e->entry_timeout = timeout;
}

static void read_directory(fuse_req_t req, size_t size, off_t offset,
			   struct fuse_file_info *fi, bool plus)
{
	struct fs *fs = fs_of(req);
	struct dir_stream *d = (struct dir_stream *)(uintptr_t)fi->fh;
	char *buffer = malloc(size);
	size_t used = 0, count = dir_size(d, fs);

	if (!buffer) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)offset; i < count; i++) {
		struct fuse_entry_param e;
		struct node *child;
		const char *name = dir_entry(fs, d, i, &child);
		size_t length;

		if (plus) {
			dir_entry_attributes(fs, d, i, child, &e);
			length = fuse_add_direntry_plus(req, buffer + used, size - used,
							name, &e, (off_t)i + 1);
		} else {
			struct stat st = { .st_ino = child ? child->ino : d->node->ino,
					   .st_mode = child && (child->kind == NODE_BACKUP ||
								child->kind == NODE_STATS ||
								child->kind == NODE_CONTROL) ?
						   S_IFREG : S_IFDIR };

			length = fuse_add_direntry(req, buffer + used, size - used,
						   name, &st, (off_t)i + 1);
		}
		if (length > size - used)
			break;
		used += length;
	}
	fuse_reply_buf(req, buffer, used);
	free(buffer);
}

void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		       struct fuse_file_info *fi)
{
	read_directory(req, size, offset, fi, false);
}

void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
			   struct fuse_file_info *fi)
{
	read_directory(req, size, offset, fi, true);
}

void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_stream *d = (struct dir_stream *)(uintptr_t)fi->fh;

	handles_remove(&d->handle);
	dir_stream_destroy(&d->handle);
	fuse_reply_err(req, 0);
}

