"""The mounted NAVER tree matches the emulator's world exactly: names, sizes,
mtimes and every extended attribute, in XML and in JSON."""
import os
import stat

import pytest

from conftest import ncloud_profile
from helpers import actual_tree, naver_expected_tree, read_xattrs


@pytest.mark.parametrize("response_format", ["xml", "json"])
def test_postgresql_tree_matches_scenario(ncloud, mount_factory, response_format):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud,
                                     response_format=response_format))
    expected = naver_expected_tree(ncloud.state(), "ncloud-postgresql")
    assert actual_tree(m.path("pg")) == expected
    # The big instance really is big, so paging was exercised.
    assert max(len(i["backups"]) for i in expected.values()) == 2500


def test_xml_and_json_give_the_same_tree(ncloud, mount_factory):
    xml = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud,
                                       response_format="xml"), name="xml")
    json_ = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud,
                                         response_format="json"), name="json")
    assert actual_tree(xml.path("pg")) == actual_tree(json_.path("pg"))


def test_modes_owner_and_root(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert sorted(os.listdir(m.root)) == [".stats", "pg"]
    assert stat.S_IMODE(os.stat(m.root).st_mode) == 0o555
    assert stat.S_IMODE(os.stat(m.path(".stats")).st_mode) == 0o444
    orders = m.path("pg", "pg-orders")
    # NAVER cannot make backups: the instance directory is not writable.
    assert stat.S_IMODE(os.stat(orders).st_mode) == 0o555
    assert stat.S_IMODE(os.stat(os.path.join(orders, ".export")).st_mode) == 0o555
    for name in os.listdir(orders):
        if name == ".export":
            continue
        st = os.stat(os.path.join(orders, name))
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o444
        assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())


def test_profile_xattrs(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert read_xattrs(m.path("pg")) == {
        "user.provider.kind": "ncloud-postgresql",
        "user.provider.endpoint": ncloud.url,
        "user.provider.region": "KR",
    }


def test_inode_numbers_are_stable_across_refreshes(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, cache_ttl=0))
    orders = m.path("pg", "pg-orders")
    first = {n: os.stat(os.path.join(orders, n)).st_ino for n in os.listdir(orders)}
    before = ncloud.counters()["total"]
    second = {n: os.stat(os.path.join(orders, n)).st_ino for n in os.listdir(orders)}
    assert ncloud.counters()["total"] > before   # cache_ttl=0 refetched
    assert first == second


def test_instance_directory_mtime_is_the_instances_own_and_stable(ncloud, mount_factory):
    from helpers import parse_time
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    orders = m.path("pg", "pg-orders")
    created = [i["createDate"] for i in ncloud.state()["postgresql"]["instances"]
               if i["cloudPostgresqlServiceName"] == "pg-orders"][0]
    before = os.stat(orders).st_mtime
    os.listdir(orders)                      # the backups are now cached
    assert os.stat(orders).st_mtime == before == parse_time(created)


def test_stats_is_json_per_profile(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    os.listdir(m.path("pg"))
    stats = m.stats()["profiles"]["pg"]
    assert stats["requests"] == {"getCloudPostgresqlInstanceList": 1}
    assert stats["requests_total"] == ncloud.counters()["total"] == 1
    for key in ("retries", "throttles", "cache_hits", "cache_misses", "stale_serves",
                "bytes_streamed", "errors", "last_error"):
        assert key in stats
