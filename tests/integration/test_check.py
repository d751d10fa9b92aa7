"""dbbackupfs --check: one line per profile, the reason in plain words, and
an exit status scripts can use (issue 9). For NAVER, Object Storage too:
where exported backups are read from (an s3rver behind the SigV4 gateway)."""
import os
import subprocess

from conftest import BINARY, naver_profile as naver, ncloud_profile, SECRET_KEY, start_s3

WRONG = "SKWRONG0000000000000000000000000000000000"


def check(tmp_path, text):
    config = tmp_path / "check.conf"
    config.write_text(text)
    config.chmod(0o600)
    result = subprocess.run([BINARY, "--check", "-o", "config=%s" % config],
                            capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert SECRET_KEY not in output and WRONG not in output
    return result.returncode, result.stdout.splitlines()


def test_a_good_profile_is_ok_with_its_instance_count(ncloud, s3, tmp_path):
    status, lines = check(tmp_path, naver("pg", "ncloud-postgresql", ncloud, s3))
    assert status == 0
    assert lines == ["pg: ok: 3 instances at %s (credentials: config file); "
                     "object storage at %s: ok" % (ncloud.url, s3.url)]
    assert ncloud.counters()["total"] == 1
    # One signed ListBuckets: no bucket is needed before an export.
    assert s3.counters()["by_action"] == {"ListBuckets": 1}


def test_object_storage_that_refuses_the_keys_fails_the_check(ncloud, s3rver_installed,
                                                               tmp_path):
    s3 = start_s3(tmp_path, secret=WRONG)
    try:
        status, lines = check(tmp_path, naver("pg", "ncloud-postgresql", ncloud, s3))
    finally:
        s3.stop()
    assert status == 1
    assert lines[0].startswith("pg: object storage at %s: bad credentials: " % s3.url)
    assert "[code SignatureDoesNotMatch]" in lines[0]
    assert lines[0].endswith("(credentials: config file)")


def test_object_storage_unreachable_or_unknown_fails_the_check(ncloud, tmp_path):
    status, lines = check(tmp_path, ncloud_profile(
        "pg", "ncloud-postgresql", ncloud, object_storage_endpoint="http://127.0.0.1:9",
        retries=0))
    assert status == 1
    assert lines == ["pg: object storage at http://127.0.0.1:9: endpoint unreachable: "
                     "cannot connect to 127.0.0.1:9: Couldn't connect to server; check the "
                     "endpoint and the network (credentials: config file)"]

    # A region with no Object Storage of its own: say what to set.
    status, lines = check(tmp_path, ncloud_profile("pg", "ncloud-postgresql", ncloud,
                                                   region="XX"))
    assert status == 1
    assert lines == ["pg: object storage: not configured: no Object Storage endpoint is "
                     "known for region XX; set object_storage_endpoint= in [pg] "
                     "(credentials: config file)"]


def test_each_failure_is_named_and_the_exit_status_is_non_zero(ncloud, s3, tmp_path):
    text = (naver("good", "ncloud-postgresql", ncloud, s3) + "\n" +
            ncloud_profile("wrong", "ncloud-mysql-vpc", ncloud, secret_key=WRONG) + "\n" +
            ncloud_profile("gone", "ncloud-mysql", ncloud, retries=0).replace(
                ncloud.url, "http://127.0.0.1:9"))
    status, lines = check(tmp_path, text)
    assert status == 1
    assert len(lines) == 3
    assert lines[0].startswith("good: ok: 3 instances")
    assert lines[1].startswith("wrong: bad credentials: Authentication Failed")
    assert "[code 200]" in lines[1]
    assert lines[2].startswith("gone: endpoint unreachable: cannot connect to 127.0.0.1:9")


def test_a_skewed_clock_is_reported_with_its_seconds(ncloud, tmp_path):
    ncloud.skew(-1200)
    status, lines = check(tmp_path, ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert status == 1
    assert lines[0].startswith("pg: clock skew: the local clock is 1")
    assert " s ahead of the server's" in lines[0]


def test_credentials_from_a_secret_file_and_the_environment(ncloud, s3, tmp_path):
    secret = tmp_path / "pg.secret"
    secret.write_text(SECRET_KEY + "\n")
    secret.chmod(0o600)
    status, lines = check(tmp_path, naver("pg", "ncloud-postgresql", ncloud, s3,
                                          secret_key_file=str(secret)).replace(
        "secret_key = %s\n" % SECRET_KEY, ""))
    assert status == 0
    assert lines[0].endswith("(credentials: secret_key_file %s); object storage at %s: ok"
                             % (secret, s3.url))

    text = naver("pg", "ncloud-postgresql", ncloud, s3).replace(
        "secret_key = %s\n" % SECRET_KEY, "")
    config = tmp_path / "env.conf"
    config.write_text(text)
    config.chmod(0o600)
    env = dict(os.environ, NCLOUD_SECRET_KEY=SECRET_KEY)
    result = subprocess.run([BINARY, "--check", "-o", "config=%s" % config],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0
    assert "(credentials: environment NCLOUD_SECRET_KEY); object storage at %s: ok" % s3.url \
        in result.stdout


def test_a_broken_configuration_exits_2(tmp_path):
    status, lines = check(tmp_path, "[pg]\ntype = no-such-kind\n")
    assert status == 2


def without_keys(text):
    return "\n".join(l for l in text.splitlines()
                     if not l.startswith(("access_key", "secret_key"))) + "\n"


def run_check(tmp_path, text, env):
    config = tmp_path / "cli.conf"
    config.write_text(text)
    config.chmod(0o600)
    return subprocess.run([BINARY, "--check", "-o", "config=%s" % config],
                          capture_output=True, text=True, timeout=60, env=env)


def test_ncloud_cli_configure_file(ncloud, s3, tmp_path):
    home = tmp_path / "home"
    (home / ".ncloud").mkdir(parents=True)
    configure = home / ".ncloud" / "configure"
    configure.write_text("[DEFAULT]\nncloud_access_key_id = AKEXAMPLE0000000000\n"
                         "ncloud_secret_access_key = %s\n"
                         "ncloud_api_url = https://ncloud.apigw.ntruss.com\n\n"
                         "[project]\nncloud_access_key_id = AKEXAMPLE0000000000\n"
                         "ncloud_secret_access_key = %s\n" % (SECRET_KEY, WRONG))
    configure.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCLOUD_")}
    env["HOME"] = str(home)
    base = without_keys(naver("pg", "ncloud-postgresql", ncloud, s3))

    # No keys anywhere else: the CLI file's [DEFAULT] is the last resort.
    result = run_check(tmp_path, base, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(credentials: ncloud-cli %s [DEFAULT])" % configure in result.stdout

    # credentials= names a section, and only that source is read.
    result = run_check(tmp_path, base + "credentials = ncloud-cli:project\n", env)
    assert result.returncode == 1
    assert "bad credentials" in result.stdout and "[project]" in result.stdout

    # The environment comes before the CLI file.
    result = run_check(tmp_path, base, dict(env, NCLOUD_ACCESS_KEY_ID="AKEXAMPLE0000000000",
                                            NCLOUD_SECRET_ACCESS_KEY=WRONG))
    assert "bad credentials" in result.stdout
    assert "environment NCLOUD_SECRET_ACCESS_KEY" in result.stdout

    # A CLI file others can read is refused, with the fix.
    configure.chmod(0o644)
    result = run_check(tmp_path, base, env)
    assert result.returncode == 2
    assert "chmod 600 %s" % configure in result.stderr
    for output in (result.stdout, result.stderr):
        assert SECRET_KEY not in output and WRONG not in output
