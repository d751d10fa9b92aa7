/*
 * handles.c: a doubly linked list under one mutex.
 */
#include "fs/handles.h"

#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct open_handle *handles_head;

void handles_add(struct open_handle *h, void (*destroy)(struct open_handle *))
{
	pthread_mutex_lock(&handles_lock);
	h->destroy = destroy;
	h->previous = NULL;
	h->next = handles_head;
	if (handles_head)
		handles_head->previous = h;
	handles_head = h;
	pthread_mutex_unlock(&handles_lock);
}

void handles_remove(struct open_handle *h)
{
	pthread_mutex_lock(&handles_lock);
	if (h->previous)
		h->previous->next = h->next;
	else
		handles_head = h->next;
	if (h->next)
		h->next->previous = h->previous;
	h->previous = h->next = NULL;
	pthread_mutex_unlock(&handles_lock);
}

void handles_destroy_all(void)
{
	struct open_handle *h;

	for (;;) {
		pthread_mutex_lock(&handles_lock);
		h = handles_head;
		if (h) {
			handles_head = h->next;
			if (handles_head)
				handles_head->previous = NULL;
		}
		pthread_mutex_unlock(&handles_lock);
		if (!h)
			return;
		h->destroy(h);
	}
}
