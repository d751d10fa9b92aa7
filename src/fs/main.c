/*
 * main.c: dbbackupfs, from the command line to the mounted tree and back.
 *
 * Reads top to bottom: parse options, open the catalog (configuration and
 * providers), new session, signal handlers, mount, daemonize, loop,
 * unmount; cleanup labels in reverse order.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/content.h"
#include "core/log.h"
#include "fs/fs.h"
#include "fs/handles.h"
#include "fs/readahead.h"
#include "fs/worker.h"
#include "providers/http.h"

struct options {
	char *config;
	unsigned read_ahead_kb;
	int list_providers;
	int check;
	const char *nonopts[2];     /* [SOURCE] MOUNTPOINT, pointers into argv */
	int nonopt_count;
};

#define OPTION(text, field) { text, offsetof(struct options, field), 1 }

static const struct fuse_opt option_spec[] = {
	OPTION("config=%s", config),
	OPTION("read_ahead_kb=%u", read_ahead_kb),
	OPTION("--list-providers", list_providers),
	OPTION("--check", check),
	FUSE_OPT_END,
};

/*
 * mount.fuse3 (mount -t fuse.dbbackupfs, fstab) runs "dbbackupfs SOURCE
 * MOUNTPOINT -o ...": the source ("none") names nothing here; the mount
 * point is the last of at most two non-option arguments.
 */
static int collect_nonopt(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct options *options = data;

	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	if (options->nonopt_count == 2) {
		fprintf(stderr, "dbbackupfs: unexpected argument '%s'\n", arg);
		return -1;
	}
	options->nonopts[options->nonopt_count++] = arg;
	return 0;
}

static void usage(const char *program)
{
	printf("usage: %s [options] [SOURCE] MOUNTPOINT\n\n"
	       "Shows the backups of managed cloud databases as files.\n\n"
	       "dbbackupfs options:\n"
	       "    -o config=FILE         configuration file (default\n"
	       "                           $XDG_CONFIG_HOME/dbbackupfs/config)\n"
	       "    -o read_ahead_kb=N     the kernel's readahead for sequential reads\n"
	       "                           (default 1024; 0: the kernel's own; root only)\n"
	       "    -o debug, -d           log every API call (no secrets), stay in\n"
	       "                           the foreground\n"
	       "    -o allow_other         let other users in (needs user_allow_other\n"
	       "                           in /etc/fuse.conf for non-root)\n"
	       "    --list-providers       print the provider kinds and exit\n"
	       "    --check                make one read-only call per profile, print\n"
	       "                           one line each, exit non-zero on a failure\n"
	       "\nSee dbbackupfs(1) and dbbackupfs.conf(5).\n\n", program);
}

static void list_providers(void)
{
	const struct provider_kind *const *kinds = provider_kinds();

	printf("%-20s %-5s %-6s %-7s %-8s %s\n", "KIND", "LIST", "MKDIR", "EXPORT",
	       "CONTENT", "SERVICE");
	for (size_t i = 0; kinds[i]; i++) {
		unsigned caps = kinds[i]->capabilities;

		printf("%-20s %-5s %-6s %-7s %-8s %s\n", kinds[i]->name,
		       caps & PROVIDER_CAN_LIST ? "yes" : "no",
		       caps & PROVIDER_CAN_MKDIR ? "yes" : "no",
		       caps & PROVIDER_CAN_EXPORT ? "yes" : "no",
		       caps & PROVIDER_CAN_READ ? "yes" : "no", kinds[i]->summary);
	}
}

/* --check: a verdict line per profile; 0 when every profile works. */
static int check_profiles(const char *config_path)
{
	struct catalog *catalog;
	struct dbb_error err;
	char line[2048];
	int failures = 0;

	dbb_error_clear(&err);
	if (catalog_open(config_path, &catalog, &err) < 0) {
		fprintf(stderr, "dbbackupfs: %s\n", err.message);
		if (err.remedy[0])
			fprintf(stderr, "dbbackupfs: remedy: %s\n", err.remedy);
		return 2;
	}
	for (size_t i = 0; i < catalog->profile_count; i++) {
		if (catalog_check_profile(catalog, &catalog->profiles[i], line, sizeof(line)) < 0)
			failures++;
		printf("%s\n", line);
	}
	catalog_close(catalog);
	return failures ? 1 : 0;
}

static void report_open_failure(const struct dbb_error *err)
{
	fprintf(stderr, "dbbackupfs: %s\n", err->message);
	if (err->remedy[0])
		fprintf(stderr, "dbbackupfs: remedy: %s\n", err->remedy);
}

static void on_sighup(int signal_number)
{
	worker_signal_drop_caches();
}

/* libfuse's handlers end the session on SIGHUP; here it drops caches. */
static int install_sighup(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_sighup;
	sigemptyset(&action.sa_mask);
	action.sa_flags = SA_RESTART;
	return sigaction(SIGHUP, &action, NULL);
}

/* libfuse's own messages (a bad option, a device error) are lines of our
 * log: in the background they reach syslog, not a stderr that
 * fuse_daemonize pointed at /dev/null. It also keeps stdio's stderr
 * unused, so that libfuse's perror, when a worker it cancels is inside
 * it, takes a stream of its own and not stderr's lock, which glibc would
 * leave held for ever (ThreadSanitizer's exit flushes stderr and hung on
 * it). */
static void log_from_fuse(enum fuse_log_level level, const char *fmt, va_list ap)
{
	enum log_level ours = LOG_LEVEL_DEBUG;

	if (level <= FUSE_LOG_ERR)
		ours = LOG_LEVEL_ERROR;
	else if (level == FUSE_LOG_WARNING)
		ours = LOG_LEVEL_WARN;
	else if (level <= FUSE_LOG_INFO)
		ours = LOG_LEVEL_INFO;
	log_vmsg(ours, fmt, ap);
}

static int run_loop(struct fuse_session *session, const struct fuse_cmdline_opts *cmdline)
{
	struct fuse_loop_config *loop;
	int result;

	if (cmdline->singlethread)
		return fuse_session_loop(session);
	loop = fuse_loop_cfg_create();
	if (!loop)
		return -ENOMEM;
	/* One /dev/fuse descriptor per thread: measured twice as fast for
	 * ls -l of 10,000 backups (tests/bench/listing_bench.py), whose
	 * per-file xattr probes are round trips the kernel never caches. */
	fuse_loop_cfg_set_clone_fd(loop, 1);
	/* fuse_parse_cmdline leaves UINT_MAX for options not given. */
	if (cmdline->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(loop, cmdline->max_idle_threads);
	if (cmdline->max_threads && cmdline->max_threads <= 100000)
		fuse_loop_cfg_set_max_threads(loop, cmdline->max_threads);
	result = fuse_session_loop_mt(session, loop);
	fuse_loop_cfg_destroy(loop);
	return result;
}

/* The loop returns the signal number after SIGINT or SIGTERM, and
 * -ECONNABORTED or -ENODEV when an unmount (lazy or not) raced a request:
 * all clean ends. Any other negative errno is a failure. */
static int loop_status(int result)
{
	if (result >= 0 || result == -ECONNABORTED || result == -ENODEV)
		return 0;
	return 1;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options options = { .read_ahead_kb = READAHEAD_DEFAULT_KIB };
	struct fuse_cmdline_opts cmdline = { 0 };
	struct fs fs = { 0 };
	struct dbb_error err;
	const char *config_path;
	int status = 1;

	fuse_set_log_func(log_from_fuse);
	if (fuse_opt_parse(&args, &options, option_spec, collect_nonopt) < 0)
		goto out_args;
	if (options.nonopt_count &&
	    fuse_opt_add_arg(&args, options.nonopts[options.nonopt_count - 1]) < 0)
		goto out_args;
	if (fuse_parse_cmdline(&args, &cmdline) != 0)
		goto out_args;
	if (cmdline.show_help) {
		usage(argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		status = 0;
		goto out_args;
	}
	if (cmdline.show_version) {
		printf("dbbackupfs %s\n", DBB_VERSION);
		fuse_lowlevel_version();
		status = 0;
		goto out_args;
	}
	if (options.list_providers) {
		list_providers();
		status = 0;
		goto out_args;
	}
	if (options.check) {
		config_path = options.config ? options.config : config_default_path();
		log_init(true, cmdline.debug);
		if (!config_path || http_global_init() < 0) {
			fprintf(stderr, "dbbackupfs: no configuration: give -o config=FILE\n");
			status = 2;
			goto out_args;
		}
		status = check_profiles(config_path);
		http_global_cleanup();
		goto out_args;
	}
	if (options.read_ahead_kb > READAHEAD_MAX_KIB) {
		fprintf(stderr, "dbbackupfs: read_ahead_kb: at most %u\n", READAHEAD_MAX_KIB);
		goto out_args;
	}
	if (!cmdline.mountpoint) {
		fprintf(stderr, "usage: %s [options] [SOURCE] MOUNTPOINT (see --help)\n", argv[0]);
		goto out_args;
	}
	config_path = options.config ? options.config : config_default_path();
	if (!config_path) {
		fprintf(stderr, "dbbackupfs: no configuration: give -o config=FILE\n");
		goto out_args;
	}

	log_init(cmdline.foreground, cmdline.debug);
	/* glibc gives each new thread its own arena; with FUSE's worker
	 * threads that made a long soak's resident memory creep up with no
	 * leak (tests/soak). Two arenas keep it flat. */
	mallopt(M_ARENA_MAX, 2);
	/* The daemon holds credentials in memory: no core file, and no
	 * ptrace or /proc/PID/mem by other processes of the same user. */
	prctl(PR_SET_DUMPABLE, 0);
	if (http_global_init() < 0)
		goto out_args;
	dbb_error_clear(&err);
	if (catalog_open(config_path, &fs.catalog, &err) < 0) {
		report_open_failure(&err);
		goto out_http;
	}
	fs.inodes = inodes_new();
	fs.uid = getuid();
	fs.gid = getgid();
	fs.mount_time = time(NULL);
	fs.read_ahead_kb = options.read_ahead_kb;
	if (!fs.inodes)
		goto out_catalog;

	/* fuse.dbbackupfs in mount(8); the kernel checks mode bits. */
	if (fuse_opt_add_arg(&args, "-osubtype=dbbackupfs,fsname=dbbackupfs,"
			     "default_permissions,max_read=1048576") < 0)
		goto out_inodes;
	fs.session = fuse_session_new(&args, &fs_operations, sizeof(fs_operations), &fs);
	if (!fs.session)
		goto out_inodes;
	if (fuse_set_signal_handlers(fs.session) != 0 || install_sighup() != 0)
		goto out_session;
	if (fuse_session_mount(fs.session, cmdline.mountpoint) != 0)
		goto out_signals;
	if (fuse_daemonize(cmdline.foreground) != 0)
		goto out_unmount;
	readahead_apply(cmdline.mountpoint, options.read_ahead_kb);
	fs.worker = worker_start(&fs);
	if (!fs.worker)
		goto out_unmount;
	log_msg(LOG_LEVEL_INFO, "mounted %s with %zu profile(s) from %s",
		cmdline.mountpoint, fs.catalog->profile_count, fs.catalog->config->path);

	status = loop_status(run_loop(fs.session, &cmdline));

	worker_stop(fs.worker);
	handles_destroy_all();
	/* Prefetches still running end before the profiles they count in. */
	content_shutdown();
out_unmount:
	fuse_session_unmount(fs.session);
out_signals:
	fuse_remove_signal_handlers(fs.session);
out_session:
	fuse_session_destroy(fs.session);
out_inodes:
	inodes_free(fs.inodes);
out_catalog:
	catalog_close(fs.catalog);
out_http:
	http_global_cleanup();
out_args:
	free(cmdline.mountpoint);
	free(options.config);
	fuse_opt_free_args(&args);
	return status;
}
