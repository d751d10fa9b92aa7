"""TLS verification and the debug log (issues 2 and 8), libfuse's messages in it."""
import errno
import os
import subprocess

import pytest

from conftest import ncloud_profile, errno_of, run_with_options, SCENARIOS
from harness import Fake


@pytest.fixture
def tls_ncloud(tmp_path):
    """The NAVER emulator behind HTTPS with a self-signed certificate."""
    cert, key = str(tmp_path / "ca.pem"), str(tmp_path / "ca.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    fake = Fake.start("ncloud", os.path.join(SCENARIOS, "ncloud-demo.json"),
                      str(tmp_path / "tls"), tls=(cert, key))
    fake.ca_file = cert
    yield fake
    fake.stop()


def test_self_signed_certificate_is_refused_and_says_how_to_fix(tls_ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", tls_ncloud))
    m.expect(r"errno=EIO .*TLS with 127\.0\.0\.1:\d+ failed")
    assert errno_of(os.listdir, m.path("pg")) == errno.EIO
    assert "ca_file=" in m.output()
    assert tls_ncloud.counters()["total"] == 0


def test_ca_file_makes_it_trusted(tls_ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", tls_ncloud,
                                     ca_file=tls_ncloud.ca_file))
    assert sorted(os.listdir(m.path("pg"))) == ["pg-archive", "pg-orders", "pg-sandbox"]


def test_debug_logs_every_api_call_without_secrets(ncloud, mount_factory):
    m = mount_factory(ncloud_profile("pg", "ncloud-postgresql", ncloud), options=["-o", "debug"])
    os.listdir(m.path("pg", "pg-orders"))
    lines = [l for l in m.output().splitlines() if " api " in l]
    assert len(lines) == ncloud.counters()["total"] == 2
    assert "api getCloudPostgresqlInstanceList GET /vpostgresql/v2/"\
           "getCloudPostgresqlInstanceList?... 200" in lines[0]
    # The query (which could carry a presigned signature) is never logged.
    assert "responseFormatType" not in m.output()
    # libfuse's trace of each request is in the log too, in its format.
    assert any(" DEBUG unique: " in l and "opcode: LOOKUP" in l for l in m.output().splitlines())
    assert all(l.startswith("dbbackupfs: ") for l in m.output().splitlines()), m.output()


def test_a_libfuse_message_is_a_line_of_the_log(tmp_path):
    # libfuse parses its own options and says what is wrong; the line goes
    # where ours go (syslog in the background), with its level.
    result = run_with_options(tmp_path, "max_threads=many")
    assert result.returncode != 0
    assert result.stderr == \
        "dbbackupfs: ERROR fuse: invalid parameter in option `max_threads=many'\n"
