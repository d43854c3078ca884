"""Release cadence: what each year delivered against the plan's promise.

The seed promises at least two major and about six minor releases a year, and customers are told
they may wait for the feature they need; the timeline shows whether the vendor keeps its word.
"About six" is the plan's `minor_range` (5 to 7 unless the plan states another): fewer is a
missed promise, more is not "about six" either and is shown as such ("exceeded"). The earlier
"a quarter either way" (four or more) was rejected: it called four releases "about six".
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
    """The year's minor releases are within the promised range (see `Cadence.minor_range`)."""
    minor_low: int
    minor_high: int

    @property
    def status(self) -> str:
        """kept, missed, exceeded (more minor releases than promised) or running (the year is not over
        and the promise is not kept yet)."""
        if self.minor > self.minor_high:
            return "exceeded"
        if self.major_met and self.minor_met:
            return "kept"
        return "missed" if self.complete else "running"


def by_year(releases: Sequence[Release], promise: Cadence, today: dt.date) -> tuple[YearCadence, ...]:
    """One entry per calendar year from the first release to `today`'s year, empty years included."""
    if not releases:
        return ()
    low, high = promise.minor_range
    first = min(release.date.year for release in releases)
    last = max(today.year, max(release.date.year for release in releases))
    years = []
    for year in range(first, last + 1):
        kinds = [release.kind for release in releases if release.date.year == year and release.date <= today]
        major, minor = kinds.count("major"), kinds.count("minor")
        complete = dt.date(year, 12, 31) < today
        years.append(
            YearCadence(
                year=year,
                major=major,
                minor=minor,
                patch=kinds.count("patch"),
                complete=complete,
                major_met=major >= promise.major_at_least,
                minor_met=low <= minor <= high,
                minor_low=low,
                minor_high=high,
            )
        )
    return tuple(years)
