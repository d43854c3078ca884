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

The server configurations (`site_templates/servers/`) have their own filters, one per syntax, at the
end of this module (`SERVER_FILTERS`): there no filter is applied by default, so every `{{ }}` names
its own (tests/test_servers_templates.py checks that it does).
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from typing import Any

from markupsafe import Markup

from .exceptions import ExtranetError

_ALWAYS = frozenset("&<>\"'\\`*[]{}|#!")
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


# --- Server configurations: one filter per syntax, registered once (`servers._environment`) ------
#
# Every value a server template interpolates goes through one of these (tests/test_servers_templates.py
# reads the templates to check it). Each writes the value so that its syntax reads back exactly that
# value, or raises `ConfigValueError` for a value the syntax cannot carry (rather than a
# configuration that means something else). Rejected: one lowest common denominator for all servers
# (the realm's label once dropped `$`, `;`, `{}` and quotes from the product name).


class ConfigValueError(ExtranetError, ValueError):
    """A value that a server's configuration syntax cannot carry verbatim; the message says which."""


def _no_controls(text: str, syntax: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ConfigValueError(f"cannot be written into {syntax}: {text!r} (a control character)")


def realm(product: str) -> str:
    """The HTTP Basic realm for `product`: `<product> extranet`, as every server sends it.

    nginx, Apache and Caddy all write the realm into `WWW-Authenticate: Basic realm="…"` as it is,
    so a `"` or `\\` would end or escape the quoted string, and Apache reads its `AuthName` as an
    expression (`%{…}`): those are left out, the rest (`'`, `$`, `;`, `{`, `}`, letters of any
    script) is kept and escaped per server by the filters below. A `{$` is split (`{ $`): Caddy
    replaces `{$NAME}` anywhere in a Caddyfile before parsing it and has no escape for it."""
    text = " ".join(re.sub(r'["\\%\x00-\x1f\x7f]', "", str(product)).split())
    return text.replace("{$", "{ $").replace("${", "$ {") + " extranet"


def comment(value: Any) -> str:
    """`value` in a comment line of a configuration: line breaks and controls become spaces, so
    nothing in it starts a line the server would read."""
    return re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", " ", str(value))


_REGEX_KEEP = re.compile(r"[A-Za-z0-9/_~-]")
_REGEX_SPECIAL = frozenset(".+*?()|[]^")


def regex_literal(value: object) -> str:
    """`value` as a regular expression matching exactly that text, the same for PCRE (nginx,
    Apache) and RE2 (Caddy): regex syntax is backslash-escaped, and every other ASCII character
    but letters, digits and `/_~-` is written `\\xHH`, so the result holds no quote, `$`, `{`, `}`,
    `;`, `%` or space for the configuration around it to read. Non-ASCII stays as it is."""

    def one(ch: str) -> str:
        if _REGEX_KEEP.fullmatch(ch) or ord(ch) > 127:
            return ch
        return "\\" + ch if ch in _REGEX_SPECIAL else f"\\x{ord(ch):02X}"

    text = str(value)
    _no_controls(text, "a regular expression")
    return "".join(one(ch) for ch in text)


def _quoted_regex(value: object, syntax: str) -> str:
    """A regular expression (built with `regex_literal`) in double quotes, for nginx or Apache."""
    text = str(value)
    bad = re.search(r'["\s;{}]|\\$|\$\{', text)
    if bad:
        raise ConfigValueError(f"cannot be written into {syntax}: {text!r}")
    return f'"{text}"'


_NGINX_BARE = re.compile(r"[A-Za-z0-9._~/:@%+=,*^!?-]+")


def nginx(value: object) -> str:
    """`value` as one nginx parameter: bare when it can be, else in double quotes with `\\` and `"`
    escaped and `$` written as `${extranet_dollar}` (a variable extranet-http.conf sets to `$`: nginx
    has no escape for `$`). In a directive that reads no variables (`location`, `include`, a map's
    key) the values written are paths and logins, which hold no `$`."""
    text = str(value)
    _no_controls(text, "an nginx configuration")
    if _NGINX_BARE.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "${extranet_dollar}") + '"'


def nginx_regex(value: object) -> str:
    """A regular expression (from `regex_literal` and the template's anchors) as an nginx parameter."""
    return _quoted_regex(value, "an nginx regular expression")


def apache(value: object) -> str:
    """`value` as one Apache httpd directive argument: bare when it can be, else in double quotes
    with `"` escaped.

    httpd replaces `${NAME}` (a Define) in every line and cannot write a backslash before a quote;
    `AuthName` reads `%{…}` as an expression: such values are refused (the realm holds none)."""
    text = str(value)
    _no_controls(text, "an Apache configuration")
    if "\\" in text or "${" in text or "%{" in text:
        raise ConfigValueError(
            f"cannot be written into an Apache configuration: {text!r} (a backslash, '${{' or '%{{')"
        )
    if _NGINX_BARE.fullmatch(text):  # the same characters are plain words to httpd
        return text
    return '"' + text.replace('"', '\\"') + '"'


def apache_regex(value: object) -> str:
    """A regular expression (from `regex_literal` and the template's anchors) as an Apache argument."""
    return _quoted_regex(value, "an Apache regular expression")


_CADDY_BARE = re.compile(r"[A-Za-z0-9._~/*$:@%+=,^?-]+")


def caddyfile(value: object) -> str:
    """`value` as one Caddyfile token that Caddy reads back verbatim: bare, "quoted" or `raw`.

    Caddy replaces `{$NAME}` anywhere in the file before parsing, and reads `{placeholder}` in
    most fields at run time; braces have no escape that holds in every field, so they are refused."""
    text = str(value)
    if not text or any(ch in text for ch in "{}") or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ConfigValueError(f"cannot be written verbatim into a Caddyfile: {text!r}")
    if _CADDY_BARE.fullmatch(text):
        return text
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    if "`" not in text:
        return f"`{text}`"
    raise ConfigValueError(f"cannot be written verbatim into a Caddyfile: {text!r}")


def caddyfile_label(value: object) -> str:
    """`value` as a Caddyfile token in a field Caddy never expands (the basicauth realm): braces are
    kept, except `{$`, which Caddy would replace by an environment variable (`realm` splits it)."""
    text = str(value)
    _no_controls(text, "a Caddyfile")
    if "{$" in text or not text or (('"' in text or "\\" in text) and "`" in text):
        raise ConfigValueError(f"cannot be written verbatim into a Caddyfile: {text!r}")
    return f'"{text}"' if '"' not in text and "\\" not in text else f"`{text}`"


_CADDY_PLACEHOLDER = re.compile(r"\{[a-z][a-z0-9_.]*\}")


def caddyfile_template(value: object) -> str:
    """Like `caddyfile`, but Caddy placeholders (`{http.request.uri}`) in it stay placeholders;
    any other brace is refused."""
    text = str(value)
    token = caddyfile(_CADDY_PLACEHOLDER.sub("x", text))
    if token[0] in '"`':
        return token[0] + text + token[0]
    return text


def lua(value: object) -> str:
    """`value` as a Lua string literal (with its quotes): bytes outside printable ASCII, `"` and
    `\\` as decimal escapes `\\ddd`, which Lua 5.1 to 5.4 all read."""
    return (
        '"'
        + "".join(
            chr(byte) if 32 <= byte < 127 and byte not in b'"\\' else f"\\{byte:03d}"
            for byte in str(value).encode("utf-8")
        )
        + '"'
    )


def js(value: object) -> str:
    """`value` as a JavaScript literal (JSON, ASCII only: `\\uXXXX` for the rest)."""
    return json.dumps(value, ensure_ascii=True)


def number(value: object) -> str:
    """An integer (a port, a status, seconds): nothing else passes."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigValueError(f"not an integer: {value!r}")
    return str(value)


def ini(value: object) -> str:
    """`value` in a fail2ban (configparser) value: `%` doubled, one line."""
    text = str(value)
    _no_controls(text, "a fail2ban file")
    return text.replace("%", "%%")


SERVER_FILTERS = {
    "nginx": nginx,
    "nginx_regex": nginx_regex,
    "apache": apache,
    "apache_regex": apache_regex,
    "caddyfile": caddyfile,
    "caddyfile_label": caddyfile_label,
    "caddyfile_template": caddyfile_template,
    "lua": lua,
    "js": js,
    "regex": regex_literal,
    "number": number,
    "ini": ini,
    "comment": comment,
}
"""The filters of the server templates, by the name the templates use."""


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` as XML 1.0 character data (a feed): ElementTree escapes `<&>` but writes control
    characters as they are, which no XML parser accepts."""
    return _XML_INVALID.sub("\ufffd", value)
