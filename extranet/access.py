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
    prefix: bool = False
    """True: everything under `path`; False: exactly this file or directory index."""

    def matches(self, path: str) -> bool:
        if self.prefix:
            return path.startswith(self.path)
        return path == self.path or (self.path.endswith("/") or self.path == "") and path == self.path + "index.html"


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


PUBLIC_FILES = (("assets/", True), ("404.html", False), ("sitemap.xml", False), ("sitemap.xml.gz", False),
                ("robots.txt", False))
"""Files of the theme and the site that carry nothing of any customer, so a page view costs one
authentication, not one per stylesheet and script."""


@dataclasses.dataclass(frozen=True)
class Page:
    url: str
    """Directory URL relative to the site root, e.g. `customers/acme/` (the home page is ``)."""
    audience: str
    customer: str | None = None


def areas(pages: Iterable[Page], public_files: Iterable[str] = ()) -> tuple[Area, ...]:
    """The access rules of a site, most specific first; anything unlisted is for customers.

    Public pages are listed exactly; a customer's or staff page protects its whole directory.
    Defaulting to `customers` means a page nobody classified is never public by accident.
    """
    exact = sorted({Area(page.url, PUBLIC) for page in pages if page.audience == PUBLIC}, key=lambda a: a.path)
    private = sorted({Area(page.url, page.audience, page.customer, prefix=True) for page in pages
                      if page.audience in (CUSTOMER, STAFF)}, key=lambda a: a.path)
    # Above customers' directories only staff read, so guessing another id answers as a real one does.
    parents = sorted({Area(area.path.rstrip("/").rsplit("/", 1)[0] + "/", STAFF, prefix=True)
                      for area in private if area.audience == CUSTOMER}, key=lambda a: a.path)
    files = tuple(Area(path, PUBLIC, prefix=prefix) for path, prefix in PUBLIC_FILES) + tuple(
        Area(path, PUBLIC) for path in public_files)
    return (*private, *parents, *exact, *files)


def area_of(path: str, rules: Iterable[Area]) -> Area:
    """The rule for a site-relative file path (`customers/acme/index.html`) or directory URL."""
    for area in rules:
        if area.matches(path):
            return area
    return Area("", CUSTOMERS, prefix=True)


def served_as(path: str, audience: str, customer: str | None, rules: Iterable[Area]) -> str | None:
    """None when the rules serve a generated file (a feed) to exactly `audience` (and `customer`);
    otherwise what is wrong. A file that is not a page, like a customer's feed, is protected by the
    area it lies in: the build checks that this is the one intended, so a moved file fails the
    build instead of reaching the wrong readers."""
    area = area_of(path, rules)
    if (area.audience, area.customer) == (audience, customer):
        return None
    return (f"{path} would be served to {area.audience}{' ' + area.customer if area.customer else ''}, "
            f"not to {audience}{' ' + customer if customer else ''}")
