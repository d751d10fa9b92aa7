"""Self-tests of the NAVER Cloud fake: it must be strict like the real gateway.

Run: /usr/bin/python3 -m pytest tests/fakes
Requests are signed here with a small independent signer (not the fake's own code), so a
bug in the fake's signature check cannot hide behind the same bug in the test.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import time
import xml.etree.ElementTree as ElementTree
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import pytest

from harness import Fake, FakeError

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "scenarios", "ncloud-demo.json")
ACCESS_KEY = "AKEXAMPLE0000000000"
SECRET_KEY = "SKEXAMPLE00000000000000000000000000000000"
AUTH_FAILED_MESSAGE = "Authentication Failed"

PG_EMPTY, PG_SEVEN, PG_BIG = "24031501", "23110701", "22050901"
VMYSQL_SHOP = "23081401"
CLASSIC_ERP, CLASSIC_BLOG = "1987654", "2090164"

# ncloud.md 1.5 worked examples: (method, target, signature) at ts 1700000000000.
VECTOR_TIMESTAMP = "1700000000000"
SIGNATURE_VECTORS = [
    ("GET", "/vpostgresql/v2/getCloudPostgresqlBackupList?regionCode=KR&responseFormatType=json",
     "QWeYeUTsQ9d5xSmlgBwj1e3w4JmhgzjrBi3SWdcGx4M="),
    ("POST", "/vpostgresql/v2/getCloudPostgresqlBackupDetailList",
     "OMcMiOsILokKQPep6niHhvas+vzqGaGnfCp4ruovEtM="),
    ("GET", "/clouddb/v2/getCloudDBBackupDetailList?regionNo=1&dbKindCode=MYSQL"
            "&cloudDBInstanceNo=1234567&responseFormatType=json",
     "yqtR92sgeyyFy/hzyOjqnz6DI+0cZtqZ/eC8swg0FWA="),
]


# -- client helpers ----------------------------------------------------------------------

def sign(method, target, timestamp, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    text = "%s %s\n%s\n%s" % (method, target, timestamp, access_key)
    mac = hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def now_ms(offset_seconds=0):
    return str(int((time.time() + offset_seconds) * 1000))


class Reply:
    def __init__(self, response):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def json(self):
        return json.loads(self.body)

    def xml(self):
        return ElementTree.fromstring(self.body)

    def result(self, action):
        return self.json()[action + "Response"]

    def business_error(self):
        assert self.status == 400, self.body
        return self.json()["responseError"]


def signed_headers(method, target, timestamp=None, access_key=ACCESS_KEY,
                   secret_key=SECRET_KEY, signature_header="x-ncp-apigw-signature-v2"):
    timestamp = timestamp or now_ms()
    return {"x-ncp-apigw-timestamp": timestamp, "x-ncp-iam-access-key": access_key,
            signature_header: sign(method, target, timestamp, access_key, secret_key)}


def call(fake, method, target, form=None, headers=None, conn=None, timeout=10):
    """One request; `headers` defaults to a correct signature over `target`."""
    headers = dict(signed_headers(method, target) if headers is None else headers)
    body = None
    if form is not None:
        body = form if isinstance(form, str) else urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    own_conn = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", fake.port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers)
        return Reply(conn.getresponse())
    finally:
        if own_conn:
            conn.close()


def get(fake, target, **kwargs):
    return call(fake, "GET", target, **kwargs)


def detail_list_json(fake, instance, extra=""):
    target = ("/vpostgresql/v2/getCloudPostgresqlBackupDetailList?responseFormatType=json"
              "&cloudPostgresqlInstanceNo=%s%s" % (instance, extra))
    return get(fake, target)


def assert_auth_failure(reply, details_start):
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/json"
    error = reply.json()["error"]
    assert list(error) == ["errorCode", "message", "details"]
    assert error["errorCode"] == "200" and error["message"] == AUTH_FAILED_MESSAGE
    assert error["details"].startswith(details_start), error["details"]


# -- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    running = Fake.start("ncloud", DEMO, tmp_path_factory.mktemp("ncloud"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_world(fake):
    fake.reset(world=True)
    yield


@pytest.fixture(scope="module")
def demo_scenario():
    with open(DEMO, encoding="utf-8") as f:
        return json.load(f)


# -- signatures and authentication ---------------------------------------------------------

@pytest.mark.parametrize("method,target,expected", SIGNATURE_VECTORS)
def test_signature_vectors_match_the_reference(method, target, expected):
    import ncloud_fake
    assert sign(method, target, VECTOR_TIMESTAMP) == expected
    assert ncloud_fake.signature_v2(SECRET_KEY, method, target.encode(), VECTOR_TIMESTAMP,
                                    ACCESS_KEY) == expected


@pytest.mark.parametrize("method,target,expected", SIGNATURE_VECTORS)
def test_server_accepts_the_reference_vectors(fake, method, target, expected):
    # Put the server clock at the vectors' timestamp so the literal signatures verify.
    fake.skew(int(VECTOR_TIMESTAMP) / 1000 - time.time())
    fake.update_state([{"op": "add_instance", "kind": "mysql",
                        "instance": {"cloudDBInstanceNo": "1234567", "backups": []}}])
    headers = {"x-ncp-apigw-timestamp": VECTOR_TIMESTAMP, "x-ncp-iam-access-key": ACCESS_KEY,
               "x-ncp-apigw-signature-v2": expected}
    form = {"cloudPostgresqlInstanceNo": PG_SEVEN} if method == "POST" else None
    reply = call(fake, method, target, form=form, headers=headers)
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("case,details", [
    ("wrong_secret", "Signature mismatch"),
    ("unknown_key", "Invalid access key"),
    ("old_timestamp", "Invalid timestamp"),
    ("future_timestamp", "Invalid timestamp"),
    ("non_numeric_timestamp", "Invalid timestamp"),
    ("missing_timestamp", "Missing header: x-ncp-apigw-timestamp"),
    ("missing_access_key", "Missing header: x-ncp-iam-access-key"),
    ("missing_signature", "Missing header: x-ncp-apigw-signature-v2"),
    ("garbage_signature", "Signature mismatch"),
])
def test_bad_credentials_get_401_with_the_gateway_body(fake, case, details):
    target = "/vpostgresql/v2/getCloudPostgresqlInstanceList?responseFormatType=json"
    headers = signed_headers("GET", target)
    if case == "wrong_secret":
        headers = signed_headers("GET", target, secret_key="X" * 40)
    elif case == "unknown_key":
        headers = signed_headers("GET", target, access_key="AKUNKNOWN0000000000")
    elif case == "old_timestamp":
        headers = signed_headers("GET", target, timestamp=now_ms(-301))
    elif case == "future_timestamp":
        headers = signed_headers("GET", target, timestamp=now_ms(+301))
    elif case == "non_numeric_timestamp":
        headers = signed_headers("GET", target, timestamp="2024-06-01T00:00:00Z")
    elif case.startswith("missing_"):
        name = {"missing_timestamp": "x-ncp-apigw-timestamp",
                "missing_access_key": "x-ncp-iam-access-key",
                "missing_signature": "x-ncp-apigw-signature-v2"}[case]
        del headers[name]
    elif case == "garbage_signature":
        headers["x-ncp-apigw-signature-v2"] = "bm90IGEgc2lnbmF0dXJl"
    assert_auth_failure(get(fake, target, headers=headers), details)
    assert fake.counters()["by_status"] == {"401": 1}


def test_timestamp_just_inside_the_window_is_accepted(fake):
    target = "/vpostgresql/v2/getCloudPostgresqlInstanceList"
    for offset in (-290, 290):
        reply = get(fake, target, headers=signed_headers("GET", target, now_ms(offset)))
        assert reply.status == 200


def test_v1_header_name_is_accepted_with_the_v2_algorithm(fake):
    target = "/vmysql/v2/getCloudMysqlInstanceList?responseFormatType=json"
    headers = signed_headers("GET", target, signature_header="x-ncp-apigw-signature-v1")
    assert get(fake, target, headers=headers).status == 200


def test_signature_covers_the_raw_target_in_order(fake):
    signed = "/vpostgresql/v2/getCloudPostgresqlInstanceList?regionCode=KR&responseFormatType=json"
    reordered = "/vpostgresql/v2/getCloudPostgresqlInstanceList?responseFormatType=json&regionCode=KR"
    assert_auth_failure(get(fake, reordered, headers=signed_headers("GET", signed)),
                        "Signature mismatch")
    assert get(fake, signed, headers=signed_headers("GET", signed)).status == 200


def test_signature_covers_the_raw_escaping(fake):
    escaped = "/vpostgresql/v2/getCloudPostgresqlInstanceList?cloudPostgresqlServiceName=a%20b"
    unescaped = "/vpostgresql/v2/getCloudPostgresqlInstanceList?cloudPostgresqlServiceName=a b"
    assert_auth_failure(get(fake, escaped, headers=signed_headers("GET", unescaped)),
                        "Signature mismatch")


def test_signature_is_bound_to_the_method(fake):
    target = "/vpostgresql/v2/getCloudPostgresqlInstanceList"
    reply = call(fake, "POST", target, form="", headers=signed_headers("GET", target))
    assert_auth_failure(reply, "Signature mismatch")


def test_query_signed_without_query_is_rejected(fake):
    # The Go SDK signs the path only, which works because it sends no query: the fake
    # must not accept a signature that leaves out a query that is present.
    path = "/vpostgresql/v2/getCloudPostgresqlInstanceList"
    reply = get(fake, path + "?responseFormatType=json", headers=signed_headers("GET", path))
    assert_auth_failure(reply, "Signature mismatch")


# -- request shape -----------------------------------------------------------------------

def test_form_body_params_are_read(fake):
    target = "/vpostgresql/v2/getCloudPostgresqlBackupDetailList"
    reply = call(fake, "POST", target, form={"responseFormatType": "json",
                                             "cloudPostgresqlInstanceNo": PG_SEVEN})
    result = reply.result("getCloudPostgresqlBackupDetailList")
    assert result["totalRows"] == 7


def test_query_and_form_params_are_merged(fake):
    target = "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?responseFormatType=json"
    reply = call(fake, "POST", target, form={"cloudPostgresqlInstanceNo": PG_SEVEN,
                                             "pageNo": "1", "pageSize": "5"})
    result = reply.result("getCloudPostgresqlBackupDetailList")
    assert result["totalRows"] == 7 and len(result["cloudPostgresqlBackupDetailList"]) == 2
    logged = fake.requests()[-1]["params"]
    assert logged == {"responseFormatType": "json", "cloudPostgresqlInstanceNo": PG_SEVEN,
                      "pageNo": "1", "pageSize": "5"}


def test_json_body_is_not_read_as_params(fake):
    target = "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?responseFormatType=json"
    headers = signed_headers("POST", target)
    headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    conn.request("POST", target, body=json.dumps({"cloudPostgresqlInstanceNo": PG_SEVEN}),
                 headers=headers)
    error = Reply(conn.getresponse()).business_error()
    conn.close()
    assert error["returnCode"] == "10000"


def test_unknown_action_and_service_are_gateway_404(fake):
    for target in ("/vpostgresql/v2/createCloudPostgresqlBackup",
                   "/vredis/v2/getCloudRedisInstanceList", "/vpostgresql/v1/getCloudPostgresqlInstanceList"):
        reply = get(fake, target)
        assert reply.status == 404
        error = reply.json()["error"]
        assert error["errorCode"] == "300" and error["message"] == "Not Found Exception"


def test_only_get_and_post(fake):
    target = "/vpostgresql/v2/getCloudPostgresqlInstanceList"
    assert call(fake, "DELETE", target).status == 404


def test_bad_response_format_is_a_business_error(fake):
    reply = get(fake, "/vpostgresql/v2/getCloudPostgresqlInstanceList?responseFormatType=yaml")
    assert reply.status == 400
    assert reply.xml().find("returnCode").text == "10000"


# -- output formats ----------------------------------------------------------------------

def xml_to_plain(element):
    """XML answer -> plain data: `xxxList` elements become lists, leaves strings."""
    children = list(element)
    if not children:
        return element.text if element.text is not None else None
    if element.tag.endswith("List"):
        return [xml_to_plain(child) for child in children]
    return {child.tag: xml_to_plain(child) for child in children}


def json_to_plain(value):
    """JSON answer -> the same plain form XML gives (scalars as text, empties as None)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: json_to_plain(v) for k, v in value.items()} or None
    if isinstance(value, list):
        return [json_to_plain(v) for v in value] or None
    return str(value) or None  # <x></x> parses as no text, like an empty list


def without_request_id(plain):
    return {k: v for k, v in plain.items() if k != "requestId"}


@pytest.mark.parametrize("target", [
    "/vpostgresql/v2/getCloudPostgresqlInstanceList",
    "/vpostgresql/v2/getCloudPostgresqlBackupList",
    "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?cloudPostgresqlInstanceNo=" + PG_SEVEN,
    "/vpostgresql/v2/getCloudPostgresqlBucketList",
    "/vmysql/v2/getCloudMysqlInstanceList",
    "/vmysql/v2/getCloudMysqlBackupDetailList?cloudMysqlInstanceNo=" + VMYSQL_SHOP,
    "/clouddb/v2/getCloudDBInstanceList?dbKindCode=MYSQL",
    "/clouddb/v2/getCloudDBBackupDetailList?dbKindCode=MYSQL&cloudDBInstanceNo=" + CLASSIC_ERP,
])
def test_xml_by_default_and_json_on_request_carry_the_same_data(fake, target):
    action = target.split("/")[3].split("?")[0]
    xml_reply = get(fake, target)
    separator = "&" if "?" in target else "?"
    json_reply = get(fake, target + separator + "responseFormatType=json")
    assert xml_reply.status == json_reply.status == 200
    assert xml_reply.headers["content-type"].startswith("application/xml")
    assert xml_reply.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse>'
                                     % action.encode())
    assert json_reply.headers["content-type"].startswith("application/json")
    root = xml_reply.xml()
    assert root.tag == action + "Response"
    plain_xml = xml_to_plain(root)
    plain_json = json_to_plain(json_reply.result(action))
    assert without_request_id(plain_xml) == without_request_id(plain_json)
    assert plain_xml["returnCode"] == "0" and plain_xml["returnMessage"] == "success"


def test_json_layout_suits_the_go_sdk(fake):
    reply = get(fake, "/vpostgresql/v2/getCloudPostgresqlBackupDetailList"
                      "?responseFormatType=json&cloudPostgresqlInstanceNo=" + PG_SEVEN)
    text = reply.body.decode()
    assert text.startswith('{\n    "getCloudPostgresqlBackupDetailListResponse": {')
    assert text.endswith("}") and not text.endswith("\n")
    result = reply.result("getCloudPostgresqlBackupDetailList")
    assert list(result)[:5] == ["requestId", "returnCode", "returnMessage", "totalRows",
                                "cloudPostgresqlBackupDetailList"]
    assert result["returnCode"] == "0" and isinstance(result["totalRows"], int)
    first = result["cloudPostgresqlBackupDetailList"][0]
    assert list(first) == ["fileName", "startTime", "endTime", "backupSize", "dataStorageSize",
                           "archivedWalFileSize"]
    assert isinstance(first["backupSize"], int)
    assert reply.headers["x-ncp-request-id"] == result["requestId"]


def test_xml_lists_nest_singular_items_and_booleans(fake):
    root = get(fake, "/vpostgresql/v2/getCloudPostgresqlInstanceList").xml()
    instances = root.find("cloudPostgresqlInstanceList").findall("cloudPostgresqlInstance")
    assert len(instances) == 3
    first = instances[0]
    assert first.find("isHa").text == "false"
    assert first.find("cloudPostgresqlInstanceStatus/code").text == "CREAT"
    servers = first.find("cloudPostgresqlServerInstanceList")
    assert servers.find("cloudPostgresqlServerInstance/cloudPostgresqlServerName") is not None
    assert first.find("accessControlGroupNoList/accessControlGroupNo").text == "90211"
    assert root.find("requestId").text


def test_instances_served_as_in_the_scenario_without_backups(fake, demo_scenario):
    result = get(fake, "/vmysql/v2/getCloudMysqlInstanceList?responseFormatType=json") \
        .result("getCloudMysqlInstanceList")
    expected = [{k: v for k, v in inst.items() if k != "backups"}
                for inst in demo_scenario["mysql_vpc"]["instances"]]
    served = result["cloudMysqlInstanceList"]
    assert served == expected
    assert [list(s) for s in served] == [list(e) for e in expected]  # field order kept


def test_business_errors_have_both_envelopes(fake):
    base = "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?cloudPostgresqlInstanceNo=404"
    xml_reply = get(fake, base)
    assert xml_reply.status == 400
    root = xml_reply.xml()
    assert root.tag == "responseError" and root.find("returnCode").text == "24109"
    assert root.find("returnMessage").text == "The input parameter instance number is invalid."
    json_error = get(fake, base + "&responseFormatType=json").business_error()
    assert json_error == {"returnCode": "24109",
                          "returnMessage": "The input parameter instance number is invalid."}


def test_required_parameters_are_enforced(fake):
    for target in ("/vpostgresql/v2/getCloudPostgresqlBackupDetailList?responseFormatType=json",
                   "/vmysql/v2/getCloudMysqlBackupDetailList?responseFormatType=json",
                   "/clouddb/v2/getCloudDBInstanceList?responseFormatType=json",
                   "/clouddb/v2/getCloudDBBackupDetailList?responseFormatType=json"
                   "&cloudDBInstanceNo=" + CLASSIC_ERP,
                   "/clouddb/v2/getCloudDBInstanceList?responseFormatType=json&dbKindCode=MSSQL"):
        error = get(fake, target).business_error()
        assert error["returnCode"] == "10000", target
        assert error["returnMessage"].startswith("Invalid parameter")


def test_region_filters_instances(fake):
    other = get(fake, "/vpostgresql/v2/getCloudPostgresqlInstanceList?responseFormatType=json"
                      "&regionCode=JPN").result("getCloudPostgresqlInstanceList")
    assert other["totalRows"] == 0
    error = get(fake, "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?responseFormatType=json"
                      "&regionCode=JPN&cloudPostgresqlInstanceNo=" + PG_SEVEN).business_error()
    assert error["returnCode"] == "24109"


def test_instance_number_list_filter(fake):
    result = get(fake, "/vpostgresql/v2/getCloudPostgresqlInstanceList?responseFormatType=json"
                       "&cloudPostgresqlInstanceNoList.1=%s&cloudPostgresqlInstanceNoList.2=%s"
                       % (PG_BIG, PG_EMPTY)).result("getCloudPostgresqlInstanceList")
    numbers = [i["cloudPostgresqlInstanceNo"] for i in result["cloudPostgresqlInstanceList"]]
    assert numbers == [PG_EMPTY, PG_BIG] and result["totalRows"] == 2


def test_backup_summary_and_bucket_list(fake, demo_scenario):
    summary = get(fake, "/vpostgresql/v2/getCloudPostgresqlBackupList?responseFormatType=json") \
        .result("getCloudPostgresqlBackupList")["cloudPostgresqlBackupList"]
    by_number = {s["cloudPostgresqlInstanceNo"]: s for s in summary}
    assert by_number[PG_BIG]["backupFileStorageCount"] == 2500
    assert "lastBackupDate" not in by_number[PG_EMPTY]
    seven = demo_scenario["postgresql"]["instances"][1]["backups"]
    assert by_number[PG_SEVEN]["lastBackupDate"] == seven[-1]["endTime"]
    assert by_number[PG_SEVEN]["backupSize"] == sum(b["backupSize"] for b in seven)
    buckets = get(fake, "/vpostgresql/v2/getCloudPostgresqlBucketList?responseFormatType=json") \
        .result("getCloudPostgresqlBucketList")
    assert buckets["cloudPostgresqlBucketList"] == [{"bucketName": "pg-backup"},
                                                    {"bucketName": "dbbackupfs-test"}]


# -- paging ------------------------------------------------------------------------------

def test_paging_walks_2500_backups_with_total_rows(fake):
    names = []
    for page_no in range(4):
        result = detail_list_json(fake, PG_BIG, "&pageNo=%d&pageSize=1000" % page_no) \
            .result("getCloudPostgresqlBackupDetailList")
        assert result["totalRows"] == 2500
        names += [b["fileName"] for b in result["cloudPostgresqlBackupDetailList"]]
        assert len(result["cloudPostgresqlBackupDetailList"]) == [1000, 1000, 500, 0][page_no]
    state = fake.state()["postgresql"]["instances"][2]
    assert names == [b["fileName"] for b in state["backups"]]
    assert names[0] == "20240601-0001" and len(set(names)) == 2500


def test_without_page_no_all_rows_are_returned(fake):
    result = detail_list_json(fake, PG_BIG).result("getCloudPostgresqlBackupDetailList")
    assert result["totalRows"] == 2500 and len(result["cloudPostgresqlBackupDetailList"]) == 2500


@pytest.mark.parametrize("extra", ["&pageNo=0", "&pageSize=10", "&pageNo=0&pageSize=0",
                                   "&pageNo=0&pageSize=1001", "&pageNo=-1&pageSize=10",
                                   "&pageNo=1.5&pageSize=10", "&pageNo=&pageSize=10"])
def test_invalid_paging_is_rejected(fake, extra):
    error = detail_list_json(fake, PG_BIG, extra).business_error()
    assert error["returnCode"] == "10000"


def test_classic_detail_list_has_no_paging(fake):
    result = get(fake, "/clouddb/v2/getCloudDBBackupDetailList?responseFormatType=json"
                       "&dbKindCode=MYSQL&pageNo=0&pageSize=1&cloudDBInstanceNo=" + CLASSIC_ERP) \
        .result("getCloudDBBackupDetailList")
    assert result["totalRows"] == 3 and len(result["cloudDBBackupDetailList"]) == 3
    assert list(result["cloudDBBackupDetailList"][0]) == ["fileName", "startTime", "endTime",
                                                          "backupSize"]


# -- faults ------------------------------------------------------------------------------

INSTANCES = "/vpostgresql/v2/getCloudPostgresqlInstanceList?responseFormatType=json"


def test_status_fault_every_n_is_deterministic(fake):
    fake.faults([{"kind": "status", "action": "getCloudPostgresqlInstanceList", "status": 429,
                  "retry_after": "2", "every": 2}])
    statuses = []
    for _ in range(4):
        reply = get(fake, INSTANCES)
        statuses.append(reply.status)
        if reply.status == 429:
            assert reply.json() == {"error": {"errorCode": "420", "message": "Rate Limited",
                                              "details": ""}}
            assert reply.headers["retry-after"] == "2"
    assert statuses == [200, 429, 200, 429]
    counters = fake.counters()
    assert counters["total"] == 4 and counters["faults"]["status"] == 2
    assert counters["by_status"] == {"200": 2, "429": 2}


def test_status_fault_count_k_then_recovers(fake):
    fake.faults([{"kind": "status", "status": 503, "count": 2}])
    replies = [get(fake, INSTANCES) for _ in range(3)]
    assert [r.status for r in replies] == [503, 503, 200]
    assert replies[0].json()["error"] == {"errorCode": "500", "message": "Endpoint Error",
                                          "details": ""}
    assert fake.fault_rules()[0]["remaining"] == 0


def test_fault_matches_only_its_action(fake):
    fake.faults([{"kind": "status", "action": "vmysql/getCloudMysqlInstanceList",
                  "status": 503, "every": 1}])
    assert get(fake, INSTANCES).status == 200
    assert get(fake, "/vmysql/v2/getCloudMysqlInstanceList").status == 503


def test_delay_fault(fake):
    fake.faults([{"kind": "delay", "seconds": 0.4, "count": 1}])
    started = time.monotonic()
    assert get(fake, INSTANCES).status == 200
    assert time.monotonic() - started >= 0.4
    assert fake.counters()["faults"]["delay"] == 1


def test_stall_fault_never_answers_in_time(fake):
    fake.faults([{"kind": "stall", "seconds": 2, "count": 1}])
    with pytest.raises(socket.timeout):
        get(fake, INSTANCES, timeout=0.5)
    assert fake.counters()["by_status"] == {"none": 1}


def test_stall_fault_closes_without_answer(fake):
    fake.faults([{"kind": "stall", "seconds": 0.2, "count": 1}])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        get(fake, INSTANCES, timeout=5)


def test_truncate_fault_sends_half_the_promised_body(fake):
    fake.faults([{"kind": "truncate", "count": 1}])
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("GET", INSTANCES, headers=signed_headers("GET", INSTANCES))
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as info:
        response.read()
    promised = int(response.getheader("Content-Length"))
    assert len(info.value.partial) == promised // 2
    conn.close()


def test_malformed_fault_is_a_broken_200_body(fake):
    fake.faults([{"kind": "malformed", "every": 1}])
    reply = get(fake, INSTANCES)
    assert reply.status == 200
    with pytest.raises(ValueError):
        json.loads(reply.body)
    xml_reply = get(fake, "/vpostgresql/v2/getCloudPostgresqlInstanceList")
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(xml_reply.body)


def test_reset_fault_drops_the_connection(fake):
    fake.faults([{"kind": "reset", "count": 1}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(fake, INSTANCES)
    assert get(fake, INSTANCES).status == 200
    counters = fake.counters()
    assert counters["faults"]["reset"] == 1 and counters["by_status"] == {"none": 1, "200": 1}


def test_faulted_requests_are_counted_and_logged(fake):
    fake.faults([{"kind": "status", "status": 500, "count": 1}])
    get(fake, INSTANCES)
    entry = fake.requests()[-1]
    assert entry["fault"] == "status" and entry["status"] == 500
    assert entry["action"] == "vpostgresql/getCloudPostgresqlInstanceList"
    assert fake.counters()["by_action"] == {"vpostgresql/getCloudPostgresqlInstanceList": 1}


@pytest.mark.parametrize("rule", [
    {"kind": "explode", "every": 1},
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 503, "every": 1, "count": 1},
    {"kind": "status", "every": 1},
    {"kind": "delay", "every": 0, "seconds": 1},
    {"kind": "reset", "every": 1, "evry": 2},
])
def test_invalid_fault_rules_are_refused(fake, rule):
    with pytest.raises(FakeError):
        fake.faults([rule])


def test_clear_faults(fake):
    fake.faults([{"kind": "status", "status": 503, "every": 1}])
    fake.clear_faults()
    assert get(fake, INSTANCES).status == 200


# -- counters, log, keep-alive -----------------------------------------------------------

def test_counters_ignore_control_requests_and_reset_clears(fake):
    get(fake, INSTANCES)
    get(fake, "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?cloudPostgresqlInstanceNo=1")
    fake.state()
    fake.requests()
    counters = fake.counters()
    assert counters["total"] == 2
    assert counters["by_action"] == {"vpostgresql/getCloudPostgresqlInstanceList": 1,
                                     "vpostgresql/getCloudPostgresqlBackupDetailList": 1}
    assert counters["by_status"] == {"200": 1, "400": 1}
    fake.reset()
    assert fake.counters()["total"] == 0 and fake.requests() == []


def test_request_log_keeps_raw_target_and_hides_signature(fake):
    get(fake, INSTANCES + "&regionCode=KR")
    entry = fake.requests()[-1]
    assert entry["method"] == "GET" and entry["target"] == INSTANCES + "&regionCode=KR"
    assert entry["params"] == {"responseFormatType": "json", "regionCode": "KR"}
    assert entry["status"] == 200 and entry["time"] > 0
    assert entry["headers"]["x-ncp-apigw-signature-v2"] == "<redacted>"
    assert entry["headers"]["x-ncp-iam-access-key"] == ACCESS_KEY


def test_keep_alive_reuses_one_connection_and_every_answer_has_a_date(fake):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    replies = [call(fake, "GET", INSTANCES, conn=conn)]
    first_socket = conn.sock
    bad = signed_headers("GET", INSTANCES, secret_key="Y" * 40)
    replies.append(call(fake, "GET", INSTANCES, headers=bad, conn=conn))
    replies.append(call(fake, "GET", "/vpostgresql/v2/nope", conn=conn))
    replies.append(call(fake, "GET", INSTANCES, conn=conn))
    assert conn.sock is first_socket
    conn.close()
    assert [r.status for r in replies] == [200, 401, 404, 200]
    for reply in replies:
        assert parsedate_to_datetime(reply.headers["date"]).tzinfo is not None
        assert int(reply.headers["content-length"]) == len(reply.body)


def test_stderr_never_shows_secrets_or_signatures(fake):
    target = INSTANCES + "&X-Amz-Signature=deadbeef"
    headers = signed_headers("GET", target)
    get(fake, target, headers=headers)
    output = fake.output()
    assert "getCloudPostgresqlInstanceList" in output
    assert SECRET_KEY not in output
    assert headers["x-ncp-apigw-signature-v2"] not in output
    assert "deadbeef" not in output


# -- exports -----------------------------------------------------------------------------

def export(fake, service, params):
    params = dict(params, responseFormatType="json")
    return call(fake, "POST", "/%s/v2/exportBackupToObjectStorage" % service, form=params)


def test_export_is_accepted_and_recorded(fake):
    reply = export(fake, "vpostgresql", {"regionCode": "KR", "fileName": "20240603",
                                         "bucketName": "pg-backup", "folderPath": "dbbackupfs/pg/",
                                         "cloudPostgresqlInstanceNo": PG_SEVEN})
    result = reply.result("exportBackupToObjectStorage")
    assert list(result) == ["requestId", "returnCode", "returnMessage"]
    exports = fake.exports()
    assert len(exports) == 1
    record = exports[0]
    assert (record["kind"], record["instanceNo"], record["fileName"], record["bucketName"],
            record["folderPath"], record["state"]) == \
        ("postgresql", PG_SEVEN, "20240603", "pg-backup", "dbbackupfs/pg/", "done")
    assert fake.state()["exports"] == exports


def test_export_xml_answer(fake):
    target = "/vmysql/v2/exportBackupToObjectStorage"
    reply = call(fake, "POST", target, form={"fileName": "20240601", "bucketName": "mysql-backup",
                                             "cloudMysqlInstanceNo": VMYSQL_SHOP})
    root = reply.xml()
    assert root.tag == "exportBackupToObjectStorageResponse"
    assert root.find("returnCode").text == "0"


def test_classic_export_needs_db_kind_and_ignores_folder_path(fake):
    params = {"regionNo": "1", "fileName": "20240606", "bucketName": "mysql-b",
              "cloudDBInstanceNo": CLASSIC_BLOG, "folderPath": "x/"}
    assert export(fake, "clouddb", params).business_error()["returnCode"] == "10000"
    params["dbKindCode"] = "MYSQL"
    assert export(fake, "clouddb", params).status == 200
    record = fake.exports()[0]
    assert record["folderPath"] is None and record["params"]["folderPath"] == "x/"


@pytest.mark.parametrize("change,code", [
    ({"fileName": None}, "10000"),
    ({"bucketName": None}, "10000"),
    ({"cloudPostgresqlInstanceNo": None}, "10000"),
    ({"cloudPostgresqlInstanceNo": "999"}, "24109"),
    ({"fileName": "19990101"}, "24110"),
    ({"bucketName": "no-such-bucket"}, "5001265"),
])
def test_export_errors(fake, change, code):
    params = {"fileName": "20240601", "bucketName": "pg-backup",
              "cloudPostgresqlInstanceNo": PG_SEVEN}
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    assert export(fake, "vpostgresql", params).business_error()["returnCode"] == code
    assert fake.exports() == []


def test_busy_fault_per_instance(fake):
    fake.faults([{"kind": "busy", "action": "exportBackupToObjectStorage",
                  "instance": PG_SEVEN, "count": 1}])
    params = {"fileName": "20240601", "bucketName": "pg-backup",
              "cloudPostgresqlInstanceNo": PG_SEVEN}
    error = export(fake, "vpostgresql", params).business_error()
    assert error["returnCode"] == "1200004" and "busy state" in error["returnMessage"]
    assert fake.exports() == []
    other = {"fileName": "20240601-0001", "bucketName": "pg-backup",
             "cloudPostgresqlInstanceNo": PG_BIG}
    assert export(fake, "vpostgresql", other).status == 200
    assert export(fake, "vpostgresql", params).status == 200
    assert fake.counters()["faults"]["busy"] == 1
    assert len(fake.exports()) == 2


def test_busy_fault_global(fake):
    fake.faults([{"kind": "busy", "every": 1}])
    params = {"fileName": "20240601", "bucketName": "mysql-backup",
              "cloudMysqlInstanceNo": VMYSQL_SHOP}
    assert export(fake, "vmysql", params).business_error()["returnCode"] == "1200004"


def test_export_state_follows_tick_when_exports_take_time(fake, tmp_path, demo_scenario):
    scenario = dict(demo_scenario, export_duration_seconds=60)
    with Fake.start("ncloud", scenario, tmp_path) as slow:
        export(slow, "vpostgresql", {"fileName": "20240601", "bucketName": "pg-backup",
                                     "cloudPostgresqlInstanceNo": PG_SEVEN})
        assert slow.exports()[0]["state"] == "running"
        slow.tick(30)
        assert slow.exports()[0]["state"] == "running"
        assert slow.tick(30) == {"sim_seconds": 60}
        assert slow.exports()[0]["state"] == "done"


# -- clock skew --------------------------------------------------------------------------

def test_skew_moves_the_server_clock(fake):
    fake.skew(600)
    assert_auth_failure(get(fake, INSTANCES), "Invalid timestamp")
    headers = signed_headers("GET", INSTANCES, timestamp=now_ms(600))
    reply = get(fake, INSTANCES, headers=headers)
    assert reply.status == 200
    server_time = parsedate_to_datetime(reply.headers["date"]).timestamp()
    assert abs(server_time - (time.time() + 600)) < 5
    fake.reset()
    assert get(fake, INSTANCES).status == 200


# -- state -------------------------------------------------------------------------------

def test_state_shows_the_expanded_world_without_secrets(fake, demo_scenario):
    state = fake.state()
    big = state["postgresql"]["instances"][2]
    assert "backups_generate" not in big and len(big["backups"]) == 2500
    assert big["backups"][-1]["fileName"].endswith("-2500")
    seven = state["postgresql"]["instances"][1]
    assert seven == demo_scenario["postgresql"]["instances"][1]
    assert state["accounts"] == [{"access_key": ACCESS_KEY}]
    assert SECRET_KEY not in json.dumps(state)


def test_state_patches_change_what_is_served(fake):
    fake.update_state([
        {"op": "add_backup", "kind": "postgresql", "instance": PG_EMPTY,
         "backup": {"fileName": "20240701", "startTime": "2024-07-01T02:10:00+0900",
                    "endTime": "2024-07-01T02:11:00+0900", "backupSize": 1234,
                    "dataStorageSize": 10737418240, "archivedWalFileSize": 0}},
        {"op": "remove_backup", "kind": "postgresql", "instance": PG_SEVEN, "fileName": "20240601"},
        {"op": "set_backup_field", "kind": "postgresql", "instance": PG_SEVEN,
         "fileName": "20240602", "field": "backupSize", "value": 42},
        {"op": "set_instance_field", "kind": "postgresql", "instance": PG_EMPTY,
         "field": "cloudPostgresqlServiceName", "value": "renamed"},
        {"op": "add_bucket", "kind": "postgresql", "bucket": "new-bucket"},
    ])
    empty = detail_list_json(fake, PG_EMPTY).result("getCloudPostgresqlBackupDetailList")
    assert [b["fileName"] for b in empty["cloudPostgresqlBackupDetailList"]] == ["20240701"]
    seven = detail_list_json(fake, PG_SEVEN).result("getCloudPostgresqlBackupDetailList")
    assert seven["totalRows"] == 6
    assert seven["cloudPostgresqlBackupDetailList"][0] == dict(
        seven["cloudPostgresqlBackupDetailList"][0], fileName="20240602", backupSize=42)
    export_params = {"fileName": "20240701", "bucketName": "new-bucket",
                     "cloudPostgresqlInstanceNo": PG_EMPTY}
    assert export(fake, "vpostgresql", export_params).status == 200
    fake.reset(world=True)
    assert detail_list_json(fake, PG_SEVEN).result(
        "getCloudPostgresqlBackupDetailList")["totalRows"] == 7


def test_state_patch_is_all_or_nothing(fake):
    with pytest.raises(FakeError):
        fake.update_state([
            {"op": "remove_backup", "kind": "postgresql", "instance": PG_SEVEN,
             "fileName": "20240601"},
            {"op": "remove_backup", "kind": "postgresql", "instance": PG_SEVEN,
             "fileName": "no-such-backup"},
        ])
    assert len(fake.state()["postgresql"]["instances"][1]["backups"]) == 7


def test_remove_instance(fake):
    fake.update_state([{"op": "remove_instance", "kind": "mysql", "instance": CLASSIC_BLOG}])
    result = get(fake, "/clouddb/v2/getCloudDBInstanceList?dbKindCode=MYSQL"
                       "&responseFormatType=json").result("getCloudDBInstanceList")
    assert [i["cloudDBInstanceNo"] for i in result["cloudDBInstanceList"]] == [CLASSIC_ERP]


# -- harness and scenario loading ----------------------------------------------------------

def test_bad_scenario_fails_fast(tmp_path):
    with pytest.raises(FakeError) as info:
        Fake.start("ncloud", {"accounts": [], "postgresql": {}}, tmp_path)
    assert "accounts" in str(info.value)


def test_duplicate_file_names_are_refused(tmp_path):
    backup = {"fileName": "20240601"}
    scenario = {"accounts": [{"access_key": "a", "secret_key": "s"}],
                "postgresql": {"instances": [{"cloudPostgresqlInstanceNo": "1",
                                              "backups": [backup, backup]}]}}
    with pytest.raises(FakeError):
        Fake.start("ncloud", scenario, tmp_path)


def test_stop_is_idempotent(tmp_path):
    fake = Fake.start("ncloud", DEMO, tmp_path)
    assert fake.counters()["total"] == 0
    fake.stop()
    fake.stop()
    assert fake.process.returncode is not None
    assert "listening on" in fake.output()
