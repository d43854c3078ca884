"""Entitlements: which releases and artifacts a customer may download, and why not the rest.

A customer is entitled to an artifact when its module is licensed (the edition's modules plus any
bought separately), its platform is licensed, and the release is covered by its support:

- support **active** (`support_from` <= today <= `support_until`): every release dated up to
  `support_until`, including those released before `support_from` (they are the product the
  customer licensed, and the terms let any version upgrade to any higher one);
- support **ended** (today > `support_until`): the same releases, dated up to `support_until`, stay
  downloadable; later ones are withheld (`SUPPORT_ENDED`), and the page says what renewing brings;
- support **not started** (today < `support_from`): nothing yet (`SUPPORT_NOT_STARTED`), not even
  releases published before the start: downloads come with support, from its first day.

The state is decided here once (`support_state`); pages only show it.
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
    SUPPORT_NOT_STARTED = "support_not_started"
    MODULE_NOT_LICENSED = "module_not_licensed"
    PLATFORM_NOT_LICENSED = "platform_not_licensed"


class SupportState(enum.Enum):
    ACTIVE = "active"
    ENDED = "ended"
    NOT_STARTED = "not_started"


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
    state: SupportState = SupportState.ACTIVE
    """The customer's support on the day the entitlement was decided."""

    @property
    def latest(self) -> Release | None:
        """The highest release the customer may upgrade to."""
        covered = [entry.release for entry in self.releases if entry.covered]
        return covered[-1] if covered else None

    @property
    def missed(self) -> tuple[Release, ...]:
        """Releases that came out after support ended."""
        return tuple(entry.release for entry in self.releases if entry.release.date > self.customer.support_until)

    @property
    def kept(self) -> tuple[Release, ...]:
        """Releases the customer may still download after support ended (dated up to its end)."""
        if self.state is SupportState.NOT_STARTED:
            return ()
        return tuple(entry.release for entry in self.releases if entry.covered)

    def of(self, release: Release) -> ReleaseEntitlement:
        for entry in self.releases:
            if entry.release is release:
                return entry
        raise KeyError(release.version)

    def may_download(self, release: Release, artifact: Artifact) -> bool:
        return artifact in self.of(release).downloadable


def support_active(customer: Customer, today: dt.date) -> bool:
    return customer.support_from <= today <= customer.support_until


def support_state(customer: Customer, today: dt.date) -> SupportState:
    if today < customer.support_from:
        return SupportState.NOT_STARTED
    if today > customer.support_until:
        return SupportState.ENDED
    return SupportState.ACTIVE


def licensed_modules(vendor: Vendor, customer: Customer) -> tuple[str, ...]:
    edition = next(edition for edition in vendor.editions if edition.id == customer.edition)
    wanted = set(edition.modules) | set(customer.modules)
    return tuple(module.id for module in vendor.modules if module.id in wanted)


def entitlement(
    vendor: Vendor, customer: Customer, releases: Sequence[Release], today: dt.date | None = None
) -> Entitlement:
    """What `customer` may download on `today` (None: as if support had started, for questions that
    do not depend on the day, such as which modules are licensed)."""
    modules = licensed_modules(vendor, customer)
    platforms = tuple(platform.id for platform in vendor.platforms if platform.id in customer.platforms)
    state = SupportState.ACTIVE if today is None else support_state(customer, today)
    entries = []
    for release in releases:
        ended = release.date > customer.support_until
        not_started = state is SupportState.NOT_STARTED
        covered = not ended and not not_started
        downloadable, withheld = [], []
        for artifact in release.artifacts:
            reasons = tuple(
                reason
                for reason, applies in (
                    (Reason.SUPPORT_NOT_STARTED, not_started),
                    (Reason.SUPPORT_ENDED, ended and not not_started),
                    (Reason.MODULE_NOT_LICENSED, artifact.module not in modules),
                    (Reason.PLATFORM_NOT_LICENSED, artifact.platform not in platforms),
                )
                if applies
            )
            if reasons:
                withheld.append(Withheld(artifact, reasons))
            else:
                downloadable.append(artifact)
        entries.append(ReleaseEntitlement(release, covered, tuple(downloadable), tuple(withheld)))
    return Entitlement(customer, modules, platforms, tuple(entries), state)
