"""The CloudFront Function decides at the edge as the servers do: its own code, run in Node.js.

tests/edge/load-function.mjs runs the built `viewer-request.js` with the runtime's `cloudfront`
module shimmed (the KeyValueStore from the build's `kvs.json` plus a test secret) and Node's `crypto`;
each test sends it CloudFront viewer-request events and compares its answer (the origin key it lets
through, the login it redirects to, or the refusal) with `access.area_of` and `access.allowed`.
Sessions are the cookies the login function sets (tests/test_cloudfront_login.py holds that side),
made here with the same HMAC. What only CloudFront itself can show (its interpreter, the store's
propagation, the cache) is listed in README.md.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from extranet import access
from extranet.access import Principal, Rule, Table
from extranet.cloudfront import function
from extranet.cloudfront.function import EdgeLimitExceeded

from .conftest import HASH, REPO
from .servers import REMOVED, REVOKED, SECRET, Site, visitors
from .test_access import canonical, normalised, sample, variants

pytestmark = pytest.mark.node

EDGE = REPO / "tests/edge"
ACORN = REPO / ".venv/edge/node_modules/acorn/dist/acorn.mjs"
KVS_ID = "a1b2c3d4-5678-90ab-cdef-test00kvs000"
"""The harness's store id (load-function.mjs DEFAULT_KVS_ID): as long as a real one (a UUID)."""
SHORT_SECRET = "s" * (function.MINIMUM_SECRET - 1)
SAFE = "!*'()"
"""What encodeURIComponent leaves as is besides letters, digits and `-_.~` (quote's own)."""
HEADERS = {"content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"}
PRIVATE = {"cache-control": "private, no-store", "x-robots-tag": "noindex"}


@pytest.fixture(params=["/extranet/", "/"], ids=["sub-path", "root"])
def built(request: pytest.FixtureRequest) -> Site:
    """The demo variant (one user removed, one customer revoked), under `/extranet/` and at `/`."""
    return request.getfixturevalue("site" if request.param == "/extranet/" else "root_site")


def code_of(site: Site) -> Path:
    return site.output / "server/cloudfront" / function.CODE


def kvs_of(site: Site) -> Path:
    return site.output / "server/cloudfront" / function.DATA


def run(site: Site, events: list[dict], secret: str = SECRET) -> list[dict]:
    """The function's answer to each event (CLI mode of load-function.mjs: one JSON line each)."""
    text = "".join(json.dumps(event) + "\n" for event in events)
    done = subprocess.run(["node", str(EDGE / "load-function.mjs"), str(code_of(site)), str(kvs_of(site)), secret],
                          input=text, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(events), done.stderr
    return results


def event(uri: str, query: str = "", headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None,
          kind: str = "viewer-request", response: dict | None = None) -> dict:
    """A CloudFront Functions event (version 1.0), query values as sent (not decoded)."""
    querystring: dict[str, dict] = {}
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        if name in querystring:
            entry = querystring[name]
            entry.setdefault("multiValue", [{"value": entry["value"]}]).append({"value": value})
        else:
            querystring[name] = {"value": value}
    result = {"version": "1.0", "context": {"eventType": kind, "distributionId": "EDFDVBD6EXAMPLE"},
              "viewer": {"ip": "198.51.100.7"},
              "request": {"method": "GET", "uri": uri, "querystring": querystring,
                          "headers": {name.lower(): {"value": value} for name, value in (headers or {}).items()},
                          "cookies": {name: {"value": value} for name, value in (cookies or {}).items()}}}
    if response is not None:
        result["response"] = response
    return result


def session(login: str, secret: str = SECRET, expires: int | None = None) -> dict[str, str]:
    """The cookies the login function sets for `login` (HMAC-SHA256 of "<expiry>:<login>", base64url)."""
    expires = int(time.time()) + 3600 if expires is None else expires
    digest = hmac.new(secret.encode(), f"{expires}:{login}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {"extranet_login": login, "extranet_exp": str(expires), "extranet_sig": signature}


def encoded(path: str) -> str:
    return "/".join(urllib.parse.quote(segment, safe=SAFE) for segment in path.split("/"))


def origin(base: str, path: str) -> str:
    """The key the function lets through for a site path: a directory's index.html."""
    return base + encoded(path) + ("index.html" if path == "" or path.endswith("/") else "")


def expected(site: Site, path: str, principal: Principal | None, uri: str) -> str:
    """What the servers do, in the function's terms: the file, the login (with the page asked for), or 403."""
    if access.allowed(principal, access.area_of(path, site.areas)):
        return "origin " + origin(site.base, path)
    if principal is None:
        return "redirect " + site.base + "login/?next=" + urllib.parse.quote(uri, safe=SAFE)
    return "refused"


def outcome(result: dict, base: str) -> str:
    if "error" in result:
        return "error " + result["error"]
    if "statusCode" in result:
        location = result.get("headers", {}).get("location", {}).get("value", "")
        return f"redirect {location}" if result["statusCode"] == 302 else f"status {result['statusCode']} {location}"
    if result["uri"] == base + function.REFUSED:
        return "refused"
    if result["uri"] == base + function.MISSING:
        return "missing"
    return "origin " + result["uri"]


@dataclasses.dataclass(frozen=True)
class EdgeVisitor:
    """Someone at the edge: the cookies they send, and whom the servers would take them for."""

    name: str
    cookies: dict[str, str]
    principal: Principal | None
    secret: str = SECRET
    """The secret the function's store holds for this visitor's run."""


def edge_visitors(site: Site) -> list[EdgeVisitor]:
    """Each kind of visitor of tests/servers.py `visitors()` with the session a login gave them (the
    removed user and the revoked customer's user still hold one from before the deploy), and the
    sessions that must open nothing: forged, expired, for a login not in the store, signed with a
    secret too short (or absent) in the store."""
    people = []
    for visitor in visitors():
        if visitor.login is None:
            people.append(EdgeVisitor(visitor.name, {}, None))
        elif visitor.name != "wrong password":  # a wrong password never gets a session
            people.append(EdgeVisitor(visitor.name, session(visitor.login), site.principals.get(visitor.login)))
    names = {v.name for v in people}
    assert f"user of {REVOKED}" in names and "removed user" in names and "user of staff" in names
    assert next(v for v in people if v.name == "removed user").cookies["extranet_login"] == REMOVED
    staff = next(p for p in site.principals.values() if p.staff)
    customer = next(p for p in site.principals.values() if not p.staff)
    forged = {**session(customer.login), "extranet_login": staff.login}
    people += [
        EdgeVisitor("forged signature", forged, None),
        EdgeVisitor("signature of another secret", session(staff.login, secret="another-" + SECRET), None),
        EdgeVisitor("expired cookie", session(staff.login, expires=int(time.time()) - 1), None),
        EdgeVisitor("login not in the store", session("nobody.here"), None),
        EdgeVisitor("short secret (staff)", session(staff.login, secret=SHORT_SECRET), None, SHORT_SECRET),
        EdgeVisitor("short secret (customer)", session(customer.login, secret=SHORT_SECRET), None, SHORT_SECRET),
        EdgeVisitor("no secret in the store", session(staff.login, secret=""), None, ""),
    ]
    return people


def test_the_function_decides_every_file_for_every_visitor_as_area_of(built: Site, capsys):
    """Every file of the web root x every kind of visitor: the function lets through exactly the
    files `access.allowed` gives them (as the origin key of that file), sends anyone without a
    session to the login with the page as `next`, and refuses a reader the rule does not admit;
    its own redirects carry the security and private headers."""
    site = built
    files = site.files()
    people = edge_visitors(site)
    cells, mismatches, outcomes = 0, [], set()
    for secret in sorted({v.secret for v in people}):
        batch = [v for v in people if v.secret == secret]
        cases = [(v, path, site.base + encoded(path)) for v in batch for path in files]
        results = run(site, [event(uri, cookies=v.cookies) for v, _, uri in cases], secret)
        for (visitor, path, uri), result in zip(cases, results, strict=True):
            cells += 1
            want, got = expected(site, path, visitor.principal, uri), outcome(result, site.base)
            outcomes.add(got.split(" ")[0])
            if got != want:
                mismatches.append(f"{visitor.name} {path}: expected {want}, got {got}")
            if "statusCode" in result:
                headers = result["headers"]
                missing = HEADERS - set(headers)
                wrong = {name: value for name, value in PRIVATE.items() if headers.get(name, {}).get("value") != value}
                if missing or wrong:
                    mismatches.append(f"{visitor.name} {path}: redirect without {sorted(missing)} {wrong}")
    with capsys.disabled():
        print(f"\ncloudfront function at {site.base}: access matrix: {cells} cells, {len(mismatches)} mismatches")
    assert not mismatches, "\n".join(mismatches[:40])
    assert outcomes == {"origin", "redirect", "refused"}  # each answer was seen: the comparison proved something
    assert cells == len(files) * len(people) >= 12 * 200


def test_every_path_however_written_is_never_more_permissive_than_area_of(built: Site, capsys):
    """The path variants of tests/test_access.py (percent-encoding, case, dot segments, `//`, index.html):
    whatever the function lets through is a file `area_of` gives this reader, at the path the request
    resolves to; the path as a link writes it gets exactly area_of's answer."""
    site = built
    chosen = {"anonymous", "user of staff", "user of elbe-precision", "user of strojirny-labe"}
    people = [v for v in edge_visitors(site) if v.name in chosen]
    assert len(people) == 4
    cases = [(v, path, url) for v in people for path in sample(site.files()) for url in variants(path)]
    results = run(site, [event(site.base + url[1:], cookies=v.cookies) for v, _, url in cases])
    wrong, stricter = [], 0
    for (visitor, path, url), result in zip(cases, results, strict=True):
        got = outcome(result, site.base)
        here = normalised(url)
        if here in access.SERVER_ANSWERED and url == canonical(path):  # the login function's, unchanged
            if got != "origin " + site.base + here:
                wrong.append(f"{visitor.name} {url}: expected the login function, got {got}")
            continue
        if url == canonical(path):
            want = expected(site, here, visitor.principal, site.base + url[1:])
            if got != want:
                wrong.append(f"{visitor.name} {url}: expected {want}, got {got}")
            continue
        if got.startswith("origin "):
            key = urllib.parse.unquote(got.removeprefix("origin " + site.base))
            if (key not in (here, here + "index.html") or not access.allowed(visitor.principal,
                                                                            access.area_of(here, site.areas))
                    or not access.allowed(visitor.principal, access.area_of(key, site.areas))):
                wrong.append(f"{visitor.name} {url}: let through {got} (resolves to {here})")
        elif got == f"status 301 {site.base}{encoded(here)}/":  # a directory without its final slash, as nginx
            stricter += access.allowed(visitor.principal, access.area_of(here, site.areas))
        elif got in ("missing", "refused") or got.startswith(f"redirect {site.base}login/?next="):
            stricter += access.allowed(visitor.principal, access.area_of(here, site.areas))
        else:
            wrong.append(f"{visitor.name} {url}: {got}")
    with capsys.disabled():
        print(f"\ncloudfront function at {site.base}: path variants: {len(cases)} requests, {len(wrong)} mismatches, "
              f"{stricter} refused, redirected or missing where area_of would allow")
    assert not wrong, "\n".join(wrong[:60])


def test_login_and_logout_go_to_the_login_function_with_the_credentials_moved(site: Site):
    """Origin Access Control signs the request to the login function with the Authorization header,
    so the viewer's credentials travel as x-extranet-authorization; nothing else is changed, and the
    two paths are taken only as written (the login function's behaviours match them so)."""
    basic = "Basic " + base64.b64encode(b"someone:secret").decode()
    events = [event(site.base + path, "next=%2Fextranet%2Freleases%2F", {"Authorization": basic,
                                                                            "X-Requested-With": "extranet-login"})
              for path in access.SERVER_ANSWERED]
    events += [event(site.base + path) for path in access.SERVER_ANSWERED]
    events += [event(site.base + "log%69n/", headers={"Authorization": basic}), event(site.base + "LOGIN/"),
               event(site.base + "login//"), event(site.base + "login/./")]
    results = run(site, events)
    for path, result in zip(access.SERVER_ANSWERED, results[:2], strict=True):
        assert result["uri"] == site.base + path
        assert "authorization" not in result["headers"]
        assert result["headers"]["x-extranet-authorization"] == {"value": basic}
        assert result["headers"]["x-requested-with"] == {"value": "extranet-login"}
        assert result["querystring"] == {"next": {"value": "%2Fextranet%2Freleases%2F"}}
    for path, result in zip(access.SERVER_ANSWERED, results[2:4], strict=True):
        assert result["uri"] == site.base + path and result["headers"] == {}
    assert outcome(results[4], site.base) == "missing"
    assert results[4]["headers"] == {"authorization": {"value": basic}}  # not passed on: it goes nowhere
    assert outcome(results[5], site.base).startswith(f"redirect {site.base}login/?next=")  # a page like any other
    assert [outcome(r, site.base) for r in results[6:]] == ["missing", "missing"]


def test_nothing_outside_the_base_path_reaches_the_bucket(site: Site):
    """Under `/extranet/`: other paths get the site's 404 (a key no upload holds), logged in or not;
    the base without its final slash is redirected to it."""
    assert site.base == "/extranet/"
    staff = next(v for v in edge_visitors(site) if v.name == "user of staff")
    paths = ["/", "/index.html", "/releases/", "/staff/", "/login/", "/EXTRANET/releases/", "/extranetreleases/",
             "/x/extranet/", "/extranet/../releases/", "/extranet/%2e%2e/releases/", "/extranet/%zz/",
             "/extranet/a%00b/", "/extranet/%C0%AF/"]
    for cookies in ({}, staff.cookies):
        results = run(site, [event(path, cookies=cookies) for path in paths])
        assert [outcome(r, site.base) for r in results] == ["missing"] * len(paths)
    result = run(site, [event("/extranet")])[0]
    assert (result["statusCode"], result["headers"]["location"]["value"]) == (301, "/extranet/")
    assert HEADERS <= set(result["headers"])


def test_the_login_redirect_names_the_page_asked_for_with_its_query(site: Site):
    """As nginx's `$extranet_next`: the request's path and query as received, percent-encoded."""
    result = run(site, [event("/extranet/releases/", "a=1&b=x%20y&a=2")])[0]
    assert result["statusCode"] == 302
    assert result["headers"]["location"]["value"] == (
        "/extranet/login/?next=" + urllib.parse.quote("/extranet/releases/?a=1&a=2&b=x%20y", safe=SAFE))


def test_viewer_response_marks_exactly_the_non_public_rules_private(built: Site):
    """The same code on the viewer-response event adds `Cache-Control: private, no-store` and
    `X-Robots-Tag: noindex` to whatever a non-public rule covers, and nothing to public files; for the
    request's path as the viewer sent it and as the function rewrote it."""
    site = built
    files = site.files()
    response = {"statusCode": 200, "statusDescription": "OK", "headers": {"content-type": {"value": "text/html"}}}
    uris = [(path, uri) for path in files for uri in {site.base + encoded(path), origin(site.base, path)}]
    uris += [(None, site.base + function.REFUSED), (None, site.base + function.MISSING), (None, "/elsewhere/")]
    results = run(site, [event(uri, kind="viewer-response", response=response) for _, uri in uris])
    wrong, private = [], 0
    for (path, uri), result in zip(uris, results, strict=True):
        public = path is not None and access.area_of(path, site.areas).audience == access.PUBLIC
        headers = result["headers"]
        marked = all(headers.get(name) == {"value": value} for name, value in PRIVATE.items())
        if marked == public or headers.get("content-type") != {"value": "text/html"}:
            wrong.append(f"{uri}: public {public}, headers {headers}")
        if not public and path is not None:
            assert not any(name in headers for name in PRIVATE) or marked
        private += marked
    assert not wrong, "\n".join(wrong[:40])
    assert 0 < private < len(uris)


# --- the store's data ---------------------------------------------------------------------------


def test_the_store_holds_the_rule_table_and_who_is_who_never_a_secret_or_hash(site: Site):
    data = json.loads(kvs_of(site).read_text(encoding="utf-8"))["data"]
    keys = [entry["key"] for entry in data]
    assert keys == sorted(keys) and len(keys) == len(set(keys))
    store = {entry["key"]: entry["value"] for entry in data}
    table = access.table(site.areas)
    assert {k: v for k, v in store.items() if k[0] in "=^"} == function.rule_entries(table)
    assert store["^"] == "customers"
    assert store["^customers/elbe-precision/"] == "customer:elbe-precision"
    assert store["^staff/"] == "staff" and store["=index.html"] == "public" and store["^assets/"] == "public"
    users = {k[1:]: v for k, v in store.items() if k.startswith("@")}
    assert users == {p.login: "*" if p.staff else p.customer for p in site.principals.values()}
    assert REMOVED not in users and REVOKED not in users.values()
    assert function.SECRET_KEY not in store
    text = kvs_of(site).read_text(encoding="utf-8")
    assert "$2b$" not in text and SECRET not in text


def test_the_code_holds_no_rule_no_user_and_the_store_marker_once(site: Site):
    code = code_of(site).read_text(encoding="utf-8")
    assert code.count(function.KVS_MARKER) == 1
    assert f"cf.kvs('{function.KVS_MARKER}')" in code
    assert "${" not in code and "`" not in code
    for principal in site.principals.values():
        assert principal.login not in code
    assert "elbe-precision" not in code and "customers/" not in code


def test_the_same_inputs_give_the_same_files(site: Site):
    from extranet.building import validate

    extranet = validate(site.root / "mkdocs.yml")
    table, people = access.table(site.areas), access.principals(extranet)
    first = function.files(extranet, table, people, site.root / "site_templates", site.base)
    second = function.files(extranet, table, tuple(reversed(people)), site.root / "site_templates", site.base)
    assert first == second
    assert first[f"cloudfront/{function.DATA}"] == kvs_of(site).read_text(encoding="utf-8")


# --- CloudFront's limits ------------------------------------------------------------------------


def test_the_code_fits_cloudfronts_size_limit(site: Site, capsys):
    """The code as CloudFront receives it (the marker replaced by the store's id, a UUID) within 10 KB."""
    code = code_of(site).read_text(encoding="utf-8")
    size = len(code.replace(function.KVS_MARKER, KVS_ID).encode("utf-8"))
    with capsys.disabled():
        print(f"\ncloudfront function: {size} bytes of code, limit {function.CODE_LIMIT}")
    assert function.CODE_LIMIT == 10240
    assert size <= function.CODE_LIMIT


def features(code: str) -> list[str]:
    done = subprocess.run(["node", str(EDGE / "runtime-features.mjs"), str(ACORN)], input=code, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["problems"]


def test_the_code_uses_only_what_the_runtime_documents(site: Site):
    """Parsed by acorn as ECMAScript 2017 and every node checked against cloudfront-js-2.0's documented
    features (tests/edge/runtime-features.mjs says which and why); `node --check` alone would accept
    any syntax Node knows."""
    assert ACORN.is_file(), "acorn is not installed: run make .venv/.test"
    assert features(code_of(site).read_text(encoding="utf-8")) == []


RUNTIME_CASES = [
    ("class A {}", "ClassDeclaration at line 1 is not in the runtime's documented features"),
    ("for (const x of []) {}", "ForOfStatement at line 1 is not in the runtime's documented features"),
    ("var a = [...b];", "SpreadElement at line 1 is not in the runtime's documented features"),
    ("var {a} = b;", "ObjectPattern at line 1 is not in the runtime's documented features"),
    ("var a = `x`;", "TemplateLiteral at line 1 is not in the runtime's documented features"),
    ("var a = 'x${y}';", "the code holds `${`"),
    ("function f(a = 1) {}", "AssignmentPattern at line 1 is not in the runtime's documented features"),
    ("function* g() {}", "a generator at line 1"),
    ("var a = b?.c;", "does not parse as ECMAScript 2017: Unexpected token (1:10)"),
    ("var a = {...b};", "does not parse as ECMAScript 2017: Unexpected token (1:9)"),
    ("var f = async () => 1;", "an async closure at line 1 (only top-level async functions)"),
    ("import fs from 'fs';", "an import of fs at line 1"),
    ("var o = {a};", "a shorthand, method, computed or accessor property at line 1"),
    ("var r = /x/s;", "does not parse as ECMAScript 2017: Invalid regular expression flag (1:9)"),
    ("setTimeout(handler, 1);", "setTimeout at line 1 is neither declared nor a global of the runtime"),
    ("var r = fetch('https://example.com/');", "fetch at line 1 is neither declared nor a global of the runtime"),
    ("var fs = require('fs');", "require at line 1 is neither declared nor a global of the runtime"),
    ("var f = new Function('return 1');", "Function at line 1 is neither declared nor a global of the runtime"),
]


@pytest.mark.parametrize(("code", "problem"), RUNTIME_CASES, ids=[case[1][:40] for case in RUNTIME_CASES])
def test_the_runtime_check_refuses_what_the_runtime_lacks(code: str, problem: str):
    assert problem in features(code)


def rows(*rules: Rule) -> Table:
    return Table(tuple(rules), Rule("", False, access.CUSTOMERS))


def person(login: str, customer: str | None = None) -> Principal:
    return Principal(login, "Name", HASH, customer)


LONG_PATH = "a" * 599 + "/"
LONG_LOGIN = "u" * 600
LONG_ID = "c" * 1100
LIMIT_CASES = [
    (lambda: function.rule_entries(rows(Rule(LONG_PATH, False, access.STAFF)))),
    (lambda: function.rule_entries(rows(Rule("a" * 505 + "/é.html", True, access.PUBLIC)))),
    (lambda: function.user_entries([person(LONG_LOGIN)])),
    (lambda: function.user_entries([person("u", LONG_ID)])),
    (lambda: function.rule_entries(rows(Rule("c/", False, access.CUSTOMER, LONG_ID)))),
    (lambda: function.data(function.user_entries([person(f"{n:06}" + "u" * 400, "acme") for n in range(12000)]))),
]
LIMIT_MESSAGES = [
    f"the path /{LONG_PATH} makes a KeyValueStore key of 601 bytes; CloudFront allows 512: shorten it",
    f"the path /{'a' * 505}/é.html makes a KeyValueStore key of 514 bytes; CloudFront allows 512: shorten it",
    f"the login '{LONG_LOGIN}' makes a KeyValueStore key of 601 bytes; CloudFront allows 512: shorten it",
    f"the login 'u' has a KeyValueStore value of 1100 bytes ({'c' * 40}…); CloudFront allows 1024: "
    "shorten the customer's id",
    f"the path /c/ has a KeyValueStore value of 1109 bytes (customer:{'c' * 31}…); CloudFront allows 1024: "
    "shorten the customer's id",
    "the KeyValueStore data is 5244109 bytes (with the session secret); CloudFront allows 5000000 per store: "
    "fewer users or access rules",
]


@pytest.mark.parametrize(("make", "message"), list(zip(LIMIT_CASES, LIMIT_MESSAGES, strict=True)),
                         ids=["prefix path", "exact path (UTF-8)", "login", "customer id (user)",
                              "customer id (rule)", "whole store"])
def test_what_cloudfront_would_refuse_fails_the_build_with_the_limit_named(make, message: str):
    with pytest.raises(EdgeLimitExceeded) as raised:
        make()
    assert str(raised.value) == message


def test_a_function_template_beyond_10_kb_fails_the_build(tmp_path: Path):
    override = tmp_path / "site_templates/servers/cloudfront/viewer-request.js.j2"
    override.parent.mkdir(parents=True)
    override.write_text("// " + "x" * 10300 + "\n", encoding="utf-8")
    with pytest.raises(EdgeLimitExceeded) as raised:
        function.code(tmp_path / "site_templates", "/")
    assert str(raised.value) == ("viewer-request.js is 10304 bytes; CloudFront Functions allow 10240 bytes of code "
                                 "(site_templates/servers/cloudfront/viewer-request.js.j2)")


def test_the_limits_are_the_documented_numbers():
    assert (function.CODE_LIMIT, function.KEY_LIMIT, function.VALUE_LIMIT, function.STORE_LIMIT) == (
        10 * 1024, 512, 1024, 5_000_000)


# --- the harness itself (tests/edge/load-function.mjs, which the emulator uses too) ----------------

HARNESS_SCRIPT = """
import { loadFunction } from %s;
const results = {};
const attempt = (name, code, options) => {
  try { loadFunction(code, options); results[name] = 'loaded'; } catch (e) { results[name] = e.message; }
};
attempt('fs', "import fs from 'fs';\\nasync function handler(e) { return e; }");
attempt('other store', "import cf from 'cloudfront';\\nvar s = cf.kvs('another-id');\\nasync function handler(e) { return e; }",
        {kvsId: 'the-id'});
attempt('no handler', "var x = 1;");
const handler = loadFunction(`import cf from 'cloudfront';
import crypto from 'crypto';
var store = cf.kvs('__EXTRANET_KVS_ID__');
async function handler(event) {
    var out = {};
    try { await store.get('absent'); out.absent = 'resolved'; } catch (e) { out.absent = 'rejected'; }
    out.value = await store.get('k');
    out.json = await store.get('j', {format: 'json'});
    out.bytes = (await store.get('k', {format: 'bytes'})).length;
    out.exists = [await store.exists('k'), await store.exists('absent')];
    out.globals = [typeof setTimeout, typeof require, typeof process, typeof fetch];
    out.strict = (function () { return this === undefined; })();
    out.hmac = crypto.createHmac('sha256', 'key').update('message').digest('base64url');
    return out;
}`, {kvs: {k: 'valüe', j: '{"a": [1]}'}, kvsId: 'the-id'});
results.run = await handler({});
results.calls = handler.kvsCalls;
console.log(JSON.stringify(results));
"""


def test_the_harness_answers_as_cloudfronts_runtime():
    """The stand-in of the `cloudfront` module answers as the documentation says (get rejects an
    absent key, formats string, json and bytes, exists), only for the store's id (the marker is
    replaced by it); no module but cloudfront and crypto; strict mode; no Node-only globals."""
    script = HARNESS_SCRIPT % json.dumps((EDGE / "load-function.mjs").as_uri())
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    digest = base64.urlsafe_b64encode(hmac.new(b"key", b"message", hashlib.sha256).digest()).rstrip(b"=").decode()
    assert json.loads(done.stdout) == {
        "fs": "the function imports fs: CloudFront Functions offer only cloudfront, crypto",
        "other store": 'no key value store "another-id" is associated with the function',
        "no handler": "the function defines no handler",
        "run": {"absent": "rejected", "value": "valüe", "json": {"a": [1]}, "bytes": 6, "exists": [True, False],
                "globals": ["undefined"] * 4, "strict": True, "hmac": digest},
        "calls": ["the-id"],
    }
