"""Huawei Cloud TaurusDB and RDS v3 (issue 4): the mounted tree against the emulator's
world, the configuration, authentication failures, and mkdir (a manual backup) with
every error class it can meet."""
import errno
import os
import re
import stat
import subprocess

import pytest

from conftest import BINARY, SCENARIOS, errno_of, wait_until
from harness import Fake
from helpers import actual_tree, read_xattrs
from huawei_model import (AK, CREATE_ACTION, INSTANCE_FOR_MKDIR, KINDS, PROJECT, RDS_PG,
                          RDS_SHOP, SK, TAURUS_BIG, TAURUS_EMPTY, TAURUS_ORDERS,
                          find_backup, huawei_expected_tree, huawei_profile)

BOTH = ["huawei-taurusdb", "huawei-rds"]
# (kind, api_version): every API the provider speaks.
APIS = [("huawei-taurusdb", "v3"), ("huawei-taurusdb", "legacy"), ("huawei-rds", "v3")]
POLL_SECONDS = 1


@pytest.fixture
def huawei(tmp_path):
    """The Huawei emulator (TaurusDB and RDS on one port) with the demo scenario."""
    fake = Fake.start("huawei", os.path.join(SCENARIOS, "huawei-demo.json"),
                      str(tmp_path / "huawei"))
    yield fake
    fake.stop()


def mount(mount_factory, huawei, kind, name="hw", options=(), **extra):
    return mount_factory(huawei_profile(name, kind, huawei, **extra), options=options,
                         name=name, secrets=[SK])


def creates(huawei, kind, api_version="v3"):
    return huawei.counters()["by_action"].get(CREATE_ACTION[(kind, api_version)], 0)


def xattr(path, name):
    return os.getxattr(path, name).decode()


# -- the tree ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,api_version", APIS)
@pytest.mark.parametrize("page_size", [100, 7])
def test_tree_matches_the_scenario(huawei, mount_factory, kind, api_version, page_size):
    m = mount(mount_factory, huawei, kind, api_version=api_version, page_size=page_size)
    expected = huawei_expected_tree(huawei.state(), kind)
    assert actual_tree(m.path("hw")) == expected
    if kind == "huawei-taurusdb":   # 250 backups: paging was exercised
        assert len(expected[TAURUS_BIG]["backups"]) == 250


def test_sizes_are_bytes_from_mb_and_kb(huawei, mount_factory):
    taurus = mount(mount_factory, huawei, "huawei-taurusdb", name="taurus")
    orders = taurus.path("taurus", TAURUS_ORDERS)
    assert os.stat(os.path.join(orders, "archive-2024q1")).st_size == 5242880 * 1048576
    assert os.stat(os.path.join(orders, "before-migration")).st_size == 1536 * 1048576
    assert xattr(os.path.join(orders, "before-migration"), "user.api.size") == "1536"
    rds = mount(mount_factory, huawei, "huawei-rds", name="rds")
    shop = rds.path("rds", RDS_SHOP)
    assert os.stat(os.path.join(shop, "pre-release")).st_size == 1048577 * 1024
    assert xattr(os.path.join(shop, "pre-release"), "user.backup.size") == str(1048577 * 1024)
    assert os.stat(os.path.join(shop, "rds-mysql-shop-binlog-20240602")).st_size == 12 * 1024


def test_times_with_numeric_offsets_become_utc(huawei, mount_factory):
    taurus = mount(mount_factory, huawei, "huawei-taurusdb", name="taurus")
    path = taurus.path("taurus", TAURUS_ORDERS, "before-migration")
    assert xattr(path, "user.backup.begin_time") == "2024-06-03T06:05:00Z"      # +0800
    assert xattr(path, "user.backup.end_time") == "2024-06-03T06:20:30Z"
    assert int(os.stat(path).st_mtime) == 1717395630
    rds = mount(mount_factory, huawei, "huawei-rds", name="rds")
    path = rds.path("rds", RDS_PG, "rds-pg-crm-auto-20240601")
    assert xattr(path, "user.backup.end_time") == "2024-06-01T05:02:30Z"        # -0300
    assert xattr(path, "user.api.end_time") == "2024-06-01T02:02:30-0300"
    path = rds.path("rds", RDS_SHOP, "pre-release")
    assert xattr(path, "user.backup.begin_time") == "2024-06-02T03:00:00Z"      # +0000


def test_status_type_and_engine_are_lower_case(huawei, mount_factory):
    m = mount(mount_factory, huawei, "huawei-rds")
    shop = m.path("hw", RDS_SHOP)
    assert read_xattrs(shop)["user.instance.engine"] == "mysql"
    assert read_xattrs(shop)["user.instance.engine_version"] == "5.7"
    backup = read_xattrs(os.path.join(shop, "rds-mysql-shop-binlog-20240602"))
    assert (backup["user.backup.status"], backup["user.backup.type"]) == ("completed",
                                                                           "incremental")
    assert backup["user.api.status"] == "COMPLETED"


def test_modes_and_unreadable_contents(huawei, mount_factory):
    m = mount(mount_factory, huawei, "huawei-taurusdb")
    m.expect(r"open .*profile=hw errno=ENODATA")
    orders = m.path("hw", TAURUS_ORDERS)
    assert stat.S_IMODE(os.stat(orders).st_mode) == 0o755      # mkdir makes backups
    path = os.path.join(orders, "before-migration")
    st = os.stat(path)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o444
    assert errno_of(open, path, "rb") == errno.ENODATA
    assert ".export" not in os.listdir(orders)


def test_profile_xattrs_and_default_endpoints(huawei, mount_factory):
    m = mount(mount_factory, huawei, "huawei-rds")
    assert read_xattrs(m.path("hw")) == {"user.provider.kind": "huawei-rds",
                                         "user.provider.endpoint": huawei.url + "/rds",
                                         "user.provider.region": "cn-north-4"}
    # No endpoint=: the documented host per region (api/huawei.md 1.1, 1.2). Reading the
    # profile's attributes makes no request.
    text = "".join(
        "[%s]\ntype = %s\naccess_key = %s\nsecret_key = %s\nproject_id = %s\n%s\n"
        % (name, kind, AK, SK, PROJECT, "region = %s" % region if region else "")
        for name, kind, region in (("t1", "huawei-taurusdb", None),
                                   ("t2", "huawei-taurusdb", "ap-southeast-1"),
                                   ("r1", "huawei-rds", "af-south-1")))
    m = mount_factory(text, name="defaults", secrets=[SK])
    assert [xattr(m.path(p), "user.provider.endpoint") for p in ("t1", "t2", "r1")] == [
        "https://gaussdb.cn-north-4.myhuaweicloud.com",
        "https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com",
        "https://rds.af-south-1.myhuaweicloud.com"]


def test_requests_are_counted_per_sdk_operation(huawei, mount_factory):
    m = mount(mount_factory, huawei, "huawei-taurusdb", api_version="legacy")
    os.listdir(m.path("hw", TAURUS_ORDERS))
    assert m.stats()["profiles"]["hw"]["requests"] == {"ShowMysqlInstanceList": 1,
                                                       "ShowMysqlBackupList": 1}
    assert huawei.counters()["by_action"] == {"taurusdb/ShowMysqlInstanceList": 1,
                                              "taurusdb/ShowMysqlBackupList": 1}
    signed = huawei.requests()[-1]["headers"]
    assert signed["X-Project-Id"] == PROJECT and signed["Content-Type"].startswith(
        "application/json;charset=UTF-8")


# -- configuration and credentials -----------------------------------------------------------

def test_credentials_from_the_sdk_environment_variables(huawei, mount_factory, monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    m = mount(mount_factory, huawei, "huawei-rds", access_key=None, secret_key=None,
              project_id=None)
    assert sorted(os.listdir(m.path("hw"))) == [RDS_SHOP, RDS_PG, "rds-sqlserver-hr"]


def run_binary(tmp_path, text):
    config = tmp_path / "bad.conf"
    config.write_text(text)
    config.chmod(0o600)
    (tmp_path / "mnt").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUAWEICLOUD_SDK_")}
    # Not the user's own ~/.huaweicloud/credentials, the last resort for keys.
    env["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = str(tmp_path / "no-such-credentials")
    return subprocess.run([BINARY, "-f", "-o", "config=%s" % config, str(tmp_path / "mnt")],
                          capture_output=True, text=True, timeout=30, env=env)


@pytest.mark.parametrize("change,message", [
    ({"project_id": None}, "has no usable project_id (nor HUAWEICLOUD_SDK_PROJECT_ID)"),
    ({"project_id": "../etc"}, "has no usable project_id"),
    ({"api_version": "v4"}, "api_version 'v4' is not one TaurusDB knows"),
    ({"page_size": "101"}, "page_size"),
    ({"backup_description": "a=b"}, "backup_description must be UTF-8 text without"),
    ({"secret_key": None}, "has no secret_key or secret_key_file (nor HUAWEICLOUD_SDK_SK)"),
    ({"region_code": "x"}, "unknown key 'region_code'"),
])
def test_configuration_errors_name_file_and_line(huawei, tmp_path, change, message):
    text = huawei_profile("hw", "huawei-taurusdb", huawei, **change)
    key, value = next(iter(change.items()))
    # The line of the offending key, or of the section header when the key is missing.
    line = 1 if value is None else text.splitlines().index("%s = %s" % (key, value)) + 1
    result = run_binary(tmp_path, text)
    assert result.returncode != 0
    assert "%s:%d:" % (tmp_path / "bad.conf", line) in result.stderr, result.stderr
    assert message in result.stderr
    assert SK not in result.stderr


def sdk_credentials_file(tmp_path, mode=0o600):
    """The SDK's credentials file (api/huawei.md 5): [basic] wrong, [work] right."""
    path = tmp_path / "credentials"
    path.write_text("[basic]\nak = AKOTHER000000000000\nsk = %s\nproject_id = %s\n\n"
                    "[work]\nak = %s\nsk = %s\nproject_id = %s\n"
                    % ("SKOTHER00000000000000000000000000000000",
                       "619d3e78f61b4be68bc5aa0b59edcf7b", AK, SK, PROJECT))
    path.chmod(mode)
    return path


def check_lines(tmp_path, text, env):
    config = tmp_path / "check.conf"
    config.write_text(text)
    config.chmod(0o600)
    return subprocess.run([BINARY, "--check", "-o", "config=%s" % config], capture_output=True,
                          text=True, timeout=60, env=env)


def test_keys_and_project_from_the_sdk_credentials_file(huawei, tmp_path):
    path = sdk_credentials_file(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUAWEICLOUD_SDK_")}
    env["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = str(path)
    named = huawei_profile("named", "huawei-rds", huawei, access_key=None, secret_key=None,
                           project_id=None, credentials="huaweicloud-sdk:work")
    # Without credentials= and without keys, the [basic] section is the last resort: here
    # it holds another account, whose (empty) project answers too.
    basic = huawei_profile("basic", "huawei-rds", huawei, access_key=None, secret_key=None,
                           project_id=None)
    result = check_lines(tmp_path, named + basic, env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("named: ok: 3 instances at ")
    assert lines[0].endswith("(credentials: huaweicloud-sdk %s [work])" % path)
    assert lines[1].startswith("basic: ok: 0 instances at ")
    assert lines[1].endswith("(credentials: huaweicloud-sdk %s [basic])" % path)
    assert SK not in result.stdout + result.stderr


def test_sdk_credentials_file_readable_by_others_is_refused(huawei, tmp_path):
    path = sdk_credentials_file(tmp_path, mode=0o644)
    env = dict(os.environ, HUAWEICLOUD_SDK_CREDENTIALS_FILE=str(path))
    result = check_lines(tmp_path, huawei_profile(
        "hw", "huawei-rds", huawei, access_key=None, secret_key=None, project_id=None,
        credentials="huaweicloud-sdk:work"), env)
    assert result.returncode != 0
    assert "chmod 600 %s" % path in result.stdout + result.stderr


def test_credentials_must_name_the_huawei_sdk_file(huawei, tmp_path):
    result = run_binary(tmp_path, huawei_profile("hw", "huawei-rds", huawei,
                                                 credentials="ncloud-cli"))
    assert result.returncode != 0
    assert "credentials must be huaweicloud-sdk or huaweicloud-sdk:SECTION" in result.stderr


def test_rds_knows_only_v3(huawei, tmp_path):
    result = run_binary(tmp_path, huawei_profile("hw", "huawei-rds", huawei,
                                                 api_version="legacy"))
    assert result.returncode != 0 and "use v3" in result.stderr


@pytest.mark.parametrize("kind", BOTH)
def test_wrong_secret_is_eacces_with_one_clear_line(huawei, mount_factory, kind):
    wrong = "SKWRONG00000000000000000000000000000000"
    m = mount(mount_factory, huawei, kind, secret_key=wrong)
    m.secrets.append(wrong)
    m.expect(r"profile=hw errno=EACCES http=401")
    assert errno_of(os.listdir, m.path("hw")) == errno.EACCES
    lines = [line for line in m.output().splitlines() if "EACCES" in line]
    assert len(lines) == 1
    assert 'code="APIGW.0301"' in lines[0] and "verify aksk signature fail" in lines[0]
    assert "request_id=" in lines[0] and "request_id=-" not in lines[0]
    assert "remedy=" in lines[0] and "[hw]" in lines[0]
    assert "Signature=" not in m.output() and wrong not in m.output()


def test_project_of_another_account_is_eacces(huawei, mount_factory):
    m = mount(mount_factory, huawei, "huawei-rds", project_id="619d3e78f61b4be68bc5aa0b59edcf7b")
    m.expect(r"profile=hw errno=EACCES http=401")
    assert errno_of(os.listdir, m.path("hw")) == errno.EACCES
    assert "does not belong to this access key" in m.output()


def test_skewed_clock_is_explained_with_the_15_minute_window(huawei, mount_factory):
    huawei.skew(1000)
    m = mount(mount_factory, huawei, "huawei-taurusdb")
    m.expect(r"profile=hw errno=EACCES http=401")
    assert errno_of(os.listdir, m.path("hw")) == errno.EACCES
    assert re.search(r"clock skew: the local clock is 1\d\d\d s behind the server's .*"
                     r"more than 900 s off", m.output())


def test_throttled_listing_beyond_retries_is_eagain(huawei, mount_factory):
    huawei.faults([{"kind": "status", "status": 429, "every": 1}])
    m = mount(mount_factory, huawei, "huawei-rds", retries=2)
    m.expect(r"profile=hw errno=EAGAIN http=429")
    assert errno_of(os.listdir, m.path("hw")) == errno.EAGAIN
    assert huawei.counters()["total"] == 3
    assert 'code="APIGW.0308"' in m.output()


def test_flaky_gateway_still_lists_everything(huawei, mount_factory):
    huawei.faults([{"kind": "status", "status": 503, "every": 3},
                   {"kind": "malformed", "every": 5}])
    m = mount(mount_factory, huawei, "huawei-taurusdb", page_size=50)
    assert len(os.listdir(m.path("hw", TAURUS_BIG))) == 250
    assert m.stats()["profiles"]["hw"]["retries"] > 0


# -- mkdir ---------------------------------------------------------------------------------------

def mkdir_mount(mount_factory, huawei, kind, **extra):
    extra.setdefault("poll_interval", "%ds" % POLL_SECONDS)
    return mount(mount_factory, huawei, kind, **extra)


def ready_instance(m, kind):
    """The instance directory used for mkdir, listed once (so lookups are cached)."""
    path = m.path("hw", INSTANCE_FOR_MKDIR[kind])
    os.listdir(path)
    return path


@pytest.mark.parametrize("kind,api_version", APIS)
def test_mkdir_makes_one_backup_that_builds_then_completes(huawei, mount_factory, kind,
                                                          api_version):
    m = mkdir_mount(mount_factory, huawei, kind, api_version=api_version,
                    backup_description="made by dbbackupfs")
    instance = ready_instance(m, kind)
    path = os.path.join(instance, "nightly-copy")
    os.mkdir(path)
    assert creates(huawei, kind, api_version) == 1
    made = huawei.state()["creates"]
    assert [(c["name"], c["description"]) for c in made] == [("nightly-copy",
                                                              "made by dbbackupfs")]
    # Right after, the name is a regular file, building.
    st = os.stat(path)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o444
    assert "nightly-copy" in os.listdir(instance)
    attributes = read_xattrs(path)
    assert attributes["user.backup.status"] == "building"
    assert attributes["user.backup.type"] == "manual"
    assert attributes["user.backup.size"] == "" and attributes["user.backup.end_time"] == ""
    # The emulator finishes it: completed, with size and end time, within the poll.
    huawei.tick(3600)
    wait_until(lambda: xattr(path, "user.backup.status") == "completed",
               timeout=POLL_SECONDS + 1, what="the backup to complete")
    _, backup = find_backup(huawei.state(), kind, "nightly-copy")
    unit = KINDS[kind][1]
    assert xattr(path, "user.backup.size") == str(backup["size"] * unit)
    assert os.stat(path).st_size == backup["size"] * unit
    assert xattr(path, "user.backup.end_time") != ""
    assert creates(huawei, kind, api_version) == 1


def test_mkdir_of_a_failing_backup_shows_failed(huawei, mount_factory):
    huawei.faults([{"kind": "fail_build", "count": 1}])
    m = mkdir_mount(mount_factory, huawei, "huawei-rds")
    path = os.path.join(ready_instance(m, "huawei-rds"), "doomed-copy")
    os.mkdir(path)
    huawei.tick(3600)
    wait_until(lambda: xattr(path, "user.backup.status") == "failed",
               timeout=POLL_SECONDS + 1, what="the backup to fail")
    assert os.stat(path).st_size == 0


@pytest.mark.parametrize("name,taurusdb_ok", [
    ("abc", False),                 # shorter than 4
    ("a" * 65, False),              # longer than 64
    ("1backup", False),             # starts with a digit
    ("_backup", False),
    ("back.up", False),
    ("back up", False),
    ("备份备份" + "a" * 53, False),  # 57 characters but 65 bytes
    ("月度备份", True),              # Chinese: TaurusDB's current API only
])
@pytest.mark.parametrize("kind", BOTH)
def test_invalid_names_are_einval_with_no_request(huawei, mount_factory, kind, name,
                                                  taurusdb_ok):
    m = mkdir_mount(mount_factory, huawei, kind)
    m.expect(r"mkdir .*profile=hw errno=EINVAL http=0")
    instance = ready_instance(m, kind)
    before = huawei.counters()["total"]
    result = errno_of(os.mkdir, os.path.join(instance, name))
    if taurusdb_ok and kind == "huawei-taurusdb":
        assert result is None and creates(huawei, kind) == 1
        return
    assert result == errno.EINVAL
    assert huawei.counters()["total"] == before


def test_legacy_taurusdb_refuses_chinese_names(huawei, mount_factory):
    m = mkdir_mount(mount_factory, huawei, "huawei-taurusdb", api_version="legacy")
    m.expect(r"mkdir .*profile=hw errno=EINVAL")
    instance = ready_instance(m, "huawei-taurusdb")
    before = huawei.counters()["total"]
    assert errno_of(os.mkdir, os.path.join(instance, "月度备份")) == errno.EINVAL
    assert huawei.counters()["total"] == before


@pytest.mark.parametrize("kind", BOTH)
def test_duplicate_name_is_eexist(huawei, mount_factory, kind):
    m = mkdir_mount(mount_factory, huawei, kind)
    m.expect(r"mkdir .*profile=hw errno=EEXIST http=409")
    instance = ready_instance(m, kind)
    existing = os.listdir(m.path("hw", RDS_SHOP if kind == "huawei-rds" else TAURUS_ORDERS))
    # A name the mount already shows: the kernel answers, nothing is sent.
    shown = os.path.join(m.path("hw", RDS_SHOP if kind == "huawei-rds" else TAURUS_ORDERS),
                         existing[0])
    assert errno_of(os.mkdir, shown) == errno.EEXIST
    assert creates(huawei, kind) == 0
    # A name the provider has but the cached listing does not: 409 DBS.201209.
    section = KINDS[kind][0]
    instance_id = next(i["id"] for i in huawei.state()[section]["instances"]
                       if i["name"] == INSTANCE_FOR_MKDIR[kind])
    huawei.update_state([{"op": "add_backup", "kind": section, "instance": instance_id,
                          "backup": {"id": "0" * 28 + "0000br01", "name": "taken-name",
                                     "instance_id": instance_id, "status": "COMPLETED",
                                     "type": "manual", "size": 1,
                                     "begin_time": "2024-06-01T00:00:00+0800",
                                     "end_time": "2024-06-01T00:01:00+0800"}}])
    assert errno_of(os.mkdir, os.path.join(instance, "taken-name")) == errno.EEXIST
    assert creates(huawei, kind) == 1
    assert 'code="DBS.201209"' in m.output()


@pytest.mark.parametrize("kind", BOTH)
def test_another_backup_in_progress_is_ebusy(huawei, mount_factory, kind):
    m = mkdir_mount(mount_factory, huawei, kind)
    m.expect(r"mkdir .*profile=hw errno=EBUSY http=409")
    instance = ready_instance(m, kind)
    os.mkdir(os.path.join(instance, "first-copy"))
    assert errno_of(os.mkdir, os.path.join(instance, "second-copy")) == errno.EBUSY
    assert creates(huawei, kind) == 2
    assert 'code="DBS.200019"' in m.output()


@pytest.mark.parametrize("kind,code", [("huawei-taurusdb", "DBS.201014"),
                                       ("huawei-taurusdb", "DBS.05000084"),
                                       ("huawei-rds", "DBS.200011"),
                                       ("huawei-rds", "DBS.201202")])
def test_every_busy_code_is_ebusy(huawei, mount_factory, kind, code):
    huawei.faults([{"kind": "busy", "code": code, "count": 1}])
    m = mkdir_mount(mount_factory, huawei, kind)
    m.expect(r"mkdir .*profile=hw errno=EBUSY http=409")
    instance = ready_instance(m, kind)
    assert errno_of(os.mkdir, os.path.join(instance, "busy-copy")) == errno.EBUSY
    assert 'code="%s"' % code in m.output()


@pytest.mark.parametrize("kind", BOTH)
def test_instance_gone_at_the_provider_is_enoent(huawei, mount_factory, kind):
    m = mkdir_mount(mount_factory, huawei, kind)
    m.expect(r"mkdir .*profile=hw errno=ENOENT")
    instance = ready_instance(m, kind)
    section = KINDS[kind][0]
    instance_id = read_xattrs(instance)["user.instance.id"]
    huawei.update_state([{"op": "remove_instance", "kind": section, "instance": instance_id}])
    assert errno_of(os.mkdir, os.path.join(instance, "orphan-copy")) == errno.ENOENT
    assert creates(huawei, kind) == 1


@pytest.mark.parametrize("kind", BOTH)
def test_rejected_signature_on_create_is_eacces(huawei, mount_factory, kind):
    m = mkdir_mount(mount_factory, huawei, kind)
    m.expect(r"mkdir .*profile=hw errno=EACCES http=401")
    instance = ready_instance(m, kind)
    huawei.faults([{"kind": "status", "status": 401, "action": CREATE_ACTION[(kind, "v3")]
                    .split("/")[1], "count": 1}])
    assert errno_of(os.mkdir, os.path.join(instance, "refused-copy")) == errno.EACCES
    assert creates(huawei, kind) == 1


@pytest.mark.parametrize("kind", BOTH)
def test_throttled_create_is_eagain_and_never_processed(huawei, mount_factory, kind):
    m = mkdir_mount(mount_factory, huawei, kind, retries=2)
    m.expect(r"mkdir .*profile=hw errno=EAGAIN http=429")
    instance = ready_instance(m, kind)
    huawei.faults([{"kind": "status", "status": 429, "every": 1,
                    "action": CREATE_ACTION[(kind, "v3")].split("/")[1]}])
    assert errno_of(os.mkdir, os.path.join(instance, "throttled-copy")) == errno.EAGAIN
    # A 429 is refused before the service sees it, so retrying it is safe (DESIGN 7).
    assert creates(huawei, kind) == 3
    assert huawei.state()["creates"] == []


@pytest.mark.parametrize("fault", [
    {"kind": "reset"},
    {"kind": "truncate"},
    {"kind": "malformed"},
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 500},
])
@pytest.mark.parametrize("kind", BOTH)
def test_one_create_request_per_mkdir_even_when_the_answer_is_lost(huawei, mount_factory,
                                                                  kind, fault):
    m = mkdir_mount(mount_factory, huawei, kind, retries=4)
    m.expect(r"mkdir .*profile=hw errno=EIO")
    instance = ready_instance(m, kind)
    rule = dict(fault, count=3, action=CREATE_ACTION[(kind, "v3")].split("/")[1])
    huawei.faults([rule])
    assert errno_of(os.mkdir, os.path.join(instance, "lost-copy")) == errno.EIO
    assert creates(huawei, kind) == 1
    if fault["kind"] in ("truncate", "malformed"):
        # It reached the service: the backup exists, and the log says to check.
        assert [c["name"] for c in huawei.state()["creates"]] == ["lost-copy"]
        assert "check in the provider's console" in m.output()


def test_mkdir_outside_an_instance_is_eperm(huawei, mount_factory):
    m = mkdir_mount(mount_factory, huawei, "huawei-rds")
    m.expect(r"mkdir .*errno=EPERM")
    assert errno_of(os.mkdir, m.path("hw", "new-instance")) == errno.EPERM
    assert huawei.counters()["by_action"].get("rds/CreateManualBackup") is None
