"""Names and titles from YAML are text: a demo whose data holds script, HTML, attribute, Jinja and
Markdown-link attacks, built, served by nginx, Apache and Caddy and read in Chromium (issue 11 point 4).

Each attack must show as written, run nothing (no dialog, no CSP violation) and leave no
`javascript:` link; the feeds, the .ics and the JSON calendar carry it as text too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from extranet import servers
from extranet.building import build

from .conftest import NOW_DT, REPO
from .servers import CREDENTIALS, Server, Site, load_site, start, stop
from .test_browser import browser, log_in  # noqa: F401: the Chromium fixture, launched as the suite does
from .test_escaping import _csp, csp_violations

ATTACK = ('<script>alert(1)</script> <img src=x onerror=alert(1)> " onmouseover=alert(1) x=" {{ 7*7 }} '
          '[x](javascript:alert(1)) *a* _b_ c|d {: .x } `e` # f')
"""Every attack at once, in every name and title below."""


def field(label: str) -> str:
    return f"{label} {ATTACK}"


def both(label_cs: str, label_en: str, extra: str = "") -> dict[str, str]:
    return {"cs": field(label_cs) + extra, "en": field(label_en) + extra}


CUSTOMER = "strojirny-labe"
INJECTED = "\r\nX-INJECTED:1"
"""After a closed day's name: a line of its own in a careless .ics."""


def _attack_customers(data: dict) -> None:
    """The attack in every kind of name and text of customers.yaml (by structure, not by line, so
    the demo data may change)."""
    vendor = data["vendor"]
    vendor["name"], vendor["product"], vendor["address"] = field("Vendor"), field("Product"), field("Address")
    vendor["modules"][0]["name"] = both("Modul", "Module")
    vendor["platforms"][0]["name"] = field("Platform")
    vendor["editions"][0]["name"] = field("Edition")
    plan = data["plans"][0]
    plan["name"], plan["description"] = both("Podpora", "Support"), both("Popis", "Description")
    # the demo's terms state no company closed day: the hostile data adds one, within a year of NOW_DT
    plan["calendar"]["closed_days"] = [{"date": dt.date(2026, 12, 30), "name": both("Zavřeno", "Closed", INJECTED)}]
    plan["channels"][0]["note"] = both("Poznámka", "Note")
    severity = plan["severities"][0]
    severity["name"], severity["examples"][0] = both("Závažnost", "Severity"), both("Příklad", "Example")
    severity["description"], severity["action"] = both("Vysvětlení", "Explanation"), both("Postup", "Action")
    customer = next(c for c in data["customers"] if c["id"] == CUSTOMER)
    customer["name"], customer["users"][0]["name"] = field("Customer"), field("User")
    specialist = vendor["specialists"][0]
    specialist["name"], specialist["company"] = field("Specialista"), field("Firma")
    specialist["region"], specialist["areas"][0] = both("Kraj", "Region"), both("Oblast", "Area")
    offers = vendor["offers"]
    offers["learning"]["text"], offers["learning"]["guides"][0]["title"] = both("Vzdělávání", "Learning"), both(
        "Návod", "Guide")
    offers["training"]["text"], offers["training"]["order"] = both("Školení", "Training"), both("Objednávka", "Order")
    offers["forum"]["text"], offers["specialists"]["text"] = both("Fórum", "Forum"), both("Specialisté", "Specialists")
    offers["standards"]["text"], offers["standards"]["items"][0] = both("Standardy", "Standards"), field("Norma")


def _attack_release(data: dict) -> None:
    """releases/5.0.0.yaml: newer than the customer's installed version, with upgrade notes."""
    data["title"] = both("Titulek", "Title")
    data["highlights"][0] = both("Novinka", "Highlight")
    data["upgrade_notes"][0] = both("Krok", "Step")


def _rewrite(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The demo with the attack in every name and title above, built at this hour."""
    directory = tmp_path_factory.mktemp("hostile")
    root = directory / "project"
    root.mkdir()
    for name in ("content", "releases", "site_templates"):
        shutil.copytree(REPO / name, root / name)
    for name in ("mkdocs.yml", "customers.yaml"):
        shutil.copy(REPO / name, root / name)
    _rewrite(root / "customers.yaml", _attack_customers)
    _rewrite(root / "releases/5.0.0.yaml", _attack_release)
    output = directory / "build"
    build(root / "mkdocs.yml", now=NOW_DT, output=output)  # the closed day is within a year of this instant
    return load_site(root, output, NOW_DT)


@pytest.fixture(scope="module", params=servers.SERVERS)
def server(request, hostile: Site, tmp_path_factory: pytest.TempPathFactory):
    """Each real server in turn: each sends the Content-Security-Policy itself."""
    running = start(request.param, hostile, tmp_path_factory.mktemp(f"hostile-{request.param}"))
    yield running
    stop(running)


def folded(text: str) -> str:
    return " ".join(text.replace("¶", " ").split())


# --- in the built files ------------------------------------------------------------------------

def test_the_hostile_build_has_no_script_the_policy_blocks(hostile: Site):
    assert csp_violations(hostile.web_root, _csp(hostile.output / "server")) == []


def test_feeds_carry_the_attack_as_text(hostile: Site):
    atom = "{http://www.w3.org/2005/Atom}"
    for language, title in (("", "Titulek"), ("en/", "Title")):
        releases = ET.parse(hostile.web_root / f"{language}releases/feed.atom").getroot()
        assert field("Product") in releases.findtext(f"{atom}title")
        assert releases.find(f"{atom}author/{atom}name").text == field("Vendor")
        feed = ET.parse(hostile.web_root / f"{language}customers/{CUSTOMER}/feed.atom").getroot()
        assert field("Customer") in feed.findtext(f"{atom}title")
        entry = next(e for e in feed.iter(f"{atom}entry") if e.findtext(f"{atom}title").startswith("5.0.0: "))
        assert entry.findtext(f"{atom}title") == f"5.0.0: {field(title)}"
        body = entry.findtext(f"{atom}content")  # HTML, as feed readers render it
        assert "<script>" not in body and "<img" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_calendars_carry_the_attack_as_text(hostile: Site):
    ics = (hostile.web_root / "en/support/enterprise/support-calendar.ics").read_bytes().decode("utf-8")
    lines = ics.split("\r\n")
    assert not [line for line in lines if line.startswith("X-INJECTED")]
    unfolded = ics.replace("\r\n ", "")
    assert ("SUMMARY:Technical support closed: Closed <script>alert(1)</script> <img src=x onerror=alert(1)> \" "
            "onmouseover=alert(1) x=\" {{ 7*7 }} [x](javascript:alert(1)) *a* _b_ c|d {: .x } `e` # f\\nX-INJECTED:1"
            in unfolded.replace("\\,", ","))
    data = json.loads((hostile.web_root / "support/enterprise/calendar.json").read_text(encoding="utf-8"))
    assert data["closed"]["2026-12-30"]["en"] == field("Closed") + INJECTED


def test_the_search_index_holds_the_attack_as_escaped_html(hostile: Site):
    """The theme shows search results as HTML: titles and texts in the index must be escaped HTML."""
    index = json.loads((hostile.web_root / "search/search_index.json").read_text(encoding="utf-8"))
    found = [doc for doc in index["docs"] if "alert(1)" in doc["title"] + doc["text"]]
    assert any(doc["location"].startswith("releases/5.0.0/") for doc in found)
    for doc in found:
        for key in ("title", "text"):
            assert "<script" not in doc[key] and "<img" not in doc[key], doc  # a bare " in text is harmless


# --- in Chromium, served by each server ----------------------------------------------------------------

PAGES = {  # page -> the labels whose attack it must show as written
    "customer": (f"customers/{CUSTOMER}/", ["Customer", "User", "Modul", "Titulek", "Krok", "Edition", "Platform",
                                            "Podpora", "Závažnost", "Příklad", "Poznámka", "Vysvětlení", "Postup"]),
    "release": ("releases/5.0.0/", ["Titulek", "Novinka", "Krok", "Modul", "Platform"]),
    "release in English": ("en/releases/5.0.0/", ["Title", "Highlight", "Step", "Module"]),
    "staff": ("staff/", ["Customer"]),
    "staff's specialists": ("staff/specialists/", ["Specialista", "Firma", "Oblast"]),
    "home": ("", ["Vendor", "Product", "Address", "Vzdělávání", "Návod", "Školení", "Objednávka", "Fórum", "Specialisté",
                  "Standardy", "Norma"]),
    "home in English": ("en/", ["Vendor", "Product", "Learning", "Guide", "Training", "Order", "Forum",
                                "Specialists", "Standards", "Norma"]),
    "specialists": ("specialists/", ["Specialisté", "Specialista", "Firma", "Kraj", "Oblast"]),
    "specialists in English": ("en/specialists/", ["Specialists", "Specialista", "Firma", "Region", "Area"]),
    "support": ("support/", ["Zavřeno", "Product", "Popis", "Závažnost", "Příklad", "Poznámka", "Vysvětlení",
                             "Postup"]),
    "support in English": ("en/support/", ["Closed", "Description", "Severity", "Example", "Note", "Explanation",
                                           "Action"]),
}


@pytest.fixture(scope="module")
def readers(browser, server: Server):  # noqa: F811
    """A browser context per reader (the customer's user, staff), each logged in once through the
    login page's form: servers limit logins per address."""
    contexts = {}
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    for reader in ("customer", "staff"):
        user = next(c for c in CREDENTIALS if c["customer"] == (CUSTOMER if reader == "customer" else None))
        contexts[reader] = browser.new_context(locale="cs-CZ")
        page = contexts[reader].new_page()
        log_in(page, base, user)
        page.wait_for_url(lambda url: "/login/" not in url)
        page.close()
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("name", PAGES)
def test_a_reader_sees_the_attack_as_text_and_nothing_runs(readers, server: Server, name: str):
    path, expected = PAGES[name]
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    page = readers["staff" if name.startswith("staff") else "customer"].new_page()
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    response = page.goto(base + "/" + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    page.wait_for_load_state("networkidle")
    page.eval_on_selector_all("details", "els => els.forEach(e => { e.open = true; })")  # collapsed text too
    for element in page.get_by_text("onmouseover").all():  # where an injected handler would sit
        if element.is_visible():
            element.dispatch_event("mouseover")
    shown = folded(page.locator("body").inner_text())
    for label in expected:
        assert folded(field(label)) in shown, (path, label)
    assert "<script>alert(1)</script>" in page.title() or name.startswith(("staff", "support", "specialists"))  # titles from data
    assert page.locator("[onerror], [onmouseover], img[src=x]").count() == 0
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    links = page.eval_on_selector_all(
        "[href], [src], [action], [formaction]",
        "els => els.flatMap(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a))"
        ".filter(v => v && v.replace(/[\\u0000-\\u0020]/g, '').toLowerCase().startsWith('javascript:')))")
    assert links == []
    assert dialogs == []
    assert not [line for line in console if "Content Security Policy" in line or "pageerror" in line], console
    page.close()
