"""dbbackupfs --check: one line per profile, the reason in plain words, and
an exit status scripts can use (issue 9)."""
import os
import subprocess

from conftest import BINARY, ncloud_profile, SECRET_KEY

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


def test_a_good_profile_is_ok_with_its_instance_count(ncloud, tmp_path):
    status, lines = check(tmp_path, ncloud_profile("pg", "ncloud-postgresql", ncloud))
    assert status == 0
    assert lines == ["pg: ok: 3 instances at %s (credentials: config file)" % ncloud.url]
    assert ncloud.counters()["total"] == 1


def test_each_failure_is_named_and_the_exit_status_is_non_zero(ncloud, tmp_path):
    text = (ncloud_profile("good", "ncloud-postgresql", ncloud) + "\n" +
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


def test_credentials_from_a_secret_file_and_the_environment(ncloud, tmp_path):
    secret = tmp_path / "pg.secret"
    secret.write_text(SECRET_KEY + "\n")
    secret.chmod(0o600)
    status, lines = check(tmp_path, ncloud_profile("pg", "ncloud-postgresql", ncloud,
                                                   secret_key_file=str(secret)).replace(
        "secret_key = %s\n" % SECRET_KEY, ""))
    assert status == 0
    assert lines[0].endswith("(credentials: secret_key_file %s)" % secret)

    text = ncloud_profile("pg", "ncloud-postgresql", ncloud).replace(
        "secret_key = %s\n" % SECRET_KEY, "")
    config = tmp_path / "env.conf"
    config.write_text(text)
    config.chmod(0o600)
    env = dict(os.environ, NCLOUD_SECRET_KEY=SECRET_KEY)
    result = subprocess.run([BINARY, "--check", "-o", "config=%s" % config],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0
    assert result.stdout.strip().endswith("(credentials: environment NCLOUD_SECRET_KEY)")


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


def test_ncloud_cli_configure_file(ncloud, tmp_path):
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
    base = without_keys(ncloud_profile("pg", "ncloud-postgresql", ncloud))

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
