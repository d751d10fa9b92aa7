#!/usr/bin/python3
"""Huawei Cloud emulator: API Gateway AK/SK auth + TaurusDB and RDS v3 backups.

Wire facts: shared/api/huawei.md ([I] there = inferred).  Both services on one port:

    service (scenario key)  operation (action "<key>/<operation>")  route
    taurusdb                ListGaussMySqlInstances   GET  /v3/{project_id}/instances
                            ShowGaussMySqlBackupList  GET  /v3/{project_id}/backups
                            CreateGaussMySqlBackup    POST /v3/{project_id}/backups/create  201
                            ShowMysqlInstanceList     GET  /mysql/v3/{project_id}/instances
                            ShowMysqlBackupList       GET  /mysql/v3/{project_id}/backups
                            CreateMysqlBackup         POST /mysql/v3/{project_id}/backups/create 200
    rds                     ListInstances             GET  /v3/{project_id}/instances
                            ListBackups               GET  /v3/{project_id}/backups (instance_id required)
                            CreateManualBackup        POST /v3/{project_id}/backups  200
                            ShowBackupDownloadLink    GET  /v3/{project_id}/backup-files (backup_id)

Routing.  The real services live on different hosts (gaussdb.{region}, gaussdbformysql.
{region}, rds.{region}) and share paths, so a request is routed by, in order: a leading
path segment "/taurusdb" or "/rds" (tests use endpoints like http://127.0.0.1:PORT/rds; the
segment is part of the signed path, as behind a path-routing proxy), the Host header, or a
path only one service has (/mysql/v3/...).  Anything else, an ambiguous path included, is
404 APIGW.0101 -- before authentication, as the gateway does.

Auth (huawei.md 3, 7), each failure 401 {"error_code": "APIGW.0301", "error_msg":
"Incorrect IAM authentication information: <why>", "request_id"}:
  - Authorization "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex";
  - SignedHeaders lower case, sorted, unique, and holding x-sdk-date;
  - X-Sdk-Date YYYYMMDDTHHMMSSZ within 15 minutes of the server clock (skew included);
  - a known AK; the canonical request rebuilt from the listed headers only (a listed
    header that is absent cannot match), the path segments decoded and re-encoded with a
    trailing '/', the query decoded ('+' is a literal plus) and re-encoded, sorted, and
    the body hash (or X-Sdk-Content-Sha256 when sent); constant-time comparison;
  - X-Project-Id present and the AK's project (an X-Auth-Token equal to an account's
    "token" replaces the signature and the header); a path naming another project is 403
    DBS.200010.

Services.  Records are served verbatim from the scenario (field order kept).  Paging:
offset (records, default 0) and limit (1..100, default 100), total_count always the total;
id/name filters exact or, with a leading '*', a substring; bad values 400 DBS.200001.
TaurusDB backup "size" is MB, RDS KB.  A section's instances live in one project (the
first account's unless the section says "project_id"); other projects are empty.
Create (body {instance_id, name, description}), checked in this order:
    400 DBS.200001  body not a JSON object, no instance_id
    400 DBS.200022  TaurusDB instance unknown    (404 DBS.200002 for RDS)
    400 DBS.201210  name breaks the rule: ^[A-Za-z][A-Za-z0-9_-]{3,63}$; current TaurusDB
                    also takes U+4E00..U+9FA5 anywhere, <= 64 bytes
    400 DBS.280127  description > 256 characters or holding >!<"&'=
    409 DBS.201209  name taken in the instance, or a "duplicate" fault
    409 <code>      a "busy" fault (code: any of BUSY_CODES, default DBS.200019)
    409 DBS.200019  the instance already has a backup being built
A new backup is BUILDING (size 0, no end_time, backup_level "0"), listed first; an RDS
instance shows status "BACKING UP" meanwhile.  It is COMPLETED (size from "build_size",
end_time, take_up_time) -- or FAILED after a "fail_build" fault -- once its age reaches
"build_seconds"; its age is the real time since the create plus every POST /_fake/tick
since.  Times are written with the scenario's "time_zone_offset" (default +0800).

RDS download links (huawei.md 2.10): GET /v3/{project_id}/backup-files?backup_id=ID
answers {"files": [{"name", "size" (KB: the backup's, split among its files),
"download_link", "link_expired_time" ("YYYY-MM-DDThh:mm:ss+0000")}], "bucket"}; no
backup_id or an unknown one: 400 DBS.200001.  A backup's files are its scenario-only
"download" (never listed): {"file": NAME, "rate": BYTES_PER_S, "short_body": true}, or a
list of them (several files), or none (an empty files[]).  Links point at a download
server (tests/fakes/nginx.py), from the scenario's top-level "content": {"base_url",
"secret" (nginx secure_link: links then expire for real), "link_seconds" (default 900),
"reported_link_seconds" (what link_expired_time says; default link_seconds),
"short_body_url" (the ShortBodyProxy, for "short_body")}; link times use the real clock
(nginx's), not the skewed one.

Control API: fakecore's, plus GET /_fake/creates (every accepted create); state patches
add_backup, remove_backup, set_backup_field (by "backup" id), finish_backup {"backup",
"status"}, add_instance, remove_instance, set_instance_field (by "instance" id), each with
"kind".  Extra fault kinds: busy {instance, code}, duplicate {instance}, fail_build
{instance}, matched on the create actions.  Injected statuses answer 401 APIGW.0301,
403 DBS.200010, 404 APIGW.0101, 409 DBS.200019, 429 APIGW.0308, 5xx DBS.108000, other
4xx APIGW.0201.  Every answer carries X-Request-Id.

Inferred, not verified against the live services: every error code's HTTP status except
those huawei.md marks [V]; DBS.200001 for TaurusDB; the APIGW.0301 details; the X-Project-Id
and project checks; routing by path segment; the legacy create's 200; DBS.200022 on a
TaurusDB create for an unknown instance; an empty list for an unknown TaurusDB instance_id;
busy while building; the finished backup's fields; RDS "BACKING UP"; the backup order;
backup-files' error for an unknown backup, its file names, and how it splits the size.

Run:  /usr/bin/python3 huawei_fake.py --scenario scenarios/huawei-demo.json --port-file P
"""

import copy
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import time
import uuid
from urllib.parse import quote, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakecore  # noqa: E402
import nginx  # noqa: E402   (signed download links)
from fakecore import ControlError, Response  # noqa: E402

# -- wire constants ----------------------------------------------------------------------

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
PROJECT_HEADER = "X-Project-Id"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
TOKEN_HEADER = "X-Auth-Token"
REQUEST_ID_HEADER = "X-Request-Id"
DATE_WINDOW_SECONDS = 15 * 60
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"     # 2020-07-08T18:41:14+0800
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
UNRESERVED = "-_.~"
AUTHORIZATION = re.compile(r"^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([^,\s]+), "
                           r"Signature=([0-9a-fA-F]+)$")
DECIMAL = re.compile(r"^[0-9]+$")
PAGE_LIMIT_MAX = 100

# -- error codes -------------------------------------------------------------------------

# Gateway (huawei.md 2.11).  Messages of 0301 are [I]: the FAQ text plus our own detail.
APIGW_NO_API = "APIGW.0101"
APIGW_BAD_REQUEST = "APIGW.0201"
APIGW_AUTH = "APIGW.0301"
APIGW_THROTTLED = "APIGW.0308"
AUTH_MESSAGE = "Incorrect IAM authentication information: "

# Services.
DBS_PARAMETER = "DBS.200001"          # RDS table: parameter error (used for both, [I])
DBS_INSTANCE_MISSING_RDS = "DBS.200002"
DBS_NOT_AUTHORISED = "DBS.200010"
DBS_BUSY = "DBS.200019"
DBS_INSTANCE_MISSING_TAURUS = "DBS.200022"   # TaurusDB create definition's example
DBS_SERVER = "DBS.108000"
DBS_BACKUP_NAME_EXISTS = "DBS.201209"
DBS_BACKUP_NAME_INVALID = "DBS.201210"
DBS_DESCRIPTION_INVALID = "DBS.280127"
# Codes Huawei's terraform provider treats as "instance busy" (2.11); a busy fault may
# answer any of them.
BUSY_CODES = ("DBS.200019", "DBS.200011", "DBS.201014", "DBS.201015", "DBS.200047",
              "DBS.05000084", "DBS.201202")
BUSY_MESSAGE = ("Another operation is being performed on the DB instance or the DB "
                "instance is faulty.")

SCENARIO_KINDS = ("taurusdb", "rds")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ScenarioError(Exception):
    pass


def parameter_error(text):
    return ApiError(400, DBS_PARAMETER, "Invalid parameter: " + text)


def new_request_id():
    return uuid.uuid4().hex


def error_response(status, code, message, request_id=None, gateway=False):
    request_id = request_id or new_request_id()
    body = {"error_code": code, "error_msg": message}
    if gateway:
        body["request_id"] = request_id   # APIGW bodies carry it (2.11, [I])
    return Response(status, json.dumps(body, ensure_ascii=False), JSON_CONTENT_TYPE,
                    [(REQUEST_ID_HEADER, request_id)])


def gateway_error(status, code, message):
    return error_response(status, code, message, gateway=True)


def json_answer(status, payload, request_id=None):
    return Response(status, json.dumps(payload, ensure_ascii=False), JSON_CONTENT_TYPE,
                    [(REQUEST_ID_HEADER, request_id or new_request_id())])


# -- services ----------------------------------------------------------------------------

class Service:
    """One database service: its routes, units, statuses, id suffixes and error codes."""

    def __init__(self, kind, host_prefixes, routes, size_unit, statuses, instance_suffix,
                 backup_suffix, missing_instance, name_rule_chinese_routes):
        self.kind = kind
        self.host_prefixes = host_prefixes
        self.routes = routes                  # (method, api prefix, suffix) -> (op, handler)
        self.size_unit = size_unit            # "MB" / "KB": documentation only
        self.statuses = statuses
        self.instance_suffix = instance_suffix
        self.backup_suffix = backup_suffix
        self.missing_instance = missing_instance   # (status, code, message)
        self.chinese_names = name_rule_chinese_routes   # create ops that allow Chinese


TAURUSDB = Service(
    "taurusdb", ("gaussdb.", "gaussdbformysql."),
    {("GET", "/v3", "/instances"): ("ListGaussMySqlInstances", "list_instances"),
     ("GET", "/mysql/v3", "/instances"): ("ShowMysqlInstanceList", "list_instances"),
     ("GET", "/v3", "/backups"): ("ShowGaussMySqlBackupList", "list_backups"),
     ("GET", "/mysql/v3", "/backups"): ("ShowMysqlBackupList", "list_backups"),
     ("POST", "/v3", "/backups/create"): ("CreateGaussMySqlBackup", "create_backup"),
     ("POST", "/mysql/v3", "/backups/create"): ("CreateMysqlBackup", "create_backup")},
    "MB", ("BUILDING", "COMPLETED", "FAILED", "AVAILABLE"), "in07", "br07",
    (400, DBS_INSTANCE_MISSING_TAURUS, "Instance does not exist."),
    {"CreateGaussMySqlBackup"})

RDS = Service(
    "rds", ("rds.",),
    {("GET", "/v3", "/instances"): ("ListInstances", "list_instances"),
     ("GET", "/v3", "/backups"): ("ListBackups", "list_backups"),
     ("POST", "/v3", "/backups"): ("CreateManualBackup", "create_backup"),
     ("GET", "/v3", "/backup-files"): ("ShowBackupDownloadLink", "backup_files")},
    "KB", ("BUILDING", "COMPLETED", "FAILED", "DELETING"), "in01", "br01",
    (404, DBS_INSTANCE_MISSING_RDS, "The DB instance does not exist."),
    set())

SERVICES = {service.kind: service for service in (TAURUSDB, RDS)}
# Create: documented success status (huawei.md 1.3; the legacy one is open question 1).
CREATE_STATUS = {"CreateGaussMySqlBackup": 201, "CreateMysqlBackup": 200,
                 "CreateManualBackup": 200}
PATH = re.compile(r"^(/v3|/mysql/v3)/([^/]+)(/.*)$")


class Route:
    def __init__(self, service, prefix_segment, api_prefix, project_id, suffix, operation,
                 handler):
        self.service = service
        self.prefix_segment = prefix_segment   # "/rds", "/taurusdb" or ""
        self.api_prefix = api_prefix
        self.project_id = project_id
        self.suffix = suffix
        self.operation = operation
        self.handler = handler

    @property
    def action(self):
        return "%s/%s" % (self.service.kind, self.operation)


def candidate_services(request):
    """(services to try, path without the service segment, the segment)."""
    path = request.path
    for kind, service in SERVICES.items():
        segment = "/" + kind
        if path == segment or path.startswith(segment + "/"):
            return [service], path[len(segment):], segment
    host = (request.header("Host") or "").lower()
    for service in SERVICES.values():
        if any(host.startswith(prefix) for prefix in service.host_prefixes):
            return [service], path, ""
    return list(SERVICES.values()), path, ""


def route_of(request):
    """The Route for a request, or None (no such API, or ambiguous without a host)."""
    services, path, segment = candidate_services(request)
    match = PATH.match(path)
    if not match:
        return None
    api_prefix, project_id, suffix = match.groups()
    found = []
    for service in services:
        entry = service.routes.get((request.method, api_prefix, suffix))
        if entry:
            found.append(Route(service, segment, api_prefix, project_id, suffix, *entry))
    return found[0] if len(found) == 1 else None


# -- signature (huawei.md 3) --------------------------------------------------------------

def encode(text):
    return quote(text, safe=UNRESERVED)


def canonical_uri(raw_path):
    """Each segment decoded and re-encoded; always ends in '/' (3.3)."""
    uri = "/".join(encode(unquote(segment)) for segment in raw_path.split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(raw_query):
    """Pairs decoded ('+' stays a plus), re-encoded, sorted by name then value (3.4)."""
    pairs = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((encode(unquote(name)), encode(unquote(value))))
    return "&".join("%s=%s" % pair for pair in sorted(pairs))


def header_value(request, name):
    values = request.headers.get_all(name) or []
    return ",".join(value.strip(" \t") for value in values) if values else None


def canonical_request(request, signed_names):
    """None when a listed header is missing (the signature cannot match)."""
    lines = []
    for name in signed_names:
        value = header_value(request, name)
        if value is None:
            return None
        lines.append("%s:%s\n" % (name, value))
    payload = header_value(request, CONTENT_SHA256_HEADER)
    if payload is None:
        payload = hashlib.sha256(request.body).hexdigest()
    return "\n".join([request.method, canonical_uri(request.path),
                      canonical_query(request.raw_query), "".join(lines),
                      ";".join(signed_names), payload])


def string_to_sign(canonical, sdk_date):
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "%s\n%s\n%s" % (ALGORITHM, sdk_date, digest)


def signature(secret_key, text):
    return hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def parse_sdk_date(text):
    try:
        return datetime.datetime.strptime(text, DATE_FORMAT).replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


class Accounts:
    """ak -> {"sk", "project_id", "token"}."""

    def __init__(self, raw):
        if not isinstance(raw, list) or not raw:
            raise ScenarioError("scenario needs a non-empty accounts list")
        self.by_ak = {}
        for account in raw:
            if not isinstance(account, dict) or not all(
                    isinstance(account.get(k), str) and account.get(k)
                    for k in ("ak", "sk", "project_id")):
                raise ScenarioError("each account needs ak, sk and project_id")
            unknown = set(account) - {"ak", "sk", "project_id", "token"}
            if unknown:
                raise ScenarioError("account: unknown keys %s" % sorted(unknown))
            self.by_ak[account["ak"]] = dict(account)

    def by_token(self, token):
        return next((a for a in self.by_ak.values() if a.get("token") == token), None)

    def public(self):
        return [{"ak": ak, "project_id": a["project_id"]} for ak, a in self.by_ak.items()]


def authenticate(request, accounts, now):
    """(account, None) or (None, Response 401)."""
    token = request.header(TOKEN_HEADER)
    if token and not request.header("Authorization"):
        account = accounts.by_token(token)
        if account is None:
            return None, gateway_error(401, APIGW_AUTH, AUTH_MESSAGE + "token invalid")
        return account, None
    failure, account = signature_failure(request, accounts, now)
    if failure:
        return None, gateway_error(401, APIGW_AUTH, AUTH_MESSAGE + failure)
    return account, None


def signature_failure(request, accounts, now):
    """(the reason the gateway refuses the signature, None) or (None, account)."""
    authorization = request.header("Authorization")
    if not authorization:
        return "authorization header is missing", None
    match = AUTHORIZATION.match(authorization.strip())
    if not match:
        return "decode authorization header failed", None
    ak, signed_list, given = match.groups()
    signed_names = signed_list.split(";")
    if signed_names != sorted(set(signed_names)) or any(n != n.lower() for n in signed_names):
        return "SignedHeaders must be lower case, sorted and unique", None
    if DATE_HEADER.lower() not in signed_names:
        return "x-sdk-date must be signed", None
    sdk_date = request.header(DATE_HEADER)
    when = parse_sdk_date(sdk_date)
    if when is None:
        return "x-sdk-date is not in the form YYYYMMDDTHHMMSSZ", None
    if abs(now - when) > DATE_WINDOW_SECONDS:
        return "the request has expired: x-sdk-date is more than 15 minutes off", None
    account = accounts.by_ak.get(ak)
    if account is None:
        return "Get secretKey failed,ak:%s,err:ak not exist" % ak, None
    canonical = canonical_request(request, signed_names)
    expected = signature(account["sk"], string_to_sign(canonical, sdk_date)) if canonical else ""
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        return "verify aksk signature fail", None
    return None, account


def check_project(request, route, account):
    """The gateway scopes AK/SK with X-Project-Id; the path must name the same project."""
    project = request.header(PROJECT_HEADER)
    if request.header(TOKEN_HEADER) and not request.header("Authorization"):
        project = project or account["project_id"]
    if not project:
        return gateway_error(401, APIGW_AUTH, AUTH_MESSAGE + "X-Project-Id is required")
    if project != account["project_id"]:
        return gateway_error(401, APIGW_AUTH, AUTH_MESSAGE +
                             "the project %s does not belong to this access key" % project)
    if route.project_id != project:
        return error_response(403, DBS_NOT_AUTHORISED,
                              "The project ID in the URL does not match X-Project-Id.")
    return None


# -- times -------------------------------------------------------------------------------

def parse_time(text):
    return datetime.datetime.strptime(text, TIME_FORMAT)


def format_time(epoch, offset_text):
    sign = -1 if offset_text.startswith("-") else 1
    hours, minutes = int(offset_text[1:3]), int(offset_text[3:5])
    zone = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
    return datetime.datetime.fromtimestamp(int(epoch), zone).strftime(TIME_FORMAT)


# -- backup names (huawei.md 2.3, 2.8) ----------------------------------------------------

ASCII_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{3,63}$")
CHINESE_NAME = re.compile("^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9_\u4e00-\u9fa5-]{3,63}$")
DESCRIPTION_FORBIDDEN = set('>!<"&\'=')


def name_is_valid(name, allow_chinese):
    if not isinstance(name, str):
        return False
    if allow_chinese:
        return bool(CHINESE_NAME.match(name)) and len(name.encode("utf-8")) <= 64
    return bool(ASCII_NAME.match(name))


def description_is_valid(description):
    return (description is None or
            (isinstance(description, str) and len(description) <= 256 and
             not DESCRIPTION_FORBIDDEN & set(description)))


# -- scenario ----------------------------------------------------------------------------

GENERATOR_KEYS = {"count", "first_begin", "every_minutes", "duration_seconds", "size_base",
                  "size_step", "type", "name_prefix", "status"}


def generate_backups(service, instance, spec):
    """"backups_generate": auto backups at a fixed interval (README: scenario format)."""
    unknown = set(spec) - GENERATOR_KEYS
    if unknown:
        raise ScenarioError("backups_generate: unknown keys %s" % sorted(unknown))
    first = parse_time(spec["first_begin"])
    prefix = spec.get("name_prefix", "auto-" + instance.get("name", "backup"))
    backups = []
    for index in range(spec["count"]):
        begin = first + datetime.timedelta(minutes=spec["every_minutes"] * index)
        end = begin + datetime.timedelta(seconds=spec["duration_seconds"])
        backups.append(backup_record(service, instance, {
            "id": "%s%04d%s" % (hashlib.md5(instance["id"].encode()).hexdigest()[:28],
                                index, service.backup_suffix),
            "name": "%s-%s" % (prefix, begin.strftime("%Y%m%d%H%M%S")),
            "begin_time": begin.strftime(TIME_FORMAT),
            "end_time": end.strftime(TIME_FORMAT),
            "status": spec.get("status", "COMPLETED"),
            "type": spec.get("type", "auto"),
            "size": spec["size_base"] + spec.get("size_step", 0) * index,
        }))
    return backups


def backup_record(service, instance, fields):
    """A backup as the service's list returns it, fields in the documented order."""
    record = {"id": fields["id"], "name": fields["name"],
              "instance_id": instance["id"]}
    if service is TAURUSDB:
        record["instance_name"] = instance.get("name", "")
    if fields.get("description") is not None:
        record["description"] = fields["description"]
    record["begin_time"] = fields["begin_time"]
    if fields.get("end_time"):
        record["end_time"] = fields["end_time"]
    if service is TAURUSDB:
        record["take_up_time"] = fields.get("take_up_time", 0)
    record["status"] = fields["status"]
    record["type"] = fields["type"]
    record["size"] = fields.get("size", 0)
    if service is TAURUSDB:
        record["backup_level"] = "0" if fields["status"] in ("BUILDING", "FAILED") else "1"
    datastore = instance.get("datastore") or {}
    record["datastore"] = {"type": datastore.get("type", ""),
                           "version": datastore.get("version", "")}
    return record


def check_backup(service, instance_id, backup, ids, names):
    if not isinstance(backup, dict) or not isinstance(backup.get("id"), str):
        raise ScenarioError("%s instance %s: a backup needs a string id"
                            % (service.kind, instance_id))
    if backup["id"] in ids:
        raise ScenarioError("%s instance %s: duplicate backup id %s"
                            % (service.kind, instance_id, backup["id"]))
    if backup.get("status") not in service.statuses:
        raise ScenarioError("%s backup %s: status must be one of %s"
                            % (service.kind, backup["id"], service.statuses))


class Section:
    """The instances and backups of one service."""

    def __init__(self, service, raw, default_project):
        self.service = service
        self.instances = []       # records as served, scenario order and field order kept
        self.backups = {}         # instance id -> list of backup records
        unknown = set(raw) - {"instances", "project_id"}
        if unknown:
            raise ScenarioError("%s: unknown keys %s" % (service.kind, sorted(unknown)))
        # Every instance of a section lives in one project; other projects are empty.
        self.project_id = raw.get("project_id", default_project)
        for instance in raw.get("instances", []):
            self.add_instance(instance)

    def add_instance(self, raw):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            raise ScenarioError("%s: an instance needs a string id" % self.service.kind)
        if raw["id"] in self.backups:
            raise ScenarioError("%s: duplicate instance %s" % (self.service.kind, raw["id"]))
        record = {k: v for k, v in raw.items() if k not in ("backups", "backups_generate")}
        backups = [dict(b) for b in raw.get("backups", [])]
        if "backups_generate" in raw:
            backups += generate_backups(self.service, record, raw["backups_generate"])
        ids = set()
        for backup in backups:
            check_backup(self.service, raw["id"], backup, ids, None)
            ids.add(backup["id"])
        self.instances.append(record)
        self.backups[raw["id"]] = backups

    def add_backup(self, instance_id, backup, at_start=False):
        check_backup(self.service, instance_id, backup,
                     {b["id"] for b in self.backups[instance_id]}, None)
        position = 0 if at_start else len(self.backups[instance_id])
        self.backups[instance_id].insert(position, dict(backup))

    def find_instance(self, instance_id):
        return next((r for r in self.instances if r["id"] == instance_id), None)

    def find_backup(self, backup_id):
        for instance_id, backups in self.backups.items():
            for backup in backups:
                if backup["id"] == backup_id:
                    return instance_id, backup
        return None, None

    def to_json(self):
        instances = []
        for record in self.instances:
            full = dict(record)
            full["backups"] = self.backups[record["id"]]
            instances.append(full)
        return {"instances": instances}


# "content": where RDS download links point (tests/fakes/nginx.py). A backup's
# "download" ({"file", "rate", "short_body"}, or a list of them: several files)
# names files under that server's /files/; it is never served in listings.
CONTENT_KEYS = {"base_url", "secret", "link_seconds", "reported_link_seconds",
                "short_body_url"}
DOWNLOAD_KEYS = {"file", "rate", "short_body"}
LINK_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"   # 2.10's example, with a valid day
HIDDEN_BACKUP_KEYS = ("download",)


def check_top_level_keys(scenario):
    allowed = ({"accounts", "build_seconds", "time_zone_offset", "build_size", "content"} |
               set(SCENARIO_KINDS))
    unknown = [k for k in scenario if k not in allowed and not k.startswith("_")]
    if unknown:
        raise ScenarioError("scenario: unknown top-level keys %s" % unknown)


# -- paging and filters --------------------------------------------------------------------

def decimal_param(params, name, default, minimum, maximum=None):
    value = params.get(name)
    if value is None or value == "":
        return default
    if not DECIMAL.match(value) or int(value) < minimum or (maximum and int(value) > maximum):
        raise parameter_error("%s must be an integer %s." % (
            name, "%d..%d" % (minimum, maximum) if maximum else ">= %d" % minimum))
    return int(value)


def page_of(rows, params):
    """offset is a record offset (default 0), limit 1..100 (default 100)."""
    offset = decimal_param(params, "offset", 0, 0)
    limit = decimal_param(params, "limit", PAGE_LIMIT_MAX, 1, PAGE_LIMIT_MAX)
    return rows[offset:offset + limit], len(rows)


def matches(value, wanted):
    """The `id`/`name` filter rule: exact, or fuzzy when it begins with '*' (2.1)."""
    if wanted is None:
        return True
    if wanted.startswith("*"):
        if wanted == "*":
            raise parameter_error("'*' alone is not a valid filter.")
        return wanted[1:] in (value or "")
    return value == wanted


# -- the world ---------------------------------------------------------------------------

class World:
    """Accounts, both services' instances and backups, and the creates accepted."""

    def __init__(self, scenario, app):
        self.app = app
        check_top_level_keys(scenario)
        self.accounts = Accounts(scenario.get("accounts"))
        first_project = scenario["accounts"][0]["project_id"]
        self.sections = {kind: Section(SERVICES[kind], scenario.get(kind, {}), first_project)
                         for kind in SCENARIO_KINDS}
        self.empty = {kind: Section(SERVICES[kind], {}, None) for kind in SCENARIO_KINDS}
        self.build_seconds = scenario.get("build_seconds", 0)
        self.time_zone_offset = scenario.get("time_zone_offset", "+0800")
        # Size (in the service's unit) a finished manual backup gets, per service.
        self.build_size = dict({"taurusdb": 2048, "rds": 3500}, **scenario.get("build_size", {}))
        self.content = dict(scenario.get("content") or {})
        unknown = set(self.content) - CONTENT_KEYS
        if unknown:
            raise ScenarioError("content: unknown keys %s" % sorted(unknown))
        self.creates = []     # every accepted create, in order
        self.building = {}    # backup id -> bookkeeping of a backup still being made

    # -- time-based state -------------------------------------------------------------

    def age_of(self, job):
        """Real seconds since the create plus the seconds ticked since then."""
        return (self.app.core.now() - job["created"]) + (self.app.core.sim_seconds
                                                         - job["sim_created"])

    def advance(self):
        for backup_id, job in list(self.building.items()):
            if self.age_of(job) >= self.build_seconds:
                self.finish(backup_id, job["outcome"])

    def finish(self, backup_id, outcome):
        job = self.building.pop(backup_id)
        section = self.sections[job["kind"]]
        instance_id, backup = section.find_backup(backup_id)
        instance = section.find_instance(instance_id)
        if backup is None or instance is None:
            return
        seconds = max(1, int(self.age_of(job)))
        begin = parse_time(backup["begin_time"]).timestamp()
        fields = dict(backup, status=outcome, take_up_time=(seconds + 59) // 60,
                      end_time=format_time(begin + seconds, self.time_zone_offset),
                      size=self.build_size[job["kind"]] if outcome == "COMPLETED" else 0)
        # Rebuilt rather than updated so that end_time sits where the list puts it.
        backup.clear()
        backup.update(backup_record(section.service, instance, fields))
        self.restore_instance_status(instance, job)

    def restore_instance_status(self, instance, job):
        still_building = any(j["instance"] == job["instance"] and j["kind"] == job["kind"]
                             for j in self.building.values())
        if job.get("previous_status") is not None and not still_building:
            instance["status"] = job["previous_status"]

    # -- actions ----------------------------------------------------------------------

    def section_for(self, route):
        section = self.sections[route.service.kind]
        return section if route.project_id == section.project_id else self.empty[section.service.kind]

    def list_instances(self, route, params, body):
        section = self.section_for(route)
        rows = [r for r in section.instances
                if matches(r.get("id"), params.get("id")) and
                matches(r.get("name"), params.get("name"))]
        rows, total = page_of(rows, params)
        return 200, {"instances": rows, "total_count": total}

    def list_backups(self, route, params, body):
        section = self.section_for(route)
        instance_id = params.get("instance_id")
        if route.service is RDS:
            if not instance_id:
                raise parameter_error("instance_id is required.")
            if section.find_instance(instance_id) is None:
                raise ApiError(*route.service.missing_instance)
        rows = [b for iid, backups in section.backups.items()
                if not instance_id or iid == instance_id for b in backups]
        rows = [b for b in rows
                if (not params.get("backup_id") or b["id"] == params["backup_id"]) and
                (not params.get("backup_type") or b["type"] == params["backup_type"])]
        rows, total = page_of(rows, params)
        rows = [{k: v for k, v in b.items() if k not in HIDDEN_BACKUP_KEYS} for b in rows]
        return 200, {"backups": rows, "total_count": total}

    def backup_files(self, route, params, body):
        """RDS download links (2.10): one per file of the backup's "download"."""
        section = self.section_for(route)
        backup_id = params.get("backup_id")
        if not backup_id:
            raise parameter_error("backup_id is required.")
        _, backup = section.find_backup(backup_id)
        if backup is None:   # [I]: the code for an unknown backup is not documented
            raise parameter_error("The backup does not exist.")
        downloads = backup.get("download") or []
        if isinstance(downloads, dict):
            downloads = [downloads]
        files = []
        for index, download in enumerate(downloads):
            files.append(self.download_file(backup, index, download, len(downloads)))
        return 200, {"files": files, "bucket": "rdsbucket.%s.1" % section.project_id}

    def download_file(self, backup, index, download, count):
        unknown = set(download) - DOWNLOAD_KEYS
        if unknown:
            raise ApiError(500, DBS_SERVER, "scenario: download has unknown keys %s"
                           % sorted(unknown))
        content = self.content
        lifetime = content.get("link_seconds", 900)
        # Links are checked by nginx against the real clock, not the skewed one.
        now = int(time.time())
        expires = now + lifetime
        name = download["file"]
        if download.get("short_body"):
            url = content["short_body_url"] + "/files/" + name
        elif content.get("secret"):
            url = content["base_url"] + nginx.signed_path(name, expires, content["secret"])
        else:
            url = content.get("base_url", "http://127.0.0.1:9") + "/files/" + name
        if download.get("rate"):
            url += ("&" if "?" in url else "?") + "rate=%d" % download["rate"]
        reported = content.get("reported_link_seconds") or lifetime
        when = datetime.datetime.fromtimestamp(now + reported, datetime.timezone.utc)
        return {"name": "%s%s.qp" % (backup["id"], "" if count == 1 else "_%d" % index),
                "size": backup.get("size", 0) // max(count, 1),
                "download_link": url,
                "link_expired_time": when.strftime(LINK_TIME_FORMAT)}

    def create_backup(self, route, params, body):
        request = self.parse_create_body(body)
        service, section = route.service, self.section_for(route)
        if not isinstance(request.get("instance_id"), str) or not request["instance_id"]:
            raise parameter_error("instance_id is required.")
        instance = section.find_instance(request["instance_id"])
        if instance is None:
            raise ApiError(*service.missing_instance)
        name = request.get("name")
        if not name_is_valid(name, route.operation in service.chinese_names):
            raise ApiError(400, DBS_BACKUP_NAME_INVALID, "Invalid backup name.")
        if not description_is_valid(request.get("description")):
            raise ApiError(400, DBS_DESCRIPTION_INVALID, "Invalid backup description.")
        self.check_conflicts(route, section, instance, name)
        backup = self.start_backup(route, section, instance, name, request.get("description"))
        answer = {"backup": {k: backup[k] for k in
                             ("id", "name", "description", "begin_time", "status", "type",
                              "instance_id") if k in backup}}
        if route.operation == "CreateGaussMySqlBackup":
            answer["job_id"] = str(uuid.uuid4())
        if service is RDS:
            answer["backup"]["databases"] = []
        return CREATE_STATUS[route.operation], answer

    @staticmethod
    def parse_create_body(body):
        try:
            request = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            request = None
        if not isinstance(request, dict):
            raise parameter_error("the request body must be a JSON object.")
        return request

    def check_conflicts(self, route, section, instance, name):
        """Duplicate names, then "busy": a backup being made, or an injected fault."""
        qualified = route.action
        instance_id = instance["id"]
        accept = (lambda rule: rule.get("instance") in (None, instance_id))
        if (any(b["name"] == name for b in section.backups[instance_id]) or
                self.app.core.fire_provider_fault(qualified, "duplicate", accept)):
            raise ApiError(409, DBS_BACKUP_NAME_EXISTS, "Backup name already exists.")
        busy = self.app.core.fire_provider_fault(qualified, "busy", accept)
        if busy is not None:
            raise ApiError(409, busy.get("code") or DBS_BUSY, BUSY_MESSAGE)
        if any(j["instance"] == instance_id and j["kind"] == route.service.kind
               for j in self.building.values()):
            raise ApiError(409, DBS_BUSY, BUSY_MESSAGE)

    def start_backup(self, route, section, instance, name, description):
        service = route.service
        now = self.app.core.now()
        backup = backup_record(service, instance, {
            "id": uuid.uuid4().hex + service.backup_suffix,
            "name": name, "description": description,
            "begin_time": format_time(now, self.time_zone_offset),
            "status": "BUILDING", "type": "manual", "size": 0})
        section.backups[instance["id"]].insert(0, backup)
        fails = self.app.core.fire_provider_fault(
            route.action, "fail_build", lambda rule: rule.get("instance") in (None, instance["id"]))
        job = {"kind": service.kind, "instance": instance["id"], "created": now,
               "sim_created": self.app.core.sim_seconds,
               "outcome": "FAILED" if fails else "COMPLETED", "previous_status": None}
        if service is RDS:   # RDS shows the instance as BACKING UP meanwhile (6)
            job["previous_status"] = instance.get("status")
            instance["status"] = "BACKING UP"
        self.building[backup["id"]] = job
        self.creates.append({"seq": len(self.creates) + 1, "kind": service.kind,
                             "operation": route.operation, "instance_id": instance["id"],
                             "name": name, "description": description,
                             "backup_id": backup["id"], "time": now})
        return backup

    def to_json(self):
        state = {"accounts": self.accounts.public(), "build_seconds": self.build_seconds,
                 "time_zone_offset": self.time_zone_offset}
        for kind, section in self.sections.items():
            state[kind] = dict(section.to_json(), project_id=section.project_id)
        state["creates"] = copy.deepcopy(self.creates)
        state["building"] = sorted(self.building)
        return state


# -- state patches (POST /_fake/state) ---------------------------------------------------

def patch_section(world, op):
    kind = op.get("kind")
    if kind not in world.sections:
        raise ControlError("op %s: kind must be one of %s" % (op.get("op"), SCENARIO_KINDS))
    return world.sections[kind]


def patch_instance(section, op):
    instance_id = op.get("instance")
    if section.find_instance(instance_id) is None:
        raise ControlError("op %s: no %s instance %r" % (op["op"], section.service.kind,
                                                         instance_id))
    return instance_id


def patch_backup(section, op):
    instance_id, backup = section.find_backup(op.get("backup"))
    if backup is None:
        raise ControlError("op %s: no %s backup %r" % (op["op"], section.service.kind,
                                                       op.get("backup")))
    return instance_id, backup


def set_or_delete(record, field, value):
    if value is None:
        record.pop(field, None)
    else:
        record[field] = value


def apply_op(world, op):
    if not isinstance(op, dict):
        raise ControlError("each op must be an object")
    section = patch_section(world, op)
    name = op.get("op")
    try:
        if name == "add_backup":
            section.add_backup(patch_instance(section, op), op["backup"],
                               at_start=op.get("position") == "start")
        elif name == "remove_backup":
            instance_id, backup = patch_backup(section, op)
            section.backups[instance_id].remove(backup)
            world.building.pop(backup["id"], None)
        elif name == "set_backup_field":
            _, backup = patch_backup(section, op)
            set_or_delete(backup, op["field"], op.get("value"))
        elif name == "finish_backup":
            _, backup = patch_backup(section, op)
            if backup["id"] not in world.building:
                raise ControlError("backup %s is not being built" % backup["id"])
            world.finish(backup["id"], op.get("status", "COMPLETED"))
        elif name == "add_instance":
            section.add_instance(op["instance"])
        elif name == "remove_instance":
            instance_id = patch_instance(section, op)
            section.instances.remove(section.find_instance(instance_id))
            del section.backups[instance_id]
        elif name == "set_instance_field":
            record = section.find_instance(patch_instance(section, op))
            if op["field"] == "id":
                raise ControlError("the instance id cannot be changed")
            set_or_delete(record, op["field"], op.get("value"))
        else:
            raise ControlError("unknown op %r" % name)
    except ScenarioError as err:
        raise ControlError(str(err))
    except (KeyError, ValueError) as err:
        raise ControlError("op %s: bad or missing %s" % (name, err))


# -- the app -----------------------------------------------------------------------------

def request_params(request):
    """Query parameters (a repeated name keeps its last value); None if not UTF-8."""
    try:
        return dict(request.query_params())
    except UnicodeDecodeError:
        return None


class HuaweiApp(fakecore.FakeApp):
    name = "huawei-fake"
    server_header = "api-gateway"
    extra_fault_kinds = {"busy": {"instance", "code"}, "duplicate": {"instance"},
                         "fail_build": {"instance"}}

    def __init__(self, scenario):
        super().__init__(scenario)
        self.world = World(scenario, self)

    def describe(self, request):
        route = route_of(request)
        params = request_params(request) or {}
        if route is not None and request.method == "POST":
            try:
                body = json.loads(request.body.decode("utf-8") or "{}")
                params.update({k: v for k, v in body.items() if isinstance(v, str)})
            except (UnicodeDecodeError, ValueError, AttributeError):
                pass
        return (route.action if route else "unknown"), params

    def handle(self, request, action, params):
        self.world.advance()
        route = route_of(request)
        if route is None:
            return gateway_error(404, APIGW_NO_API, "The API does not exist or has not been "
                                 "published in the environment")
        account, refusal = authenticate(request, self.world.accounts, self.core.now())
        if refusal is not None:
            return refusal
        refusal = check_project(request, route, account)
        if refusal is not None:
            return refusal
        params = request_params(request)
        if params is None:
            return gateway_error(400, APIGW_BAD_REQUEST, "query parameters are not UTF-8")
        try:
            status, payload = getattr(self.world, route.handler)(route, params, request.body)
        except ApiError as error:
            return error_response(error.status, error.code, error.message)
        return json_answer(status, payload)

    def fault_status_response(self, status, action, params):
        if status == 401:
            return gateway_error(401, APIGW_AUTH, AUTH_MESSAGE + "verify aksk signature fail")
        if status == 429:
            return gateway_error(429, APIGW_THROTTLED, "The throttling threshold has been "
                                 "reached: policy user over ratelimit,limit:100,time:1 minute")
        if status == 404:
            return gateway_error(404, APIGW_NO_API, "The API does not exist or has not "
                                 "been published in the environment")
        if status == 409:
            return error_response(409, DBS_BUSY, BUSY_MESSAGE)
        if status == 403:
            return error_response(403, DBS_NOT_AUTHORISED, "Not authorized.")
        if status >= 500:
            return error_response(status, DBS_SERVER, "Internal server error.")
        return gateway_error(status, APIGW_BAD_REQUEST, "Bad request")

    def state(self):
        self.world.advance()
        state = self.world.to_json()
        state["sim_seconds"] = self.core.sim_seconds
        return state

    def apply_state_patch(self, patch):
        ops = patch.get("ops")
        if not isinstance(ops, list):
            raise ControlError('expected {"ops": [...]}')
        # All or nothing: apply to a copy of the world and keep it only if every op did.
        memo = {id(self): self, id(self.core): self.core}
        memo.update({id(service): service for service in SERVICES.values()})
        candidate = copy.deepcopy(self.world, memo)
        for op in ops:
            apply_op(candidate, op)
        self.world = candidate
        return {"applied": len(ops)}

    def reset_world(self):
        self.world = World(self.scenario, self)

    def tick(self, seconds):
        self.world.advance()

    def control(self, method, subpath, body):
        if (method, subpath) == ("GET", "creates"):
            return fakecore.json_response(200, {"creates": copy.deepcopy(self.world.creates)})
        return None


def make_app(scenario):
    try:
        return HuaweiApp(scenario)
    except (ScenarioError, KeyError, TypeError, ValueError) as err:
        sys.stderr.write("huawei-fake: bad scenario: %s\n" % err)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(fakecore.run_main(make_app, "Huawei Cloud API (TaurusDB, RDS v3) emulator"))
