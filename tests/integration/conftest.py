"""Fixtures for integration tests: the real dbbackupfs binary mounted in a
temporary directory against the emulators of tests/fakes.

Every mount is unmounted in a finalizer, even when the test fails. At
unmount, the daemon's output is checked: a warning or error line the test
did not announce with Mount.expect(), a sanitizer report, or any known
secret fails the test.
"""
import errno
import os
import re
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))

from harness import Fake  # noqa: E402
import s3_gateway  # noqa: E402

BINARY = os.environ.get("DBB_BINARY", os.path.join(ROOT, "build", "dbbackupfs"))
# The same daemon without sanitizers, for what a sanitizer's allocator hides:
# resident memory (scripts/test.sh builds it).
RELEASE_BINARY = os.environ.get("DBB_RELEASE_BINARY",
                                os.path.join(ROOT, "build-release", "dbbackupfs"))
SCENARIOS = os.path.join(ROOT, "tests", "fakes", "scenarios")

ACCESS_KEY = "AKEXAMPLE0000000000"
SECRET_KEY = "SKEXAMPLE00000000000000000000000000000000"

# Lines that always mean trouble in the daemon's output.
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|"
                       r"UndefinedBehaviorSanitizer|ThreadSanitizer")
PROBLEM = re.compile(r"\b(WARN|ERROR)\b")
# A base64 HMAC-SHA256 (44 chars ending in '='): signatures never appear.
SIGNATURE_LIKE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=")


def pytest_configure(config):
    config.addinivalue_line("markers", "install: builds, installs and mounts the Debian "
                            "package (root, slow)")


def wait_until(predicate, timeout=20.0, what="condition"):
    """Waits for a condition (not a fixed time); fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def is_mounted(path):
    # /proc/self/mounts writes space, tab, newline and backslash as \ooo.
    def unescape(field):
        return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)
    with open("/proc/self/mounts") as mounts:
        return any(unescape(line.split()[1]) == path for line in mounts)


class Mount:
    """A running dbbackupfs mount."""

    def __init__(self, tmp_path, config_text, options=(), secrets=()):
        self.root = str(tmp_path / "mnt")
        os.makedirs(self.root, exist_ok=True)
        self.config = str(tmp_path / "dbbackupfs.conf")
        with open(self.config, "w") as f:
            f.write(config_text)
        os.chmod(self.config, 0o600)
        self.log_path = str(tmp_path / "daemon.log")
        self.expected = []
        self.secrets = [SECRET_KEY] + list(secrets)
        self.process = None
        self.options = list(options)

    def start(self):
        log = open(self.log_path, "w")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=0")
        argv = [BINARY, "-f", "-o", "config=" + self.config] + self.options + [self.root]
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

        def ready():
            if self.process.poll() is not None:
                raise AssertionError("dbbackupfs exited with %s:\n%s"
                                     % (self.process.returncode, self.output()))
            return is_mounted(self.root)
        wait_until(ready, what="the mount")
        return self

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def expect(self, pattern):
        """Announces a warning the test provokes on purpose (a regex)."""
        self.expected.append(re.compile(pattern))

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stats(self):
        import json
        with open(self.path(".stats")) as f:
            return json.load(f)

    def signal(self, number):
        self.process.send_signal(number)

    def unmount(self):
        if self.process is None:
            return
        if is_mounted(self.root):
            subprocess.run(["fusermount3", "-u", self.root], check=False)
            if is_mounted(self.root):
                subprocess.run(["fusermount3", "-uz", self.root], check=False)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("dbbackupfs did not exit after unmount")
        finally:
            self.returncode = self.process.returncode
            self.process = None

    def problems(self):
        """Lines of the daemon's output that fail the test."""
        found = []
        for line in self.output().splitlines():
            if SANITIZER.search(line):
                found.append(line)
            elif PROBLEM.search(line) and not any(p.search(line) for p in self.expected):
                found.append(line)
            if any(s and s in line for s in self.secrets) or SIGNATURE_LIKE.search(line):
                found.append("SECRET LEAK: " + line)
        return found


@pytest.fixture
def mount_factory(tmp_path):
    """mount_factory(config_text, options=(), name="m") -> started Mount."""
    mounts = []

    def make(config_text, options=(), name="m", secrets=()):
        directory = tmp_path / name
        directory.mkdir()
        m = Mount(directory, config_text, options, secrets)
        mounts.append(m)
        return m.start()

    yield make
    problems = []
    for m in mounts:
        try:
            m.unmount()
        finally:
            problems += m.problems()
    assert not problems, "unexpected daemon output:\n" + "\n".join(problems)


@pytest.fixture
def ncloud(tmp_path):
    """The NAVER emulator with the demo scenario."""
    fake = Fake.start("ncloud", os.path.join(SCENARIOS, "ncloud-demo.json"),
                      str(tmp_path / "ncloud"))
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def s3rver_installed():
    s3_gateway.ensure_installed()


def start_s3(tmp_path, secret=SECRET_KEY, objects=()):
    """NAVER Object Storage: s3rver behind the SigV4-verifying gateway,
    with one account (ACCESS_KEY and `secret`)."""
    scenario = {"accounts": [{"access_key": ACCESS_KEY, "secret_key": secret}],
                "objects": list(objects)}
    return Fake.start(os.path.join(ROOT, "tests", "fakes", "s3_gateway.py"), scenario,
                      str(tmp_path / "s3"))


@pytest.fixture
def s3(s3rver_installed, tmp_path):
    fake = start_s3(tmp_path)
    yield fake
    fake.stop()


def ncloud_profile(name, kind, fake, **extra):
    """A config section for a NAVER profile against the emulator."""
    lines = ["[%s]" % name, "type = %s" % kind, "endpoint = %s" % fake.url,
             "access_key = %s" % ACCESS_KEY]
    extra.setdefault("secret_key", SECRET_KEY)
    for key, value in extra.items():
        lines.append("%s = %s" % (key, value))
    return "\n".join(lines) + "\n"


def naver_profile(name, kind, fake, s3, **extra):
    """The same, reading exported backups from the Object Storage `s3`."""
    return ncloud_profile(name, kind, fake, object_storage_endpoint=s3.url, **extra)


def run_with_options(tmp_path, options):
    """Runs the daemon in the foreground on an empty configuration with
    `options` (-o), for an option it must refuse before mounting."""
    config = tmp_path / "dbbackupfs.conf"
    config.write_text("")
    return subprocess.run([BINARY, "-f", "-o", "config=%s,%s" % (config, options),
                           str(tmp_path)], capture_output=True, text=True, timeout=30)


def errno_of(function, *args):
    """The errno an OS call fails with, or None when it succeeds."""
    try:
        function(*args)
    except OSError as e:
        return e.errno
    return None


__all__ = ["Mount", "ncloud_profile", "errno_of", "wait_until", "errno", "signal",
           "ACCESS_KEY", "SECRET_KEY"]
