"""Atomic builds: the new site is built beside the old one and swapped in only when complete.

Readers of a deployed directory must never see half a site, and a failed build must leave the
previous one untouched, so the build goes into a fresh sibling directory and replaces the output
directory in one `renameat2(RENAME_EXCHANGE)` where the kernel offers it (two renames otherwise).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import fcntl
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException

from . import storage
from .config import relative
from .exceptions import ExtranetError
from .loading import Extranet, InvalidInput, Problem, check_yaml, load

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from .config import ExtranetConfig
    from .plugin import ExtranetPlugin

log = logging.getLogger("extranet")


class BuildFailed(ExtranetError):
    """The build stopped; the message says why. The previous site is untouched."""


def load_site_config(config_file: Path, **overrides: str) -> MkDocsConfig:
    """MkDocs' configuration, after our own YAML reader found it sound and bounded.

    MkDocs' loader expands aliases without limit and reports syntax errors without `file:line`;
    so the file is composed (not constructed) by `loading.check_yaml` first, and a value MkDocs
    refuses is reported at its key's line."""
    try:
        text = config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildFailed(f"{config_file}: no such file") from None
    except UnicodeDecodeError as error:
        raise InvalidInput([Problem(config_file.name, 1, 1, "", f"not UTF-8 text (byte {error.start})")]) from None
    keys, problems = check_yaml(text, config_file.name)
    if problems:
        raise InvalidInput(problems)
    refused = _Refused()
    logger = logging.getLogger("mkdocs.config")
    logger.addHandler(refused)
    logger.propagate = False  # held back: said once, at its line, if it fails the load
    try:
        config = load_config(str(config_file), **overrides)
    except (ConfigurationError, Abort) as error:
        located = [Problem(config_file.name, *keys[key], key, message) for key, message in refused.values
                   if key in keys]
        if located and len(located) == len(refused.values):
            raise InvalidInput(located) from None
        raise BuildFailed("\n".join([*(f"{config_file.name}: {key}: {message}" for key, message in refused.values),
                                     f"{config_file.name}: {error}"])) from None
    finally:
        logger.removeHandler(refused)
        logger.propagate = True
    for record in refused.records:  # warnings that did not fail the load are the reader's to see
        logger.handle(record)
    return config


class _Refused(logging.Handler):
    """MkDocs' `Config value 'key': message` records, to be placed at the key's line."""

    PATTERN = re.compile(r"Config value '([^']+)': (.*)", re.DOTALL)

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.values: list[tuple[str, str]] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        match = self.PATTERN.match(record.getMessage())
        if match:
            self.values.append((match.group(1), match.group(2)))


def plugin_config(config: MkDocsConfig) -> ExtranetConfig:
    try:
        return cast("ExtranetConfig", config.plugins["extranet"].config)
    except KeyError:
        raise BuildFailed("mkdocs.yml: the 'extranet' plugin is not configured under 'plugins'") from None


def validate(config_file: Path, *, customers_file: str | None = None, check_storage: bool | None = None) -> Extranet:
    """Validate the data a build would read, exactly as the build reads it.

    `customers_file` (relative to mkdocs.yml, or absolute) stands in for the configured one: an edit
    of customers.yaml is validated with the whole project before it replaces the file.
    `check_storage` overrides `storage.check`: False skips asking the storage whether each artifact
    is there (offline work, or `extranet publish`, which is about to put them there).
    """
    config = load_site_config(config_file)
    options = plugin_config(config)
    root = config_file.resolve().parent
    try:
        backend = storage.from_config(root, options.storage)
    except storage.LinkError as error:
        raise BuildFailed(f"mkdocs.yml: {error}") from None
    return load(
        root, languages=tuple(options.languages), releases_dir=relative(options.releases, root),
        customers_file=customers_file or relative(options.customers, root),
        content_dir=Path(config.docs_dir).relative_to(root).as_posix(),
        artifact_exists=backend.exists if (options.storage.check if check_storage is None else check_storage) else None,
        templates_dir=options.templates,
    )


Progress = Callable[[str, int, int], None]
"""(stage, done, total): `loading`, `pages`, `server files`; for a terminal's progress display."""


def build(config_file: Path, *, now: dt.datetime | None = None, output: Path | None = None,
          progress: Progress | None = None, extranet: Extranet | None = None,
          check_storage: bool | None = None) -> Path:
    """Validate, build into a sibling temporary directory, then swap it in; return the output directory.

    The output directory holds `site/` (the web root) and, beside it, `server/` (the server files).
    `extranet`: the project as `validate(config_file)` just returned it, so it is not loaded twice.
    `check_storage` overrides `storage.check` (see `validate`).
    """
    if extranet is None:
        if progress is not None:
            progress("loading", 0, 1)
        extranet = validate(config_file, check_storage=check_storage)
    if progress is not None:
        progress("loading", 1, 1)
    config_file = config_file.resolve()
    base = load_site_config(config_file)
    site_dir = Path(base.site_dir)
    output = (output or site_dir.parent).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(output)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    claim = _claim(staging)
    try:
        config = load_site_config(config_file, site_dir=str(staging / site_dir.name))
        if now is not None:
            plugin_config(config).now = now
        plugin = cast("ExtranetPlugin", config.plugins["extranet"])
        plugin.preloaded = extranet
        if progress is not None:
            plugin.progress = progress
        try:
            mkdocs_build(config)
        except (MkDocsException, Abort) as error:
            raise BuildFailed(str(error)) from None
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(claim)
    shutil.rmtree(staging, ignore_errors=True)  # after the swap it holds the previous build
    return output


def _claim(staging: Path) -> int:
    """Hold a lock on the staging directory while this build uses it; the kernel drops it when the
    process ends, however it ends, so a directory nobody holds is a killed build's leftover."""
    descriptor = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return descriptor


def _remove_stale_staging(output: Path) -> None:
    """Remove what killed builds left beside the output (`.build.*`: customer pages, server files).

    A directory another build still holds (its lock) is that build's and stays. Rejected: removing
    by age (a slow build would lose its directory) and every `.build.*` (two builds at once)."""
    for stale in output.parent.glob(f".{output.name}.*"):
        if stale.is_symlink() or not stale.is_dir():
            continue
        try:
            descriptor = os.open(stale, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a build in progress
        finally:
            os.close(descriptor)
        log.info("extranet: removing %s, left by an interrupted build", stale)
        shutil.rmtree(stale, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(new: Path, target: Path) -> None:
    """Put `new` at `target` in one step; afterwards `new` holds the previous content (if any)."""
    os.chmod(new, 0o755)  # noqa: S103 (the web server's user reads the web root)
    if not target.exists():
        os.rename(new, target)
        new.mkdir()
        return
    if _exchange(new, target):
        return
    old = new.with_name(new.name + ".old")
    os.rename(target, old)
    os.rename(new, target)
    os.rename(old, new)


def _exchange(a: Path, b: Path) -> bool:
    with contextlib.suppress(AttributeError, OSError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        result: int = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        return result == 0
    return False


@contextlib.contextmanager
def quiet_mkdocs(level: int = logging.WARNING) -> Iterator[None]:
    logger = logging.getLogger("mkdocs")
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


__all__ = ["BuildFailed", "InvalidInput", "build", "quiet_mkdocs", "validate"]
