"""Entitlements: which releases and artifacts a customer may download, and why not the rest.

A customer is entitled to an artifact when its module is licensed (the edition's modules plus any
bought separately), its platform is licensed, and the release came out while support was valid.
Releases before the contract started count as covered: they are the product the customer licensed.
A customer whose support has ended keeps everything released up to the end, and is shown what they
miss and why, so the page can say what renewing would bring.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence

from .model import Artifact, Customer, Release, Vendor


class Reason(enum.Enum):
    """Why an artifact is withheld; the page explains each in the reader's language."""

    SUPPORT_ENDED = "support_ended"
    MODULE_NOT_LICENSED = "module_not_licensed"
    PLATFORM_NOT_LICENSED = "platform_not_licensed"


@dataclasses.dataclass(frozen=True)
class Withheld:
    artifact: Artifact
    reasons: tuple[Reason, ...]


@dataclasses.dataclass(frozen=True)
class ReleaseEntitlement:
    release: Release
    covered: bool
    """Released while the customer's support was valid."""
    downloadable: tuple[Artifact, ...]
    withheld: tuple[Withheld, ...]


@dataclasses.dataclass(frozen=True)
class Entitlement:
    customer: Customer
    modules: tuple[str, ...]
    """Licensed modules, in the vendor's catalogue order."""
    platforms: tuple[str, ...]
    releases: tuple[ReleaseEntitlement, ...]
    """Every release, ascending."""

    @property
    def latest(self) -> Release | None:
        """The highest release the customer may upgrade to."""
        covered = [entry.release for entry in self.releases if entry.covered]
        return covered[-1] if covered else None

    @property
    def missed(self) -> tuple[Release, ...]:
        """Releases that came out after support ended."""
        return tuple(entry.release for entry in self.releases if not entry.covered)

    def of(self, release: Release) -> ReleaseEntitlement:
        for entry in self.releases:
            if entry.release is release:
                return entry
        raise KeyError(release.version)

    def may_download(self, release: Release, artifact: Artifact) -> bool:
        return artifact in self.of(release).downloadable


def support_active(customer: Customer, today: dt.date) -> bool:
    return customer.support_from <= today <= customer.support_until


def licensed_modules(vendor: Vendor, customer: Customer) -> tuple[str, ...]:
    edition = next(edition for edition in vendor.editions if edition.id == customer.edition)
    wanted = set(edition.modules) | set(customer.modules)
    return tuple(module.id for module in vendor.modules if module.id in wanted)


def entitlement(vendor: Vendor, customer: Customer, releases: Sequence[Release]) -> Entitlement:
    modules = licensed_modules(vendor, customer)
    platforms = tuple(platform.id for platform in vendor.platforms if platform.id in customer.platforms)
    entries = []
    for release in releases:
        covered = release.date <= customer.support_until
        downloadable, withheld = [], []
        for artifact in release.artifacts:
            reasons = tuple(reason for reason, applies in (
                (Reason.SUPPORT_ENDED, not covered),
                (Reason.MODULE_NOT_LICENSED, artifact.module not in modules),
                (Reason.PLATFORM_NOT_LICENSED, artifact.platform not in platforms),
            ) if applies)
            if reasons:
                withheld.append(Withheld(artifact, reasons))
            else:
                downloadable.append(artifact)
        entries.append(ReleaseEntitlement(release, covered, tuple(downloadable), tuple(withheld)))
    return Entitlement(customer, modules, platforms, tuple(entries))
