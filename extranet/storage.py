"""Storage backends: where artifacts live and how a page gets a link to one.

Pages never build download URLs themselves; they ask the configured backend. The local backend
keeps artifacts in a directory outside the web root, which the web server maps under `downloads/`;
signed and expiring links (and the object-storage backends) plug in behind the same two methods.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Protocol

from .model import Artifact, Release


@dataclasses.dataclass(frozen=True)
class Link:
    url: str
    """Absolute (scheme and host) or relative to the site root (no leading slash)."""
    expires: dt.datetime | None = None


class Storage(Protocol):
    def exists(self, release: Release, artifact: Artifact) -> bool: ...

    def link(self, release: Release, artifact: Artifact, now: dt.datetime) -> Link: ...


def object_key(release: Release, artifact: Artifact) -> str:
    """One layout for every backend: `<version>/<file>`."""
    return f"{release.version}/{artifact.file}"


@dataclasses.dataclass(frozen=True)
class LocalStorage:
    """Artifacts in a directory on the web server's disk, served under `downloads/`."""

    root: Path
    prefix: str = "downloads/"

    def path(self, release: Release, artifact: Artifact) -> Path:
        return self.root / object_key(release, artifact)

    def exists(self, release: Release, artifact: Artifact) -> bool:
        return self.path(release, artifact).is_file()

    def link(self, release: Release, artifact: Artifact, now: dt.datetime) -> Link:
        return Link(self.prefix + object_key(release, artifact))


def from_config(root: Path, options) -> Storage:  # noqa: ANN001 (the plugin's StorageConfig)
    """The backend `mkdocs.yml` configures, with paths relative to `root` (the config's folder)."""
    if options.backend == "local":
        return LocalStorage(root / options.root)
    raise ValueError(f"unknown storage backend '{options.backend}'")
