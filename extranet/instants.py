"""Parsing the instant a build, a link or a deadline is computed at (`--now`, `now:` in mkdocs.yml).

One parser and one wording for the command line and the configuration, which each wrap its error
in their own kind (argparse's, MkDocs' `ValidationError`). An instant needs a UTC offset: a build
is reproducible only at a stated moment, and a local time without its offset names a different
moment on each machine. Rejected: guessing the machine's zone, or UTC, for a naive time.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["parse_instant"]

EXAMPLE = "2026-11-23T12:00:00+01:00"


def parse_instant(value: str | dt.datetime) -> dt.datetime:
    """`value` (ISO-8601 text, or a datetime YAML already read) as an aware datetime.

    Raises ValueError with the message for the user: not an instant, or no UTC offset."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO-8601 instant, e.g. {EXAMPLE}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'{value}' has no UTC offset (add e.g. +01:00 or Z)")
    return parsed
