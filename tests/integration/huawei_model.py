"""What a Huawei profile's tree should look like, computed from the emulator's state
alone (tests/fakes/huawei_fake.py), by the rules of DESIGN sections 2 and 3 and
api/huawei.md: sizes converted from MB (TaurusDB) or KB (RDS) to bytes, times to UTC,
status and type lower-cased, engine from datastore.type."""
import os

from conftest import SCENARIOS
from helpers import escape_name, flatten, parse_time, rfc3339

DEMO = os.path.join(SCENARIOS, "huawei-demo.json")
AK = "AKEXAMPLE0000000000"
SK = "SKEXAMPLE0000000000000000000000000000000"
PROJECT = "0483b6b16e954cb88930a360d2c4e663"

# kind -> (scenario section, bytes per unit of "size", service path segment on the fake)
KINDS = {
    "huawei-taurusdb": ("taurusdb", 1024 * 1024, "/taurusdb"),
    "huawei-rds": ("rds", 1024, "/rds"),
}
TRANSITIONAL = {"building", "deleting", "creating", "restoring"}
# RDS serves a backup's bytes through backup-files (issue 5); TaurusDB cannot.
READABLE = {"taurusdb": "no", "rds": "yes"}

# The demo world's names, for tests that need one of each.
TAURUS_ORDERS, TAURUS_EMPTY, TAURUS_BIG = "taurus-orders", "taurus-empty", "taurus-big"
RDS_SHOP, RDS_PG, RDS_SQLSERVER = "rds-mysql-shop", "rds-pg-crm", "rds-sqlserver-hr"
INSTANCE_FOR_MKDIR = {"huawei-taurusdb": TAURUS_EMPTY, "huawei-rds": RDS_PG}
CREATE_ACTION = {("huawei-taurusdb", "v3"): "taurusdb/CreateGaussMySqlBackup",
                 ("huawei-taurusdb", "legacy"): "taurusdb/CreateMysqlBackup",
                 ("huawei-rds", "v3"): "rds/CreateManualBackup"}


def huawei_profile(name, kind, fake, **extra):
    """A config section for a Huawei profile against the emulator."""
    lines = ["[%s]" % name, "type = %s" % kind,
             "endpoint = %s%s" % (fake.url, KINDS[kind][2])]
    extra.setdefault("access_key", AK)
    extra.setdefault("secret_key", SK)
    extra.setdefault("project_id", PROJECT)
    for key, value in extra.items():
        if value is not None:
            lines.append("%s = %s" % (key, value))
    return "\n".join(lines) + "\n"


def lower(value):
    return (value or "").lower()


def backup_size(backup, unit):
    size = backup.get("size")
    status = lower(backup.get("status"))
    if not isinstance(size, int) or size < 0 or (size == 0 and status in TRANSITIONAL):
        return None
    return size * unit


def time_or_none(text):
    return parse_time(text) if text else None


def expected_backup(backup, instance, unit, readable="no"):
    datastore = backup.get("datastore") or {}
    instance_datastore = instance.get("datastore") or {}
    size = backup_size(backup, unit)
    begin, end = time_or_none(backup.get("begin_time")), time_or_none(backup.get("end_time"))
    xattrs = {
        "user.backup.id": backup["id"],
        "user.backup.name": backup["name"],
        "user.backup.instance": instance["name"],
        "user.backup.status": lower(backup.get("status")),
        "user.backup.type": lower(backup.get("type")),
        "user.backup.size": "" if size is None else str(size),
        "user.backup.begin_time": rfc3339(begin) if begin is not None else "",
        "user.backup.end_time": rfc3339(end) if end is not None else "",
        "user.backup.engine": lower(datastore.get("type") or instance_datastore.get("type")),
        "user.backup.engine_version": datastore.get("version") or
        instance_datastore.get("version", ""),
        "user.backup.readable": readable,
        "user.backup.exported_to": "",
    }
    xattrs.update({"user.api." + k: v for k, v in flatten(backup).items()})
    mtime = end if end is not None else begin if begin is not None else 0
    return {"size": size or 0, "mtime": mtime, "xattrs": xattrs}


def huawei_expected_tree(state, kind):
    """{instance dir: {"xattrs", "backups": {file: {"size", "mtime", "xattrs"}}}}."""
    section, unit, _ = KINDS[kind]
    tree = {}
    for instance in state[section]["instances"]:
        datastore = instance.get("datastore") or {}
        instance_xattrs = {
            "user.instance.id": instance["id"],
            "user.instance.name": instance["name"],
            "user.instance.status": lower(instance.get("status")),
            "user.instance.engine": lower(datastore.get("type")),
            "user.instance.engine_version": datastore.get("version", ""),
        }
        instance_xattrs.update({"user.api." + k: v for k, v in flatten(instance).items()})
        backups = {escape_name(b["name"]): expected_backup(b, instance, unit,
                                                           READABLE[section])
                   for b in instance.get("backups", [])}
        tree[escape_name(instance["name"])] = {"xattrs": instance_xattrs, "backups": backups}
    return tree


def find_backup(state, kind, name):
    section = KINDS[kind][0]
    for instance in state[section]["instances"]:
        for backup in instance["backups"]:
            if backup["name"] == name:
                return instance, backup
    return None, None
