"""Language as a native speaker writes it: plural agreement, dates, numbers and sizes by locale
(Babel), and no text of one language on the other's pages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from babel import Locale

from extranet import pages

from .conftest import REPO
from .test_site import raw, text

STRINGS = yaml.safe_load((REPO / "site_templates/strings.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def t():
    """The templates' text() of each language, on the demo."""
    from extranet import storage
    from extranet.building import load_site_config, plugin_config, validate

    config = load_site_config(REPO / "mkdocs.yml")
    options = plugin_config(config)
    renderer = pages.Renderer(validate(REPO / "mkdocs.yml"), REPO / options.templates,
                              storage.from_config(REPO, options.storage),
                              dt.datetime.fromisoformat("2026-11-23T12:00:00+01:00"), config.site_url or "")
    return {language: renderer._context(language)["text"] for language in ("cs", "en")}


@pytest.mark.parametrize(("key", "language", "sentences"), [
    ("customer_newer_count", "cs", ["Od Vaší verze vyšla 1 novější verze.", "Od Vaší verze vyšly 2 novější verze.",
                                    "Od Vaší verze vyšlo 5 novějších verzí."]),
    ("customer_newer_count", "en", ["1 newer release has come out since your version.",
                                    "2 newer releases have come out since your version.",
                                    "5 newer releases have come out since your version."]),
    ("customer_behind", "cs", ["1 verzi", "2 verze", "5 verzí"]),
    ("customer_behind", "en", ["1 release", "2 releases", "5 releases"]),
    ("customer_withheld", "cs", ["1 soubor této verze Vám není k dispozici", "2 soubory této verze Vám nejsou k dispozici",
                                 "5 souborů této verze Vám není k dispozici"]),
    ("customer_withheld", "en", ["1 file of this release is not available to you",
                                 "2 files of this release are not available to you",
                                 "5 files of this release are not available to you"]),
    ("staff_summary_revoked", "cs", ["Zrušený přístup má 1 zákazník.", "Zrušený přístup mají 2 zákazníci.",
                                     "Zrušený přístup má 5 zákazníků."]),
])
def test_plural_agreement_for_one_two_and_five(t, key, language, sentences):
    assert [t[language](key, count=count) for count in (1, 2, 5)] == sentences


def test_a_count_is_written_as_the_language_writes_numbers(t):
    assert t["cs"]("customer_behind", count=12345) == "12\u00a0345 verzí"
    assert t["en"]("customer_behind", count=12345) == "12,345 releases"


def test_dates_and_sizes_by_locale():
    assert pages._date(dt.date(2026, 12, 1), "cs") == "1. prosince 2026"
    assert pages._date(dt.date(2026, 12, 1), "en") == "1 December 2026"
    assert pages._date(dt.date(2026, 12, 1), "cs", "medium") == "1. 12. 2026"
    assert pages.size(2048, "cs") == "2,0\u00a0KiB"
    assert pages.size(2048, "en") == "2.0\u00a0KiB"
    assert pages.size(1_288_490_189, "cs") == "1,2\u00a0GiB"
    assert pages.size(512, "cs") == "512\u00a0B"


def test_an_instant_is_named_by_its_zone_as_people_say_it():
    instant = dt.datetime(2026, 11, 26, 11, 0, tzinfo=dt.timezone.utc)
    strings = pages.load_strings(REPO / "site_templates")
    assert pages._moment(instant, "Europe/Prague", "cs", strings) == "26. listopadu 2026, 12:00 pražského času"
    assert pages._moment(instant, "Europe/Prague", "en", strings) == "26 November 2026, 12:00 Prague time"
    # A zone strings.yaml does not name: CLDR's name through Babel, never the tz database's.
    assert pages._moment(instant, "Europe/Vienna", "cs", strings) == "26. listopadu 2026, 12:00 středoevropský čas"


def test_every_plural_string_has_the_forms_its_language_needs():
    """CLDR's forms for whole numbers: Czech one (1), few (2-4), other (0, 5+); English one, other."""
    plural = {key: value for key, value in STRINGS.items() if any(isinstance(v, dict) for v in value.values())}
    assert len(plural) >= 8
    for key, texts in plural.items():
        for language, forms in texts.items():
            needed = {Locale.parse(pages.LOCALES.get(language, language)).plural_form(n) for n in range(200)}
            assert isinstance(forms, dict) and needed <= set(forms), (key, language, needed - set(forms))
            assert all("{count}" in form for form in forms.values()), (key, language)


@pytest.mark.parametrize(("url", "foreign"), [
    ("customers/strojirny-labe", ["Permanent link", "Made with", "Log in", "Log out"]),
    ("releases", ["Permanent link", "Made with"]),
    ("", ["Permanent link", "Made with"]),
    ("en/customers/strojirny-labe", ["Odkaz na tento oddíl", "Vytvořeno pomocí", "Přihlásit", "Odhlásit"]),
    ("en/releases", ["Odkaz na tento oddíl", "Vytvořeno pomocí"]),
])
def test_no_text_of_the_other_language(demo_site: Path, url: str, foreign: list[str]):
    page = raw(demo_site, url)
    assert not [text for text in foreign if text in page]
    own = ("Odkaz na tento oddíl", "Vytvořeno pomocí") if not url.startswith("en/") else ("Link to this section", "Made with")
    assert f'title="{own[0]}"' in page and own[1] in page


def test_customer_sentences_name_no_time_zone_by_its_database_name(demo_site: Path):
    for url in ("customers/strojirny-labe", "en/customers/strojirny-labe"):
        upper = text(demo_site, url).split("Technická podpora:")[0].split("Technical support:")[0]
        assert "Europe/" not in upper and "UTC" not in upper
        assert re.search(r"(pražského času|Prague time)\.", upper)
