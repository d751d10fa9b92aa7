/*
 * readahead.c: how far the kernel reads ahead of a sequential reader of
 * this mount, set once after mounting.
 *
 * Why: the kernel caps a FUSE mount's readahead at its block-device
 * default (128 KiB; cat's POSIX_FADV_SEQUENTIAL doubles it), whatever
 * max_readahead the daemon asks for in INIT. A sequential reader then
 * costs one READ, one task switch each way and one page-cache fill per
 * 256 KiB. At 1 MiB, the most one FUSE request carries, cat of 1 GiB from
 * nginx on loopback measured 804 -> 966 MiB/s (median of 20 alternating
 * pairs, tests/bench/content_bench.py). Random and
 * small reads are unchanged: the kernel's first window for a 4 KiB read is
 * 16 KiB at any maximum, and it grows only while the reader keeps going.
 *
 * The setting is the mount's backing device's read_ahead_kb in sysfs,
 * which only root may write; a mount by another user keeps the default
 * and says so once. The device comes from /proc/self/mountinfo, not from
 * stat(2) of the mount point: the loop is not running yet, and a stat
 * would wait for it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "fs/readahead.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *text)
{
	char *out = text;

	for (const char *in = text; *in; out++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' &&
		    in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
			*out = (char)((in[1] - '0') << 6 | (in[2] - '0') << 3 | (in[3] - '0'));
			in += 4;
		} else {
			*out = *in++;
		}
	}
	*out = '\0';
}

/* "36 35 0:53 / /mnt/x rw,... shared:1 - fuse.dbbackupfs dbbackupfs rw,..."
 * Fields 3 and 5, and the first after " - ". */
static bool parse_line(char *line, const char *mountpoint, unsigned *major,
		       unsigned *minor)
{
	char point[4096], type[256];
	const char *tail = strstr(line, " - ");

	if (!tail || sscanf(line, "%*u %*u %u:%u %*s %4095s", major, minor, point) != 3 ||
	    sscanf(tail + 3, "%255s", type) != 1)
		return false;
	unescape(point);
	return !strcmp(point, mountpoint) && !strcmp(type, "fuse.dbbackupfs");
}

/* The device numbers of the dbbackupfs mount on mountpoint (absolute, as
 * libfuse made it), or -ENOENT. */
static int mount_device(FILE *mountinfo, const char *mountpoint, unsigned *major,
			unsigned *minor)
{
	char line[8192];
	bool found = false;

	/* Mounts on the same point stack; the last line is the top one. */
	while (fgets(line, sizeof(line), mountinfo)) {
		unsigned maj, min;

		if (parse_line(line, mountpoint, &maj, &min)) {
			*major = maj;
			*minor = min;
			found = true;
		}
	}
	return found ? 0 : -ENOENT;
}

static int write_setting(const char *path, unsigned kib)
{
	FILE *f = fopen(path, "w");
	int failed;

	if (!f)
		return -errno;
	failed = fprintf(f, "%u\n", kib) < 0;
	if (fclose(f) != 0 || failed)
		return -(errno ? errno : EIO);
	return 0;
}

void readahead_apply(const char *mountpoint, unsigned kib)
{
	char path[128];
	unsigned major, minor;
	FILE *mountinfo;
	int result;

	if (!kib)
		return;
	mountinfo = fopen("/proc/self/mountinfo", "r");
	if (!mountinfo) {
		log_msg(LOG_LEVEL_INFO, "kernel readahead left as it is: /proc/self/mountinfo: %s",
			strerror(errno));
		return;
	}
	result = mount_device(mountinfo, mountpoint, &major, &minor);
	fclose(mountinfo);
	if (result < 0) {
		log_msg(LOG_LEVEL_INFO, "kernel readahead left as it is: %s is not in "
			"/proc/self/mountinfo", mountpoint);
		return;
	}
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", major, minor);
	result = write_setting(path, kib);
	if (result < 0)
		log_msg(LOG_LEVEL_INFO, "kernel readahead left at its default (%s: %s): "
			"sequential reads are faster when root mounts (read_ahead_kb in "
			"dbbackupfs(1))", path, strerror(-result));
	else
		log_msg(LOG_LEVEL_DEBUG, "kernel readahead %u KiB (%s)", kib, path);
}
