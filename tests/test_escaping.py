"""Text from data is text: the escaping helpers, each in the context it is for, through the same
Markdown the build uses; and no page carries a script the Content-Security-Policy does not allow."""

from __future__ import annotations

import base64
import hashlib
import html
import html.parser
import re
from pathlib import Path

import markdown as python_markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from extranet import escaping
from extranet.escaping import UnsafeLink

from .conftest import REPO

ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover=alert(1) x="', "{{ 7*7 }}",
           "[x](javascript:alert(1))", "*a* _b_ **c** __d__", "c|d", "{: .x #y }", "`code`", "# heading ##",
           "1. list", "- list", "+ list", "> quote", "=====", "---", "    code", "!!! note", "[TOC]", "<!-- x -->",
           "AT&T &amp; &lt;b&gt;", "\\*not\\*", "a\n\n- b\n\n<div>c</div>", "x  \ny", "[a]: https://x.example",
           "<https://x.example>", "![i](x.png)", "\x02wzxhzdk:0\x03", "é_é _x_ my_plan __init__"]

EXACT = {  # (helper, value, output)
    "script": (escaping.markdown, "<script>alert(1)</script>", "&#60;script&#62;alert(1)&#60;/script&#62;"),
    "quote": (escaping.markdown, '" onmouseover=alert(1) x="', "&#34; onmouseover=alert(1) x=&#34;"),
    "jinja": (escaping.markdown, "{{ 7*7 }}", "&#123;&#123; 7&#42;7 &#125;&#125;"),
    "markdown link": (escaping.markdown, "[x](javascript:alert(1))", "&#91;x&#93;(javascript:alert(1))"),
    "attr_list": (escaping.markdown, "Title {: onclick=x }", "Title &#123;: onclick=x &#125;"),
    "ordered list at the start": (escaping.markdown, "1. prosince 2026", "1&#46; prosince 2026"),
    "version stays": (escaping.markdown, "9.3.0", "9.3.0"),
    "list at the start": (escaping.markdown, "- a - b", "&#45; a - b"),
    "underscore inside a word stays": (escaping.markdown, "my_plan _x_", "my_plan &#95;x&#95;"),
    "line breaks become one space": (escaping.markdown, " a\r\n\r\n  b\t", "a b"),
    "control characters": (escaping.markdown, "a\x00b\x1b", "a\ufffdb\ufffd"),
    "template text passes": (escaping.markdown, Markup("**bold**"), "**bold**"),
    "cell": (escaping.table_cell, "a | b\nc", "a &#124; b c"),
    "attribute": (escaping.attribute, "a\"b'c<d>&", "a&#34;b&#39;c&#60;d&#62;&#38;"),
    "attribute of template text": (escaping.attribute, Markup('say "hi"'), "say &#34;hi&#34;"),
    "url https": (escaping.url, "https://x.example/a b?c=1&d=(2)", "https://x.example/a%20b?c=1&amp;d=%282%29"),
    "url mailto": (escaping.url, "mailto:a@x.example?subject=a\"b", "mailto:a@x.example?subject=a%22b"),
    "url relative": (escaping.url, "../releases/9.3.0.md", "../releases/9.3.0.md"),
}

SERVER = {  # (filter, value, output): each server syntax reads the output back as the value
    "realm keeps what every server can carry": (escaping.realm, 'ACME "CRM"; {x} $y \'q\' \\ 100% \n 2000',
                                                "ACME CRM; {x} $y 'q' 100 2000 extranet"),
    "realm splits Caddy's {$": (escaping.realm, "A {$HOME} ${X}", "A { $HOME} $ {X} extranet"),
    "nginx bare": (escaping.nginx, "/srv/extranet/site", "/srv/extranet/site"),
    "nginx quoted": (escaping.nginx, "A \"b\" c;{d}", '"A \\"b\\" c;{d}"'),
    "nginx dollar": (escaping.nginx, "a $b ${c}", '"a ${extranet_dollar}b ${extranet_dollar}{c}"'),
    "nginx backslash": (escaping.nginx, "a\\b", '"a\\\\b"'),
    "nginx regex": (escaping.nginx_regex, "^/a\\.b$", '"^/a\\.b$"'),
    "apache": (escaping.apache, "A \"b\" $c {d};'e'", '"A \\"b\\" $c {d};\'e\'"'),
    "apache regex": (escaping.apache_regex, "^/a\\x20b$", '"^/a\\x20b$"'),
    "caddyfile bare": (escaping.caddyfile, "anneca.horakova", "anneca.horakova"),
    "caddyfile quoted": (escaping.caddyfile, "private, no-store", '"private, no-store"'),
    "caddyfile raw": (escaping.caddyfile, 'a "b" \\c', '`a "b" \\c`'),
    "caddyfile label": (escaping.caddyfile_label, "A {x} $y ;'z' `w` #c", "\"A {x} $y ;'z' `w` #c\""),
    "caddyfile raw label": (escaping.caddyfile_label, 'A "x" {y}', '`A "x" {y}`'),
    "caddyfile placeholder": (escaping.caddyfile_template, "/login/?next={http.request.uri}",
                              "/login/?next={http.request.uri}"),
    "lua": (escaping.lua, 'a"b\\c\né', '"a\\034b\\092c\\010\\195\\169"'),
    "js": (escaping.js, 'a"b</script>é', '"a\\"b</script>\\u00e9"'),
    "regex": (escaping.regex_literal, "/a.b+c/ $x{1};'\"%é",
              "/a\\.b\\+c/\\x20\\x24x\\x7B1\\x7D\\x3B\\x27\\x22\\x25é"),
    "number": (escaping.number, 8080, "8080"),
    "ini": (escaping.ini, "^/a%b", "^/a%%b"),
    "comment": (escaping.comment, "a\nlisten 80;\rb", "a listen 80; b"),
}


@pytest.mark.parametrize("name", SERVER)
def test_each_server_filter_writes_exactly(name):
    helper, value, expected = SERVER[name]
    assert helper(value) == expected


@pytest.mark.parametrize("helper, value", [
    (escaping.nginx, "a\nb"), (escaping.nginx_regex, 'a"b'), (escaping.nginx_regex, "a b"),
    (escaping.apache, "a\\b"), (escaping.apache, "a ${X}"), (escaping.apache, "%{HTTP_HOST}"),
    (escaping.apache, "a\rb"),
    (escaping.apache_regex, "a;b"), (escaping.caddyfile, "{$HOME}"), (escaping.caddyfile, "a{b}"),
    (escaping.caddyfile, ""), (escaping.caddyfile, '`"both"`'), (escaping.caddyfile_label, "a {$X}"),
    (escaping.caddyfile_template, "{env.HOME} {$X}"), (escaping.regex_literal, "a\x00"), (escaping.number, "80"),
    (escaping.number, True), (escaping.ini, "a\nb"),
])
def test_each_server_filter_refuses_what_its_syntax_cannot_carry(helper, value):
    with pytest.raises(escaping.ConfigValueError):
        helper(value)


def test_every_server_filter_is_in_the_table():
    assert {helper for helper, _, _ in SERVER.values()} - {escaping.realm} == set(escaping.SERVER_FILTERS.values())


@pytest.mark.parametrize("name", EXACT)
def test_each_helper_writes_exactly(name):
    helper, value, expected = EXACT[name]
    assert str(helper(value)) == expected


@pytest.mark.parametrize("link", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)",
                                  "java\tscript:alert(1)", "java\nscript:alert(1)", "data:text/html,<b>",
                                  "vbscript:x", "file:///etc/passwd", "\x01javascript:alert(1)"])
def test_url_refuses_every_scheme_but_web_mail_and_phone(link):
    with pytest.raises(UnsafeLink):
        escaping.url(link)


# --- through Markdown, as the build renders it ----------------------------------------------------

EXTENSIONS = ["admonition", "attr_list", "md_in_html", "tables", "toc"]
"""As mkdocs.yml configures Markdown."""

CONTEXTS = {  # context -> (Markdown with {v}, the element whose text or attribute holds the value)
    "paragraph": ("Text before.\n\n{v}\n\nText after.\n", ("p", 1, None)),
    "list item": ("- {v}\n- second\n", ("li", 0, None)),
    "numbered list": ("1. {v}\n2. second\n", ("li", 0, None)),
    "strong in a numbered list": ("1. **{v}**: note\n", ("strong", 0, None)),
    "heading": ("# {v}\n\nText.\n", ("h1", 0, None)),
    "table cell": ("| a | b |\n|---|---|\n| {v} | z |\n", ("td", 0, None)),
    "link text": ("[{v}](x.md)\n", ("a", 0, None)),
    "raw HTML text": ('<table class="t">\n<tr><td>{v}</td><td>z</td></tr>\n</table>\n', ("td", 0, None)),
    "raw HTML attribute": ('<form class="f">\n<input name="a" value="{v}">\n</form>\n', ("input", 0, "value")),
    "inline HTML attribute": ('Before <span data-x="{v}">s</span> after.\n', ("span", 0, "data-x")),
}


class _Elements(html.parser.HTMLParser):
    """Every element's tag, attributes and text (the text of its descendants too)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), []))
        if tag not in ("input", "br", "img", "hr"):
            self.open.append(len(self.elements) - 1)

    def handle_endtag(self, tag):
        while self.open:
            if self.elements[self.open.pop()][0] == tag:
                break

    def handle_data(self, data):
        for index in self.open:
            self.elements[index][2].append(data)


def _render(source: str) -> list[tuple[str, dict[str, str | None], list[str]]]:
    parser = _Elements()
    parser.feed(python_markdown.markdown(source, extensions=EXTENSIONS))
    return parser.elements


def _shown(value: str) -> str:
    """What a reader should see: the value, one line, without control characters."""
    value = re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "\ufffd", value)
    return " ".join(value.split())


def _check(context: str, value: str) -> None:
    source, (tag, index, attribute) = CONTEXTS[context]
    rendered = _render(source.replace("{v}", str(escaping.markdown(value))))
    plain = _render(source.replace("{v}", "plain"))
    assert [e[0] for e in rendered] == [e[0] for e in plain], (context, value)  # no element added or lost
    assert [sorted(e[1]) for e in rendered] == [sorted(e[1]) for e in plain], (context, value)  # no attribute
    element = [e for e in rendered if e[0] == tag][index]
    shown = element[1][attribute] if attribute else "".join(element[2])
    assert " ".join(str(shown).replace("¶", "").split()) == _shown(value), (context, value)


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("value", ATTACKS)
def test_an_attack_shows_as_written_in_every_context(context, value):
    _check(context, value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(CONTEXTS)),
       st.text(alphabet=st.sampled_from(list("<>&\"'\\`*_[]{}|#!-+=.:/()~^$%@;, \n\t\r\x02\x03aZ09é")), max_size=40)
       .filter(str.strip))  # data texts are never blank (the model refuses them)
def test_any_text_shows_as_written_in_every_context(context, value):
    _check(context, value)


@pytest.mark.parametrize("value", ATTACKS)
def test_a_value_in_a_double_quoted_yaml_title_reads_back_as_written(value):
    """Front matter: `title: "{{ customer.name }}"`; the theme prints the title as HTML."""
    title = yaml.safe_load(f'title: "{escaping.markdown(value)}"\n')["title"]
    assert " ".join(html.unescape(title).split()) == _shown(value)


# --- no script the Content-Security-Policy does not allow ---------------------------------------

def _csp(server_files: Path) -> str:
    """The Content-Security-Policy every server sends: the same one from headers.j2 in all three."""
    found = {
        "nginx": re.findall(r'add_header Content-Security-Policy "([^"]*)"',
                            (server_files / "nginx/headers-public.conf").read_text()),
        "apache": re.findall(r'Header always set Content-Security-Policy "([^"]*)"',
                             (server_files / "apache/extranet.conf").read_text()),
        "caddy": re.findall(r'Content-Security-Policy "([^"]*)"', (server_files / "caddy/extranet.caddy").read_text()),
    }
    policies = {policy for values in found.values() for policy in values}
    assert all(found.values()) and len(policies) == 1, found
    return policies.pop()


def _script_sources(policy: str) -> list[str]:
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    return directives.get("script-src", directives.get("default-src", []))


_RUNNABLE = ("javascript:", "data:text/html", "vbscript:")
_SCRIPT_TYPES = ("text/javascript", "module", "application/javascript")


class _Scripts(html.parser.HTMLParser):
    """Inline scripts, event-handler attributes and javascript: URLs of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            link = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in ("href", "src", "action", "formaction", "data") and link.startswith(_RUNNABLE):
                self.urls.append(f"<{tag} {name}={value!r}>")
        kind = (attributes.get("type") or "text/javascript").lower()
        if tag == "script" and "src" not in attributes and kind in _SCRIPT_TYPES:
            self._script = []

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.inline.append("".join(self._script))
            self._script = None


def csp_violations(web_root: Path, policy: str) -> list[str]:
    """What in the built pages the policy would block: inline scripts without a matching hash,
    event handlers (never allowed without 'unsafe-inline'), javascript: links."""
    sources = _script_sources(policy)
    problems = []
    for page in sorted(web_root.rglob("*.html")):
        parser = _Scripts()
        parser.feed(page.read_text(encoding="utf-8"))
        where = page.relative_to(web_root).as_posix()
        for script in parser.inline:
            digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
            if "'unsafe-inline'" not in sources and f"'sha256-{digest}'" not in sources:
                problems.append(f"{where}: inline script {script[:60]!r}")
        if "'unsafe-inline'" not in sources:
            problems += [f"{where}: handler {handler}" for handler in parser.handlers]
        problems += [f"{where}: link {url}" for url in parser.urls]
    return problems


def test_the_policy_allows_no_inline_script(demo_site: Path):
    sources = _script_sources(_csp(demo_site.parent / "server"))
    assert sources == ["'self'"]


def test_no_page_carries_a_script_the_policy_blocks(demo_site: Path):
    policy = _csp(demo_site.parent / "server")
    assert len(list(demo_site.rglob("*.html"))) > 100
    assert csp_violations(demo_site, policy) == []


def test_the_check_finds_an_inline_script_a_handler_and_a_javascript_link(tmp_path: Path):
    """The check above can fail: each thing the policy blocks is found, a hashed script is allowed."""
    (tmp_path / "a.html").write_text('<p onclick="x()">a</p><script>alert(1)</script><a href=" JavaScript:x">b</a>'
                                     '<script type="application/json">{"data": 1}</script><script src="s.js"></script>')
    digest = base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode()
    assert csp_violations(tmp_path, "script-src 'self'") == [
        "a.html: inline script 'alert(1)'", "a.html: handler <p onclick='x()'>",
        "a.html: link <a href=' JavaScript:x'>"]
    assert csp_violations(tmp_path, f"script-src 'self' 'sha256-{digest}'") == [
        "a.html: handler <p onclick='x()'>", "a.html: link <a href=' JavaScript:x'>"]


MATERIAL = Path(__import__("material").__file__).parent / "templates"


@pytest.mark.parametrize(("partial", "ours", "inline"), [
    ("partials/javascripts/base.html", "extranet-theme-head.js", '"{{ config.extra.scope | d(base_url) }}"'),
    ("partials/javascripts/content.html", "extranet-theme-content.js", None),
])
def test_the_theme_scripts_are_materials_inline_scripts_as_files(partial, ours, inline):
    """When mkdocs-material changes its inline scripts, our files must follow (or the theme breaks)."""
    theirs = re.findall(r"<script>(.*?)</script>", (MATERIAL / partial).read_text(encoding="utf-8"), re.S)[-1]
    if inline:
        theirs = theirs.replace(inline, "document.currentScript.dataset.scope")
    code = [line for line in (REPO / "site_templates/theme/assets/javascripts" / ours).read_text().splitlines()
            if line and not line.startswith(("/*", "   "))]
    assert code == [theirs]


# --- the page renderer escapes by default ---------------------------------------------------------

@pytest.fixture
def renderer(project):
    import datetime as dt

    from extranet import storage
    from extranet.building import validate
    from extranet.building import load_site_config, plugin_config
    from extranet.pages import Renderer

    config = plugin_config(load_site_config(project.config))
    return Renderer(validate(project.config), project.root / "site_templates",
                    storage.from_config(project.root, config.storage), dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))


RENDERED = {  # template -> output, with x = "<b>*a*</b>", xs = ["_1_", "2"]
    "{{ x }}": "&#60;b&#62;&#42;a&#42;&#60;/b&#62;",
    "{{ x | e }}": "&#60;b&#62;&#42;a&#42;&#60;/b&#62;",
    '<a title="{{ x | attr }}">': '<a title="&#60;b&#62;&#42;a&#42;&#60;/b&#62;">',
    "{{ x | cell }}": "&#60;b&#62;&#42;a&#42;&#60;/b&#62;",
    '{{ xs | join("<br>") }}': "&#95;1&#95;<br>2",
    "{{ x ~ '!' }}": "&#60;b&#62;&#42;a&#42;&#60;/b&#62;&#33;",
    "{% macro m(v) %}**{{ v }}**{% endmacro %}{{ m(x) }}": "**&#60;b&#62;&#42;a&#42;&#60;/b&#62;**",
    "{% set block %}<i>{{ x }}</i>{% endset %}{{ block }}": "<i>&#60;b&#62;&#42;a&#42;&#60;/b&#62;</i>",
    "{{ text('customer_identify', company_id='1', name=x, version='2.0') }}":
        "Při kontaktu s podporou uveďte: IČ 1 nebo název &#60;b&#62;&#42;a&#42;&#60;/b&#62;, své jméno a příjmení "
        "a číslo verze, kterou používáte (2.0).",
    "{{ text('home_latest', version='2.0', date=date(today)) }}": "Nejnovější verze je **2.0**, vydaná 5. ledna 2026.",
    "[{{ x }}]({{ 'https://a.example/?q=<x>&r=1' | url }})":
        "[&#60;b&#62;&#42;a&#42;&#60;/b&#62;](https://a.example/?q=%3Cx%3E&amp;r=1)",
}


@pytest.mark.parametrize("template", RENDERED)
def test_the_page_renderer_escapes_every_value_unless_the_template_wrote_it(renderer, template):
    context = renderer._context("cs")
    context = {**context, "x": "<b>*a*</b>", "xs": ["_1_", "2"]}  # x: a value from data
    assert renderer.env.from_string(template).render(**context) == RENDERED[template]


def test_a_template_cannot_link_to_javascript(renderer):
    with pytest.raises(UnsafeLink):
        renderer.env.from_string("[x]({{ link | url }})").render(link="javascript:alert(1)")
