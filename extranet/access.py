"""Access: who may read which page. The one place that decides it; server files only express it.

Four audiences: public (anyone), customers (any customer's users), one customer (that customer's
users), staff (vendor staff read everything). A user of a revoked customer is no principal at all,
so the next deploy shuts them out everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .loading import Extranet

PUBLIC, CUSTOMERS, CUSTOMER, STAFF = "public", "customers", "customer", "staff"
AUDIENCES = (PUBLIC, CUSTOMERS, CUSTOMER, STAFF)


@dataclasses.dataclass(frozen=True)
class Principal:
    """Someone who can log in."""

    login: str
    name: str
    password_hash: str
    customer: str | None
    """The customer the user belongs to; None for vendor staff."""

    @property
    def staff(self) -> bool:
        return self.customer is None


@dataclasses.dataclass(frozen=True)
class Area:
    """A URL path (relative to the site root, `/`-separated) and who may read it."""

    path: str
    audience: str
    customer: str | None = None


def principals(extranet: Extranet) -> tuple[Principal, ...]:
    """Everyone who may log in, staff first, in file order; revoked customers' users are absent."""
    staff = [Principal(user.login, user.name, user.password_hash, None) for user in extranet.vendor.staff]
    users = [Principal(user.login, user.name, user.password_hash, customer.id)
             for customer in extranet.customers if customer.access == "active" for user in customer.users]
    return (*staff, *users)


def allowed(principal: Principal | None, area: Area) -> bool:
    """May this principal (None: an anonymous visitor) read this area?"""
    if area.audience == PUBLIC:
        return True
    if principal is None:
        return False
    if principal.staff:
        return True
    if area.audience == CUSTOMERS:
        return True
    if area.audience == CUSTOMER:
        return principal.customer == area.customer
    return False


def readers(principals_: Iterable[Principal], area: Area) -> tuple[Principal, ...]:
    return tuple(principal for principal in principals_ if allowed(principal, area))
