"""`extranet release new`: scaffold a release manifest and its upgrade-guide stubs.

What a machine can know it fills in: the version, today's date, the kind a version number implies,
each file's size and SHA-256, and the artifact's id, module and platform when the previous
release shipped a file of the same name (its version replaced) or the name contains a module and
a platform id. What only a maintainer knows (titles, highlights, guide texts) is written as a
`TODO` placeholder that `extranet validate` reports with its line, so an unfinished scaffold
fails CI and can never be merged.

The manifest is written as text rather than dumped: every field carries a comment explaining it,
scalars are quoted as JSON strings (valid YAML double-quoted scalars) and the result is parsed
back with the project's own YAML reader before anything is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from .atomic import write_atomically
from .building import load_site_config, plugin_config
from .config import relative
from .exceptions import ExtranetError
from .loading import GUIDES, PLACEHOLDER, Source, _read, parse_yaml
from .model import FileName, Version, version_key

RELEASE_KINDS = ("major", "minor", "patch")
"""What `extranet release new --kind` takes: the part of the version a release bumps (not a server kind)."""


class ScaffoldRefused(ExtranetError):
    """Nothing was written; the message says why (and, printed, that nothing was written)."""

    def format(self) -> str:
        return f"{super().format()}; nothing was written"


@dataclasses.dataclass(frozen=True)
class Guessed:
    id: str
    module: str
    platform: str
    how: str
    """Where the guess came from, for the report: `as in 9.3.0`, `from the name` or `unknown`."""


@dataclasses.dataclass(frozen=True)
class ArtifactFile:
    path: Path
    name: str
    size: int
    sha256: str
    guess: Guessed


@dataclasses.dataclass(frozen=True)
class Scaffold:
    """What `new` wrote, relative to the project root, and what the maintainer does next."""

    written: tuple[str, ...]
    artifacts: tuple[ArtifactFile, ...]
    missing_in_storage: str | None
    """The local storage directory the files still have to be put in (None: nothing to do there)."""
    planned: str | None = None
    """The customers file, when it still announces this version in `vendor.planned_releases`."""

    def report(self) -> str:
        lines = [f"wrote {path}" for path in self.written]
        lines += [f"  {a.name}: {a.size} bytes, sha256 {a.sha256[:12]}…, {a.guess.how}" for a in self.artifacts]
        lines.append("next:")
        if self.missing_in_storage:
            lines.append(f"  put the files in {self.missing_in_storage}")
        if self.planned:
            lines.append(f"  remove it from vendor.planned_releases in {self.planned}: it is released now")
        lines.append("  replace every TODO (`extranet validate` lists each with its line), then `extranet validate`")
        return "\n".join(lines)


def kind_of(version: str) -> str:
    """The kind a version number implies: x.0.0 major, x.y.0 minor, anything else patch."""
    parts = version_key(version)
    if parts[1:] == (0, 0, 0):
        return "major"
    return "minor" if parts[2:] == (0, 0) else "patch"


def _releases(root: Path, releases_dir: str) -> list[tuple[str, Source]]:
    """The existing manifests' versions (as written) and sources; unreadable ones are skipped:
    `extranet validate` reports them, and they must not stop a new release."""
    found = []
    for path in sorted((root / releases_dir).glob("*.yaml")):
        source, problems = _read(path, root)
        version = source.data.get("version") if isinstance(source.data, dict) else None
        if not problems and isinstance(version, str):
            try:
                version_key(version)
            except ValueError:
                continue
            found.append((version, source))
    return sorted(found, key=lambda pair: version_key(pair[0]))


def check_version(version: str, existing: Sequence[str]) -> None:
    """Refuse an invalid or taken version, and a lower version that is no patch of an older line."""
    try:
        TypeAdapter(Version).validate_python(version)
    except ValidationError as error:
        raise ScaffoldRefused(error.errors()[0]["msg"]) from None
    key = version_key(version)
    for other in existing:
        if version_key(other) == key:
            raise ScaffoldRefused(f"version {version} exists already (releases/{other}.yaml)")
    if not existing or key > version_key(existing[-1]):
        return
    line = [other for other in existing if version_key(other)[:2] == key[:2]]
    if line and key > version_key(line[-1]):
        return  # the next patch of an older line, e.g. 9.2.2 after 9.3.0
    if line:
        raise ScaffoldRefused(
            f"{version} is lower than {line[-1]}, the latest of its line {'.'.join(map(str, key[:2]))} "
            f"(a new release of a line must be above its latest)"
        )
    raise ScaffoldRefused(
        f"{version} is lower than the latest release {existing[-1]} and opens no existing line "
        f"(only a patch of an existing line may be lower than the latest)"
    )


def _guess(
    name: str, version: str, previous: Source | None, modules: Sequence[str], platforms: Sequence[str]
) -> Guessed:
    """id, module and platform of a file, from the previous release or from the file's name."""
    if previous is not None:
        old = str(previous.data.get("version", ""))
        for artifact in previous.data.get("artifacts") or ():
            if isinstance(artifact, dict) and old and str(artifact.get("file", "")).replace(old, version) == name:
                return Guessed(
                    str(artifact.get("id")),
                    str(artifact.get("module")),
                    str(artifact.get("platform")),
                    f"as {artifact.get('file')} in {old}",
                )
    words = set(re.split(r"[-_.+]+", name.replace(version, "-").lower()))
    module = [m for m in modules if m in words]
    platform = [p for p in platforms if p in words]
    if len(module) == 1 and len(platform) == 1:
        return Guessed(f"{module[0]}-{platform[0]}", module[0], platform[0], "module and platform from the name")
    return Guessed(
        f"{PLACEHOLDER}: a unique id, e.g. module-platform",
        module[0] if len(module) == 1 else f"{PLACEHOLDER}: one of {', '.join(modules)}",
        platform[0] if len(platform) == 1 else f"{PLACEHOLDER}: one of {', '.join(platforms)}",
        "not guessed: fill in the TODOs",
    )


def _vendor(root: Path, customers_file: str) -> tuple[list[str], list[str], list[str]]:
    """The vendor's module and platform ids and its planned versions, as far as the file reads."""
    source, problems = _read(root / customers_file, root)
    vendor = source.data.get("vendor") if isinstance(source.data, dict) and not problems else None
    if not isinstance(vendor, dict):
        return [], [], []

    def values(key: str, field: str) -> list[str]:
        return [str(item[field]) for item in vendor.get(key) or () if isinstance(item, dict) and field in item]

    return values("modules", "id"), values("platforms", "id"), values("planned_releases", "version")


_PLAIN = re.compile(r"^[a-z][a-z0-9._+-]*$")


def _q(text: str) -> str:
    """A YAML scalar for `text`: plain when it is an id or a file name that YAML reads as text,
    else double-quoted (a JSON string is a valid YAML double-quoted scalar)."""
    plain = _PLAIN.match(text) and text not in ("true", "false", "null", "yes", "no", "on", "off", "y", "n")
    return text if plain else json.dumps(text, ensure_ascii=False)


def manifest(
    *,
    version: str,
    date: dt.date,
    kind: str,
    languages: Sequence[str],
    artifacts: Sequence[ArtifactFile],
    schema_line: str | None,
) -> str:
    """The manifest's text: every field with a comment, placeholders where a maintainer must write."""
    out = [schema_line] if schema_line else []
    out += [
        "#",
        "# Scaffolded by `extranet release new`. Replace every TODO (`extranet validate` lists the ones",
        "# left, with their lines), then delete comments you no longer need.",
        "",
        "# The version; the file name must be the same. Quoted: 9.40 unquoted would be a number.",
        f"version: {json.dumps(version)}",
        "# Release date. A customer whose support runs until at least this day is entitled to it.",
        f"date: {date.isoformat()}",
        "# major: more extensive enhancement; minor: smaller enhancement; patch: fixes only.",
        f"kind: {kind}",
        "# The release's name, in every site language.",
        "title:",
        *(f"  {lang}: {_q(f'{PLACEHOLDER}: the name of {version} ({lang})')}" for lang in languages),
        "# What is new, one item per change, each in every site language.",
        "highlights:",
        *(
            f"  {'-' if i == 0 else ' '} {lang}: {_q(f'{PLACEHOLDER}: what is new ({lang})')}"
            for i, lang in enumerate(languages)
        ),
        "# Manual steps whenever an upgrade passes through this release, e.g.",
        "#   - {" + ", ".join(f"{lang}: …" for lang in languages) + "}",
        "upgrade_notes: []",
        "# true: upgrades from older versions must install this release before going higher.",
        "required_stop: false",
        "# The downloadable files: size (bytes) and sha256 computed from the files given.",
        "# id: unique within the release; module and platform: ids from customers.yaml `vendor`.",
        "artifacts:" if artifacts else "artifacts: []",
    ]
    for artifact in artifacts:
        out += [
            f"  - id: {_q(artifact.guess.id)}",
            f"    module: {_q(artifact.guess.module)}",
            f"    platform: {_q(artifact.guess.platform)}",
            f"    file: {_q(artifact.name)}",
            f"    size: {artifact.size}",
            f"    sha256: {artifact.sha256}",
        ]
    return "\n".join(out) + "\n"


GUIDE_STUB = {
    "cs": (
        "Aktualizace na verzi {version}",
        "Tyto pokyny platí, pokud aktualizujete z verze nižší než {version} na verzi {version} nebo novější.",
        "Obecný postup aktualizace najdete v návodu [{general}](../guides/upgrade.md).",
        "Před aktualizací",
        "Po aktualizaci",
    ),
    "en": (
        "Upgrading to version {version}",
        "These steps apply when you upgrade from a version below {version} to {version} or later.",
        "For the general procedure, see [{general}](../guides/upgrade.md).",
        "Before upgrading",
        "After upgrading",
    ),
}
"""The shape of the demo's guides; a language without a stub here gets the English one."""


def guide(language: str, version: str, general: str | None) -> str:
    title, applies, general_line, before, after = GUIDE_STUB.get(language, GUIDE_STUB["en"])
    lines = [f"# {title.format(version=version)}", "", applies.format(version=version)]
    if general:
        lines.append(general_line.format(general=general))
    lines += [
        "",
        f"{PLACEHOLDER}: what changes in {version} and why the upgrade needs these steps.",
        "",
        f"## {before}",
        "",
        f"1. {PLACEHOLDER}: a step before the upgrade.",
        "",
        f"## {after}",
        "",
        f"1. {PLACEHOLDER}: a step after the upgrade.",
    ]
    return "\n".join(lines) + "\n"


def _title(path: Path) -> str | None:
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def new(
    config_file: Path,
    version: str,
    files: Sequence[Path],
    *,
    date: dt.date,
    kind: str | None = None,
    with_guide: bool | None = None,
) -> Scaffold:
    """Write `releases/<version>.yaml` and, for a major release (or `with_guide`), guide stubs.

    Refuses, writing nothing, when the version is invalid or taken, a file is missing or misnamed,
    or a target file exists."""
    config = load_site_config(config_file)
    options = plugin_config(config)
    root = config_file.resolve().parent
    languages = tuple(options.languages)
    existing = _releases(root, options.releases)
    check_version(version, [v for v, _ in existing])
    kind = kind or kind_of(version)
    if kind not in RELEASE_KINDS:
        raise ScaffoldRefused(f"kind '{kind}' is not one of {', '.join(RELEASE_KINDS)}")
    lower = [source for v, source in existing if version_key(v) < version_key(version)]
    previous = lower[-1] if lower else None
    modules, platforms, planned = _vendor(root, options.customers)
    artifacts, names = [], set()
    for path in files:
        if not path.is_file():
            raise ScaffoldRefused(f"{path}: no such file")
        try:
            TypeAdapter(FileName).validate_python(path.name)
        except ValidationError as error:
            raise ScaffoldRefused(f"{path}: {error.errors()[0]['msg']}") from None
        if path.name in names:
            raise ScaffoldRefused(f"{path}: a file named {path.name} is given twice")
        names.add(path.name)
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        if size == 0:
            raise ScaffoldRefused(f"{path}: the file is empty")
        artifacts.append(
            ArtifactFile(
                path, path.name, size, digest.hexdigest(), _guess(path.name, version, previous, modules, platforms)
            )
        )
    ids = [a.guess.id for a in artifacts if not a.guess.id.startswith(PLACEHOLDER)]
    if len(ids) != len(set(ids)):
        artifacts = [
            dataclasses.replace(
                a,
                guess=Guessed(
                    f"{PLACEHOLDER}: a unique id ({a.guess.id} is taken)", a.guess.module, a.guess.platform, a.guess.how
                ),
            )
            if ids.count(a.guess.id) > 1
            else a
            for a in artifacts
        ]
    schema_line = None
    if existing:
        first = (root / existing[-1][1].file).read_text(encoding="utf-8").splitlines()[:1]
        schema_line = first[0] if first and first[0].startswith("# yaml-language-server:") else None
    text = manifest(
        version=version, date=date, kind=kind, languages=languages, artifacts=artifacts, schema_line=schema_line
    )
    name = f"{relative(options.releases, root)}/{version}.yaml"
    source, problems = parse_yaml(text, name)
    assert not problems and source.data["version"] == version, problems  # the text is ours: a bug if not
    targets = {name: text}
    content = Path(config.docs_dir).relative_to(root).as_posix()
    if with_guide if with_guide is not None else kind == "major":
        for language in languages:
            general = _title(root / content / language / "guides/upgrade.md")
            targets[f"{content}/{language}/{GUIDES}/{version}.md"] = guide(language, version, general)
    taken = [target for target in targets if (root / target).exists()]
    if taken:
        raise ScaffoldRefused(f"{taken[0]} exists already")
    for target, body in targets.items():
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, body)
    missing = None
    if options.storage.backend == "local" and artifacts:
        directory = root / options.storage.root / version
        if not all((directory / a.name).is_file() for a in artifacts):
            missing = f"{relative(options.storage.root, root)}/{version}/"
    announced = any(_same(other, version) for other in planned)
    return Scaffold(tuple(targets), tuple(artifacts), missing, relative(options.customers, root) if announced else None)


def _same(a: str, b: str) -> bool:
    try:
        return version_key(a) == version_key(b)
    except ValueError:
        return False
