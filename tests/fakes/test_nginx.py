"""The download server's own promises (nginx.py), before any mount uses them."""
import hashlib
import ssl
import urllib.error
import urllib.request

import pytest

import nginx


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = nginx.Nginx.start(tmp_path_factory.mktemp("nginx"))
    yield srv
    srv.stop()


def get(url, headers=None, context=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, context=context) as answer:
        return answer.status, answer.read()


def test_plain_and_rate_paths_serve_the_same_bytes(server):
    digest = server.add_file("same.bin", 3 << 20)
    for url in (server.url("same.bin"), server.url("same.bin", rate=64 << 20),
                server.rate_base(64 << 20) + "same.bin"):
        status, body = get(url)
        assert status == 200
        assert hashlib.sha256(body).hexdigest() == digest


def test_the_rate_path_honours_ranges_and_lists_its_directory(server):
    server.add_file("ranged.bin", 1 << 20)
    status, body = get(server.rate_base(1 << 30) + "ranged.bin",
                       {"Range": "bytes=1000-1999"})
    assert status == 206
    assert body == server.read("ranged.bin", 1000, 1000)
    status, listing = get(server.rate_base(1 << 30))
    assert status == 200 and b'href="ranged.bin"' in listing


def test_an_unknown_path_is_not_served(server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(server.base + "/rate/x/files/ranged.bin")
    assert refused.value.code == 404


def test_https_serves_the_same_bytes_to_a_client_that_trusts_the_certificate(tmp_path):
    cert, key = nginx.self_signed_certificate(str(tmp_path))
    with nginx.Nginx.start(tmp_path / "tls", tls=(cert, key)) as secure:
        assert secure.base.startswith("https://")
        digest = secure.add_file("secret.bin", 1 << 20)
        status, body = get(secure.url("secret.bin"),
                           context=ssl.create_default_context(cafile=cert))
        assert status == 200 and hashlib.sha256(body).hexdigest() == digest
        with pytest.raises(urllib.error.URLError) as refused:
            get(secure.url("secret.bin"))
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
