"""Every page type, as anonymous, a customer and staff, on a desktop and a phone, through real nginx.

On every page: no console error, no failed request (status >= 400) but the ones the walk expects, no
sideways scrolling, and our own controls (copy buttons, form fields, the jump links) at least 3:1
against their background. Screenshots go to build/screenshots/ (git-ignored) to be looked at.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from playwright.sync_api import Page

from .conftest import REPO
from .servers import CREDENTIALS, REMOVED, Server
from .test_browser import browser  # noqa: F401: the Chromium fixture, launched as the suite does

SCREENSHOTS = REPO / "build/screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
CUSTOMER = "strojirny-labe"
"""26 releases behind (4.3.0 of 30): the longest customer page of the demo."""

PUBLIC = {"home": "/", "support": "/support/"}
CUSTOMERS = {"releases": "/releases/", "release": "/releases/9.3.0/", "timeline": "/releases/timeline/",
             "guide": "/guides/upgrade/", "customer": f"/customers/{CUSTOMER}/"}
STAFF = {"staff": "/staff/"}
WALKS = {
    "anonymous": {**PUBLIC, "login": "/login/"},
    "customer": {**PUBLIC, **CUSTOMERS, "404": "/no-such-page/"},
    "staff": {**PUBLIC, **CUSTOMERS, **STAFF, "404": "/no-such-page/"},
}
EXPECTED_STATUS = {"404": 404}
"""A missing page is a 404 for a logged-in reader; an anonymous visitor is asked to log in first
(the server does not tell them which paths exist), so the anonymous walk has no 404."""

CONTRAST = """() => {
  // Contrast (WCAG 2) of our own controls against the background they sit on.
  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(element) {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  }
  function luminance(c) {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function ratio(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  const found = [];
  const checks = [
    [".extranet-copy", "color"], ["pre > button.md-clipboard", "color"],
    [".extranet-report input, .extranet-report select, .extranet-report textarea", "borderTopColor"],
    [".extranet-deadline input, .extranet-deadline select", "borderTopColor"],
    [".extranet-login input", "borderTopColor"],
    [".extranet-jump a", "borderTopColor"], [".extranet-who a", "color"],
  ];
  for (const [selector, property] of checks) {
    for (const element of document.querySelectorAll(selector)) {
      const style = getComputedStyle(element);
      const own = rgba(style[property]);
      if (!own) continue;
      const back = background(element.parentElement || element);
      const shown = over([own[0], own[1], own[2], own[3] * Number(style.opacity)], back);
      // A border of no width is no frame at all, whatever its colour (Material resets form controls).
      const none = property.startsWith("border") && parseFloat(style[property.replace("Color", "Width")]) === 0;
      found.push({selector, property, ratio: none ? 1 : Math.round(ratio(shown, back) * 100) / 100});
    }
  }
  return found;
}"""




def _base(server: Server) -> str:
    """The site's address without its final slash: served under the path of site_url (/extranet)."""
    return f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"


def _login(context, base: str, who: str) -> None:
    """Through the login page's form, as a reader does (no browser password prompt any more)."""
    if who == "anonymous":
        return
    user = _user(who)
    page = context.new_page()
    response = page.goto(base + "/login/")
    assert response is not None and response.ok, (who, response.status if response else None)
    page.locator("#extranet-login-name").fill(user["login"])
    page.locator("#extranet-login-password").fill(user["password"])
    page.get_by_role("button", name="Přihlásit se").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    assert any(c["name"] == "extranet_who" for c in context.cookies()), who
    page.close()


def _user(who: str) -> dict | None:
    if who == "anonymous":
        return None
    wanted = CUSTOMER if who == "customer" else None
    return next(c for c in CREDENTIALS if c["customer"] == wanted and c["login"] != REMOVED)


def _visit(page: Page, url: str, expected: int) -> dict:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and not _expected_console(message.text, expected) else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}"))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not (response.url == url and response.status == expected) else None)
    response = page.goto(url)
    assert response is not None and response.status == expected, (url, response.status if response else None)
    page.wait_for_load_state("networkidle")
    page.locator(".extranet-who:not([hidden])").wait_for(state="attached")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    contrast = page.evaluate(CONTRAST)
    return {"problems": problems, "width": width, "contrast": contrast,
            "height": page.evaluate("document.documentElement.scrollHeight"),
            "header": page.evaluate("[...document.querySelectorAll('.extranet-who a')].map(a => a.className)"),
            # Who is logged in as the reader sees it: shown (with a width), on a phone too.
            "name": page.evaluate("() => { const n = document.querySelector('.extranet-who__name'); "
                                  "return n && n.getBoundingClientRect().width > 0 ? n.innerText : ''; }")}


def _expected_console(text: str, expected: int) -> bool:
    """The browser logs the 404 of a page the walk asks for on purpose."""
    return expected >= 400 and str(expected) in text


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("who", list(WALKS))
def test_walk_every_page_type(browser, running: dict[str, Server], who: str, viewport: str):
    server = running["nginx"]
    base = _base(server)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failures = []
    for language, prefix in (("cs", ""), ("en", "/en")):
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="cs-CZ" if language == "cs" else "en-GB")
        _login(context, base, who)
        for name, path in WALKS[who].items():
            page = context.new_page()
            url = base + prefix + path
            seen = _visit(page, url, EXPECTED_STATUS.get(name, 200))
            page.screenshot(path=str(SCREENSHOTS / f"{who}-{viewport}-{language}-{name}.png"), full_page=True)
            page.close()
            if seen["problems"]:
                failures.append((url, "problems", seen["problems"]))
            if seen["width"][0] > seen["width"][1]:
                failures.append((url, "scrolls sideways", seen["width"]))
            low = [c for c in seen["contrast"] if c["ratio"] < 3]
            if low:
                failures.append((url, "contrast below 3:1", low))
            # Behind the login the header always offers logout; a public page offers login to anonymous.
            if who != "anonymous" and name in {**CUSTOMERS, **STAFF} and "extranet-who__logout" not in seen["header"]:
                failures.append((url, "no logout in the header", seen["header"]))
            if who != "anonymous" and name in {**CUSTOMERS, **STAFF} and ", " not in seen["name"]:
                failures.append((url, "who is logged in (name, company) not shown", seen["name"]))
            if who == "anonymous" and "extranet-who__login" not in seen["header"]:
                failures.append((url, "no login in the header", seen["header"]))
            if name == "customer" and viewport == "desktop" and seen["height"] > 3600:
                failures.append((url, "taller than four 1366x900 screens", seen["height"]))
        context.close()
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


def test_the_walk_checks_what_it_claims(browser, running: dict[str, Server]):
    """The contrast check sees our controls, and the customer's page has some to see."""
    server = running["nginx"]
    base = _base(server)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    _login(context, base, "customer")
    page = context.new_page()
    seen = _visit(page, base + f"/customers/{CUSTOMER}/", 200)
    selectors = {c["selector"] for c in seen["contrast"]}
    assert ".extranet-copy" in selectors and any("extranet-report" in s for s in selectors), selectors
    assert ".extranet-jump a" in selectors
    # A control as faint as the old copy icon (opacity .6 of a light grey) is caught.
    page.evaluate("document.querySelector('.extranet-copy').style.opacity = '0.2'")
    low = [c for c in page.evaluate(CONTRAST) if c["selector"] == ".extranet-copy" and c["ratio"] < 3]
    assert low
    context.close()


# --- who is logged in ----------------------------------------------------------------------------

def _who_cookie(base: str, **values: str) -> dict:
    return {"name": "extranet_who", "value": urllib.parse.quote(json.dumps(values)), "url": base + "/"}


def test_an_anonymous_visitor_gets_a_login_link_that_returns_to_the_page(browser, running: dict[str, Server]):
    base = _base(running["nginx"])
    context = browser.new_context(locale="cs-CZ", viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(base + "/en/support/")
    who = page.locator(".extranet-who")
    who.get_by_role("link", name="Log in").wait_for()
    site = running["nginx"].base  # /extranet/: ?next= is the whole path
    # the English page's login page (en/login/), relative to en/support/
    assert who.get_by_role("link", name="Log in").get_attribute("href") == \
        "../login/?next=" + urllib.parse.quote(site + "en/support/", safe="")
    page.goto(base + "/")
    assert page.locator("a.extranet-login").inner_text() == "Přihlásit se"
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_logged_in_reader_sees_who_they_are_their_page_and_logout(browser, running: dict[str, Server], viewport: str):
    base, site = _base(running["nginx"]), running["nginx"].base
    home = site + "customers/strojirny-labe/"  # as the server writes it: a path under the site's path
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    context.add_cookies([_who_cookie(base, name="Jana Dvořáková", company="Strojírny Labe a.s.", home=home)])
    page = context.new_page()
    page.goto(base + "/en/support/")
    who = page.locator(".extranet-who")
    who.locator("a").first.wait_for()
    if viewport == "desktop":
        assert who.locator(".extranet-who__name").inner_text() == "Jana Dvořáková, Strojírny Labe a.s."
    assert who.locator(".extranet-who__name").get_attribute("title") == "Jana Dvořáková, Strojírny Labe a.s."
    assert who.get_by_role("link", name="Your company's page").get_attribute("href") == home
    assert who.get_by_role("link", name="Log out").get_attribute("href") == \
        "../../logout/?next=" + urllib.parse.quote(site + "en/", safe="")
    assert who.get_by_role("link", name="Log in").count() == 0
    page.goto(base + "/")  # the home page greets the reader with their page, not a login button
    assert page.locator("a.extranet-login").inner_text() == "Stránka Vaší společnosti: Strojírny Labe a.s."
    assert page.locator("a.extranet-login").get_attribute("href") == home
    assert page.locator(".extranet-who").get_by_role("link", name="Odhlásit se").get_attribute("href") == \
        "logout/?next=" + urllib.parse.quote(site, safe="")
    context.close()


def test_names_from_the_cookie_are_text_and_its_link_stays_on_the_site(browser, running: dict[str, Server]):
    base = _base(running["nginx"])
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.add_cookies([_who_cookie(base, name="<img src=x onerror=alert(1)>", company="<b>Acme</b>",
                                     home="javascript:alert(2)")])
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base + "/support/")
    who = page.locator(".extranet-who")
    who.locator("a").first.wait_for()
    assert who.locator(".extranet-who__name").inner_text() == "<img src=x onerror=alert(1)>, <b>Acme</b>"
    assert who.locator("img, b").count() == 0
    assert who.get_by_role("link", name="Stránka Vaší společnosti").count() == 0  # not a javascript: link
    for home in ("//evil.example/", "https://evil.example/"):
        context.add_cookies([_who_cookie(base, name="Jana", company="Acme", home=home)])
        page.goto(base + "/support/")
        page.locator(".extranet-who a").first.wait_for()
        assert page.locator(".extranet-who").get_by_role("link", name="Stránka Vaší společnosti").count() == 0, home
    context.add_cookies([{"name": "extranet_who", "value": "%7Bnot json", "url": base + "/"}])
    page.goto(base + "/support/")
    assert page.locator(".extranet-who").get_by_role("link", name="Přihlásit se").count() == 1
    assert not dialogs
    context.close()


def test_staff_are_led_to_the_customer_overview_by_its_name(browser, running: dict[str, Server]):
    base, site = _base(running["nginx"]), running["nginx"].base
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.add_cookies([_who_cookie(base, name="Petra Horáková", company="ANNECA s.r.o.", home=site + "staff/")])
    page = context.new_page()
    page.goto(base + "/en/support/")
    who = page.locator(".extranet-who")
    who.locator("a").first.wait_for()
    assert who.get_by_role("link", name="Customer overview").get_attribute("href") == site + "staff/"
    assert who.get_by_role("link", name="Your company's page").count() == 0
    page.goto(base + "/")
    page.locator(".extranet-who a").first.wait_for()
    assert page.locator("a.extranet-login").inner_text() == "Přehled zákazníků"
    context.close()
