"""Messages for people and machines: `--quiet` and `--json` on validate and build, progress on a
terminal only, and the documented exit statuses."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from extranet.cli import main

from .conftest import NOW, Project


def run(project: Project, *args: str) -> int:
    return main(["-f", str(project.config), *args])


BROKEN = ("customers.yaml", 'company_id: "27074358"', 'company_id: "00177042"')
PROBLEM = {"file": "customers.yaml", "line": 40, "column": 17, "path": "customers[0].company_id",
           "message": "'00177042' is not a valid IČO (check digit)"}


def test_validate_json_ok(project: Project, capsys):
    assert run(project, "validate", "--json") == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert json.loads(out.out) == {"command": "validate", "status": "ok",
                                   "counts": {"releases": 3, "customers": 2, "plans": 1}, "problems": []}


def test_validate_json_invalid(project: Project, capsys):
    project.replace(*BROKEN)
    assert run(project, "validate", "--json") == 1
    out = capsys.readouterr()
    assert out.err == ""
    assert json.loads(out.out) == {"command": "validate", "status": "invalid", "problems": [PROBLEM]}


def test_validate_quiet(project: Project, capsys):
    assert run(project, "validate", "--quiet") == 0
    assert capsys.readouterr() == ("", "")
    project.replace(*BROKEN)
    assert run(project, "validate", "-q") == 1
    assert capsys.readouterr() == ("", "customers.yaml:40:17: customers[0].company_id: '00177042' is not a valid IČO "
                                       "(check digit)\n1 problem(s)\n")


def test_build_json_ok(project: Project, tmp_path: Path, capsys):
    output = tmp_path / "out"
    assert run(project, "build", "--json", "--now", NOW, "--output", str(output)) == 0
    out = capsys.readouterr()
    assert out.err == ""
    files = sum(1 for path in (output / "site").rglob("*") if path.is_file())
    # 13 pages per language: home, releases, timeline, 3 releases, 1 upgrade guide, 1 guide, support,
    # staff, login and 2 customers
    assert sum(1 for _ in (output / "site").rglob("index.html")) == 26
    assert json.loads(out.out) == {
        "command": "build", "status": "ok",
        "counts": {"releases": 3, "customers": 2, "plans": 1, "pages": 26, "files": files},
        "output": {"directory": str(output), "site": str(output / "site"), "server": str(output / "server")},
        "problems": []}
    assert files > 26


def test_build_json_failed_lists_mkdocs_warnings(project: Project, tmp_path: Path, capsys):
    for lang in ("cs", "en"):
        project.write(f"content/{lang}/guides/install.md", "# Install\n\n[gone](missing.md)\n")
    assert run(project, "build", "--json", "--now", NOW, "--output", str(tmp_path / "out")) == 1
    report = json.loads(capsys.readouterr().out)
    nowhere = {"file": None, "line": None, "column": None, "path": None}
    assert report == {"command": "build", "status": "failed", "problems": [
        {**nowhere, "message": f"Doc file '{lang}/guides/install.md' contains a link 'missing.md', but the target "
                               f"'{lang}/guides/missing.md' is not found among documentation files."}
        for lang in ("cs", "en")] + [{**nowhere, "message": "Aborted with 2 warnings in strict mode!"}]}
    assert not (tmp_path / "out").exists()


def test_build_json_invalid(project: Project, tmp_path: Path, capsys):
    project.replace(*BROKEN)
    assert run(project, "build", "--json", "--output", str(tmp_path / "out")) == 1
    assert json.loads(capsys.readouterr().out) == {"command": "build", "status": "invalid", "problems": [PROBLEM]}


def test_build_quiet_prints_nothing(project: Project, tmp_path: Path, capsys):
    assert run(project, "build", "--quiet", "--now", NOW, "--output", str(tmp_path / "out")) == 0
    assert capsys.readouterr() == ("", "")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_build_shows_progress_on_a_terminal_only(project: Project, tmp_path: Path, capsys, monkeypatch):
    assert run(project, "build", "--now", NOW, "--output", str(tmp_path / "a")) == 0
    assert capsys.readouterr() == (f"built {tmp_path / 'a'}\n", "")  # not a terminal: no progress
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert run(project, "build", "--now", NOW, "--output", str(tmp_path / "b")) == 0
    shown = [line.strip() for line in re.split(r"[\r\n]", terminal.getvalue()) if line.strip()]
    stages = [re.sub(r"[: ].*", "", line).rstrip("…") for line in shown]
    assert [stage for i, stage in enumerate(stages) if i == 0 or stages[i - 1] != stage] == [
        "loading", "pages", "server"]
    assert any(re.match(r"pages: \d+/26 \|", line) for line in shown)  # redrawn at most every 0.1 s
    assert shown[-1] == "server files…"
    assert capsys.readouterr().out == f"built {tmp_path / 'b'}\n"
    terminal.truncate(0)
    assert run(project, "build", "--quiet", "--now", NOW, "--output", str(tmp_path / "c")) == 0
    assert terminal.getvalue().strip("\0") == ""


def test_exit_statuses_are_documented_and_usage_is_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert ("exit status:\n  0    success\n  1    invalid input (every problem is listed), a failed build (the "
            "previous site is left\n       untouched), a refused edit or scaffold, or an internal error\n  2    wrong "
            "usage (unknown command or option, missing argument)\n  130  interrupted (Ctrl+C)\n") in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--json", "--quiet"])
    assert exit_.value.code == 2
    assert "argument -q/--quiet: not allowed with argument --json" in capsys.readouterr().err
