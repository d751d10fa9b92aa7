/*
 * content.h: a backup's bytes, read with HTTP range requests (DESIGN 7).
 *
 * A content reader serves one open of one backup. Its provider says where
 * the bytes are (open_content: a URL, headers, when the URL expires, the
 * size if exact); the reader fetches ranges of that URL into memory and
 * copies reads out of them. FUSE-free: the front end (fs/backup_file.c)
 * calls it, and so could any other tool.
 *
 * How ranges are chosen lives in a pure piece, the layout (below), so that
 * the unit tests can drive it without a network:
 *   - the first range of a stream is small (CONTENT_FIRST_RANGE): a file
 *     manager that reads 4 KiB to guess a type costs one 1 MiB GET;
 *   - while reads follow on, the window ahead of the reader doubles on each
 *     read up to CONTENT_WINDOW_MAX, fetched as parts of at most
 *     CONTENT_PART_MAX, CONTENT_INFLIGHT_MAX of them ahead at once;
 *   - a read far from where the stream was (a seek) starts a new stream,
 *     small again; parts already in memory are reused wherever they fall;
 *   - the parts of one open never hold more than CONTENT_MEMORY_MAX (plus
 *     the part a read is waiting for).
 * Ahead parts are fetched by a small pool shared by all opens
 * (CONTENT_POOL_THREADS: also the cap on ranges in flight for prefetch);
 * a part a read needs now is fetched by the reading thread itself.
 *
 * Failures are never an early end of file: a short body, a Content-Range
 * other than the one asked for, a size other than the known one, a broken
 * connection after the HTTP layer's retries: the read fails with EIO. An
 * expired or rejected link (403, or past its expiry) is asked for again
 * once per range and the read goes on.
 *
 * Sizes: where the provider's size is not exact (RDS counts KB), the open
 * fetches the first range at once and takes the exact size from its
 * Content-Range; content_exact_size() then tells the front end, for every
 * later getattr.
 *
 * Thread safety: every function may be called from any thread. A reader's
 * reads may run concurrently; close may come while its prefetches run (it
 * does not wait for them: the last of them frees the reader).
 */
#ifndef DBB_CONTENT_H
#define DBB_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct catalog;
struct profile;

#define CONTENT_MIB ((int64_t)1 << 20)
#define CONTENT_FIRST_RANGE (1 * CONTENT_MIB)
/* A stream earns read-ahead once it has read more than this from where it
 * began (its first read, or a seek): more than the kernel asks for one
 * read(2), so that a file manager's type probe starts no transfer
 * (measured with GIO, test_file_manager). For one read(2) of st_blksize
 * (1 MiB, what stdio asks for) the kernel asks 2 MiB: the read and one
 * readahead window (read_ahead_kb, 1 MiB). */
#define CONTENT_SEQUENTIAL_AFTER (2 * CONTENT_MIB)
/* Until then, a read past the first range fetches what it asks for, in
 * whole steps of this size: a probe of 4 KiB costs 128 KiB, a read of
 * 1 MiB one range of 1 MiB. */
#define CONTENT_PROBE_STEP (128 * 1024)
#define CONTENT_PART_MAX (8 * CONTENT_MIB)
#define CONTENT_WINDOW_MAX (32 * CONTENT_MIB)
#define CONTENT_INFLIGHT_MAX 4
#define CONTENT_MEMORY_MAX (48 * CONTENT_MIB)
/* Parts this far behind the reader stay for reads the kernel reorders. */
#define CONTENT_KEEP_BEHIND (4 * CONTENT_MIB)
/* A read this far behind, or this far past what was fetched, still
 * continues the stream; farther away it is a seek. */
#define CONTENT_FOLLOW_BEHIND (16 * CONTENT_MIB)
#define CONTENT_FOLLOW_AHEAD (1 * CONTENT_MIB)
#define CONTENT_MAX_PARTS 16
#define CONTENT_POOL_THREADS 8

/* ---- the reader -------------------------------------------------------- */

struct content_reader;

/* Which backup to read. The strings are copied. */
struct content_open_params {
	struct catalog *catalog;
	struct profile *profile;
	const char *instance_id;
	const char *backup_id;
	int64_t listed_size;       /* the size the listing shows; -1 unknown */
};

/* Asks the provider for the backup's source (ENODATA with the provider's
 * explanation when it cannot be read) and, where the size is not exact,
 * fetches the first range to learn it. */
int content_reader_open(const struct content_open_params *params,
			struct content_reader **out, struct dbb_error *err);

/* Copies up to size bytes at offset into buffer. Returns the count (0 at
 * the end of the file and only there), or -errno with err filled. */
ssize_t content_reader_read(struct content_reader *r, char *buffer, size_t size,
			    int64_t offset, struct dbb_error *err);

/* The same bytes without a copy: spans that point into the reader's parts.
 * After a positive return (and only then) the parts stay in memory until
 * content_reader_unmap(). */
struct content_span {
	const char *data;
	size_t length;
};

struct content_map {
	struct content_span spans[CONTENT_MAX_PARTS];
	size_t count;
	unsigned parts[CONTENT_MAX_PARTS];   /* the pinned parts */
	size_t pinned;
};

ssize_t content_reader_map(struct content_reader *r, size_t size, int64_t offset,
			   struct content_map *map, struct dbb_error *err);
void content_reader_unmap(struct content_reader *r, struct content_map *map);

/* The exact size of the backup. */
int64_t content_reader_size(const struct content_reader *r);

/* True when this open learned a size that differs from the listed one and
 * nobody knew before: the kernel's idea of the size is wrong. */
bool content_reader_size_changed(const struct content_reader *r);

/* Ends the open; prefetches still running finish on their own. */
void content_reader_close(struct content_reader *r);

/* The exact size learned by an earlier open, or -1. For getattr. */
int64_t content_exact_size(const struct profile *p, const char *instance_id,
			   const char *backup_id);

/* Closes what is still open, waits for the pool, frees what is global.
 * Call once, after the last read and before the catalog closes. */
void content_shutdown(void);

/* ---- the layout: which ranges to fetch (pure, no I/O, no locks) -------- */

enum content_part_state {
	CONTENT_PART_FREE,
	CONTENT_PART_FETCHING,
	CONTENT_PART_READY,
	CONTENT_PART_FAILED,
};

struct content_part {
	int64_t offset, length;
	uint8_t state;               /* enum content_part_state */
	bool prefetch;               /* ahead of the reader, not asked for yet */
	uint64_t used;               /* layout tick of the last read that used it */
	uint32_t generation;         /* changes each time the slot is reused */
	unsigned pins;               /* reads using it (its bytes, or its outcome): not evicted */
};

struct content_layout {
	int64_t size;                /* exact bytes in the file */
	int64_t stream_start;        /* where the current stream began */
	int64_t next_offset;         /* where a following read would start */
	int64_t frontier;            /* end of what the stream has asked for */
	int64_t window;              /* bytes to have asked for ahead */
	unsigned reads;              /* reads in the current stream */
	bool sequential;             /* the last read followed on */
	uint64_t tick;
	struct content_part parts[CONTENT_MAX_PARTS];
};

/* What a plan asks the caller to do: start fetching these parts (now
 * FETCHING), free the buffers of those (now FREE). */
struct content_plan {
	unsigned fetch[CONTENT_MAX_PARTS];
	size_t fetch_count;
	unsigned evict[CONTENT_MAX_PARTS];
	size_t evict_count;
	bool starved;                /* no slot for a needed part: wait, plan again */
};

void content_layout_init(struct content_layout *l, int64_t size);

/* Notes one read, once per read: a seek starts a new stream, a read that
 * follows on doubles the window. Returns whether it followed on. */
bool content_layout_note_read(struct content_layout *l, int64_t offset, size_t size);

/* The parts the read [offset, offset + size) needs and, while the stream is
 * sequential, those ahead of it; may be called again after waiting (it
 * only adds what is still missing). */
void content_layout_plan(struct content_layout *l, int64_t offset, size_t size,
			 struct content_plan *plan);

/* Takes a free slot for [offset, offset + length) in state FETCHING (the
 * open's first range); returns its index or -1. */
int content_layout_claim(struct content_layout *l, int64_t offset, int64_t length,
			 bool prefetch);

/* The part that holds offset (FETCHING, READY or FAILED), or -1. */
int content_layout_find(const struct content_layout *l, int64_t offset);

/* A fetch ended: READY or FAILED. */
void content_layout_finish(struct content_layout *l, unsigned part, bool ok);

/* Bytes the layout's parts hold or will hold. */
int64_t content_layout_memory(const struct content_layout *l);

/* ---- checking an answer (pure) ----------------------------------------- */

/* What was asked, and what the server said. */
struct content_answer {
	int64_t offset, length;      /* the range asked for */
	int64_t known_size;          /* exact size, or -1 before it is known */
	long status;
	const char *content_range;   /* "" when absent */
	int64_t content_length;      /* -1 when absent */
	size_t body_length;
};

/* Checks that the answer is exactly the range asked for (206), or the
 * whole file where the range covered it (200), or "nothing there" past the
 * end (416). Returns 0 with *total set to the file's size, or -EIO with a
 * message in err. Other statuses are the caller's (403: expired link). */
int content_check_answer(const struct content_answer *a, int64_t *total,
			 struct dbb_error *err);

#endif
