"""The download server's own promises (nginx.py), before any mount uses them."""
import hashlib
import urllib.error
import urllib.request

import pytest

import nginx


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = nginx.Nginx.start(tmp_path_factory.mktemp("nginx"))
    yield srv
    srv.stop()


def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as answer:
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
