"""extranet as an installed plugin, and the installs that make it.

The wheel carries the default templates, theme overrides and texts; a vendor's repository holding
only `customers.yaml`, `releases/`, `content/` and `mkdocs.yml` builds with the installed package; a
project's `site_templates/` overrides the packaged defaults file by file. The wheel is built from a
copy of what a clean clone holds (setuptools writes `build/` beside the sources, where the demo's own
build goes) and installed into a fresh virtual environment with its dependencies from
`requirements.lock`, as `make site` installs them (exact versions and hashes; pip's cache keeps it
quick). Building and installing the package prints no warning about its configuration, and the lock
files pin every dependency that pyproject.toml names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from extranet import resources

from .conftest import NOW, NOW_DT, REPO

SOURCES = ("pyproject.toml", "README.md", "extranet", "site_templates")
"""What the package is built from (pyproject.toml names the readme)."""
VENDOR_FILES = ("customers.yaml", "releases", "content", "mkdocs.yml")
"""All that a vendor's repository holds."""
EDITABLE_NOTICE = "ignore:Editable installation"
"""The Makefile's PYTHONWARNINGS for the editable install (an information of setuptools, not a warning)."""


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
                            env=None if env is None else {**os.environ, **env})
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def warnings_in(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r"warning", line, re.IGNORECASE)]


def files_under(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's sources as a clean clone has them."""
    root = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, root / name)
    return root


@pytest.fixture(scope="module")
def wheel(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel, and what building it printed (by the locked setuptools of this environment)."""
    out = tmp_path_factory.mktemp("wheel")
    output = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
                  str(sources)], cwd=out)
    [path] = out.glob("extranet-*.whl")
    return path, output


@pytest.fixture(scope="module")
def installed(wheel: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment (no system site-packages) holding the locked dependencies and the
    wheel; returns its `bin/`."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True, symlinks=True)
    pip = [str(env / "bin/python"), "-m", "pip", "install", "--quiet"]
    run([*pip, "--require-hashes", "-r", str(REPO / "requirements.lock")], cwd=env)
    run([*pip, "--no-deps", str(wheel[0])], cwd=env)
    return env / "bin"


def vendor_repository(root: Path) -> Path:
    """A vendor's repository: the demo's data and mkdocs.yml, none of extranet's own files."""
    root.mkdir(parents=True)
    for name in VENDOR_FILES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
        else:
            shutil.copy2(REPO / name, root / name)
    return root


def build(bin_dir: Path, project: Path) -> Path:
    run([str(bin_dir / "extranet"), "build", "--now", NOW], cwd=project)
    return project / "build"


# --- the wheel ---------------------------------------------------------------------------------

def test_the_wheel_carries_every_default_template_theme_file_and_text(wheel: tuple[Path, str]) -> None:
    with zipfile.ZipFile(wheel[0]) as archive:
        names = set(archive.namelist())
    defaults = {f"extranet/site_templates/{name}" for name in files_under(REPO / "site_templates")
                if "__pycache__" not in name}
    assert "extranet/site_templates/strings.yaml" in defaults
    assert defaults <= names
    assert {name for name in names if name.startswith("extranet/site_templates/")} == defaults
    assert {"extranet/schemas/customers.schema.json", "extranet/schemas/release.schema.json"} <= names


@pytest.mark.parametrize("how", ["wheel", "editable"])
def test_building_the_package_prints_no_warning(how: str, wheel: tuple[Path, str], sources: Path,
                                                tmp_path: Path) -> None:
    """Neither `pip wheel` nor the Makefile's editable install warns about the configuration
    (setuptools used to: `extranet.schemas` absent from `packages`)."""
    if how == "wheel":
        output = wheel[1]
    else:
        output = run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                      "--target", str(tmp_path / "target"), "-e", str(sources)], cwd=tmp_path,
                     env={"PYTHONWARNINGS": EDITABLE_NOTICE})
    assert "Successfully" in output
    assert warnings_in(output) == []


def test_the_makefile_silences_only_the_editable_notice(sources: Path, tmp_path: Path) -> None:
    """Without the Makefile's filter, the one backend warning is setuptools' notice that the install
    is editable; the filter is the Makefile's own."""
    output = run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                  "--target", str(tmp_path / "target"), "-e", str(sources)], cwd=tmp_path, env={"PYTHONWARNINGS": ""})
    assert [line.split("BuildBackendWarning: ")[-1] for line in warnings_in(output)] == ["Editable installation."]
    assert f'EDITABLE_NOTICE := PYTHONWARNINGS="{EDITABLE_NOTICE}"' in (REPO / "Makefile").read_text()


def test_the_editable_install_finds_the_defaults_in_the_repository() -> None:
    """`make site` installs extranet editable: the packaged defaults are this repository's own files."""
    assert resources.packaged() == REPO / "site_templates"
    assert resources.search_path(REPO / "site_templates", "pages") == [REPO / "site_templates/pages"]


# --- a vendor's repository ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_build(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(installed, vendor_repository(tmp_path_factory.mktemp("vendor") / "project"))


def test_the_installed_package_is_the_one_that_builds(installed: Path) -> None:
    output = run([str(installed / "python"), "-c", "import extranet.resources as r; print(r.packaged())"], cwd=installed)
    assert Path(output.strip()) == installed.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
        / "site-packages/extranet/site_templates"


def test_a_repository_of_data_only_builds_with_the_installed_package(default_build: Path) -> None:
    site, server = default_build / "site", default_build / "server"
    assert not (default_build.parent / "site_templates").exists()
    page = (site / "en/customers/strojirny-labe/index.html").read_text(encoding="utf-8")
    assert "Strojírny Labe" in page
    assert (site / "customers/strojirny-labe/index.html").is_file()
    assert (site / "assets/javascripts/extranet-who.js").is_file()  # a packaged theme file
    assert (site / "404.html").is_file()  # an error page, rendered with the packaged theme template
    for name in ("access.json", "htpasswd", "nginx/extranet-server.conf", "apache/extranet.conf",
                 "caddy/extranet.caddy"):
        assert (server / name).is_file(), name


@pytest.mark.parametrize(("path", "changed"), [
    ("theme/assets/stylesheets/extranet-pages.css", "site/assets/stylesheets/extranet-pages.css"),
    ("servers/nginx/standalone.conf.j2", "server/nginx/standalone.conf"),
])
def test_one_project_file_overrides_exactly_its_default(path: str, changed: str, installed: Path,
                                                        default_build: Path, tmp_path: Path) -> None:
    project = vendor_repository(tmp_path / "project")
    override = project / "site_templates" / path
    override.parent.mkdir(parents=True)
    override.write_text("/* the vendor's own */\n", encoding="utf-8")
    before, after = files_under(default_build), files_under(build(installed, project))
    assert sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name)) == [changed]
    assert after[changed] == b"/* the vendor's own */\n"


# --- strings.yaml: the packaged texts, the project's over them key by key ----------------------

def test_a_project_without_strings_yaml_has_the_packaged_texts(tmp_path: Path) -> None:
    assert resources.strings(tmp_path) == resources.strings(REPO / "site_templates")
    assert resources.strings(tmp_path)["releases_title"] == {"cs": "Poznámky k verzím", "en": "Release notes"}


def test_a_project_strings_yaml_replaces_only_the_texts_it_gives(tmp_path: Path) -> None:
    (tmp_path / "strings.yaml").write_text("releases_title: {en: Release history}\nvendor_key: {en: Ours}\n",
                                           encoding="utf-8")
    packaged, merged = resources.strings(REPO / "site_templates"), resources.strings(tmp_path)
    assert merged["releases_title"] == {"cs": "Poznámky k verzím", "en": "Release history"}
    assert merged["vendor_key"] == {"en": "Ours"}
    assert {key: texts for key, texts in merged.items() if key not in ("releases_title", "vendor_key")} == {
        key: texts for key, texts in packaged.items() if key != "releases_title"}


@pytest.mark.parametrize(("text", "message"), [
    ("releases_title: {en: [unclosed\n", "strings.yaml:2:1: not valid YAML (did not find expected ',' or ']')"),
    ("- releases_title\n", "strings.yaml:1:1: expected a mapping of key -> language -> text, found list"),
    ("home_title: {en: Home}\nreleases_title: Release history\n",
     "strings.yaml:2:1: 'releases_title' must map each language to its text, found str"),
    (b"releases_title: {en: \xff}\n", "strings.yaml: cannot be read ('utf-8' codec can't decode byte 0xff in "
                                      "position 21: invalid start byte)"),
    (None, "strings.yaml: cannot be read (Is a directory)"),
])
def test_an_invalid_project_strings_yaml_is_an_error_naming_it(text: str | bytes | None, message: str,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "strings.yaml"
    if text is None:
        path.mkdir()
    elif isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(resources.InvalidStrings) as error:
        resources.strings(tmp_path)
    assert str(error.value) == f"{tmp_path}/{message}"


def test_a_build_stops_on_an_invalid_project_strings_yaml(project, caplog: pytest.LogCaptureFixture) -> None:
    """The build names the file and line, fails, and leaves the previous site as it was."""
    from extranet.building import BuildFailed
    from extranet.building import build as build_site

    output = build_site(project.config, now=NOW_DT, output=project.root / "build")
    before = files_under(output)
    path = project.write("site_templates/strings.yaml", "home_title: {en: Home}\nreleases_title: Release history\n")
    with pytest.raises(BuildFailed):
        build_site(project.config, now=NOW_DT, output=output)
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == [
        f"extranet: {path}:2:1: 'releases_title' must map each language to its text, found str"]
    assert files_under(output) == before


# --- the lock files ----------------------------------------------------------------------------

LOCKS = ("requirements.lock", "requirements-test.lock")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.MULTILINE)


def pins(text: str) -> dict[str, str]:
    """Package (canonical name) -> exact version, of the pins that carry hashes."""
    return {canonicalize_name(name): version for name, version, _ in _PIN.findall(text)}


def named(pyproject: dict, extras: tuple[str, ...]) -> list[Requirement]:
    """The dependencies pyproject.toml names: the build's, the package's, and those of `extras`."""
    texts = [*pyproject["build-system"]["requires"], *pyproject["project"]["dependencies"]]
    for extra in extras:
        texts += pyproject["project"]["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


def uncovered(pyproject: dict, extras: tuple[str, ...], lock: str) -> list[str]:
    """Each named dependency that the lock does not pin, or pins at a version it does not allow."""
    pinned = pins(lock)
    problems = []
    for requirement in named(pyproject, extras):
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement}: not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement}: pinned at {version}")
    return problems


PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_each_lock_pins_every_dependency_pyproject_names(lock: str, extras: tuple[str, ...]) -> None:
    text = (REPO / lock).read_text(encoding="utf-8")
    assert uncovered(PYPROJECT, extras, text) == []
    # Every line that names a package is a hashed pin (`pip install --require-hashes` needs them all).
    named_lines = [line for line in text.splitlines() if re.match(r"[A-Za-z0-9]", line)]
    assert len(named_lines) == len(pins(text)) > len(named(PYPROJECT, extras))


def test_the_test_lock_keeps_the_versions_of_the_site_lock() -> None:
    site, test = (pins((REPO / name).read_text(encoding="utf-8")) for name in LOCKS)
    assert {name: test.get(name) for name in site} == site


@pytest.mark.parametrize(("change", "problems"), [
    (lambda p: p["project"]["dependencies"].append("rich>=13"), ["rich>=13: not pinned"]),
    (lambda p: p["project"]["optional-dependencies"]["test"].append("pytest>=99"), ["pytest>=99: pinned at {pytest}"]),
    (lambda p: p["build-system"]["requires"].append("wheel>=0.40"), ["wheel>=0.40: not pinned"]),
])
def test_a_dependency_the_lock_misses_is_named(change, problems: list[str]) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    change(pyproject)
    text = (REPO / "requirements-test.lock").read_text(encoding="utf-8")
    expected = [problem.format(**pins(text)) for problem in problems]
    assert uncovered(pyproject, ("test",), text) == expected
