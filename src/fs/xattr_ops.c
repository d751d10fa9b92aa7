/*
 * xattr_ops.c: getxattr and listxattr, from the same attribute list so
 * that listxattr names exactly what getxattr answers (core/xattrs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/actions.h"
#include "core/xattrs.h"
#include "fs/fs.h"

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

void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
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

void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
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

