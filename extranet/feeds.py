"""Atom feeds of new releases: one for all customers, one per customer, in each site language.

A customer "can wait for the feature they need" (the support terms): a feed reader tells them when
it has come out. The all-customers feed carries only release notes, which every customer may read;
a customer's own feed lists the releases above its installed version that its contract covers,
with the files it may download, so it lives under that customer's directory and is served by the
web server to that customer's users and staff only (see `extranet.access`).

Feeds are deterministic: `updated` comes from release dates, never from the clock, and ids are
UUIDs derived from the absolute URL of what an entry describes, so a rebuild changes nothing a
feed reader would announce again. Links are absolute (from `site_url`): feed readers fetch the feed
alone, with nothing to resolve a relative link against but the feed's own address.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from .entitlements import ReleaseEntitlement
from .escaping import xml_text
from .model import Customer, Release, Vendor

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
FILE_NAME = "feed.atom"
"""`.atom`: every server's stock MIME table maps it to application/atom+xml (`.xml` would be text/xml)."""
LIMIT = 20
"""Entries in the all-customers feed: the newest releases; older ones are on the release notes page."""


def customer_path(customer: str) -> str:
    """A customer's feed, inside the directory that only its users and staff may read."""
    return f"customers/{customer}/{FILE_NAME}"


RELEASES_PATH = f"releases/{FILE_NAME}"


@dataclasses.dataclass(frozen=True)
class Feed:
    path: str
    """Site-relative output path, e.g. `en/customers/acme/feed.atom`."""
    language: str
    customer: str | None
    """None: the all-customers feed; otherwise the one customer that may read it."""
    title: str
    content: bytes


@dataclasses.dataclass(frozen=True)
class Texts:
    """What a feed needs of a language: its strings (`text`), dates, names of modules and platforms."""

    language: str
    text: Callable[..., str]
    date: Callable[[dt.date], str]
    module_names: dict[str, str]
    platform_names: dict[str, str]


def absolute(site_url: str, url: str) -> str:
    """A site-relative URL (`en/releases/9.3.0/`, or `./` for the home page) made absolute."""
    return site_url.rstrip("/") + "/" + url.removeprefix("./")


def feed_id(url: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}"


def _instant(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """An element; ElementTree escapes its text and attributes, `xml_text` drops what XML cannot hold."""
    element = ET.SubElement(parent, tag, {name: xml_text(value) for name, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _feed(
    *, title: str, subtitle: str, language: str, self_url: str, page_url: str, updated: dt.date, vendor: Vendor
) -> ET.Element:
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": language})
    _sub(feed, "id", feed_id(self_url))
    _sub(feed, "title", title)
    _sub(feed, "subtitle", subtitle)
    _sub(feed, "updated", _instant(updated))
    _sub(feed, "link", rel="self", type=MEDIA_TYPE, href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = _sub(feed, "author")
    _sub(author, "name", vendor.name)
    _sub(author, "uri", vendor.website)
    _sub(feed, "generator", "extranet")
    return feed


def _entry(
    feed: ET.Element, *, key: str, release: Release, link: str, body: str, texts: Texts, related: str | None = None
) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "id", feed_id(key))
    _sub(entry, "title", f"{release.version}: {release.title[texts.language]}")
    _sub(entry, "updated", _instant(release.date))
    _sub(entry, "published", _instant(release.date))
    _sub(entry, "link", rel="alternate", type="text/html", href=link)
    if related is not None:
        _sub(entry, "link", rel="related", type="text/html", href=related)
    _sub(entry, "category", term=release.kind, label=texts.text("kind_" + release.kind))
    _sub(entry, "content", body, type="html")


def _release_html(release: Release, texts: Texts, guide: str | None, release_url: str) -> list[str]:
    """The release notes of one release, as HTML: highlights, upgrade steps, guide."""
    lang, t, e = texts.language, texts.text, html.escape
    parts = [
        f"<p>{e(t('release_released', date=texts.date(release.date)))} · {e(t('kind_' + release.kind))}"
        + (f" · <strong>{e(t('required_stop'))}</strong>" if release.required_stop else "")
        + "</p>"
    ]
    if release.highlights:
        parts.append(f"<h2>{e(t('release_highlights'))}</h2>")
        parts.append("<ul>" + "".join(f"<li>{e(item[lang])}</li>" for item in release.highlights) + "</ul>")
    if release.upgrade_notes:
        parts.append(f"<h2>{e(t('release_notes'))}</h2>")
        parts.append("<ol>" + "".join(f"<li>{e(item[lang])}</li>" for item in release.upgrade_notes) + "</ol>")
    links = [f'<a href="{e(release_url)}">{e(t("feed_release_page"))}</a>']
    if guide is not None:
        links.append(f'<a href="{e(guide)}">{e(t("release_guide", version=release.version))}</a>')
    parts.append("<p>" + " · ".join(links) + "</p>")
    return parts


def _serialize(feed: ET.Element) -> bytes:
    ET.indent(feed)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def releases_feed(
    *,
    path: str,
    self_url: str,
    releases: Sequence[Release],
    vendor: Vendor,
    texts: Texts,
    url: Callable[[str], str],
    guides: dict[str, str],
) -> Feed:
    """New releases for every customer: the newest `LIMIT` releases, newest first.

    `url(page)` gives the absolute URL of a page's source path under the language folder
    (`releases/9.3.0.md`); `guides` maps a version to its guide's source path; `self_url` is the
    feed's own absolute URL."""
    t = texts.text
    title = t("feed_releases_title", product=vendor.product)
    newest = list(reversed(releases))[:LIMIT]
    feed = _feed(
        title=title,
        subtitle=t("feed_releases_subtitle"),
        language=texts.language,
        self_url=self_url,
        page_url=url("releases/index.md"),
        updated=newest[0].date if newest else dt.date(1970, 1, 1),
        vendor=vendor,
    )
    for release in newest:
        link = url(f"releases/{release.version}.md")
        guide = url(guides[release.version]) if release.version in guides else None
        _entry(
            feed,
            key=link,
            release=release,
            link=link,
            body="".join(_release_html(release, texts, guide, link)),
            texts=texts,
        )
    return Feed(path, texts.language, None, title, _serialize(feed))


def customer_feed(
    *,
    path: str,
    self_url: str,
    customer: Customer,
    newer: Sequence[ReleaseEntitlement],
    installed: Release,
    vendor: Vendor,
    texts: Texts,
    url: Callable[[str], str],
    guides: dict[str, str],
) -> Feed:
    """The releases above the customer's installed version that its support covers, newest first,
    each with the files this customer may download and a link to its downloads."""
    t, e = texts.text, html.escape
    page = url(f"customers/{customer.id}/index.md")
    covered = [entry for entry in newer if entry.covered]
    title = t("feed_customer_title", product=vendor.product, name=customer.name)
    feed = _feed(
        title=title,
        subtitle=t("feed_customer_subtitle", version=installed.version),
        language=texts.language,
        self_url=self_url,
        page_url=page,
        updated=max([installed.date, *(entry.release.date for entry in covered)]),
        vendor=vendor,
    )
    # Where the customer's page holds a release's files: the newest covered release (the page's
    # target) has its own section (#upgrade), every other one rows in the older files' table (#older).
    newest = covered[-1].release if covered else None
    for entry in reversed(covered):
        release = entry.release
        link = url(f"releases/{release.version}.md")
        guide = url(guides[release.version]) if release.version in guides else None
        parts = _release_html(release, texts, guide, link)
        section = "upgrade" if release is newest else "older"
        if entry.downloadable:
            parts.append(f"<h2>{e(t('feed_your_files'))}</h2>")
            parts.append(
                "<ul>"
                + "".join(
                    f"<li><code>{e(a.file)}</code> ({e(texts.module_names[a.module])}, "
                    f"{e(texts.platform_names[a.platform])})</li>"
                    for a in entry.downloadable
                )
                + "</ul>"
            )
            parts.append(f'<p><a href="{e(page)}#{section}">{e(t("feed_downloads"))}</a></p>')
        _entry(
            feed,
            key=f"{page}#{release.version}",
            release=release,
            link=link,
            related=f"{page}#{section}",
            body="".join(parts),
            texts=texts,
        )
    return Feed(path, texts.language, customer.id, title, _serialize(feed))
