"""Signed download links: S3 SigV4 presigned URLs and CloudFront signed URLs, checked independently.

The S3 signature is recomputed here from the SigV4 specification (hashlib and hmac, no boto), after
that implementation reproduces the worked example of AWS's documentation; the CloudFront signature
is verified with the public key (cryptography). These tests check signatures and policies offline;
what a real endpoint does with them (expiry, refusal) needs an S3 server, which comes separately.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from extranet.cli import main
from extranet.storage import CloudFrontStorage, LinkError, S3Storage

ACCESS, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS documentation's example
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def sigv4_query_signature(url: str, secret: str) -> str:
    """SigV4 for a presigned GET, from the specification: canonical request, string to sign, key."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "X-Amz-Signature"]
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query))
    canonical = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"])
    params = dict(query)
    date, region, service, _ = params["X-Amz-Credential"].split("/")[1:]
    to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], f"{date}/{region}/{service}/aws4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_the_independent_sigv4_reproduces_aws_documentation():
    url = ("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
           "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host")
    assert sigv4_query_signature(url, SECRET) == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:9000"])
def test_s3_link_is_signed_for_now_expires_and_saves_under_its_name(aws, endpoint):
    bucket = S3Storage("extranet-artifacts", "eu-central-1", 3600, endpoint, "path" if endpoint else "auto")
    url = bucket.presign("9.3.0/intouch-crm-9.3.0-linux-x64.tar.gz", NOW, "intouch-crm-9.3.0-linux-x64.tar.gz")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["X-Amz-Date"] == "20261123T110000Z"
    assert params["X-Amz-Expires"] == "3600"
    assert params["response-content-disposition"] == 'attachment; filename="intouch-crm-9.3.0-linux-x64.tar.gz"'
    assert urlsplit(url).path.endswith("/9.3.0/intouch-crm-9.3.0-linux-x64.tar.gz")
    assert sigv4_query_signature(url, SECRET) == params["X-Amz-Signature"]
    assert sigv4_query_signature(url, SECRET[:-1] + "X") != params["X-Amz-Signature"]


def test_s3_lifetime_beyond_seven_days_is_refused():
    with pytest.raises(LinkError, match=r"^link lifetime 604801 s is beyond SigV4's limit of 604800 s \(7 days\)$"):
        S3Storage("b", "eu-central-1", 7 * 24 * 3600 + 1)


def test_extranet_link_prints_one_signed_url(aws, capsys):
    assert main(["link", "--backend", "s3", "--bucket", "extranet-artifacts", "--key", "9.3.0/a.zip",
                 "--region", "eu-central-1", "--expires", "600", "--now", "2026-11-23T12:00:00+01:00"]) == 0
    out, err = capsys.readouterr()
    url = out.strip()
    assert "\n" not in url and err == ""
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"] == sigv4_query_signature(url, SECRET)


def test_extranet_link_without_credentials_says_so(monkeypatch, capsys, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["link", "--backend", "s3", "--bucket", "b", "--key", "k", "--region", "eu-central-1",
                 "--expires", "60"]) == 1
    assert capsys.readouterr().err == "extranet link: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n"


def test_cloudfront_url_verifies_with_the_public_key_and_carries_the_policy():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    storage = CloudFrontStorage("https://downloads.example.com/", 86400, "K2JCJMDEHXQW5F", pem)
    expires = NOW + dt.timedelta(days=1)
    url = storage.sign("https://downloads.example.com/9.3.0/a.zip", expires)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["Key-Pair-Id"] == "K2JCJMDEHXQW5F"
    assert params["Expires"] == str(int(expires.timestamp()))
    policy = json.dumps({"Statement": [{"Resource": "https://downloads.example.com/9.3.0/a.zip",
                                        "Condition": {"DateLessThan": {"AWS:EpochTime": int(expires.timestamp())}}}]},
                        separators=(",", ":"))
    signature = base64.b64decode(params["Signature"].replace("-", "+").replace("_", "=").replace("~", "/"))
    key.public_key().verify(signature, policy.encode(), padding.PKCS1v15(), hashes.SHA1())  # raises if wrong
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Exception):  # noqa: B017: cryptography's InvalidSignature
        other.public_key().verify(signature, policy.encode(), padding.PKCS1v15(), hashes.SHA1())
