"""The site's error pages: which exist, where they lie, and how the build renders them with the theme.

A server answers an error by serving one of these files under the same status (nginx `error_page`,
Apache `ErrorDocument`, Caddy `handle_errors`); which language it picks follows the path asked for:
under `<base><language>/` that language, else the first. Each page is a static file, the same for
everyone, so it can never name a customer: it says what happened and what the reader can do.

They are rendered like Material's own 404 page (a theme template with no page, URLs absolute on the
path of `site_url`), because a server shows them at whatever URL failed: relative links would break.
Rejected: Markdown pages (their links are relative to their own URL) and the servers' built-in pages
(English only, unstyled).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Collection
from pathlib import Path
from typing import Any, cast

STATUSES = (401, 403, 404, 410, 429)
"""401: log in; 403: logged in, not allowed here; 404: no such page; 410: an expired download link;
429: too many login attempts."""

DOWNLOAD_403 = "download-403"
"""The 403 of a download link whose signature does not hold (cut short when copied, altered): not
"you may not read this page" but "this link is not valid, reload your page for a fresh one"."""

TEMPLATE = "extranet-error.html"
"""The theme template (`theme/` of the templates, packaged or the project's: `extranet.resources`) that
renders every error page."""


@dataclasses.dataclass(frozen=True)
class ErrorPage:
    status: int
    language: str
    prefix: str
    """Where the language is served, relative to the site root: `` or `en/`."""
    name: str = ""
    """The file's name without `.html`: the status, or DOWNLOAD_403."""

    @property
    def path(self) -> str:
        """The file, relative to the web root: `403.html`, `en/403.html`, `download-403.html`."""
        return f"{self.prefix}{self.name or self.status}.html"

    @property
    def key(self) -> str:
        """Its texts in strings.yaml: `error_<key>_title`, …"""
        return "download_403" if self.name == DOWNLOAD_403 else str(self.status)


def pages(languages: tuple[str, ...]) -> tuple[ErrorPage, ...]:
    """Every error page of a site in these languages (the first is served at the root). Download
    links have no language (one link for every page), so their 403 page is in the first."""
    return (
        *(
            ErrorPage(status, language, "" if index == 0 else f"{language}/")
            for index, language in enumerate(languages)
            for status in STATUSES
        ),
        ErrorPage(403, languages[0], "", DOWNLOAD_403),
    )


def paths(languages: tuple[str, ...]) -> list[str]:
    """The web-root paths of every error page: public files (any visitor must be able to load them)."""
    return [page.path for page in pages(languages)]


def text(page: ErrorPage, strings: dict[str, dict[str, str]], values: dict[str, str]) -> dict[str, Any]:
    """What an error page says: its title, what happened, what to do, and the links to do it with
    (URLs relative to the site root). Each text is HTML: the theme's Jinja does not escape, and
    `values` come from data (the vendor's name)."""

    def t(key: str) -> str:
        return html.escape(strings[key][page.language].format(**values), quote=False)

    home = {"label": t("error_home"), "url": page.prefix or "./"}
    login = {"label": t("error_login"), "url": f"{page.prefix}login/"}  # the login page in this language
    logout = {"label": t("error_logout"), "url": "logout/"}
    # The reader's own page: the login page leads there after logging in; a logged-in reader's header
    # script (extranet-who.js) points the button straight at it, as on the home page.
    own = {"label": t("error_own_page"), "url": f"{page.prefix}login/", "class": "extranet-login"}
    actions = {
        "401": [login, home],
        "403": [own, logout, home],
        "404": [home],
        "410": [home],
        "429": [home],
        "download_403": [home],
    }[page.key]
    return {
        "status": page.status,
        "title": t(f"error_{page.key}_title"),
        "what": t(f"error_{page.key}_what"),
        "todo": t(f"error_{page.key}_todo"),
        "actions": actions,
    }


def render(
    env: Any,
    config: Any,
    files: Any,
    navs: dict[str, Any],
    languages: tuple[str, ...],
    strings: dict[str, dict[str, str]],
    values: dict[str, str],
    base: str,
    site_dir: Path,
    only: Collection[str] | None = None,
) -> list[str]:
    """Render every error page with the theme into `site_dir`; returns their paths.

    `env` is the theme's Jinja environment (the plugin's `on_env`), `navs` each language's navigation;
    `base` the path the site is served under, on which every URL of the page is made absolute.
    `only`: the languages whose pages are written here (None: all); the paths returned are every
    error page's all the same, since the access rules list them all."""
    from mkdocs.commands.build import get_context

    template = env.get_template(TEMPLATE)
    written = []
    for page in pages(languages):
        written.append(page.path)
        if only is not None and page.language not in only:
            continue  # another build process renders this language (`extranet.building`)
        context = get_context(navs[page.language], files, config, base_url=base)
        others = [
            {
                "name": strings["language_name"][other],
                "lang": other,
                "current": other == page.language,
                "link": "./" if index == 0 else f"{other}/",
            }
            for index, other in enumerate(languages)
        ]
        # The theme's texts in the page's language (the header's login/logout, the footer), as the
        # plugin gives every page: without them the header and footer fell back to English.
        # (Keys of our own beside MkDocs' TemplateContext, which types only its own.)
        cast("dict[str, Any]", context).update(
            extranet_error=text(page, strings, values),
            extranet_language=page.language,
            extranet_alternates=others,
            extranet_feeds=[],
            extranet_strings={key: texts.get(page.language) for key, texts in strings.items()},
        )
        target = site_dir / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.render(context), encoding="utf-8")
    return written
