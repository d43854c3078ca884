"""Versions and upgrade paths: which releases an upgrade installs, and what it asks of the customer.

The seed vendor lets any version upgrade directly to any higher one; other vendors mark releases as
required stops. Upgrade notes apply to every release an upgrade passes over, installed or not,
because a skipped release's manual steps (a new runtime, a schema change) still have to be done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .exceptions import ExtranetError
from .model import Release, Text, version_key


class UpgradeError(ExtranetError, ValueError):
    """An upgrade that cannot be planned, with a message for the person who asked."""


@dataclasses.dataclass(frozen=True)
class UpgradePath:
    """An upgrade from `source` to `target`."""

    source: Release
    target: Release
    steps: tuple[Release, ...]
    """The releases to install, in order, ending with the target."""
    passed: tuple[Release, ...]
    """Every release above the source up to the target, in order: the upgrade passes through them."""

    @property
    def notes(self) -> tuple[tuple[Release, Text], ...]:
        """The cumulative upgrade notes, in the order the releases came out."""
        return tuple((release, note) for release in self.passed for note in release.upgrade_notes)

    def guides(self, guides: Mapping[str, str]) -> tuple[Release, ...]:
        """The passed releases that have an upgrade guide, in order."""
        return tuple(release for release in self.passed if release.version in guides)


def find(releases: Sequence[Release], version: str) -> Release:
    key = version_key(version)
    for release in releases:
        if version_key(release.version) == key:
            return release
    known = ", ".join(release.version for release in releases[-5:])
    raise UpgradeError(f"unknown version '{version}' (the latest are {known})")


def newer(releases: Sequence[Release], version: str) -> tuple[Release, ...]:
    """Releases above `version`, ascending; `releases` must be ascending (as `Extranet.releases` is)."""
    key = version_key(version)
    return tuple(release for release in releases if version_key(release.version) > key)


def upgrade_path(releases: Sequence[Release], source: str, target: str) -> UpgradePath:
    """Plan the upgrade from `source` to the higher `target`, stopping at every required stop between."""
    start, end = find(releases, source), find(releases, target)
    if version_key(end.version) == version_key(start.version):
        raise UpgradeError(f"{start.version} is already installed: nothing to upgrade")
    if version_key(end.version) < version_key(start.version):
        raise UpgradeError(f"{end.version} is lower than {start.version}: downgrades are not supported")
    passed = tuple(
        release
        for release in newer(releases, start.version)
        if version_key(release.version) <= version_key(end.version)
    )
    steps = (*(release for release in passed if release.required_stop and release is not end), end)
    return UpgradePath(source=start, target=end, steps=steps, passed=passed)
