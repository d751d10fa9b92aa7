"""A reference model of the tree, computed from a scenario alone, in the
rules of DESIGN section 2 (and dbbackupfs(1) NAMES): what the mount must
show. Independent of the C code: written from the rules, not from it."""
import datetime

RESERVED_IN_INSTANCE = {".export"}
NAME_MAX = 255


def fnv1a(data):
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def escape(name):
    if name == ".":
        return "%2E"
    if name == "..":
        return "%2E%2E"
    out = []
    for ch in name:
        code = ord(ch)
        if ch in "/%" or code < 0x20 or code == 0x7F:
            out.append("%%%02X" % code)
        else:
            out.append(ch)
    return "".join(out)


def shorten(full):
    data = full.encode()
    if len(data) <= NAME_MAX:
        return full
    keep = NAME_MAX - 9
    while keep > 0 and (data[keep] & 0xC0) == 0x80:
        keep -= 1
    return data[:keep].decode() + "~%08x" % fnv1a(data)


def file_names(records, reserved=()):
    """{id: file name} for (id, name) records of one directory."""
    plain = {rid: shorten(escape(name)) for rid, name in records}
    counts = {}
    for name in plain.values():
        counts[name] = counts.get(name, 0) + 1
    names = {}
    for rid, name in records:
        file_name = plain[rid]
        if counts[file_name] > 1 or file_name in reserved or file_name == "":
            file_name = shorten(escape(name) + "@" + escape(rid))
        names[rid] = file_name
    return names


def epoch(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def rfc3339(seconds):
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
        datetime.timedelta(seconds=seconds)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (moment.year, moment.month, moment.day,
                                                moment.hour, moment.minute, moment.second)
