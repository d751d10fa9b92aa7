/*
 * stats.c: counters under one mutex per profile. Contention is not a concern:
 * a counter update is a few instructions next to an HTTP round trip.
 */
#include "core/stats.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/timeparse.h"

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
}

void stats_destroy(struct stats *s)
{
	pthread_mutex_destroy(&s->lock);
}

/* Finds or adds the named counter; the last slot collects overflow so that a
 * surprising number of operation names can never write out of bounds. */
static struct stats_counter *counter_for(struct stats_counter *table,
					 unsigned *used, unsigned capacity,
					 const char *name)
{
	for (unsigned i = 0; i < *used; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	if (*used == capacity)
		return &table[capacity - 1];
	snprintf(table[*used].name, sizeof(table[*used].name), "%s", name);
	return &table[(*used)++];
}

void stats_count_request(struct stats *s, const char *operation)
{
	pthread_mutex_lock(&s->lock);
	counter_for(s->requests, &s->request_kinds, STATS_MAX_OPERATIONS,
		    operation)->count++;
	s->requests_total++;
	pthread_mutex_unlock(&s->lock);
}

void stats_count_error(struct stats *s, int errnum, const char *code,
		       const char *message)
{
	pthread_mutex_lock(&s->lock);
	counter_for(s->errors, &s->error_kinds, STATS_MAX_ERRNOS,
		    dbb_errno_name(errnum))->count++;
	s->last_error_time = (int64_t)time(NULL);
	s->last_error_errno = errnum;
	snprintf(s->last_error_code, sizeof(s->last_error_code), "%s",
		 code ? code : "");
	snprintf(s->last_error_message, sizeof(s->last_error_message), "%s",
		 message ? message : "");
	pthread_mutex_unlock(&s->lock);
}

void stats_add(struct stats *s, uint64_t *counter, uint64_t amount)
{
	pthread_mutex_lock(&s->lock);
	*counter += amount;
	pthread_mutex_unlock(&s->lock);
}

static json_t *counters_object(const struct stats_counter *table, unsigned used)
{
	json_t *object = json_object();

	for (unsigned i = 0; i < used; i++)
		json_object_set_new(object, table[i].name,
				    json_integer((json_int_t)table[i].count));
	return object;
}

static json_t *last_error_object(const struct stats *s)
{
	char when[40];

	if (!s->last_error_time)
		return json_null();
	time_format_rfc3339(s->last_error_time, when, sizeof(when));
	return json_pack("{s:s, s:s, s:s, s:s}", "time", when,
			 "errno", dbb_errno_name(s->last_error_errno),
			 "code", s->last_error_code,
			 "message", s->last_error_message);
}

void stats_render(struct stats *s, const char *profile, void *root)
{
	json_t *object;

	pthread_mutex_lock(&s->lock);
	object = json_pack("{s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			   "requests_total", (json_int_t)s->requests_total,
			   "requests", counters_object(s->requests, s->request_kinds),
			   "errors", counters_object(s->errors, s->error_kinds),
			   "retries", (json_int_t)s->retries,
			   "throttles", (json_int_t)s->throttles,
			   "cache_hits", (json_int_t)s->cache_hits,
			   "cache_misses", (json_int_t)s->cache_misses,
			   "stale_serves", (json_int_t)s->stale_serves,
			   "bytes_streamed", (json_int_t)s->bytes_streamed,
			   "ranges_requested", (json_int_t)s->ranges_requested,
			   "last_error", last_error_object(s));
	pthread_mutex_unlock(&s->lock);
	json_object_set_new((json_t *)root, profile, object);
}
