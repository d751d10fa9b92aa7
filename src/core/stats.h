/*
 * stats.h: per-profile counters, the numbers behind MOUNT/.stats.
 *
 * Tests and benchmarks count API calls here, so every request the HTTP layer
 * sends is counted under its operation name, and every cache decision under
 * hits, misses or stale serves. Counters only grow; SIGHUP does not reset
 * them.
 */
#ifndef DBB_STATS_H
#define DBB_STATS_H

#include <pthread.h>
#include <stdint.h>

#define STATS_MAX_OPERATIONS 48
#define STATS_MAX_ERRNOS 16

struct stats_counter {
	char name[56];
	uint64_t count;
};

struct stats {
	pthread_mutex_t lock;
	struct stats_counter requests[STATS_MAX_OPERATIONS];
	unsigned request_kinds;
	struct stats_counter errors[STATS_MAX_ERRNOS];
	unsigned error_kinds;
	uint64_t requests_total;
	uint64_t retries;
	uint64_t throttles;
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t stale_serves;
	uint64_t bytes_streamed;
	uint64_t ranges_requested;
	int64_t last_error_time;   /* epoch seconds, 0 = never */
	char last_error_code[64];
	char last_error_message[256];
	int last_error_errno;
};

void stats_init(struct stats *s);
void stats_destroy(struct stats *s);

void stats_count_request(struct stats *s, const char *operation);
void stats_count_error(struct stats *s, int errnum, const char *code,
		       const char *message);
void stats_add(struct stats *s, uint64_t *counter, uint64_t amount);

/* Appends this profile's counters as a JSON object member named `profile`
 * to the jansson object `root` (declared void to keep jansson out of the
 * header). */
void stats_render(struct stats *s, const char *profile, void *root);

#endif
