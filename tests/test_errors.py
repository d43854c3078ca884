"""The site's error pages through the real servers: the right status, the site's page in the reader's
language (by the path asked for), styled by the site's own public stylesheet, naming no customer.

Each status is provoked where the server produces it: 401 at the login (nginx, Apache: /login/;
Caddy: any protected page), 403 on another customer's page, 404 on a missing page, 410 on an
expired download link (nginx, Apache: Caddy serves no downloads), 429 after too many logins
(nginx: Apache and Caddy leave the limit to fail2ban, which refuses at the firewall).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re

import pytest
import yaml

from extranet import errors, servers
from extranet.building import validate
from extranet.storage import LocalStorage

from .conftest import DOWNLOAD_SECRET, REPO
from .servers import CREDENTIALS, Server, Site, Visitor

STRINGS = yaml.safe_load((REPO / "site_templates/strings.yaml").read_text(encoding="utf-8"))
CUSTOMERS = yaml.safe_load((REPO / "customers.yaml").read_text(encoding="utf-8"))["customers"]


def basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


def assert_error_page(server: Server, response: tuple[int, dict[str, str], bytes], status: int, language: str,
                      others: tuple[str, ...] = ()) -> str:
    """The response is the site's error page for `status` in `language`, with the site's stylesheet."""
    got, headers, body = response
    text = body.decode("utf-8")
    assert got == status, (server.name, status, got, text[:300])
    title = html.escape(STRINGS[f"error_{status}_title"][language], quote=False)
    assert f'<h1 class="extranet-error__title">{title}</h1>' in text, (server.name, status, language, text[:500])
    assert f'<html lang="{language}"' in text
    assert STRINGS[f"error_{status}_todo"][language].split(":")[0].split(".")[0][:30] in html.unescape(text)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
    assert any(re.fullmatch(re.escape(server.base) + r"assets/stylesheets/main\.\w+\.min\.css", s) for s in stylesheets), \
        stylesheets
    for stylesheet in stylesheets:  # public: an anonymous visitor gets them, whatever went wrong
        assert server.request(stylesheet, raw=True)[0] == 200, stylesheet
    assert headers["content-type"].startswith("text/html")
    for customer in CUSTOMERS:
        for marker in (customer["name"], customer["company_id"], customer["id"], *others):
            assert marker not in text, (server.name, status, marker)
    return text


def user(customer: str | None, address: str) -> Visitor:
    entry = next(c for c in CREDENTIALS if c["customer"] == customer)
    return Visitor(str(customer), entry["login"], entry["password"], customer, customer is None, address)


@pytest.mark.parametrize("name", servers.SERVERS)
def test_404_403_and_401_are_the_sites_pages_in_the_readers_language(served: tuple[Site, dict[str, Server]],
                                                                      name: str):
    site, running = served
    server = running[name]
    staff = user(None, "127.0.5.1")
    customer = user("strojirny-labe", "127.0.5.2")
    as_staff, as_customer = server.credentials(staff), server.credentials(customer)
    for prefix, language in (("", "cs"), ("en/", "en")):
        # 404: a missing page for someone who may read the area, and a missing public asset for anyone.
        assert_error_page(server, server.request(f"/{prefix}no-such-page/", as_staff), 404, language)
        assert_error_page(server, server.request(f"/{prefix}no-such-page/index.html", as_customer), 404, language)
        # 403: another customer's page; the page names neither that customer nor the reader's.
        page = server.request(f"/{prefix}customers/elbe-precision/", as_customer, source=customer.address)
        text = assert_error_page(server, page, 403, language)
        assert f'href="{server.base}logout/"' in text
        assert page[1]["cache-control"] == "private, no-store", "a shared cache must not keep it for the page's reader"
    assert_error_page(server, server.request("/assets/no-such-file.css"), 404, "cs")
    # 401: the login (nginx, Apache) or a protected page (Caddy, whose login is Basic everywhere).
    # The browser's password prompt still comes: the challenge stays.
    for path, language in (("/login/", "cs"),) if name != "caddy" else (("/releases/", "cs"), ("/en/releases/", "en")):
        response = server.request(path, basic(customer.login, "wrong password"), source="127.0.5.3")
        assert_error_page(server, response, 401, language)
        assert response[1]["www-authenticate"].startswith("Basic realm=")
        if name != "caddy":  # the login page's script marks its request: the same page, no prompt
            marked = {**basic(customer.login, "wrong password"), "X-Requested-With": "extranet-login"}
            response = server.request(path, marked, source="127.0.5.3")
            assert_error_page(server, response, 401, language)
            assert "www-authenticate" not in response[1]


@pytest.mark.parametrize("name", ["nginx", "apache"])
def test_an_expired_download_link_says_to_reload_the_page(served: tuple[Site, dict[str, Server]], name: str):
    site, running = served
    server = running[name]
    extranet = validate(site.root / "mkdocs.yml")
    release = next(r for r in extranet.releases if r.version == "9.3.0")
    artifact = release.artifacts[0]
    storage = LocalStorage(site.root / "releases/artifacts", 3600, DOWNLOAD_SECRET, base=site.base)
    expired = storage.link(release, artifact, dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    text = assert_error_page(server, server.request("/" + expired.url), 410, "cs")
    assert "načtěte ji znovu" in text
    fresh = storage.link(release, artifact, dt.datetime.now(dt.timezone.utc))
    assert server.request("/" + fresh.url)[0] == 200, "the same file with a fresh link opens"
    # Cut short when copied (no expiry) or altered: not "you may not read this page", but the same advice.
    for broken in (fresh.url.split("&")[0], fresh.url.replace("md5=", "md5=x")):
        response = server.request("/" + broken)
        assert response[0] == 403 and response[1]["cache-control"] == "private, no-store"
        text = response[2].decode()
        title = html.escape(STRINGS["error_download_403_title"]["cs"], quote=False)
        assert f'<h1 class="extranet-error__title">{title}</h1>' in text and "načtěte ji znovu" in text, text[:300]
    missing = server.request("/" + fresh.url.replace(artifact.file, "no-such-file.zip"))
    assert missing[0] in (403, 404)  # the signature covers the path: another file's link does not hold


def test_too_many_logins_get_the_sites_429_page(served: tuple[Site, dict[str, Server]]):
    """nginx limits logins per client address; the limited reader is told to wait."""
    site, running = served
    server = running["nginx"]
    guesser = basic("labe.dvorakova", "wrong-password")
    address = "127.0.5.200" if site.base == "/" else "127.0.5.201"
    responses = [server.request("/login/", guesser, source=address) for _ in range(12)]
    limited = [response for response in responses if response[0] == 429]
    assert limited, [response[0] for response in responses]
    assert "minutu" in assert_error_page(server, limited[0], 429, "cs")


def test_error_pages_are_public_files_of_the_build(site: Site):
    """Every status in every language is a file of the web root that anyone may load."""
    from extranet import access

    for path in errors.paths(("cs", "en")):
        assert (site.web_root / path).is_file(), path
        assert access.area_of(path, site.areas).audience == access.PUBLIC, path
    assert len(errors.paths(("cs", "en"))) == 11  # five statuses in two languages, and a broken download link


def test_error_pages_have_no_text_of_the_other_language(site: Site):
    """The header's login/logout texts and the footer follow the page's language, as on every page."""
    foreign = {"cs": ("Made with", "Log in", "Log out", "Your company", "Navigation"),
               "en": ("Vytvořeno pomocí", "Přihlásit", "Odhlásit", "Stránka Vaší", "Navigace")}
    for page in errors.pages(("cs", "en")):
        text = html.unescape((site.web_root / page.path).read_text(encoding="utf-8"))
        assert not [word for word in foreign[page.language] if word in text], page.path


def test_nginx_error_pages_cannot_be_fetched_through_their_internal_path(running: dict[str, Server]):
    """nginx reaches the pages through an internal location; asked for directly it is not there."""
    server = running["nginx"]
    status, _, body = server.request("/.extranet-errors/customers/strojirny-labe/index.html")
    assert status in (302, 404) and b"strojirny" not in body.lower()


SITEMAP_BESIDE = re.compile(r'<link rel="alternate"[^>]* href="([^"]+)"')
"""The links Material's script (`[rel=alternate]`: the attribute exactly) fetches a sitemap beside:
the languages. Feeds are `rel="alternate feed"`, which it leaves alone."""


@pytest.mark.parametrize("name", servers.SERVERS)
def test_every_sitemap_a_page_asks_for_is_there_for_its_reader(site: Site, running: dict[str, Server], name: str):
    """Material's script fetches `sitemap.xml` beside each `<link rel="alternate">` of a page (the
    languages, the feeds): for every page a visitor may read, that request succeeds for that visitor,
    and what it gets names public pages only."""
    from urllib.parse import urljoin

    from extranet import access

    server = running[name]
    public = {page.strip() for page in re.findall(r"<loc>([^<]+)</loc>", (site.web_root / "sitemap.xml").read_text())}
    assert public and all("/customers/" not in url and "/staff/" not in url for url in public)
    readers = [Visitor("anonymous"), user(None, "127.0.6.1"), user("strojirny-labe", "127.0.6.2"),
               user("elbe-precision", "127.0.6.3")]
    checked = 0
    for reader in readers:
        principal = reader.principal(site.principals)
        headers = server.credentials(reader)
        wanted = set()
        for path in site.files():
            if path.endswith(".html") and access.allowed(principal, access.area_of(path, site.areas)):
                page_url = site.base + path.removesuffix("index.html")
                text = (site.web_root / path).read_text(encoding="utf-8")
                wanted |= {urljoin(urljoin(page_url, html.unescape(href)), "sitemap.xml")
                           for href in SITEMAP_BESIDE.findall(text)}
        assert wanted
        for url in sorted(wanted):
            status, _, body = server.request(url, headers, raw=True, source=reader.address)
            assert status == 200, (reader.name, url, status)
            assert set(re.findall(r"<loc>([^<]+)</loc>", body.decode())) <= public, (reader.name, url)
            checked += 1
    assert checked >= 2 * len(readers), checked  # every reader: each language's root at least


def test_in_chromium_error_pages_are_styled_and_no_request_fails(running: dict[str, Server]):
    """Anonymous, a customer and staff open pages and error pages in Chromium through nginx: the
    only failed request is the page whose error is shown, nothing logs a console error (the sitemap
    requests included), and the error page is laid out by the site's stylesheet."""
    from playwright.sync_api import sync_playwright

    from .test_browser import ARTIFACTS, CHROMIUM, FLAGS, log_in

    server = running["nginx"]
    origin = f"http://127.0.0.1:{server.port}"
    base = origin + server.base
    customer = next(c for c in CREDENTIALS if c["customer"] == "strojirny-labe")
    staff = next(c for c in CREDENTIALS if c["customer"] is None)
    visits = {
        "anonymous": (None, [("", 200), ("en/support/", 200), ("support/", 200), ("assets/missing.css", 404)]),
        "customer": (customer, [("customers/strojirny-labe/", 200), ("en/customers/strojirny-labe/", 200),
                                ("releases/", 200), ("customers/elbe-precision/", 403),
                                ("en/customers/elbe-precision/", 403), ("en/no-such-page/", 404)]),
        "staff": (staff, [("staff/", 200), ("en/releases/", 200), ("customers/teplo-servis/", 200),
                          ("no-such-page/", 404)]),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for who, (entry, pages) in visits.items():
                context = browser.new_context(viewport={"width": 390, "height": 844})
                if entry:  # through the login page's form
                    login = context.new_page()
                    log_in(login, base.rstrip("/"), entry)
                    login.wait_for_url(lambda url: "/login/" not in url)
                    login.close()
                for path, status in pages:
                    page = context.new_page()
                    failed: list[str] = []
                    console: list[str] = []
                    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
                    response = page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    assert response.status == status, (who, path, response.status)
                    expected = [f"{status} {base + path}"] if status >= 400 else []
                    assert failed == expected, (who, path, failed)
                    assert not [text for text in console if "Failed to load resource" not in text
                                or f"status of {status}" not in text], (who, path, console)
                    if status >= 400:
                        # Styled: Material's header is laid out, not a page of giant icons.
                        header = page.locator(".md-header").bounding_box()
                        assert header and header["height"] < 80, (who, path, header)
                        assert page.locator(".md-button").first.is_visible()
                        if status == 403:  # the reader's own page, straight (not the login form again)
                            own = page.locator(".md-button").first.get_attribute("href")
                            assert own == server.base + "customers/strojirny-labe/", (who, path, own)
                        name = f"error-{who}-{status}-{path.strip('/').replace('/', '-')}.png"
                        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
                    page.close()
                context.close()
        finally:
            browser.close()
