/*
 * refused.c: the operations DESIGN section 4 refuses, each with EPERM and
 * one log line; and setattr, whose only allowed form is truncating a
 * control file (the shell's >).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/fs.h"

void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	refuse(req, "mknod", node_of(req, parent), name, EPERM, "the tree is read-only");
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	refuse(req, "create", node_of(req, parent), name, EPERM, "the tree is read-only");
}

void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, "unlink", node_of(req, parent), name, EPERM,
	       "backups are not deleted through the mount");
}

void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, "rmdir", node_of(req, parent), name, EPERM,
	       "directories are not removed through the mount");
}

void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t new_parent, const char *new_name, unsigned int flags)
{
	refuse(req, "rename", node_of(req, parent), name, EPERM, "names are the provider's");
}

void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent,
		    const char *new_name)
{
	refuse(req, "link", node_of(req, new_parent), new_name, EPERM, "the tree is read-only");
}

void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	refuse(req, "symlink", node_of(req, parent), name, EPERM, "the tree is read-only");
}

void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
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

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	refuse(req, "setxattr", node_of(req, ino), NULL, EPERM, "attributes are the provider's");
}

void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	refuse(req, "removexattr", node_of(req, ino), NULL, EPERM,
	       "attributes are the provider's");
}

