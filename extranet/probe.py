"""`extranet probe`: the access matrix, run against a live site over HTTP.

The tests prove the access rules on nginx, Apache and Caddy started here, and on an emulation of
the CDN target; what a real deploy does (a host's own configuration, CloudFront's edge runtime, its
WAF, Origin Access Control) can only be shown where it runs. This command is that proof after a
deploy: every file of the build's web root, asked for by an anonymous visitor and by each login of
a credentials file, against the live URL; each answer compared with what `extranet.access`
decides. It decides nothing itself: the expected outcome is `access.allowed(principal,
access.area_of(path, areas))`, with the areas the build recorded (`server/access.json`) and the
principals of the project's data (`access.principals`), so a login removed from customers.yaml, or
one of a revoked customer, must open nothing but public files.

An answer is read as the access tests read it (tests/test_access.py): 200 allowed; 401, 403, or a
302 to the login page denied; anything else unexpected, which is a mismatch too. Redirects are not
followed: a 302 to the login page is the refusal, and following it would see the login page's 200.
Requests carry no `Accept: text/html`, as a script's do, so no server answers a refused request
with its login page under the protected URL.

A login logs in as the login page's script does (GET `login/` with HTTP Basic and
`X-Requested-With`) and keeps the cookies it is given; if none come, HTTP Basic goes with every
request instead (what `curl -u` does). A login answered 429 (the server's or WAF's login limit)
is retried after `Retry-After` or a pause, a few times: a probe must not itself be what the limit
stops. Passwords go into request headers only: nothing this module prints or raises holds one.

Rejected: reusing tests/servers.py (the tests are not part of the package, and they know the demo);
`requests` or `httpx` (a dependency for what `http.client` does in a few lines); following the
redirect to the login page and reading its text (language- and theme-dependent, where the status
and `Location` are what every target shares).
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import http.client
import ssl
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import yaml

from . import access
from .exceptions import ExtranetError, UsageError

__all__ = [
    "Account",
    "Address",
    "BadCredentials",
    "Client",
    "Mismatch",
    "ProbeFailed",
    "Result",
    "Visitor",
    "expected",
    "log_in",
    "outcome",
    "read_credentials",
    "report",
    "run",
    "site_address",
    "web_root_files",
]

TIMEOUT = 30.0
"""Seconds for one connection or answer: a live site across the world, not a loopback server."""
LOGIN_ATTEMPTS = 8
"""How often one login is tried while it is answered 429."""
LOGIN_PAUSE = 7.0
"""Seconds to wait after a 429 without `Retry-After` (nginx's limit here: 10 per minute per address)."""
LONGEST_PAUSE = 60.0
USER_AGENT = "extranet-probe"
ANONYMOUS = "anonymous"


class BadCredentials(ExtranetError):
    """The credentials file is not a list of {login, password, customer}; the message says where.
    It never quotes the file: a line of it may hold a password."""


@dataclasses.dataclass(frozen=True)
class Account:
    """A login of the credentials file."""

    login: str
    password: str = dataclasses.field(repr=False)
    customer: str | None
    """What the file says; the project's data decides (`access.principals`)."""


def read_credentials(path: Path) -> tuple[Account, ...]:
    """The accounts of a file shaped like tests/fixtures/demo-credentials.yaml.

    A missing file is a usage error (the option names a file that is not there); a file that is
    not a list of {login, password, customer} raises `BadCredentials` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--credentials {path}: no such file") from None
    except UnicodeDecodeError:
        raise BadCredentials("not UTF-8 text", file=str(path)) from None
    except OSError as error:
        raise UsageError(f"--credentials {path}: cannot be read ({error.strerror})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:  # its str() quotes the line: it may hold a password
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise BadCredentials(f"not valid YAML: {error.problem or error.context}", file=str(path), line=line) from None
    shape = "expected a list of {login, password, customer} (customer: null for staff)"
    if root is None:
        return ()
    if not isinstance(root, yaml.SequenceNode):
        raise BadCredentials(shape, file=str(path), line=root.start_mark.line + 1)
    accounts: list[Account] = []
    seen: set[str] = set()
    for item in root.value:
        line = item.start_mark.line + 1

        def fail(message: str, line: int = line) -> BadCredentials:
            return BadCredentials(message, file=str(path), line=line)

        if not isinstance(item, yaml.MappingNode):
            raise fail(shape)
        fields: dict[str, yaml.Node] = {}
        for key, value in item.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in ("login", "password", "customer"):
                raise fail(f"unknown key {name!r}: {shape}" if isinstance(name, str) else shape)
            fields[name] = value
        missing = [name for name in ("login", "password", "customer") if name not in fields]
        if missing:
            raise fail(f"no {', '.join(missing)}: {shape}")
        login = _text(fields["login"])
        if not login:
            raise fail("login: expected a login name (a string)", fields["login"].start_mark.line + 1)
        if login in seen:
            raise fail(f"login {login!r} is listed twice", fields["login"].start_mark.line + 1)
        password = _text(fields["password"])
        if not password:
            raise fail(f"{login}: password: expected a string (quote it)", fields["password"].start_mark.line + 1)
        customer_node = fields["customer"]
        customer = None if customer_node.tag == "tag:yaml.org,2002:null" else _text(customer_node)
        if customer_node.tag != "tag:yaml.org,2002:null" and not customer:
            raise fail(
                f"{login}: customer: expected a customer's id, or null for staff", customer_node.start_mark.line + 1
            )
        seen.add(login)
        accounts.append(Account(login, password, customer))
    return tuple(accounts)


def _text(node: yaml.Node) -> str | None:
    """The string a scalar holds; None for anything else (a number, a list, an empty value)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str" and node.value:
        return str(node.value)
    return None


@dataclasses.dataclass(frozen=True)
class Address:
    """The live site: where to connect and the path it is served under."""

    scheme: str
    host: str
    port: int | None
    base: str

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}{self.base}"


def site_address(url: str, base: str) -> Address:
    """`url` checked against the build's base path (`UsageError` says what is wrong; never echoes a
    URL that holds a password)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise UsageError("URL: give no user or password in it (user:password@host): they go in --credentials FILE")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"URL: expected http:// or https:// and a host, e.g. https://www.example.com{base} (got {url!r})"
        )
    if parts.query or parts.fragment:
        raise UsageError(f"URL: expected the site's address without ?query or #fragment (got {url!r})")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"URL: the port is not a number from 0 to 65535 (got {url!r})") from None
    path = parts.path or "/"
    if path != base and path + "/" != base:
        raise UsageError(
            f"URL: the build serves the site under {base} (the path of its site_url), not {path}: "
            f"give the site's address, e.g. {parts.scheme}://{parts.netloc}{base}"
        )
    return Address(parts.scheme, parts.hostname, port, base)


@dataclasses.dataclass(frozen=True)
class Visitor:
    """Someone the probe asks as: anonymous, or a login with what its login gave it."""

    name: str
    principal: access.Principal | None
    """Whom the project's data makes of this visitor: None for anonymous and for a login it does not
    know (removed, or its customer revoked)."""
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)
    """What goes with each request: the session cookies, or HTTP Basic (never printed)."""


@dataclasses.dataclass(frozen=True)
class Mismatch:
    visitor: str
    path: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.visitor} {self.path}: expected {self.expected}, got {self.got}"


@dataclasses.dataclass(frozen=True)
class Result:
    visitors: int
    files: int
    mismatches: tuple[Mismatch, ...]

    @property
    def cells(self) -> int:
        return self.visitors * self.files

    def summary(self) -> str:
        return (
            f"probe: {self.cells} cells, {len(self.mismatches)} mismatches "
            f"({self.visitors} visitors x {self.files} files)"
        )


def expected(principal: access.Principal | None, path: str, areas: Sequence[access.Area]) -> str:
    """What the rules say this principal gets at this site-relative path."""
    return "allowed" if access.allowed(principal, access.area_of(path, areas)) else "denied"


def outcome(status: int, location: str | None) -> str:
    """What an answer means: 200 allowed; 401, 403 or a redirect to the login page denied."""
    if status == 200:
        return "allowed"
    if status in (401, 403):
        return f"denied ({status})"
    if status == 302 and location is not None and urllib.parse.urlsplit(location).path.endswith("/login/"):
        return "denied (302 to login/)"
    return f"unexpected {status}" + (f" to {location}" if status in (301, 302, 303, 307, 308) and location else "")


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def cookies(self) -> str:
        """The Cookie header a browser would send back: every cookie set, except those deleted."""
        pairs = []
        for key, value in self.headers:
            if key.lower() != "set-cookie":
                continue
            pair, *attributes = (part.strip() for part in value.split(";"))
            name, _, content = pair.partition("=")
            deleted = any(a.lower().replace(" ", "") in ("max-age=0", "max-age=-1") for a in attributes)
            if name and content and not deleted:
                pairs.append(f"{name}={content}")
        return "; ".join(pairs)


class Client:
    """GET requests to one site from a pool of threads: one kept-alive connection per thread,
    opened again once if the server closed it between two requests."""

    source_address: tuple[str, int] | None = None
    """The local address connections come from; None: the system's choice. Servers limit logins per
    client address, so the tests give each probe an address of its own on the loopback network."""

    def __init__(self, address: Address, timeout: float = TIMEOUT) -> None:
        self.address = address
        self.timeout = timeout
        self.local = threading.local()
        self.opened: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()
        self.context = ssl.create_default_context() if address.scheme == "https" else None

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if connection is None:
            if self.context is not None:
                connection = http.client.HTTPSConnection(
                    self.address.host,
                    self.address.port,
                    timeout=self.timeout,
                    source_address=self.source_address,
                    context=self.context,
                )
            else:
                connection = http.client.HTTPConnection(
                    self.address.host, self.address.port, timeout=self.timeout, source_address=self.source_address
                )
            self.local.connection = connection
            with self.lock:
                self.opened.append(connection)
        return connection

    def get(self, path: str, headers: Mapping[str, str]) -> Answer:
        """GET `path` (site-relative, not yet encoded); OSError and HTTPException go to the caller."""
        target = self.address.base + urllib.parse.quote(path, safe="/!$&'()*+,;=:@")
        for attempt in (1, 2):
            connection = self._connection()
            reused = connection.sock is not None
            try:
                connection.request("GET", target, headers={"User-Agent": USER_AGENT, **headers})
                response = connection.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            except (OSError, http.client.HTTPException):
                self.close()
                raise
            if response.will_close:
                self.close()
            return Answer(response.status, tuple(response.getheaders()))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close this thread's connection."""
        connection = getattr(self.local, "connection", None)
        if connection is not None:
            connection.close()
            self.local.connection = None

    def close_all(self) -> None:
        """Close every thread's connection (once the pool is done)."""
        with self.lock:
            for connection in self.opened:
                connection.close()
            self.opened.clear()


def log_in(
    client: Client,
    account: Account,
    note: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """The headers that present this account on every request: its session cookies, or HTTP Basic
    when the login gave none (refused, or a server that keeps Basic)."""
    token = base64.b64encode(f"{account.login}:{account.password}".encode()).decode("ascii")
    basic = {"Authorization": f"Basic {token}"}
    attempt = 1
    while True:
        try:
            answer = client.get("login/", {**basic, "X-Requested-With": "extranet-login"})
        except (OSError, http.client.HTTPException) as error:
            note(f"{account.login}: the login failed ({_error(error)}); probing with HTTP Basic on each request")
            return basic
        if answer.status != 429:
            break
        if attempt == LOGIN_ATTEMPTS:
            note(f"{account.login}: the login is still answered 429 after {attempt} attempts; probing with HTTP Basic")
            return basic
        pause = _retry_after(answer.header("retry-after"))
        note(f"{account.login}: the login is answered 429 (login limit); trying again in {pause:g} s")
        sleep(pause)
        attempt += 1
    redirect_or_page = (200, 301, 302, 303, 307, 308)
    cookies = answer.cookies()
    if answer.status in redirect_or_page and cookies:
        return {"Cookie": cookies}
    if answer.status not in redirect_or_page:
        note(f"{account.login}: the login is answered {answer.status}; probing with HTTP Basic on each request")
    return basic


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value), 1.0), LONGEST_PAUSE) if value is not None else LOGIN_PAUSE
    except ValueError:
        return LOGIN_PAUSE


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def run(
    address: Address,
    accounts: Iterable[Account],
    principals: Mapping[str, access.Principal],
    areas: Sequence[access.Area],
    files: Sequence[str],
    *,
    workers: int = 8,
    note: Callable[[str], None] | None = None,
    client: Client | None = None,
) -> Result:
    """Every file for every visitor (anonymous first, then the accounts in the file's order);
    the mismatches in that order, files sorted."""
    say = note or (lambda message: print(f"probe: {message}", file=sys.stderr))
    client = client or Client(address)
    try:
        client.get("", {})
    except (OSError, http.client.HTTPException) as error:
        raise ProbeFailed(f"cannot reach {address}: {_error(error)}") from None
    finally:
        client.close()
    visitors = [Visitor(ANONYMOUS, None)]
    for account in accounts:
        principal = principals.get(account.login)
        if principal is None:
            say(
                f"{account.login}: not a user in the project's data (removed, or its customer revoked): "
                f"expected to open public files only"
            )
        elif principal.customer != account.customer:
            say(
                f"{account.login}: the credentials file says customer {account.customer or 'null (staff)'}, the "
                f"project's data {principal.customer or 'staff'}: the data decides"
            )
        visitors.append(Visitor(account.login, principal, log_in(client, account, say)))
    files = sorted(files)
    cells = [(visitor, path) for visitor in visitors for path in files]

    def ask(cell: tuple[Visitor, str]) -> Mismatch | None:
        visitor, path = cell
        want = expected(visitor.principal, path, areas)
        try:
            answer = client.get(path, visitor.headers)
            got = outcome(answer.status, answer.header("location"))
        except (OSError, http.client.HTTPException) as error:
            got = f"unexpected error ({_error(error)})"
        return None if got.split(" ", 1)[0] == want else Mismatch(visitor.name, path, want, got)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
    try:
        found = [mismatch for mismatch in pool.map(ask, cells) if mismatch is not None]
    finally:  # Ctrl+C: the requests not yet sent are dropped, not waited for
        pool.shutdown(wait=True, cancel_futures=True)
        client.close_all()
    return Result(len(visitors), len(files), tuple(found))


class ProbeFailed(ExtranetError):
    """The live site could not be asked at all (no connection, TLS refused): nothing was compared."""


def web_root_files(web_root: Path) -> list[str]:
    """Every file of the web root, site-relative, sorted."""
    return sorted(path.relative_to(web_root).as_posix() for path in web_root.rglob("*") if path.is_file())


def report(result: Result, out: TextIO) -> None:
    for mismatch in result.mismatches:
        print(mismatch, file=out)
    print(result.summary(), file=out)
