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


def _fnv1a_text(text, h=2166136261):
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def _name_at(name, rid, level, rank):
    if level == 0:
        return shorten(escape(name))
    if level == 1:
        return shorten(escape(name) + "@" + escape(rid))
    h = _fnv1a_text(rid)
    if level == 3:
        h = (h * 31 + rank) & 0xFFFFFFFF
    return shorten(escape(name) + "@" + escape("%s~%08x" % (rid, h)))


def file_names(records, reserved=()):
    """{id: file name} for (id, name) records of one directory: plain
    names, and round by round every member of a group of equal names (or a
    reserved or empty name) moves up a level: @id, then @id~hash."""
    ordered = sorted(records, key=lambda r: r[0].encode())
    levels = {rid: 0 for rid, _ in ordered}
    for _ in range(4):
        names = {rid: _name_at(name, rid, levels[rid], rank)
                 for rank, (rid, name) in enumerate(ordered)}
        groups = {}
        for rid, file_name in names.items():
            groups.setdefault(file_name, []).append(rid)
        moved = False
        for file_name, members in groups.items():
            if len(members) > 1 or file_name in reserved or file_name == "":
                for rid in members:
                    if levels[rid] < 3:
                        levels[rid] += 1
                        moved = True
        if not moved:
            break
    return names


def epoch(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def rfc3339(seconds):
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
        datetime.timedelta(seconds=seconds)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (moment.year, moment.month, moment.day,
                                                moment.hour, moment.minute, moment.second)
