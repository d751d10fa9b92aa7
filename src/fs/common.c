/*
 * common.c: what every handler needs: the mount's state, nodes, the one
 * failure line, and resolving a node to the records behind it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "fs/fs.h"

struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

struct node *node_of(fuse_req_t req, fuse_ino_t ino)
{
	return inodes_find(fs_of(req)->inodes, ino);
}

struct profile *profile_of(struct fs *fs, const struct node *n)
{
	return &fs->catalog->profiles[n->profile];
}

/* "/profile/instance/backup", for log lines. */
void node_path(struct fs *fs, const struct node *n, char *out, size_t size)
{
	const struct node *chain[8];
	size_t depth = 0, used = 0;

	for (; n && n->ino != FUSE_ROOT_ID && depth < 8; n = inodes_find(fs->inodes, n->parent))
		chain[depth++] = n;
	out[0] = '\0';
	if (!depth)
		snprintf(out, size, "/");
	while (depth-- > 0 && used < size)
		used += (size_t)snprintf(out + used, size - used, "/%s", chain[depth]->name);
}

void reply_failure(fuse_req_t req, const char *operation,
			  const struct node *n, const char *child,
			  const struct dbb_error *err)
{
	struct fs *fs = fs_of(req);
	char path[1024];

	node_path(fs, n, path, sizeof(path));
	if (child) {
		size_t used = strlen(path);

		snprintf(path + used, sizeof(path) - used, "%s%s",
			 strcmp(path, "/") ? "/" : "", child);
	}
	log_failure(operation, path, n && n->kind != NODE_ROOT ?
		    profile_of(fs, n)->name : NULL, err);
	fuse_reply_err(req, err->errnum ? err->errnum : EIO);
}

void refuse(fuse_req_t req, const char *operation, const struct node *n,
		   const char *child, int errnum, const char *why)
{
	struct dbb_error err;

	dbb_error_clear(&err);
	dbb_error_set(&err, errnum, "%s", why);
	reply_failure(req, operation, n, child, &err);
}

/* ---- resolving nodes to records ---------------------------------------- */

void resolved_release(struct resolved *r)
{
	listing_unref(r->instances);
	listing_unref(r->backups);
	memset(r, 0, sizeof(*r));
}

const char *instance_id_of(struct fs *fs, const struct node *n)
{
	while (n && n->kind != NODE_INSTANCE)
		n = inodes_find(fs->inodes, n->parent);
	return n ? n->id : NULL;
}

int resolve_instance(struct fs *fs, const struct node *n, struct resolved *r,
			    struct dbb_error *err)
{
	const char *id = instance_id_of(fs, n);

	r->profile = profile_of(fs, n);
	if (catalog_instances(fs->catalog, r->profile, &r->instances, err) < 0)
		return -err->errnum;
	r->instance = listing_find_id(r->instances, id);
	if (!r->instance)
		return dbb_error_set(err, ENOENT, "instance %s is gone", id);
	return 0;
}

int resolve_backups(struct fs *fs, const struct node *n, struct resolved *r,
			   struct dbb_error *err)
{
	if (resolve_instance(fs, n, r, err) < 0)
		return -err->errnum;
	return catalog_backups(fs->catalog, r->profile, entry_text(r->instance, ENTRY_ID),
			       &r->backups, err);
}

int resolve_backup(struct fs *fs, const struct node *n, struct resolved *r,
			  struct dbb_error *err)
{
	if (resolve_backups(fs, n, r, err) < 0)
		return -err->errnum;
	r->backup = listing_find_id(r->backups, n->id);
	if (!r->backup)
		return dbb_error_set(err, ENOENT, "backup %s is gone", n->id);
	return 0;
}

