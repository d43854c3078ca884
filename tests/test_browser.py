"""A customer in a real browser (Debian's Chromium driven by Playwright) against real nginx."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from .conftest import REPO
from .servers import CREDENTIALS, Server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "tests/artifacts"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists() or shutil.which("chromium"), "Debian's chromium is not installed (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_customer_logs_in_switches_language_reads_the_guide_searches_and_logs_out(browser, running: dict[str, Server]):
    server = running["nginx"]
    user = next(c for c in CREDENTIALS if c["customer"] == "strojirny-labe")
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(http_credentials={"username": user["login"], "password": user["password"]},
                                  viewport={"width": 1280, "height": 900}, locale="cs-CZ")
    page = context.new_page()

    page.goto(base + "/")
    page.get_by_role("link", name="Přihlásit se").click()
    page.wait_for_url(base + "/customers/strojirny-labe/")
    assert page.locator("h1").inner_text().rstrip("¶").strip() == "Strojírny Labe a.s."
    assert "Používáte verzi 4.3.0" in page.locator("article").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-page.png"), full_page=True)

    page.locator(".md-select").first.hover()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(base + "/en/customers/strojirny-labe/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "You use version 4.3.0" in page.locator("article").inner_text()

    page.get_by_role("link", name="Detailed guide to upgrading to 5.0.0").click()
    page.wait_for_url(base + "/en/upgrade/5.0.0/")
    assert page.locator("h1").inner_text().strip() != ""

    with page.expect_response(lambda r: r.url.endswith("/search/search_index.json")) as index:
        page.goto(base + "/releases/")
    assert index.value.status == 200
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    search = page.locator("input.md-search__input")
    results = page.locator(".md-search-result__item")
    for _ in range(30):  # the theme ignores a query typed before its worker has built the index
        search.fill("")
        search.fill("Excel")
        try:
            results.first.wait_for(timeout=3000)
            break
        except Exception:  # noqa: BLE001: retype, as a reader would
            continue
    assert results.count() > 0, ("search gave no result within 90 s", page.locator(".md-search-result__meta").inner_text(),
                                 console)
    found = " ".join(results.all_inner_texts())
    assert "Excel" in found
    assert "Strojírny" not in found and "customers/" not in page.locator(".md-search-result").inner_html()

    page.goto(base + "/en/customers/strojirny-labe/")
    page.get_by_role("link", name="Log out").click()
    page.wait_for_url(base + "/")
    assert not [c for c in context.cookies() if c["name"].startswith("extranet_")]
    response = page.request.get(base + "/customers/strojirny-labe/", max_redirects=0)
    assert response.status == 302 and "/login/" in response.headers["location"]
    context.close()


def test_anonymous_visitor_sees_no_broken_search_and_no_login_prompt(browser, running: dict[str, Server]):
    server = running["nginx"]
    context = browser.new_context()
    page = context.new_page()
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.goto(f"http://127.0.0.1:{server.port}/en/support/")
    page.wait_for_load_state("networkidle")
    assert page.locator("form[name=search]").count() == 0
    assert page.locator("input.md-search__input").count() == 0
    assert not [url for url in failed if "search" in url], failed
    assert not dialogs
    context.close()
