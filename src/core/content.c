/*
 * content.c: the content reader (see content.h for what it promises).
 *
 * Three pieces, in this order:
 *   the layout: pure range planning over a table of parts;
 *   the answer check: is this HTTP answer exactly the range asked for;
 *   the reader: a layout under a mutex, buffers for its parts, fetches by
 *   the reading thread (what a read needs now) or by the pool (what is
 *   ahead), link refreshes, the exact sizes learned.
 *
 * Locks: a reader's `lock` guards its layout, buffers, errors, source and
 * reference count; `refresh_lock` serialises asking the provider for a new
 * link (an API call, never made under `lock`). The pool's lock guards the
 * job queue and the list of live readers; the size map has its own. No
 * lock is held across an HTTP request; the only nesting is a reader's
 * `lock` then the pool's (queueing a prefetch), and `refresh_lock` then
 * `lock`.
 *
 * Ownership: a reader is referenced by its open and by each fetch queued or
 * running for it; the last reference frees it, so close never waits.
 */
#include "core/content_links.h"
#include "core/content.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/catalog.h"
#include "core/clock.h"
#include "core/log.h"

/* A link this close to its expiry is asked for again before use. */
#define EXPIRY_MARGIN_SECONDS 10
/* Ranges are bigger than API answers: a slow link gets longer. */
#define CONTENT_TIMEOUT_FLOOR_MS 120000
#define CONTENT_CONNECT_TIMEOUT_MS 10000

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t round_up(int64_t n, int64_t step)
{
	return (n + step - 1) / step * step;
}

/* ==== the layout ======================================================== */

static int64_t part_end(const struct content_part *p)
{
	return p->offset + p->length;
}

static bool part_live(const struct content_part *p)
{
	return p->state == CONTENT_PART_FETCHING || p->state == CONTENT_PART_READY;
}

void content_layout_init(struct content_layout *l, int64_t size)
{
	memset(l, 0, sizeof(*l));
	l->size = size;
	l->window = CONTENT_FIRST_RANGE;
}

static int find_live(const struct content_layout *l, int64_t offset)
{
	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++) {
		const struct content_part *p = &l->parts[i];

		if (part_live(p) && offset >= p->offset && offset < part_end(p))
			return (int)i;
	}
	return -1;
}

int content_layout_find(const struct content_layout *l, int64_t offset)
{
	int i = find_live(l, offset);

	if (i >= 0)
		return i;
	for (unsigned j = 0; j < CONTENT_MAX_PARTS; j++) {
		const struct content_part *p = &l->parts[j];

		if (p->state == CONTENT_PART_FAILED && offset >= p->offset &&
		    offset < part_end(p))
			return (int)j;
	}
	return -1;
}

/* Where the next live part after offset begins: a new part stops there,
 * so that nothing is fetched twice. */
static int64_t next_start(const struct content_layout *l, int64_t offset)
{
	int64_t next = INT64_MAX;

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++) {
		const struct content_part *p = &l->parts[i];

		if (part_live(p) && p->offset > offset && p->offset < next)
			next = p->offset;
	}
	return next;
}

int64_t content_layout_memory(const struct content_layout *l)
{
	int64_t bytes = 0;

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++)
		if (l->parts[i].state != CONTENT_PART_FREE)
			bytes += l->parts[i].length;
	return bytes;
}

static unsigned prefetches_running(const struct content_layout *l)
{
	unsigned count = 0;

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++)
		if (l->parts[i].state == CONTENT_PART_FETCHING && l->parts[i].prefetch)
			count++;
	return count;
}

int content_layout_claim(struct content_layout *l, int64_t offset, int64_t length,
			 bool prefetch)
{
	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++) {
		struct content_part *p = &l->parts[i];

		if (p->state != CONTENT_PART_FREE)
			continue;
		p->offset = offset;
		p->length = length;
		p->state = CONTENT_PART_FETCHING;
		p->prefetch = prefetch;
		p->used = l->tick;
		p->generation++;
		return (int)i;
	}
	return -1;
}

void content_layout_finish(struct content_layout *l, unsigned part, bool ok)
{
	l->parts[part].state = ok ? CONTENT_PART_READY : CONTENT_PART_FAILED;
}

static void evict(struct content_layout *l, unsigned i, struct content_plan *plan)
{
	l->parts[i].state = CONTENT_PART_FREE;
	plan->evict[plan->evict_count++] = i;
}

/* Frees the least recently used ready part outside [keep_from, keep_to);
 * false when there is none. */
static bool evict_oldest(struct content_layout *l, int64_t keep_from, int64_t keep_to,
			 struct content_plan *plan)
{
	int oldest = -1;

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++) {
		const struct content_part *p = &l->parts[i];

		if (p->state != CONTENT_PART_READY || p->pins ||
		    (p->offset < keep_to && part_end(p) > keep_from))
			continue;
		if (oldest < 0 || p->used < l->parts[oldest].used)
			oldest = (int)i;
	}
	if (oldest < 0)
		return false;
	evict(l, (unsigned)oldest, plan);
	return true;
}

bool content_layout_note_read(struct content_layout *l, int64_t offset, size_t size)
{
	int64_t end = min64(offset + (int64_t)size, l->size);
	int64_t reach = max64(l->next_offset, l->frontier);
	bool follows = offset + CONTENT_FOLLOW_BEHIND >= l->next_offset &&
		       offset <= reach + CONTENT_FOLLOW_AHEAD;

	/* An open's first read begins its stream where it is: the pages
	 * before it may be in the page cache from an earlier open. */
	if (!follows || l->reads == 0) {
		l->stream_start = l->next_offset = l->frontier = offset;
		l->window = CONTENT_FIRST_RANGE;
		l->reads = 0;
	}
	/* Read-ahead is earned (CONTENT_SEQUENTIAL_AFTER), not given to the
	 * second read: the kernel's own readahead makes any open look like a
	 * stream for its first megabyte. */
	l->sequential = l->reads > 0 && end - l->stream_start > CONTENT_SEQUENTIAL_AFTER;
	if (l->sequential)
		l->window = min64(l->window * 2, CONTENT_WINDOW_MAX);
	if (end > l->next_offset)
		l->next_offset = end;
	l->reads++;
	return l->sequential;
}

/* Covers [from, to) with new parts of at most `unit` bytes, skipping what
 * is there; returns where it stopped. Prefetch parts obey the in-flight and
 * memory caps; a part the read needs only needs a slot. */
static int64_t cover(struct content_layout *l, int64_t from, int64_t to, int64_t unit,
		     bool prefetch, int64_t keep_from, int64_t keep_to,
		     struct content_plan *plan)
{
	int64_t p = from;

	while (p < to) {
		int i = find_live(l, p);
		int64_t length;

		if (i >= 0) {
			l->parts[i].used = l->tick;
			p = part_end(&l->parts[i]);
			continue;
		}
		length = min64(unit, min64(next_start(l, p), l->size) - p);
		if (prefetch && prefetches_running(l) >= CONTENT_INFLIGHT_MAX)
			break;
		while (content_layout_memory(l) + length > CONTENT_MEMORY_MAX &&
		       evict_oldest(l, keep_from, keep_to, plan))
			;
		if (content_layout_memory(l) + length > CONTENT_MEMORY_MAX) {
			if (prefetch)
				break;
			/* Over the cap, a read gets what it asked for and no more. */
			length = min64(length, max64(to - p, CONTENT_FIRST_RANGE));
		}
		i = content_layout_claim(l, p, length, prefetch);
		if (i < 0 && evict_oldest(l, keep_from, keep_to, plan))
			i = content_layout_claim(l, p, length, prefetch);
		if (i < 0) {
			plan->starved = !prefetch;
			break;
		}
		plan->fetch[plan->fetch_count++] = (unsigned)i;
		p += length;
	}
	return p;
}

void content_layout_plan(struct content_layout *l, int64_t offset, size_t size,
			 struct content_plan *plan)
{
	int64_t end = min64(offset + (int64_t)size, l->size), target, unit, reached;

	memset(plan, 0, sizeof(*plan));
	if (offset >= end)
		return;
	l->tick++;
	target = l->sequential ? min64(end + l->window, l->size) : end;
	if (l->sequential || offset < l->stream_start + CONTENT_FIRST_RANGE)
		unit = max64(CONTENT_FIRST_RANGE, min64(l->window, CONTENT_PART_MAX));
	else
		unit = min64(round_up(end - offset, CONTENT_PROBE_STEP), CONTENT_PART_MAX);

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++) {
		const struct content_part *p = &l->parts[i];

		/* A failed range is fetched anew by the next read that needs
		 * it; a range the stream has passed is of no more use. */
		if (p->pins)
			continue;
		if (p->state == CONTENT_PART_FAILED ||
		    (p->state == CONTENT_PART_READY &&
		     part_end(p) + CONTENT_KEEP_BEHIND <= offset &&
		     part_end(p) > l->stream_start))
			evict(l, i, plan);
	}
	reached = cover(l, offset, end, unit, false, offset, end, plan);
	if (!plan->starved && l->sequential)
		reached = cover(l, end, target, unit, true,
				offset - CONTENT_KEEP_BEHIND, target, plan);
	if (reached > l->frontier)
		l->frontier = reached;
}

/* ==== checking an answer ================================================ */

/* "bytes FIRST-LAST/TOTAL", either side may be "*" (-1). */
static bool parse_content_range(const char *text, int64_t *first, int64_t *last,
				int64_t *total)
{
	char *end;

	*first = *last = *total = -1;
	if (strncasecmp(text, "bytes", 5))
		return false;
	text += 5;
	while (*text == ' ' || *text == '=')
		text++;
	if (*text == '*') {
		text++;
	} else {
		*first = strtoll(text, &end, 10);
		if (end == text || *end != '-')
			return false;
		text = end + 1;
		*last = strtoll(text, &end, 10);
		if (end == text || *last < *first)
			return false;
		text = end;
	}
	if (*text++ != '/')
		return false;
	if (*text == '*')
		return text[1] == '\0';
	*total = strtoll(text, &end, 10);
	return end != text && *end == '\0' && *total >= 0;
}

static int answer_error(struct dbb_error *err, const struct content_answer *a,
			const char *what)
{
	dbb_error_set(err, EIO, "the download server answered %s to a request for bytes "
		      "%" PRId64 "-%" PRId64 " (HTTP %ld, Content-Range \"%s\", %zu bytes)",
		      what, a->offset, a->offset + a->length - 1, a->status,
		      a->content_range, a->body_length);
	err->http_status = (int)a->status;
	return -EIO;
}

static int check_partial(const struct content_answer *a, int64_t *total,
			 struct dbb_error *err)
{
	int64_t first, last, whole, expected;

	if (!parse_content_range(a->content_range, &first, &last, &whole) || first < 0)
		return answer_error(err, a, "a Content-Range it cannot mean");
	if (whole < 0)
		whole = a->known_size;
	if (whole < 0)
		return answer_error(err, a, "a range without the file's size");
	if (a->known_size >= 0 && whole != a->known_size)
		return answer_error(err, a, "a file of another size");
	expected = min64(a->length, whole - a->offset);
	if (first != a->offset || last - first + 1 != expected)
		return answer_error(err, a, "another range");
	if ((int64_t)a->body_length != expected ||
	    (a->content_length >= 0 && a->content_length != expected))
		return answer_error(err, a, "a body of the wrong length");
	*total = whole;
	return 0;
}

static int check_whole(const struct content_answer *a, int64_t *total,
		       struct dbb_error *err)
{
	int64_t whole = (int64_t)a->body_length;

	if (a->content_length >= 0 && a->content_length != whole)
		return answer_error(err, a, "a body of the wrong length");
	if (a->known_size >= 0 && whole != a->known_size)
		return answer_error(err, a, "a whole file of another size");
	/* The whole file is a right answer only where it is what was asked. */
	if (a->offset != 0 || whole > a->length)
		return answer_error(err, a, "the whole file (it ignores ranges)");
	*total = whole;
	return 0;
}

static int check_beyond(const struct content_answer *a, int64_t *total,
			struct dbb_error *err)
{
	int64_t first, last, whole;

	if (!parse_content_range(a->content_range, &first, &last, &whole) || whole < 0 ||
	    a->offset < whole)
		return answer_error(err, a, "\"range not satisfiable\"");
	if (a->known_size >= 0 && whole != a->known_size)
		return answer_error(err, a, "a file of another size");
	*total = whole;
	return 0;
}

int content_check_answer(const struct content_answer *a, int64_t *total,
			 struct dbb_error *err)
{
	switch (a->status) {
	case 206:
		return check_partial(a, total, err);
	case 200:
		return check_whole(a, total, err);
	case 416:
		return check_beyond(a, total, err);
	default:
		return answer_error(err, a, "an error");
	}
}

/* ==== exact sizes learned =============================================== */

struct size_record {
	struct size_record *next;
	const struct profile *profile;
	int64_t size;
	char *instance_id;
	char *backup_id;
};

static struct {
	pthread_mutex_t lock;
	struct size_record *records;
} sizes = { PTHREAD_MUTEX_INITIALIZER, NULL };

static struct size_record *size_find(const struct profile *p, const char *instance_id,
				     const char *backup_id)
{
	for (struct size_record *s = sizes.records; s; s = s->next)
		if (s->profile == p && !strcmp(s->instance_id, instance_id) &&
		    !strcmp(s->backup_id, backup_id))
			return s;
	return NULL;
}

int64_t content_exact_size(const struct profile *p, const char *instance_id,
			   const char *backup_id)
{
	struct size_record *s;
	int64_t size = -1;

	if (!instance_id || !backup_id)
		return -1;
	pthread_mutex_lock(&sizes.lock);
	s = size_find(p, instance_id, backup_id);
	if (s)
		size = s->size;
	pthread_mutex_unlock(&sizes.lock);
	return size;
}

/* Records the exact size; true when it is news (nobody knew it). */
static bool size_learn(const struct profile *p, const char *instance_id,
		       const char *backup_id, int64_t size)
{
	struct size_record *s;
	bool news = false;

	pthread_mutex_lock(&sizes.lock);
	s = size_find(p, instance_id, backup_id);
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->instance_id = strdup(instance_id);
		s->backup_id = strdup(backup_id);
		if (!s->instance_id || !s->backup_id) {
			free(s->instance_id);
			free(s->backup_id);
			free(s);
			s = NULL;
		} else {
			s->profile = p;
			s->size = -1;
			s->next = sizes.records;
			sizes.records = s;
		}
	}
	if (s && s->size != size) {
		s->size = size;
		news = true;
	}
	pthread_mutex_unlock(&sizes.lock);
	return news;
}

static void sizes_free(void)
{
	pthread_mutex_lock(&sizes.lock);
	while (sizes.records) {
		struct size_record *s = sizes.records;

		sizes.records = s->next;
		free(s->instance_id);
		free(s->backup_id);
		free(s);
	}
	pthread_mutex_unlock(&sizes.lock);
}

/* ==== the reader ======================================================== */

/* A source shared by the fetches that use it; a refresh replaces it. */
struct shared_source {
	unsigned references;
	unsigned generation;
	struct content_source source;
};

struct content_reader {
	pthread_mutex_t lock;
	pthread_cond_t changed;          /* a part finished */
	unsigned references;
	bool closing;
	struct content_layout layout;
	char *data[CONTENT_MAX_PARTS];
	size_t capacity[CONTENT_MAX_PARTS];     /* bytes allocated for data[] */
	char *spare[4];
	size_t spare_count;
	struct dbb_error errors[CONTENT_MAX_PARTS];
	struct shared_source *source;
	pthread_mutex_t refresh_lock;

	struct catalog *catalog;
	struct profile *profile;
	char *instance_id;
	char *backup_id;
	int64_t listed_size;
	bool size_changed;
	struct http_client *http;

	/* Under pool.lock: the list of live readers, and whether the open's
	 * reference was dropped (by close, or by content_shutdown). */
	struct content_reader *live_prev, *live_next;
	bool released;
};

/* A fetch of one part, for the pool. */
struct job {
	struct job *next;
	struct content_reader *reader;
	unsigned part;
	uint32_t generation;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct job *head, *tail;
	pthread_t threads[CONTENT_POOL_THREADS];
	unsigned thread_count;
	bool stopping;
	struct content_reader *live;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL,
	   { 0 }, 0, false, NULL };

static void source_release(struct shared_source *s)
{
	if (s && --s->references == 0) {
		content_source_destroy(&s->source);
		free(s);
	}
}

static void reader_free(struct content_reader *r)
{
	pthread_mutex_lock(&pool.lock);
	if (r->live_prev)
		r->live_prev->live_next = r->live_next;
	else if (pool.live == r)
		pool.live = r->live_next;
	if (r->live_next)
		r->live_next->live_prev = r->live_prev;
	pthread_mutex_unlock(&pool.lock);

	for (unsigned i = 0; i < CONTENT_MAX_PARTS; i++)
		free(r->data[i]);
	for (size_t i = 0; i < r->spare_count; i++)
		free(r->spare[i]);
	source_release(r->source);
	http_client_free(r->http);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->refresh_lock);
	pthread_cond_destroy(&r->changed);
	free(r->instance_id);
	free(r->backup_id);
	free(r);
}

/* Drops a reference taken under r->lock; the caller holds r->lock. Returns
 * true when the reader is gone (the lock with it). */
static bool reader_unref_locked(struct content_reader *r)
{
	if (--r->references > 0)
		return false;
	pthread_mutex_unlock(&r->lock);
	reader_free(r);
	return true;
}

static void reader_unref(struct content_reader *r)
{
	pthread_mutex_lock(&r->lock);
	if (!reader_unref_locked(r))
		pthread_mutex_unlock(&r->lock);
}

/* ---- the source: asking the provider, and again when the link expires -- */

/* The provider's answer for this backup: remembered from an earlier open
 * (content_links.h) unless `fresh` asks for a new one; otherwise found
 * afresh in the catalog, so that no listing stays referenced while the
 * file is open, and remembered. */
static int ask_provider(struct content_reader *r, struct content_source *out, bool fresh,
			struct dbb_error *err)
{
	struct listing *instances = NULL, *backups = NULL;
	const struct entry *instance, *backup;
	int result;

	if (!fresh && content_links_get(r->profile, r->instance_id, r->backup_id, out))
		return 0;
	memset(out, 0, sizeof(*out));
	out->size = -1;
	http_headers_init(&out->headers);
	if (!r->profile->kind->open_content)
		return dbb_error_set(err, ENODATA, "%s offers no way to read a backup's contents",
				     r->profile->kind->summary);
	if ((result = catalog_instances(r->catalog, r->profile, &instances, err)) < 0)
		goto out;
	instance = listing_find_id(instances, r->instance_id);
	if (!instance) {
		result = dbb_error_set(err, ENOENT, "instance %s is gone", r->instance_id);
		goto out;
	}
	if ((result = catalog_backups(r->catalog, r->profile, r->instance_id, &backups,
				      err)) < 0)
		goto out;
	backup = listing_find_id(backups, r->backup_id);
	if (!backup) {
		result = dbb_error_set(err, ENOENT, "backup %s is gone", r->backup_id);
		goto out;
	}
	result = r->profile->kind->open_content(r->profile, instance, backup, out, err);
	if (result < 0 && !err->errnum)
		dbb_error_set(err, -result, "the provider could not give the backup's location");
	if (result == 0)
		content_links_put(r->profile, r->instance_id, r->backup_id, out);
out:
	listing_unref(instances);
	listing_unref(backups);
	return result < 0 ? -err->errnum : 0;
}

static struct shared_source *source_take(struct content_reader *r)
{
	struct shared_source *s;

	pthread_mutex_lock(&r->lock);
	s = r->source;
	s->references++;
	pthread_mutex_unlock(&r->lock);
	return s;
}

static void source_put(struct content_reader *r, struct shared_source *s)
{
	pthread_mutex_lock(&r->lock);
	source_release(s);
	pthread_mutex_unlock(&r->lock);
}

static bool source_expired(const struct shared_source *s)
{
	return s->source.expires_at &&
	       (int64_t)time(NULL) >= s->source.expires_at - EXPIRY_MARGIN_SECONDS;
}

/* Replaces the source that `stale` was, unless another thread did already.
 * Returns 0 or -errno. */
static int source_refresh(struct content_reader *r, const struct shared_source *stale,
			  const char *why, struct dbb_error *err)
{
	struct shared_source *fresh;
	unsigned generation = stale->generation;
	int result = 0;

	pthread_mutex_lock(&r->refresh_lock);
	pthread_mutex_lock(&r->lock);
	if (r->source->generation != generation || r->closing) {
		pthread_mutex_unlock(&r->lock);
		goto out;
	}
	pthread_mutex_unlock(&r->lock);

	fresh = calloc(1, sizeof(*fresh));
	if (!fresh) {
		result = dbb_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((result = ask_provider(r, &fresh->source, true, err)) < 0) {
		content_source_destroy(&fresh->source);
		free(fresh);
		goto out;
	}
	log_msg(LOG_LEVEL_INFO, "content: %s/%s: the download link %s; using a new one",
		r->profile->name, r->backup_id, why);
	fresh->references = 1;
	fresh->generation = generation + 1;
	pthread_mutex_lock(&r->lock);
	source_release(r->source);
	r->source = fresh;
	pthread_mutex_unlock(&r->lock);
out:
	pthread_mutex_unlock(&r->refresh_lock);
	return result;
}

/* ---- one ranged GET ---------------------------------------------------- */

struct answer_context {
	struct content_answer answer;
	int64_t total;
	struct dbb_error why;            /* why the last answer was refused */
};

static int accept_answer(void *context, const struct http_response *resp)
{
	struct answer_context *c = context;

	c->answer.status = resp->status;
	c->answer.content_range = resp->content_range;
	c->answer.content_length = resp->content_length;
	c->answer.body_length = resp->length;
	dbb_error_clear(&c->why);
	return content_check_answer(&c->answer, &c->total, &c->why) < 0 ? -1 : 0;
}

static const char *target_of(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "/";
}

/* Bytes a part of `length` gets: big parts share one size, so that their
 * buffers are reused, already faulted in, instead of mapped anew. */
static size_t buffer_capacity(int64_t length)
{
	return length > CONTENT_FIRST_RANGE ? (size_t)CONTENT_PART_MAX : (size_t)length;
}

static char *buffer_take(struct content_reader *r, int64_t length)
{
	char *buffer = NULL;

	pthread_mutex_lock(&r->lock);
	if (buffer_capacity(length) == (size_t)CONTENT_PART_MAX && r->spare_count)
		buffer = r->spare[--r->spare_count];
	pthread_mutex_unlock(&r->lock);
	return buffer ? buffer : malloc(buffer_capacity(length) ? buffer_capacity(length) : 1);
}

/* GETs [offset, offset + length) once with this source, into a buffer of
 * buffer_capacity(length). Returns 0 with the body (owned by the caller)
 * and *total, or -errno; 403 comes back as -EACCES so that the caller can
 * ask for a fresh link. */
static int get_range(struct content_reader *r, const struct shared_source *s,
		     int64_t offset, int64_t length, int64_t known_size, char **body,
		     size_t *body_length, int64_t *total, struct dbb_error *err)
{
	char *sink = buffer_take(r, length);
	struct answer_context context = { .answer = { offset, length, known_size, 0, "", -1, 0 } };
	struct http_headers headers;
	struct http_response resp;
	struct http_request req;
	char range[64];
	int result = 0;

	*body = NULL;
	*body_length = 0;
	http_headers_init(&headers);
	if (!sink)
		return dbb_error_set(err, ENOMEM, "out of memory");
	snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64, offset,
		 offset + length - 1);
	for (size_t i = 0; i < s->source.headers.count; i++) {
		const char *line = s->source.headers.lines[i], *colon = strchr(line, ':');
		char name[128];

		if (!colon || (size_t)(colon - line) >= sizeof(name))
			continue;
		memcpy(name, line, (size_t)(colon - line));
		name[colon - line] = '\0';
		for (colon++; *colon == ' '; colon++)
			;
		if (http_headers_add(&headers, name, colon) < 0)
			result = dbb_error_set(err, ENOMEM, "out of memory");
	}
	if (result == 0 && http_headers_add(&headers, "Range", range) < 0)
		result = dbb_error_set(err, ENOMEM, "out of memory");
	if (result < 0)
		goto out;

	memset(&req, 0, sizeof(req));
	req.operation = "content_range";
	req.method = "GET";
	req.url = s->source.url;
	req.target = target_of(s->source.url);
	req.headers = &headers;
	req.idempotent = true;
	req.sign = s->source.sign;
	req.sign_context = s->source.sign_context;
	req.accept = accept_answer;
	req.accept_context = &context;
	req.sink = sink;
	req.sink_capacity = (size_t)length;
	stats_add(&r->profile->stats, &r->profile->stats.ranges_requested, 1);
	if (http_perform(r->http, &req, &resp, err) < 0) {
		/* A refused answer says why better than "malformed". */
		if (context.why.errnum && strstr(err->message, "malformed answer")) {
			context.why.duration_ms = err->duration_ms;
			*err = context.why;
		}
		result = dbb_error_recast(err, EIO);
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		result = dbb_error_set(err, EACCES, "the download link was refused (HTTP %ld)",
				       resp.status);
		err->http_status = (int)resp.status;
	} else if (resp.status == 416) {
		context.answer.status = resp.status;
		context.answer.content_range = resp.content_range;
		context.answer.content_length = resp.content_length;
		result = content_check_answer(&context.answer, &context.total, err);
	} else if (resp.status < 200 || resp.status > 299) {
		result = dbb_error_set(err, EIO, "the download server answered HTTP %ld",
				       resp.status);
		err->http_status = (int)resp.status;
		snprintf(err->request_id, sizeof(err->request_id), "%s", resp.request_id);
	} else {
		*body = sink;
		sink = NULL;
		*body_length = resp.length;
		stats_add(&r->profile->stats, &r->profile->stats.bytes_streamed, resp.length);
	}
	*total = context.total;
	http_response_destroy(&resp);
out:
	free(sink);
	http_headers_destroy(&headers);
	return result;
}

/* GETs a range, asking for a fresh link once when it has expired or is
 * refused. Every failure is EIO for the reader. */
static int fetch_range(struct content_reader *r, int64_t offset, int64_t length,
		       int64_t known_size, char **body, size_t *body_length,
		       int64_t *total, struct dbb_error *err)
{
	bool refreshed = false;
	int result;

	for (;;) {
		struct shared_source *s = source_take(r);

		if (!refreshed && source_expired(s)) {
			refreshed = true;
			result = source_refresh(r, s, "expired", err);
			source_put(r, s);
			if (result < 0)
				break;
			continue;
		}
		result = get_range(r, s, offset, length, known_size, body, body_length,
				   total, err);
		if (result == -EACCES && !refreshed) {
			refreshed = true;
			result = source_refresh(r, s, "was refused", err);
			source_put(r, s);
			if (result < 0)
				break;
			continue;
		}
		source_put(r, s);
		break;
	}
	if (result < 0 && err->errnum != EIO) {
		int original = err->errnum;

		dbb_error_recast(err, EIO);
		if (original == EACCES)
			dbb_error_set_remedy(err, "the link stays refused after a fresh one; "
					     "check the account's permission to download backups");
	}
	return result < 0 ? -EIO : 0;
}

/* Fetches one planned part; stores the outcome and wakes the waiters. */
static void fetch_part(struct content_reader *r, unsigned part, uint32_t generation)
{
	struct dbb_error err;
	int64_t offset, length, size, total = -1;
	char *body = NULL;
	size_t body_length = 0;
	int result;

	pthread_mutex_lock(&r->lock);
	offset = r->layout.parts[part].offset;
	length = r->layout.parts[part].length;
	size = r->layout.size;
	pthread_mutex_unlock(&r->lock);

	dbb_error_clear(&err);
	result = fetch_range(r, offset, length, size, &body, &body_length, &total, &err);

	pthread_mutex_lock(&r->lock);
	if (r->layout.parts[part].generation == generation &&
	    r->layout.parts[part].state == CONTENT_PART_FETCHING) {
		free(r->data[part]);
		r->data[part] = body;
		r->capacity[part] = buffer_capacity(length);
		body = NULL;
		r->errors[part] = err;
		content_layout_finish(&r->layout, part, result == 0);
	}
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	free(body);
}

/* ---- the pool ---------------------------------------------------------- */

static void *pool_main(void *unused)
{
	for (;;) {
		struct job *job;
		bool skip;

		pthread_mutex_lock(&pool.lock);
		while (!pool.head && !pool.stopping)
			pthread_cond_wait(&pool.work, &pool.lock);
		job = pool.head;
		if (!job) {
			pthread_mutex_unlock(&pool.lock);
			return NULL;
		}
		pool.head = job->next;
		if (!pool.head)
			pool.tail = NULL;
		pthread_mutex_unlock(&pool.lock);

		pthread_mutex_lock(&job->reader->lock);
		skip = job->reader->closing;
		if (skip && job->reader->layout.parts[job->part].generation == job->generation)
			content_layout_finish(&job->reader->layout, job->part, false);
		pthread_cond_broadcast(&job->reader->changed);
		pthread_mutex_unlock(&job->reader->lock);
		if (!skip)
			fetch_part(job->reader, job->part, job->generation);
		reader_unref(job->reader);
		free(job);
	}
}

/* Starts the pool's threads once; false when none could start. */
static bool pool_ready_locked(void)
{
	while (pool.thread_count < CONTENT_POOL_THREADS && !pool.stopping) {
		if (pthread_create(&pool.threads[pool.thread_count], NULL, pool_main, NULL))
			break;
		pool.thread_count++;
	}
	return pool.thread_count > 0 && !pool.stopping;
}

/* Queues a prefetch; the caller holds r->lock and has counted the job's
 * reference. False when it cannot run (the part is then failed). */
static bool pool_submit(struct content_reader *r, unsigned part)
{
	struct job *job = calloc(1, sizeof(*job));
	bool ok;

	if (!job)
		return false;
	job->reader = r;
	job->part = part;
	job->generation = r->layout.parts[part].generation;
	pthread_mutex_lock(&pool.lock);
	ok = pool_ready_locked();
	if (ok) {
		if (pool.tail)
			pool.tail->next = job;
		else
			pool.head = job;
		pool.tail = job;
		pthread_cond_signal(&pool.work);
	}
	pthread_mutex_unlock(&pool.lock);
	if (!ok)
		free(job);
	return ok;
}

/* ---- reading ----------------------------------------------------------- */

/* Carries out a plan under r->lock: frees what it evicts, queues what is
 * ahead, and returns in `mine` the parts this thread fetches itself. */
static size_t start_plan(struct content_reader *r, const struct content_plan *plan,
			 unsigned *mine)
{
	size_t count = 0;

	for (size_t i = 0; i < plan->evict_count; i++) {
		unsigned k = plan->evict[i];

		/* A few big buffers are kept for the next parts. */
		if (r->capacity[k] == (size_t)CONTENT_PART_MAX && r->spare_count < 4)
			r->spare[r->spare_count++] = r->data[k];
		else
			free(r->data[k]);
		r->data[k] = NULL;
	}
	for (size_t i = 0; i < plan->fetch_count; i++) {
		unsigned part = plan->fetch[i];

		if (!r->layout.parts[part].prefetch) {
			mine[count++] = part;
			continue;
		}
		r->references++;
		if (!pool_submit(r, part)) {
			r->references--;
			/* No pool: the range is fetched when a read needs it. */
			r->layout.parts[part].state = CONTENT_PART_FREE;
		}
	}
	return count;
}

/* What map_parts found, when it did not fail. */
enum map_outcome {
	MAP_WAIT,     /* a part is being fetched: wait for it */
	MAP_DONE,     /* every byte is mapped, and pinned */
	MAP_MISSING,  /* no part holds some byte: plan again */
};

/* Maps [offset, end) onto ready parts under r->lock, pinning them.
 * Returns an outcome (nothing pinned unless MAP_DONE), or -EIO when a part
 * failed. */
static int map_parts(struct content_reader *r, int64_t offset, int64_t end,
		     struct content_map *map, struct dbb_error *err)
{
	map->count = 0;
	for (int64_t p = offset; p < end;) {
		int i = content_layout_find(&r->layout, p);
		const struct content_part *part;
		int64_t n;

		if (i < 0)
			return MAP_MISSING;
		part = &r->layout.parts[i];
		if (part->state == CONTENT_PART_FETCHING)
			return MAP_WAIT;
		if (part->state == CONTENT_PART_FAILED) {
			*err = r->errors[i];
			return -EIO;
		}
		n = min64(part_end(part), end) - p;
		map->spans[map->count].data = r->data[i] + (p - part->offset);
		map->spans[map->count].length = (size_t)n;
		map->parts[map->count++] = (unsigned)i;
		p += n;
	}
	map->pinned = map->count;
	for (size_t k = 0; k < map->pinned; k++)
		r->layout.parts[map->parts[k]].pins++;
	return MAP_DONE;
}

ssize_t content_reader_map(struct content_reader *r, size_t size, int64_t offset,
			   struct content_map *map, struct dbb_error *err)
{
	struct content_plan plan;
	unsigned mine[CONTENT_MAX_PARTS];
	uint32_t generations[CONTENT_MAX_PARTS];
	int64_t end;
	int result = 0;

	map->count = map->pinned = 0;
	pthread_mutex_lock(&r->lock);
	end = min64(offset + (int64_t)size, r->layout.size);
	if (offset < 0 || offset >= end) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	/* Until unmap: the parts are pinned, the reader stays. */
	r->references++;
	content_layout_note_read(&r->layout, offset, size);
	for (;;) {
		size_t count;

		content_layout_plan(&r->layout, offset, (size_t)(end - offset), &plan);
		count = start_plan(r, &plan, mine);
		/* Pinned while this thread fetches them and until it has
		 * looked: another read's plan frees failed parts, and this
		 * read would then find nothing to wait for, nor its error. */
		for (size_t i = 0; i < count; i++) {
			generations[i] = r->layout.parts[mine[i]].generation;
			r->layout.parts[mine[i]].pins++;
		}
		if (count) {
			pthread_mutex_unlock(&r->lock);
			for (size_t i = 0; i < count; i++)
				fetch_part(r, mine[i], generations[i]);
			pthread_mutex_lock(&r->lock);
		}
		result = map_parts(r, offset, end, map, err);
		for (size_t i = 0; i < count; i++)
			r->layout.parts[mine[i]].pins--;
		/* Unpinned, a failed part can be freed for a read waiting for a slot. */
		if (count)
			pthread_cond_broadcast(&r->changed);
		if (result < 0 || result == MAP_DONE)
			break;
		if (r->closing) {
			result = dbb_error_set(err, EIO, "the file was closed during the read");
			break;
		}
		/* A part another read fetched may have failed and been freed
		 * by then: plan again, unless no slot was free (a finished
		 * fetch or an unpinned part wakes this read). */
		if (result == MAP_MISSING && !plan.starved)
			continue;
		pthread_cond_wait(&r->changed, &r->lock);
	}
	if (result < 0 && !reader_unref_locked(r))
		pthread_mutex_unlock(&r->lock);
	else if (result >= 0)
		pthread_mutex_unlock(&r->lock);
	return result < 0 ? result : (ssize_t)(end - offset);
}

void content_reader_unmap(struct content_reader *r, struct content_map *map)
{
	bool freed = false;

	pthread_mutex_lock(&r->lock);
	for (size_t k = 0; k < map->pinned; k++)
		freed |= --r->layout.parts[map->parts[k]].pins == 0;
	/* A read that found no free slot waits for one. */
	if (freed)
		pthread_cond_broadcast(&r->changed);
	map->count = map->pinned = 0;
	if (!reader_unref_locked(r))
		pthread_mutex_unlock(&r->lock);
}

ssize_t content_reader_read(struct content_reader *r, char *buffer, size_t size,
			    int64_t offset, struct dbb_error *err)
{
	struct content_map map;
	ssize_t got = content_reader_map(r, size, offset, &map, err);
	size_t used = 0;

	if (got <= 0)
		return got;
	for (size_t i = 0; i < map.count; i++) {
		memcpy(buffer + used, map.spans[i].data, map.spans[i].length);
		used += map.spans[i].length;
	}
	content_reader_unmap(r, &map);
	return got;
}

/* ---- open and close ---------------------------------------------------- */

static struct http_client *content_client(const struct profile *p)
{
	struct http_settings settings = {
		.profile = p->name,
		.connect_timeout_ms = CONTENT_CONNECT_TIMEOUT_MS,
		.timeout_ms = max64(p->settings.timeout_ms, CONTENT_TIMEOUT_FLOOR_MS),
		.retries = p->settings.retries,
		/* Ranges go to the object store, not to the API gateway that
		 * max_rps protects; the in-flight caps bound them instead. */
		.max_rps = 0,
		.ca_file = p->settings.ca_file,
		.max_body = (size_t)CONTENT_PART_MAX,
		.stats = (struct stats *)&p->stats,
	};

	return http_client_new(&settings);
}

static struct content_reader *reader_new(const struct content_open_params *params)
{
	struct content_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->refresh_lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	r->references = 1;
	r->catalog = params->catalog;
	r->profile = params->profile;
	r->listed_size = params->listed_size;
	r->instance_id = strdup(params->instance_id);
	r->backup_id = strdup(params->backup_id);
	r->source = calloc(1, sizeof(*r->source));
	r->http = content_client(params->profile);
	if (!r->instance_id || !r->backup_id || !r->source || !r->http) {
		reader_free(r);
		return NULL;
	}
	r->source->references = 1;
	return r;
}

/* Where the provider's size is not exact, the first range says it; that
 * range becomes the first part. */
static int learn_size(struct content_reader *r, struct dbb_error *err)
{
	int64_t total = -1;
	char *body;
	size_t length;
	int part;

	if (fetch_range(r, 0, CONTENT_FIRST_RANGE, -1, &body, &length, &total, err) < 0)
		return -EIO;
	content_layout_init(&r->layout, total);
	if (!length) {
		free(body);
		return 0;
	}
	part = content_layout_claim(&r->layout, 0, (int64_t)length, false);
	r->data[part] = body;
	r->capacity[part] = buffer_capacity(CONTENT_FIRST_RANGE);
	content_layout_finish(&r->layout, (unsigned)part, true);
	return 0;
}

int content_reader_open(const struct content_open_params *params,
			struct content_reader **out, struct dbb_error *err)
{
	struct content_reader *r = reader_new(params);
	int64_t known;

	*out = NULL;
	if (!r)
		return dbb_error_set(err, ENOMEM, "out of memory");
	if (ask_provider(r, &r->source->source, false, err) < 0)
		goto fail;
	known = content_exact_size(r->profile, r->instance_id, r->backup_id);
	if (r->source->source.size >= 0)
		content_layout_init(&r->layout, r->source->source.size);
	else if (known >= 0)
		content_layout_init(&r->layout, known);    /* checked by every answer */
	else if (learn_size(r, err) < 0)
		goto fail;
	if (size_learn(r->profile, r->instance_id, r->backup_id, r->layout.size))
		r->size_changed = r->layout.size != r->listed_size;

	pthread_mutex_lock(&pool.lock);
	r->live_next = pool.live;
	if (pool.live)
		pool.live->live_prev = r;
	pool.live = r;
	pthread_mutex_unlock(&pool.lock);
	*out = r;
	return 0;
fail:
	reader_free(r);
	return -err->errnum;
}

int64_t content_reader_size(const struct content_reader *r)
{
	return r->layout.size;
}

bool content_reader_size_changed(const struct content_reader *r)
{
	return r->size_changed;
}

/* Drops the open's reference, once, whoever comes first: close or
 * content_shutdown. */
static void reader_release(struct content_reader *r)
{
	pthread_mutex_lock(&r->lock);
	r->closing = true;
	/* Reads still waiting give up; queued prefetches are skipped. */
	pthread_cond_broadcast(&r->changed);
	if (!reader_unref_locked(r))
		pthread_mutex_unlock(&r->lock);
}

void content_reader_close(struct content_reader *r)
{
	bool first;

	if (!r)
		return;
	pthread_mutex_lock(&pool.lock);
	first = !r->released;
	r->released = true;
	pthread_mutex_unlock(&pool.lock);
	if (first)
		reader_release(r);
}

void content_shutdown(void)
{
	unsigned count;

	/* Opens the kernel never released (an unmount while files were
	 * open) end here; each reader leaves the list once freed. */
	for (;;) {
		struct content_reader *r;

		pthread_mutex_lock(&pool.lock);
		for (r = pool.live; r && r->released; r = r->live_next)
			;
		if (r)
			r->released = true;
		pthread_mutex_unlock(&pool.lock);
		if (!r)
			break;
		reader_release(r);
	}
	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.work);
	count = pool.thread_count;
	pthread_mutex_unlock(&pool.lock);
	for (unsigned i = 0; i < count; i++)
		pthread_join(pool.threads[i], NULL);
	/* After the threads: none can remember a link any more. */
	content_links_clear();
	sizes_free();
}
