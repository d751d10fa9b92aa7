"""Names from the provider can never escape or break the tree (issue 8,
item 7): '/', '.', '..', control characters, over-long names, duplicates,
and names that collide with the tree's own."""
import hashlib
import os

from conftest import ncloud_profile
from helpers import read_xattrs

KIND = "postgresql"


def backup(name, size=1):
    return {"fileName": name, "startTime": "2024-06-01T02:10:00+0900",
            "endTime": "2024-06-01T02:10:10+0900", "backupSize": size,
            "dataStorageSize": 1, "archivedWalFileSize": 1}


def instance(number, name, backups=()):
    return {"cloudPostgresqlInstanceNo": number, "cloudPostgresqlServiceName": name,
            "cloudPostgresqlInstanceStatusName": "running", "engineVersion": "PostgreSQL 14",
            "backups": list(backups)}


def fnv1a(text):
    h = 2166136261
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


LONG = "x" * 300
HOSTILE_BACKUPS = {
    ".": "%2E",
    "..": "%2E%2E",
    "../../etc/passwd": "..%2F..%2Fetc%2Fpasswd",
    "tab\tand\nnewline": "tab%09and%0Anewline",
    "100%": "100%25",
    ".export": ".export@.export",
    "spaces and ünïcode": "spaces and ünïcode",
    LONG: "x" * 246 + "~%08x" % fnv1a(LONG),
}


def test_hostile_names_stay_inside_the_tree(ncloud, mount_factory):
    ncloud.update_state([
        {"op": "add_instance", "kind": KIND,
         "instance": instance("901", "../escape", [backup(n) for n in HOSTILE_BACKUPS])},
        {"op": "add_instance", "kind": KIND, "instance": instance("902", "twin")},
        {"op": "add_instance", "kind": KIND, "instance": instance("903", "twin")},
        {"op": "add_instance", "kind": KIND, "instance": instance("904", "..")},
    ])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    top = os.listdir(m.path("pg"))
    assert {"..%2Fescape", "twin@902", "twin@903", "%2E%2E"} <= set(top)
    assert "twin" not in top and ".." not in top

    escape = m.path("pg", "..%2Fescape")
    names = sorted(n for n in os.listdir(escape) if n != ".export")
    assert names == sorted(HOSTILE_BACKUPS.values())
    for provider_name, file_name in HOSTILE_BACKUPS.items():
        path = os.path.join(escape, file_name)
        assert len(file_name.encode()) <= 255
        # The real name is kept, verbatim, where it can be read.
        assert read_xattrs(path)["user.backup.name"] == provider_name
        assert os.path.realpath(path).startswith(os.path.realpath(m.root))
    # Every entry of every directory can be reached by its name.
    for directory, subdirectories, files in os.walk(m.root):
        for name in subdirectories + files:
            os.lstat(os.path.join(directory, name))


def test_an_empty_provider_name_gets_its_id(ncloud, mount_factory):
    ncloud.update_state([{"op": "add_instance", "kind": KIND, "instance": instance("905", "")}])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert "@905" in os.listdir(m.path("pg"))
    assert read_xattrs(m.path("pg", "@905"))["user.instance.name"] == ""
