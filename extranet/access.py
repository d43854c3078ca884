"""Access: who may read which page. The one place that decides it; server files only express it.

`areas` decides the rules of a site (written to `access.json`), `table` compiles them into the one
ordered table that nginx, Apache and Caddy render as it is, `UNLISTED` is the rule of every other path.

Four audiences: public (anyone), customers (any customer's users), one customer (that customer's
users), staff (vendor staff read everything). A user of a revoked customer is no principal at all,
so the next deploy shuts them out everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from .exceptions import ExtranetError
from .feeds import FILE_NAME as FEED_FILE

if TYPE_CHECKING:  # loading checks content pages with `page_audience`; it must not import us back
    from .loading import Extranet

PUBLIC, CUSTOMERS, CUSTOMER, STAFF = "public", "customers", "customer", "staff"
AUDIENCES = (PUBLIC, CUSTOMERS, CUSTOMER, STAFF)
"""From the widest to the narrowest: each reads less than the one before."""


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
        return path == self.path or ((self.path.endswith("/") or self.path == "") and path == self.path + "index.html")


def principals(extranet: Extranet) -> tuple[Principal, ...]:
    """Everyone who may log in, staff first, in file order; revoked customers' users are absent."""
    staff = [Principal(user.login, user.name, user.password_hash, None) for user in extranet.vendor.staff]
    users = [
        Principal(user.login, user.name, user.password_hash, customer.id)
        for customer in extranet.customers
        if customer.access == "active"
        for user in customer.users
    ]
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


PUBLIC_FILES = (
    ("assets/", True),
    ("404.html", False),
    ("sitemap.xml", False),
    ("sitemap.xml.gz", False),
    ("robots.txt", False),
)
"""Files of the theme and the site that carry nothing of any customer, so a page view costs one
authentication, not one per stylesheet and script."""


PRODUCT_PATHS = ("login/", "logout/", "downloads/", "search/")
"""Paths the servers and the theme answer themselves (sign-in, signed downloads, the search index)."""


class AudienceError(ExtranetError, ValueError):
    """A content page whose place and front matter disagree; the message says what to change."""


def page_audience(path: str, declared: object, customers: Collection[str] | None) -> tuple[str, str | None]:
    """Who may read a content page: (audience, customer id or None).

    `path` is the page's source path under its language folder (`customers/acme/notes.md`),
    `declared` its front matter `audience` (None when not given), `customers` the known customer
    ids (None: unknown, customers.yaml did not load). The one decision for `extranet validate` and
    the plugin, so `extranet build` and `mkdocs build` cannot disagree.

    The place decides first: under `customers/<id>/` that customer (and staff), under `staff/`
    staff. Front matter may only narrow that (public < customers < customer < staff), never widen
    it. Elsewhere the default is any customer and front matter chooses, `audience: public` being
    how a maintainer publishes a page; `customer` needs the id, which only the folder gives.
    Rejected: the front matter alone deciding (a page in a customer's folder marked public was
    served to anyone by nginx and listed in the public sitemap).
    """
    if declared is not None and declared not in AUDIENCES:
        raise AudienceError(f"'{declared}' is not one of {', '.join(AUDIENCES)}")
    parts = path.split("/")
    if parts[0] == "customers":
        if len(parts) < 3:
            raise AudienceError("a page under customers/ belongs in its customer's folder: customers/<id>/…")
        customer = parts[1]
        if customers is not None and customer not in customers:
            raise AudienceError(
                f"'{customer}' is not a customer in customers.yaml "
                f"(a page under customers/<id>/ is for that customer only)"
            )
        floor, reader = CUSTOMER, f"customer '{customer}'"
    elif parts[0] == "staff":
        floor, customer, reader = STAFF, None, "staff"
    else:
        if declared == CUSTOMER:
            raise AudienceError("'customer' needs the customer's folder: put the page under customers/<id>/")
        return (str(declared) if declared is not None else CUSTOMERS), None
    if declared is None or declared == floor:
        return floor, customer
    if AUDIENCES.index(str(declared)) < AUDIENCES.index(floor):
        raise AudienceError(
            f"'{declared}' would widen who reads a page under {parts[0]}/"
            f"{f'{customer}/' if floor == CUSTOMER else ''} (for {reader} only): front matter "
            f"may narrow an audience, never widen it"
        )
    return STAFF, None


def refused_place(path: str, plans: Iterable[str] = ()) -> str | None:
    """Why a content page may not lie at `path` (under its language folder), or None.

    Theme files (`assets/`, and whatever `PUBLIC_FILES` makes public) are served to anyone without a
    login, and the extranet's own paths (sign-in, downloads, search, the feeds, each plan's support
    calendars) are answered by the servers or generated: a page there would be public by accident
    or would shadow them."""
    url = path.removesuffix(".md")
    url = url.removesuffix("index") if url == "index" or url.endswith("/index") else url + "/"
    for public, prefix in PUBLIC_FILES:
        if url.startswith(public) if prefix else url.rstrip("/") == public:
            return f"{public} is served to anyone without a login (theme files); a page there would be public"
    owned = (*PRODUCT_PATHS, *(f"support/{plan}/" for plan in plans))
    reserved = next((place for place in owned if url.startswith(place)), None)
    if reserved is None and url.endswith(f"/{FEED_FILE}/"):
        reserved = FEED_FILE
    if reserved is not None:
        return (
            f"{reserved} belongs to the extranet itself (sign-in, downloads, search, feeds, support "
            f"calendars); put the page elsewhere"
        )
    return None


@dataclasses.dataclass(frozen=True)
class Page:
    url: str
    """Directory URL relative to the site root, e.g. `customers/acme/` (the home page is ``)."""
    audience: str
    customer: str | None = None


class ConflictingAreas(ExtranetError, ValueError):
    """Access rules that servers would read differently; the message names the page to move."""


def areas(pages: Iterable[Page], public_files: Iterable[str] = ()) -> tuple[Area, ...]:
    """The access rules of a site, most specific first; anything unlisted is for customers.

    Public pages are listed exactly; a customer's or staff page protects its whole directory.
    Defaulting to `customers` means a page nobody classified is never public by accident.

    Every server must pick the same rule for a path. The servers render `table(areas)`, where an
    exact row comes before any prefix and, among prefixes, the longest wins (nginx's own order);
    `area_of` takes the first rule of this list. So the private prefixes come longest first, and a
    public path inside a private prefix is refused here (the two orders would disagree on it: public
    by the table, private by this list). Rejected: letting the order of the list decide and hoping
    each server's configuration keeps it; that is how a page marked public inside a customer's
    folder became public on nginx alone.
    """
    pages = list(pages)
    exact = sorted({Area(page.url, PUBLIC) for page in pages if page.audience == PUBLIC}, key=lambda a: a.path)
    private = {
        Area(page.url, page.audience, page.customer, prefix=True)
        for page in pages
        if page.audience in (CUSTOMER, STAFF)
    }
    # Above customers' directories only staff read, so guessing another id answers as a real one does.
    parents = {Area(_customers_dir(area), STAFF, prefix=True) for area in private if area.audience == CUSTOMER}
    protected = sorted(
        private | {parent for parent in parents if parent.path not in {a.path for a in private}},
        key=lambda a: (-len(a.path), a.path),
    )
    files = tuple(Area(path, PUBLIC, prefix=prefix) for path, prefix in PUBLIC_FILES) + tuple(
        Area(path, PUBLIC) for path in public_files
    )
    for public in (*exact, *files):
        inside = next((area for area in protected if public.path.startswith(area.path)), None)
        if inside is not None:
            reader = f"customer {inside.customer}" if inside.audience == CUSTOMER else inside.audience
            raise ConflictingAreas(
                f"/{public.path} is public but lies inside /{inside.path}, which is for {reader}: servers would "
                f"disagree on who reads it; move the page out of /{inside.path} or drop its `audience: public`"
            )
    return (*protected, *exact, *files)


def _customers_dir(area: Area) -> str:
    """`customers/` above `customers/acme/` (or `customers/acme/notes/`, a maintainer's page)."""
    mark = f"customers/{area.customer}/"
    if mark in area.path:
        return area.path[: area.path.rindex(mark) + len("customers/")]
    return area.path.rstrip("/").rsplit("/", 1)[0] + "/"


UNLISTED = Area("", CUSTOMERS, prefix=True)
"""The rule of every path no area lists: any customer's users (and staff). The one place it is
said; `area_of` falls back to it and `table` ends with it, so no server template repeats it."""


def area_of(path: str, rules: Iterable[Area]) -> Area:
    """The rule for a site-relative file path (`customers/acme/index.html`) or directory URL."""
    for area in rules:
        if area.matches(path):
            return area
    return UNLISTED


@dataclasses.dataclass(frozen=True)
class Rule:
    """One row of `Table`: a URL path (relative to the base path) matched exactly or as a prefix."""

    path: str
    exact: bool
    audience: str
    customer: str | None = None

    def matches(self, path: str) -> bool:
        return path == self.path if self.exact else path.startswith(self.path)


SERVER_ANSWERED = ("login/", "logout/")
"""Exact paths each server answers with its own handler (sign-in, sign-out), never with a rule:
a row for them would collide with that handler (nginx refuses two `location =` of one path)."""


@dataclasses.dataclass(frozen=True)
class Table:
    """The access rules of a site compiled once for the servers: what nginx, Apache and Caddy render.

    Semantics, which each server expresses literally: the `exact` rows come first (sorted by
    path), then the prefix rows from the longest path to the shortest, then `default` (the prefix
    `""`, `UNLISTED`). The first row that matches a path decides. nginx writes the rows as
    `location =` and `location ^~` blocks in this order (it picks exactly that row: an exact match
    first, else the longest `^~` prefix); Apache and Caddy, where the last matching section or
    `vars` wins, write `default` first and then the rows from the last to the first.

    A directory page matched exactly (`""`, `customers/`) is two exact rows, the directory URL and its
    `index.html`, so no server needs a pattern of its own for "the directory or its index".
    Rejected: rendering `areas` in each template (nginx sorted them by `=`/`^~`, Apache and Caddy by
    list order, and the default lived in four places), and regular expressions for every row (nginx
    would then try them in file order, another order to keep in step).
    """

    rows: tuple[Rule, ...]
    default: Rule

    def rule_for(self, path: str) -> Rule:
        """The row a server picks for a site-relative path: the same decision as `area_of`."""
        return next((row for row in self.rows if row.matches(path)), self.default)


def table(rules: Iterable[Area]) -> Table:
    """`rules` (as `areas` returns them, or as read back from `access.json`) as a `Table`."""
    rows: set[Rule] = set()
    for area in rules:
        if area.prefix:
            rows.add(Rule(area.path, False, area.audience, area.customer))
            continue
        paths = [area.path, area.path + "index.html"] if area.path == "" or area.path.endswith("/") else [area.path]
        rows.update(Rule(path, True, area.audience, area.customer) for path in paths if path not in SERVER_ANSWERED)
    ordered = sorted(rows, key=lambda row: (not row.exact, -len(row.path) if not row.exact else 0, row.path))
    default = Rule(UNLISTED.path, False, UNLISTED.audience, UNLISTED.customer)
    return Table(tuple(ordered), default)


def served_as(path: str, audience: str, customer: str | None, rules: Iterable[Area]) -> str | None:
    """None when the rules serve a generated file (a feed) to exactly `audience` (and `customer`);
    otherwise what is wrong. A file that is not a page, like a customer's feed, is protected by the
    area it lies in: the build checks that this is the one intended, so a moved file fails the
    build instead of reaching the wrong readers."""
    area = area_of(path, rules)
    if (area.audience, area.customer) == (audience, customer):
        return None
    return (
        f"{path} would be served to {area.audience}{' ' + area.customer if area.customer else ''}, "
        f"not to {audience}{' ' + customer if customer else ''}"
    )
