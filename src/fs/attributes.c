/*
 * attributes.c: stat(2) for every kind of node, from the cached records.
 * A backup's attributes come from its instance's listing; getattr never
 * fetches a listing that is not the node's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/content.h"
#include "fs/fs.h"

void fill_common(struct fs *fs, fuse_ino_t ino, mode_t mode, int64_t mtime,
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

void fill_backup(struct fs *fs, fuse_ino_t ino, const struct profile *p,
		 const struct entry *instance, const struct entry *e, struct stat *st)
{
	/* Exact once an open learned it (core/content.h), else as listed. */
	int64_t size = content_exact_size(p, entry_text(instance, ENTRY_ID),
					  entry_text(e, ENTRY_ID));

	if (size < 0)
		size = e->size;
	fill_common(fs, ino, S_IFREG | 0444, entry_mtime(e), st);
	if (size > 0) {
		st->st_size = size;
		/* Written so that sizes near 2^63 cannot overflow. */
		st->st_blocks = size / 512 + (size % 512 != 0);
	}
}

mode_t instance_mode(const struct profile *p)
{
	return S_IFDIR | (p->kind->capabilities & PROVIDER_CAN_MKDIR ? 0755 : 0555);
}

/* An instance directory's mtime is the instance's own time (its creation,
 * as the provider reports it), whether or not its backups are cached:
 * times that change with the cache would make rsync and find see changes
 * that are not there, and the newest backup's time would cost one listing
 * per instance on `ls -l` of a profile (dbbackupfs(1), TIMES). */
int64_t instance_mtime(const struct entry *instance)
{
	return entry_mtime(instance);
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
int node_attributes(struct fs *fs, const struct node *n, struct stat *st,
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
			    instance_mtime(r.instance), st);
		*timeout = catalog_entry_timeout(r.profile, r.instances);
		break;
	case NODE_BACKUP:
	case NODE_CONTROL:
		if ((result = resolve_backup(fs, n, &r, err)) < 0)
			break;
		if (n->kind == NODE_BACKUP)
			fill_backup(fs, n->ino, r.profile, r.instance, r.backup, st);
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

