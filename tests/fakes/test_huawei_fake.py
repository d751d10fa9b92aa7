"""Self-tests of the Huawei Cloud fake: it must be as strict as the real gateway.

Run: /usr/bin/python3 -m pytest tests/fakes/test_huawei_fake.py
Requests are signed here with a small independent signer (not the fake's own code), so
a bug in the fake's signature check cannot hide behind the same bug in the test; the
signer itself is pinned by the test vectors of api/huawei.md section 3.7.
"""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import socket
import time
from urllib.parse import quote

import pytest

from harness import Fake, FakeError

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "scenarios", "huawei-demo.json")
AK = "AKEXAMPLE0000000000"
SK = "SKEXAMPLE0000000000000000000000000000000"
PROJECT = "0483b6b16e954cb88930a360d2c4e663"
OTHER_AK, OTHER_SK = "AKOTHER000000000000", "SKOTHER00000000000000000000000000000000"
OTHER_PROJECT = "619d3e78f61b4be68bc5aa0b59edcf7b"

TAURUS_ORDERS = "ef25188419f941309882d2986b2210b9in07"
TAURUS_EMPTY = "d738399de028480fabb2b8120d4e01a4in07"
TAURUS_BIG = "3ef58db3986540d19f95151309368d34in07"
RDS_SHOP = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
RDS_PG = "a48e43ff268f4c0e879652d65e63d0fbin03"

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
TAURUS_JSON = "application/json;charset=UTF-8"


# -- an independent signer (huawei.md 3) ---------------------------------------------------

def enc(text):
    return quote(text, safe="-_.~")


def canonical(method, path, query_pairs, headers, body, signed=None):
    """headers: {name: value} as sent; signed: the names to sign (default: all)."""
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(signed if signed is not None else lower)
    uri = "/".join(enc(s) for s in path.split("/"))
    uri = uri if uri.endswith("/") else uri + "/"
    query = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(query_pairs))
    lines = "".join("%s:%s\n" % (n, lower[n]) for n in names)
    payload = lower.get("x-sdk-content-sha256") or hashlib.sha256(body).hexdigest()
    return "\n".join([method, uri, query, lines, ";".join(names), payload]), ";".join(names)


def sign(method, path, query_pairs, headers, body=b"", ak=AK, sk=SK, signed=None):
    text, names = canonical(method, path, query_pairs, headers, body, signed)
    to_sign = "SDK-HMAC-SHA256\n%s\n%s" % (headers["X-Sdk-Date"],
                                           hashlib.sha256(text.encode()).hexdigest())
    mac = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return "SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%s" % (ak, names, mac)


def sdk_date(offset_seconds=0):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + offset_seconds))


class Reply:
    def __init__(self, response):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def json(self):
        return json.loads(self.body)

    def error(self):
        body = self.json()
        return body["error_code"], body["error_msg"]


def request(fake, method, path, query=(), body=None, project=PROJECT, ak=AK, sk=SK,
            date=None, host=None, extra=None, signed=None, tamper=None,
            content_type=TAURUS_JSON, conn=None):
    """One signed request.  `path` is the full path sent (service segment included)."""
    query = list(query)
    raw_body = b"" if body is None else (body if isinstance(body, bytes)
                                         else json.dumps(body).encode())
    headers = {"Content-Type": content_type,
               "Host": host or "127.0.0.1:%d" % fake.port,
               "X-Sdk-Date": date or sdk_date()}
    if project is not None:
        headers["X-Project-Id"] = project
    headers.update(extra or {})
    headers["Authorization"] = sign(method, path, query, headers, raw_body, ak, sk, signed)
    if tamper:
        tamper(headers)
    target = path + ("?" + "&".join("%s=%s" % (enc(k), enc(v)) for k, v in query)
                     if query else "")
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(raw_body)))
        conn.endheaders(raw_body)
        return Reply(conn.getresponse())
    finally:
        if own:
            conn.close()


def taurus(fake, suffix, **kwargs):
    return request(fake, kwargs.pop("method", "GET"), "/taurusdb/v3/%s%s" % (
        kwargs.pop("project_in_path", PROJECT), suffix), **kwargs)


def legacy(fake, suffix, **kwargs):
    return request(fake, kwargs.pop("method", "GET"), "/taurusdb/mysql/v3/%s%s" % (
        PROJECT, suffix), **kwargs)


def rds(fake, suffix, **kwargs):
    kwargs.setdefault("content_type", "application/json")
    return request(fake, kwargs.pop("method", "GET"), "/rds/v3/%s%s" % (PROJECT, suffix),
                   **kwargs)


def assert_auth_failure(reply, detail):
    assert reply.status == 401, reply.body
    code, message = reply.error()
    assert code == "APIGW.0301"
    assert message.startswith("Incorrect IAM authentication information: ")
    assert detail in message, message
    assert reply.json()["request_id"] == reply.headers["x-request-id"]


# -- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    running = Fake.start("huawei", DEMO, tmp_path_factory.mktemp("huawei"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_world(fake):
    fake.reset(world=True)
    yield


@pytest.fixture(scope="module")
def demo():
    with open(DEMO, encoding="utf-8") as f:
        return json.load(f)


# -- the signer against the reference vectors (T1..T3) -------------------------------------

T1_HEADERS = {"Host": "service.region.example.com", "Content-Type": "application/json",
              "X-Sdk-Date": "20191115T033655Z"}
T1_PATH = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
T1_QUERY = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
T1_SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
T1_SIGNATURE = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
T2_SIGNATURE = "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
T3_SIGNATURE = "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
T3_BODY = b'{"Name":"test","Id":1}\n'


def test_t1_canonical_request_and_signature():
    text, names = canonical("GET", T1_PATH, T1_QUERY, T1_HEADERS, b"")
    assert text == ("GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
                    "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
                    "content-type:application/json\nhost:service.region.example.com\n"
                    "x-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\n"
                    + EMPTY_SHA256)
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a")
    assert sign("GET", T1_PATH, T1_QUERY, T1_HEADERS, sk=T1_SK).endswith(
        "Signature=" + T1_SIGNATURE)


@pytest.mark.parametrize("method,query,body,expected", [
    ("GET", [("limit", "1")], b"", T2_SIGNATURE),
    ("POST", [("key", "value")], T3_BODY, T3_SIGNATURE),
])
def test_t2_t3_go_sdk_vectors(method, query, body, expected):
    headers = {"X-Sdk-Date": "20060102T150405Z"}
    assert sign(method, "/path", query, headers, body, "AccessKey", "SecretKey") == (
        "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=" + expected)


def test_t3_needs_the_trailing_newline_of_the_body():
    headers = {"X-Sdk-Date": "20060102T150405Z"}
    assert not sign("POST", "/path", [("key", "value")], headers, T3_BODY[:-1],
                    "AccessKey", "SecretKey").endswith(T3_SIGNATURE)


class FakeRequest:
    """Just enough of fakecore.Request for the fake's own verifier."""

    def __init__(self, method, path, raw_query, headers, body):
        import email.message
        self.method, self.path, self.raw_query, self.body = method, path, raw_query, body
        self.headers = email.message.Message()
        for name, value in headers.items():
            self.headers[name] = value


@pytest.mark.parametrize("vector", ["T1", "T2", "T3"])
def test_the_fakes_verifier_reproduces_the_vectors(vector):
    import huawei_fake
    if vector == "T1":
        req = FakeRequest("GET", T1_PATH, "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
                          T1_HEADERS, b"")
        names, sk, expected = ["content-type", "host", "x-sdk-date"], T1_SK, T1_SIGNATURE
    else:
        post = vector == "T3"
        req = FakeRequest("POST" if post else "GET", "/path", "key=value" if post else "limit=1",
                          {"X-Sdk-Date": "20060102T150405Z"}, T3_BODY if post else b"")
        names, sk = ["x-sdk-date"], "SecretKey"
        expected = T3_SIGNATURE if post else T2_SIGNATURE
    text = huawei_fake.canonical_request(req, names)
    date = req.headers["X-Sdk-Date"]
    assert huawei_fake.signature(sk, huawei_fake.string_to_sign(text, date)) == expected


# -- the gateway: signatures and authentication --------------------------------------------

T45_DATE = "20240102T030405Z"
T45_HOST = "gaussdb.cn-north-4.myhuaweicloud.com"
T4_BODY = (b'{"instance_id":"ef25188419f941309882d2986b2210b9in07","name":"backup-1",'
           b'"description":"manual backup"}')
T4_AUTHORIZATION = ("SDK-HMAC-SHA256 Access=AKEXAMPLE0000000000, "
                    "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
                    "Signature=16ddfb46dd606349e5bb450bb3fda8e0ded8806c09aac09f0028ff91fb7014ff")
T5_TARGET = ("/v3/%s/backups?instance_id=%s&backup_type=manual"
             "&begin_time=2020-07-06T10:41:14+0800&end_time=2020-07-16T10:41:14+0800"
             "&offset=0&limit=10" % (PROJECT, TAURUS_ORDERS))
T5_AUTHORIZATION = ("SDK-HMAC-SHA256 Access=AKEXAMPLE0000000000, "
                    "SignedHeaders=host;x-project-id;x-sdk-date, "
                    "Signature=256ddf2765c513fab801e3610e94ba420a3bdfc97809023898cf36042e5fa8c5")


def raw_call(fake, method, target, headers, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        return Reply(conn.getresponse())
    finally:
        conn.close()


def at_vector_time(fake):
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc).timestamp()
    fake.skew(when - time.time())


def test_t4_is_accepted_verbatim_on_the_gaussdb_host(fake):
    at_vector_time(fake)
    reply = raw_call(fake, "POST", "/v3/%s/backups/create" % PROJECT,
                     {"Content-Type": TAURUS_JSON, "Host": T45_HOST, "X-Project-Id": PROJECT,
                      "X-Sdk-Date": T45_DATE, "Authorization": T4_AUTHORIZATION}, T4_BODY)
    assert reply.status == 201, reply.body
    backup = reply.json()["backup"]
    assert backup["name"] == "backup-1" and backup["status"] == "BUILDING"
    assert backup["begin_time"].endswith("+0800") and backup["id"].endswith("br07")
    assert "job_id" in reply.json()


def test_t5_raw_plus_in_the_query_is_a_literal_plus(fake):
    at_vector_time(fake)
    reply = raw_call(fake, "GET", T5_TARGET, {"Host": T45_HOST, "X-Project-Id": PROJECT,
                                              "X-Sdk-Date": T45_DATE,
                                              "Authorization": T5_AUTHORIZATION})
    assert reply.status == 200, reply.body
    names = [b["name"] for b in reply.json()["backups"]]
    assert "before-migration" in names and reply.json()["total_count"] == 3


@pytest.mark.parametrize("signed", [
    None,                                          # Python/Node: every header
    ["x-project-id", "x-sdk-date"],                # Go: no content-type, no host
    ["x-sdk-date"],                                # the Go test vectors' minimum
])
def test_any_signed_header_set_the_sdks_use_is_accepted(fake, signed):
    reply = taurus(fake, "/instances", signed=signed)
    assert reply.status == 200, reply.body
    assert reply.json()["total_count"] == 3


def test_unsigned_payload_header_replaces_the_body_hash(fake):
    reply = rds(fake, "/backups", method="POST",
                body={"instance_id": RDS_SHOP, "name": "payload-unsigned"},
                extra={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"})
    assert reply.status == 200, reply.body


def tamper_header(name, value):
    def tamper(headers):
        headers[name] = value
    return tamper


@pytest.mark.parametrize("case,detail", [
    ("wrong_secret", "verify aksk signature fail"),
    ("unknown_key", "ak not exist"),
    ("old_date", "expired"),
    ("future_date", "expired"),
    ("bad_date", "YYYYMMDDTHHMMSSZ"),
    ("no_authorization", "authorization header is missing"),
    ("garbled_authorization", "decode authorization header failed"),
    ("date_not_signed", "x-sdk-date must be signed"),
    ("changed_signed_header", "verify aksk signature fail"),
    ("signed_header_missing", "verify aksk signature fail"),
    ("changed_body", "verify aksk signature fail"),
    ("changed_query", "verify aksk signature fail"),
    ("no_trailing_slash_rule", "verify aksk signature fail"),
    ("no_project_header", "X-Project-Id is required"),
    ("other_accounts_project", "does not belong to this access key"),
])
def test_bad_requests_get_401_apigw_0301(fake, case, detail):
    kwargs = {}
    if case == "wrong_secret":
        kwargs["sk"] = "X" * 40
    elif case == "unknown_key":
        kwargs["ak"] = "AKUNKNOWN0000000000"
    elif case == "old_date":
        kwargs["date"] = sdk_date(-16 * 60)
    elif case == "future_date":
        kwargs["date"] = sdk_date(+16 * 60)
    elif case == "bad_date":
        kwargs["date"] = "2024-01-02T03:04:05Z"
    elif case == "no_authorization":
        kwargs["tamper"] = lambda h: h.pop("Authorization")
    elif case == "garbled_authorization":
        kwargs["tamper"] = tamper_header("Authorization", "SDK-HMAC-SHA256 Credential=x")
    elif case == "date_not_signed":
        kwargs["signed"] = ["host", "x-project-id"]
    elif case == "changed_signed_header":
        kwargs["tamper"] = tamper_header("Content-Type", "application/json")
    elif case == "signed_header_missing":
        kwargs["extra"] = {"X-Language": "en-us"}
        kwargs["tamper"] = lambda h: h.pop("X-Language")
    elif case == "changed_body":
        body = {"instance_id": TAURUS_ORDERS, "name": "tampered"}
        reply = request(fake, "POST", "/taurusdb/v3/%s/backups/create" % PROJECT, body=body,
                        tamper=lambda h: None)
        assert reply.status == 201   # the untampered request is fine ...
        fake.reset(world=True)
        original = sign

        def tamper(headers):
            headers["Authorization"] = original(
                "POST", "/taurusdb/v3/%s/backups/create" % PROJECT, [], dict(
                    (k, v) for k, v in headers.items() if k != "Authorization"),
                b'{"instance_id": "x"}')
        kwargs.update(method="POST", body=body, tamper=tamper)
    elif case == "changed_query":
        kwargs["query"] = [("limit", "5")]
        kwargs["tamper"] = lambda h: h.__setitem__(
            "Authorization", sign("GET", "/taurusdb/v3/%s/instances" % PROJECT, [("limit", "6")],
                                  {k: v for k, v in h.items() if k != "Authorization"}))
    elif case == "no_trailing_slash_rule":
        def tamper(headers):
            text, names = canonical("GET", "/taurusdb/v3/%s/instances" % PROJECT, [],
                                    {k: v for k, v in headers.items() if k != "Authorization"},
                                    b"")
            text = text.replace("/instances/\n", "/instances\n", 1)
            to_sign = "SDK-HMAC-SHA256\n%s\n%s" % (headers["X-Sdk-Date"],
                                                   hashlib.sha256(text.encode()).hexdigest())
            mac = hmac.new(SK.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
            headers["Authorization"] = "SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, " \
                                       "Signature=%s" % (AK, names, mac)
        kwargs["tamper"] = tamper
    elif case == "no_project_header":
        kwargs["project"] = None
    elif case == "other_accounts_project":
        kwargs["project"] = OTHER_PROJECT
        kwargs["project_in_path"] = OTHER_PROJECT
    method = kwargs.pop("method", "GET")
    suffix = "/backups/create" if method == "POST" else "/instances"
    assert_auth_failure(taurus(fake, suffix, method=method, **kwargs), detail)


def test_date_just_inside_the_15_minute_window_is_accepted(fake):
    for offset in (-14 * 60, 14 * 60):
        assert taurus(fake, "/instances", date=sdk_date(offset)).status == 200


def test_skewed_server_clock_moves_the_window(fake):
    fake.skew(20 * 60)
    assert_auth_failure(taurus(fake, "/instances"), "expired")
    assert taurus(fake, "/instances", date=sdk_date(20 * 60)).status == 200


def test_the_other_account_sees_its_own_empty_project(fake):
    reply = request(fake, "GET", "/taurusdb/v3/%s/instances" % OTHER_PROJECT,
                    project=OTHER_PROJECT, ak=OTHER_AK, sk=OTHER_SK)
    assert reply.status == 200 and reply.json() == {"instances": [], "total_count": 0}


def test_path_project_must_match_the_header(fake):
    reply = taurus(fake, "/instances", project_in_path=OTHER_PROJECT)
    assert reply.status == 403 and reply.error()[0] == "DBS.200010"


# -- routing -------------------------------------------------------------------------------

def test_unknown_api_is_apigw_0101_before_auth(fake):
    for path in ("/taurusdb/v3/%s/flavors" % PROJECT, "/rds/v3/%s/backups/create" % PROJECT,
                 "/nosuch/v3/%s/instances" % PROJECT):
        reply = raw_call(fake, "GET", path, {"Host": "127.0.0.1"})
        assert reply.status == 404
        assert reply.error()[0] == "APIGW.0101" and "x-request-id" in reply.headers


def test_shared_paths_need_a_service_segment_or_host(fake):
    path = "/v3/%s/instances" % PROJECT
    assert raw_call(fake, "GET", path, {"Host": "127.0.0.1"}).status == 404
    by_host = request(fake, "GET", path, host="rds.cn-north-4.myhuaweicloud.com")
    assert by_host.status == 200 and by_host.json()["instances"][0]["id"] == RDS_SHOP
    by_host = request(fake, "GET", path, host="gaussdbformysql.ap-southeast-1.myhuaweicloud.com")
    assert by_host.json()["instances"][0]["id"] == TAURUS_ORDERS


def test_paths_only_one_service_has_route_without_help(fake):
    reply = request(fake, "GET", "/mysql/v3/%s/instances" % PROJECT)
    assert reply.status == 200 and reply.json()["total_count"] == 3
    assert fake.requests()[-1]["action"] == "taurusdb/ShowMysqlInstanceList"


# -- listings ------------------------------------------------------------------------------

def test_instances_are_served_verbatim_without_backups(fake, demo):
    for reply, section in ((taurus(fake, "/instances"), "taurusdb"),
                           (rds(fake, "/instances"), "rds")):
        expected = [{k: v for k, v in i.items() if k not in ("backups", "backups_generate")}
                    for i in demo[section]["instances"]]
        assert reply.json() == {"instances": expected, "total_count": len(expected)}
        assert reply.headers["content-type"] == TAURUS_JSON


def test_backup_sizes_are_in_the_services_units(fake, demo):
    taurus_backups = taurus(fake, "/backups", query=[("instance_id", TAURUS_ORDERS)]).json()
    assert taurus_backups["backups"] == demo["taurusdb"]["instances"][0]["backups"]
    assert taurus_backups["backups"][0]["size"] == 2803          # MB
    rds_backups = rds(fake, "/backups", query=[("instance_id", RDS_SHOP)]).json()
    assert rds_backups["backups"] == demo["rds"]["instances"][0]["backups"]
    assert rds_backups["backups"][0]["size"] == 2803             # KB


def test_legacy_paths_serve_the_same_world(fake):
    current = taurus(fake, "/backups", query=[("instance_id", TAURUS_ORDERS)]).json()
    assert legacy(fake, "/backups", query=[("instance_id", TAURUS_ORDERS)]).json() == current


def test_paging_by_offset_and_limit_with_total_count(fake):
    seen = []
    offset = 0
    while True:
        page = taurus(fake, "/backups", query=[("instance_id", TAURUS_BIG), ("limit", "100"),
                                                ("offset", str(offset))]).json()
        assert page["total_count"] == 250
        if not page["backups"]:
            break
        seen += [b["id"] for b in page["backups"]]
        offset += len(page["backups"])
    assert len(seen) == len(set(seen)) == 250
    assert [len(taurus(fake, "/backups", query=[("instance_id", TAURUS_BIG),
                                                ("offset", str(o))]).json()["backups"])
            for o in (0, 100, 200, 250)] == [100, 100, 50, 0]
    page = rds(fake, "/instances", query=[("offset", "1"), ("limit", "1")]).json()
    assert [i["id"] for i in page["instances"]] == [RDS_PG] and page["total_count"] == 3


@pytest.mark.parametrize("query", [[("limit", "0")], [("limit", "101")], [("offset", "-1")],
                                   [("offset", "x")]])
def test_bad_paging_is_a_parameter_error(fake, query):
    reply = rds(fake, "/instances", query=query)
    assert reply.status == 400 and reply.error()[0] == "DBS.200001"


def test_rds_backups_need_a_known_instance(fake):
    reply = rds(fake, "/backups")
    assert reply.status == 400 and reply.error()[0] == "DBS.200001"
    reply = rds(fake, "/backups", query=[("instance_id", "nope0000000000000000000000000in01")])
    assert reply.status == 404 and reply.error()[0] == "DBS.200002"


def test_taurusdb_backups_filter_by_instance(fake):
    everything = taurus(fake, "/backups").json()
    assert everything["total_count"] == 255
    unknown = taurus(fake, "/backups", query=[("instance_id", "none")]).json()
    assert unknown == {"backups": [], "total_count": 0}


def test_instance_filters(fake):
    assert [i["name"] for i in taurus(fake, "/instances", query=[("name", "*big")]).json()[
        "instances"]] == ["taurus-big"]
    assert rds(fake, "/instances", query=[("id", RDS_PG)]).json()["total_count"] == 1
    assert rds(fake, "/instances", query=[("name", "*")]).status == 400


# -- create ----------------------------------------------------------------------------------

def create_taurus(fake, name, instance=TAURUS_ORDERS, **kwargs):
    body = {"instance_id": instance, "name": name}
    body.update(kwargs.pop("fields", {}))
    return taurus(fake, "/backups/create", method="POST", body=body, **kwargs)


def create_rds(fake, name, instance=RDS_SHOP, **kwargs):
    body = {"instance_id": instance, "name": name}
    body.update(kwargs.pop("fields", {}))
    return rds(fake, "/backups", method="POST", body=body, **kwargs)


def listed(fake, kind, instance):
    call = taurus if kind == "taurusdb" else rds
    return call(fake, "/backups", query=[("instance_id", instance)]).json()["backups"]


def test_create_status_codes_per_api(fake):
    reply = create_taurus(fake, "nightly-copy", fields={"description": "手动备份"})
    assert reply.status == 201 and set(reply.json()) == {"backup", "job_id"}
    assert reply.json()["backup"]["description"] == "手动备份"
    reply = legacy(fake, "/backups/create", method="POST",
                   body={"instance_id": TAURUS_EMPTY, "name": "legacy-copy"})
    assert reply.status == 200 and set(reply.json()) == {"backup"}
    reply = create_rds(fake, "rds-copy")
    assert reply.status == 200 and reply.json()["backup"]["type"] == "manual"
    assert reply.json()["backup"]["id"].endswith("br01")
    assert [c["name"] for c in fake.control("GET", "creates")["creates"]] == [
        "nightly-copy", "legacy-copy", "rds-copy"]


def test_a_new_backup_builds_then_completes_on_tick(fake):
    backup_id = create_taurus(fake, "nightly-copy").json()["backup"]["id"]
    first = listed(fake, "taurusdb", TAURUS_ORDERS)[0]
    assert first["id"] == backup_id and first["status"] == "BUILDING"
    assert first["size"] == 0 and "end_time" not in first and first["backup_level"] == "0"
    fake.tick(3600)
    done = listed(fake, "taurusdb", TAURUS_ORDERS)[0]
    assert done["status"] == "COMPLETED" and done["size"] == 2048
    assert list(done).index("end_time") == list(done).index("begin_time") + 1
    begin = datetime.datetime.strptime(done["begin_time"], "%Y-%m-%dT%H:%M:%S%z")
    end = datetime.datetime.strptime(done["end_time"], "%Y-%m-%dT%H:%M:%S%z")
    assert 3600 <= (end - begin).total_seconds() < 3700
    assert done["take_up_time"] in (60, 61) and done["backup_level"] == "1"


def test_rds_instance_is_backing_up_while_building(fake):
    create_rds(fake, "rds-copy")
    status = {i["id"]: i["status"] for i in rds(fake, "/instances").json()["instances"]}
    assert status[RDS_SHOP] == "BACKING UP"
    fake.tick(3600)
    done = listed(fake, "rds", RDS_SHOP)[0]
    assert done["status"] == "COMPLETED" and done["size"] == 3500   # KB
    status = {i["id"]: i["status"] for i in rds(fake, "/instances").json()["instances"]}
    assert status[RDS_SHOP] == "ACTIVE"


def test_build_seconds_also_pass_in_real_time(fake, tmp_path):
    with open(DEMO, encoding="utf-8") as f:
        scenario = json.load(f)
    scenario["build_seconds"] = 1
    with Fake.start("huawei", scenario, tmp_path) as quick:
        create_rds(quick, "quick-one")
        deadline = time.monotonic() + 10
        while listed(quick, "rds", RDS_SHOP)[0]["status"] == "BUILDING":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert listed(quick, "rds", RDS_SHOP)[0]["status"] == "COMPLETED"


def test_fail_build_fault_and_finish_backup_op(fake):
    fake.faults([{"kind": "fail_build", "action": "CreateGaussMySqlBackup", "count": 1}])
    backup_id = create_taurus(fake, "doomed-copy").json()["backup"]["id"]
    fake.tick(3600)
    failed = listed(fake, "taurusdb", TAURUS_ORDERS)[0]
    assert failed["id"] == backup_id and failed["status"] == "FAILED" and failed["size"] == 0
    backup_id = create_taurus(fake, "quick-copy").json()["backup"]["id"]
    fake.update_state([{"op": "finish_backup", "kind": "taurusdb", "backup": backup_id}])
    assert listed(fake, "taurusdb", TAURUS_ORDERS)[0]["status"] == "COMPLETED"


def test_second_create_while_building_is_busy(fake):
    assert create_rds(fake, "first-copy").status == 200
    reply = create_rds(fake, "second-copy")
    assert reply.status == 409 and reply.error()[0] == "DBS.200019"
    assert create_rds(fake, "other-instance", instance=RDS_PG).status == 200


def test_duplicate_name_is_409_dbs_201209(fake):
    reply = create_taurus(fake, "before-migration")
    assert reply.status == 409 and reply.error() == ("DBS.201209", "Backup name already exists.")
    fake.faults([{"kind": "duplicate", "action": "CreateManualBackup", "count": 1}])
    assert create_rds(fake, "brand-new").error()[0] == "DBS.201209"
    assert create_rds(fake, "brand-new").status == 200


@pytest.mark.parametrize("code", ["DBS.200019", "DBS.201014", "DBS.05000084"])
def test_busy_fault_answers_the_chosen_code(fake, code):
    fake.faults([{"kind": "busy", "action": "CreateGaussMySqlBackup", "instance": TAURUS_EMPTY,
                  "code": code, "count": 1}])
    assert create_taurus(fake, "other-copy").status == 201       # another instance
    reply = create_taurus(fake, "some-copy", instance=TAURUS_EMPTY)
    assert reply.status == 409 and reply.error()[0] == code
    assert fake.counters()["faults"]["busy"] == 1


@pytest.mark.parametrize("name,taurus_current,ascii_rule", [
    ("abcd", True, True),
    ("abc", False, False),
    ("a" * 64, True, True),
    ("a" * 65, False, False),
    ("1abc", False, False),
    ("_abc", False, False),
    ("ab.c", False, False),
    ("ab c", False, False),
    ("Backup_2024-06", True, True),
    ("备份备份", True, False),
    ("备份-" + "a" * 57, True, False),        # 60 characters, 64 bytes
    ("备份备份" + "a" * 53, False, False),    # 57 characters, 65 bytes
])
def test_backup_name_rules(fake, name, taurus_current, ascii_rule):
    fake.reset(world=True)
    reply = create_taurus(fake, name, instance=TAURUS_EMPTY)
    assert (reply.status == 201) == taurus_current, (name, reply.body)
    if not taurus_current:
        assert reply.error()[0] == "DBS.201210"
    reply = legacy(fake, "/backups/create", method="POST",
                   body={"instance_id": TAURUS_BIG, "name": name})
    assert (reply.status == 200) == ascii_rule
    assert (create_rds(fake, name).status == 200) == ascii_rule


def test_bad_descriptions_and_bodies(fake):
    reply = create_rds(fake, "good-name", fields={"description": "a=b"})
    assert reply.status == 400 and reply.error()[0] == "DBS.280127"
    reply = create_rds(fake, "good-name", fields={"description": "x" * 257})
    assert reply.error()[0] == "DBS.280127"
    reply = rds(fake, "/backups", method="POST", body=b"not json")
    assert reply.status == 400 and reply.error()[0] == "DBS.200001"
    reply = rds(fake, "/backups", method="POST", body={"name": "no-instance"})
    assert reply.error()[0] == "DBS.200001"


def test_unknown_instance_on_create(fake):
    reply = create_taurus(fake, "good-name", instance="ffff0000ffff0000ffff0000ffff0000in07")
    assert reply.status == 400 and reply.error()[0] == "DBS.200022"
    reply = create_rds(fake, "good-name", instance="ffff0000ffff0000ffff0000ffff0000in01")
    assert reply.status == 404 and reply.error()[0] == "DBS.200002"


# -- transport faults (fakecore) ---------------------------------------------------------------

def test_status_faults_use_the_gateway_bodies(fake):
    fake.faults([{"kind": "status", "status": 429, "retry_after": "1", "count": 1},
                 {"kind": "status", "status": 500, "count": 1},
                 {"kind": "status", "status": 401, "count": 1}])
    throttled = taurus(fake, "/instances")
    assert throttled.status == 429 and throttled.error()[0] == "APIGW.0308"
    assert throttled.headers["retry-after"] == "1"
    assert taurus(fake, "/instances").error()[0] == "DBS.108000"
    assert taurus(fake, "/instances").error()[0] == "APIGW.0301"
    assert taurus(fake, "/instances").status == 200
    assert fake.counters()["faults"]["status"] == 3


def test_reset_on_create_runs_nothing_and_counts_one(fake):
    fake.faults([{"kind": "reset", "action": "CreateManualBackup", "count": 1}])
    with pytest.raises((ConnectionError, http.client.HTTPException, socket.error)):
        create_rds(fake, "dropped-copy")
    assert fake.counters()["by_action"] == {"rds/CreateManualBackup": 1}
    assert fake.counters()["by_status"] == {"none": 1}
    assert fake.state()["creates"] == []


def test_malformed_create_answer_still_creates(fake):
    fake.faults([{"kind": "malformed", "action": "CreateManualBackup", "count": 1}])
    reply = create_rds(fake, "garbled-copy")
    assert reply.status == 200
    with pytest.raises(ValueError):
        json.loads(reply.body)
    assert [c["name"] for c in fake.state()["creates"]] == ["garbled-copy"]


def test_fault_rules_of_unknown_keys_are_refused(fake):
    with pytest.raises(FakeError):
        fake.faults([{"kind": "busy", "zone": "x", "count": 1}])
    with pytest.raises(FakeError):
        fake.faults([{"kind": "explode", "count": 1}])


# -- logging, control API, state -----------------------------------------------------------------

def test_request_log_and_stderr_hide_the_signature_and_secret(fake):
    reply = taurus(fake, "/instances")
    assert reply.status == 200 and reply.headers["x-request-id"]
    assert "date" in reply.headers
    entry = fake.requests()[-1]
    assert entry["action"] == "taurusdb/ListGaussMySqlInstances"
    assert entry["headers"]["Authorization"] == "<redacted>"
    assert entry["headers"]["X-Project-Id"] == PROJECT
    output = fake.output()
    assert SK not in output and "Signature=" not in output


def test_state_shows_the_world_without_secrets(fake, demo):
    state = fake.state()
    assert state["accounts"] == [{"ak": AK, "project_id": PROJECT},
                                 {"ak": OTHER_AK, "project_id": OTHER_PROJECT}]
    assert SK not in json.dumps(state)
    big = next(i for i in state["taurusdb"]["instances"] if i["id"] == TAURUS_BIG)
    assert len(big["backups"]) == 250 and "backups_generate" not in big
    assert state["rds"]["instances"][0]["backups"] == demo["rds"]["instances"][0]["backups"]


def test_state_patches_are_all_or_nothing(fake):
    fake.update_state([{"op": "set_instance_field", "kind": "rds", "instance": RDS_PG,
                        "field": "name", "value": "renamed"},
                       {"op": "remove_backup", "kind": "taurusdb",
                        "backup": "7420f28010084e838113e78f77093093br07"}])
    assert rds(fake, "/instances", query=[("id", RDS_PG)]).json()["instances"][0][
        "name"] == "renamed"
    assert len(listed(fake, "taurusdb", TAURUS_ORDERS)) == 4
    with pytest.raises(FakeError):
        fake.update_state([{"op": "remove_instance", "kind": "rds", "instance": RDS_PG},
                           {"op": "remove_instance", "kind": "rds", "instance": "nope"}])
    assert rds(fake, "/instances").json()["total_count"] == 3


def test_reset_world_forgets_creates(fake):
    create_rds(fake, "temporary")
    fake.reset(world=True)
    assert fake.state()["creates"] == [] and fake.counters()["total"] == 0
    assert listed(fake, "rds", RDS_SHOP)[0]["name"] == "rds-mysql-shop-auto-20240601"


def test_bad_scenario_fails_fast(tmp_path):
    with pytest.raises(FakeError, match="bad scenario"):
        Fake.start("huawei", {"accounts": [{"ak": "x"}]}, tmp_path)


def test_token_auth_replaces_the_signature(tmp_path):
    with open(DEMO, encoding="utf-8") as f:
        scenario = json.load(f)
    scenario["accounts"][0]["token"] = "MIIEXAMPLETOKEN"
    with Fake.start("huawei", scenario, tmp_path) as tokens:
        path = "/rds/v3/%s/instances" % PROJECT
        good = raw_call(tokens, "GET", path, {"Host": "x", "X-Auth-Token": "MIIEXAMPLETOKEN"})
        assert good.status == 200 and good.json()["total_count"] == 3
        bad = raw_call(tokens, "GET", path, {"Host": "x", "X-Auth-Token": "MIIWRONG"})
        assert_auth_failure(bad, "token invalid")
        assert "MIIEXAMPLETOKEN" not in json.dumps(tokens.state())
