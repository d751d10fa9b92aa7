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


def test_gio_browse_and_sniff_reads_of_readable_files(tmp_path, mount_factory):
    """GIO also reads the first 4 KiB of a file to guess its type: that costs
    no listing beyond each directory's one, one download link per open, and
    at most 1.2 MiB of content per file."""
    import sys
    from conftest import ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests", "soak"))
    import soak_providers
    provider = soak_providers.Huawei()
    fake = provider.start(str(tmp_path / "content"))
    try:
        m = mount_factory(provider.config(fake, 20).split("\n\n")[1].replace(
            "cache_ttl = 2s", "cache_ttl = 1h"), secrets=[provider.sk])
        # The demo's other backups have no download link: GIO's sniff of
        # them is ENODATA, said once each.
        m.expect(r"WARN open /huawei-rds/rds-[\w-]+/[\w-]+ profile=huawei-rds errno=ENODATA")
        root = m.path("huawei-rds")
        directories = [root] + [os.path.join(root, d) for d in os.listdir(root)]
        for directory in directories:
            assert gio("list", "-a", "standard::*", "file://" + directory).returncode == 0
        files = provider.readable_files(m.root)
        # A read(2) of 4 KiB, as a probe makes it (Python's buffered read
        # would ask for st_blksize, 1 MiB: test_content.py measures that).
        for path in files:
            with open(path, "rb", buffering=0) as f:
                assert len(f.read(4096)) == 4096
        by_action = fake.counters()["by_action"]
        links = sum(n for a, n in by_action.items() if a.endswith("ShowBackupDownloadLink"))
        listings = sum(by_action.values()) - links
        assert listings == len(directories)          # one per directory, nothing per file
        backups = sum(len([n for n in os.listdir(d) if n != ".export"])
                      for d in directories[1:])
        # Download links are remembered between opens (core/content_links.h):
        # GIO's sniff and the reads above cost one link per file at most.
        assert links <= backups
        # Each readable file was opened twice (GIO's sniff, the read above):
        # each open of a probe costs at most 1.2 MiB, read-ahead included,
        # which unmounting waits for.
        m.unmount()
        streamed = provider.server.body_bytes()
        assert 0 < streamed <= 2 * len(files) * 1.2 * 1024 * 1024
    finally:
        fake.stop()
        provider.stop()
