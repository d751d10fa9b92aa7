"""Self-tests of s3_gateway.py: its SigV4 verifier on AWS's published S3 examples, its
refusals (S3's status and XML error for each), and the live gateway in front of s3rver
(listing with continuation tokens, ranged GETs, HEAD, fault injection).

Run: /usr/bin/python3 -m pytest tests/fakes
"""
import calendar
import email.message
import hashlib
import hmac
import http.client
import os
import sys
import time
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakecore  # noqa: E402
import s3_gateway  # noqa: E402
from harness import Fake  # noqa: E402

GATEWAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "s3_gateway.py")
ACCESS_KEY = "AKEXAMPLE0000000000"
SECRET_KEY = "SKEXAMPLE00000000000000000000000000000000"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# The S3 API reference's examples ("Signature Calculations for the Authorization Header").
DOC_KEY, DOC_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_TIME = calendar.timegm((2013, 5, 24, 0, 0, 0))
DOC_HOST = "examplebucket.s3.amazonaws.com"


def offline_request(method, target, headers, body=b""):
    message = email.message.Message()
    for name, value in headers:
        message[name] = value
    return fakecore.Request(method, target, message, body, ("127.0.0.1", 1))


def doc_verifier(now=DOC_TIME, regions=("us-east-1",)):
    return s3_gateway.Verifier({DOC_KEY: DOC_SECRET}, list(regions), lambda: now)


def doc_authorization(signed_headers, signature, key=DOC_KEY, region="us-east-1"):
    return ("AWS4-HMAC-SHA256 Credential=%s/20130524/%s/s3/aws4_request,"
            "SignedHeaders=%s,Signature=%s" % (key, region, signed_headers, signature))


def doc_get_object(signature="f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                   extra=(), **kw):
    return offline_request("GET", "/test.txt", [
        ("Host", DOC_HOST), ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256), ("x-amz-date", "20130524T000000Z"),
        ("Authorization", doc_authorization("host;range;x-amz-content-sha256;x-amz-date",
                                            signature, **kw))] + list(extra))


def refusal_of(verifier, request):
    with pytest.raises(s3_gateway.Refusal) as caught:
        verifier.verify(request)
    response = caught.value.response
    root = ElementTree.fromstring(response.body)
    fields = {child.tag: child.text for child in root}
    assert root.tag == "Error" and fields["RequestId"] and fields["HostId"]
    assert response.content_type == "application/xml"
    return response.status, fields


# -- the verifier on AWS's examples -------------------------------------------------------

def test_documented_get_object_with_range_is_accepted():
    doc_verifier().verify(doc_get_object())


def test_documented_list_objects_and_lifecycle_are_accepted():
    headers = [("Host", DOC_HOST), ("x-amz-content-sha256", EMPTY_SHA256),
               ("x-amz-date", "20130524T000000Z")]
    doc_verifier().verify(offline_request("GET", "/?max-keys=2&prefix=J", headers + [
        ("Authorization", doc_authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))]))
    doc_verifier().verify(offline_request("GET", "/?lifecycle", headers + [
        ("Authorization", doc_authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))]))


def test_documented_put_object_checks_the_payload():
    body = b"Welcome to Amazon S3."
    headers = [("Host", DOC_HOST), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
               ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
               ("x-amz-content-sha256", hashlib.sha256(body).hexdigest()),
               ("x-amz-date", "20130524T000000Z"),
               ("Authorization", doc_authorization(
                   "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                   "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))]
    doc_verifier().verify(offline_request("PUT", "/test%24file.text", headers, body))
    status, fields = refusal_of(doc_verifier(), offline_request(
        "PUT", "/test%24file.text", headers, b"Welcome to Amazon S4."))
    assert (status, fields["Code"]) == (400, "XAmzContentSHA256Mismatch")


def test_a_changed_byte_is_signature_does_not_match():
    status, fields = refusal_of(doc_verifier(), doc_get_object(
        signature="f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb42"))
    assert (status, fields["Code"]) == (403, "SignatureDoesNotMatch")
    assert fields["AWSAccessKeyId"] == DOC_KEY
    assert fields["CanonicalRequest"].startswith("GET\n/test.txt\n\nhost:" + DOC_HOST)
    request = doc_get_object()
    request.headers.replace_header("Range", "bytes=0-10")
    assert refusal_of(doc_verifier(), request)[1]["Code"] == "SignatureDoesNotMatch"


REFUSALS = [
    # (what the request does wrong, status, code)
    ("no_authorization", 403, "AccessDenied"),
    ("unknown_key", 403, "InvalidAccessKeyId"),
    ("skewed", 403, "RequestTimeTooSkewed"),
    ("wrong_region", 400, "AuthorizationHeaderMalformed"),
    ("unsigned_amz_header", 403, "AccessDenied"),
    ("no_content_sha256", 400, "InvalidRequest"),
    ("signature_v2", 400, "InvalidArgument"),
    ("presigned", 403, "AccessDenied"),
    ("bad_date", 403, "AccessDenied"),
]


@pytest.mark.parametrize("mistake,status,code", REFUSALS)
def test_each_refusal_has_s3s_status_and_code(mistake, status, code):
    verifier = doc_verifier()
    request = doc_get_object()
    headers = request.headers
    if mistake == "no_authorization":
        del headers["Authorization"]
    elif mistake == "unknown_key":
        request = doc_get_object(key="AKUNKNOWN")
    elif mistake == "skewed":
        verifier = doc_verifier(now=DOC_TIME + 901)
    elif mistake == "wrong_region":
        verifier = doc_verifier(regions=["kr-standard"])
    elif mistake == "unsigned_amz_header":
        headers["x-amz-meta-note"] = "not signed"
    elif mistake == "no_content_sha256":
        del headers["x-amz-content-sha256"]
    elif mistake == "signature_v2":
        headers.replace_header("Authorization", "AWS %s:frJIUN8DYpKDtOLCwo//yllqDzg=" % DOC_KEY)
    elif mistake == "presigned":
        request = offline_request("GET", "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256",
                                  [("Host", DOC_HOST)])
    elif mistake == "bad_date":
        headers.replace_header("x-amz-date", "yesterday")
    got_status, fields = refusal_of(verifier, request)
    assert (got_status, fields["Code"]) == (status, code)
    if code == "RequestTimeTooSkewed":
        assert fields["MaxAllowedSkewMilliseconds"] == "900000"
        assert fields["RequestTime"] == "20130524T000000Z"
    if mistake == "wrong_region":
        assert fields["Region"] == "kr-standard"


# -- the live gateway ---------------------------------------------------------------------

def sign(method, host, path, query, secret=SECRET_KEY, region="kr-standard", when=None,
         payload=EMPTY_SHA256, extra_headers=()):
    """A minimal independent SigV4 client: headers for one request."""
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when or time.time()))
    day = amz_date[:8]
    headers = dict(extra_headers)
    headers.update({"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload})
    names = sorted(headers)
    canonical_query = "&".join(sorted("%s=%s" % (quote(k, safe="~"), quote(v, safe="~"))
                                      for k, v in query))
    canonical = "\n".join([method, quote(path, safe="/~"), canonical_query,
                           "".join("%s:%s\n" % (n, headers[n]) for n in names),
                           ";".join(names), payload])
    scope = "%s/%s/s3/aws4_request" % (day, region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = s3_gateway.signing_key(secret, day, region, "s3")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                                "Signature=%s" % (ACCESS_KEY, scope, ";".join(names), signature))
    return headers, canonical_query


def s3_request(gateway, method, path, query=(), **kw):
    host = "127.0.0.1:%d" % gateway.port
    headers, canonical_query = sign(method, host, path, query, **kw)
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        target = quote(path, safe="/~") + ("?" + canonical_query if canonical_query else "")
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def installed():
    s3_gateway.ensure_installed()


@pytest.fixture
def gateway(installed, tmp_path):
    scenario = {"accounts": [{"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}],
                "buckets": ["pg-backup"],
                "objects": [{"bucket": "pg-backup", "key": "dbbackupfs/pg orders/%02d" % i,
                             "size": 100 + i, "seed": "obj-%d" % i} for i in range(7)]}
    fake = Fake.start(GATEWAY, scenario, str(tmp_path / "s3"))
    yield fake
    fake.stop()


def list_all(gateway, prefix, page_size):
    keys, token, pages = [], None, 0
    while True:
        query = [("list-type", "2"), ("prefix", prefix), ("max-keys", str(page_size))]
        if token:
            query.append(("continuation-token", token))
        status, _, body = s3_request(gateway, "GET", "/pg-backup", query)
        assert status == 200, body
        pages += 1
        root = ElementTree.fromstring(body)
        ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        keys += [c.find(ns + "Key").text for c in root.findall(ns + "Contents")]
        token = root.findtext(ns + "NextContinuationToken")
        if root.findtext(ns + "IsTruncated") != "true":
            return keys, pages


def test_listing_walks_continuation_tokens(gateway):
    keys, pages = list_all(gateway, "dbbackupfs/pg orders/", 3)
    assert keys == ["dbbackupfs/pg orders/%02d" % i for i in range(7)]
    assert pages == 3
    assert gateway.counters()["by_action"]["ListObjectsV2"] == 3


def test_ranged_get_and_head_serve_the_generated_bytes(gateway):
    expected = s3_gateway.content_bytes("obj-3", 103)
    status, headers, body = s3_request(gateway, "GET", "/pg-backup/dbbackupfs/pg orders/03",
                                       extra_headers=[("range", "bytes=10-19")])
    assert status == 206 and body == expected[10:20]
    assert headers["Content-Range"] == "bytes 10-19/103"
    assert headers["x-amz-request-id"]
    status, headers, body = s3_request(gateway, "HEAD", "/pg-backup/dbbackupfs/pg orders/03")
    assert (status, headers["Content-Length"], body) == (200, "103", b"")


def test_missing_things_are_s3_errors_with_request_ids(gateway):
    status, _, body = s3_request(gateway, "GET", "/pg-backup/nothing")
    root = ElementTree.fromstring(body)
    assert (status, root.findtext("Code")) == (404, "NoSuchKey")
    assert root.findtext("RequestId")
    status, _, body = s3_request(gateway, "GET", "/no-bucket", [("list-type", "2")])
    assert (status, ElementTree.fromstring(body).findtext("Code")) == (404, "NoSuchBucket")


def test_wrong_secret_and_skew_are_refused_before_s3rver(gateway):
    status, _, body = s3_request(gateway, "GET", "/pg-backup", [("list-type", "2")],
                                 secret="SKWRONG")
    assert (status, ElementTree.fromstring(body).findtext("Code")) == \
        (403, "SignatureDoesNotMatch")
    gateway.skew(3600)
    status, _, body = s3_request(gateway, "GET", "/pg-backup", [("list-type", "2")])
    assert (status, ElementTree.fromstring(body).findtext("Code")) == \
        (403, "RequestTimeTooSkewed")


def test_slow_down_fault(gateway):
    gateway.faults([{"kind": "status", "status": 503, "action": "GetObject", "count": 1}])
    status, _, body = s3_request(gateway, "GET", "/pg-backup/dbbackupfs/pg orders/00")
    assert (status, ElementTree.fromstring(body).findtext("Code")) == (503, "SlowDown")
    status, _, body = s3_request(gateway, "GET", "/pg-backup/dbbackupfs/pg orders/00")
    assert status == 200 and body == s3_gateway.content_bytes("obj-0", 100)


def test_control_api_puts_and_lists_objects(gateway):
    put = gateway.control("POST", "objects", {"objects": [
        {"bucket": "other", "key": "a/b.txt", "text": "hello"}]})["put"]
    assert put[0]["size"] == 5
    objects = gateway.control("GET", "objects")["objects"]
    assert {"bucket": "other", "key": "a/b.txt", "size": 5} in objects
    assert len([o for o in objects if o["bucket"] == "pg-backup"]) == 7
    assert gateway.control("GET", "upstream")["url"].startswith("http://127.0.0.1:")


def test_content_is_deterministic_across_chunks():
    size = s3_gateway.CONTENT_CHUNK + 5
    data = s3_gateway.content_bytes("x", size)
    assert len(data) == size and data == s3_gateway.content_bytes("x", size)
    assert data[:100] != s3_gateway.content_bytes("y", 100)
