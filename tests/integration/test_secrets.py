"""No secret anywhere the user can look (issue 8, item 6): with known
credential values for every provider, walk the whole tree and read every
extended attribute, .stats and every control file after exports and
failures; none holds a secret. (Every mount's log is checked for secrets
by the fixtures of conftest.py; config files that expose a secret are
refused in test_failures.py and test_check.py; TLS in test_tls_and_debug.py.)"""
import os
import subprocess

from conftest import ncloud_profile, SCENARIOS, SECRET_KEY
from harness import Fake
from huawei_model import huawei_profile, SK as HUAWEI_SK
from zstack_model import zstack_profile, PASSWORD, PASSWORD_SHA512


def everything_readable(root):
    """Every byte a user can read: names, xattrs, .stats, control files."""
    texts = []
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories + files:
            path = os.path.join(directory, name)
            texts.append(path)
            for attribute in os.listxattr(path):
                texts.append(os.getxattr(path, attribute).decode(errors="replace"))
            if directory.endswith(".export") or name == ".stats":
                texts.append(open(path).read())
    return "\n".join(texts)


def test_no_secret_in_names_xattrs_stats_or_status_files(ncloud, tmp_path, mount_factory):
    huawei = Fake.start("huawei", os.path.join(SCENARIOS, "huawei-demo.json"),
                        str(tmp_path / "huawei"))
    zstack = Fake.start("zstack", os.path.join(SCENARIOS, "zstack-demo.json"),
                        str(tmp_path / "zstack"))
    try:
        config = (ncloud_profile("pg", "ncloud-postgresql", ncloud) + "\n" +
                  huawei_profile("hw", "huawei-rds", huawei) + "\n" +
                  zstack_profile("zs", zstack))
        m = mount_factory(config, secrets=[HUAWEI_SK, PASSWORD_SHA512])
        m.expect(r"export .* errno=E")
        # A success and a failure through a control file, and a wrong mkdir.
        control = m.path("pg", "pg-orders", ".export", "20240601")
        with open(control, "w") as f:
            f.write("pg-backup\n")
        subprocess.run(["sh", "-c", 'echo no-such-bucket > "$1"', "sh",
                        m.path("pg", "pg-orders", ".export", "20240602")])
        readable = everything_readable(m.root)
        for secret in (SECRET_KEY, HUAWEI_SK, PASSWORD_SHA512):
            assert secret not in readable
        # The password itself is a word ("password") that names may hold:
        # it must not appear as a value of any attribute or status line.
        assert "= " + PASSWORD not in readable and ": " + PASSWORD + "\n" not in readable
        assert "state: accepted" in open(control).read()
    finally:
        huawei.stop()
        zstack.stop()

