"""Text from data, written into a generated page: one helper per context, all of them here.

A generated page is Markdown (Python-Markdown with `attr_list`, `md_in_html`, `tables`, `toc`,
`admonition`) that also holds raw HTML (forms, download tables), front matter and link targets.
A name or title from YAML can land in any of these, so it must come out as the text it is in each:

- `markdown`: Markdown text, HTML text, a quoted HTML attribute and a double-quoted YAML scalar at
  once. Every character that means something to one of them is written as a numeric character
  reference (`&#60;` for `<`, `&#42;` for `*`): Markdown passes references through untouched,
  the browser shows the character. So `<script>`, `*`, `_`, `[x](javascript:…)`, `{: attr }`,
  `{{ 7*7 }}`, `|` and `#` all show as written, wherever the template puts the value.
- `table_cell`: the same, named for the context (a Markdown table row): `|` and line breaks are
  what would break a row, and `markdown` writes neither.
- `attribute`: a quoted HTML attribute, also for template text (`Markup`), whose quotes it encodes.
- `url`: a link target; only `https:`, `http:`, `mailto:`, `tel:` or a relative link, percent-
  encoded so that neither Markdown nor HTML reads anything into it.

Rejected: Markdown backslash escapes (`\\*`): they do not cover `<`, raw HTML blocks or attribute
values, and inside raw HTML they show as backslashes. Escaping only HTML (Jinja's autoescape alone)
leaves `[x](javascript:…)` a link. Stripping characters loses what the maintainer wrote.

The page renderer (`extranet.pages`) applies `markdown` to every `{{ }}` that is not `Markup`, so a
template is safe unless it says otherwise; `Markup` marks text the templates themselves wrote.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from typing import Any

from markupsafe import Markup

from .exceptions import ExtranetError


_ALWAYS = frozenset('&<>"\'\\`*[]{}|#!')
"""Characters that start HTML, a YAML escape, or Markdown syntax anywhere on a line."""
_BREAK = re.compile(r"\s*[\r\n\t\f\v\x85\u2028\u2029]\s*")
"""A line break (with the blanks around it): one line, one paragraph, one table row stay so."""
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_UNUSUAL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_LIST_NUMBER = re.compile(r"^(\d+)\.(?=\s|$)")
"""`1. ` at the start of a line is an ordered list to Markdown (a date such as `1. prosince`)."""
_LINE_START = frozenset("-+=")
"""At the start of a line: a list (`- `, `+ `), a setext heading or rule (`===`, `---`)."""


def _reference(char: str) -> str:
    return f"&#{ord(char)};"


_REFERENCES = {ord(char): _reference(char) for char in _ALWAYS}
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
"""`_` unless between two letters or digits: there it never opens or closes emphasis (`my_plan`)."""
_SPECIAL = re.compile(r"[&<>\"'\\`*\[\]{}|#!_]")
_SPECIAL_START = frozenset("-+=0123456789")


def markdown(value: Any) -> Markup:
    """`value` as text in Markdown, HTML text, a quoted HTML attribute or a double-quoted YAML
    scalar. `Markup` (text the templates wrote) is returned as it is."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    # Blanks around a value would also break the template's own `**…**` around it; HTML folds them anyway.
    text = str(value)
    if _UNUSUAL.search(text):  # a search is much cheaper than two substitutions on every value
        text = _CONTROL.sub("\ufffd", _BREAK.sub(" ", text))
    text = text.strip()
    if text[:1] not in _SPECIAL_START and not _SPECIAL.search(text):
        return Markup(text)  # most names and titles: nothing to do, and every page has hundreds
    text = _UNDERSCORE.sub("&#95;", text.translate(_REFERENCES))
    text = _LIST_NUMBER.sub(r"\1&#46;", text, count=1)
    if text[:1] in _LINE_START:
        text = _reference(text[0]) + text[1:]
    return Markup(text)


def table_cell(value: Any) -> Markup:
    """`value` in a Markdown table cell: `markdown` already writes `|` as a reference and line
    breaks as spaces, the two things that end a cell or a row."""
    return markdown(value)


def attribute(value: Any) -> Markup:
    """`value` inside a double- or single-quoted HTML attribute. Template text (`Markup`) keeps
    its markup but not its quotes, which would end the attribute."""
    if hasattr(value, "__html__"):
        return Markup(str(value.__html__()).replace('"', "&#34;").replace("'", "&#39;"))
    return markdown(value)


SCHEMES = frozenset({"https", "http", "mailto", "tel"})
"""What a link on a page may lead to. Data (`vendor.website`) is held to `https:`/`mailto:` by
validation (`extranet.model.Link`); storage may give `http:` links to a local test endpoint."""
_URL_SAFE = "/:?#@!$&'*+,;=%~-._"
"""Characters a URL keeps as they are; everything else (spaces, quotes, `<>()[]{}|\\^`) is
percent-encoded, so the URL ends neither a Markdown link nor an HTML attribute."""


class UnsafeLink(ExtranetError, ValueError):
    """A link with a scheme a page must never carry (`javascript:`, `data:`, …)."""


def url(value: Any) -> Markup:
    """`value` as a link target in a Markdown link `[…](here)` or an `href="here"` attribute.

    Raises `UnsafeLink` for any scheme but `SCHEMES`: validation refuses such data first, so this
    is the last line, not the message a maintainer sees."""
    text = str(value)
    if _CONTROL.search(text) or _BREAK.search(text):
        raise UnsafeLink(f"a link must not contain control characters: {text!r}")
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", text)
    if scheme and scheme.group(1).lower() not in SCHEMES:
        raise UnsafeLink(f"a page must not link to {scheme.group(1)}: ({text!r})")
    if not scheme and ":" in text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        raise UnsafeLink(f"not a link a page may carry: {text!r}")
    # html.escape for the attribute; Python-Markdown keeps `&amp;` in a link target as it is.
    return Markup(html.escape(urllib.parse.quote(text, safe=_URL_SAFE), quote=True))


_SERVER_TEXT = re.compile(r"[^\w .,()+'&-]")


def server_text(value: Any) -> str:
    """`value` as a label inside a server configuration (the Basic-auth realm): letters, digits and
    plain punctuation only. nginx reads `$` and `;`, Caddy `{…}`, every server `"` and `\\`; a
    label needs none of them, so they are left out rather than escaped three ways."""
    return " ".join(_SERVER_TEXT.sub("", str(value)).split())


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` as XML 1.0 character data (a feed): ElementTree escapes `<&>` but writes control
    characters as they are, which no XML parser accepts."""
    return _XML_INVALID.sub("\ufffd", value)
