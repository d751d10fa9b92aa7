/*
 * ops.c: the FUSE low-level operations. Each handler ends in exactly one
 * fuse_reply_*; failures are logged once, with the path, by reply_failure.
 * What is in a directory comes from the catalog (core/catalog.h); this file
 * knows nothing of any cloud.
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

/* The root and profile directories change only with the configuration. */
#define STATIC_TIMEOUT 3600.0

/* ---- attributes ------------------------------------------------------- */

static void fill_common(struct fs *fs, fuse_ino_t ino, mode_t mode, int64_t mtime,
			struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 1 << 20;
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
}

static void fill_backup(struct fs *fs, fuse_ino_t ino, const struct entry *e,
			struct stat *st)
{
	fill_common(fs, ino, S_IFREG | 0444, entry_mtime(e), st);
	if (e->size > 0) {
		st->st_size = e->size;
		/* Written so that sizes near 2^63 cannot overflow. */
		st->st_blocks = e->size / 512 + (e->size % 512 != 0);
	}
}

static mode_t instance_mode(const struct profile *p)
{
	return S_IFDIR | (p->kind->capabilities & PROVIDER_CAN_MKDIR ? 0755 : 0555);
}

/* An instance directory's mtime is its newest backup's when that listing
 * is at hand, else the instance's own time: getattr never fetches backups. */
static int64_t instance_mtime(struct fs *fs, struct profile *p, const struct entry *instance)
{
	struct listing *backups = catalog_fresh_backups(fs->catalog, p,
						       entry_text(instance, ENTRY_ID));
	int64_t mtime = entry_mtime(instance);

	if (backups) {
		if (backups->newest_mtime)
			mtime = backups->newest_mtime;
		listing_unref(backups);
	}
	return mtime;
}

static size_t stats_length(struct fs *fs)
{
	char *text = catalog_stats_json(fs->catalog);
	size_t length = text ? strlen(text) : 0;

	free(text);
	return length;
}

/* Attributes of any node; fetches listings only where the node's records
 * live (a backup needs its instance's listing). Returns the timeout. */
static int node_attributes(struct fs *fs, const struct node *n, struct stat *st,
			   double *timeout, struct dbb_error *err)
{
	struct resolved r = { 0 };
	int result = 0;

	*timeout = STATIC_TIMEOUT;
	switch (n->kind) {
	case NODE_ROOT:
	case NODE_PROFILE:
		fill_common(fs, n->ino, S_IFDIR | 0555, fs->mount_time, st);
		break;
	case NODE_MADE:
		fill_common(fs, n->ino, S_IFDIR | 0555, fs->mount_time, st);
		*timeout = 0;
		break;
	case NODE_STATS:
		fill_common(fs, n->ino, S_IFREG | 0444, time(NULL), st);
		st->st_size = (off_t)stats_length(fs);
		*timeout = 0;
		break;
	case NODE_INSTANCE:
	case NODE_EXPORT_DIR:
		if ((result = resolve_instance(fs, n, &r, err)) < 0)
			break;
		fill_common(fs, n->ino, n->kind == NODE_INSTANCE ?
			    instance_mode(r.profile) : S_IFDIR | 0555,
			    instance_mtime(fs, r.profile, r.instance), st);
		*timeout = catalog_entry_timeout(r.profile, r.instances);
		break;
	case NODE_BACKUP:
	case NODE_CONTROL:
		if ((result = resolve_backup(fs, n, &r, err)) < 0)
			break;
		if (n->kind == NODE_BACKUP)
			fill_backup(fs, n->ino, r.backup, st);
		else
			fill_common(fs, n->ino, S_IFREG | 0600, entry_mtime(r.backup), st);
		*timeout = catalog_entry_timeout(r.profile, r.backups);
		break;
	default:
		result = dbb_error_set(err, EIO, "unknown node kind");
	}
	resolved_release(&r);
	return result;
}

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

static bool can_export(struct fs *fs, const struct node *n)
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

/* ---- directories ------------------------------------------------------ */

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

static void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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
		fill_backup(fs, child->ino, listing_at(d->listing, i - d->special_count), &e->attr);
		timeout = catalog_entry_timeout(d->records.profile, d->listing);
	} else if (child && i >= d->special_count && child->kind == NODE_INSTANCE) {
		const struct entry *instance = listing_at(d->listing, i - d->special_count);

		fill_common(fs, child->ino, instance_mode(d->records.profile),
			    instance_mtime(fs, d->records.profile, instance), &e->attr);
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

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		       struct fuse_file_info *fi)
{
	read_directory(req, size, offset, fi, false);
}

static void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
			   struct fuse_file_info *fi)
{
	read_directory(req, size, offset, fi, true);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_stream *d = (struct dir_stream *)(uintptr_t)fi->fh;

	handles_remove(&d->handle);
	dir_stream_destroy(&d->handle);
	fuse_reply_err(req, 0);
}

/* ---- extended attributes ---------------------------------------------- */

static bool is_user_namespace(const char *name)
{
	return !strncmp(name, "user.", 5);
}

static int node_xattrs(struct fs *fs, const struct node *n, struct xattr_list *x,
		       struct dbb_error *err)
{
	struct resolved r = { 0 };
	struct profile *p;
	int result = 0;

	switch (n->kind) {
	case NODE_PROFILE:
		p = profile_of(fs, n);
		xattrs_for_profile(x, p->kind->name, p->settings.endpoint, p->settings.region);
		break;
	case NODE_INSTANCE:
		if ((result = resolve_instance(fs, n, &r, err)) == 0)
			xattrs_for_instance(x, r.instance);
		break;
	case NODE_BACKUP:
		if ((result = resolve_backup(fs, n, &r, err)) == 0) {
			struct export_record record;

			catalog_export_status(fs->catalog, r.profile,
					      entry_text(r.instance, ENTRY_ID), n->id, &record);
			xattrs_for_backup(x, r.backup, r.instance, record.destination[0] ?
					  record.destination : NULL);
		}
		break;
	default:
		break;
	}
	resolved_release(&r);
	if (result == 0 && x->failed)
		result = dbb_error_set(err, ENOMEM, "out of memory");
	return result;
}

static void reply_bytes(fuse_req_t req, const char *bytes, size_t length, size_t size)
{
	if (!size)
		fuse_reply_xattr(req, length);
	else if (length > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, bytes, length);
}

static void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct node *n = node_of(req, ino);
	struct xattr_list x;
	struct dbb_error err;
	const char *value;

	/* security.*, system.*, trusted.*: the kernel asks on every access;
	 * answer at once, with no I/O. */
	if (!n || !is_user_namespace(name)) {
		fuse_reply_err(req, n ? ENODATA : ENOENT);
		return;
	}
	xattr_list_init(&x);
	dbb_error_clear(&err);
	if (node_xattrs(fs_of(req), n, &x, &err) < 0) {
		xattr_list_destroy(&x);
		reply_failure(req, "getxattr", n, NULL, &err);
		return;
	}
	value = xattr_list_get(&x, name);
	if (!value)
		fuse_reply_err(req, ENODATA);
	else
		reply_bytes(req, value, strlen(value), size);
	xattr_list_destroy(&x);
}

static void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct node *n = node_of(req, ino);
	struct xattr_list x;
	struct dbb_error err;
	char *names;
	size_t length;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	xattr_list_init(&x);
	dbb_error_clear(&err);
	if (node_xattrs(fs_of(req), n, &x, &err) < 0) {
		xattr_list_destroy(&x);
		reply_failure(req, "listxattr", n, NULL, &err);
		return;
	}
	length = xattr_list_names(&x, NULL, 0);
	names = malloc(length + 1);
	if (!names) {
		fuse_reply_err(req, ENOMEM);
	} else {
		xattr_list_names(&x, names, length);
		reply_bytes(req, names, length, size);
	}
	free(names);
	xattr_list_destroy(&x);
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

/* ---- refused operations (DESIGN section 4) ----------------------------- */

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

static void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	refuse(req, "mknod", node_of(req, parent), name, EPERM, "the tree is read-only");
}

static void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	refuse(req, "create", node_of(req, parent), name, EPERM, "the tree is read-only");
}

static void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, "unlink", node_of(req, parent), name, EPERM,
	       "backups are not deleted through the mount");
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, "rmdir", node_of(req, parent), name, EPERM,
	       "directories are not removed through the mount");
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t new_parent, const char *new_name, unsigned int flags)
{
	refuse(req, "rename", node_of(req, parent), name, EPERM, "names are the provider's");
}

static void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent,
		    const char *new_name)
{
	refuse(req, "link", node_of(req, new_parent), new_name, EPERM, "the tree is read-only");
}

static void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	refuse(req, "symlink", node_of(req, parent), name, EPERM, "the tree is read-only");
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct node *n = node_of(req, ino);
	struct dbb_error err;
	struct stat st;
	double timeout;

	/* Truncating a control file (the shell's >) is allowed and does
	 * nothing: the next write is the command. */
	if (n && n->kind == NODE_CONTROL && to_set == FUSE_SET_ATTR_SIZE &&
	    attr->st_size == 0) {
		dbb_error_clear(&err);
		if (node_attributes(fs_of(req), n, &st, &timeout, &err) < 0)
			reply_failure(req, "truncate", n, NULL, &err);
		else
			fuse_reply_attr(req, &st, timeout);
		return;
	}
	refuse(req, "setattr", n, NULL, EPERM,
	       "modes, owners, times and sizes are the provider's");
}

static void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	refuse(req, "setxattr", node_of(req, ino), NULL, EPERM, "attributes are the provider's");
}

static void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	refuse(req, "removexattr", node_of(req, ino), NULL, EPERM,
	       "attributes are the provider's");
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	/* ls -l is answered by READDIRPLUS alone, always: no adaptive
	 * fallback to one LOOKUP per entry. */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/* Must match the max_read mount option. */
	conn->max_read = 1 << 20;
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
