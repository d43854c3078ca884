"""Content pages, symlinks and YAML bounds: what `extranet validate` refuses, each with its exact message.

A maintainer's page is read by whom its place says (`customers/<id>/`: that customer, `staff/`:
staff); front matter may narrow that, never widen it. Nothing outside the project is read, and no
YAML file, however written, makes the build spin or crash.
"""

from __future__ import annotations

import os
import time

import pytest

from extranet import access
from extranet.building import BuildFailed, build, validate
from extranet.cli import main
from extranet.loading import InvalidInput

from .conftest import NOW_DT

WIDEN = "would widen who reads a page under"
OWNED = "belongs to the extranet itself (sign-in, downloads, search, feeds, support calendars); put the page elsewhere"

PAGES = {
    "public inside a customer's folder": (
        "customers/alpha/notes.md", "---\ntitle: Notes\naudience: public\n---\n# Notes\n",
        ["content/cs/customers/alpha/notes.md:3:11: audience: 'public' " + WIDEN + " customers/alpha/ (for customer "
         "'alpha' only): front matter may narrow an audience, never widen it"]),
    "all customers inside a customer's folder": (
        "customers/alpha/notes.md", "---\naudience: customers\n---\n# Notes\n",
        ["content/cs/customers/alpha/notes.md:2:11: audience: 'customers' " + WIDEN + " customers/alpha/ (for "
         "customer 'alpha' only): front matter may narrow an audience, never widen it"]),
    "MultiMarkdown front matter widening": (
        "customers/alpha/notes.md", "Audience: public\n\n# Notes\n",
        ["content/cs/customers/alpha/notes.md:1:1: audience: 'public' " + WIDEN + " customers/alpha/ (for customer "
         "'alpha' only): front matter may narrow an audience, never widen it"]),
    "a customer inside staff/": (
        "staff/notes.md", "---\naudience: customer\n---\n# Notes\n",
        ["content/cs/staff/notes.md:2:11: audience: 'customer' " + WIDEN + " staff/ (for staff only): front matter "
         "may narrow an audience, never widen it"]),
    "unknown audience": (
        "guides/x.md", "---\naudience: everyone\n---\n# X\n",
        ["content/cs/guides/x.md:2:11: audience: 'everyone' is not one of public, customers, customer, staff"]),
    "customer audience without the id": (
        "guides/x.md", "---\naudience: customer\n---\n# X\n",
        ["content/cs/guides/x.md:2:11: audience: 'customer' needs the customer's folder: put the page under "
         "customers/<id>/"]),
    "unknown customer": (
        "customers/gamma/notes.md", "# X\n",
        [f"content/{lang}/customers/gamma/notes.md:1:1: 'gamma' is not a customer in customers.yaml (a page under "
         f"customers/<id>/ is for that customer only)" for lang in ("cs", "en")]),
    "page right under customers/": (
        "customers/notes.md", "# X\n",
        [f"content/{lang}/customers/notes.md:1:1: a page under customers/ belongs in its customer's folder: "
         f"customers/<id>/…" for lang in ("cs", "en")]),
    "page under assets/": (
        "assets/x.md", "# X\n",
        [f"content/{lang}/assets/x.md:1:1: no content page may lie here: assets/ is served to anyone without a "
         f"login (theme files); a page there would be public" for lang in ("cs", "en")]),
    "login": ("login.md", "# X\n", [f"content/{lang}/login.md:1:1: no content page may lie here: login/ {OWNED}"
                                    for lang in ("cs", "en")]),
    "logout": ("logout/index.md", "# X\n",
               [f"content/{lang}/logout/index.md:1:1: no content page may lie here: logout/ {OWNED}"
                for lang in ("cs", "en")]),
    "downloads": ("downloads/x.md", "# X\n",
                  [f"content/{lang}/downloads/x.md:1:1: no content page may lie here: downloads/ {OWNED}"
                   for lang in ("cs", "en")]),
    "search": ("search/index.md", "# X\n",
               [f"content/{lang}/search/index.md:1:1: no content page may lie here: search/ {OWNED}"
                for lang in ("cs", "en")]),
    "support calendars": ("support/basic/x.md", "# X\n",
                          [f"content/{lang}/support/basic/x.md:1:1: no content page may lie here: support/basic/ "
                           f"{OWNED}" for lang in ("cs", "en")]),
    "feed": ("releases/feed.atom.md", "# X\n",
             [f"content/{lang}/releases/feed.atom.md:1:1: no content page may lie here: feed.atom {OWNED}"
              for lang in ("cs", "en")]),
    "front matter bad YAML": (
        "guides/x.md", "---\naudience: [public\n---\n# X\n",
        ["content/cs/guides/x.md:3:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"]),
    "front matter not a mapping": (
        "guides/x.md", "---\n- audience\n- public\n---\n# X\n",
        ["content/cs/guides/x.md:2:1: front matter must be a mapping (`key: value` lines), found a list"]),
    "front matter alias bomb": (
        "guides/x.md", "---\n" + "".join(
            f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}" if i else '"lol"'] * 9) + "]\n"
            for i in range(9)) + "---\n# X\n",
        ["content/cs/guides/x.md:6:4: aliases repeat more than 10000 values (an alias bomb?); write the values out"]),
    "front matter MkDocs cannot read": (
        "customers/alpha/internal.md", "---\naudience: staff\nnote: =\n---\n# X\n",
        ["content/cs/customers/alpha/internal.md:2:11: audience: MkDocs reads this front matter differently (it "
         "would see audience None); write it as plain `key: value` lines"]),
    "not UTF-8": (
        "guides/x.md", b"# Z\xe1lohov\xe1n\xed\n",
        ["content/cs/guides/x.md:1:4: not UTF-8 text (byte 0xe1); save the page as UTF-8"]),
    "not UTF-8 further down": (
        "guides/x.md", "# Záloha\n\nřádek\n".encode() + b"ok \xff\n",
        ["content/cs/guides/x.md:4:4: not UTF-8 text (byte 0xff); save the page as UTF-8"]),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_content_page_gets_one_exact_message(project, name):
    path, text, expected = PAGES[name]
    if isinstance(text, bytes):
        project.write_bytes(f"content/cs/{path}", text)
    else:
        project.write(f"content/cs/{path}", text)
    project.write(f"content/en/{path}", "# Page\n")
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(problem) for problem in caught.value.problems] == expected


def test_validate_exits_1_with_the_messages(project, capsys):
    project.write("content/cs/customers/alpha/notes.md", "---\naudience: public\n---\n# Notes\n")
    project.write("content/en/customers/alpha/notes.md", "# Notes\n")
    assert main(["-f", str(project.config), "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "content/cs/customers/alpha/notes.md:2:11: audience: 'public' " + WIDEN + " customers/alpha/ (for customer "
        "'alpha' only): front matter may narrow an audience, never widen it",
        "1 problem(s)"]


@pytest.mark.parametrize("path, declared, decided", [
    ("customers/alpha/notes.md", None, (access.CUSTOMER, "alpha")),
    ("customers/alpha/deep/er.md", "customer", (access.CUSTOMER, "alpha")),
    ("customers/alpha/internal.md", "staff", (access.STAFF, None)),
    ("staff/handbook.md", None, (access.STAFF, None)),
    ("guides/backup.md", None, (access.CUSTOMERS, None)),
    ("guides/backup.md", "public", (access.PUBLIC, None)),
    ("guides/internal.md", "staff", (access.STAFF, None)),
])
def test_the_place_decides_and_front_matter_narrows(path, declared, decided):
    assert access.page_audience(path, declared, {"alpha"}) == decided


def test_a_public_path_inside_a_private_prefix_is_refused_by_the_rules():
    """nginx takes `location =` before any prefix; Apache and Caddy the first rule: they would disagree."""
    pages = [access.Page("guides/", access.STAFF), access.Page("guides/x/", access.PUBLIC)]
    with pytest.raises(access.ConflictingAreas) as caught:
        access.areas(pages)
    assert str(caught.value) == ("/guides/x/ is public but lies inside /guides/, which is for staff: servers would "
                                 "disagree on who reads it; move the page out of /guides/ or drop its "
                                 "`audience: public`")


def test_the_build_refuses_a_public_page_under_a_staff_folder_page(project, caplog):
    for lang in ("cs", "en"):
        project.write(f"content/{lang}/guides/index.md", "---\naudience: staff\n---\n# Guides\n")
        project.write(f"content/{lang}/guides/open.md", "---\naudience: public\n---\n# Open\n")
    with pytest.raises(BuildFailed) as caught:
        build(project.config, now=NOW_DT)
    assert caught.value is not None
    assert "extranet: /en/guides/open/ is public but lies inside /en/guides/, which is for staff" in caplog.text
    assert not (project.root / "build").exists()


def test_private_prefixes_come_longest_first_as_nginx_reads_them():
    rules = access.areas([access.Page("customers/alpha/", access.CUSTOMER, "alpha"),
                          access.Page("customers/alpha/internal/", access.STAFF)])
    assert access.area_of("customers/alpha/internal/index.html", rules).audience == access.STAFF
    assert access.area_of("customers/alpha/index.html", rules).customer == "alpha"
    assert access.area_of("customers/beta/index.html", rules).audience == access.STAFF


# --- symlinks ------------------------------------------------------------------------------------

def test_a_symlink_out_of_the_project_is_refused_and_never_read(project, capsys):
    (project.root / "content/cs/guides/env.md").symlink_to("/proc/self/environ")
    (project.root / "content/en/guides/env.md").symlink_to("/proc/self/environ")
    outside = project.root.parent / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n")
    (project.root / "site_templates/theme/extra").symlink_to(outside)
    (project.root / "releases/9.9.9.yaml").symlink_to(outside / "secret.md")
    assert main(["-f", str(project.config), "build", "--now", "2026-11-23T12:00:00+01:00"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "content/cs/guides/env.md:1:1: a symbolic link to /proc/self/environ, outside the project; copy what it "
        "should show into the project",
        "content/en/guides/env.md:1:1: a symbolic link to /proc/self/environ, outside the project; copy what it "
        "should show into the project",
        f"releases/9.9.9.yaml:1:1: a symbolic link to {outside}/secret.md, outside the project; copy what it "
        f"should show into the project",
        f"site_templates/theme/extra:1:1: a symbolic link to {outside}, outside the project; copy what it should "
        f"show into the project",
        "4 problem(s); nothing was built"]
    assert not (project.root / "build").exists()


def test_a_symlinked_directory_out_of_the_project_is_refused(project):
    outside = project.root.parent / "outside"
    (outside / "guides").mkdir(parents=True)
    (outside / "guides/leak.md").write_text("# Leak\n")
    (project.root / "content/cs/more").symlink_to(outside / "guides")
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(p) for p in caught.value.problems] == [
        f"content/cs/more:1:1: a symbolic link to {outside}/guides, outside the project; copy what it should show "
        f"into the project"]


def test_a_symlink_within_the_project_is_followed_once_and_checked_inside(project):
    """A link to a folder of the project is fine; a link out, reached through it, is not."""
    shared = project.root / "shared"
    shared.mkdir()
    (shared / "env.md").symlink_to("/proc/self/environ")
    (project.root / "content/cs/shared").symlink_to(shared)
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(p) for p in caught.value.problems] == [
        "content/cs/shared/env.md:1:1: a symbolic link to /proc/self/environ, outside the project; copy what it "
        "should show into the project"]


def test_the_plugin_refuses_to_publish_a_file_outside_the_project(project, tmp_path, caplog, monkeypatch):
    """Belt and braces: a link that appears after validation (or with `mkdocs build`) is not copied."""
    from extranet.building import load_site_config

    target = tmp_path / "secret.txt"
    target.write_text("s3cr3t")
    (project.root / "content/cs/secret.txt").symlink_to(target)
    from extranet import loading

    monkeypatch.setattr(loading, "escaping_links", lambda root, places: [])
    with pytest.raises(BuildFailed):
        build(project.config, now=NOW_DT)
    assert f"extranet: cs/secret.txt leads outside the project ({target}); refusing to publish it" in caplog.text
    assert load_site_config(project.config) is not None
    assert not any("s3cr3t" in path.read_text(errors="ignore") for path in project.root.rglob("*")
                   if path.is_file() and not path.is_symlink() and "build" in path.parts)


# --- YAML bounds ---------------------------------------------------------------------------------

BOMB = "".join(f"  {chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}" if i else '"lol"'] * 9) + "]\n"
               for i in range(9))
"""Nine lines, 9**9 (387 million) values once expanded."""


@pytest.mark.parametrize("path, old, new, expected", [
    ("releases/1.1.0.yaml", "kind: minor", "kind: minor\nunknown:\n" + BOMB,
     "releases/1.1.0.yaml:9:6: aliases repeat more than 10000 values (an alias bomb?); write the values out"),
    ("customers.yaml", "customers:\n", "extra:\n" + BOMB + "customers:\n",
     "customers.yaml:42:6: aliases repeat more than 10000 values (an alias bomb?); write the values out"),
    ("customers.yaml", "  address: Street 1, Town", "  address: &a [*a]",
     "customers.yaml:4:12: an alias inside its own anchor (it would never end)"),
    ("releases/1.1.0.yaml", "kind: minor", "kind: minor\nx: " + "[" * 100_000 + "]" * 100_000,
     "releases/1.1.0.yaml:4:1003: YAML syntax error: exceeded maximum nesting depth"),
    ("releases/1.1.0.yaml", "kind: minor", "kind: minor\nx:\n" + "".join("  " * i + f" k{i}:\n" for i in range(60)),
     "releases/1.1.0.yaml:54:100: nested more than 50 levels deep"),
    ("releases/1.1.0.yaml", "size: ", "size: " + "9" * 5001 + "0",
     "releases/1.1.0.yaml:12:11: artifacts[0].size: a number of 5004 digits (at most 100); write it in quotes if "
     "it is text"),
    ("mkdocs.yml", "strict: true\n", "strict: true\nextra:\n" + BOMB,
     "mkdocs.yml:10:6: aliases repeat more than 10000 values (an alias bomb?); write the values out"),
    ("mkdocs.yml", "theme:\n", "theme: [\n",
     "mkdocs.yml:7:8: YAML syntax error: expected ',' or ']', but got ':'"),
    ("mkdocs.yml", "strict: true\n", "strict: true\nnav: 1\n",
     "mkdocs.yml:5:1: nav: Expected nav to be a list, got a int: 1"),
])
def test_yaml_is_bounded_and_located(project, capsys, path, old, new, expected):
    project.replace(path, old, new)
    started = time.monotonic()
    assert main(["-f", str(project.config), "validate"]) == 1
    elapsed = time.monotonic() - started
    assert capsys.readouterr().err.splitlines() == [expected, "1 problem(s)"]
    assert elapsed < 30, f"{elapsed:.1f} s"  # generous: the point is that it ends (0.1 s here)


def test_a_shared_block_by_alias_is_still_fine(project):
    project.replace("customers.yaml", "    platforms: [linux]\n    support_from: 2020-01-01\n    support_until: 2030-12-31",
                    "    platforms: &platforms [linux]\n    support_from: 2020-01-01\n    support_until: 2030-12-31")
    project.replace("customers.yaml", "    platforms: [linux]\n", "    platforms: *platforms\n")
    assert len(validate(project.config).customers) == 2


def test_front_matter_parse_stays_within_mkdocs_reading(project):
    """Front matter MkDocs would ignore (it is not YAML) is refused, not silently dropped."""
    project.write("content/cs/customers/alpha/notes.md", "---\naudience: public: x\n---\n# X\n")
    project.write("content/en/customers/alpha/notes.md", "# X\n")
    with pytest.raises(InvalidInput) as caught:
        validate(project.config)
    assert [str(p) for p in caught.value.problems] == [
        "content/cs/customers/alpha/notes.md:2:17: YAML syntax error: mapping values are not allowed here"]
    assert os.path.exists(project.root / "content/cs/customers/alpha/notes.md")


def test_plain_mkdocs_build_decides_as_extranet_build(project):
    """`mkdocs build` goes through the plugin, which asks the same `access.page_audience`."""
    import subprocess
    import sys

    project.write("content/cs/customers/alpha/notes.md", "---\naudience: public\n---\n# Notes\n")
    project.write("content/en/customers/alpha/notes.md", "# Notes\n")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project.root, capture_output=True, text=True)
    assert result.returncode == 1
    assert ("content/cs/customers/alpha/notes.md:2:11: audience: 'public' " + WIDEN + " customers/alpha/ (for "
            "customer 'alpha' only)") in result.stderr
    project.write("content/cs/customers/alpha/notes.md", "# Notes\n")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    import json

    areas = json.loads((project.root / "build/server/access.json").read_text())["areas"]
    assert {"path": "customers/alpha/notes/", "audience": "customer", "customer": "alpha", "prefix": True} in areas
