/*
 * content_links.c: a short list under one mutex; entries beyond
 * LINKS_MAX drop the oldest.
 */
#include "core/content_links.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

#define LINKS_MAX 256
/* A link this close to its expiry is not handed to a new open. */
#define LINKS_EXPIRY_MARGIN_SECONDS 60

struct link {
	struct link *next;
	char *key;
	struct content_source source;
	int64_t good_until_ms;        /* monotonic */
};

static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;
static struct link *links;
static unsigned link_count;

static int copy_source(const struct content_source *from, struct content_source *to)
{
	memset(to, 0, sizeof(*to));
	http_headers_init(&to->headers);
	to->url = strdup(from->url ? from->url : "");
	to->expires_at = from->expires_at;
	to->size = from->size;
	to->sign = from->sign;
	to->sign_context = from->sign_context;
	if (!to->url || http_headers_copy(&to->headers, &from->headers) < 0) {
		content_source_destroy(to);
		return -1;
	}
	return 0;
}

static void key_of(const struct profile *p, const char *instance_id, const char *backup_id,
		   char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s", p->name, instance_id, backup_id);
}

static void link_free(struct link *l)
{
	content_source_destroy(&l->source);
	free(l->key);
	free(l);
}

/* Unlinks and returns the entry for key, or NULL. Lock held. */
static struct link *take(const char *key)
{
	for (struct link **at = &links; *at; at = &(*at)->next) {
		struct link *l = *at;

		if (!strcmp(l->key, key)) {
			*at = l->next;
			link_count--;
			return l;
		}
	}
	return NULL;
}

bool content_links_get(const struct profile *p, const char *instance_id,
		       const char *backup_id, struct content_source *out)
{
	char key[1024];
	struct link *l;
	bool found = false;

	key_of(p, instance_id, backup_id, key, sizeof(key));
	pthread_mutex_lock(&links_lock);
	l = take(key);
	if (l && clock_monotonic_ms() < l->good_until_ms && copy_source(&l->source, out) == 0) {
		found = true;
		/* Most recently used first. */
		l->next = links;
		links = l;
		link_count++;
	} else if (l) {
		link_free(l);
	}
	pthread_mutex_unlock(&links_lock);
	return found;
}

static int64_t good_until_ms(const struct profile *p, const struct content_source *s)
{
	int64_t now = clock_monotonic_ms();
	int64_t until = now + p->settings.cache_ttl_ms;

	if (s->expires_at) {
		int64_t left_ms = (s->expires_at - LINKS_EXPIRY_MARGIN_SECONDS -
				   (int64_t)time(NULL)) * 1000;

		if (now + left_ms < until)
			until = now + left_ms;
	}
	return until;
}

void content_links_put(const struct profile *p, const char *instance_id,
		       const char *backup_id, const struct content_source *source)
{
	struct link *l = calloc(1, sizeof(*l)), *old, **at;
	char key[1024];

	if (!l)
		return;
	key_of(p, instance_id, backup_id, key, sizeof(key));
	l->key = strdup(key);
	l->good_until_ms = good_until_ms(p, source);
	if (!l->key || copy_source(source, &l->source) < 0) {
		free(l->key);
		free(l);
		return;
	}
	pthread_mutex_lock(&links_lock);
	old = take(key);
	if (old)
		link_free(old);
	l->next = links;
	links = l;
	if (++link_count > LINKS_MAX) {
		for (at = &links; (*at)->next; at = &(*at)->next)
			;
		link_free(*at);
		*at = NULL;
		link_count--;
	}
	pthread_mutex_unlock(&links_lock);
}

void content_links_clear(void)
{
	pthread_mutex_lock(&links_lock);
	while (links) {
		struct link *next = links->next;

		link_free(links);
		links = next;
	}
	link_count = 0;
	pthread_mutex_unlock(&links_lock);
}
