"""The CloudFront emulator itself (tests/edge/): it does what its comments say CloudFront does.

The access tests trust the emulator to stand for a distribution; here a tiny hand-made template,
function and login function (no product file) pin each thing it emulates: the viewer-request event
as documented, a generated response sent as is, the bucket behind OAC (its Deny prefix, 404 or 403
for a missing key by ListBucket), the custom error pages, viewer-response only below 400, the
response headers policy, and what reaches the function URL (the origin request policy's headers,
never the viewer's Authorization).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import edge
from .servers import Server, stop

pytestmark = pytest.mark.node

FUNCTION = """\
import cf from 'cloudfront';
var kvs = cf.kvs('__EXTRANET_KVS_ID__');
async function handler(event) {
  var request = event.request;
  if (event.context.eventType === 'viewer-response') {
    event.response.headers['x-viewer-response'] = {value: request.uri};
    return event.response;
  }
  if (request.uri === '/generated') {
    return {statusCode: 418, statusDescription: 'Teapot', headers: {'x-from': {value: 'function'}},
            cookies: {c: {value: 'v', attributes: 'Path=/; Max-Age=0'}}, body: 'tea'};
  }
  if (request.uri === '/echo/%41b') {
    var seen = {uri: request.uri, method: request.method, querystring: request.querystring, headers: request.headers,
                cookies: request.cookies, ip: event.viewer.ip, type: event.context.eventType,
                secret: await kvs.get('secret'), rule: await kvs.get('=a')};
    return {statusCode: 200, statusDescription: 'OK', headers: {}, body: JSON.stringify(seen)};
  }
  if (request.uri === '/refused') {
    request.uri = '/.refused/403';
  }
  return request;
}
"""

LOGIN = """\
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "cookies": ["a=1; Path=/", "b=2; Path=/; HttpOnly"], "body": json.dumps(event)}
"""

POLICY = {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": {
    "Name": "headers", "SecurityHeadersConfig": {"FrameOptions": {"FrameOption": "DENY", "Override": True},
                                                 "ContentTypeOptions": {"Override": True}},
    "CustomHeadersConfig": {"Items": [{"Header": "Cache-Control", "Value": "no-cache", "Override": False}]}}}}
ASSOCIATIONS = [{"EventType": kind, "FunctionARN": {"Fn::GetAtt": ["Function", "FunctionARN"]}}
                for kind in ("viewer-request", "viewer-response")]


def template(listing: bool) -> dict:
    allow = ["s3:GetObject", "s3:ListBucket"] if listing else "s3:GetObject"
    return {"Parameters": {"Extra": {"Type": "String", "Default": ""}},
            "Conditions": {"HasExtra": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Extra"}, ""]}]}},
            "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {
            "Statement": [
                {"Effect": "Allow", "Action": allow, "Principal": {"Service": "cloudfront.amazonaws.com"},
                 "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "${Bucket.Arn}/*"}],
                 "Condition": {"StringEquals": {"AWS:SourceArn": "arn:distribution"}}},
                {"Effect": "Deny", "Action": "s3:GetObject", "Principal": "*",
                 "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/.refused/*"]]}},
                {"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Resource": {"Fn::Sub": "${Bucket.Arn}/*"},
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "Function": {"Type": "AWS::CloudFront::Function"},
        "LoginUrl": {"Type": "AWS::Lambda::Url"},
        "Headers": POLICY,
        "Forward": {"Type": "AWS::CloudFront::OriginRequestPolicy", "Properties": {"OriginRequestPolicyConfig": {
            "Name": "forward", "CookiesConfig": {"CookieBehavior": "all"},
            "QueryStringsConfig": {"QueryStringBehavior": "all"},
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["x-allowed", "authorization"]}}}},
        "Distribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Origins": [
                {"Id": "bucket", "DomainName": {"Fn::GetAtt": ["Bucket", "RegionalDomainName"]},
                 "S3OriginConfig": {}},
                {"Id": "login", "DomainName": {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": [
                    "LoginUrl", "FunctionUrl"]}]}]}, "CustomOriginConfig": {}},
                {"Fn::If": ["HasExtra", {"Id": "extra", "DomainName": {"Ref": "Extra"}}, {"Ref": "AWS::NoValue"}]}],
            "DefaultCacheBehavior": {"TargetOriginId": "bucket", "ResponseHeadersPolicyId": {"Ref": "Headers"},
                                     "FunctionAssociations": ASSOCIATIONS},
            "CacheBehaviors": [
                {"PathPattern": "/fn/*", "TargetOriginId": "login", "OriginRequestPolicyId": {"Ref": "Forward"},
                 "ResponseHeadersPolicyId": {"Ref": "Headers"}, "FunctionAssociations": ASSOCIATIONS[:1]},
                {"Fn::If": ["HasExtra", {"PathPattern": "/x/*", "TargetOriginId": "extra"},
                            {"Ref": "AWS::NoValue"}]}],
            "CustomErrorResponses": [
                {"ErrorCode": 403, "ResponseCode": 403, "ResponsePagePath": "/403.html"},
                {"ErrorCode": 404, "ResponseCode": 404, "ResponsePagePath": "/404.html"}]}}}}}


def launch(directory: Path, listing: bool) -> Server:
    directory.mkdir()
    site = directory / "site"
    for name, text in (("page.html", "<p>page</p>"), ("403.html", "refused page"), ("404.html", "missing page"),
                       ("data.bin", "bytes"), (".refused/403", "never served")):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (directory / "template.json").write_text(json.dumps(template(listing)))
    (directory / "function.js").write_text(FUNCTION)
    (directory / "kvs.json").write_text(json.dumps({"data": [{"key": "=a", "value": "public"}]}))
    (directory / "objects.json").write_text(json.dumps({
        "page.html": {"content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=0"}}))
    (directory / "package").mkdir()
    (directory / "package/index.py").write_text(LOGIN)
    return edge.launch(directory, directory / "template.json", directory / "function.js", directory / "kvs.json",
                       site, "", directory / "objects.json", directory / "package", "s" * 40)


@pytest.fixture(scope="module")
def distribution(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = launch(tmp_path_factory.mktemp("emulator") / "listing", listing=True)
    try:
        yield server
    finally:
        stop(server)


def test_the_viewer_request_event_is_the_documented_structure(distribution: Server):
    """uri as received (not decoded, no query); repeated names as multiValue; lowercase header names;
    cookies apart from headers; the viewer's address; the KeyValueStore with the secret put in."""
    status, _, body = distribution.request("/echo/%41b?a=1&a=2&b=%20&c", {"X-Test": "v", "Cookie": "k=1; l=2; k=3"},
                                           source="127.0.0.7")
    seen = json.loads(body)
    assert status == 200
    assert (seen["uri"], seen["method"], seen["ip"], seen["type"]) == ("/echo/%41b", "GET", "127.0.0.7",
                                                                       "viewer-request")
    assert seen["querystring"] == {"a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]},
                                   "b": {"value": "%20"}, "c": {"value": ""}}
    assert seen["cookies"] == {"k": {"value": "1", "multiValue": [{"value": "1"}, {"value": "3"}]},
                               "l": {"value": "2"}}
    assert seen["headers"]["x-test"] == {"value": "v"} and "cookie" not in seen["headers"]
    assert (seen["secret"], seen["rule"]) == ("s" * 40, "public")


def test_a_generated_response_goes_out_as_the_function_made_it(distribution: Server):
    status, headers, body = distribution.request("/generated")
    assert (status, body, headers["x-from"]) == (418, b"tea", "function")
    assert headers["set-cookie"] == "c=v; Path=/; Max-Age=0"
    assert "x-frame-options" not in headers and "x-viewer-response" not in headers  # no policy, no viewer-response


def test_an_object_gets_its_stored_headers_the_viewer_response_and_the_policy(distribution: Server):
    status, headers, body = distribution.request("/page.html")
    assert (status, body) == (200, b"<p>page</p>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "public, max-age=0"  # the policy's own does not override it
    assert (headers["x-frame-options"], headers["x-content-type-options"]) == ("DENY", "nosniff")
    assert headers["x-viewer-response"] == "/page.html"
    status, headers, _ = distribution.request("/data.bin")  # no stored headers: by extension; the policy's
    assert (status, headers["content-type"], headers["cache-control"]) == (200, "application/octet-stream", "no-cache")


@pytest.mark.parametrize("path, status, body", [
    ("/refused", 403, b"refused page"),  # the bucket policy's Deny prefix
    ("/.refused/403", 403, b"refused page"),
    ("/nothing.html", 404, b"missing page"),  # ListBucket granted: a missing key is 404
    ("/page.html/", 404, b"missing page"),  # a key is a string: no such key
    ("/a//page.html", 404, b"missing page"),
    ("/x/../page.html", 404, b"missing page"),
    ("/%ZZ", 400, None),  # S3 refuses a key that is no percent-encoding: 400 has no error page here
])
def test_errors_get_the_custom_error_page_without_the_viewer_response(distribution: Server, path: str, status: int,
                                                                       body: bytes | None):
    got, headers, content = distribution.request(path, raw=True)
    assert got == status
    assert content == body if body is not None else b"page" not in content
    assert "x-viewer-response" not in headers  # CloudFront runs no viewer-response for 400 and more
    assert headers["x-frame-options"] == "DENY"


def test_the_function_url_gets_the_policys_headers_but_never_the_viewers_authorization(distribution: Server):
    """OAC signs the request to the function URL: the viewer's Authorization is replaced, even where
    the origin request policy names it; other headers only if the policy names them."""
    status, headers, body = distribution.request(
        "/fn/login/?next=%2Fa&b=1", {"Authorization": "Basic eDp5", "X-Allowed": "yes", "X-Other": "no",
                                     "Cookie": "s=1; t=2"})
    event = json.loads(body)
    assert status == 200
    assert (event["version"], event["rawPath"], event["rawQueryString"]) == ("2.0", "/fn/login/", "next=%2Fa&b=1")
    assert event["queryStringParameters"] == {"next": "/a", "b": "1"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["headers"].get("x-allowed") == "yes"
    assert "authorization" not in event["headers"] and "x-other" not in event["headers"]
    assert headers["set-cookie"].splitlines() == ["a=1; Path=/", "b=2; Path=/; HttpOnly"]
    assert headers["x-frame-options"] == "DENY"


def test_without_list_bucket_a_missing_key_is_403(tmp_path: Path):
    """S3 answers 403, not 404, for a missing key when the reader may not list the bucket."""
    server = launch(tmp_path / "no-listing", listing=False)
    try:
        assert server.request("/nothing.html")[::2] == (403, b"refused page")
        assert server.request("/page.html")[0] == 200
    finally:
        stop(server)
