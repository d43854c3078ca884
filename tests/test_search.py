"""Search per language, without diacritics in Czech: in Chromium against nginx, and in the built index."""

from __future__ import annotations

import json

from extranet import search

from .servers import CREDENTIALS, Server, Site
from .test_browser import browser  # noqa: F401: the fixture


def test_fold_drops_accents_only():
    assert search.fold("Zálohování a obnova, ČEŠTINA, ů, ñ") == "Zalohovani a obnova, CESTINA, u, n"


def test_each_language_has_its_own_index_of_pages_every_customer_may_read(site: Site):
    cs = json.loads((site.web_root / "search/search_index.json").read_text(encoding="utf-8"))
    en = json.loads((site.web_root / "en/search/search_index.json").read_text(encoding="utf-8"))
    assert {doc["location"].split("#")[0] for doc in cs["docs"]} >= {"guides/backup/", "releases/"}
    assert {doc["location"].split("#")[0] for doc in en["docs"]} >= {"guides/backup/", "releases/"}
    assert not [doc for doc in cs["docs"] + en["docs"] if doc["location"].startswith(("en/", "customers/", "staff/"))]
    backup = next(doc for doc in cs["docs"] if doc["location"] == "guides/backup/")
    assert backup["title"].startswith("Zálohování") and backup["title_folded"].startswith("Zalohovani")
    assert cs["config"]["fields"]["title_folded"] == cs["config"]["fields"]["title"]
    assert all("á" not in doc["text"] for doc in en["docs"] if doc["location"].startswith("guides/backup/"))
    # Each page's script looks for its language's index: the English pages at en/.
    assert '"base": "../../en/"' in (site.web_root / "en/releases/index.html").read_text(encoding="utf-8")
    assert '"base": ".."' in (site.web_root / "releases/index.html").read_text(encoding="utf-8")


def _search(page, query: str) -> list[tuple[str, str]]:
    """Type a query as a reader would and return the results (href, text); [] if none came."""
    field = page.locator("input.md-search__input")
    results = page.locator(".md-search-result__item")
    meta = page.locator(".md-search-result__meta")
    for attempt in range(20):  # the theme ignores a query typed before its worker has built the index
        if attempt % 5 == 0:  # first of all: a fresh page, whose line cannot be the previous query's answer
            page.reload()
        field.fill("")
        field.fill(query)
        try:
            # Answered: the theme has written its line (empty until its script runs), and it is not
            # the placeholder or "initializing" line (Czech or English). A function, not an expression:
            # the site's CSP forbids evaluating strings.
            page.wait_for_function("() => { const m = document.querySelector('.md-search-result__meta'); "
                                   "return !!m && m.innerText.trim() !== '' && "
                                   "!/Pište co se má vyhledat|Type to start searching|Inicializace|Initializing/"
                                   ".test(m.innerText); }", timeout=3000)
            break
        except Exception:  # noqa: BLE001: retype, as a reader would
            continue
    assert meta.count(), "the search never answered"
    return [(link.get_attribute("href") or "", link.inner_text())
            for link in results.locator("a.md-search-result__link").all()]


def test_czech_search_without_diacritics_finds_the_czech_guide_and_english_search_stays_english(
        browser, running: dict[str, Server]):  # noqa: F811
    server = running["nginx"]
    user = next(c for c in CREDENTIALS if c["customer"] == "strojirny-labe")
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="cs-CZ")
    page = context.new_page()
    page.goto(base + "/releases/")  # anonymous: the login page, which returns to the page asked for
    page.locator("#extranet-login-name").fill(user["login"])
    page.locator("#extranet-login-password").fill(user["password"])
    page.get_by_role("button", name="Přihlásit se").click()
    page.wait_for_url(base + "/releases/")
    found = _search(page, "zalohovani")
    assert any(href.startswith(base + "/guides/backup/") and "Zálohování" in text for href, text in found), found
    assert not [href for href, _ in found if href.startswith(base + "/en/")], found

    with page.expect_response(lambda r: r.url == base + "/en/search/search_index.json") as index:
        page.goto(base + "/en/releases/")
    assert index.value.status == 200
    assert _search(page, "zalohovani") == []
    found = _search(page, "backup")
    assert any(href.startswith(base + "/en/guides/backup/") for href, _ in found), found
    assert all(href.startswith(base + "/en/") for href, _ in found), found
    context.close()
