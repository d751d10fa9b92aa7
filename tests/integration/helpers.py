"""What the tree should look like, computed from a scenario alone."""
import datetime
import os

NAVER_KINDS = {
    # kind: (scenario section, instance number field, service name field,
    #        status field, engine)
    "ncloud-postgresql": ("postgresql", "cloudPostgresqlInstanceNo",
                          "cloudPostgresqlServiceName",
                          "cloudPostgresqlInstanceStatusName", "postgresql"),
    "ncloud-mysql-vpc": ("mysql_vpc", "cloudMysqlInstanceNo", "cloudMysqlServiceName",
                         "cloudMysqlInstanceStatusName", "mysql"),
    "ncloud-mysql": ("mysql", "cloudDBInstanceNo", "cloudDBServiceName",
                     "cloudDBInstanceStatusName", "mysql"),
}


def scalar_text(value):
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def flatten(record, prefix="", exclude=("backups", "backups_generate")):
    """user.api.* as DESIGN section 3 says: scalars verbatim, objects with
    dots, arrays by index, empty containers and null as ""."""
    out = {}
    if isinstance(record, dict):
        items = record.items()
    else:
        items = ((str(i), v) for i, v in enumerate(record))
    for key, value in items:
        if not prefix and key in exclude:
            continue
        name = prefix + key
        if isinstance(value, (dict, list)) and value:
            out.update(flatten(value, name + ".", ()))
        elif isinstance(value, (dict, list)):
            out[name] = ""
        else:
            out[name] = scalar_text(value)
    return out


def parse_time(text):
    """NAVER/Huawei times like 2024-06-01T02:10:00+0900 to epoch seconds."""
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def escape_name(name):
    return name.replace("%", "%25").replace("/", "%2F")


def read_xattrs(path):
    return {name: os.getxattr(path, name).decode() for name in os.listxattr(path)}


def naver_expected_tree(state, kind):
    """{instance dir: {"xattrs": {...}, "backups": {file: {"size", "mtime",
    "xattrs"}}}} for one NAVER kind, from the emulator's state."""
    section, number_field, name_field, status_field, engine = NAVER_KINDS[kind]
    tree = {}
    for instance in state[section]["instances"]:
        version = instance.get("engineVersion", "")
        instance_xattrs = {
            "user.instance.id": str(instance[number_field]),
            "user.instance.name": instance[name_field],
            "user.instance.status": instance.get(status_field, "").lower(),
            "user.instance.engine": engine,
            "user.instance.engine_version": version,
        }
        instance_xattrs.update({"user.api." + k: v for k, v in flatten(instance).items()})
        backups = {}
        for backup in instance.get("backups", []):
            begin, end = parse_time(backup["startTime"]), parse_time(backup["endTime"])
            xattrs = {
                "user.backup.id": backup["fileName"],
                "user.backup.name": backup["fileName"],
                "user.backup.instance": instance[name_field],
                "user.backup.status": "completed",
                "user.backup.type": "auto",
                "user.backup.size": str(backup["backupSize"]),
                "user.backup.begin_time": rfc3339(begin),
                "user.backup.end_time": rfc3339(end),
                "user.backup.engine": engine,
                "user.backup.engine_version": version,
                "user.backup.readable": "after-export",
                "user.backup.exported_to": "",
            }
            xattrs.update({"user.api." + k: v for k, v in flatten(backup).items()})
            backups[escape_name(backup["fileName"])] = {
                "size": backup["backupSize"], "mtime": end, "xattrs": xattrs}
        tree[escape_name(instance[name_field])] = {"xattrs": instance_xattrs,
                                                  "backups": backups}
    return tree


def actual_tree(profile_root, with_xattrs=True):
    """The mounted tree of one profile, in the same shape."""
    tree = {}
    for instance in sorted(os.listdir(profile_root)):
        instance_path = os.path.join(profile_root, instance)
        backups = {}
        for name in sorted(os.listdir(instance_path)):
            if name == ".export":
                continue
            path = os.path.join(instance_path, name)
            st = os.stat(path)
            backups[name] = {"size": st.st_size, "mtime": int(st.st_mtime),
                             "xattrs": read_xattrs(path) if with_xattrs else None}
        tree[instance] = {"xattrs": read_xattrs(instance_path) if with_xattrs else None,
                          "backups": backups}
    return tree
