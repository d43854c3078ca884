"""The CloudFront target's login function, run here: the built `server/cloudfront/login/index.py`
imported as the Lambda runtime imports it, called with function URL events (payload format 2.0)
against the demo's credentials (one user removed, one customer revoked: tests/servers.py).

What only AWS can show (the function URL behind Origin Access Control, the WAF rate rule) is not
here; the rules it shares with nginx, Apache and Caddy are, value for value."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import importlib.metadata
import importlib.util
import io
import json
import os
import statistics
import time
import types
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from extranet import escaping, servers
from extranet.building import validate
from extranet.cloudfront import login as cf_login

from .conftest import REPO
from .servers import CREDENTIALS, REMOVED, REVOKED, SECRET, Site
from .test_login import LOGIN_PAGE_CASES, PAGES, VALUES, basic, under

LIFETIME = 8 * 3600
"""Seconds a session lasts, as the issue states it (servers.SESSION_LIFETIME)."""
PRODUCT = "InTouch CRM Enterprise"
"""The demo vendor's product (customers.yaml): the realm is `<product> extranet`."""
SECURITY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex",
}
"""The headers on every answer of the login function (headers.j2's security and private headers)."""
HTML = "text/html,application/xhtml+xml"


def load(directory: Path, name: str, pages: Path | None = None) -> types.ModuleType:
    """The function's `index.py` in `directory`, imported as the runtime does, with its own module
    state (a cold start); `pages` replaces its packaged pages (EXTRANET_LOGIN_PAGES)."""
    previous = os.environ.pop("EXTRANET_LOGIN_PAGES", None)
    if pages is not None:
        os.environ["EXTRANET_LOGIN_PAGES"] = str(pages)
    try:
        spec = importlib.util.spec_from_file_location(name, directory / "index.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        os.environ.pop("EXTRANET_LOGIN_PAGES", None)
        if previous is not None:
            os.environ["EXTRANET_LOGIN_PAGES"] = previous


@pytest.fixture(scope="module")
def function(site: Site) -> types.ModuleType:
    """The built function, serving the web root's pages (the package's `pages/` hold the same files)."""
    return load(site.output / "server/cloudfront/login", "extranet_login_function", site.web_root)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("EXTRANET_SECRET_ARN", raising=False)
    monkeypatch.setenv("EXTRANET_SESSION_SECRET", SECRET)
    return SECRET


def event(path: str, query: str = "", headers: dict[str, str] | None = None) -> dict:
    """A function URL event (payload format 2.0) as CloudFront's origin request makes it."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"host": "abc.lambda-url.us-east-1.on.aws", **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": {"http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"}},
        "isBase64Encoded": False,
    }


def call(function: types.ModuleType, site: Site, path: str, query: str = "", headers: dict[str, str] | None = None):
    """The function's answer to `<base><path>?<query>`; `path` is site-relative."""
    response = function.handler(event(site.base + path, query, headers), None)
    assert set(response) == {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}
    assert response["isBase64Encoded"] is False and isinstance(response["body"], str)
    return response


def login_headers(login: str, password: str, **more: str) -> dict[str, str]:
    """As the viewer-request function forwards a login: the credentials moved to x-extranet-authorization."""
    return {"x-extranet-authorization": basic(login, password), **more}


def cookies(response: dict) -> dict[str, str]:
    """Each Set-Cookie line by its cookie name."""
    return {line.split("=", 1)[0]: line for line in response["cookies"]}


def value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


def hmac_signature(secret: str, expires: str, login: str) -> str:
    """The signature as the design defines it, computed here on its own."""
    digest = hmac.new(secret.encode(), f"{expires}:{login}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def attributes(base: str, max_age: int, script: bool = False) -> str:
    return f"; Path={base}{'' if script else '; HttpOnly'}; Secure; SameSite=Lax; Max-Age={max_age}"


# --- Logging in --------------------------------------------------------------------------------

def test_every_demo_user_logs_in_with_a_session_the_edge_can_check(function, site: Site, secret: str):
    """Every user of customers.yaml gets the four cookies (the signature checked here with the secret)
    and lands on their own page; a removed user and a revoked customer's users are refused like a
    wrong password."""
    extranet = validate(site.root / "mkdocs.yml")
    revoked = {c["login"] for c in CREDENTIALS if c["customer"] == REVOKED}
    assert revoked and REMOVED not in revoked
    problems = []
    for entry in CREDENTIALS:
        before = int(time.time())
        response = call(function, site, "login/", headers=login_headers(entry["login"], entry["password"]))
        after = int(time.time())
        if entry["login"] == REMOVED or entry["login"] in revoked:
            if response["statusCode"] != 401 or response["cookies"]:
                problems.append(f"{entry['login']}: {response['statusCode']} {response['cookies']}")
            continue
        principal = site.principals[entry["login"]]
        got = cookies(response)
        expires = value(got["extranet_exp"])
        expected = {
            "extranet_login": f"extranet_login={entry['login']}{attributes(site.base, LIFETIME)}",
            "extranet_exp": f"extranet_exp={expires}{attributes(site.base, LIFETIME)}",
            "extranet_sig": f"extranet_sig={hmac_signature(secret, expires, entry['login'])}"
                            f"{attributes(site.base, LIFETIME)}",
            "extranet_who": f"extranet_who={servers.who(extranet, principal, site.base)}"
                            f"{attributes(site.base, LIFETIME, script=True)}",
        }
        if (response["statusCode"], response["headers"].get("Location"), got) != (
                302, site.base + servers.landing(extranet, principal), expected):
            problems.append(f"{entry['login']}: {response['statusCode']} {response['headers']} {got}")
        if not before + LIFETIME <= int(expires) <= after + LIFETIME:
            problems.append(f"{entry['login']}: expires {expires}, logged in at {before}..{after}")
    assert problems == []
    assert len(CREDENTIALS) - len(revoked) - 1 == 10  # the ten users who log in


def test_the_session_lasts_eight_hours(function, site: Site, secret: str):
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    now = time.time()
    response = call(function, site, "login/", headers=login_headers(elbe["login"], elbe["password"]))
    got = cookies(response)
    assert abs(int(value(got["extranet_exp"])) - (now + 28800)) <= 1
    assert {line.rsplit("; ", 1)[1] for line in got.values()} == {"Max-Age=28800"}


@pytest.mark.parametrize("login, password, marked, status, challenge", [
    ("elbe.keller", "wrong-password", False, 401, True),
    ("elbe.keller", "wrong-password", True, 401, False),  # the login page's script: no browser prompt
    ("no.such.login", "IhMLhaaeEr3lM8BP", False, 401, True),
    (servers.DUMMY_LOGIN, "x", False, 401, True),  # the dummy login opens nothing
    (REMOVED, next(c["password"] for c in CREDENTIALS if c["login"] == REMOVED), False, 401, True),
    ("teplo.kucera", next(c["password"] for c in CREDENTIALS if c["login"] == "teplo.kucera"), True, 401, False),
    ("ELBE.KELLER", "IhMLhaaeEr3lM8BP", False, 401, True),  # logins are compared case-sensitively
    ("elbe.keller", "IhMLhaaeEr3lM8BP" + "x", False, 401, True),
    ("elbe.keller", "IhMLhaaeEr3lM8BP", False, 302, False),
])
def test_a_refused_login_gets_the_401_page_and_the_challenge_unless_the_page_asked(
        function, site: Site, secret: str, login, password, marked, status, challenge):
    headers = login_headers(login, password, **({"X-Requested-With": "extranet-login"} if marked else {}))
    response = call(function, site, "login/", headers=headers)
    assert response["statusCode"] == status
    assert ("WWW-Authenticate" in response["headers"]) is challenge
    if status == 401:
        realm = {"WWW-Authenticate": f'Basic realm="{PRODUCT} extranet"'} if challenge else {}
        assert response["headers"] == {**SECURITY, "Content-Type": "text/html; charset=utf-8", **realm}
        assert response["body"] == (site.web_root / "401.html").read_text(encoding="utf-8")
        assert response["cookies"] == []
        assert escaping.realm(PRODUCT) == f"{PRODUCT} extranet"


@pytest.mark.parametrize("authorization", [
    "Bearer abc", "Basic", "Basic ", "Basic !!!!", "Basic " + base64.b64encode(b"elbe.keller").decode(),
    "Basic " + base64.b64encode(b"elbe.keller:IhMLhaaeEr3lM8BP").decode()[:-2],  # broken base64
    "Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "Digest username=elbe.keller",
    "Basic " + base64.b64encode(b"elbe.keller:a\x00b").decode(),  # bcrypt refuses NUL
    "Basic " + base64.b64encode(b"elbe.keller:" + b"x" * 200).decode(),
])
def test_credentials_that_are_not_well_formed_are_refused_not_an_error(function, site: Site, secret: str,
                                                                       authorization):
    response = call(function, site, "login/", headers={"x-extranet-authorization": authorization})
    assert (response["statusCode"], response["cookies"]) == (401, [])


def test_a_script_sends_basic_credentials_in_any_case_of_the_scheme(function, site: Site, secret: str):
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    header = basic(elbe["login"], elbe["password"]).replace("Basic", "basic  ")
    response = call(function, site, "login/", headers={"x-extranet-authorization": header})
    assert response["statusCode"] == 302


def test_the_authorization_header_itself_is_never_read(function, site: Site, secret: str):
    """CloudFront's signature of the origin request (OAC) is in `authorization`: the credentials
    come only in x-extranet-authorization."""
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    signed = {"Authorization": basic(elbe["login"], elbe["password"]), "Accept": "*/*"}
    response = call(function, site, "login/", headers=signed)
    assert (response["statusCode"], response["cookies"]) == (401, [])


# --- Timing: an unknown login takes as long as a wrong password -----------------------------------

def test_an_unknown_login_takes_as_long_as_a_wrong_password(function, site: Site, secret: str, capsys):
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    known, unknown = [], []
    for index in range(11):
        for login, times in ((elbe["login"], known), ("no.such.login", unknown))[:: 1 if index % 2 else -1]:
            headers = login_headers(login, f"wrong-{index}")
            start = time.perf_counter()
            response = call(function, site, "login/", headers=headers)
            times.append(time.perf_counter() - start)
            assert response["statusCode"] == 401
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    with capsys.disabled():
        print(f"\ncloudfront login: wrong password, known login {known_median:.3f} s, unknown login "
              f"{unknown_median:.3f} s (ratio {unknown_median / known_median:.2f})")
    assert 0.8 <= unknown_median / known_median <= 1.2, (known_median, unknown_median)


# --- next: the one rule (servers.safe_next), value for value --------------------------------------

def servers_next(query: str, base: str) -> str | None:
    """What nginx, Apache and Caddy make of `?<query>`: the one `next=` value (none if several),
    by servers.safe_next."""
    values = [part[len("next="):] for part in query.split("&") if part.startswith("next=")]
    return servers.safe_next(values[0] if len(values) == 1 else None, base)


def test_the_function_reads_next_by_the_one_rule_for_every_hostile_value(function, site: Site):
    """tests/test_login.py's hostile values (and those under the base path), through the function's
    own reading of the query and through servers.safe_next: the same answer for each."""
    values = VALUES + under(site.base, VALUES)
    queries = [f"next={v}" for v in values] + [f"a=1&next={v}" for v in values] + [f"next={v}&next=/" for v in values]
    differ = [(q, function.safe_next(function.next_arg(q)), servers_next(q, site.base)) for q in queries
              if function.safe_next(function.next_arg(q)) != servers_next(q, site.base)]
    assert differ == []
    accepted = [q for q in queries if servers_next(q, site.base)]
    assert len(queries) > 700 and 10 < len(accepted) < len(queries) / 2  # the table holds both kinds


def test_logout_sends_every_hostile_next_where_the_rule_says(function, site: Site):
    """The whole handler, for each value: a 302 to the rule's path or the base, nothing injected."""
    problems = []
    for raw in VALUES + under(site.base, VALUES):
        response = call(function, site, "logout/", f"next={raw}")
        location = response["headers"].get("Location")
        if response["statusCode"] != 302 or location != (servers.safe_next(raw, site.base) or site.base):
            problems.append(f"{raw!r}: {response['statusCode']} {location!r}")
        if any(c in v for v in response["headers"].values() for c in "\r\n\0"):
            problems.append(f"{raw!r}: a control character in a header")
    assert problems == []


@pytest.mark.parametrize("query, where", [
    ("next=%2Fextranet%2Fen%2Freleases%2F", "/extranet/en/releases/"),
    ("a=1&next=/extranet/customers/elbe-precision/", "/extranet/customers/elbe-precision/"),
    ("next=//evil.example/", None),
    ("next=/extranet/a%0d%0aX-Injected:%201", None),
    ("next=/extranet/en/&next=/extranet/", None),  # more than one next: none
    ("NEXT=/extranet/en/", None),
    ("next=/releases/", None),  # outside the base path
    ("", None),
])
def test_a_login_sends_the_reader_to_next_or_to_their_own_page(function, site: Site, secret: str, query, where):
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    assert site.base == "/extranet/"
    response = call(function, site, "login/", query, login_headers(elbe["login"], elbe["password"]))
    landing = "/extranet/en/customers/elbe-precision/"
    assert (response["statusCode"], response["headers"]["Location"]) == (302, where or landing)


# --- The login page: the one rule for its language (servers.login_page) --------------------------

def test_the_login_pages_are_the_servers(function, site: Site):
    """The demo under /extranet/ with cs first: one other language, as tests/test_login.py's table assumes."""
    assert function.SETTINGS["login_pages"] == [list(pair) for pair in PAGES]


@pytest.mark.parametrize("query, expected", LOGIN_PAGE_CASES)
def test_a_browser_without_credentials_gets_the_login_page_of_its_language(function, site: Site, query, expected):
    assert function.login_page(query) == servers.login_page(query, PAGES) == expected
    response = call(function, site, "login/", query, {"Accept": HTML})
    if expected is None:
        assert (response["statusCode"], response["headers"]["Content-Type"]) == (200, "text/html; charset=utf-8")
        assert response["body"] == (site.web_root / "login/index.html").read_text(encoding="utf-8")
    else:
        assert (response["statusCode"], response["headers"]["Location"], response["body"]) == (
            302, f"{expected}?{query}", "")
    assert {k: v for k, v in response["headers"].items() if k in SECURITY} == SECURITY
    assert response["cookies"] == []


@pytest.mark.parametrize("accept, status", [
    ("*/*", 401), ("application/json", 401), ("", 401), ("text/html", 200), (HTML, 200),
    (None, 401),  # no Accept at all (Python's http.client): a script, as nginx's map reads it
])
def test_a_script_without_credentials_gets_the_challenge(function, site: Site, accept, status):
    """As on nginx, Apache and Caddy: `wget --user` and others send credentials only when asked."""
    response = call(function, site, "login/", headers={} if accept is None else {"Accept": accept})
    assert response["statusCode"] == status
    challenge = f'Basic realm="{PRODUCT} extranet"' if status == 401 else None
    assert response["headers"].get("WWW-Authenticate") == challenge


# --- Logout ------------------------------------------------------------------------------------

def test_logout_ends_the_session_and_clears_all_four_cookies(function, site: Site):
    response = call(function, site, "logout/")
    assert (response["statusCode"], response["headers"]["Location"], response["body"]) == (302, "/extranet/", "")
    assert response["cookies"] == [
        f"extranet_login={attributes('/extranet/', 0)}",
        f"extranet_exp={attributes('/extranet/', 0)}",
        f"extranet_sig={attributes('/extranet/', 0)}",
        f"extranet_who={attributes('/extranet/', 0, script=True)}",
    ]
    assert {k: v for k, v in response["headers"].items() if k in SECURITY} == SECURITY
    response = call(function, site, "logout/", "next=%2Fextranet%2Fen%2F")
    assert response["headers"]["Location"] == "/extranet/en/"


@pytest.mark.parametrize("path", [
    "/extranet/login", "/extranet/login/x", "/extranet/LOGIN/", "/extranet/logout/index.html", "/login/", "/logout/",
    "/extranet/en/login/", "/extranet/", "/", "", "/extranet/login/.password",
])
def test_anything_but_login_and_logout_is_not_found(function, site: Site, secret: str, path):
    response = function.handler(event(path, "", {"x-extranet-authorization": basic("elbe.keller", "x")}), None)
    assert (response["statusCode"], response["body"], response["cookies"]) == (404, "Not found.\n", [])


# --- The session secret ------------------------------------------------------------------------

NO_SECRET = "The session secret is not set (at least 32 characters); see README.md.\n"


@pytest.mark.parametrize("configured, status, body", [
    (None, 500, NO_SECRET),
    ("", 500, NO_SECRET),
    ("x" * 31, 500, NO_SECRET),
    ("x" * 32, 302, ""),
])
def test_a_login_needs_a_secret_of_at_least_32_characters(function, site: Site, monkeypatch, configured, status, body):
    monkeypatch.delenv("EXTRANET_SECRET_ARN", raising=False)
    monkeypatch.delenv("EXTRANET_SESSION_SECRET", raising=False)
    if configured is not None:
        monkeypatch.setenv("EXTRANET_SESSION_SECRET", configured)
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    response = call(function, site, "login/", headers=login_headers(elbe["login"], elbe["password"]))
    assert (response["statusCode"], response["body"]) == (status, body)
    assert bool(response["cookies"]) is (status == 302)


def test_the_secret_comes_from_secrets_manager_once_per_cold_start(site: Site, monkeypatch, aws_credentials):
    from moto import mock_aws

    monkeypatch.delenv("EXTRANET_SESSION_SECRET", raising=False)
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    headers = login_headers(elbe["login"], elbe["password"])
    with mock_aws():
        import boto3

        client = boto3.client("secretsmanager")
        first = "A" * 64
        arn = client.create_secret(Name="extranet-session", SecretString=first)["ARN"]
        monkeypatch.setenv("EXTRANET_SECRET_ARN", arn)
        function = load(site.output / "server/cloudfront/login", "extranet_login_cold_start", site.web_root)
        response = call(function, site, "login/", headers=headers)
        got = cookies(response)
        assert value(got["extranet_sig"]) == hmac_signature(first, value(got["extranet_exp"]), elbe["login"])
        client.put_secret_value(SecretId=arn, SecretString="B" * 64)  # rotated: this instance keeps its copy
        got = cookies(call(function, site, "login/", headers=headers))
        assert value(got["extranet_sig"]) == hmac_signature(first, value(got["extranet_exp"]), elbe["login"])
        function = load(site.output / "server/cloudfront/login", "extranet_login_next_cold_start", site.web_root)
        got = cookies(call(function, site, "login/", headers=headers))
        assert value(got["extranet_sig"]) == hmac_signature("B" * 64, value(got["extranet_exp"]), elbe["login"])
        client.put_secret_value(SecretId=arn, SecretString="short")
        function = load(site.output / "server/cloudfront/login", "extranet_login_short", site.web_root)
        assert call(function, site, "login/", headers=headers)["body"] == NO_SECRET
        monkeypatch.setenv("EXTRANET_SECRET_ARN", arn.replace("extranet-session", "no-such-secret"))
        response = call(function, site, "login/", headers=headers)
        assert (response["statusCode"], response["body"]) == (
            500, "The session secret cannot be read from Secrets Manager; see the function's log.\n")


# --- The build's files -------------------------------------------------------------------------

def test_no_password_or_hash_of_a_user_is_in_the_code_or_the_settings(site: Site):
    directory = site.output / "server/cloudfront/login"
    public = "".join((directory / name).read_text(encoding="utf-8") for name in ("index.py", "settings.json"))
    assert [c["login"] for c in CREDENTIALS if c["password"] in public] == []
    assert [p.login for p in site.principals.values() if p.password_hash in public] == []
    assert "$2b$" not in (directory / "index.py").read_text(encoding="utf-8")
    accounts = json.loads((directory / "accounts.json").read_text(encoding="utf-8"))
    assert sorted(accounts) == sorted(site.principals)
    assert {login: a["hash"] for login, a in accounts.items()} == {
        p.login: p.password_hash for p in site.principals.values()}
    modes = [oct(path.stat().st_mode & 0o777) for path in (directory / "accounts.json", directory / "settings.json")]
    assert modes == ["0o600", "0o644"]


def test_the_code_is_the_template_as_it_is_and_the_data_are_sorted(site: Site):
    directory = site.output / "server/cloudfront/login"
    assert (directory / "index.py").read_bytes() == (REPO / "site_templates/servers/cloudfront/login.py").read_bytes()
    for name in ("settings.json", "accounts.json"):
        text = (directory / name).read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    extranet = validate(site.root / "mkdocs.yml")
    people = list(site.principals.values())
    first = cf_login.files(extranet, people, site.root / "site_templates", site.base)
    assert first == cf_login.files(extranet, people, site.root / "site_templates", site.base)
    assert {name: (site.output / "server" / name).read_text(encoding="utf-8") for name in first} == first


def test_a_project_may_replace_the_function_s_code(site: Site, tmp_path: Path):
    extranet = validate(site.root / "mkdocs.yml")
    (tmp_path / "servers/cloudfront").mkdir(parents=True)
    (tmp_path / "servers/cloudfront/login.py").write_text("# the vendor's own\n", encoding="utf-8")
    files = cf_login.files(extranet, list(site.principals.values()), tmp_path, site.base)
    assert files["cloudfront/login/index.py"] == "# the vendor's own\n"


# --- The deployment package --------------------------------------------------------------------

def fake_wheel(directory: Path, platform: str = "cp39-abi3-manylinux_2_28_x86_64") -> Path:
    """A wheel of bcrypt at the installed version, with a made-up module: what pip and the package
    see of a wheel (its name, its METADATA), without PyPI."""
    version = importlib.metadata.version("bcrypt")
    path = directory / f"bcrypt-{version}-{platform}.whl"
    info = f"bcrypt-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bcrypt/__init__.py", "# made up for the test\n")
        archive.writestr("bcrypt/_bcrypt.abi3.so", b"\x7fELF made up")
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: bcrypt\nVersion: {version}\n")
        archive.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {platform}\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


def test_the_package_holds_the_function_its_pages_and_bcrypt_byte_identical_each_time(site: Site, tmp_path: Path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    fake_wheel(wheels)
    first = cf_login.package(site.output / "server", site.web_root, wheels)
    assert first == cf_login.package(site.output / "server", site.web_root, wheels)
    version = importlib.metadata.version("bcrypt")
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted([
            "index.py", "settings.json", "accounts.json", "pages/login/index.html", "pages/401.html",
            "bcrypt/__init__.py", "bcrypt/_bcrypt.abi3.so", f"bcrypt-{version}.dist-info/METADATA",
            f"bcrypt-{version}.dist-info/WHEEL", f"bcrypt-{version}.dist-info/RECORD"])
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.filename: oct(i.external_attr >> 16) for i in infos if i.filename.endswith(".so")} == {
            "bcrypt/_bcrypt.abi3.so": "0o100755"}
        assert archive.read("pages/401.html") == (site.web_root / "401.html").read_bytes()
        assert archive.read("pages/login/index.html") == (site.web_root / "login/index.html").read_bytes()
        assert archive.read("index.py") == (site.output / "server/cloudfront/login/index.py").read_bytes()
        unpacked = tmp_path / "unpacked"
        archive.extractall(unpacked)
    # Unpacked as Lambda does, the function serves its own pages (no EXTRANET_LOGIN_PAGES).
    (unpacked / "bcrypt").rename(tmp_path / "made-up-bcrypt")  # the test's bcrypt is the real one
    function = load(unpacked, "extranet_login_unpacked")
    response = call(function, site, "login/", headers={"Accept": HTML})
    assert (response["statusCode"], response["body"]) == (200, (site.web_root / "login/index.html").read_text())


@pytest.mark.parametrize("missing, message", [
    ("server/cloudfront/login/accounts.json", "server/cloudfront/login/accounts.json: cannot be read "
                                              "(No such file or directory); run `extranet build` first"),
    ("site/401.html", "site/401.html: cannot be read (No such file or directory); run `extranet build` first"),
    ("wheels", "wheels: no bcrypt wheel for the login function (extranet fetches it with pip)"),
])
def test_a_package_without_its_parts_is_refused_with_what_is_missing(site: Site, tmp_path: Path, missing, message):
    import shutil

    shutil.copytree(site.output / "server/cloudfront", tmp_path / "server/cloudfront")
    (tmp_path / "site/login").mkdir(parents=True)
    for name in cf_login.PAGES:
        shutil.copy(site.web_root / name, tmp_path / "site" / name)
    (tmp_path / "wheels").mkdir()
    fake_wheel(tmp_path / "wheels")
    target = tmp_path / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(cf_login.PackagingFailed) as raised:
        cf_login.package(tmp_path / "server", tmp_path / "site", tmp_path / "wheels")
    assert str(raised.value) == f"{tmp_path}/{message}"


def test_fetch_bcrypt_asks_pip_for_the_lambda_s_wheel_only(tmp_path: Path, monkeypatch):
    """pip picks, from what it is offered, the wheel for python3.12 on manylinux x86_64 (not this
    machine's own kind of wheel, not macOS's); offline: a local index of made-up wheels."""
    offered = tmp_path / "offered"
    offered.mkdir()
    fake_wheel(offered, "cp39-abi3-manylinux_2_28_x86_64")
    fake_wheel(offered, "cp39-abi3-macosx_10_12_universal2")
    fake_wheel(offered, "cp39-abi3-manylinux_2_28_aarch64")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(offered))
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    directory = cf_login.fetch_bcrypt(tmp_path / "wheels")
    version = importlib.metadata.version("bcrypt")
    assert [p.name for p in directory.iterdir()] == [f"bcrypt-{version}-cp39-abi3-manylinux_2_28_x86_64.whl"]


def test_fetch_bcrypt_says_what_pip_said_when_it_fails(tmp_path: Path, monkeypatch):
    offered = tmp_path / "offered"
    offered.mkdir()
    fake_wheel(offered, "cp39-abi3-macosx_10_12_universal2")  # nothing the Lambda runtime can load
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(offered))
    version = importlib.metadata.version("bcrypt")
    with pytest.raises(cf_login.PackagingFailed) as raised:
        cf_login.fetch_bcrypt(tmp_path / "wheels")
    assert str(raised.value) == (
        f"pip could not download bcrypt {version} for the login function (python3.12, manylinux_2_28_x86_64 or "
        f"manylinux2014_x86_64): ERROR: No matching distribution found for bcrypt=={version}")


def test_the_package_s_digest_is_the_one_lambda_reports(site: Site, tmp_path: Path, aws_credentials):
    """The deploy uploads the package only when its digest differs from the function's CodeSha256."""
    from moto import mock_aws

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    fake_wheel(wheels)
    package = cf_login.package(site.output / "server", site.web_root, wheels)
    with mock_aws():
        import boto3

        role = boto3.client("iam").create_role(RoleName="login", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        created = boto3.client("lambda").create_function(
            FunctionName="login", Runtime=cf_login.RUNTIME, Role=role, Handler=cf_login.HANDLER,
            Code={"ZipFile": package}, Architectures=[cf_login.ARCHITECTURE])
    assert created["CodeSha256"] == cf_login.code_sha256(package)
    assert created["CodeSize"] == len(package)


# --- With the edge: the session the function sets is the one the viewer-request function checks ---

def viewer_request(site: Site, uri: str, jar: dict[str, str]) -> dict:
    """The event CloudFront gives the viewer-request function for GET `uri` with the cookies of `jar`."""
    return {
        "version": "1.0",
        "context": {"distributionDomainName": "d111111abcdef8.cloudfront.net", "distributionId": "EDFDVBD6EXAMPLE",
                    "eventType": "viewer-request", "requestId": "test"},
        "viewer": {"ip": "198.51.100.11"},
        "request": {"method": "GET", "uri": uri, "querystring": {},
                    "headers": {"host": {"value": "d111111abcdef8.cloudfront.net"}},
                    "cookies": {name: {"value": v} for name, v in jar.items()}},
    }


def run_edge(site: Site, events: list[dict], secret: str) -> list[dict]:
    """The real viewer-request.js of the build, in Node.js under tests/edge/load-function.mjs, with the
    build's kvs.json and the secret the deploy would put into the KeyValueStore."""
    import subprocess

    directory = site.output / "server/cloudfront"
    result = subprocess.run(
        ["node", str(REPO / "tests/edge/load-function.mjs"), str(directory / "viewer-request.js"),
         str(directory / "kvs.json"), secret],
        input="".join(json.dumps(e) + "\n" for e in events), capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in result.stdout.splitlines()]


def keep(jar: dict[str, str], response: dict) -> dict[str, str]:
    """A browser's cookie jar after the function's Set-Cookie lines: Max-Age=0 deletes a cookie."""
    jar = dict(jar)
    for line in response["cookies"]:
        name, rest = line.split("=", 1)
        if rest.endswith("; Max-Age=0"):
            jar.pop(name, None)
        else:
            jar[name] = rest.split(";", 1)[0]
    return jar


@pytest.mark.node
def test_the_edge_accepts_the_function_s_session_for_the_user_s_page_and_not_after_logout(function, site: Site,
                                                                                          secret: str):
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    page = site.base + "en/customers/elbe-precision/"
    other = site.base + "en/customers/strojirny-labe/"
    jar = keep({}, call(function, site, "login/", headers=login_headers(elbe["login"], elbe["password"])))
    assert set(jar) == {"extranet_login", "extranet_exp", "extranet_sig", "extranet_who"}
    after_logout = keep(jar, call(function, site, "logout/"))
    assert after_logout == {}
    emptied = {name: "" for name in jar}  # a client that keeps sending what logout set
    forged = {**jar, "extranet_exp": str(int(jar["extranet_exp"]) + 3600)}  # a longer session: its signature fails
    answers = run_edge(site, [viewer_request(site, uri, cookies) for uri, cookies in (
        (page, jar), (other, jar), (page, after_logout), (page, emptied), (page, forged))], secret)
    assert answers[0].get("uri") == page + "index.html" and "statusCode" not in answers[0], answers[0]
    assert answers[1].get("uri") == site.base + ".extranet-refused/403", answers[1]
    login = site.base + "login/?next=" + urllib.parse.quote(page, safe="")
    for answer in answers[2:]:
        assert (answer.get("statusCode"), answer.get("headers", {}).get("location", {}).get("value")) == (302, login)


def test_at_the_root_the_function_keeps_the_same_rules(site: Site, tmp_path: Path, secret: str):
    """A site_url without a path: the same function, settings for `/` (no second build: login.files
    for the same project at base `/`)."""
    extranet = validate(site.root / "mkdocs.yml")
    people = list(site.principals.values())
    for name, text in cf_login.files(extranet, people, site.root / "site_templates", "/").items():
        (tmp_path / Path(name).name).write_text(text, encoding="utf-8")
    function = load(tmp_path, "extranet_login_at_the_root", site.web_root)
    at_root = dataclasses.replace(site, base="/")
    queries = [f"next={v}" for v in VALUES]
    assert [q for q in queries if function.safe_next(function.next_arg(q)) != servers_next(q, "/")] == []
    assert [q for q, _ in LOGIN_PAGE_CASES
            if function.login_page(q.replace("/extranet", "")) != servers.login_page(q.replace("/extranet", ""),
                                                                                     (("/en/", "/en/login/"),))] == []
    elbe = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    credentials = login_headers(elbe["login"], elbe["password"])
    response = call(function, at_root, "login/", "next=%2Fen%2Freleases%2F", credentials)
    assert (response["statusCode"], response["headers"]["Location"]) == (302, "/en/releases/")
    assert {line.split("; ", 1)[1] for line in response["cookies"]} == {
        "Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=28800", "Path=/; Secure; SameSite=Lax; Max-Age=28800"}
    response = call(function, at_root, "login/", headers=credentials)
    assert response["headers"]["Location"] == "/en/customers/elbe-precision/"
    assert call(function, at_root, "logout/")["headers"]["Location"] == "/"
    response = call(function, at_root, "login/", "next=/en/x", {"Accept": HTML})
    assert response["headers"]["Location"] == "/en/login/?next=/en/x"
    assert function.handler(event("/extranet/login/"), None)["statusCode"] == 404
