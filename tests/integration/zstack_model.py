"""What a ZStack profile's tree should look like, computed from the emulator's state
alone (issue 6), and the config sections that mount it."""
import collections
import hashlib
import os

from helpers import escape_name, flatten, rfc3339
import zstack_fake

INSTANCE = "management-db"
ACCOUNT = "admin"
PASSWORD = "password"
PASSWORD_SHA512 = hashlib.sha512(PASSWORD.encode()).hexdigest()
KEY_ID = "ZSAKEXAMPLE000000000"
KEY_SECRET = "ZSSKEXAMPLE00000000000000000000000000000"
TIMEZONE = "Asia/Shanghai"
LOCAL_BS = "cc9127f6af0e32c888044f49048788a1"     # imagestore-local
DR_BS = "5f0e7a3b9c1d4e2fa6b8c0d1e2f3a4b5"        # imagestore-dr
# The secrets a daemon's output must never show.
SECRETS = [PASSWORD_SHA512, KEY_SECRET]

TRANSITIONAL = {"creating", "deleting", "exporting", "syncing", "recovering"}


def zstack_profile(name, fake, **settings):
    """A [name] section for the emulator: account admin with its password and the
    management node's zone unless told otherwise; a value of None leaves a key out."""
    values = {"type": "zstack", "endpoint": fake.url}
    if "access_key_id" not in settings:
        values.update(account=ACCOUNT, password=PASSWORD)
    values["timezone"] = TIMEZONE
    values.update(settings)
    lines = ["[%s]" % name] + ["%s = %s" % (k, v) for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def secret_file(tmp_path, name, text, mode=0o600):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)
    return path


def backup_named(state, name):
    matches = [b for b in state["database_backups"] if b["name"] == name]
    assert len(matches) == 1, "%d backups named %r" % (len(matches), name)
    return matches[0]


def file_names(backups):
    """DESIGN 2: every member of a group of equal names gets @<id>."""
    counts = collections.Counter(escape_name(b["name"]) for b in backups)
    return {b["uuid"]: escape_name(b["name"]) + ("@" + b["uuid"] if counts[escape_name(
        b["name"])] > 1 else "") for b in backups}


def first_export_url(backup):
    for ref in backup.get("backupStorageRefs") or []:
        if ref.get("exportUrl"):
            return ref["exportUrl"]
    return ""


def expected_backup(backup, timezone=TIMEZONE):
    status = backup["status"].lower()
    transitional = status in TRANSITIONAL
    begin = zstack_fake.parse_date(backup["createDate"], timezone)
    end = None if transitional else zstack_fake.parse_date(backup["lastOpDate"], timezone)
    size = backup["size"] if not (transitional and backup["size"] == 0) else None
    url = first_export_url(backup)
    xattrs = {
        "user.backup.id": backup["uuid"],
        "user.backup.name": backup["name"],
        "user.backup.instance": INSTANCE,
        "user.backup.status": status,
        "user.backup.type": "full",
        "user.backup.size": "" if size is None else str(size),
        "user.backup.begin_time": rfc3339(begin),
        "user.backup.end_time": "" if end is None else rfc3339(end),
        "user.backup.engine": "mysql",
        "user.backup.engine_version": "",
        "user.backup.readable": "yes" if url else "after-export",
        "user.backup.exported_to": url,
    }
    xattrs.update({"user.api." + k: v for k, v in flatten(backup).items()})
    return {"size": size or 0, "mtime": end if end is not None else begin, "xattrs": xattrs}


def zstack_expected_tree(state, timezone=TIMEZONE):
    """The shape of helpers.actual_tree() for one ZStack profile."""
    backups = state["database_backups"]
    names = file_names(backups)
    instance_xattrs = {
        "user.instance.id": INSTANCE,
        "user.instance.name": INSTANCE,
        "user.instance.status": "",
        "user.instance.engine": "mysql",
        "user.instance.engine_version": "",
    }
    return {INSTANCE: {"xattrs": instance_xattrs,
                       "backups": {names[b["uuid"]]: expected_backup(b, timezone)
                                   for b in backups}}}
