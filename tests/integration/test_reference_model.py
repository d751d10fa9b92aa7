"""Property test against a reference model (issue 8, item 2): random
scenarios with hostile names, duplicates, sizes up to 2^63-1 and dates at
the edges; the mounted tree must equal what model.py computes from the
scenario alone."""
import os
import random

import pytest

from conftest import ncloud_profile, ACCESS_KEY, SECRET_KEY, SCENARIOS
from harness import Fake
from helpers import flatten, read_xattrs
import model

ALPHABET = ["a", "b", "Z", "0", " ", ".", "%", "/", "-", "_", "é", "日", "\t", "@", "~"]
EDGE_TIMES = ["1970-01-01T00:00:00+0000", "1969-12-31T23:59:59+0000",
              "2038-01-19T03:14:08+0000", "9999-12-31T23:59:59+0000",
              "0001-01-01T00:00:00+0000", "2024-02-29T12:00:00+1400",
              "2024-06-01T02:10:00-1200"]
EDGE_SIZES = [0, 1, 1023, 2 ** 31, 2 ** 32 + 1, 2 ** 53 + 1, 2 ** 63 - 1]


def random_name(rng):
    shape = rng.random()
    if shape < 0.1:
        return rng.choice([".", "..", ".export", ".hidden", "..."])
    if shape < 0.15:
        return "n" * rng.randint(250, 400)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))


def random_time(rng):
    if rng.random() < 0.3:
        return rng.choice(EDGE_TIMES)
    return "%04d-%02d-%02dT%02d:%02d:%02d%s" % (
        rng.randint(1971, 2100), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
        rng.randint(0, 59), rng.randint(0, 59), rng.choice(["+0900", "+0000", "-0330"]))


def random_scenario(seed):
    rng = random.Random(seed)
    instances, instance_names = [], []
    for number in range(rng.randint(1, 6)):
        # Duplicated instance names on purpose, now and then.
        name = rng.choice(instance_names) if instance_names and rng.random() < 0.3 \
            else random_name(rng)
        instance_names.append(name)
        backups, seen = [], set()
        for _ in range(rng.choice([0, 1, 5, 40])):
            file_name = random_name(rng)
            if file_name in seen:        # NAVER's fileName is the backup's key
                continue
            seen.add(file_name)
            backups.append({"fileName": file_name, "startTime": random_time(rng),
                            "endTime": random_time(rng),
                            "backupSize": rng.choice(EDGE_SIZES + [rng.randint(0, 2 ** 40)]),
                            "dataStorageSize": rng.randint(0, 2 ** 40),
                            "archivedWalFileSize": 0})
        instances.append({"cloudPostgresqlInstanceNo": str(5000 + number),
                          "cloudPostgresqlServiceName": name,
                          "cloudPostgresqlInstanceStatusName": rng.choice(["running", "Running"]),
                          "engineVersion": "PostgreSQL 14", "backups": backups})
    return {"accounts": [{"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}],
            "postgresql": {"instances": instances, "buckets": []}}


def expected_tree(scenario):
    instances = scenario["postgresql"]["instances"]
    names = model.file_names([(i["cloudPostgresqlInstanceNo"], i["cloudPostgresqlServiceName"])
                              for i in instances])
    tree = {}
    for instance in instances:
        backup_names = model.file_names([(b["fileName"], b["fileName"])
                                         for b in instance["backups"]],
                                        model.RESERVED_IN_INSTANCE)
        backups = {}
        for backup in instance["backups"]:
            end = model.epoch(backup["endTime"])
            xattrs = {
                "user.backup.id": backup["fileName"],
                "user.backup.name": backup["fileName"],
                "user.backup.instance": instance["cloudPostgresqlServiceName"],
                "user.backup.size": str(backup["backupSize"]),
                "user.backup.begin_time": model.rfc3339(model.epoch(backup["startTime"])),
                "user.backup.end_time": model.rfc3339(end),
            }
            xattrs.update({"user.api." + k: v for k, v in flatten(backup).items()})
            backups[backup_names[backup["fileName"]]] = (backup["backupSize"], end, xattrs)
        tree[names[instance["cloudPostgresqlInstanceNo"]]] = backups
    return tree


def actual_tree(root, keys):
    tree = {}
    for instance in os.listdir(root):
        backups = {}
        for name in os.listdir(os.path.join(root, instance)):
            if name == ".export":
                continue
            path = os.path.join(root, instance, name)
            st = os.stat(path)
            xattrs = read_xattrs(path)
            backups[name] = (st.st_size, int(st.st_mtime),
                             {k: v for k, v in xattrs.items()
                              if k.startswith("user.api.") or k in keys})
        tree[instance] = backups
    return tree


@pytest.mark.parametrize("seed", range(8))
def test_random_scenario_matches_the_model(tmp_path, mount_factory, seed):
    scenario = random_scenario(seed)
    fake = Fake.start("ncloud", scenario, str(tmp_path / "fake"))
    try:
        m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", fake,
                                         response_format="xml" if seed % 2 else "json"))
        expected = expected_tree(scenario)
        keys = {k for backups in expected.values() for b in backups.values() for k in b[2]
                if not k.startswith("user.api.")}
        assert actual_tree(m.path("pg"), keys) == expected
    finally:
        fake.stop()


def test_one_hundred_thousand_backups(tmp_path, mount_factory):
    scenario = {"accounts": [{"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}],
                "postgresql": {"buckets": [], "instances": [{
                    "cloudPostgresqlInstanceNo": "1", "cloudPostgresqlServiceName": "huge",
                    "backups": [], "backups_generate": {
                        "count": 100000, "first_start": "2024-06-01T00:10:00+0900",
                        "every_minutes": 1, "duration_seconds": 30, "size_base": 1,
                        "size_step": 1, "data_storage_size": 1, "wal_size_base": 0,
                        "wal_size_step": 0}}]}}
    fake = Fake.start("ncloud", scenario, str(tmp_path / "fake"))
    try:
        m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", fake, max_rps=1000,
                                         cache_ttl="1h"))
        entries = {e.name: e.stat().st_size
                   for e in os.scandir(m.path("pg", "huge")) if e.name != ".export"}
        state = fake.state()["postgresql"]["instances"][0]["backups"]
        assert entries == {b["fileName"]: b["backupSize"] for b in state}
        assert len(entries) == 100000
        assert fake.counters()["total"] == 1 + 100
    finally:
        fake.stop()
