/*
 * fs.h: the state of one mount, and what the handler modules share.
 *
 * ops.c holds the tree operations and dispatches file operations by node
 * kind to one module per kind of file: stats_file.c (MOUNT/.stats),
 * backup_file.c (a backup's bytes), control_file.c (.export/<backup>).
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

/* ---- common.c --------------------------------------------------------- */

struct fs *fs_of(fuse_req_t req);
struct node *node_of(fuse_req_t req, fuse_ino_t ino);
struct profile *profile_of(struct fs *fs, const struct node *n);

/* "/profile/instance/backup", for log lines. */
void node_path(struct fs *fs, const struct node *n, char *out, size_t size);

/* Logs the one failure line (operation, path, profile, error) and replies
 * with err's errno. child names an entry of directory n, or is NULL. */
void reply_failure(fuse_req_t req, const char *operation, const struct node *n,
		   const char *child, const struct dbb_error *err);
void refuse(fuse_req_t req, const char *operation, const struct node *n,
	    const char *child, int errnum, const char *why);

/* The records behind a node, with the references that keep them alive. */
struct resolved {
	struct profile *profile;
	struct listing *instances;
	struct listing *backups;
	const struct entry *instance;
	const struct entry *backup;
};

void resolved_release(struct resolved *r);
const char *instance_id_of(struct fs *fs, const struct node *n);
int resolve_instance(struct fs *fs, const struct node *n, struct resolved *r,
		     struct dbb_error *err);
int resolve_backups(struct fs *fs, const struct node *n, struct resolved *r,
		    struct dbb_error *err);
int resolve_backup(struct fs *fs, const struct node *n, struct resolved *r,
		   struct dbb_error *err);

/* ---- file modules ----------------------------------------------------- */

void stats_file_open(fuse_req_t req, struct fs *fs, struct fuse_file_info *fi);
void stats_file_read(fuse_req_t req, size_t size, off_t offset, struct fuse_file_info *fi);
void stats_file_release(fuse_req_t req, struct fuse_file_info *fi);

void backup_file_open(fuse_req_t req, struct fs *fs, struct node *n,
		      struct fuse_file_info *fi);
void backup_file_read(fuse_req_t req, struct fs *fs, struct node *n, size_t size,
		      off_t offset, struct fuse_file_info *fi);
void backup_file_release(fuse_req_t req, struct fs *fs, struct node *n,
			 struct fuse_file_info *fi);

void control_file_open(fuse_req_t req, struct fs *fs, struct node *n,
		       struct fuse_file_info *fi);
void control_file_read(fuse_req_t req, struct fs *fs, struct node *n, size_t size,
		       off_t offset, struct fuse_file_info *fi);
void control_file_write(fuse_req_t req, struct fs *fs, struct node *n, const char *buf,
			size_t size, struct fuse_file_info *fi);
void control_file_release(fuse_req_t req, struct fuse_file_info *fi);

#endif
