/*
 * inodes.c: a vector from inode number to node, and an open-addressing hash
 * from (parent, kind, id) to inode number, under one read-write lock.
 */
#include "fs/inodes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct inode_table {
	pthread_rwlock_t lock;
	struct node **nodes;      /* nodes[ino - 1] */
	size_t count, capacity;
	fuse_ino_t *slots;        /* hash slots; 0 = empty */
	size_t slot_count;        /* a power of two */
};

static uint64_t key_hash(fuse_ino_t parent, uint8_t kind, const char *id)
{
	uint64_t hash = 1469598103934665603ULL ^ (parent * 0x9E3779B97F4A7C15ULL) ^ kind;

	for (; id && *id; id++)
		hash = (hash ^ (unsigned char)*id) * 1099511628211ULL;
	return hash;
}

static int same_key(const struct node *n, fuse_ino_t parent, uint8_t kind,
		    const char *id)
{
	if (n->parent != parent || n->kind != kind)
		return 0;
	if (!n->id || !id)
		return n->id == id;
	return !strcmp(n->id, id);
}

static struct node *make_node(fuse_ino_t ino, fuse_ino_t parent, uint8_t kind,
			      uint32_t profile, const char *id, const char *name)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	*n = (struct node) { .ino = ino, .parent = parent, .kind = kind,
			     .profile = profile };
	n->id = id ? strdup(id) : NULL;
	n->name = strdup(name ? name : "");
	if ((id && !n->id) || !n->name) {
		free(n->id);
		free(n->name);
		free(n);
		return NULL;
	}
	return n;
}

struct inode_table *inodes_new(void)
{
	struct inode_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_rwlock_init(&t->lock, NULL);
	t->slot_count = 1024;
	t->slots = calloc(t->slot_count, sizeof(*t->slots));
	t->capacity = 1024;
	t->nodes = calloc(t->capacity, sizeof(*t->nodes));
	/* Inode 1 is the root, as FUSE requires. */
	if (!t->slots || !t->nodes ||
	    !(t->nodes[0] = make_node(FUSE_ROOT_ID, 0, NODE_ROOT, 0, NULL, "/"))) {
		inodes_free(t);
		return NULL;
	}
	t->count = 1;
	return t;
}

void inodes_free(struct inode_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++) {
		free(t->nodes[i]->id);
		free(t->nodes[i]->name);
		free(t->nodes[i]);
	}
	free(t->nodes);
	free(t->slots);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static fuse_ino_t slot_lookup(const struct inode_table *t, fuse_ino_t parent,
			      uint8_t kind, const char *id, size_t *free_slot)
{
	size_t mask = t->slot_count - 1;
	size_t i = (size_t)key_hash(parent, kind, id) & mask;

	for (;; i = (i + 1) & mask) {
		fuse_ino_t ino = t->slots[i];

		if (!ino) {
			*free_slot = i;
			return 0;
		}
		if (same_key(t->nodes[ino - 1], parent, kind, id))
			return ino;
	}
}

/* Keeps the hash at most half full, so probes stay short. */
static int grow_slots(struct inode_table *t)
{
	size_t count = t->slot_count * 2, mask = count - 1;
	fuse_ino_t *slots = calloc(count, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t k = 0; k < t->count; k++) {
		const struct node *n = t->nodes[k];
		size_t i = (size_t)key_hash(n->parent, n->kind, n->id) & mask;

		if (n->ino == FUSE_ROOT_ID)
			continue;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = n->ino;
	}
	free(t->slots);
	t->slots = slots;
	t->slot_count = count;
	return 0;
}

static int grow_nodes(struct inode_table *t)
{
	size_t capacity = t->capacity * 2;
	struct node **nodes = realloc(t->nodes, capacity * sizeof(*nodes));

	if (!nodes)
		return -1;
	t->nodes = nodes;
	t->capacity = capacity;
	return 0;
}

struct node *inodes_get(struct inode_table *t, fuse_ino_t parent,
			enum node_kind kind, uint32_t profile, const char *id,
			const char *name)
{
	struct node *n = NULL;
	size_t free_slot;
	fuse_ino_t ino;

	pthread_rwlock_rdlock(&t->lock);
	ino = slot_lookup(t, parent, (uint8_t)kind, id, &free_slot);
	n = ino ? t->nodes[ino - 1] : NULL;
	pthread_rwlock_unlock(&t->lock);
	if (n)
		return n;

	pthread_rwlock_wrlock(&t->lock);
	/* Another thread may have made it between the two locks. */
	ino = slot_lookup(t, parent, (uint8_t)kind, id, &free_slot);
	if (ino) {
		n = t->nodes[ino - 1];
		goto out;
	}
	if ((t->count + 1) * 2 > t->slot_count) {
		if (grow_slots(t) < 0)
			goto out;
		slot_lookup(t, parent, (uint8_t)kind, id, &free_slot);
	}
	if (t->count == t->capacity && grow_nodes(t) < 0)
		goto out;
	n = make_node(t->count + 1, parent, (uint8_t)kind, profile, id, name);
	if (!n)
		goto out;
	t->nodes[t->count++] = n;
	t->slots[free_slot] = n->ino;
out:
	pthread_rwlock_unlock(&t->lock);
	return n;
}

struct node *inodes_find(struct inode_table *t, fuse_ino_t ino)
{
	struct node *n = NULL;

	pthread_rwlock_rdlock(&t->lock);
	if (ino >= 1 && ino <= t->count)
		n = t->nodes[ino - 1];
	pthread_rwlock_unlock(&t->lock);
	return n;
}

size_t inodes_count(struct inode_table *t)
{
	size_t count;

	pthread_rwlock_rdlock(&t->lock);
	count = t->count;
	pthread_rwlock_unlock(&t->lock);
	return count;
}
