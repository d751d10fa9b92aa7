"""API-call budgets, counted by the emulator and by .stats (issue 2)."""
import math
import os
import subprocess
import threading

from conftest import ncloud_profile, errno_of

PAGE = 100
BACKUP_LIST = "vpostgresql/getCloudPostgresqlBackupDetailList"
INSTANCE_LIST = "vpostgresql/getCloudPostgresqlInstanceList"


def calls(fake, action):
    return fake.counters()["by_action"].get(action, 0)


def backup_counts(fake):
    return {i["cloudPostgresqlServiceName"]: len(i.get("backups", []))
            for i in fake.state()["postgresql"]["instances"]}


def test_ls_l_costs_one_listing_and_nothing_per_backup(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, page_size=PAGE))
    n = backup_counts(ncloud)["pg-archive"]
    subprocess.run(["ls", "-l", m.path("pg", "pg-archive")], check=True,
                   stdout=subprocess.DEVNULL)
    assert calls(ncloud, BACKUP_LIST) == math.ceil(n / PAGE) == 25
    assert calls(ncloud, INSTANCE_LIST) == 1
    assert ncloud.counters()["total"] == 26
    # Within cache_ttl the same ls -l costs nothing at all.
    subprocess.run(["ls", "-l", m.path("pg", "pg-archive")], check=True,
                   stdout=subprocess.DEVNULL)
    assert ncloud.counters()["total"] == 26
    assert m.stats()["profiles"]["pg"]["requests_total"] == 26


def test_find_and_getfattr_cost_only_the_listings(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, page_size=PAGE))
    counts = backup_counts(ncloud)
    subprocess.run(["find", m.root], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["getfattr", "-R", "-d", m.path("pg")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    expected = 1 + sum(max(1, math.ceil(n / PAGE)) for n in counts.values())
    assert ncloud.counters()["total"] == expected


def test_ten_cold_ls_share_one_listing(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, page_size=1000))
    os.listdir(m.path("pg"))                   # the instance list, once
    # Slow the backup listing so that the ten overlap.
    ncloud.faults([{"action": "getCloudPostgresqlBackupDetailList", "kind": "delay",
                    "seconds": 0.5, "count": 1}])
    barrier = threading.Barrier(10)
    failures = []

    def ls():
        barrier.wait()
        result = subprocess.run(["ls", "-l", m.path("pg", "pg-orders")],
                                stdout=subprocess.DEVNULL)
        if result.returncode:
            failures.append(result.returncode)
    threads = [threading.Thread(target=ls) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert calls(ncloud, BACKUP_LIST) == 1


PROBES = [".hidden", ".Trash-1000", ".Trash", "autorun.inf", ".xdg-volume-info",
          "desktop.ini", ".directory", "Folder.jpg"]


def test_file_manager_probes_cost_nothing(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    directories = [m.root, m.path("pg")] + [m.path("pg", d) for d in os.listdir(m.path("pg"))]
    for d in directories:
        os.listdir(d)
    before = ncloud.counters()["total"]
    for d in directories:
        for probe in PROBES:
            assert errno_of(os.stat, os.path.join(d, probe)) == 2   # ENOENT
    assert ncloud.counters()["total"] == before
