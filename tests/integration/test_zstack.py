"""ZStack: platform database backups as files, mkdir to back up, export to read
them (issue 6). The real binary, mounted against tests/fakes/zstack_fake.py."""
import errno
import http.client
import json
import os
import subprocess
import threading
import time

import pytest

from conftest import BINARY, SCENARIOS, Fake, errno_of, wait_until
from helpers import actual_tree, read_xattrs
from zstack_model import (DR_BS, INSTANCE, KEY_ID, KEY_SECRET, LOCAL_BS, PASSWORD_SHA512,
                          SECRETS, backup_named, secret_file, zstack_expected_tree, zstack_profile)
import zstack_fake

DEMO = os.path.join(SCENARIOS, "zstack-demo.json")
EXPORT = "ExportDatabaseBackupFromBackupStorage"
CREATE = "CreateDatabaseBackup"
LOGIN = "LogInByAccount"


@pytest.fixture
def zstack(tmp_path):
    """The ZStack emulator with the demo scenario."""
    fake = Fake.start("zstack", DEMO, str(tmp_path / "zstack"))
    yield fake
    fake.stop()


@pytest.fixture
def zmount(mount_factory, zstack):
    """mount_factory for ZStack profiles: the password hash, the AccessKey secret and
    every session the emulator handed out must never show in the daemon's output."""
    mounts = []

    def make(config_text, options=(), name="m"):
        m = mount_factory(config_text, options, name=name, secrets=SECRETS)
        mounts.append(m)
        return m

    yield make
    sessions = [login["session"] for login in zstack.state()["logins"]]
    for m in mounts:
        for session in sessions:
            assert session not in m.output(), "a session uuid was logged"


def calls(fake, action):
    return fake.counters()["by_action"].get(action, 0)


def write_command(path, text, flags=os.O_WRONLY | os.O_TRUNC):
    fd = os.open(path, flags)
    try:
        return os.write(fd, text.encode())
    finally:
        os.close(fd)


def control_status(path):
    with open(path) as f:
        return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                    for line in f.read().splitlines())


def instance(m, *parts):
    return m.path("zs", INSTANCE, *parts)


# -- the tree ---------------------------------------------------------------------------

def test_tree_sizes_times_and_xattrs(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    assert os.listdir(m.path("zs")) == [INSTANCE]
    assert actual_tree(m.path("zs")) == zstack_expected_tree(zstack.state())
    assert read_xattrs(m.path("zs"))["user.provider.kind"] == "zstack"
    # The instance directory takes mkdir; backups are read-only files.
    assert oct(os.stat(instance(m)).st_mode & 0o777) == "0o755"
    assert oct(os.stat(instance(m, "zstack-db-2024-06-01")).st_mode & 0o777) == "0o444"


def test_names_that_repeat_get_their_id_and_slashes_are_escaped(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    names = os.listdir(instance(m))
    assert "nightly" not in names
    assert "nightly@a1b2c3d4e5f60718293a4b5c6d7e8f90" in names
    assert "nightly@b2c3d4e5f6a708192a3b4c5d6e7f8091" in names
    assert "before%2Fupgrade 4.8" in names
    assert os.getxattr(instance(m, "before%2Fupgrade 4.8"),
                       "user.backup.name") == b"before/upgrade 4.8"


@pytest.mark.parametrize("timezone", [None, "UTC", "America/New_York", "+08:00"])
def test_times_follow_the_configured_timezone(zstack, zmount, timezone):
    """Dates carry no zone: "Jun 1, 2024 2:00:41 AM" is read in timezone= (UTC when
    unset). The JDK 9 and JDK 20 forms of the demo parse too."""
    m = zmount(zstack_profile("zs", zstack, timezone=timezone))
    zone = timezone or "UTC"
    tree = actual_tree(m.path("zs"), with_xattrs=False)[INSTANCE]["backups"]
    for name, text in [("zstack-db-2024-06-01", "Jun 1, 2024 2:00:41 AM"),
                       ("nightly@b2c3d4e5f6a708192a3b4c5d6e7f8091", "Jun 5, 2024, 12:00:40 AM"),
                       ("before%2Fupgrade 4.8", "Jun 6, 2024, 11:47:58\u202fPM")]:
        assert tree[name]["mtime"] == zstack_fake.parse_date(text, zone), (name, zone)
    shanghai = zstack_fake.parse_date("Jun 1, 2024 2:00:41 AM", "Asia/Shanghai")
    if zone == "UTC":
        assert tree["zstack-db-2024-06-01"]["mtime"] == shanghai + 8 * 3600


def test_a_backup_being_made_has_no_size_or_end_time_yet(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    path = instance(m, "zstack-db-2024-06-07")
    xattrs = read_xattrs(path)
    assert xattrs["user.backup.status"] == "creating"
    assert xattrs["user.backup.size"] == "" and xattrs["user.backup.end_time"] == ""
    assert os.stat(path).st_size == 0


def test_every_page_is_listed(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, page_size=2))
    assert actual_tree(m.path("zs")) == zstack_expected_tree(zstack.state())
    pages = [r for r in zstack.requests() if r["action"] == "QueryDatabaseBackup"
             and "replyWithCount=true" in r["target"]]
    assert len(pages) == 5     # 9 backups, 2 a page
    assert all("sort=-createDate" in r["target"] for r in pages)


def test_listing_reads_the_cache_not_the_api(zstack, zmount):
    # The demo has a backup being made, which would refresh every poll_interval.
    m = zmount(zstack_profile("zs", zstack, poll_interval="1h"))
    actual_tree(m.path("zs"))
    before = zstack.counters()["total"]
    actual_tree(m.path("zs"))
    for name in os.listdir(instance(m)):
        os.stat(instance(m, name))
    assert zstack.counters()["total"] == before


# -- authentication ---------------------------------------------------------------------

def test_one_session_for_every_thread_and_logout_at_unmount(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    threads = [threading.Thread(target=actual_tree, args=(m.path("zs"),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls(zstack, LOGIN) == 1
    login = zstack.requests()[0]
    assert login["action"] == LOGIN and login["params"]["body"]["logInByAccount"] == \
        {"accountName": "admin", "password": "<redacted>"}
    m.unmount()
    assert calls(zstack, "LogOut") == 1
    assert zstack.state()["sessions"] == []


def test_password_is_sent_as_its_sha512(zstack, zmount, tmp_path):
    """The emulator accepts only sha512(password); password_file= and ZSTACK_PASSWORD
    work as well as password=."""
    path = secret_file(tmp_path, "zs.password", "password")
    m = zmount(zstack_profile("zs", zstack, password=None, password_file=path))
    assert os.listdir(instance(m))
    assert calls(zstack, LOGIN) == 1


def test_account_and_password_from_the_environment(zstack, zmount, monkeypatch):
    monkeypatch.setenv("ZSTACK_ACCOUNT", "admin")
    monkeypatch.setenv("ZSTACK_PASSWORD", "password")
    m = zmount(zstack_profile("zs", zstack, account=None, password=None))
    assert os.listdir(instance(m))


def test_session_expiry_during_find_is_invisible(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    assert os.listdir(m.path("zs")) == [INSTANCE]     # logged in, instances listed
    zstack.update_state([{"op": "expire_sessions"}])
    found = subprocess.run(["find", m.root], capture_output=True, text=True, check=True)
    listed = {os.path.basename(line) for line in found.stdout.splitlines()}
    assert set(zstack_expected_tree(zstack.state())[INSTANCE]["backups"]) <= listed
    assert calls(zstack, LOGIN) == 2                  # exactly one new login
    assert "logged in again" in m.output()
    assert found.stderr == ""


@pytest.mark.parametrize("async_auth_errors", ["job", "immediate"])
def test_session_expiry_at_the_export_call_is_invisible(zstack, zmount, async_auth_errors):
    """The session expires just as the export call arrives: its job fails with
    ID.1001 (202, then 503), or the call itself does. Either way it was refused before
    it was processed, so after one new login it is sent again."""
    zstack.update_state([{"op": "set", "key": "async_auth_errors",
                          "value": async_auth_errors}])
    m = zmount(zstack_profile("zs", zstack))
    control = instance(m, ".export", "zstack-db-2024-06-01")
    os.stat(control)
    zstack.faults([{"kind": "session_expired", "action": EXPORT, "count": 1}])
    subprocess.run(["sh", "-c", 'echo imagestore-local > "$1"', "sh", control], check=True)
    assert control_status(control)["state"] == "done"
    assert calls(zstack, LOGIN) == 2
    assert calls(zstack, EXPORT) == 2
    assert len(zstack.exports()) == 1


def test_session_expiry_before_an_export_is_invisible(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    control = instance(m, ".export", "zstack-db-2024-06-01")
    os.stat(control)
    zstack.update_state([{"op": "expire_sessions"}])
    subprocess.run(["sh", "-c", 'echo imagestore-local > "$1"', "sh", control], check=True)
    assert control_status(control)["state"] == "done"
    assert calls(zstack, LOGIN) == 2
    assert calls(zstack, EXPORT) == 1


def test_access_key_instead_of_a_session(zstack, zmount, tmp_path):
    path = secret_file(tmp_path, "zs.key", KEY_SECRET)
    m = zmount(zstack_profile("zs", zstack, access_key_id=KEY_ID,
                              access_key_secret_file=path))
    assert actual_tree(m.path("zs")) == zstack_expected_tree(zstack.state())
    assert calls(zstack, LOGIN) == 0
    assert all("Date" in r["headers"] for r in zstack.requests())
    m.unmount()
    assert calls(zstack, "LogOut") == 0


def test_endpoint_may_end_in_the_context_path(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, endpoint=zstack.url + "/zstack"))
    assert os.listdir(instance(m))


def test_a_password_file_others_can_read_is_refused(zstack, tmp_path):
    path = secret_file(tmp_path, "zs.password", "password", mode=0o644)
    config = secret_file(tmp_path, "config", zstack_profile("zs", zstack, password=None,
                                                            password_file=path))
    os.makedirs(str(tmp_path / "mnt"))
    run = subprocess.run([BINARY, "-f", "-o", "config=" + config, str(tmp_path / "mnt")],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode != 0
    assert "chmod 600" in run.stdout + run.stderr
    assert zstack.counters()["total"] == 0


# -- mkdir --------------------------------------------------------------------------------

def test_mkdir_creates_exactly_one_backup_creating_then_ready(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, backup_storage="imagestore-local",
                              poll_interval="1s"))
    os.listdir(instance(m))
    started = time.monotonic()
    os.mkdir(instance(m, "before-upgrade"))
    assert time.monotonic() - started < 3      # accepted, not finished (create_seconds 3)
    assert calls(zstack, CREATE) == 1
    creates = zstack.control("GET", "creates")["creates"]
    assert len(creates) == 1 and creates[0]["backupStorageUuid"] == LOCAL_BS
    assert creates[0]["body"] == {"params": {"name": "before-upgrade",
                                             "backupStorageUuid": LOCAL_BS},
                                  "systemTags": [], "userTags": []}
    path = instance(m, "before-upgrade")
    assert os.path.isfile(path)
    assert os.getxattr(path, "user.backup.status") == b"creating"
    wait_until(lambda: os.getxattr(path, "user.backup.status") == b"ready",
               what="the new backup to be ready")
    # The kernel may keep the old attributes for poll_interval.
    wait_until(lambda: os.stat(path).st_size == 10485760, what="the new backup's size")
    assert calls(zstack, CREATE) == 1
    assert len(zstack.state()["database_backups"]) == 10


def test_mkdir_takes_a_backup_storage_uuid(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, backup_storage=DR_BS))
    os.mkdir(instance(m, "to-dr"))
    assert zstack.control("GET", "creates")["creates"][0]["backupStorageUuid"] == DR_BS


def test_mkdir_picks_the_only_image_store(tmp_path, mount_factory):
    with open(DEMO) as f:
        scenario = json.load(f)
    for storage in scenario["backup_storages"]:
        if storage["uuid"] == DR_BS:
            storage["type"] = "SftpBackupStorage"
    with Fake.start("zstack", scenario, str(tmp_path / "one")) as fake:
        m = mount_factory(zstack_profile("zs", fake), secrets=SECRETS)
        os.mkdir(instance(m, "auto-picked"))
        assert fake.control("GET", "creates")["creates"][0]["backupStorageUuid"] == LOCAL_BS
        m.unmount()                            # logs out while the emulator is there
        assert fake.counters()["by_action"]["LogOut"] == 1


def test_mkdir_after_the_session_expired_makes_one_backup(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, backup_storage="imagestore-local"))
    os.listdir(instance(m))
    zstack.update_state([{"op": "expire_sessions"}])
    os.mkdir(instance(m, "after-expiry"))
    assert calls(zstack, LOGIN) == 2
    assert calls(zstack, CREATE) == 1
    assert os.path.isfile(instance(m, "after-expiry"))


def test_mkdir_whose_call_meets_an_expired_session_makes_one_backup(zstack, zmount):
    """mkdir returns once ZStack accepted the job; a job refused with ID.1001 was not
    accepted: one new login, the call again, and still one backup."""
    m = zmount(zstack_profile("zs", zstack, backup_storage="imagestore-local"))
    os.listdir(instance(m))
    zstack.faults([{"kind": "session_expired", "action": CREATE, "count": 1}])
    os.mkdir(instance(m, "after-expiry"))
    assert calls(zstack, LOGIN) == 2
    assert calls(zstack, CREATE) == 2          # the first was refused, unprocessed
    assert len(zstack.control("GET", "creates")["creates"]) == 1
    assert os.path.isfile(instance(m, "after-expiry"))


@pytest.mark.parametrize("name", ["bad\x01name", "bad\tname", b"\xff\xfe".decode(
    "utf-8", "surrogateescape")])
def test_mkdir_name_rules_are_einval_without_a_request(zstack, zmount, name):
    m = zmount(zstack_profile("zs", zstack, backup_storage="imagestore-local"))
    m.expect(r"mkdir .* errno=EINVAL")
    os.listdir(instance(m))
    before = zstack.counters()["total"]
    path = os.fsencode(instance(m)) + b"/" + os.fsencode(name)
    assert errno_of(os.mkdir, path) == errno.EINVAL
    assert zstack.counters()["total"] == before


def test_mkdir_with_two_image_stores_and_no_backup_storage_is_einval(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"mkdir .* errno=EINVAL .*imagestore-local, imagestore-dr.*backup_storage=")
    assert errno_of(os.mkdir, instance(m, "which")) == errno.EINVAL
    assert calls(zstack, CREATE) == 0


def test_mkdir_on_an_unknown_backup_storage_is_enoent(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, backup_storage="no-such-storage"))
    m.expect(r"mkdir .* errno=ENOENT")
    assert errno_of(os.mkdir, instance(m, "x")) == errno.ENOENT
    assert calls(zstack, CREATE) == 0


def test_mkdir_refused_by_zstack_reports_its_error(zstack, zmount):
    """An interceptor refusal comes back through the job: mkdir fails instead of
    returning for a backup that will never exist."""
    m = zmount(zstack_profile("zs", zstack, backup_storage="sftp-legacy"))
    m.expect(r"mkdir .* errno=EIO .*code=\"SYS.1006\".*not an image store")
    assert errno_of(os.mkdir, instance(m, "on-sftp")) == errno.EIO
    assert calls(zstack, CREATE) == 1
    assert zstack.control("GET", "creates")["creates"] == []


# -- export -------------------------------------------------------------------------------

def test_export_through_echo_returns_once_done(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    control = instance(m, ".export", "zstack-db-2024-06-01")
    backup = instance(m, "zstack-db-2024-06-01")
    assert os.getxattr(backup, "user.backup.readable") == b"after-export"
    subprocess.run(["sh", "-c", 'echo imagestore-local > "$1"', "sh", control], check=True)

    exports = zstack.exports()
    assert len(exports) == 1 and exports[0]["state"] == "done"
    assert exports[0]["backupStorageUuid"] == LOCAL_BS
    assert exports[0]["body"] == {"exportDatabaseBackupFromBackupStorage": {},
                                  "systemTags": [], "userTags": []}
    url = exports[0]["url"]
    # The job's location named 192.0.2.10: the polls went to endpoint= instead.
    assert calls(zstack, "PollApiJob") >= 1
    status = control_status(control)
    assert status["state"] == "done" and status["bucket"] == "imagestore-local"
    assert status["result"] == url and status["error"] == ""
    assert status["finished_at"].startswith("20")
    assert os.getxattr(backup, "user.backup.exported_to").decode() == url
    wait_until(lambda: os.getxattr(backup, "user.backup.readable") == b"yes",
               what="the backup to be readable")
    stats = m.stats()["profiles"]["zs"]
    assert json.dumps(stats).count(EXPORT) >= 1


def test_export_by_backup_storage_uuid(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    control = instance(m, ".export", "zstack-db-2024-06-02")
    assert write_command(control, DR_BS + "\n") == len(DR_BS) + 1
    assert zstack.exports()[0]["backupStorageUuid"] == DR_BS


def test_a_second_export_is_answered_from_the_existing_url(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    control = instance(m, ".export", "zstack-db-2024-06-01")
    write_command(control, "imagestore-local")
    url = control_status(control)["result"]
    before = calls(zstack, EXPORT)
    write_command(control, "imagestore-local")
    assert calls(zstack, EXPORT) == before == 1
    status = control_status(control)
    assert status["state"] == "done" and status["result"] == url


def test_a_backup_exported_elsewhere_needs_no_export_call(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    url = backup_named(zstack.state(), "zstack-db-2024-06-03")["backupStorageRefs"][0][
        "exportUrl"]
    assert os.getxattr(instance(m, "zstack-db-2024-06-03"),
                       "user.backup.readable") == b"yes"
    control = instance(m, ".export", "zstack-db-2024-06-03")
    write_command(control, "imagestore-local\n")
    assert calls(zstack, EXPORT) == 0
    assert control_status(control)["result"] == url


def other_client_exports(fake, backup_uuid, storage_uuid):
    """Another ZStack client (the UI, zstack-cli) asks for the same export."""
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        body = {"logInByAccount": {"accountName": "admin", "password": PASSWORD_SHA512}}
        conn.request("PUT", "/zstack/v1/accounts/login", json.dumps(body))
        session = json.loads(conn.getresponse().read())["inventory"]["uuid"]
        conn.request("PUT", "/zstack/v1/database-backups/%s/backup-storage/%s/actions"
                     % (backup_uuid, storage_uuid),
                     json.dumps({"exportDatabaseBackupFromBackupStorage": {}}),
                     {"Authorization": "OAuth " + session})
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 202
    finally:
        conn.close()


def test_an_export_that_loses_the_race_gets_the_winners_url(zstack, zmount):
    """Another client's export of the same backup finishes while ours runs: our job
    then fails with SYS.1006 "has been exported", which is a success with the URL
    that is there (ZStack exports a backup once per storage)."""
    m = zmount(zstack_profile("zs", zstack))
    control = instance(m, ".export", "zstack-db-2024-06-01")
    os.stat(control)
    zstack.faults([{"kind": "job_delay", "action": EXPORT, "seconds": 3, "count": 1}])
    errors = []

    def export():
        try:
            write_command(control, "imagestore-local")
        except OSError as e:
            errors.append(e)

    ours = threading.Thread(target=export)
    ours.start()
    wait_until(lambda: len(zstack.exports()) == 1, what="our export to be accepted")
    other_client_exports(zstack, zstack.exports()[0]["backup"], LOCAL_BS)
    ours.join()
    assert errors == []
    assert calls(zstack, EXPORT) == 2
    exports = zstack.exports()
    assert [e["state"] for e in exports] == ["failed", "done"]
    assert control_status(control)["state"] == "done"
    assert control_status(control)["result"] == exports[1]["url"]


# -- failures and their errno ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["\n", "a\x01b", "x" * 256])
def test_a_bad_backup_storage_name_is_einval_without_a_request(zstack, zmount, text):
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"export .* errno=EINVAL")
    control = instance(m, ".export", "zstack-db-2024-06-01")
    os.stat(control)
    before = zstack.counters()["total"]
    assert errno_of(write_command, control, text) == errno.EINVAL
    assert zstack.counters()["total"] == before


EXPORT_FAILURES = [
    # (backup, storage, fault rule or None, errno, export calls, message)
    ("zstack-db-2024-06-01", "no-such-storage", None, errno.ENOENT, 0,
     "no backup storage is named"),
    ("zstack-db-2024-06-01", "imagestore-dr", None, errno.ENOENT, 0,
     "is not on backup storage"),
    ("zstack-db-2024-06-07", "imagestore-local", None, errno.EBUSY, 1,
     "is not Enabled and Ready"),
    ("pre-maintenance", "imagestore-dr", None, errno.EBUSY, 1, "is not Enabled and Ready"),
    ("zstack-db-2024-06-01", "imagestore-local",
     {"kind": "job_error", "code": "SYS.1001", "details": "export timeout after 300s",
      "count": 1}, errno.ETIMEDOUT, 1, "export timeout"),
    ("zstack-db-2024-06-01", "imagestore-local",
     {"kind": "job_error", "code": "SYS.1006", "count": 1,
      "details": "backup storage[uuid:x] is not enabled and connected"},
     errno.EIO, 1, "is not enabled and connected"),
    ("zstack-db-2024-06-01", "imagestore-local",
     {"kind": "job_error", "code": "ID.1002", "details": "permission denied", "count": 1},
     errno.EACCES, 1, "permission denied"),
    ("zstack-db-2024-06-01", "imagestore-local",
     {"kind": "status", "status": 500, "count": 1}, errno.EIO, 1,
     "HTTP 500: injected fault: HTTP 500"),
    ("zstack-db-2024-06-01", "imagestore-local",
     {"kind": "status", "status": 429, "every": 1}, errno.EAGAIN, 3, ""),
]


@pytest.mark.parametrize("backup,storage,rule,expected,export_calls,message",
                         EXPORT_FAILURES)
def test_each_export_failure_has_its_errno(zstack, zmount, backup, storage, rule, expected,
                                           export_calls, message):
    m = zmount(zstack_profile("zs", zstack, retries=2))
    m.expect(r"export /zs/%s/\.export/.* profile=zs errno=%s"
             % (INSTANCE, errno.errorcode[expected]))
    control = instance(m, ".export", backup)
    os.stat(control)
    if rule:
        zstack.faults([dict(rule, action=EXPORT)])
    assert errno_of(write_command, control, storage) == expected
    assert calls(zstack, EXPORT) == export_calls
    status = control_status(control)
    assert status["state"] == "failed"
    assert status["error"].startswith(errno.errorcode[expected] + ": ")
    assert message in status["error"]
    assert os.getxattr(instance(m, backup), "user.backup.exported_to") == \
        first_url(zstack, backup)


def first_url(fake, name):
    backup = backup_named(fake.state(), name)
    urls = [r["exportUrl"] for r in backup["backupStorageRefs"] if r.get("exportUrl")]
    return (urls[0] if urls else "").encode()


def test_an_export_that_outlives_job_timeout_is_etimedout(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, job_timeout="2s"))
    m.expect(r"export .* errno=ETIMEDOUT .*still running after 2 s.*job_timeout=")
    control = instance(m, ".export", "zstack-db-2024-06-01")
    os.stat(control)
    zstack.faults([{"kind": "job_delay", "action": EXPORT, "seconds": 1000, "count": 1}])
    started = time.monotonic()
    assert errno_of(write_command, control, "imagestore-local") == errno.ETIMEDOUT
    assert 1.5 < time.monotonic() - started < 10
    assert calls(zstack, EXPORT) == 1
    assert control_status(control)["state"] == "failed"


def test_a_dropped_export_is_eio_and_never_repeated(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"export .* errno=EIO .*not repeated because it changes state")
    control = instance(m, ".export", "zstack-db-2024-06-01")
    os.stat(control)
    zstack.faults([{"kind": "reset", "action": EXPORT, "count": 1}])
    assert errno_of(write_command, control, "imagestore-local") == errno.EIO
    assert calls(zstack, EXPORT) == 1


def test_a_wrong_password_is_eacces_with_one_login(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack, password="not-the-password"))
    m.expect(r"profile=zs errno=EACCES .*code=\"ID.1000\".*wrong account name or password"
             r".*remedy=.*password_file=")
    assert errno_of(os.listdir, m.path("zs")) == errno.EACCES
    assert errno_of(os.listdir, m.path("zs")) == errno.EACCES
    assert calls(zstack, LOGIN) == 1          # a refused login is not repeated at once
    assert "not-the-password" not in m.output()


def test_a_wrong_access_key_secret_is_eacces(zstack, zmount, tmp_path):
    path = secret_file(tmp_path, "zs.key", "WRONG" + KEY_SECRET[5:])
    m = zmount(zstack_profile("zs", zstack, access_key_id=KEY_ID,
                              access_key_secret_file=path, retries=0))
    m.expect(r"profile=zs errno=EACCES .*wrong accessKey signature.*access_key_id=")
    assert errno_of(os.listdir, m.path("zs")) == errno.EACCES


def test_an_access_key_with_a_skewed_clock_says_so(zstack, zmount, tmp_path):
    path = secret_file(tmp_path, "zs.key", KEY_SECRET)
    zstack.skew(20 * 60)
    m = zmount(zstack_profile("zs", zstack, access_key_id=KEY_ID,
                              access_key_secret_file=path))
    m.expect(r"profile=zs errno=EACCES http=403")
    assert errno_of(os.listdir, m.path("zs")) == errno.EACCES
    assert "clock skew: the local clock is 1" in m.output()


def test_too_many_sessions_is_eagain(zstack, zmount):
    zstack.update_state([{"op": "set", "key": "session_max_concurrent", "value": 0}])
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"profile=zs errno=EAGAIN .*ID.1006")
    assert errno_of(os.listdir, m.path("zs")) == errno.EAGAIN


def test_an_endpoint_without_the_backup_api_says_what_is_missing(zstack, zmount):
    zstack.faults([{"kind": "status", "status": 404, "every": 1,
                    "action": "QueryDatabaseBackup", "content_type": "text/plain",
                    "body": "no api mapping to /v1/database-backups"}])
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"profile=zs errno=EIO http=404 .*no api mapping.*Backup Service \(Plus\)")
    assert errno_of(os.listdir, m.path("zs")) == errno.EIO


# -- contents -------------------------------------------------------------------------------

@pytest.fixture
def nginx(tmp_path):
    """nginx serving what the backup storages export (tests/fakes/nginx.py)."""
    from nginx import Nginx
    server = Nginx.start(tmp_path / "nginx")
    yield server
    server.stop()


def serve_export(fake, server, name):
    """Points the emulator's export URLs at nginx and puts there the bytes that the
    export of backup `name` will name; returns (backup, sha256)."""
    fake.update_state([{"op": "set", "key": "export_base_url",
                        "value": server.base + "/files"}])
    backup = backup_named(fake.state(), name)
    path = "imagestore/download/%s-%s.gz" % (name, backup["uuid"])
    os.makedirs(os.path.dirname(server.path(path)), exist_ok=True)
    return backup, server.add_file(path, backup["size"], seed=7)


def sha256_of(path):
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def test_cp_after_export_is_byte_identical(zstack, zmount, nginx, tmp_path):
    backup, digest = serve_export(zstack, nginx, "zstack-db-2024-06-02")
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"open .*zstack-db-2024-06-02 profile=zs errno=ENODATA")
    path = instance(m, "zstack-db-2024-06-02")
    assert errno_of(open, path, "rb") == errno.ENODATA
    assert nginx.requests() == []

    control = instance(m, ".export", "zstack-db-2024-06-02")
    subprocess.run(["sh", "-c", 'echo imagestore-local > "$1"', "sh", control], check=True)
    url = control_status(control)["result"]
    assert url.startswith(nginx.base + "/files/imagestore/download/")
    assert os.getxattr(path, "user.backup.readable") == b"yes"
    assert os.stat(path).st_size == backup["size"] == 5242883

    before = zstack.counters()["total"]
    copy = str(tmp_path / "copy.gz")
    subprocess.run(["cp", path, copy], check=True)
    assert os.path.getsize(copy) == backup["size"]
    assert sha256_of(copy) == digest
    # The bytes came from the export URL, in ranges, and not through ZStack.
    served = nginx.requests()
    assert served and all(r["path"].startswith("/files/imagestore/download/") for r in served)
    assert all(r["status"] in (200, 206) for r in served)
    assert zstack.counters()["total"] - before <= 2      # at most a listing refresh
    # A second read is served from the page cache.
    mark = nginx.mark()
    assert sha256_of(path) == digest
    assert nginx.body_bytes(since=mark) == 0


def test_open_before_export_is_enodata_with_the_remedy(zstack, zmount):
    m = zmount(zstack_profile("zs", zstack))
    m.expect(r"open .*zstack-db-2024-06-01 profile=zs errno=ENODATA")
    assert errno_of(open, instance(m, "zstack-db-2024-06-01"), "rb") == errno.ENODATA
    assert "zs/%s/.export/zstack-db-2024-06-01" % INSTANCE in m.output()
