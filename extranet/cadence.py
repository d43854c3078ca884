"""Release cadence: what each year delivered against the plan's promise.

The seed promises at least two major and about six minor releases a year, and customers are told
they may wait for the feature they need; the timeline shows whether the vendor keeps its word.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from .model import Cadence, Release


@dataclasses.dataclass(frozen=True)
class YearCadence:
    year: int
    major: int
    minor: int
    patch: int
    complete: bool
    """The year is over, so a shortfall is final."""
    major_met: bool
    minor_met: bool
    """'About N' holds within a quarter of N (at least one release either way)."""


def minor_tolerance(promise: Cadence) -> int:
    return max(1, round(promise.minor_about / 4))


def by_year(releases: Sequence[Release], promise: Cadence, today: dt.date) -> tuple[YearCadence, ...]:
    """One entry per calendar year from the first release to `today`'s year, empty years included."""
    if not releases:
        return ()
    first = min(release.date.year for release in releases)
    last = max(today.year, max(release.date.year for release in releases))
    years = []
    for year in range(first, last + 1):
        kinds = [release.kind for release in releases if release.date.year == year and release.date <= today]
        major, minor = kinds.count("major"), kinds.count("minor")
        complete = dt.date(year, 12, 31) < today
        years.append(YearCadence(
            year=year, major=major, minor=minor, patch=kinds.count("patch"), complete=complete,
            major_met=major >= promise.major_at_least,
            minor_met=minor >= promise.minor_about - minor_tolerance(promise),
        ))
    return tuple(years)
