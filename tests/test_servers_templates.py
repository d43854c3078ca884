"""The server templates render `extranet.access.Table` and escape every value they write.

No server needed: these read the templates and the built demo's rules; tests/test_login.py and
tests/test_access.py run the result on real servers."""

from __future__ import annotations

import jinja2
import pytest
from jinja2 import nodes

from extranet import access, escaping

from .conftest import REPO
from .servers import Site

SERVER_TEMPLATES = sorted((REPO / "site_templates/servers").rglob("*.j2"))


def unescaped(source: str) -> list[str]:
    """The `{{ … }}` of a template's source that write a value without a server filter
    (`escaping.SERVER_FILTERS`), as `line: expression`.

    Allowed: a value whose last filter is a server filter, text the template itself wrote (a
    constant), a choice between such (`a | caddyfile if a else '""'`), and a call of one of the
    template's macros (whose own output is checked where it is defined)."""
    tree = jinja2.Environment().parse(source)
    macros = {macro.name for macro in tree.find_all(nodes.Macro)}

    def safe(expression: nodes.Expr) -> bool:
        if isinstance(expression, nodes.Filter):
            return expression.name in escaping.SERVER_FILTERS
        if isinstance(expression, nodes.Const):
            return True
        if isinstance(expression, nodes.CondExpr):
            return safe(expression.expr1) and (expression.expr2 is None or safe(expression.expr2))
        if isinstance(expression, nodes.Call) and isinstance(expression.node, nodes.Name):
            return expression.node.name in macros
        return False

    lines = source.splitlines()
    return [f"{expression.lineno}: {lines[expression.lineno - 1].strip()}" for output in tree.find_all(nodes.Output)
            for expression in output.nodes if not isinstance(expression, nodes.TemplateData) and not safe(expression)]


def test_every_value_in_a_server_template_goes_through_a_server_filter():
    assert len(SERVER_TEMPLATES) >= 15
    assert [f"{path.relative_to(REPO)}:{line}" for path in SERVER_TEMPLATES
            for line in unescaped(path.read_text(encoding="utf-8"))] == []


@pytest.mark.parametrize("source, found", [
    ("auth_basic {{ realm | nginx }};", []),
    ("auth_basic {{ realm }};", ["1: auth_basic {{ realm }};"]),
    ("auth_basic {{ realm | upper }};", ["1: auth_basic {{ realm | upper }};"]),
    ("x {{ a | lua if a else '\"\"' }}", []),
    ("x {{ a | lua if a else b }}", ["1: x {{ a | lua if a else b }}"]),
    ("{% macro m() %}{{ 1 | number }}{% endmacro %}\n{{ m() }}", []),
    ("{{ undefined_macro() }}", ["1: {{ undefined_macro() }}"]),
    ("{% for x in y %}\n  {{ x.path }}\n{% endfor %}", ["2: {{ x.path }}"]),
])
def test_the_check_finds_every_unfiltered_value(source, found):
    """The check above can fail: a bare value, a Jinja filter that escapes nothing for a server,
    a choice with one bare branch, a call of something that is not the template's macro."""
    assert unescaped(source) == found


# --- One rule table -----------------------------------------------------------------------------

def test_the_table_picks_the_rule_area_of_picks_for_every_file_of_the_site(site: Site):
    """Every file of the built demo (with hand-placed customer and staff pages) and the directory
    URLs of its pages: the table's first matching row (what each server renders) is the rule
    `access.area_of` gives, except the sign-in paths each server answers itself."""
    table = access.table(site.areas)
    files = site.files()
    paths = set(files) | {path.removesuffix("index.html") for path in files if path.endswith("index.html")}
    paths |= {"no/such/page/", "customers/no-such-customer/", "assets", "staffx/"}
    differ = [(path, table.rule_for(path), access.area_of(path, site.areas)) for path in sorted(paths)
              if path not in access.SERVER_ANSWERED
              and (table.rule_for(path).audience, table.rule_for(path).customer)
              != (access.area_of(path, site.areas).audience, access.area_of(path, site.areas).customer)]
    assert len(paths) > 300 and differ == []
    assert {(row.audience, row.exact) for row in table.rows} >= {
        ("public", True), ("public", False), ("customer", False), ("staff", False)}


def test_the_table_is_ordered_as_nginx_picks_and_ends_with_the_one_default():
    rules = access.areas([access.Page("", access.PUBLIC), access.Page("login/", access.PUBLIC),
                          access.Page("customers/alpha/", access.CUSTOMER, "alpha"),
                          access.Page("customers/alpha/notes/", access.STAFF),
                          access.Page("guides/", access.CUSTOMERS)])
    table = access.table(rules)
    assert [(row.path, row.exact, row.audience, row.customer) for row in table.rows] == [
        ("", True, "public", None), ("404.html", True, "public", None), ("index.html", True, "public", None),
        ("login/index.html", True, "public", None), ("robots.txt", True, "public", None),
        ("sitemap.xml", True, "public", None), ("sitemap.xml.gz", True, "public", None),
        ("customers/alpha/notes/", False, "staff", None), ("customers/alpha/", False, "customer", "alpha"),
        ("customers/", False, "staff", None), ("assets/", False, "public", None)]
    assert table.default == access.Rule("", False, access.CUSTOMERS) and access.UNLISTED.audience == access.CUSTOMERS
    assert table.rule_for("guides/") == table.default
    assert table.rule_for("customers/alpha/notes/x.png").audience == "staff"


def test_unlisted_is_for_customers_in_one_place_only():
    """No server template says who reads an unlisted path: they render `table.default`."""
    for path in SERVER_TEMPLATES:
        text = path.read_text(encoding="utf-8")
        assert "extranet_audience customers" not in text and "Everything not listed" not in text, path
    sources = {path.name: path.read_text(encoding="utf-8") for path in (REPO / "extranet").glob("*.py")}
    assert [name for name, text in sources.items() if "Area(\"\", CUSTOMERS" in text] == ["access.py"]
    assert sources["access.py"].count("Area(\"\", CUSTOMERS") == 1
