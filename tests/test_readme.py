"""The README runs as written: the maintainer's guide, followed step by step on a copy of the demo;
then the README's other `extranet` command lines, and its transcripts (`$ extranet …` and what it prints).

The examples are found by the README's structure, not copied here: every fenced block under a
heading of "Maintainer's guide" is taken in document order. A `sh` block's `extranet …` lines run
(as `python -m extranet.cli` in the copy) and must exit 0; a `yaml` block is put where its section
says (YAML_EXAMPLES); what a section's prose asks the maintainer to do by hand is done as
PROSE_STEPS says; after each section `extranet validate` must pass. A new example under an existing
heading is tested without touching this file; a `yaml` example under a new heading, or a language
this file does not know, fails `test_every_guide_example_is_one_this_test_runs` until it says how to
apply it. Outside the guide, each `sh` block's `extranet` line runs on a fresh copy and must exit 0,
and a plain block of `$ extranet …` lines must show exactly what each prints. Only commands that need
the cloud or a live server are not run: NOT_RUN, with the reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

README = REPO / "README.md"
GUIDE = "Maintainer's guide"
DEMO = ("customers.yaml", "releases", "content", "mkdocs.yml", "site_templates")
"""What a vendor's repository holds: the copy the guide is followed on."""


@dataclasses.dataclass(frozen=True)
class Example:
    section: str
    """The heading the block is under (the nearest one)."""
    chapter: str
    """The `##` heading it is under."""
    language: str
    text: str
    line: int
    """The line of its opening fence in README.md."""


def examples(readme: str) -> list[Example]:
    """Every fenced block of the README, with the headings it is under."""
    found = []
    chapter = section = ""
    fence: tuple[str, int, list[str]] | None = None
    for number, line in enumerate(readme.splitlines(), 1):
        if fence is not None:
            if line.startswith("```"):
                found.append(Example(section, chapter, fence[0], "\n".join(fence[2]) + "\n", fence[1]))
                fence = None
            else:
                fence[2].append(line)
        elif line.startswith("```"):
            fence = (line[3:].strip(), number, [])
        elif match := re.match(r"(#{1,6}) (.*)", line):
            section = match[2]
            if len(match[1]) <= 2:
                chapter = match[2]
    assert fence is None, f"README.md:{fence[1]}: a fenced block is never closed"
    return found


def guide() -> list[Example]:
    return [example for example in examples(README.read_text(encoding="utf-8")) if example.chapter == GUIDE]


def command_lines(script: str) -> list[str]:
    """The `extranet …` command lines of a shell block: continuations joined, comments and leading
    environment assignments (`AWS_ACCESS_KEY_ID=… extranet …`) dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    lines = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            words = words[1:]
        if words and words[0] == "extranet":
            lines.append(shlex.join(words))
    return lines


# --- how the guide's examples and prose steps are applied ------------------------------------------

def append_to_customers(root: Path, text: str) -> None:
    """'Add an entry under `customers:`': the list is the file's last key, so the entry goes at its end."""
    customers = root / "customers.yaml"
    assert list(yaml.safe_load(customers.read_text(encoding="utf-8")))[-1] == "customers"
    with customers.open("a", encoding="utf-8") as file:
        file.write(text)


def write_manifest(root: Path, text: str) -> None:
    """'A manifest written by hand': releases/<its version>.yaml (replacing the scaffold and its TODOs)."""
    version = yaml.safe_load(text)["version"]
    (root / f"releases/{version}.yaml").write_text(text, encoding="utf-8")


YAML_EXAMPLES: dict[str, Callable[[Path, str], None]] = {
    "Add a customer": append_to_customers,
    "Add a release": write_manifest,
}


def released_planned_and_stored(root: Path) -> None:
    """Steps 2 of 'Add a release': the files into releases/artifacts/<version>/, the version out of
    vendor.planned_releases (both as the command's "next:" lines say)."""
    for manifest in (root / "releases").glob("*.yaml"):
        release = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        for artifact in release["artifacts"]:
            stored = root / "releases/artifacts" / release["version"] / artifact["file"]
            if not stored.exists() and (root / "dist" / artifact["file"]).exists():
                stored.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(root / "dist" / artifact["file"], stored)
    customers = root / "customers.yaml"
    released = {path.stem for path in (root / "releases").glob("*.yaml")}
    text = customers.read_text(encoding="utf-8")
    for version in released:
        text = re.sub(rf'\n    - version: "{re.escape(version)}"\n      date: [0-9-]+', "", text)
    customers.write_text(text, encoding="utf-8")


PROSE_STEPS: dict[str, Callable[[Path], None]] = {
    "Add a release": released_planned_and_stored,
}

LIVE_HOST = ("needs a host with a running nginx to reload (and, for --rollback, earlier deploys under "
             "/srv/extranet); tests/test_deploy.py deploys and rolls back on a real nginx")
CLOUD = ("needs an S3 bucket and its credentials; tests/test_deploy.py uses moto, tests/test_links.py checks "
         "signatures offline")
NOT_RUN = {
    "extranet deploy --target /srv/extranet --server nginx --rollback": LIVE_HOST,
    "extranet deploy --target /srv/extranet --server nginx '[--output' 'build]' '[--keep' '5]'": LIVE_HOST,
    "extranet link --backend s3 --bucket B --key 9.3.0/file.zip --region eu-central-1 --expires 86400 "
    "'[--now' '2026-11-23T12:00:00+01:00]' '[--endpoint-url' 'URL]'": CLOUD,
    "extranet deploy --s3 BUCKET '[--prefix' 'P]' '[--region' 'R]' '[--endpoint-url' 'URL]' '[--dry-run]' "
    "'[--allow-private]'": CLOUD,
    "extranet deploy --cloudfront STACK '[--region' 'us-east-1]' '[--output' 'build]'": (
        "needs an AWS account; tests/test_cloudfront_deploy.py uses recording fakes and moto"),
}
"""Command lines of the README that need the cloud or a live server, and why they are not run here."""
PLACEHOLDERS = {"/data/builds": "releases/artifacts"}
"""Words of the README's command lines that stand for the reader's own: what the copy of the demo has instead
(`publish --from /data/builds`: "another directory with the same <version>/<file> layout")."""


def extranet(root: Path, line: str) -> subprocess.CompletedProcess[str]:
    words = [PLACEHOLDERS.get(word, word) for word in shlex.split(line)[1:]]
    return subprocess.run([sys.executable, "-m", "extranet.cli", *words], cwd=root,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})


def files_named(root: Path, line: str) -> None:
    """A command line that names files in `dist/` (the vendor's build output) gets them, with made-up bytes."""
    for word in shlex.split(line):
        if word.startswith("dist/"):
            (root / word).parent.mkdir(parents=True, exist_ok=True)
            (root / word).write_bytes(f"{word}\n".encode())


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "vendor"
    root.mkdir()
    for name in DEMO:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
        else:
            shutil.copy(REPO / name, root / name)
    return root


# --- the tests ------------------------------------------------------------------------------------

def test_the_readme_parses_into_the_guide_s_examples() -> None:
    found = guide()
    assert [(example.section, example.language) for example in found][:3] == [
        ("Add a customer", "yaml"), ("Add a customer", "sh"), ("Add a user", "sh")]
    assert all(example.text.strip() for example in found)


def test_every_guide_example_is_one_this_test_runs() -> None:
    for example in guide():
        where = f"README.md:{example.line} ({example.section})"
        assert example.language in ("sh", "yaml"), f"{where}: a {example.language!r} block: say how to test it"
        if example.language == "yaml":
            assert example.section in YAML_EXAMPLES, f"{where}: a YAML example: say in YAML_EXAMPLES where it goes"
        else:
            assert command_lines(example.text), f"{where}: a shell block without an `extranet` command line"
    everywhere = examples(README.read_text(encoding="utf-8"))
    assert set(NOT_RUN) <= {line for example in everywhere if example.language == "sh"
                            for line in command_lines(example.text)}, "NOT_RUN names a line the README no longer has"


def test_the_maintainer_s_guide_runs_as_written(demo: Path) -> None:
    sections: list[str] = []
    for example in guide():
        if example.section not in sections:
            sections.append(example.section)
    ran = []
    for section in sections:
        for example in (e for e in guide() if e.section == section):
            if example.language == "yaml":
                YAML_EXAMPLES[section](demo, example.text)
                continue
            for line in command_lines(example.text):
                if line in NOT_RUN:
                    continue
                files_named(demo, line)
                result = extranet(demo, line)
                assert result.returncode == 0, f"README.md:{example.line}: {line}\n{result.stdout}{result.stderr}"
                ran.append(line)
        if section in PROSE_STEPS:
            PROSE_STEPS[section](demo)
        result = extranet(demo, "extranet validate")
        assert (result.returncode, result.stderr) == (0, ""), f"after '{section}':\n{result.stdout}{result.stderr}"
        assert result.stdout.startswith("ok: "), result.stdout
    assert ran == [
        'extranet user add novy-zakaznik novy.jan --name \'Jan Nový\' --email jan@novy.example',
        'extranet user add novy-zakaznik novy.eva --name \'Eva Nová\' --email eva@novy.example',
        "extranet release new 9.4.0 dist/intouch-crm-9.4.0-windows-x64.zip dist/intouch-crm-9.4.0-linux-x64.tar.gz",
    ]


def test_a_new_customer_without_users_is_refused_with_the_message_the_guide_quotes(demo: Path) -> None:
    customer = next(e for e in guide() if e.section == "Add a customer" and e.language == "yaml")
    append_to_customers(demo, customer.text)
    quoted = re.search(r"`extranet validate` refuses the customer \(`([^`]*)`\)",
                       " ".join(README.read_text(encoding="utf-8").split()))[1]

    result = extranet(demo, "extranet validate")

    assert result.returncode == 1
    lines = (demo / "customers.yaml").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if "users: []" in text)
    assert f"customers.yaml:{line}:12: {quoted}\n" in result.stderr


def other_command_lines() -> list[tuple[int, str]]:
    """(README line, command line) of the `sh` blocks outside the guide."""
    return [(example.line, line) for example in examples(README.read_text(encoding="utf-8"))
            if example.language == "sh" and example.chapter != GUIDE for line in command_lines(example.text)]


def test_the_other_command_lines_are_found() -> None:
    assert [line for _, line in other_command_lines() if line not in NOT_RUN] == [
        "extranet publish", "extranet publish --from /data/builds"]


@pytest.mark.parametrize(("line", "command"), [pytest.param(*case, id=case[1]) for case in other_command_lines()
                                               if case[1] not in NOT_RUN])
def test_a_command_line_of_the_readme_runs_on_the_demo(demo: Path, line: int, command: str) -> None:
    result = extranet(demo, command)
    assert result.returncode == 0, f"README.md:{line}: {command}\n{result.stdout}{result.stderr}"


def transcripts() -> list[tuple[int, str, str]]:
    """(README line, command line, the output the README shows) of each `$ extranet …` in a plain block."""
    found = []
    for example in examples(README.read_text(encoding="utf-8")):
        if example.language == "" and example.text.startswith("$ extranet "):
            for part in re.split(r"^\$ ", example.text, flags=re.MULTILINE)[1:]:
                command, _, output = part.partition("\n")
                found.append((example.line, command, output))
    return found


def test_the_transcripts_are_found() -> None:
    assert [command.split(" --severity ")[1].split()[0] for _, command, _ in transcripts()] == [
        "serious", "common", "cosmetic"]


@pytest.mark.parametrize(("line", "command", "output"), [pytest.param(*case, id=case[1]) for case in transcripts()])
def test_a_transcript_of_the_readme_is_what_the_command_prints(demo: Path, line: int, command: str,
                                                               output: str) -> None:
    result = extranet(demo, command)
    assert (result.returncode, result.stderr) == (0, ""), f"README.md:{line}: {command}\n{result.stderr}"
    assert result.stdout == output, f"README.md:{line}: {command}"
