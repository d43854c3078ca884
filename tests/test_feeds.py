"""Atom feeds of new releases: valid Atom, deterministic, linked only where the reader may fetch
them, and nothing of one customer in another's feed (the access matrix serves every feed file too)."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest
import yaml

from extranet.building import build

from .conftest import NOW_DT, REPO, Project
from .servers import Server, Site, visitors
from .test_access import markers, outcome

CUSTOMERS = yaml.safe_load((REPO / "customers.yaml").read_text(encoding="utf-8"))["customers"]
SITE_URL = "https://downloads.vendor.example/extranet/"


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    assert parsed.version == "atom10", path
    return parsed


def required_atom(parsed: feedparser.FeedParserDict, where: str) -> None:
    """RFC 4287: a feed has id, title, updated and an author; each entry id, title, updated, a link."""
    feed = parsed.feed
    for key in ("id", "title", "updated"):
        assert feed.get(key), f"{where}: feed has no {key}"
    assert feed.get("author"), f"{where}: feed has no author"
    assert any(link.rel == "self" and link.href.startswith("https://") for link in feed.links), where
    ids = [entry.id for entry in parsed.entries]
    assert len(ids) == len(set(ids)), f"{where}: duplicate entry ids"
    for entry in parsed.entries:
        for key in ("id", "title", "updated"):
            assert entry.get(key), f"{where}: an entry has no {key}"
        assert entry.id.startswith("urn:uuid:"), where
        assert any(link.rel == "alternate" and link.href.startswith("https://") for link in entry.links), where


def feeds_of(site: Path) -> list[Path]:
    return sorted(site.rglob("feed.atom"))


def test_every_demo_feed_is_valid_atom(demo_site: Path):
    found = feeds_of(demo_site)
    assert [p.relative_to(demo_site).as_posix() for p in found] == sorted(
        [f"{prefix}releases/feed.atom" for prefix in ("", "en/")]
        + [f"{prefix}customers/{c['id']}/feed.atom" for prefix in ("", "en/") for c in CUSTOMERS])
    for path in found:
        required_atom(parse(path), path.relative_to(demo_site).as_posix())


def test_demo_release_feed_lists_the_newest_releases_with_absolute_links(demo_site: Path):
    parsed = parse(demo_site / "en/releases/feed.atom")
    assert parsed.feed.title == "New releases of InTouch CRM Enterprise"
    assert parsed.feed.updated == "2026-11-09T00:00:00Z"
    assert parsed.feed.language == "en"
    assert len(parsed.entries) == 20
    first = parsed.entries[0]
    assert first.title == "9.3.0: Scheduling meetings with clients"
    assert first.link == "https://www.anneca.cz/extranet/en/releases/9.3.0/"
    assert "Route planning for salespeople" in first.content[0].value
    guide = next(entry for entry in parsed.entries if entry.title.startswith("9.0.0:"))
    assert 'href="https://www.anneca.cz/extranet/en/upgrade/9.0.0/"' in guide.content[0].value
    assert (demo_site / "en/upgrade/9.0.0/index.html").exists()


@pytest.mark.parametrize("customer", [c["id"] for c in CUSTOMERS])
def test_a_customer_feed_names_only_that_customer(demo_site: Path, customer: str):
    for prefix in ("", "en/"):
        text = (demo_site / f"{prefix}customers/{customer}/feed.atom").read_text(encoding="utf-8")
        others = [marker for other in CUSTOMERS if other["id"] != customer for marker in markers(other)
                  if marker in text]
        assert others == []
    shared = (demo_site / "releases/feed.atom").read_text(encoding="utf-8")
    assert [marker for c in CUSTOMERS for marker in markers(c) if marker in shared] == []


def test_project_feeds_exactly(tmp_path: Path):
    """alpha (support to 2030, module extra) gets 2.0.0 and 1.1.0 with both files; beta's support
    ended 2025-06-30, so 2.0.0 (2025-09-01) is not in its feed."""
    project = Project(tmp_path / "p")
    project.replace("mkdocs.yml", "site_name: Test extranet\n", f"site_name: Test extranet\nsite_url: {SITE_URL}\n")
    build(project.config, now=NOW_DT, output=tmp_path / "out")
    site = tmp_path / "out/site"
    alpha = parse(site / "customers/alpha/feed.atom")
    assert alpha.feed.title == "Aktualizace Product pro Alpha a.s."
    assert alpha.feed.subtitle == "Verze novější než Vaše 1.0.0, na které máte nárok"
    assert alpha.feed.updated == "2025-09-01T00:00:00Z"
    assert alpha.feed.link == f"{SITE_URL}customers/alpha/"
    assert [(e.title, e.updated, e.link) for e in alpha.entries] == [
        ("2.0.0: Verze 2.0.0", "2025-09-01T00:00:00Z", f"{SITE_URL}releases/2.0.0/"),
        ("1.1.0: Verze 1.1.0", "2025-05-05T00:00:00Z", f"{SITE_URL}releases/1.1.0/"),
    ]
    assert [link.href for link in alpha.entries[0].links if link.rel == "related"] == [f"{SITE_URL}customers/alpha/#upgrade"]
    # 2.0.0's files are in the page's own section for the newest release, 1.1.0's in the older files
    assert [link.href for link in alpha.entries[1].links if link.rel == "related"] == [f"{SITE_URL}customers/alpha/#older"]
    page = (site / "customers/alpha/index.html").read_text(encoding="utf-8")
    assert 'id="upgrade"' in page and 'id="older"' in page
    body = alpha.entries[0].content[0].value
    assert "<code>app-2.0.0.tar.gz</code> (Jádro, Linux)" in body
    assert "<code>extra-2.0.0.tar.gz</code> (Doplněk, Linux)" in body
    assert f'<a href="{SITE_URL}upgrade/2.0.0/">Podrobný návod k aktualizaci na verzi 2.0.0</a>' in body
    assert "<li>Krok 2.0.0</li>" in body
    beta = parse(site / "en/customers/beta/feed.atom")
    assert beta.feed.title == "Product upgrades for Beta s.r.o."
    assert [e.title for e in beta.entries] == ["1.1.0: Release 1.1.0"]
    assert "extra-1.1.0" not in beta.entries[0].content[0].value  # module not licensed to beta
    assert beta.feed.updated == "2025-05-05T00:00:00Z"
    everyone = parse(site / "releases/feed.atom")
    assert [e.title for e in everyone.entries] == ["2.0.0: Verze 2.0.0", "1.1.0: Verze 1.1.0", "1.0.0: Verze 1.0.0"]
    # Deterministic: the same inputs and --now give the same bytes.
    first = {p.relative_to(site): p.read_bytes() for p in feeds_of(site)}
    build(project.config, now=NOW_DT, output=tmp_path / "out")
    assert {p.relative_to(site): p.read_bytes() for p in feeds_of(site)} == first


def test_no_site_url_no_feeds(project: Project, tmp_path: Path):
    build(project.config, now=NOW_DT, output=tmp_path / "out")
    site = tmp_path / "out/site"
    assert feeds_of(site) == []
    assert "application/atom+xml" not in (site / "releases/index.html").read_text(encoding="utf-8")


LINK = re.compile(r'<link rel="alternate feed" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">')


@pytest.mark.parametrize(("url", "expected"), [
    ("", []), ("en/support/", []), ("404.html", []),
    ("releases/", [("Nové verze InTouch CRM Enterprise", "feed.atom")]),
    ("en/releases/9.3.0/", [("New releases of InTouch CRM Enterprise", "../feed.atom")]),
    ("staff/", [("Nové verze InTouch CRM Enterprise", "../releases/feed.atom")]),
    ("en/customers/elbe-precision/", [("New releases of InTouch CRM Enterprise", "../../releases/feed.atom"),
                                      ("InTouch CRM Enterprise upgrades for Elbe Precision Components s.r.o.", "feed.atom")]),
])
def test_pages_link_only_the_feeds_their_reader_may_fetch(demo_site: Path, url: str, expected: list):
    path = demo_site / url if url.endswith(".html") else demo_site / url / "index.html"
    assert LINK.findall(path.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize("name", ["nginx", "apache", "caddy"])
def test_a_customer_reads_its_own_feed_and_no_other(site: Site, running: dict[str, Server], name: str):
    server = running[name]
    user = next(v for v in visitors() if v.customer == "elbe-precision")
    headers = server.credentials(user)
    status, response, body = server.request("/en/customers/elbe-precision/feed.atom", headers, source=user.address)
    assert status == 200
    assert response["content-type"].startswith("application/atom+xml")
    assert not feedparser.parse(body).bozo
    for other in ("strojirny-labe", "pekarny-podripsko"):
        status, response, body = server.request(f"/customers/{other}/feed.atom", headers, source=user.address)
        assert outcome(status, response) == "denied", other
        assert b"<feed" not in body
    status, response, _ = server.request("/releases/feed.atom", headers, source=user.address)
    assert status == 200
    status, response, _ = server.request("/releases/feed.atom")
    assert outcome(status, response) == "denied"


def test_a_feed_outside_its_audience_fails_the_build(monkeypatch):
    """The feed's area is checked against its audience: a customer feed moved out of the customer's
    directory (here: into the shared releases folder) would be readable by every customer."""
    from extranet import access

    rules = access.areas([access.Page("customers/alpha/", access.CUSTOMER, "alpha"),
                          access.Page("", access.PUBLIC)])
    assert access.served_as("customers/alpha/feed.atom", access.CUSTOMER, "alpha", rules) is None
    assert access.served_as("releases/feed.atom", access.CUSTOMERS, None, rules) is None
    assert access.served_as("releases/alpha.atom", access.CUSTOMER, "alpha", rules) == (
        "releases/alpha.atom would be served to customers, not to customer alpha")
    assert access.served_as("customers/feed.atom", access.CUSTOMERS, None, rules) == (
        "customers/feed.atom would be served to staff, not to customers")


def test_a_build_whose_customer_feed_would_be_shared_fails(tmp_path: Path, monkeypatch, caplog):
    from extranet import feeds
    from extranet.building import BuildFailed

    project = Project(tmp_path / "p")
    project.replace("mkdocs.yml", "site_name: Test extranet\n", f"site_name: Test extranet\nsite_url: {SITE_URL}\n")
    monkeypatch.setattr(feeds, "customer_path", lambda customer: f"releases/{customer}.atom")
    with pytest.raises(BuildFailed):
        build(project.config, now=NOW_DT, output=tmp_path / "out")
    assert "extranet: the feed releases/alpha.atom would be served to customers, not to customer alpha" in caplog.text
    assert not (tmp_path / "out").exists()
