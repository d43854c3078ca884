"""Atomic builds: the new site is built beside the old one and swapped in only when complete.

Readers of a deployed directory must never see half a site, and a failed build must leave the
previous one untouched, so the build goes into a fresh sibling directory and replaces the output
directory in one `renameat2(RENAME_EXCHANGE)` where the kernel offers it (two renames otherwise).

The build uses the cores: one process per language (a *shard*; languages are dealt round-robin if
there are more than processes), each a whole MkDocs build of the same configuration that knows every
page (its URL, audience, place in the navigation, the rules and the sitemap) but converts and
renders only its languages' pages: the plugin's `shard`. Each process builds into its own directory
(MkDocs empties its `site_dir` first); the first language's process writes everything shared (theme
assets, static files, the sitemap, the server files), every other one reports the files that are its
own (its pages, error pages, feeds and search index), which are moved into the first one's tree. The output
is byte-identical to a sequential build (`tests/test_build.py` compares every file). Build
processes are forked: they share the validated model and the state the caller set up (a test's
patches too) without pickling anything. Rejected: `spawn`, which pickles the model (about 1 MiB per
500 customers), needs an `if __name__ == "__main__":` guard in every script that builds, and lost
in-process patches (tests/test_feeds.py); its advantage, not inheriting the caller's threads and
their locks, matters little to a command-line build. Their log records come back here through a
queue (the same message from several processes, e.g. a configuration warning every process meets,
is shown once) and the first failure stops the others, raised here as it would be
sequentially. The number of processes: `workers`, else `$EXTRANET_WORKERS`, else the CPUs (at most
`MAX_WORKERS`), at most one per language; 1 is the sequential build, which is also used when other
MkDocs plugins than search are configured (their output per page would not be merged).

MkDocs builds in one process and has no hook to split it, so a parallel build has to orchestrate
several MkDocs runs; the plugin still only hooks into each run. Rejected: splitting the pages of one
language into batches (it scales past the number of languages, but each language's search index
and navigation titles would then come from several processes to merge, and links to anchors in
another batch's pages would go unchecked; with languages, only links across languages' anchors
are); and threads (MkDocs, Markdown and Jinja are pure Python: the GIL keeps them on one core).
Cost: every process repeats what comes before the pages (configuration, the navigation, the
generated pages' outlines), so two languages on two cores take a little over half the time.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import fcntl
import logging
import logging.handlers
import multiprocessing
import os
import pickle
import queue
import re
import resource
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mkdocs import utils as mkdocs_utils
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
        located = [
            Problem(config_file.name, *keys[key], key, message) for key, message in refused.values if key in keys
        ]
        if located and len(located) == len(refused.values):
            raise InvalidInput(located) from None
        raise BuildFailed(
            "\n".join(
                [
                    *(f"{config_file.name}: {key}: {message}" for key, message in refused.values),
                    f"{config_file.name}: {error}",
                ]
            )
        ) from None
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
        root,
        languages=tuple(options.languages),
        releases_dir=relative(options.releases, root),
        customers_file=customers_file or relative(options.customers, root),
        content_dir=Path(config.docs_dir).relative_to(root).as_posix(),
        artifact_exists=backend.exists if (options.storage.check if check_storage is None else check_storage) else None,
        templates_dir=options.templates,
    )


Progress = Callable[[str, int, int], None]
"""(stage, done, total): `loading`, `pages`, `server files`; for a terminal's progress display."""

WORKERS_ENV = "EXTRANET_WORKERS"
"""The number of build processes, if `build` is not given it (1: a sequential build)."""

MAX_WORKERS = 8
"""At most this many processes by default: beyond, each repeats more than it shares out."""

PARALLEL_PLUGINS = frozenset({"search", "material/search", "extranet"})
"""The plugins whose output a parallel build merges; with any other, the build is sequential."""


@dataclasses.dataclass(frozen=True)
class Shard:
    """What one process of a parallel build did (see the module docstring), for `make bench`."""

    languages: tuple[str, ...]
    seconds: float
    peak_kib: int
    """The process's peak resident set size."""


def build(
    config_file: Path,
    *,
    now: dt.datetime | None = None,
    output: Path | None = None,
    progress: Progress | None = None,
    extranet: Extranet | None = None,
    check_storage: bool | None = None,
    workers: int | None = None,
    shards: list[Shard] | None = None,
) -> Path:
    """Validate, build into a sibling temporary directory, then swap it in; return the output directory.

    The output directory holds `site/` (the web root) and, beside it, `server/` (the server files).
    `extranet`: the project as `validate(config_file)` just returned it, so it is not loaded twice.
    `check_storage` overrides `storage.check` (see `validate`).
    `workers`: the number of processes (see the module docstring); `shards`, if given, receives
    what each process did (nothing in a sequential build).
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
        languages = _shards(base, workers)
        if len(languages) > 1:
            done = _build_parallel(
                config_file, staging / site_dir.name, languages, now, extranet, progress, strict=base.strict
            )
            if shards is not None:
                shards.extend(done)
        else:
            _build_shard(config_file, staging / site_dir.name, None, now, extranet, progress)
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(claim)
    shutil.rmtree(staging, ignore_errors=True)  # after the swap it holds the previous build
    return output


def _build_shard(
    config_file: Path,
    site_dir: Path,
    languages: tuple[str, ...] | None,
    now: dt.datetime | None,
    extranet: Extranet,
    progress: Progress | None,
) -> list[str]:
    """One MkDocs build into `site_dir`, of every language (None) or a shard's; returns the files
    that are the shard's own (see `ExtranetPlugin.shard_files`)."""
    config = load_site_config(config_file, site_dir=str(site_dir))
    if now is not None:
        plugin_config(config).now = now
    plugin = cast("ExtranetPlugin", config.plugins["extranet"])
    plugin.preloaded = extranet
    plugin.progress = progress or (lambda stage, done, total: None)  # not a previous build's: MkDocs keeps the instance
    plugin.shard = None if languages is None else frozenset(languages)
    if languages is not None:
        config.strict = False  # counted by the parent, over every process (see `_build_parallel`)
    try:
        mkdocs_build(config)
    except (MkDocsException, Abort) as error:
        raise BuildFailed(str(error)) from None
    return plugin.shard_files


def _shards(config: Any, workers: int | None) -> list[tuple[str, ...]]:
    """The languages of each build process: one list (a sequential build) or one per process."""
    languages = tuple(plugin_config(config).languages)
    if workers is None:
        value = os.environ.get(WORKERS_ENV, "").strip()
        if value:
            try:
                workers = int(value)
            except ValueError:
                workers = 0
            if workers < 1:
                raise BuildFailed(f"{WORKERS_ENV}={value!r}: expected the number of build processes, 1 or more")
        else:
            workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 1:
        raise BuildFailed(f"workers={workers}: expected the number of build processes, 1 or more")
    if set(config.plugins) - PARALLEL_PLUGINS:
        workers = 1
    count = max(1, min(workers, len(languages)))
    return [languages[index::count] for index in range(count)]


def _build_parallel(
    config_file: Path,
    site_dir: Path,
    shards: list[tuple[str, ...]],
    now: dt.datetime | None,
    extranet: Extranet,
    progress: Progress | None,
    *,
    strict: bool,
) -> list[Shard]:
    """Build each shard in a process of its own, then move the others' own files into the first's
    `site_dir` (see the module docstring). The first failure stops the others and is raised here.

    The log reads as a sequential build's: the first process's records as they come, each later
    one's after those of the processes before it, a record every process logs (a configuration
    warning) once. Strict mode is counted here, on those records, as MkDocs counts it in one
    process: the processes build without it, so a warning in one language does not hide the rest."""
    context = multiprocessing.get_context("fork")  # the children share the validated model (module docstring)
    messages: Any = context.Queue()
    levels = {
        name: logger.level
        for name, logger in [("", logging.getLogger()), *logging.Logger.manager.loggerDict.items()]
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET
    }
    places = [site_dir] + [site_dir.parent / f".shard-{index}" / site_dir.name for index in range(1, len(shards))]
    processes = [
        context.Process(
            target=_shard_process,
            name=f"extranet build {'+'.join(languages)}",
            daemon=True,
            args=(index, messages, config_file, places[index], languages, now, extranet, progress is not None, levels),
        )
        for index, languages in enumerate(shards)
    ]
    for process in processes:
        process.start()
    results: dict[int, tuple[list[str], Shard]] = {}
    counts: dict[str, dict[int, tuple[int, int]]] = {}
    shown: set[tuple[str, int, str]] = set()
    held: list[list[logging.LogRecord]] = [[] for _ in shards]
    live = 0
    """The process whose records are shown as they come; the later ones' are held until it ends."""

    def show(record: logging.LogRecord) -> None:
        key = (record.name, record.levelno, record.getMessage())
        if key not in shown:
            shown.add(key)
            logging.getLogger(record.name).handle(record)

    def release(until: int) -> None:
        nonlocal live
        while live < until:
            live += 1
            for record in held[live]:
                show(record)
            held[live].clear()

    warnings = mkdocs_utils.CountHandler(level=logging.WARNING)
    logging.getLogger("mkdocs").addHandler(warnings)
    try:
        while len(results) < len(processes):
            try:
                message = messages.get(timeout=0.5)
            except queue.Empty:
                for index, process in enumerate(processes):
                    if index not in results and process.exitcode not in (None, 0):
                        raise BuildFailed(
                            f"the build process of {', '.join(shards[index])} ended "
                            f"unexpectedly (exit status {process.exitcode})"
                        ) from None
                continue
            kind, index, *rest = message
            if kind == "log":
                if index == live:
                    show(rest[0])
                else:
                    held[index].append(rest[0])
            elif kind == "progress" and progress is not None:
                stage, done, total = rest
                counts.setdefault(stage, {})[index] = (done, total)
                # Pages once every process has said how many it has; the others (the first
                # process's server files) once all pages are done.
                if stage == "pages" and len(counts[stage]) == len(shards):
                    progress(
                        stage, sum(d for d, _ in counts[stage].values()), sum(t for _, t in counts[stage].values())
                    )
            elif kind == "failed":
                release(len(shards) - 1)
                raise rest[0]
            elif kind == "done":
                results[index] = (rest[0], rest[1])
                while live in results and live < len(shards) - 1:
                    release(live + 1)
    finally:
        logging.getLogger("mkdocs").removeHandler(warnings)
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        messages.close()
        messages.join_thread()
    if strict and warnings.get_counts():  # MkDocs' own words (mkdocs.commands.build)
        raise BuildFailed(
            f"Aborted with {', '.join(f'{v} {k.lower()}s' for k, v in warnings.get_counts())} in strict mode!"
        )
    for stage, reported in counts.items():
        if stage != "pages" and progress is not None:
            progress(stage, sum(d for d, _ in reported.values()), sum(t for _, t in reported.values()))
    for index in range(1, len(shards)):
        for name in results[index][0]:
            target = site_dir / name
            if target.exists():  # pragma: no cover: a shard wrote what is another's
                raise RuntimeError(f"{name}: written by the build processes of {shards[0]} and {shards[index]}")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(places[index] / name, target)
        shutil.rmtree(places[index].parent)
    return [results[index][1] for index in range(len(shards))]


def _shard_process(
    index: int,
    messages: Any,
    config_file: Path,
    site_dir: Path,
    languages: tuple[str, ...],
    now: dt.datetime | None,
    extranet: Extranet,
    report_progress: bool,
    levels: dict[str, int],
) -> None:
    """A build process: builds its shard and puts on `messages` its log records, progress, and at
    the end ("done", index, its files, Shard) or ("failed", index, the exception). `levels`: the
    parent's loggers' levels, so this process logs what the parent would show."""
    started = time.perf_counter()
    _forward_logging(messages, index, languages, levels)
    progress = (
        (lambda stage, done, total: messages.put(("progress", index, stage, done, total))) if report_progress else None
    )
    try:
        files = _build_shard(config_file, site_dir, languages, now, extranet, progress)
    except BaseException as error:  # noqa: BLE001 (handed to the parent, which raises it)
        try:
            pickle.dumps(error)
        except Exception:  # noqa: BLE001
            error = RuntimeError(traceback.format_exc())
        messages.put(("failed", index, error))
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    messages.put(("done", index, files, Shard(languages, time.perf_counter() - started, peak)))


class _Forward(logging.handlers.QueueHandler):
    """A build process's log records, to the parent (`_build_parallel`), which shows them."""

    def __init__(self, messages: Any, index: int) -> None:
        super().__init__(messages)
        self.index = index

    def enqueue(self, record: logging.LogRecord) -> None:
        cast("Any", self.queue).put(("log", self.index, record))  # a multiprocessing queue


_SKIPPED = re.compile(r"Page skipped: '([^/']+)/")


def _forward_logging(messages: Any, index: int, languages: tuple[str, ...], levels: dict[str, int]) -> None:
    """In a build process: every log record goes to the parent, at the parent's loggers' levels, none
    to handlers a fork inherited (the parent's stderr, a test's capture); MkDocs' note on each page
    another process renders ("Page skipped: … empty output") is dropped."""
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    for logger in [
        logging.getLogger(),
        *(logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)),
    ]:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
    logging.getLogger().addHandler(_Forward(messages, index))

    def other_shards(record: logging.LogRecord) -> bool:
        match = _SKIPPED.match(record.getMessage())
        return match is None or match.group(1) in languages

    logging.getLogger("mkdocs.commands.build").addFilter(other_shards)


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


__all__ = ["BuildFailed", "InvalidInput", "Shard", "build", "quiet_mkdocs", "validate"]
