#!/usr/bin/python3
"""ZStack management node emulator: the /zstack/v1 REST layer for platform database
backups (shared/api/zstack.md; the seed is shared/seeds/002_*.txt).

What it speaks:
    PUT    /zstack/v1/accounts/login                            LogInByAccount (sync)
    DELETE /zstack/v1/accounts/sessions/{uuid}                  LogOut (sync, no auth)
    GET    /zstack/v1/accounts/sessions/{uuid}/valid            ValidateSession (no auth)
    GET    /zstack/v1/database-backups[/{uuid}]                 QueryDatabaseBackup
    POST   /zstack/v1/database-backups                          CreateDatabaseBackup (async)
    PUT    /zstack/v1/database-backups/{uuid}/backup-storage/{bs}/actions
                                                                ExportDatabaseBackupFromBackupStorage (async)
    DELETE /zstack/v1/exported-database-backup/{uuid}/backup-storage/{bs}
                                                                DeleteExportedDatabaseBackupFromBackupStorage (async)
    GET    /zstack/v1/backup-storage[/{uuid}]                   QueryBackupStorage
    GET    /zstack/v1/api-jobs/{job}                            polling an async call (no auth)

It is strict the way the real REST layer is: every API but login, logout, session
validation and job polling needs `Authorization: OAuth <session>` (a live session) or
`Authorization: ZStack <id>:<signature>` with a `Date` within 15 minutes (2.5).  Sync
calls answer 200 or 503 {"error": ...}; async calls answer 202 {"location", "apiTimeout"}
and the job answers 202 {} until it is done, then 200 with the result or 503 with the
error (3.2).  REST-layer refusals (400, 403, 404, 405, 500) are plain text (3.3).

Scenario (scenarios/zstack-demo.json is the model): "accounts" [{name, uuid?, password
(plain text; the fake compares its SHA-512)}], "access_keys" [{id, secret, account?}],
"backup_storages" and "database_backups" as the API shows them (dates as text in the
management node's zone), and the settings of SETTING_DEFAULTS below: timezone,
date_style (jdk8, jdk9, jdk20: how new dates are written), mn_base_url (the host put in
job locations: unreachable by default, so a client must rewrite it), export_base_url
(exports become <base>/imagestore/download/<name>-<uuid>.gz), session_lifetime_seconds,
session_max_concurrent, create_seconds (a new backup is Creating for that long, then
Ready), export_seconds, delete_export_seconds, job_retention_seconds,
created_backup_size, async_auth_errors.  Time-based state follows real time plus
/_fake/tick.  Extra control endpoints: GET /_fake/exports, /_fake/creates, /_fake/logins.
State patches (POST /_fake/state): add_backup, remove_backup, set_backup_field,
set_ref_field, add_backup_storage, remove_backup_storage, set_backup_storage_field,
expire_sessions, set (a setting).  Extra fault kinds: job_error, job_delay,
session_expired (see ZStackApp).

Inferred rather than verified (zstack.md marks them [I], or says nothing):
  - an expired session on an async call: 202, then the job answers 503 ID.1001
    (async_auth_errors "job"; "immediate" answers 503 at once);
  - AccessKey failures: 503 ID.1000 with the Go SDK's detail texts; other scheme: 400;
  - the texts of 405, of a bad query parameter (400) and of SYS.1000/1003, ID.1002/1006;
  - the backup record is made (Creating) when a create is accepted, and a create on a
    backup storage that is not ImageStore fails with SYS.1006;
  - a second export queued behind the first fails with "has been exported";
  - the export URL's shape; LogOut answers {} even for an unknown session;
  - query conditions compare dates as instants and numbers as numbers; sort puts
    records without the field last (ascending) or first (descending).

Run:  /usr/bin/python3 zstack_fake.py --scenario scenarios/zstack-demo.json --port-file P
"""

import base64
import copy
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import re
import sys
import uuid
import zoneinfo
from urllib.parse import parse_qsl, quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakecore  # noqa: E402
from fakecore import ControlError, Response  # noqa: E402

# -- wire constants ----------------------------------------------------------------------

CONTEXT_PATH = "/zstack"
API_PREFIX = CONTEXT_PATH + "/v1"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
TEXT_CONTENT_TYPE = "text/plain;charset=UTF-8"
ACCESS_KEY_WINDOW_SECONDS = 15 * 60          # REQUEST_DURATION_MINUTES (2.5)
DEFAULT_QUERY_LIMIT = 1000                   # APIQueryMessage.limit (3.5)
API_TIMEOUT_MS = 1800000                     # a value the docs show in 202 answers
IMAGE_STORE_TYPE = "ImageStoreBackupStorage"
UUID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
SHA512_HEX = re.compile(r"^[0-9a-f]{128}$")
NAME_MAX = 255                               # DatabaseBackupVO.name (4.2)

SCHEMA_BACKUP = "org.zstack.header.storage.database.backup.DatabaseBackupInventory"
SCHEMA_REF = "org.zstack.header.storage.database.backup.DatabaseBackupStorageRefInventory"
SCHEMA_STORAGE = "org.zstack.header.storage.backup.BackupStorageInventory"

# -- error codes (3.4) -------------------------------------------------------------------

DESCRIPTIONS = {
    "SYS.1000": "An internal error happened",                       # [I] text
    "SYS.1001": "A message or a operation timeout",
    "SYS.1003": "Cannot find resource",                             # [I] text
    "SYS.1006": "An operation failed",
    "SYS.1007": "One or more API argument is invalid",
    "ID.1000": "Unable to authenticate a user",
    "ID.1001": "The session is invalid, either wrong session id or the session has been expired",
    "ID.1002": "Permission denied",                                 # [I] text
    "ID.1006": "Too many sessions",                                 # [I] text
}


class ApiError(Exception):
    """An API failure: 503 {"error": {code, description, details}} (sync) or the failed
    result of a job (async)."""

    def __init__(self, code, details, description=None):
        super().__init__(details)
        self.code = code
        self.details = details
        self.description = description or DESCRIPTIONS.get(code, "An operation failed")

    def body(self):
        return {"error": {"code": self.code, "description": self.description,
                          "details": self.details}}


class RestError(Exception):
    """A refusal of the REST layer itself: plain text, never JSON (3.3)."""

    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class ScenarioError(Exception):
    pass


def operr(details):
    return ApiError("SYS.1006", details)


def argerr(details):
    return ApiError("SYS.1007", details)


def session_error():
    return ApiError("ID.1001", "Session expired")


def json_body(status, payload):
    return Response(status, json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                    JSON_CONTENT_TYPE)


def text_body(status, text):
    return Response(status, text, TEXT_CONTENT_TYPE)


def new_uuid():
    return uuid.uuid4().hex


# -- dates (6) ---------------------------------------------------------------------------

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DATE_PATTERN = re.compile(r"^([A-Za-z]{3})[ \u00a0\u202f](\d{1,2}),[ \u00a0\u202f](\d{4}),?"
                          r"[ \u00a0\u202f](\d{1,2}):(\d{2}):(\d{2})[ \u00a0\u202f]([AaPp][Mm])$")
DATE_STYLES = ("jdk8", "jdk9", "jdk20")


OFFSET_ZONE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def zone(tz_name):
    """An IANA zone, "UTC", or a fixed offset "+08:00" / "-0330"."""
    match = OFFSET_ZONE.match(tz_name or "")
    if match:
        minutes = int(match.group(2)) * 60 + int(match.group(3))
        return datetime.timezone(datetime.timedelta(
            minutes=-minutes if match.group(1) == "-" else minutes))
    return zoneinfo.ZoneInfo(tz_name or "UTC")


def format_date(epoch, tz_name, style="jdk8"):
    """Gson's java.sql.Timestamp in the management node's zone: "Jun 7, 2024 4:12:45 PM"
    (JDK 8), "Jun 7, 2024, 4:12:45 PM" (JDK 9+), with U+202F before AM/PM (JDK 20+)."""
    local = datetime.datetime.fromtimestamp(int(epoch), zone(tz_name))
    hour = local.hour % 12 or 12
    comma = "," if style in ("jdk9", "jdk20") else ""
    space = "\u202f" if style == "jdk20" else " "
    return "%s %d, %d%s %d:%02d:%02d%s%s" % (MONTHS[local.month - 1], local.day, local.year,
                                            comma, hour, local.minute, local.second, space,
                                            "AM" if local.hour < 12 else "PM")


def parse_date(text, tz_name):
    """Epoch seconds of a ZStack date read in zone tz_name; a local time that occurs
    twice (or never) is read with the offset before the change (fold=0), as java.time
    does.  Raises ValueError."""
    match = DATE_PATTERN.match(text or "")
    if not match:
        raise ValueError("not a ZStack date: %r" % (text,))
    month = [m.lower() for m in MONTHS].index(match.group(1).lower()) + 1
    hour = int(match.group(4))
    if not 1 <= hour <= 12:
        raise ValueError("hour out of range in %r" % text)
    hour = hour % 12 + (12 if match.group(7).lower() == "pm" else 0)
    local = datetime.datetime(int(match.group(3)), month, int(match.group(2)), hour,
                              int(match.group(5)), int(match.group(6)),
                              tzinfo=zone(tz_name))
    return int(local.timestamp())


# -- AccessKey signature (2.5) -----------------------------------------------------------

def access_key_signature(secret, method, uri, date):
    """Base64(HMAC-SHA1(secret, METHOD\\nDATE\\nURI)); URI without /zstack and query."""
    text = "%s\n%s\n%s" % (method, date, uri)
    return base64.b64encode(hmac.new(secret.encode("utf-8"), text.encode("utf-8"),
                                     hashlib.sha1).digest()).decode("ascii")


def signed_uri(path):
    return path[len(CONTEXT_PATH):] if path.startswith(CONTEXT_PATH + "/") else path


def password_hash(plaintext):
    return hashlib.sha512(plaintext.encode("utf-8")).hexdigest()


# -- routing -----------------------------------------------------------------------------

ROUTES = [
    # (pattern, {method: action}); the first pattern matching the path wins, then the
    # method must be one it maps (else 405).
    (re.compile(r"^/v1/accounts/login$"), {"PUT": "LogInByAccount"}),
    (re.compile(r"^/v1/accounts/sessions/(?P<session>[^/]+)/valid$"),
     {"GET": "ValidateSession"}),
    (re.compile(r"^/v1/accounts/sessions/(?P<session>[^/]+)$"), {"DELETE": "LogOut"}),
    (re.compile(r"^/v1/database-backups$"),
     {"GET": "QueryDatabaseBackup", "POST": "CreateDatabaseBackup"}),
    (re.compile(r"^/v1/database-backups/(?P<backup>[^/]+)/backup-storage/(?P<storage>[^/]+)"
                r"/actions$"), {"PUT": "ExportDatabaseBackupFromBackupStorage"}),
    (re.compile(r"^/v1/database-backups/(?P<backup>[^/]+)$"), {"GET": "QueryDatabaseBackup"}),
    (re.compile(r"^/v1/exported-database-backup/(?P<backup>[^/]+)/backup-storage/"
                r"(?P<storage>[^/]+)$"),
     {"DELETE": "DeleteExportedDatabaseBackupFromBackupStorage"}),
    (re.compile(r"^/v1/backup-storage$"), {"GET": "QueryBackupStorage"}),
    (re.compile(r"^/v1/backup-storage/(?P<storage>[^/]+)$"), {"GET": "QueryBackupStorage"}),
    (re.compile(r"^/v1/api-jobs/(?P<job>[^/]+)$"), {"GET": "PollApiJob"}),
]
NO_AUTH_ACTIONS = {"LogInByAccount", "LogOut", "ValidateSession", "PollApiJob"}
ASYNC_ACTIONS = {"CreateDatabaseBackup", "ExportDatabaseBackupFromBackupStorage",
                 "DeleteExportedDatabaseBackupFromBackupStorage"}


def api_path(path):
    """The path after the context path, or None when it is not under /zstack."""
    return path[len(CONTEXT_PATH):] if path.startswith(CONTEXT_PATH + "/") else None


def route_of(method, path):
    """(action, path variables), or raises RestError 404/405 as the REST layer does."""
    tail = api_path(path)
    for pattern, methods in ROUTES:
        match = pattern.match(tail or "")
        if match:
            if method not in methods:
                raise RestError(405, "the method[%s] is not allowed on %s" % (method, tail))
            return methods[method], match.groupdict()
    raise RestError(404, "no api mapping to %s" % (tail or path))


def action_of(method, path):
    try:
        return route_of(method, path)[0]
    except RestError:
        return "unknown"


# -- query API (3.5) ---------------------------------------------------------------------

CONDITION = re.compile(r"^([A-Za-z0-9_.]+)(!\?=|\?=|!~=|~=|!=|>=|<=|=|>|<)(.*)$", re.S)


def like_pattern(text):
    out = ""
    for ch in text:
        out += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
    return re.compile("^" + out + "$", re.S)


def comparable(value, date_zone):
    """Numbers compare as numbers, dates as instants, the rest as text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        return parse_date(value, date_zone)
    except ValueError:
        return value


def condition_holds(values, operator, wanted, date_zone):
    """One condition against the field's values (several for a cross-table path: any
    of them matching is enough, as a SQL join would)."""
    if operator in ("=", "!=") and wanted == "null":
        is_null = all(v is None for v in values) or not values
        return is_null if operator == "=" else not is_null
    values = [v for v in values if v is not None]
    if operator == "?=" or operator == "!?=":
        hit = any(str(v) in wanted.split(",") for v in values)
        return hit if operator == "?=" else not hit
    if operator == "~=" or operator == "!~=":
        pattern = like_pattern(wanted)
        hit = any(pattern.match(str(v)) for v in values)
        return hit if operator == "~=" else not hit
    if operator == "=":
        return any(str(v) == wanted for v in values)
    if operator == "!=":
        return all(str(v) != wanted for v in values)
    right = comparable(wanted, date_zone)
    for v in values:
        left = comparable(v, date_zone)
        if type(left) is not type(right) and not (isinstance(left, (int, float)) and
                                                  isinstance(right, (int, float))):
            continue
        if ((operator == ">" and left > right) or (operator == "<" and left < right) or
                (operator == ">=" and left >= right) or (operator == "<=" and left <= right)):
            return True
    return False


def field_values(record, dotted):
    """Values at a dotted path; lists along the way fan out."""
    current = [record]
    for part in dotted.split("."):
        nxt = []
        for item in current:
            if isinstance(item, list):
                nxt.extend(x.get(part) for x in item if isinstance(x, dict))
            elif isinstance(item, dict):
                nxt.append(item.get(part))
        current = nxt
    out = []
    for item in current:
        out.extend(item if isinstance(item, list) else [item])
    return out


def known_field(fields, dotted):
    head, _, rest = dotted.partition(".")
    if head not in fields:
        return False
    sub = fields[head]
    return (not rest) if sub is None else known_field(sub, rest) if rest else True


def query_params(request):
    try:
        return parse_qsl(request.raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise RestError(400, "query string is not valid UTF-8")


def int_param(value, name, minimum):
    if not re.match(r"^-?[0-9]+$", value or "") or int(value) < minimum:
        raise RestError(400, "invalid value[%s] of the query parameter '%s'" % (value, name))
    return int(value)


def bool_param(value):
    return (value or "").lower() == "true"


def run_query(records, pairs, fields, date_zone, list_key="inventories", schema=None):
    """The answer to a query API call: conditions, sort, start/limit, count (3.5)."""
    conditions, sort, start, limit = [], None, 0, DEFAULT_QUERY_LIMIT
    count = reply_with_count = False
    for name, value in pairs:
        if name == "q":
            match = CONDITION.match(value)
            if not match:
                raise RestError(400, "invalid query condition[%s]" % value)
            if not known_field(fields, match.group(1)):
                raise argerr("condition name[%s] is invalid, no such field on inventory"
                             % match.group(1))
            conditions.append(match.groups())
        elif name == "sort":
            sort = value
        elif name == "start":
            start = int_param(value, "start", 0)
        elif name == "limit":
            limit = int_param(value, "limit", 0)
        elif name == "count":
            count = bool_param(value)
        elif name == "replyWithCount":
            reply_with_count = bool_param(value)
        # fields, groupBy, filterName and anything else: ignored, as the server does.
    rows = [r for r in records
            if all(condition_holds(field_values(r, f), op, v, date_zone)
                   for f, op, v in conditions)]
    if sort:
        descending = sort.startswith("-")
        key = sort.lstrip("+-")
        if not known_field(fields, key) or "." in key:
            raise argerr("invalid sort field[%s]" % key)
        present = [r for r in rows if r.get(key) is not None]
        missing = [r for r in rows if r.get(key) is None]
        present.sort(key=lambda r: comparable(r.get(key), date_zone), reverse=descending)
        rows = present + missing if not descending else missing + present
    if count:
        return {"total": len(rows)}
    page = rows[start:start + limit]
    answer = {list_key: copy.deepcopy(page)}
    if reply_with_count:
        answer["total"] = len(rows)
    answer["schema"] = schema(page) if schema else {}
    return answer


def backup_schema(page):
    schema = {}
    for i, record in enumerate(page):
        schema["inventories[%d]" % i] = SCHEMA_BACKUP
        for j in range(len(record.get("backupStorageRefs") or [])):
            schema["inventories[%d].backupStorageRefs[%d]" % (i, j)] = SCHEMA_REF
    return schema


def storage_schema(page):
    return {"inventories[%d]" % i: SCHEMA_STORAGE for i in range(len(page))}


BACKUP_FIELDS = {name: None for name in (
    "uuid", "name", "description", "state", "status", "size", "metadata", "createDate",
    "lastOpDate")}
BACKUP_FIELDS["backupStorageRefs"] = {name: None for name in (
    "databaseBackupUuid", "backupStorageUuid", "installPath", "exportUrl", "status",
    "createDate", "lastOpDate")}
STORAGE_FIELDS = {name: None for name in (
    "uuid", "name", "description", "url", "totalCapacity", "availableCapacity", "type",
    "state", "status", "createDate", "lastOpDate", "attachedZoneUuids", "hostname",
    "username", "sshPort")}


# -- the world ---------------------------------------------------------------------------

SCENARIO_KEYS = {"accounts", "access_keys", "timezone", "date_style", "mn_base_url",
                 "export_base_url", "session_lifetime_seconds", "session_max_concurrent",
                 "create_seconds", "export_seconds", "delete_export_seconds",
                 "job_retention_seconds", "created_backup_size", "async_auth_errors",
                 "backup_storages", "database_backups"}
SETTING_DEFAULTS = {
    "timezone": "Asia/Shanghai",
    "date_style": "jdk8",
    # The internal address a management node may put in `location` (TEST-NET-1: never
    # reachable, so a client that does not rewrite it fails).
    "mn_base_url": "http://192.0.2.10:8080",
    "export_base_url": "http://127.0.0.1:8001",
    "session_lifetime_seconds": 7200,
    "session_max_concurrent": 500,
    "create_seconds": 3,
    "export_seconds": 1,
    "delete_export_seconds": 0,
    "job_retention_seconds": 2 * 86400,
    "created_backup_size": 10485760,
    # "job": an expired session on an async call gives 202, then the job fails with
    # ID.1001 (zstack.md 2.2, [I]); "immediate": 503 at once.
    "async_auth_errors": "job",
}


def safe_file_part(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "backup"


class World:
    """Accounts, sessions, backup storages, database backups and async jobs."""

    def __init__(self, scenario, app):
        self.app = app
        unknown = set(scenario) - SCENARIO_KEYS - {k for k in scenario if k.startswith("_")}
        if unknown:
            raise ScenarioError("unknown scenario keys %s" % sorted(unknown))
        self.settings = dict(SETTING_DEFAULTS)
        self.settings.update({k: scenario[k] for k in SETTING_DEFAULTS if k in scenario})
        self.check_settings()
        self.accounts = {}
        for account in scenario.get("accounts") or []:
            self.accounts[account["name"]] = {
                "name": account["name"],
                "uuid": account.get("uuid") or hashlib.md5(account["name"].encode()).hexdigest(),
                "hash": password_hash(account["password"])}
        if not self.accounts:
            raise ScenarioError("a scenario needs at least one account")
        self.access_keys = {}
        for key in scenario.get("access_keys") or []:
            if key.get("account", next(iter(self.accounts))) not in self.accounts:
                raise ScenarioError("access key %s names an unknown account" % key["id"])
            self.access_keys[key["id"]] = {"id": key["id"], "secret": key["secret"],
                                           "account": key.get("account",
                                                              next(iter(self.accounts)))}
        self.storages = [self.checked_storage(s) for s in scenario.get("backup_storages") or []]
        self.backups = []
        for backup in scenario.get("database_backups") or []:
            self.add_backup(backup)
        self.sessions = {}     # uuid -> {uuid, account, created, expires}
        self.jobs = {}         # uuid -> job
        self.exports = []      # every accepted export call, in order
        self.creates = []      # every accepted create call, in order
        self.logins = []       # every successful login

    def check_settings(self):
        zone(self.settings["timezone"])
        if self.settings["date_style"] not in DATE_STYLES:
            raise ScenarioError("date_style must be one of %s" % (DATE_STYLES,))
        if self.settings["async_auth_errors"] not in ("job", "immediate"):
            raise ScenarioError("async_auth_errors must be job or immediate")

    def checked_storage(self, storage):
        storage = copy.deepcopy(storage)
        for key in ("uuid", "name", "type"):
            if key not in storage:
                raise ScenarioError("backup storage without %s" % key)
        storage.setdefault("state", "Enabled")
        storage.setdefault("status", "Connected")
        return storage

    def add_backup(self, backup, at_start=False):
        backup = copy.deepcopy(backup)
        for key in ("uuid", "name", "status", "createDate"):
            if key not in backup:
                raise ScenarioError("database backup without %s" % key)
        if self.find_backup(backup["uuid"]) is not None:
            raise ScenarioError("duplicate database backup uuid %s" % backup["uuid"])
        for ref in backup.get("backupStorageRefs") or []:
            if self.find_storage(ref.get("backupStorageUuid")) is None:
                raise ScenarioError("backup %s: unknown backup storage %s"
                                    % (backup["uuid"], ref.get("backupStorageUuid")))
        parse_date(backup["createDate"], self.settings["timezone"])
        if at_start:
            self.backups.insert(0, backup)
        else:
            self.backups.append(backup)
        return backup

    # -- lookups ------------------------------------------------------------------------

    def find_backup(self, backup_uuid):
        return next((b for b in self.backups if b["uuid"] == backup_uuid), None)

    def find_storage(self, storage_uuid):
        return next((s for s in self.storages if s["uuid"] == storage_uuid), None)

    @staticmethod
    def find_ref(backup, storage_uuid):
        return next((r for r in backup.get("backupStorageRefs") or []
                     if r.get("backupStorageUuid") == storage_uuid), None)

    # -- time ---------------------------------------------------------------------------

    def now(self):
        """The management node's clock: real time, the core's skew, and ticked time."""
        return self.app.core.now() + self.app.core.sim_seconds

    def date(self, epoch=None):
        return format_date(self.now() if epoch is None else epoch, self.settings["timezone"],
                           self.settings["date_style"])

    def advance(self):
        """Runs every job whose time has come (in creation order)."""
        for job in sorted(self.jobs.values(), key=lambda j: j["seq"]):
            if job["result"] is None and self.now() >= job["due"]:
                job["result"] = self.complete(job)
                job["finished"] = self.now()
        for job_uuid in [u for u, j in self.jobs.items()
                         if j["result"] is not None and
                         self.now() - j["finished"] > self.settings["job_retention_seconds"]]:
            del self.jobs[job_uuid]

    # -- sessions and credentials -------------------------------------------------------

    def login(self, body):
        payload = body.get("logInByAccount") if isinstance(body, dict) else None
        if not isinstance(payload, dict):
            raise argerr("missing mandatory field[accountName]")
        name, password = payload.get("accountName"), payload.get("password")
        if not name:
            raise argerr("missing mandatory field[accountName]")
        if not password:
            raise argerr("missing mandatory field[password]")
        account = self.accounts.get(name)
        if account is None or not hmac.compare_digest(str(password), account["hash"]):
            raise ApiError("ID.1000", "wrong account name or password")
        live = [s for s in self.sessions.values()
                if s["account"] == name and s["expires"] > self.now()]
        if len(live) >= self.settings["session_max_concurrent"]:
            raise ApiError("ID.1006", "accounts[uuid:%s] has reached the max concurrent "
                           "sessions[%d]" % (account["uuid"],
                                             self.settings["session_max_concurrent"]))
        now = self.now()
        session = {"uuid": new_uuid(), "account": name, "created": now,
                   "expires": now + self.settings["session_lifetime_seconds"]}
        self.sessions[session["uuid"]] = session
        self.logins.append({"account": name, "session": session["uuid"], "time": now})
        return {"inventory": {"uuid": session["uuid"], "accountUuid": account["uuid"],
                              "userUuid": account["uuid"], "userType": "Account",
                              "expiredDate": self.date(session["expires"]),
                              "createDate": self.date(now), "noSessionEvaluation": False}}

    def expire_session_of(self, request):
        header = request.header("Authorization") or ""
        session = self.sessions.get(header[len("OAuth "):].strip()) \
            if header.startswith("OAuth ") else None
        if session is not None:
            session["expires"] = min(session["expires"], self.now())

    def session_account(self, session_uuid):
        session = self.sessions.get(session_uuid)
        if session is None or session["expires"] <= self.now():
            raise session_error()
        return session["account"]

    def authenticate(self, request):
        """The account behind the request's credentials.  Raises RestError for the
        REST layer's refusals and ApiError for the identity service's."""
        header = request.header("Authorization")
        if not header:
            raise RestError(400, "missing header 'Authorization'")
        if header.startswith("OAuth "):
            return self.session_account(header[len("OAuth "):].strip())
        if header.startswith("ZStack "):
            return self.access_key_account(request, header[len("ZStack "):])
        raise RestError(400, "Authorization must be 'OAuth <session uuid>' or "
                        "'ZStack AccessKeyId:Signature'")

    def access_key_account(self, request, credential):
        parts = credential.split(":")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise RestError(400, "accessKey format is 'ZStack AccessKeyId:Signature'")
        date = request.header("Date")
        if not date:
            raise RestError(400, "'Date' must be incuded in request header")
        try:
            when = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            raise RestError(400, "invalid 'Date' header[%s], expected 'EEE, dd MMM yyyy "
                            "HH:mm:ss z'" % date)
        if abs(self.app.core.now() - when) > ACCESS_KEY_WINDOW_SECONDS:
            raise RestError(403, "requestTimeTooSkewed")
        key = self.access_keys.get(parts[0])
        if key is None:
            raise ApiError("ID.1000", "cannot find the access key id[%s]" % parts[0])
        expected = access_key_signature(key["secret"], request.method,
                                        signed_uri(request.path), date)
        if not hmac.compare_digest(expected.encode("ascii"),
                                   parts[1].encode("latin-1", "replace")):
            raise ApiError("ID.1000", "wrong accessKey signature")
        return key["account"]

    # -- queries ------------------------------------------------------------------------

    def query_backups(self, pairs, variables):
        records = self.backups
        if variables.get("backup"):
            records = [b for b in records if b["uuid"] == variables["backup"]]
        return run_query(records, pairs, BACKUP_FIELDS, self.settings["timezone"],
                         schema=backup_schema)

    def query_storages(self, pairs, variables):
        records = self.storages
        if variables.get("storage"):
            records = [s for s in records if s["uuid"] == variables["storage"]]
        return run_query(records, pairs, STORAGE_FIELDS, self.settings["timezone"],
                         schema=storage_schema)

    # -- async calls --------------------------------------------------------------------
    #
    # A job is plain data (no closures), so that a state patch, which works on a deep
    # copy of the world, carries the jobs over intact.

    def new_job(self, action, seconds, **work):
        job = {"uuid": new_uuid(), "seq": max([j["seq"] for j in self.jobs.values()] + [0]) + 1,
               "action": action, "created": self.now(), "due": self.now() + seconds,
               "work": work, "result": None, "finished": None}
        self.jobs[job["uuid"]] = job
        return job

    def complete(self, job):
        """The job's final (status, body); runs its work exactly once."""
        work = dict(job["work"])
        kind = work.pop("kind")
        try:
            return 200, getattr(self, "finish_" + kind)(**work)
        except ApiError as error:
            return 503, error.body()

    def job_answer(self, job_uuid):
        self.advance()
        job = self.jobs.get(job_uuid)
        if job is None:
            raise RestError(404, "the job has been expired")
        if job["result"] is None:
            return json_body(202, {})
        status, body = job["result"]
        return json_body(status, body)

    def accepted(self, job):
        location = "%s%s/api-jobs/%s" % (self.settings["mn_base_url"].rstrip("/"),
                                         API_PREFIX, job["uuid"])
        return json_body(202, {"location": location, "apiTimeout": API_TIMEOUT_MS})

    def failed_job(self, action, error):
        """An async call refused by an interceptor: 202 now, 503 from the job."""
        job = self.new_job(action, 0, kind="refused")
        job["result"] = (503, error.body())
        job["finished"] = self.now()
        return self.accepted(job)

    @staticmethod
    def fault_error(fault):
        return ApiError(fault["code"], fault["details"], fault.get("description"))

    # -- create -------------------------------------------------------------------------

    def check_create(self, body):
        params = body.get("params") if isinstance(body, dict) else None
        if not isinstance(params, dict):
            raise argerr("missing mandatory field[name]")
        name = params.get("name")
        if not isinstance(name, str) or not name:
            raise argerr("missing mandatory field[name]")
        if len(name) > NAME_MAX:
            raise argerr("field[name] of message[APICreateDatabaseBackupMsg] exceeds the "
                         "max length of string. expected was <= 255, actual was %d"
                         % len(name))
        storage_uuid = params.get("backupStorageUuid")
        if not isinstance(storage_uuid, str) or not storage_uuid:
            raise argerr("missing mandatory field[backupStorageUuid]")
        storage = self.find_storage(storage_uuid)
        if storage is None:
            raise argerr("invalid field[backupStorageUuid], resource[uuid:%s, "
                         "type:BackupStorageVO] not found" % storage_uuid)
        if storage["state"] != "Enabled" or storage["status"] != "Connected":
            raise operr("backup storage[uuid:%s] is not enabled and connected" % storage_uuid)
        if storage["type"] != IMAGE_STORE_TYPE:
            raise operr("backup storage[uuid:%s] is not an image store; database backups "
                        "are kept on ImageStore backup storage only" % storage_uuid)
        return name, params.get("description"), storage

    def create(self, body, fault, delay):
        """Accepted: the backup exists at once, Creating; the job makes it Ready."""
        name, description, storage = self.check_create(body)
        now = self.now()
        backup_uuid = new_uuid()
        backup = {"uuid": backup_uuid, "name": name, "state": "Enabled",
                  "status": "Creating", "size": 0,
                  "metadata": json.dumps({"version": "4.8.0"}, separators=(",", ":")),
                  "createDate": self.date(now), "lastOpDate": self.date(now),
                  "backupStorageRefs": [{
                      "databaseBackupUuid": backup_uuid,
                      "backupStorageUuid": storage["uuid"],
                      "installPath": "zstore://zsbak/" + new_uuid(),
                      "status": "Creating", "createDate": self.date(now),
                      "lastOpDate": self.date(now)}]}
        if description is not None:
            backup["description"] = description
        self.backups.insert(0, backup)
        self.creates.append({"seq": len(self.creates) + 1, "uuid": backup_uuid,
                             "name": name, "backupStorageUuid": storage["uuid"],
                             "body": copy.deepcopy(body), "time": now})
        seconds = self.settings["create_seconds"] if delay is None else delay
        return self.new_job("CreateDatabaseBackup", seconds, kind="create",
                            backup=backup_uuid, fault=fault)

    def finish_create(self, backup, fault):
        current = self.find_backup(backup)
        if fault is not None:
            if current is not None:
                self.backups.remove(current)
            raise self.fault_error(fault)
        if current is None:
            raise operr("database backup[uuid:%s] was deleted" % backup)
        when = self.date()
        current.update(status="Ready", size=self.settings["created_backup_size"],
                       lastOpDate=when)
        for ref in current.get("backupStorageRefs") or []:
            ref.update(status="Ready", lastOpDate=when)
        return {"inventory": copy.deepcopy(current)}

    # -- export -------------------------------------------------------------------------

    def export_target(self, variables):
        backup = self.find_backup(variables["backup"])
        if backup is None:
            raise argerr("invalid field[databaseBackupUuid], resource[uuid:%s, "
                         "type:DatabaseBackupVO] not found" % variables["backup"])
        storage = self.find_storage(variables["storage"])
        if storage is None:
            raise argerr("invalid field[backupStorageUuid], resource[uuid:%s, "
                         "type:BackupStorageVO] not found" % variables["storage"])
        return backup, storage

    def check_export(self, variables):
        """The interceptor's checks, in its order (zstack.md 0.3, 0.4, 4.3)."""
        backup, storage = self.export_target(variables)
        ref = self.find_ref(backup, storage["uuid"])
        if ref is None:
            raise operr("database backup[uuid:%s] not found in backup storage[uuid:%s]"
                        % (backup["uuid"], storage["uuid"]))
        if ref.get("exportUrl"):
            raise operr("database backup[uuid%s] has been exported from backupStorage[uuid:%s]"
                        % (backup["uuid"], storage["uuid"]))
        if backup.get("state", "Enabled") != "Enabled" or backup["status"] != "Ready":
            raise operr("database backup[uuid:%s] is not Enabled and Ready" % backup["uuid"])
        if storage["state"] != "Enabled" or storage["status"] != "Connected":
            raise operr("backup storage[uuid:%s] is not enabled and connected" % storage["uuid"])
        return backup, storage, ref

    def export_url(self, backup):
        return "%s/imagestore/download/%s-%s.gz" % (
            self.settings["export_base_url"].rstrip("/"), quote(safe_file_part(backup["name"])),
            backup["uuid"])

    def export(self, variables, body, fault, delay):
        backup, storage, _ = self.check_export(variables)
        record = {"seq": len(self.exports) + 1, "backup": backup["uuid"],
                  "backupStorageUuid": storage["uuid"],
                  "action_key_present": isinstance(body, dict) and
                  "exportDatabaseBackupFromBackupStorage" in body,
                  "body": copy.deepcopy(body), "time": self.now(), "state": "running",
                  "url": None}
        self.exports.append(record)
        seconds = self.settings["export_seconds"] if delay is None else delay
        return self.new_job("ExportDatabaseBackupFromBackupStorage", seconds, kind="export",
                            backup=backup["uuid"], storage=storage["uuid"],
                            record=record["seq"], fault=fault)

    def finish_export(self, backup, storage, record, fault):
        entry = self.exports[record - 1]
        current = self.find_backup(backup)
        ref = self.find_ref(current, storage) if current else None
        entry["state"] = "failed"
        if fault is not None:
            raise self.fault_error(fault)
        if ref is None:
            raise operr("database backup[uuid:%s] not found in backup storage[uuid:%s]"
                        % (backup, storage))
        if ref.get("exportUrl"):
            # A second export that queued behind the first (one chain per backup).
            raise operr("database backup[uuid%s] has been exported from "
                        "backupStorage[uuid:%s]" % (backup, storage))
        ref["exportUrl"] = self.export_url(current)
        ref["lastOpDate"] = self.date()
        entry.update(state="done", url=ref["exportUrl"])
        return {"databaseBackupUrl": ref["exportUrl"]}

    def delete_export(self, variables):
        backup, storage = self.export_target(variables)
        ref = self.find_ref(backup, storage["uuid"])
        if ref is None or not ref.get("exportUrl"):
            raise operr("database backup[uuid%s] has not been exported from "
                        "backupStorage[uuid:%s]" % (backup["uuid"], storage["uuid"]))
        return self.new_job("DeleteExportedDatabaseBackupFromBackupStorage",
                            self.settings["delete_export_seconds"], kind="delete_export",
                            backup=backup["uuid"], storage=storage["uuid"])

    def finish_delete_export(self, backup, storage):
        current = self.find_backup(backup)
        ref = self.find_ref(current, storage) if current else None
        if ref is not None:
            ref.pop("exportUrl", None)
            ref["lastOpDate"] = self.date()
        return {}

    # -- state --------------------------------------------------------------------------

    def to_json(self):
        return {
            "accounts": [{"name": a["name"], "uuid": a["uuid"]} for a in self.accounts.values()],
            "access_keys": [{"id": k["id"], "account": k["account"]}
                            for k in self.access_keys.values()],
            "settings": dict(self.settings),
            "backup_storages": copy.deepcopy(self.storages),
            "database_backups": copy.deepcopy(self.backups),
            "sessions": [dict(s) for s in self.sessions.values()],
            "logins": copy.deepcopy(self.logins),
            "jobs": [{"uuid": j["uuid"], "action": j["action"], "created": j["created"],
                      "due": j["due"], "done": j["result"] is not None,
                      "status": j["result"][0] if j["result"] else None}
                     for j in sorted(self.jobs.values(), key=lambda j: j["seq"])],
            "exports": copy.deepcopy(self.exports),
            "creates": copy.deepcopy(self.creates),
            "now": self.now(),
        }


# -- state patches (POST /_fake/state) ---------------------------------------------------

def patch_backup(world, op):
    backup = world.find_backup(op.get("uuid"))
    if backup is None:
        raise ControlError("op %s: no database backup %r" % (op.get("op"), op.get("uuid")))
    return backup


def patch_storage(world, op):
    storage = world.find_storage(op.get("uuid"))
    if storage is None:
        raise ControlError("op %s: no backup storage %r" % (op.get("op"), op.get("uuid")))
    return storage


def set_or_delete(record, field, value):
    if value is None:
        record.pop(field, None)
    else:
        record[field] = value


def apply_op(world, op):
    if not isinstance(op, dict):
        raise ControlError("each op must be an object")
    name = op.get("op")
    try:
        if name == "add_backup":
            world.add_backup(op["backup"], at_start=op.get("position") == "start")
        elif name == "remove_backup":
            world.backups.remove(patch_backup(world, op))
        elif name == "set_backup_field":
            set_or_delete(patch_backup(world, op), op["field"], op.get("value"))
        elif name == "set_ref_field":
            ref = world.find_ref(patch_backup(world, op), op["storage"])
            if ref is None:
                raise ControlError("op set_ref_field: backup %s has no ref on %s"
                                   % (op["uuid"], op["storage"]))
            set_or_delete(ref, op["field"], op.get("value"))
        elif name == "add_backup_storage":
            world.storages.append(world.checked_storage(op["storage"]))
        elif name == "remove_backup_storage":
            world.storages.remove(patch_storage(world, op))
        elif name == "set_backup_storage_field":
            set_or_delete(patch_storage(world, op), op["field"], op.get("value"))
        elif name == "expire_sessions":
            # Every live session (or those of one account) expires now.
            for session in world.sessions.values():
                if op.get("account") in (None, session["account"]):
                    session["expires"] = min(session["expires"], world.now())
        elif name == "set":
            if op["key"] not in SETTING_DEFAULTS:
                raise ControlError("op set: unknown setting %r" % op["key"])
            world.settings[op["key"]] = op["value"]
            world.check_settings()
        else:
            raise ControlError("unknown op %r" % name)
    except ScenarioError as err:
        raise ControlError(str(err))
    except (KeyError, ValueError, zoneinfo.ZoneInfoNotFoundError) as err:
        raise ControlError("op %s: bad or missing %s" % (name, err))


# -- the app -----------------------------------------------------------------------------

def parse_json_body(request):
    if not request.body:
        return {}
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RestError(400, "the request body is not a valid JSON")
    if not isinstance(body, dict):
        raise RestError(400, "the request body must be a JSON object")
    return body


def loggable_body(body):
    """The body for the request log, with the password (a hash, but what the server
    compares: as good as the password) hidden."""
    body = copy.deepcopy(body)
    login = body.get("logInByAccount") if isinstance(body, dict) else None
    if isinstance(login, dict) and "password" in login:
        login["password"] = fakecore.REDACTED
    return body


class ZStackApp(fakecore.FakeApp):
    name = "zstack-fake"
    server_header = "Apache-Coyote/1.1"
    # job_error: the next matching async call is accepted (202) and its job fails with
    # {code, description, details}.  job_delay: the job takes `seconds` (ticked or real).
    # session_expired: the session of the matching request expires just before it
    # arrives (ID.1001 as async_auth_errors says; the session stays expired).
    extra_fault_kinds = {"job_error": {"code", "description", "details"},
                         "job_delay": {"seconds"}, "session_expired": set()}

    def __init__(self, scenario):
        super().__init__(scenario)
        self.world = World(scenario, self)

    def describe(self, request):
        action = action_of(request.method, request.path)
        try:
            params = dict(parse_qsl(request.raw_query, keep_blank_values=True))
        except ValueError:
            params = {}
        qs = [v for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k == "q"]
        if qs:
            params["q"] = qs
        try:
            body = json.loads(request.body.decode("utf-8")) if request.body else None
        except (UnicodeDecodeError, ValueError):
            body = None
        if isinstance(body, dict):
            params["body"] = loggable_body(body)
        return action, params

    def handle(self, request, action, params):
        self.world.advance()
        try:
            action, variables = route_of(request.method, request.path)
            return self.run(request, action, variables)
        except RestError as error:
            return text_body(error.status, error.text)
        except ApiError as error:
            return json_body(503, error.body())

    def run(self, request, action, variables):
        world = self.world
        if action == "PollApiJob":
            return world.job_answer(variables["job"])
        if action == "ValidateSession":
            session = world.sessions.get(variables["session"])
            return json_body(200, {"valid": session is not None and
                                   session["expires"] > world.now()})
        if action == "LogOut":
            world.sessions.pop(variables["session"], None)
            return json_body(200, {})
        body = parse_json_body(request) if request.method in ("POST", "PUT") else {}
        if action == "LogInByAccount":
            return json_body(200, world.login(body))
        if self.core.fire_provider_fault(action, "session_expired") is not None:
            world.expire_session_of(request)
        try:
            world.authenticate(request)
        except ApiError as error:
            if (action in ASYNC_ACTIONS and error.code == "ID.1001" and
                    world.settings["async_auth_errors"] == "job"):
                return world.failed_job(action, error)
            raise
        pairs = query_params(request)
        if action == "QueryDatabaseBackup":
            return json_body(200, world.query_backups(pairs, variables))
        if action == "QueryBackupStorage":
            return json_body(200, world.query_storages(pairs, variables))
        return self.run_async(action, variables, body)

    def run_async(self, action, variables, body):
        """Interceptor errors come back through the job (202, then 503), as ZStack
        reports them for APIEvent messages (zstack.md 2.2, 3.2)."""
        world = self.world
        fault = self.core.fire_provider_fault(action, "job_error")
        delay_rule = self.core.fire_provider_fault(action, "job_delay")
        delay = None
        if delay_rule is not None:
            delay = delay_rule.get("seconds")
            if not isinstance(delay, (int, float)) or delay < 0:
                raise RestError(500, "job_delay fault needs seconds >= 0")
        fault_spec = None
        if fault is not None:
            fault_spec = {"code": fault.get("code") or "SYS.1006",
                          "description": fault.get("description"),
                          "details": fault.get("details") or "injected job failure"}
        try:
            if action == "CreateDatabaseBackup":
                job = world.create(body, fault_spec, delay)
            elif action == "ExportDatabaseBackupFromBackupStorage":
                job = world.export(variables, body, fault_spec, delay)
            else:
                job = world.delete_export(variables)
        except ApiError as error:
            return world.failed_job(action, error)
        return world.accepted(job)

    def fault_status_response(self, status, action, params):
        if status == 503:
            return json_body(503, ApiError("SYS.1000", "injected fault").body())
        return text_body(status, "injected fault: HTTP %d" % status)

    def state(self):
        self.world.advance()
        state = self.world.to_json()
        state["sim_seconds"] = self.core.sim_seconds
        return state

    def apply_state_patch(self, patch):
        ops = patch.get("ops")
        if not isinstance(ops, list):
            raise ControlError('expected {"ops": [...]}')
        # All or nothing: apply to a copy (the app reference shared, not copied).
        candidate = copy.deepcopy(self.world, {id(self): self})
        for op in ops:
            apply_op(candidate, op)
        self.world = candidate
        return {"applied": len(ops)}

    def reset_world(self):
        self.world = World(self.scenario, self)

    def tick(self, seconds):
        self.world.advance()

    def control(self, method, subpath, body):
        if (method, subpath) == ("GET", "exports"):
            return fakecore.json_response(200, {"exports": copy.deepcopy(self.world.exports)})
        if (method, subpath) == ("GET", "creates"):
            return fakecore.json_response(200, {"creates": copy.deepcopy(self.world.creates)})
        if (method, subpath) == ("GET", "logins"):
            return fakecore.json_response(200, {"logins": copy.deepcopy(self.world.logins)})
        return None


def make_app(scenario):
    try:
        return ZStackApp(scenario)
    except (ScenarioError, KeyError, TypeError, ValueError,
            zoneinfo.ZoneInfoNotFoundError) as err:
        sys.stderr.write("zstack-fake: bad scenario: %s\n" % err)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(fakecore.run_main(make_app, "ZStack management node (database backups) emulator"))
