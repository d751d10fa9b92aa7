#!/usr/bin/python3
"""Reading a backup at wire speed (issue 5): dbbackupfs against curl and rclone.

A backup of --size-mib (default 1024) random bytes is served by nginx on
loopback (tests/fakes/nginx.py); the Huawei RDS emulator hands out download
links to it. The same bytes are then read, each way --runs times (default 5):

    curl        curl -s -o /dev/null URL                 (the wire, no filesystem)
    dbbackupfs  cat MOUNT/rds/<instance>/<backup>        (first read: from nginx)
    page cache  the same cat again                       (second read: from memory)
    dbbackupfs, 128 KiB readahead
                the first cat with the kernel's default readahead instead of
                the 1 MiB that dbbackupfs sets (-o read_ahead_kb)
    rclone      cat RCLONE_MOUNT/<file>                  (rclone mount, http backend)

    curl > tmpfs curl -s -o /dev/shm/FILE URL                (the wire, bytes kept)
    tmpfs cat   cat /dev/shm/FILE                        (the page cache's own speed:
                                                          the most a second cat can be)
    minimal copy / minimal splice
                cat of tests/bench/fuse_minimal.c's one-file mount  (see below)

The two minimal readers say what the machine allows any FUSE reader that
fills the page cache (as the page-cache target needs): fuse_minimal serves
the same URL from one streaming connection on one thread with nothing
else to do, with one copy in the daemon (recv into a buffer) or none
(splice from the socket to /dev/fuse). The splice daemon's CPU per GiB is
the least a FUSE daemon pays here, since the kernel's copy into the page
cache is charged to the replying thread; with the CPU that cat and nginx
spend on dbbackupfs's run, it bounds any such reader on this machine:

    bound = cores / (cat + least daemon + nginx) CPU s per GiB

reached only with every core busy all the time. They are measured in the
same runs, so that host noise moves them with the rest. Plain HTTP only
(not with --tls).

and a table of medians is printed with the targets of issue 5: dbbackupfs at
least 0.8 of curl and 3 times rclone; the second cat at least 5 times the
first. A second table gives the CPU each reading cost per GiB, split into
the reading process, the filesystem daemon and nginx: on a small machine the
three share the cores, and that table shows where the limit is.

--tls serves the file over HTTPS, as real download links are: then every
reader also decrypts, and dbbackupfs does it on several connections at once.

--rate-mib N caps every connection at N MiB/s (nginx's limit_rate), as an
object store or a long path does: then the wire, not the CPU, is the limit,
and what counts is how many ranges a reader keeps in flight. Before each cold read, the page cache is dropped (as root) and nginx's
file is read back into it, so that every reader gets the file from memory on
the server side and nothing from memory on the client side.

fuse_minimal's mounts get the kernel readahead that dbbackupfs gives itself
(1 MiB), so that the bound compares daemons. rclone keeps its own (its
--max-read-ahead, 128 KiB): given 1 MiB, it fell to 50 MiB/s.
Where the kernel reports free memory back to the host (virtio free page
reporting: then every page the page cache refills is faulted in by the host
again, at a few hundred MiB/s), the bench holds reporting off while it runs
(see hold_page_reporting) and says how much was reported anyway.

Run by hand on a Release build, not in CI:

    cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release -j
    /usr/bin/python3 tests/bench/content_bench.py --binary build-release/dbbackupfs

rclone is installed here if missing (Debian package rclone); the tests never
need it.
"""
import argparse
import json
import mmap
import os
import resource
import shutil
import signal
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
READ_AHEAD_KIB = 1024      # what dbbackupfs sets for itself (src/fs/readahead.c)


def install_rclone():
    if shutil.which("rclone"):
        return
    subprocess.run(["bash", "-c", "source scripts/deps.sh >/dev/null && "
                    "dbb_install_packages rclone"], cwd=ROOT, check=True)


def scenario(server, size, rate):
    """One RDS instance with one backup whose bytes are nginx's FILE."""
    demo = json.load(open(os.path.join(ROOT, "tests", "fakes", "scenarios",
                                       "huawei-demo.json")))
    instance = dict(demo["rds"]["instances"][0])
    instance.update({"id": INSTANCE, "name": "bench-rds"})
    backup = dict(instance["backups"][0])
    backup.update({"id": BACKUP, "name": BACKUP_NAME, "instance_id": INSTANCE,
                   "size": size // 1024, "download": {"file": FILE}})
    if rate:
        backup["download"]["rate"] = rate
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


def process_cpu(pids):
    """CPU seconds (user + system) the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Times commands and splits the CPU they cost: the reading command, the
    filesystem daemon serving it (if any), nginx's workers."""

    def __init__(self, server_pids):
        self.server_pids = server_pids
        self.times = {}
        self.cpu = {}

    def run(self, name, command, daemon_pids=()):
        before = (children_cpu(), process_cpu(daemon_pids), process_cpu(self.server_pids))
        started = time.monotonic()
        subprocess.run(command, shell=True, check=True)
        elapsed = time.monotonic() - started
        after = (children_cpu(), process_cpu(daemon_pids), process_cpu(self.server_pids))
        self.times.setdefault(name, []).append(elapsed)
        self.cpu.setdefault(name, []).append(tuple(a - b for a, b in zip(after, before)))


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(child) for child in f.read().split()]
    except OSError:
        return []


def warm_memory(leave_mib=2048):
    """Writes to every free page once, then gives the memory back.

    On a virtual machine the host may back guest memory only when the guest
    first touches it: a page cache filled from never-touched pages then
    runs at a few hundred MiB/s (measured here: 260-275 MiB/s first touch,
    about 2 GiB/s once touched). That cost falls on whoever fills the page
    cache (dbbackupfs, curl > tmpfs) and not on curl -o /dev/null, and it
    goes away as the machine ages; a machine that has run for a while
    never shows it. Touching the free memory once first takes it out."""
    with open("/proc/meminfo") as f:
        info = dict(line.split(":", 1) for line in f)
    available = int(info["MemAvailable"].split()[0]) * 1024
    size = available - leave_mib * MIB
    if size <= 0:
        return 0
    chunk = b"\1" * (64 * MIB)
    area = mmap.mmap(-1, size)
    try:
        for _ in range(size // len(chunk)):
            area.write(chunk)
    finally:
        area.close()
    return size


def set_read_ahead(directory, kib):
    """The kernel's readahead for the FUSE mount on directory; the old value."""
    device = os.stat(directory).st_dev
    path = "/sys/class/bdi/%d:%d/read_ahead_kb" % (os.major(device), os.minor(device))
    with open(path) as f:
        old = int(f.read())
    with open(path, "w") as f:
        f.write("%d\n" % kib)
    return old


PAGE_REPORTING = "/sys/module/page_reporting/parameters/"


def reported_kib():
    try:
        with open(PAGE_REPORTING + "reported_kib") as f:
            return int(f.read())
    except OSError:
        return 0


def hold_page_reporting(milliseconds):
    """Sets how long a free page waits before it is reported to the host (a
    knob of this project's VM kernels, not upstream Linux); the old value,
    or None where there is no such knob.

    Measured here: with the VM's 0, each drop of the page cache went back to
    the host within the second (17 GiB reported over one bench run), and
    the next fill of the page cache ran at the host's first-touch speed, so
    that dbbackupfs's daemon spent 56% of its time in the kernel's copy into
    the page cache instead of 21%. curl -o /dev/null fills no page cache and
    never paid it."""
    path = PAGE_REPORTING + "min_free_ms"
    try:
        with open(path) as f:
            old = int(f.read())
        with open(path, "w") as f:
            f.write("%d\n" % milliseconds)
        return old
    except OSError:
        return None


def cpu_steal():
    """Ticks the host took from this machine's CPUs (0 on bare metal)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) if len(fields) > 8 else 0


def cold(server):
    """Nothing cached on the client side; the server's file in memory."""
    if os.geteuid() == 0:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
    subprocess.run(["cat", server.path(FILE)], stdout=subprocess.DEVNULL, check=True)


def small_readahead(meter, server, mount_dir, backup_path, daemon):
    """The first cat again with the kernel's default readahead."""
    cold(server)
    own = set_read_ahead(mount_dir, 128)
    try:
        meter.run("dbbackupfs, 128 KiB readahead", "cat '%s' > /dev/null" % backup_path,
                  [daemon])
    finally:
        set_read_ahead(mount_dir, own)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-release", "dbbackupfs"))
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-rclone", action="store_true")
    parser.add_argument("--rate-mib", type=int, default=0,
                        help="cap every connection at this many MiB/s (0: no cap)")
    parser.add_argument("--tls", action="store_true", help="serve over HTTPS")
    parser.add_argument("--no-warm-memory", action="store_true",
                        help="skip touching the free memory once before measuring")
    args = parser.parse_args()
    # Interrupted, it still unmounts and gives the knob back (finally).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(1))
    # First: the memory touched next must not go back to the host.
    held = hold_page_reporting(300000)    # the knob's most
    reported_before = reported_kib()
    try:
        if not args.no_warm_memory:
            warmed = warm_memory()
            print("touched %d MiB of free memory once (see warm_memory)" % (warmed // MIB),
                  file=sys.stderr)
        measure(args)
    finally:
        if held is not None:
            hold_page_reporting(held)
    print("free memory reported to the host during the run: %d MiB%s"
          % ((reported_kib() - reported_before) // 1024,
             "" if held is not None else " (no min_free_ms knob here)"))


def measure(args):
    size = args.size_mib * MIB
    steal_before, started = cpu_steal(), time.monotonic()
    rate = args.rate_mib * MIB
    if not args.no_rclone:
        install_rclone()

    work = tempfile.mkdtemp(prefix="dbb-content-bench-")
    tls = nginx.self_signed_certificate(work) if args.tls else None
    server = nginx.Nginx.start(os.path.join(work, "nginx"), workers=2, tls=tls)
    curl = "curl -s " + ("--cacert '%s' " % tls[0] if tls else "")
    fake = mount = rclone = None
    meter = Meter(children_of(server.process.pid))
    kept = os.path.join("/dev/shm", "dbb-content-bench-" + FILE)
    minimals = {}
    try:
        server.add_file(FILE, size)
        fake = Fake.start("huawei", scenario(server, size, rate), os.path.join(work, "huawei"))
        config = os.path.join(work, "dbbackupfs.conf")
        with open(config, "w") as f:
            f.write(huawei_profile("rds", "huawei-rds", fake,
                                   ca_file=tls[0] if tls else None))
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
                 server.rate_base(rate) if rate else server.base + "/files/",
                 "--read-only", "--vfs-cache-mode", "off"] +
                (["--ca-cert", tls[0]] if tls else []),
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "rclone.log"), "w"))
            wait_for(lambda: is_mounted(rclone_dir), "the rclone mount")

        url = server.url(FILE, rate=rate or None)
        minimal_binary = os.path.join(os.path.dirname(args.binary), "fuse_minimal")
        if not args.tls and os.path.exists(minimal_binary):
            for mode in ("copy", "splice"):
                directory = os.path.join(work, "minimal-" + mode)
                os.makedirs(directory)
                process = subprocess.Popen([minimal_binary, directory, url, str(size), mode],
                                           stderr=subprocess.DEVNULL)
                minimals[mode] = (directory, process)
                wait_for(lambda: is_mounted(directory), "the fuse_minimal mount")
                set_read_ahead(directory, READ_AHEAD_KIB)
        for run in range(args.runs):
            cold(server)
            meter.run("curl", curl + "-o /dev/null '%s'" % url)
            cold(server)
            meter.run("curl > tmpfs", curl + "-o '%s' '%s'" % (kept, url))
            meter.run("tmpfs cat", "cat '%s' > /dev/null" % kept)
            os.unlink(kept)
            if run % 2 == 1:      # before or after the default: neither always second
                small_readahead(meter, server, mount_dir, backup_path, mount.pid)
            cold(server)
            meter.run("dbbackupfs", "cat '%s' > /dev/null" % backup_path, [mount.pid])
            meter.run("page cache", "cat '%s' > /dev/null" % backup_path, [mount.pid])
            if run % 2 == 0:
                small_readahead(meter, server, mount_dir, backup_path, mount.pid)
            for mode, (directory, process) in minimals.items():
                cold(server)
                meter.run("minimal " + mode, "cat '%s' > /dev/null"
                          % os.path.join(directory, "backup"), [process.pid])
            if rclone:
                cold(server)
                meter.run("rclone", "cat '%s' > /dev/null" % os.path.join(rclone_dir, FILE),
                          [rclone.pid])
            print("run %d/%d done" % (run + 1, args.runs), file=sys.stderr)
    finally:
        if os.path.exists(kept):
            os.unlink(kept)
        for directory, process in minimals.values():
            unmount(directory, process)
        if rclone:
            unmount(os.path.join(work, "rclone"), rclone)
        if mount:
            unmount(os.path.join(work, "mnt"), mount)
        if fake:
            fake.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    steal = (cpu_steal() - steal_before) / os.sysconf("SC_CLK_TCK")
    report(meter, size, args, steal / (time.monotonic() - started) / os.cpu_count())


def report(meter, size, args, steal):
    times = meter.times
    speed = {name: size / MIB / statistics.median(values) for name, values in times.items()}

    def cpu_per_gib(name, part):
        """Median CPU seconds per GiB: part 0 reader, 1 daemon, 2 nginx."""
        return statistics.median(c[part] for c in meter.cpu[name]) * (1 << 30) / size

    print("\n%d MiB backup, nginx on loopback%s%s, median of %d runs, %d cores, "
          "%.1f%% of the CPU stolen by the host\n"
          % (size // MIB, " over HTTPS" if args.tls else "",
             ", %d MiB/s per connection" % args.rate_mib if args.rate_mib else "",
             args.runs, os.cpu_count(), 100 * steal))
    width = max(len(name) for name in times)
    print("%-*s %8s %9s   %s" % (width, "reader", "MiB/s", "median s",
                                 "CPU s per GiB: reader + daemon + nginx = total"))
    for name, values in times.items():
        cpu = [cpu_per_gib(name, i) for i in range(3)]
        print("%-*s %8.0f %9.3f   %6.2f + %6.2f + %5.2f = %5.2f"
              % (width, name, speed[name], statistics.median(values), cpu[0], cpu[1], cpu[2],
                 sum(cpu)))
    print()
    checks = [("dbbackupfs / curl", "curl", 0.8), ("dbbackupfs / rclone", "rclone", 3.0)]
    for label, other, target in checks:
        if other in speed:
            ratio = speed["dbbackupfs"] / speed[other]
            print("%-24s %6.2f  (target >= %.1f) %s" % (label, ratio, target,
                                                      "ok" if ratio >= target else "MISSED"))
    # A bound on CPU: meaningless where the wire (--rate-mib) is the limit.
    if "minimal splice" in speed and not args.rate_mib:
        # cat and nginx as they were for dbbackupfs; the least daemon.
        least = (cpu_per_gib("dbbackupfs", 0) + cpu_per_gib("minimal splice", 1) +
                 cpu_per_gib("dbbackupfs", 2))
        used = sum(cpu_per_gib("dbbackupfs", i) for i in range(3)) / statistics.median(
            times["dbbackupfs"]) * size / (1 << 30)
        print("%-24s %6.2f  (cores / CPU per GiB with the least daemon: %.0f MiB/s)"
              % ("bound / curl", os.cpu_count() / least * 1024 / speed["curl"],
                 os.cpu_count() / least * 1024))
        print("%-24s %6.2f  (the same at the %.2f cores dbbackupfs kept busy)"
              % ("bound at its load / curl", used / least * 1024 / speed["curl"], used))
    print("%-24s %6.2f  (-o read_ahead_kb: 1024 against the kernel's 128)"
          % ("readahead 1 MiB / 128 KiB",
             speed["dbbackupfs"] / speed["dbbackupfs, 128 KiB readahead"]))
    ratio = speed["page cache"] / speed["dbbackupfs"]
    print("%-24s %6.2f  (target >= 5.0) %s" % ("second cat / first", ratio,
                                              "ok" if ratio >= 5 else "MISSED"))
    # The page cache's own speed bounds any second read.
    print("%-24s %6.2f  (the most it can be: a tmpfs file's cat, %.0f MiB/s)"
          % ("tmpfs cat / first", speed["tmpfs cat"] / speed["dbbackupfs"],
             speed["tmpfs cat"]))


if __name__ == "__main__":
    main()
