#!/usr/bin/python3
"""NAVER Cloud Platform emulator: API Gateway auth + Cloud DB backup listing and export.

Services (see shared/api/ncloud.md):
    /clouddb/v2      classic Cloud DB for MySQL    scenario key "mysql"
    /vmysql/v2       VPC Cloud DB for MySQL        scenario key "mysql_vpc"
    /vpostgresql/v2  VPC Cloud DB for PostgreSQL   scenario key "postgresql"

It is the project's only stand-in for the real cloud, so it is strict: every request must
be signed exactly like the gateway wants it (over the raw request target), required
parameters are enforced, paging follows the documented limits, and errors use the
gateway's and the backend's real envelopes.  Facts marked [I] in ncloud.md and the error
codes below marked "inferred" are our best guess and are listed in README.md.

Object Storage: with a scenario "object_storage" section, an export that is done (at once,
or after export_duration_seconds of simulated time) writes the backup's bytes into the bucket
under folderPath, through the control API of a running s3_gateway.py, as NAVER's export
writes into the customer's bucket.  The bytes are s3_gateway.content_bytes(seed, size) with
seed s3_gateway.backup_seed(kind, instanceNo, fileName) and size the backup's backupSize, so
a test can check a copy without keeping the original:

    "object_storage": {"gateway": "http://127.0.0.1:PORT",   # s3_gateway.py's URL
                       "content_size": 3145728,              # optional, see below
                       "key_suffix": ""}                     # optional, e.g. ".tar.gz"

Key: folderPath (none for classic) + fileName + key_suffix.  The scenario's buckets are
created in Object Storage when the scenario is loaded (NAVER exports only to existing
buckets); one added later by a state patch is created by its first upload.  NAVER's real
naming is unknown (ncloud.md open question 5).  content_size, when given, replaces the backupSize of every
backup of the scenario when it is loaded (listing and upload then agree, and tests do not
upload the demo's 500 MB backups); backups added later by state patches keep their own.

Run:  /usr/bin/python3 ncloud_fake.py --scenario scenarios/ncloud-demo.json --port-file P
"""

import base64
import copy
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import uuid
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakecore  # noqa: E402
import s3_gateway  # noqa: E402
from fakecore import ControlError, Response  # noqa: E402

# -- wire constants ----------------------------------------------------------------------

TIMESTAMP_HEADER = "x-ncp-apigw-timestamp"
ACCESS_KEY_HEADER = "x-ncp-iam-access-key"
# The v2 algorithm is sent under either name: the Go and Python SDKs use "-v1" (ncloud.md 1.4).
# When both are present the documented v2 header is the one verified.
SIGNATURE_HEADERS = ("x-ncp-apigw-signature-v2", "x-ncp-apigw-signature-v1")
TIMESTAMP_WINDOW_MS = 300000

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
XML_CONTENT_TYPE = "application/xml;charset=UTF-8"
GATEWAY_CONTENT_TYPE = "application/json"
XML_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'

# -- error codes -------------------------------------------------------------------------

# API Gateway errors: HTTP status -> (errorCode, message).  Verified table, ncloud.md 4.1.
GATEWAY_ERRORS = {
    400: ("100", "Bad Request Exception"),
    401: ("200", "Authentication Failed"),
    403: ("230", "Forbidden"),
    404: ("300", "Not Found Exception"),
    413: ("430", "Request Entity Too Large"),
    429: ("420", "Rate Limited"),
    500: ("900", "Unexpected Error"),
    503: ("500", "Endpoint Error"),
    504: ("510", "Endpoint Timeout"),
}
GATEWAY_UNEXPECTED = ("900", "Unexpected Error")  # for injected statuses not in the table

# Cloud DB business errors, answered HTTP 400 with a responseError body.
RC_INVALID_PARAMETER = "10000"      # inferred: no documented code for a bad/missing parameter
RC_INVALID_INSTANCE_NO = "24109"    # verified fixture (go-sdk-v1): unknown instance number
RC_INVALID_BACKUP_FILE = "24110"    # inferred: unknown backup fileName
RC_BUCKET_NOT_FOUND = "5001265"     # inferred: bucketName does not exist
RC_BUSY = "1200004"                 # seen in tf (other product): another operation running

MSG_INVALID_INSTANCE_NO = "The input parameter instance number is invalid."
MSG_INVALID_BACKUP_FILE = "The input parameter backup file name is invalid."
MSG_BUCKET_NOT_FOUND = "Bucket does not exist."
MSG_BUSY = "The Cloud DB instance is in a busy state. Please try again later."

BUSINESS_ERROR_STATUS = 400

PAGE_SIZE_MAX = 1000
DECIMAL = re.compile(r"^[0-9]+$")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # 2024-06-01T02:10:00+0900

SCENARIO_KINDS = ("postgresql", "mysql_vpc", "mysql")


class BusinessError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class ScenarioError(Exception):
    pass


def invalid_parameter(text):
    return BusinessError(RC_INVALID_PARAMETER, "Invalid parameter: " + text)


# -- services ----------------------------------------------------------------------------

class Service:
    """One Cloud DB API (URL segment) and the field naming its records use."""

    def __init__(self, name, kind, prefix, actions, paged_actions, classic=False):
        self.name = name
        self.kind = kind                      # scenario key
        self.prefix = prefix                  # cloudPostgresql / cloudMysql / cloudDB
        self.actions = actions                # API action -> World handler method name
        self.paged_actions = paged_actions
        self.classic = classic
        self.instance_no_field = prefix + "InstanceNo"
        self.region_param = "regionNo" if classic else "regionCode"

    def field(self, suffix):
        return self.prefix + suffix


SERVICES = {
    "vpostgresql": Service(
        "vpostgresql", "postgresql", "cloudPostgresql",
        {"getCloudPostgresqlInstanceList": "list_instances",
         "getCloudPostgresqlBackupList": "list_backup_summaries",
         "getCloudPostgresqlBackupDetailList": "list_backup_details",
         "getCloudPostgresqlBucketList": "list_buckets",
         "exportBackupToObjectStorage": "export_backup"},
        paged_actions={"getCloudPostgresqlInstanceList", "getCloudPostgresqlBackupList",
                       "getCloudPostgresqlBackupDetailList"}),
    "vmysql": Service(
        "vmysql", "mysql_vpc", "cloudMysql",
        {"getCloudMysqlInstanceList": "list_instances",
         "getCloudMysqlBackupList": "list_backup_summaries",
         "getCloudMysqlBackupDetailList": "list_backup_details",
         "exportBackupToObjectStorage": "export_backup"},
        paged_actions={"getCloudMysqlInstanceList", "getCloudMysqlBackupDetailList"}),
    "clouddb": Service(
        "clouddb", "mysql", "cloudDB",
        {"getCloudDBInstanceList": "list_instances",
         "getCloudDBBackupDetailList": "list_backup_details",
         "exportBackupToObjectStorage": "export_backup"},
        # Classic paging semantics are undocumented; we apply the VPC rules (inferred).
        paged_actions={"getCloudDBInstanceList"},
        classic=True),
}
SERVICE_BY_KIND = {service.kind: service for service in SERVICES.values()}
ROUTE = re.compile(r"^/([A-Za-z0-9]+)/v2/([A-Za-z0-9]+)$")


def route_of(path):
    """(Service, action) for a known service prefix, else (None, None)."""
    match = ROUTE.match(path)
    if not match or match.group(1) not in SERVICES:
        return None, None
    return SERVICES[match.group(1)], match.group(2)


# -- signature ---------------------------------------------------------------------------

def signature_v2(secret_key, method, raw_target, timestamp, access_key):
    """Base64(HMAC-SHA256(secret, "METHOD target\\nts\\naccessKey")), ncloud.md 1.2.
    raw_target is bytes: the request target exactly as sent, query order and escaping kept."""
    message = (method.encode("ascii") + b" " + raw_target + b"\n"
               + timestamp.encode("ascii") + b"\n" + access_key.encode("utf-8"))
    digest = hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authentication_failure(request, secrets_by_key, now_ms):
    """The 401 `details` text for a request the gateway must refuse, or None if it is fine."""
    timestamp = request.header(TIMESTAMP_HEADER)
    access_key = request.header(ACCESS_KEY_HEADER)
    signature_header = next((h for h in SIGNATURE_HEADERS if request.header(h)), None)
    for name, present in ((TIMESTAMP_HEADER, timestamp), (ACCESS_KEY_HEADER, access_key),
                          (SIGNATURE_HEADERS[0], signature_header)):
        if not present:
            return "Missing header: " + name
    if not DECIMAL.match(timestamp):
        return "Invalid timestamp: not a number of milliseconds"
    if abs(now_ms - int(timestamp)) > TIMESTAMP_WINDOW_MS:
        return "Invalid timestamp: more than 5 minutes from the server time"
    secret = secrets_by_key.get(access_key)
    if secret is None:
        return "Invalid access key"
    expected = signature_v2(secret, request.method, request.raw_target_bytes(),
                            timestamp, access_key)
    given = request.header(signature_header).encode("latin-1", "replace")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        return "Signature mismatch"
    return None


# -- rendering ---------------------------------------------------------------------------

def new_request_id():
    return str(uuid.uuid4())


def xml_singular(list_name):
    return list_name[:-4] if list_name.endswith("List") and len(list_name) > 4 else "item"


def xml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_escape(str(value))


def xml_lines(name, value, depth):
    """Elements for one JSON value: objects nest, `xxxList` arrays hold <xxx> items."""
    pad = "    " * depth
    if value is None:
        return []
    if isinstance(value, (dict, list)):
        if not value:
            return ["%s<%s/>" % (pad, name)]
        children = (value.items() if isinstance(value, dict)
                    else ((xml_singular(name), item) for item in value))
        lines = ["%s<%s>" % (pad, name)]
        for child_name, child in children:
            lines.extend(xml_lines(child_name, child, depth + 1))
        lines.append("%s</%s>" % (pad, name))
        return lines
    return ["%s<%s>%s</%s>" % (pad, name, xml_scalar(value), name)]


def xml_document(root, payload):
    return "\n".join([XML_PROLOG] + xml_lines(root, payload, 0))


def success_response(action, fields, response_format):
    request_id = new_request_id()
    payload = {"requestId": request_id, "returnCode": "0", "returnMessage": "success"}
    payload.update(fields)
    root = action + "Response"
    if response_format == "json":
        # Pretty-printed (whitespace after the wrapper key's colon) and no trailing
        # newline: the Go SDK's unwrapping slice breaks otherwise (ncloud.md 3.1).
        body = json.dumps({root: payload}, indent=4, ensure_ascii=False)
        content_type = JSON_CONTENT_TYPE
    else:
        body, content_type = xml_document(root, payload), XML_CONTENT_TYPE
    return backend_response(200, body, content_type, request_id)


def business_error_response(error, response_format):
    fields = {"returnCode": error.code, "returnMessage": error.message}
    if response_format == "json":
        body = json.dumps({"responseError": fields}, separators=(",", ":"), ensure_ascii=False)
        content_type = JSON_CONTENT_TYPE
    else:
        body, content_type = xml_document("responseError", fields), XML_CONTENT_TYPE
    return backend_response(BUSINESS_ERROR_STATUS, body, content_type, new_request_id())


def backend_response(status, body, content_type, request_id):
    return Response(status, body, content_type,
                    [("x-ncp-request-id", request_id),
                     ("x-ncp-apigw-response-origin", "ENDPOINT")])


def gateway_error_response(status, details=""):
    code, message = GATEWAY_ERRORS.get(status, GATEWAY_UNEXPECTED)
    body = json.dumps({"error": {"errorCode": code, "message": message, "details": details}},
                      separators=(",", ":"))
    return Response(status, body, GATEWAY_CONTENT_TYPE,
                    [("x-ncp-request-id", new_request_id())])


# -- parameters --------------------------------------------------------------------------

def merged_params(request):
    """Query string then form body (body wins on a repeated name).  Returns (params, error)."""
    params = {}
    try:
        for name, value in request.query_params() + request.form_params():
            params[name] = value
    except UnicodeDecodeError:
        return {}, "parameters are not valid UTF-8"
    return params, None


def required_param(params, name):
    value = params.get(name)
    if not value:
        raise invalid_parameter("%s is required." % name)
    return value


def response_format_of(params):
    value = (params.get("responseFormatType") or "xml").lower()
    return value if value in ("xml", "json") else None


def indexed_list_param(params, name):
    """Values of `name.1`, `name.2`, ... (1-based, ncloud.md 2), in index order."""
    pattern = re.compile(r"^%s\.([0-9]+)$" % re.escape(name))
    indexed = []
    for key, value in params.items():
        match = pattern.match(key)
        if match:
            if int(match.group(1)) < 1:
                raise invalid_parameter("%s index must start at 1." % name)
            indexed.append((int(match.group(1)), value))
    return [value for _, value in sorted(indexed)]


def decimal_param(params, name, minimum, maximum=None):
    value = params[name]
    if not DECIMAL.match(value) or int(value) < minimum or (maximum and int(value) > maximum):
        limits = "%d..%d" % (minimum, maximum) if maximum else ">= %d" % minimum
        raise invalid_parameter("%s must be an integer %s." % (name, limits))
    return int(value)


def page_of(rows, params):
    """(page rows, totalRows).  pageNo is a 0-based page index; without it, all rows.
    totalRows is always the total count, never the page length (ncloud.md 11)."""
    has_page_no = params.get("pageNo") is not None
    has_page_size = params.get("pageSize") is not None
    if not has_page_no and not has_page_size:
        return rows, len(rows)
    if not has_page_no:
        raise invalid_parameter("pageNo is required when pageSize is given.")
    if not has_page_size:
        raise invalid_parameter("pageSize is required when pageNo is given.")
    page_no = decimal_param(params, "pageNo", 0)
    page_size = decimal_param(params, "pageSize", 1, PAGE_SIZE_MAX)
    start = page_no * page_size
    return rows[start:start + page_size], len(rows)


def require_mysql_db_kind(params):
    kind = required_param(params, "dbKindCode")
    if kind != "MYSQL":
        raise invalid_parameter("dbKindCode must be MYSQL.")


def parse_time(text):
    return datetime.datetime.strptime(text, TIME_FORMAT)


# -- scenario ----------------------------------------------------------------------------

GENERATOR_KEYS = {"count", "first_start", "every_minutes", "duration_seconds", "size_base",
                  "size_step", "data_storage_size", "wal_size_base", "wal_size_step"}


def generate_backups(spec):
    """Expand "backups_generate" (README: scenario format) into backup detail records.
    fileName = <start date YYYYMMDD>-<1-based index, 4 digits>; sizes grow linearly."""
    unknown = set(spec) - GENERATOR_KEYS
    if unknown:
        raise ScenarioError("backups_generate: unknown keys %s" % sorted(unknown))
    first = parse_time(spec["first_start"])
    backups = []
    for index in range(spec["count"]):
        start = first + datetime.timedelta(minutes=spec["every_minutes"] * index)
        end = start + datetime.timedelta(seconds=spec["duration_seconds"])
        backup = {"fileName": "%s-%04d" % (start.strftime("%Y%m%d"), index + 1),
                  "startTime": start.strftime(TIME_FORMAT),
                  "endTime": end.strftime(TIME_FORMAT),
                  "backupSize": spec["size_base"] + spec.get("size_step", 0) * index}
        if "data_storage_size" in spec:
            backup["dataStorageSize"] = spec["data_storage_size"]
        if "wal_size_base" in spec:
            backup["archivedWalFileSize"] = (spec["wal_size_base"]
                                             + spec.get("wal_size_step", 0) * index)
        backups.append(backup)
    return backups


class Section:
    """The instances, their backups and the buckets of one scenario kind."""

    def __init__(self, service, raw):
        self.service = service
        self.instances = []   # records as served: scenario order, field order kept
        self.backups = {}     # instance no -> list of backup detail records
        self.buckets = list(raw.get("buckets", []))
        unknown = set(raw) - {"instances", "buckets"}
        if unknown:
            raise ScenarioError("%s: unknown keys %s" % (service.kind, sorted(unknown)))
        for instance in raw.get("instances", []):
            self.add_instance(instance)

    def add_instance(self, raw_instance):
        if not isinstance(raw_instance, dict):
            raise ScenarioError("%s: an instance must be an object" % self.service.kind)
        number = raw_instance.get(self.service.instance_no_field)
        if not isinstance(number, str) or not number:
            raise ScenarioError("%s: instance without a string %s"
                                % (self.service.kind, self.service.instance_no_field))
        if number in self.backups:
            raise ScenarioError("%s: duplicate instance %s" % (self.service.kind, number))
        record = {k: v for k, v in raw_instance.items()
                  if k not in ("backups", "backups_generate")}
        backups = list(raw_instance.get("backups", []))
        if "backups_generate" in raw_instance:
            backups += generate_backups(raw_instance["backups_generate"])
        seen = set()
        for backup in backups:
            check_backup_record(number, backup, seen)
            seen.add(backup["fileName"])
        self.instances.append(record)
        self.backups[number] = [dict(backup) for backup in backups]

    def add_backup(self, number, backup, at_start=False):
        existing = {b["fileName"] for b in self.backups[number]}
        check_backup_record(number, backup, existing)
        self.backups[number].insert(0 if at_start else len(self.backups[number]), dict(backup))

    def find_instance(self, number):
        return next((r for r in self.instances
                     if r[self.service.instance_no_field] == number), None)

    def find_backup(self, number, file_name):
        return next((b for b in self.backups.get(number, []) if b["fileName"] == file_name), None)

    def to_json(self):
        instances = []
        for record in self.instances:
            full = dict(record)
            full["backups"] = self.backups[record[self.service.instance_no_field]]
            instances.append(full)
        return {"instances": instances, "buckets": list(self.buckets)}


def check_backup_record(number, backup, names_taken):
    if not isinstance(backup, dict) or not isinstance(backup.get("fileName"), str):
        raise ScenarioError("instance %s: a backup needs a string fileName" % number)
    if backup["fileName"] in names_taken:
        raise ScenarioError("instance %s: duplicate fileName %s" % (number, backup["fileName"]))


def load_accounts(scenario):
    accounts = scenario.get("accounts")
    if not isinstance(accounts, list) or not accounts:
        raise ScenarioError("scenario needs a non-empty accounts list")
    secrets = {}
    for account in accounts:
        if not account.get("access_key") or not account.get("secret_key"):
            raise ScenarioError("each account needs access_key and secret_key")
        secrets[account["access_key"]] = account["secret_key"]
    return secrets


OBJECT_STORAGE_KEYS = {"gateway", "content_size", "key_suffix"}


def load_object_storage(scenario):
    """The scenario's "object_storage" section, checked; None when absent."""
    storage = scenario.get("object_storage")
    if storage is None:
        return None
    if not isinstance(storage, dict) or not isinstance(storage.get("gateway"), str):
        raise ScenarioError("object_storage needs a gateway URL")
    unknown = set(storage) - OBJECT_STORAGE_KEYS
    if unknown:
        raise ScenarioError("object_storage: unknown keys %s" % sorted(unknown))
    size = storage.get("content_size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ScenarioError("object_storage: content_size must be a byte count")
    if not isinstance(storage.get("key_suffix", ""), str):
        raise ScenarioError("object_storage: key_suffix must be a string")
    return dict(storage)


def check_top_level_keys(scenario):
    allowed = {"accounts", "export_duration_seconds", "object_storage"} | set(SCENARIO_KINDS)
    unknown = [k for k in scenario if k not in allowed and not k.startswith("_")]
    if unknown:
        raise ScenarioError("scenario: unknown top-level keys %s" % unknown)


# -- the world ---------------------------------------------------------------------------

class World:
    """Everything the fake cloud holds: accounts, sections and accepted exports."""

    def __init__(self, scenario, app):
        self.app = app  # for the clock, simulated time and provider-level fault rules
        check_top_level_keys(scenario)
        self.secrets_by_key = load_accounts(scenario)
        self.sections = {kind: Section(SERVICE_BY_KIND[kind], scenario.get(kind, {}))
                         for kind in SCENARIO_KINDS}
        self.export_duration = scenario.get("export_duration_seconds", 0)
        self.exports = []
        self.object_storage = load_object_storage(scenario)
        if self.object_storage and "content_size" in self.object_storage:
            for section in self.sections.values():
                for backups in section.backups.values():
                    for backup in backups:
                        backup["backupSize"] = self.object_storage["content_size"]
        if self.object_storage:
            # NAVER exports only to buckets that exist: the scenario's do.
            s3_gateway.create_buckets_through_control(
                self.object_storage["gateway"],
                sorted({b for section in self.sections.values() for b in section.buckets}))

    def section_for(self, service):
        return self.sections[service.kind]

    def instance_in_region(self, service, record, params):
        wanted = params.get(service.region_param)
        if not wanted:
            return True
        if service.classic:
            actual = (record.get("region") or {}).get("regionNo")
        else:
            servers = record.get(service.field("ServerInstanceList")) or [{}]
            actual = servers[0].get("regionCode")
        return actual is None or actual == wanted

    def visible_instances(self, service, params):
        return [r for r in self.section_for(service).instances
                if self.instance_in_region(service, r, params)]

    def existing_instance(self, service, params):
        number = required_param(params, service.instance_no_field)
        record = self.section_for(service).find_instance(number)
        if record is None or not self.instance_in_region(service, record, params):
            raise BusinessError(RC_INVALID_INSTANCE_NO, MSG_INVALID_INSTANCE_NO)
        return number, record

    # -- actions: each takes the API action name (unqualified) and the merged params,
    #    and returns the response fields that follow returnMessage ----------------------

    def list_instances(self, service, action, params):
        if service.classic:
            require_mysql_db_kind(params)
        rows = self.visible_instances(service, params)
        wanted = indexed_list_param(params, service.field("InstanceNoList"))
        if wanted:
            rows = [r for r in rows if r[service.instance_no_field] in wanted]
        return self.listing(service, action, params, rows, service.field("InstanceList"))

    def list_backup_summaries(self, service, action, params):
        rows = [self.backup_summary(service, r) for r in self.visible_instances(service, params)
                if r.get("isBackup", True)]
        return self.listing(service, action, params, rows, service.field("BackupList"))

    def list_backup_details(self, service, action, params):
        if service.classic:
            require_mysql_db_kind(params)
        number, _ = self.existing_instance(service, params)
        rows = self.section_for(service).backups[number]
        return self.listing(service, action, params, rows, service.field("BackupDetailList"))

    def list_buckets(self, service, action, params):
        rows = [{"bucketName": name} for name in self.section_for(service).buckets]
        return self.listing(service, action, params, rows, service.field("BucketList"))

    def export_backup(self, service, action, params):
        if service.classic:
            require_mysql_db_kind(params)
        file_name = required_param(params, "fileName")
        bucket = required_param(params, "bucketName")
        number, _ = self.existing_instance(service, params)
        section = self.section_for(service)
        if section.find_backup(number, file_name) is None:
            raise BusinessError(RC_INVALID_BACKUP_FILE, MSG_INVALID_BACKUP_FILE)
        if bucket not in section.buckets:
            raise BusinessError(RC_BUCKET_NOT_FOUND, MSG_BUCKET_NOT_FOUND)
        if self.busy_fault_fires(service, action, number):
            raise BusinessError(RC_BUSY, MSG_BUSY)
        self.record_export(service, params, number, file_name, bucket)
        return {}

    # -- helpers ----------------------------------------------------------------------

    def listing(self, service, action, params, rows, list_name):
        if action in service.paged_actions:
            rows, total = page_of(rows, params)
        else:
            total = len(rows)
        return {"totalRows": total, list_name: rows}

    def backup_summary(self, service, record):
        number = record[service.instance_no_field]
        backups = self.section_for(service).backups[number]
        summary = {service.instance_no_field: number,
                   service.field("ServiceName"): record.get(service.field("ServiceName"))}
        if service.kind == "postgresql":
            summary.update(backupType="USER",
                           backupRetention=record.get("backupFileRetentionPeriod"))
        else:
            summary["backupFileRetentionPeriod"] = record.get("backupFileRetentionPeriod")
        summary["backupSize"] = sum(b.get("backupSize", 0) for b in backups)
        summary["backupTime"] = record.get("backupTime")
        if backups:
            summary["lastBackupDate"] = max((b["endTime"] for b in backups), key=parse_time)
        if service.kind == "postgresql":
            summary["backupFileStorageCount"] = len(backups)
        return {k: v for k, v in summary.items() if v is not None}

    def busy_fault_fires(self, service, action, number):
        qualified_action = "%s/%s" % (service.name, action)
        rule = self.app.core.fire_provider_fault(
            qualified_action, "busy", accept=lambda r: r.get("instance") in (None, number))
        return rule is not None

    def record_export(self, service, params, number, file_name, bucket):
        # Classic clouddb documents no folderPath: the real API would ignore it, so the
        # recorded destination ignores it too (the raw params still show it was sent).
        folder = None if service.classic else (params.get("folderPath") or None)
        done = self.export_duration <= 0
        suffix = (self.object_storage or {}).get("key_suffix", "")
        self.exports.append({
            "seq": len(self.exports) + 1,
            "kind": service.kind,
            "service": service.name,
            "instanceNo": number,
            "fileName": file_name,
            "bucketName": bucket,
            "folderPath": folder,
            "params": dict(params),
            "time": self.app.core.now(),
            "sim_started": self.app.core.sim_seconds,
            "state": "done" if done else "running",
            "objectKey": (folder or "") + file_name + suffix if self.object_storage else None,
            "uploaded": False,
        })
        if done:
            self.upload(self.exports[-1])

    def tick(self):
        for export in self.exports:
            if (export["state"] == "running" and
                    self.app.core.sim_seconds - export["sim_started"] >= self.export_duration):
                export["state"] = "done"
                self.upload(export)

    def upload(self, export):
        """A done export's bytes into the bucket (see the module docstring)."""
        if not self.object_storage:
            return
        backup = self.sections[export["kind"]].find_backup(export["instanceNo"],
                                                           export["fileName"])
        size = backup.get("backupSize") if backup else None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            export["uploadError"] = "backupSize is not a byte count"
            return
        seed = s3_gateway.backup_seed(export["kind"], export["instanceNo"], export["fileName"])
        try:
            s3_gateway.put_object_through_control(self.object_storage["gateway"],
                                                  export["bucketName"], export["objectKey"],
                                                  size, seed)
            export["uploaded"] = True
        except (OSError, ValueError) as err:
            export["uploadError"] = str(err)
            sys.stderr.write("ncloud-fake: writing %s/%s to Object Storage failed: %s\n"
                             % (export["bucketName"], export["objectKey"], err))

    def to_json(self):
        state = {"accounts": [{"access_key": key} for key in self.secrets_by_key]}
        for kind, section in self.sections.items():
            state[kind] = section.to_json()
        state["export_duration_seconds"] = self.export_duration
        state["exports"] = copy.deepcopy(self.exports)
        return state


# -- state patches (POST /_fake/state) ---------------------------------------------------

def patch_section(sections, op):
    kind = op.get("kind")
    if kind not in sections:
        raise ControlError("op %s: kind must be one of %s" % (op.get("op"), SCENARIO_KINDS))
    return sections[kind]


def patch_instance_no(section, op):
    number = op.get("instance")
    if section.find_instance(number) is None:
        raise ControlError("op %s: no %s instance %r" % (op["op"], section.service.kind, number))
    return number


def patch_backup(section, op):
    number = patch_instance_no(section, op)
    backup = section.find_backup(number, op.get("fileName"))
    if backup is None:
        raise ControlError("op %s: instance %s has no backup %r"
                           % (op["op"], number, op.get("fileName")))
    return number, backup


def set_or_delete(record, field, value):
    if value is None:
        record.pop(field, None)
    else:
        record[field] = value


def apply_op(sections, op):
    if not isinstance(op, dict):
        raise ControlError("each op must be an object")
    section = patch_section(sections, op)
    name = op.get("op")
    try:
        if name == "add_backup":
            section.add_backup(patch_instance_no(section, op), op["backup"],
                               at_start=op.get("position") == "start")
        elif name == "remove_backup":
            number, backup = patch_backup(section, op)
            section.backups[number].remove(backup)
        elif name == "set_backup_field":
            _, backup = patch_backup(section, op)
            set_or_delete(backup, op["field"], op.get("value"))
        elif name == "add_instance":
            section.add_instance(op["instance"])
        elif name == "remove_instance":
            number = patch_instance_no(section, op)
            section.instances.remove(section.find_instance(number))
            del section.backups[number]
        elif name == "set_instance_field":
            record = section.find_instance(patch_instance_no(section, op))
            if op["field"] == section.service.instance_no_field:
                raise ControlError("the instance number cannot be changed")
            set_or_delete(record, op["field"], op.get("value"))
        elif name == "add_bucket":
            section.buckets.append(op["bucket"])
        elif name == "remove_bucket":
            section.buckets.remove(op["bucket"])
        else:
            raise ControlError("unknown op %r" % name)
    except ScenarioError as err:
        raise ControlError(str(err))
    except (KeyError, ValueError) as err:
        raise ControlError("op %s: bad or missing %s" % (name, err))


# -- the app -----------------------------------------------------------------------------

class NcloudApp(fakecore.FakeApp):
    name = "ncloud-fake"
    server_header = "nginx"
    extra_fault_kinds = {"busy": {"instance"}}

    def __init__(self, scenario):
        super().__init__(scenario)
        self.world = World(scenario, self)

    def describe(self, request):
        service, action = route_of(request.path)
        name = "%s/%s" % (service.name, action) if service else "unknown"
        params, _ = merged_params(request)
        return name, params

    def handle(self, request, action, params):
        service, api_action = route_of(request.path)
        if service is None or api_action not in service.actions:
            return gateway_error_response(404, "No API for %s" % request.path)
        if request.method not in ("GET", "POST"):
            return gateway_error_response(404, "No API for %s %s" % (request.method, request.path))
        failure = authentication_failure(request, self.world.secrets_by_key,
                                         int(self.core.now() * 1000))
        if failure is not None:
            return gateway_error_response(401, failure)
        params, param_error = merged_params(request)
        if param_error is not None:
            return gateway_error_response(400, param_error)
        return self.run_action(service, api_action, params)

    def run_action(self, service, api_action, params):
        response_format = response_format_of(params)
        if response_format is None:
            error = invalid_parameter("responseFormatType must be xml or json.")
            return business_error_response(error, "xml")
        handler = getattr(self.world, service.actions[api_action])
        try:
            fields = handler(service, api_action, params)
        except BusinessError as error:
            return business_error_response(error, response_format)
        return success_response(api_action, fields, response_format)

    def fault_status_response(self, status, action, params):
        return gateway_error_response(status)

    def state(self):
        state = self.world.to_json()
        state["sim_seconds"] = self.core.sim_seconds
        return state

    def apply_state_patch(self, patch):
        ops = patch.get("ops")
        if not isinstance(ops, list):
            raise ControlError('expected {"ops": [...]}')
        # All or nothing: apply to a copy and swap only if every op succeeded.  The
        # memo keeps the Service descriptors shared instead of copied.
        memo = {id(service): service for service in SERVICES.values()}
        candidate = copy.deepcopy(self.world.sections, memo)
        for op in ops:
            apply_op(candidate, op)
        self.world.sections = candidate
        return {"applied": len(ops)}

    def reset_world(self):
        self.world = World(self.scenario, self)

    def tick(self, seconds):
        self.world.tick()

    def control(self, method, subpath, body):
        if (method, subpath) == ("GET", "exports"):
            return fakecore.json_response(200, {"exports": copy.deepcopy(self.world.exports)})
        return None


def make_app(scenario):
    try:
        return NcloudApp(scenario)
    except (ScenarioError, KeyError, TypeError, ValueError) as err:
        sys.stderr.write("ncloud-fake: bad scenario: %s\n" % err)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(fakecore.run_main(make_app, "NAVER Cloud API (Cloud DB) emulator"))
