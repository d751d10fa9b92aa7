"""A real download server for tests: Debian's nginx on loopback, plus a tiny
proxy that cuts bodies short.

The emulators hand out download links that point here, so the content reader
meets nginx's own Range handling, keep-alive and errors. Everything lives in
one temporary directory: the generated config, the pid file, the logs, nginx's
temp dirs and the served files; nothing outside it is written (`-p`, `-e`).

    server = Nginx.start(tmp_path)                 # nginx, daemon off, 127.0.0.1:PORT
    server = Nginx.start(tmp_path, tls=(cert, key))  # the same over HTTPS
    digest = server.add_file("b1.bin", 300 << 20)  # random bytes; returns sha256 hex
    server.url("b1.bin")                           # plain:   /files/b1.bin
    server.url("b1.bin", rate=1 << 20)             # slow:    limit_rate 1 MiB/s
    server.rate_base(1 << 20) + "b1.bin"           # slow, without a query string
    server.signed_url("b1.bin", expires=epoch)     # expires: 403 once epoch has passed
    mark = server.mark(); ...; server.body_bytes(since=mark)   # bytes nginx sent
    proxy = ShortBodyProxy.start(server.port, keep=0.5)        # cuts bodies in half
    proxy.hold_after(1); ...; proxy.wait_held(1); ...; proxy.release()  # holds requests
    server.stop(); proxy.stop()

Links that expire use nginx's secure_link module: ?md5=<base64url md5 of
"<expires><uri> <secret>">&expires=<epoch>. nginx answers 403 to a wrong
signature and, like an object store, 403 once `expires` has passed. The
emulators sign with signed_path() below and the secret the harness gives them.

The access log has one line per request: time, request line, status, bytes
sent (headers + body), body bytes, the Range header and how long it took, so
that tests count what the mount really fetched and which ranges overlapped.
"""

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_SECONDS = 10.0
LOG_FORMAT = ('$msec "$request" $status $bytes_sent $body_bytes_sent "$http_range" '
              '$request_time')

CONFIG = """\
{user}
worker_processes {workers};
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;

events {{
    worker_connections 512;
}}

http {{
    log_format counting '{log_format}';
    access_log {dir}/access.log counting;
    client_body_temp_path {dir}/temp/body;
    proxy_temp_path {dir}/temp/proxy;
    fastcgi_temp_path {dir}/temp/fastcgi;
    uwsgi_temp_path {dir}/temp/uwsgi;
    scgi_temp_path {dir}/temp/scgi;
    types {{ }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 60s;
    keepalive_requests 100000;
    server_tokens off;

    map $arg_rate $rate {{
        "" 0;
        default $arg_rate;
    }}

    server {{
        listen 127.0.0.1:{port}{listen_ssl};
        {ssl_lines}
        root {dir}/files;

        location /files/ {{
            alias {dir}/files/;
            autoindex on;           # rclone's http backend lists it
            limit_rate $rate;
        }}

        # The same files at a fixed rate per connection, for a client that
        # cannot add ?rate= (rclone's http backend builds its own URLs).
        location ~ ^/rate/(?<path_rate>[0-9]+)/files/(?<rest>.*)$ {{
            alias {dir}/files/$rest;
            autoindex on;
            limit_rate $path_rate;
        }}

        location /signed/ {{
            secure_link $arg_md5,$arg_expires;
            secure_link_md5 "$secure_link_expires$uri {secret}";
            if ($secure_link = "") {{ return 403; }}
            if ($secure_link = "0") {{ return 403; }}
            alias {dir}/files/;
            limit_rate $rate;
        }}

        location / {{
            return 404;
        }}
    }}
}}
"""


class NginxError(Exception):
    pass


def signed_path(name, expires, secret):
    """The path and query of a link to /signed/<name> valid until `expires`."""
    uri = "/signed/" + name
    digest = hashlib.md5(("%d%s %s" % (expires, uri, secret)).encode()).digest()
    token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return "%s?md5=%s&expires=%d" % (uri, token, expires)


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 that is its own CA: (certificate, key) paths."""
    cert, key = os.path.join(directory, "tls.pem"), os.path.join(directory, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Nginx:
    """A running nginx serving the files of `directory`/files."""

    def __init__(self, directory, port, process, secret, scheme="http"):
        self.directory = directory
        self.port = port
        self.process = process
        self.secret = secret
        self.base = "%s://127.0.0.1:%d" % (scheme, port)
        self.files_dir = os.path.join(directory, "files")
        self.access_log = os.path.join(directory, "access.log")
        self.digests = {}

    @classmethod
    def start(cls, directory, workers=1, secret=None, tls=None):
        """tls: (certificate path, key path) to serve HTTPS instead of HTTP."""
        directory = os.path.abspath(str(directory))
        listen_ssl, ssl_lines = "", ""
        if tls:
            listen_ssl = " ssl"
            ssl_lines = "ssl_certificate %s;\n        ssl_certificate_key %s;" % (
                os.path.abspath(tls[0]), os.path.abspath(tls[1]))
        for sub in ("files", "temp"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
        secret = secret or base64.b32encode(os.urandom(10)).decode().lower()
        last_error = ""
        for _ in range(5):
            port = free_port()
            config = os.path.join(directory, "nginx.conf")
            with open(config, "w") as f:
                f.write(CONFIG.format(
                    user="user root root;" if os.geteuid() == 0 else "",
                    workers=workers, dir=directory, port=port, secret=secret,
                    log_format=LOG_FORMAT, listen_ssl=listen_ssl, ssl_lines=ssl_lines))
            error_log = os.path.join(directory, "error.log")
            stderr = open(os.path.join(directory, "nginx.stderr"), "w")
            process = subprocess.Popen(
                [NGINX, "-p", directory + "/", "-c", config, "-e", error_log],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
            stderr.close()
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while time.monotonic() < deadline and process.poll() is None:
                if listening(port):
                    return cls(directory, port, process, secret,
                               "https" if tls else "http")
                time.sleep(0.02)  # wait-for-condition poll, bounded by the deadline
            if process.poll() is None:
                process.kill()
            process.wait()
            last_error = read_text(error_log) + read_text(os.path.join(directory,
                                                                       "nginx.stderr"))
            if "in use" not in last_error:
                break
        raise NginxError("nginx did not start:\n" + last_error)

    # -- files -----------------------------------------------------------------------

    def add_file(self, name, size, seed=None):
        """Writes `size` random bytes (reproducible with `seed`); returns the sha256."""
        path = os.path.join(self.files_dir, name)
        digest = hashlib.sha256()
        chunk = 4 << 20
        rng = None
        if seed is not None:
            import random
            rng = random.Random(seed)
        with open(path, "wb") as f:
            left = size
            while left > 0:
                n = min(chunk, left)
                block = rng.randbytes(n) if rng else os.urandom(n)
                digest.update(block)
                f.write(block)
                left -= n
        self.digests[name] = digest.hexdigest()
        return self.digests[name]

    def path(self, name):
        return os.path.join(self.files_dir, name)

    def read(self, name, offset, length):
        with open(self.path(name), "rb") as f:
            f.seek(offset)
            return f.read(length)

    # -- links -----------------------------------------------------------------------

    def url(self, name, rate=None):
        return self.base + "/files/" + name + ("?rate=%d" % rate if rate else "")

    def rate_base(self, rate):
        """A directory URL whose files are served at `rate` bytes/s per connection."""
        return "%s/rate/%d/files/" % (self.base, rate)

    def signed_url(self, name, expires, rate=None):
        return self.base + signed_path(name, expires, self.secret) + (
            "&rate=%d" % rate if rate else "")

    # -- what was served ---------------------------------------------------------------

    def log_lines(self):
        return read_text(self.access_log).splitlines()

    def mark(self):
        """A position in the access log; pass it as since= to count what follows."""
        return len(self.log_lines())

    def requests(self, since=0):
        """[{"time", "started", "method", "path", "status", "bytes_sent", "body_bytes",
        "range"}]: time is when the answer ended, started when the request came."""
        out = []
        for line in self.log_lines()[since:]:
            stamp, rest = line.split(" ", 1)
            request, rest = rest[1:].split('" ', 1)
            status, sent, body, rest = rest.split(" ", 3)
            rng, duration = rest.rsplit(" ", 1)
            parts = request.split(" ")
            out.append({"time": float(stamp), "started": float(stamp) - float(duration),
                        "method": parts[0], "path": parts[1] if len(parts) > 1 else "",
                        "status": int(status), "bytes_sent": int(sent),
                        "body_bytes": int(body), "range": rng.strip('"')})
        return out

    def body_bytes(self, since=0):
        return sum(r["body_bytes"] for r in self.requests(since))

    def error_log(self):
        return read_text(os.path.join(self.directory, "error.log"))

    # -- lifecycle -------------------------------------------------------------------

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class ShortBodyProxy:
    """Forwards each request to nginx and passes the answer on unchanged, but
    for its body: only `keep` of it (a fraction of Content-Length), then the
    connection closes. Headers still promise the whole body, as when a server
    or a middlebox dies mid-transfer. A range that starts at one of the
    offsets in `whole_from` passes whole: {0} lets an open, which learns
    the size from its first range, succeed, and every later range fail,
    whatever its length."""

    def __init__(self, upstream_port, keep, whole_from=()):
        self.upstream_port = upstream_port
        self.keep = keep
        self.whole_from = set(whole_from)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.served = 0
        self.ranges = []        # each request's Range, in order of arrival
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        # The gate: None lets every request through; a number lets that
        # many more of those it cuts through, and holds the rest.
        self._gate = threading.Condition()
        self._passes = None
        self._held = 0

    @classmethod
    def start(cls, upstream_port, keep=0.5, whole_from=()):
        proxy = cls(upstream_port, keep, whole_from)
        proxy._thread.start()
        return proxy

    def url(self, name):
        return self.base + "/files/" + name

    def hold_after(self, passes):
        """Lets `passes` more requests that it would cut through, then holds
        the next ones (before forwarding them) until release()."""
        with self._gate:
            self._passes = passes

    def wait_held(self, count, timeout=30):
        """Waits until `count` requests are held; False on timeout."""
        with self._gate:
            return self._gate.wait_for(lambda: self._held >= count, timeout)

    def release(self):
        with self._gate:
            self._passes = None
            self._gate.notify_all()

    def _pass_gate(self):
        with self._gate:
            if self._passes is None:
                return
            if self._passes > 0:
                self._passes -= 1
                return
            self._held += 1
            self._gate.notify_all()
            self._gate.wait_for(lambda: self._passes is None or self._stopping)
            self._held -= 1

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            request = read_head(client)
            if request is None:
                return
            head, _ = request
            lines = head.split(b"\r\n")
            kept = [line for line in lines[1:]
                    if not line.lower().startswith(b"connection:")]
            asked = next((line.split(b"=", 1)[1].decode().strip() for line in kept
                          if line.lower().startswith(b"range:")), None)
            self.ranges.append(asked)
            whole = asked is not None and int(asked.split("-")[0]) in self.whole_from
            if not whole:
                self._pass_gate()
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            upstream.sendall(b"\r\n".join([lines[0]] + kept + [b"Connection: close", b"",
                                                               b""]))
            answer = read_head(upstream)
            if answer is None:
                return
            head, rest = answer
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            allowed = length if whole else int(length * self.keep)
            client.sendall(head + b"\r\n\r\n")
            sent = 0
            data = rest
            while sent < allowed:
                if not data:
                    data = upstream.recv(1 << 16)
                    if not data:
                        break
                piece = data[:allowed - sent]
                client.sendall(piece)
                sent += len(piece)
                data = data[len(piece):]
            upstream.close()
            if allowed < length:
                self.served += 1
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()

    def stop(self):
        with self._gate:
            self._stopping = True
            self._gate.notify_all()
        try:
            self.listener.close()
        except OSError:
            pass


def read_head(sock):
    """Reads up to the end of an HTTP head; returns (head, what came after)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def main():
    """Serves a directory by hand: nginx.py DIR [SIZE_MIB] (Ctrl-C stops)."""
    import sys
    directory = sys.argv[1]
    server = Nginx.start(directory)
    if len(sys.argv) > 2:
        digest = server.add_file("sample.bin", int(sys.argv[2]) << 20)
        print("sample.bin", digest)
    print(server.url("sample.bin"), flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
