"""Every refused operation answers the errno of DESIGN section 4."""
import errno
import os

import pytest

from conftest import ncloud_profile, errno_of


@pytest.fixture
def tree(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    m.expect(r"profile=pg errno=(EPERM|ENODATA)")
    m.expect(r"^dbbackupfs: WARN (mknod|create|unlink|rmdir|rename|link|symlink|setattr|"
             r"setxattr|removexattr|mkdir|open for writing) ")
    instance = m.path("pg", "pg-orders")
    backup = os.path.join(instance, sorted(n for n in os.listdir(instance) if n != ".export")[0])
    return m, instance, backup


def test_write_operations_are_eperm(tree):
    m, instance, backup = tree
    cases = [
        (os.mkdir, os.path.join(instance, "nightly")),     # NAVER: no API
        (os.mkdir, m.path("pg", "new-instance")),          # outside an instance
        (os.mkdir, m.path("new-profile")),
        (lambda p: open(p, "w"), os.path.join(instance, "new-file")),
        (lambda p: os.mknod(p), os.path.join(instance, "node")),
        (os.unlink, backup),
        (os.rmdir, instance),
        (lambda p: os.rename(p, p + ".old"), backup),
        (lambda p: os.link(p, os.path.join(instance, "hard")), backup),
        (lambda p: os.symlink(p, os.path.join(instance, "soft")), backup),
        (lambda p: os.chmod(p, 0o644), backup),
        (lambda p: os.chown(p, 1, 1), backup),
        (lambda p: os.utime(p, (0, 0)), backup),
        (lambda p: os.truncate(p, 0), backup),
        (lambda p: open(p, "r+b"), backup),
        (lambda p: os.setxattr(p, "user.note", b"x"), backup),
        (lambda p: os.removexattr(p, "user.backup.id"), backup),
    ]
    for operation, path in cases:
        assert errno_of(operation, path) == errno.EPERM, (operation, path)


def test_reading_a_naver_backup_before_export_is_enodata(tree):
    m, instance, backup = tree
    assert errno_of(lambda p: open(p, "rb"), backup) == errno.ENODATA
    assert "echo BUCKET >" in m.output()


def test_foreign_xattr_namespaces_answer_enodata_without_io(tree, ncloud):
    m, instance, backup = tree
    before = ncloud.counters()["total"]
    for name in ("security.selinux", "system.posix_acl_access", "trusted.overlay"):
        assert errno_of(os.getxattr, backup, name) == errno.ENODATA
    assert errno_of(os.getxattr, backup, "user.nonexistent") == errno.ENODATA
    assert ncloud.counters()["total"] == before


def test_listxattr_names_exactly_what_getxattr_answers(tree):
    m, instance, backup = tree
    for path in (backup, instance, m.path("pg")):
        for name in os.listxattr(path):
            os.getxattr(path, name)


def test_statfs_answers_constants(tree, ncloud):
    m, instance, backup = tree
    before = ncloud.counters()["total"]
    st = os.statvfs(m.root)
    assert st.f_namemax == 255
    assert ncloud.counters()["total"] == before
