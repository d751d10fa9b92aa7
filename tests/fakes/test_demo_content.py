"""scripts/demo.sh's backup contents (demo_content.py): every completed RDS
backup gets a file that nginx serves through a signed link, a little shorter
than the listed KB; every ready ZStack backup gets the file its export will
point at; SIGTERM stops nginx."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from harness import wait_for_port_file
import nginx
from zstack_fake import safe_file_part

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "scenarios", "huawei-demo.json")
ZSTACK_DEMO = os.path.join(HERE, "scenarios", "zstack-demo.json")


def get_last_byte(url, size):
    request = urllib.request.Request(url, headers={"Range": "bytes=-1"})
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 206
        assert answer.headers["Content-Range"] == "bytes %d-%d/%d" % (size - 1, size - 1, size)


def test_backups_are_served_and_sigterm_stops_nginx(tmp_path):
    out, zstack_out = tmp_path / "huawei.json", tmp_path / "zstack.json"
    port_file, log = tmp_path / "content.port", tmp_path / "content.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "demo_content.py"), "--scenario", DEMO,
             "--out", str(out), "--zstack-scenario", ZSTACK_DEMO,
             "--zstack-out", str(zstack_out), "--workdir", str(tmp_path / "content"),
             "--port-file", str(port_file)], stderr=stderr)
    try:
        port = wait_for_port_file(process, str(port_file), str(log))
        base = "http://127.0.0.1:%d" % port
        scenario = json.loads(out.read_text())
        assert scenario["content"]["base_url"] == base
        served, unserved = [], []
        for instance in scenario["rds"]["instances"]:
            for backup in instance["backups"]:
                (served if "download" in backup else unserved).append(backup)
        assert {b["status"] for b in served} == {"COMPLETED"}
        assert all(b["status"] != "COMPLETED" for b in unserved)
        assert len(served) == 5
        for backup in served:
            name = backup["download"]["file"]
            size = os.path.getsize(tmp_path / "content" / "files" / name)
            assert size == max(0, backup["size"] * 1024 - 1000), name
            if size == 0:
                continue
            path = nginx.signed_path(name, int(time.time()) + 60, scenario["content"]["secret"])
            get_last_byte(base + path, size)

        zstack = json.loads(zstack_out.read_text())
        assert zstack["export_base_url"] == base + "/files"
        ready_backups = [b for b in zstack["database_backups"] if b["status"] == "Ready"]
        assert len(ready_backups) == 8
        for backup in ready_backups:
            # Where zstack_fake's export_url will point.
            name = "%s-%s.gz" % (safe_file_part(backup["name"]), backup["uuid"])
            get_last_byte(zstack["export_base_url"] + "/imagestore/download/" + name,
                          backup["size"])
        exported = [r["exportUrl"] for b in ready_backups for r in b["backupStorageRefs"]
                    if r.get("exportUrl")]
        assert exported and all(url.startswith(base + "/files/") for url in exported)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not nginx.listening(port)
