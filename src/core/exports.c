/*
 * exports.c: a small keyed list; a mount makes few exports.
 */
#include "core/exports.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeparse.h"

struct export_item {
	struct export_item *next;
	char *key;
	struct export_record record;
};

struct exports {
	pthread_mutex_t lock;
	struct export_item *items;
};

struct exports *exports_new(void)
{
	struct exports *x = calloc(1, sizeof(*x));

	if (x)
		pthread_mutex_init(&x->lock, NULL);
	return x;
}

void exports_free(struct exports *x)
{
	struct export_item *item, *next;

	if (!x)
		return;
	for (item = x->items; item; item = next) {
		next = item->next;
		free(item->key);
		free(item);
	}
	pthread_mutex_destroy(&x->lock);
	free(x);
}

static struct export_item *find(struct exports *x, const char *key)
{
	for (struct export_item *item = x->items; item; item = item->next)
		if (!strcmp(item->key, key))
			return item;
	return NULL;
}

void exports_get(struct exports *x, const char *key, struct export_record *out)
{
	struct export_item *item;

	pthread_mutex_lock(&x->lock);
	item = find(x, key);
	if (item)
		*out = item->record;
	else
		memset(out, 0, sizeof(*out));
	pthread_mutex_unlock(&x->lock);
}

void exports_put(struct exports *x, const char *key, const struct export_record *record)
{
	struct export_item *item;

	pthread_mutex_lock(&x->lock);
	item = find(x, key);
	if (!item && (item = calloc(1, sizeof(*item)))) {
		item->key = strdup(key);
		if (!item->key) {
			free(item);
			item = NULL;
		} else {
			item->next = x->items;
			x->items = item;
		}
	}
	if (item)
		item->record = *record;
	pthread_mutex_unlock(&x->lock);
}

static const char *const state_names[] = { "none", "accepted", "done", "failed" };

static void format_time(int64_t when, char *out, size_t size)
{
	out[0] = '\0';
	if (when)
		time_format_rfc3339(when, out, size);
}

size_t export_record_render(const struct export_record *r, char *out, size_t size)
{
	char requested[40], finished[40];
	int length;

	format_time(r->requested_at, requested, sizeof(requested));
	format_time(r->finished_at, finished, sizeof(finished));
	length = snprintf(out, size,
			  "state: %s\nbucket: %s\nfolder: %s\nrequested_at: %s\n"
			  "finished_at: %s\nresult: %s\nerror: %s\n",
			  state_names[r->state], r->bucket, r->folder, requested,
			  finished, r->result, r->error);
	return length < 0 ? 0 : (size_t)length < size ? (size_t)length : size - 1;
}
