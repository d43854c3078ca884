"""`extranet publish`: put every artifact of every release into the configured storage.

A customer downloads exactly the bytes the manifest describes, so each source file is checked
against its manifest entry (size, then sha256) before anything is uploaded, and a mismatch is
reported where the maintainer fixes it: `releases/<version>.yaml:line:column: artifacts[i].sha256:
...`. Publishing is idempotent: an object whose stored sha256 equals the manifest's is left alone,
so a nightly or CI run uploads only what is new or changed. Every failure is collected and
reported; one bad file does not stop the others. What the storage does (reading the stored
sha256, uploading) is each backend's business in `extranet/storage.py`; here are the loop and
the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from . import storage
from .building import BuildFailed, load_site_config, plugin_config, validate
from .loading import Problem
from .model import Artifact, Release


@dataclasses.dataclass
class Summary:
    uploaded: int = 0
    present: int = 0
    """Already in storage with the manifest's sha256 (or the storage is the source directory)."""
    bytes_uploaded: int = 0
    failures: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def report(self) -> str:
        return (
            f"uploaded {self.uploaded} ({_size(self.bytes_uploaded)}), already there {self.present}, "
            f"failed {self.failed}"
        )


def _size(count: int) -> str:
    """Bytes exactly, as checksums are compared; with a readable unit beside large numbers."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count} bytes, {count / scale:.1f} {unit}"
    return f"{count} bytes"


def default_source(config_file: Path) -> Path:
    """`releases/artifacts` next to mkdocs.yml: where the demo (and the local backend) keeps them."""
    return config_file.resolve().parent / "releases" / "artifacts"


def publish(config_file: Path, source_dir: Path | None = None, *, progress_to: TextIO | None = None) -> Summary:
    """Verify and upload every artifact; the summary lists every failure.

    `progress_to`: where a progress bar goes, if it is a terminal (default: stderr)."""
    extranet = validate(config_file, check_storage=False)  # they are not all there yet: that is the point
    config = load_site_config(config_file)
    root = config_file.resolve().parent
    try:
        target: storage.Publishable = storage.from_config(root, plugin_config(config).storage)
    except storage.LinkError as error:
        raise BuildFailed(f"mkdocs.yml: {error}") from None
    source_dir = (source_dir or default_source(config_file)).resolve()
    if not source_dir.is_dir():
        raise BuildFailed(f"{_shown(source_dir, root)}: no such directory (expected <version>/<file> in it)")
    entries = [
        (release, index, artifact) for release in extranet.releases for index, artifact in enumerate(release.artifacts)
    ]
    summary = Summary()
    with _progress_bar(sum(artifact.size for _, _, artifact in entries), progress_to or sys.stderr) as advance:
        for release, index, artifact in entries:
            source = extranet.sources[release.version]
            done = 0

            def moved(count: int) -> None:
                nonlocal done
                done += count
                advance(count)

            try:
                outcome = _publish_one(
                    target, release, artifact, source_dir / release.version / artifact.file, root, moved
                )
            except _Failure as failure:
                summary.failures.append(source.problem(("artifacts", index, failure.field), failure.message))
            else:
                if outcome:
                    summary.uploaded += 1
                    summary.bytes_uploaded += artifact.size
                else:
                    summary.present += 1
            advance(max(artifact.size - done, 0))
    return summary


class _Failure(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _publish_one(
    target: storage.Publishable,
    release: Release,
    artifact: Artifact,
    path: Path,
    root: Path,
    progress: storage.Progress,
) -> bool:
    """True if uploaded, False if already there; raises `_Failure` naming the manifest field at fault."""
    shown = _shown(path, root)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _Failure("file", f"source file not found: {shown}") from None
    except OSError as error:
        raise _Failure("file", f"cannot read {shown}: {error.strerror}") from None
    if size != artifact.size:
        raise _Failure("size", f"{shown} is {size} bytes, the manifest says {artifact.size}; nothing uploaded")
    try:
        actual = storage.file_sha256(path)
    except OSError as error:
        raise _Failure("file", f"cannot read {shown}: {error.strerror}") from None
    if actual != artifact.sha256:
        raise _Failure("sha256", f"{shown} has sha256 {actual}, the manifest says {artifact.sha256}; nothing uploaded")
    try:
        if target.holds(release, artifact, path):
            return False  # the storage is the source directory: verified, nothing to copy
        if target.stored_sha256(release, artifact) == artifact.sha256:
            return False
        target.upload(release, artifact, path, artifact.sha256, progress)
    except storage.StorageError as error:
        raise _Failure("file", f"upload failed: {error}") from None
    return True


def _shown(path: Path, root: Path) -> str:
    """Paths inside the project relative to it, as in every other message."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


@contextlib.contextmanager
def _progress_bar(total: int, stream: TextIO) -> Iterator[storage.Progress]:
    """tqdm's byte bar on a terminal; nothing at all in CI logs and pipes."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield lambda count: None
        return
    from tqdm import tqdm

    # position=0: the one bar of the command, on its own line, even if another tqdm bar of the process
    # (a library's, or one never closed) is still open: tqdm would otherwise draw it a line lower.
    with tqdm(
        total=total, unit="B", unit_scale=True, unit_divisor=1024, file=stream, desc="publish", leave=False, position=0
    ) as bar:
        yield bar.update


__all__ = ["Summary", "default_source", "publish"]
