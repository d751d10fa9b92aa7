/*
 * inodes.h: the inode table. Inode numbers are stable for the life of the
 * mount: a node is keyed by (parent inode, kind, provider id), so the same
 * backup keeps its number across refreshes and renames by de-duplication,
 * and nodes are never freed before unmount (a backup costs one small node).
 */
#ifndef DBB_FS_INODES_H
#define DBB_FS_INODES_H

#include <fuse_lowlevel.h>
#include <stdint.h>

enum node_kind {
	NODE_ROOT,
	NODE_STATS,          /* MOUNT/.stats */
	NODE_PROFILE,
	NODE_INSTANCE,
	NODE_BACKUP,
	NODE_EXPORT_DIR,     /* <instance>/.export */
	NODE_CONTROL,        /* <instance>/.export/<backup> */
	NODE_MADE,           /* what mkdir answered; see fs_mkdir */
};

struct node {
	fuse_ino_t ino;
	fuse_ino_t parent;
	uint8_t kind;             /* enum node_kind */
	uint8_t said_unreadable;  /* the ENODATA remedy was logged (atomic) */
	uint32_t profile;         /* index into the catalog's profiles */
	char *id;                 /* instance or backup id; NULL for others */
	char *name;               /* file name when first seen, for log lines */
};

struct inode_table;

struct inode_table *inodes_new(void);
void inodes_free(struct inode_table *t);

/* The node for (parent, kind, id), made on first sight. NULL when out of
 * memory. The pointer stays valid until inodes_free(). */
struct node *inodes_get(struct inode_table *t, fuse_ino_t parent,
			enum node_kind kind, uint32_t profile, const char *id,
			const char *name);

/* The node of an inode number, or NULL. */
struct node *inodes_find(struct inode_table *t, fuse_ino_t ino);

size_t inodes_count(struct inode_table *t);

#endif
