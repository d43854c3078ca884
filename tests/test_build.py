"""The build as a whole: atomic, deterministic, and its CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from extranet.building import Shard, build, validate
from extranet.cli import main
from extranet.loading import parse_yaml
from extranet.schema import SCHEMAS, render

from .conftest import NOW, NOW_DT, REPO


def tree(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def test_same_inputs_and_now_give_byte_identical_output(project, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(first)]) == 0
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(second)]) == 0
    assert tree(first) == tree(second)
    assert len(tree(first)) > 20


HOSTILE = "Q\"u'o$t{e} ;x\\y 100% `z` #c {{ 7*7 }} $(id) ${X} \u00e9 </p><script>x</script>"


def _hostile(project) -> Path:  # noqa: ANN001 (conftest.Project)
    """The test project with names holding Markdown, HTML, Jinja, shell and server-config syntax."""
    for old, new in (("Alpha a.s.", "Alpha"), ("Alice Alpha", "Alice"), ("Vendor s.r.o.", "Vendor")):
        project.replace("customers.yaml", f"name: {old}", f"name: {json.dumps(new + ' ' + HOSTILE)}")
    return project.config


def _synthetic(project, tmp_path: Path) -> Path:  # noqa: ANN001
    """`make bench`'s synthetic vendor at 40 customers: feeds (it has a site_url), guides, many releases."""
    from .bench import generate

    return generate(tmp_path / "synthetic", 40).config_file


@pytest.mark.parametrize("fixture", ["demo", "hostile", "synthetic"])
def test_the_parallel_build_is_byte_identical_to_the_sequential_one(project, tmp_path, fixture: str):
    """One process per language (cs, en) gives the very files one process gives."""
    config = {"demo": lambda: REPO / "mkdocs.yml", "hostile": lambda: _hostile(project),
              "synthetic": lambda: _synthetic(project, tmp_path)}[fixture]()
    extranet = validate(config)
    shards: list[Shard] = []
    build(config, now=NOW_DT, output=tmp_path / "one", extranet=extranet, workers=1, shards=shards)
    assert shards == []
    build(config, now=NOW_DT, output=tmp_path / "two", extranet=extranet, workers=2, shards=shards)
    assert [shard.languages for shard in shards] == [("cs",), ("en",)]
    sequential, parallel = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert sorted(parallel) == sorted(sequential)
    assert [path for path in sequential if sequential[path] != parallel[path]] == []
    assert sum(1 for path in parallel if path.startswith("site/en/customers/")) >= 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no staging left


@pytest.mark.parametrize("workers, processes", [(None, [("cs",), ("en",)]), ("1", []), ("2", [("cs",), ("en",)]),
                                                ("8", [("cs",), ("en",)])])
def test_extranet_workers_sets_the_processes_at_most_one_per_language(project, tmp_path, monkeypatch,
                                                                       workers: str | None, processes: list):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    if workers is not None:
        monkeypatch.setenv("EXTRANET_WORKERS", workers)
    shards: list[Shard] = []
    build(project.config, now=NOW_DT, output=tmp_path / "out", shards=shards)
    assert [shard.languages for shard in shards] == processes


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_wrong_extranet_workers_is_refused_before_building(project, tmp_path, monkeypatch, capsys, value: str):
    output = tmp_path / "out"
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 0
    before = tree(output)
    monkeypatch.setenv("EXTRANET_WORKERS", value)
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 1
    assert capsys.readouterr().err == (f"build failed: EXTRANET_WORKERS={value!r}: expected the number of build "
                                       f"processes, 1 or more\n")
    assert tree(output) == before


def test_another_now_changes_what_depends_on_it(project, tmp_path):
    main(["-f", str(project.config), "build", "--now", NOW, "--output", str(tmp_path / "one")])
    main(["-f", str(project.config), "build", "--now", "2024-01-01T00:00:00+00:00", "--output", str(tmp_path / "two")])
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one["site/customers/beta/index.html"] != two["site/customers/beta/index.html"]


def test_a_failed_build_leaves_the_previous_site_untouched(project, tmp_path, capsys):
    output = tmp_path / "out"
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 0
    before = tree(output)
    project.replace("customers.yaml", 'company_id: "27074358"', 'company_id: "00177042"')

    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 1

    assert capsys.readouterr().err.splitlines()[-2:] == [
        "customers.yaml:40:17: customers[0].company_id: '00177042' is not a valid IČO (check digit)",
        "1 problem(s); nothing was built"]
    assert tree(output) == before
    assert sorted(p.name for p in output.parent.iterdir()) == ["out", "project"]  # no staging directory left


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("language", ["cs", "en"])
def test_a_failure_inside_mkdocs_also_leaves_the_site_untouched(project, tmp_path, capsys, caplog, language: str,
                                                                 workers: str):
    """Sequential or in either process of a parallel build (the first language's writes the shared
    files): the same message, once, exit 1, the previous site and no staging directory left."""
    output = tmp_path / "out"
    main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)])
    before = tree(output)
    guide = "Instalace" if language == "cs" else "Installation"
    project.write(f"content/{language}/guides/install.md", f"# {guide}\n\n[broken](missing.md)\n")  # strict: a warning fails

    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output),
                 "--workers", workers]) == 1

    assert "build failed: Aborted with 1 warnings in strict mode!" in capsys.readouterr().err
    assert [record.levelname for record in caplog.records
            if f"{language}/guides/install.md' contains a link 'missing.md'" in record.getMessage()] == ["WARNING"]
    assert tree(output) == before
    assert sorted(p.name for p in output.parent.iterdir()) == ["out", "project"]


def test_build_py_is_the_same_build(project, tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--now", NOW, "--output", str(tmp_path / "o")],
                            cwd=project.root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o/site/index.html").is_file()


def test_upgrade_path_json(project, capsys):
    assert main(["-f", str(project.config), "upgrade-path", "1.0.0", "2.0.0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "from": "1.0.0", "to": "2.0.0", "path": ["2.0.0"], "passes": ["1.1.0", "2.0.0"],
        "notes": [{"version": "2.0.0", "cs": "Krok 2.0.0", "en": "Step 2.0.0"}],
        "guides": [{"version": "2.0.0", "page": "upgrade/2.0.0.md"}],
    }


def test_upgrade_path_text_and_errors(project, capsys):
    assert main(["-f", str(project.config), "upgrade-path", "1.0.0", "2.0.0"]) == 0
    assert capsys.readouterr().out == "1.0.0 -> 2.0.0\n  2.0.0: Krok 2.0.0\n"
    assert main(["-f", str(project.config), "upgrade-path", "2.0.0", "1.0.0"]) == 1
    assert capsys.readouterr().err == "extranet upgrade-path: 1.0.0 is lower than 2.0.0: downgrades are not supported\n"


def test_published_schemas_are_generated_from_the_model():
    for name, model in SCHEMAS.items():
        assert (REPO / "extranet/schemas" / name).read_text(encoding="utf-8") == render(model), \
            f"extranet/schemas/{name} is stale: run `make schema`"


def as_editor_sees(path: Path) -> object:
    """YAML as the YAML language server hands it to the schema: dates are strings."""
    data = parse_yaml(path.read_text(encoding="utf-8"), path.name)[0].data
    return json.loads(json.dumps(data, default=str))


def test_schemas_accept_the_demo_and_reject_a_typo():
    release_schema = json.loads((REPO / "extranet/schemas/release.schema.json").read_text())
    customers_schema = json.loads((REPO / "extranet/schemas/customers.schema.json").read_text())
    for path in sorted((REPO / "releases").glob("*.yaml")):
        jsonschema.validate(as_editor_sees(path), release_schema)
        assert path.read_text().startswith("# yaml-language-server: $schema=../extranet/schemas/release.schema.json")
    customers = as_editor_sees(REPO / "customers.yaml")
    jsonschema.validate(customers, customers_schema)
    customers["customers"][0]["suport_until"] = customers["customers"][0].pop("support_until")
    errors = list(jsonschema.Draft202012Validator(customers_schema).iter_errors(customers))
    assert errors, "the schema must flag an unknown key, as the editor will"


def test_plain_mkdocs_build_never_replaces_a_directory_it_did_not_write(project):
    project.replace("mkdocs.yml", "site_dir: build/site", "site_dir: site")
    (project.root / "server").mkdir()
    (project.root / "server/keep.txt").write_text("mine")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project.root, capture_output=True,
                            text=True, check=False)
    assert result.returncode != 0
    assert f"{project.root / 'server'} exists and was not written by extranet" in result.stderr
    assert (project.root / "server/keep.txt").read_text() == "mine"


def test_server_files_sit_beside_the_web_root_never_inside(project, tmp_path):
    main(["-f", str(project.config), "build", "--now", NOW, "--output", str(tmp_path / "out")])
    site, server = tmp_path / "out/site", tmp_path / "out/server"
    assert (server / "htpasswd").stat().st_mode & 0o077 == 0
    assert not [p for p in site.rglob("*") if p.name in ("htpasswd", "access.json") or p.suffix == ".conf"]
    assert "$2b$" not in "".join(p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_plain_mkdocs_build_with_a_relative_config_path(project):
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml"], cwd=project.root,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (project.root / "build/site/customers/alpha/index.html").is_file()
    assert (project.root / "build/server/access.json").is_file()


def test_a_killed_builds_staging_directory_is_removed_by_the_next_build(project, tmp_path):
    """A build killed mid-way leaves `.build.*` (customer pages, htpasswd) beside the output; the next
    build removes it, and leaves alone one that a running build still holds."""
    import fcntl
    import os
    import signal

    output = tmp_path / "out" / "build"
    # A real build killed while it works: the child stops itself as soon as its staging exists.
    child = subprocess.Popen([sys.executable, "-c", (
        "import os, signal, tempfile\n"
        "from pathlib import Path\n"
        "from extranet import building\n"
        "made = tempfile.mkdtemp\n"
        "def stop(*a, **k):\n"
        "    path = made(*a, **k)\n"
        "    (Path(path) / 'site').mkdir(); (Path(path) / 'site' / 'secret.html').write_text('customer page')\n"
        "    building._claim(Path(path))\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "tempfile.mkdtemp = stop\n"
        f"building.build(Path({str(project.config)!r}), output=Path({str(output)!r}))\n")])
    assert child.wait(timeout=120) == -signal.SIGKILL
    stale = list(output.parent.glob(".build.*"))
    assert len(stale) == 1 and (stale[0] / "site/secret.html").exists()
    held = output.parent / ".build.held"
    held.mkdir()
    descriptor = os.open(held, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 0
    finally:
        os.close(descriptor)
    assert sorted(path.name for path in output.parent.iterdir()) == [".build.held", "build"]


def test_staging_directories_are_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", ".build.x1y2z3/site/index.html"], cwd=REPO)
    assert result.returncode == 0


@pytest.mark.parametrize("site_url, found", [
    ("https://x.example/extra net/", "found 'extra net'"), ("https://x.example/a/%2e%2e/", "found '%2e%2e'"),
    ("https://x.example/a/../b/", "found '..'"), ("https://x.example/{a}/", "found '{a}'"),
    ('https://x.example/a"b/', "found 'a\"b'"),
])
def test_a_site_url_path_the_servers_cannot_serve_is_refused(project, tmp_path, caplog, site_url: str, found: str):
    """The path of site_url goes into server files and signed links: only plain segments, refused
    with the line of mkdocs.yml, and the previous site stays."""
    output = tmp_path / "out"
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 0
    before = tree(output)
    project.replace("mkdocs.yml", "docs_dir: content", f"site_url: '{site_url}'\ndocs_dir: content")
    assert main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 1
    path = site_url.split("x.example", 1)[1]
    assert (f"mkdocs.yml:2: site_url: the path {path!r} cannot be served: use segments of letters, digits, "
            f"'.', '_', '~' and '-' ({found})") in caplog.text  # MkDocs logs a plugin's error, then aborts
    assert tree(output) == before
