/*
 * handles.h: every open directory stream and file handle, so that those
 * the kernel never released (a signal ended the session with a RELEASE
 * still in flight) are freed at exit rather than leaked.
 */
#ifndef DBB_FS_HANDLES_H
#define DBB_FS_HANDLES_H

struct open_handle {
	struct open_handle *previous, *next;
	void (*destroy)(struct open_handle *handle);
};

/* Starts tracking h (destroy frees the object that embeds it). */
void handles_add(struct open_handle *h, void (*destroy)(struct open_handle *));
/* Stops tracking h; the caller then frees it. */
void handles_remove(struct open_handle *h);
/* Destroys every handle still tracked; at exit, after the loop ended. */
void handles_destroy_all(void);

#endif
