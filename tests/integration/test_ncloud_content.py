"""NAVER backups readable after export (issue 7).

Object Storage here is a real S3 server, s3rver (tests/fakes/s3), behind
tests/fakes/s3_gateway.py, which verifies every request's Signature Version 4
with the profile's key pair as S3 does. The NAVER emulator, once an export is
done, writes the backup's bytes (deterministic: s3_gateway.content_bytes) into
the bucket under the folder the export named. The mount finds the object with
ListObjectsV2 and streams it with signed ranged GETs.
"""
import errno
import json
import os
import subprocess

import pytest

from conftest import (BINARY, SCENARIOS, errno_of, naver_profile, start_s3,
                      wait_until)
from harness import Fake
from helpers import NAVER_KINDS
import s3_gateway

KINDS = ["ncloud-postgresql", "ncloud-mysql-vpc", "ncloud-mysql"]
EXPORT = "exportBackupToObjectStorage"
# Several ranges of the content reader, and no round number.
CONTENT_SIZE = 3 * 1024 * 1024 + 12345
WRONG_SECRET = "SKWRONG0000000000000000000000000000000000"


def start_naver(tmp_path, s3, export_duration_seconds=0, **object_storage):
    with open(os.path.join(SCENARIOS, "ncloud-demo.json")) as f:
        scenario = json.load(f)
    scenario["export_duration_seconds"] = export_duration_seconds
    scenario["object_storage"] = dict({"gateway": s3.url, "content_size": CONTENT_SIZE},
                                      **object_storage)
    return Fake.start("ncloud", scenario, str(tmp_path / "ncloud"))


@pytest.fixture
def naver(s3, tmp_path):
    fake = start_naver(tmp_path, s3)
    yield fake
    fake.stop()


def profile(naver, s3, kind="ncloud-postgresql", **extra):
    return naver_profile("p", kind, naver, s3, **extra)


def first_instance_with_backups(naver, kind):
    section, number_field, name_field = NAVER_KINDS[kind][:3]
    for instance in naver.state()[section]["instances"]:
        if instance.get("backups"):
            return section, instance[number_field], instance[name_field], instance["backups"]
    raise AssertionError("no instance with backups")


def export(m, instance_name, backup, bucket):
    control = m.path("p", instance_name, ".export", backup)
    fd = os.open(control, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, (bucket + "\n").encode())
    finally:
        os.close(fd)


def expected_bytes(section, instance_no, file_name, size=CONTENT_SIZE):
    return s3_gateway.content_bytes(s3_gateway.backup_seed(section, instance_no, file_name),
                                    size)


def copy_of(path, tmp_path):
    target = tmp_path / "copy"
    subprocess.run(["cp", path, str(target)], check=True)
    return target.read_bytes()


def readable(path):
    return os.getxattr(path, "user.backup.readable").decode()


def s3_calls(s3, operation):
    return s3.counters()["by_action"].get(operation, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_export_then_cp_is_byte_identical(naver, s3, mount_factory, tmp_path, kind):
    m = mount_factory(profile(naver, s3, kind, cache_ttl="1s"))
    section, number, name, backups = first_instance_with_backups(naver, kind)
    backup = backups[0]["fileName"]
    path = m.path("p", name, backup)
    assert os.stat(path).st_size == CONTENT_SIZE
    assert readable(path) == "after-export"

    export(m, name, backup, "dbbackupfs-test")
    # The object is where the export asked NAVER to put it (classic: no folder).
    folder = "" if kind == "ncloud-mysql" else "dbbackupfs/%s/" % name
    assert {"bucket": "dbbackupfs-test", "key": folder + backup,
            "size": CONTENT_SIZE} in s3.control("GET", "objects")["objects"]

    assert copy_of(path, tmp_path) == expected_bytes(section, number, backup)
    assert s3_calls(s3, "ListObjectsV2") >= 1 and s3_calls(s3, "GetObject") >= 2
    # Every request was signed well enough for the gateway.
    assert set(s3.counters()["by_status"]) <= {"200", "206"}
    # Once found, the listing says so (no request per backup to know it).
    wait_until(lambda: readable(path) == "yes", timeout=15, what="readable: yes")
    assert readable(m.path("p", name, backups[1]["fileName"])) == "after-export"


def test_while_the_export_runs_open_is_enodata_saying_so(s3, tmp_path, mount_factory):
    naver = start_naver(tmp_path, s3, export_duration_seconds=600)
    try:
        m = mount_factory(profile(naver, s3))
        m.expect(r"open /p/pg-orders/20240601 profile=p errno=ENODATA .*still being exported")
        path = m.path("p", "pg-orders", "20240601")
        export(m, "pg-orders", "20240601", "pg-backup")
        assert naver.exports()[0]["state"] == "running"

        assert errno_of(open, path, "rb") == errno.ENODATA
        line = [l for l in m.output().splitlines() if "errno=ENODATA" in l][-1]
        assert "pg-backup/dbbackupfs/pg-orders/" in line
        assert "remedy=" in line
        assert readable(path) == "after-export"
        assert s3_calls(s3, "ListObjectsV2") == 1 and s3_calls(s3, "GetObject") == 0

        naver.tick(600)
        assert naver.exports()[0]["state"] == "done"
        assert copy_of(path, tmp_path) == expected_bytes("postgresql", "23110701", "20240601")
    finally:
        naver.stop()


def test_wrong_secret_is_eacces_from_the_object_store(s3rver_installed, tmp_path,
                                                      mount_factory):
    # The API takes the profile's key pair; Object Storage knows another secret for
    # the same key, so only its answers can say EACCES.
    s3 = start_s3(tmp_path, secret=WRONG_SECRET)
    naver = start_naver(tmp_path, s3)
    try:
        m = mount_factory(profile(naver, s3))
        m.expect(r'open /p/pg-orders/20240601 profile=p errno=EACCES http=403 '
                 r'code="SignatureDoesNotMatch"')
        export(m, "pg-orders", "20240601", "pg-backup")
        assert errno_of(open, m.path("p", "pg-orders", "20240601"), "rb") == errno.EACCES
        line = [l for l in m.output().splitlines() if "errno=EACCES" in l][-1]
        assert "Object Storage" in line and "secret_key" in line and "[p]" in line
        assert "request_id=-" not in line
        assert s3.counters()["by_status"] == {"403": s3.counters()["total"]}
    finally:
        naver.stop()
        s3.stop()


def test_listing_walks_every_page_with_continuation_tokens(naver, s3, mount_factory,
                                                            tmp_path):
    folder = "dbbackupfs/pg-orders/"
    # Before the real object, in key order: near misses the matching rule must skip
    # ("0/20240601x": the name followed by neither the end nor '.'; "120240601": not
    # the start of the last component) and other backups.
    decoys = ["0/20240601x", "120240601"] + ["20240531-%d" % i for i in range(6)]
    decoys += ["20240602-a", "20240602-b"]
    s3.control("POST", "objects", {"objects": [
        {"bucket": "pg-backup", "key": folder + name, "size": 10, "seed": name}
        for name in decoys]})
    m = mount_factory(profile(naver, s3, object_storage_page_size=2))
    export(m, "pg-orders", "20240601", "pg-backup")
    path = m.path("p", "pg-orders", "20240601")
    assert copy_of(path, tmp_path) == expected_bytes("postgresql", "23110701", "20240601")

    # 8 decoys, then the object: found on the fifth page of two.
    lists = [r for r in s3.requests() if r["action"] == "ListObjectsV2"]
    assert len(lists) == 5
    assert [("continuation-token" in r["params"]) for r in lists] == [False] + [True] * 4
    assert all(r["params"]["prefix"] == folder and r["params"]["max-keys"] == "2"
               for r in lists)


def test_a_backup_exported_before_this_mount_is_found_in_export_bucket(naver, s3,
                                                                       mount_factory,
                                                                       tmp_path):
    # Exported by the console (or another mount) earlier, with an extension.
    s3.control("POST", "objects", {"objects": [{
        "bucket": "pg-backup", "key": "dbbackupfs/pg-orders/20240602.tar.gz",
        "size": CONTENT_SIZE,
        "seed": s3_gateway.backup_seed("postgresql", "23110701", "20240602")}]})
    m = mount_factory(profile(naver, s3, export_bucket="pg-backup"))
    m.expect(r"open /p/pg-orders/20240603 profile=p errno=ENODATA")
    assert copy_of(m.path("p", "pg-orders", "20240602"), tmp_path) == \
        expected_bytes("postgresql", "23110701", "20240602")
    assert naver.exports() == []

    assert errno_of(open, m.path("p", "pg-orders", "20240603"), "rb") == errno.ENODATA
    line = [l for l in m.output().splitlines() if "errno=ENODATA" in l][-1]
    assert "pg-backup/dbbackupfs/pg-orders/" in line and ".export/20240603" in line


def test_not_exported_is_enodata_without_any_object_storage_request(naver, s3,
                                                                     mount_factory):
    m = mount_factory(profile(naver, s3))
    m.expect(r"open /p/pg-orders/20240601 profile=p errno=ENODATA")
    assert errno_of(open, m.path("p", "pg-orders", "20240601"), "rb") == errno.ENODATA
    line = [l for l in m.output().splitlines() if "errno=ENODATA" in l][-1]
    assert "echo BUCKET > p/pg-orders/.export/20240601" in line
    assert "export_bucket" in line
    assert s3.counters()["total"] == 0


def test_browsing_sends_nothing_to_object_storage(naver, s3, mount_factory):
    m = mount_factory(profile(naver, s3, export_bucket="pg-backup"))
    subprocess.run(["ls", "-laR", m.path("p")], check=True, capture_output=True)
    for name in os.listdir(m.path("p", "pg-orders")):
        path = m.path("p", "pg-orders", name)
        for attribute in os.listxattr(path):
            os.getxattr(path, attribute)
    assert s3.counters()["total"] == 0


def test_throttled_beyond_retries_is_eagain(naver, s3, mount_factory):
    m = mount_factory(profile(naver, s3, retries=1))
    m.expect(r'open /p/pg-orders/20240601 profile=p errno=EAGAIN http=503 code="SlowDown"')
    export(m, "pg-orders", "20240601", "pg-backup")
    s3.faults([{"kind": "status", "status": 503, "action": "ListObjectsV2", "every": 1}])
    assert errno_of(open, m.path("p", "pg-orders", "20240601"), "rb") == errno.EAGAIN
    assert s3_calls(s3, "ListObjectsV2") == 2     # the first try and one retry


def test_object_storage_clock_skew_is_explained(naver, s3, mount_factory):
    s3.skew(3600)
    m = mount_factory(profile(naver, s3))
    m.expect(r'open /p/pg-orders/20240601 profile=p errno=EACCES http=403 '
             r'code="RequestTimeTooSkewed"')
    export(m, "pg-orders", "20240601", "pg-backup")
    assert errno_of(open, m.path("p", "pg-orders", "20240601"), "rb") == errno.EACCES
    assert "clock skew: the local clock is 3" in m.output()
    assert "behind the server's" in m.output()


def test_an_object_named_with_an_extension_is_found(s3, tmp_path, mount_factory):
    naver = start_naver(tmp_path, s3, key_suffix=".xb.gz")
    try:
        m = mount_factory(profile(naver, s3, kind="ncloud-mysql-vpc"))
        section, number, name, backups = first_instance_with_backups(naver, "ncloud-mysql-vpc")
        export(m, name, backups[0]["fileName"], "mysql-backup")
        record = naver.exports()[0]
        assert record["objectKey"] == "dbbackupfs/%s/%s.xb.gz" % (name, record["fileName"])
        assert copy_of(m.path("p", name, record["fileName"]), tmp_path) == \
            expected_bytes(section, number, record["fileName"])
    finally:
        naver.stop()


@pytest.mark.parametrize("line,message", [
    ("export_bucket = pg-backup, Bad_Name", "export_bucket: 'Bad_Name' is not a bucket name"),
    ("export_bucket = " + ",".join("b%02d" % i for i in range(9)),
     "export_bucket names more than 8 buckets"),
    ("object_storage_endpoint = ftp://example.com", "is not an Object Storage endpoint"),
    ("object_storage_endpoint = https://example.com/prefix",
     "is not an Object Storage endpoint"),
    ("object_storage_page_size = 0", "object_storage_page_size"),
])
def test_object_storage_settings_are_checked_at_start(naver, s3, tmp_path, line, message):
    config = tmp_path / "check.conf"
    config.write_text(profile(naver, s3).replace("object_storage_endpoint = %s\n" % s3.url,
                                                 "") + line + "\n")
    config.chmod(0o600)
    result = subprocess.run([BINARY, "--check", "-o", "config=%s" % config],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert message in output and "check.conf:" in output, output
    assert naver.counters()["total"] == 0 and s3.counters()["total"] == 0
