"""Browsing the mount the way GIO-based file managers do costs no API call
beyond each directory's one listing (issue 8, item 5)."""
import os
import subprocess

from conftest import ncloud_profile


def gio(*args):
    return subprocess.run(["gio"] + list(args), capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, GIO_USE_VFS="local"))


def directories(root):
    for directory, subdirectories, files in os.walk(root):
        yield directory


def test_gio_browse_costs_one_listing_per_directory(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, page_size=1000,
                                     cache_ttl="1h"))
    # GIO opens files to sniff their type: the remedy is logged once each.
    m.expect(r"WARN open /pg/pg-\w+/\d{8}(-\d{4})? profile=pg errno=ENODATA")
    visited = 0
    for directory in directories(m.root):
        listing = gio("list", "-l", "-a", "standard::*,unix::*,time::*,access::*",
                      "file://" + directory)
        assert listing.returncode == 0, listing.stderr
        # gio info of each entry (a sample of the big directory: one
        # process each).
        for name in sorted(os.listdir(directory))[:40]:
            info = gio("info", "file://" + os.path.join(directory, name))
            assert info.returncode == 0, info.stderr
        visited += 1
    # One listing per directory that holds records: the profile (instances)
    # and each instance (backups, one page each at this page size; the big
    # one has 2500); .export directories share their instance's listing.
    counts = {i["cloudPostgresqlServiceName"]: len(i.get("backups", []))
              for i in ncloud.state()["postgresql"]["instances"]}
    expected = 1 + sum(max(1, -(-n // 1000)) for n in counts.values())
    assert ncloud.counters()["total"] == expected
    assert visited >= 2 + 2 * len(counts)
