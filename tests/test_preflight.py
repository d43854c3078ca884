"""`make test` on a machine without the system packages stops before running anything, with one line
naming what is missing and the command that installs it (.ci/preflight reading .ci/packages, the one
list .ci/run installs from); and a run in which a test skips fails (tests/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

MISSING_CADDY = ("make test needs Debian packages that are not installed: caddy; install them as root with: "
                 "apt-get install --no-install-recommends caddy (or run .ci/run as root: it installs them, then runs "
                 "make test)")
EVERYTHING = [pytest.mark.servers, pytest.mark.browser, pytest.mark.fail2ban, pytest.mark.node, pytest.mark.shellcheck]
"""The tests that hide one program on the real machine need every other one present."""


def listed() -> list[tuple[str, str]]:
    """(package, program or file that shows it is installed) of .ci/packages."""
    rows = []
    for line in (REPO / ".ci/packages").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            package, shown_by = line.split()[:2]
            rows.append((package, shown_by))
    return rows


def path_without(tmp_path: Path, hidden: str) -> str:
    """A PATH of links to every program of this one, except `hidden`."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for place in os.environ["PATH"].split(os.pathsep):
        for program in sorted(Path(place).glob("*")) if Path(place).is_dir() else ():
            link = directory / program.name
            if program.name != hidden and not link.exists() and os.access(program, os.X_OK):
                link.symlink_to(program)
    return str(directory)


def preflight(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / ".ci/preflight")], env={**os.environ, "PATH": path}, capture_output=True,
                          text=True, timeout=60)


def test_the_list_has_what_ci_run_used_to_install_and_node() -> None:
    assert [package for package, _ in listed()] == [
        "nginx", "libnginx-mod-http-js", "apache2", "apache2-utils", "caddy", "fail2ban", "chromium", "wrk",
        "shellcheck", "nodejs", "npm"]
    assert "apt-get install" not in (REPO / ".ci/run").read_text(encoding="utf-8")
    assert ".ci/preflight --install" in (REPO / ".ci/run").read_text(encoding="utf-8")


@pytest.mark.servers  # the nginx module is a file, not a program: present here
def test_a_missing_program_is_named_with_the_command_that_installs_it(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for _, program in listed():
        if not program.startswith("/") and program != "caddy":
            (stubs / program).write_text("#!/bin/sh\n")
            (stubs / program).chmod(0o755)
    (stubs / "bash").symlink_to(Path("/bin/bash"))

    result = preflight(str(stubs))

    assert (result.returncode, result.stdout, result.stderr) == (1, MISSING_CADDY + "\n", "")


def needs_everything(test):
    for mark in EVERYTHING:
        test = mark(test)
    return test


@needs_everything
def test_with_everything_installed_it_prints_nothing() -> None:
    result = preflight(os.environ["PATH"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@needs_everything
def test_make_test_stops_before_anything_with_that_one_line(tmp_path: Path) -> None:
    # not a sub-make of `make test`'s own (MAKELEVEL would add "Entering directory" lines)
    outside = {name: value for name, value in os.environ.items() if name not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    hidden = {**outside, "PATH": path_without(tmp_path, "caddy")}
    result = subprocess.run(["make", "-n", "test"], cwd=REPO, env=hidden, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""  # nothing would run, not even the venv's creation
    assert re.fullmatch(r"Makefile:\d+: \*\*\* (.*)\.  Stop\.\n", result.stderr)[1] == MISSING_CADDY


@pytest.mark.parametrize(("test", "reported"), [
    ('def test_x():\n    pytest.skip("no frobnicator")\n', "FAILED test_skips.py::test_x - this suite skips nothing"),
    ('pytest.importorskip("no_such_module_here")\n', "ERROR test_skips.py - this suite skips nothing"),
    ('@pytest.mark.skipif(True, reason="not here")\ndef test_x():\n    pass\n',  # skipped while set up
     "ERROR test_skips.py::test_x - this suite skips nothing"),
])
def test_a_skipped_test_fails_the_run(tmp_path: Path, test: str, reported: str) -> None:
    (tmp_path / "test_skips.py").write_text("import pytest\n" + test, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
                             "-q", "-rfE", "test_skips.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode in (1, 2), result.stdout
    assert reported in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_an_expected_failure_stays_one(tmp_path: Path) -> None:
    (tmp_path / "test_xfail.py").write_text("import pytest\n@pytest.mark.xfail(reason='known')\ndef test_x():\n"
                                            "    assert False\n", encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q",
                             "test_xfail.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert (result.returncode, result.stdout.splitlines()[-1].split(" in ")[0]) == (0, "1 xfailed")


def test_the_portable_selection_leaves_out_every_registered_marker() -> None:
    """The selection in tests/without_programs.sh and the README is 'not' each marker of pyproject.toml."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    markers = [entry.split(":")[0] for entry in config["markers"]]
    expected = " and ".join(f"not {marker}" for marker in markers)
    assert "--strict-markers" in config["addopts"].split()
    assert f'PORTABLE="{expected}"' in (REPO / "tests/without_programs.sh").read_text(encoding="utf-8")
    assert f'pytest -m "{expected}"' in (REPO / "README.md").read_text(encoding="utf-8")
