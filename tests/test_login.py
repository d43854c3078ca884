"""Login and logout on real nginx, Apache and Caddy: the one rule for `next`, hostile values, the
login page, scripts with `curl -u`, timing of unknown logins, case, and the cookie `extranet_who`."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import random
import socket
import statistics
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from extranet import access, escaping, servers
from extranet.building import build, validate

from . import edge
from .conftest import HASH, NOW_DT
from .servers import CREDENTIALS, SECRET, Server, Site, load_site
from .servers import start as start_server
from .servers import stop as stop_server

ELBE = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
"""A user whose own page is in English: /en/customers/elbe-precision/."""
LANDING = "/en/customers/elbe-precision/"


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


# --- The rule itself ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, base, expected", [
    ("%2Freleases%2F", "/", "/releases/"),
    ("/releases/", "/", "/releases/"),
    ("%2Fen%2Freleases%2F%3Fa%3D1%26b%3D2", "/", "/en/releases/?a=1&b=2"),
    ("/", "/", "/"),
    ("/a%2Bb", "/", "/a+b"),
    ("%252F", "/", None),  # decodes to "%2F": not a path
    ("/a%25", "/", "/a%"),
    ("", "/", None),
    (None, "/", None),
    ("//evil.example/", "/", None),
    ("%2F%2Fevil.example%2F", "/", None),
    ("/%2Fevil.example", "/", None),
    ("/\\evil.example", "/", None),
    ("%2F%5Cevil.example", "/", None),
    ("/a\\b", "/", None),
    ("https://evil.example/", "/", None),
    ("https%3A%2F%2Fevil.example%2F", "/", None),
    ("javascript:alert(1)", "/", None),
    ("/a%0d%0aX-Injected:%201", "/", None),
    ("/a%0aX", "/", None),
    ("/a%00", "/", None),
    ("/a%09b", "/", None),
    ("/a%20b", "/", None),
    ("/a%7f", "/", None),
    ("/a+b", "/", None),  # "+": a space to some decoders, a plus to others
    ("/a;b", "/", None),
    ("%", "/", None),
    ("/a%", "/", None),
    ("/a%2", "/", None),
    ("%zz", "/", None),
    ("/%c0%af", "/", None),  # overlong "/"
    ("/%ff", "/", None),
    ("/%C3%A9", "/", None),  # valid UTF-8, but not ASCII
    ("/é", "/", None),
    ('/"x"', "/", None),
    ("/<script>", "/", None),
    ("/{x}", "/", None),
    ("/extranet/releases/", "/extranet/", "/extranet/releases/"),
    ("%2Fextranet%2F", "/extranet/", "/extranet/"),
    ("/releases/", "/extranet/", None),
    ("/extranet//evil.example", "/extranet/", None),
    ("/extranetx/", "/extranet/", None),
])
def test_safe_next(raw, base, expected):
    assert servers.safe_next(raw, base) == expected


# --- Hostile values through a real login, on every server ---------------------------------------

HOSTILE = [
    "/a%0d%0aX-Injected:%201", "%2Fa%0D%0AX-Injected%3A%201", "/a%0aX-Injected:%201", "/a%0dX-Injected:%201",
    "/a%250d%250aX-Injected:%201", "/%0d%0aSet-Cookie:%20extranet_login=x", "/a%00b", "%00", "/a%09b", "%09",
    "/a%20b", "/a%7f", "/a%1b", "//evil.example/", "%2F%2Fevil.example", "/%2Fevil.example", "%2F%2F", "//",
    "///evil.example", "/\\evil.example", "%2F%5Cevil.example", "\\", "%5C", "\\\\evil.example", "/a\\b",
    "%5C%5Cevil.example", "javascript:alert(1)", "javascript%3Aalert(1)", "JaVaScRiPt:alert(1)",
    "data:text/html,x", "http://x", "http%3A%2F%2Fx", "https://evil.example/", "//x@evil.example",
    "/@evil.example", "http:/evil.example", "evil.example", "releases/", ".", "..", "../", "%2E%2E%2F",
    "%", "%%", "%2", "%zz", "%g0", "/a%", "/a%2", "/a%zz", "/%c0%af", "%c0%af", "/%c0%ae%c0%ae/",
    "/%e0%80%af", "/%f0%80%80%af", "/%ff", "%ff%fe", "/%fe", "/%80", "/%ed%a0%80", "/%C3%A9", "/%C3",
    "/%E2%80%AE", "/%EF%BB%BF", "/%F0%9F%98%80", "/a+b", "+", "/a;b", ";", "/a&next=//evil.example",
    "&next=//evil.example", "/a%26next%3D%2F%2Fevil.example", "%2Fa%23%2F%2Fevil", "/a'b", '/a"b', "/a<b>",
    "/a{b}", "/a|b", "/a^b", "/a`b", "/a[b]", "/%7Bhttp.request.uri%7D", "/{http.request.uri}",
    "%7B%24EXTRANET_SESSION_SECRET%7D", "/$extranet_secret", "/%24%7Bjndi%3Aldap%3A%2F%2Fx%7D",
    "/releases/", "%2Freleases%2F", "/en/releases/?a=1", "%2Fen%2Freleases%2F%3Fa%3D1%26b%3D2", "/",
    "/customers/teplo-servis/", "/staff/", "/" + "a" * 5000, "%2F" + "a" * 5000, "/" + "%0d%0a" * 500,
    "/" + "%zz" * 300, "/é", "/a\tb", "/\x7f", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
]
"""Values of ?next= as they appear in the URL (still percent-encoded), sent byte for byte."""


def hostile_values() -> list[str]:
    """HOSTILE, plus each percent-encoded once more, plus seeded random mixes of the dangerous parts."""
    values = list(HOSTILE)
    values += [urllib.parse.quote(value, safe="") for value in HOSTILE[:60]]
    parts = ["/", "//", "\\", "%0d", "%0a", "%00", "%09", "%2F", "%5C", "%", "%zz", "%c0%af", "%ff", "%C3%A9",
             ":", "@", "evil.example", "javascript:", "a", "?", "=", "%26", "+", ";", "'", "%22", "%3C"]
    rng = random.Random(11)
    values += ["".join(rng.choice(parts) for _ in range(rng.randint(1, 8))) for _ in range(80)]
    return values


VALUES = hostile_values()


def under(base: str, values: list[str]) -> list[str]:
    """`values` with the site's base path in front (`/a` -> `/extranet/a`, `%2Fa` -> `%2Fextranet%2Fa`),
    so that under a sub-path the dangerous parts come after a prefix the rule accepts; at `/` none."""
    if base == "/":
        return []
    head = base.rstrip("/")
    moved = [head + value if value.startswith("/") else urllib.parse.quote(head, safe="") + value
             for value in values if value.startswith("/") or value[:3].upper() == "%2F"]
    return [value for value in dict.fromkeys(moved) if value not in values]


def raw_request(server: Server, target: str, headers: dict[str, str], source: str) -> tuple[int, list[tuple[str, str]]]:
    """A GET of `target` sent byte for byte (http.client would refuse or encode some of them);
    the status and the response's header lines."""
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items())]
    with socket.create_connection(("127.0.0.1", server.port), timeout=20, source_address=(source, 0)) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    return status, [tuple(part.strip() for part in line.split(":", 1)) for line in head[1:]]  # type: ignore[misc]


def check_redirect(server: Server, value: str, status: int, headers: list[tuple[str, str]], expected: str) -> list[str]:
    """What is wrong with the answer to ?next=`value`."""
    names = [name.lower() for name, _ in headers]
    problems = []
    if status >= 500:
        problems.append(f"{status}")
    if "x-injected" in names or any("\r" in v or "\n" in v or "\0" in v for _, v in headers):
        problems.append("injected header")
    if set(names) - {"server", "date", "content-type", "content-length", "connection", "location", "set-cookie",
                     "cache-control", "x-robots-tag", "vary", *SECURITY, "content-security-policy"}:
        problems.append(f"unexpected headers {sorted(set(names))}")
    if status == 400 and any(not 0x21 <= ord(c) <= 0x7E for c in value):
        return problems  # a request line the server refuses as a whole: nothing was redirected
    locations = [v for name, v in headers if name.lower() == "location"]
    if status != 302 or len(locations) != 1:
        return [*problems, f"status {status}, Location {locations}"]
    location = locations[0]
    origin = f"http://127.0.0.1:{server.port}"
    path = location[len(origin):] if location.startswith(origin) else location
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        problems.append(f"off-site Location {location!r}")
    if path != expected:
        problems.append(f"Location {path!r}, the rule says {expected!r}")
    return problems


SECURITY = {"x-content-type-options", "referrer-policy", "x-frame-options"}


@pytest.mark.parametrize("name", edge.TARGETS)
def test_hostile_next_values_never_leave_the_site_inject_a_header_or_fail(request: pytest.FixtureRequest,
                                                                          running: dict[str, Server], name: str,
                                                                          capsys):
    """Every value goes through a real login (valid credentials) and through logout; each answer is a
    302 to exactly where extranet.servers.safe_next says (the user's page, or the base, if refused)."""
    server = edge.target(request, request.getfixturevalue("site"), running, name)
    values = VALUES + under(server.base, VALUES)
    assert len(VALUES) >= 200 and (server.base == "/" or len(values) >= 300)
    authorization = basic(ELBE["login"], ELBE["password"])
    landing = server.base + LANDING[1:]

    def one(index: int, value: str) -> list[str]:
        source = f"127.0.{40 + index // 200}.{1 + index % 200}"  # within nginx's per-address login limit
        problems = []
        for path, headers, fallback in (("login/", {"Authorization": authorization}, landing),
                                        ("logout/", {}, server.base)):
            status, response = raw_request(server, f"{server.base}{path}?next={value}", headers, source)
            # Only the first parameter is next (unless another next= follows: then there is none).
            expected = (None if "&next=" in value else servers.safe_next(value.split("&", 1)[0], server.base)) \
                or fallback
            problems += [f"{path}?next={value[:80]!r}: {p}" for p in check_redirect(server, value, status, response,
                                                                                   expected)]
        return problems

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        problems = [p for result in pool.map(one, range(len(values)), values) for p in result]
    with capsys.disabled():
        print(f"\n{name}: {len(values)} hostile next values under {server.base}, {len(problems)} problems")
    assert not problems, "\n".join(problems[:30])


# --- Scripts and feed readers: HTTP Basic ------------------------------------------------------

@pytest.mark.parametrize("name", edge.TARGETS)
def test_curl_with_basic_credentials_and_a_cookie_jar_reaches_a_protected_page(request: pytest.FixtureRequest,
                                                                               served: tuple[Site, dict[str, Server]],
                                                                               name: str, tmp_path: Path):
    site, running = served
    server = edge.target(request, site, running, name)
    jar = tmp_path / "jar"
    for path, marker in ((LANDING, "Elbe Precision"), ("/en/releases/", "Release"), ("/releases/", "Verze")):
        url = f"http://127.0.0.1:{server.port}{server.base}{path[1:]}"
        result = subprocess.run(
            ["curl", "-sS", "-L", "-u", f"{ELBE['login']}:{ELBE['password']}", "-c", str(jar), "-b", str(jar),
             "--interface", "127.0.0.60", "-w", "\n%{http_code} %{url_effective}", url],
            capture_output=True, text=True, timeout=60)
        body, _, last = result.stdout.rpartition("\n")
        status, _, effective = last.partition(" ")
        # It ends where it was going (through the login page and back, on servers with sessions).
        assert status == "200" and urllib.parse.urlsplit(effective).path == urllib.parse.urlsplit(url).path, \
            (path, last, result.stderr)
        assert marker in body, path


@pytest.mark.parametrize("name", edge.TARGETS)
def test_logins_are_compared_case_sensitively(request: pytest.FixtureRequest, running: dict[str, Server], name: str):
    server = edge.target(request, request.getfixturevalue("site"), running, name)
    for login in (ELBE["login"].upper(), ELBE["login"].capitalize()):
        status, headers, _ = server.request("/login/", {"Authorization": basic(login, ELBE["password"])},
                                            source="127.0.0.61")
        assert status == 401, login
        assert "extranet_" not in headers.get("set-cookie", "")


# --- The login page ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", edge.TARGETS)
def test_a_browser_without_credentials_gets_the_login_page_in_its_language(request: pytest.FixtureRequest,
                                                                           served: tuple[Site, dict[str, Server]],
                                                                           name: str):
    """Under a sub-path and at the root: ?next= holds the full path (with the base), as pages send it."""
    site, running = served
    server = edge.target(request, site, running, name)
    html = {"Accept": "text/html,application/xhtml+xml"}

    def quoted(path: str) -> str:
        return urllib.parse.quote(server.base + path, safe="")

    status, headers, body = server.request(f"/login/?next={quoted('releases/')}", html)
    assert status == 200 and 'lang="cs"' in body.decode() and "Přihlašovací jméno" in body.decode()
    assert "extranet-login.js" in body.decode()
    status, headers, _ = server.request(f"/login/?next={quoted('en/releases/')}", html)
    assert status == 302 and headers["location"].removeprefix(f"http://127.0.0.1:{server.port}") == \
        f"{server.base}en/login/?next={quoted('en/releases/')}"
    status, _, body = server.request(f"/en/login/?next={quoted('en/releases/')}", html)
    assert status == 200 and 'lang="en"' in body.decode() and "Login name" in body.decode()
    if server.base != "/":  # a next= outside the site is no reason to change the language
        status, _, body = server.request("/login/?next=%2Fen%2Freleases%2F", html)
        assert status == 200 and 'lang="cs"' in body.decode()
    # Scripts and feed readers that wait for a challenge still get one.
    status, headers, _ = server.request("/login/")
    assert status == 401 and headers["www-authenticate"].startswith("Basic realm=")
    # A protected page sends a browser to the login page (in the page's language), with where it was going.
    status, headers, _ = server.request("/en/releases/", html)
    location = headers["location"].removeprefix(f"http://127.0.0.1:{server.port}")
    assert status == 302 and location.replace(server.base + "en/releases/", quoted("en/releases/")) in (
        f"{server.base}login/?next={quoted('en/releases/')}", f"{server.base}en/login/?next={quoted('en/releases/')}")


PAGES = (("/extranet/en/", "/extranet/en/login/"),)
LOGIN_PAGE_CASES = [  # (the query of login/, the login page the rule gives: None is login/ itself)
    ("next=%2Fextranet%2Fen%2Freleases%2F", "/extranet/en/login/"),
    ("next=/extranet/en/releases/", "/extranet/en/login/"),
    ("next=%2fextranet%2fen%2f", "/extranet/en/login/"),  # lowercase hex digits
    ("next=%2Fextranet%2F%65n%2F", "/extranet/en/login/"),  # a letter percent-encoded
    ("next=/extranet/EN/releases/", None),  # paths are case-sensitive
    ("next=%2FEXTRANET%2Fen%2F", None),
    ("next=/extranet/en", None),  # not under en/
    ("next=/extranet/releases/", None),
    ("next=/extranet/en/&next=/extranet/en/", None),  # more than one next: none
    ("next=/extranet/en/%zz", None),  # a malformed %: Go drops the parameter
    ("next=/extranet/en/%2", None),
    ("a=1&next=/extranet/en/", "/extranet/en/login/"),
    ("NEXT=/extranet/en/", None),  # the name is case-sensitive
    ("xnext=/extranet/en/", None),
    ("", None),
]


@pytest.mark.parametrize("query, expected", LOGIN_PAGE_CASES)
def test_login_page_rule(query, expected):
    assert servers.login_page(query, PAGES) == expected


@pytest.mark.parametrize("name", edge.TARGETS)
def test_every_server_picks_the_login_page_by_the_one_rule(request: pytest.FixtureRequest,
                                                           running: dict[str, Server], name: str):
    """nginx, Apache and Caddy send a browser without credentials where extranet.servers.login_page
    says, for the same values (under the demo's /extranet/)."""
    server = edge.target(request, request.getfixturevalue("site"), running, name)
    assert server.base == "/extranet/"
    problems = []
    for query, expected in LOGIN_PAGE_CASES:
        status, headers, _ = server.request(f"/login/?{query}" if query else "/login/",
                                            {"Accept": "text/html,application/xhtml+xml"})
        location = headers.get("location", "").removeprefix(f"http://127.0.0.1:{server.port}")
        got = location.split("?", 1)[0] if status == 302 else None if status == 200 else f"status {status}"
        if got != expected:
            problems.append(f"{query!r}: {got!r}, the rule says {expected!r}")
    assert problems == []


@pytest.mark.parametrize("name", edge.TARGETS)
def test_next_is_read_by_one_rule_its_name_case_sensitively(request: pytest.FixtureRequest,
                                                            running: dict[str, Server], name: str):
    """`NEXT=` or `xnext=` is no `next=` on any server (nginx's own $arg_next ignores case)."""
    server = edge.target(request, request.getfixturevalue("site"), running, name)
    landing = server.base + LANDING[1:]
    target = urllib.parse.quote(server.base + "en/releases/", safe="")
    for query, login, logout in ((f"NEXT={target}", landing, server.base), (f"xnext={target}", landing, server.base),
                                 (f"a=1&next={target}", server.base + "en/releases/", server.base + "en/releases/")):
        status, headers, _ = server.request(f"/login/?{query}",
                                            {"Authorization": basic(ELBE["login"], ELBE["password"])},
                                            source="127.0.0.65")
        assert (status, headers["location"].removeprefix(f"http://127.0.0.1:{server.port}")) == (302, login), query
        status, headers, _ = server.request(f"/logout/?{query}")
        assert (status, headers["location"].removeprefix(f"http://127.0.0.1:{server.port}")) == (302, logout), query


@pytest.mark.parametrize("name", edge.TARGETS)
def test_a_refused_login_from_the_page_brings_no_browser_prompt(request: pytest.FixtureRequest,
                                                                running: dict[str, Server], name: str):
    """The page's script marks its request: a 401 without WWW-Authenticate (the browser would pop up
    its own prompt over the page); requests that are not marked keep the challenge."""
    server = edge.target(request, request.getfixturevalue("site"), running, name)
    wrong = {"Authorization": basic(ELBE["login"], "wrong-password"), "Accept": "*/*"}
    status, headers, _ = server.request("/login/", {**wrong, "X-Requested-With": "extranet-login"}, source="127.0.0.62")
    assert status == 401 and "www-authenticate" not in headers
    status, headers, _ = server.request("/login/", wrong, source="127.0.0.62")
    assert status == 401 and "www-authenticate" in headers


# --- Who is logged in: the cookie extranet_who --------------------------------------------------

def cookies_of(headers: dict[str, str]) -> dict[str, str]:
    """Each Set-Cookie line by its cookie name."""
    return {line.split("=", 1)[0]: line for line in headers.get("set-cookie", "").splitlines() if line}


@pytest.mark.parametrize("name", edge.TARGETS)
def test_login_sets_extranet_who_and_logout_deletes_it(request: pytest.FixtureRequest,
                                                       served: tuple[Site, dict[str, Server]], name: str):
    site, running = served
    server = edge.target(request, site, running, name)
    extranet = validate(site.root / "mkdocs.yml")
    elbe = next(c.name for c in extranet.customers if c.id == "elbe-precision")
    for entry, company, home in ((ELBE, elbe, server.base + LANDING[1:]),
                                 (next(c for c in CREDENTIALS if c["customer"] is None), extranet.vendor.name,
                                  server.base + "staff/")):
        status, headers, _ = server.request("/login/", {"Authorization": basic(entry["login"], entry["password"])},
                                            source="127.0.0.63")
        assert status == 302
        line = cookies_of(headers)["extranet_who"]
        value, *attributes = [part.strip() for part in line.split(";")]
        who = json.loads(urllib.parse.unquote(value.split("=", 1)[1]))
        principal = site.principals[entry["login"]]
        assert who == {"name": principal.name, "company": company, "home": home}
        assert "HttpOnly" not in attributes and f"Path={server.base}" in attributes and "SameSite=Lax" in attributes
        if name != "caddy":
            assert f"Max-Age={servers.SESSION_LIFETIME}" in attributes
    here = urllib.parse.quote(server.base + "en/", safe="")
    for next_, landing in ((here, server.base + "en/"), ("%2F", server.base), ("%2F%2Fevil.example", server.base),
                           ("", server.base)):
        status, headers, _ = server.request(f"/logout/?next={next_}")
        assert status == 302 and headers["location"].removeprefix(f"http://127.0.0.1:{server.port}") == landing
        deleted = cookies_of(headers)
        assert "Max-Age=0" in deleted["extranet_who"]
        assert any("Max-Age=0" in deleted[cookie] for cookie in ("extranet_sig", "extranet_session", "extranet_auth")
                   if cookie in deleted)


HOSTILE = "Q\"u'o$t{e} ;x\\y 100% `z` #c {{ 7*7 }} $(id) ${X} {$HOME} \u00e9 %0d%0a"
"""Every character a server configuration reads: both quotes, `$`, `{`, `}`, `;`, `\\`, `%`, `#`, a backtick."""


@pytest.mark.servers
@pytest.mark.parametrize("name", servers.SERVERS)
def test_names_with_config_syntax_characters_keep_every_server_configuration_valid(project, tmp_path: Path,
                                                                                   name: str):
    """The product name (and so the realm), a customer's, a user's, a staff member's and the vendor's
    name hold every character a configuration reads: `nginx -t`, `apache2 -t` and `caddy validate`
    accept the result, and the server then sends the realm and the names as written (the realm
    without what no server can carry in `WWW-Authenticate`, see escaping.realm)."""
    import bcrypt

    for old, new in (("Alpha a.s.", "Alpha"), ("Alice Alpha", "Alice"), ("Staff One", "Staff"),
                     ("Vendor s.r.o.", "Vendor")):
        project.replace("customers.yaml", f"name: {old}", f"name: {json.dumps(new + ' ' + HOSTILE)}")
    project.replace("customers.yaml", "product: Product", f"product: {json.dumps('Product ' + HOSTILE)}")
    # Logins that are keywords of nginx's `map` and `Require` of httpd.
    project.replace("customers.yaml", "login: staff.one", "login: default")
    project.replace("customers.yaml", "login: beta.one", "login: include")
    password = "correct horse battery"
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()
    lines = (project.root / "customers.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    project.write("customers.yaml", "".join(line.replace(HASH, hashed) if "login: alpha.one" in line else line
                                            for line in lines))
    output = tmp_path / "build"
    build(project.config, now=NOW_DT, output=output)
    extranet = validate(project.config)
    people = access.principals(extranet)
    assert all(c in extranet.vendor.product for c in "\"'${};\\")
    assert any(all(c in p.name for c in "\"'${};\\") for p in people if not p.staff)
    customer = next(c for c in extranet.customers if c.id == "alpha")
    assert all(c in customer.name for c in "\"'${};\\")
    site = load_site(project.root, output, NOW_DT)

    runtime = tmp_path / f"run-{name}"
    runtime.mkdir()
    servers.prepare(name, extranet, site.areas, project.root / "site_templates", output / "site", runtime, 1, SECRET)
    command, environment = servers.check_command(name, runtime, runtime / "files")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                            env={**servers.environment(SECRET, SECRET), **environment})
    assert result.returncode == 0, (name, result.stdout, result.stderr)
    assert "AH00111" not in result.stderr  # httpd replaced no ${…} of a name by a Define

    server = start_server(name, site, tmp_path / f"serve-{name}")
    try:
        status, headers, _ = server.request("/login/", {"Accept": "*/*"})
        realm = escaping.realm(extranet.vendor.product)
        assert all(c in realm for c in "'${};") and realm.startswith("Product Qu'o$t{e} ;xy")
        # The header's bytes are the realm's UTF-8 (http.client reads header bytes as Latin-1).
        assert (status, headers["www-authenticate"].encode("latin-1").decode()) == (401, f'Basic realm="{realm}"')
        status, headers, _ = server.request("/login/", {"Authorization": basic("alpha.one", password)},
                                            source="127.0.0.64")
        assert status == 302
        who = json.loads(urllib.parse.unquote(headers["set-cookie"].split("extranet_who=", 1)[1].split(";", 1)[0]))
        alice = next(p for p in people if p.login == "alpha.one")
        assert (who["name"], who["company"]) == (alice.name, customer.name)
    finally:
        stop_server(server)


# --- Timing: unknown logins take as long as wrong passwords -------------------------------------

def median_times(server: Server, rounds: int) -> tuple[float, float]:
    """Median seconds of a wrong password for a known login and for an unknown one, interleaved (so
    that load on the machine hits both alike); every password differs (Caddy caches outcomes)."""
    known, unknown = [], []
    for index in range(rounds):
        for login, times in ((ELBE["login"], known), ("no.such.login", unknown))[:: 1 if index % 2 else -1]:
            headers = {"Authorization": basic(login, f"wrong-{index}-{time.monotonic_ns()}")}
            start = time.perf_counter()
            status, _, _ = server.request("/login/", headers, source=f"127.0.50.{1 + index}")
            times.append(time.perf_counter() - start)
            assert status == 401
    return statistics.median(known), statistics.median(unknown)


@pytest.mark.parametrize("name", ["nginx", "apache", edge.PARAM])
def test_an_unknown_login_takes_as_long_as_a_wrong_password(request: pytest.FixtureRequest,
                                                            running: dict[str, Server], name: str, capsys):
    known, unknown = median_times(edge.target(request, request.getfixturevalue("site"), running, name), 9)
    with capsys.disabled():
        print(f"\n{name}: wrong password, known login {known:.3f} s, unknown login {unknown:.3f} s "
              f"(ratio {unknown / known:.2f})")
    assert 0.5 <= unknown / known <= 2, (known, unknown)


def test_caddy_checks_an_unknown_login_against_its_own_slower_dummy_hash(running: dict[str, Server], capsys):
    """Caddy 2.6 checks an unknown login against its own fake bcrypt hash of cost 14 (ours are 12)
    and cannot be told otherwise: unknown logins take longer, never less. README.md gives the figures;
    its fail2ban jail limits the guesses."""
    known, unknown = median_times(running["caddy"], 5)
    with capsys.disabled():
        print(f"\ncaddy: wrong password, known login {known:.3f} s, unknown login {unknown:.3f} s "
              f"(ratio {unknown / known:.2f})")
    assert unknown / known >= 0.5, (known, unknown)
