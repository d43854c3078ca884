"""The built demo extranet, as a reader receives it: pages, languages, and what stays private."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

CUSTOMERS = yaml.safe_load((REPO / "customers.yaml").read_text(encoding="utf-8"))["customers"]


def text(site: Path, url: str) -> str:
    """The visible text of a page's article, whitespace folded."""
    page = (site / url / "index.html").read_text(encoding="utf-8")
    article = re.search(r"<article[^>]*>(.*?)</article>", page, re.S)
    assert article, url
    content = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", article.group(1), flags=re.S)
    content = re.sub(r"</?(p|li|h[1-6]|td|th|tr|br|div|summary|details|table|ul|ol)\b[^>]*>", " ", content)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", content)).replace("¶", " ").split())


def raw(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


# --- languages -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "lang", "search"), [("releases/", "cs", "Hledat"), ("en/releases/", "en", "Search")])
def test_czech_at_root_english_under_en_with_the_theme_in_that_language(demo_site, url, lang, search):
    page = raw(demo_site, url)
    assert f'<html lang="{lang}"' in page
    assert f'placeholder="{search}"' in page


@pytest.mark.parametrize(("url", "searchable"), [
    ("", False), ("en/support/", False), ("releases/", True), ("en/guides/upgrade/", True),
    ("customers/strojirny-labe/", True), ("staff/", True)])
def test_search_box_only_where_its_index_is_served(demo_site, url, searchable):
    """The index holds customers' pages; an anonymous visitor gets no search box rather than a broken one."""
    assert ('<form class="md-search__form" name="search">' in raw(demo_site, url)) is searchable


@pytest.mark.parametrize("url", ["releases/5.0.0/", "support/", "guides/upgrade/", "customers/teplo-servis/", ""])
def test_the_language_switch_keeps_the_page(demo_site, url):
    depth = url.count("/")
    cs = raw(demo_site, url)
    en = raw(demo_site, "en/" + url)
    assert f'<a href="{"../" * depth}en/{url}" hreflang="en"' in cs or (url == "" and '<a href="en/" hreflang="en"' in cs)
    assert f'<a href="{"../" * (depth + 1)}{url}" hreflang="cs"' in en or (url == "" and '<a href="../" hreflang="cs"' in en)


def test_every_page_exists_in_both_languages(demo_site):
    cs = {p.relative_to(demo_site).as_posix() for p in demo_site.rglob("index.html") if not p.relative_to(demo_site).as_posix().startswith("en/")}
    en = {p.relative_to(demo_site / "en").as_posix() for p in (demo_site / "en").rglob("index.html")}
    assert cs == en
    # home, support, login, specialists, index+timeline, releases, customers, staff + staff/specialists, guides,
    # upgrade guides
    assert len(cs) == 1 + 1 + 1 + 1 + 2 + 30 + 6 + 2 + 3 + 9


# --- release notes, timeline, support terms ------------------------------------------------------

def test_release_notes_index_lists_every_release_newest_first(demo_site):
    page = text(demo_site, "releases")
    versions = re.findall(r"\b(\d+\.\d+\.\d+) \d+\. \w+ 20\d\d", page)
    assert versions[0] == "9.3.0" and versions[-1] == "4.0.0" and len(versions) == 30
    assert "Každou verzi lze aktualizovat přímo na kteroukoli vyšší verzi." in page


def test_release_page_has_highlights_steps_guide_and_files(demo_site):
    page = text(demo_site, "en/releases/7.0.0")
    assert page.startswith("7.0.0: ")
    assert "Released 14 July 2025 · major" in page
    assert "Upgrade steps Take these steps on every upgrade that passes through this release, even if you skip it." in page
    assert "Minimum supported database server is PostgreSQL 14" in page or "PostgreSQL 14" in page
    assert 'href="../../upgrade/7.0.0/"' in raw(demo_site, "en/releases/7.0.0")
    assert "intouch-crm-7.0.0-linux-x64.tar.gz Core system Linux" in page
    assert "downloads/" not in raw(demo_site, "en/releases/7.0.0"), "release notes link no download: entitlements differ"


def test_timeline_counts_releases_per_year_against_the_promise(demo_site):
    page = text(demo_site, "releases/timeline")
    assert "Každý rok vydáváme nejméně 2 verze s rozsáhlejším vylepšením a přibližně 6 verzí s drobnějším vylepšením." in page
    assert "„Přibližně 6“ znamená 5 až 7 verzí s drobnějším vylepšením za rok." in page
    assert "2026 2 (slib: nejméně 2) 6 (slib: 5 až 7) 2 splněno" in page
    assert "2025 2 (slib: nejméně 2) 6 (slib: 5 až 7) 2 splněno" in page
    assert "2024 2 (slib: nejméně 2) 6 (slib: 5 až 7) 2 splněno" in page


SEED_CS = [
    "+420 478 571 021, v pracovní dny od 08:00 do 16:00",
    "support@intouch-crm.cz, kdykoliv (nonstop)",
    "Technická pomoc se poskytuje výhradně v českém jazyce.",
    "Program je možné aktualizovat z libovolné verze na jakoukoliv novější verzi.",
    "nejméně 2 verze s rozsáhlejším vylepšením a přibližně 6 verzí s drobnějším vylepšením",
    "Servisní zásahy u nabyvatele", "Instalace nebo aktualizace programu", "Programátorské práce",
    "Odborné konzultace", "Doprava", "Analytické práce",
    "Telefon: ihned, nejpozději následující pracovní den E-mail: nejpozději následující pracovní den",
    "většinou v den nahlášení, nejpozději následující pracovní den",
    "nejpozději do týdne od nahlášení", "v nejbližší možné oficiální aktualizaci",
    "Uveďte údaje, které jednoznačně určí nabyvatele: IČ nebo název společnosti.",
    "Uveďte, o jakého uživatele se jedná (jméno a příjmení).",
    "Uveďte číslo verze programu, kterou právě používáte.",
    "Bez identifikace nabyvatele a uživatele může poskytovatel poskytnutí technické podpory odmítnout.",
]
SEED_EN = [
    "+420 478 571 021, on business days from 08:00 to 16:00", "support@intouch-crm.cz, at any time (non-stop)",
    "Technical support is provided exclusively in Czech.",
    "Any version of the program can be upgraded to any higher version.",
    "Servicing on the customer's premises", "Programming work", "Analytic work",
    "Phone: right away, by the next business day at the latest E-mail: by the next business day at the "
    "latest", "mostly on the day of the report, by the next business day at the latest",
    "within a week of being reported at the latest", "in the next possible official upgrade",
    "Give information that unambiguously identifies the customer: company ID or company name.",
    "Without identification of the customer and the user, the provider may refuse technical support.",
]


@pytest.mark.parametrize(("url", "phrases"), [("support", SEED_CS), ("en/support", SEED_EN)])
def test_support_terms_say_what_the_seed_says(demo_site, url, phrases):
    page = text(demo_site, url)
    missing = [phrase for phrase in phrases if phrase not in page]
    assert not missing


# --- customer pages ------------------------------------------------------------------------------

def fact(site: Path, url: str) -> list[str]:
    """The dashboard's facts at the top of a customer's page: label, value, note."""
    facts = re.findall(r'<div class="extranet-fact[^"]*"><span>(.*?)</span><strong>(.*?)</strong><span>(.*?)</span></div>',
                       raw(site, url))
    return [" | ".join(html.unescape(re.sub(r"<[^>]+>", "", part)) for part in f) for f in facts]


def test_old_version_customer_sees_where_they_stand_then_the_upgrade_then_what_is_new(demo_site):
    assert fact(demo_site, "customers/strojirny-labe") == [
        "Nainstalovaná verze | 4.3.0 | vydána 27. května 2024",
        "Nejnovější verze pro Vás | 9.3.0 | vydána 9. listopadu 2026",
        "Podpora platí do | 31. ledna 2027 | platná",
        "Vaše verze je pozadu o | 25 verzí | nejnovější vydaná verze je 9.3.0"]
    assert fact(demo_site, "en/customers/pekarny-podripsko")[-1] == (
        "Your version is behind by | 1 release | the newest release is 9.3.0")
    page = text(demo_site, "customers/strojirny-labe")
    assert page.index("Aktualizace z 4.3.0 na 9.3.0") < page.index("Novější verze Od Vaší verze") < page.index(
        "Další verze ke stažení Instalační") < page.index("Technická podpora: +420")
    assert "Aktualizace z 4.3.0 na 9.3.0 Verzi 9.3.0 nainstalujete přímo na verzi 4.3.0." in page
    assert "Od Vaší verze vyšlo 25 novějších verzí." in page
    steps = re.findall(r"\b(\d\.\d\.\d): ", page.split("Kroky, které aktualizace vyžaduje")[1].split("Podrobné návody")[0])
    assert steps == sorted(steps, key=lambda v: tuple(map(int, v.split(".")))) and steps[0] == "5.0.0" and steps[-1] == "9.0.0"
    guides = re.findall(r'href="../../upgrade/([\d.]+)/"', raw(demo_site, "customers/strojirny-labe"))
    assert guides == ["5.0.0", "6.0.0", "6.2.0", "7.0.0", "8.0.0", "8.2.0", "9.0.0"]
    news = re.findall(r'<li><a href="../../releases/([\d.]+)/">', raw(demo_site, "customers/strojirny-labe"))
    assert news[0] == "9.3.0" and news[-1] == "5.0.0" and len(news) == 25
    assert "9.3.0 9. 11. 2026 Plánování schůzek s klienty" in page


def test_support_is_reachable_from_the_top_of_the_customer_page(demo_site):
    page = raw(demo_site, "customers/strojirny-labe")
    jump = re.search(r'<nav class="extranet-jump".*?</nav>', page).group(0)
    assert re.findall(r'href="#([a-z]+)"', jump) == ["upgrade", "new", "older", "support", "report", "contract"]
    for anchor in ("upgrade", "new", "older", "support", "report", "contract"):
        assert f'id="{anchor}"' in page, anchor


def test_a_release_adds_at_most_a_row_to_a_customer_page(demo_site):
    """Older files: one table, a row per file; the newest entitled release alone has the full table."""
    page = raw(demo_site, "customers/strojirny-labe")
    assert page.count('<table class="extranet-downloads') == 2
    older = re.search(r'<table class="extranet-downloads extranet-older-files">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr><td>([\d.]+)</td><td><a href=\"../../downloads/\1/([^\"?]+)\?", older)
    assert rows[0] == ("9.2.1", "intouch-crm-9.2.1-windows-x64.zip") and rows[-1] == ("4.3.0", "intouch-crm-4.3.0-windows-x64.zip")
    assert len(rows) == 25  # Windows only: a file per release from 4.3.0 to 9.2.1
    assert len(page) < 80_000


def test_downloads_follow_licensed_modules_and_platforms(demo_site):
    page = raw(demo_site, "customers/strojirny-labe")  # Windows only, no Excel module
    assert 'href="../../downloads/9.3.0/intouch-crm-9.3.0-windows-x64.zip?md5=' in page
    assert "downloads/9.3.0/intouch-crm-9.3.0-linux-x64.tar.gz" not in page
    assert "downloads/9.3.0/intouch-crm-excel-9.3.0-windows.zip" not in page
    visible = text(demo_site, "customers/strojirny-labe")
    assert "intouch-crm-9.3.0-linux-x64.tar.gz: platforma není v licenci" in visible
    assert "intouch-crm-excel-9.3.0-windows.zip: modul není v licenci" in visible
    extra = raw(demo_site, "en/customers/severoceska-logistika")
    assert 'href="../../../downloads/9.3.0/intouch-crm-excel-9.3.0-windows.zip?md5=' in extra


def test_customer_whose_support_ended_keeps_older_releases_and_sees_what_they_miss(demo_site):
    assert fact(demo_site, "customers/teplo-servis")[2] == "Podpora skončila | 30. dubna 2025 | lze ji obnovit"
    page = text(demo_site, "customers/teplo-servis")
    assert "Aktualizace z 6.1.1 na 6.2.0" in page
    assert ("Vaše technická podpora skončila 30. dubna 2025. Na 16 verzí vydaných později nemáte nárok; "
            "po obnovení podpory je budete moci stáhnout.") in page
    assert "9.3.0 9. 11. 2026 Plánování schůzek s klienty (po konci podpory)" in page
    links = re.findall(r'href="../../downloads/([^"?]+)\?', raw(demo_site, "customers/teplo-servis"))
    assert links == ["6.2.0/intouch-crm-6.2.0-linux-x64.tar.gz", "6.1.1/intouch-crm-6.1.1-linux-x64.tar.gz"]


def test_customer_page_has_contract_plan_and_identification(demo_site):
    page = text(demo_site, "en/customers/elbe-precision")
    assert "Contract and users Company ID" in page
    assert "Support plan" in page
    assert "Edition InTouch CRM Enterprise" in page
    assert re.search(r"When you contact support, give: company ID \d{8} or name Elbe Precision Components s\.r\.o\., "
                     r"your full name and the version you use \(9\.0\.0\)\.", page)
    assert "within a week of being reported at the latest" in page


# --- nothing of one customer where others look ---------------------------------------------------

def private_markers(customer: dict) -> list[str]:
    return [customer["name"], customer["company_id"], f"customers/{customer['id']}"] + [
        user["login"] for user in customer["users"]]


def test_no_customer_in_shared_files(demo_site):
    """Search index, sitemap, 404, and every page that is not the customer's own or staff's."""
    for path in sorted(demo_site.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".json", ".xml", ".js", ".txt", ".css"):
            continue
        rel = path.relative_to(demo_site).as_posix()
        content = html.unescape(path.read_text(encoding="utf-8", errors="replace"))
        for customer in CUSTOMERS:
            own = f"customers/{customer['id']}/" in rel or "staff/" in rel
            if own:
                continue
            leaked = [marker for marker in private_markers(customer) if marker in content]
            assert not leaked, f"{rel} contains {leaked}"


def test_customer_and_staff_pages_are_out_of_search_and_sitemap(demo_site):
    index = json.loads((demo_site / "search/search_index.json").read_text())
    locations = {doc["location"] for doc in index["docs"]}
    assert not [loc for loc in locations if "customers/" in loc or "staff/" in loc]
    assert any(loc.startswith("releases/") for loc in locations)
    sitemap = (demo_site / "sitemap.xml").read_text()
    assert re.findall(r"<loc>([^<]+)</loc>", sitemap) == [
        "https://www.anneca.cz/extranet/", "https://www.anneca.cz/extranet/support/",
        "https://www.anneca.cz/extranet/specialists/", "https://www.anneca.cz/extranet/en/",
        "https://www.anneca.cz/extranet/en/support/", "https://www.anneca.cz/extranet/en/specialists/"]


def test_navigation_is_per_language_and_never_lists_customers(demo_site):
    page = raw(demo_site, "customers/strojirny-labe")
    nav = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>', page, re.S).group(0)
    assert "customers/" not in nav and "staff/" not in nav
    assert "Přehled vydaných verzí" in nav and "Release timeline" not in nav
    en_nav = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>', raw(demo_site, "en/releases"), re.S).group(0)
    assert "Release timeline" in en_nav and "Přehled vydaných verzí" not in en_nav


# --- staff ---------------------------------------------------------------------------------------

def test_staff_overview_shows_each_customer_at_a_glance(demo_site):
    page = text(demo_site, "staff")
    assert ("6 zákazníků. Platnou podporu mají 4 zákazníci. Podpora skončila u 1 zákazníka."
            " Podpora dosud nezačala u 1 zákazníka.") in page
    assert "Jizera Plast s.r.o. IČ 61543276 aktivní začne 1. 1. 2027 9.3.0 0" in page
    assert "Strojírny Labe a.s. IČ 36828840 aktivní platí do 31. 1. 2027 4.3.0 25 9.3.0 2" in page
    assert "TEPLO SERVIS Most s.r.o. IČ 39090647 aktivní skončila 30. 4. 2025 6.1.1 17 6.2.0 2" in page
    assert 'href="../customers/strojirny-labe/"' in raw(demo_site, "staff")
    assert "Access Support Installed" in text(demo_site, "en/staff")


def test_staff_overview_shows_a_revoked_customer(site):
    page = text(site.web_root, "staff")
    assert "TEPLO SERVIS Most s.r.o. IČ 39090647 zrušen skončila 30. 4. 2025" in page
    assert "Zrušený přístup má 1 zákazník." in page


def test_widgets_are_in_place_and_no_placeholder_is_left(demo_site):
    """Customer pages' HTML blocks and plan section skip the Markdown parser (extranet.pages): the
    plugin puts them in place of their placeholders, all of them."""
    for page in demo_site.rglob("*.html"):
        assert "data-extranet-widget" not in page.read_text(encoding="utf-8"), page
    page = (demo_site / "customers/strojirny-labe/index.html").read_text(encoding="utf-8")
    for piece in ('<div class="extranet-facts">', '<table class="extranet-downloads">', '<details class="extranet-curl">',
                  '<ul class="extranet-news">', '<details class="extranet-older">',
                  '<details class="extranet-contract" id="contract">', '<form class="extranet-report"',
                  '<h3 id="kdy-je-podpora-zavrena">', '<div class="extranet-support" data-calendar="../../support/'):
        assert page.count(piece) == 1, piece
    en = (demo_site / "en/customers/strojirny-labe/index.html").read_text(encoding="utf-8")
    assert 'href="../../support/enterprise/support-calendar.ics"' in en  # relative links right for en/customers/<id>/
    assert 'data-calendar="../../../support/enterprise/calendar.json"' in en
