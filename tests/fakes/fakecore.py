"""Provider-neutral machinery shared by every cloud API emulator in tests/fakes.

A fake is a FakeApp subclass (the provider: routing, auth, world model) plugged into
FakeServer (this file: HTTP/1.1 keep-alive server, counters, request log, fault
injection, clock skew, and the /_fake/ control API).  Nothing here knows about any
cloud; provider details stay in the provider modules.

Why a separate core: the NAVER, Huawei and ZStack fakes must behave identically under
faults and expose the same control API, so that tests and benchmarks written against
one fake read the same against another.

Request flow (FakeServer.handle_request):
    read request fully -> /_fake/ control?  -> control handler (not counted)
                       -> app.describe()   -> (action, merged params)
                       -> transport fault? -> status/delay/stall/truncate/malformed/reset
                       -> app.handle()     -> Response
                       -> count + log BEFORE sending (so a test that reads the counters
                          right after its response always sees its own request)
                       -> send
"""

import argparse
import email.utils
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

CONTROL_PREFIX = "/_fake/"

# Fault kinds the core applies itself, before or around the provider's handler.
TRANSPORT_FAULT_KINDS = ("status", "delay", "stall", "truncate", "malformed", "reset")

# Keys a fault rule may carry, per kind (besides action/every/count/kind).
FAULT_KIND_FIELDS = {
    "status": {"status", "retry_after", "body", "content_type"},
    "delay": {"seconds"},
    "stall": {"seconds"},
    "truncate": set(),
    "malformed": set(),
    "reset": set(),
}

# The request log is a bounded ring so a benchmark cannot grow the fake without limit.
REQUEST_LOG_LIMIT = 20000

# Header and query names whose values are never printed (nor kept in the request log).
SECRET_NAME_PATTERN = re.compile(r"sign|secret|token|password|credential|authorization|cookie",
                                 re.IGNORECASE)
REDACTED = "<redacted>"


class ControlError(Exception):
    """A bad request to the /_fake/ control API (answered 400 with {"error": ...})."""


class Request:
    """One HTTP request as received, with the raw request target kept byte-exact.

    http.server decodes the request line as ISO-8859-1, so encoding `target` back with
    that codec gives the exact bytes the client sent (needed for signature checks)."""

    def __init__(self, method, target, headers, body, client):
        self.method = method
        self.target = target
        self.path, _, self.raw_query = target.partition("?")
        self.headers = headers
        self.body = body
        self.client = client

    def raw_target_bytes(self):
        return self.target.encode("iso-8859-1")

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def query_params(self):
        """Query string as an ordered list of (name, value); raises UnicodeDecodeError."""
        return parse_qsl(self.raw_query, keep_blank_values=True, errors="strict")

    def form_params(self):
        """application/x-www-form-urlencoded body as (name, value) pairs, else []."""
        content_type = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded" or not self.body:
            return []
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, errors="strict")


class Response:
    """What a provider answers; the core adds Date, Server and Content-Length."""

    def __init__(self, status, body=b"", content_type="application/json", headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.content_type = content_type
        self.headers = list(headers or [])


def json_response(status, obj):
    return Response(status, json.dumps(obj, indent=2), "application/json")


class FakeApp:
    """Interface a provider implements.  `self.core` is set by FakeServer."""

    name = "fake"
    server_header = "fake"
    extra_fault_kinds = {}  # kind -> set of extra allowed rule keys (e.g. busy -> {"instance"})

    def __init__(self, scenario):
        self.scenario = scenario
        self.core = None

    def describe(self, request):
        """Return (action name, merged params dict) for counting, logging, fault matching."""
        raise NotImplementedError

    def handle(self, request, action, params):
        """Answer one API request with a Response (called with core.lock held)."""
        raise NotImplementedError

    def fault_status_response(self, status, action, params):
        """The provider-style error Response for an injected `status` fault."""
        return json_response(status, {"error": "injected fault"})

    def state(self):
        return {}

    def apply_state_patch(self, patch):
        raise ControlError("this fake has no patchable state")

    def reset_world(self):
        """Reload the scenario (POST /_fake/reset with {"world": true})."""

    def tick(self, seconds):
        """Advance simulated time-based state by `seconds`."""

    def control(self, method, subpath, body):
        """Provider-specific control endpoints; return a Response or None (404)."""
        return None


class Clock:
    """The server's notion of now: real time plus a settable skew in seconds."""

    def __init__(self):
        self.skew_seconds = 0.0

    def now(self):
        return time.time() + self.skew_seconds

    def http_date(self):
        return email.utils.formatdate(self.now(), usegmt=True)


class Counters:
    def __init__(self, fault_kinds):
        self.fault_kinds = list(fault_kinds)
        self.clear()

    def clear(self):
        self.total = 0
        self.by_action = {}
        self.by_status = {}
        self.faults = {kind: 0 for kind in self.fault_kinds}

    def count_request(self, action, status):
        self.total += 1
        self.by_action[action] = self.by_action.get(action, 0) + 1
        key = "none" if status is None else str(status)
        self.by_status[key] = self.by_status.get(key, 0) + 1

    def count_fault(self, kind):
        self.faults[kind] = self.faults.get(kind, 0) + 1

    def snapshot(self):
        return {"total": self.total, "by_action": dict(self.by_action),
                "by_status": dict(self.by_status), "faults": dict(self.faults)}


class FaultRule:
    """One injection rule.  Deterministic: `every: N` fires on the Nth, 2Nth... matching
    request (counted per rule); `count: K` fires on the next K matching requests."""

    def __init__(self, spec):
        self.spec = dict(spec)
        self.kind = spec["kind"]
        self.action = spec.get("action", "*")
        self.every = spec.get("every")
        self.remaining = spec.get("count")
        self.matched = 0
        self.fired = 0

    def get(self, key, default=None):
        return self.spec.get(key, default)

    def matches_action(self, action):
        # Providers may qualify action names ("vmysql/exportBackupToObjectStorage"); a
        # rule naming only the last segment matches every qualified form of it.
        return self.action in ("*", action) or action.endswith("/" + self.action)

    def consider(self):
        """Count one matching request; return True when the rule fires for it."""
        self.matched += 1
        if self.every is not None:
            fires = self.matched % self.every == 0
        else:
            fires = self.remaining > 0
            if fires:
                self.remaining -= 1
        if fires:
            self.fired += 1
        return fires

    def describe(self):
        out = dict(self.spec)
        out.update(matched=self.matched, fired=self.fired)
        if self.every is None:
            out["remaining"] = self.remaining
        return out


def validate_fault_spec(spec, fields_by_kind):
    if not isinstance(spec, dict):
        raise ControlError("each rule must be a JSON object")
    kind = spec.get("kind")
    if kind not in fields_by_kind:
        raise ControlError("unknown fault kind %r (known: %s)" % (kind, ", ".join(fields_by_kind)))
    allowed = {"kind", "action", "every", "count"} | fields_by_kind[kind]
    unknown = set(spec) - allowed
    if unknown:
        raise ControlError("rule of kind %s has unknown keys %s" % (kind, sorted(unknown)))
    if not isinstance(spec.get("action", "*"), str):
        raise ControlError("action must be a string")
    if ("every" in spec) == ("count" in spec):
        raise ControlError("a rule needs exactly one of every/count")
    for key in ("every", "count"):
        if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool)
                            or spec[key] < 1):
            raise ControlError("%s must be an integer >= 1" % key)
    if kind == "status":
        status = spec.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ControlError("status rule needs an integer status 100..599")
    if kind in ("delay", "stall"):
        seconds = spec.get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError("%s rule needs seconds >= 0" % kind)


class FaultBook:
    """The active fault rules; first firing rule in list order wins a request."""

    def __init__(self, fields_by_kind):
        self.fields_by_kind = fields_by_kind
        self.rules = []

    def replace(self, specs):
        if not isinstance(specs, list):
            raise ControlError('expected {"rules": [...]}')
        for spec in specs:
            validate_fault_spec(spec, self.fields_by_kind)
        self.rules = [FaultRule(spec) for spec in specs]

    def clear(self):
        self.rules = []

    def fire(self, action, kinds, accept=None):
        """Return the first rule of one of `kinds` that matches and fires, or None.
        Rules after the firing one do not see (or count) this request."""
        for rule in self.rules:
            if rule.kind not in kinds or not rule.matches_action(action):
                continue
            if accept is not None and not accept(rule):
                continue
            if rule.consider():
                return rule
        return None

    def describe(self):
        return [rule.describe() for rule in self.rules]


def redact_target(target):
    """The request target with the values of secret-looking query parameters hidden."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    parts = []
    for pair in query.split("&"):
        name, eq, _ = pair.partition("=")
        parts.append(name + eq + REDACTED if eq and SECRET_NAME_PATTERN.search(name) else pair)
    return path + "?" + "&".join(parts)


def loggable_headers(headers):
    return {name: (REDACTED if SECRET_NAME_PATTERN.search(name) else value)
            for name, value in headers.items()}


class RequestLog:
    def __init__(self):
        self.entries = []
        self.next_seq = 1

    def clear(self):
        self.entries = []

    def add(self, entry):
        entry["seq"] = self.next_seq
        self.next_seq += 1
        self.entries.append(entry)
        if len(self.entries) > REQUEST_LOG_LIMIT:
            del self.entries[: len(self.entries) - REQUEST_LOG_LIMIT]

    def since(self, seq):
        return [entry for entry in self.entries if entry["seq"] > seq]


class PlannedAnswer:
    """What the core will do with one API request after fault selection."""

    def __init__(self, response=None, fault=None):
        self.response = response
        self.fault = fault  # the FaultRule that fired, or None


class FakeServer:
    """Owns the HTTP server, shared bookkeeping and the control API for one FakeApp."""

    def __init__(self, app, port=0):
        self.app = app
        app.core = self
        self.lock = threading.RLock()
        self.clock = Clock()
        self.sim_seconds = 0.0
        fields_by_kind = dict(FAULT_KIND_FIELDS)
        fields_by_kind.update({k: set(v) for k, v in app.extra_fault_kinds.items()})
        self.faults = FaultBook(fields_by_kind)
        self.counters = Counters(fields_by_kind)
        self.log = RequestLog()
        self.httpd = FakeHTTPServer(("127.0.0.1", port), make_handler_class(self))

    @property
    def port(self):
        return self.httpd.server_address[1]

    def now(self):
        return self.clock.now()

    # -- API requests ---------------------------------------------------------------

    def plan_answer(self, request, action, params, sleep):
        """Pick a transport fault (if any) and run the provider.  `sleep` is injected so
        the delay happens outside the lock."""
        with self.lock:
            rule = self.faults.fire(action, TRANSPORT_FAULT_KINDS)
            if rule is not None:
                self.counters.count_fault(rule.kind)
            if rule is not None and rule.kind == "status":
                return PlannedAnswer(self.status_fault_response(rule, action, params), rule)
            if rule is not None and rule.kind in ("stall", "reset"):
                return PlannedAnswer(None, rule)
        if rule is not None and rule.kind == "delay":
            sleep(rule.get("seconds"))
        response = self.run_app(request, action, params)
        if rule is not None and rule.kind == "malformed":
            response = malformed_version_of(response)
        return PlannedAnswer(response, rule)

    def run_app(self, request, action, params):
        """The provider's answer; a crash in the fake itself is a loud 500, never a
        silently dropped connection that a client might take for a network fault."""
        try:
            with self.lock:
                return self.app.handle(request, action, params)
        except Exception:
            sys.stderr.write("%s: INTERNAL ERROR in fake\n%s" % (self.app.name,
                                                                  traceback.format_exc()))
            return Response(500, "fake internal error (see fake stderr)", "text/plain")

    def fire_provider_fault(self, action, kind, accept=None):
        """For provider-level kinds (e.g. ncloud's busy): the firing rule or None."""
        with self.lock:
            rule = self.faults.fire(action, (kind,), accept)
            if rule is not None:
                self.counters.count_fault(kind)
            return rule

    def status_fault_response(self, rule, action, params):
        status = rule.get("status")
        if rule.get("body") is not None:
            response = Response(status, rule.get("body"),
                                rule.get("content_type") or "application/json")
        else:
            response = self.app.fault_status_response(status, action, params)
        if rule.get("retry_after") is not None:
            response.headers.append(("Retry-After", str(rule.get("retry_after"))))
        return response

    def record(self, request, action, params, status, fault, started):
        entry = {
            "method": request.method,
            "target": request.target,
            "action": action,
            "params": params,
            "status": status,
            "fault": fault.kind if fault else None,
            "time": time.time(),
            "elapsed_ms": round((time.monotonic() - started) * 1000, 3),
            "headers": loggable_headers(request.headers),
        }
        with self.lock:
            self.counters.count_request(action, status)
            self.log.add(entry)

    # -- control API ----------------------------------------------------------------

    def handle_control(self, method, path, query, body):
        subpath = path[len(CONTROL_PREFIX):]
        try:
            payload = parse_control_body(body)
            with self.lock:
                return self.control_response(method, subpath, query, payload)
        except ControlError as err:
            return json_response(400, {"error": str(err)})

    def control_response(self, method, subpath, query, payload):
        route = (method, subpath)
        if route == ("GET", "counters"):
            return json_response(200, self.counters.snapshot())
        if route == ("POST", "reset"):
            return json_response(200, self.reset(bool(payload.get("world"))))
        if route == ("GET", "faults"):
            return json_response(200, {"rules": self.faults.describe()})
        if route == ("POST", "faults"):
            self.faults.replace(payload.get("rules"))
            return json_response(200, {"rules": self.faults.describe()})
        if route == ("DELETE", "faults"):
            self.faults.clear()
            return json_response(200, {"rules": []})
        if route == ("GET", "clock"):
            return json_response(200, self.clock_state())
        if route == ("POST", "clock"):
            return json_response(200, self.set_skew(payload.get("skew_seconds")))
        if route == ("GET", "requests"):
            return json_response(200, {"requests": self.log.since(since_param(query))})
        if route == ("GET", "state"):
            return json_response(200, self.app.state())
        if route == ("POST", "state"):
            return json_response(200, self.app.apply_state_patch(payload))
        if route == ("POST", "tick"):
            return json_response(200, self.tick(payload.get("seconds")))
        response = self.app.control(method, subpath, payload)
        if response is None:
            return json_response(404, {"error": "no control endpoint %s /_fake/%s" % route})
        return response

    def reset(self, world):
        self.counters.clear()
        self.log.clear()
        self.faults.clear()
        self.clock.skew_seconds = 0.0
        if world:
            self.sim_seconds = 0.0
            self.app.reset_world()
        return {"reset": True, "world": world}

    def clock_state(self):
        return {"skew_seconds": self.clock.skew_seconds, "now": self.clock.now(),
                "date": self.clock.http_date()}

    def set_skew(self, skew):
        if not isinstance(skew, (int, float)) or isinstance(skew, bool):
            raise ControlError('expected {"skew_seconds": <number>}')
        self.clock.skew_seconds = float(skew)
        return self.clock_state()

    def tick(self, seconds):
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError('expected {"seconds": <number >= 0>}')
        self.sim_seconds += seconds
        self.app.tick(seconds)
        return {"sim_seconds": self.sim_seconds}

    # -- lifecycle ------------------------------------------------------------------

    def serve_forever(self):
        self.httpd.serve_forever(poll_interval=0.2)

    def shutdown(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def parse_control_body(body):
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except ValueError as err:
        raise ControlError("control body is not JSON: %s" % err)
    if not isinstance(payload, dict):
        raise ControlError("control body must be a JSON object")
    return payload


def since_param(query):
    for name, value in parse_qsl(query):
        if name == "since":
            try:
                return int(value)
            except ValueError:
                raise ControlError("since must be an integer")
    return 0


def malformed_version_of(response):
    """A 200 answer whose body is cut in half: never valid JSON or XML, since the
    closing brackets or the root end tag are lost."""
    cut = response.body[: max(1, len(response.body) // 2)]
    return Response(200, cut, response.content_type, response.headers)


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_handler_class(core):
    class Handler(FakeRequestHandler):
        pass

    Handler.core = core
    Handler.server_version = core.app.server_header
    return Handler


class FakeRequestHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 so the client can keep it alive across requests."""

    protocol_version = "HTTP/1.1"
    # Buffered writes: headers and body leave in one segment when http.server flushes
    # after each request, instead of one small packet per header block.
    wbufsize = -1
    sys_version = ""
    core = None  # set per server by make_handler_class

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def setup(self):
        super().setup()
        # Without NODELAY, Nagle plus the client's delayed ACK would add ~40 ms to
        # every keep-alive request and skew benchmarks.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_expect_100(self):
        # The interim "100 Continue" must leave now, not wait in the buffered wfile,
        # or curl pauses about a second before sending a large POST body.
        result = super().handle_expect_100()
        self.wfile.flush()
        return result

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        # Every response (errors from http.server included) carries the skewed clock.
        return self.core.clock.http_date()

    def log_message(self, fmt, *args):
        pass  # http.server's own log would print raw targets; we log in log_line()

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self.read_chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def read_chunked_body(self):
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def dispatch(self):
        started = time.monotonic()
        body = self.read_body()
        request = Request(self.command, self.path, self.headers, body, self.client_address)
        if request.path.startswith(CONTROL_PREFIX):
            response = self.core.handle_control(self.command, request.path,
                                                request.raw_query, body)
            self.log_line(request, "control", response.status, None, started)
            self.send(response)
            return
        self.serve_api(request, started)

    def serve_api(self, request, started):
        action, params = self.core.app.describe(request)
        plan = self.core.plan_answer(request, action, params, time.sleep)
        fault = plan.fault
        status = plan.response.status if plan.response is not None else None
        self.core.record(request, action, params, status, fault, started)
        self.log_line(request, action, status, fault, started)
        if fault is not None and fault.kind == "reset":
            self.reset_connection()
        elif fault is not None and fault.kind == "stall":
            time.sleep(fault.get("seconds"))
            self.close_connection = True
        elif fault is not None and fault.kind == "truncate":
            self.send(plan.response, truncate=True)
        else:
            self.send(plan.response)

    def send(self, response, truncate=False):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        body = b"" if self.command == "HEAD" else response.body
        if truncate:
            # Promise the full length, deliver half, hang up: the client must see a
            # short transfer, never a silently shorter body.
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)

    def reset_connection(self):
        """Close with SO_LINGER 0 so the peer gets an RST instead of an orderly FIN."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(sock.detach())

    def log_line(self, request, action, status, fault, started):
        elapsed_ms = (time.monotonic() - started) * 1000
        sys.stderr.write("%s: %s %s action=%s status=%s fault=%s %.1fms\n" % (
            self.core.app.name, request.method, redact_target(request.target), action,
            "none" if status is None else status, fault.kind if fault else "-", elapsed_ms))


# -- command line -------------------------------------------------------------------------

def write_port_file(path, port):
    """Atomic: tests poll for the file and must never read a half-written port."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def load_json_file(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def parse_args(argv, description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scenario", required=True, help="scenario JSON file")
    parser.add_argument("--port-file", required=True,
                        help="written atomically with the bound port once listening")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate")
    parser.add_argument("--tls-key", help="the certificate's PEM private key")
    return parser.parse_args(argv)


def serve_tls(core, cert, key):
    """Wraps the listening socket: every connection then starts with a TLS
    handshake, as a real gateway's does."""
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    core.httpd.socket = context.wrap_socket(core.httpd.socket, server_side=True)


def run_main(app_factory, description, argv=None):
    """Entry point shared by every fake: load scenario, bind, publish port, serve."""
    args = parse_args(sys.argv[1:] if argv is None else argv, description)
    app = app_factory(load_json_file(args.scenario))
    core = FakeServer(app, args.port)
    if args.tls_cert:
        serve_tls(core, args.tls_cert, args.tls_key)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # The socket is bound and listening once FakeServer exists; connections made before
    # serve_forever() starts simply wait in the backlog.
    write_port_file(args.port_file, core.port)
    sys.stderr.write("%s: listening on %s://127.0.0.1:%d\n"
                     % (app.name, "https" if args.tls_cert else "http", core.port))
    try:
        core.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sys.stderr.write("%s: stopped\n" % app.name)
    return 0
