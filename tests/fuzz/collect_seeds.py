#!/usr/bin/python3
"""Writes the seed corpus of the fuzzers: tests/fuzz/corpus/<target>/<name>.

Real answers first:
  - the NAVER and Huawei emulators of tests/fakes, started with their demo
    scenarios, answer the requests dbbackupfs sends (signed by the emulators'
    self-test clients): successes, business errors and authentication
    failures, in JSON and XML;
  - the examples of the API notes (shared/api/*.md, when present beside the
    repo): ZStack inventories and errors, NAVER's XML and error bodies;
  - the unit tests' own samples (tests/unit/data): S3 pages and errors,
    hostile XML (entities, DOCTYPE), the DESIGN config example.
Then small seeds for the targets that take no answer (times, configs, names,
listings), written out here so that their binary framing stays readable.

Run it when an emulator's answers change; it rewrites only the seeds it
makes:  /usr/bin/python3 tests/fuzz/collect_seeds.py
"""
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))

from harness import Fake  # noqa: E402
import test_huawei_fake as huawei  # noqa: E402
import test_ncloud_fake as ncloud  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")
# Bodies past this are cut from the seed: the fuzzers run with -max_len.
SEED_MAX = 16384

NAVER_CALLS = [
    ("pg_instances", "/vpostgresql/v2/getCloudPostgresqlInstanceList"),
    ("pg_backups", "/vpostgresql/v2/getCloudPostgresqlBackupList?cloudPostgresqlInstanceNo="
     + ncloud.PG_SEVEN),
    ("pg_backup_details", "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?"
     "cloudPostgresqlInstanceNo=" + ncloud.PG_SEVEN),
    ("pg_backup_details_empty", "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?"
     "cloudPostgresqlInstanceNo=" + ncloud.PG_EMPTY),
    ("vmysql_instances", "/vmysql/v2/getCloudMysqlInstanceList"),
    ("vmysql_backups", "/vmysql/v2/getCloudMysqlBackupDetailList?cloudMysqlInstanceNo="
     + ncloud.VMYSQL_SHOP),
    ("classic_instances", "/clouddb/v2/getCloudDBInstanceList?dbKindCode=MYSQL"),
    ("classic_backups", "/clouddb/v2/getCloudDBBackupDetailList?dbKindCode=MYSQL"
     "&cloudDBInstanceNo=" + ncloud.CLASSIC_ERP),
    ("unknown_instance", "/vpostgresql/v2/getCloudPostgresqlBackupDetailList?"
     "cloudPostgresqlInstanceNo=99999999"),
    ("bad_page", "/vpostgresql/v2/getCloudPostgresqlInstanceList?pageNo=-1"),
]

HUAWEI_CALLS = [
    ("taurus_instances", huawei.taurus, "/instances", ()),
    ("taurus_backups", huawei.taurus, "/backups", (("instance_id", huawei.TAURUS_ORDERS),)),
    ("taurus_backups_empty", huawei.taurus, "/backups",
     (("instance_id", huawei.TAURUS_EMPTY),)),
    ("taurus_legacy_backups", huawei.legacy, "/backups",
     (("instance_id", huawei.TAURUS_ORDERS),)),
    ("rds_instances", huawei.rds, "/instances", ()),
    ("rds_backups", huawei.rds, "/backups", (("instance_id", huawei.RDS_SHOP),)),
    ("rds_backups_pg", huawei.rds, "/backups", (("instance_id", huawei.RDS_PG),)),
    ("rds_backups_without_instance", huawei.rds, "/backups", ()),
    ("rds_bad_limit", huawei.rds, "/instances", (("limit", "0"),)),
]


def save(target, name, body):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(body[:SEED_MAX])


def is_xml(body):
    return body.lstrip().startswith(b"<")


def collect_naver(workdir):
    with Fake.start("ncloud", os.path.join(ROOT, "tests", "fakes", "scenarios",
                                           "ncloud-demo.json"), workdir) as fake:
        for name, target in NAVER_CALLS:
            for response_format in ("xml", "json"):
                separator = "&" if "?" in target else "?"
                reply = ncloud.get(fake, target + separator + "responseFormatType="
                                   + response_format)
                body = reply.body
                save("doc_xml" if is_xml(body) else "doc_json",
                     "ncloud_%s_%s" % (name, response_format), body)
        # The gateway's authentication failure (always JSON).
        target = "/vpostgresql/v2/getCloudPostgresqlInstanceList"
        reply = ncloud.get(fake, target, headers=ncloud.signed_headers(
            "GET", target, secret_key="wrong"))
        save("doc_json", "ncloud_auth_failure", reply.body)


def collect_huawei(workdir):
    with Fake.start("huawei", os.path.join(ROOT, "tests", "fakes", "scenarios",
                                           "huawei-demo.json"), workdir) as fake:
        for name, call, suffix, query in HUAWEI_CALLS:
            save("doc_json", "huawei_" + name, call(fake, suffix, query=list(query)).body)
        save("doc_json", "huawei_auth_failure",
             huawei.taurus(fake, "/instances", sk="wrong").body)


def code_blocks(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [m.group(1) for m in re.finditer(r"^ *```[a-z]*\n(.*?)^ *```", text,
                                            re.S | re.M)]


def collect_api_notes():
    """Every code block of shared/api/*.md that is a JSON or XML body."""
    notes = os.path.join(os.path.dirname(ROOT), "shared", "api")
    for path in sorted(glob.glob(os.path.join(notes, "*.md"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        for number, block in enumerate(code_blocks(path)):
            body = block.strip().encode()
            try:
                json.loads(body)
                save("doc_json", "api_%s_%d" % (stem, number), body)
                continue
            except ValueError:
                pass
            try:
                ElementTree.fromstring(body)
                save("doc_xml", "api_%s_%d" % (stem, number), body)
            except ElementTree.ParseError:
                pass


def collect_unit_data():
    data = os.path.join(ROOT, "tests", "unit", "data")
    for path in sorted(glob.glob(os.path.join(data, "doc", "*"))):
        name = os.path.basename(path)
        target = "doc_xml" if name.endswith(".xml") else "doc_json"
        shutil.copyfile(path, os.path.join(CORPUS, target, "unit_" + name))
    for path in sorted(glob.glob(os.path.join(data, "objectstore", "*.xml"))):
        name = os.path.basename(path)
        with open(path, "rb") as f:
            body = f.read()
        save("doc_xml", "unit_" + name, body)
        save("objectstore_list", name, body)
        # fuzz_objectstore_error: status selector, Date selector, body.
        save("objectstore_error", name, bytes([2, 1]) + body)
    for path in sorted(glob.glob(os.path.join(data, "config", "*"))):
        shutil.copyfile(path, os.path.join(CORPUS, "config",
                                           "unit_" + os.path.basename(path)))


S3_ERRORS = {
    # (status selector of fuzz_objectstore_error, body)
    "no_such_key": (2, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey"
                    b"</Code><Message>The specified key does not exist.</Message><Key>"
                    b"dbbackupfs/pg-orders/20240601.tar.gz</Key><RequestId>tx0000000000000"
                    b"</RequestId></Error>"),
    "skewed": (1, b"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
               b"between the request time and the current time is too large.</Message>"
               b"<RequestTime>20240603T010203Z</RequestTime><ServerTime>"
               b"2024-06-03T02:02:03Z</ServerTime><MaxAllowedSkewMilliseconds>900000"
               b"</MaxAllowedSkewMilliseconds></Error>"),
    "slow_down": (8, b"<Error><Code>SlowDown</Code><Message>Please reduce your request "
                  b"rate.</Message></Error>"),
    "access_denied": (1, b"<Error><Code>AccessDenied</Code><Message>Access Denied"
                      b"</Message><RequestId>abc</RequestId></Error>"),
    "empty_body_head": (2, b""),
}

ISO_TIMES = [
    "2021-05-28T02:10:00+0900", "2020-07-08T18:41:14+0800", "2024-06-01T08:10:00+0800",
    "2016-09-12T01:17:05", "2024-06-01T00:00:00Z", "2024-06-01T00:00:00.123456+09:00",
    "2024-06-01 00:00:00-03", "9999-12-31T23:59:59-1400", "0001-01-01T00:00:00+1400",
    "2024-02-29T12:00:00,5z", "2018-08-016T10:15:14+0000", "2018-08-20T02:33:49_0800",
]

# fuzz_time_zstack: a zone selector byte, then the text (selector 9: the
# zone is the first line).
ZSTACK_TIMES = [
    (0, "Jun 7, 2024 4:12:45 PM"), (0, "Jan 1, 2017 11:31:06 AM"),
    (0, "Nov 14, 2017, 10:20:57 PM"), (0, "Jun 7, 2024, 4:12:45\u202fPM"),
    (3, "Mar 10, 2024 2:30:00 AM"), (3, "Nov 3, 2024 1:30:00 AM"),
    (4, "oct 27, 2024 1:30:00 am"), (5, "Apr 7, 2024 1:45:00\u00a0AM"),
    (6, "Dec 31, 9999 11:59:59 PM"), (7, "Jan 1, 0001 12:00:00 AM"),
    (9, "Europe/Berlin\nJun 7, 2024 4:12:45 PM"), (9, "Etc/GMT-14\nFeb 29, 2024 12:00:00 PM"),
]

CONFIGS = {
    "naver_and_huawei": """# comment
; another
[prod-pg]
type = ncloud-postgresql
region = KR
access_key = AKEXAMPLE0000000000
secret_key = "  quoted # not a comment  "
cache_ttl = 30s
poll_interval = 500ms
max_stale = 1h
timeout = 5m
retries = 4
max_rps = 10
response_format = json

[hw-rds]
type = huawei-rds
region = cn-north-4
project_id = 0483b6b16e954cb88930a360d2c4e663
access_key = HWAKEXAMPLE
secret_key_file = ~/.config/dbbackupfs/hw.secret
""",
    "zstack_crlf_bom": "\ufeff[zs]\r\ntype = zstack\r\nendpoint = http://10.0.0.1:8080\r\n"
                       "account = admin\r\npassword = pa#ss;word\r\ntimezone = Asia/Shanghai\r\n"
                       "job_timeout = 10m\r\nbackup_storage = zsbak\r\n",
    "mistakes": "[a]\ntype =\ncache_tll = 30\nretries = -1\ntimeout = 1.5s\n"
                "[a]\nbad key = 1\n[.]\n[x/y]\nvalue = \"unclosed\n",
    "empty_section": "[only]\n",
}

NAMES = [
    b"20240601", b"nightly backup 2024/06/01", b"100%", b"%2F", b".", b"..", b"",
    b"\x01ctl\x7f", "\u30d0\u30c3\u30af\u30a2\u30c3\u30d7".encode(), b"a" * 300 + b"\0id",
    b"\xc3\xa9" * 200 + b"\0" + b"9" * 40, b"x@y\0z", b"name\0.",
]

# fuzz_listing: a flags byte (1: unique ids, 2: reserve .export), then
# NUL-separated name, id pairs.
LISTINGS = {
    "plain": (1, [b"20240601", b"1", b"20240602", b"2", b"manual", b"3"]),
    "duplicates": (1, [b"nightly", b"1", b"nightly", b"2", b"nightly", b"3"]),
    "reserved": (3, [b".export", b"7", b".export", b"8", b"ok", b"9"]),
    "hostile": (1, [b"", b"1", b".", b"2", b"..", b"3", b"a/b", b"4", b"a%2Fb", b"5",
                    b"x" * 300, b"6", b"x" * 300, b"7"]),
    "same_ids": (0, [b"a", b"1", b"a", b"1", b"b", b"1"]),
}


def collect_handmade():
    for number, text in enumerate(ISO_TIMES):
        save("time_iso8601", "seed_%02d" % number, text.encode())
    for number, (zone, text) in enumerate(ZSTACK_TIMES):
        save("time_zstack", "seed_%02d" % number, bytes([zone]) + text.encode())
    for name, text in CONFIGS.items():
        save("config", name, text.encode())
    for number, raw in enumerate(NAMES):
        save("names", "seed_%02d" % number, raw)
    for name, (flags, fields) in LISTINGS.items():
        save("listing", name, bytes([flags]) + b"\0".join(fields))
    for name, (status, body) in S3_ERRORS.items():
        save("objectstore_error", name, bytes([status, 0]) + body)


def main():
    for target in ("doc_json", "doc_xml", "config", "objectstore_list", "objectstore_error"):
        os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        collect_naver(os.path.join(workdir, "ncloud"))
        collect_huawei(os.path.join(workdir, "huawei"))
    collect_api_notes()
    collect_unit_data()
    collect_handmade()
    print("seeds written under", CORPUS)


if __name__ == "__main__":
    main()
