/*
 * readahead.h: the kernel's readahead for this mount (see readahead.c).
 */
#ifndef DBB_READAHEAD_H
#define DBB_READAHEAD_H

/* The default of -o read_ahead_kb: one FUSE request's most. */
#define READAHEAD_DEFAULT_KIB 1024
#define READAHEAD_MAX_KIB 65536

/* Sets the mount's readahead to kib (0: leaves the kernel's). Never fails
 * the mount: what could not be done is one log line. */
void readahead_apply(const char *mountpoint, unsigned kib);

#endif
