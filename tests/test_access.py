"""Access control enforced by real servers: every file, every kind of visitor, every server."""

from __future__ import annotations

import base64
import html

import pytest
import yaml

from extranet import access, servers

from .conftest import REPO
from .servers import CREDENTIALS, REMOVED, REVOKED, Server, Site, Visitor, build_variant, start, stop, visitors

CUSTOMERS = yaml.safe_load((REPO / "customers.yaml").read_text(encoding="utf-8"))["customers"]
SECURITY = {"content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"}


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_variant(tmp_path_factory.mktemp("access"))


@pytest.fixture(scope="session")
def running(site: Site, tmp_path_factory: pytest.TempPathFactory):
    """Each server started once for the whole run."""
    started: dict[str, Server] = {}
    try:
        for name in servers.SERVERS:
            started[name] = start(name, site, tmp_path_factory.mktemp(name))
        yield started
    finally:
        for server in started.values():
            stop(server)


def outcome(status: int, headers: dict[str, str]) -> str:
    if status == 200:
        return "allowed"
    if status in (401, 403) or (status == 302 and "/login/" in headers.get("location", "")):
        return "denied"
    return f"unexpected {status}"


def markers(customer: dict) -> list[str]:
    return [customer["name"], customer["company_id"], f"customers/{customer['id']}/"] + [
        user["login"] for user in customer["users"]]


def foreign(visitor: Visitor, principal: access.Principal | None) -> list[dict]:
    """Customers whose data this visitor must never receive."""
    if principal is not None and principal.staff:
        return []
    own = principal.customer if principal is not None else None
    return [customer for customer in CUSTOMERS if customer["id"] != own]


@pytest.mark.parametrize("name", servers.SERVERS)
def test_access_matrix(site: Site, running: dict[str, Server], name: str, capsys):
    """Every file of the web root, for every kind of visitor, gets the outcome its audience says,
    and no response carries another customer's name, company ID, login or page."""
    server = running[name]
    files = site.files()
    cells, mismatches = 0, []
    for visitor in visitors():
        principal = visitor.principal(site.principals)
        headers = server.credentials(visitor)
        hidden = foreign(visitor, principal)
        for path in files:
            area = access.area_of(path, site.areas)
            expected = "allowed" if access.allowed(principal, area) else "denied"
            status, response, body = server.request("/" + path, headers)
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
    with capsys.disabled():
        print(f"\n{name}: access matrix: {cells} cells, {len(mismatches)} mismatches")
    assert not mismatches, "\n".join(mismatches[:40])


@pytest.mark.parametrize("name", servers.SERVERS)
def test_removed_user_and_revoked_customer_are_shut_out(site: Site, running: dict[str, Server], name: str):
    server = running[name]
    removed = next(v for v in visitors() if v.login == REMOVED)
    status, headers, _ = server.request("/releases/", server.credentials(removed))
    assert outcome(status, headers) == "denied"
    revoked = next(c for c in yaml.safe_load((REPO / "tests/fixtures/demo-credentials.yaml").read_text())
                   if c["customer"] == REVOKED)
    visitor = Visitor("revoked", revoked["login"], revoked["password"], REVOKED)
    status, headers, _ = server.request(f"/customers/{REVOKED}/", server.credentials(visitor))
    assert outcome(status, headers) == "denied"


@pytest.mark.parametrize("name", servers.SERVERS)
def test_public_pages_need_no_login_and_private_ones_do(running: dict[str, Server], name: str):
    server = running[name]
    for path in ("/", "/en/", "/support/", "/en/support/", "/assets/javascripts/bundle.a5f9d56c.min.js", "/404.html"):
        status, headers, _ = server.request(path)
        assert status == 200, path
        assert headers.get("cache-control") != "private, no-store", path
    for path in ("/releases/", "/en/releases/9.3.0/", "/guides/upgrade/", "/search/search_index.json",
                 "/customers/strojirny-labe/", "/staff/"):
        status, headers, _ = server.request(path)
        assert outcome(status, headers) == "denied", path


def test_apache_login_lands_on_the_users_page_and_logout_ends_the_session(running: dict[str, Server]):
    """/login/ checks the password once and sends the user to their customer's page in its language
    (or to ?next= on this site); /logout/ drops the cookie. (nginx: its login rate limit, 10/min,
    is spent by the matrix.)"""
    server = running["apache"]
    entry = next(c for c in CREDENTIALS if c["customer"] == "elbe-precision")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{entry['login']}:{entry['password']}".encode()).decode()}
    status, headers, _ = server.request("/login/", basic)
    assert status == 302 and headers["location"].endswith("/en/customers/elbe-precision/")
    cookie = {"Cookie": headers["set-cookie"].split(";", 1)[0]}
    for next_, landing in (("%2Freleases%2F", "/releases/"), ("%2F%2Fevil.example%2F", "/en/customers/elbe-precision/"),
                           ("https%3A%2F%2Fevil.example%2F", "/en/customers/elbe-precision/")):
        status, headers, _ = server.request(f"/login/?next={next_}", basic)
        assert status == 302 and headers["location"].endswith(landing) and "evil" not in headers["location"]
    assert server.request("/releases/", cookie)[0] == 200
    status, headers, _ = server.request("/logout/", cookie)
    assert status == 302 and "max-age=0" in headers["set-cookie"].lower()
