#!/usr/bin/python3
"""Reading a backup at wire speed (issue 5): dbbackupfs against curl and rclone.

A backup of --size-mib (default 1024) random bytes is served by nginx on
loopback (tests/fakes/nginx.py); the Huawei RDS emulator hands out download
links to it. The same bytes are then read, each way --runs times (default 5):

    curl        curl -s -o /dev/null URL                 (the wire, no filesystem)
    dbbackupfs  cat MOUNT/rds/<instance>/<backup>        (first read: from nginx)
    page cache  the same cat again                       (second read: from memory)
    rclone      cat RCLONE_MOUNT/<file>                  (rclone mount, http backend)

and a table of medians is printed with the targets of issue 5: dbbackupfs at
least 0.8 of curl and 3 times rclone; the second cat at least 5 times the
first. Before each cold read, the page cache is dropped (as root) and nginx's
file is read back into it, so that every reader gets the file from memory on
the server side and nothing from memory on the client side.

Run by hand on a Release build, not in CI:

    cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release -j
    /usr/bin/python3 tests/bench/content_bench.py --binary build-release/dbbackupfs

rclone is installed here if missing (Debian package rclone); the tests never
need it.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Fake  # noqa: E402
from huawei_model import SK, huawei_profile  # noqa: E402
import nginx  # noqa: E402

MIB = 1 << 20
INSTANCE = "bench0000000000000000000000000000in01"
BACKUP = "bench0000000000000000000000000000br01"
BACKUP_NAME = "bench-backup"
FILE = "bench.bin"


def install_rclone():
    if shutil.which("rclone"):
        return
    subprocess.run(["bash", "-c", "source scripts/deps.sh >/dev/null && "
                    "dbb_install_packages rclone"], cwd=ROOT, check=True)


def scenario(server, size):
    """One RDS instance with one backup whose bytes are nginx's FILE."""
    demo = json.load(open(os.path.join(ROOT, "tests", "fakes", "scenarios",
                                       "huawei-demo.json")))
    instance = dict(demo["rds"]["instances"][0])
    instance.update({"id": INSTANCE, "name": "bench-rds"})
    backup = dict(instance["backups"][0])
    backup.update({"id": BACKUP, "name": BACKUP_NAME, "instance_id": INSTANCE,
                   "size": size // 1024, "download": {"file": FILE}})
    instance["backups"] = [backup]
    demo["rds"]["instances"] = [instance]
    demo["taurusdb"]["instances"] = []
    demo["content"] = {"base_url": server.base, "secret": server.secret}
    return demo


def is_mounted(path):
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts)


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(0.05)  # wait-for-condition poll, bounded by the deadline


def unmount(path, process):
    if is_mounted(path):
        subprocess.run(["fusermount3", "-u", path], check=False)
        if is_mounted(path):
            subprocess.run(["fusermount3", "-uz", path], check=False)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def timed(command):
    started = time.monotonic()
    subprocess.run(command, shell=True, check=True)
    return time.monotonic() - started


def cold(server):
    """Nothing cached on the client side; the server's file in memory."""
    if os.geteuid() == 0:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
    subprocess.run(["cat", server.path(FILE)], stdout=subprocess.DEVNULL, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-release", "dbbackupfs"))
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-rclone", action="store_true")
    args = parser.parse_args()
    size = args.size_mib * MIB
    if not args.no_rclone:
        install_rclone()

    work = tempfile.mkdtemp(prefix="dbb-content-bench-")
    server = nginx.Nginx.start(os.path.join(work, "nginx"), workers=2)
    fake = mount = rclone = None
    times = {"curl": [], "dbbackupfs": [], "page cache": [], "rclone": []}
    try:
        server.add_file(FILE, size)
        fake = Fake.start("huawei", scenario(server, size), os.path.join(work, "huawei"))
        config = os.path.join(work, "dbbackupfs.conf")
        with open(config, "w") as f:
            f.write(huawei_profile("rds", "huawei-rds", fake))
        os.chmod(config, 0o600)
        mount_dir = os.path.join(work, "mnt")
        os.makedirs(mount_dir)
        log = open(os.path.join(work, "daemon.log"), "w")
        mount = subprocess.Popen([args.binary, "-f", "-o", "config=" + config, mount_dir],
                                 stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: is_mounted(mount_dir), "the dbbackupfs mount")
        backup_path = os.path.join(mount_dir, "rds", "bench-rds", BACKUP_NAME)
        wait_for(lambda: os.path.exists(backup_path), "the backup in the mount")

        rclone_dir = os.path.join(work, "rclone")
        if not args.no_rclone:
            os.makedirs(rclone_dir)
            rclone = subprocess.Popen(
                ["rclone", "mount", ":http:", rclone_dir, "--http-url",
                 server.base + "/files/", "--read-only", "--vfs-cache-mode", "off"],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "rclone.log"), "w"))
            wait_for(lambda: is_mounted(rclone_dir), "the rclone mount")

        for run in range(args.runs):
            cold(server)
            times["curl"].append(timed("curl -s -o /dev/null " + server.url(FILE)))
            cold(server)
            times["dbbackupfs"].append(timed("cat '%s' > /dev/null" % backup_path))
            times["page cache"].append(timed("cat '%s' > /dev/null" % backup_path))
            if rclone:
                cold(server)
                times["rclone"].append(timed("cat '%s' > /dev/null" %
                                             os.path.join(rclone_dir, FILE)))
            print("run %d/%d done" % (run + 1, args.runs), file=sys.stderr)
    finally:
        if rclone:
            unmount(os.path.join(work, "rclone"), rclone)
        if mount:
            unmount(os.path.join(work, "mnt"), mount)
        if fake:
            fake.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    report(times, size, args.runs)


def report(times, size, runs):
    speed = {name: size / MIB / statistics.median(values)
             for name, values in times.items() if values}
    print("\n%d MiB backup, nginx on loopback, median of %d runs, %d cores\n"
          % (size // MIB, runs, os.cpu_count()))
    print("%-12s %12s %10s" % ("reader", "MiB/s", "median s"))
    for name, values in times.items():
        if values:
            print("%-12s %12.0f %10.3f" % (name, speed[name], statistics.median(values)))
    print()
    checks = [("dbbackupfs / curl", "curl", 0.8), ("dbbackupfs / rclone", "rclone", 3.0)]
    for label, other, target in checks:
        if other in speed:
            ratio = speed["dbbackupfs"] / speed[other]
            print("%-24s %6.2f  (target >= %.1f) %s" % (label, ratio, target,
                                                      "ok" if ratio >= target else "MISSED"))
    ratio = speed["page cache"] / speed["dbbackupfs"]
    print("%-24s %6.2f  (target >= 5.0) %s" % ("second cat / first", ratio,
                                              "ok" if ratio >= 5 else "MISSED"))


if __name__ == "__main__":
    main()
