"""The process environment a build changes, and gives back when it ends.

MkDocs reads `SOURCE_DATE_EPOCH` for the dates it writes (the sitemap's `lastmod`, the gzip header
of `sitemap.xml.gz`); the plugin sets it to the build's instant, so that the same inputs and `now`
give byte-identical files. A process that builds more than once (`mkdocs serve`, the tests, a
program importing `extranet`) must find its environment as it was after each build: a later build
without `now`, or anything else the process runs, would otherwise inherit a stale instant.

Rejected: setting it and leaving it (the earlier way: it leaked into the rest of the process), and
passing the instant to MkDocs some other way (MkDocs reads only the environment).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator

__all__ = ["environment_variable", "source_date_epoch"]


@contextlib.contextmanager
def environment_variable(name: str, value: str) -> Iterator[None]:
    """`os.environ[name] = value` inside the block; after it, the previous value, or none if it was unset."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def source_date_epoch(now: dt.datetime) -> contextlib.AbstractContextManager[None]:
    """The dates MkDocs writes follow `now` inside the block (whole seconds since the epoch)."""
    return environment_variable("SOURCE_DATE_EPOCH", str(int(now.timestamp())))
