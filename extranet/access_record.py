"""The build's record of its access rules: `server/access.json`, written once per build, read by
every command that acts on a build without rebuilding it.

`extranet serve` serves the rules the build was made with, `extranet deploy --s3` refuses to put
files that are not public into a bucket, and `extranet deploy` checks the build was made for the
deploy root it is going to. They read the rules the build decided rather than deciding again from
the YAML, which may have changed since. One writer and one reader here, so that the file's format
is known in one place. Rejected: each command parsing the JSON itself (three readers had grown,
each with its own idea of a missing file).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .access import Area

__all__ = ["NAME", "AccessRecord", "NoBuild", "read", "write"]

NAME = "access.json"
"""The record's name in the build's `server/` directory."""


class NoBuild(ValueError):
    """The directory holds no build: it has no `server/access.json`."""


@dataclasses.dataclass(frozen=True)
class AccessRecord:
    areas: tuple[Area, ...]
    """The access rules, in the order `access.areas` decided them."""
    base: str = "/"
    """The path of `site_url` the site is served under (a build before it was recorded: `/`)."""
    root: str | None = None
    """The deploy root (`server.root`) the server files name; None in a build made before it was recorded."""


def write(server_dir: Path, record: AccessRecord) -> Path:
    """Write the record into the build's `server/` directory; returns its path."""
    path = server_dir / NAME
    path.write_text(
        json.dumps(
            {"root": record.root, "base": record.base, "areas": [dataclasses.asdict(area) for area in record.areas]},
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def read(output: Path) -> AccessRecord:
    """The record of the build in `output` (the directory holding `site/` and `server/`).

    Raises NoBuild when there is none."""
    try:
        recorded = json.loads((output / "server" / NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoBuild(f"{output} holds no build (no server/{NAME}); run `extranet build`") from None
    return AccessRecord(
        areas=tuple(Area(**area) for area in recorded["areas"]),
        base=recorded.get("base", "/"),
        root=recorded.get("root"),
    )
