"""NAVER: the three kinds' trees, and export through .export/ control files
(issue 3)."""
import errno
import os
import subprocess

import pytest

from conftest import ncloud_profile, errno_of
from helpers import actual_tree, naver_expected_tree, NAVER_KINDS

KINDS = ["ncloud-postgresql", "ncloud-mysql-vpc", "ncloud-mysql"]
EXPORT = "exportBackupToObjectStorage"


def first_instance_with_backups(fake, kind):
    section, number_field, name_field = NAVER_KINDS[kind][:3]
    for instance in fake.state()[section]["instances"]:
        if instance.get("backups"):
            return instance, number_field, name_field
    raise AssertionError("no instance with backups")


def export_calls(fake):
    return sum(n for action, n in fake.counters()["by_action"].items()
               if action.endswith("/" + EXPORT))


def write_command(path, text, flags=os.O_WRONLY | os.O_TRUNC):
    fd = os.open(path, flags)
    try:
        return os.write(fd, text.encode())
    finally:
        os.close(fd)


@pytest.mark.parametrize("kind", KINDS)
def test_tree_and_xattrs_of_each_kind(ncloud, mount_factory, kind):
    m = mount_factory(ncloud_profile("p", kind, ncloud))
    assert actual_tree(m.path("p")) == naver_expected_tree(ncloud.state(), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_export_through_the_shell(ncloud, mount_factory, kind):
    m = mount_factory(ncloud_profile("p", kind, ncloud))
    instance, number_field, name_field = first_instance_with_backups(ncloud, kind)
    backup = instance["backups"][0]["fileName"]
    control = m.path("p", instance[name_field], ".export", backup)
    subprocess.run(["sh", "-c", 'echo dbbackupfs-test > "$1"', "sh", control], check=True)

    exports = ncloud.exports()
    assert len(exports) == 1 and export_calls(ncloud) == 1
    params = exports[0]["params"]
    assert params["fileName"] == backup
    assert params["bucketName"] == "dbbackupfs-test"
    assert params[number_field] == str(instance[number_field])
    folder = "dbbackupfs/%s/" % instance[name_field]
    if kind == "ncloud-mysql":
        assert params["dbKindCode"] == "MYSQL"
        assert "folderPath" not in params     # undocumented for classic
        folder = ""
    else:
        assert params["folderPath"] == folder
        assert params["regionCode"] == "KR"

    status = open(control).read()
    assert "state: accepted\n" in status
    assert "bucket: dbbackupfs-test\n" in status
    assert "folder: %s\n" % folder in status
    assert "requested_at: 20" in status and "error: \n" in status
    backup_path = m.path("p", instance[name_field], backup)
    assert os.getxattr(backup_path, "user.backup.exported_to").decode() == \
        "dbbackupfs-test/" + folder


def test_export_folder_is_configurable_and_append_works(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("p", "ncloud-postgresql", ncloud,
                                     export_folder="nightly/{instance}/db/"))
    control = m.path("p", "pg-orders", ".export", "20240601")
    assert write_command(control, "pg-backup\n", os.O_WRONLY | os.O_APPEND) == 10
    assert ncloud.exports()[0]["folderPath"] == "nightly/pg-orders/db/"


@pytest.mark.parametrize("bucket", ["ab", "Upper-case", "under_score", "-starts",
                                    "ends-", "x" * 64, "dots.in.name", ""])
def test_invalid_bucket_name_is_einval_with_no_request(ncloud, mount_factory, bucket):
    m = mount_factory(ncloud_profile("p", "ncloud-postgresql", ncloud))
    m.expect(r"export .* errno=EINVAL")
    control = m.path("p", "pg-orders", ".export", "20240601")
    os.stat(control)
    before = ncloud.counters()["total"]
    assert errno_of(write_command, control, bucket + "\n") == errno.EINVAL
    assert ncloud.counters()["total"] == before


AUTH_BODY = '{"error":{"errorCode":"210","message":"Permission Denied","details":""}}'

ERROR_CASES = [
    # (fault rule or None, bucket, errno, expected export requests)
    (None, "no-such-bucket", errno.ENOENT, 1),
    ({"kind": "busy", "count": 1}, "pg-backup", errno.EBUSY, 1),
    ({"kind": "status", "status": 429, "every": 1}, "pg-backup", errno.EAGAIN, 3),
    ({"kind": "status", "status": 401, "body": AUTH_BODY, "content_type": "application/json",
      "count": 1}, "pg-backup", errno.EACCES, 1),
    ({"kind": "status", "status": 500, "count": 1}, "pg-backup", errno.EIO, 1),
]


@pytest.mark.parametrize("rule,bucket,expected,requests", ERROR_CASES)
def test_each_error_class_has_its_errno(ncloud, mount_factory, rule, bucket, expected,
                                        requests):
    m = mount_factory(ncloud_profile("p", "ncloud-postgresql", ncloud, retries=2))
    m.expect(r"export /p/pg-orders/\.export/20240601 profile=p errno=")
    control = m.path("p", "pg-orders", ".export", "20240601")
    os.stat(control)
    if rule:
        ncloud.faults([dict(rule, action=EXPORT)])
    assert errno_of(write_command, control, bucket) == expected
    assert export_calls(ncloud) == requests
    status = open(control).read()
    assert "state: failed\n" in status
    assert "error: %s: " % errno.errorcode[expected] in status
    assert os.getxattr(m.path("p", "pg-orders", "20240601"),
                       "user.backup.exported_to") == b""


def test_dropped_connection_is_eio_and_never_repeated(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("p", "ncloud-postgresql", ncloud))
    m.expect(r"export .* errno=EIO .*not repeated because it changes state")
    control = m.path("p", "pg-orders", ".export", "20240601")
    os.stat(control)
    ncloud.faults([{"action": EXPORT, "kind": "reset", "count": 1}])
    assert errno_of(write_command, control, "pg-backup") == errno.EIO
    assert export_calls(ncloud) == 1
    assert ncloud.counters()["faults"]["reset"] == 1


def test_a_timed_out_export_is_not_repeated(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("p", "ncloud-postgresql", ncloud, timeout="1s"))
    m.expect(r"export .* errno=ETIMEDOUT")
    control = m.path("p", "pg-orders", ".export", "20240601")
    os.stat(control)
    ncloud.faults([{"action": EXPORT, "kind": "stall", "seconds": 5, "count": 1}])
    assert errno_of(write_command, control, "pg-backup") == errno.ETIMEDOUT
    assert export_calls(ncloud) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_mkdir_is_eperm_on_every_naver_kind(ncloud, mount_factory, kind):
    m = mount_factory(ncloud_profile("p", kind, ncloud))
    m.expect(r"mkdir .* errno=EPERM")
    instance, _, name_field = first_instance_with_backups(ncloud, kind)
    os.listdir(m.path("p", instance[name_field]))
    before = ncloud.counters()["total"]
    assert errno_of(os.mkdir, m.path("p", instance[name_field], "nightly")) == errno.EPERM
    assert ncloud.counters()["total"] == before


def test_control_files_mirror_the_backups(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("p", "ncloud-postgresql", ncloud))
    instance = m.path("p", "pg-orders")
    backups = sorted(n for n in os.listdir(instance) if n != ".export")
    assert sorted(os.listdir(os.path.join(instance, ".export"))) == backups
    st = os.stat(os.path.join(instance, ".export", backups[0]))
    assert oct(st.st_mode & 0o777) == "0o600"
    assert open(os.path.join(instance, ".export", backups[0])).read().startswith(
        "state: none\n")
