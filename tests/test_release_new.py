"""`extranet release new`: a manifest and guide stubs a maintainer only has to fill in, TODOs that
validation catches, and refusals that write nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from extranet.building import build, validate
from extranet.cli import main
from extranet.loading import InvalidInput

from .conftest import NOW_DT, Project


def files(tmp_path: Path, *names: str) -> list[str]:
    paths = []
    for name in names:
        path = tmp_path / "dist" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(f"installer {name}\n".encode())
        paths.append(str(path))
    return paths


def run(project: Project, *args: str) -> int:
    return main(["-f", str(project.config), *args])


def sha(name: str) -> str:
    return hashlib.sha256(f"installer {name}\n".encode()).hexdigest()


def problems(project: Project) -> list[str]:
    with pytest.raises(InvalidInput) as error:
        validate(project.config)
    return [str(problem) for problem in error.value.problems]


def test_minor_release_scaffold_exactly(project: Project, tmp_path: Path, capsys):
    given = files(tmp_path, "app-2.1.0.tar.gz", "extra-2.1.0.tar.gz")
    assert run(project, "release", "new", "2.1.0", *given, "--date", "2025-12-01") == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out == (
        "wrote releases/2.1.0.yaml\n"
        f"  app-2.1.0.tar.gz: 27 bytes, sha256 {sha('app-2.1.0.tar.gz')[:12]}…, as app-2.0.0.tar.gz in 2.0.0\n"
        f"  extra-2.1.0.tar.gz: 29 bytes, sha256 {sha('extra-2.1.0.tar.gz')[:12]}…, as extra-2.0.0.tar.gz in 2.0.0\n"
        "next:\n"
        "  put the files in storage/2.1.0/\n"
        "  replace every TODO (`extranet validate` lists each with its line), then `extranet validate`\n")
    assert (project.root / "releases/2.1.0.yaml").read_text(encoding="utf-8") == f"""\
#
# Scaffolded by `extranet release new`. Replace every TODO (`extranet validate` lists the ones
# left, with their lines), then delete comments you no longer need.

# The version; the file name must be the same. Quoted: 9.40 unquoted would be a number.
version: "2.1.0"
# Release date. A customer whose support runs until at least this day is entitled to it.
date: 2025-12-01
# major: more extensive enhancement; minor: smaller enhancement; patch: fixes only.
kind: minor
# The release's name, in every site language.
title:
  cs: "TODO: the name of 2.1.0 (cs)"
  en: "TODO: the name of 2.1.0 (en)"
# What is new, one item per change, each in every site language.
highlights:
  - cs: "TODO: what is new (cs)"
    en: "TODO: what is new (en)"
# Manual steps whenever an upgrade passes through this release, e.g.
#   - {{cs: …, en: …}}
upgrade_notes: []
# true: upgrades from older versions must install this release before going higher.
required_stop: false
# The downloadable files: size (bytes) and sha256 computed from the files given.
# id: unique within the release; module and platform: ids from customers.yaml `vendor`.
artifacts:
  - id: core-linux
    module: core
    platform: linux
    file: app-2.1.0.tar.gz
    size: 27
    sha256: {sha('app-2.1.0.tar.gz')}
  - id: extra-linux
    module: extra
    platform: linux
    file: extra-2.1.0.tar.gz
    size: 29
    sha256: {sha('extra-2.1.0.tar.gz')}
"""
    assert not (project.root / "content/cs/upgrade/2.1.0.md").exists()  # a minor release: no guide by default
    missing = [  # reported with the placeholders, not only once they are filled in: every problem in one run
        "releases/2.1.0.yaml:30:11: artifacts[0].file: '2.1.0/app-2.1.0.tar.gz' is not in the configured storage",
        "releases/2.1.0.yaml:36:11: artifacts[1].file: '2.1.0/extra-2.1.0.tar.gz' is not in the configured storage",
    ]
    assert problems(project) == [
        "releases/2.1.0.yaml:13:7: title.cs: still a placeholder from `extranet release new`: TODO: the name of 2.1.0 (cs)",
        "releases/2.1.0.yaml:14:7: title.en: still a placeholder from `extranet release new`: TODO: the name of 2.1.0 (en)",
        "releases/2.1.0.yaml:17:9: highlights[0].cs: still a placeholder from `extranet release new`: "
        "TODO: what is new (cs)",
        "releases/2.1.0.yaml:18:9: highlights[0].en: still a placeholder from `extranet release new`: "
        "TODO: what is new (en)",
        *missing,
    ]
    # Filled in and the files put in storage, it validates and builds.
    project.replace("releases/2.1.0.yaml", "TODO: the name of 2.1.0 (cs)", "Rychlejší hledání")
    project.replace("releases/2.1.0.yaml", "TODO: the name of 2.1.0 (en)", "Faster search")
    project.replace("releases/2.1.0.yaml", "TODO: what is new (cs)", "Hledání v přílohách")
    project.replace("releases/2.1.0.yaml", "TODO: what is new (en)", "Search in attachments")
    assert problems(project) == missing
    for path in given:
        project.write_bytes(f"storage/2.1.0/{Path(path).name}", Path(path).read_bytes())
    assert [r.version for r in validate(project.config).releases] == ["1.0.0", "1.1.0", "2.0.0", "2.1.0"]
    build(project.config, now=NOW_DT, output=tmp_path / "out")
    assert "Faster search" in (tmp_path / "out/site/en/releases/2.1.0/index.html").read_text(encoding="utf-8")


def test_major_release_gets_guide_stubs_that_validation_holds_back(project: Project, tmp_path: Path, capsys):
    given = files(tmp_path, "tool-windows-extra.zip")
    assert run(project, "release", "new", "3.0.0", *given, "--date", "2026-01-05") == 0
    assert capsys.readouterr().out.splitlines()[:4] == [
        "wrote releases/3.0.0.yaml", "wrote content/cs/upgrade/3.0.0.md", "wrote content/en/upgrade/3.0.0.md",
        f"  tool-windows-extra.zip: 33 bytes, sha256 {sha('tool-windows-extra.zip')[:12]}…, "
        "module and platform from the name"]
    text = (project.root / "releases/3.0.0.yaml").read_text(encoding="utf-8")
    assert "kind: major\n" in text
    assert "  - id: extra-windows\n    module: extra\n    platform: windows\n" in text
    assert (project.root / "content/en/upgrade/3.0.0.md").read_text(encoding="utf-8") == (
        "# Upgrading to version 3.0.0\n\n"
        "These steps apply when you upgrade from a version below 3.0.0 to 3.0.0 or later.\n\n"
        "TODO: what changes in 3.0.0 and why the upgrade needs these steps.\n\n"
        "## Before upgrading\n\n1. TODO: a step before the upgrade.\n\n"
        "## After upgrading\n\n1. TODO: a step after the upgrade.\n")
    assert [p for p in problems(project) if "content/" in p] == [
        "content/cs/upgrade/3.0.0.md:5:1: still a placeholder: TODO: what changes in 3.0.0 and why the upgrade "
        "needs these steps.",
        "content/cs/upgrade/3.0.0.md:9:4: still a placeholder: TODO: a step before the upgrade.",
        "content/cs/upgrade/3.0.0.md:13:4: still a placeholder: TODO: a step after the upgrade.",
        "content/en/upgrade/3.0.0.md:5:1: still a placeholder: TODO: what changes in 3.0.0 and why the upgrade "
        "needs these steps.",
        "content/en/upgrade/3.0.0.md:9:4: still a placeholder: TODO: a step before the upgrade.",
        "content/en/upgrade/3.0.0.md:13:4: still a placeholder: TODO: a step after the upgrade.",
    ]


def test_demo_naming_and_the_general_guide_link(tmp_path: Path, capsys):
    """In the demo, the previous release's file names give id, module and platform, and a guide stub
    links the general upgrade guide by its title."""
    import shutil

    from .conftest import REPO

    root = tmp_path / "demo"
    for name in ("content", "releases", "site_templates"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("artifacts"))
    for name in ("mkdocs.yml", "customers.yaml"):
        shutil.copy(REPO / name, root / name)
    given = files(tmp_path, "intouch-crm-10.0.0-windows-x64.zip", "intouch-crm-excel-10.0.0-windows.zip", "readme.pdf")
    assert main(["-f", str(root / "mkdocs.yml"), "release", "new", "10.0.0", *given, "--date", "2027-03-01"]) == 0
    text = (root / "releases/10.0.0.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../extranet/schemas/release.schema.json\n#\n")
    assert ("  - id: core-windows\n    module: core\n    platform: windows\n"
            "    file: intouch-crm-10.0.0-windows-x64.zip\n") in text
    assert "  - id: excel-windows\n    module: excel\n    platform: windows\n" in text
    assert ('  - id: "TODO: a unique id, e.g. module-platform"\n    module: "TODO: one of core, excel"\n'
            '    platform: "TODO: one of windows, linux"\n    file: readme.pdf\n') in text
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "  put the files in releases/artifacts/10.0.0/",
        "  remove it from vendor.planned_releases in customers.yaml: it is released now",
        "  replace every TODO (`extranet validate` lists each with its line), then `extranet validate`"]
    guide = (root / "content/cs/upgrade/10.0.0.md").read_text(encoding="utf-8")
    assert guide.splitlines()[:4] == [
        "# Aktualizace na verzi 10.0.0", "",
        "Tyto pokyny platí, pokud aktualizujete z verze nižší než 10.0.0 na verzi 10.0.0 nebo novější.",
        "Obecný postup aktualizace najdete v návodu [Aktualizace InTouch CRM](../guides/upgrade.md)."]


@pytest.mark.parametrize(("version", "message"), [
    ("2.0.0", "version 2.0.0 exists already (releases/2.0.0.yaml)"),
    ("2.0", "version 2.0 exists already (releases/2.0.0.yaml)"),
    ("v2.1", "'v2.1' is not a version (expected numbers separated by dots, e.g. '5.2.0')"),
    ("1.2.0", "1.2.0 is lower than the latest release 2.0.0 and opens no existing line "
              "(only a patch of an existing line may be lower than the latest)"),
    ("1.0.5", None),
])
def test_versions_refused_and_the_patch_of_an_older_line(project: Project, tmp_path: Path, capsys, version, message):
    before = sorted(p.name for p in (project.root / "releases").iterdir())
    status = run(project, "release", "new", version, *files(tmp_path, f"app-{version}.tar.gz"), "--date", "2026-02-02")
    out = capsys.readouterr()
    if message is not None:
        assert (status, out.out, out.err) == (1, "", f"extranet release new: {message}; nothing was written\n")
        assert sorted(p.name for p in (project.root / "releases").iterdir()) == before
        return
    assert status == 0
    # 1.0.5 comes out after 2.0.0: a patch of the 1.0 line, dated after the newer line, is valid.
    text = (project.root / "releases/1.0.5.yaml").read_text(encoding="utf-8")
    assert "kind: patch\n" in text and "  - id: core-linux\n" in text
    for old, new in (("TODO: the name of 1.0.5 (cs)", "Opravy"), ("TODO: the name of 1.0.5 (en)", "Fixes"),
                     ("TODO: what is new (cs)", "Oprava"), ("TODO: what is new (en)", "A fix")):
        project.replace("releases/1.0.5.yaml", old, new)
    project.write_bytes("storage/1.0.5/app-1.0.5.tar.gz", b"installer app-1.0.5.tar.gz\n")
    assert [r.version for r in validate(project.config).releases] == ["1.0.0", "1.0.5", "1.1.0", "2.0.0"]


def test_refusals_write_nothing(project: Project, tmp_path: Path, capsys):
    missing = str(tmp_path / "nowhere.zip")
    assert run(project, "release", "new", "2.1.0", missing) == 1
    assert capsys.readouterr().err == f"extranet release new: {missing}: no such file; nothing was written\n"
    project.write("content/en/upgrade/3.0.0.md", "# taken\n")
    assert run(project, "release", "new", "3.0.0", *files(tmp_path, "app-3.0.0.tar.gz")) == 1
    assert capsys.readouterr().err == ("extranet release new: content/en/upgrade/3.0.0.md exists already; "
                                       "nothing was written\n")
    assert not (project.root / "releases/3.0.0.yaml").exists()
    assert not (project.root / "content/cs/upgrade/3.0.0.md").exists()


def test_today_is_the_default_date(project: Project, tmp_path: Path, capsys):
    import datetime as dt

    assert run(project, "release", "new", "2.0.1", "--no-guide") == 0
    text = (project.root / "releases/2.0.1.yaml").read_text(encoding="utf-8")
    assert f"date: {dt.date.today().isoformat()}\n" in text
    assert text.endswith("artifacts: []\n")


def test_dates_increase_within_a_line_too(project: Project):
    """A patch may come out after a newer line opened, but never before its own line's last release."""
    manifest = 'version: "{v}"\ndate: {d}\nkind: patch\ntitle: {{cs: Opravy, en: Fixes}}\n'
    project.write("releases/1.0.1.yaml", manifest.format(v="1.0.1", d="2025-12-01"))  # after 2.0.0: fine
    project.write("releases/1.0.2.yaml", manifest.format(v="1.0.2", d="2025-11-30"))
    assert problems(project) == [
        "releases/1.0.2.yaml:2:7: date: 2025-11-30 is before 2025-12-01 of the lower version 1.0.1 "
        "(dates must increase with versions)"]


def test_the_live_preview_shows_a_draft_release(project: Project, tmp_path: Path, capsys):
    """`mkdocs serve` loads with drafts=True: a maintainer previews the release while writing it;
    `extranet validate` and the build still refuse the TODOs."""
    from extranet.loading import load

    given = files(tmp_path, "app-3.0.0.tar.gz")
    assert run(project, "release", "new", "3.0.0", *given, "--date", "2026-01-05") == 0
    project.write_bytes("storage/3.0.0/app-3.0.0.tar.gz", Path(given[0]).read_bytes())
    draft = load(project.root, languages=("cs", "en"), drafts=True)
    assert draft.releases[-1].title == {"cs": "TODO: the name of 3.0.0 (cs)", "en": "TODO: the name of 3.0.0 (en)"}
    assert draft.guides["3.0.0"] == "upgrade/3.0.0.md"
    assert len(problems(project)) == 10  # 4 texts in the manifest, 3 lines in each of the 2 guides
