/*
 * worker.h: work that must not run inside a FUSE handler.
 *
 * Kernel cache invalidations (fuse_lowlevel_notify_inval_*) may deadlock
 * when sent from the handler of a related request, so handlers queue them
 * here and one worker thread sends them. The same thread drops every cache
 * on SIGHUP (the signal handler only wakes it).
 */
#ifndef DBB_FS_WORKER_H
#define DBB_FS_WORKER_H

#include <fuse_lowlevel.h>

struct fs;
struct worker;

struct worker *worker_start(struct fs *fs);
void worker_stop(struct worker *w);

/* Queues "forget the name `name` in directory `parent`". */
void worker_invalidate_entry(struct worker *w, fuse_ino_t parent, const char *name);
/* Queues "forget the attributes and data of `ino`". */
void worker_invalidate_inode(struct worker *w, fuse_ino_t ino);

/* Async-signal-safe: asks the worker to drop every cache. */
void worker_signal_drop_caches(void);

#endif
