"""Search per language: one index per language root, each searchable without diacritics.

Material's search plugin writes one index of every page, so a Czech reader got English results and
had to type "zálohování" exactly. Material cannot split it (its `lang` option only picks stemmers
for one mixed index, and there is no lunr stemmer for Czech), so the plugin post-processes the
index: each language's pages go to `<language root>/search/search_index.json`, with locations
relative to that root, and each page tells the theme's script that root as its `base` (the script
fetches `search/search_index.json` from `base` and resolves results against it). Every entry also
carries its title and text folded to ASCII in two more fields the index searches but never shows:
"zalohovani" finds "zálohování", and the results still read as written.

Rejected: stripping the diacritics from the shown text (results would read wrongly), a stemmer of
our own in the browser (more script, and the CSP allows no inline code), and a second search
engine. Only pages every customer may read are in the index at all (the plugin excludes the
others), so splitting it moves nothing to a wider audience.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

FOLDED = {"title": "title_folded", "text": "text_folded"}
"""Shown field -> its folded twin, searched with the same boost."""


def fold(text: str) -> str:
    """`Zálohování` -> `Zalohovani`: letters without their accents (NFKD, combining marks dropped)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def split(index: Mapping[str, Any], languages: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Material's index -> one index per language, keyed by the language's root (`` or `en/`).

    The first language is served at the site root and the others under `<language>/`, as the
    plugin serves them; a location belongs to the language whose root it starts with."""
    roots = {language: ("" if index_ == 0 else f"{language}/") for index_, language in enumerate(languages)}
    config = dict(index.get("config", {}))
    fields = dict(config.get("fields") or {"title": {"boost": 1000}, "text": {"boost": 1}})
    for shown, folded in FOLDED.items():
        if shown in fields:
            fields[folded] = dict(fields[shown])
    config["fields"] = fields
    result: dict[str, dict[str, Any]] = {root: {"config": config, "docs": []} for root in roots.values()}
    others = [root for root in roots.values() if root]
    for doc in index.get("docs", []):
        location = str(doc.get("location", ""))
        root = next((root for root in others if location.startswith(root)), "")
        entry = {**doc, "location": location.removeprefix(root)}
        for shown, folded in FOLDED.items():
            if isinstance(doc.get(shown), str):
                entry[folded] = fold(_text(doc[shown]))
        result[root]["docs"].append(entry)
    return result


def _text(html: str) -> str:
    """The words of an entry's HTML (Material keeps `<code>` and the like in `text`)."""
    return re.sub(r"<[^>]*>", " ", html)


_CONFIG = re.compile(r'(<script id="__config" type="application/json">[^<]*?"base":\s*")([^"]*)(")')


def rebase(html: str, root: str) -> str:
    """Point the theme's script of a page at its language's root (`en/`), where its index lies.

    `base` is the relative way to the site root (`../..`); the language's root is below it. The
    script also resolves search results and looks for the sitemap there, both of which belong to
    the language too."""
    if not root:
        return html

    def replace(match: re.Match[str]) -> str:
        base = match.group(2).rstrip("/")
        return f"{match.group(1)}{base}/{root}{match.group(3)}"

    return _CONFIG.sub(replace, html, count=1)
