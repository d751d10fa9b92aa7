"""Self-tests of the ZStack fake: it must be as strict as the real REST layer.

Run: /usr/bin/python3 -m pytest tests/fakes/test_zstack_fake.py
Requests are signed and hashed here with small independent helpers (not the fake's own
code), so that a bug in the fake's checks cannot hide behind the same bug in the test.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import time
from email.utils import formatdate
from urllib.parse import quote

import pytest

from harness import Fake

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "scenarios", "zstack-demo.json")
PASSWORD_SHA512 = ("b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb9"
                   "80b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86")
KEY_ID = "ZSAKEXAMPLE000000000"
KEY_SECRET = "ZSSKEXAMPLE00000000000000000000000000000"
LOCAL_BS = "cc9127f6af0e32c888044f49048788a1"
DR_BS = "5f0e7a3b9c1d4e2fa6b8c0d1e2f3a4b5"
SFTP_BS = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
CEPH_BS = "9e8d7c6b5a4f43e2a1b0c9d8e7f6a5b4"
BACKUP_0601 = "742a7c7d4a4f3a01b206632a40ac414f"
BACKUP_0603 = "6dae84793fc53f5b82034dd9a44c554b"   # already exported on LOCAL_BS
BACKUP_CREATING = "d4e5f6a7b8c9403b4c5d6e7f8091a2b3"
BACKUP_DISABLED = "e5f6a7b8c9d0414c5d6e7f8091a2b3c4"
API = "/zstack/v1"

# zstack.md 2.5 test vectors: secret "testsecret", this date.
VECTOR_DATE = "Thu, 17 Oct 2024 05:43:35 GMT"
SIGNATURE_VECTORS = [
    ("GET", "/v1/database-backups", "uAh0yT253FmqyDLJBkC3QSkyuWM="),
    ("PUT", "/v1/database-backups/6dae84793fc53f5b82034dd9a44c554b/backup-storage/"
            "cc9127f6af0e32c888044f49048788a1/actions", "mKv+ApWkm0330YMmRwTbW38YJBk="),
]


# -- client helpers ----------------------------------------------------------------------

def sign(method, path, date, secret=KEY_SECRET):
    uri = path.split("?")[0]
    if uri.startswith("/zstack/"):
        uri = uri[len("/zstack"):]
    mac = hmac.new(secret.encode(), ("%s\n%s\n%s" % (method, date, uri)).encode(), "sha1")
    return base64.b64encode(mac.digest()).decode()


class Reply:
    def __init__(self, response):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode()

    def error(self):
        assert self.status == 503, (self.status, self.body)
        return self.json()["error"]


def call(fake, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        all_headers = {"Content-Type": "application/json;charset=UTF-8"} if data else {}
        all_headers.update(headers or {})
        conn.request(method, path, body=data, headers=all_headers)
        return Reply(conn.getresponse())
    finally:
        conn.close()


def login(fake, account="admin", password_hash=PASSWORD_SHA512):
    return call(fake, "PUT", API + "/accounts/login",
                {"logInByAccount": {"accountName": account, "password": password_hash},
                 "systemTags": [], "userTags": []})


def session(fake):
    reply = login(fake)
    assert reply.status == 200, reply.body
    return reply.json()["inventory"]["uuid"]


def oauth(session_uuid):
    return {"Authorization": "OAuth " + session_uuid}


def access_key_headers(method, path, date=None, key_id=KEY_ID, secret=KEY_SECRET):
    date = date or formatdate(usegmt=True)
    return {"Date": date, "Authorization": "ZStack %s:%s" % (key_id, sign(method, path, date,
                                                                           secret))}


def job_path(accepted):
    """The location's path: the fake reports an internal host, as real nodes may."""
    location = accepted.json()["location"]
    assert location.startswith("http://192.0.2.10:8080/zstack/v1/api-jobs/")
    return location[len("http://192.0.2.10:8080"):]


def wait_job(fake, path, limit=10.0):
    deadline = time.monotonic() + limit
    while True:
        reply = call(fake, "GET", path)
        if reply.status != 202:
            return reply
        assert reply.json() == {}
        assert time.monotonic() < deadline, "job never finished"
        time.sleep(0.05)


def export_path(backup, storage):
    return "%s/database-backups/%s/backup-storage/%s/actions" % (API, backup, storage)


EXPORT_BODY = {"exportDatabaseBackupFromBackupStorage": {}, "systemTags": [], "userTags": []}


# -- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    running = Fake.start("zstack", DEMO, tmp_path_factory.mktemp("zstack"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_world(fake):
    fake.reset(world=True)
    yield


@pytest.fixture
def auth(fake):
    return oauth(session(fake))


# -- dates, hashes and signatures ----------------------------------------------------------

def test_signature_vectors_match_zstack_md():
    import zstack_fake
    for method, uri, expected in SIGNATURE_VECTORS:
        assert sign(method, uri, VECTOR_DATE, "testsecret") == expected
        assert zstack_fake.access_key_signature("testsecret", method, uri,
                                                VECTOR_DATE) == expected


def test_password_hash_is_sha512_hex():
    import zstack_fake
    assert hashlib.sha512(b"password").hexdigest() == PASSWORD_SHA512
    assert zstack_fake.password_hash("password") == PASSWORD_SHA512


@pytest.mark.parametrize("style,text", [
    ("jdk8", "Jun 7, 2024 4:12:45 PM"),
    ("jdk9", "Jun 7, 2024, 4:12:45 PM"),
    ("jdk20", "Jun 7, 2024, 4:12:45\u202fPM"),
])
def test_dates_in_every_jdk_style(style, text):
    import zstack_fake
    epoch = 1717747965   # 2024-06-07T08:12:45Z = 4:12:45 PM in Shanghai
    assert zstack_fake.format_date(epoch, "Asia/Shanghai", style) == text
    assert zstack_fake.parse_date(text, "Asia/Shanghai") == epoch
    assert zstack_fake.format_date(epoch, "UTC") == "Jun 7, 2024 8:12:45 AM"
    assert zstack_fake.format_date(1510669257, "Asia/Shanghai") == "Nov 14, 2017 10:20:57 PM"


# -- login, sessions, logout -----------------------------------------------------------------

def test_login_gives_a_session_inventory(fake):
    reply = login(fake)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json;charset=UTF-8"
    inventory = reply.json()["inventory"]
    assert len(inventory["uuid"]) == 32
    assert inventory["accountUuid"] == "36c27e8ff05c4780bf6d2fa65700f22e"
    assert inventory["expiredDate"].endswith(("AM", "PM"))
    assert fake.counters()["by_action"] == {"LogInByAccount": 1}
    # The request log never shows the password hash.
    assert PASSWORD_SHA512 not in json.dumps(fake.requests())


@pytest.mark.parametrize("account,password,code", [
    ("admin", hashlib.sha512(b"wrong").hexdigest(), "ID.1000"),
    ("admin", "password", "ID.1000"),            # plaintext, not the hash
    ("nobody", PASSWORD_SHA512, "ID.1000"),
    ("admin", "", "SYS.1007"),
])
def test_bad_logins_are_503_errors(fake, account, password, code):
    error = login(fake, account, password).error()
    assert error["code"] == code
    if code == "ID.1000":
        assert error["details"] == "wrong account name or password"


def test_missing_authorization_is_plain_text_400(fake):
    reply = call(fake, "GET", API + "/database-backups")
    assert reply.status == 400
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.text() == "missing header 'Authorization'"


def test_unknown_and_expired_sessions_are_id_1001(fake):
    assert call(fake, "GET", API + "/database-backups",
                headers=oauth("0" * 32)).error()["code"] == "ID.1001"
    uuid = session(fake)
    assert call(fake, "GET", API + "/database-backups", headers=oauth(uuid)).status == 200
    fake.update_state([{"op": "expire_sessions"}])
    error = call(fake, "GET", API + "/database-backups", headers=oauth(uuid)).error()
    assert error["code"] == "ID.1001" and error["details"] == "Session expired"


def test_sessions_expire_after_their_lifetime_in_ticked_time(fake):
    fake.update_state([{"op": "set", "key": "session_lifetime_seconds", "value": 60}])
    uuid = session(fake)
    fake.tick(59)
    assert call(fake, "GET", API + "/database-backups", headers=oauth(uuid)).status == 200
    fake.tick(2)
    assert call(fake, "GET", API + "/database-backups",
                headers=oauth(uuid)).error()["code"] == "ID.1001"
    valid = call(fake, "GET", API + "/accounts/sessions/%s/valid" % uuid)
    assert valid.status == 200 and valid.json() == {"valid": False}


def test_logout_ends_the_session(fake):
    uuid = session(fake)
    assert call(fake, "GET", API + "/accounts/sessions/%s/valid" % uuid).json() == \
        {"valid": True}
    reply = call(fake, "DELETE", API + "/accounts/sessions/" + uuid)
    assert reply.status == 200 and reply.json() == {}
    assert call(fake, "GET", API + "/database-backups",
                headers=oauth(uuid)).error()["code"] == "ID.1001"
    assert fake.counters()["by_action"]["LogOut"] == 1


def test_too_many_sessions_is_id_1006(fake):
    fake.update_state([{"op": "set", "key": "session_max_concurrent", "value": 2}])
    session(fake)
    session(fake)
    assert login(fake).error()["code"] == "ID.1006"


# -- AccessKey -----------------------------------------------------------------------------

def test_access_key_requests_are_verified(fake):
    path = API + "/database-backups?limit=2"
    assert call(fake, "GET", path, headers=access_key_headers("GET", path)).status == 200
    wrong = access_key_headers("GET", path, secret="not-the-secret")
    assert call(fake, "GET", path, headers=wrong).error()["details"] == \
        "wrong accessKey signature"
    unknown = access_key_headers("GET", path, key_id="NOSUCHKEY")
    assert "access key id" in call(fake, "GET", path, headers=unknown).error()["details"]
    # Signed over another path: refused.
    other = access_key_headers("GET", API + "/backup-storage")
    assert call(fake, "GET", path, headers=other).error()["code"] == "ID.1000"


def test_access_key_format_and_date_errors_are_plain_text(fake):
    path = API + "/database-backups"
    headers = access_key_headers("GET", path)
    no_date = {"Authorization": headers["Authorization"]}
    reply = call(fake, "GET", path, headers=no_date)
    assert (reply.status, reply.text()) == (400, "'Date' must be incuded in request header")
    reply = call(fake, "GET", path, headers={"Date": headers["Date"],
                                             "Authorization": "ZStack " + KEY_ID})
    assert (reply.status, reply.text()) == \
        (400, "accessKey format is 'ZStack AccessKeyId:Signature'")
    old = formatdate(time.time() - 16 * 60, usegmt=True)
    reply = call(fake, "GET", path, headers=access_key_headers("GET", path, date=old))
    assert (reply.status, reply.text()) == (403, "requestTimeTooSkewed")
    assert reply.headers["content-type"].startswith("text/plain")


def test_access_key_date_window_follows_the_fake_clock(fake):
    fake.skew(20 * 60)
    path = API + "/database-backups"
    assert call(fake, "GET", path, headers=access_key_headers("GET", path)).status == 403
    fake.skew(10 * 60)
    assert call(fake, "GET", path, headers=access_key_headers("GET", path)).status == 200


# -- routing -------------------------------------------------------------------------------

def test_routing_errors_are_plain_text(fake, auth):
    reply = call(fake, "GET", API + "/no-such-thing", headers=auth)
    assert (reply.status, reply.text()) == (404, "no api mapping to /v1/no-such-thing")
    reply = call(fake, "POST", API + "/api-jobs/abc", headers=auth)
    assert reply.status == 405 and reply.headers["content-type"].startswith("text/plain")
    reply = call(fake, "GET", API + "/api-jobs/" + "f" * 32)
    assert (reply.status, reply.text()) == (404, "the job has been expired")
    reply = call(fake, "POST", API + "/database-backups", body="{not json", headers=auth)
    assert reply.status == 400 and reply.headers["content-type"].startswith("text/plain")


# -- queries -------------------------------------------------------------------------------

def test_query_shape_total_and_schema(fake, auth):
    plain = call(fake, "GET", API + "/database-backups", headers=auth).json()
    assert "total" not in plain and len(plain["inventories"]) == 9
    assert plain["schema"]["inventories[0]"].endswith("DatabaseBackupInventory")
    counted = call(fake, "GET", API + "/database-backups?replyWithCount=true&limit=2",
                   headers=auth).json()
    assert counted["total"] == 9 and len(counted["inventories"]) == 2
    only = call(fake, "GET", API + "/database-backups?count=true", headers=auth).json()
    assert only == {"total": 9}


def test_paging_and_sorting(fake, auth):
    seen = []
    for start in range(0, 9, 4):
        page = call(fake, "GET", API + "/database-backups?replyWithCount=true&start=%d"
                    "&limit=4&sort=-createDate" % start, headers=auth).json()
        seen += [b["uuid"] for b in page["inventories"]]
    import zstack_fake
    dates = {b["uuid"]: zstack_fake.parse_date(b["createDate"], "Asia/Shanghai")
             for b in fake.state()["database_backups"]}
    assert len(seen) == 9 and len(set(seen)) == 9
    assert [dates[u] for u in seen] == sorted(dates.values(), reverse=True)
    ascending = call(fake, "GET", API + "/database-backups?sort=%2BcreateDate",
                     headers=auth).json()["inventories"]
    assert [b["uuid"] for b in ascending] == list(reversed(seen))
    bad = call(fake, "GET", API + "/database-backups?sort=-nope", headers=auth).error()
    assert bad["code"] == "SYS.1007"
    assert call(fake, "GET", API + "/database-backups?limit=x", headers=auth).status == 400


@pytest.mark.parametrize("condition,expected", [
    ("name=nightly", 2),
    ("name~=zstack-db-%", 5),
    ("name!~=zstack-db-%", 4),
    ("status=Creating", 1),
    ("size>13000000", 3),
    ("size<=12320768", 4),
    ("uuid?=%s,%s" % (BACKUP_0601, BACKUP_0603), 2),
    ("backupStorageRefs.backupStorageUuid=" + DR_BS, 4),
    ("backupStorageRefs.exportUrl!=null", 1),
    ("description=null", 0),
    ("createDate>Jun 5, 2024 12:00:00 AM", 3),
])
def test_query_conditions(fake, auth, condition, expected):
    reply = call(fake, "GET", API + "/database-backups?q=" + quote(condition, safe=""),
                 headers=auth)
    assert reply.status == 200, reply.body
    assert len(reply.json()["inventories"]) == expected


def test_unknown_condition_field_is_sys_1007(fake, auth):
    reply = call(fake, "GET", API + "/database-backups?q=colour=red", headers=auth)
    assert reply.error()["code"] == "SYS.1007"


def test_query_one_backup_by_uuid(fake, auth):
    one = call(fake, "GET", API + "/database-backups/" + BACKUP_0603, headers=auth).json()
    assert [b["uuid"] for b in one["inventories"]] == [BACKUP_0603]
    none = call(fake, "GET", API + "/database-backups/" + "0" * 32, headers=auth)
    assert none.status == 200 and none.json()["inventories"] == []


def test_backup_storage_query(fake, auth):
    all_storages = call(fake, "GET", API + "/backup-storage", headers=auth).json()
    assert {s["name"] for s in all_storages["inventories"]} == \
        {"imagestore-local", "imagestore-dr", "sftp-legacy", "ceph-pool"}
    image_stores = call(fake, "GET", API + "/backup-storage?q=type=ImageStoreBackupStorage",
                        headers=auth).json()["inventories"]
    assert len(image_stores) == 2
    one = call(fake, "GET", API + "/backup-storage/" + DR_BS, headers=auth).json()
    assert one["inventories"][0]["name"] == "imagestore-dr"


# -- create --------------------------------------------------------------------------------

def create(fake, auth, name="manual-1", storage=LOCAL_BS):
    return call(fake, "POST", API + "/database-backups",
                {"params": {"name": name, "backupStorageUuid": storage},
                 "systemTags": [], "userTags": []}, auth)


def test_create_is_async_and_the_backup_moves_from_creating_to_ready(fake, auth):
    fake.update_state([{"op": "set", "key": "create_seconds", "value": 100}])
    accepted = create(fake, auth)
    assert accepted.status == 202
    assert accepted.json()["apiTimeout"] == 1800000
    path = job_path(accepted)
    backups = fake.state()["database_backups"]
    made = backups[0]
    assert made["name"] == "manual-1" and made["status"] == "Creating" and made["size"] == 0
    assert made["backupStorageRefs"][0]["backupStorageUuid"] == LOCAL_BS
    assert call(fake, "GET", path).status == 202
    fake.tick(100)
    done = call(fake, "GET", path)
    assert done.status == 200
    inventory = done.json()["inventory"]
    assert inventory["uuid"] == made["uuid"] and inventory["status"] == "Ready"
    assert inventory["size"] == 10485760
    # The job keeps its answer.
    assert call(fake, "GET", path).json() == done.json()
    assert fake.counters()["by_action"]["CreateDatabaseBackup"] == 1
    assert len(fake.control("GET", "creates")["creates"]) == 1


def test_a_backup_becomes_ready_without_anyone_polling(fake, auth):
    fake.update_state([{"op": "set", "key": "create_seconds", "value": 5}])
    create(fake, auth)
    fake.tick(5)
    assert fake.state()["database_backups"][0]["status"] == "Ready"


@pytest.mark.parametrize("name,storage,code,details", [
    ("", LOCAL_BS, "SYS.1007", "missing mandatory field[name]"),
    ("x" * 256, LOCAL_BS, "SYS.1007", "exceeds the max length"),
    ("ok", "0" * 32, "SYS.1007", "not found"),
    ("ok", SFTP_BS, "SYS.1006", "not an image store"),
    ("ok", CEPH_BS, "SYS.1006", "is not enabled and connected"),
])
def test_refused_creates_fail_through_their_job(fake, auth, name, storage, code, details):
    accepted = create(fake, auth, name, storage)
    assert accepted.status == 202
    error = wait_job(fake, job_path(accepted)).error()
    assert error["code"] == code and details in error["details"]
    assert len(fake.state()["database_backups"]) == 9


def test_expired_session_on_an_async_call_fails_through_the_job(fake):
    uuid = session(fake)
    fake.update_state([{"op": "expire_sessions"}])
    accepted = create(fake, oauth(uuid))
    assert accepted.status == 202
    assert wait_job(fake, job_path(accepted)).error()["code"] == "ID.1001"
    assert len(fake.state()["database_backups"]) == 9
    fake.update_state([{"op": "set", "key": "async_auth_errors", "value": "immediate"}])
    assert create(fake, oauth(uuid)).error()["code"] == "ID.1001"


# -- export --------------------------------------------------------------------------------

def test_export_is_async_and_gives_the_url(fake, auth):
    fake.update_state([{"op": "set", "key": "export_base_url",
                        "value": "http://127.0.0.1:9999/base"}])
    accepted = call(fake, "PUT", export_path(BACKUP_0601, LOCAL_BS), EXPORT_BODY, auth)
    assert accepted.status == 202
    path = job_path(accepted)
    assert call(fake, "GET", path).status == 202      # export_seconds = 1
    fake.tick(1)
    done = call(fake, "GET", path)
    url = ("http://127.0.0.1:9999/base/imagestore/download/zstack-db-2024-06-01-%s.gz"
           % BACKUP_0601)
    assert done.status == 200 and done.json() == {"databaseBackupUrl": url}
    refs = call(fake, "GET", API + "/database-backups/" + BACKUP_0601,
                headers=auth).json()["inventories"][0]["backupStorageRefs"]
    assert refs[0]["exportUrl"] == url
    exports = fake.exports()
    assert len(exports) == 1 and exports[0]["state"] == "done"
    assert exports[0]["action_key_present"] is True


def test_a_backup_exports_only_once_per_storage(fake, auth):
    accepted = call(fake, "PUT", export_path(BACKUP_0603, LOCAL_BS), EXPORT_BODY, auth)
    error = wait_job(fake, job_path(accepted)).error()
    assert error["code"] == "SYS.1006"
    assert error["details"] == ("database backup[uuid%s] has been exported from "
                                "backupStorage[uuid:%s]" % (BACKUP_0603, LOCAL_BS))
    assert fake.exports() == []


@pytest.mark.parametrize("backup,storage,code,details", [
    (BACKUP_CREATING, LOCAL_BS, "SYS.1006", "is not Enabled and Ready"),
    (BACKUP_DISABLED, DR_BS, "SYS.1006", "is not Enabled and Ready"),
    (BACKUP_0601, DR_BS, "SYS.1006", "not found in backup storage"),
    ("0" * 32, LOCAL_BS, "SYS.1007", "not found"),
    (BACKUP_0601, "0" * 32, "SYS.1007", "not found"),
])
def test_export_preconditions(fake, auth, backup, storage, code, details):
    accepted = call(fake, "PUT", export_path(backup, storage), EXPORT_BODY, auth)
    error = wait_job(fake, job_path(accepted)).error()
    assert error["code"] == code and details in error["details"]


def test_delete_exported_clears_the_url(fake, auth):
    deleted = call(fake, "DELETE", "%s/exported-database-backup/%s/backup-storage/%s"
                   % (API, BACKUP_0603, LOCAL_BS), headers=auth)
    assert wait_job(fake, job_path(deleted)).status == 200
    record = [b for b in fake.state()["database_backups"] if b["uuid"] == BACKUP_0603][0]
    assert "exportUrl" not in record["backupStorageRefs"][0]
    again = call(fake, "DELETE", "%s/exported-database-backup/%s/backup-storage/%s"
                 % (API, BACKUP_0603, LOCAL_BS), headers=auth)
    assert "has not been exported" in wait_job(fake, job_path(again)).error()["details"]


# -- faults --------------------------------------------------------------------------------

def test_job_faults(fake, auth):
    fake.faults([{"kind": "job_error", "action": "ExportDatabaseBackupFromBackupStorage",
                  "code": "SYS.1001", "details": "export timeout", "count": 1}])
    failed = call(fake, "PUT", export_path(BACKUP_0601, LOCAL_BS), EXPORT_BODY, auth)
    fake.tick(1)
    assert wait_job(fake, job_path(failed)).error()["code"] == "SYS.1001"
    assert fake.exports()[0]["state"] == "failed"
    fake.faults([{"kind": "job_delay", "action": "ExportDatabaseBackupFromBackupStorage",
                  "seconds": 1000, "count": 1}])
    slow = call(fake, "PUT", export_path(BACKUP_0601, LOCAL_BS), EXPORT_BODY, auth)
    fake.tick(999)
    assert call(fake, "GET", job_path(slow)).status == 202
    fake.tick(1)
    assert call(fake, "GET", job_path(slow)).status == 200
    assert fake.counters()["faults"]["job_delay"] == 1


@pytest.mark.parametrize("status,json_body", [(503, True), (500, False), (400, False),
                                               (404, False), (405, False)])
def test_injected_statuses_have_the_real_body_types(fake, auth, status, json_body):
    fake.faults([{"kind": "status", "status": status, "count": 1}])
    reply = call(fake, "GET", API + "/database-backups", headers=auth)
    assert reply.status == status
    if json_body:
        assert reply.error()["code"] == "SYS.1000"
    else:
        assert reply.headers["content-type"].startswith("text/plain")
        with pytest.raises(ValueError):
            json.loads(reply.body)


def test_transport_faults_from_the_core(fake, auth):
    fake.faults([{"kind": "malformed", "action": "QueryDatabaseBackup", "count": 1}])
    reply = call(fake, "GET", API + "/database-backups", headers=auth)
    assert reply.status == 200
    with pytest.raises(ValueError):
        json.loads(reply.body)
    assert call(fake, "GET", API + "/database-backups", headers=auth).status == 200
    assert fake.counters()["faults"]["malformed"] == 1


# -- state and scenario --------------------------------------------------------------------

def test_state_patches_are_all_or_nothing(fake):
    with pytest.raises(Exception):
        fake.update_state([{"op": "set_backup_field", "uuid": BACKUP_0601, "field": "size",
                            "value": 1},
                           {"op": "remove_backup", "uuid": "nope"}])
    record = [b for b in fake.state()["database_backups"] if b["uuid"] == BACKUP_0601][0]
    assert record["size"] == 13107200


def test_state_patches_keep_jobs_running(fake, auth):
    accepted = create(fake, auth)
    fake.update_state([{"op": "set_backup_field", "uuid": BACKUP_0601, "field": "size",
                        "value": 1}])
    fake.tick(3)
    assert wait_job(fake, job_path(accepted)).json()["inventory"]["status"] == "Ready"
    assert fake.state()["database_backups"][0]["status"] == "Ready"


def test_bad_scenario_exits_with_status_2(tmp_path):
    from harness import FakeError
    with pytest.raises(FakeError) as caught:
        Fake.start("zstack", {"accounts": [], "whatever": 1}, str(tmp_path))
    assert "exited with 2" in str(caught.value)
