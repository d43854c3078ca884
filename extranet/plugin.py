"""The MkDocs plugin: loads the model, adds the generated pages as files and gives each language its nav.

Content lives in `<docs_dir>/<language>/`; the first language is served at `/` and the others under
`/<language>/`. Pages carry their audience in `page.meta['audience']`; pages of one customer or of
staff never enter a navigation, the search index or the sitemap that another audience receives.

A generated page's widgets (blocks of HTML, and the plan's support section on customer pages; see
`extranet.pages`) skip MkDocs' Markdown parser: the Markdown MkDocs converts holds placeholders,
which `on_page_content` replaces. A plan's section is Markdown converted here once per language,
with the site's `markdown_extensions` and `mdx_configs` and MkDocs' own relative-link rewriting for
the first customer page of the language (all of them lie at `customers/<id>/` and the section
links only outside that directory, so the result is right for each). It is converted inside a
`<div markdown>`, as it sat inside the page's `<details markdown>`, so the HTML is what the page's
own parser made of it. Its headings' ids are checked against the page's (the page's own `toc` would
have made them unique) and its headings join the page's table of contents where the section
stands, as the theme shows them in the page's nav.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jinja2
import markdown
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page, _ExtractAnchorsTreeprocessor, _RelativePathTreeprocessor
from mkdocs.structure.toc import AnchorLink, get_toc

from . import access, access_record, cloudfront, errors, feeds, resources, search, servers, storage
from .access import CUSTOMER, CUSTOMERS, PUBLIC, STAFF
from .build_environment import source_date_epoch
from .config import ExtranetConfig, relative
from .loading import Extranet, InvalidInput, load
from .pages import WIDGET, GeneratedPage, Renderer, Widget, load_strings
from .storage import Storage

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.utils.templates import TemplateContext

log = logging.getLogger("mkdocs.plugins.extranet")

_HEADING_ID = re.compile(r'<h[1-6] id="([^"]*)"')
"""A heading as the `toc` extension writes it, to place a section's headings in the page's contents."""

PRIVATE = (CUSTOMER, STAFF)
"""Audiences whose pages stay out of every shared navigation, index and sitemap."""

OUTLINE_TEMPLATE = "extranet-outline.html"
"""The empty theme template of a page another process renders (`ExtranetPlugin.shard`)."""


class ExtranetPlugin(BasePlugin[ExtranetConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.extranet: Extranet | None = None
        self.preloaded: Extranet | None = None
        """Set by `extranet build`, which has validated already; `mkdocs build` and `serve` load here."""
        self.generated: dict[str, GeneratedPage] = {}
        self._widgets: dict[str, tuple[Widget, ...]] = {}
        """Source path -> the page's widgets, until `on_page_content` has put them in its HTML."""
        self._sections: dict[tuple[str, str], _Section] = {}
        """(language, a plan section's Markdown) -> its HTML, ids and headings, converted once."""
        self.navs: dict[str, Navigation] = {}
        self._urls: dict[str, str] = {}
        self._customers: dict[str, str | None] = {}
        """Source path -> the customer a page is for (None: not one customer's)."""
        self.feeds: dict[tuple[str, str | None], feeds.Feed] = {}
        """(language, customer or None) -> the feed; empty without `site_url` (feeds need absolute links)."""
        self.preview = False
        self.progress: Callable[[str, int, int], None] = lambda stage, done, total: None
        """Set by `extranet build` to show what the build is doing: (stage, done, total)."""
        self._pages_done = self._pages_total = 0
        self._environment = contextlib.ExitStack()
        """What the build changed in the process environment, undone when it ends."""
        self.shard: frozenset[str] | None = None
        """Set by a parallel `extranet build` (see `extranet.building`): the languages whose pages this
        process renders; None (`mkdocs build`, `serve`, a sequential build): every language."""
        self.shard_files: list[str] = []
        """In a shard: what this process wrote that is its own (its languages' pages, error pages,
        feeds and search indexes), relative to `site_dir`; the rest of its output is the first
        language's shard's."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.preview = command == "serve"

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Callable[..., Any]) -> Any:
        """`mkdocs serve` rebuilds when the data changes too, not only the content: the releases,
        customers.yaml and the page templates are read by this plugin, which MkDocs cannot know."""
        for path in self.watched():
            server.watch(str(path))
        return server

    def watched(self) -> list[Path]:
        # A project without its own templates uses the packaged ones, which do not change while editing.
        return [self.root / self.config.releases, self.root / self.config.customers] + (
            [self.templates] if self.templates.is_dir() else []
        )

    # --- configuration and model ---------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.root = Path(config.config_file_path).resolve().parent
        self.languages = tuple(self.config.languages)
        if not self.languages:
            raise PluginError("extranet: 'languages' must name at least one language")
        self.now = self.config.now or dt.datetime.now(dt.UTC).replace(microsecond=0)
        try:
            # The path the servers serve the site under; local download links are signed for it.
            self.base = servers.base_path(config.site_url)
        except ValueError as error:
            lines = Path(config.config_file_path).read_text(encoding="utf-8").splitlines()
            line = next((f":{n}" for n, text in enumerate(lines, 1) if text.startswith("site_url:")), "")
            raise PluginError(f"{Path(config.config_file_path).name}{line}: {error}") from None
        self.storage = self._storage()
        self.templates = self.root / self.config.templates
        try:
            self.strings = load_strings(self.templates)
        except resources.InvalidStrings as error:
            raise PluginError(f"extranet: {error}") from None
        try:
            self.extranet = self.preloaded or load(
                self.root,
                languages=self.languages,
                releases_dir=relative(self.config.releases, self.root),
                customers_file=relative(self.config.customers, self.root),
                content_dir=Path(config.docs_dir).relative_to(self.root).as_posix(),
                artifact_exists=self.storage.exists if self.config.storage.check else None,
                drafts=self.preview,  # `mkdocs serve` previews a release whose TODOs are not yet written
                templates_dir=self.config.templates,
            )
        except InvalidInput as error:
            raise PluginError(f"{len(error.problems)} problem(s) in the extranet's data:\n{error}") from None
        self.preloaded = None
        # The project's theme overrides, then the packaged ones, before the theme's own (`extranet.resources`).
        self._theme_dirs = resources.theme_dirs(self.templates)
        config.theme.dirs[0:0] = self._theme_dirs
        config.theme["language"] = self.languages[0]
        config.extra["alternate"] = [
            {"name": self.language_name(language), "lang": language, "link": "" if index == 0 else f"{language}/"}
            for index, language in enumerate(self.languages)
        ]
        config.extra["extranet_preview"] = self.preview
        # Dates in the sitemap and gzip headers follow the stated instant, for byte-identical builds;
        # the previous value (or its absence) is back after the build (`on_post_build`, `on_build_error`).
        self._environment.close()
        self._environment.enter_context(source_date_epoch(self.now))
        return config

    def language_name(self, language: str) -> str:
        """A language's name in itself, as a language switch shows it."""
        return self.strings.get("language_name", {}).get(language, language)

    def _storage(self) -> Storage:
        try:
            return storage.from_config(self.root, self.config.storage, self.base)
        except ValueError as error:  # pragma: no cover: the config's Choice refuses it first
            raise PluginError(f"extranet: {error}") from None

    # --- files ---------------------------------------------------------------------------------

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.extranet is not None
        self._files = files
        self._refuse_outside(files, config)
        site_url = config.site_url or ""
        if not site_url:
            log.info("extranet: no site_url in mkdocs.yml, so no Atom feeds (they need absolute links)")
        renderer = Renderer(self.extranet, self.templates, self.storage, self.now, site_url, self.strings)
        self.generated, self._widgets, self._sections = {}, {}, {}
        self.shard_files = []  # MkDocs keeps a plugin's instance from one build to the next
        for page in renderer.pages(self.shard):
            if files.get_file_from_path(page.path) is not None:
                raise PluginError(
                    f"extranet: {config.docs_dir}/{page.path} collides with a generated page; rename or remove it"
                )
            inclusion = InclusionLevel.NOT_IN_NAV if page.audience in PRIVATE else InclusionLevel.UNDEFINED
            files.append(File.generated(config, page.path, content=page.markdown, inclusion=inclusion))
            # Only who may read it is kept here; the Markdown lives in the File until MkDocs reads it,
            # the widgets until the page's HTML has them.
            self.generated[page.path] = dataclasses.replace(page, markdown="", widgets=())
            if page.widgets:
                self._widgets[page.path] = page.widgets
        public: list[File] = []
        for generated in renderer.files():
            if files.get_file_from_path(generated.path) is not None:
                raise PluginError(
                    f"extranet: {config.docs_dir}/{generated.path} collides with a generated file; rename or remove it"
                )
            if generated.audience != PUBLIC:  # pragma: no cover: every generated file is public today
                raise PluginError(f"extranet: {generated.path}: only public generated files are classified")
            public.append(File.generated(config, generated.path, content=generated.content))
            files.append(public[-1])
        for file in files:
            self._serve_under_language(file)
        self.public_files = [file.dest_uri for file in public]
        """Generated files anyone may fetch (the support calendars), listed exactly in the access rules."""
        self.feeds = {}
        if site_url:
            for feed in renderer.feeds(lambda src: files.src_uris[src].url, self.shard):
                if files.get_file_from_path(feed.path) is not None:
                    raise PluginError(
                        f"extranet: {config.docs_dir}/{feed.path} collides with a generated feed; rename or remove it"
                    )
                # Another shard's feed is known (for the rules) but written by that shard.
                file = File.generated(
                    config,
                    feed.path,
                    content=feed.content,
                    inclusion=InclusionLevel.UNDEFINED if self.renders(feed.language) else InclusionLevel.EXCLUDED,
                )
                self._serve_under_language(file)
                files.append(file)
                self.feeds[(feed.language, feed.customer)] = dataclasses.replace(feed, path=file.dest_uri)
        self._pages_done = 0
        self._pages_total = sum(1 for file in files.documentation_pages() if self.renders(self.language_of(file)))
        return files

    def _refuse_outside(self, files: Files, config: MkDocsConfig) -> None:
        """Nothing outside the project reaches the web root, even if a link appeared after validation."""
        ours = tuple(os.path.join(str(place), "") for place in (config.docs_dir, self.templates / "theme"))
        for file in files:
            source = file.abs_src_path
            if source and source.startswith(ours) and not Path(source).resolve().is_relative_to(self.root):
                raise PluginError(
                    f"extranet: {file.src_uri} leads outside the project "
                    f"({Path(source).resolve()}); refusing to publish it"
                )

    def _serve_under_language(self, file: File) -> None:
        """`cs/x.md` is served as `x/`; `en/x.md` stays `en/x/` (see `Extranet.url_prefix`)."""
        default = self.languages[0] + "/"
        if file.src_uri.startswith(default):
            dest = file.dest_uri.removeprefix(default)
            url = file.url.removeprefix(default)
            file.dest_uri, file.url = dest, url or "./"

    # --- navigation ----------------------------------------------------------------------------

    def language_of(self, file: File) -> str:
        first = file.src_uri.split("/", 1)[0]
        return first if first in self.languages else self.languages[0]

    def audience_of(self, page: Page) -> tuple[str, str | None]:
        """(audience, customer) of a page: a generated page's own; a content page's by where it lies
        and its front matter, decided by `access.page_audience` as `extranet validate` decides it."""
        generated = self.generated.get(page.file.src_uri)
        if generated is not None:
            return generated.audience, generated.customer
        assert self.extranet is not None
        language = self.language_of(page.file)
        try:
            return access.page_audience(
                page.file.src_uri.removeprefix(language + "/"),
                page.meta.get("audience"),
                {customer.id for customer in self.extranet.customers},
            )
        except access.AudienceError as error:
            raise PluginError(f"{page.file.src_uri}: audience: {error}") from None

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        """One navigation per language, of public and customers pages only, in a fixed order."""
        for file in files.documentation_pages():
            assert file.page is not None
            file.page.parent = None
            file.page.previous_page = file.page.next_page = None
        strings = self.strings
        for language in self.languages:

            def page(path: str, language: str = language) -> Page | None:
                file = files.get_file_from_path(f"{language}/{path}")
                return file.page if file is not None else None

            def section(title: str, children: list[Any]) -> Section:
                result = Section(title, [child for child in children if child is not None])
                for child in result.children:
                    child.parent = result
                return result

            guides = sorted(
                (
                    file.page
                    for file in files.documentation_pages()
                    if file.src_uri.startswith(f"{language}/guides/") and file.page is not None
                ),
                key=lambda p: p.file.src_uri,
            )
            items: list[Any] = [
                page("index.md"),
                section(strings["nav_releases"][language], [page("releases/index.md"), page("releases/timeline.md")]),
                section(strings["nav_guides"][language], list(guides)) if guides else None,
                page("support/index.md"),
                page("specialists/index.md"),
            ]
            items = [item for item in items if item is not None]
            self.navs[language] = Navigation(items, _pages(items))
        return self.navs[self.languages[0]]

    # --- a shard of a parallel build (see `extranet.building`) ---------------------------------

    def renders(self, language: str) -> bool:
        """Whether this process renders the pages of `language` (every language unless in a shard)."""
        return self.shard is None or language in self.shard

    def _outline(self, page: Page) -> str:
        """A page of another shard's language: known (its URL, audience, place in the rules, the
        sitemap and the navigation) but not converted or rendered here. The empty template makes
        MkDocs write nothing for it."""
        page.meta["template"] = OUTLINE_TEMPLATE
        if page.file.src_uri in self.generated:
            page.file.content_string = ""
        return ""

    # --- pages ---------------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        audience, customer = self.audience_of(page)
        page.meta["audience"] = audience
        self._customers[page.file.src_uri] = customer
        page.meta["lang"] = self.language_of(page.file)
        if audience in PRIVATE:
            page.meta["search"] = {"exclude": True}
        if not self.renders(page.meta["lang"]):
            return self._outline(page)
        if page.file.src_uri in self.generated:
            # MkDocs has read the source into `markdown` and keeps the File to the end of the build:
            # without this, every generated page's Markdown would stay in memory twice.
            page.file.content_string = ""
        return markdown

    @event_priority(50)  # before other plugins read the page's HTML
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Put the page's widgets in place of their placeholders, then let them go."""
        widgets = self._widgets.pop(page.file.src_uri, None)
        if not self.renders(page.meta["lang"]):
            page.present_anchor_ids = None  # MkDocs checks no link's anchor against a page it did not render
            return ""
        if not widgets:
            return html
        placed: list[int] = []
        headings: list[tuple[str | None, list[tuple[int, str, str]]]] = []
        """A section's headings, with the id of the page's heading before it (None: none before)."""

        def place(match: re.Match[str]) -> str:
            index = int(match.group(1))
            placed.append(index)
            widget = widgets[index]
            if not widget.markdown:
                return widget.content
            section = self._section(widget, page, config, files)
            if section.headings:
                before = _HEADING_ID.findall(match.string, 0, match.start())
                headings.append((before[-1] if before else None, section.headings))
            return section.html

        html = WIDGET.sub(place, html)
        if sorted(placed) != list(range(len(widgets))):
            raise PluginError(
                f"extranet: {page.file.src_uri}: the page's HTML has widget placeholders "
                f"{sorted(placed)} of {len(widgets)}; a template put one where Markdown lost it"
            )
        if headings:
            page.toc = _toc_with(page.toc, headings)
        return html

    def _section(self, widget: Widget, page: Page, config: MkDocsConfig, files: Files) -> _Section:
        """A plan section: converted for the first customer page of its language, reused after."""
        key = (self.language_of(page.file), widget.content)
        if key not in self._sections:
            md = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs or {})
            _RelativePathTreeprocessor(page.file, files, config)._register(md)
            anchors = _ExtractAnchorsTreeprocessor(page.file, files, config)
            anchors._register(md)
            html = md.convert(f"<div markdown>\n\n{widget.content}\n\n</div>")
            if not (html.startswith("<div>\n") and html.endswith("\n</div>")):  # pragma: no cover
                raise PluginError(f"extranet: {page.file.src_uri}: the plan section did not convert as one block")
            self._sections[key] = _Section(
                html[len("<div>\n") : -len("\n</div>")],
                frozenset(anchors.present_anchor_ids),
                _flat(getattr(md, "toc_tokens", [])),
            )
        section = self._sections[key]
        if page.present_anchor_ids is not None:
            if section.ids & page.present_anchor_ids:
                raise PluginError(
                    f"extranet: {page.file.src_uri}: the plan's support section has the ids "
                    f"{sorted(section.ids & page.present_anchor_ids)}, which the page has already"
                )
            page.present_anchor_ids |= section.ids
        return section

    @event_priority(-50)
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        language = page.meta.get("lang", self.languages[0])
        context["nav"] = self.navs[language]
        ours = cast("dict[str, Any]", context)  # our keys beside the ones MkDocs' TypedDict names
        ours["extranet_alternates"] = self._alternates(page)
        ours["extranet_feeds"] = self._feeds_for(page)
        # The theme's texts in the page's language (partials/content.html, copyright.html, the header).
        ours["extranet_strings"] = {key: texts.get(language) for key, texts in self.strings.items()}
        return context

    def _feeds_for(self, page: Page) -> list[dict[str, str]]:
        """The feeds this page's reader may fetch: `<link rel="alternate">` never points at a 403."""
        audience, language = page.meta["audience"], page.meta["lang"]
        if audience == access.PUBLIC:
            return []
        found = [self.feeds.get((language, None))]
        generated = self.generated.get(page.file.src_uri)
        if audience == CUSTOMER and generated is not None:
            found.append(self.feeds.get((language, generated.customer)))
        return [{"title": feed.title, "url": feed.path} for feed in found if feed is not None]

    def _alternates(self, page: Page) -> list[dict[str, str | bool]]:
        """The same page in each language, so switching language keeps the reader's place."""
        language = self.language_of(page.file)
        rest = page.file.src_uri.removeprefix(language + "/")
        result: list[dict[str, str | bool]] = []
        for other in self.languages:
            target = self._urls.get(f"{other}/{rest}") or ("./" if other == self.languages[0] else f"{other}/")
            result.append(
                {"name": self.language_name(other), "lang": other, "link": target, "current": other == language}
            )
        return result

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        language = page.meta.get("lang", self.languages[0])
        if not self.renders(language):
            return output  # empty: MkDocs writes nothing
        self._pages_done += 1
        self.progress("pages", self._pages_done, self._pages_total)
        if self.shard is not None and output.strip():
            self.shard_files.append(page.file.dest_uri)
        return search.rebase(output, self._root_of(language))

    def _root_of(self, language: str) -> str:
        return "" if language == self.languages[0] else f"{language}/"

    def _split_search_index(self, site_dir: Path) -> None:
        """One search index per language root (see `extranet.search`), after Material wrote its one."""
        path = site_dir / "search/search_index.json"
        if not path.exists():
            return
        owned = {self._root_of(language) for language in self.languages if self.renders(language)}
        for root, index in search.split(json.loads(path.read_text(encoding="utf-8")), self.languages).items():
            if root not in owned:
                continue  # another process's pages: here their entries are empty
            target = site_dir / root / "search/search_index.json"
            if self.shard is not None:
                self.shard_files.append(f"{root}search/search_index.json")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self._env = env  # the error pages are rendered with it after the build (errors.render)
        self._urls = {file.src_uri: file.url for file in files.documentation_pages()}
        # `material/partials/…` reaches the theme's own template where an override wraps it.
        material = next(
            Path(d)
            for d in config.theme.dirs
            if d not in self._theme_dirs and (Path(d) / "partials/search.html").exists()
        )
        env.loader = jinja2.ChoiceLoader(
            [env.loader, jinja2.PrefixLoader({"material": jinja2.FileSystemLoader(material)})]
        )
        if self.shard is not None:
            env.loader = jinja2.ChoiceLoader([env.loader, jinja2.DictLoader({OUTLINE_TEMPLATE: ""})])
        return env

    # --- server files --------------------------------------------------------------------------

    @event_priority(-100)  # after Material's search plugin has written its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Split the search index per language; write the server files beside the web root:
        `<site_dir>/../server/`.

        Not in preview: `mkdocs serve` builds into a temporary directory and enforces nothing.
        The error pages are written in preview too: its server shows 404.html."""
        assert self.extranet is not None
        self._split_search_index(Path(config.site_dir))
        vendor = self.extranet.vendor
        error_pages = errors.render(
            self._env,
            config,
            self._files,
            self.navs,
            self.languages,
            self.strings,
            {"vendor": vendor.name, "website": vendor.website},
            self.base,
            Path(config.site_dir),
            only=self.shard,
        )
        if self.shard is not None:
            self.shard_files += [page.path for page in errors.pages(self.languages) if self.renders(page.language)]
            self.shard_files += [feed.path for feed in self.feeds.values() if self.renders(feed.language)]
            if not self.renders(self.languages[0]):
                return  # the sitemap's copies and the server files are the first language's shard's
        self._copy_sitemap(Path(config.site_dir))
        if self.preview:
            self._environment.close()
            return
        self.progress("server files", 0, 1)
        pages = [
            access.Page(
                url=self._urls[file.src_uri].removeprefix("./"),
                audience=file.page.meta["audience"],
                customer=self._customers.get(file.src_uri),
            )
            for file in self._files.documentation_pages()
            if file.page is not None
        ]
        # The theme's script looks for a sitemap under each language's root: a public 404, not a login.
        try:
            self.areas = access.areas(
                pages,
                [f"{language}/sitemap.xml" for language in self.languages[1:]]
                + self.public_files
                + [path for path in error_pages if path not in dict(access.PUBLIC_FILES)],
            )
        except access.ConflictingAreas as error:
            raise PluginError(f"extranet: {error}") from None
        for feed in self.feeds.values():
            wrong = access.served_as(feed.path, CUSTOMER if feed.customer else CUSTOMERS, feed.customer, self.areas)
            if wrong:
                raise PluginError(f"extranet: the feed {wrong}")
        server_dir = Path(config.site_dir).resolve().parent / "server"
        if server_dir.exists():
            if not (server_dir / access_record.NAME).exists():
                raise PluginError(
                    f"extranet: {server_dir} exists and was not written by extranet; "
                    f"set site_dir so that its parent holds only the build (e.g. build/site)"
                )
            shutil.rmtree(server_dir)
        root = self.config.server.root.rstrip("/")
        local = self.config.storage.backend == "local"
        layout = servers.Layout(
            site=f"{root}/site",
            files=f"{root}/server",
            base=self.base,
            downloads=self.config.server.downloads.rstrip("/") if local else None,
        )
        files = servers.render(self.extranet, self.areas, self.templates, layout)
        files.update(cloudfront.render(self.extranet, self.areas, self.templates, self.base))
        servers.write(server_dir, files)
        access_record.write(server_dir, access_record.AccessRecord(tuple(self.areas), self.base, root))
        self.progress("server files", 1, 1)
        self._environment.close()

    def on_build_error(self, *, error: Exception) -> None:
        """A failed build gives back the environment too (`on_config` changed it)."""
        self._environment.close()

    def _copy_sitemap(self, site_dir: Path) -> None:
        """Material's script fetches `sitemap.xml` beside each `<link rel="alternate">` of a page (the
        attribute exactly): each language's root. Feeds are linked as `rel="alternate feed"`, which it
        does not follow. The public sitemap (public pages only) is copied to each language's root, so
        no page makes a request that fails."""
        sitemap = site_dir / "sitemap.xml"
        if not sitemap.is_file():  # pragma: no cover: the theme writes it
            return
        assert self.extranet is not None
        places = {f"{self.extranet.url_prefix(language)}sitemap.xml" for language in self.languages}
        for place in sorted(places - {"sitemap.xml"}):
            target = site_dir / place
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sitemap, target)


@dataclasses.dataclass(frozen=True)
class _Section:
    """A plan's support section converted to HTML (see `ExtranetPlugin._section`)."""

    html: str
    ids: frozenset[str]
    headings: list[tuple[int, str, str]]
    """(level, id, title) of each heading, in order."""


def _flat(tokens: list[Any]) -> list[tuple[int, str, str]]:
    """Python-Markdown's nested `toc_tokens` as (level, id, title) in order."""
    result: list[tuple[int, str, str]] = []
    for token in tokens:
        result.append((token["level"], token["id"], token["name"]))
        result.extend(_flat(token["children"]))
    return result


def _toc_with(toc: Any, sections: list[tuple[str | None, list[tuple[int, str, str]]]]) -> Any:
    """The page's table of contents with each section's headings after the heading they follow,
    nested by level as the `toc` extension nests them."""

    def flat(items: list[AnchorLink]) -> list[tuple[int, str, str]]:
        result: list[tuple[int, str, str]] = []
        for item in items:
            result.append((item.level, item.id, item.title))
            result.extend(flat(item.children))
        return result

    entries = flat(list(toc))
    for after, headings in sections:
        position = next((i + 1 for i, entry in enumerate(entries) if entry[1] == after), 0)
        entries[position:position] = headings
    tokens: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []
    for level, id_, title in entries:
        token = {"level": level, "id": id_, "name": title, "children": []}
        while stack and stack[-1]["level"] >= level:
            stack.pop()
        (stack[-1]["children"] if stack else tokens).append(token)
        stack.append(token)
    return get_toc(tokens)  # type: ignore[arg-type]  # the toc extension's token dicts, untyped


def _pages(items: list[Any]) -> list[Page]:
    result: list[Page] = []
    for item in items:
        if isinstance(item, Page):
            result.append(item)
        elif isinstance(item, Section):
            result.extend(_pages(item.children))
    return result
