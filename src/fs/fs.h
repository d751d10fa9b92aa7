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
#include <stdbool.h>
#include <sys/stat.h>
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
	unsigned read_ahead_kb;    /* -o read_ahead_kb, 0: the kernel's */
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

/* ---- attributes.c ----------------------------------------------------- */

/* The root and profile directories change only with the configuration. */
#define STATIC_TIMEOUT 3600.0

void fill_common(struct fs *fs, fuse_ino_t ino, mode_t mode, int64_t mtime,
		 struct stat *st);
void fill_backup(struct fs *fs, fuse_ino_t ino, const struct profile *p,
		 const struct entry *instance, const struct entry *e, struct stat *st);
mode_t instance_mode(const struct profile *p);
int64_t instance_mtime(const struct entry *instance);
/* Attributes of any node, and how long the kernel may keep them. */
int node_attributes(struct fs *fs, const struct node *n, struct stat *st,
		    double *timeout, struct dbb_error *err);

bool can_export(struct fs *fs, const struct node *n);

/* ---- handlers in their own files --------------------------------------- */

void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		struct fuse_file_info *fi);
void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		    struct fuse_file_info *fi);
void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t new_parent,
	       const char *new_name, unsigned int flags);
void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char *new_name);
void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi);
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		 size_t size, int flags);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

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
