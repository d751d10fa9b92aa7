#!/usr/bin/env python3
"""Backup contents for scripts/demo.sh: nginx on loopback serving one file for
every completed RDS backup of a Huawei scenario and for every ready ZStack
backup, and the two scenarios again with links to them, so that `cp` of an
RDS backup, and of a ZStack backup once exported, works in the demo.

    demo_content.py --scenario HUAWEI.json --out HUAWEI_OUT.json
                    --zstack-scenario ZSTACK.json --zstack-out ZSTACK_OUT.json
                    --workdir DIR --port-file F

Writes the scenarios, then F (nginx's port, as the fakes do) once nginx
listens, and runs
until SIGTERM or SIGINT, when it stops nginx. An RDS file is a little
shorter than the listed size (RDS lists KB), as a real backup is, so the demo
shows the exact size that the first open learns. Files up to 32 MiB are
random bytes (the same every run); larger ones are sparse, so that the demo's
1 GiB backup costs neither time nor disk.
"""
import argparse
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nginx  # noqa: E402
from fakecore import write_port_file  # noqa: E402
from zstack_fake import safe_file_part  # noqa: E402

RANDOM_UP_TO = 32 << 20
SHORTER_BY = 1000          # bytes below the listed KB, as RDS rounds up


def file_name(instance, backup):
    return "%s-%s.bin" % (instance["id"], backup["id"])


def add_file(server, name, size):
    if size <= RANDOM_UP_TO:
        server.add_file(name, size, seed=name)
    else:
        with open(server.path(name), "wb") as f:
            f.truncate(size)


def serve_rds_backups(server, scenario):
    """Gives every completed RDS backup a file on `server` and a download
    entry; returns how many."""
    count = 0
    for instance in scenario["rds"]["instances"]:
        for backup in instance["backups"]:
            if backup["status"] != "COMPLETED" or "download" in backup:
                continue
            name = file_name(instance, backup)
            add_file(server, name, max(0, backup["size"] * 1024 - SHORTER_BY))
            backup["download"] = {"file": name}
            count += 1
    scenario["content"] = {"base_url": server.base, "secret": server.secret,
                           "link_seconds": 900}
    return count


def serve_zstack_backups(server, scenario):
    """Points the scenario's exports at `server`, where every ready backup
    has its file under the name an export gives it (zstack_fake's
    export_url); returns how many."""
    base = server.base + "/files"
    os.makedirs(server.path("imagestore/download"), exist_ok=True)
    count = 0
    for backup in scenario["database_backups"]:
        if backup["status"] != "Ready":
            continue
        name = "imagestore/download/%s-%s.gz" % (safe_file_part(backup["name"]), backup["uuid"])
        add_file(server, name, backup["size"])
        # An export the scenario already has points at the same file.
        for ref in backup["backupStorageRefs"]:
            if ref.get("exportUrl"):
                ref["exportUrl"] = "%s/%s" % (base, name)
        count += 1
    scenario["export_base_url"] = base
    return count


def write_json(path, document):
    with open(path, "w") as f:
        json.dump(document, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--zstack-scenario", required=True)
    parser.add_argument("--zstack-out", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()

    with open(args.scenario) as f:
        scenario = json.load(f)
    with open(args.zstack_scenario) as f:
        zstack = json.load(f)
    os.makedirs(args.workdir, exist_ok=True)
    server = nginx.Nginx.start(args.workdir)
    # Blocked after nginx started (it inherits the mask), and waited for:
    # a signal that comes before the wait is not lost.
    ending = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, ending)
    try:
        serve_rds_backups(server, scenario)
        serve_zstack_backups(server, zstack)
        write_json(args.out, scenario)
        write_json(args.zstack_out, zstack)
        write_port_file(args.port_file, server.port)
        signal.sigwait(ending)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
