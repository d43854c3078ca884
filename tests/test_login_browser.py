"""Logging in and out in a real browser (Debian's Chromium driven by Playwright) on nginx, Apache and
Caddy: the login page, its errors, and a logout after which the password is asked for again."""

from __future__ import annotations

import urllib.parse

import pytest

from extranet import servers

from .servers import CREDENTIALS, Server, Site
from .test_browser import browser  # noqa: F401: the module's Chromium, launched once

LABE = next(c for c in CREDENTIALS if c["customer"] == "strojirny-labe" and c["login"] == "labe.dvorakova")


def login_page(url: str, base: str) -> tuple[str, str | None]:
    """The path of a login page's URL and where it will send the reader (its decoded ?next=), both
    relative to `base` (the server's origin and the site's path, without its final slash)."""
    assert url.startswith(base + "/"), url
    path = urllib.parse.urlsplit(base).path
    parts = urllib.parse.urlsplit(url)
    next_ = urllib.parse.parse_qs(parts.query).get("next", [None])[0]
    assert next_ is None or next_.startswith(path + "/"), next_
    return parts.path.removeprefix(path), next_ and next_.removeprefix(path)


def log_in(page, login: str, password: str) -> None:
    page.locator("#extranet-login-name").fill(login)
    page.locator("#extranet-login-password").fill(password)
    page.get_by_role("button", name="Přihlásit se").click()


@pytest.mark.parametrize("name", servers.SERVERS)
def test_log_in_through_the_form_then_log_out_and_be_asked_again(
        browser, served: tuple[Site, dict[str, Server]], name: str):  # noqa: F811
    server = served[1][name]  # under a sub-path and at the root
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(locale="cs-CZ")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(base + "/customers/strojirny-labe/")
    assert login_page(page.url, base) == ("/login/", "/customers/strojirny-labe/")
    assert page.locator("h1").inner_text().strip().rstrip("¶").strip() == "Přihlášení"

    # A wrong password: the error on the same page (a browser prompt would leave the request hanging).
    log_in(page, LABE["login"], LABE["password"] + "x")
    error = page.locator(".extranet-login__error")
    error.wait_for(state="visible", timeout=20000)
    assert error.inner_text() == "Přihlašovací jméno nebo heslo není správné. Zkontrolujte je a zkuste to znovu."
    assert page.url.startswith(base + "/login/")

    log_in(page, LABE["login"], LABE["password"])
    page.wait_for_url(base + "/customers/strojirny-labe/", timeout=20000)
    assert "Strojírny Labe" in page.locator("h1").inner_text()
    page.goto(base + "/releases/")
    assert page.url == base + "/releases/" and page.locator("h1").inner_text().strip() != "Přihlášení"
    assert any(c["name"] == "extranet_who" for c in context.cookies())

    page.goto(base + "/logout/?next=" + urllib.parse.quote(server.base + "en/", safe=""))
    assert page.url == base + "/en/"
    assert not [c for c in context.cookies() if c["name"].startswith("extranet_")]
    page.goto(base + "/customers/strojirny-labe/")
    assert page.url.startswith(base + "/login/"), "after logout, the browser got in without a password"
    assert page.locator("#extranet-login-password").is_visible()
    assert not dialogs
    context.close()


@pytest.mark.parametrize("name", servers.SERVERS)
def test_an_english_page_asks_for_the_password_in_english(
        browser, served: tuple[Site, dict[str, Server]], name: str):  # noqa: F811
    server = served[1][name]  # under a sub-path and at the root
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(base + "/en/releases/")
    assert login_page(page.url, base) == ("/en/login/", "/en/releases/")
    assert page.get_by_label("Login name").is_visible() and page.get_by_label("Password").is_visible()
    page.get_by_label("Login name").fill(LABE["login"])
    page.get_by_label("Password").fill(LABE["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/en/releases/", timeout=20000)
    context.close()


@pytest.mark.parametrize("name", servers.SERVERS)
def test_the_headers_login_link_on_an_english_page_asks_in_english_and_returns_there(
        browser, served: tuple[Site, dict[str, Server]], name: str):  # noqa: F811
    server = served[1][name]  # under a sub-path and at the root
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(locale="cs-CZ")  # the page's language decides, not the browser's
    page = context.new_page()
    page.goto(base + "/en/support/")
    link = page.locator(".extranet-who").get_by_role("link", name="Log in")
    # The English login page itself, not the Czech one that a server would redirect from.
    assert urllib.parse.urljoin(page.url, link.get_attribute("href")).startswith(base + "/en/login/?next=")
    link.click()
    page.wait_for_url(base + "/en/login/*")
    assert login_page(page.url, base) == ("/en/login/", "/en/support/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Login name").fill(LABE["login"])
    page.get_by_label("Password").fill(LABE["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/en/support/", timeout=20000)
    assert page.locator(".extranet-who").get_by_role("link", name="Log out").is_visible()
    context.close()
