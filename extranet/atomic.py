"""Replacing a file atomically: a reader, a server or a crash sees the old file or the whole new one.

One way for every file this product writes in place of another a person or a server relies on: an
artifact in local storage (a download served while it is replaced), `customers.yaml` after
`extranet user` (the maintainer's file), the manifest and guides `extranet release new` scaffolds.
The new content goes to a temporary file beside the target (same file system, so the rename is
atomic), is flushed to disk, given its permissions, optionally checked, and renamed over the
target; then the directory is flushed, so the rename itself survives a power cut. On any failure,
the temporary file is removed and the target is untouched.

Rejected: writing the target in place (a reader sees half a file), a fixed temporary name (two
writers at once overwrite each other's), and `mkstemp`'s 0600 left on the result (a web server
reading artifacts as another user would be refused). Switching the deploy's `current` symlink is
the same idea for a link (`deploying._switch`); the build's output directory is swapped whole
(`building._swap`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(
    target: Path,
    content: bytes | str | Iterable[bytes],
    *,
    permissions: int = 0o644,
    check: Callable[[Path], None] | None = None,
    suffix: str = ".tmp",
) -> None:
    """Replace `target` with `content`: bytes, text (written as UTF-8, its line ends as they are),
    or chunks of bytes (a large file, copied as it is read).

    `permissions` are the new file's mode. `check(temporary)` is called with the complete new file
    before it replaces the target; whatever it raises leaves the target untouched. `suffix` names
    the temporary file (`.<name>.<random><suffix>`), so that a leftover of a killed process is
    recognisable. OSError passes to the caller, who knows what the file is to the user."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(content, str):
                stream.write(content.encode("utf-8"))
            elif isinstance(content, bytes):
                stream.write(content)
            else:
                for chunk in content:
                    stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, permissions)
        if check is not None:
            check(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename) to disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
