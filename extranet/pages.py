"""Rendering: the generated pages of the extranet, as Markdown from the Jinja2 templates.

Each page carries its audience (who may read it) and language; the plugin turns the pages into
MkDocs files and the audience into server rules. Nothing here decides anything: entitlements,
upgrade paths, cadence and the support calendar come from their modules, so a page can only show
what they computed.

**Widgets: what skips the Markdown parser.** A customer's page is mostly HTML already: the facts,
the download tables, the command lines, the withheld files, "what is new", the older files, the
contract and the report form. In Markdown, Python-Markdown only passes such blocks through, at a
cost that grows with every release and customer (`make bench`: a release may add at most a row to
a customer's page, and 2,000 customers at most 30 MiB of Markdown). So the template writes them in
`{% call widget() %}…{% endcall %}`: the HTML is kept on the page (`GeneratedPage.widgets`) and the
Markdown holds a placeholder block, `<div data-extranet-widget="N"></div>`, which the plugin replaces
with the HTML once MkDocs has converted the rest (`ExtranetPlugin.on_page_content`). Headings stay
in the Markdown, so their ids, permalinks and the page's table of contents are MkDocs' own.

The plan's support section (channels, response table, rules, exclusions, closed days and the
deadline calculator) is the same on every page of a plan's customers in a language: it is rendered
once per plan and language (`Renderer.support_section`) as a widget that is Markdown, and the plugin
converts it once. Rejected: the section as a page of its own, linked from the customer's page: an
earlier requirement is that support is reachable from the top of the customer's page, with the
plan's terms, closed days and calculator on it. Rejected: converting the Markdown per page with a
faster parser, or caching Python-Markdown's output by page text: the blocks differ per customer
(signed links, versions), and the parser's cost is in the size of what it reads.

`expand(page)` puts the widgets back into the Markdown (HTML as raw HTML, a section as its
Markdown): the page as plain MkDocs would build it, for the benchmark's baseline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import shlex
import urllib.parse
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from markupsafe import Markup

from . import cadence, entitlements, escaping, feeds, resources, support_calendar, versions
from .access import CUSTOMER, CUSTOMERS, PUBLIC, STAFF
from .loading import Extranet
from .model import Channel, Customer, Plan, Response, Rule, Severity, version_key
from .storage import Storage


@dataclasses.dataclass(frozen=True)
class Widget:
    """A piece of a generated page that skips the page's Markdown parser (see the module docstring)."""

    content: str
    markdown: bool = False
    """False: HTML, put into the page's HTML as it is. True: Markdown shared by many pages (a plan's
    support section), which the plugin converts once per language."""


WIDGET = re.compile(r'<div data-extranet-widget="(\d+)"></div>')
"""A widget's placeholder, as the template writes it and as Python-Markdown passes it on (also inside
a `<details markdown>`, whose nested blocks it re-serializes: an empty `div` stays as it is)."""


@dataclasses.dataclass(frozen=True)
class GeneratedPage:
    path: str
    """Source path under the language folder, e.g. `cs/releases/5.2.0.md`."""
    language: str
    audience: str
    customer: str | None
    markdown: str
    widgets: tuple[Widget, ...] = ()
    """What the placeholders `<div data-extranet-widget="N"></div>` in `markdown` stand for, by N."""


def expand(page: GeneratedPage) -> str:
    """The page's Markdown with its widgets in place of their placeholders: HTML as raw HTML blocks,
    a plan's section as its Markdown. What the page was before widgets, for plain MkDocs."""
    if not page.widgets:
        return page.markdown
    return WIDGET.sub(lambda match: page.widgets[int(match.group(1))].content, page.markdown)


@dataclasses.dataclass(frozen=True)
class GeneratedFile:
    """A file other than a page (the exported calendar, .ics), with its audience like a page."""

    path: str
    """Source path under the language folder, e.g. `cs/support/enterprise/calendar.json`."""
    audience: str
    content: str


@dataclasses.dataclass(frozen=True)
class SupportFiles:
    """Where a plan's calendar files are, relative to the site root (see `Renderer.files`)."""

    plan: str
    prefixes: dict[str, str]

    @property
    def json(self) -> str:
        return f"support/{self.plan}/calendar.json"

    def ics(self, language: str) -> str:
        return f"{self.prefixes[language]}support/{self.plan}/support-calendar.ics"


def load_strings(templates: Path) -> dict[str, dict[str, str]]:
    """The interface texts of generated pages, per key and language: the packaged `strings.yaml`,
    with the project's (`templates`, its `site_templates/`) over it (see `extranet.resources`)."""
    return resources.strings(templates)


def page_path(language: str, path: str) -> str:
    return f"{language}/{path}"


class Renderer:
    """Renders every generated page of one extranet at one instant."""

    def __init__(
        self,
        extranet: Extranet,
        templates: Path,
        storage: Storage,
        now: dt.datetime,
        site_url: str = "",
        strings: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """`strings`: the interface texts, when the caller has read them already (the plugin reads
        them once, in `on_config`); otherwise read from `templates`."""
        self.extranet = extranet
        self.storage = storage
        self.site_url = site_url
        """Absolute links (feeds, curl lines) start here; without it there are no feeds."""
        self.now = now
        self.today = now.date()
        self.strings = strings if strings is not None else load_strings(templates)
        self.env = jinja2.Environment(
            loader=resources.loader(templates, "pages"),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            # Every `{{ }}` that is not Markup (text the templates wrote) is escaped for Markdown and
            # HTML at once (`escaping.markdown`); autoescape makes macros and `{% set %}` blocks Markup.
            autoescape=True,
            finalize=escaping.markdown,
        )
        self.env.filters.update(
            md=escaping.markdown,
            cell=escaping.table_cell,
            attr=escaping.attribute,
            url=escaping.url,
            # Jinja's own `e` and `join` escape HTML only: here they escape for Markdown too.
            e=escaping.attribute,
            escape=escaping.attribute,
            join=_join,
        )
        self.env.filters["href"] = lambda url, root: url if "://" in url else root + url
        # For a `curl` line: a link relative to the site root, made absolute on the configured site_url.
        self.env.filters["absolute"] = lambda url: url if "://" in url else feeds.absolute(self.site_url, url)
        self.env.filters["shell"] = shlex.quote
        self.env.globals["responses"] = responses
        self.env.globals["widget"] = self._widget
        self._widgets: list[Widget] | None = None
        """The widgets of the page being rendered (None between pages)."""
        self._outlined: frozenset[str] = frozenset()
        """Languages whose pages `pages` yields without rendering them."""
        self.releases = extranet.releases
        self.latest = self.releases[-1]
        self.entitlements = {
            customer.id: entitlements.entitlement(extranet.vendor, customer, self.releases, self.today)
            for customer in extranet.customers
        }
        self._sections: dict[tuple[str, str, str], Widget] = {}
        self._closures: dict[tuple[str, str], list[tuple[dt.date, str]]] = {}
        self._contexts: dict[str, dict[str, Any]] = {}
        self.cadence = {
            plan_id: cadence.by_year(self.releases, plan.cadence, self.today)
            for plan_id, plan in extranet.plans.items()
        }

    def pages(self, languages: Collection[str] | None = None) -> Iterator[GeneratedPage]:
        """Every generated page. `languages`: those whose pages are rendered (None: all); the
        others' come as outlines (path, audience, customer; no Markdown), for a build process that
        renders only some languages but must know every page (`extranet.building`). Public pages
        are rendered all the same: the sitemap, which that process may write, lists them by their
        front matter (a page out of search is out of the sitemap); they are a handful."""
        self._outlined = frozenset(self.extranet.languages) - frozenset(
            self.extranet.languages if languages is None else languages
        )
        overview = self._overview()
        for language in self.extranet.languages:
            yield self._page(language, "index.md", "home.md.j2", PUBLIC)
            yield self._page(language, "support/index.md", "support.md.j2", PUBLIC)
            yield self._page(language, "login/index.md", "login.md.j2", PUBLIC)
            if self.extranet.vendor.specialists:
                yield self._page(language, "specialists/index.md", "specialists.md.j2", PUBLIC)
            yield self._page(language, "releases/index.md", "releases.md.j2", CUSTOMERS)
            yield self._page(language, "releases/timeline.md", "timeline.md.j2", CUSTOMERS)
            for release in self.releases:
                yield self._page(
                    language, f"releases/{release.version}.md", "release.md.j2", CUSTOMERS, release=release
                )
            for customer in self.extranet.customers:
                yield self._customer_page(language, customer)
            yield self._page(language, "staff/index.md", "staff.md.j2", STAFF, overview=overview)
            if self.extranet.vendor.specialists:
                yield self._page(language, "staff/specialists.md", "staff_specialists.md.j2", STAFF)

    def files(self) -> Iterator[GeneratedFile]:
        """Per plan: the calendar the pages' script reads (one, language-neutral, beside the first
        language's support page) and `support-calendar.ics` in each language. Both are public, as the
        support terms are."""
        first = self.extranet.languages[0]
        domain = urllib.parse.urlsplit(self.extranet.vendor.website).hostname or "extranet"
        for plan in self.extranet.plans.values():
            yield GeneratedFile(
                page_path(first, self.support_files(plan).json),
                PUBLIC,
                support_calendar.export(
                    plan, self.releases, self.extranet.vendor.planned_releases, self.now, self.extranet.languages
                ),
            )
            for language in self.extranet.languages:
                name = f"{plan.name[language]}: {self.strings['support_closed_title'][language]}"
                yield GeneratedFile(
                    page_path(language, f"support/{plan.id}/support-calendar.ics"),
                    PUBLIC,
                    support_calendar.ics(
                        plan, self.now, language, name, self.strings["support_ics_closed"][language], domain
                    ),
                )

    def support_files(self, plan: Plan) -> SupportFiles:
        return SupportFiles(
            plan.id, {language: self.extranet.url_prefix(language) for language in self.extranet.languages}
        )

    def closures(self, plan: Plan, language: str) -> list[tuple[dt.date, str]]:
        """The closed working days of the next 12 months from today, computed once per plan and language."""
        key = (plan.id, language)
        if key not in self._closures:
            cal = support_calendar.calendar(plan.calendar)
            self._closures[key] = cal.closures(self.today, self.today + dt.timedelta(days=365), language)
        return self._closures[key]

    def workdays(self, plan: Plan) -> list[dt.date]:
        """Weekend days of the next 12 months that the plan's country works (e.g. Hungary's bridging
        Saturdays): business days the sentence "Monday to Friday" does not cover, so the page lists them."""
        cal = support_calendar.calendar(plan.calendar)
        return cal.weekend_workdays(self.today, self.today + dt.timedelta(days=365))

    def report_mailto(self, plan: Plan, customer: Customer, installed_version: str) -> str | None:
        """The problem report's e-mail before the reader fills anything in; the page's script composes
        the same format as fields change. Labels are in the language support is given in."""
        language = plan.languages[0]
        email = next((channel.address for channel in plan.channels if channel.kind == "email"), None)
        if email is None:
            return None

        def label(key: str) -> str:
            return self.strings[key][language]

        values = {
            "company_id": customer.company_id,
            "company_name": customer.name,
            "user": "",
            "version": installed_version,
            "severity": "",
        }
        lines = [f"{label('report_' + key)}: {value}" for key, value in values.items()]
        lines += ["", f"{label('report_description')}:", ""]
        subject = label("report_subject").format(**values)
        body = "\r\n".join(lines)
        return f"mailto:{email}?subject={_uri(subject)}&body={_uri(body)}"

    def feeds(self, url_of: Callable[[str], str], languages: Collection[str] | None = None) -> Iterator[feeds.Feed]:
        """The Atom feeds of every language: new releases for all customers, and per customer.

        `url_of(source)` is the site-relative URL MkDocs gives a page (`cs/releases/9.3.0.md`); links
        are absolute on `site_url`, so there are none without it. `languages`: those whose feeds are
        written (None: all); the others' come as outlines (path, language, customer), as in `pages`."""
        extranet, site_url = self.extranet, self.site_url
        if not site_url:
            return
        for language in extranet.languages:
            if languages is not None and language not in languages:
                yield feeds.Feed(page_path(language, feeds.RELEASES_PATH), language, None, "", b"")
                for customer in extranet.customers:
                    yield feeds.Feed(
                        page_path(language, feeds.customer_path(customer.id)), language, customer.id, "", b""
                    )
                continue
            context = self._context(language)
            # Feeds are XML written by ElementTree, which escapes: plain text, not page Markup.
            texts = feeds.Texts(
                language,
                context["plain_text"],
                functools.partial(_date, language=language),
                context["module_names"],
                context["platform_names"],
            )

            def url(page: str, language: str = language) -> str:
                return feeds.absolute(site_url, url_of(page_path(language, page)))

            def own(path: str, language: str = language) -> str:
                return feeds.absolute(site_url, extranet.url_prefix(language) + path)

            path = feeds.RELEASES_PATH
            yield feeds.releases_feed(
                path=page_path(language, path),
                self_url=own(path),
                releases=self.releases,
                vendor=extranet.vendor,
                texts=texts,
                url=url,
                guides=dict(extranet.guides),
            )
            for customer in extranet.customers:
                entitlement = self.entitlements[customer.id]
                path = feeds.customer_path(customer.id)
                yield feeds.customer_feed(
                    path=page_path(language, path),
                    self_url=own(path),
                    customer=customer,
                    newer=[entitlement.of(r) for r in versions.newer(self.releases, customer.installed_version)],
                    installed=versions.find(self.releases, customer.installed_version),
                    vendor=extranet.vendor,
                    texts=texts,
                    url=url,
                    guides=dict(extranet.guides),
                )

    def site_root(self, language: str, path: str) -> str:
        """The relative way from a page's URL up to the site root, for links MkDocs does not resolve."""
        url = path.removesuffix("index.md").removesuffix(".md")
        url = url if url.endswith("/") or not url else url + "/"
        return "../" * (self.extranet.url_prefix(language) + url).count("/")

    def _context(self, language: str) -> dict[str, Any]:
        """What every template of a language sees; built once per language, not once per page."""
        if language not in self._contexts:
            self._contexts[language] = self._build_context(language)
        return self._contexts[language]

    def _build_context(self, language: str) -> dict[str, Any]:
        strings = self.strings

        def plain_text(key: str, **values: Any) -> str:
            """An interface text as plain text, its values as they are (for feeds)."""
            try:
                template: str | dict[str, str] = strings[key][language]  # plural-aware texts are dicts
            except KeyError:
                raise KeyError(f"site_templates/strings.yaml has no '{key}' in {language}") from None
            if isinstance(template, dict):  # a plural-aware string: its form follows `count`
                template = plural(language, values["count"], template)
            if "count" in values:
                values = {**values, "count": number(values["count"], language)}
            return template.format(**values) if values else template

        def text(key: str, **values: Any) -> Markup:
            """An interface text for a page: our own Markdown (`**…**`), its values from data escaped
            (`count` is a number: it chooses the plural form and is written as the language writes it)."""
            return Markup(
                plain_text(
                    key,
                    **{name: value if name == "count" else escaping.markdown(value) for name, value in values.items()},
                )
            )

        def text_in(key: str, other: str) -> str:
            """A string in another language than the page's: what support reads is in its language."""
            return strings[key][other]

        def country_in(country: str) -> str:
            key = f"country_in_{country}"
            if key in strings:
                return strings[key][language]
            return f"({babel_locale(language).territories.get(country, country)})"

        return {
            "support_section": lambda plan, part: self.support_section(plan, language, part),
            "text_in": text_in,
            "plain_text": plain_text,
            "support_files": self.support_files,
            "report_mailto": self.report_mailto,
            "country_in": country_in,
            "rule_kinds": rule_kinds,
            "zone_name": lambda zone, form="": zone_name(zone, language, strings, form),
            "intl_locale": str(babel_locale(language)).replace("_", "-"),
            "closures": lambda plan: self.closures(plan, language),
            "workdays": self.workdays,
            "lang": language,
            "text": text,
            "extranet": self.extranet,
            "vendor": self.extranet.vendor,
            "today": self.today,
            "releases": self.releases,
            "latest": self.latest,
            "guides": self.extranet.guides,
            # Dates, sizes and numbers are our own words (`1. prosince 2026`), not data: Markup, so
            # templates keep deciding where a leading `1.` needs its escape.
            "date": lambda value: Markup(_date(value, language)),
            # In tables and lists: "31. 1. 2027" never breaks across lines (no-break spaces).
            "short_date": lambda value: Markup(_date(value, language, "medium").replace(" ", "\u00a0")),
            "now": self.now,
            "feeds": bool(self.site_url),
            "moment": lambda value, zone: Markup(_moment(value, zone, language, strings)),
            "size": lambda value: Markup(size(value, language)),
            "number": lambda value: Markup(number(value, language)),
            "module_names": {module.id: module.name[language] for module in self.extranet.vendor.modules},
            "platform_names": {platform.id: platform.name for platform in self.extranet.vendor.platforms},
        }

    def customer_root(self, language: str) -> str:
        """`root` of every customer page of a language: they all lie at `customers/<id>/`."""
        return self.site_root(language, "customers/_/index.md")

    def support_section(self, plan: Plan, language: str, part: str) -> Markup:
        """A part of a plan's support section on a customer's page, as a widget of Markdown rendered
        once per plan and language: `terms` (channels, response table, rules, exclusions) or `live`
        (closed days and the deadline calculator). Its relative links are written for customer pages
        (`customer_root`), and the plugin converts it once for all of them."""
        key = (plan.id, language, part)
        if key not in self._sections:
            markdown = self.env.get_template("plan_section.md.j2").render(
                **self._context(language), plan=plan, part=part, root=self.customer_root(language)
            )
            self._sections[key] = Widget(markdown.strip(), markdown=True)
        return self._place(self._sections[key])

    def _widget(self, caller: Callable[[], str]) -> Markup:
        """`{% call widget() %}<html>{% endcall %}`: keeps the HTML on the page being rendered and
        writes its placeholder. The HTML is escaped as any template output (`escaping.markdown`
        writes HTML references, valid in HTML as in Markdown). Give it lines of its own with blank
        lines around, as a raw HTML block needs; inside a `<details markdown>` too."""
        return self._place(Widget(str(caller()).strip("\n"))) + "\n"

    def _place(self, widget: Widget) -> Markup:
        if self._widgets is None:
            raise RuntimeError("a widget outside a page")
        self._widgets.append(widget)
        return Markup(f'<div data-extranet-widget="{len(self._widgets) - 1}"></div>')

    def _page(
        self, language: str, path: str, template: str, audience: str, owner: str | None = None, **context: Any
    ) -> GeneratedPage:
        if language in self._outlined and audience != PUBLIC:
            return GeneratedPage(page_path(language, path), language, audience, owner, "")
        self._widgets = []
        try:
            markdown = self.env.get_template(template).render(
                **self._context(language),
                path=path,
                audience=audience,
                cadence=self.cadence,
                root=self.site_root(language, path),
                **context,
            )
            widgets = tuple(self._widgets)
        finally:
            self._widgets = None
        return GeneratedPage(page_path(language, path), language, audience, owner, markdown, widgets)

    def _customer_page(self, language: str, customer: Customer) -> GeneratedPage:
        """The customer's dashboard. Its size grows by at most a row per release: the newest release
        the customer may install gets its full download table; every other release they may download
        is a row per file in one table, and every newer release a row in "what is new"."""
        if language in self._outlined:
            return self._page(language, f"customers/{customer.id}/index.md", "customer.md.j2", CUSTOMER, customer.id)
        entitlement = self.entitlements[customer.id]
        installed = versions.find(self.releases, customer.installed_version)
        target = entitlement.latest
        path = None
        if target is not None and version_key(target.version) > version_key(installed.version):
            path = versions.upgrade_path(self.releases, installed.version, target.version)
        newer = [entitlement.of(release) for release in versions.newer(self.releases, installed.version)]
        offered = [entry for entry in [entitlement.of(installed), *newer] if entry.downloadable]
        links = {
            (entry.release.version, artifact.id): self.storage.link(entry.release, artifact, self.now)
            for entry in offered
            for artifact in entry.downloadable
        }
        older = [
            (entry.release, artifact)
            for entry in reversed(offered)
            if entry.release is not target
            for artifact in entry.downloadable
        ]
        expiries = [link.expires for link in links.values() if link.expires is not None]
        return self._page(
            language,
            f"customers/{customer.id}/index.md",
            "customer.md.j2",
            CUSTOMER,
            customer.id,
            customer=customer,
            plan=self.extranet.plans[customer.plan],
            entitlement=entitlement,
            installed=installed,
            upgrade=path,
            newer=newer,
            links=links,
            older=older,
            target=entitlement.of(target) if target is not None else None,
            links_expire=min(expiries) if expiries else None,
            active=entitlements.support_active(customer, self.today),
            support_state=entitlement.state.value,
        )

    def _overview(self) -> list[dict[str, Any]]:
        """Staff's overview: a row per customer with access, support state, version and users."""
        rows = []
        for customer in self.extranet.customers:
            entitlement = self.entitlements[customer.id]
            support = (
                "active"
                if entitlements.support_active(customer, self.today)
                else "ended"
                if self.today > customer.support_until
                else "not_started"
            )
            rows.append(
                {
                    "customer": customer,
                    "latest": entitlement.latest,
                    "access": customer.access,
                    "behind": len(versions.newer(self.releases, customer.installed_version)),
                    "support": support,
                    "active": support == "active",
                    "users": len(customer.users),
                }
            )
        return rows


def responses(plan: Plan, severity: Severity) -> list[tuple[list[Channel], Response]]:
    """The severity's responses, channels with the same response grouped, in the plan's channel order."""
    groups: list[tuple[list[Channel], Response]] = []
    for channel in plan.channels:
        response = severity.response_on(channel.id)
        for channels, existing in groups:
            if existing == response:
                channels.append(channel)
                break
        else:
            groups.append(([channel], response))
    return groups


@jinja2.pass_environment
def _join(environment: jinja2.Environment, items: Any, d: str = "", attribute: str | int | None = None) -> Markup:
    """Jinja's `join` for these pages: the separator is template text, the items are escaped.

    Jinja's own would escape the separator (`join("<br>")`) and, with no Markup item, none of the
    items, which finalize would then escape together with the separator."""
    if attribute is not None:
        items = map(jinja2.filters.make_attrgetter(environment, attribute), items)
    return Markup(str(d)).join(escaping.markdown(item) for item in items)


def rule_kinds(plan: Plan) -> list[Rule]:
    """Each kind of rule the plan's responses use, once (the first of each kind), in table order: the
    page explains exactly these, so no sentence claims a rule the plan does not have."""
    seen: dict[str, Rule] = {}
    for severity in plan.severities:
        for channel in plan.channels:
            response = severity.response_on(channel.id)
            for rule in (response.target, response.deadline):
                if rule is not None and rule.kind not in seen:
                    seen[rule.kind] = rule
    return list(seen.values())


def _uri(text: str) -> str:
    """Percent-encoding as the browser's encodeURIComponent does it, so both compose the same link."""
    return urllib.parse.quote(text, safe="!~*'()")


LOCALES = {"en": "en_GB"}
"""The Babel locale of a page language where the language alone is not the one wanted. English pages
write dates day first ("14 July 2025"), as the vendor's readers in Europe do; plain `en` would give
"July 14, 2025"."""


def babel_locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, language))


def plural(language: str, count: int, forms: dict[str, str]) -> str:
    """The form of a plural-aware string (`strings.yaml`: one/few/many/other) that `count` takes.

    The rules are CLDR's, through Babel (which Material already brings): Czech says 1 verze, 2-4 verze,
    5 verzí; English 1 release, 2 releases. Each entry gives every form its language uses for whole
    numbers (tests/test_language.py checks); `other` is the fallback CLDR defines."""
    form = babel_locale(language).plural_form(count)
    return forms.get(form) or forms["other"]


def number(value: float, language: str) -> str:
    """A number as the language writes it: "12 345" and "2,5" in Czech, "12,345" and "2.5" in English."""
    return babel_numbers.format_decimal(value, locale=babel_locale(language))


def size(value: float, language: str) -> str:
    """A file size in binary units with the language's decimal mark ("2,0 KiB" in Czech); a no-break
    space keeps the number and its unit on one line."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            pattern = "#,##0" if unit == "B" else "#,##0.0"
            return f"{babel_numbers.format_decimal(value, format=pattern, locale=babel_locale(language))}\u00a0{unit}"
        value /= 1024
    raise AssertionError


def _date(value: dt.date, language: str, width: str = "long") -> str:
    """Dates as each language writes them in a sentence ("1. prosince 2026", "1 December 2026") or, at
    `medium`, in a list ("1. 12. 2026", "1 Dec 2026"): CLDR through Babel, never the machine's locale."""
    return babel_dates.format_date(value, width, locale=babel_locale(language))


def _moment(value: dt.datetime, zone: str, language: str, strings: dict[str, Any]) -> str:
    """An instant as the support calendar's zone sees it, named as people say it ("pražského času",
    "Prague time") rather than by its tz database name; see `zone_name`."""
    local = value.astimezone(ZoneInfo(zone))
    time = babel_dates.format_time(local, "HH:mm", locale=babel_locale(language))
    return f"{_date(local.date(), language)}, {time} {zone_name(zone, language, strings, 'gen')}"


def zone_name(zone: str, language: str, strings: dict[str, Any], form: str = "") -> str:
    """A time zone as a sentence names it: `strings.yaml` keys `tz_<zone>`, `tz_gen_<zone>` ("16:00
    pražského času": Czech declines the city, which CLDR cannot) and `tz_in_<zone>` ("v pražském
    čase"); a zone without its own strings is named by CLDR's generic name through Babel
    ("středoevropský čas", "Central European Time"; `tz_in_other` puts it in a sentence), never by
    its tz database name."""
    key = f"tz_{form + '_' if form else ''}{zone}"
    if key in strings:
        return str(strings[key][language])
    if zone in ("UTC", "Etc/UTC", "Etc/GMT"):
        name = "UTC"
    else:
        name = babel_dates.get_timezone_name(zone, "long", zone_variant="generic", locale=babel_locale(language))
    return str(strings["tz_in_other"][language]).format(zone=name) if form == "in" else name
