/*
 * ops.c: the FUSE low-level operations table, with lookup, getattr, mkdir,
 * statfs and the dispatch of file operations to the file modules. Each
 * handler ends in exactly one fuse_reply_*; failures are logged once, with
 * the path, by reply_failure. What is in a directory comes from the catalog
 * (core/catalog.h); this file knows nothing of any cloud. Directory
 * streams, attributes, extended attributes and refusals live in their own
 * files (directory.c, attributes.c, xattr_ops.c, refused.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/actions.h"
#include "core/log.h"
#include "core/names.h"
#include "core/xattrs.h"
#include "fs/fs.h"
#include "fs/handles.h"
#include "fs/worker.h"

/* ---- lookup ----------------------------------------------------------- */

static void reply_entry(fuse_req_t req, struct fs *fs, const struct node *child,
			const char *name)
{
	struct fuse_entry_param e;
	struct dbb_error err;
	double timeout;

	memset(&e, 0, sizeof(e));
	dbb_error_clear(&err);
	if (node_attributes(fs, child, &e.attr, &timeout, &err) < 0) {
		reply_failure(req, "lookup", inodes_find(fs->inodes, child->parent), name, &err);
		return;
	}
	e.ino = child->ino;
	e.attr_timeout = e.entry_timeout = timeout;
	fuse_reply_entry(req, &e);
}

/* "No such name", cached by the kernel for as long as the listing that
 * said so is fresh: file managers probe many names that never exist. */
static void reply_negative(fuse_req_t req, double timeout)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.entry_timeout = timeout;
	fuse_reply_entry(req, &e);
}

static void lookup_in_root(fuse_req_t req, struct fs *fs, const char *name)
{
	struct node *child = NULL;

	if (!strcmp(name, CATALOG_STATS_FILE)) {
		child = inodes_get(fs->inodes, FUSE_ROOT_ID, NODE_STATS, 0, NULL, name);
	} else {
		for (size_t i = 0; i < fs->catalog->profile_count; i++)
			if (!strcmp(fs->catalog->profiles[i].name, name))
				child = inodes_get(fs->inodes, FUSE_ROOT_ID, NODE_PROFILE,
						   (uint32_t)i, name, name);
		if (!child) {
			reply_negative(req, STATIC_TIMEOUT);
			return;
		}
	}
	if (!child)
		fuse_reply_err(req, ENOMEM);
	else
		reply_entry(req, fs, child, name);
}

static void lookup_in_listing(fuse_req_t req, struct fs *fs, struct node *parent,
			      const char *name)
{
	struct resolved r = { 0 };
	struct dbb_error err;
	const struct entry *found;
	struct listing *listing;
	enum node_kind kind;
	struct node *child;
	double timeout;
	int result;

	dbb_error_clear(&err);
	if (parent->kind == NODE_PROFILE) {
		r.profile = profile_of(fs, parent);
		result = catalog_instances(fs->catalog, r.profile, &r.instances, &err);
		listing = r.instances;
		kind = NODE_INSTANCE;
	} else {
		result = resolve_backups(fs, parent, &r, &err);
		listing = r.backups;
		kind = parent->kind == NODE_EXPORT_DIR ? NODE_CONTROL : NODE_BACKUP;
	}
	if (result < 0) {
		resolved_release(&r);
		reply_failure(req, "lookup", parent, name, &err);
		return;
	}
	found = listing_find_name(listing, name);
	timeout = catalog_entry_timeout(r.profile, listing);
	if (!found) {
		resolved_release(&r);
		reply_negative(req, timeout);
		return;
	}
	child = inodes_get(fs->inodes, parent->ino, kind, parent->profile,
			   entry_text(found, ENTRY_ID), found->file_name);
	resolved_release(&r);
	if (!child)
		fuse_reply_err(req, ENOMEM);
	else
		reply_entry(req, fs, child, name);
}

bool can_export(struct fs *fs, const struct node *n)
{
	return profile_of(fs, n)->kind->capabilities & PROVIDER_CAN_EXPORT;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent_ino, const char *name)
{
	struct fs *fs = fs_of(req);
	struct node *parent = node_of(req, parent_ino), *child;

	if (!parent) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	switch (parent->kind) {
	case NODE_ROOT:
		lookup_in_root(req, fs, name);
		return;
	case NODE_INSTANCE:
		if (!strcmp(name, CATALOG_EXPORT_DIRECTORY) && can_export(fs, parent)) {
			child = inodes_get(fs->inodes, parent->ino, NODE_EXPORT_DIR,
					   parent->profile, parent->id, name);
			if (!child)
				fuse_reply_err(req, ENOMEM);
			else
				reply_entry(req, fs, child, name);
			return;
		}
		/* fall through */
	case NODE_PROFILE:
	case NODE_EXPORT_DIR:
		lookup_in_listing(req, fs, parent, name);
		return;
	default:
		fuse_reply_err(req, ENOTDIR);
	}
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);
	struct dbb_error err;
	struct stat st;
	double timeout;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	dbb_error_clear(&err);
	if (node_attributes(fs_of(req), n, &st, &timeout, &err) < 0) {
		reply_failure(req, "getattr", n, NULL, &err);
		return;
	}
	fuse_reply_attr(req, &st, timeout);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (writing && n->kind != NODE_CONTROL) {
		refuse(req, "open for writing", n, NULL, EPERM, "backups are read-only");
		return;
	}
	switch (n->kind) {
	case NODE_STATS:
		stats_file_open(req, fs_of(req), fi);
		return;
	case NODE_BACKUP:
		backup_file_open(req, fs_of(req), n, fi);
		return;
	case NODE_CONTROL:
		control_file_open(req, fs_of(req), n, fi);
		return;
	default:
		fuse_reply_err(req, EISDIR);
	}
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);

	switch (n ? n->kind : NODE_ROOT) {
	case NODE_STATS:
		stats_file_read(req, size, offset, fi);
		return;
	case NODE_BACKUP:
		backup_file_read(req, fs_of(req), n, size, offset, fi);
		return;
	case NODE_CONTROL:
		control_file_read(req, fs_of(req), n, size, offset, fi);
		return;
	default:
		fuse_reply_err(req, EIO);
	}
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);

	if (n && n->kind == NODE_CONTROL)
		control_file_write(req, fs_of(req), n, buf, size, fi);
	else
		refuse(req, "write", n, NULL, EPERM, "backups are read-only");
}

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);

	switch (n ? n->kind : NODE_ROOT) {
	case NODE_STATS:
		stats_file_release(req, fi);
		return;
	case NODE_BACKUP:
		backup_file_release(req, fs_of(req), n, fi);
		return;
	case NODE_CONTROL:
		control_file_release(req, fi);
		return;
	default:
		fuse_reply_err(req, 0);
	}
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	memset(&st, 0, sizeof(st));
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_namemax = NAMES_MAX_BYTES;
	fuse_reply_statfs(req, &st);
}

/* ---- mkdir ------------------------------------------------------------ */

/* mkdir asks for a manual backup named `name`. The kernel wants a
 * directory in answer, but the backup is a file: answer with a directory
 * of its own inode (never the backup's, whose type must not change) that
 * expires at once, so that the next lookup asks again and finds the file
 * in the refreshed listing. */
static void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs *fs = fs_of(req);
	struct node *n = node_of(req, parent), *made;
	struct fuse_entry_param e;
	struct dbb_error err;
	char provider_name[NAMES_BUFFER * 3];

	if (!n || n->kind != NODE_INSTANCE) {
		refuse(req, "mkdir", n, name, EPERM,
		       "backups can be made only inside an instance directory");
		return;
	}
	if (strlen(name) >= sizeof(provider_name) || names_unescape(name, provider_name) < 0) {
		refuse(req, "mkdir", n, name, EINVAL, "not a backup name");
		return;
	}
	dbb_error_clear(&err);
	if (catalog_create_backup(fs->catalog, profile_of(fs, n), n->id, provider_name,
				  &err) < 0) {
		if (err.errnum == EPERM)
			dbb_error_set_remedy(&err, "make backups in the provider's console");
		reply_failure(req, "mkdir", n, name, &err);
		return;
	}
	log_msg(LOG_LEVEL_INFO, "mkdir: backup %s of %s/%s requested", provider_name,
		profile_of(fs, n)->name, n->name);
	made = inodes_get(fs->inodes, n->ino, NODE_MADE, n->profile, name, name);
	if (!made) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(&e, 0, sizeof(e));
	fill_common(fs, made->ino, S_IFDIR | 0555, time(NULL), &e.attr);
	e.ino = made->ino;
	e.attr_timeout = e.entry_timeout = 0;
	/* The directory's listing changed: tell the kernel, from the worker. */
	worker_invalidate_inode(fs->worker, n->ino);
	fuse_reply_entry(req, &e);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	const struct fs *fs = userdata;

	/* ls -l is answered by READDIRPLUS alone, always: no adaptive
	 * fallback to one LOOKUP per entry. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/* Must match the max_read mount option. */
	conn->max_read = 1 << 20;
	/* The kernel's readahead: the smaller of this and the device's
	 * read_ahead_kb, which main() set before this INIT (readahead.c).
	 * A 4 KiB probe still reads 16 KiB; our own read-ahead
	 * (core/content.c) starts only 2 MiB into a file. */
	if (fs->read_ahead_kb)
		conn->max_readahead = fs->read_ahead_kb << 10;
	/* O_TRUNC comes to open(), where control files accept it. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

const struct fuse_lowlevel_ops fs_operations = {
	.init = fs_init,
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.readdirplus = fs_readdirplus,
	.releasedir = fs_releasedir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.release = fs_release,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.setxattr = fs_setxattr,
	.removexattr = fs_removexattr,
	.statfs = fs_statfs,
	.mkdir = fs_mkdir,
	.mknod = fs_mknod,
	.create = fs_create,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.rename = fs_rename,
	.link = fs_link,
	.symlink = fs_symlink,
};
