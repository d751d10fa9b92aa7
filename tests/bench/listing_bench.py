#!/usr/bin/env python3
"""Listing benchmark (issue 2). Not a test: prints a table.

  1. warm `ls -l` of an instance with 10,000 backups through dbbackupfs,
     against `ls -l` of a tmpfs directory holding the same names (ratio);
  2. the daemon's resident memory for 100,000 backups (bytes per backup).

Usage: tests/bench/listing_bench.py [--binary build-release/dbbackupfs]
Build a Release binary first: cmake -S . -B build-release
-DCMAKE_BUILD_TYPE=Release && cmake --build build-release
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
from harness import Fake  # noqa: E402

ACCESS, SECRET = "AKEXAMPLE0000000000", "SKEXAMPLE00000000000000000000000000000000"


def scenario(counts):
    instances = []
    for number, count in enumerate(counts, start=1):
        instances.append({
            "cloudPostgresqlInstanceNo": str(1000 + number),
            "cloudPostgresqlServiceName": "bench-%d" % count,
            "cloudPostgresqlInstanceStatusName": "running",
            "engineVersion": "PostgreSQL 14.10",
            "backups": [],
            "backups_generate": {"count": count, "first_start": "2024-06-01T00:10:00+0900",
                                 "every_minutes": 10, "duration_seconds": 60,
                                 "size_base": 104857600, "size_step": 4099,
                                 "data_storage_size": 107374182400,
                                 "wal_size_base": 33554432, "wal_size_step": 512}})
    return {"accounts": [{"access_key": ACCESS, "secret_key": SECRET}],
            "postgresql": {"instances": instances, "buckets": []}}


def mounted(path):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


def wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(0.05)


def timed(argv, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-release", "dbbackupfs"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="dbb-bench-")
    fake = Fake.start("ncloud", scenario([10000, 100000]), os.path.join(work, "fake"))
    mnt, tmpfs = os.path.join(work, "mnt"), os.path.join(work, "tmpfs")
    os.makedirs(mnt)
    os.makedirs(tmpfs)
    config = os.path.join(work, "config")
    with open(config, "w") as f:
        f.write("[pg]\ntype = ncloud-postgresql\nendpoint = %s\naccess_key = %s\n"
                "secret_key = %s\ncache_ttl = 1h\nmax_rps = 1000\n" % (fake.url, ACCESS, SECRET))
    os.chmod(config, 0o600)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", tmpfs], check=True)
    daemon = subprocess.Popen([args.binary, "-f", "-o", "config=" + config, mnt],
                              stderr=subprocess.DEVNULL)
    try:
        wait(lambda: mounted(mnt), "the mount")
        small = os.path.join(mnt, "pg", "bench-10000")
        names = [n for n in os.listdir(small) if n != ".export"]
        for name in names:
            open(os.path.join(tmpfs, name), "w").close()
        ours = timed(["ls", "-l", small], args.runs)
        theirs = timed(["ls", "-l", tmpfs], args.runs)

        rss_before = rss_bytes(daemon.pid)
        big = os.path.join(mnt, "pg", "bench-100000")
        start = time.perf_counter()
        subprocess.run(["ls", "-l", big], stdout=subprocess.DEVNULL, check=True)
        cold_big = time.perf_counter() - start
        rss_after = rss_bytes(daemon.pid)
        with open(os.path.join(mnt, ".stats")) as f:
            requests = json.load(f)["profiles"]["pg"]["requests_total"]

        print("%-52s %12s" % ("measure", "value"))
        print("%-52s %12.1f" % ("warm ls -l, 10,000 backups, dbbackupfs (ms)", ours * 1000))
        print("%-52s %12.1f" % ("ls -l, 10,000 files, tmpfs (ms)", theirs * 1000))
        print("%-52s %12.2f" % ("ratio dbbackupfs / tmpfs", ours / theirs))
        print("%-52s %12.1f" % ("cold ls -l, 100,000 backups (s)", cold_big))
        print("%-52s %12d" % ("daemon RSS growth for 100,000 backups (KiB)",
                              (rss_after - rss_before) // 1024))
        print("%-52s %12d" % ("bytes per backup", (rss_after - rss_before) // 100000))
        print("%-52s %12d" % ("API requests in all", requests))
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
        daemon.wait(timeout=30)
        subprocess.run(["umount", tmpfs])
        fake.stop()


if __name__ == "__main__":
    main()
