#!/usr/bin/env python3
"""Fault soak (issue 8, item 1).

Every emulator in one scenario, faults on for every request type (about one
request in five: 500 and 503, 429 with and without Retry-After, a stall past
the timeout, a truncated body, a malformed body, a connection reset after the
request was sent), while parallel workers run find, ls -l, getfattr -d, cat
of readable backups (checked by sha256), mkdir and export writes.

Checks, at the end:
  - the daemon is alive and answering;
  - every successful read was byte-identical;
  - every failed call returned an errno of DESIGN section 4's table;
  - the emulators recorded at most one create or export request per mkdir
    or control-file write that the workers issued;
  - no emulator saw a request rate above max_rps (token bucket: at most
    2 * max_rps in any one-second window);
  - resident memory stable between the second and the last round (within
    memory_slack_kib), on a build without sanitizers: ASan's quarantine and
    ThreadSanitizer's shadow grow with the work done, leak or not (8 rounds:
    +9 MiB under ASan, +18 MiB under TSan, +3.6 MiB without either).

Run by hand for minutes:   tests/soak/soak.py --minutes 10
CI runs a fixed number of rounds through tests/integration/test_soak.py.
"""
import argparse
import errno
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
sys.path.insert(0, HERE)

from harness import Fake  # noqa: E402
import soak_providers  # noqa: E402

ALLOWED_ERRNOS = {errno.EINVAL, errno.EEXIST, errno.ENOENT, errno.EBUSY, errno.EACCES,
                  errno.EAGAIN, errno.ETIMEDOUT, errno.EIO, errno.ENODATA, errno.EPERM}
MAX_RPS = 20
# Coprime periods: the kinds rarely coincide, and together they hit about
# one request in five.
FAULT_RULES = [
    {"kind": "status", "status": 500, "every": 23},
    {"kind": "status", "status": 503, "every": 29},
    {"kind": "status", "status": 429, "retry_after": "1", "every": 31},
    {"kind": "status", "status": 429, "every": 37},
    {"kind": "stall", "seconds": 3, "every": 41},
    {"kind": "truncate", "every": 43},
    {"kind": "malformed", "every": 47},
    {"kind": "reset", "every": 53},
]


def mounted(path):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.05)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Soak:
    def __init__(self, binary, workdir, workers, seed):
        self.binary = binary
        self.workdir = workdir
        self.workers = workers
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.operations = 0
        self.failures = {}          # errno name -> count
        self.bad_errnos = []        # (operation, path, errno)
        self.bad_reads = []         # paths whose bytes differed
        self.good_reads = 0
        self.actions = {}           # (provider, "mkdir"|"export") -> issued
        self.providers = []
        self.fakes = []

    # ---- set-up ----------------------------------------------------------

    def start(self):
        sections = []
        for provider in soak_providers.available(ROOT):
            fake = provider.start(self.workdir)
            self.providers.append(provider)
            self.fakes.append(fake)
            sections.append(provider.config(fake, MAX_RPS))
        self.mnt = os.path.join(self.workdir, "mnt")
        os.makedirs(self.mnt, exist_ok=True)
        config = os.path.join(self.workdir, "soak.conf")
        with open(config, "w") as f:
            f.write("\n".join(sections))
        os.chmod(config, 0o600)
        self.log_path = os.path.join(self.workdir, "daemon.log")
        self.log = open(self.log_path, "w")
        self.daemon = subprocess.Popen([self.binary, "-f", "-o", "config=" + config, self.mnt],
                                       stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: mounted(self.mnt) or self.daemon.poll() is not None, "the mount")
        if self.daemon.poll() is not None:
            raise RuntimeError("dbbackupfs exited: " + open(self.log_path).read())

    def faults_on(self):
        for fake in self.fakes:
            fake.faults([dict(rule, action="*") for rule in FAULT_RULES])

    def faults_off(self):
        for fake in self.fakes:
            fake.clear_faults()

    def stop(self):
        if mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", self.mnt])
        try:
            self.daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
        self.log.close()
        for fake in self.fakes:
            fake.stop()
        for provider in self.providers:
            if hasattr(provider, "stop"):
                provider.stop()

    # ---- the workers' operations ------------------------------------------

    def record(self, operation, path, error):
        with self.lock:
            self.operations += 1
            if error is None:
                return
            name = errno.errorcode.get(error, str(error))
            self.failures[name] = self.failures.get(name, 0) + 1
            if error not in ALLOWED_ERRNOS:
                self.bad_errnos.append((operation, path, name))

    def attempt(self, operation, path, function):
        try:
            result = function()
        except OSError as e:
            self.record(operation, path, e.errno)
            return None
        self.record(operation, path, None)
        return result

    def backups(self, rng):
        """A random backup file, or None."""
        try:
            profile = rng.choice(os.listdir(self.mnt))
            if profile == ".stats":
                return None
            instance = rng.choice(os.listdir(os.path.join(self.mnt, profile)))
            names = [n for n in os.listdir(os.path.join(self.mnt, profile, instance))
                     if n != ".export"]
            return os.path.join(self.mnt, profile, instance, rng.choice(names)) if names else None
        except (OSError, IndexError) as e:
            self.record("browse", self.mnt, getattr(e, "errno", None))
            return None

    def op_find(self, rng):
        self.attempt("find", self.mnt, lambda: [None for _ in os.walk(self.mnt)])

    def op_ls(self, rng):
        backup = self.backups(rng)
        if backup:
            directory = os.path.dirname(backup)
            self.attempt("ls -l", directory,
                         lambda: [os.lstat(os.path.join(directory, n)) for n in os.listdir(directory)])

    def op_getfattr(self, rng):
        backup = self.backups(rng)
        if backup:
            self.attempt("getfattr", backup,
                         lambda: {n: os.getxattr(backup, n) for n in os.listxattr(backup)})

    def readable(self):
        return [path for provider in self.providers if hasattr(provider, "readable_files")
                for path in provider.readable_files(self.mnt)]

    def op_cat(self, rng):
        candidates = self.readable()
        backup = rng.choice(candidates) if candidates else self.backups(rng)
        if not backup:
            return
        provider = self.provider_of(backup)
        expected = provider.expected_sha256(backup) if provider else None
        if expected is None:
            return
        data = self.attempt("cat", backup, lambda: open(backup, "rb").read())
        if data is None:
            return
        with self.lock:
            if hashlib.sha256(data).hexdigest() == expected:
                self.good_reads += 1
            else:
                self.bad_reads.append(backup)

    def op_mkdir(self, rng):
        backup = self.backups(rng)
        if not backup:
            return
        provider = self.provider_of(backup)
        name = "soak-%08x" % rng.getrandbits(32)
        path = os.path.join(os.path.dirname(backup), name)
        with self.lock:
            key = (provider.name if provider else "?", "mkdir")
            self.actions[key] = self.actions.get(key, 0) + 1
        self.attempt("mkdir", path, lambda: os.mkdir(path))

    def op_export(self, rng):
        backup = self.backups(rng)
        if not backup:
            return
        control = os.path.join(os.path.dirname(backup), ".export", os.path.basename(backup))
        provider = self.provider_of(backup)
        if not provider or not os.path.exists(os.path.dirname(control)):
            return
        with self.lock:
            key = (provider.name, "export")
            self.actions[key] = self.actions.get(key, 0) + 1

        def write():
            fd = os.open(control, os.O_WRONLY | os.O_TRUNC)
            try:
                os.write(fd, (provider.bucket(rng) + "\n").encode())
            finally:
                os.close(fd)
        self.attempt("export", control, write)

    def provider_of(self, path):
        profile = os.path.relpath(path, self.mnt).split(os.sep)[0]
        for provider in self.providers:
            if provider.owns(profile):
                return provider
        return None

    OPERATIONS = [("find", 1), ("ls", 4), ("getfattr", 4), ("cat", 6), ("mkdir", 1),
                  ("export", 1)]

    def worker(self, seed, stop):
        rng = random.Random(seed)
        choices = [name for name, weight in self.OPERATIONS for _ in range(weight)]
        while not stop():
            getattr(self, "op_" + rng.choice(choices))(rng)

    def round(self, stop):
        threads = [threading.Thread(target=self.worker, args=(self.random.getrandbits(32), stop))
                   for _ in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # ---- checks ----------------------------------------------------------

    def rate_violations(self):
        found = []
        for fake in self.fakes:
            times = sorted(r["time"] for r in fake.requests())
            start = 0
            for end, moment in enumerate(times):
                while moment - times[start] >= 1.0:
                    start += 1
                if end - start + 1 > 2 * MAX_RPS:
                    found.append((fake.url, moment, end - start + 1))
                    break
        return found

    def duplicate_actions(self):
        found = []
        for provider, fake in zip(self.providers, self.fakes):
            for action in ("mkdir", "export"):
                issued = self.actions.get((provider.name, action), 0)
                recorded = provider.recorded(fake, action)
                if recorded > issued:
                    found.append((provider.name, action, issued, recorded))
        return found


# How much resident memory may grow from the second round to the last.
MEMORY_SLACK_KIB = 8 * 1024


def run(binary, rounds=None, minutes=None, round_seconds=20, workers=8, seed=1,
        workdir=None, memory_slack_kib=MEMORY_SLACK_KIB):
    """Runs the soak; returns (report lines, problems). memory_slack_kib=None
    leaves out the memory check (for sanitizer builds)."""
    workdir = workdir or tempfile.mkdtemp(prefix="dbb-soak-")
    soak = Soak(binary, workdir, workers, seed)
    problems, report = [], []
    soak.start()
    try:
        soak.faults_on()
        deadline = time.monotonic() + minutes * 60 if minutes else None
        memory = []
        done = 0
        while (rounds is None or done < rounds) and (deadline is None or time.monotonic() < deadline):
            end = time.monotonic() + round_seconds
            soak.round(lambda: time.monotonic() > end)
            done += 1
            memory.append(rss_kib(soak.daemon.pid))
            if soak.daemon.poll() is not None:
                problems.append("the daemon died in round %d" % done)
                break
        soak.faults_off()
        if soak.daemon.poll() is None:
            try:
                os.listdir(soak.mnt)
            except OSError as e:
                problems.append("the mount does not answer after the soak: %s" % e)
        injected = {}
        for fake in soak.fakes:
            for kind, count in fake.counters()["faults"].items():
                injected[kind] = injected.get(kind, 0) + count
        report += ["rounds: %d x %d s, %d workers" % (done, round_seconds, workers),
                   "operations: %d (failed: %s)" % (soak.operations, soak.failures),
                   "reads checked by sha256: %d" % soak.good_reads,
                   "faults injected: %s" % injected,
                   "mkdir/export issued: %s" % soak.actions,
                   "RSS per round (KiB): %s" % memory]
        problems += ["unexpected errno %s from %s %s" % (e, o, p) for o, p, e in soak.bad_errnos]
        problems += ["bytes differ: %s" % p for p in soak.bad_reads]
        problems += ["%s %s: %d issued, %d requests recorded" % d
                     for d in soak.duplicate_actions()]
        problems += ["rate above max_rps at %s: %d requests in one second" % (u, n)
                     for u, m, n in soak.rate_violations()]
        if memory_slack_kib is not None and len(memory) >= 3 and \
                memory[-1] > memory[1] + memory_slack_kib:
            problems.append("memory grew from %d to %d KiB" % (memory[1], memory[-1]))
    finally:
        soak.stop()
    output = open(soak.log_path, errors="replace").read()
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"):
        if marker in output:
            problems.append("sanitizer report in the daemon's output (%s)" % soak.log_path)
    if soak.daemon.returncode not in (0, None):
        problems.append("the daemon exited with status %s" % soak.daemon.returncode)
    return report, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "dbbackupfs"))
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--round-seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-memory-check", action="store_true",
                        help="for a sanitizer build, whose RSS grows with the work done")
    args = parser.parse_args()
    report, problems = run(args.binary, minutes=args.minutes, round_seconds=args.round_seconds,
                           workers=args.workers, seed=args.seed,
                           memory_slack_kib=None if args.no_memory_check else MEMORY_SLACK_KIB)
    print("\n".join(report))
    print("\n".join(problems) if problems else "no problems found")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
