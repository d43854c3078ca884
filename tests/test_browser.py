"""A customer in a real browser (Debian's Chromium driven by Playwright) against real nginx."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from .conftest import NOW, REPO
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


def log_in(page, base: str, user: dict) -> None:
    """Through the login page's form (tests/test_login_browser.py tests it on every server)."""
    page.goto(base + "/login/")
    page.locator("#extranet-login-name").fill(user["login"])
    page.locator("#extranet-login-password").fill(user["password"])
    page.get_by_role("button", name="Přihlásit se").click()


def test_customer_logs_in_switches_language_reads_the_guide_searches_and_logs_out(browser, running: dict[str, Server]):
    server = running["nginx"]
    user = next(c for c in CREDENTIALS if c["customer"] == "strojirny-labe")
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="cs-CZ")
    page = context.new_page()

    page.goto(base + "/")
    # The home page's login button (the header's login link returns to the page it is on).
    page.get_by_role("article").get_by_role("link", name="Přihlásit se").click()
    page.locator("#extranet-login-name").fill(user["login"])  # the login page (tests/test_login_browser.py)
    page.locator("#extranet-login-password").fill(user["password"])
    page.get_by_role("button", name="Přihlásit se").click()
    page.wait_for_url(base + "/customers/strojirny-labe/")
    assert page.locator("h1").inner_text().rstrip("¶").strip() == "Strojírny Labe a.s."
    assert page.locator(".extranet-fact strong").first.inner_text() == "4.3.0"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-page.png"), full_page=True)

    page.locator(".md-select").first.hover()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(base + "/en/customers/strojirny-labe/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Installed version" in page.locator(".extranet-fact").first.inner_text()

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
    for attempt in range(30):  # the theme ignores a query typed before its worker has built the index
        if attempt and attempt % 5 == 0:  # a loaded machine can leave the worker stuck: reload, as a reader would
            page.reload()
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
    page.wait_for_url(base + "/en/")  # logout lands in the reader's language
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
    page.goto(f"http://127.0.0.1:{server.port}{server.base}en/support/")
    page.wait_for_load_state("networkidle")
    assert page.locator("form[name=search]").count() == 0
    assert page.locator("input.md-search__input").count() == 0
    assert not [url for url in failed if "search" in url], failed
    assert not dialogs
    context.close()


# --- support: the in-page calculator agrees with `extranet sla deadline` ---------------------

CALCULATOR_CASES = [  # (severity, channel, reported as wall-clock time in Prague)
    ("common", "phone", "2026-12-23T15:00"),    # open: the report time itself
    ("common", "phone", "2026-12-23T17:30"),    # after hours before Christmas: Monday's opening
    ("common", "email", "2026-12-29T10:00"),    # 30 December: a working day (no company holiday in the terms)
    ("cosmetic", "email", "2026-02-15T10:00"),  # the first release after it, published: 8.1.0
    ("serious", "phone", "2026-12-23T15:00"),   # target today, deadline after Christmas
    ("serious", "email", "2026-03-27T17:00"),   # Friday evening before the clocks go forward
    ("less_serious", "email", "2026-03-27T15:00"),  # day 7 is Good Friday, then Easter Monday
    ("less_serious", "phone", "2026-06-29T09:00"),  # day 7 is 6 July
    ("common", "phone", "2026-10-25T01:30"),    # the night the clocks go back
    ("common", "phone", "2026-03-29T03:30"),    # just after the clocks went forward
    ("serious", "email", "2026-10-27T16:00"),   # at closing time before 28 October
    ("common", "phone", "2026-09-25T16:05"),    # after hours before 28 September
    ("less_serious", "email", "2026-11-10T12:00"),  # day 7 is 17 November
    ("serious", "phone", "2027-07-02T16:00"),   # 5-6 July 2027 fall on Monday and Tuesday
    ("cosmetic", "email", "2026-11-23T12:00"),  # the next planned release
    ("cosmetic", "email", "2027-03-01T12:00"),  # no release planned yet
]


def _cli_deadline(severity: str, channel: str, reported: str) -> dict:
    import contextlib
    import io
    import json

    from extranet.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["-f", str(REPO / "mkdocs.yml"), "sla", "deadline", "--now", NOW, "--plan", "enterprise",
                     "--severity", severity,
                     "--channel", channel, "--reported", reported, "--json"]) == 0
    return json.loads(out.getvalue())


def test_the_in_page_calculator_gives_the_same_deadlines_as_the_cli(browser, running: dict[str, Server]):
    server = running["nginx"]
    # A browser far from Prague: the page must still count in Prague's time.
    context = browser.new_context(timezone_id="America/Los_Angeles", locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://127.0.0.1:{server.port}{server.base}en/support/")
    box = page.locator(".extranet-support")
    box.and_(page.locator("[data-ready=true]")).wait_for(timeout=10000)
    form = page.locator("form.extranet-deadline")
    assert form.is_visible()
    output = page.locator("output.extranet-deadline-result")
    compared = []
    for severity, channel, reported in CALCULATOR_CASES:
        form.locator("select[name=severity]").select_option(severity)
        form.locator("select[name=channel]").select_option(channel)
        form.locator("input[name=reported]").fill(reported)
        expected = _cli_deadline(severity, channel, reported)
        assert output.get_attribute("data-deadline") == (expected["deadline"] or ""), (severity, channel, reported)
        target = expected["target"]["deadline"] if expected["target"] else None
        assert output.get_attribute("data-target") == target, (severity, channel, reported)
        compared.append(expected["deadline"])
    assert len(compared) == 16 and None in compared and "2026-12-14" in compared and "2026-03-02" in compared
    form.locator("select[name=severity]").select_option("serious")
    form.locator("input[name=reported]").fill("2026-12-23T17:30")
    assert output.inner_text() == ("Mostly: Monday, 28 December 2026 at 16:00 Prague time; "
                                   "At the latest: Monday, 28 December 2026 at 16:00 Prague time")
    form.locator("input[name=reported]").fill("2030-01-02T10:00")  # beyond the exported years: refused, as by the command
    assert output.inner_text() == ("The support calendar covers 1 January 2025 to 31 December 2028 only; "
                                   "no deadline is computed for other times.")
    assert output.get_attribute("data-deadline") is None
    assert not errors
    context.close()


@pytest.mark.parametrize(("instant", "phone", "email"), [
    ("2026-12-23T14:00:00Z", " (open now, until 16:00)", " (accepted right now)"),
    ("2026-12-23T15:00:00Z", " (closed now, opens Monday, 28 December 2026 at 08:00 Prague time)",
     " (accepted right now)"),
    ("2026-11-23T06:30:00Z", " (closed now, opens Monday, 23 November 2026 at 08:00 Prague time)",
     " (accepted right now)"),
])
def test_the_support_page_says_whether_support_is_open_now(browser, running: dict[str, Server], instant: str,
                                                             phone: str, email: str):
    import datetime as dt

    server = running["nginx"]
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    page = context.new_page()
    page.clock.set_fixed_time(dt.datetime.fromisoformat(instant))
    page.goto(f"http://127.0.0.1:{server.port}{server.base}en/support/")
    page.locator(".extranet-support[data-ready=true]").wait_for(timeout=10000)
    assert page.locator('.extranet-status[data-channel="phone"]').inner_text() == phone
    assert page.locator('.extranet-status[data-channel="email"]').inner_text() == email
    context.close()


def test_the_report_form_composes_an_email_with_every_identification_field(browser, running: dict[str, Server]):
    import urllib.parse

    server = running["nginx"]
    user = next(c for c in CREDENTIALS if c["customer"] == "strojirny-labe")
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, base, user)
    page.wait_for_url(base + "/customers/strojirny-labe/")
    page.goto(base + "/en/customers/strojirny-labe/")
    page.locator("nav.extranet-jump").get_by_role("link", name="Report a problem").click()  # opens the support block
    form = page.locator("form.extranet-report")
    assert form.locator("input[name=version]").input_value() == "4.3.0"
    form.locator("input[name=user]").fill("Jana Dvořáková")
    form.locator("select[name=severity]").select_option("serious")
    form.locator("textarea[name=description]").fill("Nobody can log in since 8:15.\nError 500 (see screenshot).")
    href = form.locator("a.extranet-mailto").get_attribute("href")
    address, _, query = href.removeprefix("mailto:").partition("?")
    fields = urllib.parse.parse_qs(query)
    assert address == "support@intouch-crm.cz"
    assert fields["subject"] == ["Technická podpora: Závažný problém, Strojírny Labe a.s. (IČ 36828840)"]
    assert fields["body"][0].split("\r\n") == [
        "IČ: 36828840", "Název společnosti: Strojírny Labe a.s.", "Jméno a příjmení: Jana Dvořáková",
        "Verze programu: 4.3.0", "Závažnost: Závažný problém", "", "Popis problému:",
        "Nobody can log in since 8:15.", "Error 500 (see screenshot)."]
    # An incomplete report is refused by the browser before any e-mail is composed.
    form.locator("input[name=user]").fill("")
    assert form.evaluate("f => f.checkValidity()") is False
    context.close()


def test_a_customer_downloads_a_file_copies_its_sha256_and_its_curl_line(browser, running: dict[str, Server]):
    """Click a file on the customer's page: the browser saves it under its own name with the manifest's
    bytes; the copy buttons put the sha256 and a curl line that fetches the same bytes on the clipboard."""
    import hashlib
    import subprocess

    import yaml

    server = running["nginx"]
    user = next(c for c in CREDENTIALS if c["customer"] == "severoceska-logistika")
    base = f"http://127.0.0.1:{server.port}{server.base.rstrip('/')}"
    context = browser.new_context(locale="en-US", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    log_in(page, base, user)
    page.wait_for_url(base + "/customers/severoceska-logistika/")  # the customer's page in its language (cs)
    page.goto(base + "/en/customers/severoceska-logistika/#downloads")
    manifest = yaml.safe_load((REPO / "releases/9.3.0.yaml").read_text(encoding="utf-8"))
    artifact = next(a for a in manifest["artifacts"] if a["id"] == "excel-windows")

    with page.expect_download() as download:
        page.get_by_role("link", name=artifact["file"], exact=True).first.click()
    saved = download.value
    assert saved.suggested_filename == artifact["file"]
    assert hashlib.sha256(Path(saved.path()).read_bytes()).hexdigest() == artifact["sha256"]

    page.locator(f'button.extranet-copy[data-clipboard-text="{artifact["sha256"]}"]').first.click()
    assert page.evaluate("navigator.clipboard.readText()") == artifact["sha256"]

    curl = page.locator("details.extranet-curl").first
    curl.locator("summary").click()
    # The theme's own copy button of a code block (Material < 9.7: pre > button.md-clipboard; since:
    # pre > nav > button.md-code__button), by its name.
    curl.locator("pre").get_by_role("button", name="Copy to clipboard").click()
    lines = page.evaluate("navigator.clipboard.readText()").strip().splitlines()
    assert any(line.startswith(f"curl -fL -o {artifact['file']} 'https://www.anneca.cz/extranet/downloads/9.3.0/"
                               f"{artifact['file']}?md5=") for line in lines)
    assert f"echo '{artifact['sha256']}  {artifact['file']}' | sha256sum -c" in lines
    # The same command against this server (site_url names the public host): the bytes and the check pass.
    command = "\n".join(lines).replace("https://www.anneca.cz/extranet/", base + "/")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], capture_output=True, text=True,
                          cwd=saved.path().parent, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": OK") == len(lines) // 2
    context.close()
