"""Reading a backup's bytes (issue 5): cat and cp stream them with ranged GETs.

The Huawei RDS emulator answers GET /v3/{project}/backup-files with download
links to a real nginx on loopback (tests/fakes/nginx.py), which serves
generated files of known sha256 with its own Range handling. RDS reports sizes
in KB, so the mount learns each exact size from the first answer. Links can
expire (nginx's secure_link: 403 once past), be slow (limit_rate) or be cut
short (tests/fakes/nginx.py's ShortBodyProxy).
"""
import errno
import hashlib
import json
import mmap
import os
import pathlib
import random
import shutil
import re
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (BINARY, PROBLEM, SANITIZER, SCENARIOS, errno_of, is_mounted,
                      run_with_options, wait_until)
from harness import Fake
from huawei_model import SK, huawei_profile
import nginx

MIB = 1 << 20
INSTANCE = "c0ffee00c0ffee00c0ffee00c0ffee00in01"
INSTANCE_NAME = "content-rds"
BACKUP_ACTION = "rds/ShowBackupDownloadLink"

# name: (bytes, how RDS rounds them to KB). RDS's rounding is not documented:
# both directions are exercised (up: the kernel is told too much; down: too
# little, and the first open must still read to the real end).
FILES = {
    "empty": (0, "down"),
    "one": (1, "up"),
    "mib1": (MIB + 1, "up"),
    "big": (300 * MIB, "down"),
    "mid": (20 * MIB + 12345, "down"),
    "exact": (5 * MIB, "down"),
}


def kb(size, rounding):
    return -(-size // 1024) if rounding == "up" else size // 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """nginx with the files, generated once for the module."""
    directory = tmp_path_factory.mktemp("nginx")
    srv = nginx.Nginx.start(directory)
    for name, (size, _) in FILES.items():
        srv.add_file(name + ".bin", size, seed=name)
    yield srv
    srv.stop()


@pytest.fixture
def short_proxy(server):
    # The range at byte 0 passes (the open learns the size from it); every
    # other is cut in half, however long: a reader that sees reads out of
    # order fetches ranges no longer than the first.
    proxy = nginx.ShortBodyProxy.start(server.port, keep=0.5, whole_from={0})
    yield proxy
    proxy.stop()


def backup(backup_id, name, size_kb, download=None, status="COMPLETED"):
    record = {"id": backup_id, "name": name, "instance_id": INSTANCE,
              "begin_time": "2024-06-01T08:10:00+0800", "end_time": "2024-06-01T08:14:47+0800",
              "status": status, "type": "manual", "size": size_kb,
              "datastore": {"type": "MySQL", "version": "8.0"}}
    if download is not None:
        record["download"] = download
    return record


def world(server, short_proxy=None, link_seconds=900, reported_link_seconds=None, rate=None,
          rated="mid"):
    """The demo scenario plus one RDS instance whose backups are the files."""
    with open(os.path.join(SCENARIOS, "huawei-demo.json")) as f:
        scenario = json.load(f)
    template = scenario["rds"]["instances"][0]
    instance = {key: value for key, value in template.items() if key != "backups"}
    instance.update({"id": INSTANCE, "name": INSTANCE_NAME})
    backups = []
    for index, (name, (size, rounding)) in enumerate(FILES.items()):
        download = {"file": name + ".bin"}
        if rate and name == rated:
            download["rate"] = rate
        backups.append(backup("%032xbr01" % (index + 1), "b-" + name, kb(size, rounding),
                              download))
    mid_kb = kb(*FILES["mid"])
    if short_proxy:
        backups.append(backup("%032xbr01" % 100, "b-short", mid_kb,
                              {"file": "mid.bin", "short_body": True}))
    backups.append(backup("%032xbr01" % 101, "b-two-files", 2 * mid_kb,
                          [{"file": "mid.bin"}, {"file": "mid.bin"}]))
    instance["backups"] = backups
    scenario["rds"]["instances"].append(instance)
    scenario["content"] = {"base_url": server.base, "secret": server.secret,
                           "link_seconds": link_seconds}
    if reported_link_seconds is not None:
        scenario["content"]["reported_link_seconds"] = reported_link_seconds
    if short_proxy:
        scenario["content"]["short_body_url"] = short_proxy.base
    return scenario


@pytest.fixture
def huawei(server, tmp_path):
    fake = Fake.start("huawei", world(server), str(tmp_path / "huawei"))
    yield fake
    fake.stop()


def mount(mount_factory, fake, kind="huawei-rds", name="hw", **extra):
    return mount_factory(huawei_profile(name, kind, fake, **extra), name=name, secrets=[SK])


def path_of(m, name, profile="hw"):
    return m.path(profile, INSTANCE_NAME, "b-" + name)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def profile_stats(m, profile="hw"):
    # Kept open a moment after reading: ASan checks a reply's buffer after
    # writev returns, and a close at once races that check with the release
    # that frees .stats' snapshot (stats_file.c).
    with open(m.path(".stats")) as f:
        stats = json.load(f)
        time.sleep(0.05)
    return stats["profiles"][profile]


# -- whole copies ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["empty", "one", "mib1", "big"])
def test_cp_gives_byte_identical_files(server, huawei, mount_factory, tmp_path, name):
    m = mount(mount_factory, huawei)
    before = profile_stats(m)
    mark = server.mark()
    target = str(tmp_path / "copy")
    subprocess.run(["cp", path_of(m, name), target], check=True)
    size = FILES[name][0]
    assert os.path.getsize(target) == size
    assert sha256_of(target) == server.digests[name + ".bin"]
    after = profile_stats(m)
    # Every byte fetched once, and .stats says so.
    assert server.body_bytes(since=mark) == size
    assert after["bytes_streamed"] - before["bytes_streamed"] == size
    assert after["ranges_requested"] - before["ranges_requested"] == len(
        [r for r in server.requests(since=mark) if r["range"] != "-"])
    if size > 64 * MIB:   # a big file in few requests, the window grew
        assert after["ranges_requested"] - before["ranges_requested"] < size / (4 * MIB)


def test_the_exact_size_replaces_the_rounded_one(server, huawei, mount_factory):
    m = mount(mount_factory, huawei)
    for name in ("one", "mid"):    # KB rounded up, rounded down
        path = path_of(m, name)
        assert os.stat(path).st_size == kb(*FILES[name]) * 1024
        with open(path, "rb") as f:
            f.read(1)
        wait_until(lambda: os.stat(path).st_size == FILES[name][0],
                   what="the exact size of " + name)


def test_random_offsets_return_the_right_bytes(server, huawei, mount_factory):
    m = mount(mount_factory, huawei)
    path = path_of(m, "big")
    size = FILES["big"][0]
    for block in (0, 1, 4097, size // 4096 - 1, 31337, 12):
        out = subprocess.run(["dd", "if=" + path, "bs=4096", "skip=%d" % block, "count=1",
                              "status=none"], check=True, stdout=subprocess.PIPE).stdout
        assert out == server.read("big.bin", block * 4096, 4096)
    rng = random.Random(5)
    with open(path, "rb", buffering=0) as f:
        for _ in range(60):
            offset = rng.randrange(0, size)
            length = rng.choice([1, 4096, 100000, 3 * MIB])
            assert os.pread(f.fileno(), length, offset) == server.read("big.bin", offset,
                                                                        length)
        assert os.pread(f.fileno(), 10, size) == b""
        assert os.pread(f.fileno(), 10, size - 3) == server.read("big.bin", size - 3, 3)


def test_a_4k_read_of_a_large_backup_fetches_little(server, huawei, mount_factory):
    m = mount(mount_factory, huawei)
    before = profile_stats(m)
    mark = server.mark()
    out = subprocess.run(["dd", "if=" + path_of(m, "big"), "bs=4096", "count=1",
                          "status=none"], check=True, stdout=subprocess.PIPE).stdout
    assert out == server.read("big.bin", 0, 4096)
    streamed = profile_stats(m)["bytes_streamed"] - before["bytes_streamed"]
    # Unmounting waits for ranges still in flight: any read-ahead the probe
    # started has reached nginx's log by then.
    m.unmount()
    fetched = server.body_bytes(since=mark)
    assert 4096 <= fetched <= 1.2 * MIB
    assert streamed == fetched


def test_a_1_mib_read_after_a_probe_costs_what_the_kernel_asks(server, huawei, mount_factory):
    # stdio reads st_blksize (1 MiB) at a time; for one such read(2) the
    # kernel asks for 2 MiB (its readahead window). After a probe, whose
    # pages stay cached, those 2 MiB begin past byte 0: they once looked
    # like a stream and started 2 MiB of read-ahead besides.
    m = mount(mount_factory, huawei)
    path = path_of(m, "big")
    before = profile_stats(m)["bytes_streamed"]
    mark = server.mark()
    with open(path, "rb", buffering=0) as f:
        assert f.read(16 * 1024) == server.read("big.bin", 0, 16 * 1024)
    assert profile_stats(m)["bytes_streamed"] - before == MIB    # the open's first range
    with open(path, "rb", buffering=0) as f:
        assert f.read(MIB) == server.read("big.bin", 0, MIB)
    # Unmounting waits for ranges in flight: all of them are in the log.
    m.unmount()
    assert MIB < server.body_bytes(since=mark) <= 3 * MIB


def test_a_backup_behind_https_is_read_when_its_ca_is_named(mount_factory, tmp_path):
    # Real download links are HTTPS: the reader's ranges go through TLS, and
    # a certificate nobody vouches for is refused with the way out.
    cert, key = nginx.self_signed_certificate(str(tmp_path))
    with nginx.Nginx.start(tmp_path / "tls", tls=(cert, key)) as secure:
        secure.add_file("mid.bin", FILES["mid"][0], seed="mid")
        fake = Fake.start("huawei", world(secure), str(tmp_path / "huawei"))
        try:
            m = mount(mount_factory, fake, ca_file=cert)
            assert sha256_of(path_of(m, "mid")) == secure.digests["mid.bin"]
            m.unmount()
            untrusting = mount_factory(huawei_profile("hw", "huawei-rds", fake),
                                       name="untrusting", secrets=[SK])
            untrusting.expect(r"b-mid.*certificate")
            assert errno_of(sha256_of, path_of(untrusting, "mid")) == errno.EIO
            assert "ca_file=" in untrusting.output()
        finally:
            fake.stop()


def most_at_once(requests):
    """The largest number of requests the server was answering at one time."""
    events = sorted([(r["started"], 1) for r in requests] + [(r["time"], -1) for r in requests])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_a_sequential_read_keeps_several_ranges_in_flight(server, mount_factory, tmp_path):
    # Every connection limited to 64 MiB/s, as an object store limits one:
    # only ranges in parallel make the read faster than one download.
    fake = Fake.start("huawei", world(server, rate=64 * MIB, rated="big"),
                      str(tmp_path / "huawei"))
    try:
        m = mount(mount_factory, fake)
        mark = server.mark()
        assert sha256_of(path_of(m, "big")) == server.digests["big.bin"]
        m.unmount()
        ranges = [r for r in server.requests(since=mark) if r["status"] == 206]
        assert sum(r["body_bytes"] for r in ranges) == FILES["big"][0]
        # Four ahead of the reader (CONTENT_INFLIGHT_MAX) once the stream is
        # sequential; a serial reader would show one.
        assert most_at_once(ranges) >= 4, ranges
    finally:
        fake.stop()


def test_a_second_cat_comes_from_the_page_cache(server, huawei, mount_factory):
    m = mount(mount_factory, huawei)
    path = path_of(m, "exact")
    assert sha256_of(path) == server.digests["exact.bin"]
    before = profile_stats(m)
    mark = server.mark()
    subprocess.run("cat '%s' > /dev/null" % path, shell=True, check=True)
    assert sha256_of(path) == server.digests["exact.bin"]
    assert server.body_bytes(since=mark) == 0
    assert profile_stats(m)["bytes_streamed"] == before["bytes_streamed"]


def test_a_backup_whose_size_was_rounded_is_cached_from_its_first_read(
        server, huawei, mount_factory):
    # RDS counts KB: nearly every real backup's size is learned at its first
    # open. That open must still fill the page cache for the next one.
    m = mount(mount_factory, huawei)
    path = path_of(m, "mid")
    assert os.stat(path).st_size != FILES["mid"][0]      # the listed, rounded size
    assert sha256_of(path) == server.digests["mid.bin"]
    assert os.stat(path).st_size == FILES["mid"][0]
    mark = server.mark()
    assert sha256_of(path) == server.digests["mid.bin"]
    assert server.body_bytes(since=mark) == 0


# -- the kernel's readahead (-o read_ahead_kb) ----------------------------------------

def bdi_read_ahead_kb(m):
    device = os.stat(m.root).st_dev
    with open("/sys/class/bdi/%d:%d/read_ahead_kb" % (os.major(device),
                                                      os.minor(device))) as f:
        return int(f.read())


def kernel_read_sizes(m):
    """The bytes of each READ the kernel sent, from libfuse's debug log: a
    request line names the opcode, its reply line the size (16 + data)."""
    output = m.output()
    reads = set(re.findall(r"unique: (\d+), opcode: READ ", output))
    return [int(size) - 16 for unique, size in
            re.findall(r"unique: (\d+), success, outsize: (\d+)", output) if unique in reads]


def read_in_small_blocks(m, name, mib):
    # dd asks for 128 KiB at a time: any larger READ is the kernel's readahead.
    subprocess.run(["dd", "if=" + path_of(m, name), "of=/dev/null", "bs=128k",
                    "count=%d" % (8 * mib), "status=none"], check=True)


def test_a_sequential_reader_gets_reads_of_1_mib(server, huawei, mount_factory):
    m = mount_factory(huawei_profile("hw", "huawei-rds", huawei), name="with space",
                      secrets=[SK], options=["-o", "debug"])
    # Found under a mount point that mountinfo escapes (\040).
    assert bdi_read_ahead_kb(m) == 1024
    read_in_small_blocks(m, "big", 16)
    sizes = kernel_read_sizes(m)
    assert sum(sizes) >= 16 * MIB
    assert max(sizes) == MIB
    assert sizes.count(MIB) >= 8


@pytest.mark.parametrize("option, expected_kb, largest", [("0", 128, 128 << 10),
                                                          ("256", 256, 256 << 10)])
def test_read_ahead_kb_sets_the_kernels_window(server, huawei, mount_factory, option,
                                               expected_kb, largest):
    # 0 leaves the kernel's own default (128 KiB on every Linux since 2.6).
    m = mount_factory(huawei_profile("hw", "huawei-rds", huawei), name="hw", secrets=[SK],
                      options=["-o", "debug,read_ahead_kb=" + option])
    assert bdi_read_ahead_kb(m) == expected_kb
    read_in_small_blocks(m, "big", 16)
    assert max(kernel_read_sizes(m)) == largest


def test_a_mount_by_another_user_keeps_the_kernels_readahead(huawei, tmp_path):
    # Only root may write read_ahead_kb: a user's mount works, with one line.
    nobody = 65534
    # Outside pytest's tmp_path, which only root may enter.
    shared = pathlib.Path(tempfile.mkdtemp(prefix="dbbackupfs-user-"))
    os.chmod(shared, 0o755)
    home = shared / "nobody"
    mountpoint = home / "mnt"
    mountpoint.mkdir(parents=True)
    config = home / "dbbackupfs.conf"
    config.write_text(huawei_profile("hw", "huawei-rds", huawei))
    for path in (home, mountpoint, config):
        os.chown(path, nobody, nobody)
    os.chmod(config, 0o600)
    log_path = tmp_path / "daemon.log"
    # Debian's udev rule makes /dev/fuse 0666; this machine's is 0600.
    device_mode = os.stat("/dev/fuse").st_mode & 0o777
    os.chmod("/dev/fuse", 0o666)
    with open(log_path, "w") as log:
        daemon = subprocess.Popen(
            ["setpriv", "--reuid=%d" % nobody, "--regid=%d" % nobody, "--clear-groups",
             BINARY, "-f", "-o", "config=%s" % config, str(mountpoint)],
            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, HOME=str(home)))
    try:
        wait_until(lambda: daemon.poll() is not None or is_mounted(str(mountpoint)),
                   what="the user's mount")
        assert daemon.poll() is None, log_path.read_text()
        # Without allow_other only its user may enter it, root included.
        with open("/proc/self/mountinfo") as f:
            device = [line.split()[2] for line in f if line.split()[4] == str(mountpoint)]
        with open("/sys/class/bdi/%s/read_ahead_kb" % device[-1]) as f:
            assert int(f.read()) == 128
        listing = subprocess.run(["setpriv", "--reuid=%d" % nobody, "--regid=%d" % nobody,
                                  "--clear-groups", "ls", str(mountpoint / "hw")],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
        assert INSTANCE_NAME in listing.split()
    finally:
        os.chmod("/dev/fuse", device_mode)
        if is_mounted(str(mountpoint)):
            subprocess.run(["fusermount3", "-u", str(mountpoint)], check=False)
        daemon.wait(timeout=30)
        if not is_mounted(str(mountpoint)):
            shutil.rmtree(shared)
    output = log_path.read_text()
    assert output.count("kernel readahead left at its default") == 1, output
    assert "Permission denied" in output
    assert not PROBLEM.search(output) and not SANITIZER.search(output), output


def test_read_ahead_kb_beyond_its_limit_is_refused(tmp_path):
    result = run_with_options(tmp_path, "read_ahead_kb=65537")
    assert result.returncode != 0
    assert "read_ahead_kb: at most 65536" in result.stderr


@pytest.mark.parametrize("name", ["mid", "one", "exact"])
def test_mmap_reads_the_bytes(server, huawei, mount_factory, name):
    # Some tools map a file instead of reading it, on its first open too.
    m = mount(mount_factory, huawei)
    with open(path_of(m, name), "rb") as f:
        with mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mapped:
            assert len(mapped) == FILES[name][0]
            assert hashlib.sha256(mapped[:]).hexdigest() == server.digests[name + ".bin"]


def test_many_readers_at_once(server, huawei, mount_factory):
    m = mount(mount_factory, huawei)
    failures = []

    def reader(name, seed, shared=None):
        rng = random.Random(seed)
        size = FILES[name][0]
        try:
            f = shared or open(path_of(m, name), "rb", buffering=0)
            for _ in range(25):
                offset = rng.randrange(0, size)
                length = rng.choice([4096, 65536, MIB])
                if os.pread(f.fileno(), length, offset) != server.read(
                        name + ".bin", offset, length):
                    failures.append((name, offset, length))
            if not shared:
                f.close()
        except OSError as e:
            failures.append(e)

    shared = open(path_of(m, "mid"), "rb", buffering=0)
    threads = [threading.Thread(target=reader, args=("mid", i, shared)) for i in range(4)]
    threads += [threading.Thread(target=reader, args=(name, i))
                for i, name in enumerate(["big", "big", "mid", "mib1"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shared.close()
    assert not failures


# -- links that expire, servers that fail --------------------------------------------------

# "honest": link_expired_time tells the truth, and the mount asks for a new
# link before it uses one that expires within 10 s; "lying": it claims an hour
# while nginx refuses the link after 2 s, so a 403 is what tells.
@pytest.mark.parametrize("reported,link_seconds,reported_seconds",
                         [("honest", 12, None), ("lying", 2, 3600)])
def test_a_link_that_expires_mid_read_is_fetched_again(server, mount_factory, tmp_path,
                                                      reported, link_seconds,
                                                      reported_seconds):
    fake = Fake.start("huawei", world(server, link_seconds=link_seconds,
                                      reported_link_seconds=reported_seconds),
                      str(tmp_path / "huawei"))
    try:
        m = mount(mount_factory, fake)
        mark = server.mark()
        target = str(tmp_path / "copy")
        started = time.monotonic()
        # Slower than the link lives: ranges start after it expired.
        with open(path_of(m, "big"), "rb") as source, open(target, "wb") as copy:
            for block in iter(lambda: source.read(MIB), b""):
                copy.write(block)
                if time.monotonic() - started < 3:
                    time.sleep(0.02)
        assert time.monotonic() - started > 3
        assert sha256_of(target) == server.digests["big.bin"]
        assert fake.counters()["by_action"].get(BACKUP_ACTION, 0) >= 2
        refused = [r for r in server.requests(since=mark) if r["status"] == 403]
        assert bool(refused) == (reported == "lying")
        assert "the download link" in m.output()
    finally:
        fake.stop()


def test_a_body_cut_short_is_eio_never_a_short_file(server, short_proxy, mount_factory,
                                                     tmp_path):
    fake = Fake.start("huawei", world(server, short_proxy), str(tmp_path / "huawei"))
    try:
        m = mount(mount_factory, fake, retries=1)
        m.expect(r"read .*b-short")
        path = path_of(m, "short")
        result = subprocess.run(["cp", path, str(tmp_path / "copy")],
                                stderr=subprocess.PIPE, text=True, timeout=90)
        assert result.returncode != 0
        assert "Input/output error" in result.stderr
        got = 0
        with open(path, "rb", buffering=0) as f:
            with pytest.raises(OSError) as failure:
                while f.read(MIB):
                    got += MIB
        assert failure.value.errno == errno.EIO
        assert got < FILES["mid"][0]
        assert short_proxy.served >= 1
    finally:
        fake.stop()


def test_a_read_whose_failed_part_another_read_passes_over_ends_in_eio(
        server, short_proxy, mount_factory, tmp_path):
    # Direct reads, so that each pread is one read of the daemon's. A read
    # around a range in memory fetches the two ranges beside it itself, one
    # after the other; while it fetches the second, another read plans (it
    # frees failed parts). That read once freed the first range, failed
    # already, and the first read then waited for ever.
    fake = Fake.start("huawei", world(server, short_proxy), str(tmp_path / "huawei"))
    outcome = []

    def direct_read(fd, size, offset):
        # An aligned buffer: the kernel sends an unaligned one as two reads.
        buffer = mmap.mmap(-1, size)
        try:
            return buffer[:os.preadv(fd, [buffer], offset)]
        finally:
            buffer.close()

    try:
        m = mount(mount_factory, fake, retries=0)
        m.expect(r"read .*b-short")
        fd = os.open(path_of(m, "short"), os.O_RDONLY | os.O_DIRECT)
        try:
            # A first read past the open's range fails; the next, near it,
            # is fetched as asked (128 KiB) and passes whole.
            assert errno_of(direct_read, fd, MIB, 4 * MIB) == errno.EIO
            short_proxy.whole_from.add(5 * MIB + 256 * 1024)
            assert direct_read(fd, 128 * 1024, 5 * MIB + 256 * 1024) == \
                server.read("mid.bin", 5 * MIB + 256 * 1024, 128 * 1024)

            def around():
                outcome.append(errno_of(direct_read, fd, MIB, 5 * MIB))

            short_proxy.hold_after(1)
            reader = threading.Thread(target=around, daemon=True)
            reader.start()
            assert short_proxy.wait_held(1)
            assert short_proxy.ranges[3:] == ["5242880-5505023", "5636096-6684671"]
            # From memory (the open's range): it plans, and waits on no
            # request.
            assert direct_read(fd, 4096, 0) == server.read("mid.bin", 0, 4096)
            short_proxy.release()
            reader.join(timeout=60)
            assert not reader.is_alive(), "the read never ended"
        finally:
            short_proxy.release()
            os.close(fd)
        assert outcome == [errno.EIO]
    finally:
        fake.stop()


# -- backups that cannot be read -------------------------------------------------------------

def test_taurusdb_backups_are_enodata_with_one_log_line(huawei, mount_factory):
    m = mount(mount_factory, huawei, kind="huawei-taurusdb", name="taurus")
    m.expect(r"open .*offers no way to read")
    directory = m.path("taurus", "taurus-orders")
    name = sorted(n for n in os.listdir(directory) if not n.startswith("."))[0]
    assert errno_of(open, os.path.join(directory, name), "rb") == errno.ENODATA
    assert errno_of(open, os.path.join(directory, name), "rb") == errno.ENODATA
    lines = [line for line in m.output().splitlines() if "offers no way to read" in line]
    assert len(lines) == 1
    assert "TaurusDB" in lines[0]


def test_a_backup_of_several_files_is_not_served_as_one(server, huawei, mount_factory):
    m = mount(mount_factory, huawei)
    m.expect(r"open .*b-two-files")
    assert errno_of(open, path_of(m, "two-files"), "rb") == errno.ENODATA
    assert "2 files" in m.output()


# -- shutting down -------------------------------------------------------------------------

def test_unmount_while_reads_are_in_flight(server, mount_factory, tmp_path):
    fake = Fake.start("huawei", world(server, rate=MIB), str(tmp_path / "huawei"))
    try:
        m = mount(mount_factory, fake)
        path = path_of(m, "mid")
        mark = server.mark()
        reader = subprocess.Popen(["cat", path], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        # The access log shows a request once it is done: the open's first
        # range; the reads' ranges are in flight then.
        wait_until(lambda: len(server.requests(since=mark)) >= 1 or reader.poll() is not None,
                   what="the first range")
        time.sleep(0.5)   # prefetches under way: the point of the test
        reader.send_signal(signal.SIGKILL)
        reader.wait()
        m.unmount()
        assert m.returncode == 0
    finally:
        fake.stop()
