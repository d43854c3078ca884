"""Access control enforced by real servers: every file, every kind of visitor, every server."""

from __future__ import annotations

import base64
import html
import re

import pytest
import yaml

from extranet import access, servers

from .conftest import DOWNLOAD_SECRET, REPO
from .servers import CREDENTIALS, REMOVED, REVOKED, SECRET, Server, Site, Visitor, session_cookie, visitors

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


@pytest.mark.parametrize("name", servers.SERVERS)
def test_access_matrix(served: tuple[Site, dict[str, Server]], name: str, capsys):
    """Every file of the web root, for every kind of visitor, gets the outcome its audience says,
    and no response carries another customer's name, company ID, login or page: served under the
    path of site_url (`/extranet/`) and at the root."""
    site, running = served
    server = running[name]
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
            if area.audience != access.PUBLIC and (response.get("cache-control") != "private, no-store"
                                                   or response.get("x-robots-tag") != "noindex"):
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


@pytest.mark.parametrize("name", servers.SERVERS)
def test_removed_user_and_revoked_customer_are_shut_out(site: Site, running: dict[str, Server], name: str):
    server = running[name]
    removed = next(v for v in visitors() if v.login == REMOVED)
    status, headers, _ = server.request("/releases/", server.credentials(removed))
    assert outcome(status, headers) == "denied"
    revoked = next(c for c in yaml.safe_load((REPO / "tests/fixtures/demo-credentials.yaml").read_text())
                   if c["customer"] == REVOKED)
    visitor = Visitor("revoked", revoked["login"], revoked["password"], REVOKED, address="127.0.0.3")
    status, headers, _ = server.request(f"/customers/{REVOKED}/", server.credentials(visitor))
    assert outcome(status, headers) == "denied"


@pytest.mark.parametrize("name", servers.SERVERS)
def test_public_pages_need_no_login_and_private_ones_do(served: tuple[Site, dict[str, Server]], name: str):
    site, running = served
    server = running[name]
    for path in ("/", "/en/", "/support/", "/en/support/", "/assets/javascripts/bundle.a5f9d56c.min.js", "/404.html"):
        status, headers, _ = server.request(path)
        assert status == 200, path
        assert headers.get("cache-control") != "private, no-store", path
    for path in ("/releases/", "/en/releases/9.3.0/", "/guides/upgrade/", "/search/search_index.json",
                 "/customers/strojirny-labe/", "/staff/"):
        status, headers, _ = server.request(path)
        assert outcome(status, headers) == "denied", path


@pytest.mark.parametrize("name", servers.SERVERS)
def test_nothing_outside_the_sites_path_is_served(site: Site, running: dict[str, Server], name: str):
    """Under `/extranet/`, the site's files are not reachable by any other path, logged in or not,
    and the path without its final slash leads to the site."""
    server = running[name]
    assert site.base == "/extranet/"
    staff = next(v for v in visitors() if v.staff)
    for headers in ({}, server.credentials(staff)):
        assert server.request("/releases/", headers)[0] == 200 or not headers
        for path in ("/", "/index.html", "/releases/", "/assets/javascripts/bundle.a5f9d56c.min.js", "/404.html",
                     "/customers/strojirny-labe/", "/staff/", "/login/", "/sitemap.xml", "/extranet/../releases/",
                     "/EXTRANET/releases/", "/extranetreleases/", "/x/extranet/"):
            status, _, body = server.request(path, headers, raw=True)
            assert status == 404, (path, status)
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


@pytest.mark.parametrize("name", ["nginx", "apache"])
def test_login_lands_on_the_users_page_and_logout_ends_the_session(running: dict[str, Server], name: str):
    """/login/ checks the password once and sends the user to their customer's page in its language
    (or to ?next= on this site, never elsewhere); /logout/ drops the session cookie."""
    server = running[name]
    entry = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{entry['login']}:{entry['password']}".encode()).decode()}
    status, headers, _ = server.request("/login/", basic, source="127.0.0.150")
    assert status == 302 and headers["location"].endswith("/en/customers/elbe-precision/")
    cookie = {"Cookie": session_cookie(headers)}
    for next_, landing in (("%2Freleases%2F", "/releases/"), ("%2F%2Fevil.example%2F", "/en/customers/elbe-precision/"),
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
