#!/usr/bin/python3
"""NAVER Object Storage stand-in: a real S3 server (s3rver) behind a SigV4-verifying front.

s3rver (tests/fakes/s3, pinned in package.json) serves S3's semantics: buckets, objects,
ListObjectsV2 with continuation tokens, ranged GETs, XML errors.  It does not verify
Signature Version 4 (it only looks up the key id) and it lets anonymous requests in.  This
gateway supplies what it lacks, the way S3 and NAVER Object Storage do it:

  - every request must carry `Authorization: AWS4-HMAC-SHA256 ...` signed with a key pair
    of the scenario's accounts (the profile's pair: NAVER Object Storage takes the same
    keys as the API, ncloud.md section 9); the signature is recomputed from the request
    as received (canonical URI, query, signed headers, x-amz-content-sha256) and compared
    in constant time;
  - refusals use S3's real status and XML error body (with RequestId and HostId);
  - only then is the request forwarded, anonymously, to s3rver on loopback.

It is a fakecore app, so it has the same control API, counters, request log, clock skew and
fault injection as the other fakes (README.md).  It starts s3rver itself (node
--openssl-legacy-provider: s3rver 3.7 makes continuation tokens with DES, which OpenSSL 3
keeps in its legacy provider) in a temporary directory next to the port file, and stops it
when it stops.

Run:  /usr/bin/python3 s3_gateway.py --scenario S --port-file P
      /usr/bin/python3 s3_gateway.py install     # npm ci into tests/fakes/s3 if missing

Scenario:
    {"accounts": [{"access_key": "AK...", "secret_key": "SK..."}],
     "regions": ["kr-standard"],          # SigV4 regions accepted (default: kr-standard)
     "buckets": ["pg-backup"],            # created at start
     "objects": [{"bucket": "b", "key": "k", "size": 1234, "seed": "s"},
                 {"bucket": "b", "key": "k2", "text": "hello"}]}   # uploaded at start

Extra control endpoints:
    GET  /_fake/upstream    {"url": "http://127.0.0.1:PORT", "directory": "..."}  (s3rver)
    POST /_fake/objects     {"objects": [<object as in the scenario>, ...]} -> {"put": [...]}
    GET  /_fake/objects     {"objects": [{"bucket", "key", "size"}]}  every object, key order
    POST /_fake/buckets     {"buckets": ["name", ...]}
"""

import calendar
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote_from_bytes, unquote_to_bytes, urlsplit
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakecore  # noqa: E402
from fakecore import ControlError, Response  # noqa: E402

FAKES_DIR = os.path.dirname(os.path.abspath(__file__))
S3RVER_DIR = os.path.join(FAKES_DIR, "s3")
S3RVER_LAUNCHER = os.path.join(S3RVER_DIR, "run_s3rver.js")
S3RVER_PACKAGE = os.path.join(S3RVER_DIR, "node_modules", "s3rver", "package.json")
S3RVER_START_SECONDS = 15.0
INSTALL_TIMEOUT_SECONDS = 300

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 900                      # S3: 15 minutes
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
PAYLOAD_HASH = re.compile(r"^[0-9a-f]{64}$")
AMZ_DATE = "%Y%m%dT%H%M%SZ"
XML_CONTENT_TYPE = "application/xml"
XML_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'
DEFAULT_REGIONS = ["kr-standard"]

# Response headers of s3rver passed on to the client.
PASSED_HEADERS = ("etag", "last-modified", "content-range", "accept-ranges",
                  "content-encoding", "content-disposition", "cache-control", "expires")

# Injected `status` faults answer with S3's error for that status.
FAULT_ERRORS = {
    400: ("InvalidRequest", "Invalid Request"),
    403: ("AccessDenied", "Access Denied"),
    404: ("NoSuchKey", "The specified key does not exist."),
    409: ("OperationAborted", "A conflicting conditional operation is currently in progress "
                              "against this resource. Please try again."),
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}
FAULT_UNEXPECTED = ("ServiceUnavailable", "Service is unable to handle request.")

CONTENT_CHUNK = 1 << 20


# -- deterministic content ---------------------------------------------------------------

def content_chunks(seed, size):
    """The bytes of a test object: SHAKE-256 of "<seed>/<chunk index>", 1 MiB per chunk.
    The same (seed, size) always gives the same bytes, so a test can check a copy without
    keeping the original."""
    for index, start in enumerate(range(0, size, CONTENT_CHUNK)):
        length = min(CONTENT_CHUNK, size - start)
        yield hashlib.shake_256(("%s/%d" % (seed, index)).encode("utf-8")).digest(length)


def content_bytes(seed, size):
    return b"".join(content_chunks(seed, size))


def backup_seed(kind, instance_no, file_name):
    """The seed the NAVER emulator uses for an exported backup's bytes."""
    return "%s/%s/%s" % (kind, instance_no, file_name)


def control_call(gateway_url, endpoint, payload, timeout=60):
    """POST to a running gateway's control API.  Raises OSError on failure."""
    import urllib.request
    request = urllib.request.Request(gateway_url.rstrip("/") + "/_fake/" + endpoint,
                                     data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def put_object_through_control(gateway_url, bucket, key, size, seed):
    """Uploads a generated object through the control API (no SigV4: the writer is the
    cloud itself, as NAVER's export is)."""
    return control_call(gateway_url, "objects", {"objects": [
        {"bucket": bucket, "key": key, "size": size, "seed": seed}]})


def create_buckets_through_control(gateway_url, buckets):
    return control_call(gateway_url, "buckets", {"buckets": list(buckets)})


# -- installing and running s3rver -------------------------------------------------------

def s3rver_installed():
    return os.path.isfile(S3RVER_PACKAGE)


def ensure_installed():
    """npm ci in tests/fakes/s3 when node_modules lacks s3rver (the version the lock pins)."""
    if s3rver_installed():
        return
    command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        subprocess.run(command, cwd=S3RVER_DIR, check=True, timeout=INSTALL_TIMEOUT_SECONDS,
                       stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError("cannot install s3rver (%s in %s): %s"
                           % (" ".join(command), S3RVER_DIR, err))
    if not s3rver_installed():
        raise RuntimeError("npm ci ran but %s is missing" % S3RVER_PACKAGE)


def die_with_parent():
    """In the child: get SIGTERM when the gateway dies, even by SIGKILL."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Upstream:
    """The s3rver process and its data directory."""

    def __init__(self, workdir):
        if not s3rver_installed():
            raise RuntimeError("s3rver is not installed: run /usr/bin/python3 %s install"
                               % os.path.abspath(__file__))
        self.directory = tempfile.mkdtemp(prefix="s3rver-", dir=workdir)
        port_file = os.path.join(self.directory, "port")
        data = os.path.join(self.directory, "data")
        os.makedirs(data)
        self.log_path = os.path.join(self.directory, "s3rver.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                ["node", "--openssl-legacy-provider", S3RVER_LAUNCHER, "--directory", data,
                 "--port-file", port_file],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=die_with_parent)
        self.port = self.wait_for_port(port_file)
        self.url = "http://127.0.0.1:%d" % self.port

    def wait_for_port(self, port_file):
        deadline = time.monotonic() + S3RVER_START_SECONDS
        while time.monotonic() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    return int(f.read().strip())
            if self.process.poll() is not None:
                break
            time.sleep(0.02)  # wait-for-condition poll, bounded by the deadline
        self.stop()
        raise RuntimeError("s3rver did not start:\n" + self.log())

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None):
        """One request to s3rver; returns (status, headers, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- S3 errors ---------------------------------------------------------------------------

def new_request_id():
    return uuid.uuid4().hex[:16].upper()


def error_response(status, code, message, extra=()):
    """S3's error: <Error><Code/><Message/>[extra]<RequestId/><HostId/></Error>."""
    request_id = new_request_id()
    fields = [("Code", code), ("Message", message)] + list(extra)
    fields += [("RequestId", request_id), ("HostId", uuid.uuid4().hex)]
    body = XML_PROLOG + "<Error>%s</Error>" % "".join(
        "<%s>%s</%s>" % (name, xml_escape(str(value)), name) for name, value in fields)
    return Response(status, body, XML_CONTENT_TYPE, [("x-amz-request-id", request_id)])


class Refusal(Exception):
    def __init__(self, status, code, message, extra=()):
        super().__init__(message)
        self.response = error_response(status, code, message, extra)


def malformed(detail):
    return Refusal(400, "AuthorizationHeaderMalformed",
                   "The authorization header is malformed; " + detail)


# -- SigV4 verification ------------------------------------------------------------------

def canonical_uri(raw_path):
    """S3 encodes each byte of the decoded path once, '/' kept, and does not normalise."""
    return quote_from_bytes(unquote_to_bytes(raw_path), safe="/~")


def canonical_query(raw_query):
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((quote_from_bytes(unquote_to_bytes(name), safe="~"),
                      quote_from_bytes(unquote_to_bytes(value), safe="~")))
    return "&".join("%s=%s" % pair for pair in sorted(pairs))


def header_values(request, name):
    values = request.headers.get_all(name) or []
    return ",".join(re.sub(r"\s+", " ", value.strip()) for value in values)


def parse_authorization(header):
    """{"Credential", "SignedHeaders", "Signature"} from the Authorization header."""
    components = {}
    for part in header[len(ALGORITHM) + 1:].split(","):
        name, equals, value = part.strip().partition("=")
        if not equals or name in components:
            raise malformed("the authorization header requires three components: "
                            "Credential, SignedHeaders, and Signature.")
        components[name] = value
    if set(components) != {"Credential", "SignedHeaders", "Signature"}:
        raise malformed("the authorization header requires three components: "
                        "Credential, SignedHeaders, and Signature.")
    return components


def signing_key(secret, day, region, service):
    key = ("AWS4" + secret).encode("utf-8")
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


class Verifier:
    """Checks a request as S3 does, in S3's order; raises Refusal."""

    def __init__(self, secrets_by_key, regions, now):
        self.secrets_by_key = secrets_by_key
        self.regions = regions
        self.now = now

    def verify(self, request):
        names = {part.partition("=")[0] for part in request.raw_query.split("&")}
        if names & {"X-Amz-Algorithm", "Signature", "AWSAccessKeyId"}:
            raise Refusal(403, "AccessDenied", "Query-string authentication is not used by "
                          "dbbackupfs and not accepted by this gateway")
        header = request.header("Authorization")
        if not header:
            raise Refusal(403, "AccessDenied", "Access Denied")
        if not header.startswith(ALGORITHM + " "):
            raise Refusal(400, "InvalidArgument", "Unsupported Authorization Type",
                          [("ArgumentName", "Authorization"),
                           ("ArgumentValue", header.split(" ")[0])])
        components = parse_authorization(header)
        access_key, day, region, service = self.scope(components["Credential"])
        amz_date = request.header("x-amz-date")
        when = self.request_time(amz_date)
        payload_hash = self.payload_hash(request)
        secret = self.secrets_by_key.get(access_key)
        if secret is None:
            raise Refusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does "
                          "not exist in our records.", [("AWSAccessKeyId", access_key)])
        self.check_skew(amz_date, when)
        self.check_scope(day, region, service, amz_date)
        signed = self.signed_headers(request, components["SignedHeaders"])
        canonical = "\n".join([
            request.method, canonical_uri(request.path), canonical_query(request.raw_query),
            "".join("%s:%s\n" % (name, header_values(request, name)) for name in signed),
            ";".join(signed), payload_hash])
        scope = "%s/%s/%s/aws4_request" % (day, region, service)
        string_to_sign = "\n".join([ALGORITHM, amz_date, scope,
                                    hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
        expected = hmac.new(signing_key(secret, day, region, service),
                            string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        provided = components["Signature"]
        if not hmac.compare_digest(expected.encode("ascii"),
                                   provided.encode("latin-1", "replace")):
            raise Refusal(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature "
                          "you provided. Check your key and signing method.",
                          [("AWSAccessKeyId", access_key), ("StringToSign", string_to_sign),
                           ("SignatureProvided", provided),
                           ("CanonicalRequest", canonical)])
        self.check_payload(request, payload_hash)

    @staticmethod
    def scope(credential):
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
            raise malformed("the Credential is mal-formed; expecting "
                            "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        return parts[:4]

    @staticmethod
    def request_time(amz_date):
        try:
            return calendar.timegm(time.strptime(amz_date or "", AMZ_DATE))
        except ValueError:
            raise Refusal(403, "AccessDenied",
                          "AWS authentication requires a valid Date or x-amz-date header")

    @staticmethod
    def payload_hash(request):
        value = request.header("x-amz-content-sha256")
        if value is None:
            raise Refusal(400, "InvalidRequest",
                          "Missing required header for this request: x-amz-content-sha256")
        if value != UNSIGNED_PAYLOAD and not PAYLOAD_HASH.match(value):
            raise Refusal(400, "InvalidArgument", "x-amz-content-sha256 must be "
                          "UNSIGNED-PAYLOAD, or a valid sha256 value.",
                          [("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", value)])
        return value

    def check_skew(self, amz_date, when):
        server = self.now()
        if abs(server - when) > MAX_SKEW_SECONDS:
            raise Refusal(403, "RequestTimeTooSkewed", "The difference between the request "
                          "time and the current time is too large.",
                          [("RequestTime", amz_date),
                           ("ServerTime", time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                        time.gmtime(server))),
                           ("MaxAllowedSkewMilliseconds", MAX_SKEW_SECONDS * 1000)])

    def check_scope(self, day, region, service, amz_date):
        if day != amz_date[:8]:
            raise malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
        if region not in self.regions:
            raise Refusal(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the region '%s' is wrong; "
                          "expecting '%s'" % (region, self.regions[0]),
                          [("Region", self.regions[0])])
        if service != "s3":
            raise malformed("incorrect service \"%s\". This endpoint belongs to \"s3\"."
                            % service)

    @staticmethod
    def signed_headers(request, text):
        names = text.split(";")
        if not text or names != sorted(set(names)) or any(n != n.lower() for n in names):
            raise malformed("SignedHeaders must be lower-case names, sorted, without "
                            "repetition.")
        present = {name.lower() for name in request.headers.keys()}
        unsigned = sorted(n for n in present if n.startswith("x-amz-") and n not in names)
        if "host" not in names:
            unsigned.insert(0, "host")
        if unsigned:
            raise Refusal(403, "AccessDenied", "There were headers present in the request "
                          "which were not signed", [("HeadersNotSigned", ", ".join(unsigned))])
        return names

    @staticmethod
    def check_payload(request, payload_hash):
        if payload_hash == UNSIGNED_PAYLOAD:
            return
        computed = hashlib.sha256(request.body).hexdigest()
        if computed != payload_hash:
            raise Refusal(400, "XAmzContentSHA256Mismatch", "The provided "
                          "'x-amz-content-sha256' header does not match what was computed.",
                          [("ClientComputedContentSHA256", payload_hash),
                           ("S3ComputedContentSHA256", computed)])


# -- requests ----------------------------------------------------------------------------

def split_bucket_key(raw_path):
    """("bucket", "key") of a path-style request, decoded; ("", None) for the service."""
    path = unquote_to_bytes(raw_path).decode("utf-8", "replace")
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, (key if key else None)


def operation_of(method, raw_path, raw_query):
    bucket, key = split_bucket_key(raw_path)
    names = {part.partition("=")[0] for part in raw_query.split("&") if part}
    if not bucket:
        return "ListBuckets"
    if key is None:
        if method == "GET":
            return "ListObjectsV2" if "list-type=2" in raw_query.split("&") else (
                "GetBucketLocation" if "location" in names else "ListObjects")
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket",
                "DELETE": "DeleteBucket"}.get(method, method + "Bucket")
    return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject",
            "DELETE": "DeleteObject"}.get(method, method + "Object")


def forwarded_headers(request):
    """What s3rver sees: the request less its authentication (anonymous upstream)."""
    dropped = {"authorization", "host", "x-amz-date", "x-amz-content-sha256",
               "x-amz-security-token", "connection", "content-length", "expect"}
    return {name: value for name, value in request.headers.items()
            if name.lower() not in dropped}


def with_request_id(body, request_id, host_id):
    """s3rver's error bodies lack RequestId and HostId; S3's have them."""
    if b"<Error>" not in body or b"<RequestId>" in body:
        return body
    insert = ("<RequestId>%s</RequestId><HostId>%s</HostId>" % (request_id, host_id)).encode()
    return body.replace(b"</Error>", insert + b"</Error>", 1)


# -- the app -----------------------------------------------------------------------------

def load_accounts(scenario):
    accounts = scenario.get("accounts")
    if not isinstance(accounts, list) or not accounts:
        raise ValueError("scenario needs a non-empty accounts list")
    secrets = {}
    for account in accounts:
        if not account.get("access_key") or not account.get("secret_key"):
            raise ValueError("each account needs access_key and secret_key")
        secrets[account["access_key"]] = account["secret_key"]
    return secrets


SCENARIO_KEYS = {"accounts", "regions", "buckets", "objects"}


class S3GatewayApp(fakecore.FakeApp):
    name = "s3-gateway"
    server_header = "AmazonS3"

    def __init__(self, scenario, workdir):
        super().__init__(scenario)
        unknown = [k for k in scenario if k not in SCENARIO_KEYS and not k.startswith("_")]
        if unknown:
            raise ValueError("scenario: unknown keys %s" % unknown)
        self.secrets_by_key = load_accounts(scenario)
        self.regions = list(scenario.get("regions") or DEFAULT_REGIONS)
        self.upstream = Upstream(workdir)
        try:
            self.create_buckets(scenario.get("buckets", []))
            self.put_objects(scenario.get("objects", []))
        except BaseException:
            self.upstream.stop()
            raise

    # -- API requests -------------------------------------------------------------

    def describe(self, request):
        bucket, key = split_bucket_key(request.path)
        params = {}
        try:
            params = dict(request.query_params())
        except UnicodeDecodeError:
            pass
        params["bucket"] = bucket
        if key is not None:
            params["key"] = key
        return operation_of(request.method, request.path, request.raw_query), params

    def handle(self, request, action, params):
        verifier = Verifier(self.secrets_by_key, self.regions, self.core.now)
        try:
            verifier.verify(request)
        except Refusal as refusal:
            return refusal.response
        return self.forward(request)

    def forward(self, request):
        # HEAD goes upstream as GET: the core frames the answer from the body it is given
        # and sends no body for HEAD, so the client sees the real Content-Length.
        method = "GET" if request.method == "HEAD" else request.method
        status, headers, body = self.upstream.request(
            method, request.target, body=request.body or None,
            headers=forwarded_headers(request))
        request_id, host_id = new_request_id(), uuid.uuid4().hex
        passed = [(name, value) for name, value in headers if name.lower() in PASSED_HEADERS]
        passed += [("x-amz-request-id", request_id), ("x-amz-id-2", host_id)]
        content_type = next((v for n, v in headers if n.lower() == "content-type"),
                            "application/octet-stream")
        if status >= 300:
            body = with_request_id(body, request_id, host_id)
        return Response(status, body, content_type, passed)

    def fault_status_response(self, status, action, params):
        code, message = FAULT_ERRORS.get(status, FAULT_UNEXPECTED)
        return error_response(status, code, message)

    # -- the store, for tests and the NAVER emulator -------------------------------

    def create_buckets(self, buckets):
        for bucket in buckets:
            status, _, body = self.upstream.request("PUT", "/" + quote_from_bytes(
                bucket.encode("utf-8"), safe=""))
            if status not in (200, 409):
                raise ControlError("cannot create bucket %s: %d %s" % (bucket, status, body))

    def put_objects(self, objects):
        put = []
        for spec in objects:
            if not isinstance(spec, dict) or not spec.get("bucket") or not spec.get("key"):
                raise ControlError("an object needs bucket and key")
            if "text" in spec:
                data = spec["text"].encode("utf-8")
                size, body = len(data), data
            else:
                size = spec.get("size")
                if not isinstance(size, int) or size < 0 or not isinstance(spec.get("seed"), str):
                    raise ControlError("an object needs text, or size and seed")
                body = content_chunks(spec["seed"], size)
            self.create_buckets([spec["bucket"]])
            path = "/%s/%s" % (quote_from_bytes(spec["bucket"].encode("utf-8"), safe=""),
                               quote_from_bytes(spec["key"].encode("utf-8"), safe="/~"))
            status, headers, answer = self.upstream.request(
                "PUT", path, body=body, headers={"Content-Length": str(size),
                                                 "Content-Type": "application/octet-stream"})
            if status != 200:
                raise ControlError("cannot put %s/%s: %d %s" % (spec["bucket"], spec["key"],
                                                                status, answer))
            put.append({"bucket": spec["bucket"], "key": spec["key"], "size": size,
                        "etag": dict((n.lower(), v) for n, v in headers).get("etag")})
        return put

    def all_objects(self):
        status, _, body = self.upstream.request("GET", "/")
        buckets = [element.text for element in ElementTree.fromstring(body).iter()
                   if element.tag.endswith("Name")]
        objects = []
        for bucket in buckets:
            token = None
            while True:
                query = "list-type=2" + ("&continuation-token=" + quote_from_bytes(
                    token.encode(), safe="") if token else "")
                status, _, body = self.upstream.request(
                    "GET", "/%s?%s" % (quote_from_bytes(bucket.encode(), safe=""), query))
                root = ElementTree.fromstring(body)
                for contents in (e for e in root if e.tag.endswith("Contents")):
                    fields = {child.tag.split("}")[-1]: child.text for child in contents}
                    objects.append({"bucket": bucket, "key": fields["Key"],
                                    "size": int(fields["Size"])})
                token = next((e.text for e in root if e.tag.endswith("NextContinuationToken")),
                             None)
                if not token:
                    break
        return objects

    def control(self, method, subpath, body):
        if (method, subpath) == ("GET", "upstream"):
            return fakecore.json_response(200, {"url": self.upstream.url,
                                                "directory": self.upstream.directory})
        if (method, subpath) == ("POST", "objects"):
            if not isinstance(body.get("objects"), list):
                raise ControlError('expected {"objects": [...]}')
            return fakecore.json_response(200, {"put": self.put_objects(body["objects"])})
        if (method, subpath) == ("GET", "objects"):
            return fakecore.json_response(200, {"objects": self.all_objects()})
        if (method, subpath) == ("POST", "buckets"):
            if not isinstance(body.get("buckets"), list):
                raise ControlError('expected {"buckets": [...]}')
            self.create_buckets(body["buckets"])
            return fakecore.json_response(200, {"buckets": body["buckets"]})
        return None

    def state(self):
        return {"upstream": self.upstream.url, "regions": self.regions,
                "accounts": [{"access_key": key} for key in self.secrets_by_key]}


def main():
    if sys.argv[1:] == ["install"]:
        ensure_installed()
        return 0
    workdir = "."
    if "--port-file" in sys.argv[1:-1]:
        workdir = os.path.dirname(os.path.abspath(sys.argv[sys.argv.index("--port-file") + 1]))
    apps = []

    def make_app(scenario):
        try:
            apps.append(S3GatewayApp(scenario, workdir))
        except (RuntimeError, ValueError, ControlError, OSError) as err:
            for app in apps:
                app.upstream.stop()
            sys.stderr.write("s3-gateway: cannot start: %s\n" % err)
            sys.exit(2)
        return apps[-1]

    try:
        return fakecore.run_main(make_app, "S3 (NAVER Object Storage) gateway in front of "
                                           "s3rver, verifying SigV4")
    finally:
        for app in apps:
            app.upstream.stop()


if __name__ == "__main__":
    sys.exit(main())
