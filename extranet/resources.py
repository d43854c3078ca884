"""Where each template, theme file and interface text comes from: the project's, else the packaged default.

extranet ships its defaults as package data (`extranet.site_templates`, the repository's top-level
`site_templates/`): the page templates (`pages/`), the server configurations (`servers/`), the theme
overrides (`theme/`) and the interface texts (`strings.yaml`). A project may hold its own directory
(the plugin's `templates` option, `site_templates` by default) with only the files it changes: each
file found there wins over the packaged one of the same path, as Material's `custom_dir` does, and a
missing directory or file simply means the default. `strings.yaml` is merged by key and language:
a project's file that says `home_title: {en: Welcome}` changes that one text and keeps every other
(a whole-file replacement would freeze all the other texts at the day of the copy).

One place decides this, so that pages, server files, the theme and the error pages cannot disagree on
which file they use. Rejected: copying the defaults into each project (a vendor's repository would
carry a fork of every template and miss every fix), a whole-directory switch (one changed text would
mean copying all of them), and Jinja `{% extends %}` chains written into each override (the override
would have to know the packaged path).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import jinja2
import yaml

from .exceptions import ExtranetError

PACKAGE = "extranet.site_templates"
"""The package whose data are the defaults (`package-dir` maps it to the top-level `site_templates/`)."""

STRINGS = "strings.yaml"


class InvalidStrings(ExtranetError, ValueError):
    """A project's `strings.yaml` cannot be read or is not a mapping of key -> language -> text."""


def packaged() -> Path:
    """The directory of the packaged defaults (the wheel installs it unzipped, so it is a real path:
    MkDocs' theme loader and Jinja's file loader need one)."""
    location = importlib.resources.files(PACKAGE)
    if not isinstance(location, Path):  # pragma: no cover: only a zipped install gives another kind
        raise RuntimeError(f"extranet's templates are not files on disk ({location}); install extranet unzipped")
    return location


def search_path(project: Path, part: str) -> list[Path]:
    """The directories that may hold the files of `part` (`pages`, `servers`, `theme`), first wins:
    the project's own, if it exists, then the packaged one."""
    places = [project / part, packaged() / part]
    found: list[Path] = []
    for place in places:
        if place.is_dir() and place.resolve() not in (p.resolve() for p in found):
            found.append(place)
    return found


def loader(project: Path, part: str) -> jinja2.BaseLoader:
    """A Jinja loader of `part`'s templates, each file from the first directory that has it."""
    return jinja2.FileSystemLoader(search_path(project, part))


def theme_dirs(project: Path) -> list[str]:
    """The theme overrides to put before the theme's own directories (MkDocs' `theme.dirs`), first wins;
    MkDocs copies their static files (scripts, stylesheets) by the same rule."""
    return [str(place) for place in search_path(project, "theme")]


def strings(project: Path) -> dict[str, dict[str, str]]:
    """The interface texts, per key and language: the packaged ones, each replaced by the project's
    `strings.yaml` where it gives that key in that language."""
    merged = _read(packaged() / STRINGS)
    own = project / STRINGS
    if own.exists() and own.resolve() != (packaged() / STRINGS).resolve():
        for key, texts in _read(own).items():
            merged[key] = {**merged.get(key, {}), **texts}
    return merged


def _read(path: Path) -> dict[str, dict[str, str]]:
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=loader_class)  # noqa: S506 (safe)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidStrings(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InvalidStrings(f"{where}: not valid YAML ({getattr(error, 'problem', None) or error})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidStrings(f"{path}:1:1: expected a mapping of key -> language -> text, found {type(data).__name__}")
    for key, texts in data.items():
        if not isinstance(texts, dict):
            lines = path.read_text(encoding="utf-8").splitlines()
            line = next((n for n, text in enumerate(lines, 1) if text.startswith(f"{key}:")), 1)
            raise InvalidStrings(
                f"{path}:{line}:1: '{key}' must map each language to its text, found {type(texts).__name__}"
            )
    return data
