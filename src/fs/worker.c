/*
 * worker.c: one thread, a queue of invalidations, and a pipe that the
 * SIGHUP handler writes a byte to.
 */
#include "fs/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "fs/fs.h"

struct task {
	struct task *next;
	fuse_ino_t ino;          /* the directory for an entry, else the inode */
	char *name;              /* NULL: invalidate the inode */
};

struct worker {
	struct fs *fs;
	pthread_t thread;
	pthread_mutex_t lock;
	struct task *head, *tail;
	int wake[2];             /* pipe: handlers and SIGHUP write a byte */
	int stopping;            /* atomic */
};

/* Both are touched by the SIGHUP handler: lock-free atomics only. */
static int signal_pipe = -1;
static int drop_caches_requested;

void worker_signal_drop_caches(void)
{
	int pipe_fd = __atomic_load_n(&signal_pipe, __ATOMIC_ACQUIRE);
	int saved_errno = errno;
	char byte = 'h';

	__atomic_store_n(&drop_caches_requested, 1, __ATOMIC_RELEASE);
	if (pipe_fd >= 0 && write(pipe_fd, &byte, 1) < 0) {
		/* The pipe is full: the worker is awake already. */
	}
	errno = saved_errno;
}

static void wake(struct worker *w)
{
	char byte = 'w';

	if (write(w->wake[1], &byte, 1) < 0) {
		/* Full pipe: a wake-up is pending anyway. */
	}
}

static void enqueue(struct worker *w, struct task *t)
{
	pthread_mutex_lock(&w->lock);
	if (w->tail)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

void worker_invalidate_entry(struct worker *w, fuse_ino_t parent, const char *name)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t || !(t->name = strdup(name))) {
		free(t);
		return;
	}
	t->ino = parent;
	enqueue(w, t);
}

void worker_invalidate_inode(struct worker *w, fuse_ino_t ino)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return;
	t->ino = ino;
	enqueue(w, t);
}

static void run_task(struct worker *w, struct task *t)
{
	int result;

	if (t->name)
		result = fuse_lowlevel_notify_inval_entry(w->fs->session, t->ino,
							  t->name, strlen(t->name));
	else
		result = fuse_lowlevel_notify_inval_inode(w->fs->session, t->ino, 0, 0);
	/* ENOENT: the kernel did not hold it; nothing to forget. */
	if (result < 0 && result != -ENOENT)
		log_msg(LOG_LEVEL_DEBUG, "kernel invalidation of inode %lu: %s",
			(unsigned long)t->ino, strerror(-result));
}

static void drain(struct worker *w)
{
	struct task *t;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		t = w->head;
		if (t) {
			w->head = t->next;
			if (!w->head)
				w->tail = NULL;
		}
		pthread_mutex_unlock(&w->lock);
		if (!t)
			return;
		run_task(w, t);
		free(t->name);
		free(t);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char bytes[64];

	while (!__atomic_load_n(&w->stopping, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = w->wake[0], .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		while (read(w->wake[0], bytes, sizeof(bytes)) > 0)
			;
		if (__atomic_exchange_n(&drop_caches_requested, 0, __ATOMIC_ACQ_REL)) {
			catalog_drop_caches(w->fs->catalog);
			log_msg(LOG_LEVEL_INFO, "SIGHUP: every listing cache dropped");
		}
		drain(w);
	}
	drain(w);
	return NULL;
}

struct worker *worker_start(struct fs *fs)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fs = fs;
	pthread_mutex_init(&w->lock, NULL);
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) < 0)
		goto fail;
	__atomic_store_n(&signal_pipe, w->wake[1], __ATOMIC_RELEASE);
	if (pthread_create(&w->thread, NULL, worker_main, w))
		goto fail;
	return w;
fail:
	free(w);
	return NULL;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	__atomic_store_n(&w->stopping, 1, __ATOMIC_RELEASE);
	wake(w);
	pthread_join(w->thread, NULL);
	__atomic_store_n(&signal_pipe, -1, __ATOMIC_RELEASE);
	close(w->wake[0]);
	close(w->wake[1]);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
