"""Cross-check against the official Huawei Cloud SDK (issue 4).

The SDK core (@huaweicloud/huaweicloud-sdk-core, npm) is installed into
tests/integration/sdk/node_modules and driven by sdk/huawei_sdk.js:

  (a) requests the SDK signs and sends with its own HTTP client are accepted by our
      emulator, and the emulator's error bodies read as the SDK expects them;
  (b) dbbackupfs's signer gives the same Authorization value as the SDK for the same
      request.  The signer is C, so the test builds the tiny driver
      sdk/sign_with_dbbcore.c with cc against the build's libdbbcore.a (the same
      library the binary under test links), adding the sanitizer flags when the
      library was built with them, and feeds it exactly what the SDK signed: method,
      path, query, every header but Authorization (X-Sdk-Date included), body.

Without node/npm, a C compiler or a built library the test is skipped with the reason,
and so it is when the npm registry cannot be reached; an install that fails for any
other reason fails the test.
"""
import json
import os
import re
import shutil
import subprocess
from urllib.parse import quote

import pytest

from conftest import BINARY, ROOT, SCENARIOS
from harness import Fake
from huawei_model import AK, PROJECT, SK

SDK_DIR = os.path.join(ROOT, "tests", "integration", "sdk")
SDK_PACKAGE = "@huaweicloud/huaweicloud-sdk-core"
NETWORK_TROUBLE = re.compile(r"ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|"
                             r"ENETUNREACH|EHOSTUNREACH|network|proxy", re.IGNORECASE)

TAURUS_ORDERS = "ef25188419f941309882d2986b2210b9in07"
TAURUS_EMPTY = "d738399de028480fabb2b8120d4e01a4in07"
RDS_SHOP = "d8e6ca5a624745bcb546a227aa3ae1cfin01"
RDS_PG = "a48e43ff268f4c0e879652d65e63d0fbin03"
TAURUS_JSON = "application/json;charset=UTF-8"

# (service, method, path as the SDK templates it, query, body, expected status)
CASES = {
    "taurusdb-instances": ("taurusdb", "GET", "/v3/{project_id}/instances",
                           {"offset": "0", "limit": "100"}, None, 200),
    "taurusdb-backups-times": ("taurusdb", "GET", "/v3/{project_id}/backups",
                               {"instance_id": TAURUS_ORDERS, "backup_type": "manual",
                                "begin_time": "2020-07-06T10:41:14+0800",
                                "end_time": "2030-07-16T10:41:14+0800"}, None, 200),
    "taurusdb-instances-unicode-filter": ("taurusdb", "GET", "/v3/{project_id}/instances",
                                          {"name": "*orders 月度"}, None, 200),
    "taurusdb-legacy-backups": ("taurusdb", "GET", "/mysql/v3/{project_id}/backups",
                                {"instance_id": TAURUS_ORDERS}, None, 200),
    "taurusdb-create": ("taurusdb", "POST", "/v3/{project_id}/backups/create", {},
                        {"instance_id": TAURUS_EMPTY, "name": "sdk-copy",
                         "description": "手动备份 by the SDK"}, 201),
    "rds-backups-paged": ("rds", "GET", "/v3/{project_id}/backups",
                          {"instance_id": RDS_SHOP, "offset": "1", "limit": "2"}, None, 200),
    "rds-create": ("rds", "POST", "/v3/{project_id}/backups", {},
                   {"instance_id": RDS_PG, "name": "sdk-rds-copy"}, 200),
}


def sdk_installed():
    with open(os.path.join(SDK_DIR, "package.json")) as f:
        wanted = json.load(f)["dependencies"]
    for name, version in wanted.items():
        path = os.path.join(SDK_DIR, "node_modules", name, "package.json")
        if not os.path.isfile(path):
            return False
        with open(path) as f:
            if json.load(f)["version"] != version:
                return False
    return True


@pytest.fixture(scope="module")
def node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to run the Huawei SDK")
    if not sdk_installed():
        try:
            result = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=SDK_DIR,
                                    capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            pytest.skip("npm install of %s timed out: registry unreachable?" % SDK_PACKAGE)
        output = result.stdout + result.stderr
        trouble = [line for line in output.splitlines() if NETWORK_TROUBLE.search(line)]
        if result.returncode != 0 and trouble:
            pytest.skip("the npm registry is unreachable, %s not installed: %s"
                        % (SDK_PACKAGE, trouble[0].strip()))
        assert result.returncode == 0, "npm install failed:\n" + output
        assert sdk_installed()
    return node


def library_directory():
    candidates = [os.environ.get("DBB_BUILD_DIR"), os.path.dirname(os.path.abspath(BINARY)),
                  os.path.join(ROOT, "build-asan"), os.path.join(ROOT, "build")]
    for directory in candidates:
        if directory and os.path.isfile(os.path.join(directory, "libdbbcore.a")):
            return directory
    return None


def sanitizer_flags(library):
    """The library's own instrumentation, which the driver must link with."""
    symbols = subprocess.run(["nm", "--undefined-only", library], capture_output=True,
                             text=True).stdout
    wanted = []
    if "__asan_" in symbols:
        wanted.append("address")
    if "__ubsan_" in symbols:
        wanted.append("undefined")
    if "__tsan_" in symbols:
        wanted.append("thread")
    return ["-fsanitize=" + ",".join(wanted)] if wanted else []


@pytest.fixture(scope="module")
def c_signer(tmp_path_factory):
    compiler = shutil.which("cc") or shutil.which("gcc")
    directory = library_directory()
    if not compiler or not shutil.which("nm") or not shutil.which("pkg-config"):
        pytest.skip("cc, nm and pkg-config are needed to build the signer driver")
    if directory is None:
        pytest.skip("no libdbbcore.a (set DBB_BUILD_DIR to a build directory)")
    library = os.path.join(directory, "libdbbcore.a")
    output = str(tmp_path_factory.mktemp("signer") / "sign_with_dbbcore")
    crypto = subprocess.run(["pkg-config", "--libs", "libcrypto"], capture_output=True,
                            text=True, check=True).stdout.split()
    command = ([compiler, "-std=gnu11", "-D_GNU_SOURCE", "-I", os.path.join(ROOT, "src")] +
               sanitizer_flags(library) +
               [os.path.join(SDK_DIR, "sign_with_dbbcore.c"), library] + crypto +
               ["-o", output])
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, "building the driver failed:\n%s\n%s" % (
        " ".join(command), result.stderr)
    return output


@pytest.fixture(scope="module")
def huawei(tmp_path_factory):
    fake = Fake.start("huawei", os.path.join(SCENARIOS, "huawei-demo.json"),
                      str(tmp_path_factory.mktemp("huawei")))
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def fresh_world(huawei):
    huawei.reset(world=True)


def run_sdk(node, huawei, mode, case, sk=SK):
    service, method, path, query, body, _ = CASES[case]
    spec = {"mode": mode, "endpoint": "%s/%s" % (huawei.url, service), "ak": AK, "sk": sk,
            "project_id": PROJECT, "method": method, "path": path, "query": query,
            "body": body, "content_type": TAURUS_JSON if service == "taurusdb"
            else "application/json"}
    result = subprocess.run([node, os.path.join(SDK_DIR, "huawei_sdk.js")],
                            input=json.dumps(spec), capture_output=True, text=True,
                            timeout=60, cwd=SDK_DIR)
    assert result.returncode == 0, result.stderr
    # The SDK's logger writes its own lines to stdout; the answer is the last line.
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- (a) the emulator accepts what the SDK signs ---------------------------------------------

@pytest.mark.parametrize("case", sorted(CASES))
def test_the_emulator_accepts_sdk_signed_requests(node, huawei, case):
    answer = run_sdk(node, huawei, "send", case)
    assert answer["status"] == CASES[case][5], answer
    if CASES[case][1] == "POST":
        assert answer["body"]["backup"]["status"] == "BUILDING"
        assert [c["name"] for c in huawei.state()["creates"]] == [CASES[case][4]["name"]]
    assert huawei.counters()["by_status"] == {str(CASES[case][5]): 1}


def test_sdk_reads_the_emulators_error_bodies(node, huawei):
    answer = run_sdk(node, huawei, "send", "rds-backups-paged", sk="X" * 40)
    assert answer["status"] == 401 and answer["error_code"] == "APIGW.0301"
    assert "verify aksk signature fail" in answer["error_msg"]
    assert re.fullmatch(r"[0-9a-f]{32}", answer["request_id"] or "")   # X-Request-Id
    assert run_sdk(node, huawei, "send", "rds-create")["status"] == 200
    answer = run_sdk(node, huawei, "send", "rds-create")
    assert (answer["status"], answer["error_code"]) == (409, "DBS.201209")


# -- (b) our signer and the SDK agree ------------------------------------------------------------

def raw_query(query):
    return "&".join("%s=%s" % (quote(k, safe=""), quote(str(v), safe=""))
                    for k, v in query.items())


@pytest.mark.parametrize("case", sorted(CASES))
def test_our_signer_gives_the_sdks_signature(node, huawei, c_signer, tmp_path, case):
    signed = run_sdk(node, huawei, "sign", case)
    headers = signed["headers"]
    listed = re.search(r"SignedHeaders=([^,]+),", signed["authorization"]).group(1)
    assert listed.split(";") == sorted(name.lower() for name in headers)
    assert {"content-type", "host", "x-project-id", "x-sdk-date"} <= set(listed.split(";"))
    body_file = tmp_path / "body"
    body_file.write_bytes(signed["body"].encode("utf-8"))
    command = [c_signer, signed["method"], signed["path"], raw_query(signed["query"]),
               headers["X-Sdk-Date"], AK, SK, str(body_file)]
    command += ["%s: %s" % (name, value) for name, value in headers.items()]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == signed["authorization"]
