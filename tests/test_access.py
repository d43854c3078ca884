"""Access control enforced by real servers: every file, every kind of visitor, every server."""

from __future__ import annotations

import base64
import gzip
import html
import posixpath
import re
import urllib.parse

import pytest
import yaml

from extranet import access, servers
from extranet.building import validate

from . import edge
from .conftest import DOWNLOAD_SECRET, REPO
from .servers import (CREDENTIALS, HAND_PLACED, MARKERS, REMOVED, REVOKED, SECRET, Server, Site, Visitor, session_cookie,
                      visitors)
from .servers import stop as servers_stop

CUSTOMERS = yaml.safe_load((REPO / "customers.yaml").read_text(encoding="utf-8"))["customers"]
SECURITY = {"content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"}
def outcome(status: int, headers: dict[str, str]) -> str:
    if status == 200:
        return "allowed"
    if status in (401, 403) or (status == 302 and "/login/" in headers.get("location", "")):
        return "denied"
    return f"unexpected {status}"


def markers(customer: dict) -> list[str]:
    return [customer["name"], customer["company_id"], f"customers/{customer['id']}/"] + [
        user["login"] for user in customer["users"]]


DOWNLOAD = re.compile(r"downloads/([\w.-]+/[\w.+-]+)")


def entitled_files() -> dict[str, set[str]]:
    """Per customer, the `<version>/<file>` it may download, straight from the YAML: a licensed module
    (the edition's or its own), a licensed platform, released before its support ended."""
    data = yaml.safe_load((REPO / "customers.yaml").read_text(encoding="utf-8"))
    editions = {edition["id"]: set(edition["modules"]) for edition in data["vendor"]["editions"]}
    releases = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in (REPO / "releases").glob("*.yaml")]
    result = {}
    for customer in data["customers"]:
        modules = editions[customer["edition"]] | set(customer.get("modules", []))
        result[customer["id"]] = {
            f"{release['version']}/{artifact['file']}" for release in releases for artifact in release["artifacts"]
            if artifact["module"] in modules and artifact["platform"] in customer["platforms"]
            and release["date"] <= customer["support_until"]}
    return result


ENTITLED = entitled_files()


def foreign(visitor: Visitor, principal: access.Principal | None) -> list[dict]:
    """Customers whose data this visitor must never receive."""
    if principal is not None and principal.staff:
        return []
    own = principal.customer if principal is not None else None
    return [customer for customer in CUSTOMERS if customer["id"] != own]


@pytest.mark.parametrize("name", edge.TARGETS)
def test_access_matrix(request: pytest.FixtureRequest, served: tuple[Site, dict[str, Server]], name: str, capsys):
    """Every file of the web root, for every kind of visitor, gets the outcome its audience says,
    and no response carries another customer's name, company ID, login or page: served under the
    path of site_url (`/extranet/`) and at the root."""
    site, running = served
    server = edge.target(request, site, running, name)
    files = site.files()
    cells, mismatches, links = 0, [], 0
    for visitor in visitors():
        principal = visitor.principal(site.principals)
        headers = server.credentials(visitor)
        hidden = foreign(visitor, principal)
        for path in files:
            area = access.area_of(path, site.areas)
            expected = "allowed" if access.allowed(principal, area) else "denied"
            status, response, body = server.request("/" + path, headers, source=visitor.address)
            got = outcome(status, response)
            cells += 1
            if got != expected:
                mismatches.append(f"{visitor.name} {path}: expected {expected}, got {got}")
            missing = SECURITY - set(response)
            if missing:
                mismatches.append(f"{visitor.name} {path}: no {sorted(missing)}")
            # CloudFront runs no viewer-response function on an error and S3 stores no X-Robots-Tag: the
            # edge's refusal (its one 403 page) is private, no-store; search engines index no 4xx anyway.
            robots = response.get("x-robots-tag") == "noindex" or (name == edge.NAME and status >= 400)
            if area.audience != access.PUBLIC and (response.get("cache-control") != "private, no-store" or not robots):
                mismatches.append(f"{visitor.name} {path}: protected without private, no-store / noindex")
            text = html.unescape(body.decode("utf-8", errors="replace"))
            leaked = [marker for customer in hidden for marker in markers(customer) if marker in text]
            if leaked:
                mismatches.append(f"{visitor.name} {path}: received {leaked}")
            # A link to an artifact, in anything fetchable, only for a customer entitled to it.
            may = ENTITLED.get(principal.customer, set()) if principal and not principal.staff else set()
            unentitled = sorted(set(DOWNLOAD.findall(text)) - may) if status == 200 else []
            if unentitled and not (principal and principal.staff):
                mismatches.append(f"{visitor.name} {path}: links to {unentitled[:3]}")
            links += len(DOWNLOAD.findall(text)) if status == 200 else 0
    with capsys.disabled():
        print(f"\n{name} at {site.base}: access matrix: {cells} cells, {len(mismatches)} mismatches, {links} download links seen")
    assert not mismatches, "\n".join(mismatches[:40])
    assert links, "no download link in any response: the check above proved nothing"


@pytest.mark.parametrize("name", edge.TARGETS)
def test_removed_user_and_revoked_customer_are_shut_out(request: pytest.FixtureRequest, site: Site,
                                                        running: dict[str, Server], name: str):
    server = edge.target(request, site, running, name)
    removed = next(v for v in visitors() if v.login == REMOVED)
    status, headers, _ = server.request("/releases/", server.credentials(removed))
    assert outcome(status, headers) == "denied"
    revoked = next(c for c in yaml.safe_load((REPO / "tests/fixtures/demo-credentials.yaml").read_text())
                   if c["customer"] == REVOKED)
    visitor = Visitor("revoked", revoked["login"], revoked["password"], REVOKED, address="127.0.0.3")
    status, headers, _ = server.request(f"/customers/{REVOKED}/", server.credentials(visitor))
    assert outcome(status, headers) == "denied"


@pytest.mark.parametrize("name", edge.TARGETS)
def test_public_pages_need_no_login_and_private_ones_do(request: pytest.FixtureRequest,
                                                        served: tuple[Site, dict[str, Server]], name: str):
    site, running = served
    server = edge.target(request, site, running, name)
    for path in ("/", "/en/", "/support/", "/en/support/", "/assets/javascripts/bundle.a5f9d56c.min.js", "/404.html"):
        status, headers, _ = server.request(path)
        assert status == 200, path
        # The edge's error pages are stored private, no-store: CloudFront serves them at refused URLs.
        assert headers.get("cache-control") != "private, no-store" or (name == edge.NAME and path == "/404.html"), path
    for path in ("/releases/", "/en/releases/9.3.0/", "/guides/upgrade/", "/search/search_index.json",
                 "/customers/strojirny-labe/", "/staff/"):
        status, headers, _ = server.request(path)
        assert outcome(status, headers) == "denied", path


@pytest.mark.parametrize("name", edge.TARGETS)
def test_nothing_outside_the_sites_path_is_served(request: pytest.FixtureRequest, site: Site,
                                                  running: dict[str, Server], name: str):
    """Under `/extranet/`, the site's files are not reachable by any other path, logged in or not,
    and the path without its final slash leads to the site. (A CloudFront distribution's error pages
    are distribution-wide: there the answer is the site's own public 404 page, and nothing else.)"""
    server = edge.target(request, site, running, name)
    assert site.base == "/extranet/"
    not_found = (site.web_root / "404.html").read_bytes()
    staff = next(v for v in visitors() if v.staff)
    for headers in ({}, server.credentials(staff)):
        assert server.request("/releases/", headers)[0] == 200 or not headers
        for path in ("/", "/index.html", "/releases/", "/assets/javascripts/bundle.a5f9d56c.min.js", "/404.html",
                     "/customers/strojirny-labe/", "/staff/", "/login/", "/sitemap.xml", "/extranet/../releases/",
                     "/EXTRANET/releases/", "/extranetreleases/", "/x/extranet/"):
            status, _, body = server.request(path, headers, raw=True)
            assert status == 404, (path, status)
            if name == edge.NAME:
                assert body == not_found, path
            else:
                assert b"InTouch" not in body, path
    status, response, _ = server.request("/extranet", raw=True)
    assert status in (301, 308) and response["location"].endswith("/extranet/")


def test_failed_logins_are_limited_per_client_address(running: dict[str, Server]):
    """A password guesser is slowed down; a customer logging in from elsewhere is not."""
    server = running["nginx"]
    guesser = Visitor("guesser", "labe.dvorakova", "wrong-password", address="127.0.0.200")
    statuses = [server.request("/login/", server_basic(guesser), source=guesser.address)[0] for _ in range(12)]
    assert statuses[0] == 401
    assert 429 in statuses
    user = next(v for v in visitors() if v.customer == "elbe-precision")
    assert server.credentials(user) != {}


@pytest.mark.node
def test_logins_at_the_edge_are_limited_per_client_address(site: Site, tmp_path):
    """The template's WAF rate rule on the login path (emulated exactly: real WAF blocks a little
    later, see tests/edge/cloudfront.mjs) answers a guesser 429 with its text; a customer logging in
    from elsewhere is not slowed down."""
    server = edge.start(site, tmp_path, waf=True)
    try:
        guesser = Visitor("guesser", "labe.dvorakova", "wrong-password", address="127.0.0.200")
        answers = [server.request("/login/", server_basic(guesser), source=guesser.address) for _ in range(12)]
        assert [status for status, _, _ in answers] == [401] * 10 + [429] * 2
        assert b"Too many login attempts came from your address" in answers[-1][2]
        user = next(v for v in visitors() if v.customer == "elbe-precision")
        assert server.credentials(user) != {}
    finally:
        servers_stop(server)


def server_basic(visitor: Visitor) -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{visitor.login}:{visitor.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_no_password_in_web_root_server_files_or_server_logs(site: Site, running: dict[str, Server]):
    """Only bcrypt hashes leave customers.yaml; wrong and right passwords alike never reach a log;
    neither secret (sessions, download links) is written into the build."""
    passwords = [entry["password"] for entry in CREDENTIALS] + [v.password for v in visitors() if v.password]
    passwords += [SECRET, DOWNLOAD_SECRET]
    places = [p for p in site.output.rglob("*") if p.is_file()]
    places += [p for server in running.values() for p in server.runtime.rglob("*") if p.is_file() and "log" in p.name]
    assert any("log" in p.name for p in places), "no server log was looked at"
    for path in places:
        content = path.read_bytes()
        found = [password for password in passwords if password.encode() in content]
        assert not found, f"{path} contains a password"
    htpasswd = (site.output / "server/htpasswd").read_text()
    assert all(line.split(":", 1)[1].startswith("$2b$12$") for line in htpasswd.splitlines())


@pytest.mark.parametrize("name", ["nginx", "apache", edge.PARAM])
def test_login_lands_on_the_users_page_and_logout_ends_the_session(request: pytest.FixtureRequest,
                                                                   running: dict[str, Server], name: str):
    """/login/ checks the password once and sends the user to their customer's page in its language
    (or to ?next= on this site, never elsewhere); /logout/ drops the session cookie."""
    server = edge.target(request, request.getfixturevalue("site"), running, name)
    entry = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{entry['login']}:{entry['password']}".encode()).decode()}
    status, headers, _ = server.request("/login/", basic, source="127.0.0.150")
    assert status == 302 and headers["location"].endswith("/en/customers/elbe-precision/")
    cookie = {"Cookie": session_cookie(headers)}
    here = urllib.parse.quote(server.base + "releases/", safe="")  # next= is a path on this site, under its base
    for next_, landing in ((here, "/releases/"), ("%2Freleases%2F", "/en/customers/elbe-precision/"),
                           ("%2F%2Fevil.example%2F", "/en/customers/elbe-precision/"),
                           ("https%3A%2F%2Fevil.example%2F", "/en/customers/elbe-precision/")):
        status, headers, _ = server.request(f"/login/?next={next_}", basic, source="127.0.0.150")
        assert status == 302 and headers["location"].endswith(landing) and "evil" not in headers["location"]
    assert server.request("/releases/", cookie)[0] == 200
    status, headers, _ = server.request("/logout/", cookie)
    assert status == 302 and "max-age=0" in headers["set-cookie"].lower()


def test_a_forged_or_expired_nginx_session_opens_nothing(running: dict[str, Server]):
    """The signature covers login and expiry: claiming staff, extending the session or guessing fails."""
    server = running["nginx"]
    customer = next(v for v in visitors() if v.customer == "elbe-precision")
    cookies = dict(part.split("=", 1) for part in server.credentials(customer)["Cookie"].split("; "))
    assert server.request("/en/customers/elbe-precision/", {"Cookie": _cookie(cookies)})[0] == 200
    staff = next(c["login"] for c in CREDENTIALS if c["customer"] is None)
    for forged in ({**cookies, "extranet_login": staff},
                   {**cookies, "extranet_exp": str(int(cookies["extranet_exp"]) + 3600)},
                   {**cookies, "extranet_sig": cookies["extranet_sig"][:-2] + "AA"},
                   {**cookies, "extranet_exp": "1000000000"}):
        status, headers, _ = server.request("/staff/", {"Cookie": _cookie(forged)})
        assert outcome(status, headers) == "denied"
        status, headers, _ = server.request("/en/customers/elbe-precision/", {"Cookie": _cookie(forged)})
        assert outcome(status, headers) == "denied", forged


def _cookie(values: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in values.items())


def test_a_forged_or_expired_edge_session_opens_nothing(edge: Server):
    """At the edge the viewer-request function checks the same three cookies with an HMAC: claiming
    staff, extending the session, guessing, dropping the signature or an expired session all fail."""
    customer = next(v for v in visitors() if v.customer == "elbe-precision")
    cookies = dict(part.split("=", 1) for part in edge.credentials(customer)["Cookie"].split("; "))
    assert {"extranet_login", "extranet_exp", "extranet_sig"} <= set(cookies)
    assert edge.request("/en/customers/elbe-precision/", {"Cookie": _cookie(cookies)})[0] == 200
    staff = next(c["login"] for c in CREDENTIALS if c["customer"] is None)
    unsigned = {name: value for name, value in cookies.items() if name != "extranet_sig"}
    for forged in ({**cookies, "extranet_login": staff},
                   {**cookies, "extranet_exp": str(int(cookies["extranet_exp"]) + 3600)},
                   {**cookies, "extranet_sig": cookies["extranet_sig"][:-2] + "AA"},
                   {**cookies, "extranet_exp": "1000000000"}, unsigned, {**cookies, "extranet_sig": ""}):
        status, headers, _ = edge.request("/staff/", {"Cookie": _cookie(forged)})
        assert outcome(status, headers) == "denied", forged
        status, headers, _ = edge.request("/en/customers/elbe-precision/", {"Cookie": _cookie(forged)})
        assert outcome(status, headers) == "denied", forged


def test_no_password_or_secret_in_the_edges_files_or_log(site: Site, edge: Server):
    """Logins at the edge, right and wrong, leave no password in the emulator's log (the function URL
    and the distribution); the session secret is in no file of the build (the deploy puts it in the
    KeyValueStore) and in no log."""
    wrong = next(v for v in visitors() if v.name == "wrong password")
    for visitor in visitors():
        if visitor.login is not None:
            edge.credentials(visitor)
    assert edge.request("/login/", server_basic(wrong), source=wrong.address)[0] == 401
    passwords = [entry["password"] for entry in CREDENTIALS] + [v.password for v in visitors() if v.password]
    log = edge.runtime / "server.log"
    places = [log, *(p for p in (site.output / "server/cloudfront").rglob("*") if p.is_file())]
    assert log.stat().st_size > 0
    for path in places:
        content = path.read_bytes()
        assert not [password for password in passwords if password.encode() in content], f"{path} holds a password"
        assert SECRET.encode() not in content, f"{path} holds the session secret"


# --- pages a maintainer places by hand --------------------------------------------------------------

def readable_by(audience: str, customer: str | None, principal: access.Principal | None) -> bool:
    """What a page's place and front matter promise, independent of the built rules."""
    return access.allowed(principal, access.Area("", audience, customer))


@pytest.mark.parametrize("name", edge.TARGETS)
def test_a_maintainers_page_is_served_only_to_whom_its_folder_says(request: pytest.FixtureRequest, site: Site,
                                                                   running: dict[str, Server], name: str):
    """`customers/<id>/…` for that customer (front matter may narrow it to staff), `staff/…` for staff."""
    server = edge.target(request, site, running, name)
    intended = {"customers/elbe-precision/contract.md": (access.CUSTOMER, "elbe-precision"),
                "customers/elbe-precision/internal.md": (access.STAFF, None), "staff/handbook.md": (access.STAFF, None)}
    assert set(intended) == set(HAND_PLACED)
    wrong, allowed_seen = [], 0
    for visitor in visitors():
        principal = visitor.principal(site.principals)
        headers = server.credentials(visitor)
        for source, (audience, customer) in intended.items():
            for prefix in ("", "en/"):
                url = "/" + prefix + source.removesuffix(".md") + "/"
                status, response, body = server.request(url, headers, source=visitor.address)
                expected = "allowed" if readable_by(audience, customer, principal) else "denied"
                allowed_seen += expected == "allowed"
                if outcome(status, response) != expected:
                    wrong.append(f"{visitor.name} {url}: expected {expected}, got {status}")
    assert not wrong, "\n".join(wrong)
    assert allowed_seen >= 6  # staff reads all three in both languages; elbe-precision its contract


def test_no_file_served_to_another_audience_holds_a_private_pages_text(site: Site):
    """A customer's or staff page's words appear only in files its own readers receive: not in the
    search index every customer downloads, not in the sitemap, not in any navigation."""
    found: dict[str, list[str]] = {marker: [] for marker in MARKERS}
    wrong = []
    for path in site.files():
        data = (site.web_root / path).read_bytes()
        if path.endswith(".gz"):
            data = gzip.decompress(data)
        text = data.decode("utf-8", errors="replace")
        for marker, (audience, customer) in MARKERS.items():
            if marker not in text:
                continue
            found[marker].append(path)
            area = access.area_of(path, site.areas)
            if (area.audience, area.customer) not in ((audience, customer), (access.STAFF, None)):
                wrong.append(f"{marker} ({audience} {customer or ''}) in {path}, served to {area.audience} "
                             f"{area.customer or ''}")
    assert not wrong, "\n".join(wrong)
    assert all(len(paths) == 2 for paths in found.values()), found  # its own page, in each language
    assert "search/search_index.json" in site.files() and "en/search/search_index.json" in site.files()
    sitemap = (site.web_root / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>" in sitemap
    assert not [path for path in HAND_PLACED if path.removesuffix(".md") in sitemap]


# --- one decision per path, however it is written ---------------------------------------------------

def variants(path: str) -> list[str]:
    """Ways to write a site path that servers may normalise: the path itself, its directory with and
    without a trailing slash, case, percent-encoding, dot segments and doubled slashes."""
    result = ["/" + path]
    if path == "index.html" or path.endswith("/index.html"):
        directory = path.removesuffix("index.html")
        result += ["/" + directory] + (["/" + directory.rstrip("/")] if directory else [])
        path = directory or path
    first, _, rest = path.partition("/")
    result += [
        "/" + path.upper(), "/" + first[:1].swapcase() + first[1:] + ("/" if _ or not first else "") + rest,
        "/" + "".join(f"%{ord(ch):02X}" if ch.isalnum() else ch for ch in path[:3]) + path[3:],
        "/" + path.replace("/", "%2F", 1), "/" + path.replace("/", "%2f", 1),
        "/assets/../" + path, "/assets/%2e%2e/" + path, "/./" + path, "/support/./../" + path,
        "//" + path, "/" + path.replace("/", "//", 1), "/" + path.replace("/", "/./", 1),
        "/" + path + ("/." if path.endswith("/") else "/../" + posixpath.basename(path)),
    ]
    return list(dict.fromkeys(result))


def normalised(url: str) -> str:
    """The site path a server resolves a request path to: percent-decoded, `//` merged, dot segments
    resolved. Case is kept (paths are case-sensitive on every server here)."""
    path = urllib.parse.unquote(url)
    trailing = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
    path = posixpath.normpath("/" + path.lstrip("/"))
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    path = path.lstrip("/")
    return path + "/" if trailing and path else path


LOGIN = "login/"
"""The password check: not a file but the login (tests/test_login.py holds its rules). It answers a
browser with the public login page, a script with the challenge or, for valid credentials, with
the reader's own page; and it limits how often one address may ask."""


def expected_outcome(url: str, site: Site, principal: access.Principal | None, existing: set[str]) -> set[str]:
    path = normalised(url)
    if path == LOGIN:
        return {"allowed", "denied", "limited", "logged in"}
    if not access.allowed(principal, access.area_of(path, site.areas)):
        return {"denied"}
    if path in existing or (path.endswith("/") or path == "") and path + "index.html" in existing:
        return {"allowed"}
    if path + "/index.html" in existing:
        return {"redirect"}
    return {"missing"}


def answer(status: int, headers: dict[str, str], url: str, base: str = "/", home: str | None = None) -> str:
    """What the server did with the site path `url`; a redirect's Location is a full path on the
    server, so it must lie under the site's `base` and is compared without it. `home`: the full
    path of the reader's own page, where a login sends them."""
    if status in (301, 308) or (status == 302 and "/login/" not in headers.get("location", "")):
        location = urllib.parse.urlsplit(headers.get("location", "")).path
        if status == 302 and home is not None and location == home:
            return "logged in"
        if not location.startswith(base):
            return f"redirect to {location}"
        here = normalised("/" + location.removeprefix(base))
        return "redirect" if here in (normalised(url), normalised(url) + "/") else f"redirect to {location}"
    if status == 404:
        return "missing"
    if status == 429:
        return "limited"
    return outcome(status, headers)


def canonical(path: str) -> str:
    """The URL a page is linked by: its directory for `index.html`."""
    return "/" + path.removesuffix("index.html") if path == "index.html" or path.endswith("/index.html") else "/" + path


def sample(files: list[str]) -> list[str]:
    """Every page and generated file, and a few theme files: the theme's hundreds of assets are all
    under one public prefix, so a handful of them says what the rest would."""
    assets = [path for path in files if path.startswith("assets/")]
    return [path for path in files if not path.startswith("assets/")] + assets[:3]


@pytest.mark.parametrize("name", edge.TARGETS)
def test_every_path_however_written_gets_the_answer_area_of_gives(request: pytest.FixtureRequest,
                                                                  served: tuple[Site, dict[str, Server]], name: str,
                                                                  capsys):
    """Every built file, written as an attacker would vary it, for an anonymous visitor, two customers
    and staff: each server answers as `access.area_of` decides for the path it resolves to; under
    `/extranet/` and at the root."""
    site, running = served
    server = edge.target(request, site, running, name)
    existing = set(site.files())
    people = [v for v in visitors() if v.name in ("anonymous", "user of staff", "user of elbe-precision",
                                                   "user of strojirny-labe")]
    assert len(people) == 4
    extranet = validate(site.root / "mkdocs.yml")
    wrong, cells, stricter = [], 0, 0
    for visitor in people:
        principal = visitor.principal(site.principals)
        headers = server.credentials(visitor)
        home = server.base + servers.landing(extranet, principal) if principal else None
        for path in sample(sorted(existing)):
            for url in variants(path):
                expected = expected_outcome(url, site, principal, existing)
                status, response, _ = server.request(url, headers, source=visitor.address)
                got = answer(status, response, url, server.base, home)
                cells += 1
                if got in expected:
                    continue
                # Never more than area_of allows; the written path exactly as area_of says; elsewhere a
                # server may refuse more (400, 404, a login) or redirect to the path it resolves to.
                if got == "allowed" or url == canonical(path) or got not in ("denied", "missing", "redirect",
                                                                              "unexpected 400"):
                    wrong.append(f"{visitor.name} {url}: expected {'/'.join(expected)}, got {got} ({status})")
                else:
                    stricter += 1
    with capsys.disabled():
        print(f"\n{name} at {site.base}: path variants: {cells} requests, {len(wrong)} mismatches, {stricter} refused or redirected "
              f"where area_of would answer")
    assert not wrong, "\n".join(wrong[:60])


@pytest.mark.parametrize("name", ["nginx", "apache"])
def test_absolute_links_of_feeds_and_command_lines_open_on_the_server(served: tuple[Site, dict[str, Server]],
                                                                       name: str):
    """Every absolute link the build writes (feeds, the `curl` lines on a customer's page) names a
    path the server serves to that customer: at the root and under `/extranet/`."""
    site, running = served
    server = running[name]
    site_url = "https://www.anneca.cz/extranet/" if site.base == "/extranet/" else "https://extranet.example.cz/"
    customer = next(v for v in visitors() if v.customer == "strojirny-labe")
    headers = server.credentials(customer)
    links = set()
    for path in ("customers/strojirny-labe/feed.atom", "releases/feed.atom", "customers/strojirny-labe/index.html"):
        text = html.unescape((site.web_root / path).read_text(encoding="utf-8"))
        links |= set(re.findall(re.escape(site_url) + r"[^\s'\"<>]*", text))
    assert any("/downloads/" in link for link in links) and any(link.endswith("/releases/9.3.0/") for link in links)
    for link in sorted(links):
        path = site.base + link.removeprefix(site_url).split("#")[0]  # a browser sends no fragment
        status = server.request(path, {} if "/downloads/" in link else headers, raw=True, source=customer.address)[0]
        assert status == 200, (link, status)
