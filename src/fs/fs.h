/*
 * fs.h: the state of one mount, shared by the FUSE handlers.
 */
#ifndef DBB_FS_H
#define DBB_FS_H

#include <fuse_lowlevel.h>
#include <sys/types.h>
#include <time.h>

#include "core/catalog.h"
#include "fs/inodes.h"

struct worker;

struct fs {
	struct catalog *catalog;
	struct inode_table *inodes;
	struct fuse_session *session;
	struct worker *worker;
	uid_t uid;
	gid_t gid;
	time_t mount_time;
};

extern const struct fuse_lowlevel_ops fs_operations;

#endif
