"""Credentials, clocks, faults and outages (issue 2)."""
import errno
import os
import re
import signal
import subprocess

from conftest import ncloud_profile, errno_of, wait_until, SECRET_KEY
from helpers import actual_tree, naver_expected_tree

WRONG_SECRET = "SKWRONG0000000000000000000000000000000000"


def test_wrong_secret_is_eacces_with_one_clear_log_line(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud,
                                     secret_key=WRONG_SECRET),
                      secrets=[WRONG_SECRET])
    m.expect(r"profile=pg errno=EACCES http=401")
    assert errno_of(os.listdir, m.path("pg")) == errno.EACCES
    lines = [l for l in m.output().splitlines() if "EACCES" in l]
    assert len(lines) == 1
    assert 'code="200"' in lines[0] and "Authentication Failed" in lines[0]
    assert "remedy=" in lines[0] and "[pg]" in lines[0]
    # Nothing the request was signed with shows anywhere.
    assert WRONG_SECRET not in m.output()
    assert "x-ncp-apigw" not in m.output()


def test_skewed_clock_is_reported_as_a_clock_problem(ncloud, mount_factory):
    ncloud.skew(900)
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    m.expect(r"profile=pg errno=EACCES http=401")
    assert errno_of(os.listdir, m.path("pg")) == errno.EACCES
    assert re.search(r"clock skew: the local clock is 9\d\d s behind the server's",
                     m.output())


def test_one_request_in_five_failing_with_500_still_lists_everything(ncloud, mount_factory):
    ncloud.faults([{"action": "*", "kind": "status", "status": 500, "every": 5}])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, page_size=100))
    assert actual_tree(m.path("pg"), with_xattrs=False) == {
        k: {"xattrs": None, "backups": {n: {**b, "xattrs": None} for n, b in v["backups"].items()}}
        for k, v in naver_expected_tree(ncloud.state(), "ncloud-postgresql").items()}
    assert ncloud.counters()["faults"]["status"] > 0
    assert m.stats()["profiles"]["pg"]["retries"] == ncloud.counters()["faults"]["status"]


def test_throttling_with_retry_after_is_waited_out(ncloud, mount_factory):
    ncloud.faults([{"action": "*", "kind": "status", "status": 429, "retry_after": "1",
                    "count": 2}])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert sorted(os.listdir(m.path("pg"))) == ["pg-archive", "pg-orders", "pg-sandbox"]
    stats = m.stats()["profiles"]["pg"]
    assert stats["throttles"] == 2 and stats["retries"] == 2


def test_throttled_beyond_retries_is_eagain(ncloud, mount_factory):
    ncloud.faults([{"action": "*", "kind": "status", "status": 429, "every": 1}])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, retries=2))
    m.expect(r"profile=pg errno=EAGAIN http=429")
    assert errno_of(os.listdir, m.path("pg")) == errno.EAGAIN
    assert ncloud.counters()["total"] == 3


def test_cached_listing_is_served_when_the_emulator_is_gone(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, cache_ttl=0,
                                     retries=0, timeout=2))
    names = sorted(os.listdir(m.path("pg")))
    ncloud.stop()
    m.expect(r"refresh \(stale listing served\) pg profile=pg errno=EIO")
    assert sorted(os.listdir(m.path("pg"))) == names
    assert m.stats()["profiles"]["pg"]["stale_serves"] >= 1


def test_hung_server_gives_etimedout(ncloud, mount_factory):
    ncloud.faults([{"action": "*", "kind": "stall", "seconds": 30, "every": 1}])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud, timeout="1s"))
    m.expect(r"profile=pg errno=ETIMEDOUT")
    assert errno_of(os.listdir, m.path("pg")) == errno.ETIMEDOUT


def test_truncated_and_malformed_answers_are_retried(ncloud, mount_factory):
    ncloud.faults([{"action": "*", "kind": "truncate", "count": 1},
                   {"action": "*", "kind": "malformed", "count": 1}])
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert sorted(os.listdir(m.path("pg"))) == ["pg-archive", "pg-orders", "pg-sandbox"]
    assert m.stats()["profiles"]["pg"]["retries"] == 2


def test_sighup_drops_the_caches(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    os.listdir(m.path("pg"))
    assert ncloud.counters()["total"] == 1
    m.signal(signal.SIGHUP)
    wait_until(lambda: "SIGHUP" in m.output(), what="the SIGHUP log line")
    os.listdir(m.path("pg"))
    assert ncloud.counters()["total"] == 2


def test_config_errors_name_file_line_and_key(ncloud, tmp_path):
    from conftest import BINARY
    config = tmp_path / "bad.conf"
    config.write_text(ncloud_profile("pg", "ncloud-postgresql", ncloud) + "cache_tll = 5\n")
    config.chmod(0o600)
    (tmp_path / "mnt").mkdir()
    result = subprocess.run([BINARY, "-f", "-o", "config=%s" % config, str(tmp_path / "mnt")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "%s:6: unknown key 'cache_tll' in [pg]" % config in result.stderr


def test_config_holding_a_secret_readable_by_others_is_refused(ncloud, tmp_path):
    from conftest import BINARY
    config = tmp_path / "open.conf"
    config.write_text(ncloud_profile("pg", "ncloud-postgresql", ncloud))
    config.chmod(0o644)
    (tmp_path / "mnt").mkdir()
    result = subprocess.run([BINARY, "-f", "-o", "config=%s" % config, str(tmp_path / "mnt")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "chmod 600" in result.stderr
    assert SECRET_KEY not in result.stderr


def test_sigterm_and_sigint_unmount_cleanly(ncloud, mount_factory):
    from conftest import is_mounted
    for number, name in ((signal.SIGTERM, "term"), (signal.SIGINT, "int")):
        m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud), name=name)
        os.listdir(m.path("pg"))
        m.signal(number)
        assert m.process.wait(timeout=30) == 0
        assert not is_mounted(m.root)
