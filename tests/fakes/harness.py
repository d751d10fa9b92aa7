"""Start a fake cloud API as a subprocess and drive its /_fake/ control API.

Used by pytest fixtures (tests/fakes, tests/integration, tests/bench):

    fake = Fake.start("ncloud", "tests/fakes/scenarios/ncloud-demo.json", tmp_path)
    try:
        ...  # point the client at fake.url
        assert fake.counters()["by_action"]["vpostgresql/getCloudPostgresqlInstanceList"] == 1
    finally:
        fake.stop()

Only the standard library (urllib) is used, so the harness runs wherever the fakes do.
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

PYTHON = "/usr/bin/python3"
FAKES_DIR = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 5.0
CONTROL_TIMEOUT_SECONDS = 10.0


class FakeError(Exception):
    pass


def resolve_module(module_path_or_name):
    """"ncloud", "ncloud_fake", "ncloud_fake.py" or a path -> path of the fake's script."""
    if os.path.sep in module_path_or_name or os.path.isfile(module_path_or_name):
        return os.path.abspath(module_path_or_name)
    name = module_path_or_name[:-3] if module_path_or_name.endswith(".py") else module_path_or_name
    if not name.endswith("_fake"):
        name += "_fake"
    path = os.path.join(FAKES_DIR, name + ".py")
    if not os.path.isfile(path):
        raise FakeError("no fake named %r (looked for %s)" % (module_path_or_name, path))
    return path


def scenario_file(scenario_path_or_dict, workdir):
    if isinstance(scenario_path_or_dict, dict):
        path = os.path.join(workdir, "scenario.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(scenario_path_or_dict, f, indent=2)
        return path
    return os.path.abspath(str(scenario_path_or_dict))


class Fake:
    """A running fake: its base URL and typed wrappers for the control endpoints."""

    def __init__(self, process, port, workdir, stderr_path, stderr_file):
        self.process = process
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.workdir = workdir
        self.stderr_path = stderr_path
        self._stderr_file = stderr_file

    @classmethod
    def start(cls, module_path_or_name, scenario_path_or_dict, tmpdir, port=None, tls=None):
        """tls: (certificate path, key path) to serve HTTPS."""
        workdir = str(tmpdir)
        os.makedirs(workdir, exist_ok=True)
        script = resolve_module(module_path_or_name)
        name = os.path.splitext(os.path.basename(script))[0]
        port_file = os.path.join(workdir, name + ".port")
        stderr_path = os.path.join(workdir, name + ".stderr")
        if os.path.exists(port_file):
            os.unlink(port_file)
        command = [PYTHON, script, "--scenario", scenario_file(scenario_path_or_dict, workdir),
                   "--port-file", port_file]
        if port is not None:
            command += ["--port", str(port)]
        if tls:
            command += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        # stderr goes to a file, not a pipe, so a chatty fake can never block on a full pipe.
        stderr_file = open(stderr_path, "w", encoding="utf-8")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr_file)
        try:
            bound_port = wait_for_port_file(process, port_file, stderr_path)
        except BaseException:
            process.kill()
            process.wait()
            stderr_file.close()
            raise
        fake = cls(process, bound_port, workdir, stderr_path, stderr_file)
        if tls:
            fake.use_tls(tls[0])
        return fake

    def use_tls(self, ca_file):
        import ssl
        self.url = "https://127.0.0.1:%d" % self.port
        self._ssl_context = ssl.create_default_context(cafile=ca_file)

    # -- control API ----------------------------------------------------------------

    def control(self, method, endpoint, payload=None):
        """Call /_fake/<endpoint>; returns the decoded JSON answer, raises on non-2xx."""
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.url + "/_fake/" + endpoint, data=data,
                                         method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS,
                                        context=getattr(self, "_ssl_context", None)) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise FakeError("%s /_fake/%s -> %d %s" % (method, endpoint, err.code,
                                                       err.read().decode("utf-8", "replace")))

    def counters(self):
        return self.control("GET", "counters")

    def reset(self, world=False):
        """Counters, request log, faults and skew; with world=True also reload the scenario."""
        return self.control("POST", "reset", {"world": world})

    def faults(self, rules):
        return self.control("POST", "faults", {"rules": list(rules)})["rules"]

    def fault_rules(self):
        return self.control("GET", "faults")["rules"]

    def clear_faults(self):
        return self.control("DELETE", "faults")

    def skew(self, seconds):
        return self.control("POST", "clock", {"skew_seconds": seconds})

    def requests(self, since=0):
        return self.control("GET", "requests?since=%d" % since)["requests"]

    def state(self):
        return self.control("GET", "state")

    def update_state(self, patch):
        """patch: {"ops": [...]} or a list of ops."""
        if isinstance(patch, list):
            patch = {"ops": patch}
        return self.control("POST", "state", patch)

    def tick(self, seconds):
        return self.control("POST", "tick", {"seconds": seconds})

    def exports(self):
        return self.control("GET", "exports")["exports"]

    # -- lifecycle ------------------------------------------------------------------

    def stop(self):
        """Terminate and reap the fake; safe to call more than once."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._stderr_file.closed:
            self._stderr_file.close()

    def output(self):
        """Everything the fake wrote to stderr so far (one line per request)."""
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wait_for_port_file(process, port_file, stderr_path):
    """Wait for the fake to publish its port (written atomically once it listens)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                return int(f.read().strip())
        if process.poll() is not None:
            raise FakeError("fake exited with %s before listening:\n%s"
                            % (process.returncode, read_text(stderr_path)))
        time.sleep(0.02)  # wait-for-condition poll, bounded by the deadline above
    raise FakeError("fake did not publish its port within %.0fs:\n%s"
                    % (START_TIMEOUT_SECONDS, read_text(stderr_path)))


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""
