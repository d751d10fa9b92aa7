"""Concurrent callers through the mount (issue 8, item 4).

Written for scripts/tsan.sh, which runs the integration suite against a
ThreadSanitizer build (a race in the daemon is then a report in its output,
which conftest.py turns into a failure), but they check outcomes in any
build:

- eight threads doing what `ls -l` and `getfattr -d` do on the same cold and
  warm directories see the same tree, share one API call per cold listing,
  and keep seeing the same tree (names, inodes, sizes, xattrs), with no
  error, while SIGHUP drops every cache under them;
- ending the mount (lazy unmount, or SIGTERM) while listings and reads are
  in flight ends cleanly: the callers return, the daemon exits 0, and says
  nothing alarming.
"""
import errno
import os
import random
import signal
import stat
import subprocess
import threading
import time

import pytest

from conftest import is_mounted, ncloud_profile, wait_until

THREADS = 8
# Directories under the mount: the root (no API), a profile's instances, an
# instance with seven backups, an empty instance; in a warm profile (fresh
# for a minute) and a cold one (cache_ttl=0: every look is a fetch).
WARM, COLD = "pg", "pgcold"
DIRECTORIES = ["", WARM, WARM + "/pg-orders", WARM + "/pg-sandbox",
               COLD, COLD + "/pg-orders", COLD + "/pg-sandbox"]
# The names and attributes of .stats change with every request it counts.
VOLATILE = {".stats"}


def two_profiles(ncloud):
    # max_rps high enough that the token bucket is not what the test measures.
    return (ncloud_profile(WARM, "ncloud-postgresql", ncloud, cache_ttl=60,
                           poll_interval=60, max_rps=500) + "\n" +
            ncloud_profile(COLD, "ncloud-postgresql", ncloud, cache_ttl=0, max_rps=500))


def survey(m, relative):
    """What `ls -l` and `getfattr -d` read of one directory: every name, and
    of each entry its inode, type and mode, size, mtime and xattrs."""
    path = m.path(relative) if relative else m.root
    seen = {}
    for name in sorted(os.listdir(path)):
        if name in VOLATILE:
            seen[name] = None
            continue
        child = os.path.join(path, name)
        st = os.lstat(child)
        xattrs = tuple(sorted((x, os.getxattr(child, x, follow_symlinks=False))
                              for x in os.listxattr(child, follow_symlinks=False)))
        seen[name] = (st.st_ino, stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                      st.st_size, st.st_mtime, xattrs)
    return seen


def survey_all(m, order):
    return {relative: survey(m, relative) for relative in order}


def run_threads(count, target):
    """Runs target(index) in count threads; returns the exceptions raised."""
    failures = []

    def body(index):
        try:
            target(index)
        except Exception as e:  # noqa: BLE001 - reported below, with its thread
            failures.append("thread %d: %r" % (index, e))

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive(), "a caller hung"
    return failures


def test_listing_cache_under_eight_threads_while_sighup_drops_it(ncloud, mount_factory):
    m = mount_factory(two_profiles(ncloud))

    # Cold start: eight threads look at every directory at once. They see
    # the same tree, and the warm profile makes one API call per listing
    # (single flight): its instances, then each instance's backups.
    start = threading.Barrier(THREADS)
    surveys = [None] * THREADS

    def first_look(index):
        start.wait()
        surveys[index] = survey_all(m, DIRECTORIES)

    assert run_threads(THREADS, first_look) == []
    expected = surveys[0]
    assert all(s == expected for s in surveys)
    assert sorted(expected[WARM]) == ["pg-archive", "pg-orders", "pg-sandbox"]
    assert len(expected[WARM + "/pg-orders"]) == 7 + 1      # and .export
    warm = m.stats()["profiles"][WARM]
    assert warm["requests_total"] == 3, warm["requests"]

    # The storm: the threads keep looking, in their own orders, while
    # SIGHUP drops every cache many times. Nothing fails, nothing changes.
    stop = threading.Event()
    rounds = 12

    def keep_looking(index):
        rng = random.Random(index)
        for _ in range(rounds):
            order = DIRECTORIES[:]
            rng.shuffle(order)
            seen = survey_all(m, order)
            for relative in order:
                assert seen[relative] == expected[relative], relative

    def hang_ups():
        while not stop.is_set():
            m.signal(signal.SIGHUP)
            stop.wait(0.05)

    sighup = threading.Thread(target=hang_ups, daemon=True)
    sighup.start()
    try:
        failures = run_threads(THREADS, keep_looking)
    finally:
        stop.set()
        sighup.join()
    assert failures == []
    assert "SIGHUP: every listing cache dropped" in m.output()
    # The caches really were dropped: the warm profile fetched again.
    assert m.stats()["profiles"][WARM]["requests_total"] > 3
    assert m.process.poll() is None


# What a caller may see from a call in flight when the mount goes away.
ENDING_ERRNOS = {errno.ENOTCONN, errno.ENODEV, errno.EIO, errno.ENOENT, errno.EINTR,
                 errno.ECONNABORTED, errno.EBADF}


def end_lazily(m):
    """umount -l: the tree is detached at once; calls in flight go on."""
    subprocess.run(["fusermount3", "-uz", m.root], check=True)


def end_by_sigterm(m):
    m.signal(signal.SIGTERM)


@pytest.mark.parametrize("end", [end_lazily, end_by_sigterm], ids=["lazy-unmount", "sigterm"])
def test_ending_the_mount_while_calls_are_in_flight_is_clean(ncloud, mount_factory, end):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, cache_ttl=0,
                                     max_rps=500, timeout=60))
    orders = m.path("pg", "pg-orders")
    backup = sorted(n for n in os.listdir(orders) if n != ".export")[0]
    control = os.path.join(orders, ".export", backup)
    m.expect(r"WARN open /pg/pg-orders/%s .*errno=ENODATA" % backup)
    # Every listing of backups now takes half a second (and cache_ttl=0
    # makes every look a listing): some are in flight when the mount goes.
    ncloud.faults([{"kind": "delay", "action": "getCloudPostgresqlBackupDetailList",
                    "seconds": 0.5, "every": 1}])

    stop = threading.Event()
    progress = [0] * THREADS
    unexpected = []

    def list_backups():
        names = os.listdir(orders)
        os.lstat(os.path.join(orders, names[0]))

    def read_stats():
        with open(m.path(".stats"), "rb") as f:
            f.read()

    def read_control_file():
        with open(control, "rb") as f:
            f.read()

    def read_backup():
        # Backups of NAVER are readable after an export only: ENODATA.
        try:
            with open(os.path.join(orders, backup), "rb") as f:
                f.read(65536)
        except OSError as e:
            if e.errno != errno.ENODATA:
                raise

    jobs = [list_backups] * 4 + [read_stats, read_control_file, read_backup, list_backups]

    def caller(index):
        while not stop.is_set():
            try:
                jobs[index]()
            except OSError as e:
                if e.errno not in ENDING_ERRNOS:
                    unexpected.append("%s: %s" % (jobs[index].__name__, e))
                if not is_mounted(m.root):
                    return
            progress[index] += 1

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    wait_until(lambda: all(progress), timeout=60, what="every caller to get going")
    # Mid-flight: the listers started their next slow listing.
    before = ncloud.counters()["total"]
    wait_until(lambda: ncloud.counters()["total"] > before, timeout=30,
               what="a listing in flight")
    time.sleep(0.2)
    end(m)

    assert m.process.wait(timeout=60) == 0, m.output()
    assert not is_mounted(m.root)
    stop.set()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a caller hung after the mount went away"
    assert unexpected == []
